"""The house style of every chart in the report, and how a chart is published in the book.

- One fixed, colour-blind-safe colour per origin group (Okabe-Ito palette).
- SVG output, text kept as text (no embedded glyphs), stable ids, no date metadata.
- Every figure carries a name, a caption, alt text and the source line.

In the book build (``TOKENRACE_BOOK_BUILD=1``, set by ``_ext/tokenrace_book.py``), :func:`publish`
emits a MyST figure with its alt text, name and caption; the SVG and the chart's data (CSV) travel
inside the notebook's output as data URIs, so a cached run never points at a file that is gone.
The SVG's data marks carry their values as titles (:mod:`tokenrace.figures.hover`), and the book
inlines it into the page; a chapter's headline chart is also saved as the page's preview PNG
(:mod:`tokenrace.figures.previews`). In a live notebook it shows the chart and its caption directly.
"""

from __future__ import annotations

import base64
import io
import os

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from tokenrace.figures import hover, previews
from tokenrace.snapshot.dates import week_label
from tokenrace.snapshot.load import Snapshot
from tokenrace.snapshot.paths import BOOK_BUILD_ENV

#: Okabe-Ito colours, fixed per origin group (colour-blind safe).
ORIGIN_COLOURS: dict[str, str] = {
    "cn_open": "#D55E00",  # vermillion
    "cn_closed": "#E69F00",  # orange
    "us_closed": "#0072B2",  # blue
    "us_open": "#56B4E9",  # sky blue
    "europe": "#009E73",  # bluish green
    "elsewhere": "#CC79A7",  # reddish purple
    "unattributed": "#999999",  # grey
    "rest": "#999999",
}
#: Colour per country (ISO code); "" is unattributed.
COUNTRY_COLOURS: dict[str, str] = {
    "CN": "#D55E00",
    "US": "#0072B2",
    "FR": "#009E73",
    "DE": "#009E73",
    "": "#999999",
}
WIDTH, HEIGHT = 5.2, 4.0
INK = "#222222"
MUTED = "#555555"
GRID = "#DDDDDD"


def source_line(snap: Snapshot) -> str:
    """The citation OpenRouter's CC BY 4.0 licence requires, with the snapshot's date.

    A representative (reconstructed) snapshot says so; a fetched one cites the rankings as is.
    """
    kind = "representative snapshot " if snap.meta.get("kind") == "representative" else ""
    return f"Source: OpenRouter (openrouter.ai/rankings), {kind}as of {snap.as_of}"


def apply_style() -> None:
    """Set matplotlib's rcParams to the house style (deterministic, lean SVG)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (WIDTH, HEIGHT),
            "figure.dpi": 100,
            "font.family": "DejaVu Sans",
            "font.size": 13,
            "axes.titlesize": 14,
            "axes.labelsize": 12.5,
            "xtick.labelsize": 12,
            "ytick.labelsize": 12,
            "legend.fontsize": 11,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelcolor": INK,
            "axes.edgecolor": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.axisbelow": True,
            "grid.color": GRID,
            "grid.linewidth": 0.8,
            "xtick.color": INK,
            "ytick.color": INK,
            "text.color": INK,
            "legend.frameon": False,
            "svg.fonttype": "none",
            "svg.hashsalt": "tokenrace",
            "path.simplify": True,
            "savefig.bbox": "tight",
            "savefig.facecolor": "white",
        }
    )


def new_figure(
    title: str, *, nrows: int = 1, ncols: int = 1, height: float = HEIGHT, width: float = WIDTH
):
    """A figure and its axes in the house style, with the title set on the figure.

    The default size (5.2 × 4 inches, 12-13 pt text) keeps text readable, at about 10 px or more,
    when a phone 390 px wide scales the figure down to its screen width.
    """
    apply_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained")
    fig.suptitle(title, x=0.01, ha="left", fontsize=14, fontweight="bold")
    return fig, axes


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#RRGGBB`` colour."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str = "#FFFFFF") -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    high, low = sorted((relative_luminance(foreground), relative_luminance(background)))[::-1]
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str = "#FFFFFF", minimum: float = 4.5) -> str:
    """``colour`` darkened just enough for text on ``background`` to meet WCAG AA (4.5:1)."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    shade = colour
    for step in range(21):
        shade = "#" + "".join(f"{round(c * (1 - step / 20)):02X}" for c in rgb)
        if contrast(shade, background) >= minimum:
            return shade
    return shade


#: Days of data from which a week axis is labelled every six months rather than more often.
HALF_YEAR_AXIS_DAYS = 240
#: Days of data from which a week axis is labelled every month rather than on Mondays.
MONTHLY_AXIS_DAYS = 120


def week_axis(ax) -> None:
    """A time axis of weeks, ticked for the span drawn (call it after drawing the data): a year
    or so is labelled every six months (May, November) with minor ticks between; four months or
    more every month; a shorter span on Mondays, so even one week has a dated tick."""
    low, high = ax.dataLim.intervalx
    span = high - low if ax.has_data() else 0.0
    if span >= HALF_YEAR_AXIS_DAYS:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[5, 11]))
        ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=[2, 8]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b '%y"))
    elif span >= MONTHLY_AXIS_DAYS:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b '%y"))
    else:
        every = max(1, round(span / 7 / 4))  # at most about five labels
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=every))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.margins(x=0)


def direct_labels(ax, ends: dict[str, float], colours: dict[str, str], x, min_gap: float) -> None:
    """Label lines or bands at their right end, nudged apart so no two labels overlap.

    ``ends`` maps each label to the y value where it belongs; ``min_gap`` is in data units.
    """
    placed: list[tuple[str, float]] = []
    for label, y in sorted(ends.items(), key=lambda item: item[1]):
        if placed and y - placed[-1][1] < min_gap:
            y = placed[-1][1] + min_gap
        placed.append((label, y))
    for label, y in placed:
        ax.annotate(
            label,
            xy=(x, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=11.5,
            color=readable(colours.get(label, INK)),
            fontweight="bold",
            annotation_clip=False,
        )


def add_source(fig: Figure, snap: Snapshot) -> None:
    """Write the source line under the chart."""
    fig.text(0.01, -0.01, source_line(snap), ha="left", va="top", fontsize=9, color=MUTED)


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG bytes, without the date metadata (stable across builds)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


#: Weeks a week-by-week chart needs to draw a trend.
TREND_WEEKS = 2


def one_week_note(fig: Figure, weeks: int) -> str:
    """Mark the lone point of each line (a line of one point is invisible) and say why there is
    no trend: the sentence added to the caption."""
    for ax in fig.axes:
        for line in ax.get_lines():
            if len(line.get_xdata()) == 1:
                line.set_marker("o")
                line.set_markersize(7)
    return (
        "A week-by-week trend cannot be drawn on this snapshot: not enough weeks "
        f"(needs {TREND_WEEKS}, has {weeks})."
    )


#: The column of a weekly chart's data (CSV) that says which weeks came after the essay's.
AFTER_ESSAY = "after_essay"


def essay_marks(fig: Figure, snap: Snapshot) -> tuple[str, str]:
    """Mark the essay's week on every date axis of a weekly chart: a labelled dashed rule at the
    week the essay describes (:func:`tokenrace.snapshot.essay.essay_date`) and, where the snapshot
    runs on past it, the later weeks shaded (the data keep their colours). Returns the sentences
    for the caption and the alt text; both empty when the snapshot does not reach the essay's week.
    """
    from tokenrace.snapshot.essay import essay_date

    essay = essay_date()
    weeks = snap.weeks
    if essay.week not in weeks:
        return "", ""
    last = weeks[-1]
    later = last > essay.week
    for ax in fig.axes:
        if not isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter):
            continue
        if later:
            ax.axvspan(essay.week, last, color=INK, alpha=0.07, linewidth=0, zorder=0)
        ax.axvline(essay.week, color=INK, linewidth=1.3, linestyle=(0, (4, 3)), zorder=5)
        for text, dx, align in [("essay", -4, "right"), ("since", 4, "left")][: 1 + later]:
            ax.annotate(
                text,
                xy=(essay.week, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(dx, -2),
                textcoords="offset points",
                ha=align,
                va="top",
                fontsize=10.5,
                color=INK,
                annotation_clip=False,
            )
    end = week_label(last)
    if later:
        caption = (
            f"The dashed rule marks the week the essay describes ({essay.label}); the shaded "
            f"weeks after it, to the {end}, came after the essay, which could not see them."
        )
        alt = (
            f"A dashed rule marks the essay's week ({essay.label}); the weeks after it, to the "
            f"{end}, are shaded."
        )
    else:
        caption = f"The dashed rule marks the week the essay describes ({essay.label})."
        alt = f"A dashed rule marks the essay's week ({essay.label}), the last week shown."
    return caption, alt


def with_after_essay(data: pd.DataFrame) -> pd.DataFrame:
    """A weekly chart's data with the column :data:`AFTER_ESSAY` (``true`` for a week after the
    essay's, else ``false``) after its ``week`` column; unchanged without one."""
    from tokenrace.snapshot.essay import essay_date

    if "week" not in data.columns or AFTER_ESSAY in data.columns:
        return data
    week = pd.to_datetime(data["week"].astype(str).str[:10], format="%Y-%m-%d", errors="coerce")
    after = (week > essay_date().week).map({True: "true", False: "false"})
    out = data.copy()
    out.insert(list(out.columns).index("week") + 1, AFTER_ESSAY, after.to_numpy())
    return out


def title_of(fig: Figure) -> str:
    """The chart's title on one line (what the prose's references to the figure call it)."""
    return " ".join(fig.get_suptitle().split())


def in_book_build() -> bool:
    """True while the book build executes the notebooks."""
    return os.environ.get(BOOK_BUILD_ENV) == "1"


def publish(
    fig: Figure,
    *,
    name: str,
    caption: str,
    alt: str,
    snap: Snapshot,
    data: pd.DataFrame | None = None,
    trend: bool = False,
) -> None:
    """Show a finished chart with its caption, alt text and source line.

    ``data`` is the exact table the chart draws (units in the column names); in the book it is
    offered as a CSV download beside the figure. ``trend`` marks a week-by-week chart: it marks
    the essay's week (:func:`essay_marks`) and its data say which weeks came after it
    (:func:`with_after_essay`); on a snapshot of one week its caption says it needs two, and its
    lines show their one point. A chart drawn on the snapshot cut at the essay's week
    (:func:`tokenrace.snapshot.essay.upto`) says in its caption in which week its data end.
    """
    from IPython.display import SVG, Markdown, display

    if trend and len(snap.weeks) < TREND_WEEKS:
        caption = f"{caption} {one_week_note(fig, len(snap.weeks))}"
    if trend:
        marked, marked_alt = essay_marks(fig, snap)
        caption = f"{caption} {marked}".strip()
        alt = f"{alt} {marked_alt}".strip()
        data = with_after_essay(data) if data is not None else None
    if snap.whole is not None:  # cut at the essay's week: its "final four weeks" end there
        caption = f"{caption} As of the essay: the data end in the {week_label(snap.weeks[-1])}."
    add_source(fig, snap)
    svg = hover.titled_svg(svg_bytes(fig).decode("utf-8"), hover.hover_texts(fig), name).encode()
    previews.save_png(fig, name)
    plt.close(fig)
    full_caption = f"{caption} {source_line(snap)}."
    if not in_book_build():
        display(SVG(svg))
        display(Markdown(f"**Figure: {title_of(fig)}.** {full_caption}"))
        return
    links = ""
    if data is not None:
        csv_text = data.to_csv(index=False, lineterminator="\n", float_format="%.6g")
        href = "data:text/csv;base64," + base64.b64encode(csv_text.encode()).decode()
        links = (
            f' <a class="chart-data" download="{name}.csv" href="{href}">'
            "Download the chart's data (CSV)</a>"
        )
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    alt_text = " ".join(alt.split())
    display(
        Markdown(
            f":::{{figure}} {src}\n:name: {name}\n:alt: {alt_text}\n\n{full_caption}{links}\n:::\n"
        )
    )
