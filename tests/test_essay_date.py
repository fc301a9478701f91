"""The essay's date is data: claims are judged as of its week, and the weeks since are shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tokenrace import load_snapshot
from tokenrace.book import prose
from tokenrace.claims import evidence
from tokenrace.claims import register as claims
from tokenrace.claims.reporting import since_then
from tokenrace.diff import claim_changes
from tokenrace.figures import charts
from tokenrace.reconstruct.series import _weights
from tokenrace.snapshot.essay import (
    ESSAY_FILE,
    EssayDateError,
    as_of_essay,
    essay_date,
    upto,
)
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, REPO_ROOT

ESSAY_WEEK = pd.Timestamp("2026-05-25")


@pytest.fixture(scope="module")
def full():
    return load_snapshot(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def found(full) -> dict:
    return evidence.compute(full)


def _cut_folder(tmp_path: Path, week: str) -> Path:
    """data/ with its weekly table and provenance cut after ``week`` (sources kept)."""
    folder = Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path / f"cut-{week}"))
    for name in ("weekly_tokens.csv", "provenance.csv"):
        table = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        table[table["week"] <= week].to_csv(folder / name, index=False, lineterminator="\n")
    return folder


# --- the date, recorded once ---------------------------------------------------------------------


def test_the_essay_week_is_recorded_with_its_source() -> None:
    essay = essay_date()
    assert essay.week == ESSAY_WEEK and essay.week.dayofweek == 0
    assert "late May 2026" in essay.words
    assert "chart" in essay.source and essay.label == "week of 25 May 2026"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("week: 2026-05-26", "is a Tuesday; a week starts on a Monday"),
        ("week: late May", "'late May' is not an ISO date"),
        ("week:", "no 'week:' line with a value"),
    ],
)
def test_a_bad_essay_week_is_refused_by_file_and_line(tmp_path, line, message) -> None:
    text = (REPO_ROOT / ESSAY_FILE).read_text(encoding="utf-8")
    (tmp_path / ESSAY_FILE).write_text(
        "\n".join(line if row.startswith("week:") else row for row in text.splitlines()),
        encoding="utf-8",
    )
    with pytest.raises(EssayDateError, match=message) as err:
        essay_date(tmp_path)
    assert ESSAY_FILE in str(err.value)
    if "Tuesday" in message:
        assert ", line 5, 'week'" in str(err.value)


def test_a_missing_essay_file_is_named(tmp_path) -> None:
    with pytest.raises(EssayDateError, match="not found"):
        essay_date(tmp_path)


# --- the snapshot runs on; the verdicts stay as of the essay -------------------------------------


def test_the_snapshot_runs_to_the_last_complete_week_measured(full) -> None:
    assert full.weeks[-1] == pd.Timestamp("2026-08-10")
    assert ESSAY_WEEK in full.weeks and full.weeks[-1] > ESSAY_WEEK


def test_every_week_after_the_essay_is_measured_with_provenance(full) -> None:
    prov = full.provenance
    later = prov[pd.to_datetime(prov["week"]) > ESSAY_WEEK]
    assert not later.empty
    assert (later["class"] == "sourced").all(), later[later["class"] != "sourced"].head()
    assert later["point"].str.startswith("DA-").all()
    assert (later["grade"] == "A").all()
    # Every weekly value after the essay has its provenance row (the long tail is the total
    # minus the listed models, each of them measured).
    weekly = full.weekly[full.weekly["week"] > ESSAY_WEEK]
    listed = weekly[weekly["model"] != "other"]
    keys = set(zip(later["week"], later["series"], strict=True))
    pairs = zip(listed["week"], listed["model"], strict=True)
    assert all((f"{w:%Y-%m-%d}", m) in keys for w, m in pairs)
    assert all((f"{w:%Y-%m-%d}", "all") in keys for w in weekly["week"].unique())


def test_every_verdict_at_the_essay_date_is_the_same_on_the_cut_snapshot(
    full, found, tmp_path
) -> None:
    cut = load_snapshot(_cut_folder(tmp_path, "2026-05-25"))
    assert cut.weeks[-1] == ESSAY_WEEK
    again = evidence.compute(cut)
    assert again["essay"]["judged"] == found["essay"]["judged"] == "2026-05-25"
    for claim in claims.REGISTER:
        a, b = found["claims"][claim.id], again["claims"][claim.id]
        assert (a["level"], a["central"], a["share"]) == (b["level"], b["central"], b["share"])
        assert a["since"]["week"] == b["since"]["week"]
    assert [r.measured for r in claims.evaluate(full)] == [r.measured for r in claims.evaluate(cut)]
    # The cut has no later week; the full snapshot has eleven.
    assert all(e["after"]["weeks"] == 0 for e in again["claims"].values())
    assert all(e["after"]["weeks"] == 11 for e in found["claims"].values())


def test_since_then_counts_the_later_weeks_one_by_one(full, found) -> None:
    for claim in claims.REGISTER:
        outcomes = [
            claim.evaluate(upto(full, week)).holds for week in full.weeks if week > ESSAY_WEEK
        ]
        after = found["claims"][claim.id]["after"]
        assert after["passes"] == sum(1 for o in outcomes if o)
        assert after["latest_holds"] == outcomes[-1]
        assert after["latest"] == "2026-08-10"
    text = since_then(found["claims"]["essay-split"]["after"])
    assert text.startswith("Since the essay: its test passes in ")
    assert "later weeks; on the latest, the week of 10 Aug 2026, it " in text


def test_a_snapshot_that_ends_before_the_essay_is_judged_on_its_last_week(tmp_path) -> None:
    early = load_snapshot(_cut_folder(tmp_path, "2026-05-11"))
    view = as_of_essay(early)
    assert view.week == pd.Timestamp("2026-05-11") and view.later.empty
    assert "ends before the essay's week of 25 May 2026" in view.note
    assert "judged on its last week, the week of 11 May 2026" in view.note
    found = evidence.load(early)
    assert found["essay"]["note"] == view.note
    assert view.note in prose.since(early, "race")


def test_the_prose_since_the_essay_reads_both_ways(full, tmp_path) -> None:
    text = prose.since(full, "fork")
    assert "11 weeks past the essay's, to the week of 10 Aug 2026" in text
    assert "*essay-split* (measured: Last week, of all tokens: Chinese open-weight" in text
    cut = load_snapshot(_cut_folder(tmp_path, "2026-05-25"))
    assert "no later week" in prose.since(cut, "fork")


def test_diff_reports_a_change_in_the_weeks_since(full, tmp_path) -> None:
    shorter = load_snapshot(_cut_folder(tmp_path, "2026-08-03"))
    rows = claim_changes(shorter, full, levels=False)
    assert all(r["old_test"] == r["new_test"] for r in rows)  # the same week is judged
    assert all(r["changed"] == (r["old_since"] != r["new_since"]) for r in rows)
    assert all("of 10 later weeks" in r["old_since"] for r in rows)
    assert all("of 11 later weeks" in r["new_since"] for r in rows)
    assert all(r["changed"] for r in rows)


# --- charts mark the essay's week -----------------------------------------------------------------


def test_a_weekly_chart_marks_the_essay_week_and_shades_the_weeks_after(full) -> None:
    import matplotlib.pyplot as plt

    fig, ax = charts.new_figure("A weekly chart")
    ax.plot(full.weeks, np.arange(len(full.weeks)))
    charts.week_axis(ax)
    caption, alt = charts.essay_marks(fig, full)
    rules = [line for line in ax.get_lines() if list(line.get_xdata()) == [ESSAY_WEEK] * 2]
    assert len(rules) == 1
    assert "week of 25 May 2026" in caption and "week of 10 August 2026" in caption
    assert "shaded" in alt
    assert {t.get_text().strip() for t in ax.texts} >= {"essay", "since"}
    plt.close(fig)


def test_the_chart_data_say_which_weeks_are_after_the_essay() -> None:
    data = pd.DataFrame({"week": ["2026-05-18", "2026-05-25", "2026-06-01"], "x": [1, 2, 3]})
    out = charts.with_after_essay(data)
    assert list(out.columns) == ["week", charts.AFTER_ESSAY, "x"]
    assert list(out[charts.AFTER_ESSAY]) == ["false", "false", "true"]


# --- between measurements, no bridge across a measured week ---------------------------------------


def test_a_week_measured_in_full_breaks_an_interpolation() -> None:
    closed = np.zeros(10, dtype=bool)
    closed[6] = True
    weights, inside = _weights([1, 4, 8], 10, closed)
    assert inside.tolist() == [False, True, True, True, True, False, False, False, True, False]
    assert weights[:, 5].sum() == 0 and weights[:, 7].sum() == 0
    bridged, inside = _weights([1, 4, 8], 10)
    assert inside[1:9].all() and bridged[:, 6].sum() == pytest.approx(1)
