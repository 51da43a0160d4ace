"""The derivation registry behind `fpcheck derive` and the claim reports."""

from __future__ import annotations

import pytest

from fpcheck.reports.cli import main
from fpcheck.reports.derivations import DERIVATIONS, render
from fpcheck.theory.derivation import failing_steps
from fpcheck.theory.stages import derivation_steps


@pytest.mark.parametrize(
    ("name", "activation"), [(name, act) for name, entry in DERIVATIONS.items() for act in entry.activations]
)
def test_every_derivation_renders_numbered_steps_for_each_activation(name, activation):
    text = render(name, activation=activation)
    assert "(1) " in text and "(2) " in text
    latex = render(name, activation=activation, latex=True)
    assert "\\[" in latex


@pytest.mark.parametrize("activation", DERIVATIONS["three-stages"].activations)
def test_three_stages_steps_hold(activation):
    assert failing_steps(derivation_steps(activation)) == []


def test_unknown_name_or_activation_is_bad_input(capsys):
    with pytest.raises(ValueError, match="valid names"):
        render("nope")
    with pytest.raises(ValueError, match="covers activations relu"):
        render("relu-spectrum", activation="tanh")
    assert main(["derive", "relu-spectrum", "--activation", "tanh"]) == 2
    assert "covers activations relu" in capsys.readouterr().err


def test_derive_prints_the_steps(capsys):
    assert main(["derive", "three-stages", "--activation", "logistic"]) == 0
    out = capsys.readouterr().out
    assert "one-hidden-layer logistic network" in out and "(1) " in out
