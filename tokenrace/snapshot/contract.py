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
from typing import TYPE_CHECKING

import pandas as pd

from tokenrace.snapshot.countries import ISO_3166_ALPHA2
from tokenrace.snapshot.dates import ISO_DATE_RE as ISO_DATE_RE
from tokenrace.snapshot.dates import is_iso_date_or_datetime as is_iso_date_or_datetime
from tokenrace.snapshot.dates import parse_dates as parse_dates
from tokenrace.snapshot.layout import AUTHORS_FILE as AUTHORS_FILE
from tokenrace.snapshot.layout import DESCRIPTOR_FILE as DESCRIPTOR_FILE
from tokenrace.snapshot.layout import MODELS_FILE as MODELS_FILE
from tokenrace.snapshot.layout import OTHER as OTHER
from tokenrace.snapshot.layout import WEEKLY_FILE as WEEKLY_FILE

if TYPE_CHECKING:  # pandera is imported where a schema is built: loading a checked
    import pandera.pandas as pa  # snapshot, or reading the contract's names, does without it

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

#: Authors of OpenRouter's stealth models (``openrouter/*``, and from August 2026 ``stealth/*``,
#: e.g. ``stealth/ox-alpha``): no disclosed origin (unattributed).
STEALTH_AUTHORS = ("openrouter", "stealth")

SLUG_RE = r"[a-z0-9][a-z0-9._-]*"
MODEL_RE = rf"{SLUG_RE}/[a-z0-9][a-z0-9._-]*"
DECIMAL_RE = r"-?[0-9]+(\.[0-9]+)?"


def is_iso_date(text: pd.Series) -> pd.Series:
    """True where a cell is an ISO date (YYYY-MM-DD)."""
    return parse_dates(text).notna()


def is_monday_or_unparsable(text: pd.Series) -> pd.Series:
    """True where a cell is a Monday, or no date at all (which another check reports)."""
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


def whole_count(cell: str) -> int | None:
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
    return text.map(whole_count).notna()


def _empty_or_non_negative_integer(text: pd.Series) -> pd.Series:
    return (text == "") | _non_negative_integer(text)


def _free_within_total(frame: pd.DataFrame):
    """A check of ``free_tokens``: empty, or at most the row's ``tokens``."""

    def within(free: pd.Series) -> pd.Series:
        if "tokens" not in frame.columns:
            return pd.Series(True, index=free.index)
        tokens = frame["tokens"].reindex(free.index)
        # Python integers: exact for any count up to 2^63 - 1. Built whole, never assigned into a
        # boolean Series through a mask (an empty mask made pandas warn of an incompatible dtype).
        counts = zip(map(whole_count, free), map(whole_count, tokens), strict=True)
        fits = [f is None or t is None or f <= t for f, t in counts]
        return pd.Series(fits, index=free.index, dtype=bool)

    return within


def _week_has_tokens(frame: pd.DataFrame):
    """A check of ``tokens``: the first row of a week whose tokens (``other`` included) are all
    zero fails; the platform never has an empty week, so such a week is a fetch gap or a slip."""

    def has_tokens(tokens: pd.Series) -> pd.Series:
        if "week" not in frame.columns:
            return pd.Series(True, index=tokens.index)
        # Only whether a week's counts are all zero matters: a count is zero or not, and a cell
        # that is no count (refused by another check) counts as not zero.
        zero = pd.Series([whole_count(t) == 0 for t in tokens], index=tokens.index, dtype=bool)
        weeks = frame["week"].reindex(tokens.index)
        empty = zero.groupby(weeks).transform("all")
        return ~(empty & ~weeks.duplicated(keep="first"))

    return has_tokens


def decimal(cell: str) -> float | None:
    """The number a cell holds, written as the contract writes numbers (ASCII digits, an optional
    minus sign and decimal point, no exponent), or None if it holds none or one no float holds
    (hundreds of digits: the loader would read infinity)."""
    if not isinstance(cell, str) or not re.fullmatch(DECIMAL_RE, cell):
        return None
    value = float(cell)
    return value if math.isfinite(value) else None


def numbers(text: pd.Series) -> pd.Series:
    """The numbers of a column of cells (NaN where a cell holds none)."""
    return pd.Series([decimal(cell) for cell in text], index=text.index, dtype=float)


def empty_or_decimal(text: pd.Series) -> pd.Series:
    """True where a cell is empty or holds a number (:func:`decimal`)."""
    return (text == "") | numbers(text).notna()


def non_empty(text: pd.Series) -> pd.Series:
    """True where a cell holds more than white space."""
    return text.str.strip() != ""


def check(fn, error: str) -> pa.Check:
    """A check of a column: ``fn`` maps its cells to True where they meet the contract; the
    validator prints ``error`` after the failing cell's location and value."""
    import pandera.pandas as pa

    return pa.Check(fn, error=error)


def unique_pairs(frame: pd.DataFrame, columns: list[str]) -> pa.Check:
    """A check that no row repeats the values of ``columns`` given in an earlier row."""
    return check(
        lambda s: ~frame.duplicated(columns, keep="first").reindex(s.index),
        f"repeats a ({', '.join(columns)}) pair already given in an earlier row",
    )


def text_column(*checks: pa.Check) -> pa.Column:
    """A required column of text cells (every file is read as text) with ``checks``."""
    import pandera.pandas as pa

    return pa.Column(str, list(checks), nullable=False)


def weekly_schema(frame: pd.DataFrame, models: pd.DataFrame | None) -> pa.DataFrameSchema:
    """Schema of ``weekly_tokens.csv`` read as ``frame``.

    ``models`` (if it could be read) supplies the known model slugs.
    """
    import pandera.pandas as pa

    known = set(models["model"]) if models is not None and "model" in models else None
    model_checks = [
        check(
            lambda s: (s == OTHER) | s.str.fullmatch(MODEL_RE),
            "is not a model slug 'author/model' without a variant suffix (or 'other')",
        )
    ]
    if known is not None:
        model_checks.append(
            check(lambda s: (s == OTHER) | s.isin(known), f"has no row in {MODELS_FILE}")
        )
    if {"week", "model"} <= set(frame.columns):
        model_checks.append(unique_pairs(frame, ["week", "model"]))
    return pa.DataFrameSchema(
        {
            "week": text_column(
                check(is_iso_date, "is not an ISO date (YYYY-MM-DD)"),
                check(is_monday_or_unparsable, "is not a Monday (weeks start on Monday, UTC)"),
                check(_follows_previous_week, "follows a gap: the week before it has no rows"),
            ),
            "model": text_column(*model_checks),
            "tokens": text_column(
                check(
                    _non_negative_integer,
                    "is not a non-negative whole number of tokens (at most 2^63 - 1)",
                ),
                check(
                    _week_has_tokens(frame),
                    "is the first row of a week whose rows all hold 0 tokens (an incomplete "
                    "fetch?): no share of that week can be computed",
                ),
            ),
            FREE_COLUMN: pa.Column(
                str,
                [
                    check(
                        _empty_or_non_negative_integer,
                        "is not a non-negative whole number of free tokens, or empty (unknown)",
                    ),
                    check(
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
    import pandera.pandas as pa

    known = set(authors["author"]) if authors is not None and "author" in authors else None
    author_checks = [check(lambda s: s.str.fullmatch(SLUG_RE), "is not an author slug")]
    if known is not None:
        author_checks.append(check(lambda s: s.isin(known), f"has no row in {AUTHORS_FILE}"))
    if "model" in frame.columns:
        author_checks.append(
            check(
                lambda s: s == frame["model"].str.split("/").str[0].reindex(s.index),
                "is not the slug before the '/' in the model column",
            )
        )
    price_checks = [
        check(empty_or_decimal, "is not a number (USD per million tokens) or empty"),
        check(
            lambda s: ~s.str.fullmatch(r"-[0-9]+(\.[0-9]+)?"),
            "is a negative price (USD per million tokens)",
        ),
    ]
    return pa.DataFrameSchema(
        {
            "model": text_column(
                check(
                    lambda s: s.str.fullmatch(MODEL_RE),
                    "is not a model slug 'author/model' without a variant suffix",
                ),
                check(lambda s: ~s.duplicated(keep="first"), "is listed twice"),
            ),
            "name": text_column(check(non_empty, "is empty")),
            "author": text_column(*author_checks),
            "open_weights": text_column(
                check(lambda s: s.isin(["true", "false"]), "is not true/false")
            ),
            "released": text_column(check(is_iso_date, "is not an ISO date (YYYY-MM-DD)")),
            "input_usd_per_mtok": text_column(*price_checks),
            "output_usd_per_mtok": text_column(*price_checks),
            "price_source": text_column(
                check(non_empty, "is empty: say where the price comes from")
            ),
        },
        strict=True,
        ordered=False,
    )


def authors_schema(frame: pd.DataFrame) -> pa.DataFrameSchema:
    """Schema of ``authors.csv`` read as ``frame``."""
    import pandera.pandas as pa

    country_checks = [
        check(
            lambda s: (s == "") | s.isin(ISO_3166_ALPHA2),
            "is not an ISO 3166-1 alpha-2 country code",
        )
    ]
    if "author" in frame.columns:
        country_checks.append(
            check(
                lambda s: (s != "") | frame["author"].reindex(s.index).isin(STEALTH_AUTHORS),
                "is empty: only OpenRouter's stealth authors "
                f"({', '.join(repr(a) for a in STEALTH_AUTHORS)}) are unattributed",
            )
        )
    return pa.DataFrameSchema(
        {
            "author": text_column(
                check(lambda s: s.str.fullmatch(SLUG_RE), "is not an author slug"),
                check(lambda s: ~s.duplicated(keep="first"), "is listed twice"),
            ),
            "lab": text_column(check(non_empty, "is empty")),
            "country": text_column(*country_checks),
            "source": text_column(check(non_empty, "is empty: say where the country comes from")),
        },
        strict=True,
        ordered=False,
    )
