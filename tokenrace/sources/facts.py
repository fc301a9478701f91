"""The sourced facts behind the snapshot, for citing in prose: the hand-typed figures of reporting
(``data/sources/anchors.csv``) and the input mix the weekly ranking files measure (imported into
``data/sources/measured.csv``, never typed)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.inputs import MEASURED_FILE, read_anchor_file
from tokenrace.sources.measured.ranking_files import CACHED_SHARE, INPUT_SHARE, SOURCE_ID

ANCHORS = DEFAULT_DATA_DIR / "sources" / "anchors.csv"
MEASURED = DEFAULT_DATA_DIR / "sources" / MEASURED_FILE


@lru_cache(maxsize=1)
def anchors() -> pd.DataFrame:
    """Every hand-typed sourced fact, indexed by its id (``T01``, ``M40``, ``S10``, ...)."""
    return pd.read_csv(ANCHORS, dtype=str, keep_default_na=False).set_index("id")


def fact_value(anchor_id: str) -> float:
    """The value of one sourced fact, in the unit its ``unit`` column states."""
    return float(anchors().at[anchor_id, "value"])


@dataclass(frozen=True)
class InputMix:
    """The input mix of the most-used models in one week, as the weekly ranking files measure it:
    ``input_pct``, prompt (input) tokens as a percent of prompt plus completion tokens;
    ``cached_pct``, the cached part of those prompt tokens (percent); ``week`` (Monday) and the
    anchor ``ids`` they come from."""

    week: pd.Timestamp
    input_pct: float
    cached_pct: float
    ids: tuple[str, str]


@lru_cache(maxsize=4)
def input_mix(upto: pd.Timestamp) -> InputMix:
    """The latest input mix the ranking files measure in a week up to ``upto`` (a Monday), read
    from ``measured.csv`` as every anchor file is read (:func:`~tokenrace.sources.inputs.
    read_anchor_file`).

    Raises ``LookupError``, naming the file, when ``measured.csv`` has none by then.
    """
    table = read_anchor_file(MEASURED, MEASURED_FILE)
    mix = table[
        (table["source_id"] == SOURCE_ID)
        & (table["kind"] == "share")
        & (table["week"] <= f"{upto:%Y-%m-%d}")
    ]
    for week in sorted(set(mix["week"]), reverse=True):
        rows = mix[mix["week"] == week].set_index("subject")
        if {INPUT_SHARE, CACHED_SHARE} <= set(rows.index):
            found = rows.loc[[INPUT_SHARE, CACHED_SHARE]]
            pct, ids = found["value"].tolist(), tuple(found["id"])
            return InputMix(pd.Timestamp(week), pct[0], pct[1], ids)
    raise LookupError(f"{MEASURED}: no input mix of the ranking files by {upto:%Y-%m-%d}")
