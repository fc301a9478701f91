"""Two cold builds of the same sources give byte-identical pages (figures are inside them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookbuild import TEST_REMOTE, Build, build_book, copy_tree

pytestmark = pytest.mark.book

#: The one marked place allowed to differ: the execution table (run times) on the reproduce page,
#: inside an element with this class. Nothing else is excluded.
BUILD_SPECIFIC_CLASS = "build-specific"


def pages(build: Build) -> dict[str, bytes]:
    html = build.html
    found = [*sorted(html.glob("chapters/*.html")), html / "intro.html"]
    return {str(p.relative_to(html)): p.read_bytes() for p in found}


def without_build_specific(page: bytes) -> str:
    soup = BeautifulSoup(page.decode(), "html.parser")
    for node in soup.select(f".{BUILD_SPECIFIC_CLASS}"):
        node.decompose()
    return str(soup)


def test_two_cold_builds_are_byte_identical(book: Build, tmp_path: Path) -> None:
    again = build_book(copy_tree(tmp_path / "src", remote=TEST_REMOTE))
    assert again.returncode == 0, again.log[-3000:]
    first, second = pages(book), pages(again)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert set(differing) <= {"chapters/reproduce.html"}, f"pages that differ: {differing}"
    for name in differing:
        assert without_build_specific(first[name]) == without_build_specific(second[name]), name
    for folder in ("_images", "_previews"):  # _previews: the link previews' chart PNGs
        images = sorted((book.html / folder).glob("*")) if (book.html / folder).exists() else []
        for image in images:
            again_bytes = (again.html / folder / image.name).read_bytes()
            assert image.read_bytes() == again_bytes, f"{folder}/{image.name}"


def test_pages_carry_no_timestamps_or_random_ids(book: Build) -> None:
    for name, page in pages(book).items():
        text = without_build_specific(page)
        assert "Last updated" not in text, name
        assert not re.search(r"<dc:date>|T\d\d:\d\d:\d\d", text), name
        assert not re.search(r"id=\"T_[0-9a-f]{5}", text), f"{name}: random pandas Styler id"
