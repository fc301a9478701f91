"""``UPSTREAM.csv``: where every raw file comes from, and its SHA-256, checked before an import.

The raw folder (``../shared/sources/raw`` beside a checkout) holds public archives copied file
for file. Its ``UPSTREAM.csv`` names, for each file (``file``, a path inside the folder), the
``upstream_repo``, the ``upstream_commit`` it was read at, its ``upstream_path`` there and its
``sha256``. Before anything is read, :func:`verify` hashes every raw file the importer would
read and compares it with that table: a file that changed, a listed file that is missing, and a
file the table does not list are each refused by name, and nothing is imported. So the committed
anchors always come from the files the table describes.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tokenrace.sources.inputs import SourcesError

UPSTREAM_FILE = "UPSTREAM.csv"
UPSTREAM_COLUMNS = ("file", "upstream_repo", "upstream_commit", "upstream_path", "sha256")


class UpstreamError(SourcesError):
    """A raw file does not match ``UPSTREAM.csv`` (changed, missing or unlisted)."""


@dataclass(frozen=True)
class Upstream:
    """One row of ``UPSTREAM.csv``."""

    file: str
    repo: str
    commit: str
    path: str
    sha256: str


def read_upstream(raw: Path) -> dict[str, Upstream]:
    """``raw/UPSTREAM.csv`` by file (its path inside ``raw``). A missing table, column or cell
    raises :class:`UpstreamError` naming the file, row and column."""
    path = raw / UPSTREAM_FILE
    if not path.is_file():
        raise UpstreamError(
            f"{path}: not found; the raw folder must list every file with its SHA-256 "
            "(see ../shared/sources/raw/README.md)"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in UPSTREAM_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UpstreamError(f"{UPSTREAM_FILE}: column '{missing[0]}' is missing")
        table: dict[str, Upstream] = {}
        for line, row in enumerate(reader, start=2):
            for column in UPSTREAM_COLUMNS:
                if not (row.get(column) or "").strip():
                    raise UpstreamError(f"{UPSTREAM_FILE}, row {line}, column '{column}': empty")
            if row["file"] in table:
                raise UpstreamError(
                    f"{UPSTREAM_FILE}, row {line}, column 'file': {row['file']} is listed twice"
                )
            table[row["file"]] = Upstream(
                row["file"],
                row["upstream_repo"],
                row["upstream_commit"],
                row["upstream_path"],
                row["sha256"].lower(),
            )
    return table


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(raw: Path, folders: Iterable[str]) -> dict[str, Upstream]:
    """Check every file under ``raw/<folder>/`` for each of ``folders`` against
    ``UPSTREAM.csv``, and that every file the table lists in those folders exists. Returns the
    table. Raises :class:`UpstreamError` listing every changed, missing and unlisted file."""
    table = read_upstream(raw)
    folders = [f.rstrip("/") for f in folders]
    present = sorted(
        p.relative_to(raw).as_posix()
        for folder in folders
        if (raw / folder).is_dir()
        for p in (raw / folder).rglob("*")
        if p.is_file()
    )
    problems = []
    for name in present:
        row = table.get(name)
        if row is None:
            problems.append(f"{name}: not listed in {UPSTREAM_FILE}")
        elif (found := sha256(raw / name)) != row.sha256:
            problems.append(
                f"{name}: changed (SHA-256 {found[:12]}…, {UPSTREAM_FILE} says {row.sha256[:12]}…)"
            )
    listed = [n for n in table if any(n.startswith(f + "/") for f in folders)]
    problems += [f"{n}: listed in {UPSTREAM_FILE} but missing" for n in listed if n not in present]
    if problems:
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        shown = "; ".join(problems[:5]) + more
        raise UpstreamError(
            f"{raw}: {len(problems)} raw file(s) do not match {UPSTREAM_FILE}, nothing imported: "
            f"{shown}"
        )
    return table


def commits(table: dict[str, Upstream], folder: str) -> list[str]:
    """The upstream commits the files of ``folder`` were read at, in order of first listing."""
    seen: list[str] = []
    for row in table.values():
        if row.file.startswith(folder.rstrip("/") + "/") and row.commit not in seen:
            seen.append(row.commit)
    return seen
