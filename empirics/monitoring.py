"""Frequency monitoring of a user's own training run (`fpcheck.monitor`): the recording and what is measured on it.

A recording holds the evaluation inputs x (n, d), the targets y (n, c) and the predictions h_t (n, c) at the
observed steps t_0 < t_1 < …. Three methods measure the order in which the run fits frequencies:

- "dft" (1D inputs on a uniform grid x_j = x_0 + j h, taken as one period of length n h): the DFT c_k of
  `fpcheck.empirics.spectra` (ordinary frequency k in cycles per period, 1/n normalisation). The target's
  *clear peaks* are the local maxima of ‖ŷ_k‖ (k ≥ 1; the norm runs over output components) whose height and
  prominence are at least PEAK_FLOOR × the largest (scipy.signal.find_peaks); at most MAX_PEAKS of the highest
  are kept. Per peak Δ_F(k) = ‖ĥ_k − ŷ_k‖ / ‖ŷ_k‖ (the complex difference, Xu et al. 2019, arXiv:1901.06523)
  and its convergence step: the first observed step after which Δ_F stays below `threshold` to the end (a peak
  that never gets there converges after the last step: such peaks tie last).
- "projection" (any inputs): the same per-peak quantities with the non-uniform DFT along a unit direction p,
  ŷ_p(ξ) = (1/n) Σ_j y_j e^{-2πi ξ p·x_j} (`fpcheck.empirics.projection`, ξ in cycles per unit length along p),
  on a frequency grid (default: 256 frequencies i / (4R), R the spread of p·x); p is given or the first
  principal direction of x (Xu et al. 2019, the projection method).
- "filtering" (any inputs): a bank of nested Gaussian low-pass filters G_δ (`fpcheck.empirics.filtering`, δ in
  units of the median squared pairwise distance) at δ_1 > … > δ_m splits a function v into m + 1 bands from
  low to high frequency, B_0 = G_{δ_1} v, B_j = G_{δ_{j+1}} v − G_{δ_j} v, B_m = v − G_{δ_m} v (the low/high
  split of Xu et al. 2019 at one δ_j is B_0 + … + B_{j-1} against the rest). Per band the relative error
  e_j(t) = ‖B_j(h_t − y)‖ / ‖B_j(y)‖ and its convergence step: the first observed step at which e_j(t) falls
  below `band_threshold` × e_j(t_0) (relative to the start, because the network's output at the first
  observation may already hold some of the low bands).

Every method writes `convergence_step` against the item (the peak's frequency, or the band's index 0 … m) and
`final_relative_error` ‖h_T − y‖ / ‖y‖ (the fit criterion). The F-Principle's order rule reads the first
(`fpcheck.reports.monitor_claim`). What cannot be judged is refused with one line (`MonitorError`): fewer
than MIN_ITEMS peaks or bands, a constant target, predictions of the wrong shape, NaN or inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import signal

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.filtering import gaussian_lowpass, median_squared_distance
from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.projection import projected_spectrum, unit_direction
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.snapshots import first_below, step_at
from fpcheck.empirics.spectra import convergence_steps, fourier_coefficients
from fpcheck.errors import FpcheckError
from fpcheck.tables import ALL_SEEDS, Measurement, concat, tidy

Method = Literal["dft", "projection", "filtering"]
PEAK_FLOOR = 0.1
MAX_PEAKS = 8
MIN_ITEMS = 4
GRID_TOLERANCE = 1e-4
"""Spacings within this fraction of their mean count as a uniform grid."""
PROJECTION_FREQUENCIES = 256
MAX_POINTS = 20_000
MAX_OBSERVATIONS = 100_000


class MonitorError(FpcheckError, ValueError):
    """Monitor input that cannot be judged (too few peaks, a constant target, a wrong shape, NaN)."""


@dataclass(frozen=True, kw_only=True)
class MonitorSetup(Setup):
    """The analysis of a recording (module doc); `seeds` is 1: a recording is one run."""

    method: Method = "dft"
    threshold: float = param(0.1, positive=True, at_most=10.0, analysis=True)
    band_threshold: float = param(0.5, positive=True, at_most=1.0, analysis=True)
    delta_ratios: tuple[float, ...] = param((1.0, 0.316, 0.1, 0.0316), positive=True, at_most=100.0, max_length=12,
                                            analysis=True)
    direction: tuple[float, ...] = param((0.0,), max_length=10_000, analysis=True)
    """The projection's direction; (0.0,) means the first principal direction of the inputs."""
    fit_level: float = param(0.5, positive=True, at_most=10.0, analysis=True)
    seeds: int = param(1, at_least=1, at_most=1)


@dataclass(frozen=True, kw_only=True)
class Recording(Result):
    """One run: inputs (n, d), targets (n, c), steps (T,), predictions (T, n, c), all float64 (steps int64)."""

    inputs: np.ndarray
    targets: np.ndarray
    steps: np.ndarray
    predictions: np.ndarray


def recording(inputs: np.ndarray, targets: np.ndarray, steps: np.ndarray, predictions: np.ndarray) -> Recording:
    """A checked recording: inputs (n,) or (n, d), targets (n,) or (n, c), steps (T,) increasing integers,
    predictions (T, n) or (T, n, c); one line naming the problem otherwise."""
    x = _finite("inputs", inputs)
    y = _finite("targets", targets)
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise MonitorError(f"inputs {x.shape} and targets {y.shape} must be (n,) or (n, d) with the same n")
    n = x.shape[0]
    if not MIN_ITEMS * 2 <= n <= MAX_POINTS:
        raise MonitorError(f"{n} evaluation points: the monitor takes {MIN_ITEMS * 2} … {MAX_POINTS}")
    if np.ptp(y, axis=0).max() == 0:
        raise MonitorError("the target is constant: it has no frequencies to learn")
    h = _finite("predictions", predictions)
    if h.ndim == 2 and y.shape[1] == 1:
        h = h[:, :, None]
    if h.ndim != 3 or h.shape[1:] != y.shape:
        raise MonitorError(f"predictions have shape {h.shape}; expected (observations, {n}) or "
                           f"(observations, {n}, {y.shape[1]}), the targets' shape per observation")
    s = np.asarray(steps)
    if s.ndim != 1 or s.size != h.shape[0] or s.dtype.kind not in "iu":
        raise MonitorError(f"steps must be {h.shape[0]} integers, one per observation, not {s.dtype} of shape "
                           f"{s.shape}")
    if not 2 <= s.size <= MAX_OBSERVATIONS:
        raise MonitorError(f"{s.size} observations: the monitor needs 2 … {MAX_OBSERVATIONS}")
    if np.any(np.diff(s) <= 0):
        raise MonitorError("steps must increase from one observation to the next")
    return Recording(seeds=(0,), inputs=x, targets=y, steps=s.astype(np.int64), predictions=h)


def _finite(name: str, values: np.ndarray) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MonitorError(f"{name} are not numbers ({error})") from None
    if array.size == 0:
        raise MonitorError(f"{name} are empty")
    if not np.all(np.isfinite(array)):
        raise MonitorError(f"{name} hold NaN or inf")
    return array


def uniform_grid(x: np.ndarray) -> PeriodicGrid | None:
    """The grid of sorted 1D inputs x (n, 1) if their spacings are uniform (GRID_TOLERANCE), else None."""
    if x.shape[1] != 1:
        return None
    points = np.sort(x[:, 0])
    spacing = np.diff(points)
    mean = spacing.mean()
    if mean <= 0 or np.max(np.abs(spacing - mean)) > GRID_TOLERANCE * mean:
        return None
    return PeriodicGrid(points.size, float(points[0]), float(mean * points.size))


def choose_method(record: Recording) -> Method:
    """"dft" for 1D inputs on a uniform grid, "filtering" otherwise."""
    return "dft" if uniform_grid(record.inputs) is not None else "filtering"


def clear_peaks(magnitudes: np.ndarray) -> np.ndarray:
    """Indices of the clear peaks of a magnitude curve (module doc), in increasing order; index 0 may be one."""
    largest = float(magnitudes.max())
    padded = np.concatenate([[0.0], magnitudes, [0.0]])
    found, properties = signal.find_peaks(padded, height=PEAK_FLOOR * largest, prominence=PEAK_FLOOR * largest)
    kept = found[np.argsort(properties["peak_heights"])[::-1][:MAX_PEAKS]]
    return np.sort(kept - 1)


def _per_peak(record: Recording, setup: MonitorSetup, spectra: np.ndarray, target: np.ndarray,
              frequencies: np.ndarray, what: str) -> Measurement:
    """The per-peak measurement from the predictions' spectra (T, F, c) and the target's (F, c)."""
    peaks = clear_peaks(np.linalg.norm(target, axis=1))
    if peaks.size < MIN_ITEMS:
        raise MonitorError(f"the target has {peaks.size} clear spectral peak(s) ({what}); the order rule needs at "
                           f"least {MIN_ITEMS} (a random order of fewer passes it too often): use the filtering method")
    errors = np.linalg.norm(spectra[:, peaks] - target[peaks], axis=2) / np.linalg.norm(target[peaks], axis=1)
    converged = convergence_steps(record.steps, errors, setup.threshold)
    k = frequencies[peaks]
    frames = [tidy(0, "convergence_step", converged, x=k), _fit_row(record),
              tidy(ALL_SEEDS, "peak_amplitude", np.linalg.norm(target[peaks], axis=1), x=k)]
    frames += [tidy(0, f"delta_f_{index}", errors[:, index], x=record.steps) for index in range(peaks.size)]
    never = int(np.sum(converged > record.steps[-1]))
    summary = (f"{what}: clear peaks at {', '.join(f'{value:.4g}' for value in k)}; converged (Δ_F < "
               f"{setup.threshold:g} to the end) at steps {', '.join(f'{value:g}' for value in converged)} "
               f"({never} never)")
    return Measurement(concat(frames), summary, artifacts={"items": k, "errors": errors, "label": "Δ_F",
                                                          "item_name": "frequency"})


def _fit_row(record: Recording):
    final = np.linalg.norm(record.predictions[-1] - record.targets) / np.linalg.norm(record.targets)
    return tidy(0, "final_relative_error", final)


def measure_dft(setup: MonitorSetup, record: Recording) -> Measurement:
    grid = uniform_grid(record.inputs)
    if grid is None:
        raise MonitorError("the dft method needs 1D inputs on a uniform grid: use filtering or projection")
    order = np.argsort(record.inputs[:, 0], kind="stable")
    target = fourier_coefficients(record.targets[order], grid, axis=0)[1:]
    spectra = fourier_coefficients(record.predictions[:, order], grid, axis=1)[:, 1:]
    frequencies = np.arange(1, target.shape[0] + 1, dtype=float)
    return _per_peak(record, setup, spectra, target, frequencies,
                     f"DFT on {grid.n} points (period {grid.period:.4g}, k in cycles per period)")


def principal_direction(x: np.ndarray) -> np.ndarray:
    """The first principal direction of the centred inputs (sign fixed: largest component positive)."""
    _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    direction = vt[0]
    return direction * np.sign(direction[np.argmax(np.abs(direction))])


def measure_projection(setup: MonitorSetup, record: Recording) -> Measurement:
    x = record.inputs
    if setup.direction == (0.0,):
        direction = principal_direction(x)
    else:
        try:
            direction = unit_direction(setup.direction, x.shape[1])
        except ValueError as error:
            raise MonitorError(f"direction: {error}") from None
    spread = float(np.ptp(x @ direction))
    if spread == 0:
        raise MonitorError("the inputs do not vary along the projection's direction")
    frequencies = np.arange(1, PROJECTION_FREQUENCIES + 1) / (4 * spread)
    target = projected_spectrum(x, record.targets, direction, frequencies)
    spectra = np.stack([projected_spectrum(x, h, direction, frequencies) for h in record.predictions])
    return _per_peak(record, setup, spectra, target, frequencies,
                     "projection along p = (" + ", ".join(f"{v:.3g}" for v in direction[:6])
                     + (", …" if direction.size > 6 else "") + "), ξ in cycles per unit length")


def bands(x: np.ndarray, values: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """The m + 1 bands of `values` (n, k) under the filters at δ_1 > … > δ_m (module doc): (m + 1, n, k)."""
    low = gaussian_lowpass(x, values, deltas)
    return np.concatenate([low[:1], np.diff(low, axis=0), (values - low[-1])[None]])


def measure_filtering(setup: MonitorSetup, record: Recording) -> Measurement:
    ratios = np.sort(np.asarray(setup.delta_ratios, dtype=float))[::-1]
    if np.unique(ratios).size + 1 < MIN_ITEMS:
        raise MonitorError(f"{np.unique(ratios).size} distinct δ make {np.unique(ratios).size + 1} bands; the order "
                           f"rule needs at least {MIN_ITEMS}")
    x, y = record.inputs, record.targets
    median = median_squared_distance(x)
    deltas = ratios * median
    residuals = record.predictions - y  # (T, n, c)
    n, c = y.shape
    stacked = np.concatenate([y, np.moveaxis(residuals, 0, 1).reshape(n, -1)], axis=1)
    split = bands(x, stacked, deltas)  # (B, n, c (1 + T))
    target_norm = np.linalg.norm(split[:, :, :c], axis=(1, 2))
    if np.any(target_norm <= 1e-6 * np.linalg.norm(y)):
        empty = np.flatnonzero(target_norm <= 1e-6 * np.linalg.norm(y)).tolist()
        raise MonitorError(f"the target has no energy in band(s) {empty} of δ/median = {ratios.tolist()}: choose "
                           "other delta_ratios")
    residual_bands = split[:, :, c:].reshape(split.shape[0], n, -1, c)
    errors = (np.linalg.norm(residual_bands, axis=(1, 3)) / target_norm[:, None]).T  # (T, B)
    first = first_below(errors / errors[:1], setup.band_threshold)
    converged = step_at(record.steps, first)
    items = np.arange(split.shape[0], dtype=float)
    frames = [tidy(0, "convergence_step", converged, x=items), _fit_row(record),
              tidy(ALL_SEEDS, "band_target_fraction", target_norm / np.linalg.norm(y), x=items)]
    frames += [tidy(0, f"band_error_{index}", errors[:, index], x=record.steps) for index in range(items.size)]
    summary = (f"filtering: {items.size} bands from nested Gaussian filters at δ/median = "
               f"{', '.join(f'{r:.3g}' for r in ratios)} (median squared distance {median:.4g}); each band's "
               f"error first fell below {setup.band_threshold:g} × its first value at steps "
               f"{', '.join(f'{value:g}' for value in converged)} (band 0 lowest)")
    return Measurement(concat(frames), summary, artifacts={"items": items, "errors": errors,
                                                          "label": "e_band / e_band(t₀)", "item_name": "band"})


MEASURES = {"dft": measure_dft, "projection": measure_projection, "filtering": measure_filtering}


def replay(setup: MonitorSetup, seeds: tuple[int, ...]) -> Recording:
    """Not a training run: a recording comes from the user's own loop (`fpcheck.monitor`)."""
    raise MonitorError("a monitor recording is observed, not run: use fpcheck.monitor.FrequencyMonitor")


MONITOR = Experiment("monitor", MonitorSetup, Recording, "fpcheck.empirics.monitoring:replay",
                     "predictions observed in the user's own training loop")
