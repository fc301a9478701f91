"""The contract of what a reconstructed snapshot adds: ``provenance.csv``.

A reconstructed snapshot (``python -m tokenrace reconstruct``) holds, beside the four files of
:mod:`tokenrace.snapshot.contract`, the class of every value (``provenance.csv``; data/README.md).
This is its pandera schema, built from the contract's checks: the file read as text, every bad
cell reported by file, row and column.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from tokenrace.snapshot.contract import (
    MODEL_RE,
    MODELS_FILE,
    check,
    is_iso_date,
    is_monday_or_unparsable,
    text_column,
    unique_pairs,
)


def _week(*more: pa.Check) -> pa.Column:
    """A required column of weeks: ISO dates of Mondays (and ``more`` checks)."""
    return text_column(
        check(is_iso_date, "is not an ISO date (YYYY-MM-DD)"),
        check(is_monday_or_unparsable, "is not a Monday (weeks start on Monday, UTC)"),
        *more,
    )


#: Columns of the optional ``provenance.csv`` of a reconstructed snapshot.
PROVENANCE_COLUMNS = ["week", "series", "class", "point", "grade", "before", "after", "note"]
PROVENANCE_CLASSES = ("sourced", "interpolated", "assumed")
FREE_SERIES_SUFFIX = ":free"
#: Grades of a sourced value: A (a data file read directly), B, C (data/README.md).
GRADES = ("A", "B", "C")


def provenance_schema(frame: pd.DataFrame, models: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``provenance.csv`` read as ``frame`` (``models`` supplies the known slugs)."""
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
