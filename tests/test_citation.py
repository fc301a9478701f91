"""Licences, the citation file, and the landing page's "Cite this report" section."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from bookbuild import TEST_REPO_WEB, Build
from tokenrace.book import citation
from tokenrace.snapshot.paths import REPO_ROOT

CFFCONVERT = Path(sys.prefix) / "cff" / "bin" / "cffconvert"
CITE = citation.Citation(
    title="The race",
    authors=("The race editors",),
    as_of="2026-05-29",
    commit="0123456789abcdef0123456789abcdef01234567",
    url="https://github.com/example-newsroom/the-race",
)


def test_bibtex_names_the_snapshot_the_commit_and_the_repository() -> None:
    entry = citation.bibtex(CITE)
    assert entry.startswith("@misc{the_race_20260529,")
    assert "author       = {{The race editors}}" in entry
    assert "year         = {2026}" in entry
    assert "note         = {Data snapshot as of 2026-05-29; commit 0123456789ab}" in entry
    assert "howpublished = {\\url{https://github.com/example-newsroom/the-race}}" in entry
    assert entry.count("{") == entry.count("}")


def test_plain_text_without_a_commit_or_remote_leaves_them_out() -> None:
    bare = citation.Citation("The race", ("A", "B"), "2026-05-29")
    assert citation.plain_text(bare) == (
        "A, B (2026). *The race* [data-journalism report]. Data snapshot as of 2026-05-29."
    )
    assert "commit" not in citation.bibtex(bare) and "url" not in citation.bibtex(bare)


def test_title_and_authors_come_from_citation_cff() -> None:
    title, authors = citation.read_cff(REPO_ROOT / "CITATION.cff")
    assert title.startswith("The race")
    assert authors == ("The race editors",)


def _cffconvert(path: Path) -> subprocess.CompletedProcess:
    assert CFFCONVERT.is_file(), f"{CFFCONVERT} is missing: run `make cff` (make test does)"
    return subprocess.run(
        [str(CFFCONVERT), "--validate", "-i", str(path)], capture_output=True, text=True
    )


def test_citation_cff_is_valid_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    done = _cffconvert(REPO_ROOT / "CITATION.cff")
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "CITATION.cff"
    text = (REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8")
    broken.write_text(text.replace("cff-version: 1.2.0", "cff-version: 1.2.0\nedition: 2"))
    assert _cffconvert(broken).returncode != 0


def test_licence_files_cover_code_and_content() -> None:
    mit = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "Permission is hereby granted" in mit
    cc = (REPO_ROOT / "LICENSE-CC-BY-4.0.txt").read_text(encoding="utf-8")
    assert cc.startswith("Attribution 4.0 International")
    assert "Section 3 -- License Conditions." in cc and len(cc) > 15_000
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Licences", 1)[1].split("\n## ", 1)[0]
    assert "LICENSE-CC-BY-4.0.txt" in section and "`LICENSE`" in section and "MIT" in section


@pytest.mark.book
def test_landing_page_says_which_licence_covers_what(book: Build) -> None:
    soup = BeautifulSoup(book.page("intro"), "html.parser")
    section = soup.find(id="licences")
    assert section is not None, "no Licences section on the landing page"
    text = " ".join(section.get_text(" ").split())
    assert "Text, figures and data" in text and "CC BY 4.0" in text
    assert "Code" in text and "MIT" in text
    links = {a["href"] for a in section.find_all("a", href=True)}
    assert "https://creativecommons.org/licenses/by/4.0/" in links
    assert "https://opensource.org/license/mit" in links


@pytest.mark.book
def test_landing_page_cites_the_snapshot_and_repository(book: Build) -> None:
    soup = BeautifulSoup(book.page("intro"), "html.parser")
    section = soup.find(id="cite-this-report")
    assert section is not None, "no 'Cite this report' section on the landing page"
    code = section.select_one("div.highlight-bibtex pre")
    assert code is not None, "no BibTeX block"
    entry = code.get_text()
    assert re.search(r"@misc\{the_race_20260816,", entry)
    assert "Data snapshot as of 2026-08-16" in entry
    assert TEST_REPO_WEB in entry
    # The test copy is a checkout without commits: no commit is named, in either style.
    plain = " ".join(section.get_text(" ").split())
    assert "The race editors (2026)." in plain and "commit " not in entry


def test_build_names_the_commit_when_the_checkout_has_one(tmp_path: Path) -> None:
    import tokenrace_book

    for args in (["init", "-q", "-b", "main"], ["add", "."]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    (tmp_path / "CITATION.cff").write_text(
        (REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"), encoding="utf-8"
    )
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c"],
        cwd=tmp_path,
        check=True,
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()

    config = SimpleNamespace(myst_substitutions={"snapshot_as_of": "2026-05-29"})
    tokenrace_book._set_citation(config, tmp_path)
    assert f"commit {head[:12]}" in config.myst_substitutions["cite_text"]
    assert f"commit {head[:12]}}}" in config.myst_substitutions["cite_bibtex"]
    (tmp_path / "CITATION.cff").write_text("title: changed\n", encoding="utf-8")
    config = SimpleNamespace(myst_substitutions={"snapshot_as_of": "2026-05-29"})
    tokenrace_book._set_citation(config, tmp_path)
    assert f"commit {head[:12]} with local changes" in config.myst_substitutions["cite_text"]
