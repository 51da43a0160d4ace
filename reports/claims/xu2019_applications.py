"""Claims of Xu, Zhang, Luo, Xiao, Ma 2019 on applications of the F-Principle (arXiv:1901.06523;
docs/catalogue.md).

- `xu2019.image-coarse-to-fine` (seeds 000 and 002): a network memorising a photograph fits its radial
  frequency bands from low to high (`fpcheck.empirics.image_family`);
- `xu2019.poisson-jacobi-dnn` (the Poisson equation; seed 002): Jacobi converges high frequencies first, a
  DNN on the Ritz energy low frequencies first, and DNN-then-Jacobi is faster than both
  (`fpcheck.empirics.poisson_race`, the per-mode Jacobi factor from `fpcheck.theory.jacobi`,
  docs/formulas.md §4).
"""

from __future__ import annotations

import numpy as np

from fpcheck.empirics import image_family, poisson_race
from fpcheck.empirics.image_family import ImageFit
from fpcheck.empirics.poisson_race import PoissonRace
from fpcheck.reports.catalogue import register
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import image_fit as image_figures
from fpcheck.reports.figures import poisson as poisson_figures
from fpcheck.reports.rules import Bound, Order
from fpcheck.tables import ALL_SEEDS, Prediction, concat, produces, tidy
from fpcheck.theory.jacobi import jacobi_sweeps_to_reduce

SOURCE = ("Xu, Zhang, Luo, Xiao, Ma 2019, \"Frequency principle: Fourier analysis sheds light on deep neural "
          "networks\", arXiv:1901.06523")


@produces()
def predict_image(setup: ImageFit, result: image_family.ImageFitResult) -> Prediction:
    return Prediction(concat([]), f"F-Principle: the {setup.bands} radial bands of the photograph converge in order "
                      "of frequency, ρ(band, convergence step) ≥ 0.9")


IMAGE = {"image": "china.jpg", "activation": "relu", "bands": 8, "threshold": 0.5}
register(Claim(
    id="xu2019.image-coarse-to-fine", version=1, source=f"{SOURCE}, the image example of seeds 000 and 002 (coarse "
    "to fine)",
    statement="A network trained to map a pixel's position (x, y) to the grey level of a real photograph learns the "
              "image from coarse to fine: its radial frequency bands converge in order, ρ(band, convergence step) "
              "≥ 0.9.",
    expected="agree",
    expected_reason="Seeds 000 and 002 show a DNN memorising an image from the rough outline to the details over "
                    "training, the F-Principle in two dimensions.",
    experiment=image_family.IMAGE_FIT,
    setups={"quick": ImageFit(**IMAGE, shape=(24, 36), hidden=(64, 64, 64), steps=1500, lr=0.005, snapshots=30,
                              seeds=3),
            "paper": ImageFit(**IMAGE, shape=(48, 72), hidden=(128, 128, 128, 128), steps=10000, lr=0.002,
                              snapshots=50, seeds=5)},
    predict=predict_image, measure=image_family.measure_coarse_to_fine,
    rules=(Order("band_convergence_step", 0.9),),
    figures=image_figures.coarse_to_fine,
))


@produces("jacobi_predicted_sweeps")
def predict_poisson(setup: PoissonRace, result: poisson_race.PoissonRaceResult) -> Prediction:
    """Weighted Jacobi multiplies mode k of the error by 1 - ω(1 - cos(πkh)) per sweep (docs/formulas.md §4)."""
    modes = np.array(setup.modes)
    sweeps = jacobi_sweeps_to_reduce(modes, setup.interior_points, setup.peak_threshold)
    return Prediction(tidy(ALL_SEEDS, "jacobi_predicted_sweeps", sweeps, x=modes),
                      f"weighted Jacobi (ω = 2/3) multiplies the error at peak k by 1 - ω(1 - cos(πkh)) per sweep: "
                      f"peaks k = {list(setup.modes)} fall below {setup.peak_threshold:g} after {sweeps.tolist()} "
                      "sweeps (highest first); the DNN, by the F-Principle, lowest first; DNN then Jacobi faster "
                      "than either")


POISSON = {"modes": (1, 5, 20), "amplitudes": (1.0, 0.2, 0.05), "tolerance": 0.01, "peak_threshold": 0.1,
           "activation": "tanh", "lr": 0.001, "eval_every": 25, "switch_step": 100}
register(Claim(
    id="xu2019.poisson-jacobi-dnn", version=1, source=f"{SOURCE}, § Poisson equation (Jacobi vs DNN, DNN-Jacobi); "
    "seed 002",
    statement="On -u'' = g with a three-peak solution, weighted Jacobi converges its highest peak first, a DNN trained "
              "on the Ritz energy its lowest first, and DNN-then-Jacobi reaches the max-error tolerance in less wall "
              "time than either alone.",
    expected="agree",
    expected_reason="Jacobi damps mode k by 1 - ω(1 - cos(πkh)) per sweep, slowest at low k; the DNN follows the "
                    "F-Principle; seed 002 shows the combination, switched once the DNN has the low frequencies, "
                    "beating both.",
    experiment=poisson_race.POISSON_RACE,
    setups={"quick": PoissonRace(**POISSON, interior_points=511, hidden=(64, 64, 64), dnn_steps=1500, check_every=200,
                                 max_sweeps=3_000_000, seeds=3),
            "paper": PoissonRace(**POISSON, interior_points=2047, hidden=(128, 128, 128), dnn_steps=2000,
                                 check_every=1000, max_sweeps=30_000_000, seeds=5)},
    predict=predict_poisson, measure=poisson_race.measure_race,
    rules=(Bound("jacobi_highest_first_lead", 1.0, above=True), Bound("dnn_lowest_first_lead", 1.0, above=True),
           Bound("hybrid_seconds", "jacobi_seconds"), Bound("hybrid_seconds", "dnn_seconds")),
    figures=poisson_figures.solver_race,
    notes=("The published example trains a 1-4000-500-400-1 network (seed 002). Here both profiles use small tanh "
           "networks: on a CPU a step of the published network on a thousand grid points costs more than ten "
           "thousand Jacobi sweeps, so a wall-time race would measure the hardware rather than which frequencies "
           "each solver converges first. The paper profile instead grows the grid (N = 2047), where Jacobi's slow "
           "low modes (about N² sweeps) dominate.",),
))
