"""``python -m tokenrace validate`` on malformed copies of the reconstructed snapshot (issue 23).

Each case breaks one file of a fresh copy of the committed data/ (``weekly_tokens.csv``,
``models.csv``, ``authors.csv``, ``datapackage.json``, ``provenance.csv`` and ``sources/``) and
runs ``python -m tokenrace validate`` on it in a subprocess. Every one must exit 1 with the
validator's report and nothing else: no traceback, the broken file named (with the row and column
where there is one: rows are line numbers in the file, the header being line 1), no file changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import SnapshotFolder
from test_validate import Expect, assert_reported

W, M, A, D, P = (
    "weekly_tokens.csv",
    "models.csv",
    "authors.csv",
    "datapackage.json",
    "provenance.csv",
)
#: The contract's CSV files of a reconstructed snapshot.
CSV_FILES = (W, M, A, P)
FIRST_COLUMN = {W: "week", M: "model", A: "author", P: "week"}


@dataclass(frozen=True)
class Breakage:
    """One way to break a copy of data/, and one problem line validate must print for it."""

    id: str
    edit: Callable[[SnapshotFolder], None]
    expected: Expect


def _separated(f: SnapshotFolder, name: str, separator: str) -> None:
    """Rewrite a CSV file with ``separator`` between its fields instead of commas."""
    rows = f.rows(name)
    f.write_text(name, "".join(separator.join(row) + "\n" for row in rows))


CASES: list[Breakage] = [
    *(
        Breakage(
            f"{label}-{name}",
            lambda f, name=name, sep=sep: _separated(f, name, sep),
            Expect(name, 1, FIRST_COLUMN[name], "is missing from the header"),
        )
        for name in (W,)
        for label, sep in (("semicolons", ";"), ("tabs", "\t"))
    ),
]


@dataclass
class Run:
    folder: SnapshotFolder
    before: dict[str, bytes]  # every file's bytes just before validate ran
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def runs(data_factory, cli_many) -> dict[str, Run]:
    """Every case's subprocess run, started side by side; keyed by case id."""
    folders = {}
    for case in CASES:
        folder = data_factory(re.sub(r"[^a-z0-9-]", "-", case.id))
        case.edit(folder)
        folders[case.id] = folder
    before = {key: folder.file_bytes() for key, folder in folders.items()}
    jobs = {key: (("validate", str(folder)), None) for key, folder in folders.items()}
    results = cli_many(jobs)
    return {
        key: Run(folders[key], before[key], r.returncode, r.stdout, r.stderr)
        for key, r in results.items()
    }


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_malformed_snapshot_is_refused_with_its_file_named(case: Breakage, runs) -> None:
    run = runs[case.id]
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    assert run.returncode == 1, output
    assert run.stdout == ""
    assert re.match(
        rf"{re.escape(str(run.folder))}: \d+ problem\(s\) with the data contract", run.stderr
    ), run.stderr
    assert "no file was changed" in run.stderr
    assert_reported(run.stderr, case.expected)
    assert run.folder.file_bytes() == run.before, "validate changed a file of the snapshot"


def test_the_cases_break_every_file() -> None:
    """Every file of a reconstructed snapshot is broken by some case."""
    broken = {case.expected.file for case in CASES}
    assert {W} <= broken
