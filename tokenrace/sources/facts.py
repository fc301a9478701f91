"""The sourced facts behind the snapshot, for citing in prose: the hand-typed figures of reporting
(``data/sources/anchors.csv``) and the input mix the weekly ranking files measure (imported into
``data/sources/measured.csv``, never typed)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.measured.ranking_files import CACHED_SHARE, INPUT_SHARE, SOURCE_ID

ANCHORS = DEFAULT_DATA_DIR / "sources" / "anchors.csv"
MEASURED = DEFAULT_DATA_DIR / "sources" / "measured.csv"


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
    """The latest input mix the ranking files measure in a week up to ``upto`` (a Monday).

    Raises ``LookupError``, naming the file, when ``measured.csv`` has none by then.
    """
    table = pd.read_csv(MEASURED, dtype=str, keep_default_na=False)
    mix = table[(table["source_id"] == SOURCE_ID) & (table["kind"] == "share")]
    mix = mix[mix["week"] <= f"{upto:%Y-%m-%d}"]
    by_week = mix.pivot_table(index="week", columns="subject", values="id", aggfunc="first")
    both = by_week.dropna(subset=[s for s in (INPUT_SHARE, CACHED_SHARE) if s in by_week])
    if both.empty or not {INPUT_SHARE, CACHED_SHARE} <= set(both.columns):
        raise LookupError(f"{MEASURED}: no input mix of the ranking files by {upto:%Y-%m-%d}")
    week = both.index.max()
    ids = (both.at[week, INPUT_SHARE], both.at[week, CACHED_SHARE])
    values = table.set_index("id")["value"]
    return InputMix(pd.Timestamp(week), float(values[ids[0]]), float(values[ids[1]]), ids)
