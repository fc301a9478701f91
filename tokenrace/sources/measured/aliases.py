"""Permaslugs (``tencent/hy3-preview-20260421:free``) mapped to the snapshot's model slugs.

The rules, in order, for a permaslug:

1. The ``:free`` suffix marks a free variant: it is removed, and the row's tokens count toward
   the base model and, apart, toward its free tokens. (``is_free`` in the files is unreliable;
   only the suffix decides.) Any other ``:variant`` is removed too and counts as paid.
2. The explicit table ``aliases.csv`` (``permaslug,slug,note``) is looked up with the
   permaslug without its variant, then without its date suffix; it handles renamings
   (``anthropic/claude-4.6-sonnet`` is ``anthropic/claude-sonnet-4.6``) and capitals, which a
   permaslug may hold but a model slug may not (``perplexity/pplx-embed-v1-0.6B``).
3. Otherwise the permaslug without its variant is a model of ``models.csv`` as it stands, or
   else without a trailing date suffix, ``-YYYYMMDD``, ``-YYYY-MM-DD`` or ``-MM-DD``.
4. Otherwise it is **unmatched**: it keeps the slug of rule 3 (date suffix removed) and is
   listed in the import's unmatched table, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tokenrace.sources.inputs import SourcesError, cell_error

FREE_SUFFIX = ":free"
ALIAS_COLUMNS = ("permaslug", "slug", "note")
_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{2})$")
#: A permaslug as OpenRouter writes it: lower case but for the odd capital
#: (``perplexity/pplx-embed-v1-0.6B``), which only the alias table can map to a model slug.
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:-]*")


@dataclass(frozen=True)
class Resolved:
    """A permaslug resolved: the model ``slug``, whether the row is ``free``, and ``how``
    (``table``, ``as is``, ``date suffix removed`` or ``unmatched``)."""

    permaslug: str
    slug: str
    free: bool
    how: str

    @property
    def matched(self) -> bool:
        """False when the slug is not a model of ``models.csv`` (rule 4)."""
        return self.how != "unmatched"


def strip_date(slug: str) -> str:
    """``slug`` without a trailing ``-YYYYMMDD``, ``-YYYY-MM-DD`` or ``-MM-DD`` date suffix."""
    return _DATE_SUFFIX.sub("", slug)


class Aliases:
    """The alias rules over the table ``aliases`` (permaslug to slug) and the known models."""

    def __init__(self, table: dict[str, str], models: set[str]) -> None:
        self.table = table
        self.models = models

    def resolve(self, permaslug: str) -> Resolved:
        """Apply the rules of this module to one permaslug."""
        base, _, variant = permaslug.partition(":")
        free = variant == FREE_SUFFIX[1:]
        stripped = strip_date(base)
        for key in (base, stripped):
            if key in self.table:
                return Resolved(permaslug, self.table[key], free, "table")
        if base in self.models:
            return Resolved(permaslug, base, free, "as is")
        if stripped in self.models:
            return Resolved(permaslug, stripped, free, "date suffix removed")
        return Resolved(permaslug, stripped, free, "unmatched")


def read_models(path: Path) -> set[str]:
    """The model slugs of a ``models.csv`` (its ``model`` column)."""
    if not path.is_file():
        raise SourcesError(f"{path} not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "model" not in frame.columns:
        raise SourcesError(f"{path.name}: column 'model' is missing from the header")
    return set(frame["model"])


def read_countries(path: Path) -> dict[str, str]:
    """Each author's country (ISO 3166-1 alpha-2, empty when undisclosed) from an
    ``authors.csv`` (``author``, ``country`` columns)."""
    if not path.is_file():
        raise SourcesError(f"{path} not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("author", "country"):
        if column not in frame.columns:
            raise SourcesError(f"{path.name}: column '{column}' is missing from the header")
    return dict(zip(frame["author"], frame["country"].str.strip(), strict=True))


def read_aliases(path: Path, models: set[str]) -> Aliases:
    """``aliases.csv`` checked cell by cell: a permaslug without variant, unique; a slug that is
    a model of ``models``; a note saying why. A bad cell raises
    :class:`~tokenrace.sources.inputs.SourcesError` naming the file, row and column."""
    if not path.is_file():
        raise SourcesError(f"{path} not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ALIAS_COLUMNS:
        if column not in frame.columns:
            raise SourcesError(f"{path.name}: column '{column}' is missing from the header")
    table: dict[str, str] = {}
    for i, row in enumerate(frame.itertuples(index=False)):
        if not _SLUG.fullmatch(row.permaslug) or ":" in row.permaslug:
            problem = f"{row.permaslug!r} is not a permaslug author/name without a variant"
            raise cell_error(path.name, i, "permaslug", problem)
        if row.permaslug in table:
            raise cell_error(path.name, i, "permaslug", f"{row.permaslug!r} is listed twice")
        if row.slug not in models:
            raise cell_error(path.name, i, "slug", f"{row.slug!r} is not a model of models.csv")
        if not row.note.strip():
            raise cell_error(path.name, i, "note", "is empty: say why")
        table[row.permaslug] = row.slug
    return Aliases(table, models)
