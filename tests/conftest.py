"""Shared fixtures: a fresh copy of the tiny snapshot, helpers to break it, and a CLI runner."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bookbuild import CHROMIUM, CHROMIUM_ARGS, TEST_REMOTE, Build, build_book, copy_tree
from tokenrace.snapshot.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR, REPO_ROOT

TESTS_DIR = Path(__file__).resolve().parent
TINY_DIR = TESTS_DIR / "fixtures" / "tiny"
SNAPSHOT_NAMES = ("weekly_tokens.csv", "models.csv", "authors.csv", "datapackage.json")


class SnapshotFolder(os.PathLike):
    """A writable snapshot folder (usable wherever a path is) with helpers to break its files.

    Rows are addressed by their line number in the file, the header being line 1, which is how
    the validator reports them. Every helper rewrites the whole file with LF line ends.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    # -- reading and writing whole files ---------------------------------------------------------

    def rows(self, name: str) -> list[list[str]]:
        """Every record of a CSV file, header first."""
        with (self.path / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle))

    def write_rows(self, name: str, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (self.path / name).write_text(buffer.getvalue(), encoding="utf-8", newline="")

    def text(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        (self.path / name).write_text(text, encoding="utf-8", newline="")

    def replace_text(self, name: str, old: str, new: str) -> None:
        """Replace the single occurrence of ``old`` in a file (fails if it is not exactly once)."""
        text = self.text(name)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
        self.write_text(name, text.replace(old, new))

    def zero_week(self, week: str, keep: int = 0) -> list[int]:
        """Set ``tokens`` (and ``free_tokens`` where given) to 0 in the rows of ``week`` of
        ``weekly_tokens.csv``, all but its last ``keep`` rows; returns the week's line numbers."""
        header, *body = self.rows("weekly_tokens.csv")
        columns = [header.index(c) for c in ("tokens", "free_tokens") if c in header]
        lines = [n for n, row in enumerate(body, start=2) if row[header.index("week")] == week]
        for line in lines[: len(lines) - keep]:
            row = body[line - 2]
            for column in columns:
                row[column] = "0" if row[column] else row[column]
        self.write_rows("weekly_tokens.csv", [header, *body])
        return lines

    def file_bytes(self) -> dict[str, bytes]:
        """The bytes of every file under the folder, keyed by relative path."""
        return {
            str(p.relative_to(self.path)): p.read_bytes()
            for p in sorted(self.path.rglob("*"))
            if p.is_file()
        }

    # -- edits addressed by line number and column -----------------------------------------------

    def cell(self, name: str, line: int, column: str) -> str:
        rows = self.rows(name)
        return rows[line - 1][rows[0].index(column)]

    def set_cell(self, name: str, line: int, column: str, value: str) -> None:
        """Set the cell at ``line`` (header = 1) and ``column`` of a CSV file."""
        rows = self.rows(name)
        assert line >= 2, "line 1 is the header"
        rows[line - 1][rows[0].index(column)] = value
        self.write_rows(name, rows)

    def add_row(self, name: str, values: dict[str, str]) -> int:
        """Append a row (missing columns are empty); return its line number."""
        rows = self.rows(name)
        unknown = set(values) - set(rows[0])
        assert not unknown, f"not columns of {name}: {unknown}"
        rows.append([values.get(column, "") for column in rows[0]])
        self.write_rows(name, rows)
        return len(rows)

    def drop_rows(self, name: str, lines: list[int]) -> None:
        """Delete the rows at the given line numbers (the header cannot be dropped)."""
        assert 1 not in lines, "line 1 is the header"
        rows = self.rows(name)
        self.write_rows(name, [row for i, row in enumerate(rows, start=1) if i not in lines])

    def drop_column(self, name: str, column: str) -> None:
        rows = self.rows(name)
        index = rows[0].index(column)
        self.write_rows(name, [row[:index] + row[index + 1 :] for row in rows])

    def add_column(self, name: str, column: str, value: str = "") -> None:
        rows = self.rows(name)
        self.write_rows(name, [[*rows[0], column]] + [[*row, value] for row in rows[1:]])


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    """Tests start with ``$TOKENRACE_DATA`` unset, so the default is the committed data/."""
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)


def copy_tiny(target: Path) -> SnapshotFolder:
    """Copy tests/fixtures/tiny (a valid snapshot) to ``target``, which must not exist yet."""
    return SnapshotFolder(shutil.copytree(TINY_DIR, target))


@pytest.fixture
def tiny_snapshot(tmp_path) -> SnapshotFolder:
    """A fresh, writable copy of tests/fixtures/tiny (a valid snapshot)."""
    return copy_tiny(tmp_path / "tiny")


@pytest.fixture(scope="session")
def tiny_factory(tmp_path_factory):
    """Make fresh copies of the tiny snapshot from fixtures of any scope: ``tiny_factory(name)``."""

    def make(name: str) -> SnapshotFolder:
        return copy_tiny(tmp_path_factory.mktemp(name) / "tiny")

    return make


@pytest.fixture(scope="session")
def data_factory(tmp_path_factory):
    """Make fresh copies of the whole committed data/ folder, a reconstructed snapshot
    (``provenance.csv`` and ``sources/`` included), from fixtures of any scope:
    ``data_factory(name)``."""

    def make(name: str) -> SnapshotFolder:
        return SnapshotFolder(
            shutil.copytree(DEFAULT_DATA_DIR, tmp_path_factory.mktemp(name) / "data")
        )

    return make


@pytest.fixture
def data_copy(tmp_path) -> SnapshotFolder:
    """A fresh, writable copy of the committed snapshot files in data/ (without sources/)."""
    target = tmp_path / "data"
    target.mkdir()
    for name in SNAPSHOT_NAMES:
        shutil.copyfile(DEFAULT_DATA_DIR / name, target / name)
    return SnapshotFolder(target)


def run_tokenrace(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m tokenrace ARGS`` in a subprocess with ``$TOKENRACE_DATA`` unset.

    ``env`` adds variables to the environment of the subprocess.
    """
    full_env = {k: v for k, v in os.environ.items() if k != DATA_ENV_VAR}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tokenrace", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def run_tokenrace_many(
    jobs: dict[str, tuple[tuple[str, ...], dict[str, str] | None]],
) -> dict[str, subprocess.CompletedProcess]:
    """Run several ``python -m tokenrace`` subprocesses at once (one per CPU); keyed like ``jobs``.

    Each job is ``(args, env)`` as for :func:`run_tokenrace`. Running them side by side keeps the
    suite fast: most of each run is the interpreter importing pandas and pandera.
    """
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {
            key: pool.submit(run_tokenrace, *args, env=env) for key, (args, env) in jobs.items()
        }
        return {key: future.result() for key, future in futures.items()}


@pytest.fixture(scope="session")
def cli():
    """The subprocess runner of ``python -m tokenrace`` (see :func:`run_tokenrace`)."""
    return run_tokenrace


@pytest.fixture(scope="session")
def cli_many():
    """Run many ``python -m tokenrace`` subprocesses side by side (:func:`run_tokenrace_many`)."""
    return run_tokenrace_many


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The whole book, built once with the strict flags from a checkout with a GitHub remote."""
    src = copy_tree(tmp_path_factory.mktemp("book") / "src", remote=TEST_REMOTE)
    built = build_book(src)
    if built.returncode != 0:
        pytest.fail(f"strict book build failed (exit {built.returncode}):\n{built.log[-6000:]}")
    return built


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright, shared by the browser tests."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian package chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
