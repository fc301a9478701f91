"""The essay's charts, one function each, drawn in the house style of :mod:`tokenrace.charts`.

Every function computes its data from a snapshot, draws, and publishes the figure with a name,
a caption, alt text stating what it shows in numbers, the source line, and the table it draws
(units in the column names). Tokens are per Monday-start UTC week; prices are USD per million
tokens, blended 3:1 input:output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokenrace import charts, claims, prices, recut
from tokenrace.snapshot import Snapshot

T = 1e12
B = 1e9
#: Shades per country for per-lab charts (colour-blind-safe families, darkest first).
LAB_SHADES = {
    "CN": ["#D55E00", "#E69F00", "#B34700", "#F0B04A", "#8C3A00", "#F5C77E", "#C4661F"],
    "US": ["#0072B2", "#56B4E9", "#004F7C", "#8CCBEE", "#2C8AC4", "#B3DDF5"],
}
OTHER_SHADE = "#BBBBBB"
MARKERS = {
    "cn_open": "o",
    "cn_closed": "s",
    "us_closed": "D",
    "us_open": "^",
    "europe": "v",
    "elsewhere": "P",
    "unattributed": "X",
}


def _weeks_text(index: pd.DatetimeIndex) -> list[str]:
    return [f"{w:%Y-%m-%d}" for w in index]


# --- The race ----------------------------------------------------------------------------------


def race_total(snap: Snapshot) -> None:
    """Weekly platform total in trillions of tokens (the essay's first chart)."""
    total = recut.weekly_total(snap) / T
    fig, ax = charts.new_figure("OpenRouter weekly token volume,\nrepresentative trend")
    colour = charts.INK
    ax.plot(total.index, total.to_numpy(), color=colour, linewidth=2.4)
    ax.fill_between(total.index, total.to_numpy(), color=colour, alpha=0.06)
    for week, value, align in (
        (total.index[0], total.iloc[0], "left"),
        (total.index[-1], total.iloc[-1], "right"),
    ):
        ax.annotate(
            f"{value:.1f} T",
            xy=(week, value),
            xytext=(0, 8),
            textcoords="offset points",
            ha=align,
            fontweight="bold",
        )
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, max(35.0, float(total.max()) * 1.15))
    charts.week_axis(ax)
    first, last = total.iloc[0], total.iloc[-1]
    charts.publish(
        fig,
        name="fig-race-total",
        caption="Weekly tokens processed on OpenRouter, all models, in trillions.",
        alt=(
            f"Line chart: OpenRouter's weekly token volume rises from {first:.1f} trillion in the "
            f"week of {total.index[0]:%d %B %Y} to {last:.1f} trillion in the week of "
            f"{total.index[-1]:%d %B %Y}, {last / first:.0f} times as much, with a dip around the "
            "turn of the year and the steepest climb from February 2026."
        ),
        snap=snap,
        data=pd.DataFrame({"week": _weeks_text(total.index), "tokens_trillions": total.values}),
    )


def _lab_country(snap: Snapshot) -> dict[str, str]:
    attrs = recut.model_attributes(snap)
    return dict(zip(attrs["lab"], attrs["country"], strict=False))


def their_chart(snap: Snapshot) -> None:
    """Anthropic against OpenAI: the two-horse race of the press chart."""
    labs = recut.lab_tokens(snap) / T
    pair = [lab for lab in ("Anthropic", "OpenAI") if lab in labs]
    fig, ax = charts.new_figure("Their chart: Anthropic against OpenAI")
    colours = {"Anthropic": "#0072B2", "OpenAI": "#56B4E9"}
    styles = {"Anthropic": "-", "OpenAI": "--"}
    for lab in pair:
        ax.plot(
            labs.index,
            labs[lab].to_numpy(),
            color=colours[lab],
            linewidth=2.4,
            linestyle=styles[lab],
        )
    gap = 0.07 * float(labs[pair].to_numpy().max()) if pair else 0.0
    charts.direct_labels(
        ax, {lab: float(labs[lab].iloc[-1]) for lab in pair}, colours, labs.index[-1], min_gap=gap
    )
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, None)
    charts.week_axis(ax)
    end = {lab: float(labs[lab].iloc[-1]) for lab in pair}
    start = {lab: float(labs[lab].iloc[0]) for lab in pair}
    charts.publish(
        fig,
        name="fig-race-their-chart",
        caption=(
            "The framing of the New York Times chart the essay answers: weekly OpenRouter tokens "
            "of Anthropic's and OpenAI's models only, in trillions."
        ),
        alt=(
            "Line chart of two labs' weekly tokens. "
            + " ".join(
                f"{lab} goes from {start[lab]:.2f} to {end[lab]:.2f} trillion a week."
                for lab in pair
            )
        ),
        snap=snap,
        data=pd.DataFrame(
            {"week": _weeks_text(labs.index)}
            | {f"{lab.lower()}_tokens_trillions": labs[lab].to_numpy() for lab in pair}
        ),
    )


def lab_blocks(snap: Snapshot) -> pd.DataFrame:
    """Weekly tokens (trillions) in five blocks: Anthropic, OpenAI, other US labs, Chinese labs,
    and everyone else (other countries, unattributed and the long tail)."""
    labs = recut.lab_tokens(snap) / T
    country = _lab_country(snap)
    pair = [lab for lab in ("Anthropic", "OpenAI") if lab in labs]
    us_other = [lab for lab in labs if country.get(lab) == "US" and lab not in pair]
    chinese = [lab for lab in labs if country.get(lab) == "CN"]
    rest = [lab for lab in labs if lab not in pair + us_other + chinese]
    blocks = labs[pair].copy()
    blocks["Other US labs"] = labs[us_other].sum(axis=1)
    blocks["Chinese labs"] = labs[chinese].sum(axis=1)
    blocks["Everyone else"] = labs[rest].sum(axis=1)
    return blocks


def our_way(snap: Snapshot) -> None:
    """The same weeks with every lab: the two-horse race as a slice of all tokens."""
    blocks = lab_blocks(snap)
    colours = {
        "Anthropic": "#004F7C",
        "OpenAI": "#0072B2",
        "Other US labs": "#56B4E9",
        "Chinese labs": charts.ORIGIN_COLOURS["cn_open"],
        "Everyone else": "#BBBBBB",
    }
    fig, ax = charts.new_figure("Our way: the same weeks, every lab", height=4.6)
    ax.stackplot(
        blocks.index,
        blocks.T.to_numpy(),
        colors=[colours[c] for c in blocks],
        edgecolor="white",
        linewidth=0.4,
    )
    ends = blocks.iloc[-1]
    mids = {c: float(ends.cumsum()[c] - ends[c] / 2) for c in blocks}
    charts.direct_labels(ax, mids, colours, blocks.index[-1], min_gap=ends.sum() * 0.06)
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, float(blocks.sum(axis=1).max()) * 1.05)
    charts.week_axis(ax)
    share = ends / ends.sum() * 100
    charts.publish(
        fig,
        name="fig-race-our-way",
        caption=(
            "The same weeks with all labs: weekly tokens in trillions, stacked. Anthropic and "
            "OpenAI, the two labs of the press chart, are the dark blue bands at the bottom; "
            "other US labs light blue; Chinese labs vermillion; everyone else, including the "
            "long tail of unlisted models, grey."
        ),
        alt=(
            f"Stacked area chart of all weekly tokens, {ends.sum():.1f} trillion in the last week: "
            + ", ".join(f"{c} {ends[c]:.1f} T ({share[c]:.0f} %)" for c in blocks)
            + "."
        ),
        snap=snap,
        data=blocks.reset_index()
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d"))
        .rename(columns=lambda c: c if c == "week" else f"{c} (tokens, trillions)"),
    )


# --- The open secret ---------------------------------------------------------------------------


def top_models_table(snap: Snapshot, weeks: int, n: int = 10) -> pd.DataFrame:
    """Ranked most-used models over the final ``weeks`` weeks, with origin, weights and price."""
    top = recut.top_models(snap, recut.last_weeks(snap, weeks), n=n)
    price = prices.model_prices(snap)["blended_usd_per_mtok"]
    origin = (
        top["country"].replace("", "unattributed")
        + ", "
        + top["open_weights"].map({True: "open", False: "closed"})
    )
    table = pd.DataFrame(
        {
            "Model": top["name"].to_numpy(),
            "Made in, weights": origin.to_numpy(),
            "Tokens (B)": (top["tokens"] / B).round(0).astype(int).to_numpy(),
            "Share (%)": top["share_pct"].round(1).to_numpy(),
            "USD / Mtok": price.reindex(top["model"]).round(2).to_numpy(),
        },
        index=pd.Index(top["rank"].to_numpy(), name=None),
    )
    return table


def labs_stacked(snap: Snapshot, n_labs: int = 7) -> None:
    """Stacked area of weekly tokens by lab; DeepSeek's band should be the largest at the end."""
    labs = recut.lab_tokens(snap) / T
    tail = labs.pop("Other models") if "Other models" in labs else None
    final = labs.iloc[-1].sort_values(ascending=False)
    shown = list(final.index[:n_labs])
    country = _lab_country(snap)
    ordered = [lab for lab in shown if country.get(lab) == "CN"]
    ordered += [lab for lab in shown if country.get(lab) == "US"]
    ordered += [lab for lab in shown if lab not in ordered]
    stack = labs[ordered].copy()
    stack["Other labs"] = labs.drop(columns=ordered).sum(axis=1)
    if tail is not None:
        stack["Long tail"] = tail
    shade_index = {"CN": 0, "US": 0}
    colours = {}
    for lab in stack.columns:
        code = country.get(lab, "")
        if code in LAB_SHADES:
            colours[lab] = LAB_SHADES[code][shade_index[code] % len(LAB_SHADES[code])]
            shade_index[code] += 1
        else:
            colours[lab] = OTHER_SHADE if lab != "Long tail" else "#DDDDDD"
    fig, ax = charts.new_figure("Weekly tokens by lab", height=5.0)
    ax.stackplot(
        stack.index,
        stack.T.to_numpy(),
        colors=[colours[c] for c in stack.columns],
        edgecolor="white",
        linewidth=0.4,
    )
    ends = stack.iloc[-1]
    tops = ends.cumsum()
    mids = {
        lab: float(tops[lab] - ends[lab] / 2)
        for lab in stack.columns
        if ends[lab] >= 0.05 * ends.sum()
    }
    label_colours = {lab: charts.INK for lab in mids}
    charts.direct_labels(ax, mids, label_colours, stack.index[-1], min_gap=ends.sum() * 0.045)
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, float(ends.sum()) * 1.05)
    charts.week_axis(ax)
    leader = final.index[0]
    charts.publish(
        fig,
        name="fig-open-labs",
        caption=(
            "Weekly tokens by lab, stacked, in trillions. Chinese labs are shades of vermillion "
            "and orange at the bottom, US labs shades of blue above them, then smaller labs and "
            "the long tail of unlisted models in grey. Labels name each band at its last week."
        ),
        alt=(
            f"Stacked area chart of weekly tokens by lab. In the last week the largest band is "
            f"{leader} with {final.iloc[0]:.1f} trillion tokens, ahead of "
            + ", ".join(f"{lab} ({final[lab]:.1f} T)" for lab in final.index[1:4])
            + f", out of {ends.sum():.1f} trillion in all."
        ),
        snap=snap,
        data=stack.reset_index()
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d"))
        .rename(columns=lambda c: c if c == "week" else f"{c} (tokens, trillions)"),
    )


def price_and_usage(snap: Snapshot, n: int = 12) -> None:
    """Bars of the most-used models' final-month tokens, each labelled with its blended price."""
    table = claims.final_month_usage(snap).head(n)
    table = table.iloc[::-1]
    fig, ax = charts.new_figure(
        "Most-used models of the final month,\nwith their price", height=6.2
    )
    tokens = table["tokens"] / T
    colours = [charts.ORIGIN_COLOURS[g] for g in table["group"]]
    hatches = ["" if open_ else "//" for open_ in table["open_weights"]]
    bars = ax.barh(table["name"], tokens, color=colours, edgecolor="white")
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    for y, (value, price) in enumerate(zip(tokens, table["blended_usd_per_mtok"], strict=True)):
        label = "price not recorded" if np.isnan(price) else f"${price:.2f}"
        ax.text(value, y, f" {label}", va="center", fontsize=11.5, color=charts.INK)
    ax.set_xlabel("Tokens in the final four weeks (trillions)")
    ax.set_xlim(0, float(tokens.max()) * 1.35)
    ax.grid(axis="y", visible=False)
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=charts.ORIGIN_COLOURS[g], label=recut.ORIGIN_GROUPS[g])
        for g in dict.fromkeys(table["group"][::-1])
    ]
    handles.append(
        Patch(
            facecolor="white", edgecolor=charts.MUTED, hatch="//", label="hatched: closed weights"
        )
    )
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.35, -0.14), ncols=2)
    top = table.iloc[::-1]
    charts.publish(
        fig,
        name="fig-open-price-usage",
        caption=(
            "The most-used models of the final four weeks, by tokens (bars, coloured by origin; "
            "hatched bars have closed weights), each labelled with its blended price in USD per "
            "million tokens (3 parts input to 1 part output)."
        ),
        alt=(
            f"Horizontal bar chart of the {len(top)} most-used models. "
            + "; ".join(
                f"{r.name} {r.tokens / T:.1f} T at "
                + (
                    "no recorded price"
                    if np.isnan(r.blended_usd_per_mtok)
                    else f"${r.blended_usd_per_mtok:.2f} per million"
                )
                for r in top.head(5).itertuples()
            )
            + "."
        ),
        snap=snap,
        data=pd.DataFrame(
            {
                "model": top.index,
                "name": top["name"].to_numpy(),
                "origin": top["group"].map(recut.ORIGIN_GROUPS).to_numpy(),
                "open_weights": top["open_weights"].to_numpy(),
                "tokens_final_four_weeks_trillions": (top["tokens"] / T).to_numpy(),
                "blended_usd_per_mtok": top["blended_usd_per_mtok"].to_numpy(),
            }
        ),
    )


# --- The fork ----------------------------------------------------------------------------------


def origin_share_area(snap: Snapshot) -> None:
    """100 % stacked area of weekly token share by origin group."""
    shares = recut.shares_by(snap, "group")
    order = [g for g in recut.ORIGIN_GROUPS if g in shares]
    shares = shares[order]
    fig, ax = charts.new_figure("Share of weekly tokens by where the model was made", height=4.8)
    ax.stackplot(
        shares.index,
        shares.T.to_numpy(),
        colors=[charts.ORIGIN_COLOURS[g] for g in order],
        edgecolor="white",
        linewidth=0.3,
    )
    ends = shares.iloc[-1]
    tops = ends.cumsum()
    mids = {recut.ORIGIN_GROUPS[g]: float(tops[g] - ends[g] / 2) for g in order if ends[g] >= 3}
    charts.direct_labels(ax, mids, {}, shares.index[-1], min_gap=6)
    ax.set_ylabel("Share of all tokens (%)")
    ax.set_ylim(0, 100)
    charts.week_axis(ax)
    cn = recut.china_share(snap)
    charts.publish(
        fig,
        name="fig-fork-share",
        caption=(
            "The same tokens re-cut by where each model was made: share of every week's tokens "
            "by origin group, stacked to 100 %. Unattributed is the long tail of unlisted models "
            "and OpenRouter's stealth models."
        ),
        alt=(
            f"100 % stacked area chart. Models made in China rise from {cn.iloc[0]:.0f} % of "
            f"tokens in the first week to {cn.iloc[-1]:.0f} % in the last; in the last week "
            + ", ".join(f"{recut.ORIGIN_GROUPS[g]} {ends[g]:.0f} %" for g in order if ends[g] >= 1)
            + "."
        ),
        snap=snap,
        data=shares.rename(columns=lambda g: f"{recut.ORIGIN_GROUPS[g]} (% of tokens)")
        .reset_index()
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d")),
    )


def china_share_table(snap: Snapshot) -> pd.DataFrame:
    """China's share of all tokens (and of Chinese open-weight models), in four-week blocks."""
    shares = recut.shares_by(snap, "group")
    china = recut.china_share(snap)
    block = np.arange(len(china)) // claims.MONTH_WEEKS
    starts = china.index.to_series().groupby(block).first()
    return pd.DataFrame(
        {
            "Four weeks from": [f"{w:%Y-%m-%d}" for w in starts],
            "Made in China (% of all tokens)": china.groupby(block).mean().round(1).to_numpy(),
            "China, open weights (%)": shares.get("cn_open", 0 * china)
            .groupby(block)
            .mean()
            .round(1)
            .to_numpy(),
        }
    ).set_index("Four weeks from")


def essay_split_chart(snap: Snapshot) -> None:
    """The essay's split, final week: all tokens against the top 10 models only."""
    last = recut.last_weeks(snap, 1)
    rows = {
        "All tokens": recut.essay_split(snap, last),
        "Top 10 models only": recut.essay_split(snap, last, top_n=10),
    }
    fig, ax = charts.new_figure("Representative OpenRouter\nmodel-origin split", height=4.0)
    colours = {
        "cn_open": charts.ORIGIN_COLOURS["cn_open"],
        "us_closed": charts.ORIGIN_COLOURS["us_closed"],
        "rest": "#BBBBBB",
    }
    hatches = {"cn_open": "", "us_closed": "//", "rest": ".."}
    for y, (label, split) in enumerate(reversed(list(rows.items()))):
        left = 0.0
        for key, value in split.items():
            ax.barh(
                label, value, left=left, color=colours[key], edgecolor="white", hatch=hatches[key]
            )
            if value >= 6:
                ax.text(
                    left + value / 2,
                    y,
                    f"{value:.0f}",
                    ha="center",
                    va="center",
                    color=charts.INK,
                    fontsize=12.5,
                    fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
                )
            left += value
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(
                facecolor=colours[k],
                hatch=hatches[k],
                edgecolor="white",
                label=recut.ESSAY_SPLIT[k],
            )
            for k in colours
        ],
        loc="upper center",
        bbox_to_anchor=(0.42, -0.3),
        ncols=2,
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of usage signal")
    ax.grid(axis="y", visible=False)
    all_, top = rows["All tokens"], rows["Top 10 models only"]
    charts.publish(
        fig,
        name="fig-fork-split",
        caption=(
            f"Origin split of the last week (week of {last[0]:%Y-%m-%d}): China open-weight, US "
            "frontier (closed-weight) and everything else, over all tokens (the long tail "
            "included) and over the ten most-used models only, the denominator press figures use."
        ),
        alt=(
            f"Two stacked bars. All tokens: China open-weight {all_['cn_open']:.0f} %, US "
            f"frontier {all_['us_closed']:.0f} %, the rest {all_['rest']:.0f} %. Top 10 models "
            f"only: China open-weight {top['cn_open']:.0f} %, US frontier "
            f"{top['us_closed']:.0f} %, the rest {top['rest']:.0f} %."
        ),
        snap=snap,
        data=pd.DataFrame(rows)
        .T.rename(columns=lambda k: f"{recut.ESSAY_SPLIT[k]} (%)")
        .rename_axis("denominator")
        .reset_index(),
    )


# --- The humanist case -------------------------------------------------------------------------


def cost_vs_usage(snap: Snapshot) -> None:
    """Scatter, log-log: blended price against final-month tokens, by origin; Gemma labelled."""
    table = claims.final_month_usage(snap)
    table = table[table["blended_usd_per_mtok"].notna() & (table["tokens"] > 0)]
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
    gemma = table[table.index.str.contains("gemma")]
    # Offsets in points: Gemma to the right, the three most-used models fanned out to the left.
    offsets = [(10, 12 - 12 * i) for i in range(len(gemma))]
    offsets += [(-14, 30), (-14, -26), (-30, 52)][: min(3, len(table))]
    labelled = pd.concat([gemma, table.head(3)])
    for (model, row), (dx, dy) in zip(labelled.iterrows(), offsets, strict=False):
        ax.annotate(
            row["name"],
            xy=(row["tokens"] / B, row["blended_usd_per_mtok"]),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="left" if dx > 0 else "right",
            va="center",
            fontsize=11,
            fontweight="bold" if "gemma" in model else "normal",
            arrowprops={"arrowstyle": "-", "color": charts.MUTED, "linewidth": 0.7},
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Tokens in the final four weeks (billions, log scale)")
    ax.set_ylabel("Blended price (USD per million tokens, log)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=11.5, ncols=2)
    gemma = table[table.index.str.contains("gemma")]
    charts.publish(
        fig,
        name="fig-humanist-cost-usage",
        caption=(
            "Each priced model's blended price (3:1 input:output, USD per million tokens) "
            "against its tokens in the final four weeks, both on log scales, by origin (colour "
            "and marker shape). Gemma models and the three most-used models are named."
        ),
        alt=(
            f"Log-log scatter of {len(table)} models. Prices run from "
            f"${table['blended_usd_per_mtok'].min():.2f} to "
            f"${table['blended_usd_per_mtok'].max():.2f} per million tokens; the most-used "
            "models sit at the cheap end: "
            + ", ".join(
                f"{r.name} ${r.blended_usd_per_mtok:.2f}" for r in table.head(3).itertuples()
            )
            + ". Gemma: "
            + ", ".join(f"{r.name} ${r.blended_usd_per_mtok:.2f}" for r in gemma.itertuples())
            + "."
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
    table = claims.final_month_usage(snap)
    by_group = prices.weighted_price(table, "group")
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
    ax.set_xlim(0, float(by_group["usd_per_mtok"].max()) * 1.25)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    charts.publish(
        fig,
        name="fig-humanist-price-origin",
        caption=(
            "Average blended price paid per million tokens in the final four weeks, by origin "
            "group, weighting each priced model by its tokens."
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
    return pd.DataFrame(
        {
            "Origin": [recut.ORIGIN_GROUPS[g] for g in by_group.index],
            "USD per million tokens": by_group["usd_per_mtok"].round(3).to_numpy(),
            "Priced tokens (trillions)": (by_group["priced_tokens"] / T).round(2).to_numpy(),
            "Unpriced tokens (trillions)": (by_group["unpriced_tokens"] / T).round(2).to_numpy(),
            "Priced models": by_group["models"].to_numpy(),
        }
    ).set_index("Origin")


def spend_vs_tokens(snap: Snapshot) -> pd.DataFrame:
    """Paired bars: share of tokens against estimated share of spend, by country of origin."""
    weeks = recut.last_weeks(snap, claims.MONTH_WEEKS)
    shares = prices.spend_and_token_shares(snap, weeks, "country")
    shares.index = [c or "unattributed" for c in shares.index]
    fig, ax = charts.new_figure("Tokens against spend, by country", height=3.8)
    y = np.arange(len(shares))
    height = 0.38
    ax.barh(
        y - height / 2, shares["token_share_pct"], height, color="#777777", label="Share of tokens"
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
        ax.text(tok, i - height / 2, f" {tok:.0f} % of tokens", va="center", fontsize=11)
        ax.text(spend, i + height / 2, f" {spend:.0f} % of spend", va="center", fontsize=11)
    ax.set_yticks(y, shares.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 130)
    ax.set_xlabel("Percent of priced listed models, final four weeks")
    ax.grid(axis="y", visible=False)
    charts.publish(
        fig,
        name="fig-humanist-spend",
        caption=(
            "Share of tokens against estimated share of spend in the final four weeks, by the "
            "country where each model was made. Spend assumes every model's tokens are 3 parts "
            "input to 1 part output at its listed prices; unpriced models are left out of both."
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
