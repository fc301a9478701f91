"""The HTTP client: throttled, retrying ``GET`` requests to OpenRouter's JSON APIs (stdlib only).

Requests are spaced by at least ``settings.min_interval`` seconds. HTTP 429 and 5xx answers and
network errors are retried with exponential backoff (``settings.backoff`` × 2^attempt seconds,
or the server's ``Retry-After`` when longer), at most ``settings.retries`` times; a wait over
``settings.max_wait`` seconds is not attempted. A 401 or 403 (bad key) stops at once. Redirects
are not followed, so the key is never sent to another host; it is never put in a URL or message.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from tokenrace.sources.fetch.settings import (
    API_KEY_ENV,
    MAX_WAIT_ENV,
    REQUESTS_PER_DAY,
    FetchError,
    FetchSettings,
    Log,
    quiet,
)

#: API paths, relative to ``settings.base_url``.
RANKINGS_PATH = "/datasets/rankings-daily"
MODELS_PATH = "/models"


class UsageClient(Protocol):
    """What the fetch asks of a client: bodies of API paths, named for messages, and a count of
    the requests sent (:class:`OpenRouterClient`, or a replay of archived replies)."""

    requests: int

    def describe(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """How the response to ``path`` with ``params`` is named in messages."""
        ...

    def get(self, path: str, params: Mapping[str, str] | None = None, *, auth: bool) -> bytes:
        """The body answering ``path`` with ``params``; raises ``FetchError`` when there is none."""
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would forward the Authorization header to the new location."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class OpenRouterClient:
    """A throttled, retrying GET client for OpenRouter's JSON APIs (stdlib ``urllib`` only).

    ``sleep`` and ``clock`` (seconds) are injectable for tests; ``requests`` counts every
    request sent, retries included.
    """

    def __init__(
        self,
        settings: FetchSettings,
        log: Log = quiet,
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

    def describe(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """How a response is named in messages: ``GET`` and its URL."""
        return f"GET {self.url(path, params)}"

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
