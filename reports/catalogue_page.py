"""docs/catalogue.md, generated from the registry: every built-in claim with its rules, expected verdict and
controls. A test checks that the committed page is current; after adding or changing a claim, regenerate it:

    python -m fpcheck.reports.catalogue_page > docs/catalogue.md
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import Claim

HEADER = """# The claim catalogue

Generated from the registry by `python -m fpcheck.reports.catalogue_page`; do not edit by hand (a test checks
that this page is current).

Each claim states the theory's prediction as its rules; "expected" is the verdict the literature leads us to
expect (`diverge` where the prediction is known to fail in practice). `fpcheck verify` exits 0 when every
verdict, and every control's, equals its expected one. The `quick` profile shrinks sizes, steps and seeds so
that the whole catalogue runs within 10 minutes on 2 cores and still reaches the expected verdicts for the
same reasons; `paper` runs the published sizes. Formulas and their conventions: [formulas.md](formulas.md).

Conventions of the 1D training claims: grids are periodic and on-bin (no endpoint, integer frequencies), so a
peak is one bin and nothing leaks; network and target are transformed alike. Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)|
with the complex difference. A peak's convergence step is the first snapshot after which Δ_F stays below the
threshold to the end; a peak that never gets there converges after the last step (ties last). Rank
correlations are Spearman's ρ, and ρ = 0 when all values tie.

The inequalities of the `luo2019.*` claims are our reconstruction of the form the source describes: the
theorem texts of Luo, Ma, Xu, Zhang 2019 were not available to us (formulas.md §3).
"""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def claim_section(claim: Claim) -> str:
    """One claim: id, version, source, statement, rules, expected verdict and reason, controls."""
    rules = "; ".join(rule.describe() for rule in claim.rules)
    fit = "; ".join(rule.describe() for rule in claim.fit)
    if claim.controls:
        controls = "\n".join(f"  - `{control.name}` ({', '.join(f'{k} = {v!r}' for k, v in control.changes.items())}):"
                             f" expected {control.expected}. {_cell(control.mechanism)}" for control in claim.controls)
    else:
        controls = f"  - none{': ' + _cell(claim.uncontrolled) if claim.uncontrolled else ''}"
    lines = [
        f"### `{claim.id}` (version {claim.version})",
        "",
        f"- **Statement.** {_cell(claim.statement)}",
        f"- **Source.** {_cell(claim.source)}",
        f"- **Rules.** {_cell(rules)} (in at least {claim.share:.0%} of seeds)"
        + (f"; a seed counts when {_cell(fit)}" if fit else ""),
        f"- **Expected.** {claim.expected}: {_cell(claim.expected_reason)}",
        f"- **Experiment.** `{claim.experiment.name}` ({_cell(claim.experiment.description)}); quick: "
        f"{claim.setups['quick'].seeds} seeds, paper: {claim.setups['paper'].seeds} seeds",
        "- **Controls.**",
        controls,
        *([f"- **Undiscriminating (a recorded finding).** {_cell(claim.undiscriminating)}"]
          if claim.undiscriminating else []),
    ]
    return "\n".join(lines)


def catalogue_markdown(catalogue: Iterable[Claim] | None = None) -> str:
    """The page for the built-in claims (or the given ones), grouped by source module."""
    chosen = [claim for claim in (catalogue if catalogue is not None else claims().values())
              if claim.origin == "built-in"]
    lines = [HEADER, "| id | expected | rules |", "|---|---|---|"]
    lines += [f"| [`{claim.id}`](#{claim.id.replace('.', '')}-version-{claim.version}) | {claim.expected} | "
              f"{_cell('; '.join(rule.describe() for rule in claim.rules))} |" for claim in chosen]
    lines.append("")
    for claim in chosen:
        lines += [claim_section(claim), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(catalogue_markdown())
