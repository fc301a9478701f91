"""House style: fixed colour-blind-safe colours, text contrast, lean and stable SVG."""

from __future__ import annotations

import re

import pytest

from tokenrace import charts, load_snapshot, recut

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}


def test_every_origin_group_has_a_fixed_okabe_ito_colour() -> None:
    for group in recut.ORIGIN_GROUPS:
        assert charts.ORIGIN_COLOURS[group] in OKABE_ITO, group
    assert charts.ORIGIN_COLOURS["cn_open"] == charts.COUNTRY_COLOURS["CN"]
    assert charts.ORIGIN_COLOURS["us_closed"] == charts.COUNTRY_COLOURS["US"]


@pytest.mark.parametrize("colour", sorted(OKABE_ITO | {charts.INK, charts.MUTED, "#BBBBBB"}))
def test_label_colours_meet_wcag_aa_on_white(colour: str) -> None:
    shade = charts.readable(colour)
    assert charts.contrast(shade) >= 4.5, (colour, shade)


def test_contrast_matches_known_wcag_values() -> None:
    assert charts.contrast("#000000") == pytest.approx(21.0)
    assert charts.contrast("#FFFFFF") == pytest.approx(1.0)
    assert charts.contrast("#767676") == pytest.approx(4.54, abs=0.01)


def test_source_line_names_the_snapshot_kind_and_date() -> None:
    snap = load_snapshot()
    assert charts.source_line(snap) == (
        "Source: OpenRouter (openrouter.ai/rankings), representative snapshot as of 2026-05-29"
    )


def test_svg_is_lean_and_stable() -> None:
    def draw() -> bytes:
        fig, ax = charts.new_figure("A test chart")
        ax.plot([1, 2, 3], [3, 1, 2], label="line")
        charts.add_source(fig, load_snapshot())
        return charts.svg_bytes(fig)

    first, second = draw(), draw()
    assert first == second, "the same chart gave different SVG bytes"
    text = first.decode()
    assert "<dc:date>" not in text
    assert "<text" in text, "text should stay text (svg.fonttype none), not glyph paths"
    assert not re.search(r"<path id=\"DejaVu", text), "embedded font glyphs"
