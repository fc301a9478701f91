"""Re-cuts of the weekly tokens: by model, by lab, and by where each model was made.

All token figures are prompt plus completion tokens per Monday-start UTC week. Shares are
percentages of every token in the week, the long tail (``other``) included, unless a function
says otherwise.
"""

from __future__ import annotations

import pandas as pd

from tokenrace import contract as c
from tokenrace.countries import EUROPE
from tokenrace.snapshot import Snapshot

#: Origin groups, in the order charts stack them: key -> label.
ORIGIN_GROUPS: dict[str, str] = {
    "cn_open": "China, open weights",
    "cn_closed": "China, closed",
    "us_closed": "US, closed (frontier)",
    "us_open": "US, open weights",
    "europe": "Europe",
    "elsewhere": "Other countries",
    "unattributed": "Unattributed",
}

#: The essay's three-way split: China open-weight, US frontier (closed) and everything else.
ESSAY_SPLIT: dict[str, str] = {
    "cn_open": "China open-weight",
    "us_closed": "US frontier (closed)",
    "rest": "Everything else",
}


def origin_group(country: str, open_weights: bool) -> str:
    """The origin group key of a model made in ``country`` (ISO code, "" if unattributed)."""
    if not country:
        return "unattributed"
    if country == "CN":
        return "cn_open" if open_weights else "cn_closed"
    if country == "US":
        return "us_open" if open_weights else "us_closed"
    return "europe" if country in EUROPE else "elsewhere"


def model_attributes(snap: Snapshot) -> pd.DataFrame:
    """One row per model slug in the weekly table (``other`` included), indexed by slug.

    Columns: ``name``, ``author``, ``lab``, ``country`` ("" when unattributed), ``open_weights``,
    ``group`` (origin group key), ``input_usd_per_mtok``, ``output_usd_per_mtok``.
    """
    table = snap.models.merge(snap.authors[["author", "lab", "country"]], on="author", how="left")
    table["group"] = [
        origin_group(country, bool(open_))
        for country, open_ in zip(table["country"], table["open_weights"], strict=True)
    ]
    other = pd.DataFrame(
        [
            {
                "model": c.OTHER,
                "name": "Other models (long tail)",
                "author": "",
                "lab": "Other models",
                "country": "",
                "open_weights": False,
                "group": "unattributed",
            }
        ]
    )
    table = pd.concat([table, other], ignore_index=True)
    columns = ["name", "author", "lab", "country", "open_weights", "group"]
    columns += ["input_usd_per_mtok", "output_usd_per_mtok", "released"]
    return table.set_index("model")[columns]


def wide_tokens(snap: Snapshot) -> pd.DataFrame:
    """Tokens per week (rows, Mondays) and model (columns); 0 where a model has no row."""
    wide = snap.weekly.pivot(index="week", columns="model", values="tokens")
    return wide.fillna(0).astype("int64")


def weekly_total(snap: Snapshot) -> pd.Series:
    """The platform total per week, in tokens."""
    return snap.weekly.groupby("week")["tokens"].sum()


def tokens_by(snap: Snapshot, column: str) -> pd.DataFrame:
    """Tokens per week (rows) for each value of a model attribute (columns), e.g. ``group``."""
    attrs = model_attributes(snap)
    keyed = snap.weekly.assign(key=snap.weekly["model"].map(attrs[column]))
    return keyed.pivot_table(index="week", columns="key", values="tokens", aggfunc="sum").fillna(0)


def shares_by(snap: Snapshot, column: str) -> pd.DataFrame:
    """Percent of all tokens in each week for each value of a model attribute."""
    tokens = tokens_by(snap, column)
    return tokens.div(tokens.sum(axis=1), axis=0) * 100
