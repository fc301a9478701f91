"""Fetch a snapshot from OpenRouter's official APIs: ``python -m tokenrace fetch``.

The command writes a new snapshot folder in the data contract (``data/README.md``):
``weekly_tokens.csv``, ``models.csv``, ``authors.csv``, ``datapackage.json``, plus ``raw/`` with
every raw API response used.

Sources
    - Usage: ``GET {base}/datasets/rankings-daily?start_date=..&end_date=..`` with
      ``Authorization: Bearer $OPENROUTER_API_KEY``. Each row is one day (UTC) and one model
      permaslug, ``total_tokens`` being prompt plus completion **tokens** as a decimal string; up to
      51 rows a day (the top 50 models and the reserved ``other`` row for the long tail).
    - Models and prices: ``GET {base}/models`` (no key is sent).
    - ``{base}`` is ``$OPENROUTER_BASE_URL``, by default ``https://openrouter.ai/api/v1``.

Requests
    The requested range is split into windows of at most 30 days (the API's window), requested
    in order. Requests are spaced by at least ``$TOKENRACE_FETCH_MIN_INTERVAL`` seconds (default
    2.1, under the limit of 30 a minute); a range needing more requests than the daily limit (500)
    is refused up front. HTTP 429 and 5xx answers and network errors are retried with exponential
    backoff (``$TOKENRACE_FETCH_BACKOFF`` × 2^attempt seconds, or the server's ``Retry-After`` when
    longer), at most ``$TOKENRACE_FETCH_RETRIES`` times (default 4); a wait over
    ``$TOKENRACE_FETCH_MAX_WAIT`` seconds (default 120) is not attempted. Redirects are not
    followed, so the key is never sent to another host. The key is never written to a file, a log
    or a message.

Rules (each is also recorded in ``datapackage.json`` → ``processing``)
    - **Weeks.** Daily rows are summed into Monday-start UTC weeks (ISO weeks). A week is kept only
      when every one of its 7 days lies in the requested range and has rows. Incomplete weeks at
      either end of the range are dropped and listed (with the tokens not counted); an incomplete
      week between complete ones stops the command, because the contract needs contiguous weeks
      and a silently short week would undercount.
    - **Models.** A permaslug is matched to the models API through ``canonical_slug`` (then
      ``id``). Where several listings share it, the plain listing wins over a variant (``:free``)
      or an alias (``~…``). The model slug is that listing's ``id`` without its variant suffix.
    - **Variants.** Any ``:suffix`` (``:free``, ``:beta``, ``:extended``, ``:thinking``,
      ``:nitro``, …) is folded into the base model: their tokens are summed into it.
    - **Unlisted models.** A permaslug that the models API does not list stops the command (the
      contract needs a name, author and release date for each model), unless ``--fold-unlisted``
      is given: then its tokens go to ``other`` and it is listed in ``datapackage.json``.
    - **Prices** are the models API's ``pricing.prompt`` / ``pricing.completion`` (USD per token)
      times one million, in exact decimal arithmetic: **USD per million tokens**, written plainly
      (``0.15``, ``1.8``). A missing, negative (``-1``: variable) or non-numeric price is left
      empty and ``price_source`` says so.
    - ``open_weights`` is ``true`` exactly when the listing has a non-empty ``hugging_face_id``
      (OpenRouter links the model's weights on Hugging Face); otherwise ``false``.
    - ``released`` is the UTC date of the listing's ``created`` (Unix seconds).
    - ``name`` is the listing's ``name`` without its ``"Lab: "`` prefix.
    - **Authors.** ``authors.csv`` is copied byte for byte from ``--authors FILE``, else from the
      ``authors.csv`` already in the output folder, else from ``data/authors.csv``. An author with
      no row there stops the command with one message listing each such author and its models:
      no country is guessed.
    - ``as_of`` is the date of the latest ``meta.as_of`` of the usage responses (UTC); the exact
      timestamp is kept as ``as_of_timestamp``.

Writing: nothing is lost, nothing is half-written
    Every usage and models response is stored, byte for byte, in the resume cache
    ``PATH.raw-cache/`` (beside ``PATH``) as soon as it has been checked. The snapshot is then
    written to a temporary folder beside ``PATH``, checked with
    :func:`tokenrace.snapshot.check_snapshot`, and moved into place by renaming (an existing
    ``PATH`` is renamed aside first and restored if the second rename fails; Ctrl-C is deferred
    during the swap). On success the raw responses are in ``PATH/raw/`` and the cache is removed.
    On any failure ``PATH`` is left byte-identical, the temporary folder is removed and the cache
    is kept; ``--resume`` reuses raw responses from the cache and from ``PATH/raw/`` instead of
    requesting them again. ``PATH`` is only replaced when it holds nothing but snapshot files.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import shutil
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from tokenrace import contract as c
from tokenrace.paths import DEFAULT_DATA_DIR

API_KEY_ENV = "OPENROUTER_API_KEY"
BASE_URL_ENV = "OPENROUTER_BASE_URL"
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
MIN_INTERVAL_ENV = "TOKENRACE_FETCH_MIN_INTERVAL"
BACKOFF_ENV = "TOKENRACE_FETCH_BACKOFF"
RETRIES_ENV = "TOKENRACE_FETCH_RETRIES"
TIMEOUT_ENV = "TOKENRACE_FETCH_TIMEOUT"
MAX_WAIT_ENV = "TOKENRACE_FETCH_MAX_WAIT"

#: The Data API's longest window, in days (both ends included).
WINDOW_DAYS = 30
#: The Data API's request limits.
REQUESTS_PER_DAY = 500
#: Seconds between requests by default (30 a minute is one every 2 s; a little margin).
DEFAULT_MIN_INTERVAL = 2.1

RANKINGS_PATH = "/datasets/rankings-daily"
MODELS_PATH = "/models"
RAW_DIR = "raw"
MODELS_RAW = "models.json"
#: Suffix of the resume cache folder beside the output folder.
CACHE_SUFFIX = ".raw-cache"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (OpenRouter's licence for its rankings data)",
}
CITATION = "Source: OpenRouter (openrouter.ai/rankings), as of {as_of}"
#: Files an output folder may hold for ``fetch`` to replace it.
REPLACEABLE = {c.WEEKLY_FILE, c.MODELS_FILE, c.AUTHORS_FILE, c.DESCRIPTOR_FILE, RAW_DIR}

_TOKENS_RE = re.compile(r"\d+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Field schemas of the three CSV files (copied from data/datapackage.json; ``released`` is exact
#: here, the UTC date of the models API's ``created``).
RESOURCES: list[dict[str, Any]] = [
    {
        "name": "weekly_tokens",
        "path": c.WEEKLY_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {
                    "name": "week",
                    "type": "date",
                    "description": "Monday that starts the UTC week (ISO date)",
                },
                {
                    "name": "model",
                    "type": "string",
                    "description": "OpenRouter model slug without variant suffix; "
                    "'other' is the long tail",
                },
                {
                    "name": "tokens",
                    "type": "integer",
                    "description": "Prompt plus completion tokens in the week",
                    "constraints": {"minimum": 0},
                },
            ],
            "primaryKey": ["week", "model"],
        },
    },
    {
        "name": "models",
        "path": c.MODELS_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {"name": "model", "type": "string", "description": "OpenRouter model slug"},
                {"name": "name", "type": "string"},
                {"name": "author", "type": "string", "description": "The slug before the '/'"},
                {
                    "name": "open_weights",
                    "type": "boolean",
                    "trueValues": ["true"],
                    "falseValues": ["false"],
                },
                {
                    "name": "released",
                    "type": "date",
                    "description": "Date the model appeared on OpenRouter (UTC date of the "
                    "models API's 'created')",
                },
                {
                    "name": "input_usd_per_mtok",
                    "type": "number",
                    "description": "Input (prompt) price, USD per million tokens; "
                    "empty when not recorded",
                    "constraints": {"minimum": 0},
                },
                {
                    "name": "output_usd_per_mtok",
                    "type": "number",
                    "description": "Output (completion) price, USD per million tokens; "
                    "empty when not recorded",
                    "constraints": {"minimum": 0},
                },
                {"name": "price_source", "type": "string"},
            ],
            "primaryKey": ["model"],
            "foreignKeys": [
                {"fields": ["author"], "reference": {"resource": "authors", "fields": ["author"]}}
            ],
        },
    },
    {
        "name": "authors",
        "path": c.AUTHORS_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {"name": "author", "type": "string"},
                {"name": "lab", "type": "string"},
                {
                    "name": "country",
                    "type": "string",
                    "description": "ISO 3166-1 alpha-2 code of the lab's headquarters; empty "
                    "for OpenRouter stealth models (unattributed)",
                },
                {"name": "source", "type": "string"},
            ],
            "primaryKey": ["author"],
        },
    },
]


class FetchError(Exception):
    """The fetch cannot produce a valid snapshot; the message says why (one message, no key)."""


class FetchInterrupted(FetchError):
    """The fetch was interrupted (Ctrl-C); the output folder was left as it was."""


Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# -- settings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchSettings:
    """How to reach OpenRouter and how patiently.

    Times are in seconds. ``api_key`` is kept out of ``repr`` and every message.
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)
    min_interval: float = DEFAULT_MIN_INTERVAL
    retries: int = 4
    backoff: float = 2.0
    timeout: float = 60.0
    max_wait: float = 120.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FetchSettings:
        """Settings from ``$OPENROUTER_*`` and ``$TOKENRACE_FETCH_*`` (defaults when unset)."""
        env = os.environ if environ is None else environ
        base = env.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
        if urllib.parse.urlsplit(base).scheme not in {"http", "https"}:
            raise FetchError(f"{BASE_URL_ENV} must be an http(s) URL, not {base!r}")
        return cls(
            base_url=base.rstrip("/"),
            api_key=env.get(API_KEY_ENV, "").strip(),
            min_interval=_env_number(env, MIN_INTERVAL_ENV, DEFAULT_MIN_INTERVAL),
            retries=int(_env_number(env, RETRIES_ENV, 4, integer=True)),
            backoff=_env_number(env, BACKOFF_ENV, 2.0),
            timeout=_env_number(env, TIMEOUT_ENV, 60.0),
            max_wait=_env_number(env, MAX_WAIT_ENV, 120.0),
        )

    def redact(self, text: str) -> str:
        """``text`` with the API key (if any) replaced by ``[redacted]``."""
        return text.replace(self.api_key, "[redacted]") if self.api_key else text


def _env_number(env: Mapping[str, str], name: str, default: float, integer: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number of seconds"
        raise FetchError(f"{name} must be {kind} (0 or more), not {raw!r}") from None
    if value < 0 or value != value:  # negative or NaN
        raise FetchError(f"{name} must be 0 or more, not {raw!r}")
    return value


# -- the HTTP client -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would forward the Authorization header to the new location."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class OpenRouterClient:
    """A throttled, retrying GET client for OpenRouter's JSON APIs (stdlib ``urllib`` only)."""

    def __init__(
        self,
        settings: FetchSettings,
        log: Log = _quiet,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self.log = log
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self._last: float | None = None
        self._opener = urllib.request.build_opener(_NoRedirect)

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The full URL of an API path (never holds the key)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.settings.base_url}{path}{query}"

    def get(self, path: str, params: Mapping[str, str] | None = None, *, auth: bool) -> bytes:
        """The body of a successful ``GET``; retries 429, 5xx and network errors with backoff."""
        url = self.url(path, params)
        headers = {"Accept": "application/json", "User-Agent": "tokenrace-fetch"}
        if auth:
            if not self.settings.api_key:
                raise FetchError(
                    f"set {API_KEY_ENV} to an OpenRouter API key (any key works for the Data API)"
                )
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            self._throttle()
            self.requests += 1
            try:
                request = urllib.request.Request(url, headers=headers, method="GET")
                with self._opener.open(request, timeout=self.settings.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as err:
                status, detail = err.code, _error_detail(err)
                retry_after = _retry_after(err.headers.get("Retry-After") if err.headers else None)
                err.close()
                if status in (401, 403):
                    raise FetchError(
                        f"OpenRouter refused the API key (HTTP {status}{detail}) for GET {url}: "
                        f"check {API_KEY_ENV}"
                    ) from None
                if status != 429 and not 500 <= status < 600:
                    raise FetchError(f"GET {url} failed with HTTP {status}{detail}") from None
                problem = f"HTTP {status}{detail}"
            except (OSError, http.client.HTTPException) as err:
                retry_after = None
                reason = err.reason if isinstance(err, urllib.error.URLError) else err
                problem = f"network error ({type(reason).__name__}: {reason})".replace(": )", ")")
            if attempt == attempts - 1:
                raise FetchError(f"GET {url} failed after {attempts} attempt(s): {problem}")
            wait = max(self.settings.backoff * 2**attempt, retry_after or 0.0)
            if wait > self.settings.max_wait:
                raise FetchError(
                    f"GET {url}: {problem}; the server asks to wait {wait:.0f} s, longer than "
                    f"{MAX_WAIT_ENV}={self.settings.max_wait:g} s (the daily limit is "
                    f"{REQUESTS_PER_DAY} requests): rerun later with --resume"
                )
            self.log(f"  {problem}; retrying in {wait:.1f} s (attempt {attempt + 2}/{attempts})")
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttle(self) -> None:
        if self._last is not None:
            wait = self._last + self.settings.min_interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()


def _error_detail(err: urllib.error.HTTPError) -> str:
    """``": message"`` from an error body (OpenRouter's ``{"error": {"message": ...}}``)."""
    try:
        body = err.read(4096)
    except (OSError, http.client.HTTPException):
        return ""
    try:
        payload = json.loads(body)
    except ValueError:
        message = body.decode("utf-8", "replace").strip()
    else:
        error = payload.get("error") if isinstance(payload, dict) else None
        message = error.get("message", "") if isinstance(error, dict) else ""
    message = " ".join(str(message).split())[:200]
    return f": {message}" if message else ""


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# -- windows and responses -------------------------------------------------------------------------


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
    """A checked usage response for one window."""

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
        if not window.start <= day <= window.end:
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
    return RankingsPage(window, rows, meta, as_of)


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


# -- weeks -----------------------------------------------------------------------------------------


def week_of(day: date) -> date:
    """The Monday that starts the ISO (Monday-start, UTC) week holding ``day``."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Weeks:
    """Daily rows summed into complete ISO weeks.

    ``tokens`` maps (Monday, permaslug) to tokens in that week; ``dropped`` describes each
    incomplete week left out at either end of the range.
    """

    weeks: list[date]
    tokens: dict[tuple[date, str], int]
    dropped: list[dict[str, Any]]


def weekly_sums(rows: list[DailyRow], start: date, end: date) -> Weeks:
    """Sum daily rows (tokens) into the complete Monday-start UTC weeks of ``start``..``end``.

    A week is complete when all of its 7 days are in the range and have rows. Incomplete weeks at
    either end are dropped (and described); one between complete weeks is an error.
    """
    days_with_rows = {row.day for row in rows}
    candidates = []
    monday = week_of(start)
    while monday <= end:
        candidates.append(monday)
        monday += timedelta(days=7)

    def complete(monday: date) -> bool:
        days = [monday + timedelta(days=i) for i in range(7)]
        return all(start <= d <= end and d in days_with_rows for d in days)

    full = [m for m in candidates if complete(m)]
    if not full:
        raise FetchError(
            f"no complete week (Monday to Sunday, UTC, every day with rows) in "
            f"{start.isoformat()}..{end.isoformat()}: nothing to write"
        )
    kept = [m for m in candidates if full[0] <= m <= full[-1]]
    holes = [m for m in kept if not complete(m)]
    if holes:
        missing = [
            (m + timedelta(days=i)).isoformat()
            for m in holes
            for i in range(7)
            if m + timedelta(days=i) not in days_with_rows
        ]
        raise FetchError(
            f"the usage API returned no rows for {', '.join(missing)}, inside the range: those "
            "weeks would be short and the contract needs contiguous weeks; try again later"
        )
    by_week: dict[date, list[DailyRow]] = {}
    for row in rows:
        by_week.setdefault(week_of(row.day), []).append(row)
    tokens: dict[tuple[date, str], int] = {}
    for monday in kept:
        for row in by_week.get(monday, []):
            key = (monday, row.permaslug)
            tokens[key] = tokens.get(key, 0) + row.tokens
    dropped = []
    for monday in candidates:
        if monday in kept:
            continue
        week_rows = by_week.get(monday, [])
        in_range = [
            monday + timedelta(days=i)
            for i in range(7)
            if start <= monday + timedelta(days=i) <= end
        ]
        dropped.append(
            {
                "week": monday.isoformat(),
                "at": "start" if monday < kept[0] else "end",
                "days_requested": len(in_range),
                "days_with_rows": sorted(d.isoformat() for d in {r.day for r in week_rows}),
                "tokens_not_counted": sum(r.tokens for r in week_rows),
            }
        )
    return Weeks(kept, tokens, dropped)


# -- models ----------------------------------------------------------------------------------------


def strip_variant(slug: str) -> str:
    """``slug`` without its variant suffix: ``x/model:free`` -> ``x/model``."""
    return slug.split(":", 1)[0]


def usd_per_mtok(value: Any) -> str | None:
    """A models-API price (USD per token, usually a string) as text in USD per million tokens.

    Exact decimal arithmetic, written plainly (``"0.0000018"`` -> ``"1.8"``). None when the
    price is missing, not a number, or negative (OpenRouter lists ``-1`` for variable prices).
    """
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not price.is_finite() or price < 0:
        return None
    return format((price * 1_000_000).normalize(), "f")


def _preference(listing: dict[str, Any]) -> tuple[bool, bool, str]:
    ident = listing["id"]
    return (ident.startswith("~"), ":" in ident, ident)


class ModelIndex:
    """The models API's listings, looked up by a usage permaslug."""

    def __init__(self, listings: list[dict[str, Any]]):
        self.by_canonical: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, list[dict[str, Any]]] = {}
        for listing in listings:
            canonical = listing.get("canonical_slug")
            if not isinstance(canonical, str) or not canonical:
                canonical = listing["id"]
            self.by_canonical.setdefault(strip_variant(canonical), []).append(listing)
            self.by_id.setdefault(strip_variant(listing["id"]), []).append(listing)

    def listing(self, permaslug: str) -> dict[str, Any] | None:
        """The preferred listing for a permaslug (variant suffix ignored), or None."""
        base = strip_variant(permaslug)
        found = self.by_canonical.get(base) or self.by_id.get(base)
        return min(found, key=_preference) if found else None


def _model_row(model: str, listing: dict[str, Any], as_of: str, source: str) -> dict[str, str]:
    bad = f"malformed response from {source}: the listing {listing['id']!r}"
    created = listing.get("created")
    if isinstance(created, bool) or not isinstance(created, int | float) or created < 0:
        raise FetchError(f"{bad} has no 'created' time (Unix seconds): {created!r}")
    name = listing.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if ": " in name:
        name = name.split(": ", 1)[1].strip()
    variant = listing["id"].partition(":")[2]
    if variant and name.lower().endswith(f"({variant.lower()})"):
        name = name[: -len(variant) - 2].strip()
    hugging_face = listing.get("hugging_face_id")
    pricing = listing.get("pricing") if isinstance(listing.get("pricing"), dict) else {}
    source_text = f"OpenRouter models API, as of {as_of}"
    prices = {}
    notes = []
    for column, key, label in (
        ("input_usd_per_mtok", "prompt", "input"),
        ("output_usd_per_mtok", "completion", "output"),
    ):
        value = usd_per_mtok(pricing.get(key)) if not variant else None
        prices[column] = value or ""
        if value is None:
            if variant:
                notes.append(f"{label} price not recorded: only the :{variant} listing exists")
            else:
                notes.append(
                    f"{label} price not recorded: pricing.{key} is {pricing.get(key)!r}, "
                    "not a non-negative number"
                )
    if notes:
        source_text += "; " + "; ".join(notes)
    return {
        "model": model,
        "name": name or model,
        "author": model.split("/", 1)[0],
        "open_weights": "true"
        if isinstance(hugging_face, str) and hugging_face.strip()
        else "false",
        "released": datetime.fromtimestamp(created, UTC).date().isoformat(),
        **prices,
        "price_source": source_text,
    }


@dataclass
class Tables:
    """The snapshot's weekly and models rows, and what was folded on the way."""

    weekly: list[tuple[date, str, int]]
    models: list[dict[str, str]]
    slug_map: dict[str, str]
    variants: dict[str, list[str]]
    unlisted: dict[str, int]


def build_tables(
    weeks: Weeks,
    index: ModelIndex,
    as_of: str,
    models_source: str,
    fold_unlisted: bool = False,
) -> Tables:
    """Map permaslugs to models, fold variants (sum tokens), and make the models rows."""
    slug_map: dict[str, str] = {}
    unlisted: dict[str, int] = {}
    listings: dict[str, dict[str, Any]] = {}
    for (_week, permaslug), tokens in weeks.tokens.items():
        if permaslug == c.OTHER:
            continue
        listing = index.listing(permaslug)
        if listing is None:
            unlisted[permaslug] = unlisted.get(permaslug, 0) + tokens
            continue
        model = strip_variant(listing["id"])
        slug_map[permaslug] = model
        listings[model] = listing
    if unlisted and not fold_unlisted:
        lines = "\n".join(
            f"  - {slug} ({tokens:,} tokens in the kept weeks)"
            for slug, tokens in sorted(unlisted.items())
        )
        raise FetchError(
            f"{len(unlisted)} model permaslug(s) in the usage data are not listed by the models "
            f"API, so they have no name, author or release date:\n{lines}\n"
            "Rerun with --fold-unlisted to count their tokens in 'other' (recorded in "
            "datapackage.json)."
        )
    summed: dict[tuple[date, str], int] = {}
    for (week, permaslug), tokens in weeks.tokens.items():
        model = c.OTHER if permaslug == c.OTHER else slug_map.get(permaslug, c.OTHER)
        summed[(week, model)] = summed.get((week, model), 0) + tokens
    weekly = sorted((week, model, tokens) for (week, model), tokens in summed.items())
    variants: dict[str, list[str]] = {}
    for permaslug, model in slug_map.items():
        if ":" in permaslug:
            variants.setdefault(model, []).append(permaslug)
    models = [
        _model_row(model, listings[model], as_of, models_source) for model in sorted(listings)
    ]
    return Tables(
        weekly=weekly,
        models=models,
        slug_map=dict(sorted(slug_map.items())),
        variants={k: sorted(v) for k, v in sorted(variants.items())},
        unlisted=dict(sorted(unlisted.items())),
    )


# -- authors ---------------------------------------------------------------------------------------


def read_authors(path: Path) -> tuple[bytes, set[str]]:
    """The bytes of an authors file and the author slugs it lists."""
    try:
        data = path.read_bytes()
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise FetchError(f"cannot read the authors file {path}: {err}") from None
    if not rows or "author" not in rows[0]:
        raise FetchError(f"the authors file {path} has no 'author' column or no rows")
    return data, {row["author"] for row in rows}


def _authors_file(out: Path, explicit: Path | None) -> Path:
    if explicit is not None:
        return Path(explicit)
    if (out / c.AUTHORS_FILE).is_file():
        return out / c.AUTHORS_FILE
    return DEFAULT_DATA_DIR / c.AUTHORS_FILE


def check_authors(models: list[dict[str, str]], known: set[str], authors_path: Path) -> None:
    """Stop with one message listing every author (and its models) without a row in the file."""
    unknown: dict[str, list[str]] = {}
    for row in models:
        if row["author"] not in known:
            unknown.setdefault(row["author"], []).append(row["model"])
    if not unknown:
        return
    lines = "\n".join(f"  - {a}: {', '.join(sorted(m))}" for a, m in sorted(unknown.items()))
    raise FetchError(
        f"{len(unknown)} author(s) have no row in {authors_path}, so their country is unknown "
        f"(nothing is guessed):\n{lines}\n"
        "Add a row (author,lab,country,source) for each to an authors file, pass it with "
        "--authors FILE, and rerun with --resume."
    )


# -- writing ---------------------------------------------------------------------------------------


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def _check_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise FetchError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in REPLACEABLE)
        if foreign:
            raise FetchError(
                f"{out} holds files that are not part of a fetched snapshot "
                f"({', '.join(foreign)}); it would be replaced as a whole, so choose another --out"
            )


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) while folders are swapped; a Ctrl-C meanwhile is discarded."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if signal.SIGINT in signal.sigpending():
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # discards the pending signal
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
            signal.signal(signal.SIGINT, handler)
        else:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)


def _swap_into_place(staged: Path, out: Path, then_remove: Path) -> None:
    """Rename ``staged`` to ``out``; an existing ``out`` is renamed aside, then removed.

    ``then_remove`` (the resume cache, now copied into ``out/raw/``) is removed after the swap.
    """
    with _interrupts_deferred():
        aside = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:12]}") if out.exists() else None
        if aside is not None:
            os.rename(out, aside)
        try:
            os.rename(staged, out)
        except BaseException:
            if aside is not None:
                os.rename(aside, out)
            raise
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(then_remove, ignore_errors=True)


def _descriptor(
    *,
    start: date,
    end: date,
    pages: list[RankingsPage],
    weeks: Weeks,
    tables: Tables,
    settings: FetchSettings,
    authors_path: Path,
    as_of: str,
    as_of_timestamp: str,
) -> dict[str, Any]:
    first, last = weeks.weeks[0], weeks.weeks[-1]
    return {
        "profile": "data-package",
        "name": "openrouter-weekly-tokens-fetched",
        "title": (
            f"OpenRouter weekly tokens by model, weeks of {first.isoformat()} to "
            f"{last.isoformat()} (fetched from OpenRouter's Data API)"
        ),
        "description": (
            "Weekly prompt plus completion tokens for the models in OpenRouter's daily top 50 and "
            "the long tail ('other'), summed from the Data API's rankings-daily rows into "
            "Monday-start UTC weeks; variants folded into their base model. Written by "
            "'python -m tokenrace fetch'; see 'processing' and raw/."
        ),
        "version": as_of,
        "as_of": as_of,
        "as_of_timestamp": as_of_timestamp,
        "kind": "fetched",
        "licenses": [LICENCE],
        "citation": CITATION.format(as_of=as_of),
        "sources": [
            {"title": "OpenRouter public rankings", "path": "https://openrouter.ai/rankings"},
            {
                "title": "OpenRouter Data API: rankings-daily (raw responses in raw/)",
                "path": f"{settings.base_url}{RANKINGS_PATH}",
            },
            {
                "title": f"OpenRouter models API (raw response in raw/{MODELS_RAW})",
                "path": f"{settings.base_url}{MODELS_PATH}",
            },
            {
                "title": f"Author countries: copied from {authors_path.name} "
                f"({authors_path.parent.name}/)",
                "path": c.AUTHORS_FILE,
            },
        ],
        "processing": {
            "requested": {"start_date": start.isoformat(), "end_date": end.isoformat()},
            "windows": [
                {
                    **page.window.params,
                    "rows": len(page.rows),
                    "as_of": page.meta.get("as_of"),
                    "version": page.meta.get("version"),
                    "raw": f"{RAW_DIR}/{page.window.raw_name}",
                }
                for page in pages
            ],
            "weeks": {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "count": len(weeks.weeks),
            },
            "dropped_partial_weeks": weeks.dropped,
            "variants_folded": tables.variants,
            "unlisted_folded_into_other": tables.unlisted,
            "permaslug_to_model": tables.slug_map,
            "rules": [
                "Weeks start on Monday (UTC, ISO weeks); a week is kept only when all 7 days are "
                "in the requested range and have rows; incomplete weeks at either end are dropped "
                "(dropped_partial_weeks).",
                "Any ':suffix' variant (':free', ':beta', ':extended', ':thinking', ':nitro', ...) "
                "is folded into its base model: tokens are summed.",
                "Permaslugs are matched to models through the models API's canonical_slug "
                "(then id); the model slug is the listing's id without a variant suffix.",
                "Prices: models API pricing.prompt / pricing.completion (USD per token) times "
                "1,000,000 = USD per million tokens, exact decimals.",
                "open_weights is true when the models API lists a non-empty hugging_face_id.",
                "released is the UTC date of the models API's 'created' (Unix seconds).",
                "name is the models API's name without its 'Lab: ' prefix.",
                "as_of is the UTC date of the latest meta.as_of of the usage responses.",
            ],
        },
        "resources": RESOURCES,
    }


# -- the command -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    """What a successful fetch wrote."""

    path: Path
    weeks: list[date]
    models: int
    rows: int
    requests: int
    reused: int
    as_of: str


def cache_dir(out: Path) -> Path:
    """The resume cache of an output folder: ``PATH.raw-cache/`` beside it."""
    return out.with_name(out.name + CACHE_SUFFIX)


class _RawStore:
    """Raw responses: read from the cache or ``PATH/raw/`` (with resume), written to the cache."""

    def __init__(self, out: Path, resume: bool):
        self.cache = cache_dir(out)
        self.search = [self.cache, out / RAW_DIR] if resume else []
        self.used: dict[str, bytes] = {}
        self.reused = 0
        self.committed = False

    def cached(self, name: str) -> tuple[bytes, str] | None:
        for folder in self.search:
            path = folder / name
            if path.is_file():
                self.reused += 1
                return path.read_bytes(), f"{path} (reused by --resume; delete it to refetch)"
        return None

    def keep(self, name: str, data: bytes, *, fresh: bool) -> None:
        self.used[name] = data
        if fresh:
            self.cache.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.cache / name, data)

    def note(self, out: Path) -> str:
        """What a failure left: ``out`` unchanged, and the resume cache if it holds anything."""
        state = f"{out} is unchanged" if out.exists() else f"{out} was not created"
        files = sorted(self.cache.glob("*.json")) if self.cache.is_dir() else []
        if files:
            state += (
                f"; {len(files)} raw response(s) are kept in {self.cache}: "
                "rerun with --resume to reuse them"
            )
        return f"\n  {state}."


def fetch_snapshot(
    start: date,
    end: date,
    out: str | os.PathLike[str],
    *,
    settings: FetchSettings | None = None,
    resume: bool = False,
    authors: str | os.PathLike[str] | None = None,
    fold_unlisted: bool = False,
    log: Log = _quiet,
    client: OpenRouterClient | None = None,
) -> FetchResult:
    """Fetch days ``start``..``end`` (UTC, both included) from OpenRouter into snapshot ``out``.

    Writes ``weekly_tokens.csv`` (tokens per ISO week and model), ``models.csv`` (prices in USD
    per million tokens), ``authors.csv``, ``datapackage.json`` and ``raw/``; see the module
    docstring for every rule. Raises :class:`FetchError` (one message, never the key) or
    :class:`FetchInterrupted`; on either, ``out`` is left exactly as it was.
    """
    settings = settings or FetchSettings.from_env()
    out = Path(out).expanduser().absolute()
    store = _RawStore(out, resume)
    try:
        return _fetch(start, end, out, settings, store, authors, fold_unlisted, log, client)
    except KeyboardInterrupt:
        if store.committed:
            raise FetchInterrupted(
                f"interrupted after the new snapshot was moved to {out}"
            ) from None
        raise FetchInterrupted(f"interrupted{store.note(out)}") from None
    except FetchError as err:
        raise FetchError(settings.redact(f"{err}{store.note(out)}")) from None
    except OSError as err:
        raise FetchError(
            settings.redact(f"cannot write the snapshot: {err}{store.note(out)}")
        ) from None


def _fetch(
    start: date,
    end: date,
    out: Path,
    settings: FetchSettings,
    store: _RawStore,
    authors: str | os.PathLike[str] | None,
    fold_unlisted: bool,
    log: Log,
    client: OpenRouterClient | None,
) -> FetchResult:
    _check_out(out)
    authors_path = _authors_file(out, Path(authors) if authors is not None else None)
    authors_bytes, known_authors = read_authors(authors_path)
    windows = plan_windows(start, end)
    if len(windows) + 1 > REQUESTS_PER_DAY:
        raise FetchError(
            f"{start.isoformat()}..{end.isoformat()} needs {len(windows) + 1} requests; the "
            f"Data API allows {REQUESTS_PER_DAY} a day: fetch a shorter range"
        )
    client = client or OpenRouterClient(settings, log=log)
    log(
        f"{start.isoformat()}..{end.isoformat()}: {len(windows)} window(s) of at most "
        f"{WINDOW_DAYS} days"
    )

    pages = []
    for number, window in enumerate(windows, start=1):
        cached = store.cached(window.raw_name)
        if cached:
            body, source = cached
        else:
            body = client.get(RANKINGS_PATH, window.params, auth=True)
            source = f"GET {client.url(RANKINGS_PATH, window.params)}"
        page = parse_rankings(body, window, source)
        store.keep(window.raw_name, body, fresh=not cached)
        pages.append(page)
        how = "reused from disk" if cached else "requested"
        log(f"window {number}/{len(windows)} {window}: {len(page.rows)} rows ({how})")

    cached = store.cached(MODELS_RAW)
    if cached:
        body, models_source = cached
    else:
        body = client.get(MODELS_PATH, auth=False)
        models_source = f"GET {client.url(MODELS_PATH)}"
    listings = parse_models(body, models_source)
    store.keep(MODELS_RAW, body, fresh=not cached)
    log(f"models: {len(listings)} listed ({'reused from disk' if cached else 'requested'})")

    latest = max(pages, key=lambda p: p.as_of)
    as_of_timestamp = str(latest.meta["as_of"])
    as_of = latest.as_of.date().isoformat()
    weeks = weekly_sums([row for page in pages for row in page.rows], start, end)
    for week in weeks.dropped:
        log(
            f"dropped the partial week of {week['week']} at the {week['at']} of the range: "
            f"{len(week['days_with_rows'])} of 7 days with rows, "
            f"{week['tokens_not_counted']:,} tokens not counted"
        )
    tables = build_tables(weeks, ModelIndex(listings), as_of, models_source, fold_unlisted)
    for model, variants in tables.variants.items():
        log(f"folded {', '.join(variants)} into {model}")
    for slug, tokens in tables.unlisted.items():
        log(f"counted unlisted {slug} in 'other' ({tokens:,} tokens)")
    check_authors(tables.models, known_authors, authors_path)

    descriptor = _descriptor(
        start=start,
        end=end,
        pages=pages,
        weeks=weeks,
        tables=tables,
        settings=settings,
        authors_path=authors_path,
        as_of=as_of,
        as_of_timestamp=as_of_timestamp,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.fetch-{uuid.uuid4().hex[:12]}")
    try:
        staged.mkdir()  # usual permissions (mkdtemp's would be 0700)
        _write_snapshot(staged, tables, authors_bytes, descriptor, store.used)
        from tokenrace.snapshot import check_snapshot

        problems = check_snapshot(staged)
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise FetchError(
                f"the fetched data would break the data contract (data/README.md) in "
                f"{len(problems)} place(s), so nothing was written:\n{lines}"
            )
        _swap_into_place(staged, out, then_remove=store.cache)
        store.committed = True
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    return FetchResult(
        path=out,
        weeks=weeks.weeks,
        models=len(tables.models),
        rows=len(tables.weekly),
        requests=client.requests,
        reused=store.reused,
        as_of=as_of,
    )


def _write_snapshot(
    folder: Path,
    tables: Tables,
    authors_bytes: bytes,
    descriptor: dict[str, Any],
    raw: dict[str, bytes],
) -> None:
    weekly = [[week.isoformat(), model, str(tokens)] for week, model, tokens in tables.weekly]
    (folder / c.WEEKLY_FILE).write_text(
        _csv_text(c.WEEKLY_COLUMNS, weekly), encoding="utf-8", newline=""
    )
    models = [[row[column] for column in c.MODELS_COLUMNS] for row in tables.models]
    (folder / c.MODELS_FILE).write_text(
        _csv_text(c.MODELS_COLUMNS, models), encoding="utf-8", newline=""
    )
    (folder / c.AUTHORS_FILE).write_bytes(authors_bytes)
    (folder / c.DESCRIPTOR_FILE).write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline=""
    )
    (folder / RAW_DIR).mkdir()
    for name, data in sorted(raw.items()):
        (folder / RAW_DIR / name).write_bytes(data)
