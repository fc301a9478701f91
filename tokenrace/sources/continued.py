"""Final-week levels where nothing measures a model: its own trend, continued.

No source measures the listed models in the snapshot's final week (25-31 May 2026). Rather than
pick a level for each of them (earlier editions picked levels that made the origin split match
the essay's own chart), a model without a point of its own in that week continues the trend of
its last two points (log-linear, the reconstruction's own interpolation) where that trend is a
decline, and holds its last level where it is a rise: no model that nothing measures is assumed
to grow. The platform's growth in those weeks then goes to the long tail, not to a guess.

The knots this rule writes sit in ``knots.csv`` with :data:`REASON`; ``tests/test_no_essay_inputs``
recomputes each of them from the other inputs. Units: billion tokens per Monday-start UTC week.
"""

from __future__ import annotations

import pandas as pd

#: The cap on an unmeasured model's weekly growth factor: 1, no growth.
GROWTH_CAP = 1.0
#: The range of a continued level: from this factor below to this factor above it.
RANGE_FACTOR = 2.0
REASON = (
    "Final week (25-31 May 2026): no measurement; the model's decline between its last two points "
    "continued, or its last level held where it rose (nothing unmeasured is assumed to grow)"
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
