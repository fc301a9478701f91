"""The contract of what a reconstructed snapshot adds: ``provenance.csv`` and ``sources/``.

A reconstructed snapshot (``python -m tokenrace reconstruct``) holds, beside the four files of
:mod:`tokenrace.snapshot.contract`, the class of every value (``provenance.csv``) and the inputs it
was rebuilt from (``sources/anchors.csv``, ``knots.csv`` and ``free_knots.csv``; data/README.md).
These are their pandera schemas, built from the contract's checks: every file read as text, every
bad cell reported by file, row and column. Units: ``billion tokens`` per Monday-start UTC week,
or ``percent`` of a model's weekly tokens.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from tokenrace.snapshot.contract import (
    MODEL_RE,
    MODELS_FILE,
    check,
    empty_or_decimal,
    is_iso_date,
    is_monday_or_unparsable,
    non_empty,
    numbers,
    text_column,
    unique_pairs,
    whole_count,
)

if TYPE_CHECKING:  # pandera is imported where a schema is built: loading a checked
    import pandera.pandas as pa  # snapshot, or reading the contract's names, does without it


def _number_between(low: float, high: float, *, empty: bool = False, above: bool = False):
    """A check: a number from ``low`` to ``high`` (above ``low`` with ``above``), or empty."""

    def between(text: pd.Series) -> pd.Series:
        values = numbers(text)
        fits = (values > low if above else values >= low) & (values <= high)
        return fits | ((text == "") & empty)

    return between


def _within_own_range(frame: pd.DataFrame):
    """A check of a value column: at least the row's ``low`` and at most its ``high``, where the
    row gives them (the range a source or an assumption puts around its figure)."""

    def within(text: pd.Series) -> pd.Series:
        values = numbers(text)
        fits = pd.Series(True, index=text.index)
        for column, outside in (("low", values.lt), ("high", values.gt)):
            if column in frame.columns:
                fits &= ~outside(numbers(frame[column].reindex(text.index)))
        return fits

    return within


def _weeks(text: pd.Series) -> pd.Series:
    """True where a cell is a whole number of weeks, 1 or more."""
    counts = [whole_count(cell) for cell in text]
    return pd.Series([n is not None and n >= 1 for n in counts], index=text.index, dtype=bool)


def _week(*more: pa.Check) -> pa.Column:
    """A required column of weeks: ISO dates of Mondays (and ``more`` checks)."""
    return text_column(
        check(is_iso_date, "is not an ISO date (YYYY-MM-DD)"),
        check(is_monday_or_unparsable, "is not a Monday (weeks start on Monday, UTC)"),
        *more,
    )


def _one_of(values: tuple[str, ...]) -> pa.Column:
    return text_column(check(lambda s: s.isin(values), f"is not one of {', '.join(values)}"))


#: Columns of the optional ``provenance.csv`` of a reconstructed snapshot.
PROVENANCE_COLUMNS = ["week", "series", "class", "point", "grade", "before", "after", "note"]
PROVENANCE_CLASSES = ("sourced", "interpolated", "assumed")
FREE_SERIES_SUFFIX = ":free"
#: Grades of a sourced value: A (a data file read directly), B, C (data/README.md).
GRADES = ("A", "B", "C")


def provenance_schema(frame: pd.DataFrame, models: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``provenance.csv`` read as ``frame`` (``models`` supplies the known slugs)."""
    import pandera.pandas as pa

    known = set(models["model"]) if models is not None and "model" in models else None

    def column(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series("", index=frame.index)

    def is_class(*names: str) -> pd.Series:
        return column("class").isin(names)

    series_checks = [
        check(
            lambda s: (s == "all") | s.str.fullmatch(rf"{MODEL_RE}(:free)?"),
            "is not 'all', a model slug, or a model slug with ':free'",
        )
    ]
    if known is not None:
        series_checks.append(
            check(
                lambda s: (s == "all") | s.str.removesuffix(FREE_SERIES_SUFFIX).isin(known),
                f"names a model with no row in {MODELS_FILE}",
            )
        )
    if {"week", "series"} <= set(frame.columns):
        series_checks.append(unique_pairs(frame, ["week", "series"]))
    return pa.DataFrameSchema(
        {
            "week": _week(),
            "series": text_column(*series_checks),
            "class": text_column(
                check(
                    lambda s: s.isin(PROVENANCE_CLASSES),
                    f"is not one of {', '.join(PROVENANCE_CLASSES)}",
                )
            ),
            "point": text_column(
                check(
                    lambda s: (s != "") == is_class("sourced", "assumed").reindex(s.index),
                    "must name the anchor or knot of a sourced or assumed value, and only then",
                )
            ),
            "grade": text_column(
                check(
                    lambda s: s.isin(GRADES) == is_class("sourced").reindex(s.index),
                    "must be A, B or C for a sourced value, and empty otherwise",
                ),
                check(
                    lambda s: (s == "") | s.isin(GRADES),
                    "is not a grade (A, B or C)",
                ),
            ),
            "before": text_column(
                check(
                    lambda s: (s != "") == is_class("interpolated").reindex(s.index),
                    "must name the point before an interpolated value, and only then",
                )
            ),
            "after": text_column(
                check(
                    lambda s: (s != "") == is_class("interpolated").reindex(s.index),
                    "must name the point after an interpolated value, and only then",
                )
            ),
            "note": text_column(),
        },
        strict=True,
        ordered=False,
    )


#: The kinds, roles and grades of ``sources/anchors.csv`` (data/README.md, "How it was made").
ANCHOR_KINDS = ("total", "model", "free", "author", "share", "share_max", "top10_tokens")
ANCHOR_KINDS += ("top10_count", "top_us_model", "total_to_date", "top_share", "author_share")
ANCHOR_KINDS += ("author_share_max", "country_share", "other", "unlisted_max", "day_total")
ANCHOR_KINDS += tuple(k + "_to_date" for k in ("model", "free", "other"))
ANCHOR_ROLES = ("knot", "check", "context")


def anchors_schema(frame: pd.DataFrame) -> pa.DataFrameSchema:
    """Schema of ``sources/anchors.csv`` (and of ``sources/measured.csv``, the import, in the same
    columns) read as ``frame``: the sourced facts, each with its figure and range (``value``,
    ``low``, ``high``, in ``unit``), its ``role`` and ``grade``."""
    import pandera.pandas as pa

    number = check(empty_or_decimal, "is not a number, or empty")
    value_checks = [number, check(_within_own_range(frame), "is outside the row's low..high")]
    if "role" in frame.columns:
        value_checks.append(
            check(
                lambda s: (s != "") | (frame["role"].reindex(s.index) != "knot"),
                "is empty: the series pass through a knot anchor, so it needs a value",
            )
        )
    return pa.DataFrameSchema(
        {
            "id": text_column(
                check(non_empty, "is empty"),
                check(lambda s: ~s.duplicated(keep="first"), "is listed twice"),
            ),
            "kind": _one_of(ANCHOR_KINDS),
            "subject": text_column(check(non_empty, "is empty")),
            "week": _week(),
            "weeks": text_column(check(_weeks, "is not a whole number of weeks (1 or more)")),
            "value": text_column(*value_checks),
            "low": text_column(number),
            "high": text_column(number),
            "unit": text_column(check(non_empty, "is empty")),
            "role": _one_of(ANCHOR_ROLES),
            "grade": _one_of(GRADES),
            "source": text_column(check(non_empty, "is empty: say where the figure comes from")),
            "note": text_column(),
            "source_id": pa.Column(
                str, [check(non_empty, "is empty: name the source")], required=False
            ),
            "days": pa.Column(
                str,
                [check(_number_between(0, 7, empty=True), "is not a number of days (0 to 7)")],
                required=False,
            ),
        },
        strict=True,
        ordered=False,
    )


def knots_schema(frame: pd.DataFrame, *, free: bool) -> pa.DataFrameSchema:
    """Schema of ``sources/knots.csv`` (assumed weekly levels, in billion tokens, of ``all`` or a
    model) or, with ``free``, ``sources/free_knots.csv`` (assumed free shares of a model's
    tokens, in percent), read as ``frame``: each with its range and the reasons for both."""
    import pandera.pandas as pa

    key, value = ("model", "free_pct") if free else ("series", "billion_tokens")
    if free:
        slug = check(lambda s: s.str.fullmatch(MODEL_RE), "is not a model slug 'author/model'")
        number = check(_number_between(0, 100), "is not a percent from 0 to 100")
    else:
        slug = check(
            lambda s: (s == "all") | s.str.fullmatch(MODEL_RE),
            "is not 'all' or a model slug 'author/model'",
        )
        number = check(_number_between(0, math.inf, above=True), "is not a positive number")
    why = check(non_empty, "is empty: say why")
    key_checks = [slug]
    if {key, "week"} <= set(frame.columns):
        key_checks.append(unique_pairs(frame, [key, "week"]))
    return pa.DataFrameSchema(
        {
            key: text_column(*key_checks),
            "week": _week(),
            value: text_column(number, check(_within_own_range(frame), "is outside low..high")),
            "low": text_column(number),
            "high": text_column(number),
            "reason": text_column(why),
            "range_reason": text_column(why),
        },
        strict=True,
        ordered=False,
    )
