"""Rebuild the representative weekly series from sourced anchors and documented knots.

Inputs (``data/sources/``):

- ``anchors.csv``: every sourced fact used, with its source and grade. Rows with role ``knot`` are
  points the series pass through; rows with role ``check`` are tested against the result; rows
  with role ``context`` are recorded with a note saying why they are not reproduced.
- ``knots.csv``: the reconstruction's own assumptions, each with its reason: where a series
  starts and ends, and its level in periods no source covers.

Method: each series (the platform total and every listed model) is interpolated log-linearly in
tokens between its knots, week by week (Monday-start UTC weeks). A model has no tokens before its
first knot or after its last. The reserved ``other`` row is the platform total minus the listed
models, so each week sums to the platform total. Values are rounded to whole tokens. The method
has no randomness: the same inputs give byte-identical CSVs.

Units: knot and anchor values are in billions of tokens per week (``billion tokens``) unless the
anchor's ``unit`` says ``percent`` or ``models``.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tokenrace import contract as c
from tokenrace.paths import DEFAULT_DATA_DIR

FIRST_WEEK = pd.Timestamp("2025-05-26")
LAST_WEEK = pd.Timestamp("2026-05-25")
BILLION = 1_000_000_000
#: The long tail must keep at least this share of each week, or the knots are inconsistent.
MIN_OTHER_SHARE = 0.03
#: Relative tolerance within which a knot anchor must be reproduced (rounding only).
KNOT_TOLERANCE = 0.005

TOTAL = "all"


class ReconstructionError(ValueError):
    """The anchors and knots cannot produce a snapshot that meets the contract."""


def snapshot_weeks() -> pd.DatetimeIndex:
    """The 53 Monday-start weeks of the representative snapshot."""
    return pd.date_range(FIRST_WEEK, LAST_WEEK, freq="7D")


def read_sources(sources: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``anchors.csv`` and ``knots.csv`` from the sources folder."""
    anchors = pd.read_csv(sources / "anchors.csv", dtype={"id": str}, keep_default_na=False)
    knots = pd.read_csv(sources / "knots.csv", keep_default_na=False)
    for frame in (anchors, knots):
        frame["week"] = pd.to_datetime(frame["week"], format="%Y-%m-%d")
    for column in ("value", "low", "high"):
        anchors[column] = pd.to_numeric(anchors[column].replace("", None)).astype(float)
    anchors["weeks"] = anchors["weeks"].astype(int)
    return anchors, knots


def all_knots(anchors: pd.DataFrame, knots: pd.DataFrame) -> pd.DataFrame:
    """Knot anchors plus assumption knots: columns ``series``, ``week``, ``billion_tokens``."""
    sourced = anchors[(anchors["role"] == "knot") & anchors["kind"].isin(["total", "model"])]
    sourced = pd.DataFrame(
        {
            "series": sourced["subject"],
            "week": sourced["week"],
            "billion_tokens": sourced["value"].astype(float),
        }
    )
    merged = pd.concat([sourced, knots[["series", "week", "billion_tokens"]]], ignore_index=True)
    clash = merged[merged.duplicated(["series", "week"], keep=False)]
    if not clash.empty:
        pairs = ", ".join(
            f"{s} {w:%Y-%m-%d}" for s, w in zip(clash.series, clash.week, strict=True)
        )
        raise ReconstructionError(f"two knots for the same series and week: {pairs}")
    return merged.sort_values(["series", "week"]).reset_index(drop=True)


def interpolate(points: pd.Series, weeks: pd.DatetimeIndex) -> pd.Series:
    """Log-linear interpolation of ``points`` (week -> tokens) over ``weeks``; 0 outside them."""
    x = np.array([(w - weeks[0]).days / 7 for w in points.index], dtype=float)
    logy = np.log(points.to_numpy(dtype=float))
    grid = np.array([(w - weeks[0]).days / 7 for w in weeks], dtype=float)
    inside = (grid >= x.min()) & (grid <= x.max())
    values = np.zeros(len(weeks))
    values[inside] = np.exp(np.interp(grid[inside], x, logy))
    return pd.Series(values, index=weeks)


def reconstruct(anchors: pd.DataFrame, knots: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """The weekly table of the contract (``week, model, tokens``) from anchors and knots."""
    weeks = snapshot_weeks()
    points = all_knots(anchors, knots)
    known = set(models["model"])
    unknown = sorted(set(points["series"]) - known - {TOTAL})
    if unknown:
        raise ReconstructionError(f"knots for models with no row in models.csv: {unknown}")
    missing = sorted(known - set(points["series"]))
    if missing:
        raise ReconstructionError(f"models in models.csv without any knot: {missing}")
    if (points["billion_tokens"] <= 0).any():
        raise ReconstructionError("every knot must be a positive number of billion tokens")
    series = {
        name: interpolate(group.set_index("week")["billion_tokens"] * BILLION, weeks)
        for name, group in points.groupby("series", sort=True)
    }
    total = series.pop(TOTAL)
    if (total == 0).any():
        raise ReconstructionError("the platform total must have knots at both ends of the window")
    listed = pd.DataFrame(series).round().astype("int64")
    other = total.round().astype("int64") - listed.sum(axis=1)
    thin = other[other < MIN_OTHER_SHARE * total]
    if not thin.empty:
        weeks_text = ", ".join(f"{w:%Y-%m-%d}" for w in thin.index)
        raise ReconstructionError(
            f"the listed models leave less than {MIN_OTHER_SHARE:.0%} of the platform total for "
            f"'other' in week(s) {weeks_text}: lower those models' knots or raise the total"
        )
    listed[c.OTHER] = other
    long = (
        listed.rename_axis("week")
        .reset_index()
        .melt(id_vars="week", var_name="model", value_name="tokens")
    )
    long = long[(long["tokens"] > 0) | (long["model"] == c.OTHER)]
    # Keep a model's row in every week between its first and last knot, even a rounded zero.
    return long.sort_values(["week", "model"]).reset_index(drop=True)


def to_csv_text(weekly: pd.DataFrame) -> str:
    """The contract's CSV text for a weekly table (LF line ends, ISO dates, integer tokens)."""
    out = weekly.assign(week=weekly["week"].dt.strftime("%Y-%m-%d"))
    return out.to_csv(index=False, lineterminator="\n")


def write_snapshot(
    sources: Path | None = None,
    out: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> list[Path]:
    """Reconstruct ``weekly_tokens.csv`` into ``out`` (default ``data/``); return the paths written.

    When ``out`` is another folder, the curated ``models.csv``, ``authors.csv`` and
    ``datapackage.json`` of ``data/`` are copied beside it so the folder is a whole snapshot.
    """
    sources = Path(sources) if sources else DEFAULT_DATA_DIR / "sources"
    out = Path(out) if out else DEFAULT_DATA_DIR
    log(f"reading anchors and knots from {sources}")
    anchors, knots = read_sources(sources)
    models = pd.read_csv(DEFAULT_DATA_DIR / c.MODELS_FILE, dtype=str, keep_default_na=False)
    log(f"interpolating {models.shape[0]} models and the platform total over 53 weeks")
    weekly = reconstruct(anchors, knots, models)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    target = out / c.WEEKLY_FILE
    target.write_text(to_csv_text(weekly), encoding="utf-8", newline="")
    written.append(target)
    if out.resolve() != DEFAULT_DATA_DIR.resolve():
        for name in (c.MODELS_FILE, c.AUTHORS_FILE, c.DESCRIPTOR_FILE):
            shutil.copyfile(DEFAULT_DATA_DIR / name, out / name)
            written.append(out / name)
    return written


def check_anchors(weekly: pd.DataFrame, anchors: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """Measure every knot and check anchor on a weekly table.

    ``attrs`` holds each model's ``country``, ``open_weights`` and origin ``group``, indexed by
    slug (:func:`tokenrace.recut.model_attributes`). Returns one row per anchor with
    ``measured``, ``expected`` (text) and ``ok``.
    """
    wide = weekly.pivot_table(index="week", columns="model", values="tokens", aggfunc="sum")
    wide = wide.fillna(0)
    total = wide.sum(axis=1)
    rows = []
    for anchor in anchors[anchors["role"] != "context"].itertuples(index=False):
        weeks = pd.date_range(anchor.week, periods=int(anchor.weeks), freq="7D")
        measured = [_measure(anchor, wide, total, attrs, week, weeks) for week in weeks]
        if anchor.kind == "share_max":
            measured = [max(_measure(anchor, wide, total, attrs, w, weeks) for w in weeks)]
        elif anchor.kind in {"share", "top10_count"} and len(weeks) > 1:
            measured = [_measure(anchor, wide, total, attrs, weeks[0], weeks)]
        ok = all(_within(anchor, value) for value in measured)
        rows.append(
            {
                "id": anchor.id,
                "kind": anchor.kind,
                "subject": anchor.subject,
                "week": anchor.week,
                "role": anchor.role,
                "measured": measured[0] if len(measured) == 1 else measured,
                "expected": _expected_text(anchor),
                "ok": ok,
            }
        )
    return pd.DataFrame(rows)


def _measure(anchor, wide, total, attrs, week, weeks) -> float:
    unit = BILLION
    if week not in wide.index:
        return math.nan
    if anchor.kind == "total":
        return total[week] / unit
    if anchor.kind == "model":
        return wide.at[week, anchor.subject] / unit if anchor.subject in wide else 0.0
    if anchor.kind == "author":
        columns = [m for m in wide.columns if m.split("/")[0] == anchor.subject]
        return wide.loc[week, columns].sum() / unit
    if anchor.kind in {"share", "share_max"}:
        span = [w for w in weeks if w in wide.index] if anchor.kind == "share" else [week]
        members = [m for m in wide.columns if _in_group(m, anchor.subject, attrs)]
        return 100 * wide.loc[span, members].to_numpy().sum() / total[span].sum()
    if anchor.kind == "top10_tokens":
        top = wide.loc[week].drop(c.OTHER, errors="ignore").nlargest(10)
        return top[attrs.loc[top.index, "country"] == anchor.subject].sum() / unit
    if anchor.kind == "top10_count":
        span = [w for w in weeks if w in wide.index]
        top = wide.loc[span].sum().drop(c.OTHER, errors="ignore").nlargest(10)
        return float((attrs.loc[top.index, "country"] == anchor.subject).sum())
    raise ReconstructionError(f"anchor {anchor.id}: unknown kind {anchor.kind!r}")


def _in_group(model: str, subject: str, attrs: pd.DataFrame) -> bool:
    if subject == "open_weights":
        return bool(attrs.at[model, "open_weights"])
    return attrs.at[model, "group"] == subject


def _within(anchor, value: float) -> bool:
    if anchor.role == "knot":
        return math.isclose(value, float(anchor.value), rel_tol=KNOT_TOLERANCE)
    low = -math.inf if math.isnan(anchor.low) else anchor.low
    high = math.inf if math.isnan(anchor.high) else anchor.high
    return low <= value <= high


def _expected_text(anchor) -> str:
    if anchor.role == "knot":
        return f"{anchor.value:g} ± {KNOT_TOLERANCE:.1%}"
    low = "-∞" if math.isnan(anchor.low) else f"{anchor.low:g}"
    high = "∞" if math.isnan(anchor.high) else f"{anchor.high:g}"
    return f"[{low}, {high}]"
