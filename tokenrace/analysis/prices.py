"""Prices: the 3:1 blend, token-weighted averages and estimated spend.

Prices are USD per million tokens (USD/Mtok). The blended price weights input (prompt) and output
(completion) prices 3:1, the common convention for one price per model (Artificial Analysis).
Models without a recorded price are left out of price-weighted figures, and each function says
how many tokens that leaves out.
"""

from __future__ import annotations

import pandas as pd

from tokenrace.analysis import recut
from tokenrace.snapshot.load import Snapshot

#: Input share of the 3:1 blend.
BLEND_INPUT_SHARE = 0.75


def blended_price(
    input_usd_per_mtok: pd.Series | float,
    output_usd_per_mtok: pd.Series | float,
    input_share: float = BLEND_INPUT_SHARE,
) -> pd.Series | float:
    """Blended price in USD per million tokens: ``input_share`` of input, the rest output."""
    return input_share * input_usd_per_mtok + (1 - input_share) * output_usd_per_mtok


def model_prices(snap: Snapshot, input_share: float = BLEND_INPUT_SHARE) -> pd.DataFrame:
    """Each model's attributes with ``blended_usd_per_mtok`` (NaN where no price is recorded)."""
    attrs = recut.model_attributes(snap)
    attrs["blended_usd_per_mtok"] = blended_price(
        attrs["input_usd_per_mtok"], attrs["output_usd_per_mtok"], input_share
    )
    return attrs


def usage_and_price(
    snap: Snapshot,
    weeks: pd.DatetimeIndex,
    input_share: float = BLEND_INPUT_SHARE,
    paid: bool = False,
) -> pd.DataFrame:
    """Per listed model: ``tokens`` over ``weeks`` and the blended price, most used first.

    With ``paid``, ``tokens`` counts paid tokens only (free-variant tokens, and every token of a
    model listed at $0, cost the buyer nothing) when every row's free count is known;
    ``table.attrs["paid"]`` says whether it does.
    """
    rows = snap.weekly[snap.weekly["week"].isin(weeks) & (snap.weekly["model"] != "other")]
    attrs = model_prices(snap, input_share)
    counted_paid = paid and bool(rows["free_tokens"].notna().all())
    if counted_paid:
        rows = rows.assign(tokens=rows["tokens"] - recut.free_tokens(rows, attrs).astype("int64"))
    tokens = rows.groupby("model")["tokens"].sum()
    table = attrs.loc[tokens.index]
    table["tokens"] = tokens.astype("int64")
    table = table.sort_values("tokens", ascending=False, kind="stable")
    table.attrs["paid"] = counted_paid
    return table


def counted_text(table: pd.DataFrame) -> str:
    """Caption words for what a price or spend table counts (see :func:`usage_and_price`)."""
    if table.attrs.get("paid"):
        return (
            "Paid tokens only: tokens served on free variants, or by models listed at $0, cost "
            "the buyer nothing."
        )
    return "All tokens: this snapshot does not record every model's free tokens."


def weighted_price(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Token-weighted blended price (USD/Mtok) per value of ``by``, over priced models only.

    ``table`` is :func:`usage_and_price` output. Columns: ``usd_per_mtok``, ``priced_tokens``,
    ``unpriced_tokens``, ``models``.
    """
    priced = table[table["blended_usd_per_mtok"].notna()]
    spend = (priced["tokens"] * priced["blended_usd_per_mtok"]).groupby(priced[by]).sum()
    priced_tokens = priced.groupby(by)["tokens"].sum()
    unpriced = table[table["blended_usd_per_mtok"].isna()].groupby(by)["tokens"].sum()
    out = pd.DataFrame(
        {
            "usd_per_mtok": spend / priced_tokens,
            "priced_tokens": priced_tokens,
            "unpriced_tokens": unpriced.reindex(priced_tokens.index, fill_value=0),
            "models": priced.groupby(by).size(),
        }
    )
    return out.sort_values("usd_per_mtok")


def spend_and_token_shares(
    snap: Snapshot,
    weeks: pd.DatetimeIndex,
    by: str,
    input_share: float = BLEND_INPUT_SHARE,
    paid: bool = True,
) -> pd.DataFrame:
    """Estimated spend share against token share (percent) per value of ``by``.

    Spend = paid tokens × blended price at ``input_share`` input (all tokens where the snapshot
    lacks the free counts; ``out.attrs["paid"]`` says which). Only priced listed models count,
    in both shares, so the two are comparable.
    """
    table = usage_and_price(snap, weeks, input_share, paid=paid)
    priced = table[table["blended_usd_per_mtok"].notna()]
    spend = (priced["tokens"] / 1e6 * priced["blended_usd_per_mtok"]).groupby(priced[by]).sum()
    tokens = priced.groupby(by)["tokens"].sum()
    out = pd.DataFrame(
        {
            "token_share_pct": tokens / tokens.sum() * 100,
            "spend_share_pct": spend / spend.sum() * 100,
            "spend_usd": spend,
        }
    )
    out = out.sort_values("token_share_pct", ascending=False)
    out.attrs["paid"] = table.attrs["paid"]
    return out
