"""The documentation is self-contained and current: the catalogue page matches the registry, every
`docs/<page>.md §N` cited in the code exists with that section, and nothing cites a file the repository
does not hold."""

from __future__ import annotations

import re
from pathlib import Path

from fpcheck.reports.catalogue import claims
from fpcheck.reports.catalogue_page import catalogue_markdown

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [path for folder in ("theory", "empirics", "reports", "fpcheck", "tests", "benchmarks", "docs")
           for path in sorted((ROOT / folder).rglob("*")) if path.suffix in (".py", ".md")] + [ROOT / "README.md"]


def test_the_catalogue_page_is_current():
    page = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    assert page == catalogue_markdown(), "regenerate: python -m fpcheck.reports.catalogue_page > docs/catalogue.md"
    for claim_id in claims():
        assert f"`{claim_id}`" in page


def test_no_file_cites_a_document_the_repository_does_not_hold():
    cited = re.compile(r"\b(DESIGN|CLAIMS|FORMULAS)(\.md|\s§)")
    offenders = [str(path.relative_to(ROOT)) for path in SOURCES
                 if path.name != "test_docs.py" and cited.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_cited_docs_section_exists():
    sections = {}
    for page in (ROOT / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        sections[page.name] = {int(n) for n in re.findall(r"^## (\d+)\.", text, flags=re.MULTILINE)}
    missing = []
    for path in SOURCES:
        for page, number in re.findall(r"docs/(\w+\.md)(?: §(\d+))?", path.read_text(encoding="utf-8")):
            if page not in sections or (number and int(number) not in sections[page]):
                missing.append(f"{path.relative_to(ROOT)}: docs/{page} §{number}")
    assert missing == []
