"""fpcheck.monitor: a plain hand-written training loop (no fpcheck engine) judged by the FrequencyMonitor, the same
run through PyTorch Lightning with the monitor's callback, its reversal by a Sobolev loss whose s comes from the
empirical NTK, the filtering method on 64-dimensional digits and its reversal by a band-weighted loss, the
methods' measurements against closed forms, the refusals of what cannot be judged, and `fpcheck monitor
PREDICTIONS.npz`."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch

from fpcheck.empirics.filtering import lowpass_matrix, median_squared_distance
from fpcheck.empirics.monitoring import MonitorError, bands, clear_peaks
from fpcheck.monitor import FrequencyMonitor, load_predictions
from fpcheck.reports.cli import main
from fpcheck.reports.rules import order_null_probability

N = 64
PEAKS = (1, 3, 5, 7, 9)
GRID = -np.pi + 2 * np.pi * np.arange(N) / N
TARGET = sum(np.sin(k * GRID) for k in PEAKS)


def tanh_network(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(1, 128), torch.nn.Tanh(), torch.nn.Linear(128, 128), torch.nn.Tanh(),
                               torch.nn.Linear(128, 1))


def sobolev_weights(s: float) -> torch.Tensor:
    """(1 + k²)^s on the rfft bins, capped at the highest peak (k in cycles per period = angular on [-π, π))."""
    k = torch.fft.rfftfreq(N, 1.0 / N)
    return (1 + torch.minimum(k, torch.tensor(float(PEAKS[-1]))) ** 2) ** s


def ntk_sobolev_exponent(seed: int) -> float:
    """The smallest multiple of 0.5 at which the empirical NTK's rates λ_k (1 + k²)^s rise along the peaks,
    λ_k the Rayleigh quotient of the kernel J Jᵀ at initialisation along e^{ikx} (autograd Jacobian)."""
    network = tanh_network(seed)
    inputs = torch.tensor(GRID, dtype=torch.float32)[:, None]
    params = dict(network.named_parameters())

    def outputs(p: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.func.functional_call(network, p, (inputs,))[:, 0]

    jacobian = torch.func.jacrev(outputs)(params)
    flat = torch.cat([j.reshape(N, -1) for j in jacobian.values()], dim=1).double()
    kernel = (flat @ flat.T).detach().numpy()
    modes = np.exp(1j * np.outer(GRID, PEAKS))
    rates = np.real(np.einsum("ik,ij,jk->k", modes.conj(), kernel, modes)) / N
    k = np.asarray(PEAKS, dtype=float)
    return next(s for s in np.arange(0.5, 8.0, 0.5) if np.all(np.diff(rates * (1 + k**2) ** s) > 0))


def train_and_monitor(seed: int, s: float = 0.0, steps: int = 4000) -> FrequencyMonitor:
    """A plain Adam loop on the MSE (s = 0) or the Sobolev loss Σ_k w_k |r̂_k|² (s > 0), observed every 10 steps."""
    network = tanh_network(seed)
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    inputs = torch.tensor(GRID, dtype=torch.float32)[:, None]
    target = torch.tensor(TARGET, dtype=torch.float32)
    weights = sobolev_weights(s)
    monitor = FrequencyMonitor(GRID, TARGET)
    for step in range(steps):
        if step % 10 == 0:
            monitor.observe_model(step, network)
        residual = network(inputs)[:, 0] - target
        loss = (weights * torch.fft.rfft(residual).abs() ** 2).sum() / N**2 if s else torch.mean(residual**2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    monitor.observe_model(steps, network)
    return monitor


@pytest.fixture(scope="module")
def fitted() -> FrequencyMonitor:
    return train_and_monitor(seed=1)


def test_a_hand_written_loop_fits_low_frequencies_first(fitted: FrequencyMonitor, tmp_path) -> None:
    assert fitted.method == "dft"
    result = fitted.result()
    steps = result.convergence_steps()
    assert steps["item"].tolist() == list(PEAKS)  # the clear peaks found are the target's
    assert result.verdict == "agree", result.explanation
    assert result.null_pass_probability == pytest.approx(order_null_probability(5, 0.9)) == pytest.approx(5 / 120)
    out = result.write_report(tmp_path / "run")
    verdicts = json.loads((out / "verdicts.json").read_text())
    assert verdicts[0]["verdict"] == "agree" and verdicts[0]["controls"] == [] and verdicts[0]["uncontrolled"]
    assert "monitor.run" in (out / "report.md").read_text()
    assert load_predictions(out / "recording.npz").predictions.shape == (401, N, 1)


def test_the_lightning_callback_records_what_the_hand_written_loop_records(fitted: FrequencyMonitor) -> None:
    """The same network, optimiser and data trained by a pytorch_lightning.Trainer with the monitor's callback
    (every 10 steps): the same steps and the same predictions as the hand-written loop's observations (both do
    zero_grad, backward and step on the full batch), so the same verdict; the module is left in train mode."""
    import pytorch_lightning as lightning  # a test extra (`make test` installs it), never a dependency of fpcheck

    class Fit(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.network = tanh_network(seed=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.network(x)

        def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
            inputs, target = batch
            return torch.mean((self(inputs)[:, 0] - target) ** 2)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    steps = 4000
    batch = (torch.tensor(GRID, dtype=torch.float32)[:, None], torch.tensor(TARGET, dtype=torch.float32))
    loader = torch.utils.data.DataLoader([batch] * steps, batch_size=None)
    monitor, module = FrequencyMonitor(GRID, TARGET), Fit()
    trainer = lightning.Trainer(max_steps=steps, callbacks=[monitor.lightning_callback(every=10)], logger=False,
                                enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                                accelerator="cpu", devices=1)
    trainer.fit(module, loader)
    recorded, expected = monitor.recording(), fitted.recording()
    np.testing.assert_array_equal(recorded.steps, expected.steps)
    np.testing.assert_allclose(recorded.predictions, expected.predictions, rtol=0, atol=1e-5)
    assert module.training and monitor.result().verdict == fitted.result().verdict == "agree"
    with pytest.raises(MonitorError, match="every must be a positive integer"):
        monitor.lightning_callback(every=0)


def test_the_sobolev_loss_chosen_from_the_empirical_ntk_reverses_the_verdict() -> None:
    s = ntk_sobolev_exponent(seed=1)
    assert 0.5 <= s <= 3.0
    result = train_and_monitor(seed=1, s=s).result()
    assert result.verdict == "diverge", (s, result.explanation, result.summary)
    steps = result.convergence_steps()["convergence_step"].to_numpy()
    assert steps[-1] < steps[0]  # k = 9 before k = 1: the order reversed, not only weakened


DIGIT_RATIOS = (1.0, 0.316, 0.1)
"""The filters' δ / median squared distance: four bands holding 32 %, 10 %, 39 % and 52 % of the target's norm."""


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """500 of scikit-learn's bundled 8 × 8 digits (64 dimensions, pixel values / 16) and their one-hot labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    chosen = np.random.default_rng(0).choice(len(data.data), 500, replace=False)
    return data.data[chosen] / 16.0, np.eye(10)[data.target[chosen]]


def band_operators(x: np.ndarray) -> torch.Tensor:
    """The monitor's bands as matrices (B, n, n): G_1, G_2 - G_1, G_3 - G_2, I - G_3 (`fpcheck.empirics.monitoring`)."""
    median = median_squared_distance(x)
    lows = [lowpass_matrix(x, ratio * median) for ratio in DIGIT_RATIOS]
    operators = [lows[0], *(high - low for low, high in itertools.pairwise(lows)), np.eye(len(x)) - lows[-1]]
    return torch.tensor(np.stack(operators), dtype=torch.float32)


def digits_network(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.Tanh(), torch.nn.Linear(256, 256), torch.nn.Tanh(),
                               torch.nn.Linear(256, 10))


def band_quotients(network: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                   operators: torch.Tensor) -> np.ndarray:
    """The empirical NTK's Rayleigh quotient along each band of the target, ‖Jᵀ v‖² / ‖v‖² with v = B_j y (one
    vector-Jacobian product per band, autograd)."""
    outputs = network(inputs)
    quotients = []
    for operator in operators:
        band = operator @ targets
        gradients = torch.autograd.grad((outputs * band).sum(), list(network.parameters()), retain_graph=True)
        quotients.append(float(sum((g.double() ** 2).sum() for g in gradients) / (band.double() ** 2).sum()))
    return np.array(quotients)


def train_digits(x: np.ndarray, y: np.ndarray, seed: int, weighted: bool, steps: int = 3000) -> FrequencyMonitor:
    """Plain full-batch gradient descent on the MSE (step 1.0) or on the band-weighted loss Σ_j w_j ‖B_j r‖² / (n c)
    with w_j = (q_0/q_j)^p, p the smallest multiple of 0.5 at which the predicted rates w_j q_j rise along the
    bands (q_j: `band_quotients` at initialisation), at the step 0.5 / max_j (w_j q_j / q_0) (the MSE's step over
    the fastest predicted rate; 1.0 / that diverged in the pilot, seeds 1000-1002). Observed at every step up to
    99, then every 10."""
    network, operators = digits_network(seed), band_operators(x)
    inputs, targets = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    lr, weights = 1.0, None
    if weighted:
        quotients = band_quotients(network, inputs, targets, operators)
        power = next(p for p in np.arange(0.5, 8.0, 0.5) if np.all(np.diff((quotients[0] / quotients) ** p
                                                                           * quotients) > 0))
        rates = (quotients[0] / quotients) ** power * quotients / quotients[0]
        lr, weights = 0.5 / float(rates.max()), torch.tensor((quotients[0] / quotients) ** power, dtype=torch.float32)
    optimiser = torch.optim.SGD(network.parameters(), lr=lr)
    monitor = FrequencyMonitor(x, y, method="filtering", delta_ratios=DIGIT_RATIOS)
    for step in range(steps):
        if step < 100 or step % 10 == 0:
            monitor.observe_model(step, network)
        residual = network(inputs) - targets
        if weights is None:
            loss = torch.mean(residual**2)
        else:
            loss = (weights[:, None, None] * torch.matmul(operators, residual) ** 2).sum() / residual.numel()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    monitor.observe_model(steps, network)
    return monitor


def test_the_filtering_method_on_digits_and_its_reversal_by_a_band_weighted_loss(digits) -> None:
    """High-dimensional data (64-dimensional digits) through the filtering method: gradient descent on the MSE
    fits the four bands low to high (agree); on the band-weighted loss whose weights the empirical NTK says
    reverse the rates, the verdict is diverge and the lowest band converges after the highest, not only later.
    Pilot (seeds 1000-1002): MSE bands at steps 5-10, 10-11, 34-37, 2710-2940 (ρ = 1); weighted 450-730, 1,
    8, 130-150 (ρ = -0.2: the middle bands stay early, the bands are not the kernel's eigenspaces)."""
    x, y = digits
    plain = train_digits(x, y, seed=7, weighted=False).result()
    assert plain.verdict == "agree", plain.summary
    assert plain.null_pass_probability == pytest.approx(order_null_probability(4, 0.9)) == pytest.approx(1 / 24)
    weighted = train_digits(x, y, seed=7, weighted=True).result()
    assert weighted.verdict == "diverge", weighted.summary
    steps = weighted.convergence_steps()["convergence_step"].to_numpy()
    assert steps[-1] < steps[0], steps  # the highest band before the lowest


def test_delta_f_is_the_complex_difference_of_dft_coefficients() -> None:
    """A prediction with each peak's phase shifted by φ_k: Δ_F = |e^{iφ} - 1| = 2 |sin(φ/2)| (closed form)."""
    phases = np.array([0.1, 0.4, 0.8, 1.6, 3.0])
    shifted = sum(np.sin(k * GRID + phase) for k, phase in zip(PEAKS, phases, strict=True))
    monitor = FrequencyMonitor(GRID, TARGET)
    monitor.observe(0, np.zeros(N))
    monitor.observe(1, shifted)
    table = monitor.result().table
    for index, phase in enumerate(phases):
        rows = table[table["quantity"] == f"delta_f_{index}"]
        assert rows["value"].iloc[-1] == pytest.approx(2 * abs(np.sin(phase / 2)), abs=1e-9)


def test_the_projection_method_finds_the_peaks_along_a_direction() -> None:
    """y = Σ_j sin(2π ξ_j p·x) on Gaussian points of R³: |ŷ_p| peaks at the ξ_j (its Fourier transform)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 3))
    p = np.array([1.0, 2.0, 2.0]) / 3
    frequencies = (0.5, 1.0, 1.5, 2.0)
    y = sum(np.sin(2 * np.pi * xi * (x @ p)) for xi in frequencies)
    monitor = FrequencyMonitor(x, y, method="projection", direction=tuple(p))
    monitor.observe(0, np.zeros_like(y))
    monitor.observe(5, y)
    result = monitor.result()
    found = result.convergence_steps()["item"].to_numpy()
    assert found.size == 4
    spread = np.ptp(x @ p)
    assert np.all(np.abs(found - np.array(frequencies)) <= 1 / (4 * spread) + 0.06)  # grid step + broadening
    assert result.verdict == "inconclusive"  # every peak converges at the same step: the order is undetermined


def test_bands_sum_to_the_function() -> None:
    rng = np.random.default_rng(3)
    x, v = rng.normal(size=(200, 5)), rng.normal(size=(200, 2))
    split = bands(x, v, np.array([4.0, 1.0, 0.3]))
    assert split.shape == (4, 200, 2)
    assert np.allclose(split.sum(axis=0), v, atol=1e-10)


def test_clear_peaks_ignore_a_spectrum_without_peaks() -> None:
    assert clear_peaks(1.0 / np.arange(1, 30) ** 2).tolist() == [0]  # monotone: only its first bin
    assert clear_peaks(np.array([0.0, 1.0, 0.0, 0.05, 0.0, 2.0])).tolist() == [1, 5]  # 0.05 < 10 % of the largest


@pytest.mark.parametrize(("targets", "predictions", "message"), [
    (np.sin(GRID) + np.sin(3 * GRID), None, "clear spectral peak"),
    (np.ones(N), None, "constant"),
    (TARGET, np.zeros(N + 1), "shape"),
    (TARGET, np.full(N, np.nan), "NaN"),
])
def test_what_cannot_be_judged_is_refused_in_one_line(targets, predictions, message) -> None:
    with pytest.raises(MonitorError, match=message) as error:
        monitor = FrequencyMonitor(GRID, targets)
        monitor.observe(0, np.zeros(N) if predictions is None else predictions)
        monitor.observe(1, targets)
        monitor.result()
    assert "\n" not in str(error.value)


def test_fpcheck_monitor_on_saved_predictions(fitted: FrequencyMonitor, tmp_path, capsys) -> None:
    path = fitted.save(tmp_path / "predictions.npz")
    assert main(["monitor", str(path), "--out", str(tmp_path / "report"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "agree" and row["null_pass_probability"] == pytest.approx(5 / 120)
    assert (tmp_path / "report" / "report.html").stat().st_size > 0


@pytest.mark.parametrize("arrays", [
    {"inputs": GRID, "targets": TARGET, "steps": np.arange(2)},  # no predictions
    {"inputs": GRID, "targets": TARGET, "steps": np.array([1, 0]), "predictions": np.zeros((2, N))},
    {"inputs": GRID, "targets": TARGET, "steps": np.arange(2), "predictions": np.zeros((2, N, 3))},
    {"inputs": GRID, "targets": TARGET, "steps": np.arange(2.0), "predictions": np.zeros((2, N))},
    {"inputs": GRID, "targets": TARGET, "steps": np.arange(2), "predictions": np.full((2, N), np.inf)},
])
def test_a_malformed_predictions_file_is_one_line_and_exit_2(arrays, tmp_path, capsys) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    assert main(["monitor", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "out").exists()  # nothing written for a refused file
