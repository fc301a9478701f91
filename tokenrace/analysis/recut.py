"""Re-cuts of the weekly tokens: by model, by lab, and by where each model was made.

All token figures are prompt plus completion tokens per Monday-start UTC week. Shares are
percentages of every token in the week, the long tail (``other``) included, unless a function
says otherwise.
"""

from __future__ import annotations

import pandas as pd

from tokenrace.snapshot import layout as c
from tokenrace.snapshot.countries import EUROPE
from tokenrace.snapshot.load import Snapshot

#: Origin groups, in the order charts stack them: key -> label.
ORIGIN_GROUPS: dict[str, str] = {
    "cn_open": "China, open weights",
    "cn_closed": "China, closed",
    "us_closed": "US, closed weights",
    "us_open": "US, open weights",
    "europe": "Europe",
    "elsewhere": "Other countries",
    "unattributed": "Unattributed",
}

#: The essay's three-way split. (The essay's chart calls US closed-weight models "US frontier";
#: this report keeps "frontier" for one narrower group: see :data:`GLOSSARY`.)
ESSAY_SPLIT: dict[str, str] = {
    "cn_open": ORIGIN_GROUPS["cn_open"],
    "us_closed": ORIGIN_GROUPS["us_closed"],
    "rest": "Everything else",
}

#: Every group name the report uses, each with its one meaning (shown on the Claims page).
GLOSSARY: dict[str, str] = {
    "China, open weights": "Models by labs headquartered in China whose weights are published.",
    "China, closed": "Models by labs headquartered in China whose weights are not published.",
    "US, closed weights": "Every model by a US lab whose weights are not published.",
    "US, open weights": "Models by US labs whose weights are published (gpt-oss, Gemma, Llama).",
    "Europe": "Models by labs headquartered in Europe (Mistral, TNG).",
    "Other countries": "Models by labs headquartered anywhere else.",
    "Unattributed": "The long tail of unlisted models and OpenRouter's stealth models: no "
    "disclosed origin.",
    "Everything else": "All tokens that are neither China, open weights nor US, closed weights.",
    "frontier": "The US closed-weight models among the 10 most-used models of the final four "
    "weeks (price comparisons only).",
    "paid tokens": "Tokens not served on a free (':free') variant, nor by a model listed at $0 "
    "(OpenRouter's stealth models); free tokens cost the buyer nothing.",
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


def listed_free(attrs: pd.DataFrame) -> pd.Series:
    """True for each model listed at $0 for input and output (USD per million tokens), such as
    OpenRouter's stealth models: every token it serves is free, whatever its variant. ``attrs``
    has the price columns of :func:`model_attributes`; a model without a price is not free."""
    return attrs["input_usd_per_mtok"].eq(0) & attrs["output_usd_per_mtok"].eq(0)


def free_tokens(rows: pd.DataFrame, attrs: pd.DataFrame) -> pd.Series:
    """The free tokens of each weekly row (``model, tokens, free_tokens``): its ``free_tokens``
    (NaN where unknown), or all its tokens for a model listed at $0 (:func:`listed_free` of
    ``attrs``)."""
    at_zero = listed_free(attrs)
    return rows["free_tokens"].where(~rows["model"].isin(at_zero.index[at_zero]), rows["tokens"])


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


def last_weeks(snap: Snapshot, n: int) -> pd.DatetimeIndex:
    """The final ``n`` weeks of the snapshot (Mondays)."""
    return snap.weeks[-n:]


def top_models(snap: Snapshot, weeks: pd.DatetimeIndex, n: int = 10) -> pd.DataFrame:
    """The ``n`` most-used listed models over ``weeks`` (the long tail excluded), ranked.

    Columns: ``rank``, ``model``, ``name``, ``lab``, ``country``, ``open_weights``, ``group``,
    ``tokens`` (summed over the weeks) and ``share_pct`` (of every token in those weeks).
    """
    rows = snap.weekly[snap.weekly["week"].isin(weeks)]
    total = rows["tokens"].sum()
    summed = rows[rows["model"] != c.OTHER].groupby("model")["tokens"].sum()
    top = summed.sort_values(ascending=False, kind="stable").head(n)
    attrs = model_attributes(snap).loc[top.index]
    out = attrs[["name", "lab", "country", "open_weights", "group"]].copy()
    out["tokens"] = top.astype("int64")
    out["share_pct"] = top / total * 100
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.rename_axis("model").reset_index()


def month_spans(snap: Snapshot, weeks: int) -> tuple[str, str]:
    """The first and the last ``weeks`` weeks as text ("26 May 2025 to 16 Jun 2025")."""
    first, last = snap.weeks[:weeks], snap.weeks[-weeks:]
    return (
        f"{first[0]:%d %b %Y} to {first[-1]:%d %b %Y}",
        f"{last[0]:%d %b %Y} to {last[-1]:%d %b %Y}",
    )


def lab_tokens(snap: Snapshot) -> pd.DataFrame:
    """Tokens per week (rows) and lab (columns); the long tail is the column "Other models"."""
    return tokens_by(snap, "lab")


def china_share(snap: Snapshot) -> pd.Series:
    """Percent of all tokens each week from models made in China (open and closed weights)."""
    shares = shares_by(snap, "country")
    return shares["CN"] if "CN" in shares else pd.Series(0.0, index=shares.index)


def unattributed_share(snap: Snapshot) -> pd.Series:
    """Percent of all tokens each week that no country can be given: the long tail ``other``
    and the stealth models. Any country's share may be higher than its listed models' by up to
    this much."""
    shares = shares_by(snap, "group")
    return shares["unattributed"] if "unattributed" in shares else shares.iloc[:, 0] * 0.0


def essay_split_weekly(snap: Snapshot) -> pd.DataFrame:
    """The essay's three-way split (percent of all tokens) of every week: columns of
    :data:`ESSAY_SPLIT`."""
    shares = shares_by(snap, "group")
    out = pd.DataFrame(index=shares.index)
    for key in ("cn_open", "us_closed"):
        out[key] = shares[key] if key in shares else 0.0
    out["rest"] = 100 - out["cn_open"] - out["us_closed"]
    return out


def essay_split(snap: Snapshot, weeks: pd.DatetimeIndex, top_n: int | None = None) -> pd.Series:
    """The essay's three-way split (percent) of the tokens in ``weeks``.

    Keys of :data:`ESSAY_SPLIT`. With ``top_n``, the denominator is the ``top_n`` most-used
    models of those weeks only (as press figures use), not every token.
    """
    rows = snap.weekly[snap.weekly["week"].isin(weeks)]
    summed = rows.groupby("model")["tokens"].sum()
    if top_n is not None:
        summed = summed.drop(c.OTHER, errors="ignore").sort_values(ascending=False).head(top_n)
    groups = model_attributes(snap).loc[summed.index, "group"]
    keyed = groups.where(groups.isin(["cn_open", "us_closed"]), "rest")
    shares = summed.groupby(keyed).sum() / summed.sum() * 100
    return shares.reindex(list(ESSAY_SPLIT), fill_value=0.0)
