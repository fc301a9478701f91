"""The fetch itself: request (or reuse) every response, build the tables, write and check.

:func:`fetch_snapshot` is what ``python -m tokenrace fetch`` runs. It stops at the first problem
with one :class:`~tokenrace.sources.fetch.settings.FetchError` message (never the key) that also
says what was left on disk; the output folder is then exactly as it was. The range is split into
windows of at most 30 days, requested in order; a range needing more requests than the Data API's
daily limit (500) is refused before any request. ``as_of`` is the UTC date of the latest
``meta.as_of`` of the usage responses.

With ``replay`` (:class:`~tokenrace.sources.fetch.replay.Replay`) the same steps run on archived
replies instead of the network: a :class:`~tokenrace.sources.fetch.replay.ReplayClient` answers
the windows, the models come from a ``models.csv``
(:class:`~tokenrace.sources.fetch.catalogue.ModelsCsv`), permaslugs it lacks are counted in
``other`` and listed, and ``datapackage.json`` says so.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tokenrace.sources.fetch.catalogue import ModelsCsv, shown
from tokenrace.sources.fetch.client import (
    MODELS_PATH,
    RANKINGS_PATH,
    OpenRouterClient,
    UsageClient,
)
from tokenrace.sources.fetch.descriptor import Origin, descriptor
from tokenrace.sources.fetch.rankings import (
    RankingsPage,
    Window,
    parse_models,
    parse_rankings,
    plan_windows,
)
from tokenrace.sources.fetch.replay import Replay, ReplayArchive, ReplayClient, replay_origin
from tokenrace.sources.fetch.settings import (
    REQUESTS_PER_DAY,
    WINDOW_DAYS,
    FetchError,
    FetchInterrupted,
    FetchSettings,
    Log,
    quiet,
)
from tokenrace.sources.fetch.store import (
    MODELS_RAW,
    RawStore,
    check_out,
    swap_into_place,
    write_snapshot,
)
from tokenrace.sources.fetch.tables import (
    Catalogue,
    ModelIndex,
    Tables,
    authors_file,
    build_tables,
    check_authors,
    read_authors,
)
from tokenrace.sources.fetch.weeks import weekly_sums

#: What the failure message says when the fetched data breaks the contract.
CONTRACT_OUTCOME = "so nothing was written"


@dataclass(frozen=True)
class FetchResult:
    """What a successful fetch wrote: ``rows`` of ``weekly_tokens.csv``, ``models`` models.

    ``models_from`` names where the models came from (``the models API``, ``data/models.csv``);
    ``unlisted`` maps each permaslug it lacks to the tokens counted in ``other``; ``replayed``
    is the folder of archived replies a replay answered from (None for a fetch).
    """

    path: Path
    weeks: list[date]
    models: int
    rows: int
    requests: int
    reused: int
    as_of: str
    models_from: str = "the models API"
    unlisted: dict[str, int] = field(default_factory=dict)
    replayed: Path | None = None


def fetch_snapshot(
    start: date,
    end: date,
    out: str | os.PathLike[str],
    *,
    settings: FetchSettings | None = None,
    resume: bool = False,
    authors: str | os.PathLike[str] | None = None,
    fold_unlisted: bool = False,
    log: Log = quiet,
    client: OpenRouterClient | None = None,
    replay: Replay | None = None,
) -> FetchResult:
    """Fetch days ``start``..``end`` (UTC, both included) from OpenRouter into snapshot ``out``.

    Writes ``weekly_tokens.csv`` (tokens per ISO week and model, and the part of them served on
    ``:free`` variants), ``models.csv`` (prices in USD per million tokens), ``authors.csv``,
    ``datapackage.json`` and ``raw/``; see :mod:`tokenrace.sources.fetch` for every rule. Raises
    :class:`FetchError` (one message, never the key) or :class:`FetchInterrupted`; on either,
    ``out`` is left exactly as it was. With ``replay``, the windows are answered from its
    archived replies instead (no network; ``client`` and ``resume`` are not used,
    ``fold_unlisted`` is implied).
    """
    settings = settings or FetchSettings.from_env()
    out = Path(out).expanduser().absolute()
    store = RawStore(out, resume and replay is None, persist=replay is None)
    try:
        return _fetch(start, end, out, settings, store, authors, fold_unlisted, log, client, replay)
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
    store: RawStore,
    authors: str | os.PathLike[str] | None,
    fold_unlisted: bool,
    log: Log,
    client: OpenRouterClient | None,
    replay: Replay | None,
) -> FetchResult:
    check_out(out)
    authors_path = authors_file(out, Path(authors) if authors is not None else None)
    authors_bytes, known_authors = read_authors(authors_path)
    windows = plan_windows(start, end)
    if len(windows) + 1 > REQUESTS_PER_DAY:
        raise FetchError(
            f"{start.isoformat()}..{end.isoformat()} needs {len(windows) + 1} requests; the "
            f"Data API allows {REQUESTS_PER_DAY} a day: fetch a shorter range"
        )
    plan = f"{start.isoformat()}..{end.isoformat()}: {len(windows)} window(s) of at most "
    plan += f"{WINDOW_DAYS} days"
    if replay is None:
        usage: UsageClient = client or OpenRouterClient(settings, log=log)
        log(plan)
        pages = _usage_pages(windows, usage, store, log)
        listings, models_source = _listings(usage, store, log)
        catalogue: Catalogue = ModelIndex(listings, models_source)
        origin = None
    else:
        usage, pages, catalogue, origin = _replayed(windows, replay, store, log, plan)
        fold_unlisted = True

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
    tables = build_tables(weeks, catalogue, as_of, fold_unlisted)
    for model, variants in tables.variants.items():
        log(f"folded {', '.join(variants)} into {model}")
    if replay is not None and tables.unlisted:
        log(
            f"counted {len(tables.unlisted)} permaslug(s) in 'other' that map to no model of "
            f"{catalogue.name} ({sum(tables.unlisted.values()):,} tokens; listed at the end)"
        )
    else:
        for slug, tokens in tables.unlisted.items():
            log(f"counted unlisted {slug} in 'other' ({tokens:,} tokens)")
    check_authors(tables.models, known_authors, authors_path)

    meta = descriptor(
        start=start,
        end=end,
        pages=pages,
        weeks=weeks,
        tables=tables,
        settings=settings,
        authors_path=authors_path,
        as_of=as_of,
        as_of_timestamp=as_of_timestamp,
        origin=origin,
    )
    _write_checked(out, tables, authors_bytes, meta, store)
    return FetchResult(
        path=out,
        weeks=weeks.weeks,
        models=len(tables.models),
        rows=len(tables.weekly),
        requests=usage.requests,
        reused=store.reused,
        as_of=as_of,
        models_from=catalogue.name,
        unlisted=tables.unlisted,
        replayed=replay.folder if replay is not None else None,
    )


def _replayed(
    windows: list[Window], replay: Replay, store: RawStore, log: Log, plan: str
) -> tuple[ReplayClient, list[RankingsPage], ModelsCsv, Origin]:
    """A replay's answers to the windows, its models (from ``models.csv``) and origin."""
    models = ModelsCsv(replay.models, replay.aliases)
    log(
        f"models: names, authors, open weights, release dates and prices from {models.name} (no "
        f"models listing was archived); permaslugs mapped with {shown(replay.aliases)} and the "
        "alias rules"
    )
    client = ReplayClient(ReplayArchive(replay.folder, log), log)
    log(plan + ", replayed (no request is sent)")
    pages = _usage_pages(windows, client, store, log)
    return client, pages, models, replay_origin(client, models)


def _usage_pages(
    windows: list[Window], client: UsageClient, store: RawStore, log: Log
) -> list[RankingsPage]:
    """Every window's checked usage response, reused from disk (with resume), requested or
    replayed."""
    pages = []
    for number, window in enumerate(windows, start=1):
        cached = store.cached(window.raw_name)
        if cached:
            body, source = cached
        else:
            body = client.get(RANKINGS_PATH, window.params, auth=True)
            source = client.describe(RANKINGS_PATH, window.params)
        page = parse_rankings(body, window, source)
        store.keep(window.raw_name, body, fresh=not cached)
        pages.append(page)
        fresh = "replayed" if isinstance(client, ReplayClient) else "requested"
        how = "reused from disk" if cached else fresh
        log(f"window {number}/{len(windows)} {window}: {len(page.rows)} rows ({how})")
    return pages


def _listings(client: UsageClient, store: RawStore, log: Log) -> tuple[list[dict[str, Any]], str]:
    """The models API's checked listings and where they came from."""
    cached = store.cached(MODELS_RAW)
    if cached:
        body, source = cached
    else:
        body = client.get(MODELS_PATH, auth=False)
        source = client.describe(MODELS_PATH)
    listings = parse_models(body, source)
    store.keep(MODELS_RAW, body, fresh=not cached)
    log(f"models: {len(listings)} listed ({'reused from disk' if cached else 'requested'})")
    return listings, source


def _write_checked(
    out: Path, tables: Tables, authors_bytes: bytes, meta: dict[str, Any], store: RawStore
) -> None:
    """Write the snapshot beside ``out``, check it against the contract, then swap it in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.fetch-{uuid.uuid4().hex[:12]}")
    try:
        staged.mkdir()  # usual permissions (mkdtemp's would be 0700)
        write_snapshot(staged, tables.weekly, tables.models, authors_bytes, meta, store.used)
        from tokenrace.snapshot import load  # the module's check_snapshot, as tests replace it

        problems = load.check_snapshot(staged)
        if problems:
            raise FetchError(load.problem_report(out, problems, CONTRACT_OUTCOME, hint=False))
        swap_into_place(staged, out, then_remove=store.cache)
        store.committed = True
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
