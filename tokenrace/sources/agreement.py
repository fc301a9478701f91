"""How far the measured sources disagree where they overlap, and the range each source's anchors
take from it.

Two measured sources (``measured.csv``: the ranking files, the rankings-page readings, the Data
API) *overlap* where both give a value of the same series, a model's weekly tokens or the
platform total, in the same week. A week-to-date value is first scaled to its week (× 7 /
``days``), as an input is; a lower bound (an anchor whose ``low`` is its value) is no point value
and is left out. For each overlap, each pair of values differs by ``max(a, b) / min(a, b) - 1``
(how far the larger lies above the smaller, the same from either side), in exact decimal
arithmetic (so no CPU's last bits move a percentile).

A source's **measured disagreement** is the 90th percentile of its pairs' differences (nearest
rank: nine in ten of its overlaps differ by no more), rounded up to a whole percent. An anchor of
that source without a range of its own takes it as its relative half-width, in place of its
grade's default (:data:`tokenrace.sources.inputs.GRADE_HALF_WIDTH`). A source with fewer than
:data:`MIN_PAIRS` overlaps keeps its grade's default, and the Data page says so. The grade
itself, how directly a value was read, is unchanged.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd

#: The share of a source's overlaps its range covers (nearest rank).
QUANTILE = Fraction(9, 10)
#: Fewer overlaps than this: the source keeps its grade's default range.
MIN_PAIRS = 10
#: The anchor kinds whose values can overlap (a model's weekly tokens, the platform total), with
#: their week-to-date forms.
POINT_KINDS = ("model", "model_to_date", "total", "total_to_date")


def overlaps(anchors: pd.DataFrame) -> pd.DataFrame:
    """Every pair of values of two sources for the same series and week.

    ``anchors`` is an anchors table (:func:`tokenrace.sources.inputs.read_anchor_file`). Columns:
    ``series`` (``all`` or a model slug), ``week``, ``source``, ``other`` (the other source),
    ``id``, ``other_id``, ``value``, ``other_value`` (billion tokens per week) and ``difference``
    (``max / min - 1`` of the two, an exact fraction). Each pair appears twice, once from each
    side.
    """
    points = anchors[anchors["kind"].isin(POINT_KINDS) & (anchors["source_id"] != "")]
    lower = points["low"].notna() & (points["low"] == points["value"])
    points = points[~lower & points["value"].notna() & (points["value"] > 0)]
    base = points["kind"].str.removesuffix("_to_date")
    # Only a series and week that two sources give overlaps (a few hundred of thousands of rows).
    sources = points.groupby([base, points["subject"], points["week"]])["source_id"]
    shared = sources.transform("nunique").to_numpy() > 1
    points, base = points[shared], base[shared]
    rows = []
    for (kind, subject, week), group in points.groupby([base, "subject", "week"], sort=True):
        values = [(a.source_id, a.id, _weekly(a.value, a.days)) for a in group.itertuples()]
        for source, key, value in values:
            for other, other_key, other_value in values:
                if other == source:
                    continue
                rows.append(
                    {
                        "series": "all" if kind == "total" else subject,
                        "week": week,
                        "source": source,
                        "other": other,
                        "id": key,
                        "other_id": other_key,
                        "value": float(value),
                        "other_value": float(other_value),
                        "difference": max(value, other_value) / min(value, other_value) - 1,
                    }
                )
    columns = ["series", "week", "source", "other", "id", "other_id", "value", "other_value"]
    return pd.DataFrame(rows, columns=[*columns, "difference"])


def disagreement(anchors: pd.DataFrame) -> pd.DataFrame:
    """Each source of ``anchors`` with its overlaps and the range they give, one row each.

    Columns: ``source``, ``others`` (the sources it overlaps, joined by " and "), ``pairs``,
    ``median`` and ``p90`` (its pairs' relative differences, nearest rank), and ``half_width``
    (``p90`` rounded up to a whole percent; NaN with fewer than :data:`MIN_PAIRS` pairs: the grade
    default holds).
    """
    pairs = overlaps(anchors)
    rows = []
    for source in sorted(set(anchors.loc[anchors["source_id"] != "", "source_id"])):
        mine = pairs[pairs["source"] == source]
        found = sorted(mine["difference"])
        half = math.nan
        if len(found) >= MIN_PAIRS:
            half = math.ceil(_rank(found, QUANTILE) * 100) / 100
        rows.append(
            {
                "source": source,
                "others": " and ".join(sorted(set(mine["other"]))),
                "pairs": len(found),
                "median": float(_rank(found, Fraction(1, 2))) if found else math.nan,
                "p90": float(_rank(found, QUANTILE)) if found else math.nan,
                "half_width": half,
            }
        )
    return pd.DataFrame(rows, columns=["source", "others", "pairs", "median", "p90", "half_width"])


def half_widths(anchors: pd.DataFrame) -> dict[str, float]:
    """The relative half-width of each source with enough overlaps (:func:`disagreement`)."""
    table = disagreement(anchors)
    table = table[table["half_width"].notna()]
    return dict(zip(table["source"], table["half_width"].astype(float), strict=True))


def _weekly(value: float, days: float) -> Fraction:
    """A value (billion tokens) as a weekly value, exactly: × 7 / ``days`` for a week-to-date."""
    exact = Fraction(repr(float(value)))
    if isinstance(days, float) and not math.isnan(days):
        exact = exact * 7 / Fraction(repr(days))
    return exact


def _rank(values: list[Fraction], quantile: Fraction) -> Fraction:
    """The nearest-rank quantile of sorted ``values``: the smallest value with at least
    ``quantile`` of them at or below it."""
    return values[max(0, math.ceil(quantile * len(values)) - 1)]
