"""House style: fixed colour-blind-safe colours, text contrast, lean and stable SVG."""

from __future__ import annotations

import re

import pytest

from tokenrace import load_snapshot
from tokenrace.analysis import recut
from tokenrace.figures import charts

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
        "Source: OpenRouter (openrouter.ai/rankings), representative snapshot as of 2026-08-16"
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


# -- the faults a reader saw: log axes in dollars and tokens, names over markers, a 120 % axis ---


def drawn(monkeypatch, chart) -> object:
    """The figure a chart function publishes, drawn (its layout and labels final)."""
    from tokenrace import figures

    got = {}
    monkeypatch.setattr(charts, "publish", lambda fig, **_kw: got.setdefault("fig", fig))
    getattr(figures, chart)(load_snapshot())
    got["fig"].draw_without_rendering()
    return got["fig"]


def visible_ticks(axis) -> list[str]:
    low, high = sorted(axis.get_view_interval())
    return [
        t.get_text()
        for t in axis.get_ticklabels()
        if low <= t.get_position()[0 if axis.axis_name == "x" else 1] <= high
    ]


def test_tick_texts_are_dollars_and_tokens() -> None:
    from tokenrace.figures import style

    assert [style.money_text(v) for v in (0.01, 0.1, 1, 10, 1000)] == [
        "$0.01",
        "$0.10",
        "$1",
        "$10",
        "$1,000",
    ]
    assert [style.billions_text(v) for v in (0.01, 1, 100, 1000, 10_000)] == [
        "10 M",
        "1 B",
        "100 B",
        "1 T",
        "10 T",
    ]


def test_cost_against_usage_axes_read_as_money_and_tokens(monkeypatch) -> None:
    ax = drawn(monkeypatch, "cost_vs_usage").axes[0]
    prices = visible_ticks(ax.yaxis)
    tokens = visible_ticks(ax.xaxis)
    assert {"$0.10", "$1", "$10"} <= set(prices), prices
    assert {"1 T", "10 T"} <= set(tokens), tokens
    assert not any(re.search(r"10\^|\$\\mathdefault", t) for t in prices + tokens)


def test_cost_against_usage_names_cover_no_marker_and_no_name(monkeypatch) -> None:
    from matplotlib.text import Annotation

    from tokenrace.figures import labels

    ax = drawn(monkeypatch, "cost_vs_usage").axes[0]
    notes = [t for t in ax.texts if isinstance(t, Annotation)]
    assert "DeepSeek V4 Flash" in {n.get_text() for n in notes}
    assert labels.overlaps(ax, notes) == []


def test_label_check_finds_a_name_over_a_marker() -> None:
    import matplotlib.pyplot as plt

    from tokenrace.figures import labels

    fig, ax = plt.subplots()
    ax.scatter([1, 2, 3], [1, 1, 1], s=60)
    fig.draw_without_rendering()
    bad = ax.annotate("over the middle marker", xy=(2, 1), ha="center", va="center")
    assert any("covers the marker" in p for p in labels.overlaps(ax, [bad]))
    bad.remove()
    placed = labels.place(ax, [labels.Label(f"model {i}", i, 1) for i in (1, 2, 3)])
    assert labels.overlaps(ax, placed) == []
    plt.close(fig)


def test_percent_axis_of_spend_chart_ends_at_100(monkeypatch) -> None:
    ax = drawn(monkeypatch, "spend_vs_tokens").axes[0]
    assert ax.get_xlim() == (0.0, 100.0)
    assert visible_ticks(ax.xaxis)[-1] == "100"
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        assert box.x1 <= frame.x1 + 1, f"{text.get_text()!r} runs past the axis"


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        (53, ["Nov '25", "May '26"]),
        (20, ["Feb '26", "Mar '26", "Apr '26", "May '26"]),
        (8, ["06 Apr", "20 Apr", "04 May", "18 May"]),
        (1, ["25 May"]),
    ],
)
def test_week_axis_labels_the_span_drawn(weeks: int, expected: list[str]) -> None:
    """A short snapshot's week-by-week chart still has dated ticks (it had one, or none)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    days = pd.date_range(end="2026-05-25", periods=weeks, freq="7D")
    fig, ax = plt.subplots()
    ax.plot(days, range(weeks))
    charts.week_axis(ax)
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels() if t.get_text()] == expected
    plt.close(fig)


def test_week_axis_of_a_quarter_has_three_to_six_dated_ticks() -> None:
    import matplotlib.pyplot as plt
    import pandas as pd

    days = pd.date_range(end="2026-05-25", periods=13, freq="7D")
    fig, ax = plt.subplots()
    ax.plot(days, range(13))
    charts.week_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 6 and all(re.fullmatch(r"\d\d [A-Z][a-z]{2}", t) for t in labels)
    plt.close(fig)
