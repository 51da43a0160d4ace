"""Every Python example of the README runs as written, and every CLI command it lists exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("number", range(len(PYTHON_BLOCKS)))
def test_python_example_runs(number, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(PYTHON_BLOCKS[number], f"README.md python block {number + 1}", "exec"), {"__name__": "readme"})


def test_every_cli_command_is_documented():
    commands = build_parser()._subparsers._group_actions[0].choices
    for command in commands:
        assert f"### `fpcheck {command}" in README, f"fpcheck {command} is not documented in the README"
