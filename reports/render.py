"""The report: `report.md` and a self-contained `report.html`.

The summary comes first (verdicts as expected, controls that flipped, the catalogue's expected number of
chance passes), then the verdict table (claim, source, expected, verdict, status, margin ± spread, the
controls, the null pass probability, wall time), then one section per claim: statement, source, the
published setting and every control side by side, the shared experiments each reused, the rules, the
prediction and the measurement, the per-seed outcomes, figures, notes and derivation; provenance last.

The Markdown is the one source of the body: the HTML converts it with Python-Markdown and embeds every
figure as a base64 data URI (it opens with no network), with a coloured verdict table on top. Every
string that comes from a record or a setup is escaped (`text`): a `<script>` in any field renders as
text in both files. Notes written by claims and measurements may use Markdown (tables, emphasis) but
no raw HTML and no links (`markup`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import markdown

from fpcheck.reports.claim import Claim
from fpcheck.reports.task import name_key, variant_key

STATUS_COLOURS = {"as expected": "#d8f0d8", "differs": "#f6d0d0", "inconclusive": "#f8e8c0",
                  "undiscriminating": "#f0d8f0", "undiscriminating (known)": "#f0d8f0"}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #eee; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
h2 { border-top: 2px solid #888; padding-top: 1rem; margin-top: 2rem; }
"""
MARGIN_NOTE = ("Margin: positive when the theory's prediction holds (the fraction of the allowance left for bound, "
               "rate and equality rules; ρ minus its threshold for order rules), negative when it fails. Null: the "
               "exact chance that a uniformly random order passes the claim's order rules in one seed.")
_SPECIAL = re.compile(r"([\\`*_\[\]|#])")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def text(value: Any) -> str:
    """Any value as inert Markdown (and so inert HTML): entities for & < >, backslashes before the
    characters Markdown reads as markup, one line."""
    escaped = html.escape(" ".join(str(value).split()), quote=False)
    return _SPECIAL.sub(r"\\\1", escaped)


def markup(note: str) -> str:
    """A note's Markdown without raw HTML or links: entities for & < >, backslashes before [ ]."""
    return html.escape(note, quote=False).replace("[", "\\[").replace("]", "\\]")


def status(row: Mapping[str, Any]) -> str:
    """'as expected', 'differs', 'inconclusive' or 'undiscriminating' (a control missed its verdict); for a
    claim that records its control's miss as a finding (`Claim.undiscriminating`), 'undiscriminating (known)'
    when the miss is still there and 'differs' when it is gone."""
    if row["verdict"] == "inconclusive":
        return "inconclusive"
    if row["verdict"] != row["expected"]:
        return "differs"
    missed = any(control["verdict"] != control["expected"] for control in row["controls"])
    if row.get("undiscriminating"):
        return "undiscriminating (known)" if missed else "differs"
    return "undiscriminating" if missed else "as expected"


def number(value: Any, spec: str = "+.3g") -> str:
    return "n/a" if not isinstance(value, int | float) or value != value else format(value, spec)


def margin_text(verdict: Mapping[str, Any]) -> str:
    low, high = verdict["spread"]
    if not isinstance(verdict["margin"], int | float) or verdict["margin"] != verdict["margin"]:
        return "n/a"
    return f"{number(verdict['margin'])} [{number(low)}, {number(high)}]"


def controls_text(row: Mapping[str, Any]) -> str:
    if not row["controls"]:
        return "uncontrolled" if row.get("uncontrolled") or row["origin"] != "built-in" else "none"
    def mark(control: Mapping[str, Any]) -> str:
        return "✓" if control["verdict"] == control["expected"] else f"✗ expected {text(control['expected'])}"

    return "; ".join(f"{text(control['name'])}: {text(control['verdict'])} ({mark(control)})"
                     for control in row["controls"])


def summary_lines(entries: Sequence[Mapping[str, Any]], provenance: Mapping[str, Any]) -> list[str]:
    rows = [entry["row"] for entry in entries]
    as_expected = sum(row["verdict"] == row["expected"] for row in rows)
    controls = [control for row in rows for control in row["controls"]]
    flipped = sum(control["verdict"] == control["expected"] for control in controls)
    nulls = [row["null_pass_probability"] for row in rows if isinstance(row["null_pass_probability"], int | float)]
    uncontrolled = [row["claim"] for row in rows if not row["controls"]]
    return [
        f"Profile `{text(provenance['profile'])}`. **{as_expected}/{len(rows)}** verdicts as expected; "
        f"**{flipped}/{len(controls)}** controls got their expected verdict"
        + ("" if provenance.get("controls", True) else " (controls skipped: --no-controls)") + ".",
        "",
        f"Expected number of chance passes per seed, the sum of the order rules' null pass probabilities over "
        f"the {len(nulls)} claims that have one: **{sum(nulls):.3g}**."
        + (f" Uncontrolled: {', '.join(f'`{claim}`' for claim in uncontrolled)}." if uncontrolled else ""),
        "",
        "Luo et al. 2019's theorem texts were not available: the luo2019 inequalities are our reconstruction.",
        "",
    ]


def render_markdown(entries: Sequence[Mapping[str, Any]], provenance: Mapping[str, Any],
                    inline_figures: bool = False) -> str:
    lines = ["# fpcheck verification report", "", *summary_lines(entries, provenance)]
    lines += ["| claim | source | expected | verdict | status | margin [90 % interval] | controls | null | wall (s) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for entry in entries:
        row, claim = entry["row"], entry["claim"]
        lines.append(
            f"| `{claim.id}` v{claim.version} | {text(claim.source)} | {text(row['expected'])} | "
            f"**{text(row['verdict'])}** | {row['status']} | {margin_text(row)} | {controls_text(row)} | "
            f"{number(row['null_pass_probability'], '.2g')} | {row['wall_s']:.1f} |"
        )
    lines += ["", MARGIN_NOTE, ""]
    for entry in entries:
        lines += _section(entry, inline_figures)
    lines += ["## Provenance", "", *_fenced(json.dumps(provenance, indent=2)), ""]
    return "\n".join(lines)


def _fenced(content: str) -> list[str]:
    """A fenced code block that no backtick run inside `content` can close."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, content, fence]


def _variant_table(entry: Mapping[str, Any]) -> list[str]:
    claim: Claim = entry["claim"]
    lines = ["| setting | expected | verdict | margin | null | explanation |", "|---|---|---|---|---|---|"]
    mechanisms = {control.name: control.mechanism for control in claim.controls}
    for record in (entry["record"], *entry["controls"]):
        verdict = record["verdict"]
        name = "published" if record["variant"] == "published" else f"control `{text(record['variant'])}`"
        mark = "" if verdict["verdict"] == verdict["expected"] else " ✗"
        lines.append(f"| {name} | {text(verdict['expected'])} | **{text(verdict['verdict'])}**{mark} | "
                     f"{margin_text(verdict)} | {number(verdict['null_pass_probability'], '.2g')} | "
                     f"{text(verdict['explanation'])} |")
    lines.append("")
    for record in entry["controls"]:
        changes = json.dumps(claim.control(record["variant"]).changes) if record["variant"] in mechanisms else "{}"
        lines += [f"- Control `{text(record['variant'])}` changes {text(changes)}: "
                  f"{text(mechanisms.get(record['variant'], ''))}"]
    if claim.uncontrolled:
        lines.append(f"- Uncontrolled: {text(claim.uncontrolled)}")
    if claim.undiscriminating:
        lines.append(f"- **Undiscriminating (a recorded finding):** {text(claim.undiscriminating)}")
    return [*lines, ""]


def _section(entry: Mapping[str, Any], inline_figures: bool) -> list[str]:
    claim: Claim = entry["claim"]
    record = entry["record"]
    verdict = record["verdict"]
    fit = " and ".join(rule.describe() for rule in claim.fit)
    lines = [f"## `{claim.id}` (version {claim.version})", "", text(claim.statement), "",
             f"- Source: {text(claim.source)}"
             + ("" if claim.origin == "built-in" else f" (from {text(claim.origin)})"),
             f"- Expected: **{claim.expected}**"
             + (f" ({text(claim.expected_reason)})" if claim.expected_reason else ""),
             f"- Verdict: **{text(verdict['verdict'])}** ({entry['row']['status']}), margin {margin_text(verdict)}",
             f"- Rule (the prediction): {text(' and '.join(rule.describe() for rule in claim.rules))}, "
             f"in at least {claim.share:.0%} of seeds",
             *([f"- Fit criterion (a seed that misses it is undetermined): {text(fit)}"] if fit else []),
             *([f"- Sensitivity to the analysis choices (same networks, no retraining): "
                f"{text('; '.join(entry['row']['sensitivity']))}"] if entry["row"].get("sensitivity") else []),
             f"- Prediction: {text(record['prediction_summary'] or 'n/a')}",
             f"- Measurement: {text(record['measurement_summary'] or 'n/a')}",
             f"- Seeds: {', '.join(str(seed) for seed in record['seeds'])}; experiment `{claim.experiment.name}`, "
             "setup:", "", *_fenced(json.dumps(record["setup"])), ""]
    lines += _variant_table(entry)
    lines += _shared_lines(entry)
    lines += _seed_table(verdict)
    for figure_record in (record, *entry["controls"]):
        for number_, png in enumerate(figure_record["figures"], start=1):
            key = variant_key(claim.id, figure_record["variant"])
            inline = inline_figures and _BASE64.match(png)
            source = f"data:image/png;base64,{png}" if inline else f"figures/{key}-{number_}.png"
            lines += [f"![{text(key)} figure {number_}]({source})", ""]
    for note in (*claim.notes, *record["notes"]):
        lines += [markup(note), ""]
    derivation = _derivation_text(claim)
    if derivation:
        lines += ["Derivation (each step re-checked by sympy in the tests):", "", *_fenced(derivation), ""]
    return lines


def _shared_lines(entry: Mapping[str, Any]) -> list[str]:
    """Which setting of the claim reused which shared experiment (`fpcheck.reports.stage`), with whom."""
    lines = []
    for record in (entry["record"], *entry["controls"]):
        key = variant_key(record["claim"], record["variant"])
        name = "The published setting" if key == record["claim"] else f"Control `{text(record['variant'])}`"
        for shared in record.get("experiments", []):
            others = sorted({name_key(consumer) for consumer in shared["consumers"]} - {key})
            origin = "read back from an earlier run in this directory" if shared.get("read_back") else "trained once"
            lines.append(f"- {name} trained nothing of its experiment (seeds of batch {shared['batch']}): it used the "
                         f"shared run `{text(shared['experiment'])}` `{text(shared['hash'])}` "
                         f"({shared['network_steps']:,} network-steps, {shared['wall_s']:.1f} s, {origin})"
                         + (f", as did {text(', '.join(others))}." if others else "."))
    return [*lines, ""] if lines else []


def _seed_table(verdict: Mapping[str, Any]) -> list[str]:
    if not verdict["per_seed"]:
        return []
    lines = ["| seed | holds | margin | numbers |", "|---|---|---|---|"]
    for seed in verdict["per_seed"]:
        holds = {True: "yes", False: "no", None: "undetermined"}.get(seed["holds"], "?")
        lines.append(f"| {text(seed['seed'])} | {holds} | {number(seed['margin'], '.3g')} | "
                     f"{text('; '.join(map(str, seed['details'])))} |")
    return [*lines, ""]


def _derivation_text(claim: Claim) -> str | None:
    if claim.derivation is None:
        return None
    from fpcheck.reports.derivations import render as render_derivation

    return render_derivation(claim.derivation)


def render_html(entries: Sequence[Mapping[str, Any]], provenance: Mapping[str, Any]) -> str:
    escape = html.escape
    table = ["<table id='verdicts'><thead><tr><th>claim</th><th>expected</th><th>verdict</th><th>status</th>"
             "<th>margin [90 % interval]</th><th>controls</th><th>null</th><th>wall (s)</th></tr></thead><tbody>"]
    for entry in entries:
        row, claim = entry["row"], entry["claim"]
        controls = "; ".join(f"{control['name']}: {control['verdict']}" for control in row["controls"])
        table.append(
            f"<tr style='background:{STATUS_COLOURS[row['status']]}' data-claim='{escape(claim.id)}'>"
            f"<td><code>{escape(claim.id)}</code> v{claim.version}</td><td>{escape(str(row['expected']))}</td>"
            f"<td class='verdict'><b>{escape(str(row['verdict']))}</b></td><td class='status'>{row['status']}</td>"
            f"<td>{escape(margin_text(row))}</td><td>{escape(controls or controls_text(row))}</td>"
            f"<td>{escape(number(row['null_pass_probability'], '.2g'))}</td><td>{row['wall_s']:.1f}</td></tr>"
        )
    table.append("</tbody></table>")
    body = markdown.markdown(render_markdown(entries, provenance, inline_figures=True),
                             extensions=["tables", "fenced_code"])
    return "\n".join(["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
                      "<title>fpcheck verification report</title>", f"<style>{STYLE}</style></head><body>",
                      *table, body, "</body></html>"])
