"""The PDF edition (``make pdf``, :mod:`tokenrace.book.edition`) on a copy of the built book.

``python -m tokenrace.book.edition`` runs on a copy of the ``book`` fixture's checkout, build folder
and execution cache included (so nothing re-executes, and the fixture's own pages stay as they
are for the other tests). Its text, extracted with pypdf, must hold, in reading order:

- every chapter's glued values exactly as the HTML pages show them;
- every figure caption, with its figure number, and the chart's own title (SVG text kept as text
  in the PDF, so the charts are vector, not pictures);
- every footnote and every bibliography entry.

The site built afterwards links the PDF from its landing page; a build without a PDF has no link.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookbuild import ROOT, Build, build_book, is_notebook, source_of, toc_files
from tokenrace import load_snapshot
from tokenrace.book.edition import PDF_NAME, pdf_in_build

pytestmark = [pytest.mark.book, pytest.mark.browser]

PAGES = toc_files(ROOT / "_toc.yml")


@dataclass
class Edition:
    src: Path
    log: str
    text: str  # the PDF's text, NFKC-normalised, without any whitespace
    pages: int


#: The page footer of the PDF edition (tokenrace.book.edition.FOOTER), as its text ends a page.
FOOTER = r"\s*\d+ / \d+\s*$"


def squeeze(text: str) -> str:
    """Text compared without whitespace (line breaks fall anywhere in a PDF), ligatures or icons
    (private-use characters of icon fonts)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Co")


@pytest.fixture(scope="module")
def edition(book: Build, tmp_path_factory: pytest.TempPathFactory) -> Edition:
    from pypdf import PdfReader

    src = tmp_path_factory.mktemp("pdf") / "src"
    shutil.copytree(book.src, src, symlinks=True)
    done = subprocess.run(
        [sys.executable, "-m", "tokenrace.book.edition", str(src)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    log = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"make pdf failed (exit {done.returncode}):\n{log[-6000:]}")
    reader = PdfReader(pdf_in_build(src / "_build"))
    # Each page's text ends with its footer, "7 / 51": left out, or a number broken across a page
    # ("(5" … "%)") would read "(57/51%)".
    text = squeeze(" ".join(re.sub(FOOTER, "", page.extract_text()) for page in reader.pages))
    return Edition(src, log, text, len(reader.pages))


def html_of(book: Build, page: str) -> BeautifulSoup:
    return BeautifulSoup(book.page(page), "html.parser")


def in_order(text: str, items: list[str]) -> list[str]:
    """The items not found in ``text`` one after the other (each after the previous one).

    A page break can fall inside a long item, and the text extraction may then put blocks of the
    other page (a table, a code cell) between its two halves: an item counts as found when it is
    whole, or when its words before some break and the words after it follow one another."""
    missing, cursor = [], 0
    for item in items:
        end = _find(text, item, cursor)
        if end < 0:
            missing.append(item)
        else:
            cursor = end
    return missing


def _find(text: str, item: str, cursor: int) -> int:
    """Where ``item`` ends in ``text`` after ``cursor`` (whole, or in two halves split anywhere,
    a word hyphenated at the break included), or -1."""
    whole = squeeze(item)
    found = text.find(whole, cursor)
    if found >= 0:
        return found + len(whole)
    shortest = 20  # too short a half could match anywhere
    for k in range(shortest, len(whole) - shortest + 1):
        head, tail = whole[:k], whole[k:]
        start = text.find(head, cursor)
        if start < 0:
            break
        after = text.find(tail, start + len(head))
        # The halves sit across one page break: no more than a page of other text between them.
        if after >= 0 and after - (start + len(head)) < 4000:
            return after + len(tail)
    return -1


def test_pdf_holds_every_chapters_glued_numbers_in_order(book: Build, edition: Edition) -> None:
    assert edition.pages >= 20
    missing = {}
    for page in PAGES:
        if not is_notebook(source_of(ROOT, page)):
            continue
        glued = [s.get_text() for s in html_of(book, page).select("main span.eval-value")]
        assert glued, f"{page}: no glued values in the HTML"
        lost = in_order(edition.text, glued)
        if lost:
            missing[page] = lost
    assert not missing, f"glued values missing from the PDF (or out of order): {missing}"


def test_pdf_holds_every_figure_caption_and_chart_as_text(book: Build, edition: Edition) -> None:
    captions, titles = [], []
    for page in PAGES:
        for figure in html_of(book, page).select("main figure"):
            caption = figure.find("figcaption")
            for mark in caption.select("a.headerlink"):
                mark.decompose()
            captions.append(caption.get_text(" "))
            svg = figure.find("svg", class_="chart")
            if svg is not None:
                # The chart's first text: its title, drawn by matplotlib as SVG text.
                titles.append(svg.find("text").get_text(" "))
    assert len(captions) >= 10
    assert not in_order(edition.text, captions), "figure captions missing from the PDF"
    lost = [t for t in titles if squeeze(t) not in edition.text]
    assert not lost, f"chart text missing (a chart printed as a picture?): {lost}"
    assert "Fig.1" in edition.text


def test_pdf_holds_footnotes_and_bibliography(book: Build, edition: Edition) -> None:
    notes, references = [], []
    for page in PAGES:
        html = html_of(book, page)
        notes += [n.find("p").get_text(" ") for n in html.select("main aside.footnote")]
        references += [c.get_text(" ") for c in html.select("main .citation p")]
    assert notes and references
    lost_notes = [n for n in notes if squeeze(n) not in edition.text]
    lost_refs = [r for r in references if squeeze(r) not in edition.text]
    assert not lost_notes, f"footnotes missing from the PDF: {lost_notes}"
    assert not lost_refs, f"bibliography entries missing from the PDF: {lost_refs}"


def test_landing_page_links_the_pdf_only_when_there_is_one(book: Build, edition: Edition) -> None:
    assert html_of(book, "intro").select("a[href$='.pdf']") == [], "a link to a PDF not built"
    site = edition.src / "_build" / "html"
    landing = BeautifulSoup((site / "intro.html").read_text(encoding="utf-8"), "html.parser")
    links = landing.select(f"main a[href='{PDF_NAME}']")
    assert len(links) == 1, "the landing page does not link the PDF edition"
    assert (site / PDF_NAME).read_bytes() == pdf_in_build(edition.src / "_build").read_bytes()
    assert "PDF" in links[0].get_text()


def test_a_removed_pdf_leaves_the_site_and_the_landing_page(edition: Edition, tmp_path) -> None:
    """Without ``_build/pdf/``, a rebuild drops the link and the site's copy (no stale edition
    is published)."""
    src = tmp_path / "src"
    shutil.copytree(edition.src, src, symlinks=True)
    pdf_in_build(src / "_build").unlink()
    built = build_book(src)
    assert built.returncode == 0, built.log[-3000:]
    site = src / "_build" / "html"
    landing = BeautifulSoup((site / "intro.html").read_text(encoding="utf-8"), "html.parser")
    assert landing.select("a[href$='.pdf']") == [], "the landing page links a PDF that is gone"
    assert not (site / PDF_NAME).exists(), "the site still carries the removed PDF"


def test_pdf_code_blocks_wrap_instead_of_running_off_the_page(edition: Edition) -> None:
    """Paper cannot scroll: the README's long command lines print whole (they were cut at
    "…and buil")."""
    for line in (ROOT / "intro.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("$ make "):
            assert squeeze(line) in edition.text, f"cut in the PDF: {line}"


def test_pdf_shows_one_verdict_per_claim(edition: Edition) -> None:
    """Each claim block of the PDF names one level between its id and its test."""
    from tokenrace.claims import evidence
    from tokenrace.claims import register as claims

    found = evidence.load(load_snapshot())
    levels = {squeeze(level): level for level in evidence.LEVELS}
    blocks = 0
    for claim in claims.REGISTER:
        for head in edition.text.split(f"{claim.id}:")[1:]:
            if "Test:" not in head:
                continue
            head = head.split("Test:")[0]
            named = [lv for sq, lv in levels.items() for _ in range(head.count(sq))]
            if not named:  # the id in running prose, not a claim block
                continue
            blocks += 1
            assert named == [found["claims"][claim.id]["level"]], (claim.id, named)
    assert blocks >= 2 * len(claims.REGISTER)  # once in its chapter, once on the Claims page
