"""Final-week levels as a reconstruction without the Data API would set them: a trend, continued.

OpenRouter's Data API measures the snapshot's final weeks (from 20 May 2026). Without it, as in
a reconstruction like the essay's, nothing would measure the listed models in the final week
(25-31 May 2026). For that case (leaving the Data API out on the Data page), a model measured in
the weeks before the API's (from :data:`RECENT` on) continues the trend of its last two points
before them (log-linear, the reconstruction's own interpolation) where that trend is a decline,
and holds its last level where it is a rise: no model that nothing measures is assumed to grow.
The platform's growth in those weeks then goes to the long tail, not to a guess.

These knots sit in ``knots.csv`` with :data:`REASON`. Where the Data API measures the week they
are not inputs (measured first: the API's own values, and no listed tokens for a model outside
its top 50). ``tests/test_no_essay_inputs`` recomputes each of them (:func:`final_knots`).
Units: billion tokens per Monday-start UTC week.
"""

from __future__ import annotations

import pandas as pd

#: The cap on an unmeasured model's weekly growth factor: 1, no growth.
GROWTH_CAP = 1.0
#: The range of a continued level: from this factor below to this factor above it.
RANGE_FACTOR = 2.0
#: The final week, and the first week the Data API measures (its points are not used here).
FINAL_WEEK = pd.Timestamp("2026-05-25")
API_WEEK = pd.Timestamp("2026-05-18")
#: A model is continued when its last point before the API's weeks is this week or later.
RECENT = pd.Timestamp("2026-04-27")
REASON = (
    "Final week (25-31 May 2026) without the Data API: the model's decline between its last two "
    "points before the API's weeks continued, or its last level held where it rose (nothing "
    "unmeasured is assumed to grow); where the API measures the week, not an input"
)
RANGE_REASON = "No measurement in the final weeks: from half to double the continued trend"


def continued_level(points: pd.DataFrame, week: pd.Timestamp) -> float:
    """The level (billion tokens) of a series at ``week``, continuing its last two points.

    ``points`` has ``week`` (Timestamp) and ``central`` (billion tokens) of the series' inputs
    before ``week``; the weekly growth factor between the last two is capped at
    :data:`GROWTH_CAP`. A series with one point stays at its level.
    """
    points = points[points["week"] < week].sort_values("week")
    if points.empty:
        raise ValueError(f"no point before {week:%Y-%m-%d} to continue")
    last = points.iloc[-1]
    if len(points) == 1:
        return float(last["central"])
    before = points.iloc[-2]
    weeks_between = (last["week"] - before["week"]).days / 7
    rate = min((last["central"] / before["central"]) ** (1 / weeks_between), GROWTH_CAP)
    return float(last["central"] * rate ** ((week - last["week"]).days / 7))


def final_knots(inputs: pd.DataFrame) -> pd.DataFrame:
    """The rule's knots (the columns of ``knots.csv``) from the reconstruction's other inputs
    (:func:`tokenrace.sources.inputs.read_inputs`): one for every model whose last token point
    before :data:`API_WEEK` lies in :data:`RECENT` or later, rounded to whole billions."""
    before = inputs[(inputs["week"] < API_WEEK) & ~inputs["series"].str.contains(":")]
    rows = []
    for series, points in before[before["series"] != "all"].groupby("series", sort=True):
        if points["week"].max() < RECENT:
            continue
        value = float(round(continued_level(points, FINAL_WEEK)))
        rows.append(
            {
                "series": series,
                "week": f"{FINAL_WEEK:%Y-%m-%d}",
                "billion_tokens": f"{value:g}",
                "low": f"{value / RANGE_FACTOR:g}",
                "high": f"{value * RANGE_FACTOR:g}",
                "reason": REASON,
                "range_reason": RANGE_REASON,
            }
        )
    return pd.DataFrame(rows)
