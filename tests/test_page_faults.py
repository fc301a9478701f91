"""Faults a reader saw in the built pages: the sidebar's names, the tables' header rows."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from bookbuild import Build, toc_files
from tokenrace.snapshot.paths import REPO_ROOT

pytestmark = pytest.mark.book
PAGES = toc_files(REPO_ROOT / "_toc.yml")


def test_sidebar_names_every_page_once(book: Build) -> None:
    soup = BeautifulSoup(book.page("intro"), "html.parser")
    names = [" ".join(a.get_text().split()) for a in soup.select(".bd-sidebar-primary a.reference")]
    assert len(names) == len(PAGES), names
    assert len(set(names)) == len(names), f"a name appears twice in the sidebar: {names}"


@pytest.mark.parametrize("page", PAGES)
def test_tables_have_one_header_row_without_empty_rows(book: Build, page: str) -> None:
    soup = BeautifulSoup(book.page(page), "html.parser")
    for table in soup.select("table.dataframe"):
        rows = table.select("thead tr")
        assert len(rows) == 1, f"{page}: a table has {len(rows)} header rows"
        cells = [c.get_text(strip=True) for c in rows[0].find_all(["th", "td"])]
        assert any(cells[1:]), f"{page}: a header row with no column names"


@pytest.mark.parametrize("page", PAGES)
def test_footnotes_are_numbered_in_reading_order(book: Build, page: str) -> None:
    soup = BeautifulSoup(book.page(page), "html.parser")
    main = soup.find("main")
    numbers = [int(a.get_text(strip=True).strip("[]")) for a in main.select("a.footnote-reference")]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == sorted(first_seen), f"{page}: footnotes read {first_seen}"
