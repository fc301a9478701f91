"""Charts and tables of The open secret: the most-used models, labs, prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokenrace.analysis import prices, recut
from tokenrace.claims import register as claims
from tokenrace.figures import charts, hover
from tokenrace.figures.style import LAB_SHADES, OTHER_SHADE, B, T, lab_country
from tokenrace.snapshot.load import Snapshot


def top_models_table(snap: Snapshot, weeks: int, n: int = 10) -> pd.DataFrame:
    """Ranked most-used models over the final ``weeks`` weeks, with origin, weights and price
    (USD per million tokens, blended; "no price" where none is recorded, never NaN)."""
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
            "USD / Mtok": [
                "no price" if pd.isna(usd) else f"{usd:.2f}" for usd in price.reindex(top["model"])
            ],
        },
        index=pd.Index(top["rank"].to_numpy(), name=None),
    )
    return table


def leaders_basis(snap: Snapshot, n: int = 3) -> str:
    """Where the last week's levels of the ``n`` most-used models come from, in one sentence
    (Markdown): measured, with the sources that measure them, or (some of them) our
    assumptions or interpolations, which can reorder them."""
    week = snap.weeks[-1]
    top = recut.top_models(snap, recut.last_weeks(snap, 1), n=n)["model"]
    prov = snap.provenance
    if prov is None:
        return "This snapshot records no provenance for these levels."
    rows = prov[(prov["week"] == f"{week:%Y-%m-%d}") & prov["series"].isin(top)]
    if len(rows) == len(top) and (rows["class"] == "sourced").all():
        ids = sorted(rows["point"])
        by = "OpenRouter's own Data API" if all(i.startswith("DA-") for i in ids) else "sources"
        return (
            f"These levels are measured, by {by} (anchors {', '.join(ids)}), not reconstructed: "
            "the ranking above is the week's own."
        )
    return (
        "Some of these levels are our assumptions or interpolations, not measured figures, and "
        "which model comes third can change with them (see the claims below)."
    )


def labs_stacked(snap: Snapshot, n_labs: int = 7) -> None:
    """Stacked area of weekly tokens by lab; DeepSeek's band should be the largest at the end."""
    labs = recut.lab_tokens(snap) / T
    tail = labs.pop("Other models") if "Other models" in labs else None
    final = labs.iloc[-1].sort_values(ascending=False)
    shown = list(final.index[:n_labs])
    country = lab_country(snap)
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
    hover.stack(ax, stack, hover.trillions)
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
        trend=True,
        data=stack.reset_index()
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d"))
        .rename(columns=lambda c: c if c == "week" else f"{c} (tokens, trillions)"),
    )


def price_words(usd: float, unit: str = "") -> str:
    """A blended price as a bar's label says it: ``$0.32``, ``$0 (free)``, ``price not
    recorded``; ``unit`` follows a price (`` per million tokens``)."""
    if np.isnan(usd):
        return "price not recorded"
    return f"$0{unit} (free)" if usd == 0 else f"${usd:.2f}{unit}"


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
        label = price_words(price)
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
    hover.marks(
        ax,
        list(tokens / 2),
        list(range(len(table))),
        [
            f"{r.name} · {r.tokens / T:.2f} T tokens in the final four weeks · "
            + price_words(r.blended_usd_per_mtok, " per million tokens")
            for r in table.itertuples()
        ],
    )
    top = table.iloc[::-1]
    charts.publish(
        fig,
        name="fig-open-price-usage",
        caption=(
            "The most-used models of the final four weeks, by tokens (bars, coloured by origin; "
            "hatched bars have closed weights), each labelled with its blended price in USD per "
            "million tokens (3 parts input to 1 part output); '$0 (free)' is a model listed at "
            "a price of zero."
        ),
        alt=(
            f"Horizontal bar chart of the {len(top)} most-used models. "
            + "; ".join(
                f"{r.name} {r.tokens / T:.1f} T at "
                + price_words(r.blended_usd_per_mtok, " per million")
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


def price_text(snap: Snapshot) -> str:
    """The sentence on the frontier's price against the three most-used models' (Markdown)."""
    result = claims.result(snap, "fraction-of-frontier-price")
    if result.holds is None:
        return f"Prices cannot be compared on this snapshot: {result.measured}."
    n = result.numbers
    names = ", ".join(claims.frontier_models(snap)["name"]) or "none"
    return (
        "Here *frontier* means the US closed-weight models among the ten most-used models of the "
        f"final four weeks: **{names}**. Weighted by their tokens, a million tokens from them "
        f"cost **${n['frontier_usd']:.2f}** at the 3:1 blend; from the three most-used models, "
        f"**${n['leaders_usd']:.2f}**, or **{100 * n['ratio']:.0f} %** of the frontier price."
    )
