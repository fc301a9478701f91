"""Measured anchors against a snapshot: ``python -m tokenrace sources compare``.

The anchors the importer writes (:mod:`tokenrace.sources.measured`) are compared with a snapshot
(by default the one in use), in three parts, each only in the snapshot's weeks:

- **Models** (billion tokens a week): every ``model`` anchor of the ranking files (``source_id``
  ``ranking_files``, or any ``model`` anchor of a file without source ids) is a *model-week*.
  It is *matched* when the snapshot has tokens for that model that week, and then scored by the
  ratio snapshot / measured: its median, its interquartile range (numpy's linear 25th and 75th
  percentiles) and the share of model-weeks within ±2 %, ±5 % and ±25 %
  (:data:`BANDS`). Otherwise it is *missing*: an unmatched permaslug (a slug that is no model of
  the snapshot's ``models.csv``) or a model at 0 tokens that week.
- **Countries** (percent of all tokens): each ``country_share`` anchor of a reading, its bounds
  next to the snapshot's listed share of the country and its unattributed share (``other`` and
  the stealth models), judged by
  :func:`tokenrace.reconstruct.representative.country_within`: the listed share may not exceed
  the high end, and the listed share plus everything unattributed must reach the low end.
- **Coverage** (percent of all tokens): each ``top_share`` anchor (the reading's N listed
  models), its bounds next to the snapshot's N most-used listed models that week.

:func:`markdown` writes the report; :func:`run` reads the files and returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tokenrace.analysis import recut
from tokenrace.reconstruct import representative as rc
from tokenrace.snapshot.load import Snapshot, load_snapshot
from tokenrace.sources.inputs import SOURCE_ID, read_anchor_file
from tokenrace.sources.measured.ranking_files import SOURCE_ID as RANKING_FILES

#: The relative bands of the model comparison: |snapshot / measured - 1| within 2, 5 and 25 %.
BANDS = (0.02, 0.05, 0.25)
BILLION = 1_000_000_000


@dataclass(frozen=True)
class Comparison:
    """The three parts of a comparison (see the module docstring).

    ``models``: one row per model-week (``id``, ``model``, ``week``, ``measured`` and
    ``snapshot`` in billion tokens, ``status``: ``matched``, ``unmatched`` or ``zero``);
    ``countries``: ``id``, ``week``, ``country``, ``low``, ``high``, ``listed``,
    ``unattributed`` (percent of all tokens), ``ok``; ``coverage``: ``id``, ``week``, ``n``,
    ``low``, ``high``, ``snapshot`` (percent), ``ok``; ``outside``: the measured anchors of these
    kinds outside the snapshot's weeks; ``weeks``: the snapshot's first and last week."""

    models: pd.DataFrame
    countries: pd.DataFrame
    coverage: pd.DataFrame
    outside: int
    weeks: tuple[pd.Timestamp, pd.Timestamp]


def compare(measured: pd.DataFrame, snap: Snapshot) -> Comparison:
    """Compare measured anchors (as :func:`tokenrace.sources.inputs.read_anchor_file` reads
    them) with a snapshot."""
    view = rc.WeeklyView.of(snap.weekly)
    attrs = recut.model_attributes(snap)
    inside = measured["week"].isin(view.wide.index)
    kinds = measured["kind"].isin(["model", "country_share", "top_share"])
    ranked = (measured["kind"] != "model") | measured[SOURCE_ID].isin([RANKING_FILES, ""])
    outside = int((kinds & ranked & ~inside).sum())
    ours = measured[inside & ranked]
    return Comparison(
        models=_models(ours[ours["kind"] == "model"], view, set(snap.models["model"])),
        countries=_countries(ours[ours["kind"] == "country_share"], view, attrs),
        coverage=_coverage(ours[ours["kind"] == "top_share"], view, attrs),
        outside=outside,
        weeks=(view.wide.index[0], view.wide.index[-1]),
    )


def _models(anchors: pd.DataFrame, view: rc.WeeklyView, known: set[str]) -> pd.DataFrame:
    rows = []
    for a in anchors.itertuples(index=False):
        tokens = float(view.wide.at[a.week, a.subject]) if a.subject in view.wide else 0.0
        status = "unmatched" if a.subject not in known else "matched" if tokens > 0 else "zero"
        rows.append(
            {
                "id": a.id,
                "model": a.subject,
                "week": a.week,
                "measured": float(a.value),
                "snapshot": tokens / BILLION,
                "status": status,
            }
        )
    columns = ["id", "model", "week", "measured", "snapshot", "status"]
    return pd.DataFrame(rows, columns=columns)


def _countries(anchors: pd.DataFrame, view: rc.WeeklyView, attrs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for a in anchors.itertuples(index=False):
        (listed,) = rc.measure(a, view, attrs)
        spare = rc.unattributed_share(view, attrs, a.week)
        rows.append(
            {
                "id": a.id,
                "week": a.week,
                "country": a.subject,
                "low": a.low,
                "high": a.high,
                "listed": listed,
                "unattributed": spare,
                "ok": rc.country_within(listed, spare, a.low, a.high),
            }
        )
    columns = ["id", "week", "country", "low", "high", "listed", "unattributed", "ok"]
    return pd.DataFrame(rows, columns=columns)


def _coverage(anchors: pd.DataFrame, view: rc.WeeklyView, attrs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for a in anchors.itertuples(index=False):
        (share,) = rc.measure(a, view, attrs)
        rows.append(
            {
                "id": a.id,
                "week": a.week,
                "n": int(str(a.subject).removeprefix("top").removesuffix("_models")),
                "low": a.low,
                "high": a.high,
                "snapshot": share,
                "ok": a.low <= share <= a.high,
            }
        )
    columns = ["id", "week", "n", "low", "high", "snapshot", "ok"]
    return pd.DataFrame(rows, columns=columns)


def model_stats(models: pd.DataFrame) -> dict[str, float | int | None]:
    """The model part's figures: ``model_weeks``, ``matched``, ``missing``, ``unmatched``,
    ``zero`` (counts); ``median``, ``q25``, ``q75`` of the ratio snapshot / measured over the
    matched model-weeks; and ``within_2``, ``within_5``, ``within_25``, the share of matched
    model-weeks within each band (0 to 1). The ratios' figures are None without a match."""
    counts = models["status"].value_counts()
    matched = models[models["status"] == "matched"]
    ratio = (matched["snapshot"] / matched["measured"]).to_numpy(dtype=float)
    stats: dict[str, float | int | None] = {
        "model_weeks": len(models),
        "matched": int(counts.get("matched", 0)),
        "missing": len(models) - int(counts.get("matched", 0)),
        "unmatched": int(counts.get("unmatched", 0)),
        "zero": int(counts.get("zero", 0)),
    }
    if not len(ratio):
        return stats | {"median": None, "q25": None, "q75": None} | _bands(None)
    q25, median, q75 = (float(q) for q in np.percentile(ratio, [25, 50, 75]))
    within = {band: float(np.mean(np.abs(ratio - 1) <= band + 1e-12)) for band in BANDS}
    return stats | {"median": median, "q25": q25, "q75": q75} | _bands(within)


def _bands(within: dict[float, float] | None) -> dict[str, float | None]:
    return {f"within_{round(b * 100)}": within[b] if within else None for b in BANDS}


def markdown(result: Comparison, measured_name: str, snapshot_name: str) -> str:
    """The comparison as a Markdown report (figures rounded for reading)."""
    first, last = result.weeks
    lines = [
        "# Measured sources against the snapshot",
        "",
        f"Measured anchors: `{measured_name}`. Snapshot: `{snapshot_name}`, weeks "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}. Measured anchors outside these weeks, not "
        f"compared: {result.outside}.",
        "",
        "## Models of the ranking files (billion tokens a week)",
        "",
    ]
    s = model_stats(result.models)
    n = s["matched"]
    lines += [
        "| model-weeks | count |",
        "|---|---:|",
        f"| in the snapshot's weeks | {s['model_weeks']} |",
        f"| matched: a snapshot model with tokens that week | {n} |",
        f"| missing from the snapshot | {s['missing']} |",
        f"| … of which unmatched permaslugs (no model of the snapshot) | {s['unmatched']} |",
        f"| … of which models at 0 tokens that week | {s['zero']} |",
        "",
    ]
    if s["median"] is None:
        lines += ["No model-week is matched: no ratio to report.", ""]
    else:
        lines += [
            "| ratio snapshot / measured (matched model-weeks) | value |",
            "|---|---:|",
            f"| median | {s['median']:.3f} |",
            f"| interquartile range | {s['q25']:.3f} to {s['q75']:.3f} |",
        ]
        for band in BANDS:
            share = s[f"within_{round(band * 100)}"]
            assert isinstance(share, float) and isinstance(n, int)
            lines.append(
                f"| within ±{band * 100:.0f} % | {share * 100:.0f} % ({round(share * n)} of {n}) |"
            )
        lines.append("")
    lines += _country_lines(result.countries) + _coverage_lines(result.coverage)
    return "\n".join(lines).rstrip() + "\n"


def _country_lines(countries: pd.DataFrame) -> list[str]:
    lines = ["## Country shares by reading week (percent of all tokens)", ""]
    if countries.empty:
        return [*lines, "No reading's country bounds fall in the snapshot's weeks.", ""]
    lines += [
        "The snapshot's share of a country is that of its listed models, a lower bound: its "
        "`other` row and its stealth models (unattributed) may hold more. A week passes when "
        "the listed share is at most the measured high end and the listed share plus the "
        "unattributed share reaches the low end.",
        "",
        "| week | country | measured low | measured high | snapshot listed | snapshot "
        "unattributed | verdict |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in countries.sort_values(["week", "country"]).itertuples(index=False):
        lines.append(
            f"| {r.week:%Y-%m-%d} | {r.country} | {r.low:.2f} | {r.high:.2f} | "
            f"{r.listed:.2f} | {r.unattributed:.2f} | {_verdict(r.ok)} |"
        )
    failed = int((~countries["ok"]).sum())
    return [*lines, "", f"{len(countries) - failed} pass, {failed} fail.", ""]


def _coverage_lines(coverage: pd.DataFrame) -> list[str]:
    lines = ["## Top-N coverage (percent of all tokens)", ""]
    if coverage.empty:
        return [*lines, "No reading's coverage falls in the snapshot's weeks.", ""]
    lines += [
        "| week | N | measured low | measured high | snapshot's N most-used listed models "
        "| verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in coverage.sort_values("week").itertuples(index=False):
        lines.append(
            f"| {r.week:%Y-%m-%d} | {r.n} | {r.low:.2f} | {r.high:.2f} | {r.snapshot:.2f} | "
            f"{_verdict(r.ok)} |"
        )
    return [*lines, ""]


def _verdict(ok: bool) -> str:
    return "pass" if ok else "**fail**"


def run(measured: Path, data: Path | None = None, log: Callable[[str], None] = print) -> str:
    """Read the measured anchors at ``measured`` and the snapshot at ``data`` (default: the one
    in use), compare them and return the Markdown report. Progress goes to ``log``. Raises
    :class:`tokenrace.sources.inputs.SourcesError` for a bad anchors file and
    :class:`tokenrace.snapshot.load.SnapshotError` for a snapshot that breaks the contract."""
    log(f"reading measured anchors from {measured}")
    anchors = read_anchor_file(Path(measured))
    snap = load_snapshot(data)
    log(f"loaded the snapshot {snap.path}: {len(snap.weeks)} week(s)")
    result = compare(anchors, snap)
    log(
        f"compared {len(result.models)} model-week(s), {len(result.countries)} country "
        f"bound(s), {len(result.coverage)} coverage value(s)"
    )
    return markdown(result, str(measured), str(snap.path))
