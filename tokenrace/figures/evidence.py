"""Charts of the Claims page: how each claim fares across analysis choices, and since when it holds.

Both read :func:`tokenrace.claims.evidence.load`. Cells carry text (a share of draws, or a mark), so
colour is never the only cue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap

from tokenrace.claims import evidence
from tokenrace.claims import register as claims
from tokenrace.figures import charts, hover
from tokenrace.snapshot.dates import week_label
from tokenrace.snapshot.load import Snapshot

#: White to blue: the share of draws in which a claim holds.
SHARE_MAP = LinearSegmentedColormap.from_list("holds", ["#FFFFFF", "#56B4E9", "#0072B2"])
SPOKEN = {"n/a": "not applicable", "?": "cannot be tested", "✔": "holds", "✘": "fails"}
UNIT = {False: "% of draws holding", True: "holds on the data"}
SHORT = {
    "base": "As\npublished",
    "mostly-input": "Mostly\ninput",
    "top-10": "Top 10\nonly",
    "paid-only": "Paid\nonly",
}


def _cell(entry: dict, key: str, measured: bool) -> tuple[str, float | None]:
    """Text and shade of one claim under one scenario."""
    if key not in entry["central"]:
        return "n/a", None
    central = entry["central"][key]["holds"]
    if central is None:
        return "?", None
    share = entry["share"].get(key)
    if measured or share is None:
        return ("✔" if central else "✘"), (1.0 if central else 0.0)
    return f"{100 * share:.0f}", share


def _spoken(text: str) -> str:
    """A cell's text in words: ``87`` is ``holds in 87 % of draws``."""
    return SPOKEN.get(text) or f"holds in {text} % of draws"


def robustness_table(found: dict) -> pd.DataFrame:
    """Claims (rows) against scenarios (columns): the cell text of the robustness chart."""
    measured = found["basis"] != "reconstructed"
    keys = [s["key"] for s in found["scenarios"]]
    return pd.DataFrame(
        {
            key: [_cell(found["claims"][c.id], key, measured)[0] for c in claims.REGISTER]
            for key in keys
        },
        index=[c.id for c in claims.REGISTER],
    )


def verdict_table(snap: Snapshot) -> pd.DataFrame:
    """Every claim with its one verdict as of the essay's week and, beside it, how its test fares
    on the weeks since (a fact about those weeks, not a second verdict). Three columns, to read
    on a phone."""
    from tokenrace.claims.reporting import since_then_short, week_words
    from tokenrace.figures import tables

    found = evidence.load(snap)
    judged = week_words(found["essay"]["judged"])
    rows = []
    for c in claims.REGISTER:
        entry = found["claims"][c.id]
        rows.append(
            (
                c.id,
                f"{evidence.MARKS[entry['level']]} {entry['level']}",
                since_then_short(entry["after"]),
            )
        )
    columns = ["Claim", f"Verdict, as of the {judged}", "Test in the weeks since"]
    return tables.one_header_row(pd.DataFrame(rows, columns=columns).set_index("Claim"))


def robustness(snap: Snapshot) -> None:
    """Heat table of every claim under every analysis choice: the share of draws holding."""
    found = evidence.load(snap)
    measured = found["basis"] != "reconstructed"
    families = {
        "Analysis choices": [s for s in found["scenarios"] if s["family"] in ("base", "method")],
        "Data ending earlier (weeks)": [
            s for s in found["scenarios"] if s["family"] in ("base", "vantage")
        ],
    }
    ids = [c.id for c in claims.REGISTER]
    fig, axes = charts.new_figure("How robust is each claim?", nrows=2, height=7.6)
    for ax, (title, scens) in zip(axes, families.items(), strict=True):
        shade = np.full((len(ids), len(scens)), np.nan)
        for j, s in enumerate(scens):
            for i, cid in enumerate(ids):
                text, value = _cell(found["claims"][cid], s["key"], measured)
                shade[i, j] = np.nan if value is None else value
                dark = value is not None and value >= 0.85
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=11.5,
                    color="white" if dark else charts.INK,
                    fontweight="bold" if value is not None and value >= 0.95 else "normal",
                )
        ax.imshow(
            np.ma.masked_invalid(shade),
            cmap=SHARE_MAP,
            vmin=0,
            vmax=1,
            aspect="auto",
        )
        labels = [SHORT.get(s["key"], s["key"].removeprefix("end-")) for s in scens]
        ax.set_xticks(range(len(scens)), labels, fontsize=11)
        ax.set_yticks(range(len(ids)), ids, fontsize=11.5)
        ax.tick_params(length=0)
        ax.set_title(title, fontsize=12, loc="left")
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        cells = [(j, i, s, cid) for j, s in enumerate(scens) for i, cid in enumerate(ids)]
        hover.marks(
            ax,
            [j for j, _, _, _ in cells],
            [i for _, i, _, _ in cells],
            [
                f"{cid} · {s['label']} · "
                + _spoken(_cell(found["claims"][cid], s["key"], measured)[0])
                for _, _, s, cid in cells
            ],
            size=14,
        )
    what = (
        "✔ holds, ✘ fails"
        if measured
        else f"the percentage of {found['draws']} drawn reconstructions in which it holds"
    )
    table = robustness_table(found)
    labels = {sc["key"]: sc["label"].lower() for sc in found["scenarios"]}
    charts.publish(
        fig,
        name="fig-claims-robustness",
        caption=(
            f"Each claim (rows) under each analysis choice (columns): {what}; darker cells hold "
            "more often. 'n/a': the choice does not enter the claim; '?': the data cannot "
            "answer (too few weeks, or free shares unknown). Top: as published, the mostly-input "
            "price blend, the top 10 models as denominator, and paid tokens only. Bottom: the "
            "data ending 0 to 7 weeks before the week the claims are judged on, the "
            f"{found['essay']['label'] if not found['essay']['note'] else 'last week'}."
        ),
        alt=(
            f"Table chart of claims against analysis choices; each cell is {what}. "
            + " ".join(
                f"{cid}: "
                + ", ".join(f"{labels[k]} {SPOKEN.get(v, v)}" for k, v in table.loc[cid].items())
                + "."
                for cid in ids
            )
        ),
        snap=snap,
        data=table.rename(columns=lambda k: f"{k} ({UNIT[measured]})")
        .rename_axis("claim")
        .reset_index(),
    )


def since_when(snap: Snapshot) -> None:
    """Timeline: for each claim and each week taken as the end of the data, did it hold?"""
    found = evidence.load(snap)
    weeks = pd.DatetimeIndex(found["weeks"])
    ids = [c.id for c in claims.REGISTER]
    fig, ax = charts.new_figure("Since when does each claim hold?", height=5.6)
    for i, cid in enumerate(ids):
        held = found["claims"][cid]["since"]["held"]
        yes = [w for w, h in zip(weeks, held, strict=True) if h is True]
        no = [w for w, h in zip(weeks, held, strict=True) if h is False]
        ax.scatter(
            yes,
            [i] * len(yes),
            marker="s",
            s=26,
            color="#0072B2",
            zorder=3,
            label="holds" if i == 0 else None,
        )
        ax.scatter(
            no,
            [i] * len(no),
            marker="s",
            s=22,
            facecolor="white",
            edgecolor="#777777",
            linewidth=0.8,
            zorder=3,
            label="does not hold" if i == 0 else None,
        )
        since = found["claims"][cid]["since"]["week"]
        if since:
            ax.annotate(
                "since " + pd.Timestamp(since).strftime("%d %b %Y"),
                xy=(pd.Timestamp(since), i),
                xytext=(0, 6),
                textcoords="offset points",
                ha="right" if pd.Timestamp(since) > weeks[len(weeks) // 2] else "left",
                va="bottom",
                fontsize=9.5,
                color=charts.INK,
            )
    ax.set_yticks(range(len(ids)), ids, fontsize=11.5)
    ax.set_ylim(len(ids) - 0.5, -0.5)
    for i, cid in enumerate(ids):
        held = found["claims"][cid]["since"]["held"]
        known = [(w, h) for w, h in zip(weeks, held, strict=True) if h is not None]
        hover.marks(
            ax,
            [w for w, _ in known],
            [i] * len(known),
            [
                f"{cid} · data ending in the {week_label(w)} · "
                + ("holds" if h else "does not hold")
                for w, h in known
            ],
            size=6,
        )
    ax.grid(axis="y", visible=False)
    charts.week_axis(ax)
    ax.set_xlabel("Week taken as the end of the data")
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.16), ncols=2, fontsize=10.5)
    data = pd.DataFrame({"week": [f"{w:%Y-%m-%d}" for w in weeks]})
    for cid in ids:
        data[f"{cid} holds"] = found["claims"][cid]["since"]["held"]
    charts.publish(
        fig,
        name="fig-claims-since",
        caption=(
            "Each week in turn taken as the end of the data (columns), for each claim (rows): a "
            "filled square where the claim holds on the data up to that week, an empty one where "
            "it does not; blank where the data up to then cannot answer it. The label marks the "
            "first week from which it has held, up to the week it is judged on."
        ),
        alt=(
            "Timeline of claims. "
            + " ".join(
                f"{cid} holds from the week of {found['claims'][cid]['since']['week']} to the "
                f"week of {found['essay']['judged']}."
                if found["claims"][cid]["since"]["week"]
                else f"{cid} does not hold in the week of {found['essay']['judged']}."
                for cid in ids
            )
        ),
        snap=snap,
        data=data,
        trend=True,
    )
