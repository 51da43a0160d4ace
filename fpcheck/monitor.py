"""`fpcheck.monitor`: does *your* training run fit low frequencies first? A monitor for any training loop.

    monitor = FrequencyMonitor(inputs, targets)      # evaluation inputs (n,) or (n, d), targets (n,) or (n, c)
    for step in range(steps):
        ...                                          # your own optimisation step, in any framework
        if step % 50 == 0:
            monitor.observe(step, predictions)       # outputs on `inputs`: (n,) or (n, c), numpy or torch
    result = monitor.result()                        # table, verdict, margin, null pass probability
    result.write_report("my-run")                    # report.html / .md, results.csv, verdicts.json

The method is chosen from the data (`method="auto"`): the DFT peaks of the target for 1D inputs on a uniform
grid, the band filters otherwise; `method="projection"` takes the projection along `direction` (default: the
first principal direction). The measurements and their conventions are those of `fpcheck.empirics.monitoring`;
the rule is the catalogue's F-Principle order (ρ(item, convergence step) ≥ 0.9, with its per-seed null
probability) and the fit criterion ‖h_T − y‖/‖y‖ ≤ `fit_level` (`fpcheck.reports.monitor_claim`). What the
monitor cannot judge (fewer than 4 peaks or bands, a constant target, predictions of the wrong shape, NaN) is
refused with one line (`MonitorError`, a ValueError), never a verdict.

With PyTorch Lightning, `trainer = Trainer(callbacks=[monitor.lightning_callback(every=50)], ...)` observes
the module at the start and after every 50th optimiser step (pytorch-lightning is imported only there).

The observations are copied to float64 numpy arrays when observed; the cost per observation is one copy of
the outputs (the analysis runs in `result()`; `benchmarks/monitor.py` measures both against a training step).
`save(path)` writes the observations as the `.npz` that `fpcheck monitor PREDICTIONS.npz` reads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fpcheck.empirics.monitoring import MonitorError, MonitorSetup, Recording, choose_method, recording
from fpcheck.empirics.weights_file import load_npz_arrays
from fpcheck.errors import InputFileError

__all__ = ["FrequencyMonitor", "MonitorError", "MonitorResult", "load_predictions"]
PREDICTION_KEYS = ("inputs", "targets", "steps", "predictions")
METHODS = ("auto", "dft", "projection", "filtering")
THREADS = 1
"""The analysis runs on one thread: its numbers then do not depend on the machine (like a task's)."""


def _numpy(values: Any) -> np.ndarray:
    """A numpy float64 copy of an array or a tensor (detached, on the CPU), without importing torch."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().double().numpy()
    return np.array(values, dtype=np.float64, copy=True)


class FrequencyMonitor:
    """Collects a run's predictions on fixed evaluation inputs and judges its frequency order (module doc).

    `method`: "auto", "dft", "projection" or "filtering"; `threshold` (Δ_F level of a converged peak, 0.1),
    `band_threshold` (a band converges when its error falls below this fraction of its first value, 0.5),
    `delta_ratios` (the filters' δ as fractions of the median squared distance), `direction` (projection),
    `fit_level` (the largest ‖h_T − y‖/‖y‖ at which the run counts as fitted, 0.5), `name` (the report's id).
    """

    def __init__(self, inputs: Any, targets: Any, method: str = "auto", *, threshold: float = 0.1,
                 band_threshold: float = 0.5, delta_ratios: tuple[float, ...] = (1.0, 0.316, 0.1, 0.0316),
                 direction: tuple[float, ...] | None = None, fit_level: float = 0.5, name: str = "run") -> None:
        self._inputs, self._targets = _numpy(inputs), _numpy(targets)
        probe = recording(self._inputs, self._targets, np.arange(2), np.stack([self._targets] * 2))
        self.setup = monitor_setup(probe, method, threshold=threshold, band_threshold=band_threshold,
                                   delta_ratios=delta_ratios, direction=direction, fit_level=fit_level)
        self.name = name
        self._steps: list[int] = []
        self._predictions: list[np.ndarray] = []
        self._shape = probe.targets.shape

    @property
    def method(self) -> str:
        return self.setup.method

    def observe(self, step: int, predictions: Any) -> None:
        """Record the outputs on the evaluation inputs at `step` (an integer larger than the last one)."""
        if isinstance(step, bool) or not isinstance(step, int | np.integer):
            raise MonitorError(f"step must be an integer, not {step!r}")
        if self._steps and step <= self._steps[-1]:
            raise MonitorError(f"step {step} does not follow the last observed step {self._steps[-1]}")
        values = _numpy(predictions)
        if values.size != int(np.prod(self._shape)):
            raise MonitorError(f"predictions at step {step} have shape {values.shape}; the targets' is "
                               f"{self._shape}")
        if not np.all(np.isfinite(values)):
            raise MonitorError(f"predictions at step {step} hold NaN or inf")
        self._steps.append(int(step))
        self._predictions.append(values.reshape(self._shape))

    def observe_model(self, step: int, model: Any) -> None:
        """`observe(step, model(inputs))` for a torch module: eval mode and no gradients meanwhile, the inputs
        in the dtype and on the device of the model's first parameter; the module's mode is restored."""
        import torch

        parameter = next(model.parameters(), None)
        dtype = parameter.dtype if parameter is not None else torch.float32
        device = parameter.device if parameter is not None else torch.device("cpu")
        inputs = torch.as_tensor(self._inputs, dtype=dtype, device=device)
        if inputs.ndim == 1:
            inputs = inputs[:, None]
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                outputs = model(inputs)
        finally:
            model.train(training)
        self.observe(step, outputs)

    def lightning_callback(self, every: int = 1) -> Any:
        """A PyTorch Lightning callback that calls `observe_model(trainer.global_step, module)` when training
        starts and after every `every`-th optimiser step (a step already observed, as under gradient
        accumulation, is skipped). The callback derives from the Callback of the Lightning package your Trainer
        comes from: `lightning.pytorch` if that is imported and `pytorch_lightning` is not, else
        `pytorch_lightning` (a Trainer refuses a callback of the other package). Lightning is imported here,
        not by fpcheck: install it with `pip install 'fpcheck[lightning]'`; without it this is a MonitorError."""
        import importlib
        import sys

        names = ["pytorch_lightning", "lightning.pytorch"]
        if "lightning.pytorch" in sys.modules and "pytorch_lightning" not in sys.modules:
            names.reverse()
        Callback = None
        for name in names:
            try:
                Callback = importlib.import_module(name).Callback
                break
            except ImportError:
                continue
        if Callback is None:
            raise MonitorError("the Lightning callback needs pytorch-lightning: pip install 'fpcheck[lightning]'")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise MonitorError(f"every must be a positive integer, not {every!r}")
        monitor = self

        class FrequencyMonitorCallback(Callback):
            def _observe(self, trainer: Any, module: Any) -> None:
                step = int(trainer.global_step)
                if not monitor._steps or step > monitor._steps[-1]:
                    monitor.observe_model(step, module)

            def on_train_start(self, trainer: Any, module: Any) -> None:
                self._observe(trainer, module)

            def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
                if trainer.global_step % every == 0:
                    self._observe(trainer, module)

        return FrequencyMonitorCallback()

    def recording(self) -> Recording:
        """The observations so far, checked (at least two are needed)."""
        if len(self._steps) < 2:
            raise MonitorError(f"{len(self._steps)} observation(s): the monitor needs at least 2")
        return recording(self._inputs, self._targets, np.asarray(self._steps, dtype=np.int64),
                         np.stack(self._predictions))

    def save(self, path: str | Path) -> Path:
        """Write the observations as the .npz `fpcheck monitor` reads (inputs, targets, steps, predictions)."""
        record = self.recording()
        path = Path(path)
        np.savez(path, inputs=record.inputs, targets=record.targets, steps=record.steps,
                 predictions=record.predictions)
        return path

    def result(self) -> MonitorResult:
        """The verdict on the observations so far (MonitorError for what cannot be judged)."""
        return judge(self.recording(), self.setup, self.name)


def judge(record: Recording, setup: MonitorSetup, name: str = "run") -> MonitorResult:
    """The monitor claim's record on `record` (refusals first, as one line), as a MonitorResult."""
    from fpcheck.reports.claim import PUBLISHED
    from fpcheck.reports.monitor_claim import measure, monitor_claim
    from fpcheck.reports.task import Task, evaluate

    measure(setup, record)  # what cannot be judged is refused here, not recorded as inconclusive
    claim = monitor_claim(name, setup)
    task = Task(claim.id, claim.version, PUBLISHED, "monitor", setup, record.seeds, THREADS)
    return MonitorResult(claim, evaluate(claim, task, lambda: record), record)


@dataclass(frozen=True)
class MonitorResult:
    """A monitor's verdict: `table` (tidy rows: seed, quantity, x, value, origin), `verdict`, `margin`,
    `null_pass_probability`, `explanation`, `summary`; `write_report(directory)` writes the run directory."""

    claim: Any
    record: Mapping[str, Any]
    observations: Recording

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.record["rows"])

    @property
    def verdict(self) -> str:
        return self.record["verdict"]["verdict"]

    @property
    def margin(self) -> float:
        return self.record["verdict"]["margin"]

    @property
    def null_pass_probability(self) -> float | None:
        return self.record["verdict"]["null_pass_probability"]

    @property
    def explanation(self) -> str:
        return self.record["verdict"]["explanation"]

    @property
    def summary(self) -> str:
        return self.record["measurement_summary"]

    def convergence_steps(self) -> pd.DataFrame:
        """Per item (frequency or band), its convergence step."""
        table = self.table
        rows = table[table["quantity"] == "convergence_step"]
        return rows[["x", "value"]].rename(columns={"x": "item", "value": "convergence_step"}).reset_index(drop=True)

    def write_report(self, directory: str | Path) -> Path:
        """Write report.md, report.html, results.csv, verdicts.json, provenance.json, figures/ and
        recording.npz (the observations) into `directory`, like `fpcheck verify`; returns the directory."""
        from fpcheck.reports.provenance import machine, package_versions
        from fpcheck.reports.render import render_html, render_markdown
        from fpcheck.reports.run_store import RunStore
        from fpcheck.reports.verification import claim_entry

        key = self.claim.id
        with RunStore(directory) as store:
            store.save(self.record, key)
            entry = claim_entry(self.claim, {key: self.record})
            provenance = {"profile": "monitor", "claims": [key], "controls": False, "seeds": {key: [0]},
                          "setup": self.record["setup"], "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "packages": package_versions(), "machine": machine()}
            store.write_results([self.record])
            store.write_json("verdicts.json", [entry["row"]])
            store.write_json("provenance.json", provenance)
            store.write_text("report.md", render_markdown([entry], provenance))
            store.write_text("report.html", render_html([entry], provenance))
            record = self.observations
            np.savez(store.root / "recording.npz", inputs=record.inputs, targets=record.targets, steps=record.steps,
                     predictions=record.predictions)
        return Path(directory)


def load_predictions(path: str | Path) -> Recording:
    """The observations of a PREDICTIONS.npz (keys inputs, targets, steps, predictions; see `recording`)."""
    arrays = load_npz_arrays(path)
    missing = [key for key in PREDICTION_KEYS if key not in arrays]
    extra = sorted(set(arrays) - set(PREDICTION_KEYS))
    if missing or extra:
        raise InputFileError(f"{path}: expected the arrays {', '.join(PREDICTION_KEYS)}; missing {missing}, "
                             f"unexpected {extra}")
    for key in PREDICTION_KEYS:
        if arrays[key].dtype.kind not in "iuf":
            raise InputFileError(f"{path}: {key} has dtype {arrays[key].dtype}; numbers are expected")
    try:
        return recording(arrays["inputs"], arrays["targets"], arrays["steps"], arrays["predictions"])
    except MonitorError as error:
        raise InputFileError(f"{path}: {error}") from None


def monitor_file(path: str | Path, method: str = "auto", **options: Any) -> MonitorResult:
    """The verdict on a PREDICTIONS.npz (`fpcheck monitor`); `options` as for FrequencyMonitor."""
    record = load_predictions(path)
    name = options.pop("name", None) or "run"
    return judge(record, monitor_setup(record, method, **options), name)


def monitor_setup(record: Recording, method: str, **options: Any) -> MonitorSetup:
    """The analysis setup: `method` ("auto" picks from the data) and the options that are not None."""
    if method not in METHODS:
        raise MonitorError(f"method {method!r} is not one of {', '.join(METHODS)}")
    fields: dict[str, Any] = {key: value for key, value in options.items() if value is not None}
    for key in ("delta_ratios", "direction"):
        if key in fields:
            fields[key] = tuple(float(value) for value in np.ravel(fields[key]))
    return MonitorSetup(method=choose_method(record) if method == "auto" else method, **fields)
