"""The claim a frequency monitor checks (`fpcheck.monitor`): the F-Principle's order on the user's own run.

The measurement is one of the three methods of `fpcheck.empirics.monitoring` (a DFT on a uniform 1D grid, the
projection along a direction, the band filters); the rule is the catalogue's order rule of Xu et al. 2019
(`xu2019.fprinciple-1d`): Spearman's ρ between the item (a peak's frequency, or a band's index from low to
high) and its convergence step is at least 0.9 (per-seed null: the exact chance that a random order passes,
e.g. 1/24 for four items); the fit criterion is ‖h_T − y‖/‖y‖ ≤ `fit_level` on the evaluation inputs: a run that
did not fit its target proves nothing. A user's run has no control fpcheck can choose (the claim says so in
`uncontrolled`): the control of the catalogue (a Sobolev or a high-part-weighted loss) is something to run in
one's own loop, as docs/monitor.md shows.
"""

from __future__ import annotations

from fpcheck.empirics.monitoring import MEASURES, MONITOR, MonitorSetup, Recording
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import monitor as figures
from fpcheck.reports.rules import Bound, Order
from fpcheck.tables import Measurement, Prediction, concat, produces

ORDER_THRESHOLD = 0.9
SOURCE = ("Xu, Zhang, Luo, Xiao, Ma 2019, \"Frequency principle: Fourier analysis sheds light on deep neural "
          "networks\", arXiv:1901.06523 (the DFT, projection and filtering methods)")
UNCONTROLLED = ("a user's own training run: fpcheck cannot choose its control; train the same loop on a loss that "
                "reverses the order (the Sobolev loss, or the high-part-weighted loss) and monitor it too "
                "(docs/monitor.md)")


@produces("convergence_step", "final_relative_error")
def measure(setup: MonitorSetup, record: Recording) -> Measurement:
    return MEASURES[setup.method](setup, record)


@produces()
def predict(setup: MonitorSetup, record: Recording) -> Prediction:
    items = "bands (from low to high frequency)" if setup.method == "filtering" else "spectral peaks of the target"
    return Prediction(concat([]), f"F-Principle: the {items} converge from low to high frequency: Spearman ρ(item, "
                      f"convergence step) ≥ {ORDER_THRESHOLD}")


def monitor_claim(name: str, setup: MonitorSetup) -> Claim:
    """The claim `monitor.<name>` with `setup` as its setup (both profiles)."""
    return Claim(
        id=f"monitor.{name}", version=1, source=SOURCE,
        statement=f"The run fits its target from low to high frequency ({setup.method} method).",
        expected="agree", expected_reason="the F-Principle: deep networks fit low frequencies first",
        experiment=MONITOR, setups={"quick": setup, "paper": setup}, predict=predict, measure=measure,
        rules=(Order("convergence_step", ORDER_THRESHOLD),), fit=(Bound("final_relative_error", setup.fit_level),),
        uncontrolled=UNCONTROLLED, figures=figures.monitor, origin="monitor", share=1.0,
    )
