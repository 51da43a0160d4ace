"""The losses of the training engine (`fpcheck.empirics.ensemble.train_ensemble`), one value per seed.

Each loss maps the ensemble's outputs (S, N, d_out) (after the engine's readout, if any) and targets of
the same leading shape to a tensor of S per-seed losses; the engine minimises their sum, so each seed
follows its own gradient. `recorded(outputs)` is what the snapshots keep (the outputs themselves, or the
softmax probabilities of a classifier).

- `MeanSquaredError`: (1/(N d)) Σ (f - y)², without the ½.
- `SoftmaxCrossEntropy`: the mean over points of −log softmax(f)_y; targets hold the class index
  (S, N, 1) as floats; the snapshots record softmax probabilities.
- `RitzEnergy`: the discrete Ritz energy of -u'' = g on N interior points (Xu et al. 2019, Poisson):
  (1/2h) Σ_{i=0}^{N} (v_{i+1} - v_i)² - h Σ_i g_i v_i with v_0 = v_{N+1} = 0; its gradient in v is
  h (A v - g), so its minimiser is A⁻¹g. The targets are unused.
- `SobolevLoss`: Σ_k w_k |r̂_k|² over every frequency of the DFT of the residual r = f - y on a periodic
  grid, r̂_k = (1/N) Σ_j r_j e^{-2πikj/N} (−N/2 < k ≤ N/2, k in cycles per period), with the weight
  w_k = (1 + k²)^s, capped at (1 + cap²)^s above |k| = cap (Yu, Yang, Townsend 2023, "Tuning
  frequency bias in neural network training with nonuniform data", ICLR, arXiv:2205.14300). At s = 0 it
  equals the MSE (Parseval); s > 0 weights high frequencies up, s < 0 down. In the kernel regime it
  multiplies the gradient-descent rate of frequency k by w_k. Note the convention: k counts cycles per
  period; with the angular frequency 2πk/P the weight would change by (2π/P)^{2s}.
- `HighPassPenalty`: a base loss plus α (1/(N d)) ‖r_high‖², the high part of the residual
  r = recorded(f) - y under a fixed smoothing matrix G (r_high = r - G r, e.g. the row-normalised
  Gaussian of the filtering method, `fpcheck.empirics.filtering.lowpass_matrix`). On the mean squared
  error it is (1/(N d)) (‖r‖² + α ‖r_high‖²): in the kernel regime it multiplies the gradient-descent
  rate of the residual's high part by about 1 + α (the control of the filtering claims).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


class MeanSquaredError:
    name = "mse"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.mean((outputs - targets) ** 2, dim=(1, 2))

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs


class SoftmaxCrossEntropy:
    name = "softmax cross entropy"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        labels = targets[..., 0].long()
        return torch.nn.functional.cross_entropy(outputs.transpose(1, 2), labels, reduction="none").mean(dim=1)

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return torch.softmax(outputs, dim=-1)


@dataclass(frozen=True)
class RitzEnergy:
    """The discrete Ritz energy (module doc); `forcing` holds g at the N interior points."""

    forcing: torch.Tensor
    spacing: float
    name = "Ritz energy"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        values = outputs[..., 0]
        padded = torch.nn.functional.pad(values, (1, 1))
        differences = padded[:, 1:] - padded[:, :-1]
        return 0.5 / self.spacing * torch.sum(differences**2, dim=1) - self.spacing * torch.sum(
            self.forcing * values, dim=1)

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs


class SobolevLoss:
    """Σ_k (1 + k²)^s |r̂_k|² on a periodic grid of `points` points, weights capped above |k| = cap."""

    name = "Sobolev loss"

    def __init__(self, points: int, s: float, cap: int | None = None) -> None:
        if points < 2:
            raise ValueError(f"the Sobolev loss needs a periodic grid of ≥ 2 points, not {points}")
        k = torch.fft.fftfreq(points, d=1.0 / points, dtype=torch.float64).abs()
        if cap is not None:
            k = torch.clamp(k, max=float(cap))
        self.s = float(s)
        self.weights = ((1.0 + k**2) ** self.s).to(torch.float32)

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        residual = (outputs - targets)[..., 0]
        spectrum = torch.fft.fft(residual, dim=1) / residual.shape[1]
        return torch.sum(self.weights * (spectrum.real**2 + spectrum.imag**2), dim=1)

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs


class HighPassPenalty:
    """`base` + α (1/(N d)) Σ ‖r - G r‖², r = base.recorded(outputs) - `target` (module doc).

    `lowpass` is G (N, N), `target` the values the residual is taken against (N, d) (for a classifier the
    one-hot labels, the residual being that of the softmax probabilities). α = 0 is the base loss."""

    name = "high-pass penalty"

    def __init__(self, base: MeanSquaredError | SoftmaxCrossEntropy, lowpass: torch.Tensor, target: torch.Tensor,
                 alpha: float) -> None:
        if lowpass.dim() != 2 or lowpass.shape[0] != lowpass.shape[1] or target.dim() != 2 \
                or target.shape[0] != lowpass.shape[0]:
            raise ValueError(f"the smoothing matrix must be (N, N) and the target (N, d), not {tuple(lowpass.shape)} "
                             f"and {tuple(target.shape)}")
        if not alpha >= 0:
            raise ValueError(f"the weight α of the high part must be ≥ 0, not {alpha!r}")
        self.base, self.alpha = base, float(alpha)
        self.highpass = torch.eye(lowpass.shape[0], dtype=torch.float32) - lowpass.to(torch.float32)
        self.target = target.to(torch.float32)

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        residual = self.base.recorded(outputs) - self.target  # (S, N, d)
        members, points, width = residual.shape
        high = self.highpass @ residual.transpose(0, 1).reshape(points, members * width)  # one GEMM for all seeds
        return self.base(outputs, targets) + self.alpha * torch.mean(high.reshape(points, members, width) ** 2,
                                                                     dim=(0, 2))

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return self.base.recorded(outputs)


Loss = MeanSquaredError | SoftmaxCrossEntropy | RitzEnergy | SobolevLoss | HighPassPenalty
