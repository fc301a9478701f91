"""Settings of a fetch: where OpenRouter is, its limits, how patiently to ask, and the errors.

Every setting comes from the environment and is optional: ``$OPENROUTER_BASE_URL`` (default
``https://openrouter.ai/api/v1``), ``$OPENROUTER_API_KEY`` (sent only to the Data API, never
written anywhere) and ``$TOKENRACE_FETCH_*``: ``MIN_INTERVAL`` (seconds between requests, default
2.1), ``RETRIES`` (default 4), ``BACKOFF`` (first backoff in seconds, default 2), ``TIMEOUT``
(seconds per request, default 60) and ``MAX_WAIT`` (the longest wait accepted, in seconds,
default 120).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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


class FetchError(Exception):
    """The fetch cannot produce a valid snapshot; the message says why (one message, no key)."""


class FetchInterrupted(FetchError):
    """The fetch was interrupted (Ctrl-C); the output folder was left as it was."""


#: Where progress lines go (one line a call, no newline).
Log = Callable[[str], None]


def quiet(_message: str) -> None:
    """A :data:`Log` that drops every line."""


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
