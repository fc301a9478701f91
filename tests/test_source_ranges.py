"""Each measured source's range comes from its measured disagreement with the others."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tokenrace.book import data_chapter as dc
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources import agreement, inputs

SOURCES = DEFAULT_DATA_DIR / "sources"


def _anchor(source: str, subject: str, week: str, value: float, **extra) -> dict:
    row = {
        "id": f"{source}-{subject}-{week}",
        "kind": "model",
        "subject": subject,
        "week": pd.Timestamp(week),
        "value": value,
        "low": math.nan,
        "high": math.nan,
        "days": math.nan,
        "source_id": source,
    }
    return row | extra


def _pairs(differences: list[float]) -> pd.DataFrame:
    rows = []
    for i, d in enumerate(differences):
        week = (
            f"2026-03-{2 + 7 * (i // 4):02d}" if i < 16 else f"2026-04-{6 + 7 * (i // 4 - 4):02d}"
        )
        subject = f"lab/model-{i % 4}"
        rows.append(_anchor("files", subject, week, 100.0))
        rows.append(_anchor("page", subject, week, 100.0 * (1 + d)))
    rows.append(_anchor("api", "lab/model-0", "2026-05-25", 50.0))
    return pd.DataFrame(rows)


def test_the_range_is_the_ninth_decile_of_the_disagreement_rounded_up() -> None:
    differences = [0.01] * 18 + [0.061, 0.30]  # 20 overlaps: the 18th smallest is 1 %
    found = agreement.disagreement(_pairs(differences)).set_index("source")
    assert found.loc["files", "pairs"] == 20 and found.loc["page", "pairs"] == 20
    assert found.loc["files", "p90"] == pytest.approx(0.01)
    assert found.loc["files", "half_width"] == pytest.approx(0.01)
    assert found.loc["page", "half_width"] == found.loc["files", "half_width"]  # symmetric
    assert found.loc["api", "pairs"] == 0 and math.isnan(found.loc["api", "half_width"])
    # Three more wide gaps move the ninth decile: the range follows the measurements.
    wider = agreement.disagreement(_pairs([*differences[:17], 0.061, 0.062, 0.30]))
    assert wider.set_index("source").loc["files", "half_width"] == pytest.approx(0.07)


def test_a_week_to_date_value_is_scaled_before_it_is_compared() -> None:
    rows = [
        _anchor("files", "lab/m", "2026-03-02", 700.0),
        _anchor("page", "lab/m", "2026-03-02", 500.0, kind="model_to_date", days=5.0),
    ]
    pairs = agreement.overlaps(pd.DataFrame(rows))
    assert len(pairs) == 2 and (pairs["difference"] == 0).all()


def test_a_lower_bound_is_no_point_value() -> None:
    rows = [
        _anchor("files", "lab/m", "2026-03-02", 700.0),
        _anchor("api", "lab/m", "2026-03-02", 350.0, low=350.0, high=900.0),
    ]
    assert agreement.overlaps(pd.DataFrame(rows)).empty


def test_committed_sources_take_their_measured_range() -> None:
    table = agreement.disagreement(inputs.read_anchor_file(SOURCES / "measured.csv"))
    ranged = table[table["half_width"].notna()].set_index("source")
    assert {"ranking_files", "rankings_page"} <= set(ranged.index)
    read = inputs.read_inputs(SOURCES)
    files = read[read["key"].str.startswith("RF-") & ~read["range_note"].str.contains("own")]
    half = ranged.loc["ranking_files", "half_width"]
    assert not files.empty
    assert files["range_note"].str.contains("measured disagreement").all()
    whole = files[~files["note"].str.contains("week to date")]
    assert ((whole["high"] / whole["central"] - 1).round(6) == round(half, 6)).all()
    # The Data API overlaps no other measured source: grade A's default.
    api = read[read["key"].str.startswith("DA-") & read["range_note"].str.startswith("grade")]
    assert not api.empty and api["range_note"].str.contains("±5%").all()


def test_a_reading_that_disagrees_more_widens_the_ranges(tmp_path: Path) -> None:
    sources = Path(shutil.copytree(SOURCES, tmp_path / "sources"))
    measured = pd.read_csv(sources / "measured.csv", dtype=str, keep_default_na=False)
    before = inputs.read_anchors_and_ranges(sources)[1]["ranking_files"]
    readings = measured["id"].str.startswith("RP-") & (measured["kind"] == "model_to_date")
    measured.loc[readings, "value"] = [
        f"{float(v) * 1.5:.3f}" for v in measured.loc[readings, "value"]
    ]
    measured.to_csv(sources / "measured.csv", index=False, lineterminator="\n")
    after = inputs.read_anchors_and_ranges(sources)[1]["ranking_files"]
    assert after > before + 0.3


def test_the_data_page_says_which_source_keeps_its_default() -> None:
    from tokenrace import load_snapshot

    found = dc.source_ranges(load_snapshot(DEFAULT_DATA_DIR))
    text = dc.source_range_text(found)
    assert "data_api overlaps no other measured source" in text
    assert "ranking_files overlaps rankings_page" in text
    table = dc.source_range_table(found)
    assert table.loc["data_api", "Range"].startswith("grade default")
