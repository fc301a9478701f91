"""Archived rankings-page readings (``rankings-page/YYYY-MM-DD/rankings.json``): windows,
refusals, one reading per week, and the check anchors each kept reading gives.

A reading is what the rankings page showed when it was fetched: week to date, from Monday
00:00 UTC to ``meta.fetched_at`` (ISO 8601 with a UTC offset). Its ``models`` (``model_id``, a
permaslug; ``author``; ``tokens``; ``share_pct``, percent of all tokens, rounded to 0.1) and
``market_share`` (``author``, ``tokens``, ``share_pct``) are read; other sections are ignored.

**Refusals.** A reading is refused, with every reason that applies (:data:`REASONS`), when it
has no or a broken ``fetched_at``, an empty list, shares summing above 100 % beyond rounding, a
platform total near zero or undetermined, or a window shorter than :data:`MIN_WINDOW_SECONDS`.
Of the readings left in one week, the **latest** is kept, as the most complete week-to-date
window; the others are refused as ``superseded``.

**The authors' window.** The page's ``market_share`` section is not always computed over the
models' window: the platform total its rows imply (tokens over share, as for the models) can be
a small fraction of the models' (some readings' authors imply under 1 T against about 20 T), or
larger. Its shares are then shares of another window, not of the week to date. Where the two
implied totals differ by more than :data:`SAME_WINDOW_TOLERANCE`, the reading is kept for its
models (total to date, coverage) and its authors are refused as ``market_share_other_window``:
no author share, unlisted rest or country bound is drawn from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from tokenrace.sources.inputs import SourcesError
from tokenrace.sources.measured import intervals as iv
from tokenrace.sources.measured.numbers import BILLION, billions, fixed, percent
from tokenrace.sources.measured.raw import Node, load_json

SOURCE_ID = "rankings_page"
FOLDER = "rankings-page"
DAY_SECONDS = 86400
#: The shortest window kept: one day. A reading fetched in the first hours of Monday holds a few
#: hours of one part of the world's daily cycle (or the page may not have rolled over yet).
MIN_WINDOW_SECONDS = DAY_SECONDS
#: The smallest plausible platform total per day of window: 100 billion tokens. OpenRouter
#: served more than 1 T tokens a week (about 170 B a day) already in March 2025, and far more
#: when the readings start (28 Mar 2026); a total under this floor is a broken count, not a
#: quiet day.
FLOOR_TOKENS_PER_DAY = 100 * BILLION
PERCENT_UNIT = "percent of all tokens"
#: The subject of ``author_share_max``, followed by ``:`` and the listed authors joined by ``+``.
UNLISTED = "unlisted"
#: Decimals of a window's length in days (``days``): 0.00001 day is under a second.
DAYS_PLACES = 5
TOKENS_UNIT = "billion tokens"
#: The largest relative gap between the platform totals implied by the models and by the authors
#: (``market_share``) for both to count as one window: 1 %, about an hour and a half of a week.
#: The two sections of one reading agree to well under that where they share a window (0.1 % and
#: less in the archive), and differ by 10 % to 97 % where they do not.
SAME_WINDOW_TOLERANCE = Fraction(1, 100)

#: Why a reading's author share is context in a week a ranking file measures whole.
AUTHOR_WINDOW = (
    " A weekly ranking file measures this week whole: its 7 days and this window differ, and "
    "an author's share moves with the window by more than the page's rounding (context)."
)

#: Refusal reasons, each with what it means.
REASONS = {
    "no_fetched_at": "meta.fetched_at is missing: the window is unknown",
    "bad_fetched_at": "meta.fetched_at is not an ISO 8601 time with a UTC offset",
    "empty_models": "the models list is empty",
    "empty_market_share": "the market_share list is empty",
    "share_over_100": "listed shares sum above 100 % beyond their rounding",
    "near_zero": "the implied platform total is below the floor",
    "total_undetermined": "the models' implied totals have no finite common interval",
    "short_window": "the week-to-date window is shorter than one day",
    "superseded": "a later reading of the same week is kept",
    "market_share_other_window": (
        "the authors' shares imply another platform total than the models': they are of another "
        "window, and no author share or country bound is drawn from this reading (its models are "
        "kept)"
    ),
}


@dataclass(frozen=True)
class Reading:
    """One reading: its name as shown, ``fetched_text`` as written, ``fetched_at`` in UTC (None
    when missing or broken), and its listed models and authors."""

    shown: str
    folder: str
    fetched_text: str
    fetched_at: datetime | None
    models: tuple[iv.Listed, ...]
    market: tuple[iv.Listed, ...]

    @property
    def upstream(self) -> str:
        """The reading's path in the upstream repository."""
        return f"data/{self.folder}/rankings.json"

    @property
    def start(self) -> datetime | None:
        """Monday 00:00 UTC of the week holding ``fetched_at``."""
        if self.fetched_at is None:
            return None
        day = self.fetched_at.date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=day.weekday())

    @property
    def seconds(self) -> int:
        """Seconds from the window's start to ``fetched_at`` (0 when unknown)."""
        if self.fetched_at is None or self.start is None:
            return 0
        gap = self.fetched_at - self.start
        return gap.days * DAY_SECONDS + gap.seconds

    @property
    def week(self) -> str:
        """The Monday of the window (``YYYY-MM-DD``), or empty when unknown."""
        return self.start.date().isoformat() if self.start else ""


def read_reading(path: Path, shown: str, folder: str) -> Reading:
    """One reading, checked field by field (a bad field raises :class:`~.raw.RawSourceError`
    naming the file and its JSON path; a missing or broken ``fetched_at`` is kept as None, to be
    refused)."""
    root = Node(load_json(path, shown), shown)
    stamp = root.get("meta").get("fetched_at") if root.has("meta") else None
    text = stamp.value if stamp is not None and isinstance(stamp.value, str) else ""
    models = [
        iv.Listed(
            m.get("model_id").text(),
            m.get("author").text(),
            Fraction(m.get("tokens").number()),
            Fraction(m.get("share_pct").number()),
        )
        for m in root.get("models").items()
    ]
    market = [
        iv.Listed(
            a.get("author").text(),
            a.get("author").text(),
            Fraction(a.get("tokens").number()),
            Fraction(a.get("share_pct").number()),
        )
        for a in root.get("market_share").items()
    ]
    return Reading(shown, folder, text, _utc(text), tuple(models), tuple(market))


def read_folder(raw: Path, log: Callable[[str], None]) -> list[Reading]:
    """Every ``raw/rankings-page/*/rankings.json``, by folder name."""
    folder = raw / FOLDER
    paths = sorted(folder.glob("*/rankings.json")) if folder.is_dir() else []
    found = [read_reading(p, f"{FOLDER}/{p.parent.name}/{p.name}", p.parent.name) for p in paths]
    log(f"{FOLDER}: read {len(found)} reading(s)")
    return found


def problems(r: Reading) -> list[tuple[str, str]]:
    """Every refusal reason of one reading, with its detail (empty when usable)."""
    found = []
    if not r.fetched_text:
        found.append(("no_fetched_at", "meta.fetched_at is missing or not a string"))
    elif r.fetched_at is None:
        found.append(("bad_fetched_at", f"{r.fetched_text!r}"))
    for name, rows in (("models", r.models), ("market_share", r.market)):
        if not rows:
            found.append((f"empty_{name}", f"{name} is []"))
            continue
        total = iv.share_sum(list(rows))
        if total.value - iv.ROUNDING * len(rows) > iv.HUNDRED:
            found.append(("share_over_100", f"{name}: share_pct sums to {percent(total.value)}"))
    if r.models:
        days = max(Fraction(r.seconds, DAY_SECONDS), Fraction(1))
        floor = FLOOR_TOKENS_PER_DAY * days
        upper = iv.upper_total(list(r.models))
        if upper is not None and upper < floor:
            found.append(
                (
                    "near_zero",
                    f"at most {billions(upper, 'up')} billion tokens, under the floor of "
                    f"{billions(floor)} ({billions(Fraction(FLOOR_TOKENS_PER_DAY))} a day)",
                )
            )
        elif iv.implied_total(list(r.models)) is None:
            found.append(("total_undetermined", "no total is allowed by every listed model"))
    if r.fetched_at is not None and r.seconds < MIN_WINDOW_SECONDS:
        found.append(("short_window", f"{_days(r)} day(s) since Monday 00:00 UTC"))
    return found


def authors_window_problem(r: Reading) -> str:
    """Why the reading's ``market_share`` is not of its models' window (empty when it is): the
    two implied platform totals, when they lie more than :data:`SAME_WINDOW_TOLERANCE` apart."""
    models, market = iv.implied_total(list(r.models)), iv.implied_total(list(r.market))
    if models is None or models.high is None:
        return ""
    if market is None or market.high is None:
        return "the authors' rows imply no finite platform total"
    gap = max(market.low - models.high, models.low - market.high, Fraction(0))
    if gap <= SAME_WINDOW_TOLERANCE * models.low:
        return ""
    return (
        f"the models imply {billions(models.low, 'down')}-{billions(models.high, 'up')} billion "
        f"tokens, the authors {billions(market.low, 'down')}-{billions(market.high, 'up')}"
    )


def keep(readings: list[Reading]) -> tuple[list[Reading], list[dict[str, str]]]:
    """The kept readings (the latest usable one of each week) and the refusal rows of the rest,
    with a ``market_share_other_window`` row for each kept reading whose authors are not used."""
    refused, usable = [], []
    for r in readings:
        reasons = problems(r)
        refused += [_refusal(r, reason, detail) for reason, detail in reasons]
        if not reasons:
            usable.append(r)
    latest: dict[str, Reading] = {}
    for r in usable:
        held = latest.get(r.week)
        if held is None or (r.fetched_at, r.shown) > (held.fetched_at, held.shown):
            latest[r.week] = r
    for r in usable:
        if latest[r.week] is not r:
            refused.append(_refusal(r, "superseded", f"kept {latest[r.week].shown}, fetched later"))
    kept = sorted(latest.values(), key=lambda r: r.week)
    for r in kept:
        why = authors_window_problem(r)
        if why:
            refused.append(_refusal(r, "market_share_other_window", why))
    return kept, refused


def common_columns(r: Reading, grade: str) -> dict[str, str]:
    """The columns every anchor of a kept reading shares: week, source, grade, ``days``."""
    common = {"week": r.week, "weeks": "1", "role": "check", "grade": grade}
    common |= {"source": f"{SOURCE_ID}: {r.upstream}", "source_id": SOURCE_ID}
    return common | {"days": fixed(Fraction(r.seconds, DAY_SECONDS), DAYS_PLACES)}


def reading_anchors(
    r: Reading, grade: str, countries: dict[str, str], measured_whole: bool = False
) -> list[dict[str, str]]:
    """The check anchors of one kept reading: the implied platform total to date
    (``total_to_date``, billion tokens in the window), the listed models' coverage
    (``top_share``), each listed author's share (``author_share``), the share of everything not
    carried by the listed authors (``author_share_max``, subject ``unlisted:a+b+…`` naming them)
    and each country's bounds (``country_share``, :func:`country_bounds`). Every anchor's ``days``
    is the window's length in days (:data:`DAYS_PLACES` decimals). ``countries`` maps each author
    to its country (``authors.csv``); an author of the reading missing there raises
    :class:`~tokenrace.sources.inputs.SourcesError`. The total to date is ``context``: the
    snapshot's total comes from the coverage instead (:mod:`.coverage`). In a week a ranking
    file measures whole (``measured_whole``), each author's share is ``context`` too: the file's
    7 days and the page's window differ, and one author's share moves with the window by more
    than the page's rounding (the country bounds, far wider, stay checks)."""
    models, market = list(r.models), list(r.market)
    total = iv.implied_total(models)
    assert total is not None and total.high is not None  # refused otherwise
    note = _window_note(r)
    key = f"RP-{r.week}"
    common = common_columns(r, grade)
    coverage = iv.share_sum(models)
    whole = (
        " The snapshot's total comes from the coverage instead (RP-<week>-total-from-coverage),"
        " which keeps the listed models at the share the page showed: this is context."
    )
    anchors = [
        _anchor(common, f"{key}-total", "total_to_date", "all", total, TOKENS_UNIT)
        | {
            "note": f"{note} Intersection of the {len(models)} listed models' implied totals "
            f"(low bound from {total.low_by}, high bound from {total.high_by}).{whole}",
            "role": "context",
        },
        _anchor(
            common,
            f"{key}-top{len(models)}",
            "top_share",
            f"top{len(models)}_models",
            coverage,
            PERCENT_UNIT,
        )
        | {"note": f"{note} The {len(models)} listed models together."},
    ]
    if authors_window_problem(r):
        return anchors
    for a in sorted(market, key=lambda a: a.name):
        anchors.append(
            _anchor(
                common,
                f"{key}-author-{a.name}",
                "author_share",
                a.name,
                iv.share_of(a),
                PERCENT_UNIT,
            )
            | {"note": note + (AUTHOR_WINDOW if measured_whole else "")}
            | ({"role": "context"} if measured_whole else {})
        )
    rest = iv.rest(market)
    named = sorted({a.name for a in market})
    anchors.append(
        _anchor(
            common,
            f"{key}-unlisted",
            "author_share_max",
            UNLISTED + ":" + "+".join(named),
            rest,
            PERCENT_UNIT,
        )
        | {
            "low": "",
            "note": f"{note} The {len(market)} listed authors leave the rest; no unlisted "
            "author carries more than the high bound.",
        }
    )
    for country, bounds in sorted(country_bounds(r, countries).items()):
        anchors.append(
            _anchor(
                common, f"{key}-country-{country}", "country_share", country, bounds, PERCENT_UNIT
            )
            | {
                "note": f"{note} Low: the listed authors of {country} ({bounds.low_by}); high: "
                f"their high ends plus the unlisted rest{bounds.high_by}.",
            }
        )
    return anchors


def country_bounds(r: Reading, countries: dict[str, str]) -> dict[str, iv.Interval]:
    """Each country's share of all tokens in a reading (percent), as bounds: the low end is the
    sum of the low ends of its listed authors; the high end the sum of their high ends, plus the
    high end of the unlisted rest (:func:`~.intervals.rest`) and the high ends of listed authors
    without a disclosed country (empty in ``authors.csv``: they may be anyone's), at most 100.
    The value is the sum of its listed authors' shares. Countries come from ``countries``
    (author to country); an author missing there raises
    :class:`~tokenrace.sources.inputs.SourcesError` naming it, never guessed."""
    market = list(r.market)
    missing = sorted({a.name for a in market if a.name not in countries})
    if missing:
        raise SourcesError(
            f"{r.shown}: author(s) {', '.join(missing)} of market_share have no row in "
            "authors.csv: add each with its country (empty when undisclosed) to derive the "
            "country bounds"
        )
    undisclosed = [a for a in market if not countries[a.name]]
    spare = iv.rest(market).high + sum((iv.share_of(a).high for a in undisclosed), Fraction(0))
    names = ", ".join(sorted(a.name for a in undisclosed))
    spare_text = f" and the high ends of {names} (no disclosed country)" if names else ""
    found = {}
    for country in sorted({countries[a.name] for a in market} - {""}):
        mine = sorted((a for a in market if countries[a.name] == country), key=lambda a: a.name)
        shares = [iv.share_of(a) for a in mine]
        low = sum((s.low for s in shares), Fraction(0))
        high = min(iv.HUNDRED, sum((s.high for s in shares), Fraction(0)) + spare)
        value = sum((s.value for s in shares), Fraction(0))
        found[country] = iv.Interval(value, low, high, "+".join(a.name for a in mine), spare_text)
    return found


def _anchor(common: dict, key: str, kind: str, subject: str, value: iv.Interval, unit: str):
    write = billions if unit == TOKENS_UNIT else percent
    assert value.high is not None
    return common | {
        "id": key,
        "kind": kind,
        "subject": subject,
        "value": write(value.value),
        "low": write(value.low, "down"),
        "high": write(value.high, "up"),
        "unit": unit,
    }


def _window_note(r: Reading) -> str:
    assert r.start is not None and r.fetched_at is not None
    start = r.start.strftime("%Y-%m-%dT%H:%MZ")
    end = r.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Week to date: {start} to {end} ({_days(r)} days; fetched_at {r.fetched_text})."


def _days(r: Reading) -> str:
    return fixed(Fraction(r.seconds, DAY_SECONDS), 2, "down")


def _refusal(r: Reading, reason: str, detail: str) -> dict[str, str]:
    return {
        "source_id": SOURCE_ID,
        "file": r.shown,
        "week": r.week,
        "fetched_at": r.fetched_text,
        "reason": reason,
        "detail": f"{REASONS[reason]}: {detail}",
    }


def _utc(text: str) -> datetime | None:
    """``text`` as an aware UTC time, or None when empty, unparseable or without offset."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp.astimezone(UTC)
