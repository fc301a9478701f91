"""The committed snapshot against what the public files measure (``data/sources/measured.csv``,
the import of ``../shared/sources/raw``): measured first, reconstructed only in between.

- Every ranking-file model-week of the snapshot's window is in the snapshot, within ±2 % of the
  file (its ``:free`` rows folded into the model); none is missing.
- In every week the Data API covers in full: the total within ±2 %; each of the API's 20
  most-used models within ±5 % and never below its lower bound; the shares of all tokens of China,
  the US and no country within 2 percentage points of the API's.
- In every week with a kept rankings-page reading, the top-N coverage and the country shares lie
  within the reading's bounds (a country's listed share is a floor: see ``country_within``).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tokenrace import load_snapshot
from tokenrace.analysis.recut import model_attributes
from tokenrace.reconstruct import representative as rc
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.inputs import read_anchor_file

B = 1e9


@pytest.fixture(scope="module")
def snap():
    return load_snapshot(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def measured(snap) -> pd.DataFrame:
    anchors = read_anchor_file(DEFAULT_DATA_DIR / "sources" / "measured.csv")
    return anchors[anchors["week"].isin(snap.weeks)]


@pytest.fixture(scope="module")
def wide(snap) -> pd.DataFrame:
    return snap.weekly.pivot_table(index="week", columns="model", values="tokens", fill_value=0)


def test_every_ranking_file_model_week_is_in_the_snapshot_at_its_value(measured, wide) -> None:
    files = measured[(measured["source_id"] == "ranking_files") & (measured["kind"] == "model")]
    assert len(files) > 400
    missing, off = [], []
    for a in files.itertuples(index=False):
        value = wide.at[a.week, a.subject] / B if a.subject in wide.columns else 0.0
        if value == 0:
            missing.append(a.id)
        elif abs(value / a.value - 1) > 0.02:
            off.append((a.id, a.value, value))
    assert missing == [] and off == []


def _api_weeks(measured: pd.DataFrame) -> list[pd.Timestamp]:
    api = measured[measured["source_id"] == "data_api"]
    return sorted(api.loc[api["kind"] == "total", "week"])


def test_the_data_apis_whole_weeks_are_the_apis(snap, measured, wide) -> None:
    weeks = _api_weeks(measured)
    assert weeks, "the snapshot has a week the Data API measures in full"
    attrs = model_attributes(snap)
    country = attrs["country"].reindex(wide.columns).fillna("")
    for week in weeks:
        api = measured[(measured["source_id"] == "data_api") & (measured["week"] == week)]
        total = float(api.loc[api["kind"] == "total", "value"].iloc[0])
        assert math.isclose(wide.loc[week].sum() / B, total, rel_tol=0.02), week
        models = api[api["kind"] == "model"].sort_values("value", ascending=False)
        for a in models.head(20).itertuples(index=False):
            value = wide.at[week, a.subject] / B
            assert math.isclose(value, a.value, rel_tol=0.05), (week, a.subject, value, a.value)
            assert math.isnan(a.low) or value >= a.low - 0.0005, (week, a.subject)
        by_model = models.set_index("subject")["value"]
        api_country = attrs["country"].reindex(by_model.index).fillna("")
        for code in ("CN", "US", ""):
            theirs = 100 * by_model[api_country == code].sum() / total
            if code == "":
                other = float(api.loc[api["kind"] == "other", "value"].iloc[0])
                theirs += 100 * other / total
            ours = 100 * wide.loc[week, country[country == code].index].sum() / B / total
            assert abs(ours - theirs) <= 2, (week, code or "none", ours, theirs)


def test_every_reading_week_keeps_the_coverage_and_the_country_bounds(snap, measured) -> None:
    readings = measured[measured["source_id"] == "rankings_page"]
    checks = readings[readings["kind"].isin(["top_share", "country_share"])]
    checks = checks[checks["role"] == "check"]
    assert set(checks["kind"]) == {"top_share", "country_share"}
    result = rc.check_anchors(snap.weekly, checks, model_attributes(snap)).set_index("id")
    failing = result[~result["ok"]]
    assert failing.empty, failing.to_string()
    weeks = set(readings.loc[readings["kind"] == "top_share", "week"])
    assert len(weeks) >= 7, "every kept reading's week is checked"
