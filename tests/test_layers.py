"""The layer rule: fpcheck.theory imports neither torch, fpcheck.empirics nor fpcheck.reports;
fpcheck.empirics does not import fpcheck.reports; fpcheck.reports imports no torch. No module of the
checkout imports a bare `theory`, `empirics` or `reports` (that would load a second copy, with a second
claim registry)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("theory", "empirics", "reports")
FORBIDDEN = {"theory": {"torch", "empirics", "reports"}, "empirics": {"reports"}, "reports": {"torch"}}


def _package_of(path: Path) -> list[str]:
    """The dotted package of a module file of the checkout, e.g. ['fpcheck', 'reports', 'claims']."""
    parts = list(path.relative_to(ROOT).parent.parts)
    return parts if parts and parts[0] == "fpcheck" else ["fpcheck", *parts]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports too), as dotted names with
    relative imports resolved and the `fpcheck.` prefix dropped ('torch.nn', 'reports.claim', ...)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(path)[: len(_package_of(path)) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
    return {name.removeprefix("fpcheck.") for name in names}


def layers_imported(path: Path) -> set[str]:
    """The top-level names (layers of fpcheck, or third-party packages) a file imports."""
    return {name.split(".")[0] for name in imported_modules(path)}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"{layer}/ has no modules"
    offenders = {str(path.relative_to(ROOT)): sorted(layers_imported(path) & FORBIDDEN[layer]) for path in files}
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_no_module_imports_a_bare_layer():
    files = [path for folder in (*LAYERS, "fpcheck", "tests", "benchmarks", "examples")
             for path in sorted((ROOT / folder).rglob("*.py"))]
    bare = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            hits = [name for name in names if name.split(".")[0] in LAYERS]
            if hits:
                bare.setdefault(str(path.relative_to(ROOT)), []).extend(hits)
    assert bare == {}


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    module = ROOT / "reports" / "_layer_probe.py"
    module.write_text("def f():\n    import torch.nn as nn\n    from .claim import Claim\n"
                      "    from ..theory import stages\n")
    try:
        assert imported_modules(module) >= {"torch.nn", "reports.claim", "theory"}
        assert layers_imported(module) >= {"torch", "reports", "theory"}
    finally:
        module.unlink()


def test_the_verdict_layer_and_every_claim_import_without_torch():
    code = (
        "import sys, importlib, fpcheck, fpcheck.reports, fpcheck.reports.cli, fpcheck.reports.claims as c\n"
        "import fpcheck.reports.verification, fpcheck.reports.task, fpcheck.reports.render, fpcheck.reports.compare\n"
        "for name in c.SOURCES: importlib.import_module(f'fpcheck.reports.claims.{name}')\n"
        "import fpcheck.reports.catalogue as k; k.claims()\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert done.stdout.strip() == "False", done.stderr


def test_only_the_fpcheck_namespace_is_installed():
    """From a folder outside the checkout, `import fpcheck` works and no bare layer module exists."""
    done = subprocess.run([sys.executable, "-c", "import fpcheck; print(fpcheck.verify.__module__)"],
                          capture_output=True, text=True, check=True, cwd="/")
    assert done.stdout.strip() == "fpcheck.reports.verification"
    for bare in LAYERS:
        missing = subprocess.run([sys.executable, "-c", f"import {bare}"], capture_output=True, text=True, cwd="/")
        assert missing.returncode != 0 and "ModuleNotFoundError" in missing.stderr, bare
