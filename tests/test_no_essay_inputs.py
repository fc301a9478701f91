"""The essay is what the report tests, never an input: no anchor, knot or range cites it, and the
final week's levels that once matched its chart come from a stated rule instead."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tokenrace.reconstruct.representative import design
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources import continued
from tokenrace.sources.inputs import read_inputs

SOURCES = DEFAULT_DATA_DIR / "sources"
#: Words that cite the essay or its charts (the essay's site, its chart titles, its figures'
#: labels), case-insensitive.
ESSAY = re.compile(
    r"essay|xecon|representative openrouter|model-origin split|china open 5\d|us frontier 2\d",
    re.IGNORECASE,
)
FINAL_WEEK = pd.Timestamp("2026-05-25")


def _input_files() -> list[Path]:
    return sorted(SOURCES.glob("*.csv"))


def test_there_are_inputs_to_read() -> None:
    names = {p.name for p in _input_files()}
    assert {"anchors.csv", "knots.csv", "free_knots.csv"} <= names


@pytest.mark.parametrize("path", _input_files(), ids=lambda p: p.name)
def test_no_input_cites_the_essay(path: Path) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    hits = [
        f"{path.name}, row {i + 2}, column '{column}': {value!r}"
        for column in frame.columns
        for i, value in enumerate(frame[column])
        if ESSAY.search(value)
    ]
    assert not hits, "inputs that cite the essay:\n" + "\n".join(hits)


def test_the_grep_finds_an_input_that_cites_the_essay(tmp_path: Path) -> None:
    """The pattern is not vacuous: the rows this project once had are caught."""
    for old in (
        "The essay's chart 'Representative OpenRouter model-origin split' (xecon.dev)",
        "level set so the origin split matches the essay's chart (China open 58 %)",
    ):
        assert ESSAY.search(old), old


def _without_continued(tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(SOURCES, tmp_path / "sources"))
    knots = pd.read_csv(folder / "knots.csv", dtype=str, keep_default_na=False)
    knots[knots["reason"] != continued.REASON].to_csv(
        folder / "knots.csv", index=False, lineterminator="\n"
    )
    return folder


def test_continued_knots_follow_their_rule(tmp_path: Path) -> None:
    """Every final-week knot with the rule's reason is the rule applied to the other inputs
    before the Data API's weeks (rounded to whole billions), with the rule's range; and none is
    an input where the API measures the week (measured first)."""
    knots = pd.read_csv(SOURCES / "knots.csv", dtype=str, keep_default_na=False)
    ruled = knots[knots["reason"] == continued.REASON].reset_index(drop=True)
    assert len(ruled) >= 10, "the models measured just before the API's weeks follow the rule"
    assert set(ruled["week"]) == {f"{FINAL_WEEK:%Y-%m-%d}"}
    others = read_inputs(_without_continued(tmp_path), measured_first=False)
    expected = continued.final_knots(others)
    pd.testing.assert_frame_equal(ruled, expected.astype(str))
    for row in ruled.itertuples(index=False):
        value = float(row.billion_tokens)
        assert math.isclose(float(row.low), value / continued.RANGE_FACTOR, abs_tol=0.05)
        assert math.isclose(float(row.high), value * continued.RANGE_FACTOR, abs_tol=0.05)
    models = pd.read_csv(DEFAULT_DATA_DIR / "models.csv", dtype=str)["model"]
    used = design(SOURCES, list(models)).inputs
    assert not used["key"].isin([f"{s}@{FINAL_WEEK:%Y-%m-%d}" for s in ruled["series"]]).any()


def test_the_rule_continues_a_decline_and_holds_a_rise() -> None:
    points = pd.DataFrame(
        {"week": pd.to_datetime(["2026-05-04", "2026-05-11"]), "central": [1000.0, 800.0]}
    )
    assert continued.continued_level(points, FINAL_WEEK) == pytest.approx(800 * 0.8**2)
    rising = points.assign(central=[800.0, 1000.0])
    assert continued.continued_level(rising, FINAL_WEEK) == pytest.approx(1000)
    assert continued.continued_level(points.tail(1), FINAL_WEEK) == pytest.approx(800)
    with pytest.raises(ValueError, match="no point before 2026-05-25"):
        continued.continued_level(points.iloc[0:0], FINAL_WEEK)
