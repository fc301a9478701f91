"""The measured-source importer end to end, on the invented raw files (``rawsources.RAW``,
written by ``tests/fixtures/raw-sources/make_fixture.py``): byte-identical output, refusals,
free rows, aliases, unmatched permaslugs, and the command line's messages."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rawsources import EXPECTED as EXPECTED_DIR
from rawsources import RAW, broken_copy, generator
from tokenrace.cli import main
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, REPO_ROOT
from tokenrace.sources.measured.importer import import_sources, side_files

EXPECTED = EXPECTED_DIR / "anchors.csv"
SOURCES = DEFAULT_DATA_DIR / "sources"
MODELS = DEFAULT_DATA_DIR / "models.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def anchors() -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in _rows(EXPECTED)}


def test_import_regenerates_the_committed_output_byte_for_byte(tmp_path):
    out = tmp_path / "anchors.csv"
    written = import_sources(RAW, out, sources=SOURCES, models=MODELS)
    for new, old in zip(
        (written.anchors, *side_files(out)), (EXPECTED, *side_files(EXPECTED)), strict=True
    ):
        assert new.read_bytes() == old.read_bytes(), f"{old.name} differs: rerun the importer"


def test_generator_writes_the_same_raw_files_every_time(tmp_path):
    """The raw files are not committed: the expected output above pins them only if
    ``make_fixture.py`` writes the same bytes on every run."""
    generator().main(tmp_path)
    for folder in ("ranking-files", "rankings-page", "data-api"):
        made = {
            p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / folder).rglob("*.json")
        }
        kept = {p.relative_to(RAW): p.read_bytes() for p in (RAW / folder).rglob("*.json")}
        assert made and made == kept, f"{folder}/ differs from make_fixture.py's earlier output"
    upstream = (tmp_path / "UPSTREAM.csv").read_bytes()
    assert upstream == (RAW / "UPSTREAM.csv").read_bytes(), "UPSTREAM.csv differs"


def test_every_refusal_reason_is_given_for_its_reading():
    refused = {(r["file"], r["reason"]) for r in _rows(side_files(EXPECTED)[0])}
    page = "rankings-page/{}/rankings.json".format
    assert refused == {
        ("ranking-files/2026-05-06.json", "duplicate_week"),
        (page("2026-04-09"), "superseded"),
        (page("2026-04-13"), "short_window"),
        (page("2026-04-16"), "empty_models"),
        (page("2026-04-16"), "empty_market_share"),
        (page("2026-04-23"), "near_zero"),
        (page("2026-04-30"), "no_fetched_at"),
        (page("2026-05-01"), "bad_fetched_at"),
        (page("2026-05-07"), "share_over_100"),
        (page("2026-05-14"), "total_undetermined"),
    }


def test_the_latest_reading_of_a_week_is_kept_and_its_window_recorded(anchors):
    total = anchors["RP-2026-04-06-total"]
    assert total["source"] == "rankings_page: data/2026-04-10/rankings.json"
    assert "2026-04-06T00:00Z to 2026-04-10T20:05:00Z (4.83 days" in total["note"]
    assert (total["kind"], total["role"], total["unit"]) == (
        "total_to_date",
        "context",  # the coverage gives the snapshot's total (test_measured_coverage)
        "billion tokens",
    )
    assert float(total["low"]) <= float(total["value"]) <= float(total["high"])
    assert anchors["RP-2026-04-06-top6"]["unit"] == "percent of all tokens"
    assert not [key for key in anchors if key.startswith(("RP-2026-04-13", "RP-2026-05-11"))]


def test_a_free_row_folds_into_its_base_model_and_is_recorded_as_free(anchors):
    model = anchors["RF-2026-04-27-tencent-hy3-preview"]
    free = anchors["RF-2026-04-27-tencent-hy3-preview-free"]
    assert (model["kind"], model["value"]) == ("model", "3440.250")  # 3030 free + 410.25 paid
    assert (free["kind"], free["value"]) == (
        "free",
        "3030.000",
    )  # is_free was false: the suffix decides
    assert model["source"] == (
        "ranking_files: data/2026-05-04.json, rows tencent/hy3-preview-20260421 and :free"
    )
    assert (
        free["source"]
        == "ranking_files: data/2026-05-04.json, row tencent/hy3-preview-20260421:free"
    )
    assert (model["role"], model["grade"], model["source_id"]) == ("knot", "A", "ranking_files")


def test_date_suffixes_and_the_alias_table_map_permaslugs(anchors):
    assert anchors["RF-2026-04-20-anthropic-claude-sonnet-4.6"]["source"].endswith(
        "row anthropic/claude-4.6-sonnet-20260217"
    )
    assert "RF-2026-04-27-moonshotai-kimi-k2.5" in anchors  # -0127: the table
    assert "RF-2026-04-27-openai-gpt-oss-120b" in anchors  # -08-05: the rule
    assert "RF-2026-04-20-deepseek-deepseek-v3.2" in anchors  # -20251201: the rule


def test_an_unmatched_permaslug_is_reported_not_dropped(anchors):
    unmatched = _rows(side_files(EXPECTED)[1])
    assert [(u["permaslug"], u["emitted_as"], u["rows"]) for u in unmatched] == [
        ("newlab/mystery-model-20260401", "newlab/mystery-model", "3")
    ]
    assert "data-api week 2026-05-25" in unmatched[0]["files"]
    kept = anchors["RF-2026-04-27-newlab-mystery-model"]
    assert kept["role"] == "context" and "Unmatched permaslug" in kept["note"]


def test_files_deleted_upstream_are_grade_b_and_a_tuesday_file_says_its_days(anchors):
    old = anchors["RF-2025-05-26-openai-gpt-4o-mini"]
    assert old["grade"] == "B" and "058790c" in old["note"]
    tuesday = anchors["RF-2026-05-04-tencent-hy3-preview"]
    assert "Window 2026-05-05 to 2026-05-11" in tuesday["note"]
    assert "6 of its 7 days in this week" in tuesday["note"]


def test_cli_prints_progress_and_writes_the_three_files(tmp_path, capsys):
    out = tmp_path / "derived" / "anchors.csv"
    assert main(["sources", "import", "--raw", str(RAW), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for line in (
        "UPSTREAM.csv: 20 file(s) listed, every SHA-256 matches",
        "ranking-files: read 5 file(s)",
        "rankings-page: read 11 reading(s)",
        "data-api/llm-carbon-index: read 3 reply file(s)",
        "refused rankings-page/2026-04-23/rankings.json: near_zero",
        "unmatched permaslug newlab/mystery-model-20260401",
        "wrote 151 anchor(s)",
    ):
        assert line in captured.err
    assert f"wrote {out}" in captured.out
    assert out.read_bytes() == EXPECTED.read_bytes()


def _bad_tokens(raw: Path) -> None:
    path = raw / "ranking-files" / "2026-04-27.json"
    data = json.loads(path.read_text())
    data["models"][2]["total_tokens"] = "12x"
    path.write_text(json.dumps(data, indent=2))


def _bad_share(raw: Path) -> None:
    path = raw / "rankings-page" / "2026-04-10" / "rankings.json"
    data = json.loads(path.read_text())
    del data["market_share"][1]["share_pct"]
    path.write_text(json.dumps(data, indent=2))


def _bad_syntax(raw: Path) -> None:
    path = raw / "ranking-files" / "2026-05-04.json"
    path.write_text(path.read_text().replace('"date": "2026-05-04",', '"date": "2026-05-04",,'))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _bad_tokens,
            "ranking-files/2026-04-27.json: $.models[2].total_tokens: expected a whole number "
            'of tokens, got "12x"',
        ),
        (
            _bad_share,
            "rankings-page/2026-04-10/rankings.json: $.market_share[1].share_pct: expected a "
            "non-negative number, got nothing (the field is missing)",
        ),
        (_bad_syntax, "ranking-files/2026-05-04.json: not valid JSON: line 2, column 24"),
    ],
    ids=["wrong-type", "missing-field", "syntax"],
)
def test_a_malformed_file_stops_the_cli_with_one_readable_message(tmp_path, edit, message):
    raw = broken_copy(tmp_path, edit)
    out = tmp_path / "anchors.csv"
    run = subprocess.run(
        [sys.executable, "-m", "tokenrace", "sources", "import", "--raw", raw, "--out", out],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert run.returncode == 1
    assert f"sources import: {message}" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()


def test_a_folder_without_raw_files_is_refused(tmp_path, capsys):
    assert (
        main(["sources", "import", "--raw", str(tmp_path), "--out", str(tmp_path / "a.csv")]) == 1
    )
    message = "holds none of ranking-files/, rankings-page/, data-api/ (nothing to import)"
    assert message in capsys.readouterr().err


def test_a_file_that_breaks_its_tokens_down_gives_its_input_mix(tmp_path) -> None:
    """Prompt share of prompt plus completion, and the cached part of the prompt, over the rows
    that break their tokens down (exact, to two decimals); none from a file deleted upstream."""
    import pandas as pd

    from tokenrace.sources import facts
    from tokenrace.sources.measured import ranking_files as rf
    from tokenrace.sources.measured.aliases import read_aliases, read_models

    aliases = read_aliases(SOURCES / "aliases.csv", read_models(MODELS))
    rows = (
        rf.Row("deepseek/deepseek-v4-flash-20260423", 900, 2, 1, 1),  # 2 of 3 input, 1 cached
        rf.Row("anthropic/claude-4.6-sonnet-20260217", 600, 0, 0, 0),  # no breakdown: left out
        rf.Row("moonshotai/kimi-k2.6", 500, 1, 0, 0),
    )
    kept = rf.WeeklyFile(
        "ranking-files/2026-05-04.json", rf.date(2026, 5, 4), rf.date(2026, 4, 27), 7, rows
    )
    mix = {a["id"]: a for a in rf.file_anchors(kept, aliases, "A")[0] if a["kind"] == "share"}
    assert mix["RF-2026-04-27-input-share"]["value"] == "75.00"  # (2 + 1) of (2 + 1 + 1)
    assert mix["RF-2026-04-27-cached-share"]["value"] == "33.33"  # 1 of 3 prompt tokens
    assert all(a["role"] == "context" for a in mix.values())
    assert (
        "2 of its 3 listed rows break their tokens down" in mix["RF-2026-04-27-input-share"]["note"]
    )
    deleted = rf.WeeklyFile(
        "ranking-files/2025-06-02.json", rf.date(2025, 6, 2), rf.date(2025, 5, 26), 7, rows
    )
    assert not [a for a in rf.file_anchors(deleted, aliases, "A")[0] if a["kind"] == "share"]

    # the humanist chapter's mix: the latest measured by the essay's week, from measured.csv
    committed = facts.input_mix(pd.Timestamp("2026-05-25"))
    measured = {row["id"]: row for row in _rows(SOURCES / "measured.csv")}
    assert committed.ids == ("RF-2026-04-27-input-share", "RF-2026-04-27-cached-share")
    assert committed.input_pct == float(measured[committed.ids[0]]["value"])
    later = [
        row["week"]
        for row in measured.values()
        if row["subject"] == rf.INPUT_SHARE and "2026-04-27" < row["week"] <= "2026-05-25"
    ]
    assert later == [], "a later measured mix by the essay's week"
