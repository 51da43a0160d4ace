"""fpcheck: a theory-verification and bounds-checking suite for the Frequency Principle (spectral bias).

The package has three layers, installed as subpackages from the folders of the same name:
`fpcheck.theory` (predictions: sympy, numpy, scipy; never torch), `fpcheck.empirics` (measurements:
torch training, spectra) and `fpcheck.reports` (claims, rules, reconciler, report, CLI).

The public API is loaded on first use, so `import fpcheck` stays cheap and importing a layer does not
pull in the others:

- `fpcheck.verify(...)` runs claims and writes a run directory (`fpcheck.reports.verification`);
- `fpcheck.claims()` is the catalogue, a dict from id to `Claim`; `fpcheck.register(claim)` adds one;
- `Claim`, `Control` and the rules `Bound`, `Rate`, `Order`, `Equality`, `PairOrder` declare a claim; `Setup` and
  `param` (a typed setup), `Experiment` and `Result` (what it runs), `Prediction`, `Measurement`,
  `tidy`, `concat`, `ALL_SEEDS` and `@produces` (what its functions return) are what a claim is made of;
- `fpcheck.strategies` holds the hypothesis strategies for property tests of your own;
- `fpcheck.monitor.FrequencyMonitor` judges the frequency order of your own training loop (docs/monitor.md);
- `FpcheckError` is the base class of every error that means bad input or a refusing environment.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_PUBLIC = {
    "verify": ("fpcheck.reports.verification", "verify"),
    "claims": ("fpcheck.reports.catalogue", "claims"),
    "register": ("fpcheck.reports.catalogue", "register"),
    "Claim": ("fpcheck.reports.claim", "Claim"),
    "Control": ("fpcheck.reports.claim", "Control"),
    "Sensitivity": ("fpcheck.reports.sensitivity", "Sensitivity"),
    "ClaimRun": ("fpcheck.reports.claim", "ClaimRun"),
    "Setup": ("fpcheck.empirics.setup", "Setup"),
    "param": ("fpcheck.empirics.setup", "param"),
    "Experiment": ("fpcheck.empirics.experiment", "Experiment"),
    "Result": ("fpcheck.empirics.experiment", "Result"),
    "Prediction": ("fpcheck.tables", "Prediction"),
    "Measurement": ("fpcheck.tables", "Measurement"),
    "produces": ("fpcheck.tables", "produces"),
    "tidy": ("fpcheck.tables", "tidy"),
    "concat": ("fpcheck.tables", "concat"),
    "ALL_SEEDS": ("fpcheck.tables", "ALL_SEEDS"),
    "FpcheckError": ("fpcheck.errors", "FpcheckError"),
    "Bound": ("fpcheck.reports.rules", "Bound"),
    "Rate": ("fpcheck.reports.rules", "Rate"),
    "Order": ("fpcheck.reports.rules", "Order"),
    "Equality": ("fpcheck.reports.rules", "Equality"),
    "PairOrder": ("fpcheck.reports.rules", "PairOrder"),
    "strategies": ("fpcheck.theory.strategies", None),
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'fpcheck' has no attribute {name!r}")
    module_name, attribute = _PUBLIC[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
