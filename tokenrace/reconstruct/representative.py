"""Rebuild the representative snapshot from its sources, and check it against them.

Inputs (``data/sources/``, read by :mod:`tokenrace.sources.inputs`): sourced anchors
(``anchors.csv``), assumed token levels (``knots.csv``) and assumed free shares
(``free_knots.csv``), each with a plausible range. The method is
:mod:`tokenrace.reconstruct.series`, applied to the inputs' central values: token series
interpolated log-linearly, free shares linearly, ``other`` = platform total minus the listed
models. Every series is rounded to whole millions of tokens
(:func:`tokenrace.reconstruct.series.quantize`) and ``other`` is computed from them in integers,
so the same inputs give byte-identical files on any CPU and BLAS. There is no randomness.

Outputs: ``weekly_tokens.csv`` (with ``free_tokens``, empty where unknown) and
``provenance.csv``, the class of every (week, series) value (sourced, interpolated or assumed;
see ``data/README.md``).

Units: knot and anchor values are in billions of tokens per week (``billion tokens``) unless the
anchor's ``unit`` says ``percent`` or ``models``; free knots are percent of a model's tokens.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tokenrace.reconstruct import bounds
from tokenrace.reconstruct.series import Design
from tokenrace.snapshot import contract as c
from tokenrace.snapshot.layout import PROVENANCE_FILE, SOURCES_DIR
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.inputs import (
    FREE_SUFFIX,
    TO_DATE,
    TOTAL,
    WEEK_DAYS,
    SourcesError,
    first_measured,
    read_anchors,
    read_inputs,
    read_knots,
)

#: The first week of the representative snapshot (a year before the essay's week).
FIRST_WEEK = pd.Timestamp("2025-05-26")
BILLION = 1_000_000_000
#: The long tail must keep at least this share of each week, or the knots are inconsistent.
MIN_OTHER_SHARE = 0.03
#: Relative tolerance within which a knot anchor must be reproduced (rounding only).
KNOT_TOLERANCE = 0.005


class ReconstructionError(ValueError):
    """The anchors and knots cannot produce a snapshot that meets the contract."""


def last_week(anchors: pd.DataFrame, knots: pd.DataFrame) -> pd.Timestamp:
    """The snapshot's last week: the latest week whose platform total is given for the whole
    week, by a knot anchor (``kind`` ``total``, no ``days``: the Data API's weekly sums, say) or
    an assumed knot of ``knots.csv``. A week the archives cover for only some days is not
    complete and is left out. On the committed sources, the last complete week measured."""
    whole = (anchors["role"] == "knot") & (anchors["kind"] == "total") & anchors["days"].isna()
    weeks = [*anchors.loc[whole, "week"], *knots.loc[knots["series"] == TOTAL, "week"]]
    if not weeks:
        raise ReconstructionError("no whole-week platform total among the knots: no last week")
    return pd.Timestamp(max(weeks))


def snapshot_weeks(sources: Path) -> pd.DatetimeIndex:
    """The Monday-start weeks of the representative snapshot of ``sources``: from
    :data:`FIRST_WEEK` to its last week (:func:`last_week`)."""
    try:
        anchors, knots = read_sources(sources)
    except SourcesError as err:
        raise ReconstructionError(str(err)) from None
    return _weeks(anchors, knots)


def _weeks(anchors: pd.DataFrame, knots: pd.DataFrame) -> pd.DatetimeIndex:
    """:func:`snapshot_weeks` of sources already read."""
    return pd.date_range(FIRST_WEEK, last_week(anchors, knots), freq="7D")


def read_sources(sources: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``anchors.csv`` and ``knots.csv`` from the sources folder."""
    return read_anchors(sources), read_knots(sources)


def design(sources: Path, models: list[str], weeks: pd.DatetimeIndex | None = None) -> Design:
    """The interpolation design of a sources folder (:class:`tokenrace.reconstruct.series.Design`).

    Raises :class:`ReconstructionError` when the sources are inconsistent.
    """
    try:
        inputs, anchors = read_inputs(sources, measured_first=False), read_anchors(sources)
        if weeks is None:
            weeks = _weeks(anchors, read_knots(sources))
    except SourcesError as err:
        raise ReconstructionError(str(err)) from None
    return plan(inputs, anchors, models, weeks)


def plan(
    inputs: pd.DataFrame, anchors: pd.DataFrame, models: list[str], weeks: pd.DatetimeIndex
) -> Design:
    """The design of ``inputs`` (all of them, as :func:`tokenrace.sources.inputs.read_inputs`
    reads them without ``measured_first``) over ``weeks``, bounded by ``anchors``
    (:mod:`tokenrace.reconstruct.bounds`):

    - the inputs of other weeks are left out (a snapshot is any run of weeks);
    - measured first: an assumed knot is left out where a sourced input gives its series and
      week (:func:`tokenrace.sources.inputs.first_measured`), and an assumed model knot in a
      closed week (the tail is measured there: the model has no listed tokens);
    - the listed models are those of ``models`` with a token point in the weeks: a model
      nothing measures there has no listed tokens (it is part of the long tail).

    Raises :class:`ReconstructionError` when the inputs left are inconsistent.
    """
    try:
        base = inputs["series"].str.removesuffix(FREE_SUFFIX)
        unknown = sorted(set(base) - set(models) - {TOTAL})
        if unknown:
            raise ReconstructionError(f"points for models with no row in models.csv: {unknown}")
        inputs = first_measured(inputs[inputs["week"].isin(weeks)])
        closed = set(weeks[bounds.closed_weeks(anchors, weeks)])
        shut = (inputs["kind"] == "assumed") & (inputs["series"] != TOTAL)
        inputs = inputs[~(shut & inputs["week"].isin(closed))]
        free = inputs["series"].str.endswith(FREE_SUFFIX)
        listed = sorted(set(inputs.loc[~free, "series"]) - {TOTAL})
        base = inputs["series"].str.removesuffix(FREE_SUFFIX)
        inputs = inputs[base.isin([TOTAL, *listed])].reset_index(drop=True)
        limits = bounds.from_anchors(anchors, listed, weeks)
        return Design(
            inputs, listed, weeks, limits.caps, limits.closed, limits.cap_ids, limits.shares
        )
    except (SourcesError, ValueError) as err:
        raise ReconstructionError(str(err)) from None


def reconstruct(sources: Path, models: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly table of the contract and the provenance table, from a sources folder.

    The weekly table has ``week, model, tokens, free_tokens`` (free tokens NaN where unknown).
    """
    plan = design(sources, list(models["model"]))
    series = plan.rebuild(plan.central)
    listed = series.listed[0].astype("int64")  # whole millions of tokens: exact as int64
    total = series.total[0].astype("int64")
    other = total - listed.sum(axis=0)
    thin = other < MIN_OTHER_SHARE * total
    if thin.any():
        weeks_text = ", ".join(f"{w:%Y-%m-%d}" for w in plan.weeks[thin])
        raise ReconstructionError(
            f"the listed models leave less than {MIN_OTHER_SHARE:.0%} of the platform total for "
            f"'other' in week(s) {weeks_text}: lower those models' knots or raise the total"
        )
    free = series.free[0]
    frames = []
    for i, model in enumerate(plan.models):
        frames.append(
            pd.DataFrame(
                {"week": plan.weeks, "model": model, "tokens": listed[i], "free_tokens": free[i]}
            )
        )
    frames.append(
        pd.DataFrame({"week": plan.weeks, "model": c.OTHER, "tokens": other, "free_tokens": np.nan})
    )
    long = pd.concat(frames, ignore_index=True)
    long = long[(long["tokens"] > 0) | (long["model"] == c.OTHER)]
    weekly = long.sort_values(["week", "model"]).reset_index(drop=True)
    return weekly, plan.provenance()


def to_csv_text(weekly: pd.DataFrame) -> str:
    """The contract's CSV text for a weekly table (LF line ends, ISO dates, whole numbers).

    ``free_tokens`` is written when the table has it, empty where unknown.
    """
    out = weekly.assign(week=weekly["week"].dt.strftime("%Y-%m-%d"))
    if c.FREE_COLUMN in out:
        out[c.FREE_COLUMN] = [
            "" if math.isnan(v) else str(int(v)) for v in out[c.FREE_COLUMN].astype(float)
        ]
    return out.to_csv(index=False, lineterminator="\n")


def provenance_csv_text(provenance: pd.DataFrame) -> str:
    """The CSV text of ``provenance.csv`` (LF line ends, ISO dates)."""
    out = provenance.assign(week=provenance["week"].dt.strftime("%Y-%m-%d"))
    return out.to_csv(index=False, lineterminator="\n")


def write_snapshot(
    sources: Path | None = None,
    out: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> list[Path]:
    """Reconstruct ``weekly_tokens.csv`` and ``provenance.csv`` into ``out`` (default ``data/``).

    When ``out`` is another folder, the curated ``models.csv``, ``authors.csv`` and
    ``datapackage.json`` of ``data/`` and the sources are copied beside them, so the folder is a
    whole snapshot whose evidence can be drawn. Returns the paths written.
    """
    sources = Path(sources) if sources else DEFAULT_DATA_DIR / SOURCES_DIR
    out = Path(out) if out else DEFAULT_DATA_DIR
    log(f"reading anchors and knots from {sources}")
    models = pd.read_csv(DEFAULT_DATA_DIR / c.MODELS_FILE, dtype=str, keep_default_na=False)
    weeks = snapshot_weeks(sources)
    log(
        f"interpolating {models.shape[0]} models and the platform total over {len(weeks)} weeks "
        f"({weeks[0]:%Y-%m-%d} to {weeks[-1]:%Y-%m-%d}, the last complete week measured)"
    )
    weekly, provenance = reconstruct(sources, models)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        (c.WEEKLY_FILE, to_csv_text(weekly)),
        (PROVENANCE_FILE, provenance_csv_text(provenance)),
    ):
        (out / name).write_text(text, encoding="utf-8", newline="")
        written.append(out / name)
    if out.resolve() != DEFAULT_DATA_DIR.resolve():
        for name in (c.MODELS_FILE, c.AUTHORS_FILE, c.DESCRIPTOR_FILE):
            shutil.copyfile(DEFAULT_DATA_DIR / name, out / name)
            written.append(out / name)
    if (out / SOURCES_DIR).resolve() != sources.resolve():
        shutil.copytree(sources, out / SOURCES_DIR, dirs_exist_ok=True)
        written.append(out / SOURCES_DIR)
    return written


#: Shares of all tokens whose snapshot value is a floor: the snapshot gives a group only its
#: listed models, while ``other`` and the stealth models (unattributed) may hold more of it. Their
#: checks pass by :func:`country_within`.
FLOOR_KINDS = ("country_share", "author_share", "share")


def check_anchors(weekly: pd.DataFrame, anchors: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    """Measure every knot and check anchor on a weekly table.

    ``attrs`` holds each model's ``country``, ``open_weights`` and origin ``group``, indexed by
    slug (:func:`tokenrace.analysis.recut.model_attributes`). Returns one row per anchor with
    ``measured``, ``expected`` (text) and ``ok``, for the anchors of the table's weeks
    (:func:`in_weeks`).
    """
    view = WeeklyView.of(weekly)
    rows = []
    for anchor in in_weeks(anchors, view.wide.index).itertuples(index=False):
        measured = measure(anchor, view, attrs)
        if anchor.kind in FLOOR_KINDS:
            weeks = pd.date_range(anchor.week, periods=int(anchor.weeks), freq="7D")
            if len(measured) == len(weeks):
                spare = [unattributed_share(view, attrs, w) for w in weeks]
            else:  # one share over the weeks
                spare = [unattributed_share(view, attrs, *weeks)]
            ok = all(
                country_within(m, u, anchor.low, anchor.high)
                for m, u in zip(measured, spare, strict=True)
            )
        else:
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


def in_weeks(anchors: pd.DataFrame, weeks) -> pd.DataFrame:
    """The knot and check anchors that speak of a week among ``weeks``: a measured source may
    run past a snapshot's window (the Data API archives run to August 2026), and a snapshot may
    be any run of weeks. Context anchors are recorded, never measured."""
    first = anchors["week"]
    last = first + pd.to_timedelta(7 * (anchors["weeks"] - 1), unit="D")
    overlaps = (last >= min(weeks)) & (first <= max(weeks)) if len(weeks) else False
    return anchors[(anchors["role"] != "context") & overlaps]


@dataclass(frozen=True)
class WeeklyView:
    """A weekly table as the anchors are measured on it: tokens by week and model (``wide``),
    the platform total by week (``total``) and free tokens by week and model (``free``, None
    when the table has no free counts). Tokens, not billions."""

    wide: pd.DataFrame
    total: pd.Series
    free: pd.DataFrame | None

    @classmethod
    def of(cls, weekly: pd.DataFrame) -> WeeklyView:
        """The view of a weekly table of the contract (``week, model, tokens[, free_tokens]``)."""
        wide = weekly.pivot_table(index="week", columns="model", values="tokens", aggfunc="sum")
        wide = wide.fillna(0)
        free = None
        if c.FREE_COLUMN in weekly:
            free = weekly.pivot_table(index="week", columns="model", values=c.FREE_COLUMN)
            free = free.reindex(index=wide.index, columns=wide.columns)
        return cls(wide, wide.sum(axis=1), free)


def measure(anchor, view: WeeklyView, attrs: pd.DataFrame) -> list[float]:
    """An anchor's values measured on a weekly table, in the anchor's unit (billion tokens,
    percent, or models): one per week it spans, or a single value for a share over its weeks,
    the largest weekly share (``share_max``) or a top-10 count over its weeks. NaN for a week the
    table does not have, or a free count it does not know.

    The kinds of the rankings-page readings (:mod:`tokenrace.sources.measured.readings`), each
    per week in percent of all tokens that week (``other`` included in the total) unless said:

    - ``author_share``: the author's listed models (``other`` is unattributed);
    - ``top_share`` (``topN_models``): the week's N most-used listed models (``other`` is never
      a model);
    - ``author_share_max`` (``unlisted:a+b+…``): the listed models of the authors not named
      (``other`` is unattributed: it may be the named authors');
    - ``country_share`` (a country code): the listed models whose author is of that country;
      the check treats it, like ``author_share`` and ``share``, as a floor
      (:func:`country_within`, :data:`FLOOR_KINDS`);
    - ``total_to_date`` (billion tokens): the week's total × ``days`` / 7, an even spread over
      the week; ``days`` (the window in days) is a column of the importer's output.

    The kinds of the Data API (:mod:`tokenrace.sources.measured.data_api`) and the listings:

    - ``other`` (billion tokens): the long tail, ``other``;
    - ``model_to_date``, ``free_to_date``, ``other_to_date``: as ``model``, ``free`` and
      ``other``, × ``days`` / 7;
    - ``unlisted_max`` (``unlisted:a+b+…``, billion tokens): the most any listed model not named
      carries that week (0 when there is none), × ``days`` / 7 where the anchor has ``days``.
    """
    wide, total, free = view.wide, view.total, view.free
    weeks = pd.date_range(anchor.week, periods=int(anchor.weeks), freq="7D")
    if anchor.kind == "share_max":
        return [max(_measure(anchor, wide, total, attrs, w, weeks, free) for w in weeks)]
    if anchor.kind in {"share", "top10_count"} and len(weeks) > 1:
        return [_measure(anchor, wide, total, attrs, weeks[0], weeks, free)]
    return [_measure(anchor, wide, total, attrs, week, weeks, free) for week in weeks]


def _measure(anchor, wide, total, attrs, week, weeks, free) -> float:
    unit = BILLION
    if week not in wide.index:
        return math.nan
    if anchor.kind in _WEEK_SCALED:
        whole = anchor._replace(kind=anchor.kind.removesuffix(TO_DATE))
        return _measure(whole, wide, total, attrs, week, weeks, free) * _share_of_week(anchor)
    if anchor.kind == "other":
        return wide.at[week, c.OTHER] / unit if c.OTHER in wide else 0.0
    if anchor.kind == "unlisted_max":
        named = _named(anchor)
        rest = [m for m in wide.columns if m != c.OTHER and m not in named]
        most = float(wide.loc[week, rest].max()) if rest else 0.0
        return most / unit * _share_of_week(anchor)
    if anchor.kind == "total":
        return total[week] / unit
    if anchor.kind == "model":
        return wide.at[week, anchor.subject] / unit if anchor.subject in wide else 0.0
    if anchor.kind == "free":
        if free is None or anchor.subject not in free:
            return math.nan
        return float(free.at[week, anchor.subject]) / unit
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
    if anchor.kind in READING_KINDS:
        return _measure_reading(anchor, wide, total, attrs, week)
    raise ReconstructionError(f"anchor {anchor.id}: unknown kind {anchor.kind!r}")


#: Week-to-date kinds measured as their whole-week kind × ``days`` / 7.
_WEEK_SCALED = tuple(k + TO_DATE for k in ("model", "free", "other"))


def _share_of_week(anchor) -> float:
    """``days`` / 7 for an anchor with a window in days, else 1."""
    days = float(getattr(anchor, "days", math.nan))
    return 1.0 if math.isnan(days) else days / WEEK_DAYS


#: The kinds of the rankings-page readings, measured by :func:`_measure_reading`.
READING_KINDS = ("total_to_date", "top_share", "author_share", "author_share_max", "country_share")
_TOP = re.compile(r"top(\d+)_models")


def _measure_reading(anchor, wide: pd.DataFrame, total: pd.Series, attrs, week) -> float:
    listed = wide.loc[week].drop(c.OTHER, errors="ignore")
    authors = pd.Series([m.split("/")[0] for m in listed.index], index=listed.index)
    whole = float(total[week])
    if anchor.kind == "total_to_date":
        days = float(getattr(anchor, "days", math.nan) or math.nan)
        if math.isnan(days):
            raise ReconstructionError(
                f"anchor {anchor.id}: total_to_date needs its window in days (column 'days')"
            )
        return whole * days / 7 / BILLION
    if anchor.kind == "top_share":
        top = _TOP.fullmatch(str(anchor.subject))
        if top is None:
            raise ReconstructionError(
                f"anchor {anchor.id}: top_share subject {anchor.subject!r} is not topN_models"
            )
        return 100 * float(listed.nlargest(int(top.group(1))).sum()) / whole
    if anchor.kind == "author_share":
        return 100 * float(listed[authors == anchor.subject].sum()) / whole
    if anchor.kind == "author_share_max":
        named = _named(anchor)
        return 100 * float(listed[~authors.isin(named)].sum()) / whole
    country = attrs["country"].reindex(listed.index).fillna("")
    return 100 * float(listed[country == anchor.subject].sum()) / whole


def _named(anchor) -> set[str]:
    """The names an ``unlisted:…`` subject lists (:func:`tokenrace.reconstruct.bounds.listed_by`),
    a bad subject raising :class:`ReconstructionError`, as every measuring error does."""
    try:
        return bounds.listed_by(anchor)
    except SourcesError as err:
        raise ReconstructionError(str(err)) from None


def unattributed_share(view: WeeklyView, attrs: pd.DataFrame, *weeks) -> float:
    """The percent of all tokens of the ``weeks`` (one or more, together) no country can be
    given in the weekly table: ``other`` plus the listed models without a country (stealth
    models). NaN when the table lacks one of the weeks."""
    if any(w not in view.wide.index for w in weeks):
        return math.nan
    rows = view.wide.loc[list(weeks)].sum()
    country = attrs["country"].reindex(rows.index).fillna("")
    return 100 * float(rows[country == ""].sum()) / float(view.total[list(weeks)].sum())


def country_within(listed: float, unattributed: float, low: float, high: float) -> bool:
    """The country-bounds rule. A weekly table's share of a country (percent of all tokens) is
    only its listed models' share (``listed``): ``other`` and the stealth models
    (``unattributed``) may hold more of it. So the table passes when its listed share is at most
    ``high`` and its listed share plus everything unattributed reaches ``low``. False for NaN."""
    if math.isnan(listed) or math.isnan(unattributed):
        return False
    return listed <= high and listed + unattributed >= low


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
