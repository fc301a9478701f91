"""``data/sources/manifest.csv``: one row per source id that an anchor may name.

Columns: ``id`` (lower-case, ``a-z0-9_``, unique), ``title``, ``url`` (an ``http(s)://``
address, or ``not recorded``), ``retrieved`` (the upstream commit read, 7 to 40 hex digits, or
several joined by ``; `` where the files were read at more than one commit; or the date of the
version cited, ``YYYY-MM-DD`` or ``YYYY-MM``; or ``pending`` while the raw
files have not been supplied), ``licence``, ``attribution``, ``measures`` (window, coverage,
units), ``defects`` (may be empty) and ``grade`` (A, B or C: the grades of ``data/README.md``).

The reader checks every cell like the other sources files: a bad one raises
:class:`~tokenrace.sources.inputs.SourcesError` naming the file, the row (line number, the
header being line 1) and the column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tokenrace.sources.inputs import GRADE_HALF_WIDTH, SourcesError, cell_error

MANIFEST_COLUMNS = (
    "id",
    "title",
    "url",
    "retrieved",
    "licence",
    "attribution",
    "measures",
    "defects",
    "grade",
)
#: Columns that may be empty.
OPTIONAL = ("defects",)
NO_URL = "not recorded"
PENDING = "pending"
_ID = re.compile(r"[a-z0-9_]+")
_RETRIEVED = re.compile(r"[0-9a-f]{7,40}(?:; [0-9a-f]{7,40})*|\d{4}-\d{2}(?:-\d{2})?")


def read_manifest(path: Path) -> pd.DataFrame:
    """The manifest as text columns, indexed by nothing (one row per source id), checked."""
    if not path.is_file():
        raise SourcesError(f"{path} not found")
    name = path.name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in MANIFEST_COLUMNS:
        if column not in frame.columns:
            raise SourcesError(f"{name}: column '{column}' is missing from the header")
    seen: set[str] = set()
    for i, row in enumerate(frame[list(MANIFEST_COLUMNS)].itertuples(index=False)):
        for column in MANIFEST_COLUMNS:
            if column not in OPTIONAL and not getattr(row, column).strip():
                raise cell_error(name, i, column, "is empty")
        if not _ID.fullmatch(row.id):
            raise cell_error(name, i, "id", f"{row.id!r} is not an id (a-z, 0-9, _)")
        if row.id in seen:
            raise cell_error(name, i, "id", f"{row.id!r} is listed twice")
        seen.add(row.id)
        if not (row.url.startswith(("https://", "http://")) or row.url == NO_URL):
            raise cell_error(name, i, "url", f"{row.url!r} is not an http(s) address")
        if not (_RETRIEVED.fullmatch(row.retrieved) or row.retrieved == PENDING):
            problem = f"{row.retrieved!r} is not a commit, a date or '{PENDING}'"
            raise cell_error(name, i, "retrieved", problem)
        if _RETRIEVED.fullmatch(row.retrieved) and "-" in row.retrieved:
            _check_date(name, i, row.retrieved)
        if row.grade not in GRADE_HALF_WIDTH:
            raise cell_error(name, i, "grade", f"{row.grade!r} is not A, B or C")
    return frame


def _check_date(name: str, i: int, text: str) -> None:
    full = text if len(text) == 10 else text + "-01"
    if pd.to_datetime(full, format="%Y-%m-%d", errors="coerce") is pd.NaT:
        raise cell_error(name, i, "retrieved", f"{text!r} is not a real date")


def grade_of(manifest: pd.DataFrame, source_id: str) -> str:
    """The grade of ``source_id``; raises :class:`SourcesError` if the manifest lacks it."""
    found = manifest.loc[manifest["id"] == source_id, "grade"]
    if found.empty:
        raise SourcesError(f"manifest.csv: no row for the source id '{source_id}'")
    return str(found.iloc[0])
