"""Values on hover and link previews, unit by unit: titled marks in a chart's SVG, the SVG inlined
into a page, and the Open Graph / Twitter tags. (The built book and Chromium: test_share.py.)"""

from __future__ import annotations

import base64
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from tokenrace.figures import charts, hover, previews


def drawn(texts_per_series: list[list[str]]) -> str:
    """The SVG of a small chart with one collection of hover marks per list of texts."""
    fig, ax = charts.new_figure("A test chart")
    ax.plot([0, 1, 2], [0, 1, 2])
    for texts in texts_per_series:
        hover.marks(ax, list(range(len(texts))), [1.0] * len(texts), texts)
    svg = charts.svg_bytes(fig).decode()
    titled = hover.titled_svg(svg, hover.hover_texts(fig), "fig-test")
    plt.close(fig)
    return titled


def test_each_mark_gets_its_title_in_order() -> None:
    svg = drawn([["A · 1", "A · 2", "A · 3"], ["B & C · 1"]])
    titles = re.findall(r'<(?:use|path) [^>]*role="img"><title>([^<]*)</title>', svg)
    assert titles == ["A · 1", "A · 2", "A · 3", "B &amp; C · 1"]
    assert svg.count('pointer-events="all"') == 4


def test_ids_are_prefixed_with_the_figure_name() -> None:
    svg = drawn([["A · 1"]])
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("fig-test-") for i in ids), ids
    refs = re.findall(r'(?:url\(#|xlink:href="#)([^)"]+)', svg)
    assert refs and all(r in ids for r in refs), "a reference to an id that is not in the SVG"
    assert "#fig-test-svg *{" in svg, "matplotlib's * style sheet would leak into the page"


def test_marks_keep_the_axes_limits() -> None:
    fig, ax = charts.new_figure("Limits")
    ax.plot([0, 10], [0, 10])
    ax.set_ylim(0, 5)
    before = ax.get_xlim(), ax.get_ylim()
    hover.marks(ax, [20.0], [50.0], ["outside"])
    assert (ax.get_xlim(), ax.get_ylim()) == before
    plt.close(fig)


def test_a_text_per_mark_or_an_error() -> None:
    fig, ax = charts.new_figure("Mismatch")
    with pytest.raises(ValueError, match="2 hover texts for 3 x"):
        hover.marks(ax, [1, 2, 3], [1, 2, 3], ["a", "b"])
    plt.close(fig)


def test_a_mark_the_chart_would_not_draw_is_refused_by_name() -> None:
    """On a log axis a zero (a model priced at zero) is not drawn, nor is a missing value
    anywhere: a mark there would leave its text without a mark ("14 marks drawn for 16 hover
    texts" when the SVG is titled), so the chart must leave the value out and say so."""
    fig, ax = charts.new_figure("Log")
    ax.scatter([1.0, 10.0], [0.5, 5.0])
    ax.set_yscale("log")
    with pytest.raises(ValueError, match=r"'Free model' cannot be drawn: y = 0.0 .* log axis"):
        hover.marks(ax, [1.0, 2.0], [0.5, 0.0], ["Priced model", "Free model"])
    with pytest.raises(ValueError, match=r"'Unpriced' cannot be drawn: x = nan"):
        hover.marks(ax, [float("nan")], [1.0], ["Unpriced"])
    hover.marks(ax, [1.0, 10.0], [0.5, 5.0], ["a", "b"])  # drawable values pass
    ax.set_yscale("linear")
    hover.marks(ax, [1.0], [0.0], ["zero on a linear axis"])
    svg = charts.svg_bytes(fig).decode()
    titled = hover.titled_svg(svg, hover.hover_texts(fig), "fig-log")
    assert titled.count("<title>") == 3
    plt.close(fig)


def test_stack_marks_sit_mid_band_with_week_value_and_unit() -> None:
    weeks = pd.DatetimeIndex(["2026-05-18", "2026-05-25"], name="week")
    frame = pd.DataFrame({"DeepSeek": [6.5, 7.0], "Anthropic": [3.0, 3.3]}, index=weeks)
    fig, ax = charts.new_figure("Stack")
    ax.stackplot(weeks, frame.T.to_numpy())
    hover.stack(ax, frame, hover.trillions)
    texts = hover.hover_texts(fig)
    assert texts[0][1] == "DeepSeek · week of 25 May 2026 · 7.0 T tokens"
    assert texts[1][0] == "Anthropic · week of 18 May 2026 · 3.0 T tokens"
    offsets = ax.collections[-1].get_offsets()
    assert list(offsets[:, 1]) == pytest.approx([6.5 + 1.5, 7.0 + 1.65])
    plt.close(fig)


def test_inline_svgs_replaces_svg_images_only() -> None:
    svg = drawn([["A · 1"]])
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    body = (
        f'<p><img alt="A chart of 3 things" src="{src}" /></p>'
        '<p><img alt="a photo" src="photo.png" /></p>'
    )
    out = hover.inline_svgs(body)
    assert '<img alt="a photo" src="photo.png" />' in out
    assert "data:image/svg+xml" not in out and "<?xml" not in out and "<metadata>" not in out
    assert re.search(r'<svg class="chart" role="group" aria-label="A chart of 3 things" ', out)
    assert "<title>A · 1</title>" in out


def test_pages_url_of_a_github_repository() -> None:
    assert previews.pages_url("https://github.com/Example-Newsroom/the-race") == (
        "https://example-newsroom.github.io/the-race/"
    )
    assert previews.pages_url("https://github.com/org/org.github.io") == "https://org.github.io/"
    assert previews.pages_url("https://gitlab.com/org/repo") is None
    assert previews.pages_url(None) is None


def test_description_is_cut_at_a_word() -> None:
    text = "word " * 100
    cut = previews.describe(text, limit=50)
    assert len(cut) <= 50 and cut.endswith("word…")
    assert previews.describe("  short   text ") == "short text"


def test_meta_tags_with_and_without_a_site_url() -> None:
    common = {
        "title": 'The "race"',
        "description": "A description.",
        "site_name": "The race",
        "page_path": "chapters/race.html",
        "image": "_previews/fig-race-total.png",
        "image_alt": "Line chart",
    }
    tags = previews.meta_tags(site_url="https://o.github.io/r/", **common)
    assert '<meta property="og:title" content="The &quot;race&quot;" />' in tags
    assert 'property="og:url" content="https://o.github.io/r/chapters/race.html"' in tags
    image = "https://o.github.io/r/_previews/fig-race-total.png"
    assert f'property="og:image" content="{image}"' in tags
    assert 'name="twitter:card" content="summary_large_image"' in tags
    bare = previews.meta_tags(site_url=None, **common)
    assert "og:image" not in bare and "og:url" not in bare
    assert 'name="twitter:card" content="summary"' in bare


def test_only_the_named_headline_charts_are_saved_as_previews(tmp_path, monkeypatch) -> None:
    """A chapter's headline is chosen by name, never by which chart its kernel draws first."""
    monkeypatch.setattr(previews, "HEADLINE_CHARTS", {"chapters/a": "fig-a"})
    monkeypatch.delenv(previews.PREVIEWS_ENV, raising=False)
    fig, _ax = charts.new_figure("Headline")
    assert previews.save_png(fig, "fig-a") is None, "saved outside the book build"
    monkeypatch.setenv(previews.PREVIEWS_ENV, str(tmp_path))
    assert previews.save_png(fig, "fig-b") is None, "a chart drawn first is not the headline"
    assert previews.save_png(fig, "fig-a") == tmp_path / "fig-a.png"
    assert previews.save_png(fig, "fig-a") == tmp_path / "fig-a.png", "a rerun of the same cell"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig-a.png"]
    assert (tmp_path / "fig-a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)
