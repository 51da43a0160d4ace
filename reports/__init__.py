"""fpcheck's verdict layer: the claim catalogue, rules, reconciler, report renderer, run store and CLI.

It trains nothing and imports no torch: experiments run in `fpcheck.empirics`. The public entry points
are re-exported by `fpcheck` itself (`fpcheck.verify`, `fpcheck.claims`, `fpcheck.register`, …).
"""
