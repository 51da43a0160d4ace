"""Every Python example of the README runs as written, and every CLI command it lists exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fpcheck.reports import catalogue
from fpcheck.reports.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("number", range(len(PYTHON_BLOCKS)))
def test_python_example_runs(number, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(catalogue.claims())
    try:
        exec(compile(PYTHON_BLOCKS[number], f"README.md python block {number + 1}", "exec"), {"__name__": "readme"})
    finally:  # a claim the example registers leaves the catalogue with the test
        for claim_id in set(catalogue.claims()) - before:
            catalogue._CATALOGUE.pop(claim_id)


def test_the_claim_declaration_example_is_undiscriminating_as_the_readme_says(tmp_path, monkeypatch):
    """The README's prose about its example's control states a measured outcome: keep the two in step."""
    (block,) = [block for block in PYTHON_BLOCKS if "readme.low-first" in block]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    try:
        exec(compile(block, "README.md claim example", "exec"), namespace)
    finally:
        catalogue._CATALOGUE.pop("readme.low-first", None)
    row = namespace["table"].loc[0]
    assert row["verdict"] == "agree" and row["status"] == "undiscriminating"
    assert row["controls"][0]["verdict"] != "diverge"
    assert "status is `undiscriminating`" in README


def test_every_cli_command_is_documented():
    commands = build_parser()._subparsers._group_actions[0].choices
    for command in commands:
        assert f"### `fpcheck {command}" in README, f"fpcheck {command} is not documented in the README"
