"""Replaying archived Data API replies: ``python -m tokenrace fetch --replay DIR``, no network.

Third parties archived OpenRouter's own ``rankings-daily`` replies, whole: ``{"meta": {as_of,
start_date, end_date, version}, "data": [rows]}``, each repeating its trailing 30 days (the
project reads them from ``../shared/sources/raw/data-api/llm-carbon-index/``). A replay runs the
very fetch a user with a key runs (:func:`~tokenrace.sources.fetch.run.fetch_snapshot`: the same
windows, checks, weekly sums, folding, contract check and atomic write), with
:class:`ReplayClient` in place of the HTTP client. Its rules:

- **Reading the archive.** Every ``DIR/*.json`` is checked as a fetched reply is
  (:func:`~tokenrace.sources.fetch.rankings.parse_rankings`, every row inside its ``meta``'s
  ``start_date``..``end_date``); a file kept without ``meta`` has its rows checked the same way,
  unwindowed.
- **Repeated days agree.** The replies overlap; every reply holding a UTC day must give it the
  same rows to the token (the same permaslugs, the same tokens), or the replay stops naming both
  files, the day and the first row that differs.
- **Answering a window.** The fetch plans its windows (at most 30 days) as against the API. Each
  is answered with the rows of its days, each day's rows taken from the earliest reply holding it
  (by ``meta.as_of``; a reply without ``meta`` only for a day no other reply holds). The answer
  has the API's shape; its ``meta.as_of`` is the latest ``meta.as_of`` of the replies it took
  rows from, the moment every one of its rows was known, and ``meta.replayed_from`` names them.
- **A window the archive cannot answer**, one of whose days no reply holds, stops the fetch,
  naming the missing days and the days the archive holds: never a short week.
- **Nothing else is answered.** No models listing was archived: the models come from a
  ``models.csv`` (:mod:`~tokenrace.sources.fetch.catalogue`), and permaslugs that map to none of
  its models are counted in ``other`` and listed (``--fold-unlisted`` is implied).

No request is sent (``requests`` stays 0) and no resume cache is kept. The windows as answered
are kept in the snapshot's ``raw/`` like fetched responses; ``processing.replay`` lists every
archived file (its SHA-256, window, ``as_of`` and rows), the days each window took from which
file, and the models and alias files used (SHA-256). Tokens are whole numbers of prompt plus
completion tokens throughout.
"""

from __future__ import annotations

import copy
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tokenrace.sources.fetch.catalogue import (
    DEFAULT_ALIASES,
    DEFAULT_MODELS,
    ModelsCsv,
    sha256,
    shown,
)
from tokenrace.sources.fetch.client import RANKINGS_PATH
from tokenrace.sources.fetch.descriptor import RESOURCES, Origin
from tokenrace.sources.fetch.rankings import Window, parse_rankings, parse_rows
from tokenrace.sources.fetch.settings import DEFAULT_BASE_URL, FetchError, Log, quiet

#: The rules of a replay, as recorded in ``processing.rules``.
REPLAY_RULES = [
    "Replayed, no request sent: each window was answered from archived replies of the Data API "
    "(processing.replay.archive), with the rows of its days; a day held by several replies was "
    "checked equal in all of them, to the token; a window with a day no reply holds stops the "
    "replay.",
    "A day's rows come from the earliest archived reply holding it (by meta.as_of); a window's "
    "meta.as_of is the latest meta.as_of of the replies it took rows from.",
    "No models listing was archived: name, author, open_weights, released and the prices (USD "
    "per million tokens) are copied from processing.replay.models.models; price_source says so.",
    "Permaslugs are mapped to that file's slugs with the project's alias rules "
    "(tokenrace.sources.measured.aliases, with processing.replay.models.aliases): variant suffix "
    "removed, the alias table, then the slug as it stands or without a date suffix; a permaslug "
    "mapping to no model is counted in 'other' (unlisted_folded_into_other).",
]


@dataclass(frozen=True)
class Replay:
    """What to replay: the ``folder`` of archived replies, the ``models.csv`` to copy models
    from and the alias table mapping permaslugs to its slugs."""

    folder: Path
    models: Path = DEFAULT_MODELS
    aliases: Path = DEFAULT_ALIASES

    @classmethod
    def of(
        cls,
        folder: str | os.PathLike[str],
        models: str | os.PathLike[str] | None = None,
        aliases: str | os.PathLike[str] | None = None,
    ) -> Replay:
        """A replay of ``folder``, with the committed models and alias files by default."""
        return cls(
            Path(folder),
            Path(models) if models is not None else DEFAULT_MODELS,
            Path(aliases) if aliases is not None else DEFAULT_ALIASES,
        )


@dataclass(frozen=True)
class Reply:
    """One archived reply: its file ``name``, ``sha256``, ``meta`` (None when kept without),
    ``as_of`` (UTC) and rows, as tokens by permaslug for each UTC day."""

    name: str
    sha256: str
    meta: dict[str, Any] | None
    as_of: datetime | None
    days: dict[date, dict[str, int]]

    @property
    def rows(self) -> int:
        """How many rows the reply holds."""
        return sum(len(rows) for rows in self.days.values())


@dataclass(frozen=True)
class Answer:
    """A window as answered: the days taken from each reply (by file name), and ``as_of``."""

    window: Window
    taken: dict[str, list[date]]
    as_of: str

    def summary(self) -> str:
        """``2026-06-18.json (2026-05-25..2026-06-18), …``."""
        return ", ".join(f"{name} ({spans(days)})" for name, days in self.taken.items())


def spans(days: list[date]) -> str:
    """Days as runs of consecutive days: ``2026-05-18..2026-05-19, 2026-06-01``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        r[0].isoformat() + (f"..{r[-1].isoformat()}" if len(r) > 1 else "") for r in runs
    )


def read_reply(path: Path) -> Reply:
    """An archived reply, checked as a fetched reply is (see the module's rules)."""
    body = path.read_bytes()
    what = f"the archived reply {path}"
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FetchError(f"malformed response from {what}: not JSON in UTF-8 ({err})") from None
    if isinstance(payload, dict) and "meta" in payload:
        meta = payload["meta"]
        ends = [meta.get(k) if isinstance(meta, dict) else None for k in ("start_date", "end_date")]
        try:
            window = Window(*(date.fromisoformat(str(end)) for end in ends))
        except ValueError:
            raise FetchError(
                f"malformed response from {what}: meta.start_date and meta.end_date "
                f"{ends[0]!r}, {ends[1]!r} are not ISO dates"
            ) from None
        page = parse_rankings(body, window, what)
        rows, as_of = page.rows, page.as_of
        kept_meta: dict[str, Any] | None = page.meta
    elif isinstance(payload, dict) and isinstance(payload.get("data"), list):
        rows, as_of, kept_meta = parse_rows(payload["data"], None, what), None, None
    else:
        raise FetchError(f"malformed response from {what}: expected an object with 'data'")
    days: dict[date, dict[str, int]] = {}
    for row in rows:
        days.setdefault(row.day, {})[row.permaslug] = row.tokens
    return Reply(path.name, sha256(path), kept_meta, as_of, days)


class ReplayArchive:
    """The archived replies of a folder, their repeated days checked equal (see the module)."""

    def __init__(self, folder: Path, log: Log = quiet):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FetchError(f"--replay {self.folder}: no such folder of archived replies")
        self.replies = [read_reply(p) for p in sorted(self.folder.glob("*.json"))]
        if not self.replies:
            raise FetchError(f"--replay {self.folder}: the folder holds no replies (*.json)")
        latest = datetime.max.replace(tzinfo=UTC)
        order = sorted(self.replies, key=lambda r: (r.as_of is None, r.as_of or latest, r.name))
        #: Each day's rows and the reply they are taken from.
        self.held: dict[date, tuple[Reply, dict[str, int]]] = {}
        repeats = 0
        for reply in order:
            for day, rows in sorted(reply.days.items()):
                if day in self.held:
                    self._check_agree(day, self.held[day], reply, rows)
                    repeats += 1
                else:
                    self.held[day] = (reply, rows)
        without = sum(r.meta is None for r in self.replies)
        log(
            f"replay: {len(self.replies)} archived replies in {self.folder}"
            + (f" ({without} without meta)" if without else "")
            + f": days {spans(list(self.held))}; {repeats} repeated day(s) agree to the token"
        )

    def _check_agree(
        self, day: date, held: tuple[Reply, dict[str, int]], reply: Reply, rows: dict[str, int]
    ) -> None:
        first, kept = held
        if rows == kept:
            return
        slug = next(p for p in sorted(set(rows) | set(kept)) if rows.get(p) != kept.get(p))

        def says(tokens: int | None) -> str:
            return "no row" if tokens is None else f"{tokens} tokens"

        raise FetchError(
            f"the archived replies {first.name} and {reply.name} in {self.folder} disagree on "
            f"{day.isoformat()}: {slug} has {says(kept.get(slug))} in {first.name} and "
            f"{says(rows.get(slug))} in {reply.name}. A replay needs every repeated day to agree "
            "to the token"
        )

    def answer(self, window: Window) -> tuple[Answer, bytes]:
        """The reply to ``window`` (the API's shape, as bytes) and how it was made; raises
        :class:`FetchError` when a day of the window is in no reply."""
        length = (window.end - window.start).days + 1
        days = [window.start + timedelta(days=i) for i in range(length)]
        missing = [d for d in days if d not in self.held]
        if missing:
            raise FetchError(
                f"the archived replies in {self.folder} cannot answer the window {window}: no "
                f"reply holds {spans(missing)} (they hold {spans(list(self.held))}). Choose "
                "--start and --end within the days they hold; a replay never writes a short week"
            )
        taken: dict[str, list[date]] = {}
        used: dict[str, Reply] = {}
        data = []
        for day in days:
            reply, rows = self.held[day]
            taken.setdefault(reply.name, []).append(day)
            used[reply.name] = reply
            data += [
                {"date": day.isoformat(), "model_permaslug": slug, "total_tokens": str(tokens)}
                for slug, tokens in rows.items()
            ]
        dated = [r for r in used.values() if r.meta is not None and r.as_of is not None]
        if not dated:
            raise FetchError(
                f"the archived replies in {self.folder} hold the window {window} only in "
                f"replies without meta ({', '.join(used)}), so its as_of is unknown"
            )
        newest = max(dated, key=lambda r: r.as_of or datetime.min.replace(tzinfo=UTC))
        assert newest.meta is not None
        versions = sorted({str(r.meta.get("version")) for r in dated if r.meta is not None})
        meta = {
            "as_of": newest.meta["as_of"],
            "start_date": window.start.isoformat(),
            "end_date": window.end.isoformat(),
            "version": "; ".join(versions),
            "replayed_from": {name: spans(ds) for name, ds in taken.items()},
        }
        body = json.dumps({"data": data, "meta": meta}, indent=2, ensure_ascii=False) + "\n"
        return Answer(window, taken, str(newest.meta["as_of"])), body.encode("utf-8")


class ReplayClient:
    """Answers the fetch's usage requests from a :class:`ReplayArchive`
    (a :class:`~tokenrace.sources.fetch.client.UsageClient`); sends no request."""

    def __init__(self, archive: ReplayArchive, log: Log = quiet):
        self.archive = archive
        self.log = log
        self.requests = 0
        self.answers: list[Answer] = []

    def describe(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """``the replay of DIR for /datasets/rankings-daily?start_date=…``."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"the replay of {self.archive.folder} for {path}{query}"

    def get(self, path: str, params: Mapping[str, str] | None = None, *, auth: bool) -> bytes:
        """The archive's answer to a usage window; any other path raises :class:`FetchError`."""
        if path != RANKINGS_PATH or not params:
            raise FetchError(
                f"a replay of {self.archive.folder} answers only {RANKINGS_PATH} windows, not "
                f"{path}: nothing else was archived"
            )
        window = Window(
            date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        )
        answer, body = self.archive.answer(window)
        self.answers.append(answer)
        self.log(f"  {window} replayed from {answer.summary()}")
        return body


def replay_origin(client: ReplayClient, catalogue: ModelsCsv) -> Origin:
    """The :class:`~tokenrace.sources.fetch.descriptor.Origin` of a replayed snapshot."""
    archive = client.archive
    resources = copy.deepcopy(RESOURCES)
    for resource in resources:
        for fld in resource["schema"]["fields"]:
            if resource["name"] == "models" and fld["name"] == "released":
                fld["description"] = f"Date the model appeared on OpenRouter, from {catalogue.name}"
    return Origin(
        kind="replayed",
        how="replayed from archived replies of OpenRouter's Data API",
        sources=[
            {
                "title": "OpenRouter Data API: rankings-daily, archived replies replayed from "
                f"{shown(archive.folder)} (the windows as answered are in raw/; the files in "
                "processing.replay)",
                "path": f"{DEFAULT_BASE_URL}{RANKINGS_PATH}",
            },
            {
                "title": "Models (name, author, open_weights, released, prices): copied from "
                f"{catalogue.name}, since no models listing was archived; permaslugs mapped with "
                f"{shown(catalogue.aliases_path)}",
                "path": catalogue.name,
            },
        ],
        rules=REPLAY_RULES,
        processing={
            "replay": {
                "archive": shown(archive.folder),
                "requests_sent": 0,
                "replies": [
                    {
                        "file": r.name,
                        "sha256": r.sha256,
                        "start_date": r.meta.get("start_date") if r.meta else None,
                        "end_date": r.meta.get("end_date") if r.meta else None,
                        "as_of": r.meta.get("as_of") if r.meta else None,
                        "days": spans(list(r.days)),
                        "rows": r.rows,
                    }
                    for r in archive.replies
                ],
                "windows": [
                    {
                        **a.window.params,
                        "as_of": a.as_of,
                        "days_from": {name: spans(days) for name, days in a.taken.items()},
                    }
                    for a in client.answers
                ],
                "models": catalogue.provenance(),
            }
        },
        description=(
            f"Replayed without network from archived Data API replies ({shown(archive.folder)}); "
            f"no models listing was archived, so the models are copied from {catalogue.name}."
        ),
    )
