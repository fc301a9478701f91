"""The committed import (``data/sources/measured.csv`` and its side tables) is what the importer
writes from the public raw files in ``../shared/sources/raw``, byte for byte; the manifest names
the commits those files were read at; and no raw file is committed.

The raw folder sits beside a developer's checkout and CI's, never in the repository: in a
reader's clone it is absent, and the tests that need it are skipped with that reason."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from tokenrace.snapshot.layout import MEASURED_FILE
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, RAW_SOURCES_DIR, REPO_ROOT
from tokenrace.sources.measured import data_api, ranking_files, readings
from tokenrace.sources.measured.importer import import_sources, side_files
from tokenrace.sources.measured.upstream import commits, read_upstream, sha256

SOURCES = DEFAULT_DATA_DIR / "sources"
COMMITTED = SOURCES / MEASURED_FILE

needs_raw = pytest.mark.skipif(
    not (RAW_SOURCES_DIR / "UPSTREAM.csv").is_file(),
    reason=f"{RAW_SOURCES_DIR} is absent (as in a reader's clone): the committed "
    f"data/sources/{MEASURED_FILE} cannot be regenerated from the raw files here",
)


@needs_raw
def test_the_committed_import_is_regenerated_byte_for_byte(tmp_path):
    out = tmp_path / MEASURED_FILE
    written = import_sources(
        RAW_SOURCES_DIR, out, sources=SOURCES, models=DEFAULT_DATA_DIR / "models.csv"
    )
    for new, old in zip(
        (written.anchors, *side_files(out)), (COMMITTED, *side_files(COMMITTED)), strict=True
    ):
        assert new.read_bytes() == old.read_bytes(), (
            f"data/sources/{old.name} is not what the importer writes from {RAW_SOURCES_DIR}: "
            "rerun `python -m tokenrace sources import`"
        )


@needs_raw
def test_the_manifest_names_the_commits_the_raw_files_were_read_at():
    table = read_upstream(RAW_SOURCES_DIR)
    with (SOURCES / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        retrieved = {row["id"]: row["retrieved"].split("; ") for row in csv.DictReader(handle)}
    for source_id, folder in (
        (ranking_files.SOURCE_ID, ranking_files.FOLDER),
        (readings.SOURCE_ID, readings.FOLDER),
        (data_api.SOURCE_ID, data_api.FOLDER),
    ):
        upstream = commits(table, folder)
        assert len(retrieved[source_id]) == len(upstream), source_id
        for short, full in zip(retrieved[source_id], upstream, strict=True):
            assert full.startswith(short), f"{source_id}: {short} is not {full}"


def _tracked() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    return [REPO_ROOT / name for name in listed.decode().split("\0") if name]


def test_no_raw_file_is_committed():
    git = subprocess.run(["git", "rev-parse"], cwd=REPO_ROOT, capture_output=True, check=False)
    if git.returncode != 0:
        pytest.skip("not a git checkout: nothing to look for")
    # Not even as test fixtures: the importer's tests write their invented raw files at run time
    # (tests/rawsources.py), and commit only what the importer derives from them.
    tracked = _tracked()
    names = [
        p.relative_to(REPO_ROOT).as_posix()
        for p in tracked
        if p.name in {"rankings.json", "openrouter-usage.json", "openrouter.json", "UPSTREAM.csv"}
        or (
            p.parent.name in {"ranking-files", "llm-carbon-index"}
            and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.json", p.name)
        )
    ]
    assert names == [], f"raw upstream files, or files in their shape, are committed: {names}"
    if (RAW_SOURCES_DIR / "UPSTREAM.csv").is_file():
        hashes = {row.sha256 for row in read_upstream(RAW_SOURCES_DIR).values()}
        copies = [p.name for p in tracked if p.is_file() and sha256(p) in hashes]
        assert copies == [], f"byte-for-byte copies of raw files are committed: {copies}"
