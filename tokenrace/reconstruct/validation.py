"""How far to trust the reconstruction: its fit to each source, and each source left out.

A representative snapshot is rebuilt from sourced anchors and assumed knots
(:mod:`tokenrace.reconstruct.representative`). Every anchor names the source it comes from
(``source_id`` in ``anchors.csv``: one publication or data set). For each source this module
measures how far the snapshot lies from that source's values:

- **Values.** A source's values are its anchors with role ``knot`` or ``check`` (``context``
  anchors are not reproduced) whose figure a weekly table can be measured against
  (:func:`tokenrace.reconstruct.representative.measure`): token kinds (:data:`TOKEN_KINDS`, in
  billion tokens a week, or in the window of a week-to-date reading) and share kinds
  (:data:`SHARE_KINDS`, in percent). An anchor without a central ``value``, a one-sided one (only
  ``low`` or only ``high``: its value is a bound, not an estimate, as ``author_share_max``), a
  count (``top10_count``) and a country's bounds (``country_share``: the table's listed share is
  a lower bound, so its distance to a value says nothing) are *skipped*, and counted. An anchor
  over several weeks is measured as the mean of its weekly measurements (a share over its weeks
  as that share).
- **Error of a value.** Token kinds: ``|ln(snapshot / value)|``, the absolute natural log of the
  ratio (0.1 is about 10 % off). Share kinds: ``|snapshot - value|``, in percentage points.
- **Fit.** The errors on the snapshot itself. A value the series pass through (a ``knot``) is
  reproduced within the reconstruction's tolerance (0.5 %), so its error is near zero.
- **Leave one source out (LOSO).** The snapshot is rebuilt with the same method
  (:class:`tokenrace.reconstruct.series.Design`) from every input except the source's ``knot``
  anchors and every assumed knot (``knots.csv``, ``free_knots.csv``) whose ``reason`` or
  ``range_reason`` cites one of the source's anchor ids (a whole word: "(anchor T10)", "(A01)"),
  since those knots carry the source's information. The errors on the source's values then say
  how wrong the snapshot would be where this source is the only measurement. Where the rebuilt
  listed models would leave the long tail under its minimum share of a week, they are scaled down
  by the ensemble's rule (:func:`tokenrace.reconstruct.ensemble.with_room_for_other`). A model left
  with no points has no tokens; a token value measured at zero (or not at all) is *lost*: counted,
  never put into a median as an infinite error. A source that neither has knot anchors nor is
  cited by an assumed knot changes nothing when left out: its LOSO errors are its fit.

Each statistic is the median and the 90th percentile of the errors (numpy's default, linear
interpolation between order statistics), rounded to 9 decimals before anything displays it, so no
CPU's last bits change a printed digit. The result is plain JSON, cached per snapshot (sources
included) and package code (:func:`load`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from tokenrace.analysis import recut
from tokenrace.reconstruct import ensemble as en
from tokenrace.reconstruct import representative as rc
from tokenrace.snapshot import contract as c
from tokenrace.snapshot.cache import cache_file, cached
from tokenrace.snapshot.essay import as_of_essay
from tokenrace.snapshot.layout import SOURCES_DIR
from tokenrace.snapshot.load import Snapshot
from tokenrace.sources.inputs import (
    FREE_SUFFIX,
    SOURCE_ID,
    has_source_ids,
    read_anchors,
    read_inputs,
)

#: Anchor kinds measured in billion tokens a week; their error is |ln(snapshot / value)|.
TOKEN_KINDS = (
    "total",
    "model",
    "free",
    "other",
    "author",
    "top10_tokens",
    "total_to_date",
    "model_to_date",
    "free_to_date",
    "other_to_date",
)
#: Anchor kinds measured in percent; their error is |snapshot - value| in percentage points.
#: (``share`` and ``author_share`` are shares of all tokens whose snapshot value is a floor, the
#: long tail being unattributed: like ``country_share``, their distance to a value says nothing.)
SHARE_KINDS = ("share_max", "top_share")
#: The two scales of error: ``tokens`` (|log ratio|) and ``shares`` (percentage points).
SCALES = ("tokens", "shares")
#: The name of the pooled row (every source's values together).
POOLED = "all sources"
#: Percentiles reported, and the decimals they are rounded to before display.
PERCENTILES = (50, 90)
DIGITS = 9
#: What the validation says when it cannot leave a source out.
NO_SOURCES = (
    "This snapshot was not reconstructed from sources (it has no sources/anchors.csv), so there "
    "is no source to leave out."
)
NO_IDS = (
    "The sources of this snapshot carry no ids (no source_id column in sources/anchors.csv), so "
    "no source can be left out."
)


def scale_of(anchor) -> str | None:
    """``tokens``, ``shares``, or None for an anchor that is no value to score (see the module
    docstring: no value, one-sided, a count, or a kind no weekly table measures)."""
    if anchor.kind in TOKEN_KINDS:
        scale = "tokens"
    elif anchor.kind in SHARE_KINDS and str(anchor.unit).startswith("percent"):
        scale = "shares"
    else:
        return None
    if math.isnan(anchor.value) or math.isnan(anchor.low) != math.isnan(anchor.high):
        return None
    if scale == "tokens" and anchor.value <= 0:
        return None  # a measured zero (no free row): no ratio to take
    return scale


def error(anchor, measured: list[float]) -> float:
    """The error of one value: |ln(snapshot / value)| for tokens, |snapshot - value| (pp) for
    shares. ``inf`` where a token value is measured at zero or not at all (lost)."""
    finite = [m for m in measured if not math.isnan(m)]
    if len(finite) < len(measured) or not finite:
        return math.inf
    level = sum(finite) / len(finite)
    if scale_of(anchor) == "shares":
        return abs(level - float(anchor.value))
    if level <= 0:
        return math.inf
    return abs(math.log(level / float(anchor.value)))


def errors(view: rc.WeeklyView, anchors: pd.DataFrame, attrs: pd.DataFrame) -> dict[str, float]:
    """The error of every scored anchor of ``anchors`` on a weekly table, by anchor id."""
    return {a.id: error(a, rc.measure(a, view, attrs)) for a in anchors.itertuples(index=False)}


def stats(values: Iterable[float]) -> dict[str, float | None]:
    """``median`` and ``p90`` of finite errors (numpy's linear percentiles), rounded to
    :data:`DIGITS` decimals; None for both when there are none."""
    finite = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if not len(finite):
        return {"median": None, "p90": None}
    q = np.percentile(finite, PERCENTILES)
    return {"median": round(float(q[0]), DIGITS), "p90": round(float(q[1]), DIGITS)}


def citation_pattern(ids: Iterable[str]) -> re.Pattern | None:
    """One compiled pattern matching any of the anchor ``ids`` as a whole word (``T10``, not
    ``T1``); None for no ids."""
    names = sorted(set(ids))
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


def without_source(
    inputs: pd.DataFrame, anchors: pd.DataFrame, source: str
) -> tuple[pd.DataFrame, list[str]]:
    """The inputs minus what carries ``source``'s information: its knot anchors and the assumed
    knots citing any of its anchor ids. Returns them and the keys left out."""
    mine = anchors[anchors[SOURCE_ID] == source]
    knots = set(mine.loc[mine["role"] == "knot", "id"])
    sourced = (inputs["kind"] == "sourced") & inputs["key"].isin(knots)
    # Only an assumed knot can cite a source; of a source's thousands of ids, only those its
    # text holds at all go into the one pattern (the same whole-word test, compiled small).
    texts = [
        f"{n} {r}" if kind == "assumed" else None
        for kind, n, r in zip(inputs["kind"], inputs["note"], inputs["range_note"], strict=True)
    ]
    assumed_text = " ".join(t for t in texts if t is not None)
    pattern = citation_pattern(i for i in mine["id"] if i in assumed_text)
    cites = [t is not None and pattern is not None and pattern.search(t) is not None for t in texts]
    assumed = pd.Series(cites, index=inputs.index, dtype=bool)
    drop = sourced | assumed
    return inputs[~drop].reset_index(drop=True), sorted(inputs.loc[drop, "key"])


def rebuild(
    inputs: pd.DataFrame,
    models: list[str],
    weeks: pd.DatetimeIndex,
    anchors: pd.DataFrame,
    listed: Iterable[str],
) -> tuple[rc.WeeklyView, list[str], int]:
    """The weekly table rebuilt from ``inputs`` at their central values, as the anchors are
    measured on it, bounded by ``anchors`` (caps and closed weeks, as the snapshot's own:
    :func:`tokenrace.reconstruct.representative.plan`); the snapshot's ``listed`` models left
    without any token point (no tokens: ``lost``); and how many weeks had their listed models
    scaled down to leave the long tail its minimum."""
    free = inputs["series"].str.endswith(FREE_SUFFIX)
    pointed = set(inputs.loc[~free & inputs["week"].isin(weeks), "series"])
    lost = sorted(set(listed) - pointed)
    plan = rc.plan(inputs, anchors, models, weeks)
    series, scaled = en.with_room_for_other(plan.rebuild(plan.central))
    wide = pd.DataFrame(series.listed[0].T, index=plan.weeks, columns=plan.models)
    wide[c.OTHER] = series.other[0]
    free_counts = pd.DataFrame(series.free[0].T, index=plan.weeks, columns=plan.models)
    free_counts[c.OTHER] = np.nan
    view = rc.WeeklyView(wide, wide.sum(axis=1), free_counts)
    return view, lost, scaled


def compute(snap: Snapshot) -> dict:
    """Fit and leave-one-source-out errors of ``snap``'s sources (plain JSON data).

    Keys: ``basis`` (``reconstructed``, or ``no sources`` for a snapshot without
    ``sources/anchors.csv``); ``has_ids`` (False when the anchors carry no ``source_id``: then
    nothing else is computed, and ``note`` says why, :data:`NO_SOURCES` or :data:`NO_IDS`);
    ``rows`` (one per source and scale with values, then the pooled rows: see :func:`table`);
    ``no_values`` (sources with only context, one-sided or count anchors); and ``left_out`` (per
    source rebuilt: the input keys left out, the models lost and the weeks scaled; or
    ``cannot_rebuild``, the reason, when the inputs left cannot make a snapshot at all, say a
    platform total without any point: then every value of the source is lost).

    It is measured on the snapshot as of the essay's week (:func:`tokenrace.snapshot.essay.
    as_of_essay`), the weeks the reconstruction and its claims stand on: every week after it is
    OpenRouter's own Data API rows, with nothing to reconstruct.
    """
    snap = as_of_essay(snap).snapshot
    folder = snap.path / SOURCES_DIR
    if not (folder / "anchors.csv").is_file():
        return _nothing("no sources", NO_SOURCES)
    anchors = read_anchors(folder)
    if not has_source_ids(anchors):
        return _nothing("reconstructed", NO_IDS)
    inputs = read_inputs(folder, measured_first=False)
    attrs = recut.model_attributes(snap)
    models = list(snap.models["model"])
    listed = sorted(set(snap.weekly["model"]) - {c.OTHER})
    used = rc.in_weeks(anchors, snap.weeks)  # knots and checks of the snapshot's weeks
    scales = {a.id: scale_of(a) for a in used.itertuples(index=False)}
    scored = used[used["id"].map(scales).notna()]
    fit = errors(rc.WeeklyView.of(snap.weekly), scored, attrs)
    loso: dict[str, float] = {}
    rows, left_out, no_values = [], {}, []
    for source in sorted(set(anchors[SOURCE_ID])):
        mine = scored[scored[SOURCE_ID] == source]
        skipped = int(((used[SOURCE_ID] == source) & used["id"].map(scales).isna()).sum())
        if mine.empty:
            no_values.append(source)
            continue
        kept, dropped = without_source(inputs, anchors, source)
        rebuilt = bool(dropped)
        if rebuilt:
            try:
                others = anchors[anchors[SOURCE_ID] != source]
                view, lost, scaled = rebuild(kept, models, snap.weeks, others, listed)
            except rc.ReconstructionError as err:  # e.g. the total left without any point
                loso |= dict.fromkeys(mine["id"], math.inf)
                left_out[source] = {"inputs": dropped, "cannot_rebuild": str(err)}
            else:
                loso |= errors(view, mine, attrs)
                left_out[source] = {"inputs": dropped, "models_lost": lost, "weeks_scaled": scaled}
        else:
            loso |= {i: fit[i] for i in mine["id"]}
        for scale in SCALES:
            ids = list(mine.loc[mine["id"].map(scales) == scale, "id"])
            if ids:
                rows.append(_row(source, scale, ids, fit, loso, skipped, rebuilt))
                skipped = 0  # counted once, on the source's first row
    for scale in SCALES:
        mine = [r for r in rows if r["scale"] == scale]
        if mine:
            ids = [i for r in mine for i in r["anchors"]]
            skipped = (
                int(used["id"].map(scales).isna().sum())
                if not any(r["source"] == POOLED for r in rows)
                else 0
            )
            rebuilt = any(r["rebuilt"] for r in mine)
            rows.append(_row(POOLED, scale, ids, fit, loso, skipped, rebuilt))
    return {
        "basis": "reconstructed",
        "has_ids": True,
        "rows": rows,
        "no_values": no_values,
        "left_out": left_out,
    }


def _nothing(basis: str, note: str) -> dict:
    return {"basis": basis, "has_ids": False, "note": note, "rows": [], "no_values": []}


def _row(source, scale, ids, fit, loso, skipped, rebuilt) -> dict:
    f, lo = stats(fit[i] for i in ids), stats(loso[i] for i in ids)
    return {
        "source": source,
        "scale": scale,
        "values": len(ids),
        "skipped": skipped,
        "fit_lost": sum(not math.isfinite(fit[i]) for i in ids),
        "lost": sum(not math.isfinite(loso[i]) for i in ids),
        "fit_median": f["median"],
        "fit_p90": f["p90"],
        "loso_median": lo["median"],
        "loso_p90": lo["p90"],
        "rebuilt": rebuilt,
        "pooled": source == POOLED,
        "anchors": ids,
    }


def table(found: dict) -> pd.DataFrame:
    """The result's rows as a tidy table: ``source``, ``scale`` (``tokens``: |ln ratio|;
    ``shares``: percentage points), ``values`` (scored), ``skipped`` (knot and check anchors
    that are no value to score), ``fit_lost`` and ``lost`` (values measured at zero or not at
    all, on the snapshot and with the source left out), ``fit_median``, ``fit_p90``,
    ``loso_median``, ``loso_p90`` and ``rebuilt`` (False: nothing to leave out, LOSO = fit).

    A source's skipped anchors are counted on its first row, and every skipped anchor on the
    first pooled row. The pooled rows pool the values of every source: its fit errors, and each
    value's error with its own source left out."""
    columns = [
        "source",
        "scale",
        "values",
        "skipped",
        "fit_lost",
        "lost",
        "fit_median",
        "fit_p90",
        "loso_median",
        "loso_p90",
        "rebuilt",
    ]
    return pd.DataFrame(found["rows"], columns=[*columns, "anchors"])[columns]


def pooled(found: dict, scale: str = "tokens") -> dict | None:
    """The pooled row of one scale, or None when the sources have no such value."""
    for row in found["rows"]:
        if row["pooled"] and row["scale"] == scale:
            return row
    return None


def cache_path(snap: Snapshot) -> Path:
    """The cache file of a snapshot's validation: keyed by its bytes (sources included) and the
    package code (:func:`tokenrace.snapshot.cache.cache_file`)."""
    return cache_file("validation", snap.fingerprint)


def load(snap: Snapshot) -> dict:
    """The validation of ``snap`` (:func:`compute`), from the cache when this snapshot and code
    computed it before (:func:`tokenrace.snapshot.cache.cached`)."""
    return cached(cache_path(snap), lambda: compute(snap))
