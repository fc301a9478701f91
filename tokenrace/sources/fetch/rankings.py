"""Windows of the usage API, and checking its answers and the models API's.

Usage: ``GET {base}/datasets/rankings-daily?start_date=..&end_date=..`` answers
``{"data": [...], "meta": {"as_of": ..., ...}}``. Each row is one UTC day and one model
permaslug; ``total_tokens`` is prompt plus completion **tokens**, as a decimal string. There are
up to 51 rows a day: the top 50 models and the reserved ``other`` row for the long tail. One
request covers at most :data:`~tokenrace.sources.fetch.settings.WINDOW_DAYS` days.

Models: ``GET {base}/models`` answers ``{"data": [listing, ...]}``.

A response that does not have these shapes stops the fetch with a ``malformed response``
message naming the request (or the file it was reused from) and the offending row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tokenrace.sources.fetch.settings import WINDOW_DAYS, FetchError

_TOKENS_RE = re.compile(r"\d+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, order=True)
class Window:
    """One request to the usage API: days ``start`` to ``end``, both included (UTC dates)."""

    start: date
    end: date

    @property
    def raw_name(self) -> str:
        """File name of the raw response in ``raw/``."""
        return f"rankings-daily_{self.start.isoformat()}_{self.end.isoformat()}.json"

    @property
    def params(self) -> dict[str, str]:
        """Query parameters of the request."""
        return {"start_date": self.start.isoformat(), "end_date": self.end.isoformat()}

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def plan_windows(start: date, end: date, days: int = WINDOW_DAYS) -> list[Window]:
    """Split the days ``start``..``end`` (both included) into consecutive windows of ≤ ``days``."""
    if end < start:
        raise FetchError(f"--end {end.isoformat()} is before --start {start.isoformat()}")
    windows = []
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        windows.append(Window(first, last))
        first = last + timedelta(days=1)
    return windows


@dataclass(frozen=True)
class DailyRow:
    """One usage row: ``tokens`` (prompt plus completion) of ``permaslug`` on UTC day ``day``."""

    day: date
    permaslug: str
    tokens: int


@dataclass(frozen=True)
class RankingsPage:
    """A checked usage response for one window; ``as_of`` is its ``meta.as_of`` in UTC."""

    window: Window
    rows: list[DailyRow]
    meta: dict[str, Any]
    as_of: datetime


def _load_json(body: bytes, source: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise FetchError(f"malformed response from {source}: not UTF-8 ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise FetchError(f"malformed response from {source}: not valid JSON ({err})") from None


def parse_rankings(body: bytes, window: Window, source: str) -> RankingsPage:
    """Check a usage response for ``window``; ``source`` names it in messages.

    Every row needs a ``date`` inside the window, a ``model_permaslug`` and a ``total_tokens``
    that is a whole number of tokens (a decimal string of digits, or a JSON integer); a
    (date, permaslug) pair may occur once.
    """
    payload = _load_json(body, source)
    bad = f"malformed response from {source}"
    if not isinstance(payload, dict):
        raise FetchError(f"{bad}: expected a JSON object with 'data' and 'meta'")
    data, meta = payload.get("data"), payload.get("meta")
    if not isinstance(data, list):
        raise FetchError(f"{bad}: 'data' is missing or not a list")
    if not isinstance(meta, dict):
        raise FetchError(f"{bad}: 'meta' is missing or not an object")
    as_of = _parse_timestamp(meta.get("as_of"))
    if as_of is None:
        raise FetchError(f"{bad}: meta.as_of {meta.get('as_of')!r} is not an ISO timestamp")
    rows = parse_rows(data, window, source)
    return RankingsPage(window, rows, meta, as_of)


def parse_rows(data: list, window: Window | None, source: str) -> list[DailyRow]:
    """Check the ``data`` rows of a usage response; ``source`` names it in messages.

    Every row needs a ``date`` (inside ``window``, when one is given), a ``model_permaslug`` and
    a ``total_tokens`` that is a whole number of tokens (a decimal string of digits, or a JSON
    integer); a (date, permaslug) pair may occur once.
    """
    bad = f"malformed response from {source}"
    rows, seen = [], set()
    for index, item in enumerate(data):
        where = f"{bad}: data[{index}]"
        if not isinstance(item, dict):
            raise FetchError(f"{where} is not an object")
        missing = [k for k in ("date", "model_permaslug", "total_tokens") if k not in item]
        if missing:
            raise FetchError(f"{where} has no {', '.join(missing)}")
        day = _parse_date(item["date"])
        if day is None:
            raise FetchError(f"{where}: date {item['date']!r} is not an ISO date (YYYY-MM-DD)")
        if window is not None and not window.start <= day <= window.end:
            raise FetchError(f"{where}: date {day.isoformat()} is outside the window {window}")
        slug = item["model_permaslug"]
        if not isinstance(slug, str) or not slug.strip():
            raise FetchError(f"{where}: model_permaslug {slug!r} is not a model slug")
        tokens = _parse_tokens(item["total_tokens"])
        if tokens is None:
            raise FetchError(
                f"{where} ({day.isoformat()}, {slug}): total_tokens {item['total_tokens']!r} "
                "is not a whole number of tokens"
            )
        if (day, slug) in seen:
            raise FetchError(f"{where}: ({day.isoformat()}, {slug}) is given twice")
        seen.add((day, slug))
        rows.append(DailyRow(day, slug, tokens))
    return rows


def _parse_tokens(value: Any) -> int | None:
    if isinstance(value, str) and _TOKENS_RE.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_models(body: bytes, source: str) -> list[dict[str, Any]]:
    """Check a models response: ``{"data": [...]}``, each listing an object with a string ``id``."""
    payload = _load_json(body, source)
    bad = f"malformed response from {source}"
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise FetchError(f"{bad}: 'data' is missing or not a list")
    if not data:
        raise FetchError(f"{bad}: 'data' lists no models")
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise FetchError(f"{bad}: data[{index}] is not a model listing with an 'id'")
    return data
