"""``python -m tokenrace validate``: every breach of the contract is reported, located, never fixed.

Row numbers are line numbers in the file, the header being line 1. The tiny fixture's lines:

- weekly_tokens.csv: 2-5 week 2026-05-11, 6-9 week 2026-05-18, 10-14 week 2026-05-25
  (per week: anthropic, deepseek, [mistralai in the last week], openrouter/test-alpha, other).
- models.csv: 2 anthropic, 3 deepseek, 4 mistralai, 5 openrouter/test-alpha.
- authors.csv: 2 anthropic, 3 deepseek, 4 mistralai, 5 openrouter.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import tokenrace
from tokenrace import Problem, SnapshotError, load_snapshot
from tokenrace.cli import main as cli_main
from tokenrace.snapshot.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR

W, M, A, D = "weekly_tokens.csv", "models.csv", "authors.csv", "datapackage.json"


@dataclass(frozen=True)
class Expect:
    """One problem line the validator must print."""

    file: str
    row: int | None
    column: str | None
    fragment: str  # a piece of the message after the location

    @property
    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


def _problem_lines(stderr: str) -> list[str]:
    """The problem lines of a report (``  - file, row N, column 'c': message``)."""
    return [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]


def assert_reported(stderr: str, expect: Expect) -> None:
    lines = _problem_lines(stderr)
    hits = [
        line
        for line in lines
        if line.startswith(f"{expect.location}: ") and expect.fragment in line
    ]
    assert hits, f"no line '{expect.location}: ...{expect.fragment}...' in stderr:\n{stderr}"


def assert_problem_count(stderr: str, count: int) -> None:
    assert re.search(rf": {count} problem\(s\) with the data contract", stderr), stderr
    assert len(_problem_lines(stderr)) == count, stderr


@dataclass(frozen=True)
class Case:
    """A way to break the tiny snapshot and the problem lines validate must print for it."""

    id: str
    edit: Callable[[Any], None]  # gets a conftest.SnapshotFolder
    expected: list[Expect]
    count: int  # the total number of problems reported
    #: Run through a real ``python -m tokenrace`` subprocess (else through ``cli.main`` in-process:
    #: the same code path, without paying the interpreter start-up again).
    subprocess: bool = True


def _add_qwen_model(f) -> None:
    f.add_row(
        M,
        {
            "model": "qwen/qwen3-coder",
            "name": "Qwen3 Coder",
            "author": "qwen",
            "open_weights": "true",
            "released": "2025-07-22",
            "input_usd_per_mtok": "0.2",
            "output_usd_per_mtok": "0.8",
            "price_source": "Test",
        },
    )


def _several_problems(f) -> None:
    f.set_cell(W, 4, "tokens", "12.5")
    f.set_cell(W, 11, "week", "2026-05-26")
    f.set_cell(M, 5, "input_usd_per_mtok", "-1")
    f.set_cell(A, 2, "country", "XX")
    (f / D).unlink()


def _bad_json(f) -> None:
    # Line 6 of the descriptor gets a second comma.
    assert f.text(D).splitlines()[5].strip() == '"kind": "test fixture",'
    f.replace_text(D, '"kind": "test fixture",', '"kind": "test fixture",,')


def _descriptor_missing_keys(f) -> None:
    f.replace_text(D, '"as_of": "2026-05-29",', "")
    f.replace_text(D, '"path": "authors.csv"', '"path": "people.csv"')


CASES = [
    # -- required through the command line ------------------------------------------------------
    Case(
        "missing-column",
        lambda f: f.drop_column(W, "tokens"),
        [Expect(W, 1, "tokens", "is missing from the header")],
        1,
    ),
    Case(
        "extra-column",
        lambda f: f.add_column(W, "notes", "x"),
        [Expect(W, 1, "notes", "is not a column of the contract")],
        1,
    ),
    Case(
        "unparsable-date",
        lambda f: f.set_cell(W, 7, "week", "18/05/2026"),
        [Expect(W, 7, "week", "'18/05/2026' is not an ISO date")],
        1,
    ),
    Case(
        "week-not-monday",
        lambda f: f.set_cell(W, 7, "week", "2026-05-19"),
        [Expect(W, 7, "week", "'2026-05-19' is not a Monday")],
        1,
    ),
    Case(
        # Without the middle week, every row of the last week (lines 6-10 after) follows a gap.
        "gap-in-weeks",
        lambda f: f.drop_rows(W, [6, 7, 8, 9]),
        [Expect(W, row, "week", "'2026-05-25' follows a gap") for row in range(6, 11)],
        5,
    ),
    Case(
        "duplicate-week-model",
        lambda f: f.add_row(
            W, {"week": "2026-05-18", "model": "deepseek/deepseek-v4-flash", "tokens": "5"}
        ),
        [Expect(W, 15, "model", "repeats a (week, model) pair")],
        1,
    ),
    Case(
        "negative-tokens",
        lambda f: f.set_cell(W, 9, "tokens", "-5"),
        [Expect(W, 9, "tokens", "'-5' is not a non-negative whole number")],
        1,
    ),
    Case(
        "fractional-tokens",
        lambda f: f.set_cell(W, 9, "tokens", "12.5"),
        [Expect(W, 9, "tokens", "'12.5' is not a non-negative whole number")],
        1,
    ),
    Case(
        "text-tokens",
        lambda f: f.set_cell(W, 9, "tokens", "abc"),
        [Expect(W, 9, "tokens", "'abc' is not a non-negative whole number")],
        1,
    ),
    Case(
        "model-not-in-models",
        lambda f: f.set_cell(W, 12, "model", "mistralai/mistral-large"),
        [Expect(W, 12, "model", "'mistralai/mistral-large' has no row in models.csv")],
        1,
    ),
    Case(
        "author-not-in-authors",
        _add_qwen_model,
        [Expect(M, 6, "author", "'qwen' has no row in authors.csv")],
        1,
    ),
    Case(
        "unknown-country",
        lambda f: f.set_cell(A, 4, "country", "XX"),
        [Expect(A, 4, "country", "'XX' is not an ISO 3166-1 alpha-2 country code")],
        1,
    ),
    Case(
        "negative-price",
        lambda f: f.set_cell(M, 3, "input_usd_per_mtok", "-0.14"),
        [Expect(M, 3, "input_usd_per_mtok", "'-0.14' is a negative price")],
        1,
    ),
    Case(
        "missing-file",
        lambda f: (f / M).unlink(),
        [Expect(M, None, None, "file not found in")],
        1,
    ),
    Case(
        "ragged-row",
        lambda f: f.replace_text(
            W,
            "2026-05-18,openrouter/test-alpha,250000000000\n",
            "2026-05-18,openrouter/test-alpha,250000000000,oops\n",
        ),
        [Expect(W, 8, None, "has 4 fields; the header has 3")],
        1,
    ),
    Case("invalid-json", _bad_json, [Expect(D, 6, None, "is not valid JSON")], 1),
    Case(
        "several-problems",
        _several_problems,
        [
            Expect(W, 4, "tokens", "'12.5' is not a non-negative whole number"),
            Expect(W, 11, "week", "'2026-05-26' is not a Monday"),
            Expect(M, 5, "input_usd_per_mtok", "'-1' is a negative price"),
            Expect(A, 2, "country", "'XX' is not an ISO 3166-1 alpha-2 country code"),
            Expect(D, None, None, "file not found"),
        ],
        5,
    ),
    # -- more of the contract, through cli.main in-process ---------------------------------------
    Case(
        "models-missing-column",
        lambda f: f.drop_column(M, "released"),
        [Expect(M, 1, "released", "is missing from the header")],
        1,
        subprocess=False,
    ),
    Case(
        "authors-extra-column",
        lambda f: f.add_column(A, "founded", "2015"),
        [Expect(A, 1, "founded", "is not a column of the contract")],
        1,
        subprocess=False,
    ),
    Case(
        "impossible-date",
        lambda f: f.set_cell(W, 3, "week", "2026-02-30"),
        [Expect(W, 3, "week", "'2026-02-30' is not an ISO date")],
        1,
        subprocess=False,
    ),
    Case(
        "models-released-unparsable",
        lambda f: f.set_cell(M, 4, "released", "June 2025"),
        [Expect(M, 4, "released", "'June 2025' is not an ISO date")],
        1,
        subprocess=False,
    ),
    Case(
        "exponent-tokens",
        lambda f: f.set_cell(W, 9, "tokens", "1e12"),
        [Expect(W, 9, "tokens", "'1e12' is not a non-negative whole number")],
        1,
        subprocess=False,
    ),
    Case(
        "empty-tokens",
        lambda f: f.set_cell(W, 9, "tokens", ""),
        [Expect(W, 9, "tokens", "'' is not a non-negative whole number")],
        1,
        subprocess=False,
    ),
    Case(
        "model-variant-suffix",
        lambda f: f.set_cell(W, 12, "model", "mistralai/mistral-small-3.2:free"),
        [
            Expect(W, 12, "model", "is not a model slug"),
            Expect(W, 12, "model", "has no row in models.csv"),
        ],
        2,
        subprocess=False,
    ),
    Case(
        "lowercase-country",
        lambda f: f.set_cell(A, 4, "country", "fr"),
        [Expect(A, 4, "country", "'fr' is not an ISO 3166-1 alpha-2 country code")],
        1,
        subprocess=False,
    ),
    Case(
        "empty-country-not-stealth",
        lambda f: f.set_cell(A, 3, "country", ""),
        [
            Expect(
                A, 3, "country", "only OpenRouter's stealth authors ('openrouter', 'stealth') are"
            )
        ],
        1,
        subprocess=False,
    ),
    Case(
        "negative-output-price",
        lambda f: f.set_cell(M, 2, "output_usd_per_mtok", "-15"),
        [Expect(M, 2, "output_usd_per_mtok", "'-15' is a negative price")],
        1,
        subprocess=False,
    ),
    Case(
        "open-weights-not-boolean",
        lambda f: f.set_cell(M, 2, "open_weights", "yes"),
        [Expect(M, 2, "open_weights", "'yes' is not true/false")],
        1,
        subprocess=False,
    ),
    Case(
        "author-not-model-prefix",
        lambda f: f.set_cell(M, 3, "author", "anthropic"),
        [Expect(M, 3, "author", "is not the slug before the '/'")],
        1,
        subprocess=False,
    ),
    Case(
        "short-row",
        lambda f: f.replace_text(A, "mistralai,Mistral AI,FR,Test fixture\n", "mistralai,FR\n"),
        [Expect(A, 4, None, "has 2 fields; the header has 4")],
        1,
        subprocess=False,
    ),
    Case(
        "empty-file",
        lambda f: f.write_text(A, ""),
        [Expect(A, 1, None, "is empty: expected a header row")],
        1,
        subprocess=False,
    ),
    Case(
        "descriptor-not-an-object",
        lambda f: f.write_text(D, "[1, 2, 3]\n"),
        [Expect(D, None, None, "must hold a JSON object")],
        1,
        subprocess=False,
    ),
    Case(
        "descriptor-missing-keys",
        _descriptor_missing_keys,
        [
            Expect(D, None, "as_of", "is missing or empty"),
            Expect(D, None, "resources", "has no resource for authors.csv"),
        ],
        2,
        subprocess=False,
    ),
]


@dataclass
class Run:
    folder: Any  # conftest.SnapshotFolder
    before: dict[str, bytes]  # every file's bytes just before validate ran
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def cli_runs(tiny_factory, cli_many) -> dict[str, Run]:
    """Every subprocess run of this module, started side by side; keyed by name."""
    folders, jobs = {}, {}
    for case in CASES:
        if case.subprocess:
            folder = tiny_factory(case.id)
            case.edit(folder)
            folders[case.id] = folder
            jobs[case.id] = (("validate", str(folder)), None)
    # Valid folders, and $TOKENRACE_DATA instead of a path argument.
    folders["valid-tiny"] = tiny_factory("valid-tiny")
    jobs["valid-tiny"] = (("validate", str(folders["valid-tiny"])), None)
    jobs["committed-data"] = (("validate", str(DEFAULT_DATA_DIR)), None)
    folders["env-bad"] = tiny_factory("env-bad")
    folders["env-bad"].set_cell(W, 9, "tokens", "-5")
    jobs["env-bad"] = (("validate",), {DATA_ENV_VAR: str(folders["env-bad"])})
    folders["env-good"] = tiny_factory("env-good")
    jobs["env-good"] = (("validate",), {DATA_ENV_VAR: str(folders["env-good"])})
    jobs["path-beats-env"] = (
        ("validate", str(folders["env-good"])),
        {DATA_ENV_VAR: str(folders["env-bad"])},
    )
    before = {key: folder.file_bytes() for key, folder in folders.items()}
    results = cli_many(jobs)
    return {
        key: Run(folders.get(key), before.get(key), r.returncode, r.stdout, r.stderr)
        for key, r in results.items()
    }


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_snapshot_is_reported_and_left_unchanged(case, cli_runs, tiny_snapshot, capsys):
    if case.subprocess:
        run = cli_runs[case.id]
    else:
        case.edit(tiny_snapshot)
        before = tiny_snapshot.file_bytes()
        code = cli_main(["validate", str(tiny_snapshot)])
        out = capsys.readouterr()
        run = Run(tiny_snapshot, before, code, out.out, out.err)
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    assert run.returncode == 1, output
    assert run.stdout == ""
    assert run.stderr.startswith(f"{run.folder}: {case.count} problem(s)"), run.stderr
    assert "no file was changed" in run.stderr
    assert run.folder.file_bytes() == run.before, "validate changed a file of the snapshot"
    for expect in case.expected:
        assert_reported(run.stderr, expect)
    assert_problem_count(run.stderr, case.count)


def test_cell_cases_locate_file_row_and_column():
    """The brief's cell-level breaches all carry a row and a column."""
    cell_level = [c for c in CASES if c.id not in NOT_CELL_LEVEL]
    assert len(cell_level) >= 20
    for case in cell_level:
        for expect in case.expected:
            assert expect.row is not None and expect.column is not None, case.id


NOT_CELL_LEVEL = {
    "missing-file",
    "ragged-row",
    "invalid-json",
    "several-problems",
    "short-row",
    "empty-file",
    "descriptor-not-an-object",
    "descriptor-missing-keys",
}


def test_several_problems_take_one_line_each(cli_runs):
    lines = _problem_lines(cli_runs["several-problems"].stderr)
    case = next(c for c in CASES if c.id == "several-problems")
    assert len(lines) == len(case.expected)
    for expect in case.expected:
        assert sum(line.startswith(f"{expect.location}: ") for line in lines) == 1, lines


def test_missing_folder_is_reported(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert cli_main(["validate", str(missing)]) == 1
    assert f"{missing}: snapshot folder not found" in capsys.readouterr().err
    assert not missing.exists()


# -- valid snapshots ------------------------------------------------------------------------------


def test_tiny_snapshot_is_valid(cli_runs):
    run = cli_runs["valid-tiny"]
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{run.folder}: the snapshot meets the data contract\n"
    assert run.stderr == ""
    assert run.folder.file_bytes() == run.before


def test_committed_data_is_valid(cli_runs):
    run = cli_runs["committed-data"]
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{DEFAULT_DATA_DIR}: the snapshot meets the data contract\n"


def test_check_snapshot_is_empty_for_valid_folders(tiny_snapshot):
    assert tokenrace.check_snapshot(tiny_snapshot) == []
    assert tokenrace.check_snapshot(DEFAULT_DATA_DIR) == []


def test_a_free_column_with_no_count_validates_without_a_warning(tiny_snapshot):
    """A ``free_tokens`` column whose cells are all empty (unknown) is valid. The check of free
    against total tokens once assigned an empty list through an all-False mask, which pandas
    deprecates with a FutureWarning, and under ``-W error`` reported it as a breach."""
    header, *body = tiny_snapshot.rows(W)
    tiny_snapshot.write_rows(W, [[*header, "free_tokens"], *([*row, ""] for row in body)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tokenrace.check_snapshot(tiny_snapshot) == []


# -- $TOKENRACE_DATA ------------------------------------------------------------------------------


def test_env_var_points_validate_at_another_folder(cli_runs):
    run = cli_runs["env-bad"]
    assert run.returncode == 1, run.stdout
    assert run.stderr.startswith(f"{run.folder}: 1 problem(s)"), run.stderr
    assert_reported(run.stderr, Expect(W, 9, "tokens", "'-5'"))
    assert run.folder.file_bytes() == run.before


def test_env_var_with_valid_folder(cli_runs):
    run = cli_runs["env-good"]
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{run.folder}: the snapshot meets the data contract\n"


def test_explicit_path_beats_env_var(cli_runs):
    run = cli_runs["path-beats-env"]
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{cli_runs['env-good'].folder}: the snapshot meets")


def test_env_var_points_load_snapshot_at_another_folder(monkeypatch, tiny_snapshot):
    monkeypatch.setenv(DATA_ENV_VAR, str(tiny_snapshot))
    snap = load_snapshot()
    assert snap.path == tiny_snapshot.path.resolve()
    assert len(snap.weekly) == 13
    assert set(snap.models["model"]) == {
        "anthropic/claude-sonnet-4.6",
        "deepseek/deepseek-v4-flash",
        "mistralai/mistral-small-3.2",
        "openrouter/test-alpha",
    }
    assert snap.fingerprint == tokenrace.fingerprint(tiny_snapshot)


def test_load_snapshot_defaults_to_committed_data():
    assert load_snapshot().path == DEFAULT_DATA_DIR


# -- the Python API ------------------------------------------------------------------------------


def test_load_snapshot_raises_snapshot_error_with_located_problems(tiny_snapshot):
    tiny_snapshot.set_cell(W, 9, "tokens", "-5")
    tiny_snapshot.set_cell(A, 4, "country", "XX")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(tiny_snapshot)
    err = info.value
    assert isinstance(err, ValueError)
    assert all(isinstance(p, Problem) for p in err.problems)
    located = {(p.file, p.row, p.column) for p in err.problems}
    assert located == {(W, 9, "tokens"), (A, 4, "country")}
    by_file = {p.file: p for p in err.problems}
    assert "'-5'" in by_file[W].message
    assert "'XX'" in by_file[A].message
    assert "2 problem(s) with the data contract" in str(err)
    assert "weekly_tokens.csv, row 9, column 'tokens'" in str(err)
    assert "authors.csv, row 4, column 'country'" in str(err)


def test_problems_are_listed_in_file_then_row_order(tiny_snapshot):
    tiny_snapshot.set_cell(W, 12, "tokens", "x")
    tiny_snapshot.set_cell(W, 3, "tokens", "y")
    tiny_snapshot.set_cell(A, 5, "lab", "")
    problems = tokenrace.check_snapshot(tiny_snapshot)
    assert [(p.file, p.row) for p in problems] == [(W, 3), (W, 12), (A, 5)]


# -- inputs that once crashed the validator or the loader ---------------------------------------


def test_descriptor_with_non_list_resources_is_reported(tiny_snapshot, capsys):
    tiny_snapshot.replace_text(D, '"resources": [', '"resources": 5, "unused": [')
    assert cli_main(["validate", str(tiny_snapshot)]) == 1
    assert_reported(capsys.readouterr().err, Expect(D, None, "resources", ""))


def test_repeated_header_column_is_reported(tiny_snapshot, capsys):
    tiny_snapshot.write_text(W, "week,model,tokens,tokens\n2026-05-11,other,1,1\n")
    assert cli_main(["validate", str(tiny_snapshot)]) == 1
    assert_reported(capsys.readouterr().err, Expect(W, 1, "tokens", ""))


def test_token_count_too_large_for_int64_is_reported(tiny_snapshot):
    tiny_snapshot.set_cell(W, 9, "tokens", str(2**63))
    with pytest.raises(SnapshotError) as info:
        load_snapshot(tiny_snapshot)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [(W, 9, "tokens")]


def test_row_is_the_line_number_after_a_multiline_field(tiny_snapshot):
    tiny_snapshot.replace_text(M, '"Test fixture, quoted"', '"Test fixture,\nquoted"')
    tiny_snapshot.set_cell(M, 5, "open_weights", "maybe")  # 5th record, now on line 6
    assert tiny_snapshot.text(M).splitlines()[5].startswith("openrouter/test-alpha,")
    problems = tokenrace.check_snapshot(tiny_snapshot)
    assert [(p.file, p.row, p.column) for p in problems] == [(M, 6, "open_weights")]


def test_unclosed_quote_before_a_long_tail_is_reported(tiny_snapshot, capsys):
    # An unclosed quote swallows the rest of the file into one field; in a big file that field
    # passes the csv module's field size limit and the reader raises csv.Error.
    tiny_snapshot.write_text(A, tiny_snapshot.text(A) + 'qwen,"Qwen,CN,s\n' + "x" * 200_000 + "\n")
    assert cli_main(["validate", str(tiny_snapshot)]) == 1
    assert_reported(capsys.readouterr().err, Expect(A, 6, None, ""))


def test_a_week_of_zeros_is_refused_once_but_a_zero_row_is_fine(data_copy) -> None:
    """Some rows of a week may hold 0 tokens; a week whose rows all do is reported at its first
    row only (no share of it exists), never repaired."""
    first_week = data_copy.rows("weekly_tokens.csv")[1][0]
    lines = data_copy.zero_week(first_week, keep=1)
    load_snapshot(data_copy.path)  # one row still has tokens: valid
    data_copy.zero_week(first_week)
    with pytest.raises(SnapshotError) as refused:
        load_snapshot(data_copy.path)
    message = str(refused.value)
    assert "1 problem(s)" in message
    assert f"row {lines[0]}, column 'tokens': '0' is the first row of a week" in message
