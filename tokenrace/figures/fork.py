"""Charts and tables of The fork: the same tokens re-cut by where each model was made."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokenrace.analysis import recut
from tokenrace.claims import register as claims
from tokenrace.figures import charts, hover, tables
from tokenrace.figures.style import band_on, band_text, sourced_points
from tokenrace.snapshot.load import Snapshot

PEAK_NOTE = " The hatched box is the sourced mid-2025 peak of Chinese open-weight models' share."


def origin_share_area(snap: Snapshot) -> None:
    """Weekly share of all tokens of the essay's three groups, each with the 90 % band of the
    evidence ensemble, and the sourced shares with their ranges."""
    from tokenrace.claims import evidence

    found = evidence.load(snap)
    shares = pd.DataFrame({key: recut.essay_split_weekly(snap)[key] for key in recut.ESSAY_SPLIT})
    bands = {
        key: band
        for key in recut.ESSAY_SPLIT
        if (band := band_on(found, key, shares.index)) is not None
    }
    colours = {
        "cn_open": charts.ORIGIN_COLOURS["cn_open"],
        "us_closed": charts.ORIGIN_COLOURS["us_closed"],
        "rest": "#777777",
    }
    styles = {"cn_open": "-", "us_closed": "--", "rest": ":"}
    fig, ax = charts.new_figure("Share of weekly tokens by where\nthe model was made", height=6.4)
    for key, label in recut.ESSAY_SPLIT.items():
        if key in bands:
            ax.fill_between(
                shares.index,
                bands[key]["p5"],
                bands[key]["p95"],
                color=colours[key],
                alpha=0.18,
                linewidth=0,
            )
        ax.plot(
            shares.index,
            shares[key].to_numpy(),
            color=colours[key],
            linestyle=styles[key],
            linewidth=2.4,
            label=label,
        )
    # The long tail and the stealth models have no country: each group's line is a floor, and
    # its share could be higher by up to their share (a hatched band above the two named lines).
    spare = recut.unattributed_share(snap).reindex(shares.index).fillna(0.0)
    for i, key in enumerate(("cn_open", "us_closed")):
        ax.fill_between(
            shares.index,
            shares[key].to_numpy(),
            (shares[key] + spare).clip(upper=100).to_numpy(),
            facecolor="none",
            edgecolor=colours[key],
            hatch="///",
            linewidth=0.0,
            alpha=0.45,
            label="If every unattributed token were theirs" if i == 0 else None,
        )
    points = sourced_points(snap, "share", ("cn_open", "us_closed"))
    points = points[points["weeks"] == 1]
    for i, row in enumerate(points.itertuples()):
        ax.errorbar(
            [row.week],
            [row.value],
            yerr=[[row.value - row.low], [row.high - row.value]],
            fmt="o",
            color=charts.readable(colours[row.subject]),
            markersize=6,
            capsize=3,
            zorder=4,
            label="Sourced share and range" if i == 0 else None,
        )
    peak = sourced_points(snap, "share_max", ("cn_open",))
    for i, row in enumerate(peak.itertuples()):
        span = pd.date_range(row.week, periods=int(row.weeks), freq="7D")
        ax.fill_between(
            span,
            row.low,
            row.high,
            facecolor="none",
            edgecolor=charts.MUTED,
            hatch="..",
            linewidth=0.8,
            label="Sourced peak (China, open weights)" if i == 0 else None,
        )
    ends = shares.iloc[-1]
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=1, fontsize=10.5)
    ax.set_ylabel("Share of all tokens (%)")
    ax.set_ylim(0, 100)
    charts.week_axis(ax)
    hover.lines(ax, shares.rename(columns=recut.ESSAY_SPLIT), hover.percent)
    cn = recut.china_share(snap)
    data = shares.rename(columns=lambda k: f"{recut.ESSAY_SPLIT[k]} (% of tokens)")
    data["Unattributed: long tail and stealth models (% of tokens)"] = spare
    for key in recut.ESSAY_SPLIT:
        if key in bands:
            data[f"{recut.ESSAY_SPLIT[key]} band p5 (%)"] = bands[key]["p5"]
            data[f"{recut.ESSAY_SPLIT[key]} band p95 (%)"] = bands[key]["p95"]
    charts.publish(
        fig,
        name="fig-fork-share",
        caption=(
            "The same tokens re-cut by where each model was made: weekly share of all tokens of "
            "China, open weights (solid), US, closed weights (dashed) and everything else "
            "(dotted), which includes Chinese closed-weight models and the long tail. The long "
            "tail of unlisted models and the stealth models have no country, so each group's "
            "line is a floor: the hatched band above it reaches what the group would carry if "
            f"every unattributed token were its own ({spare.min():.0f} to {spare.max():.0f} % of "
            "a week)."
            + band_text(found)
            + (
                " The hatched box is the sourced mid-2025 peak of Chinese open-weight models."
                if not peak.empty
                else ""
            )
        ),
        alt=(
            f"Line chart. Models made in China {_move(cn.iloc[0], cn.iloc[-1])} "
            f"{cn.iloc[0]:.0f} % of tokens in the first week to {cn.iloc[-1]:.0f} % in the last; "
            "in the last week "
            + ", ".join(f"{recut.ESSAY_SPLIT[k]} {ends[k]:.0f} %" for k in recut.ESSAY_SPLIT)
            + "."
            + (
                " The bands of reconstructions end at "
                + ", ".join(
                    f"{recut.ESSAY_SPLIT[k]} {found['bands'][k]['p5'][-1]:.0f}-"
                    f"{found['bands'][k]['p95'][-1]:.0f} %"
                    for k in recut.ESSAY_SPLIT
                    if k in bands
                )
                + "."
                if bands
                else ""
            )
        ),
        snap=snap,
        trend=True,
        data=data.reset_index().assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d")),
    )


def _move(first: float, last: float) -> str:
    """The verb for a share going from ``first`` to ``last`` (percent, shown rounded)."""
    if round(last) == round(first):
        return "go from"
    return "rise from" if last > first else "fall from"


def trajectory_text(snap: Snapshot) -> str:
    """The sentence on China's share, first four weeks against last four (Markdown), or why the
    snapshot cannot tell."""
    rise = claims.result(snap, "china-share-rises")
    if rise.holds is None:
        return f"The trajectory cannot be measured on this snapshot: {rise.measured}."
    first, last = recut.month_spans(snap, claims.MONTH_WEEKS)
    n = rise.numbers
    spare = recut.unattributed_share(snap)
    k = claims.MONTH_WEEKS
    ceiling = n["first_pct"] + float(spare.iloc[:k].mean())
    return (
        f"Models made in China carried **{n['first_pct']:.1f} %** of all tokens on average in "
        f"the first four weeks ({first}) and **{n['last_pct']:.1f} %** in the last four "
        f"({last}): {change_words(n['last_pct'] - n['first_pct'])}. Both are floors, since the "
        f"unattributed tokens (the long tail and the stealth models: "
        f"{float(spare.iloc[:k].mean()):.1f} % of the first four weeks, "
        f"{float(spare.iloc[-k:].mean()):.1f} % of the last four) may be partly Chinese. Were "
        f"every unattributed token of the first four weeks Chinese, China's share then would be "
        f"{ceiling:.1f} %, and the change to the last four weeks' floor "
        f"{change_words(n['last_pct'] - ceiling)}."
    )


def essay_split_text(snap: Snapshot) -> str:
    """The essay chart's last values against the last week's tokens, with the band of
    plausible reconstructions where the snapshot has one, and the claim's verdict (Markdown).

    The chart's figures are the essay's: tested here (claim ``essay-split``), never an input.
    """
    from tokenrace.claims import evidence

    found = evidence.load(snap)
    entry = found["claims"]["essay-split"]
    bands = found.get("bands", {})
    ranges = [
        f"{recut.ESSAY_SPLIT[key]} {bands[key]['p5'][-1]:.0f}-{bands[key]['p95'][-1]:.0f} %"
        for key in ("cn_open", "us_closed")
        if key in bands
    ]
    spread = (
        " Across the plausible reconstructions of the last week, the shares range over "
        + " and ".join(ranges)
        + "."
        if ranges
        else ""
    )
    return (
        f'The essay\'s chart ends the year at "China open {claims.ESSAY_CN_OPEN_PCT:.0f}" and '
        f'"US frontier {claims.ESSAY_US_FRONTIER_PCT:.0f}". Those figures are the essay\'s: this '
        f"report tests them and never uses them to build its data.{spread} Our verdict on the "
        f"essay's split over all tokens: *{entry['level']}*. {entry['why']}"
    )


def change_words(points: float) -> str:
    """A change of share in words: ``points`` in percentage points, rounded to one decimal;
    a negative change is a fall, never "a rise of -x" (Markdown)."""
    shown = round(points, 1)
    if shown == 0:
        return "no change, to one decimal place"
    word = "a rise" if shown > 0 else "a fall"
    return f"{word} of **{abs(shown):.1f}** percentage points"


def china_share_table(snap: Snapshot) -> pd.DataFrame:
    """China's share of all tokens (and of Chinese open-weight models), in four-week blocks."""
    shares = recut.shares_by(snap, "group")
    china = recut.china_share(snap)
    block = np.arange(len(china)) // claims.MONTH_WEEKS
    starts = china.index.to_series().groupby(block).first()
    table = pd.DataFrame(
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
    return tables.one_header_row(table)


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
    segments = [
        (float(split.iloc[:k].sum()), label, key, float(value))
        for label, split in rows.items()
        for k, (key, value) in enumerate(split.items())
    ]
    hover.marks(
        ax,
        [left + value / 2 for left, _, _, value in segments],
        [label for _, label, _, _ in segments],
        [
            f"{recut.ESSAY_SPLIT[key]} · {label} · {value:.1f} % of tokens"
            for _, label, key, value in segments
        ],
    )
    all_, top = rows["All tokens"], rows["Top 10 models only"]
    charts.publish(
        fig,
        name="fig-fork-split",
        caption=(
            f"Origin split of the last week (week of {last[0]:%Y-%m-%d}): China, open weights; "
            "US, closed weights (the essay's chart calls them 'US frontier'); and everything "
            "else, over all tokens (the long tail included) and over the ten most-used models "
            "only, the denominator press figures use."
        ),
        alt=(
            f"Two stacked bars. All tokens: China, open weights {all_['cn_open']:.0f} %, US, "
            f"closed weights {all_['us_closed']:.0f} %, the rest {all_['rest']:.0f} %. Top 10 "
            f"models only: China, open weights {top['cn_open']:.0f} %, US, closed weights "
            f"{top['us_closed']:.0f} %, the rest {top['rest']:.0f} %."
        ),
        snap=snap,
        data=pd.DataFrame(rows)
        .T.rename(columns=lambda k: f"{recut.ESSAY_SPLIT[k]} (%)")
        .rename_axis("denominator")
        .reset_index(),
    )
