"""The import: raw measurement files in, derived anchors, refusals and unmatched permaslugs out.

``import_sources(raw, out, ...)`` first checks every raw file against ``raw/UPSTREAM.csv``
(:mod:`.upstream`: a changed, missing or unlisted file stops the import by name), then reads
``raw/ranking-files/``, ``raw/rankings-page/`` and ``raw/data-api/`` (any may be absent, not
all), the manifest (for grades), the alias table and the snapshot's ``models.csv``, and writes
three CSV files:

- ``out`` (e.g. ``anchors.csv``): the derived anchors in the columns of
  ``data/sources/anchors.csv`` plus ``source_id``, sorted by ``id``;
- ``out`` with ``.refused.csv`` for ``.csv`` (``anchors.refused.csv``): one row per refused file
  and reason (``source_id,file,week,fetched_at,reason,detail``);
- ``out`` with ``.unmatched.csv``: every permaslug that matched no model
  (``permaslug,emitted_as,rows,files``).

Every number is written from exact arithmetic with fixed decimals, and every row is sorted, so
the same raw files give byte-identical files on any machine.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tokenrace.sources.inputs import SourcesError
from tokenrace.sources.measured import coverage, data_api, ranking_files, readings, upstream
from tokenrace.sources.measured.aliases import (
    Resolved,
    read_aliases,
    read_countries,
    read_models,
)
from tokenrace.sources.measured.manifest import grade_of, read_manifest

ANCHOR_COLUMNS = (
    "id",
    "kind",
    "subject",
    "week",
    "weeks",
    "value",
    "low",
    "high",
    "unit",
    "role",
    "grade",
    "source",
    "note",
    "source_id",
    "days",
)
REFUSED_COLUMNS = ("source_id", "file", "week", "fetched_at", "reason", "detail")
UNMATCHED_COLUMNS = ("permaslug", "emitted_as", "rows", "files")


@dataclass(frozen=True)
class Written:
    """What an import wrote: the three files and their row counts."""

    anchors: Path
    refused: Path
    unmatched: Path
    counts: dict[str, int]


def side_files(out: Path) -> tuple[Path, Path]:
    """The refusal and unmatched tables written beside ``out``."""
    stem = out.name.removesuffix(".csv")
    return out.with_name(f"{stem}.refused.csv"), out.with_name(f"{stem}.unmatched.csv")


def import_sources(
    raw: Path,
    out: Path,
    sources: Path,
    models: Path,
    log: Callable[[str], None] = lambda _m: None,
    authors: Path | None = None,
) -> Written:
    """Import the raw files of ``raw`` into anchors at ``out`` (and the two side tables).

    ``sources`` holds ``manifest.csv`` and ``aliases.csv``; ``models`` is the snapshot's
    ``models.csv``; ``authors`` its ``authors.csv`` (default: beside ``models``), which gives the
    country of every author a reading names (an author missing there stops the import).
    Raises :class:`~tokenrace.sources.inputs.SourcesError` (or its subclass
    :class:`~.raw.RawSourceError`) with a readable message on any malformed input; nothing is
    written then.
    """
    folders = (ranking_files.FOLDER, readings.FOLDER, data_api.FOLDER)
    if not any((raw / f).is_dir() for f in folders):
        raise SourcesError(
            f"{raw}: holds none of {', '.join(f + '/' for f in folders)} (nothing to import)"
        )
    table = upstream.verify(raw, folders)
    log(f"{upstream.UPSTREAM_FILE}: {len(table)} file(s) listed, every SHA-256 matches")
    manifest = read_manifest(sources / "manifest.csv")
    aliases = read_aliases(sources / "aliases.csv", read_models(models))
    countries = read_countries(authors if authors else models.with_name("authors.csv"))

    files, refused = ranking_files.keep_one_per_week(ranking_files.read_folder(raw, log))
    grade = grade_of(manifest, ranking_files.SOURCE_ID)
    anchors: list[dict[str, str]] = []
    unmatched: list[tuple[Resolved, str]] = []
    for f in files:
        rows, missed = ranking_files.file_anchors(f, aliases, grade)
        anchors += rows
        unmatched += [(r, f.shown) for r in missed]
    file_models = {f.week.isoformat(): ranking_files.model_tokens(f, aliases) for f in files}

    kept, refused_readings = readings.keep(readings.read_folder(raw, log))
    refused += refused_readings
    grade = grade_of(manifest, readings.SOURCE_ID)
    for r in kept:
        whole = file_models.get(r.week)
        anchors += readings.reading_anchors(r, grade, countries, measured_whole=whole is not None)
        rows, missed = coverage.listed_anchors(
            r, aliases, grade, readings.common_columns(r, grade), whole
        )
        anchors += rows
        unmatched += [(m, r.shown) for m in missed]

    days = data_api.read_days(raw, log)
    if days:
        rows, missed = data_api.week_anchors(
            days,
            aliases,
            grade_of(manifest, data_api.SOURCE_ID),
            lambda shown: table[shown].path if shown in table else shown,
        )
        anchors += rows
        unmatched += missed

    for row in sorted(refused, key=lambda r: (r["file"], r["reason"])):
        log(f"refused {row['file']}: {row['reason']} ({row['detail']})")
    for permaslug, emitted, _rows, _files in _unmatched_rows(unmatched):
        log(f"unmatched permaslug {permaslug}: kept as {emitted} (role context)")

    _check_ids(anchors)
    refused_path, unmatched_path = side_files(out)
    counts = {
        "anchors": _write(out, ANCHOR_COLUMNS, sorted(anchors, key=lambda a: a["id"])),
        "refused": _write(
            refused_path,
            REFUSED_COLUMNS,
            sorted(refused, key=lambda r: (r["source_id"], r["file"], r["reason"])),
        ),
        "unmatched": _write(
            unmatched_path,
            UNMATCHED_COLUMNS,
            [dict(zip(UNMATCHED_COLUMNS, row, strict=True)) for row in _unmatched_rows(unmatched)],
        ),
    }
    log(
        f"wrote {counts['anchors']} anchor(s) to {out}, {counts['refused']} refusal(s) to "
        f"{refused_path.name}, {counts['unmatched']} unmatched permaslug(s) to "
        f"{unmatched_path.name}"
    )
    return Written(out, refused_path, unmatched_path, counts)


def _unmatched_rows(unmatched: list[tuple[Resolved, str]]) -> list[tuple[str, str, str, str]]:
    grouped: dict[str, tuple[str, list[str]]] = {}
    for resolved, shown in unmatched:
        grouped.setdefault(resolved.permaslug, (resolved.slug, []))[1].append(shown)
    return [
        (p, slug, str(len(shown)), "; ".join(sorted(set(shown))))
        for p, (slug, shown) in sorted(grouped.items())
    ]


def _check_ids(anchors: list[dict[str, str]]) -> None:
    seen: set[str] = set()
    for a in anchors:
        if a["id"] in seen:
            raise SourcesError(f"two derived anchors share the id {a['id']}: {a['source']}")
        seen.add(a["id"])


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
