"""The sourced facts behind the snapshot (``data/sources/anchors.csv``), for citing in prose."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

ANCHORS = DEFAULT_DATA_DIR / "sources" / "anchors.csv"


@lru_cache(maxsize=1)
def anchors() -> pd.DataFrame:
    """Every sourced fact, indexed by its id (``T01``, ``M01``, ``S09``, ...)."""
    return pd.read_csv(ANCHORS, dtype=str, keep_default_na=False).set_index("id")


def fact_value(anchor_id: str) -> float:
    """The value of one sourced fact, in the unit its ``unit`` column states."""
    return float(anchors().at[anchor_id, "value"])
