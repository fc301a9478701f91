"""``python -m tokenrace validate``: every breach of the contract is reported, located, never fixed.

Row numbers are line numbers in the file, the header being line 1. The tiny fixture's lines:

- weekly_tokens.csv: 2-5 week 2026-05-11, 6-9 week 2026-05-18, 10-14 week 2026-05-25
  (per week: anthropic, deepseek, [mistralai in the last week], openrouter/test-alpha, other).
- models.csv: 2 anthropic, 3 deepseek, 4 mistralai, 5 openrouter/test-alpha.
- authors.csv: 2 anthropic, 3 deepseek, 4 mistralai, 5 openrouter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

import tokenrace
from tokenrace import Problem, SnapshotError, load_snapshot
from tokenrace.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR

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
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


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


def run_validate_unchanged(cli, folder) -> Any:
    """Run validate on ``folder``; check exit 1, no traceback, no file changed; return result."""
    before = folder.file_bytes()
    result = cli("validate", str(folder))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    assert folder.file_bytes() == before, "validate changed a file of the snapshot"
    assert "No file was changed" in result.stderr
    return result


# Each case: (edit of the tiny snapshot, problems that must be reported, total problem count).
CASES = [
    pytest.param(
        lambda f: f.drop_column(W, "tokens"),
        [Expect(W, 1, "tokens", "is missing from the header")],
        1,
        id="weekly-missing-column",
    ),
    pytest.param(
        lambda f: f.drop_column(M, "released"),
        [Expect(M, 1, "released", "is missing from the header")],
        1,
        id="models-missing-column",
    ),
    pytest.param(
        lambda f: f.add_column(W, "notes", "x"),
        [Expect(W, 1, "notes", "is not a column of the contract")],
        1,
        id="weekly-extra-column",
    ),
    pytest.param(
        lambda f: f.add_column(A, "founded", "2015"),
        [Expect(A, 1, "founded", "is not a column of the contract")],
        1,
        id="authors-extra-column",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 7, "week", "18/05/2026"),
        [Expect(W, 7, "week", "'18/05/2026' is not an ISO date")],
        1,
        id="date-wrong-format",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 3, "week", "2026-02-30"),
        [Expect(W, 3, "week", "'2026-02-30' is not an ISO date")],
        1,
        id="date-impossible",
    ),
    pytest.param(
        lambda f: f.set_cell(M, 4, "released", "June 2025"),
        [Expect(M, 4, "released", "'June 2025' is not an ISO date")],
        1,
        id="models-released-unparsable",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 7, "week", "2026-05-19"),
        [Expect(W, 7, "week", "'2026-05-19' is not a Monday")],
        1,
        id="week-not-monday",
    ),
    pytest.param(
        # Without the middle week, every row of the last week follows a gap (lines 6-10 after).
        lambda f: f.drop_rows(W, [6, 7, 8, 9]),
        [Expect(W, row, "week", "'2026-05-25' follows a gap") for row in range(6, 11)],
        5,
        id="gap-in-weeks",
    ),
    pytest.param(
        lambda f: f.add_row(
            W, {"week": "2026-05-18", "model": "deepseek/deepseek-v4-flash", "tokens": "5"}
        ),
        [Expect(W, 15, "model", "repeats a (week, model) pair")],
        1,
        id="duplicate-week-model",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 9, "tokens", "-5"),
        [Expect(W, 9, "tokens", "'-5' is not a non-negative whole number")],
        1,
        id="negative-tokens",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 9, "tokens", "12.5"),
        [Expect(W, 9, "tokens", "'12.5' is not a non-negative whole number")],
        1,
        id="fractional-tokens",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 9, "tokens", "abc"),
        [Expect(W, 9, "tokens", "'abc' is not a non-negative whole number")],
        1,
        id="text-tokens",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 9, "tokens", "1e12"),
        [Expect(W, 9, "tokens", "'1e12' is not a non-negative whole number")],
        1,
        id="exponent-tokens",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 9, "tokens", ""),
        [Expect(W, 9, "tokens", "'' is not a non-negative whole number")],
        1,
        id="empty-tokens",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 12, "model", "mistralai/mistral-large"),
        [Expect(W, 12, "model", "'mistralai/mistral-large' has no row in models.csv")],
        1,
        id="model-not-in-models",
    ),
    pytest.param(
        lambda f: f.set_cell(W, 12, "model", "mistralai/mistral-small-3.2:free"),
        [Expect(W, 12, "model", "is not a model slug")],
        2,  # also: has no row in models.csv
        id="model-variant-suffix",
    ),
    pytest.param(
        lambda f: f.add_row(
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
        ),
        [Expect(M, 6, "author", "'qwen' has no row in authors.csv")],
        1,
        id="author-not-in-authors",
    ),
    pytest.param(
        lambda f: f.set_cell(A, 4, "country", "XX"),
        [Expect(A, 4, "country", "'XX' is not an ISO 3166-1 alpha-2 country code")],
        1,
        id="unknown-country",
    ),
    pytest.param(
        lambda f: f.set_cell(A, 4, "country", "fr"),
        [Expect(A, 4, "country", "'fr' is not an ISO 3166-1 alpha-2 country code")],
        1,
        id="lowercase-country",
    ),
    pytest.param(
        lambda f: f.set_cell(A, 3, "country", ""),
        [Expect(A, 3, "country", "only OpenRouter's stealth author 'openrouter' is unattributed")],
        1,
        id="empty-country-not-stealth",
    ),
    pytest.param(
        lambda f: f.set_cell(M, 3, "input_usd_per_mtok", "-0.14"),
        [Expect(M, 3, "input_usd_per_mtok", "'-0.14' is a negative price")],
        1,
        id="negative-input-price",
    ),
    pytest.param(
        lambda f: f.set_cell(M, 2, "output_usd_per_mtok", "-15"),
        [Expect(M, 2, "output_usd_per_mtok", "'-15' is a negative price")],
        1,
        id="negative-output-price",
    ),
    pytest.param(
        lambda f: f.set_cell(M, 2, "open_weights", "yes"),
        [Expect(M, 2, "open_weights", "'yes' is not true/false")],
        1,
        id="open-weights-not-boolean",
    ),
    pytest.param(
        lambda f: f.set_cell(M, 3, "author", "anthropic"),
        [Expect(M, 3, "author", "is not the slug before the '/'")],
        1,
        id="author-not-model-prefix",
    ),
]


@pytest.mark.parametrize(("edit", "expected", "count"), CASES)
def test_bad_cell_is_reported_with_file_row_and_column(
    cli, tiny_snapshot, edit, expected, count
):
    edit(tiny_snapshot)
    result = run_validate_unchanged(cli, tiny_snapshot)
    for expect in expected:
        assert expect.row is not None and expect.column is not None
        assert_reported(result.stderr, expect)
    assert_problem_count(result.stderr, count)


def test_missing_file_is_reported(cli, tiny_snapshot):
    (tiny_snapshot / M).unlink()
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(M, None, None, "file not found in"))
    assert_problem_count(result.stderr, 1)


def test_missing_folder_is_reported(cli, tmp_path):
    missing = tmp_path / "nowhere"
    result = cli("validate", str(missing))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{missing}: snapshot folder not found" in result.stderr
    assert not missing.exists()


def test_ragged_row_is_reported(cli, tiny_snapshot):
    tiny_snapshot.replace_text(
        W,
        "2026-05-18,openrouter/test-alpha,250000000000\n",
        "2026-05-18,openrouter/test-alpha,250000000000,oops\n",
    )
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(W, 8, None, "has 4 fields; the header has 3"))
    assert_problem_count(result.stderr, 1)


def test_short_row_is_reported(cli, tiny_snapshot):
    tiny_snapshot.replace_text(A, "mistralai,Mistral AI,FR,Test fixture\n", "mistralai,FR\n")
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(A, 4, None, "has 2 fields; the header has 4"))


def test_invalid_json_descriptor_is_reported(cli, tiny_snapshot):
    # Line 6 of the descriptor gets a second comma.
    assert tiny_snapshot.text(D).splitlines()[5].strip() == '"kind": "test fixture",'
    tiny_snapshot.replace_text(D, '"kind": "test fixture",', '"kind": "test fixture",,')
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(D, 6, None, "is not valid JSON"))
    assert_problem_count(result.stderr, 1)


def test_descriptor_not_an_object_is_reported(cli, tiny_snapshot):
    tiny_snapshot.write_text(D, "[1, 2, 3]\n")
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(D, None, None, "must hold a JSON object"))


def test_descriptor_missing_keys_are_reported(cli, tiny_snapshot):
    tiny_snapshot.replace_text(D, '"as_of": "2026-05-29",', "")
    tiny_snapshot.replace_text(D, '"path": "authors.csv"', '"path": "people.csv"')
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(D, None, "as_of", "is missing or empty"))
    assert_reported(result.stderr, Expect(D, None, "resources", "has no resource for authors.csv"))
    assert_problem_count(result.stderr, 2)


def test_several_problems_are_all_reported_one_line_each(cli, tiny_snapshot):
    tiny_snapshot.set_cell(W, 4, "tokens", "12.5")
    tiny_snapshot.set_cell(W, 11, "week", "2026-05-26")
    tiny_snapshot.set_cell(M, 5, "input_usd_per_mtok", "-1")
    tiny_snapshot.set_cell(A, 2, "country", "XX")
    (tiny_snapshot / D).unlink()
    result = run_validate_unchanged(cli, tiny_snapshot)
    expected = [
        Expect(W, 4, "tokens", "'12.5' is not a non-negative whole number"),
        Expect(W, 11, "week", "'2026-05-26' is not a Monday"),
        Expect(M, 5, "input_usd_per_mtok", "'-1' is a negative price"),
        Expect(A, 2, "country", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        Expect(D, None, None, "file not found"),
    ]
    for expect in expected:
        assert_reported(result.stderr, expect)
    assert_problem_count(result.stderr, len(expected))
    # One line per problem: each location appears on exactly one line.
    lines = _problem_lines(result.stderr)
    for expect in expected:
        assert sum(line.startswith(f"{expect.location}: ") for line in lines) == 1, lines


# -- valid snapshots ------------------------------------------------------------------------------


def test_tiny_snapshot_is_valid(cli, tiny_snapshot):
    before = tiny_snapshot.file_bytes()
    result = cli("validate", str(tiny_snapshot))
    assert result.returncode == 0, result.stderr
    assert f"{tiny_snapshot}: the snapshot meets the data contract" in result.stdout
    assert result.stderr == ""
    assert tiny_snapshot.file_bytes() == before


def test_committed_data_is_valid(cli):
    result = cli("validate", str(DEFAULT_DATA_DIR))
    assert result.returncode == 0, result.stderr
    assert "the snapshot meets the data contract" in result.stdout


def test_check_snapshot_is_empty_for_valid_folders(tiny_snapshot):
    assert tokenrace.check_snapshot(tiny_snapshot) == []
    assert tokenrace.check_snapshot(DEFAULT_DATA_DIR) == []


# -- $TOKENRACE_DATA ------------------------------------------------------------------------------


def test_env_var_points_validate_at_another_folder(cli, tiny_snapshot):
    tiny_snapshot.set_cell(W, 9, "tokens", "-5")
    result = cli("validate", env={DATA_ENV_VAR: str(tiny_snapshot)})
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith(f"{tiny_snapshot}: 1 problem(s)")
    assert_reported(result.stderr, Expect(W, 9, "tokens", "'-5'"))


def test_env_var_with_valid_folder(cli, tiny_snapshot):
    result = cli("validate", env={DATA_ENV_VAR: str(tiny_snapshot)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tiny_snapshot}: the snapshot meets")


def test_explicit_path_beats_env_var(cli, tiny_snapshot, tmp_path):
    result = cli("validate", str(tiny_snapshot), env={DATA_ENV_VAR: str(tmp_path / "nowhere")})
    assert result.returncode == 0, result.stderr


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
    assert "in 2 place(s)" in str(err)
    assert "weekly_tokens.csv, row 9, column 'tokens'" in str(err)
    assert "authors.csv, row 4, column 'country'" in str(err)


def test_problems_are_listed_in_file_then_row_order(tiny_snapshot):
    tiny_snapshot.set_cell(W, 12, "tokens", "x")
    tiny_snapshot.set_cell(W, 3, "tokens", "y")
    tiny_snapshot.set_cell(A, 5, "lab", "")
    problems = tokenrace.check_snapshot(tiny_snapshot)
    assert [(p.file, p.row) for p in problems] == [(W, 3), (W, 12), (A, 5)]


# -- known bugs (see the test report); strict xfail flips to a failure once they are fixed ---------


@pytest.mark.xfail(strict=True, reason="bug: a non-list 'resources' crashes the validator")
def test_descriptor_with_non_list_resources_is_reported(cli, tiny_snapshot):
    tiny_snapshot.replace_text(D, '"resources": [', '"resources": 5, "unused": [')
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(D, None, "resources", ""))


@pytest.mark.xfail(strict=True, reason="bug: a repeated header column is not reported")
def test_repeated_header_column_is_reported(cli, tiny_snapshot):
    tiny_snapshot.write_text(W, "week,model,tokens,tokens\n2026-05-11,other,1,1\n")
    result = run_validate_unchanged(cli, tiny_snapshot)
    assert_reported(result.stderr, Expect(W, 1, "tokens", ""))


@pytest.mark.xfail(strict=True, reason="bug: token counts beyond int64 pass validate, crash load")
def test_token_count_too_large_for_int64_is_reported(tiny_snapshot):
    tiny_snapshot.set_cell(W, 9, "tokens", str(2**63))
    with pytest.raises(SnapshotError) as info:
        load_snapshot(tiny_snapshot)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [(W, 9, "tokens")]


@pytest.mark.xfail(strict=True, reason="bug: rows are CSV record numbers, not line numbers")
def test_row_is_the_line_number_after_a_multiline_field(tiny_snapshot):
    tiny_snapshot.replace_text(M, '"Test fixture, quoted"', '"Test fixture,\nquoted"')
    tiny_snapshot.set_cell(M, 5, "open_weights", "maybe")  # 5th record, now on line 6
    assert tiny_snapshot.text(M).splitlines()[5].startswith("openrouter/test-alpha,")
    problems = tokenrace.check_snapshot(tiny_snapshot)
    assert [(p.file, p.row, p.column) for p in problems] == [(M, 6, "open_weights")]
