"""Computations and charts of the data chapter: coverage, the series against their anchors, and
how far to trust the reconstruction (fit and leave-one-source-out, :mod:`tokenrace.reconstruct.
validation`).

Token figures are prompt plus completion tokens per Monday-start UTC week; charts show them in
trillions (T) or billions (B) of tokens as labelled. Errors of token figures are |ln(snapshot /
source)| (0.1 is about 10 % off); errors of shares are percentage points (pp).
"""

from __future__ import annotations

import pandas as pd

from tokenrace.analysis import recut
from tokenrace.figures import charts, hover, tables
from tokenrace.reconstruct import representative as rc
from tokenrace.reconstruct import validation as va
from tokenrace.snapshot.dates import week_label
from tokenrace.snapshot.load import Snapshot

T = 1e12
B = 1e9


def coverage(snap: Snapshot) -> dict[str, object]:
    """Plain-Python facts about the snapshot's coverage (for glue and the coverage table)."""
    total = recut.weekly_total(snap)
    other = snap.weekly[snap.weekly["model"] == "other"].set_index("week")["tokens"]
    other_pct = other / total * 100
    attrs = recut.model_attributes(snap).drop(index="other")
    listed = attrs[attrs.index.isin(snap.weekly["model"])]
    return {
        "first_week": f"{snap.weeks[0]:%Y-%m-%d}",
        "last_week": f"{snap.weeks[-1]:%Y-%m-%d}",
        "weeks": len(snap.weeks),
        "models": len(listed),
        "labs": int(listed["author"].nunique()),
        "countries": int(listed.loc[listed["country"] != "", "country"].nunique()),
        "rows": len(snap.weekly),
        "tokens_total_t": float(total.sum() / T),
        "other_min_pct": float(other_pct.min()),
        "other_max_pct": float(other_pct.max()),
        "as_of": snap.as_of,
    }


def coverage_table(cov: dict[str, object]) -> pd.DataFrame:
    """The coverage facts as a two-column table for display."""
    labels = {
        "first_week": "First week (Monday)",
        "last_week": "Last week (Monday)",
        "weeks": "Weeks",
        "models": "Listed models",
        "labs": "Labs (authors)",
        "countries": "Countries of origin",
        "rows": "Rows in weekly_tokens.csv",
        "tokens_total_t": "Tokens in all weeks (trillions)",
        "as_of": "Snapshot as of",
    }
    rows = []
    for key, label in labels.items():
        value = cov[key]
        rows.append((label, f"{value:,.1f}" if isinstance(value, float) else str(value)))
    return tables.one_header_row(pd.DataFrame(rows, columns=["", "Value"]).set_index(""))


def anchor_checks(snap: Snapshot) -> pd.DataFrame | None:
    """Every sourced anchor measured on the snapshot
    (:func:`tokenrace.reconstruct.representative.check_anchors`).

    Only a reconstructed snapshot has anchors: ``sources/anchors.csv`` beside its files, or the
    committed snapshot itself. Returns None for any other snapshot (a fetched one, say).
    """
    sources = snap.path / "sources"
    if not (sources / "anchors.csv").is_file():
        return None
    anchors, _ = rc.read_sources(sources)
    checked = rc.check_anchors(snap.weekly, anchors, recut.model_attributes(snap))
    extra = anchors.set_index("id")[["grade", "value", "unit", "source"]]
    checked = checked.join(extra, on="id")
    context = anchors[anchors["role"] == "context"]
    checked.attrs["context"] = len(context)
    return checked


def reconstruction_summary(snap: Snapshot, checked: pd.DataFrame | None):
    """A paragraph (Markdown) on how closely the snapshot meets its sourced anchors."""
    from IPython.display import Markdown

    if checked is None:
        kind = snap.meta.get("kind", "snapshot")
        return Markdown(
            f"The snapshot in use (*{snap.meta.get('title', snap.path.name)}*, {kind}) was not "
            "reconstructed from anchors, so there are no sourced figures to check it against."
        )
    n = anchor_summary(checked)
    upto = (
        f" (to the week of {snap.weeks[-1]:%d %B %Y}, the essay's: the weeks after it are "
        "OpenRouter's Data API rows as they are)"
        if snap.whole is not None
        else ""
    )
    return Markdown(
        f"Of the **{n['used']}** sourced figures the reconstruction uses{upto}, "
        f"**{n['knots']}** are "
        f"points the series pass through and **{n['checks']}** are checks the result must meet "
        f"(a range, a share, a ranking). **{n['ok']}** of {n['used']} hold. A further "
        f"**{n['context']}** figures are recorded for context only, each with a note saying why "
        "it is not reproduced (most fall outside the window, or disagree with a better-graded "
        "figure)."
    )


def anchor_summary(checked: pd.DataFrame) -> dict[str, int]:
    """Counts of anchors used, knots, checks, passing, and context-only figures."""
    return {
        "used": len(checked),
        "knots": int((checked["role"] == "knot").sum()),
        "checks": int((checked["role"] == "check").sum()),
        "ok": int(checked["ok"].sum()),
        "context": int(checked.attrs.get("context", 0)),
    }


def anchor_table(checked: pd.DataFrame) -> pd.DataFrame:
    """The anchors with their measured values, for a reviewer."""
    table = checked.copy()
    table["week"] = table["week"].dt.strftime("%Y-%m-%d")
    table["measured"] = [
        ", ".join(f"{v:,.1f}" for v in m) if isinstance(m, list) else f"{m:,.1f}"
        for m in table["measured"]
    ]
    table["holds"] = table["ok"].map({True: "yes", False: "NO"})
    columns = ["id", "kind", "subject", "week", "role", "grade", "unit", "expected", "measured"]
    return tables.one_header_row(table[[*columns, "holds"]].set_index("id"))


def plot_total_against_anchors(snap: Snapshot) -> None:
    """Line: weekly platform total (T tokens), with the sourced totals as points."""
    total = recut.weekly_total(snap) / T
    anchors, knots = rc.read_sources(snap.path / "sources")
    sourced = anchors[(anchors["kind"] == "total") & anchors["week"].isin(total.index)]
    fig, ax = charts.new_figure("Platform total against its sources")
    ax.plot(total.index, total.to_numpy(), color=charts.INK, linewidth=2, label="Reconstructed")
    markers = {"knot": ("o", "Sourced point"), "check": ("D", "Sourced check")}
    for role, (marker, label) in markers.items():
        rows = sourced[sourced["role"] == role]
        ax.scatter(
            rows["week"],
            rows["value"] / 1000,
            marker=marker,
            s=46,
            zorder=3,
            color=charts.ORIGIN_COLOURS["us_closed"],
            label=label,
        )
        if role == "check":
            for row in rows.itertuples():
                ax.vlines(
                    row.week,
                    float(row.low) / 1000,
                    float(row.high) / 1000,
                    color=charts.ORIGIN_COLOURS["us_closed"],
                    linewidth=1.5,
                )
    assumed = knots[knots["series"] == "all"]
    ax.scatter(
        assumed["week"],
        assumed["billion_tokens"] / 1000,
        marker="o",
        s=46,
        zorder=3,
        facecolor="white",
        edgecolor=charts.INK,
        label="Assumed knot",
    )
    ax.set_ylabel("Tokens per week (trillions)")
    ax.set_ylim(0, None)
    ax.legend(loc="upper left")
    charts.week_axis(ax)
    ax.margins(x=0.03)
    hover.lines(ax, pd.DataFrame({"Reconstructed total": total}), hover.trillions)
    first, last = total.iloc[0], total.iloc[-1]
    n_points = int((sourced["role"] == "knot").sum())
    charts.publish(
        fig,
        name="fig-data-total",
        caption=(
            "Weekly platform total of the representative snapshot (line) against the sourced "
            "weekly totals it passes through (filled points), the sourced ranges it is checked "
            "against (diamonds with bars) and the assumed knots (open points)."
        ),
        alt=(
            f"Line chart of OpenRouter's weekly tokens from {total.index[0]:%d %B %Y} to "
            f"{total.index[-1]:%d %B %Y}, rising from {first:.1f} trillion to {last:.1f} trillion, "
            f"with a dip around the turn of the year; {n_points} sourced totals lie on the line."
        ),
        snap=snap,
        trend=True,
        data=pd.DataFrame(
            {"week": total.index.strftime("%Y-%m-%d"), "tokens_trillions": total.values}
        ),
    )


def plot_models_against_anchors(snap: Snapshot, checked: pd.DataFrame) -> None:
    """Scatter: each sourced model figure (B tokens) against the snapshot's value, log-log."""
    rows = checked[(checked["kind"] == "model") & (checked["role"] == "knot")].copy()
    rows["sourced_b"] = rows["value"].astype(float)
    rows["snapshot_b"] = rows["measured"].astype(float)
    # A figure at zero (a model not listed that week, say) has no place on the log axes.
    zero = rows[~(rows["sourced_b"].gt(0) & rows["snapshot_b"].gt(0))]
    rows = rows.drop(index=zero.index)
    left_out = (
        f" {len(zero)} figure{'s' if len(zero) > 1 else ''} at zero "
        f"{'have' if len(zero) > 1 else 'has'} no place on the log axes and "
        f"{'are' if len(zero) > 1 else 'is'} not shown: "
        + "; ".join(f"{r.subject}, {week_label(r.week)}" for r in zero.itertuples())
        + "."
        if not zero.empty
        else ""
    )
    fig, ax = charts.new_figure("Model figures: sourced against snapshot", height=4.6, width=6.4)
    low, high = rows[["sourced_b", "snapshot_b"]].min().min() / 1.5, rows["sourced_b"].max() * 1.5
    ax.plot([low, high], [low, high], color=charts.GRID, linewidth=2, zorder=1)
    ax.text(
        high / 1.2, high / 1.2, "equal", ha="right", va="bottom", color=charts.MUTED, fontsize=9
    )
    ax.scatter(
        rows["sourced_b"],
        rows["snapshot_b"],
        s=36,
        zorder=3,
        color=charts.ORIGIN_COLOURS["cn_open"],
        edgecolor="white",
        linewidth=0.5,
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Sourced weekly tokens (billions)")
    ax.set_ylabel("Snapshot weekly tokens (billions)")
    worst = (rows["snapshot_b"] / rows["sourced_b"] - 1).abs().max() * 100
    hover.marks(
        ax,
        list(rows["sourced_b"]),
        list(rows["snapshot_b"]),
        [
            f"{r.subject} · {week_label(r.week)} · sourced {r.sourced_b:,.1f} B tokens, "
            f"snapshot {r.snapshot_b:,.1f} B tokens"
            for r in rows.itertuples()
        ],
    )
    charts.publish(
        fig,
        name="fig-data-models",
        caption=(
            "Every sourced weekly figure for a single model (horizontal) against the same model "
            "and week in the snapshot (vertical). Points on the diagonal are reproduced exactly."
            + left_out
            + (
                " The weeks after the essay's are OpenRouter's Data API rows as they are "
                "(tested), not drawn."
                if snap.whole is not None
                else ""
            )
        ),
        alt=(
            f"Scatter plot of {len(rows)} sourced model figures, from "
            f"{rows['sourced_b'].min():.0f} billion to {rows['sourced_b'].max():,.0f} billion "
            f"tokens a week, all on the diagonal: the largest difference is {worst:.2f} %."
        ),
        snap=snap,
        data=rows[["id", "subject", "week", "sourced_b", "snapshot_b"]]
        .rename(
            columns={
                "subject": "model",
                "sourced_b": "sourced_billion_tokens",
                "snapshot_b": "snapshot_billion_tokens",
            }
        )
        .assign(week=lambda d: d["week"].dt.strftime("%Y-%m-%d")),
    )


# --- how far to trust the reconstruction ---------------------------------------------------------


def trust(snap: Snapshot) -> dict:
    """The validation of the snapshot (:func:`tokenrace.reconstruct.validation.load`: cached per
    snapshot and package code, so a chapter run again does not recompute it)."""
    return va.load(snap)


def _error(value: float | None, scale: str) -> str:
    if value is None:
        return "all lost"
    return f"{value:.1f} pp" if scale == "shares" else f"{value:.2f}"


def _label(row: dict) -> str:
    return row["source"] if row["scale"] == "tokens" else f"{row['source']} (shares)"


def fit_table(found: dict) -> pd.DataFrame:
    """Each source's fit, for display: values scored, median and 90th percentile of the error
    (|ln ratio| for tokens; pp for shares, marked). Four narrow columns, to read on a phone."""
    rows = [
        (
            _label(r),
            str(r["values"]),
            _error(r["fit_median"], r["scale"]),
            _error(r["fit_p90"], r["scale"]),
        )
        for r in found["rows"]
    ]
    table = pd.DataFrame(rows, columns=["Source", "Values", "Median", "P90"]).set_index("Source")
    return tables.one_header_row(table)


def loso_table(found: dict) -> pd.DataFrame:
    """Each source left out, for display: values (of which lost), median and 90th percentile of
    the error on its values, and, where some source was not rebuilt, whether each was ("no: =
    fit" when leaving it out changes no input, so its error is its fit). A column that would say
    "yes" on every row is left out, to keep the table narrow on a phone."""
    rows = [
        (
            _label(r),
            f"{r['values']} ({r['lost']} lost)" if r["lost"] else str(r["values"]),
            _error(r["loso_median"], r["scale"]),
            _error(r["loso_p90"], r["scale"]),
            "yes" if r["rebuilt"] else "no: = fit",
        )
        for r in found["rows"]
    ]
    columns = ["Source left out", "Values", "Median", "P90", "Rebuilt"]
    table = pd.DataFrame(rows, columns=columns).set_index(columns[0])
    if (table["Rebuilt"] == "yes").all():
        table = table.drop(columns="Rebuilt")
    return tables.one_header_row(table)


def trust_note(found: dict):
    """What the validation says (Markdown) when it cannot leave a source out; else nothing."""
    from IPython.display import Markdown

    if "note" not in found:
        return None
    return Markdown(f"{found['note']} Every number below reads *unknown*.")


# --- each source's range, from its measured disagreement -----------------------------------------


def source_ranges(snap: Snapshot) -> pd.DataFrame:
    """Each measured source's overlaps with the others and the range it takes from them
    (:func:`tokenrace.sources.agreement.disagreement`); empty without ``sources/measured.csv``."""
    from tokenrace.snapshot.layout import MEASURED_FILE, SOURCES_DIR
    from tokenrace.sources.agreement import disagreement
    from tokenrace.sources.inputs import read_anchor_file

    path = snap.path / SOURCES_DIR / MEASURED_FILE
    if not path.is_file():
        return pd.DataFrame(columns=["source", "others", "pairs", "median", "p90", "half_width"])
    return disagreement(read_anchor_file(path, MEASURED_FILE))


def source_range_table(found: pd.DataFrame) -> pd.DataFrame:
    """The ranges for display: the source, what it overlaps, how many values, the median and
    90th-percentile difference, and the range its anchors take (or the grade default)."""
    from tokenrace.sources.inputs import GRADE_HALF_WIDTH

    def pct(value: float) -> str:
        return "–" if pd.isna(value) else f"{100 * value:.1f} %"

    default = f"grade default (A ±{100 * GRADE_HALF_WIDTH['A']:.0f} %)"
    rows = [
        (
            r.source,
            r.others or "none",
            str(r.pairs),
            pct(r.median),
            pct(r.p90),
            default if pd.isna(r.half_width) else f"±{100 * r.half_width:.0f} %",
        )
        for r in found.itertuples()
    ]
    columns = ["Source", "Overlaps", "Values", "Median", "P90", "Range"]
    return tables.one_header_row(pd.DataFrame(rows, columns=columns).set_index("Source"))


def source_range_text(found: pd.DataFrame) -> str:
    """One paragraph (Markdown) on where the measured sources overlap and the ranges they take,
    computed from ``found`` (:func:`source_ranges`); it reads right for any outcome."""
    from tokenrace.sources.agreement import MIN_PAIRS

    if found.empty:
        return (
            "This snapshot has no imported measurements, so every anchor takes its grade's "
            "default range."
        )
    ranged = found[found["half_width"].notna()]
    alone = found[found["half_width"].isna()]
    parts = []
    for r in ranged.itertuples():
        parts.append(
            f"{r.source} overlaps {r.others} on {r.pairs} values: they differ by a median of "
            f"{100 * r.median:.1f} % and by at most {100 * r.p90:.1f} % in nine of ten, so its "
            f"anchors take a range of ±{100 * r.half_width:.0f} %"
        )
    text = "; ".join(parts) + ". " if parts else ""
    if not alone.empty:
        names = ", ".join(alone["source"])
        verb = "overlaps" if len(alone) == 1 else "overlap"
        text += (
            f"{names} {verb} no other measured source on the {MIN_PAIRS} or more values a "
            "range needs, so its anchors keep their grade's default range."
        )
    return text.strip()
