"""The reconstruction: sources reproduced, deterministic output, the story it tells, failures."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from tokenrace import load_snapshot
from tokenrace.analysis.recut import model_attributes, weekly_total
from tokenrace.reconstruct.representative import (
    ReconstructionError,
    check_anchors,
    in_weeks,
    read_sources,
    write_snapshot,
)
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

SOURCES = DEFAULT_DATA_DIR / "sources"
TRILLION = 1e12


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def sources():
    return read_sources(SOURCES)


#: The whole weeks the Data API measures: the essay's (25-31 May 2026) and every one after it.
API_WEEKS = [f"{w:%Y-%m-%d}" for w in pd.date_range("2026-05-25", "2026-08-10", freq="7D")]


def _week(snap, week: str) -> pd.Series:
    weekly = snap.weekly
    return weekly[weekly["week"] == pd.Timestamp(week)].set_index("model")["tokens"]


# -- (a) the committed data reproduce the sources ------------------------------------------------


def test_every_knot_and_check_anchor_is_reproduced(snap, sources):
    anchors, _ = sources
    result = check_anchors(snap.weekly, anchors, model_attributes(snap))
    measured = in_weeks(anchors, snap.weeks)
    assert list(result["id"]) == list(measured["id"]), "one result row per knot or check anchor"
    assert len(result) > 1000, "the imported measurements are checked too"
    assert set(result["role"]) == {"knot", "check"}
    failing = result[~result["ok"]]
    assert failing.empty, "anchors not reproduced:\n" + failing.to_string()


def test_check_anchors_catches_a_wrong_series(snap, sources):
    """The anchor check can fail: halve one knot model's tokens and its anchor breaks."""
    anchors, _ = sources
    weekly = snap.weekly.copy()
    hy3 = weekly["model"] == "tencent/hy3-preview"
    weekly.loc[hy3, "tokens"] //= 2
    result = check_anchors(weekly, anchors, model_attributes(snap)).set_index("id")
    hy3 = ["RF-2026-04-27-tencent-hy3-preview", "RF-2026-05-04-tencent-hy3-preview"]
    assert not result.loc[hy3, "ok"].any()
    measured = dict(zip(anchors["id"], anchors["value"], strict=True))[hy3[0]]
    assert result.at[hy3[0], "measured"] == pytest.approx(measured / 2, rel=1e-3)


def test_anchor_table_is_well_formed(sources):
    anchors, _ = sources
    assert anchors["id"].is_unique
    assert set(anchors["role"]) == {"knot", "check", "context"}
    assert (anchors["source"].str.strip() != "").all()
    assert len(anchors[anchors["role"] == "knot"]) >= 30


def test_every_context_anchor_says_why_it_is_not_reproduced(sources):
    anchors, _ = sources
    context = anchors[anchors["role"] == "context"]
    assert len(context) >= 5
    blank = context[context["note"].str.strip() == ""]
    assert blank.empty, "context anchors without a note:\n" + blank.to_string()


def test_every_knot_has_a_reason(sources):
    _, knots = sources
    assert len(knots) >= 10
    blank = knots[knots["reason"].str.strip() == ""]
    assert blank.empty, "knots without a reason:\n" + blank.to_string()
    assert not knots.duplicated(["series", "week"]).any()


# -- (b) deterministic, and what is committed ----------------------------------------------------


@pytest.fixture(scope="module")
def reconstruct_runs(tmp_path_factory, cli_many):
    """``python -m tokenrace reconstruct`` twice into fresh folders, and once with bad sources."""
    root = tmp_path_factory.mktemp("reconstruct")
    bad_sources = _sources_with_huge_knot(root / "bad-sources")
    outs = {"first": root / "first", "second": root / "second", "bad": root / "bad-out"}
    data_before = _bytes_under(DEFAULT_DATA_DIR)
    jobs = {
        "first": (("reconstruct", "--out", str(outs["first"])), None),
        "second": (("reconstruct", "--out", str(outs["second"])), None),
        "bad": (("reconstruct", "--sources", str(bad_sources), "--out", str(outs["bad"])), None),
    }
    results = cli_many(jobs)
    assert _bytes_under(DEFAULT_DATA_DIR) == data_before, "reconstruct --out X changed data/"
    return outs, results


def _bytes_under(folder):
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_reconstruct_twice_is_byte_identical_to_committed_data(reconstruct_runs):
    outs, results = reconstruct_runs
    for key in ("first", "second"):
        assert results[key].returncode == 0, results[key].stderr
        assert f"wrote {outs[key] / 'weekly_tokens.csv'}" in results[key].stdout
    first = (outs["first"] / "weekly_tokens.csv").read_bytes()
    second = (outs["second"] / "weekly_tokens.csv").read_bytes()
    assert first == second
    assert first == (DEFAULT_DATA_DIR / "weekly_tokens.csv").read_bytes()
    assert b"\r\n" not in first
    assert first.startswith(b"week,model,tokens,free_tokens\n2025-05-26,")
    provenance = (outs["first"] / "provenance.csv").read_bytes()
    assert provenance == (outs["second"] / "provenance.csv").read_bytes()
    assert provenance == (DEFAULT_DATA_DIR / "provenance.csv").read_bytes()


def test_reconstructed_folder_is_a_whole_valid_snapshot(reconstruct_runs):
    outs, _ = reconstruct_runs
    for name in ("models.csv", "authors.csv", "datapackage.json"):
        assert (outs["first"] / name).read_bytes() == (DEFAULT_DATA_DIR / name).read_bytes()
    snap = load_snapshot(outs["first"])
    assert snap.fingerprint == load_snapshot(DEFAULT_DATA_DIR).fingerprint


# -- (c) the story the sources tell holds in the committed data ----------------------------------


def test_platform_total_first_and_last_week(snap):
    total = weekly_total(snap)
    assert 1.5 * TRILLION <= total.iloc[0] <= 2.5 * TRILLION, total.iloc[0]
    assert total.iloc[-1] > 30 * TRILLION, total.iloc[-1]
    assert total.index[0] == pd.Timestamp("2025-05-26")
    assert total.index[-1] == pd.Timestamp("2026-08-10")


def _api_week(sources, week: str) -> pd.Series:
    """The Data API's anchors of one whole week: each model's tokens and ``other``."""
    anchors, _ = sources
    mine = anchors[(anchors["source_id"] == "data_api") & (anchors["week"] == week)]
    models = mine[mine["kind"] == "model"].set_index("subject")["value"]
    other = mine.loc[mine["kind"] == "other", "value"]
    return pd.concat([models, pd.Series({"other": float(other.iloc[0])})]) * 1e9


@pytest.mark.parametrize("week", API_WEEKS)
def test_every_data_api_week_is_the_apis_own(snap, sources, week):
    """The essay's week (25-31 May 2026) and every week after it are OpenRouter's own
    measurement: every listed model and the long tail are the Data API's rows summed, and no
    other model is listed."""
    last_week = _week(snap, week)
    api = _api_week(sources, week)
    assert set(last_week.index) == set(api.index)
    off = (last_week.sort_index() - api.sort_index()).abs()
    assert off.drop("other").max() <= 1e6  # each row rounded to whole millions
    # The long tail is the total minus the listed rows, so it carries their rounding.
    assert off["other"] <= 0.5e6 * len(off)


@pytest.mark.parametrize("week", API_WEEKS)
def test_the_largest_author_and_the_top_three_are_the_apis(snap, sources, week):
    last_week = _week(snap, week)
    api = _api_week(sources, week).drop("other")
    listed = last_week.drop("other")
    authors = listed.groupby(listed.index.str.split("/").str[0]).sum().sort_values()
    measured = api.groupby(api.index.str.split("/").str[0]).sum().sort_values()
    assert authors.index[-1] == measured.index[-1], authors.tail(3)
    top = listed.sort_values(ascending=False)
    assert list(top.index[:3]) == list(api.sort_values(ascending=False).index[:3]), top.head(5)
    assert top.iloc[2] > top.iloc[3], "no tie for third place"


def test_stealth_and_long_tail_are_unattributed(snap):
    attrs = model_attributes(snap)
    assert attrs.at["other", "group"] == "unattributed"
    assert attrs.loc[attrs["author"] == "openrouter", "group"].eq("unattributed").all()


# -- (d) knots that leave no room for the long tail ----------------------------------------------

HUGE_KNOT = (
    "x-ai/grok-code-fast-1,2025-06-02,50000,40000,60000,Test: far above the platform total,Test\n"
)


def _sources_with_huge_knot(target):
    shutil.copytree(SOURCES, target)
    with (target / "knots.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(HUGE_KNOT)
    return target


def test_too_little_room_for_other_raises(tmp_path):
    sources = _sources_with_huge_knot(tmp_path / "sources")
    out = tmp_path / "out"
    with pytest.raises(ReconstructionError) as info:
        write_snapshot(sources=sources, out=out)
    message = str(info.value)
    assert "'other'" in message
    assert "less than 3% of the platform total" in message
    assert "2025-06-02" in message
    assert "2025-05-26" not in message, "only the week of the huge knot is too full"
    assert not (out / "weekly_tokens.csv").exists()


def test_reconstruct_cli_reports_the_error_without_traceback(reconstruct_runs):
    outs, results = reconstruct_runs
    bad = results["bad"]
    assert bad.returncode == 1
    assert "Traceback" not in bad.stdout + bad.stderr
    assert "reconstruct: the listed models leave less than 3%" in bad.stderr
    assert "2025-06-02" in bad.stderr
    assert not (outs["bad"] / "weekly_tokens.csv").exists()


def test_knot_for_unknown_model_raises(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    with (sources / "knots.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("acme/rocket-1,2025-10-06,10,5,20,Test,Test\n")
    with pytest.raises(ReconstructionError, match=r"no row in models\.csv: \['acme/rocket-1'\]"):
        write_snapshot(sources=sources, out=tmp_path / "out")
