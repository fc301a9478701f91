"""What one rankings-page reading implies, each value as an interval from the page's rounding.

The page gives each listed model's ``tokens`` and ``share_pct``, its percent of all tokens in the
window, rounded to 0.1: the true share lies within ``share_pct`` ± 0.05 percentage points
(:data:`ROUNDING`). All arithmetic is exact (:class:`fractions.Fraction`).

- **Platform total** (tokens). Each model with tokens and a share above the rounding implies
  ``tokens / share × 100``, between ``tokens × 100 / (share_pct + 0.05)`` and
  ``tokens × 100 / (share_pct - 0.05)`` (no upper bound when ``share_pct`` ≤ 0.05). The reading's
  total is the **intersection** of the models' intervals: the totals every row allows at once.
  It is narrow because the largest rows' relative rounding is small; an empty intersection means
  the rows contradict each other (the reading is refused), never that one is picked. The central
  value is the interval's midpoint.
- **Coverage** (percent of all tokens). The listed models together carry the sum of their
  ``share_pct``, ± 0.05 per row, clipped to 0-100.
- **Authors** (percent of all tokens). Each listed author's ``share_pct`` ± 0.05; the authors not
  listed carry the rest, ``100 - sum``, which is also the most any one of them can carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

#: Half the rounding step of ``share_pct`` (0.1): the true share is within ± 0.05 pp.
ROUNDING = Fraction(1, 20)
HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Listed:
    """A listed row of a reading: a model (``name`` its permaslug) or an author (``name`` the
    author), its ``tokens`` in the window and ``share`` (percent of all tokens, rounded to 0.1)."""

    name: str
    author: str
    tokens: Fraction
    share: Fraction


@dataclass(frozen=True)
class Interval:
    """A value with its bounds; ``high`` None means unbounded above. ``low_by`` and ``high_by``
    name the rows a bound comes from, where that is known."""

    value: Fraction
    low: Fraction
    high: Fraction | None
    low_by: str = ""
    high_by: str = ""


def implied_by(m: Listed) -> Interval | None:
    """The platform total (tokens) one listed model implies, ``tokens / share × 100``, between
    ``tokens × 100 / (share + 0.05)`` and ``tokens × 100 / (share - 0.05)``; no upper bound when
    the share is 0.05 or less; None for a row without tokens."""
    if m.tokens <= 0:
        return None
    low = m.tokens * HUNDRED / (m.share + ROUNDING)
    high = m.tokens * HUNDRED / (m.share - ROUNDING) if m.share > ROUNDING else None
    value = m.tokens * HUNDRED / m.share if m.share > 0 else low
    return Interval(value, low, high, m.name, m.name)


def implied_total(models: list[Listed]) -> Interval | None:
    """The platform total (tokens) all rows allow at once: the intersection of :func:`implied_by`
    over the rows, its value the midpoint, ``low_by`` and ``high_by`` the rows that bound it; None
    when the rows give no finite common interval (no row bounded above, or rows contradicting).
    """
    each = [i for i in (implied_by(m) for m in models) if i is not None]
    bounded = [i for i in each if i.high is not None]
    if not bounded:
        return None
    low = max(each, key=lambda i: i.low)
    high = min(bounded, key=lambda i: i.high or 0)
    if high.high is None or low.low > high.high:
        return None
    return Interval((low.low + high.high) / 2, low.low, high.high, low.low_by, high.high_by)


def upper_total(models: list[Listed]) -> Fraction | None:
    """The largest platform total any row allows (the smallest per-row upper bound); zero when no
    row has tokens; None when no row bounds it."""
    if sum(m.tokens for m in models) == 0:
        return Fraction(0)
    highs = [i.high for i in (implied_by(m) for m in models) if i and i.high is not None]
    return min(highs) if highs else None


def share_sum(rows: list[Listed]) -> Interval:
    """The summed share of ``rows`` (percent of all tokens), ± 0.05 per row, within 0-100."""
    total = sum((r.share for r in rows), Fraction(0))
    slack = ROUNDING * len(rows)
    return Interval(total, max(Fraction(0), total - slack), min(HUNDRED, total + slack))


def share_of(row: Listed) -> Interval:
    """One row's share (percent of all tokens), ± 0.05, within 0-100."""
    return Interval(
        row.share, max(Fraction(0), row.share - ROUNDING), min(HUNDRED, row.share + ROUNDING)
    )


def rest(rows: list[Listed]) -> Interval:
    """The share of everyone not listed: ``100 - sum`` (at least 0), and its upper bound, which
    is also the most any single unlisted one can carry."""
    listed = share_sum(rows)
    return Interval(
        max(Fraction(0), HUNDRED - listed.value), HUNDRED - listed.high, HUNDRED - listed.low
    )
