"""The reconstruction's inputs: sourced anchors and assumed knots, each with a plausible range.

A representative snapshot is rebuilt from three files in its ``sources/`` folder:

- ``anchors.csv``: sourced facts with a grade (A, B, C). Anchors with role ``knot`` are inputs;
  ``check`` anchors are tests of the result; ``context`` anchors are recorded, not used.
- ``knots.csv``: assumed weekly levels (billion tokens) where no source speaks, each with its
  ``reason``, a plausible ``low``/``high`` and the ``range_reason`` for that range.
- ``free_knots.csv``: assumed shares of a model's weekly tokens served on free variants
  (percent), with the same columns.

Every input has a range. An anchor's range is its own ``low``/``high`` where it gives both, and
otherwise the default of its grade (:data:`GRADE_HALF_WIDTH`), argued for in ``data/README.md``.
Units: ``billion tokens`` per Monday-start UTC week, or ``percent`` of a model's weekly tokens.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

#: Relative half-width of an anchor's range by grade, when the anchor gives no range of its own:
#: A (a data file read directly) ±5 %, B (reputable secondary reporting) ±15 %, C (a single or
#: low-quality source) ±30 %.
GRADE_HALF_WIDTH: dict[str, float] = {"A": 0.05, "B": 0.15, "C": 0.30}

#: Anchor kinds that are points of a weekly series (the platform total, a model, a free count).
SERIES_KINDS = ("total", "model", "free")
TOTAL = "all"
FREE_SUFFIX = ":free"
TOKENS_UNIT = "billion tokens"
PERCENT_UNIT = "percent"
#: The optional column of ``anchors.csv`` naming each anchor's source (``ranking_files``, ...).
SOURCE_ID = "source_id"


class SourcesError(ValueError):
    """The sources folder is incomplete or inconsistent."""


def read_anchors(sources: Path) -> pd.DataFrame:
    """``anchors.csv`` with ``week`` as Timestamp and ``value``/``low``/``high`` as floats.

    ``source_id`` (the source an anchor comes from, e.g. ``ranking_files``) is optional: a folder
    written before it existed reads with every id empty (:func:`has_source_ids` is then False).
    Where the column is present, every cell must be filled.
    """
    return read_anchor_file(sources / "anchors.csv", "anchors.csv")


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
    _typed(anchors, name, ("value", "low", "high"), optional=True)
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


def anchor_range(grade: str, value: float, low: float, high: float) -> tuple[float, float]:
    """An anchor's plausible range: its own ``low``/``high`` where given, else its grade's default.

    A missing side (NaN) takes the grade default, so a one-sided check anchor still has a range.
    """
    half = GRADE_HALF_WIDTH[grade]
    lo = value * (1 - half) if math.isnan(low) else low
    hi = value * (1 + half) if math.isnan(high) else high
    return float(lo), float(hi)


def knot_key(series: str, week: pd.Timestamp) -> str:
    """The name of an assumed knot: ``series@YYYY-MM-DD`` (e.g. ``all@2026-05-25``)."""
    return f"{series}@{week:%Y-%m-%d}"


def read_inputs(sources: Path) -> pd.DataFrame:
    """Every input of the reconstruction, one row each, with its central value and range.

    Columns: ``key`` (anchor id, or knot name from :func:`knot_key`), ``series`` (``all``, a model
    slug, or ``slug:free`` for a model's free tokens), ``week``, ``central``, ``low``, ``high``,
    ``unit`` (:data:`TOKENS_UNIT` or :data:`PERCENT_UNIT`), ``kind`` (``sourced`` or ``assumed``),
    ``grade`` (A, B or C for sourced inputs), ``note`` (source or reason) and ``range_note``.
    Raises :class:`SourcesError` for a duplicate point or a central value outside its range.
    """
    anchors = read_anchors(sources)
    used = anchors[(anchors["role"] == "knot") & anchors["kind"].isin(SERIES_KINDS)]
    rows = []
    for a in used.itertuples(index=False):
        low, high = anchor_range(a.grade, a.value, a.low, a.high)
        own = not (math.isnan(a.low) or math.isnan(a.high))
        rows.append(
            {
                "key": a.id,
                "series": _anchor_series(a.kind, a.subject),
                "week": a.week,
                "central": float(a.value),
                "low": low,
                "high": high,
                "unit": TOKENS_UNIT,
                "kind": "sourced",
                "grade": a.grade,
                "note": a.source,
                "range_note": "the anchor's own range"
                if own
                else f"grade {a.grade} default (±{GRADE_HALF_WIDTH[a.grade]:.0%})",
            }
        )
    for k in read_knots(sources).itertuples(index=False):
        rows.append(_knot_row(k.series, k.week, k.billion_tokens, k, TOKENS_UNIT))
    for k in read_knots(sources, "free_knots.csv").itertuples(index=False):
        rows.append(_knot_row(k.model + FREE_SUFFIX, k.week, k.free_pct, k, PERCENT_UNIT))
    inputs = pd.DataFrame(rows)
    _check(inputs)
    return inputs.sort_values(["series", "week"], kind="stable").reset_index(drop=True)


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
        pairs = ", ".join(sorted(set(clash["key"])))
        raise SourcesError(f"two inputs for the same series and week: {pairs}")
    outside = inputs[(inputs["central"] < inputs["low"]) | (inputs["central"] > inputs["high"])]
    if not outside.empty:
        raise SourcesError(f"central value outside its range: {', '.join(outside['key'])}")
    tokens = inputs["unit"] == TOKENS_UNIT
    if (inputs.loc[tokens, "low"] <= 0).any():
        bad = ", ".join(inputs.loc[tokens & (inputs["low"] <= 0), "key"])
        raise SourcesError(f"every token level and its range must be positive: {bad}")
    share = inputs.loc[~tokens, ["low", "high"]]
    if ((share < 0) | (share > 100)).any().any():
        raise SourcesError("every free share and its range must lie between 0 and 100 %")
