"""The report: `report.md` and a self-contained `report.html` (DESIGN.md, "A verification run").

The verdict table comes first (claim, source, expected, verdict, margin ± spread, wall time), coloured
by status; then one section per claim (statement, source, the prediction and the measurement, the
rules, margin, explanation, per-seed outcomes, figures, notes, derivation); provenance last. Every
figure of the HTML report is embedded as a base64 data URI, so it opens with no network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import markdown

from reports.claim import Claim

STATUS_COLOURS = {"as expected": "#d8f0d8", "differs": "#f6d0d0", "inconclusive": "#f8e8c0"}

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #eee; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
.claim { border-top: 2px solid #888; margin-top: 2rem; }
"""


def status(verdict: Mapping[str, Any]) -> str:
    """'as expected', 'differs' or 'inconclusive' (an inconclusive verdict never equals an expectation)."""
    if verdict["verdict"] == "inconclusive":
        return "inconclusive"
    return "as expected" if verdict["verdict"] == verdict["expected"] else "differs"


def margin_text(verdict: Mapping[str, Any]) -> str:
    margin, (low, high) = verdict["margin"], verdict["spread"]
    if margin is None or margin != margin:
        return "n/a"
    return f"{margin:+.3g} [{low:+.3g}, {high:+.3g}]"


def _derivation_text(claim: Claim) -> str | None:
    if claim.derivation is None:
        return None
    from reports.derivations import render as render_derivation

    return render_derivation(claim.derivation)


def render_markdown(records: Sequence[Mapping[str, Any]], claims: Mapping[str, Claim], provenance: Mapping) -> str:
    lines = ["# fpcheck verification report", "", f"Profile `{provenance['profile']}`.", ""]
    lines += ["| claim | source | expected | verdict | status | margin [90 % interval] | wall (s) |",
              "|---|---|---|---|---|---|---|"]
    for record in records:
        verdict, claim = record["verdict"], claims[record["claim"]]
        lines.append(
            f"| `{claim.id}` v{claim.version} | {claim.source} | {verdict['expected']} | **{verdict['verdict']}** "
            f"| {status(verdict)} | {margin_text(verdict)} | {verdict['wall_s']:.1f} |"
        )
    lines += ["", "Margin: positive when the theory's prediction holds (the fraction of the allowance left for "
              "bound, rate and equality rules; ρ minus its threshold for order rules), negative when it fails.", ""]
    for record in records:
        lines += _markdown_section(record, claims[record["claim"]])
    lines += ["## Provenance", "", "```json", json.dumps(provenance, indent=2), "```", ""]
    return "\n".join(lines)


def _markdown_section(record: Mapping[str, Any], claim: Claim) -> list[str]:
    verdict = record["verdict"]
    lines = [f"## `{claim.id}` (version {claim.version})", "", claim.statement, "",
             f"- Source: {claim.source}",
             f"- Expected: **{claim.expected}**{' (' + claim.expected_reason + ')' if claim.expected_reason else ''}",
             f"- Verdict: **{verdict['verdict']}** ({status(verdict)}), margin {margin_text(verdict)}",
             f"- Rule (the prediction): {' and '.join(rule.describe() for rule in claim.rules)}, "
             f"in at least {claim.share:.0%} of seeds",
             f"- Prediction: {record['prediction_summary'] or 'n/a'}",
             f"- Measurement: {record['measurement_summary'] or 'n/a'}",
             f"- Explanation: {verdict['explanation']}",
             f"- Seeds: {', '.join(str(seed) for seed in record['seeds'])}; "
             f"parameters: `{json.dumps(record['params'])}`",
             ""]
    lines += _seed_table_markdown(verdict)
    for number in range(1, len(record["figures"]) + 1):
        lines += [f"![{claim.id} figure {number}](figures/{claim.id}-{number}.png)", ""]
    for note in (*claim.notes, *record["notes"]):
        lines += [note, ""]
    derivation = _derivation_text(claim)
    if derivation:
        lines += ["Derivation (each step re-checked by sympy in the tests):", "", "```", derivation, "```", ""]
    return lines


def _seed_table_markdown(verdict: Mapping[str, Any]) -> list[str]:
    if not verdict["per_seed"]:
        return []
    lines = ["| seed | holds | margin | numbers |", "|---|---|---|---|"]
    for seed in verdict["per_seed"]:
        holds = {True: "yes", False: "no", None: "undetermined"}[seed["holds"]]
        numbers = "; ".join(seed["details"]).replace("|", "\\|")
        lines.append(f"| {seed['seed']} | {holds} | {seed['margin']:.3g} | {numbers} |")
    return [*lines, ""]


def render_html(records: Sequence[Mapping[str, Any]], claims: Mapping[str, Claim], provenance: Mapping) -> str:
    escape = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<title>fpcheck verification report</title>", f"<style>{STYLE}</style></head><body>",
             "<h1>fpcheck verification report</h1>",
             f"<p>Profile <code>{escape(provenance['profile'])}</code>.</p>",
             "<table id='verdicts'><thead><tr><th>claim</th><th>source</th><th>expected</th><th>verdict</th>"
             "<th>status</th><th>margin [90 % interval]</th><th>wall (s)</th></tr></thead><tbody>"]
    for record in records:
        verdict, claim = record["verdict"], claims[record["claim"]]
        colour = STATUS_COLOURS[status(verdict)]
        parts.append(
            f"<tr style='background:{colour}' data-claim='{escape(claim.id)}'>"
            f"<td><a href='#{escape(claim.id)}'><code>{escape(claim.id)}</code></a> v{claim.version}</td>"
            f"<td>{escape(claim.source)}</td><td>{verdict['expected']}</td>"
            f"<td class='verdict'><b>{verdict['verdict']}</b></td><td>{status(verdict)}</td>"
            f"<td class='margin'>{escape(margin_text(verdict))}</td><td>{verdict['wall_s']:.1f}</td></tr>"
        )
    parts.append("</tbody></table><p>Margin: positive when the theory's prediction holds (the fraction of the "
                 "allowance left for bound, rate and equality rules; ρ minus its threshold for order rules), "
                 "negative when it fails.</p>")
    for record in records:
        parts.append(_html_section(record, claims[record["claim"]]))
    parts += ["<h2>Provenance</h2>", f"<pre>{escape(json.dumps(provenance, indent=2))}</pre>", "</body></html>"]
    return "\n".join(parts)


def _html_section(record: Mapping[str, Any], claim: Claim) -> str:
    escape = html.escape
    verdict = record["verdict"]
    rule = " and ".join(rule.describe() for rule in claim.rules)
    reason = f" ({escape(claim.expected_reason)})" if claim.expected_reason else ""
    parts = [f"<section class='claim' id='{escape(claim.id)}'>",
             f"<h2><code>{escape(claim.id)}</code> (version {claim.version})</h2>",
             f"<p>{escape(claim.statement)}</p><ul>",
             f"<li>Source: {escape(claim.source)}</li>",
             f"<li>Expected: <b>{claim.expected}</b>{reason}</li>",
             f"<li>Verdict: <b>{verdict['verdict']}</b> ({status(verdict)}), "
             f"margin {escape(margin_text(verdict))}</li>",
             f"<li>Rule (the prediction): {escape(rule)}, in at least {claim.share:.0%} of seeds</li>",
             f"<li>Prediction: {escape(record['prediction_summary'] or 'n/a')}</li>",
             f"<li>Measurement: {escape(record['measurement_summary'] or 'n/a')}</li>",
             f"<li>Explanation: {escape(verdict['explanation'])}</li>",
             f"<li>Seeds: {', '.join(str(seed) for seed in record['seeds'])}; parameters: "
             f"<code>{escape(json.dumps(record['params']))}</code></li></ul>"]
    parts.append(markdown.markdown("\n".join(_seed_table_markdown(verdict)), extensions=["tables"]))
    for number, png in enumerate(record["figures"], start=1):
        parts.append(f"<img alt='{escape(claim.id)} figure {number}' src='data:image/png;base64,{png}'>")
    for note in (*claim.notes, *record["notes"]):
        parts.append(markdown.markdown(note, extensions=["tables"]))
    derivation = _derivation_text(claim)
    if derivation:
        parts.append(f"<p>Derivation (each step re-checked by sympy in the tests):</p><pre>{escape(derivation)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)
