"""Charts of The humanist case: cost against usage, price by origin, spend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokenrace.analysis import prices, recut
from tokenrace.claims import register as claims
from tokenrace.figures import charts, hover, labels, style, tables
from tokenrace.figures.style import MARKERS, B, T
from tokenrace.snapshot.load import Snapshot


def log_scatter_models(snap: Snapshot) -> tuple[pd.DataFrame, str]:
    """The models of the final four weeks the cost chart can draw on its log axes (a positive
    blended price), most used first, and the caption words naming the rest: those without a
    price, and those priced at zero (free), apart. A model without tokens in those weeks is not
    a model of the final month and is not counted."""
    usage = claims.final_month_usage(snap)
    usage = usage[usage["tokens"] > 0]
    price = usage["blended_usd_per_mtok"]
    left_out = style.not_shown_text(usage.loc[price.isna(), "name"], "without a price")
    left_out += style.not_shown_text(
        usage.loc[price.eq(0), "name"], "priced at zero (free)", log_axis=True
    )
    return usage[price.gt(0)], left_out


def cost_vs_usage(snap: Snapshot) -> None:
    """Scatter, log-log: blended price against final-month tokens, by origin; Gemma labelled.

    Models without a price, or priced at zero, have no place on it: the caption names them."""
    table, left_out = log_scatter_models(snap)
    fig, ax = charts.new_figure("Cost against usage, final month", height=6.0)
    for group in recut.ORIGIN_GROUPS:
        rows = table[table["group"] == group]
        if rows.empty:
            continue
        ax.scatter(
            rows["tokens"] / B,
            rows["blended_usd_per_mtok"],
            s=60,
            marker=MARKERS[group],
            color=charts.ORIGIN_COLOURS[group],
            edgecolor="white",
            linewidth=0.6,
            label=recut.ORIGIN_GROUPS[group],
            zorder=3,
        )
    if table.empty:  # nothing has a place on log axes: say so on the chart itself
        ax.text(
            0.5,
            0.5,
            "No model of the final four weeks\nhas a positive price",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=charts.MUTED,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Room inside the frame for the names of the points at its edges.
        ax.margins(x=0.08, y=0.16)
        style.money_log_axis(ax.yaxis)
        style.token_log_axis(ax.xaxis)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=11.5, ncols=2)
    ax.set_xlabel("Tokens in the final four weeks (log scale)")
    ax.set_ylabel("Blended price (USD per million tokens, log)")
    # Fix the layout before placing the names: they are placed on screen positions, and a later
    # constrained-layout pass would move the axes under them.
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    gemma = table[table.index.str.contains("gemma")]
    named = pd.concat([gemma, table.head(3)])
    labels.place(
        ax,
        [
            labels.Label(row["name"], row["tokens"] / B, row["blended_usd_per_mtok"], "gemma" in m)
            for m, row in named.iterrows()
        ],
    )
    hover.marks(
        ax,
        list(table["tokens"] / B),
        list(table["blended_usd_per_mtok"]),
        [
            f"{r.name} · {r.tokens / B:,.1f} B tokens in the final four weeks · "
            f"${r.blended_usd_per_mtok:.2f} per million tokens"
            for r in table.itertuples()
        ],
    )
    charts.publish(
        fig,
        name="fig-humanist-cost-usage",
        caption=(
            "Each priced model's blended price (3:1 input:output, USD per million tokens) "
            "against its tokens in the final four weeks, both on log scales, by origin (colour "
            "and marker shape). Gemma models and the three most-used models are named." + left_out
        ),
        alt=(
            f"Log-log scatter of {len(table)} models."
            + (
                f" Prices run from ${table['blended_usd_per_mtok'].min():.2f} to "
                f"${table['blended_usd_per_mtok'].max():.2f} per million tokens; the most-used "
                "models sit at the cheap end: "
                + ", ".join(
                    f"{r.name} ${r.blended_usd_per_mtok:.2f}" for r in table.head(3).itertuples()
                )
                + "."
                if not table.empty
                else ""
            )
            + (
                " Gemma: "
                + ", ".join(f"{r.name} ${r.blended_usd_per_mtok:.2f}" for r in gemma.itertuples())
                + "."
                if not gemma.empty
                else ""
            )
            + left_out
        ),
        snap=snap,
        data=pd.DataFrame(
            {
                "model": table.index,
                "origin": table["group"].map(recut.ORIGIN_GROUPS).to_numpy(),
                "tokens_final_four_weeks_billions": (table["tokens"] / B).to_numpy(),
                "blended_usd_per_mtok": table["blended_usd_per_mtok"].to_numpy(),
            }
        ),
    )


def price_by_origin(snap: Snapshot) -> pd.DataFrame:
    """Bar chart of the token-weighted blended price per origin group; returns its table."""
    table = prices.usage_and_price(snap, recut.last_weeks(snap, claims.MONTH_WEEKS), paid=True)
    by_group = prices.weighted_price(table, "group")
    # A group whose priced models had no paid tokens has no average price (0 / 0): not drawn.
    by_group = by_group[by_group["usd_per_mtok"].notna()]
    every = claims.final_month_usage(snap)  # all tokens, free ones too
    used = dict.fromkeys(every.loc[every["tokens"] > 0, "group"])
    no_price = [recut.ORIGIN_GROUPS[g] for g in used if g not in by_group.index]
    left_out = (
        f" {len(no_price)} origin group{'s' if len(no_price) > 1 else ''} without paid tokens at "
        f"a recorded price {'are' if len(no_price) > 1 else 'is'} not shown: "
        f"{'; '.join(no_price)}."
        if no_price
        else ""
    )
    fig, ax = charts.new_figure("What a million tokens cost,\nby origin", height=3.8)
    labels = [recut.ORIGIN_GROUPS[g] for g in by_group.index]
    ax.barh(
        labels,
        by_group["usd_per_mtok"],
        color=[charts.ORIGIN_COLOURS[g] for g in by_group.index],
        edgecolor="white",
    )
    for y, value in enumerate(by_group["usd_per_mtok"]):
        ax.text(value, y, f" ${value:.2f}", va="center", fontsize=11.5)
    ax.set_xlabel("Token-weighted blended price (USD per million tokens)")
    highest = float(by_group["usd_per_mtok"].max()) if not by_group.empty else 0.0
    ax.set_xlim(0, highest * 1.25 if highest > 0 else 1.0)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    hover.marks(
        ax,
        list(by_group["usd_per_mtok"] / 2),
        labels,
        [
            f"{label} · ${value:.2f} per million tokens, token-weighted"
            for label, value in zip(labels, by_group["usd_per_mtok"], strict=True)
        ],
    )
    charts.publish(
        fig,
        name="fig-humanist-price-origin",
        caption=(
            "Average blended price paid per million tokens in the final four weeks, by origin "
            "group, weighting each priced model by its tokens. "
            + prices.counted_text(table)
            + left_out
        ),
        alt=(
            "Horizontal bar chart of the token-weighted price by origin: "
            + ", ".join(
                f"{recut.ORIGIN_GROUPS[g]} ${v:.2f}" for g, v in by_group["usd_per_mtok"].items()
            )
            + " per million tokens."
        ),
        snap=snap,
        data=by_group.assign(origin=[recut.ORIGIN_GROUPS[g] for g in by_group.index])[
            ["origin", "usd_per_mtok", "priced_tokens", "unpriced_tokens", "models"]
        ].rename(
            columns={
                "usd_per_mtok": "blended_usd_per_mtok",
                "priced_tokens": "priced_tokens_count",
                "unpriced_tokens": "unpriced_tokens_count",
            }
        ),
    )
    table = pd.DataFrame(
        {
            "Origin": [recut.ORIGIN_GROUPS[g] for g in by_group.index],
            "USD per million tokens": by_group["usd_per_mtok"].round(3).to_numpy(),
            "Priced tokens (trillions)": (by_group["priced_tokens"] / T).round(2).to_numpy(),
            "Unpriced tokens (trillions)": (by_group["unpriced_tokens"] / T).round(2).to_numpy(),
            "Priced models": by_group["models"].to_numpy(),
        }
    ).set_index("Origin")
    return tables.one_header_row(table)


#: The colour of the token-share bars (a neutral grey; spend bars take the country's colour).
TOKEN_BAR = "#666666"
#: Past this share (percent) a bar's label goes inside the bar's end, so it stays on the axis.
LABEL_INSIDE = 60.0


def bar_label(ax, value: float, y: float, text: str, colour: str) -> None:
    """Write a share (percent) at the end of its bar: inside long bars, after short ones.

    Inside a bar the text takes white or the ink colour, whichever contrasts more with the bar.
    """
    if value > LABEL_INSIDE:
        ink = max(("#FFFFFF", charts.INK), key=lambda c: charts.contrast(c, colour))
        ax.text(value, y, f"{text} ", va="center", ha="right", fontsize=11, color=ink)
    else:
        ax.text(value, y, f" {text}", va="center", ha="left", fontsize=11)


def spend_vs_tokens(snap: Snapshot) -> pd.DataFrame:
    """Paired bars: share of tokens against estimated share of spend, by country of origin."""
    weeks = recut.last_weeks(snap, claims.MONTH_WEEKS)
    shares = prices.spend_and_token_shares(snap, weeks, "country")
    shares.index = [c or "unattributed" for c in shares.index]
    # A country whose priced models had no paid tokens (free-only ones) has nothing to draw.
    unpaid = [c for c in shares.index if not shares.at[c, "token_share_pct"] > 0]
    shares = shares.drop(index=unpaid)
    left_out = (
        f" {len(unpaid)} {'country' if len(unpaid) == 1 else 'countries'} without paid tokens "
        f"at a recorded price {'is' if len(unpaid) == 1 else 'are'} not shown: "
        f"{', '.join(unpaid)}."
        if unpaid
        else ""
    )
    fig, ax = charts.new_figure("Tokens against spend, by country", height=3.8)
    y = np.arange(len(shares))
    height = 0.38
    ax.barh(
        y - height / 2, shares["token_share_pct"], height, color=TOKEN_BAR, label="Share of tokens"
    )
    ax.barh(
        y + height / 2,
        shares["spend_share_pct"],
        height,
        color=[charts.COUNTRY_COLOURS.get(c, "#999999") for c in shares.index],
        label="Share of estimated spend",
    )
    for i, (tok, spend) in enumerate(
        zip(shares["token_share_pct"], shares["spend_share_pct"], strict=True)
    ):
        bar_label(ax, tok, i - height / 2, f"{tok:.0f} % of tokens", TOKEN_BAR)
        colour = charts.COUNTRY_COLOURS.get(shares.index[i], "#999999")
        bar_label(ax, spend, i + height / 2, f"{spend:.0f} % of spend", colour)
    ax.set_yticks(y, shares.index)
    ax.invert_yaxis()
    # A share runs from 0 to 100 %, and so does the axis; long bars carry their label inside.
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Percent of priced listed models, final four weeks")
    ax.grid(axis="y", visible=False)
    hover.marks(
        ax,
        [v / 2 for v in shares["token_share_pct"]] + [v / 2 for v in shares["spend_share_pct"]],
        list(y - height / 2) + list(y + height / 2),
        [f"{c} · {v:.1f} % of tokens" for c, v in shares["token_share_pct"].items()]
        + [f"{c} · {v:.1f} % of estimated spend" for c, v in shares["spend_share_pct"].items()],
    )
    charts.publish(
        fig,
        name="fig-humanist-spend",
        caption=(
            "Share of tokens against estimated share of spend in the final four weeks, by the "
            "country where each model was made. Spend assumes every model's tokens are 3 parts "
            "input to 1 part output at its listed prices; unpriced models are left out of both. "
            + prices.counted_text(shares)
            + left_out
        ),
        alt=(
            "Paired bar chart: "
            + "; ".join(
                f"{c}: {r.token_share_pct:.0f} % of tokens and {r.spend_share_pct:.0f} % of spend"
                for c, r in shares.iterrows()
            )
            + "."
        ),
        snap=snap,
        data=shares.rename_axis("country").reset_index(),
    )
    return shares


def gemma_text(snap: Snapshot) -> str:
    """The sentence on Gemma's price against the Chinese open-weight models' and the frontier's."""
    result = claims.result(snap, "gemma-same-order")
    if result.holds is None:
        return f"Gemma's price cannot be compared on this snapshot: {result.measured}."
    n = result.numbers
    return (
        f"Google's open-weight Gemma models cost **${n['gemma_usd']:.2f}** per million tokens "
        f"(token-weighted, final four weeks), against **${n['cn_open_usd']:.2f}** for the "
        f"Chinese open-weight models and **${n['frontier_usd']:.2f}** for the frontier: about "
        f"**{n['frontier_usd'] / n['gemma_usd']:.0f}** times cheaper than the frontier."
    )
