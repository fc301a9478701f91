"""The week the essay describes, recorded once in ``essay.yml`` at the checkout's root, and a
snapshot seen as of that week.

Every claim of the essay is judged as of the essay's week (a Monday-start UTC week), whatever the
snapshot's length: a snapshot that runs on past it is cut there for the verdicts
(:func:`as_of_essay`), and its later weeks are shown beside them. A snapshot that ends before the
essay's week is judged on its last week, and one that starts after it on its last week too; the
returned note says so, for the page to show.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from tokenrace.snapshot.dates import ISO_DATE_RE, week_label
from tokenrace.snapshot.load import Snapshot
from tokenrace.snapshot.paths import REPO_ROOT

#: The file that records the essay's week, at the checkout's root.
ESSAY_FILE = "essay.yml"
_LINE = re.compile(r"^(?P<key>week|words|source):[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)


class EssayDateError(ValueError):
    """``essay.yml`` is missing, or its week is not an ISO date of a Monday."""


@dataclass(frozen=True)
class EssayDate:
    """The essay's week (a Monday), its own words for it, and where that comes from."""

    week: pd.Timestamp
    words: str
    source: str

    @property
    def label(self) -> str:
        """The week as the charts and pages name it: "week of 25 May 2026"."""
        return week_label(self.week)


def essay_date(root: Path | None = None) -> EssayDate:
    """The essay's week from ``ROOT/essay.yml`` (default: this checkout). Raises
    :class:`EssayDateError` naming the file and line for a missing file or a bad week."""
    path = (root or REPO_ROOT) / ESSAY_FILE
    if not path.is_file():
        raise EssayDateError(f"{path}: not found (it records the week the essay describes)")
    text = path.read_text(encoding="utf-8")
    found = {
        m["key"]: (m["value"], text.count("\n", 0, m.start()) + 1) for m in _LINE.finditer(text)
    }
    for key in ("week", "words", "source"):
        if not found.get(key, ("", 0))[0]:
            raise EssayDateError(f"{path}: no '{key}:' line with a value")
    value, line = found["week"]
    week = pd.to_datetime(value, format="%Y-%m-%d", errors="coerce")
    if pd.isna(week) or not re.fullmatch(ISO_DATE_RE, value):
        raise EssayDateError(f"{path}, line {line}, 'week': {value!r} is not an ISO date")
    if week.dayofweek != 0:
        raise EssayDateError(
            f"{path}, line {line}, 'week': {value} is a {week:%A}; a week starts on a Monday"
        )
    return EssayDate(week, found["words"][0], found["source"][0])


@dataclass(frozen=True)
class EssayView:
    """A snapshot as of the essay's week: ``snapshot`` (cut there, or whole), the week it is
    judged on (``week``), the weeks after it (``later``, empty when none), and ``note``: empty
    when the snapshot reaches the essay's week, else why another week is judged."""

    snapshot: Snapshot
    week: pd.Timestamp
    later: pd.DatetimeIndex
    note: str


def as_of_essay(snap: Snapshot, essay: EssayDate | None = None) -> EssayView:
    """``snap`` as of the essay's week (:func:`essay_date` unless given)."""
    essay = essay or essay_date()
    weeks = snap.weeks
    if essay.week in weeks:
        cut = upto(snap, essay.week)
        return EssayView(cut, essay.week, weeks[weeks > essay.week], "")
    last = weeks[-1]
    where = "ends before" if last < essay.week else "starts after"
    note = (
        f"This snapshot {where} the essay's {essay.label}, so its claims are judged on its last "
        f"week, the {week_label(last)}."
    )
    return EssayView(snap, last, weeks[:0], note)


def upto(snap: Snapshot, week: pd.Timestamp) -> Snapshot:
    """The snapshot cut after ``week``: its weekly rows (and provenance) up to that week, the
    same models and authors, and a fingerprint of its own (so caches keep the two apart)."""
    if week >= snap.weeks[-1]:
        return snap
    weekly = snap.weekly[snap.weekly["week"] <= week].reset_index(drop=True)
    provenance = snap.provenance
    if provenance is not None:
        dates = pd.to_datetime(provenance["week"], format="%Y-%m-%d")
        provenance = provenance[dates <= week].reset_index(drop=True)
    digest = hashlib.sha256(f"{snap.fingerprint}:upto:{week:%Y-%m-%d}".encode()).hexdigest()
    whole = snap.whole or snap
    return replace(snap, weekly=weekly, provenance=provenance, fingerprint=digest, whole=whole)
