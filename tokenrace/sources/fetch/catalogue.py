"""Models from a committed ``models.csv`` instead of the models API: a replay's catalogue.

No models listing was archived beside the Data API replies, so a replay
(:mod:`~tokenrace.sources.fetch.replay`) takes each model's ``name``, ``author``,
``open_weights``, ``released`` and prices (**USD per million tokens**) from a ``models.csv`` in the
data contract, by default the committed ``data/models.csv``, and ``authors.csv`` as every fetch
does (by default ``data/authors.csv``).

- **Permaslugs to slugs** follow the project's alias rules
  (:mod:`tokenrace.sources.measured.aliases`, with ``data/sources/aliases.csv``), as the importer
  of measured sources does: the ``:free`` and every other ``:variant`` suffix removed, the alias
  table looked up, then the slug as it stands, or without a date suffix (``-YYYYMMDD``,
  ``-YYYY-MM-DD``, ``-MM-DD``). No rule of its own.
- **Unknown permaslugs.** One that maps to no model of the file has no name, author or release
  date: the fetch counts its tokens in ``other`` (``processing.unlisted_folded_into_other``) and
  lists it in its output.
- **Rows** are copied as they stand, but for ``price_source``, which is prefixed with where the
  row was copied from (``From data/models.csv, no models listing archived: …``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from tokenrace.snapshot import contract as c
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, REPO_ROOT
from tokenrace.sources.fetch.settings import FetchError
from tokenrace.sources.measured.upstream import sha256

#: The committed files a replay reads by default.
DEFAULT_MODELS = DEFAULT_DATA_DIR / c.MODELS_FILE
DEFAULT_ALIASES = DEFAULT_DATA_DIR / "sources" / "aliases.csv"


def shown(path: Path) -> str:
    """``path`` relative to the checkout when it lies inside it (``data/models.csv``) or beside
    it (``../shared/sources/raw/...``), else as an absolute path."""
    path = Path(path).absolute()
    for root, prefix in ((REPO_ROOT, ""), (REPO_ROOT.parent, "../")):
        if path.is_relative_to(root):
            return prefix + path.relative_to(root).as_posix()
    return str(path)


class ModelsCsv:
    """The models of a ``models.csv``, looked up by a usage permaslug with the alias rules
    (a :class:`~tokenrace.sources.fetch.tables.Catalogue`).

    ``models`` is the ``models.csv`` to copy rows from, ``aliases`` the alias table
    (``permaslug,slug,note``, checked against ``models``). A file that cannot be read, lacks a
    column or lists a model twice raises :class:`~tokenrace.sources.fetch.settings.FetchError`.
    """

    def __init__(self, models: Path = DEFAULT_MODELS, aliases: Path = DEFAULT_ALIASES):
        from tokenrace.sources.inputs import SourcesError
        from tokenrace.sources.measured.aliases import read_aliases, read_models

        self.path = Path(models)
        self.aliases_path = Path(aliases)
        self.name = shown(self.path)
        self.rows = _read_rows(self.path)
        try:
            self.aliases = read_aliases(self.aliases_path, read_models(self.path))
        except SourcesError as err:
            where = shown(self.aliases_path)
            raise FetchError(f"cannot map permaslugs with {where}: {err}") from None

    def model(self, permaslug: str) -> str | None:
        """The ``models.csv`` slug of a permaslug by the alias rules, or None when unmatched."""
        resolved = self.aliases.resolve(permaslug)
        return resolved.slug if resolved.matched else None

    def row(self, model: str, as_of: str) -> dict[str, str]:
        """The model's row as the file gives it; ``price_source`` says it was copied.

        ``as_of`` is not used: the prices are those of the file, whatever the snapshot's date.
        """
        row = dict(self.rows[model])
        copied = f"From {self.name}, no models listing archived"
        row["price_source"] = f"{copied}: {row['price_source']}" if row["price_source"] else copied
        return row

    def provenance(self) -> dict[str, str]:
        """The files read and their SHA-256, for ``processing.replay.models``."""
        return {
            "models": self.name,
            "models_sha256": sha256(self.path),
            "aliases": shown(self.aliases_path),
            "aliases_sha256": sha256(self.aliases_path),
        }


def _read_rows(path: Path) -> dict[str, dict[str, str]]:
    """The rows of a ``models.csv`` by model slug, every column of the contract present."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [k for k in c.MODELS_COLUMNS if k not in (reader.fieldnames or [])]
            if missing:
                raise FetchError(f"{shown(path)} has no column {', '.join(missing)}")
            rows: dict[str, dict[str, str]] = {}
            for line, row in enumerate(reader, start=2):
                if row["model"] in rows:
                    raise FetchError(f"{shown(path)}, row {line}: {row['model']} is listed twice")
                rows[row["model"]] = {k: row[k] or "" for k in c.MODELS_COLUMNS}
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise FetchError(f"cannot read the models file {shown(path)}: {err}") from None
    return rows
