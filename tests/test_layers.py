"""The layer rule of DESIGN.md: theory imports neither torch, empirics nor reports; empirics not reports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"theory": {"torch", "empirics", "reports"}, "empirics": {"reports"}}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at any depth of the file (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"{layer}/ has no modules"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[layer]) for path in files
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_the_checker_sees_a_lazy_import(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    import torch.nn as nn\n    from reports.claim import Claim\n")
    assert {"torch", "reports"} <= imported_modules(module)
