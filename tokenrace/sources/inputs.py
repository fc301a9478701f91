"""The reconstruction's inputs: sourced anchors and assumed knots, each with a plausible range.

A representative snapshot is rebuilt from the files of its ``sources/`` folder:

- ``anchors.csv`` (typed from press figures) and ``measured.csv`` (imported from the raw
  measurement files by ``python -m tokenrace sources import``, when present): sourced facts with
  a grade (A, B, C), read as one table (:func:`read_anchors`). Anchors with role ``knot`` are
  inputs; ``check`` anchors are tests of the result; ``context`` anchors are recorded, not used.
  A week-to-date knot (kind ``total_to_date``, ``model_to_date``, ``free_to_date``, with its
  window in ``days``) is scaled to the week, × 7 / ``days`` (an even spread over the week).
- ``knots.csv``: assumed weekly levels (billion tokens) where no source speaks, each with its
  ``reason``, a plausible ``low``/``high`` and the ``range_reason`` for that range.
- ``free_knots.csv``: assumed shares of a model's weekly tokens served on free variants
  (percent), with the same columns.

Every input has a range. An anchor's range is its own ``low``/``high`` where it gives both;
otherwise, for a measured source that overlaps others, its measured disagreement with them
(:mod:`tokenrace.sources.agreement`), and else the default of its grade
(:data:`GRADE_HALF_WIDTH`), argued for in ``data/README.md``.

**Measured first.** Where a sourced anchor gives a series' point in a week, an assumed knot for
the same series and week is not an input (the knot stays in its file as the fallback for a
reconstruction without that source, such as leaving it out on the Data page).
Units: ``billion tokens`` per Monday-start UTC week, or ``percent`` of a model's weekly tokens.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pandas as pd

from tokenrace.snapshot.layout import MEASURED_FILE
from tokenrace.sources import agreement

#: Relative half-width of an anchor's range by grade, when the anchor gives no range of its own:
#: A (a data file read directly) ±5 %, B (reputable secondary reporting) ±15 %, C (a single or
#: low-quality source) ±30 %.
GRADE_HALF_WIDTH: dict[str, float] = {"A": 0.05, "B": 0.15, "C": 0.30}

#: Anchor kinds that are points of a weekly series (the platform total, a model, a free count).
SERIES_KINDS = ("total", "model", "free")
#: The suffix of a week-to-date kind (``model_to_date``): a count over ``days`` of the week.
TO_DATE = "_to_date"
WEEK_DAYS = 7
TOTAL = "all"
FREE_SUFFIX = ":free"
TOKENS_UNIT = "billion tokens"
PERCENT_UNIT = "percent"
#: The optional column of ``anchors.csv`` naming each anchor's source (``ranking_files``, ...).
SOURCE_ID = "source_id"


class SourcesError(ValueError):
    """The sources folder is incomplete or inconsistent."""


def read_anchors(sources: Path) -> pd.DataFrame:
    """``anchors.csv`` and, where present, ``measured.csv`` as one table, with ``week`` as
    Timestamp and ``value``/``low``/``high``/``days`` as floats (``days`` NaN where empty or
    absent). An id given in both files raises :class:`SourcesError`.

    ``source_id`` (the source an anchor comes from, e.g. ``ranking_files``) is optional: a folder
    written before it existed reads with every id empty (:func:`has_source_ids` is then False).
    Where the column is present, every cell must be filled.
    """
    return _anchor_files(sources)[0]


def read_anchors_and_ranges(sources: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """:func:`read_anchors`, and the relative half-width of each measured source that overlaps
    others enough (:func:`tokenrace.sources.agreement.half_widths` of ``measured.csv``; empty
    without that file), each file read once."""
    anchors, measured = _anchor_files(sources)
    return anchors, {} if measured is None else agreement.half_widths(measured)


def _anchor_files(sources: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The anchors of both files as one table, and ``measured.csv``'s alone (None without it)."""
    frames = [read_anchor_file(sources / "anchors.csv", "anchors.csv")]
    measured = None
    if (sources / MEASURED_FILE).is_file():
        measured = read_anchor_file(sources / MEASURED_FILE, MEASURED_FILE)
        frames.append(measured)
    anchors = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    twice = anchors["id"][anchors["id"].duplicated()]
    if not twice.empty:
        raise SourcesError(
            f"anchors.csv and {MEASURED_FILE}: the id {twice.iloc[0]} is given twice"
        )
    return anchors, measured


def read_anchor_file(path: Path, name: str | None = None) -> pd.DataFrame:
    """An anchors file in the columns of ``anchors.csv`` (such as the importer's output), read as
    :func:`read_anchors` reads it; ``name`` names it in messages (default: its path). A missing
    file, a missing column or a bad cell raises :class:`SourcesError`."""
    name = name or str(path)
    if not path.is_file():
        raise SourcesError(f"{name}: not found")
    try:
        anchors = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise SourcesError(f"{name}: not a readable CSV file ({err})") from None
    for column in ("id", "kind", "subject", "role"):
        if column not in anchors.columns:
            raise SourcesError(f"{name}: column '{column}' is missing from the header")
    if "days" not in anchors.columns:
        anchors["days"] = ""
    _typed(anchors, name, ("value", "low", "high", "days"), optional=True)
    _typed(anchors, name, ("weeks",))
    anchors["weeks"] = anchors["weeks"].astype(int)
    if SOURCE_ID in anchors:
        _filled(anchors, name, SOURCE_ID)
    else:
        anchors[SOURCE_ID] = ""
    return anchors


def cell_error(name: str, index: int, column: str, problem: str) -> SourcesError:
    """The error for one bad cell of a CSV file read into a frame: it names the file, the row
    (line number in the file, the header being line 1, so frame index + 2) and the column."""
    return SourcesError(f"{name}, row {index + 2}, column '{column}': {problem}")


def has_source_ids(anchors: pd.DataFrame) -> bool:
    """True when the anchors name their sources (a ``source_id`` column, every cell filled)."""
    return SOURCE_ID in anchors and bool(len(anchors)) and bool((anchors[SOURCE_ID] != "").all())


def _filled(frame: pd.DataFrame, name: str, column: str) -> None:
    """Raise :class:`SourcesError` naming the file, row (header = 1) and column of the first
    empty cell of ``column``."""
    blank = frame[column].str.strip() == ""
    if blank.any():
        raise cell_error(name, int(blank.to_numpy().argmax()), column, "is empty: name the source")


def _typed(frame: pd.DataFrame, name: str, numbers: tuple[str, ...], optional: bool = False):
    """Parse ``week`` and the ``numbers`` columns in place; a bad cell raises
    :class:`SourcesError` naming the file, row (line number, header = 1) and column."""
    for column in ("week", *numbers):
        if column not in frame.columns:
            raise SourcesError(f"{name}: column '{column}' is missing from the header")
        text = frame[column]
        if column == "week":
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        else:
            parsed = pd.to_numeric(text.replace("", None) if optional else text, errors="coerce")
        bad = parsed.isna() & ~((text == "") & optional)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            what = "an ISO date" if column == "week" else "a number"
            raise cell_error(name, i, column, f"{text.iloc[i]!r} is not {what}")
        frame[column] = parsed if column == "week" else parsed.astype(float)


def read_knots(sources: Path, name: str = "knots.csv") -> pd.DataFrame:
    """``knots.csv`` (or ``free_knots.csv``) with ``week`` as Timestamp and numbers as floats."""
    path = sources / name
    if not path.is_file():
        if name == "free_knots.csv":
            columns = ["model", "week", "free_pct", "low", "high", "reason", "range_reason"]
            return pd.DataFrame(columns=columns).astype({"week": "datetime64[ns]"})
        raise SourcesError(f"{path} not found")
    knots = pd.read_csv(path, dtype=str, keep_default_na=False)
    value = "free_pct" if name == "free_knots.csv" else "billion_tokens"
    _typed(knots, name, (value, "low", "high"))
    for column in ("reason", "range_reason"):
        blank = knots[column].str.strip() == "" if column in knots else pd.Series([True])
        if blank.any():
            row = int(blank.to_numpy().argmax()) + 2 if column in knots else 1
            raise SourcesError(f"{name}, row {row}, column '{column}': is empty: say why")
    return knots


def anchor_range(
    grade: str, value: float, low: float, high: float, half: float | None = None
) -> tuple[float, float]:
    """An anchor's plausible range: its own ``low``/``high`` where given, else ``half`` (a
    relative half-width, such as its source's measured disagreement) or its grade's default.

    A missing side (NaN) takes the half-width, so a one-sided check anchor still has a range.
    """
    half = GRADE_HALF_WIDTH[grade] if half is None else half
    lo = value * (1 - half) if math.isnan(low) else low
    hi = value * (1 + half) if math.isnan(high) else high
    return float(lo), float(hi)


def knot_key(series: str, week: pd.Timestamp) -> str:
    """The name of an assumed knot: ``series@YYYY-MM-DD`` (e.g. ``all@2026-05-25``)."""
    return f"{series}@{week:%Y-%m-%d}"


def read_inputs(sources: Path, measured_first: bool = True) -> pd.DataFrame:
    """Every input of the reconstruction, one row each, with its central value and range.

    Columns: ``key`` (anchor id, or knot name from :func:`knot_key`), ``series`` (``all``, a model
    slug, or ``slug:free`` for a model's free tokens), ``week``, ``central``, ``low``, ``high``,
    ``unit`` (:data:`TOKENS_UNIT` or :data:`PERCENT_UNIT`), ``kind`` (``sourced`` or ``assumed``),
    ``grade`` (A, B or C for sourced inputs), ``note`` (source or reason) and ``range_note``.
    With ``measured_first`` (the default), an assumed knot whose series and week a sourced
    input gives is left out (:func:`first_measured`); without it, every input is returned (a
    reconstruction that leaves a source out gets the knot back).
    Raises :class:`SourcesError` for a duplicate point or a central value outside its range.
    """
    anchors, measured = read_anchors_and_ranges(sources)
    base = anchors["kind"].str.removesuffix(TO_DATE)
    used = anchors[(anchors["role"] == "knot") & base.isin(SERIES_KINDS)]
    rows = []
    for a in used.itertuples(index=False):
        half = measured.get(a.source_id)
        low, high = anchor_range(a.grade, a.value, a.low, a.high, half)
        own = not (math.isnan(a.low) or math.isnan(a.high))
        scaled = _to_week(a)
        rows.append(
            {
                "key": a.id,
                "series": _anchor_series(a.kind.removesuffix(TO_DATE), a.subject),
                "week": a.week,
                "central": _scaled(a.value, a.days) if scaled else float(a.value),
                "low": _scaled(low, a.days) if scaled else low,
                "high": _scaled(high, a.days) if scaled else high,
                "unit": TOKENS_UNIT,
                "kind": "sourced",
                "grade": a.grade,
                "note": a.source + scaled,
                "range_note": _range_note(a, own, half) + scaled,
            }
        )
    for k in read_knots(sources).itertuples(index=False):
        rows.append(_knot_row(k.series, k.week, k.billion_tokens, k, TOKENS_UNIT))
    for k in read_knots(sources, "free_knots.csv").itertuples(index=False):
        rows.append(_knot_row(k.model + FREE_SUFFIX, k.week, k.free_pct, k, PERCENT_UNIT))
    inputs = pd.DataFrame(rows)
    filtered = first_measured(inputs)
    _check(filtered)
    inputs = filtered if measured_first else inputs
    return inputs.sort_values(["series", "week"], kind="stable").reset_index(drop=True)


def _range_note(anchor, own: bool, half: float | None) -> str:
    if own:
        return "the anchor's own range"
    if half is not None:
        return f"{anchor.source_id}'s measured disagreement with the other sources (±{half:.0%})"
    return f"grade {anchor.grade} default (±{GRADE_HALF_WIDTH[anchor.grade]:.0%})"


def first_measured(inputs: pd.DataFrame) -> pd.DataFrame:
    """The inputs without every assumed knot whose series and week a sourced input gives."""
    sourced = inputs[inputs["kind"] == "sourced"]
    given = set(zip(sourced["series"], sourced["week"], strict=True))
    covered = [
        k == "assumed" and (s, w) in given
        for k, s, w in zip(inputs["kind"], inputs["series"], inputs["week"], strict=True)
    ]
    return inputs[~pd.Series(covered, index=inputs.index, dtype=bool)]


def _scaled(value: float, days: float) -> float:
    """A week-to-date value (billion tokens) scaled to its week, × 7 / ``days``, rounded to whole
    millions of tokens in exact arithmetic (half to even), so no float decides its last digit:
    both numbers are read from decimal text, which their shortest float repr gives back. The
    same rounding for a value and its bounds keeps a value that equals a bound equal to it."""
    exact = Fraction(repr(value)) * WEEK_DAYS / Fraction(repr(days))
    return float(Fraction(round(exact * 1000), 1000))


def _to_week(anchor) -> str:
    """The words that say a week-to-date anchor is scaled to its week (× 7 / ``days``); empty
    for a whole-week anchor (raises :class:`SourcesError` for a to-date anchor without days)."""
    if not anchor.kind.endswith(TO_DATE):
        return ""
    days = float(anchor.days)
    if math.isnan(days) or not 0 < days <= WEEK_DAYS:
        raise SourcesError(
            f"anchor {anchor.id}: a week-to-date knot needs its window in days (column 'days', "
            f"more than 0 and at most 7), not {anchor.days!r}"
        )
    return f" (week to date, {days:g} days, scaled to the week × 7/{days:g})"


def _anchor_series(kind: str, subject: str) -> str:
    if kind == "total":
        return TOTAL
    return subject + FREE_SUFFIX if kind == "free" else subject


def _knot_row(series: str, week: pd.Timestamp, value: float, k, unit: str) -> dict:
    return {
        "key": knot_key(series, week),
        "series": series,
        "week": week,
        "central": float(value),
        "low": float(k.low),
        "high": float(k.high),
        "unit": unit,
        "kind": "assumed",
        "grade": "",
        "note": k.reason,
        "range_note": k.range_reason,
    }


def _check(inputs: pd.DataFrame) -> None:
    clash = inputs[inputs.duplicated(["series", "week"], keep=False)]
    if not clash.empty:
        raise SourcesError(f"two inputs for the same series and week: {_some(clash['key'])}")
    outside = inputs[(inputs["central"] < inputs["low"]) | (inputs["central"] > inputs["high"])]
    if not outside.empty:
        raise SourcesError(f"central value outside its range: {_some(outside['key'])}")
    tokens = inputs["unit"] == TOKENS_UNIT
    counts = tokens & inputs["series"].str.endswith(FREE_SUFFIX)
    levels = tokens & ~counts
    if (inputs.loc[levels, "low"] <= 0).any():
        bad = _some(inputs.loc[levels & (inputs["low"] <= 0), "key"])
        raise SourcesError(f"every token level and its range must be positive: {bad}")
    if (inputs.loc[counts, "low"] < 0).any():
        bad = _some(inputs.loc[counts & (inputs["low"] < 0), "key"])
        raise SourcesError(f"a free count and its range must not be negative: {bad}")
    share = inputs.loc[~tokens, ["low", "high"]]
    if ((share < 0) | (share > 100)).any().any():
        raise SourcesError("every free share and its range must lie between 0 and 100 %")


def _some(keys: pd.Series, shown: int = 5) -> str:
    """Up to ``shown`` keys, sorted, and how many more."""
    names = sorted(set(keys))
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
