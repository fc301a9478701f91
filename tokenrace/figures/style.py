"""What the essay's charts share: units, shades per lab, markers per origin group."""

from __future__ import annotations

import pandas as pd
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from tokenrace.analysis import recut
from tokenrace.snapshot.load import Snapshot

T = 1e12
B = 1e9
#: Shades per country for per-lab charts (colour-blind-safe families, darkest first).
LAB_SHADES = {
    "CN": ["#D55E00", "#E69F00", "#B34700", "#F0B04A", "#8C3A00", "#F5C77E", "#C4661F"],
    "US": ["#0072B2", "#56B4E9", "#004F7C", "#8CCBEE", "#2C8AC4", "#B3DDF5"],
}
OTHER_SHADE = "#BBBBBB"
MARKERS = {
    "cn_open": "o",
    "cn_closed": "s",
    "us_closed": "D",
    "us_open": "^",
    "europe": "v",
    "elsewhere": "P",
    "unattributed": "X",
}


def money_text(usd: float) -> str:
    """A price tick in dollars: $0.01, $0.10, $1, $10, $1,000."""
    return f"${usd:,.2f}" if usd < 1 else f"${usd:,.0f}"


def billions_text(billions: float) -> str:
    """A token tick from billions of tokens: 10 M, 100 M, 1 B, 100 B, 1 T, 10 T."""
    for size, unit in ((1e3, "T"), (1.0, "B"), (1e-3, "M")):
        if billions >= size:
            return f"{billions / size:,.0f} {unit}"
    return f"{billions * 1e6:,.0f} K"


#: Below this ratio of the data's largest to smallest value, a log axis also ticks at 2 and 5
#: times each power of ten (else a narrow range could show a single tick).
NARROW_LOG_RANGE = 30.0


def _log_locator(axis: Axis) -> LogLocator:
    """Ticks at each power of ten, and at 2 and 5 times it when the data span a narrow range.
    Call it once the data are drawn."""
    low, high = axis.get_data_interval()
    narrow = 0 < low <= high < low * NARROW_LOG_RANGE
    return LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,))


def money_log_axis(axis: Axis) -> None:
    """A log axis in USD: a tick at each power of ten, written $0.10, $1, $10 (not 10⁰)."""
    axis.set_major_locator(_log_locator(axis))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: money_text(v)))
    axis.set_minor_formatter(NullFormatter())


def token_log_axis(axis: Axis) -> None:
    """A log axis of tokens given in billions: a tick at each power of ten, written 1 T, 10 T."""
    axis.set_major_locator(_log_locator(axis))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: billions_text(v)))
    axis.set_minor_formatter(NullFormatter())


def not_shown_text(names, what: str, *, log_axis: bool = False) -> str:
    """Caption words for the models a chart leaves out, with their names, or "" if none:
    `` 2 models without a price are not shown: A, B.`` With ``log_axis``, they are said to have
    no place on the log axis (a price or count of zero, say)."""
    names = list(names)
    if not names:
        return ""
    one = len(names) == 1
    models = "1 model" if one else f"{len(names)} models"
    place = f"{'has' if one else 'have'} no place on the log axis and " if log_axis else ""
    return f" {models} {what} {place}{'is' if one else 'are'} not shown: {', '.join(names)}."


def weeks_text(index: pd.DatetimeIndex) -> list[str]:
    return [f"{w:%Y-%m-%d}" for w in index]


def lab_country(snap: Snapshot) -> dict[str, str]:
    attrs = recut.model_attributes(snap)
    return dict(zip(attrs["lab"], attrs["country"], strict=False))


def sourced_points(snap: Snapshot, kind: str, subjects: tuple[str, ...] = ()) -> pd.DataFrame:
    """The snapshot's sourced anchors of one ``kind`` inside its weeks, with their ranges.

    Knot and check anchors only (context anchors are not reproduced). Columns ``id``, ``week``,
    ``weeks``, ``subject``, ``value``, ``low``, ``high``, ``grade``, in the anchor's unit. Empty
    for a snapshot without ``sources/`` (a fetched one, say).
    """
    from tokenrace.snapshot.layout import SOURCES_DIR
    from tokenrace.sources.inputs import anchor_range, read_anchors_and_ranges

    columns = ["id", "week", "weeks", "subject", "value", "low", "high", "grade"]
    path = snap.path / SOURCES_DIR
    if not (path / "anchors.csv").is_file():
        return pd.DataFrame(columns=columns)
    anchors, measured = read_anchors_and_ranges(path)
    rows = anchors[
        (anchors["kind"] == kind)
        & (anchors["role"] != "context")
        & anchors["week"].between(snap.weeks[0], snap.weeks[-1])
        & (anchors["subject"].isin(subjects) if subjects else True)
    ].copy()
    ranges = [
        anchor_range(r.grade, r.value, r.low, r.high, measured.get(r.source_id))
        for r in rows.itertuples()
    ]
    rows["low"] = [lo for lo, _ in ranges]
    rows["high"] = [hi for _, hi in ranges]
    return rows[columns].sort_values("week", kind="stable").reset_index(drop=True)


def band_on(found: dict, key: str, index: pd.DatetimeIndex) -> dict[str, list[float]] | None:
    """The ensemble band ``key`` of ``found`` (p5, p95), aligned to the chart's weeks ``index``:
    NaN in a week the reconstructions do not cover (after the essay's week, which is measured).
    None when the snapshot has no such band."""
    band = found.get("bands", {}).get(key)
    if band is None:
        return None
    weeks = pd.DatetimeIndex(found.get("band_weeks", found["weeks"]))
    return {end: pd.Series(band[end], index=weeks).reindex(index).tolist() for end in ("p5", "p95")}


def band_text(found: dict) -> str:
    """Caption words for an ensemble band (empty when the snapshot has no ensemble)."""
    if "bands" not in found:
        return ""
    return (
        f" The shaded band holds the middle 90 % of {found['draws']} reconstructions drawn "
        "across the plausible range of every sourced fact and assumption (data chapter); "
        "points with bars are sourced figures with their ranges."
    )
