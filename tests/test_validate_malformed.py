"""``python -m tokenrace validate`` on malformed copies of the reconstructed snapshot (issue 23).

Each case breaks one file of a fresh copy of the committed data/ (``weekly_tokens.csv``,
``models.csv``, ``authors.csv``, ``datapackage.json``, ``provenance.csv`` and ``sources/``) and
runs ``python -m tokenrace validate`` on it in a subprocess. Every one must exit 1 with the
validator's report and nothing else: no traceback, the broken file named (with the row and column
where there is one: rows are line numbers in the file, the header being line 1), no file changed.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import SnapshotFolder
from test_validate import Expect, Run, assert_reported

from tokenrace import check_snapshot, load_snapshot
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

W, M, A, D, P = (
    "weekly_tokens.csv",
    "models.csv",
    "authors.csv",
    "datapackage.json",
    "provenance.csv",
)
ANCHORS, KNOTS, FREE = "sources/anchors.csv", "sources/knots.csv", "sources/free_knots.csv"
MEASURED = "sources/measured.csv"
#: The CSV files of a reconstructed snapshot.
CSV_FILES = (W, M, A, P, ANCHORS, MEASURED, KNOTS, FREE)


@dataclass(frozen=True)
class Breakage:
    """One way to break a copy of data/, and one problem line validate must print for it."""

    id: str
    edit: Callable[[SnapshotFolder], None]
    expected: Expect
    #: The file broken, when the problem line is about another one that names it (models.csv
    #: left with its header only: "weekly_tokens.csv, row 2, ...: ... has no row in models.csv").
    broken: str | None = None

    @property
    def file(self) -> str:
        """The file (or folder) the case breaks, which validate's report must name."""
        return self.broken or self.expected.file


# -- edits ----------------------------------------------------------------------------------------


def _separated(f: SnapshotFolder, name: str, separator: str) -> None:
    """Rewrite a CSV file with ``separator`` between its fields instead of commas."""
    rows = f.rows(name)
    f.write_text(name, "".join(separator.join(row) + "\n" for row in rows))


def _insert(f: SnapshotFolder, name: str, line: int, data: bytes) -> None:
    """Insert ``data`` at the start of line ``line`` (the first being 1) of a file."""
    lines = (f / name).read_bytes().splitlines(keepends=True)
    lines[line - 1] = data + lines[line - 1]
    (f / name).write_bytes(b"".join(lines))


def _bytes(f: SnapshotFolder, name: str, edit: Callable[[bytes], bytes]) -> None:
    (f / name).write_bytes(edit((f / name).read_bytes()))


def _folder_instead(f: SnapshotFolder, name: str) -> None:
    """Replace a file by an empty folder of the same name."""
    (f / name).unlink()
    (f / name).mkdir()


def _header_only(f: SnapshotFolder, name: str) -> None:
    f.write_rows(name, f.rows(name)[:1])


def _rename_column(f: SnapshotFolder, name: str, old: str, new: str) -> None:
    header, *body = f.rows(name)
    f.write_rows(name, [[new if c == old else c for c in header], *body])


def _descriptor(f: SnapshotFolder, edit: Callable[[dict], object]) -> None:
    """Rewrite datapackage.json as the JSON of ``edit(descriptor)``."""
    f.write_text(D, json.dumps(edit(json.loads(f.text(D))), indent=2) + "\n")


def _without(meta: dict, key: str) -> dict:
    return {k: v for k, v in meta.items() if k != key}


def _records(name: str) -> list[dict[str, str]]:
    """The records of data/NAME. The committed files have no record spanning lines, so the
    record at index i is on line i + 2 (the header being line 1)."""
    with (DEFAULT_DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _first_line(name: str, test: Callable[[dict[str, str]], bool]) -> int:
    """The line number (header = 1) of the first record of data/NAME for which ``test`` holds."""
    return next(n for n, row in enumerate(_records(name), start=2) if test(row))


def _line_of(name: str, text: str) -> int:
    """The line number (the first being 1) of the first line of data/NAME holding ``text``."""
    lines = (DEFAULT_DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


# -- the table ------------------------------------------------------------------------------------

#: Lines of provenance.csv naming a point of each file of sources/ (a sourced value's anchor, an
#: assumed value's knot, an assumed free share's free knot).
SOURCED = _first_line(
    P,
    lambda row: row["class"] == "sourced" and row["point"] in {r["id"] for r in _records(ANCHORS)},
)
SOURCED_MEASURED = _first_line(
    P, lambda row: row["class"] == "sourced" and row["point"].startswith(("RF-", "DA-", "RP-"))
)
ASSUMED = _first_line(P, lambda row: row["class"] == "assumed" and ":free" not in row["series"])
ASSUMED_FREE = _first_line(P, lambda row: row["class"] == "assumed" and ":free" in row["series"])
#: What validate says when a file of sources/ is missing or empty: provenance names its points.
UNKNOWN_POINT = {
    ANCHORS: Expect(P, SOURCED, "point", "is no knot anchor of sources/anchors.csv"),
    MEASURED: Expect(P, SOURCED_MEASURED, "point", "or sources/measured.csv"),
    KNOTS: Expect(P, ASSUMED, "point", "and no knot of sources/knots.csv"),
    FREE: Expect(P, ASSUMED_FREE, "point", "or sources/free_knots.csv"),
}

#: A column of each CSV file, dropped or renamed by the cases.
SOME_COLUMN = {
    W: "tokens",
    M: "open_weights",
    A: "country",
    P: "class",
    ANCHORS: "grade",
    MEASURED: "unit",
    KNOTS: "low",
    FREE: "reason",
}
#: What validate says when a CSV file holds its header only.
HEADER_ONLY = {
    W: Expect(W, None, None, "no rows: a snapshot needs at least one week"),
    M: Expect(W, 2, "model", "has no row in models.csv"),
    A: Expect(M, 2, "author", "has no row in authors.csv"),
    P: Expect(P, None, "series", "has no row for all in the week of"),
    **UNKNOWN_POINT,
}
#: What validate says when a CSV file is missing.
MISSING = {
    **{name: Expect(name, None, None, "file not found in") for name in (W, M, A, ANCHORS, KNOTS)},
    P: Expect(P, None, None, "a snapshot with sources/ is reconstructed"),
    FREE: UNKNOWN_POINT[FREE],  # it may be left out, but provenance names its knots
    MEASURED: UNKNOWN_POINT[MEASURED],  # the same: provenance names its anchors
}


def _each_csv() -> list[Breakage]:
    """The breakages every CSV file of the snapshot gets."""
    cases = []
    for name in CSV_FILES:
        column = SOME_COLUMN[name]
        cases += [
            *(
                Breakage(
                    f"{label}-{name}",
                    lambda f, name=name, sep=sep: _separated(f, name, sep),
                    Expect(name, 1, None, f"comma-separated, and this header is {label}-separated"),
                )
                for label, sep in (("semicolon", ";"), ("tab", "\t"))
            ),
            Breakage(
                f"missing-column-{name}",
                lambda f, name=name, column=column: f.drop_column(name, column),
                Expect(name, 1, column, "is missing from the header"),
            ),
            Breakage(
                f"renamed-column-{name}",
                lambda f, name=name, column=column: _rename_column(f, name, column, "x"),
                Expect(name, 1, "x", "is not a column of the contract"),
            ),
            Breakage(
                f"empty-{name}",
                lambda f, name=name: f.write_text(name, ""),
                Expect(name, 1, None, "is empty: expected a header row"),
            ),
            Breakage(
                f"header-only-{name}",
                lambda f, name=name: _header_only(f, name),
                HEADER_ONLY[name],
                broken=name,
            ),
            Breakage(
                f"blank-line-{name}",
                lambda f, name=name: _insert(f, name, 3, b"\n"),
                Expect(name, 3, None, "has 0 fields"),
            ),
            Breakage(
                f"latin-1-{name}",
                lambda f, name=name: _insert(f, name, 3, b"caf\xe9,"),
                Expect(name, 3, None, "is not UTF-8 text (byte 0xe9"),
            ),
            Breakage(
                f"utf-16-{name}",
                lambda f, name=name: (f / name).write_bytes(f.text(name).encode("utf-16")),
                Expect(name, 1, None, "is not UTF-8 text (byte 0xff"),
            ),
            Breakage(
                f"bom-{name}",
                lambda f, name=name: _bytes(f, name, lambda b: b"\xef\xbb\xbf" + b),
                Expect(name, 1, None, "starts with a byte-order mark (BOM)"),
            ),
            Breakage(
                f"nul-{name}",
                lambda f, name=name: _insert(f, name, 4, b"\0"),
                Expect(name, 4, None, "holds a NUL character"),
            ),
            Breakage(
                f"folder-{name}",
                lambda f, name=name: _folder_instead(f, name),
                Expect(name, None, None, "is a folder, not a file"),
            ),
        ]
        cases.append(
            Breakage(
                f"missing-{name}",
                lambda f, name=name: (f / name).unlink(),
                MISSING[name],
                broken=name,
            )
        )
    return cases


DESCRIPTOR_CASES = [
    Breakage(
        "not-json-" + D,
        lambda f: f.write_text(D, "{not json\n"),
        Expect(D, 1, None, "is not valid JSON"),
    ),
    Breakage(
        "empty-" + D,
        lambda f: f.write_text(D, ""),
        Expect(D, 1, None, "is empty: expected a JSON object"),
    ),
    Breakage(
        "bom-" + D,
        lambda f: _bytes(f, D, lambda b: b"\xef\xbb\xbf" + b),
        Expect(D, 1, None, "starts with a byte-order mark (BOM)"),
    ),
    Breakage(
        "latin-1-" + D,
        lambda f: _bytes(f, D, lambda b: b.replace(b'"title": "', b'"title": "\xe9', 1)),
        Expect(D, _line_of(D, '"title"'), None, "is not UTF-8 text (byte 0xe9"),
    ),
    Breakage(
        "missing-" + D, lambda f: (f / D).unlink(), Expect(D, None, None, "file not found in")
    ),
    Breakage("folder-" + D, lambda f: _folder_instead(f, D), Expect(D, None, None, "is a folder")),
    Breakage(
        "no-as-of-" + D,
        lambda f: _descriptor(f, lambda meta: _without(meta, "as_of")),
        Expect(D, None, "as_of", "is missing or empty"),
    ),
    Breakage(
        "as-of-not-a-date-" + D,
        lambda f: _descriptor(f, lambda meta: {**meta, "as_of": "soon"}),
        Expect(D, None, "as_of", "'soon' is not an ISO date"),
    ),
    Breakage(
        "list-" + D,
        lambda f: _descriptor(f, lambda meta: [meta]),
        Expect(D, None, None, "must hold a JSON object"),
    ),
    Breakage(
        "resource-path-a-list-" + D,
        lambda f: _descriptor(
            f,
            lambda meta: {**meta, "resources": [{"path": [r["path"]]} for r in meta["resources"]]},
        ),
        Expect(D, None, "resources", f"has no resource for {W}"),
    ),
    Breakage(
        "nested-too-deep-" + D,
        lambda f: f.write_text(D, "[" * 100_000 + "]" * 100_000),
        Expect(D, None, None, "is not readable JSON: it nests too deeply"),
    ),
    Breakage(
        "number-too-long-" + D,
        lambda f: f.write_text(D, '{"as_of": ' + "9" * 5000 + "}"),
        Expect(D, None, None, "is not readable JSON"),
    ),
]


FREE_LINE = _first_line(W, lambda row: row["free_tokens"] != "")
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))

#: Cells that look like numbers and dates but are not the contract's: digits of another script
#: (Python reads full-width digits as numbers), and numbers too long for int64 or a float.
CELL_CASES = [
    Breakage(
        "full-width-tokens",
        lambda f: f.set_cell(W, 2, "tokens", f.cell(W, 2, "tokens").translate(FULL_WIDTH)),
        Expect(W, 2, "tokens", "is not a non-negative whole number of tokens"),
    ),
    Breakage(
        "full-width-week",
        lambda f: f.set_cell(W, 2, "week", f.cell(W, 2, "week").translate(FULL_WIDTH)),
        Expect(W, 2, "week", "is not an ISO date"),
    ),
    Breakage(
        "full-width-price",
        lambda f: f.set_cell(M, 2, "input_usd_per_mtok", "0.5".translate(FULL_WIDTH)),
        Expect(M, 2, "input_usd_per_mtok", "is not a number (USD per million tokens)"),
    ),
    Breakage(
        "tokens-of-5000-digits",
        lambda f: f.set_cell(W, 2, "tokens", "9" * 5000),
        Expect(W, 2, "tokens", "is not a non-negative whole number of tokens (at most 2^63 - 1)"),
    ),
    Breakage(
        "free-tokens-of-5000-digits",
        lambda f: f.set_cell(W, FREE_LINE, "free_tokens", "9" * 5000),
        Expect(W, FREE_LINE, "free_tokens", "is not a non-negative whole number of free tokens"),
    ),
    Breakage(
        "price-past-a-float",
        lambda f: f.set_cell(M, 2, "input_usd_per_mtok", "1" * 400),
        Expect(M, 2, "input_usd_per_mtok", "is not a number (USD per million tokens)"),
    ),
]

KNOT_ANCHOR = _first_line(ANCHORS, lambda row: row["role"] == "knot" and row["kind"] == "total")
MEASURED_KNOT = _first_line(MEASURED, lambda row: row["role"] == "knot" and row["kind"] == "model")


def _clashing_anchor(f: SnapshotFolder) -> None:
    """Add to anchors.csv a knot anchor on the series and week a measured knot already gives."""
    header, row = f.rows(MEASURED)[0], f.rows(MEASURED)[MEASURED_KNOT - 1]
    anchor = dict(zip(header, row, strict=True))
    keep = f.rows(ANCHORS)[0]
    f.add_row(ANCHORS, {k: v for k, v in anchor.items() if k in keep} | {"id": "X99"})


def _repeat_row(f: SnapshotFolder, name: str, line: int) -> None:
    """Write the record at ``line`` (header = 1) again right after it."""
    rows = f.rows(name)
    f.write_rows(name, [*rows[:line], rows[line - 1], *rows[line:]])


#: Cells of sources/ and provenance.csv that break the contract of a reconstructed snapshot.
SOURCES_CASES = [
    Breakage(
        "sources-is-a-file",
        lambda f: (shutil.rmtree(f / "sources"), (f / "sources").write_text("")),
        Expect("sources", None, None, "is a file"),
    ),
    Breakage(
        "sources-is-empty",
        lambda f: (shutil.rmtree(f / "sources"), (f / "sources").mkdir()),
        Expect(ANCHORS, None, None, "file not found in"),
    ),
    Breakage(
        "anchor-week-not-a-monday",
        lambda f: f.set_cell(ANCHORS, 2, "week", "2025-05-27"),
        Expect(ANCHORS, 2, "week", "'2025-05-27' is not a Monday"),
    ),
    Breakage(
        "anchor-value-not-a-number",
        lambda f: f.set_cell(ANCHORS, 2, "value", "lots"),
        Expect(ANCHORS, 2, "value", "'lots' is not a number"),
    ),
    Breakage(
        "anchor-value-outside-its-range",
        lambda f: f.set_cell(ANCHORS, 2, "value", str(2 * float(f.cell(ANCHORS, 2, "high")))),
        Expect(ANCHORS, 2, "value", "is outside the row's low..high"),
    ),
    Breakage(
        "knot-anchor-without-a-value",
        lambda f: f.set_cell(ANCHORS, KNOT_ANCHOR, "value", ""),
        Expect(ANCHORS, KNOT_ANCHOR, "value", "needs a value"),
    ),
    Breakage(
        "anchor-grade-d",
        lambda f: f.set_cell(ANCHORS, 2, "grade", "D"),
        Expect(ANCHORS, 2, "grade", "'D' is not one of A, B, C"),
    ),
    Breakage(
        "anchor-kind-unknown",
        lambda f: f.set_cell(ANCHORS, 2, "kind", "guess"),
        Expect(ANCHORS, 2, "kind", "'guess' is not one of total, model"),
    ),
    Breakage(
        "anchor-weeks-zero",
        lambda f: f.set_cell(ANCHORS, 2, "weeks", "0"),
        Expect(ANCHORS, 2, "weeks", "'0' is not a whole number of weeks"),
    ),
    Breakage(
        "anchor-id-twice",
        lambda f: f.set_cell(ANCHORS, 3, "id", f.cell(ANCHORS, 2, "id")),
        Expect(ANCHORS, 3, "id", "is listed twice"),
    ),
    Breakage(
        "knot-low-not-a-number",
        lambda f: f.set_cell(KNOTS, 6, "low", "lots"),
        Expect(KNOTS, 6, "low", "'lots' is not a positive number"),
    ),
    Breakage(
        "knot-outside-its-range",
        lambda f: f.set_cell(KNOTS, 2, "billion_tokens", f.cell(KNOTS, 2, "high") + "0"),
        Expect(KNOTS, 2, "billion_tokens", "is outside low..high"),
    ),
    Breakage(
        "knot-without-a-reason",
        lambda f: f.set_cell(KNOTS, 2, "reason", " "),
        Expect(KNOTS, 2, "reason", "is empty: say why"),
    ),
    Breakage(
        "knot-twice",
        lambda f: _repeat_row(f, KNOTS, 2),
        Expect(KNOTS, 3, "series", "repeats a (series, week) pair"),
    ),
    Breakage(
        "anchor-where-a-measured-knot-is",
        _clashing_anchor,
        Expect(MEASURED, MEASURED_KNOT, "week", "already gives"),
    ),
    Breakage(
        "free-share-over-100",
        lambda f: f.set_cell(FREE, 2, "free_pct", "150"),
        Expect(FREE, 2, "free_pct", "'150' is not a percent from 0 to 100"),
    ),
    Breakage(
        "provenance-names-no-input",
        lambda f: f.set_cell(P, SOURCED, "point", "Z99"),
        Expect(P, SOURCED, "point", "'Z99' is no knot anchor of sources/anchors.csv"),
    ),
]

CASES: list[Breakage] = [*_each_csv(), *DESCRIPTOR_CASES, *CELL_CASES, *SOURCES_CASES]


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
    assert case.file in run.stderr, f"the report does not name {case.file}"
    assert_reported(run.stderr, case.expected)
    assert run.folder.file_bytes() == run.before, "validate changed a file of the snapshot"


def test_the_cases_break_every_file() -> None:
    """Every file of a reconstructed snapshot is broken by some case."""
    broken = {case.file for case in CASES}
    assert {*CSV_FILES, D} <= broken


def test_a_file_where_the_folder_should_be_is_refused(tmp_path, cli) -> None:
    path = tmp_path / "data"
    path.write_text("not a folder\n", encoding="utf-8")
    done = cli("validate", str(path))
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1 and done.stdout == ""
    assert f"  - {path}: is a file, not a snapshot folder" in done.stderr


def test_a_price_past_int64_that_the_contract_accepts_also_loads(data_copy) -> None:
    """What validate accepts, the loader reads: a price of more digits than pandas' own parser
    takes as a number (past 2^64) is a finite float, so the check and the loader agree on it."""
    data_copy.set_cell(M, 2, "input_usd_per_mtok", "1" * 30)
    snap = load_snapshot(data_copy.path)
    assert snap.models.loc[0, "input_usd_per_mtok"] == float("1" * 30)


def test_an_extra_empty_file_is_no_breach(data_factory) -> None:
    """The contract names the files it checks; an empty file beside them (notes, a file of the
    importer in sources/) is none of them, and the snapshot stays valid."""
    folder = data_factory("extra-empty-files")
    (folder / "notes.csv").write_bytes(b"")
    (folder / "sources" / "notes.csv").write_bytes(b"")
    assert check_snapshot(folder) == []
