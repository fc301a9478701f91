"""The data contract of a snapshot folder, as pandera schemas.

The contract is documented for people in ``data/README.md``; this module is its executable form.
Every file is read as text (no type guessing), so that a bad cell is reported by a schema check
with its file, row and column instead of failing inside the CSV parser.

Units: ``tokens`` are prompt plus completion tokens in one UTC week starting on Monday;
prices are USD per million tokens.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from tokenrace.countries import ISO_3166_ALPHA2
from tokenrace.dates import ISO_DATE_RE as ISO_DATE_RE
from tokenrace.dates import is_iso_date_or_datetime as is_iso_date_or_datetime
from tokenrace.dates import parse_dates as parse_dates
from tokenrace.layout import AUTHORS_FILE as AUTHORS_FILE
from tokenrace.layout import DESCRIPTOR_FILE as DESCRIPTOR_FILE
from tokenrace.layout import MODELS_FILE as MODELS_FILE
from tokenrace.layout import WEEKLY_FILE as WEEKLY_FILE

WEEKLY_COLUMNS = ["week", "model", "tokens"]
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
DECIMAL_RE = r"-?\d+(\.\d+)?"


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


def _non_negative_integer(text: pd.Series) -> pd.Series:
    whole = text.str.fullmatch(r"\d+")
    return whole & text.where(whole, "0").map(int).le(MAX_TOKENS)


def _empty_or_non_negative_decimal(text: pd.Series) -> pd.Series:
    return (text == "") | text.str.fullmatch(r"\d+(\.\d+)?")


def _empty_or_decimal(text: pd.Series) -> pd.Series:
    return (text == "") | text.str.fullmatch(DECIMAL_RE)


def _non_empty(text: pd.Series) -> pd.Series:
    return text.str.strip() != ""


def _check(fn, error: str) -> pa.Check:
    return pa.Check(fn, error=error)


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
        model_checks.append(
            _check(
                lambda s: ~frame.duplicated(["week", "model"], keep="first").reindex(s.index),
                "repeats a (week, model) pair already given in an earlier row",
            )
        )
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
            lambda s: ~s.str.fullmatch(r"-\d+(\.\d+)?"),
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
