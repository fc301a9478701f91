"""The built book as it is shared: link previews on every page, values on hover in Chromium.

- **Link previews.** Every page of ``_toc.yml`` carries Open Graph and Twitter-card tags: its
  title, a description from its first paragraph, its absolute URL under the GitHub Pages site of
  the test remote, and as image the PNG of its headline chart (named in
  ``tokenrace.figures.previews.HEADLINE_CHARTS``; the first chapter's on pages without one),
  which the site serves.
- **Values on hover.** Charts are inline SVG. In Chromium, moving the mouse over a data mark
  hovers that mark, whose title names its series, week or model, and value with its unit; the
  same text is the mark's accessible name. Checked on the issue's example (DeepSeek's band in the
  last week, value from the chart's own CSV) at 1280 and 390 px, and on one mark of every chart.
  Screenshots of the hovered chart go to ``_build/screenshots/hover-*.png``.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import struct

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from bookbuild import ROOT, TEST_REPO_WEB, Build, is_notebook, source_of, toc_files
from tokenrace.figures import previews

PAGES = toc_files(ROOT / "_toc.yml")
#: The GitHub Pages site of the test checkout's remote (bookbuild.TEST_REPO_WEB).
SITE = "https://example-newsroom.github.io/the-race/"
ARTIFACTS = ROOT / "_build" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def soup(book: Build, page: str) -> BeautifulSoup:
    return BeautifulSoup(book.page(page), "html.parser")


def meta(html: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in html.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        if key and (key.startswith("og:") or key.startswith("twitter:")):
            assert key not in found, f"{key} twice"
            found[key] = tag.get("content", "")
    return found


def charts_of(html: BeautifulSoup) -> list[str]:
    """Names of the page's charts (figures holding an inline SVG chart), in page order."""
    return [f["id"] for f in html.find_all("figure") if f.find("svg", class_="chart")]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.book
@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_link_preview_of_its_headline_chart(book: Build, page: str) -> None:
    assert TEST_REPO_WEB == "https://github.com/example-newsroom/the-race", "update SITE"
    html = soup(book, page)
    tags = meta(html)
    title = html.title.get_text()
    assert tags["og:title"] and title.startswith(tags["og:title"]), (tags["og:title"], title)
    assert tags["twitter:title"] == tags["og:title"]
    description = tags["og:description"]
    main_text = " ".join(html.find("main").get_text(" ").split())
    assert 40 <= len(description) <= 200, description
    assert description.rstrip("…")[:40] in main_text, "description is not the page's own prose"
    assert tags["twitter:description"] == description
    assert tags["og:url"] == SITE + f"{page}.html"
    first_chapter = next(p for p in PAGES if p in previews.HEADLINE_CHARTS)
    headline = previews.HEADLINE_CHARTS.get(page, previews.HEADLINE_CHARTS[first_chapter])
    if charts_of(html):
        assert headline in charts_of(html), f"{page}: its headline chart {headline} is not on it"
    assert tags["og:image"] == f"{SITE}_previews/{headline}.png"
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:alt"] == " ".join(book_figure_alt(book, headline).split()), (
        "image alt is not the chart's alt text"
    )
    png = (book.html / "_previews" / f"{headline}.png").read_bytes()
    width, height = png_size(png)
    assert width >= 600 and height >= 300, (width, height)


def test_the_race_previews_its_first_chart_the_weekly_volume(book: Build) -> None:
    """The essay's first chart is the weekly volume: the race's Fig. 1 and its link preview."""
    html = soup(book, "chapters/race")
    assert charts_of(html)[0] == "fig-race-total"
    assert meta(html)["og:image"] == f"{SITE}_previews/fig-race-total.png"
    assert "Fig. 1" in html.find("figure", id="fig-race-total").find("figcaption").get_text()
    assert sorted(p.name for p in (book.html / "_previews").glob("*.png")) == sorted(
        f"{name}.png" for name in previews.HEADLINE_CHARTS.values()
    )


def book_figure_alt(book: Build, name: str) -> str:
    for page in PAGES:
        figure = soup(book, page).find("figure", id=name)
        if figure is not None:
            return figure.find("svg", class_="chart")["aria-label"]
    raise AssertionError(f"no figure {name}")


@pytest.mark.book
def test_preview_images_are_the_charts_drawn(book: Build) -> None:
    """Each preview PNG is a chart: mostly white, with the chart's colours, not a blank image."""
    from PIL import Image

    for path in sorted((book.html / "_previews").glob("*.png")):
        image = Image.open(path).convert("RGB")
        colours = image.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, f"{path.name}: nearly blank"


# -- values on hover, in Chromium --------------------------------------------------------------

_HOVERED_TITLE = """() => {
  const chain = [...document.querySelectorAll(':hover')];
  const el = chain[chain.length - 1];
  const title = el && el.querySelector(':scope > title');
  return title ? title.textContent : null;
}"""
_ON_TOP = """(mark) => {
  mark.scrollIntoView({block: 'center'});
  const r = mark.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  return document.elementFromPoint(x, y) === mark ? [x, y] : null;
}"""


def chart_data(html: BeautifulSoup, name: str) -> pd.DataFrame:
    link = html.find("figure", id=name).find("a", attrs={"download": f"{name}.csv"})
    text = base64.b64decode(link["href"].split(",", 1)[1]).decode()
    return pd.DataFrame(list(csv.DictReader(io.StringIO(text))))


def hover_mark(tab, mark) -> str | None:
    """Move the mouse to the centre of ``mark`` (where it is on top); the hovered mark's title."""
    point = mark.evaluate(_ON_TOP)
    if point is None:
        return None
    tab.mouse.move(*point)
    return tab.evaluate(_HOVERED_TITLE)


@pytest.fixture(scope="module")
def tab(book: Build, browser):
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_hovering_deepseeks_band_shows_series_week_and_value(book: Build, tab, width) -> None:
    page = "chapters/open-secret"
    html = soup(book, page)
    data = chart_data(html, "fig-open-labs").iloc[-1]
    week = pd.Timestamp(data["week"])
    value = float(data["DeepSeek (tokens, trillions)"])
    expected = f"DeepSeek · week of {week.day} {week:%B %Y} · {value:.1f} T tokens"

    tab.set_viewport_size(WIDTHS[width])
    tab.goto((book.html / f"{page}.html").as_uri(), wait_until="load")
    figure = tab.locator("figure#fig-open-labs")
    mark = figure.get_by_role("img", name=expected, exact=True)
    assert mark.count() == 1, f"no data mark named {expected!r} in the accessibility tree"
    assert (
        figure.get_by_role("group")
        .first.get_attribute("aria-label")
        .startswith("Stacked area chart")
    ), "the chart lost its alt text"
    assert hover_mark(tab, mark) == expected
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"hover-open-secret-{WIDTHS[width]['width']}.png"
    figure.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


UNIT = re.compile(
    r"T tokens|B tokens|% of|per million tokens|holds|does not hold|not applicable|cannot be tested"
)


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("page", [p for p in PAGES if is_notebook(source_of(ROOT, p))])
def test_every_chart_has_marks_that_show_their_value_on_hover(book: Build, tab, page) -> None:
    tab.set_viewport_size(WIDTHS["desktop"])
    tab.goto((book.html / f"{page}.html").as_uri(), wait_until="load")
    problems = []
    for name in charts_of(soup(book, page)):
        marks = tab.locator(f"figure#{name} svg.chart [role=img]")
        count = marks.count()
        if count == 0:
            problems.append(f"{name}: no data marks with a title")
            continue
        texts = marks.evaluate_all("ms => ms.map(m => m.querySelector('title').textContent)")
        bad = [t for t in texts if " · " not in t or not UNIT.search(t)]
        if bad:
            problems.append(f"{name}: titles without series and unit: {bad[:3]}")
        for index in dict.fromkeys([count // 2, 0, count - 1]):
            shown = hover_mark(tab, marks.nth(index))
            if shown is not None:
                if shown != texts[index]:
                    problems.append(f"{name}: hovering mark {index} shows {shown!r}")
                break
        else:
            problems.append(f"{name}: no mark is on top at its own centre")
    assert not problems, problems
