"""What a kept rankings-page reading says about its week's listed models
(:mod:`tokenrace.sources.measured.coverage`), on the invented raw files (``rawsources.RAW``,
written by ``tests/fixtures/raw-sources/make_fixture.py``): its models to date, the cap on the
others, and the platform total its coverage implies, whole where a ranking file measures the
week."""

from __future__ import annotations

import csv
import json
from fractions import Fraction

import pytest

from rawsources import EXPECTED as EXPECTED_DIR
from rawsources import RAW

EXPECTED = EXPECTED_DIR / "anchors.csv"


@pytest.fixture(scope="module")
def anchors() -> dict[str, dict[str, str]]:
    with EXPECTED.open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _reading(folder: str) -> dict:
    return json.loads((RAW / "rankings-page" / folder / "rankings.json").read_text())


def _file(day: str) -> dict:
    return json.loads((RAW / "ranking-files" / f"{day}.json").read_text())


def test_in_a_week_no_file_measures_the_readings_models_are_knots_to_date(anchors):
    hy3 = anchors["RP-2026-04-06-tencent-hy3-preview"]
    assert (hy3["kind"], hy3["role"], hy3["days"]) == ("model_to_date", "knot", "4.83681")
    total = anchors["RP-2026-04-06-total-from-coverage"]
    assert (total["kind"], total["role"]) == ("total_to_date", "knot")
    models = _reading("2026-04-10")["models"]
    tokens = Fraction(sum(m["tokens"] for m in models), 10**9)
    share = sum(Fraction(str(m["share_pct"])) for m in models)
    assert float(total["value"]) == pytest.approx(float(tokens * 100 / share), abs=5e-4)
    assert anchors["RP-2026-04-06-unlisted-models"]["role"] == "check"
    assert anchors["RP-2026-04-06-author-tencent"]["role"] == "check"


def test_in_a_week_a_file_measures_the_total_is_the_files_models_over_the_coverage(anchors):
    total = anchors["RP-2026-04-27-total-from-coverage"]
    assert (total["kind"], total["role"], total["grade"], total["days"]) == (
        "total",
        "knot",
        "B",
        "",
    )
    models = _reading("2026-05-02")["models"]
    rows = _file("2026-05-04")["models"]
    by_model: dict[str, int] = {}
    for row in rows:
        slug = row["slug"].split(":")[0]
        by_model[slug] = by_model.get(slug, 0) + row["total_tokens"]
    assert len(by_model) >= len(models)
    share = sum(Fraction(str(m["share_pct"])) for m in models)
    low, high = float(total["low"]), float(total["high"])
    assert low < float(total["value"]) < high
    assert "largest models" in total["note"] and "ranking_files" in total["source"]
    # its own models, the cap and each author are context: the file measures the week whole
    for key in ("tencent-hy3-preview", "unlisted-models", "author-tencent", "total"):
        assert anchors[f"RP-2026-04-27-{key}"]["role"] == "context", key
    assert anchors["RP-2026-04-27-country-CN"]["role"] == "check"
    assert share > 0
