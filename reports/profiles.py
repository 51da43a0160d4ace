"""Profiles: named parameter sets (docs/design.md, "Profiles").

A profile is data, not a code path: each claim's `setups` map a profile name to its typed setup
(sizes, steps, seeds, optimiser, tolerances), and this module names the profiles and what they share
(the torch thread count every task fixes, so that its numbers do not depend on where it runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpcheck.errors import BadArgument


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    torch_threads: int


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        description="small nets, few seeds: the whole catalogue within 10 minutes on 2 cores, "
        "the same verdicts for the same reasons as the paper profile (one torch thread: its small "
        "tensors run slower with two, and two claims can then run side by side on the 2 cores)",
        torch_threads=1,
    ),
    "paper": Profile(
        name="paper",
        description="the published sizes, step counts and seed counts (the profile to scale out)",
        torch_threads=2,
    ),
}


def profile(name: str) -> Profile:
    """The profile called `name`, or BadArgument naming the valid ones."""
    if name not in PROFILES:
        raise BadArgument(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[name]
