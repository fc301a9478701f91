"""The Data API archives and the SHA-256 check of the importer, on the invented raw files
(``rawsources.RAW``, written by ``tests/fixtures/raw-sources/make_fixture.py``): weekly sums,
week-to-date weeks, lower bounds where a model left the top rows, the long tail, collectors that
must agree, and raw files that do not match ``UPSTREAM.csv``."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from rawsources import EXPECTED as EXPECTED_DIR
from rawsources import RAW, broken_copy
from tokenrace.cli import main
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.measured.importer import import_sources
from tokenrace.sources.measured.raw import RawSourceError
from tokenrace.sources.measured.upstream import UpstreamError

EXPECTED = EXPECTED_DIR / "anchors.csv"
SOURCES = DEFAULT_DATA_DIR / "sources"
MODELS = DEFAULT_DATA_DIR / "models.csv"
B = 10**9


def _days() -> dict[str, dict[str, int]]:
    """Every day of the fixture's collected archive and replies, as tokens by permaslug."""
    days: dict[str, dict[str, int]] = {}
    for path in sorted((RAW / "data-api" / "llm-carbon-index").glob("*.json")):
        for row in json.loads(path.read_text())["data"]:
            days.setdefault(row["date"], {})[row["model_permaslug"]] = int(row["total_tokens"])
    collected = json.loads((RAW / "data-api" / "casualstudy" / "openrouter-usage.json").read_text())
    for day, rows in collected.items():
        for slug, row in rows.items():
            days.setdefault(day, {})[slug] = int(row["total_tokens"])
    return days


@pytest.fixture(scope="module")
def anchors() -> dict[str, dict[str, str]]:
    with EXPECTED.open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _billions(tokens: int) -> str:
    return f"{tokens / B:.3f}"


def test_a_whole_week_sums_its_seven_days_and_the_tail_is_the_other_rows(anchors):
    days = _days()
    week = [f"2026-05-{d}" for d in range(25, 32)]
    total = sum(sum(days[d].values()) for d in week)
    assert anchors["DA-2026-05-25-total"]["kind"] == "total"
    assert anchors["DA-2026-05-25-total"]["value"] == _billions(total)
    assert anchors["DA-2026-05-25-total"]["role"] == "knot"
    other = anchors["DA-2026-05-25-other"]
    assert (other["kind"], other["role"]) == ("other", "knot")
    assert other["value"] == _billions(sum(days[d]["other"] for d in week))
    flash = anchors["DA-2026-05-25-deepseek-deepseek-v4-flash"]
    slug = "deepseek/deepseek-v4-flash-20260423"
    assert flash["value"] == _billions(sum(days[d][slug] for d in week))
    assert (flash["low"], flash["high"], flash["days"]) == ("", "", "")


def test_a_model_outside_the_top_rows_on_a_day_is_a_lower_bound(anchors):
    days = _days()
    week = [f"2026-05-{d}" for d in range(25, 32)]
    slug = "anthropic/claude-opus-4.7-20260416"
    missing = [d for d in week if slug not in days[d]]
    assert missing == ["2026-05-27"]
    opus = anchors["DA-2026-05-25-anthropic-claude-opus-4.7"]
    measured = sum(days[d].get(slug, 0) for d in week)
    smallest = min(t for p, t in days["2026-05-27"].items() if p != "other")
    assert opus["value"] == opus["low"] == _billions(measured)
    assert opus["high"] == _billions(measured + smallest)
    assert "lower bound" in opus["note"]


def test_a_partial_week_is_week_to_date_with_its_days(anchors):
    total = anchors["DA-2026-05-18-total"]
    assert (total["kind"], total["days"]) == ("total_to_date", "5.00000")
    assert "5 of its 7 days (2026-05-20 to 2026-05-24)" in total["note"]
    assert anchors["DA-2026-05-18-deepseek-deepseek-v4-flash"]["kind"] == "model_to_date"
    assert anchors["DA-2026-05-18-other"]["kind"] == "other_to_date"


def test_free_permaslugs_fold_into_the_model_and_count_apart(anchors):
    days = _days()
    week = [f"2026-05-{d}" for d in range(20, 25)]
    paid, free = "tencent/hy3-preview-20260421", "tencent/hy3-preview-20260421:free"
    model = anchors["DA-2026-05-18-tencent-hy3-preview"]
    assert model["value"] == _billions(
        sum(days[d].get(paid, 0) + days[d].get(free, 0) for d in week)
    )
    assert anchors["DA-2026-05-18-tencent-hy3-preview-free"]["value"] == _billions(
        sum(days[d].get(free, 0) for d in week)
    )


def test_daily_totals_are_recorded_and_an_unmatched_permaslug_is_context(anchors):
    day = anchors["DA-2026-05-27-day-total"]
    assert (day["kind"], day["role"], day["week"]) == ("day_total", "context", "2026-05-25")
    assert day["value"] == _billions(sum(_days()["2026-05-27"].values()))
    assert anchors["DA-2026-05-25-newlab-mystery-model"]["role"] == "context"


def _disagree(raw: Path) -> None:
    path = raw / "data-api" / "casualstudy" / "openrouter-usage.json"
    data = json.loads(path.read_text())
    data["2026-05-25"]["other"]["total_tokens"] = "1"
    path.write_text(json.dumps(data))


def test_two_archives_that_disagree_stop_the_import_naming_both(tmp_path):
    raw = broken_copy(tmp_path, _disagree)
    with pytest.raises(RawSourceError, match=r"2026-05-25 other: .*disagree") as err:
        import_sources(raw, tmp_path / "a.csv", sources=SOURCES, models=MODELS)
    assert "llm-carbon-index" in str(err.value) and "casualstudy" in str(err.value)


def _no_other(raw: Path) -> None:
    for path in (raw / "data-api").rglob("*.json"):
        data = json.loads(path.read_text())
        if "data" in data:
            data["data"] = [
                r
                for r in data["data"]
                if not (r["date"] == "2026-06-03" and r["model_permaslug"] == "other")
            ]
        else:
            data.get("2026-06-03", {}).pop("other", None)
        path.write_text(json.dumps(data))


def test_a_day_without_its_other_row_stops_the_import(tmp_path):
    raw = broken_copy(tmp_path, _no_other)
    with pytest.raises(RawSourceError, match="2026-06-03 has no 'other' row"):
        import_sources(raw, tmp_path / "a.csv", sources=SOURCES, models=MODELS)


def _change(raw: Path) -> None:
    path = raw / "ranking-files" / "2026-05-04.json"
    path.write_text(path.read_text().replace("3030000000000", "3030000000001"))


def _remove(raw: Path) -> None:
    (raw / "data-api" / "llm-carbon-index" / "2026-05-28.json").unlink()


def _add(raw: Path) -> None:
    shutil.copytree(raw / "rankings-page" / "2026-05-21", raw / "rankings-page" / "2026-05-22")


def _no_table(raw: Path) -> None:
    (raw / "UPSTREAM.csv").unlink()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_change, "ranking-files/2026-05-04.json: changed (SHA-256"),
        (_remove, "data-api/llm-carbon-index/2026-05-28.json: listed in UPSTREAM.csv but missing"),
        (_add, "rankings-page/2026-05-22/rankings.json: not listed in UPSTREAM.csv"),
        (_no_table, "UPSTREAM.csv: not found"),
    ],
    ids=["changed", "missing", "unlisted", "no-table"],
)
def test_a_raw_file_that_does_not_match_upstream_is_refused_by_name(tmp_path, edit, message):
    raw = broken_copy(tmp_path, edit, reseal=False)
    out = tmp_path / "a.csv"
    with pytest.raises(UpstreamError, match=re.escape(message)):
        import_sources(raw, out, sources=SOURCES, models=MODELS)
    assert not out.exists(), "nothing is written when a raw file does not match"


def _shift_a_date(raw: Path) -> None:
    path = raw / "data-api" / "casualstudy" / "openrouter-usage.json"
    path.write_text(path.read_text().replace("2026-06-07", "2026-06-08", 1))


def test_the_cli_names_a_changed_file_without_a_traceback(tmp_path, capsys):
    raw = broken_copy(tmp_path, _shift_a_date, reseal=False)
    code = main(["sources", "import", "--raw", str(raw), "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert "openrouter-usage.json: changed" in err and "Traceback" not in err
