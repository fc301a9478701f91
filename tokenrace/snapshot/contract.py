"""The data contract of a snapshot folder, as pandera schemas.

The contract is documented for people in ``data/README.md``; this module is its executable form.
Every file is read as text (no type guessing), so that a bad cell is reported by a schema check
with its file, row and column instead of failing inside the CSV parser.

Units: ``tokens`` are prompt plus completion tokens in one UTC week starting on Monday;
prices are USD per million tokens.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pandera.pandas as pa

from tokenrace.snapshot.countries import ISO_3166_ALPHA2
from tokenrace.snapshot.dates import ISO_DATE_RE as ISO_DATE_RE
from tokenrace.snapshot.dates import is_iso_date_or_datetime as is_iso_date_or_datetime
from tokenrace.snapshot.dates import parse_dates as parse_dates
from tokenrace.snapshot.layout import AUTHORS_FILE as AUTHORS_FILE
from tokenrace.snapshot.layout import DESCRIPTOR_FILE as DESCRIPTOR_FILE
from tokenrace.snapshot.layout import MODELS_FILE as MODELS_FILE
from tokenrace.snapshot.layout import PROVENANCE_FILE as PROVENANCE_FILE
from tokenrace.snapshot.layout import WEEKLY_FILE as WEEKLY_FILE

WEEKLY_COLUMNS = ["week", "model", "tokens"]
#: Optional column of ``weekly_tokens.csv``: tokens of the row served on free (``:free``) variants.
#: Empty means unknown (never zero by default); a snapshot without the column validates.
FREE_COLUMN = "free_tokens"
MODELS_COLUMNS = [
    "model",
    "name",
    "author",
    "open_weights",
    "released",
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "price_source",
]
AUTHORS_COLUMNS = ["author", "lab", "country", "source"]

#: Reserved model slug for the long tail outside the listed models (unattributed).
OTHER = "other"
#: Author of OpenRouter's stealth models: no disclosed origin (unattributed).
STEALTH_AUTHOR = "openrouter"

SLUG_RE = r"[a-z0-9][a-z0-9._-]*"
MODEL_RE = rf"{SLUG_RE}/[a-z0-9][a-z0-9._-]*"
DECIMAL_RE = r"-?[0-9]+(\.[0-9]+)?"


def _is_iso_date(text: pd.Series) -> pd.Series:
    return parse_dates(text).notna()


def _is_monday_or_unparsable(text: pd.Series) -> pd.Series:
    dates = parse_dates(text)
    return dates.isna() | (dates.dt.dayofweek == 0)


def _follows_previous_week(text: pd.Series) -> pd.Series:
    """True unless this row's week is the first week after a gap in the weekly sequence."""
    dates = parse_dates(text)
    weeks = pd.Series(sorted(dates.dropna().unique()))
    if weeks.empty:
        return pd.Series(True, index=text.index)
    gap_after = weeks[weeks.diff() > pd.Timedelta(days=7)]
    return ~dates.isin(set(gap_after))


#: Largest token count a snapshot may hold (int64).
MAX_TOKENS = 2**63 - 1
#: A whole number as the contract writes it: ASCII digits only. (``\d`` also matches the digits of
#: other scripts, the full-width ones of CJK text among them, and Python's ``int`` reads those.)
WHOLE_RE = r"[0-9]+"


def _count(cell: str) -> int | None:
    """The whole number of tokens a cell holds, or None if it holds none (or one past int64).

    Exact at any length: a cell of thousands of digits is refused by its length, never handed to
    ``int`` (which refuses strings past 4300 digits with an error of its own).
    """
    if not isinstance(cell, str) or not re.fullmatch(WHOLE_RE, cell):
        return None
    digits = cell.lstrip("0") or "0"
    if len(digits) > len(str(MAX_TOKENS)) or int(digits) > MAX_TOKENS:
        return None
    return int(digits)


def _non_negative_integer(text: pd.Series) -> pd.Series:
    return text.map(_count).notna()


def _empty_or_non_negative_integer(text: pd.Series) -> pd.Series:
    return (text == "") | _non_negative_integer(text)


def _free_within_total(frame: pd.DataFrame):
    """A check of ``free_tokens``: empty, or at most the row's ``tokens``."""

    def check(free: pd.Series) -> pd.Series:
        if "tokens" not in frame.columns:
            return pd.Series(True, index=free.index)
        tokens = frame["tokens"].reindex(free.index)
        # Python integers: exact for any count up to 2^63 - 1. Built whole, never assigned into a
        # boolean Series through a mask (an empty mask made pandas warn of an incompatible dtype).
        counts = zip(map(_count, free), map(_count, tokens), strict=True)
        fits = [f is None or t is None or f <= t for f, t in counts]
        return pd.Series(fits, index=free.index, dtype=bool)

    return check


def _week_has_tokens(frame: pd.DataFrame):
    """A check of ``tokens``: the first row of a week whose tokens (``other`` included) are all
    zero fails; the platform never has an empty week, so such a week is a fetch gap or a slip."""

    def check(tokens: pd.Series) -> pd.Series:
        if "week" not in frame.columns:
            return pd.Series(True, index=tokens.index)
        # Only whether a week's counts are all zero matters: a count is zero or not, and a cell
        # that is no count (refused by another check) counts as not zero.
        zero = pd.Series([_count(t) == 0 for t in tokens], index=tokens.index, dtype=bool)
        weeks = frame["week"].reindex(tokens.index)
        empty = zero.groupby(weeks).transform("all")
        return ~(empty & ~weeks.duplicated(keep="first"))

    return check


def decimal(cell: str) -> float | None:
    """The number a cell holds, written as the contract writes numbers (ASCII digits, an optional
    minus sign and decimal point, no exponent), or None if it holds none or one no float holds
    (hundreds of digits: the loader would read infinity)."""
    if not isinstance(cell, str) or not re.fullmatch(DECIMAL_RE, cell):
        return None
    value = float(cell)
    return value if math.isfinite(value) else None


def _empty_or_decimal(text: pd.Series) -> pd.Series:
    return (text == "") | text.map(decimal).notna()


def _non_empty(text: pd.Series) -> pd.Series:
    return text.str.strip() != ""


def _check(fn, error: str) -> pa.Check:
    return pa.Check(fn, error=error)


def _unique_pairs(frame: pd.DataFrame, columns: list[str]) -> pa.Check:
    """A check that no row repeats the values of ``columns`` given in an earlier row."""
    return _check(
        lambda s: ~frame.duplicated(columns, keep="first").reindex(s.index),
        f"repeats a ({', '.join(columns)}) pair already given in an earlier row",
    )


def _text(*checks: pa.Check) -> pa.Column:
    return pa.Column(str, list(checks), nullable=False)


def weekly_schema(frame: pd.DataFrame, models: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``weekly_tokens.csv`` read as ``frame``.

    ``models`` (if it could be read) supplies the known model slugs.
    """
    known = set(models["model"]) if models is not None and "model" in models else None
    model_checks = [
        _check(
            lambda s: (s == OTHER) | s.str.fullmatch(MODEL_RE),
            "is not a model slug 'author/model' without a variant suffix (or 'other')",
        )
    ]
    if known is not None:
        model_checks.append(
            _check(lambda s: (s == OTHER) | s.isin(known), f"has no row in {MODELS_FILE}")
        )
    if {"week", "model"} <= set(frame.columns):
        model_checks.append(_unique_pairs(frame, ["week", "model"]))
    return pa.DataFrameSchema(
        {
            "week": _text(
                _check(_is_iso_date, "is not an ISO date (YYYY-MM-DD)"),
                _check(_is_monday_or_unparsable, "is not a Monday (weeks start on Monday, UTC)"),
                _check(_follows_previous_week, "follows a gap: the week before it has no rows"),
            ),
            "model": _text(*model_checks),
            "tokens": _text(
                _check(
                    _non_negative_integer,
                    "is not a non-negative whole number of tokens (at most 2^63 - 1)",
                ),
                _check(
                    _week_has_tokens(frame),
                    "is the first row of a week whose rows all hold 0 tokens (an incomplete "
                    "fetch?): no share of that week can be computed",
                ),
            ),
            FREE_COLUMN: pa.Column(
                str,
                [
                    _check(
                        _empty_or_non_negative_integer,
                        "is not a non-negative whole number of free tokens, or empty (unknown)",
                    ),
                    _check(
                        _free_within_total(frame),
                        "is more free tokens than the row's tokens",
                    ),
                ],
                nullable=False,
                required=False,
            ),
        },
        strict=True,
        ordered=False,
    )


def models_schema(frame: pd.DataFrame, authors: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``models.csv`` read as ``frame``.

    ``authors`` (if it could be read) supplies the known author slugs.
    """
    known = set(authors["author"]) if authors is not None and "author" in authors else None
    author_checks = [_check(lambda s: s.str.fullmatch(SLUG_RE), "is not an author slug")]
    if known is not None:
        author_checks.append(_check(lambda s: s.isin(known), f"has no row in {AUTHORS_FILE}"))
    if "model" in frame.columns:
        author_checks.append(
            _check(
                lambda s: s == frame["model"].str.split("/").str[0].reindex(s.index),
                "is not the slug before the '/' in the model column",
            )
        )
    price_checks = [
        _check(_empty_or_decimal, "is not a number (USD per million tokens) or empty"),
        _check(
            lambda s: ~s.str.fullmatch(r"-[0-9]+(\.[0-9]+)?"),
            "is a negative price (USD per million tokens)",
        ),
    ]
    return pa.DataFrameSchema(
        {
            "model": _text(
                _check(
                    lambda s: s.str.fullmatch(MODEL_RE),
                    "is not a model slug 'author/model' without a variant suffix",
                ),
                _check(lambda s: ~s.duplicated(keep="first"), "is listed twice"),
            ),
            "name": _text(_check(_non_empty, "is empty")),
            "author": _text(*author_checks),
            "open_weights": _text(_check(lambda s: s.isin(["true", "false"]), "is not true/false")),
            "released": _text(_check(_is_iso_date, "is not an ISO date (YYYY-MM-DD)")),
            "input_usd_per_mtok": _text(*price_checks),
            "output_usd_per_mtok": _text(*price_checks),
            "price_source": _text(_check(_non_empty, "is empty: say where the price comes from")),
        },
        strict=True,
        ordered=False,
    )


def authors_schema(frame: pd.DataFrame) -> pa.DataFrameSchema:
    """Schema of ``authors.csv`` read as ``frame``."""
    country_checks = [
        _check(
            lambda s: (s == "") | s.isin(ISO_3166_ALPHA2),
            "is not an ISO 3166-1 alpha-2 country code",
        )
    ]
    if "author" in frame.columns:
        country_checks.append(
            _check(
                lambda s: (s != "") | (frame["author"].reindex(s.index) == STEALTH_AUTHOR),
                f"is empty: only OpenRouter's stealth author '{STEALTH_AUTHOR}' is unattributed",
            )
        )
    return pa.DataFrameSchema(
        {
            "author": _text(
                _check(lambda s: s.str.fullmatch(SLUG_RE), "is not an author slug"),
                _check(lambda s: ~s.duplicated(keep="first"), "is listed twice"),
            ),
            "lab": _text(_check(_non_empty, "is empty")),
            "country": _text(*country_checks),
            "source": _text(_check(_non_empty, "is empty: say where the country comes from")),
        },
        strict=True,
        ordered=False,
    )


#: Columns of the optional ``provenance.csv`` of a reconstructed snapshot.
PROVENANCE_COLUMNS = ["week", "series", "class", "point", "grade", "before", "after", "note"]
PROVENANCE_CLASSES = ("sourced", "interpolated", "assumed")
FREE_SERIES_SUFFIX = ":free"


def provenance_schema(frame: pd.DataFrame, models: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``provenance.csv`` read as ``frame`` (``models`` supplies the known slugs)."""
    known = set(models["model"]) if models is not None and "model" in models else None

    def column(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series("", index=frame.index)

    def is_class(*names: str) -> pd.Series:
        return column("class").isin(names)

    series_checks = [
        _check(
            lambda s: (s == "all") | s.str.fullmatch(rf"{MODEL_RE}(:free)?"),
            "is not 'all', a model slug, or a model slug with ':free'",
        )
    ]
    if known is not None:
        series_checks.append(
            _check(
                lambda s: (s == "all") | s.str.removesuffix(FREE_SERIES_SUFFIX).isin(known),
                f"names a model with no row in {MODELS_FILE}",
            )
        )
    if {"week", "series"} <= set(frame.columns):
        series_checks.append(_unique_pairs(frame, ["week", "series"]))
    return pa.DataFrameSchema(
        {
            "week": _text(
                _check(_is_iso_date, "is not an ISO date (YYYY-MM-DD)"),
                _check(_is_monday_or_unparsable, "is not a Monday (weeks start on Monday, UTC)"),
            ),
            "series": _text(*series_checks),
            "class": _text(
                _check(
                    lambda s: s.isin(PROVENANCE_CLASSES),
                    f"is not one of {', '.join(PROVENANCE_CLASSES)}",
                )
            ),
            "point": _text(
                _check(
                    lambda s: (s != "") == is_class("sourced", "assumed").reindex(s.index),
                    "must name the anchor or knot of a sourced or assumed value, and only then",
                )
            ),
            "grade": _text(
                _check(
                    lambda s: s.isin(["A", "B", "C"]) == is_class("sourced").reindex(s.index),
                    "must be A, B or C for a sourced value, and empty otherwise",
                ),
                _check(
                    lambda s: (s == "") | s.isin(["A", "B", "C"]),
                    "is not a grade (A, B or C)",
                ),
            ),
            "before": _text(
                _check(
                    lambda s: (s != "") == is_class("interpolated").reindex(s.index),
                    "must name the point before an interpolated value, and only then",
                )
            ),
            "after": _text(
                _check(
                    lambda s: (s != "") == is_class("interpolated").reindex(s.index),
                    "must name the point after an interpolated value, and only then",
                )
            ),
            "note": _text(),
        },
        strict=True,
        ordered=False,
    )
