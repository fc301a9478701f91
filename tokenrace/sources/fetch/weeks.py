"""Daily usage rows summed into ISO weeks, and variants folded into their base model.

- **Weeks.** Daily rows are summed into Monday-start UTC weeks (ISO weeks). A week is kept only
  when every one of its 7 days lies in the requested range and has rows. Incomplete weeks at
  either end of the range are dropped and listed (with the tokens not counted); an incomplete
  week between complete ones stops the fetch, because the contract needs contiguous weeks and a
  silently short week would undercount.
- **Variants.** Any ``:suffix`` (``:free``, ``:beta``, ``:extended``, ``:thinking``, ``:nitro``,
  …) is folded into the base model: its tokens are added to the model's ``tokens``.
- **Free tokens.** Tokens of ``:free`` variants (that suffix only; every other variant is paid)
  are also added to the model's ``free_tokens``. The API lists each top-50 row with its variant,
  so a listed model's ``free_tokens`` is exact (0 when none of its rows was ``:free``). The
  ``other`` row's ``free_tokens`` is unknown (None, written empty): the long tail may hold free
  variants.

All counts are tokens (prompt plus completion), as exact Python integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from tokenrace.snapshot.contract import OTHER
from tokenrace.sources.fetch.rankings import DailyRow
from tokenrace.sources.fetch.settings import FetchError

#: The one variant suffix whose tokens count as free (``x/model:free``).
FREE_VARIANT = "free"


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


def strip_variant(slug: str) -> str:
    """``slug`` without its variant suffix: ``x/model:free`` -> ``x/model``."""
    return slug.split(":", 1)[0]


def is_free(permaslug: str) -> bool:
    """Whether a permaslug is a free variant: its suffix is exactly ``:free``."""
    return permaslug.partition(":")[2] == FREE_VARIANT


class WeeklyRow(NamedTuple):
    """One row of ``weekly_tokens.csv``: tokens of ``model`` in the week starting ``week``.

    ``free_tokens`` is the part of ``tokens`` served on ``:free`` variants; None when unknown
    (the ``other`` row).
    """

    week: date
    model: str
    tokens: int
    free_tokens: int | None


@dataclass(frozen=True)
class Folded:
    """Weekly rows per model, and the tokens of each ``:free`` permaslug folded into them."""

    rows: list[WeeklyRow]
    free_folded: dict[str, int]


def fold_variants(weeks: Weeks, slug_map: Mapping[str, str]) -> Folded:
    """Sum each week's permaslugs into models (tokens), splitting out ``:free`` tokens.

    ``slug_map`` maps a permaslug to its model; ``other`` and permaslugs it lacks (unlisted
    models, folded into ``other``) count in ``other``, whose ``free_tokens`` is unknown.
    """
    tokens: dict[tuple[date, str], int] = {}
    free: dict[tuple[date, str], int] = {}
    free_folded: dict[str, int] = {}
    for (week, permaslug), count in weeks.tokens.items():
        model = OTHER if permaslug == OTHER else slug_map.get(permaslug, OTHER)
        key = (week, model)
        tokens[key] = tokens.get(key, 0) + count
        if model != OTHER and is_free(permaslug):
            free[key] = free.get(key, 0) + count
            free_folded[permaslug] = free_folded.get(permaslug, 0) + count
    rows = sorted(
        WeeklyRow(week, model, count, None if model == OTHER else free.get((week, model), 0))
        for (week, model), count in tokens.items()
    )
    return Folded(rows=rows, free_folded=dict(sorted(free_folded.items())))
