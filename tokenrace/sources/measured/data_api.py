"""OpenRouter's own Data API replies (``rankings-daily``), archived by third parties, as anchors.

Two archives of the same API rows are read (``raw/data-api/``):

- ``llm-carbon-index/YYYY-MM-DD.json``: whole replies, ``{"meta": {...}, "data": [rows]}``,
  each repeating its trailing 30 days; checked by the same code as a reply fetched with a key
  (:func:`tokenrace.sources.fetch.replay.read_reply`, as a replay reads them);
- ``casualstudy/openrouter-usage.json``: the same rows collected by another party, as a mapping
  date → permaslug → row.

A row is one UTC day and one permaslug (``total_tokens``, prompt plus completion tokens); each day
has the top 50 models and the reserved ``other`` row (the long tail), so a day's rows sum to the
platform's total. Where a (day, permaslug) is given more than once (two replies, or both
archives) every copy must agree to the token, or the import stops naming both files: the two
collectors are one measurement, not two estimates.

Anchors (grade: the manifest's ``data_api``, A), per Monday-start UTC week, summing the days of
the week that are present:

- ``model`` (``DA-<week>-<slug>``): a model's tokens, its permaslugs folded as for the ranking
  files (:mod:`.aliases`: ``:free`` and dated permaslugs into the model), role ``knot``.
  A model outside a day's top 50 is inside that day's ``other`` row, so where it is missing on
  some day of the week its sum is a **lower bound**: the value is the measured sum (never
  spread), ``low`` is that sum, and ``high`` adds, for every day it is missing, that day's
  smallest listed row (the most it can have had); the note says so.
- ``free`` (``…-free``): the tokens of its ``:free`` permaslugs, the same way; 0 for a model
  none of whose listed rows is ``:free`` (as a fetch counts a listed model's free tokens), its
  high bound the sum of each day's smallest listed row (a free variant outside the top 50).
- ``total`` (``DA-<week>-total``): the platform's total, the sum of every row; role ``knot``.
- ``other`` (``DA-<week>-other``): the ``other`` rows, the measured long tail; role ``knot``:
  in such a week the listed models are the API's, and every other model is part of the tail.
- A week with fewer than 7 days present (at either end of the archives) gives the same kinds
  with ``_to_date`` (``model_to_date``, ``free_to_date``, ``total_to_date``, ``other_to_date``)
  and its ``days``; the note names the days.
- ``day_total`` (``DA-<day>-day-total``): each day's platform total, role ``context`` (the
  weekly total is what the snapshot uses; the daily ones are recorded for the reader).

Units: tokens in, billions of tokens out (three decimals: whole millions), exact integers
throughout, so the same files give the same bytes anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from tokenrace.sources.fetch.replay import read_reply
from tokenrace.sources.fetch.settings import FetchError
from tokenrace.sources.measured.aliases import Aliases, Resolved
from tokenrace.sources.measured.numbers import billions, fixed
from tokenrace.sources.measured.raw import Node, RawSourceError, load_json

SOURCE_ID = "data_api"
FOLDER = "data-api"
REPLIES = "data-api/llm-carbon-index"
COLLECTED = "data-api/casualstudy/openrouter-usage.json"
OTHER = "other"
TOKENS_UNIT = "billion tokens"
DAYS_PLACES = 5
WEEK_DAYS = 7
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The archives' names in anchors' ``source`` (upstream repository, then its path pattern).
ARCHIVES = {
    REPLIES: "wyl2607/llm-carbon-index",
    COLLECTED: "CasualStudy/casualstudy-portfolio",
}


@dataclass(frozen=True)
class Day:
    """One UTC day of the API: tokens by permaslug (``other`` included) and the archive files
    (as shown, ``data-api/...``) holding it."""

    day: date
    tokens: dict[str, int]
    files: tuple[str, ...]

    @property
    def total(self) -> int:
        """The platform's total that day: every row, the long tail included (tokens)."""
        return sum(self.tokens.values())

    @property
    def smallest(self) -> int:
        """The smallest listed (non-``other``) row: a model not listed that day had at most
        this many tokens in any one permaslug."""
        listed = [t for p, t in self.tokens.items() if p != OTHER]
        return min(listed) if listed else 0


Rows = list[tuple[date, str, int]]


def _replies(raw: Path, log: Callable[[str], None]) -> list[tuple[str, Rows]]:
    """The rows of every archived reply, read and checked as a replay reads them
    (:func:`tokenrace.sources.fetch.replay.read_reply`: a reply with ``meta`` as a fetched one,
    its rows inside ``meta``'s window; one the archive kept without ``meta``, the 2026-06-14
    file, row by row)."""
    folder = raw / REPLIES
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            reply = read_reply(path)
        except FetchError as err:
            raise RawSourceError(str(err)) from None
        rows = [(day, p, t) for day, held in sorted(reply.days.items()) for p, t in held.items()]
        found.append((f"{REPLIES}/{path.name}", rows))
    log(f"{REPLIES}: read {len(found)} reply file(s)")
    return found


def _collected(raw: Path, log: Callable[[str], None]) -> list[tuple[str, Rows]]:
    """The rows of the collected archive (date → permaslug → row), each row's date and
    permaslug checked against its keys."""
    path = raw / COLLECTED
    if not path.is_file():
        return []
    root = Node(load_json(path, COLLECTED), COLLECTED)
    if not isinstance(root.value, dict):
        raise root.fail("an object of dates")
    rows: Rows = []
    for key in sorted(root.value):
        day_node = root.get(key)
        day = _day(Node(key, COLLECTED, f"{day_node.path} (key)"))
        if not isinstance(day_node.value, dict):
            raise day_node.fail("an object of permaslugs")
        for permaslug in sorted(day_node.value):
            row = day_node.get(permaslug)
            if _day(row.get("date")) != day:
                raise row.get("date").fail(f"the date of its key, {day.isoformat()}")
            if row.get("model_permaslug").text() != permaslug:
                raise row.get("model_permaslug").fail(f"the permaslug of its key, {permaslug}")
            rows.append((day, permaslug, _tokens(row.get("total_tokens"))))
    log(f"{COLLECTED}: read {len(rows)} row(s)")
    return [(COLLECTED, rows)]


def read_days(raw: Path, log: Callable[[str], None] = lambda _m: None) -> list[Day]:
    """Every day of both archives, merged; a (day, permaslug) given twice with different tokens
    raises :class:`~.raw.RawSourceError` naming both files; a day without its ``other`` row too
    (its total would be unknown)."""
    tokens: dict[tuple[date, str], tuple[int, str]] = {}
    files: dict[date, list[str]] = {}
    for shown, rows in [*_replies(raw, log), *_collected(raw, log)]:
        for day, permaslug, count in rows:
            held = tokens.get((day, permaslug))
            if held is not None and held[0] != count:
                raise RawSourceError(
                    f"{shown}: {day.isoformat()} {permaslug}: {count} tokens, but {held[1]} "
                    f"gives {held[0]}: the archives of one API disagree"
                )
            tokens.setdefault((day, permaslug), (count, shown))
            if shown not in files.setdefault(day, []):
                files[day].append(shown)
    by_day: dict[date, dict[str, int]] = {}
    for (day, permaslug), (count, _shown) in tokens.items():
        by_day.setdefault(day, {})[permaslug] = count
    days = []
    for day in sorted(by_day):
        if OTHER not in by_day[day]:
            raise RawSourceError(
                f"{', '.join(files[day])}: {day.isoformat()} has no '{OTHER}' row, so its "
                "platform total is unknown"
            )
        days.append(Day(day, dict(sorted(by_day[day].items())), tuple(files[day])))
    return days


def monday(day: date) -> date:
    """The Monday that starts the ISO (Monday-start, UTC) week holding ``day``."""
    return day - timedelta(days=day.weekday())


def week_anchors(
    days: list[Day], aliases: Aliases, grade: str, upstream: Callable[[str], str]
) -> tuple[list[dict[str, str]], list[tuple[Resolved, str]]]:
    """The anchors of every week the days touch (see the module's docstring), and the rows whose
    permaslug matched no model, resolved, with the week they were in. ``upstream`` maps a
    shown file to its upstream path (for the ``source`` column)."""
    weeks: dict[date, list[Day]] = {}
    for d in days:
        weeks.setdefault(monday(d.day), []).append(d)
    anchors: list[dict[str, str]] = []
    unmatched: list[tuple[Resolved, str]] = []
    for week, held in sorted(weeks.items()):
        rows, missed = _one_week(week, held, aliases, grade, upstream)
        anchors += rows
        unmatched += missed
    for d in days:
        anchors.append(
            _common(monday(d.day), grade, _source([d], upstream))
            | {
                "id": f"DA-{d.day.isoformat()}-day-total",
                "kind": "day_total",
                "subject": "all",
                "value": billions(Fraction(d.total)),
                "role": "context",
                "days": fixed(Fraction(1), DAYS_PLACES),
                "note": f"The platform's total on {d.day.isoformat()} (UTC): the day's "
                f"{len(d.tokens)} rows, top 50 and '{OTHER}'. Recorded; the snapshot uses the "
                "weekly total.",
            }
        )
    return anchors, unmatched


def _one_week(
    week: date, held: list[Day], aliases: Aliases, grade: str, upstream: Callable[[str], str]
) -> tuple[list[dict[str, str]], list[tuple[Resolved, str]]]:
    full = len(held) == WEEK_DAYS
    suffix = "" if full else "_to_date"
    span = f"{held[0].day.isoformat()} to {held[-1].day.isoformat()}"
    window = (
        f"The week's 7 days ({span}), summed."
        if full
        else f"Week to date: {len(held)} of its 7 days ({span}), summed; the archives hold no "
        "other day of this week."
    )
    common = _common(week, grade, _source(held, upstream)) | {
        "days": "" if full else fixed(Fraction(len(held)), DAYS_PLACES)
    }
    by_slug: dict[str, list[Resolved]] = {}
    for permaslug in sorted({p for d in held for p in d.tokens if p != OTHER}):
        resolved = aliases.resolve(permaslug)
        by_slug.setdefault(resolved.slug, []).append(resolved)
    anchors = [
        common
        | {
            "id": f"DA-{week.isoformat()}-total",
            "kind": "total" + suffix,
            "subject": "all",
            "value": billions(Fraction(sum(d.total for d in held))),
            "role": "knot",
            "note": f"{window} Every row of each day: the top 50 and '{OTHER}'.",
        },
        common
        | {
            "id": f"DA-{week.isoformat()}-other",
            "kind": "other" + suffix,
            "subject": OTHER,
            "value": billions(Fraction(sum(d.tokens[OTHER] for d in held))),
            "role": "knot",
            "note": f"{window} The '{OTHER}' rows: every model outside each day's top 50. "
            "Measured, so in this week the listed models are the API's and any other model is "
            "part of this tail.",
        },
    ]
    unmatched = []
    for slug, permaslugs in sorted(by_slug.items()):
        matched = permaslugs[0].matched
        if not matched:
            unmatched += [(r, f"{FOLDER} week {week.isoformat()}") for r in permaslugs]
        key = f"DA-{week.isoformat()}-{slug.replace('/', '-')}"
        free = [r for r in permaslugs if r.free]
        if matched and not free:
            anchors.append(
                common
                | {
                    "id": key + "-free",
                    "kind": "free" + suffix,
                    "subject": slug,
                    "value": billions(Fraction(0)),
                    "low": billions(Fraction(0)),
                    "high": billions(Fraction(sum(d.smallest for d in held)), "up"),
                    "role": "knot",
                    "note": f"{window} No :free permaslug of this model among the listed rows "
                    "(the top 50 each day): none of its listed tokens were free, as a fetch "
                    "counts them; a free variant outside the top 50 had at most each day's "
                    "smallest listed row (the high bound).",
                }
            )
        for kind, group, tail in (
            ("model", permaslugs, ""),
            ("free", free, " The :free permaslugs only."),
        ):
            if not group:
                continue
            value, bound, absent = _bounded(held, [r.permaslug for r in group])
            note = f"{window} Permaslug(s) {', '.join(r.permaslug for r in group)}.{tail}"
            if absent:
                note += (
                    f" Outside the top 50 on {absent} day-row(s), where its tokens are in "
                    f"'{OTHER}': the sum is a lower bound; the high bound adds each such day's "
                    "smallest listed row."
                )
            if not matched:
                note += " Unmatched permaslug: not a model of models.csv, kept as context."
            anchors.append(
                common
                | {
                    "id": key + ("-free" if kind == "free" else ""),
                    "kind": kind + suffix,
                    "subject": slug,
                    "value": billions(Fraction(value)),
                    "low": billions(Fraction(value), "down") if absent else "",
                    "high": billions(Fraction(bound), "up") if absent else "",
                    "role": "knot" if matched else "context",
                    "note": note,
                }
            )
    return anchors, unmatched


def _bounded(held: list[Day], permaslugs: list[str]) -> tuple[int, int, int]:
    """The tokens of ``permaslugs`` over the days (a lower bound where one is missing on a day),
    the most they can have had (each missing day-row adds that day's smallest listed row), and
    how many day-rows are missing."""
    value = bound = absent = 0
    for d in held:
        for p in permaslugs:
            if p in d.tokens:
                value += d.tokens[p]
                bound += d.tokens[p]
            else:
                bound += d.smallest
                absent += 1
    return value, bound, absent


def _common(week: date, grade: str, source: str) -> dict[str, str]:
    return {
        "week": week.isoformat(),
        "weeks": "1",
        "low": "",
        "high": "",
        "unit": TOKENS_UNIT,
        "grade": grade,
        "source": source,
        "source_id": SOURCE_ID,
    }


def _source(held: list[Day], upstream: Callable[[str], str]) -> str:
    """``data_api: rankings-daily D1..D2 in <repo> <path>, …``: the archive files holding the
    days (the first file of each archive that holds a day, so each day is cited once)."""
    cited: dict[str, list[str]] = {}
    for d in held:
        first = d.files[0]
        archive = REPLIES if first.startswith(REPLIES) else COLLECTED
        paths = cited.setdefault(archive, [])
        if upstream(first) not in paths:
            paths.append(upstream(first))
    span = held[0].day.isoformat() + (f"..{held[-1].day.isoformat()}" if len(held) > 1 else "")
    where = "; ".join(f"{ARCHIVES[a]} {', '.join(p)}" for a, p in cited.items())
    return f"{SOURCE_ID}: rankings-daily {span} in {where}"


def _day(node: Node) -> date:
    text = node.text()
    try:
        if _ISO_DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise node.fail("an ISO date (YYYY-MM-DD)")


def _tokens(node: Node) -> int:
    value = node.value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise node.fail("a whole number of tokens (a decimal string)")
