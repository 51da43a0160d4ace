"""The figures of the claim reports, one module per experiment family.

A claim names its figures by reference (`Claim.figures`): a function taking the claim's run
(`fpcheck.reports.claim.ClaimRun`: setup, seeds, result, prediction, measurement) and returning
matplotlib figures. Figures are drawn with `matplotlib.figure.Figure` (no pyplot state).
"""
