"""Fetch a snapshot from OpenRouter's official APIs: ``python -m tokenrace fetch``.

The command writes a new snapshot folder in the data contract (``data/README.md``):
``weekly_tokens.csv`` (with the optional ``free_tokens`` column), ``models.csv``,
``authors.csv``, ``datapackage.json``, plus ``raw/`` with every raw API response used.

Sources
    - Usage: ``GET {base}/datasets/rankings-daily?start_date=..&end_date=..`` with
      ``Authorization: Bearer $OPENROUTER_API_KEY``: daily **tokens** (prompt plus completion)
      per model permaslug, the top 50 and ``other`` (the long tail).
    - Models and prices: ``GET {base}/models`` (no key is sent).
    - ``{base}`` is ``$OPENROUTER_BASE_URL``, by default ``https://openrouter.ai/api/v1``.

Replay (``python -m tokenrace fetch --replay DIR``)
    The same fetch without key or network: every window is answered from archived
    ``rankings-daily`` replies in ``DIR`` (each day's rows taken from the replies, repeated days
    checked equal to the token; a window with a day no reply holds stops the fetch). No models
    listing was archived, so the models (names, authors, open weights, release dates, prices in
    USD per million tokens) are copied from ``data/models.csv`` (``--models``), permaslugs mapped
    to its slugs by the project's alias rules and ``data/sources/aliases.csv`` (``--aliases``);
    permaslugs of no model are counted in ``other`` and listed. ``datapackage.json`` says so
    (``kind`` ``replayed``, ``sources``, ``processing.replay``).

Each part holds one idea, and its docstring states its rules:

- :mod:`~tokenrace.sources.fetch.settings`: environment settings (seconds), API limits, the errors;
- :mod:`~tokenrace.sources.fetch.client`: HTTP requests, throttling, retries (the key never leaks);
- :mod:`~tokenrace.sources.fetch.rankings`: request windows, checking the usage and models
  responses;
- :mod:`~tokenrace.sources.fetch.weeks`: daily rows summed into ISO weeks; variants folded, with the
  tokens of ``:free`` variants also counted as ``free_tokens``;
- :mod:`~tokenrace.sources.fetch.tables`: models matched to listings, ``models.csv`` rows (prices in
  USD per million tokens), authors;
- :mod:`~tokenrace.sources.fetch.replay`: the archived replies, checked, and the client that
  answers windows from them;
- :mod:`~tokenrace.sources.fetch.catalogue`: a replay's models, copied from a ``models.csv``;
- :mod:`~tokenrace.sources.fetch.store`: raw responses, the resume cache, the atomic swap into
  place;
- :mod:`~tokenrace.sources.fetch.descriptor`: ``datapackage.json`` (licence, schemas,
  ``processing``);
- :mod:`~tokenrace.sources.fetch.run`: :func:`fetch_snapshot`, which runs them in order.

Every rule is also recorded in ``datapackage.json`` → ``processing``. Nothing is lost, nothing
is half-written: on any failure the output folder is left byte-identical and ``--resume``
reuses the responses already received (a replay keeps no cache: it answers again).
"""

from __future__ import annotations

from tokenrace.sources.fetch.client import MODELS_PATH, RANKINGS_PATH, OpenRouterClient, UsageClient
from tokenrace.sources.fetch.client import _retry_after as _retry_after
from tokenrace.sources.fetch.descriptor import (
    CITATION,
    LICENCE,
    RESOURCES,
    RULES,
    Origin,
    descriptor,
    live_origin,
)
from tokenrace.sources.fetch.rankings import (
    DailyRow,
    RankingsPage,
    Window,
    parse_models,
    parse_rankings,
    plan_windows,
)
from tokenrace.sources.fetch.replay import Replay, ReplayArchive, ReplayClient
from tokenrace.sources.fetch.run import FetchResult, fetch_snapshot
from tokenrace.sources.fetch.settings import (
    API_KEY_ENV,
    BACKOFF_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MIN_INTERVAL,
    MAX_WAIT_ENV,
    MIN_INTERVAL_ENV,
    REQUESTS_PER_DAY,
    RETRIES_ENV,
    TIMEOUT_ENV,
    WINDOW_DAYS,
    FetchError,
    FetchInterrupted,
    FetchSettings,
    Log,
)
from tokenrace.sources.fetch.store import CACHE_SUFFIX, MODELS_RAW, RAW_DIR, REPLACEABLE, cache_dir
from tokenrace.sources.fetch.tables import (
    Catalogue,
    ModelIndex,
    Tables,
    build_tables,
    check_authors,
    read_authors,
    usd_per_mtok,
)
from tokenrace.sources.fetch.weeks import (
    FREE_VARIANT,
    Folded,
    WeeklyRow,
    Weeks,
    fold_variants,
    is_free,
    strip_variant,
    week_of,
    weekly_sums,
)

__all__ = [
    "API_KEY_ENV",
    "BACKOFF_ENV",
    "BASE_URL_ENV",
    "CACHE_SUFFIX",
    "CITATION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MIN_INTERVAL",
    "FREE_VARIANT",
    "LICENCE",
    "MAX_WAIT_ENV",
    "MIN_INTERVAL_ENV",
    "MODELS_PATH",
    "MODELS_RAW",
    "RANKINGS_PATH",
    "RAW_DIR",
    "REPLACEABLE",
    "REQUESTS_PER_DAY",
    "RESOURCES",
    "RETRIES_ENV",
    "RULES",
    "TIMEOUT_ENV",
    "WINDOW_DAYS",
    "Catalogue",
    "DailyRow",
    "FetchError",
    "FetchInterrupted",
    "FetchResult",
    "FetchSettings",
    "Folded",
    "Log",
    "ModelIndex",
    "OpenRouterClient",
    "Origin",
    "RankingsPage",
    "Replay",
    "ReplayArchive",
    "ReplayClient",
    "Tables",
    "UsageClient",
    "WeeklyRow",
    "Weeks",
    "Window",
    "build_tables",
    "cache_dir",
    "check_authors",
    "descriptor",
    "fetch_snapshot",
    "fold_variants",
    "is_free",
    "live_origin",
    "parse_models",
    "parse_rankings",
    "plan_windows",
    "read_authors",
    "strip_variant",
    "usd_per_mtok",
    "week_of",
    "weekly_sums",
]
