"""Charts of The race: the weekly total, the press's two-horse chart, and every lab."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokenrace.analysis import recut
from tokenrace.claims import register as claims
from tokenrace.figures import charts, hover
from tokenrace.figures.style import (
    T,
    band_on,
    band_text,
    lab_country,
    sourced_points,
    weeks_text,
)
from tokenrace.snapshot.load import Snapshot


def race_total(snap: Snapshot) -> None:
    """Weekly platform total in trillions of tokens (the essay's first chart), with the 90 % band
    of the evidence ensemble and the sourced weekly totals with their ranges."""
    from tokenrace.claims import evidence

    total = recut.weekly_total(snap) / T
    found = evidence.load(snap)
    band = band_on(found, "total_t", total.index)
    points = sourced_points(snap, "total")
    fig, ax = charts.new_figure("OpenRouter weekly token volume,\nrepresentative trend")
    colour = charts.INK
    if band:
        ax.fill_between(
            total.index,
            band["p5"],
            band["p95"],
            color="#999999",
            alpha=0.35,
            linewidth=0,
            label="90 % of reconstructions",
        )
    ax.plot(total.index, total.to_numpy(), color=colour, linewidth=2.4, label="This snapshot")
    if not points.empty:
        ax.errorbar(
            points["week"],
            points["value"] / 1000,
            yerr=[
                (points["value"] - points["low"]) / 1000,
                (points["high"] - points["value"]) / 1000,
            ],
            fmt="o",
            color=charts.ORIGIN_COLOURS["us_closed"],
            markersize=6,
            capsize=3,
            linewidth=1.4,
            label="Sourced figure and range",
            zorder=4,
        )
    for week, value, offset, align in (
        (total.index[0], total.iloc[0], (0, 10), "left"),
        (total.index[-1], total.iloc[-1], (6, 0), "left"),
    ):
        ax.annotate(
            f"{value:.1f} T",
            xy=(week, value),
            xytext=offset,
            textcoords="offset points",
            ha=align,
            va="bottom" if offset[1] else "center",
            fontweight="bold",
            annotation_clip=False,
        )
    top = max(35.0, float(total.max()) * 1.15, np.nanmax(band["p95"]) * 1.05 if band else 0.0)
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, top)
    if band or not points.empty:
        ax.legend(loc="upper left", fontsize=10.5)
    charts.week_axis(ax)
    hover.lines(ax, pd.DataFrame({"All models": total}), hover.trillions)
    first, last = total.iloc[0], total.iloc[-1]
    data = pd.DataFrame({"week": weeks_text(total.index), "tokens_trillions": total.values})
    if band:
        data["band_p5_trillions"] = band["p5"]
        data["band_p95_trillions"] = band["p95"]
    sourced = points.assign(week=weeks_text(pd.DatetimeIndex(points["week"])))
    data = data.merge(
        sourced[["week", "id", "value", "low", "high"]].rename(
            columns={
                "id": "sourced_anchor",
                "value": "sourced_trillions",
                "low": "sourced_low_trillions",
                "high": "sourced_high_trillions",
            }
        ),
        on="week",
        how="left",
    )
    for column in ("sourced_trillions", "sourced_low_trillions", "sourced_high_trillions"):
        data[column] = data[column] / 1000
    last_src = points.iloc[-1] if not points.empty else None
    charts.publish(
        fig,
        name="fig-race-total",
        caption="Weekly tokens processed on OpenRouter, all models, in trillions."
        + band_text(found),
        alt=(
            f"Line chart: OpenRouter's weekly token volume rises from {first:.1f} trillion in the "
            f"week of {total.index[0]:%d %B %Y} to {last:.1f} trillion in the week of "
            f"{total.index[-1]:%d %B %Y}, {last / first:.0f} times as much."
            + (
                " The band of reconstructions ends between "
                f"{found['bands']['total_t']['p5'][-1]:.1f} and "
                f"{found['bands']['total_t']['p95'][-1]:.1f} trillion in the week of "
                f"{pd.Timestamp(found['band_weeks'][-1]):%d %B %Y}."
                if band
                else ""
            )
            + (
                f" The last sourced weekly total is {last_src['value'] / 1000:.1f} trillion in "
                f"the week of {last_src['week']:%d %B %Y}."
                if last_src is not None
                else ""
            )
        ),
        snap=snap,
        trend=True,
        data=data,
    )


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
    hover.lines(ax, labs[pair], hover.trillions)
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
        trend=True,
        data=pd.DataFrame(
            {"week": weeks_text(labs.index)}
            | {f"{lab.lower()}_tokens_trillions": labs[lab].to_numpy() for lab in pair}
        ),
    )


def lab_blocks(snap: Snapshot) -> pd.DataFrame:
    """Weekly tokens (trillions) in five blocks: Anthropic, OpenAI, other US labs, Chinese labs,
    and everyone else (other countries, unattributed and the long tail)."""
    labs = recut.lab_tokens(snap) / T
    country = lab_country(snap)
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
    hover.stack(ax, blocks, hover.trillions)
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
        trend=True,
        data=blocks.reset_index()
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d"))
        .rename(columns=lambda c: c if c == "week" else f"{c} (tokens, trillions)"),
    )


def free_split_weeks(snap: Snapshot) -> pd.DatetimeIndex:
    """Weeks in which every listed model's free count is known."""
    listed = snap.weekly[snap.weekly["model"] != "other"]
    unknown = listed[listed["free_tokens"].isna()]["week"].unique()
    return snap.weeks[~snap.weeks.isin(unknown)]


def paid_and_free_by_origin(snap: Snapshot) -> pd.DataFrame:
    """Paid and free tokens (trillions) per week of listed models made in China, the US and
    elsewhere (unattributed included), in the weeks where every free count is known. Free are the
    tokens of ``:free`` variants, and every token of a model listed at $0."""
    weeks = free_split_weeks(snap)
    attrs = recut.model_attributes(snap)
    rows = snap.weekly[snap.weekly["week"].isin(weeks) & (snap.weekly["model"] != "other")]
    country = rows["model"].map(attrs["country"])
    origin = country.where(country.isin(["CN", "US"]), "elsewhere")
    free = recut.free_tokens(rows, attrs)
    table = pd.DataFrame(
        {"week": rows["week"], "origin": origin, "free": free, "paid": rows["tokens"] - free}
    )
    out = table.groupby(["week", "origin"])[["paid", "free"]].sum() / T
    return out.unstack("origin").reindex(weeks).fillna(0.0)


ORIGIN_PANELS = {"CN": "Made in China", "US": "Made in the US"}
ADJECTIVE = {"CN": "Chinese", "US": "US"}


def paid_vs_free(snap: Snapshot) -> None:
    """Two panels, China and the US: paid tokens (solid) under free tokens (hatched), per week."""
    table = paid_and_free_by_origin(snap)
    fig, axes = charts.new_figure("Paid and free tokens, week by week", nrows=2, height=5.4)
    colours = {"CN": charts.ORIGIN_COLOURS["cn_open"], "US": charts.ORIGIN_COLOURS["us_closed"]}
    top = float((table["paid"] + table["free"]).max().max()) * 1.12 if len(table) else 1.0
    for ax, (code, title) in zip(axes, ORIGIN_PANELS.items(), strict=True):
        ax.set_title(title, fontsize=12.5, loc="left")
        if table.empty or code not in table["paid"]:
            ax.text(
                0.5,
                0.5,
                "Free share unknown in this snapshot",
                ha="center",
                transform=ax.transAxes,
                color=charts.MUTED,
            )
            ax.set_axis_off()
            continue
        paid, free = table["paid"][code], table["free"][code]
        ax.fill_between(table.index, 0, paid, color=colours[code], linewidth=0, label="Paid")
        ax.fill_between(
            table.index,
            paid,
            paid + free,
            facecolor="white",
            edgecolor=colours[code],
            hatch="///",
            linewidth=0.8,
            label="Free (':free' variants, \\$0 models)",
        )
        ax.plot(table.index, paid + free, color=colours[code], linewidth=1.2)
        ax.set_ylim(0, top)
        ax.set_ylabel("Trillions a week")
        charts.week_axis(ax)
        adjective = ADJECTIVE[code]
        hover.stack(
            ax,
            pd.DataFrame({f"{adjective} models, paid": paid, f"{adjective} models, free": free}),
            hover.trillions,
        )
    if not table.empty:
        axes[0].legend(loc="upper left", fontsize=10.5)
    last = table.tail(claims.MONTH_WEEKS)
    shares = {
        code: 100 * last["free"][code].sum() / (last["paid"][code] + last["free"][code]).sum()
        for code in ORIGIN_PANELS
        if not table.empty and code in table["paid"]
    }
    data = pd.DataFrame({"week": weeks_text(table.index)})
    for code in ORIGIN_PANELS:
        if not table.empty and code in table["paid"]:
            data[f"{code} paid (tokens, trillions)"] = table["paid"][code].to_numpy()
            data[f"{code} free (tokens, trillions)"] = table["free"][code].to_numpy()
    span = (
        f"from the week of {table.index[0]:%d %B %Y} to the week of {table.index[-1]:%d %B %Y}"
        if len(table)
        else "in no week of this snapshot"
    )
    charts.publish(
        fig,
        name="fig-race-paid-free",
        caption=(
            "Weekly tokens of the listed models made in China (top) and in the US (bottom), in "
            "trillions: paid tokens solid, free tokens (served on ':free' variants, or by a model "
            f"listed at $0) hatched above them. Shown {span}, the weeks in which every listed "
            "model's free count is known; the long tail's free share is unknown."
        ),
        alt=(
            "Two area charts of paid and free tokens per week. "
            + " ".join(
                f"In the last four weeks shown, {v:.0f} % of {ADJECTIVE[c]} models' tokens were "
                "free."
                for c, v in shares.items()
            )
            if shares
            else "Two empty panels: the free share is unknown in this snapshot."
        ),
        snap=snap,
        trend=True,
        data=data,
    )


def growth_text(snap: Snapshot) -> str:
    """The sentence on the platform total, first week against last (Markdown), or, on a snapshot
    too short to measure growth, the one week's total and why."""
    growth = claims.result(snap, "volume-growth")
    total = recut.weekly_total(snap) / T
    first, last = total.index[0], total.index[-1]
    if growth.holds is None:
        return (
            f"In the snapshot, OpenRouter processed **{total.iloc[-1]:.1f}** "
            f"trillion tokens in the week of **{last:%d %B %Y}**; growth cannot be measured on "
            f"it: {growth.measured}."
        )
    n = growth.numbers
    return (
        f"In the snapshot, OpenRouter processed **{n['first_t']:.1f}** "
        f"trillion tokens in the week of **{first:%d %B %Y}** and **{n['last_t']:.1f}** trillion "
        f"in the week of **{last:%d %B %Y}**: **{n['multiple']:.1f}** times as much."
    )
