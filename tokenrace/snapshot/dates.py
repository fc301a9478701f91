"""ISO dates as the data contract writes them (pandas only, no schema library)."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

#: ASCII digits only: ``\d`` also matches other scripts' digits (the full-width ones of CJK text).
ISO_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def week_label(week: pd.Timestamp) -> str:
    """A week by its Monday, as the pages, charts and hover texts name it: "week of 25 May 2026"."""
    return f"week of {week.day} {week:%B %Y}"


def parse_dates(text: pd.Series) -> pd.Series:
    """Parse ISO dates (YYYY-MM-DD); anything else becomes NaT."""
    shaped = text.where(text.str.fullmatch(ISO_DATE_RE), None)
    return pd.to_datetime(shaped, format="%Y-%m-%d", errors="coerce")


def is_iso_date_or_datetime(text: str) -> bool:
    """True for an ISO date (YYYY-MM-DD) or an ISO date-time such as 2026-05-29T02:00:00Z."""
    try:
        pd.Timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return False
    return bool(re.match(ISO_DATE_RE, text))
