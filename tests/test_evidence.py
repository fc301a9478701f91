"""Evidence before verdicts: provenance, ranges, the ensemble, the verdict scale, since when."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipped import CONTRADICTED
from tokenrace import load_snapshot
from tokenrace.analysis.cube import Cube
from tokenrace.claims import evidence
from tokenrace.claims import register as claims
from tokenrace.reconstruct import ensemble
from tokenrace.reconstruct import representative as rc
from tokenrace.snapshot.essay import as_of_essay
from tokenrace.snapshot.load import check_snapshot
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources import inputs

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = DEFAULT_DATA_DIR / "sources"
ORDER = [evidence.SOURCED, evidence.ASSUMED, evidence.UNCERTAIN, evidence.FAILS]


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def found(snap) -> dict:
    return evidence.compute(snap)


def _data_with_sources(tmp_path: Path) -> Path:
    """A full copy of data/ (sources and provenance included)."""
    return Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path / "data"))


def _set_knot(folder: Path, key: str, **values: float) -> None:
    knots = pd.read_csv(folder / "sources" / "knots.csv", dtype=str, keep_default_na=False)
    series, week = key.split("@")
    row = (knots["series"] == series) & (knots["week"] == week)
    assert row.sum() == 1, key
    for column, value in values.items():
        knots.loc[row, column] = f"{value:g}"
    knots.to_csv(folder / "sources" / "knots.csv", index=False, lineterminator="\n")


# --- provenance -------------------------------------------------------------------------------


def test_provenance_classes_every_value(snap) -> None:
    prov = snap.provenance.set_index(["week", "series"])
    assert set(prov["class"]) == {"sourced", "interpolated", "assumed"}
    final = prov.loc[("2026-05-25", "all")]
    assert (final["class"], final["point"], final["grade"]) == (
        "sourced",
        "DA-2026-05-25-total",
        "A",
    )
    to_date = prov.loc[("2026-05-18", "all")]
    assert (to_date["class"], to_date["point"]) == ("sourced", "DA-2026-05-18-total")
    first = prov.loc[("2025-05-26", "all")]
    assert first["class"] == "assumed" and first["point"] == "all@2025-05-26"
    between = prov.loc[("2025-08-04", "all")]
    assert between["class"] == "interpolated"
    assert (between["before"], between["after"]) == ("T02 (sourced)", "all@2025-11-24 (assumed)")
    capped = prov[prov["note"].str.startswith("held at the cap of RF-")]
    assert len(capped), "an interpolated level above a file's smallest row is held at it"
    listed = snap.weekly[snap.weekly["model"] != "other"]
    assert len(prov.xs("all", level="series")) == len(snap.weeks)
    free_known = listed["free_tokens"].notna().sum()
    assert len(prov) == len(snap.weeks) + len(listed) + free_known


def test_provenance_breaches_are_reported_by_file_row_and_column(tmp_path: Path) -> None:
    folder = _data_with_sources(tmp_path)
    path = folder / "provenance.csv"
    original = path.read_text().splitlines()
    lines = list(original)
    lines[1] = lines[1].replace(",sourced,", ",guessed,").replace(",assumed,", ",guessed,")
    path.write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in check_snapshot(folder)]
    assert any(p.startswith("provenance.csv, row 2, column 'class': 'guessed'") for p in problems)
    lines = list(original)
    dropped = lines.pop(5).split(",")
    lines.append(lines[-1].replace("2026-08-10", "2026-08-17"))
    path.write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in check_snapshot(folder)]
    assert f"has no row for {dropped[1]} in the week of {dropped[0]}" in "\n".join(problems)
    assert any(
        re.match(r"provenance\.csv, row \d+, column 'series': .* has no such value", p)
        for p in problems
    ), problems


def test_a_fetched_snapshot_needs_no_provenance(tiny_snapshot) -> None:
    assert not (tiny_snapshot / "provenance.csv").exists()
    assert check_snapshot(tiny_snapshot) == []


# --- ranges -------------------------------------------------------------------------------------


def test_every_input_has_a_range_around_its_value() -> None:
    table = inputs.read_inputs(SOURCES)
    assert (table["low"] <= table["central"]).all() and (table["central"] <= table["high"]).all()
    assert (table["range_note"].str.strip() != "").all()
    assert set(table["kind"]) == {"sourced", "assumed"}
    knots = inputs.read_knots(SOURCES)
    assert (knots["range_reason"].str.strip() != "").all() and (knots["low"] < knots["high"]).any()


@pytest.mark.parametrize(("grade", "half"), [("A", 0.05), ("B", 0.15), ("C", 0.30)])
def test_grade_defaults_are_stated_once_and_documented(grade: str, half: float) -> None:
    assert inputs.GRADE_HALF_WIDTH[grade] == half
    low, high = inputs.anchor_range(grade, 1000.0, math.nan, math.nan)
    assert (low, high) == pytest.approx((1000 * (1 - half), 1000 * (1 + half)))
    assert inputs.anchor_range(grade, 1000.0, 900.0, math.nan) == pytest.approx(
        (900.0, 1000 * (1 + half))
    )
    readme = (DEFAULT_DATA_DIR / "README.md").read_text()
    assert f"**{grade} ±{half:.0%}**".replace("%", " %") in readme


def test_a_bad_number_in_the_sources_names_file_row_and_column(tmp_path: Path) -> None:
    folder = _data_with_sources(tmp_path)
    _set_knot(folder, "all@2026-05-25", low=1)
    text = (folder / "sources" / "knots.csv").read_text().replace(",1,33200,", ",lots,33200,")
    (folder / "sources" / "knots.csv").write_text(text)
    with pytest.raises(inputs.SourcesError, match=r"knots\.csv, row 6, column 'low': 'lots'"):
        inputs.read_inputs(folder / "sources")


# --- the ensemble -------------------------------------------------------------------------------


def test_enough_draws_for_five_points_at_95_percent() -> None:
    assert ensemble.margin_of_error(ensemble.DRAWS) <= 0.05
    assert ensemble.margin_of_error(ensemble.DRAWS - 30) > 0.05 or ensemble.DRAWS < 420


def test_draws_stay_within_the_contract(snap) -> None:
    plan = rc.design(SOURCES, list(snap.models["model"]), snap.weeks)
    cube, _ = ensemble.draw(plan, Cube.from_snapshot(snap), n=50)
    listed = cube.tokens[:, cube.listed, :]
    total = cube.tokens.sum(axis=1)
    assert (cube.tokens >= 0).all()
    assert (listed.sum(axis=1) <= (1 - rc.MIN_OTHER_SHARE) * total + 1).all()
    free = cube.free[:, cube.listed, :]
    assert (np.nan_to_num(free) <= listed + 1).all() and (np.nan_to_num(free) >= 0).all()


def test_each_draw_splits_the_long_tail_and_keeps_every_week_whole(snap) -> None:
    plan = rc.design(SOURCES, list(snap.models["model"]), snap.weeks)
    template = Cube.from_snapshot(snap)
    cube, _ = ensemble.draw(plan, template, n=60)
    floor = ensemble.rebuild_cube(
        plan, ensemble.draw_values(plan.inputs, 60, np.random.default_rng(ensemble.SEED)), template
    )
    # The split moves tokens within the tail only: every week's total and every listed model
    # are those of the same draw with the tail left whole.
    assert (cube.tokens.sum(axis=1) == floor.tokens.sum(axis=1)).all()
    assert (cube.tokens[:, cube.listed] == floor.tokens[:, floor.listed]).all()
    parts = [ensemble.TAIL_PART + g for g in ensemble.TAIL_GROUPS]
    assert list(cube.models[-3:]) == [*parts, "other"]
    assert not cube.listed[-3:].any()
    assert list(cube.attrs.loc[parts, "country"]) == ["CN", "US"]
    tail = cube.tokens[:, -3:, :]
    assert (tail >= 0).all() and (tail % 1_000_000 == 0).all()
    # The parts vary from draw to draw: the tail's mix is drawn, not fixed.
    cn_part = tail[:, 0, :].sum(axis=1) / tail.sum(axis=(1, 2))
    assert cn_part.min() < 0.2 and cn_part.max() > 0.6


def test_the_tail_mix_is_uniform_over_all_splits() -> None:
    mix = ensemble.tail_mix(20_000, np.random.default_rng(1))
    assert mix.shape == (20_000, len(ensemble.TAIL_GROUPS) + 1)
    assert np.allclose(mix.sum(axis=1), 1) and (mix >= 0).all()
    assert np.allclose(mix.mean(axis=0), 1 / mix.shape[1], atol=0.01)  # no group favoured


def test_a_reading_keeps_a_country_within_its_bounds(snap) -> None:
    plan = rc.design(SOURCES, list(snap.models["model"]), snap.weeks)
    template = Cube.from_snapshot(snap)
    series = plan.rebuild(plan.central)
    k = int(np.flatnonzero(~np.isnan(plan.shares["CN"][0]))[0])
    total = series.total[0, k]
    shares = {code: np.full((2, len(plan.weeks)), np.nan) for code in ("CN", "US")}
    country = template.attrs["country"].reindex(series.models).to_numpy()
    listed_cn = series.listed[0, country == "CN", k].sum()
    # A bound that allows at most 1 point of all tokens more than China's listed models: a draw
    # that gives China the whole tail is held there.
    shares["CN"][:, k] = [0.0, 100 * listed_cn / total + 1]
    everything = np.array([[1.0, 0.0, 0.0]])
    parts = ensemble.split_tail(series, everything, shares, template)
    assert parts[0, 0, k] <= total / 100 + 1
    assert parts[0, 0, k] >= total / 100 - 1_000_000
    unbounded = [j for j in range(len(plan.weeks)) if j != k]
    assert (parts[0, 0, unbounded] == series.other[0, unbounded]).all()


def test_moving_only_the_inputs_that_reach_the_read_weeks_loses_nothing(snap) -> None:
    """The one-at-a-time ends move only the inputs that reach the weeks the claims read; every
    claim's deciding inputs and influences are those of moving every input."""
    plan = rc.design(SOURCES, list(snap.models["model"]), snap.weeks)
    cut = Cube.from_snapshot(snap)
    rebuilt = ensemble.rebuild_cube(plan, plan.central, cut)
    everything = ensemble.rebuild_cube(plan, ensemble.ends(plan.inputs), cut)
    n = len(plan.inputs)
    chosen, values = ensemble.ends_within(plan, evidence.SENSITIVITY_WEEKS)
    assert 0 < len(chosen) < n  # most inputs lie between the ends
    pruned = (chosen, ensemble.rebuild_cube(plan, values, cut))
    whole = (np.arange(n), everything)
    for claim in claims.REGISTER:
        a = evidence._sensitivity(claim, pruned, rebuilt, plan)
        b = evidence._sensitivity(claim, whole, rebuilt, plan)
        assert a == b, claim.id


def test_the_central_draw_is_the_committed_snapshot(snap) -> None:
    plan = rc.design(SOURCES, list(snap.models["model"]), snap.weeks)
    rebuilt = ensemble.rebuild_cube(plan, plan.central, Cube.from_snapshot(snap))
    committed = Cube.from_snapshot(snap)
    assert (rebuilt.tokens == committed.tokens).all()  # whole millions of tokens: exact
    known = ~np.isnan(committed.free)
    assert (np.isnan(rebuilt.free) == ~known).all()


def test_same_seed_same_evidence(snap, found) -> None:
    again = evidence.compute(snap)
    assert json.dumps(again, sort_keys=True) == json.dumps(found, sort_keys=True)
    other = evidence.compute(snap, seed=ensemble.SEED + 1)
    assert other["bands"] != found["bands"]


# --- verdicts -----------------------------------------------------------------------------------


def test_volume_growth_rests_on_the_measured_final_week(found) -> None:
    """The final week's total is the Data API's (sourced, grade A): no assumption decides the
    growth claim; the first week's total is our assumption, within the claim's band."""
    growth = found["claims"]["volume-growth"]
    assert growth["central"]["base"]["holds"] is True
    assert growth["level"] == evidence.SOURCED, growth["why"]
    assert growth["deciding"] == []


def test_moving_the_first_week_knot_to_2_8_trillion_flips_the_verdict(snap, tmp_path) -> None:
    folder = _data_with_sources(tmp_path)
    _set_knot(folder, "all@2025-05-26", billion_tokens=2800, high=3000)
    plan = rc.design(folder / "sources", list(snap.models["model"]), snap.weeks)
    growth = next(c for c in claims.REGISTER if c.id == "volume-growth")
    moved = growth.on(ensemble.rebuild_cube(plan, plan.central, Cube.from_snapshot(snap)))
    assert not moved.holds[0], moved.text(0)
    assert "2.8 T in the week of 2025-05-26" in moved.text(0)


def test_widening_one_knot_moves_a_claim_to_a_weaker_level(found, tmp_path) -> None:
    before = found["claims"]["volume-growth"]["level"]
    assert before == evidence.SOURCED
    folder = _data_with_sources(tmp_path)
    _set_knot(folder, "all@2025-05-26", high=3000)
    wider = evidence.compute(load_snapshot(folder))["claims"]["volume-growth"]
    assert ORDER.index(wider["level"]) > ORDER.index(before), wider["why"]
    assert "all@2025-05-26" in [d["key"] for d in wider["deciding"]]


def test_every_claim_has_a_level_and_reasons(found) -> None:
    for claim in claims.REGISTER:
        entry = found["claims"][claim.id]
        assert entry["level"] in evidence.LEVELS and entry["why"]
        assert entry["central"]["base"]["holds"] is (claim.id not in CONTRADICTED), claim.id
        assert entry["influence"] or entry["deciding"]
        assert set(entry["share"]) == set(entry["central"])  # every choice, also on the draws


def test_paid_only_is_a_scenario_of_every_claim_that_counts_tokens(found) -> None:
    for claim in claims.REGISTER:
        has = "paid-only" in found["claims"][claim.id]["central"]
        assert has == ("paid" in claim.uses), claim.id
    band = found["claims"]["deepseek-largest-band"]
    assert band["share"]["paid-only"] != band["share"]["base"], "free tokens move the bands"


def test_the_contradicting_fixture_still_fails() -> None:
    data = evidence.compute(load_snapshot(FIXTURES / "contradicting"))
    assert data["basis"] == "as given" and "bands" not in data
    for claim in claims.REGISTER:
        assert data["claims"][claim.id]["level"] == evidence.FAILS, claim.id


def test_a_fetched_snapshot_is_measured_data(tiny_snapshot) -> None:
    meta = json.loads((tiny_snapshot / "datapackage.json").read_text())
    meta["kind"] = "fetched"
    (tiny_snapshot / "datapackage.json").write_text(json.dumps(meta))
    data = evidence.compute(load_snapshot(tiny_snapshot))
    assert data["basis"] == "measured" and "draws" not in data
    levels = {entry["level"] for entry in data["claims"].values()}
    assert levels <= {evidence.MEASURED, evidence.FAILS, evidence.UNTESTABLE, evidence.UNCERTAIN}
    assert "measured data" in evidence.basis_paragraph(data)


def test_since_when(found, snap) -> None:
    weeks = [f"{w:%Y-%m-%d}" for w in snap.weeks]
    judged = weeks.index(found["essay"]["judged"])
    assert found["essay"]["judged"] == "2026-05-25"
    for claim in claims.REGISTER:
        since = found["claims"][claim.id]["since"]
        assert len(since["held"]) == len(weeks)  # every week, the later ones too
        if since["week"] is None:  # it does not hold in the essay's week
            assert claim.id in CONTRADICTED and since["held"][judged] is not True
            continue
        start = weeks.index(since["week"])
        assert all(h is True for h in since["held"][start : judged + 1])
        assert start == 0 or since["held"][start - 1] is not True
    assert found["claims"]["volume-growth"]["since"]["week"] == "2026-05-25"


def test_evidence_is_cached_per_snapshot_and_code(snap, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(evidence.CACHE_ENV, str(tmp_path))
    first = evidence.load(snap)
    files = list(tmp_path.glob("evidence-*.json"))
    assert len(files) == 1 and re.fullmatch(r"evidence-[0-9a-f]{16}\.json", files[0].name)
    assert evidence.load(snap) == first
    assert evidence.cache_path(snap) == files[0]


def test_total_provenance_sentence(snap) -> None:
    sentence = evidence.total_provenance(as_of_essay(snap).snapshot)
    assert sentence == (
        "The total for the week of 25 May 2026 is sourced (anchor DA-2026-05-25-total, grade A)."
    )
    assert evidence.total_provenance(snap) == (
        "The total for the week of 10 August 2026 is sourced (anchor DA-2026-08-10-total, grade A)."
    )


@pytest.mark.parametrize(
    ("held", "since", "after", "words"),
    [
        ([False, True, True, False], "2026-05-18", 1, "every week from the week of 18 May 2026 to"),
        ([True, False, True, False], "2026-05-25", 1, "but not with the week before it"),
        ([True, False], "2026-05-25", 1, "the week of 25 May 2026, the data's first week, taken"),
        ([True, False, False], None, 1, "fails with the week of 25 May 2026 as the end"),
    ],
)
def test_since_when_a_test_passes_reads_right_at_either_end(held, since, after, words) -> None:
    """The run of weeks a claim's test passes in, up to the judged week: one sentence for a run
    of several weeks, one for the judged week alone (with or without a week before it)."""
    from tokenrace.claims import reporting

    entry = {"since": {"held": held, "week": since}, "after": {"weeks": after}}
    text = reporting._since_text(entry, "2026-05-25")
    assert words in text, text
    assert "from the week of 25 May 2026 to the week of 25 May 2026" not in text
