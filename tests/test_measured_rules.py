"""The measured-source importer's rules, one at a time: permaslugs to slugs, the week of a
ranking file, a reading's window and intervals, exact numbers, and the manifest's checks."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.inputs import SourcesError
from tokenrace.sources.measured import intervals as iv
from tokenrace.sources.measured.aliases import read_aliases, read_models
from tokenrace.sources.measured.manifest import read_manifest
from tokenrace.sources.measured.numbers import billions, fixed
from tokenrace.sources.measured.ranking_files import file_week
from tokenrace.sources.measured.readings import Reading, _utc, problems

SOURCES = DEFAULT_DATA_DIR / "sources"
MANIFEST_IDS = {
    "ranking_files", "rankings_page", "data_api", "vendor_blogs", "content_fans", "nbdpress",
    "a16z_study", "openrouter_series_b", "business_insider", "digg_comment",
    "minimaxir", "bloomberg_hellochinatech", "codesota",
}  # fmt: skip


@pytest.fixture(scope="module")
def aliases():
    return read_aliases(SOURCES / "aliases.csv", read_models(DEFAULT_DATA_DIR / "models.csv"))


@pytest.mark.parametrize(
    ("permaslug", "slug", "free", "how"),
    [
        ("tencent/hy3-preview-20260421", "tencent/hy3-preview", False, "date suffix removed"),
        ("tencent/hy3-preview-20260421:free", "tencent/hy3-preview", True, "date suffix removed"),
        ("anthropic/claude-4.6-sonnet-20260217", "anthropic/claude-sonnet-4.6", False, "table"),
        ("anthropic/claude-4.6-sonnet", "anthropic/claude-sonnet-4.6", False, "table"),
        ("moonshotai/kimi-k2.5-0127:free", "moonshotai/kimi-k2.5", True, "table"),
        ("openai/gpt-oss-120b-08-05", "openai/gpt-oss-120b", False, "date suffix removed"),
        ("qwen/qwen3.6-plus:free", "qwen/qwen3.6-plus", True, "as is"),
        # Four trailing digits are part of this model's name: no rule strips them.
        ("deepseek/deepseek-chat-v3-0324", "deepseek/deepseek-chat-v3-0324", False, "as is"),
        ("x-ai/grok-4.1-fast:beta", "x-ai/grok-4.1-fast", False, "as is"),
        # A capital, which a permaslug may hold and a model slug may not: only the table maps it.
        ("perplexity/pplx-embed-v1-0.6B", "perplexity/pplx-embed-v1-0.6b", False, "table"),
        ("stealth/ox-alpha", "stealth/ox-alpha", False, "as is"),
        ("newlab/mystery-model-2026-04-01", "newlab/mystery-model", False, "unmatched"),
    ],
)
def test_permaslugs_map_to_model_slugs(aliases, permaslug, slug, free, how):
    resolved = aliases.resolve(permaslug)
    assert (resolved.slug, resolved.free, resolved.how) == (slug, free, how)


def test_the_alias_table_maps_to_models_of_the_snapshot_only(tmp_path):
    bad = tmp_path / "aliases.csv"
    text = (SOURCES / "aliases.csv").read_text()
    bad.write_text(text.replace(",moonshotai/kimi-k2.5,", ",moonshotai/kimi-k9,"))
    with pytest.raises(
        SourcesError, match=r"aliases.csv, row 15, column 'slug': 'moonshotai/kimi-k9'"
    ):
        read_aliases(bad, read_models(DEFAULT_DATA_DIR / "models.csv"))


@pytest.mark.parametrize(
    ("dated", "week", "days"),
    [
        (date(2026, 5, 11), date(2026, 5, 4), 7),  # Monday: the week of D - 7, whole
        (date(2026, 5, 12), date(2026, 5, 4), 6),  # Tuesday: 5-11 May, 6 days in the week of 4 May
        (date(2026, 5, 6), date(2026, 4, 27), 5),  # Wednesday: 29 Apr - 5 May
        (date(2026, 5, 15), date(2026, 5, 11), 4),  # Friday: 8-14 May, most days in the next week
        (date(2026, 5, 17), date(2026, 5, 11), 6),  # Sunday: 10-16 May
    ],
)
def test_a_ranking_file_is_placed_on_the_week_holding_most_of_its_days(dated, week, days):
    assert file_week(dated) == (week, days)


def _reading(fetched: str, models=None, market=None) -> Reading:
    big = [iv.Listed("a/x", "a", Fraction(500 * 10**9), Fraction(50))]
    return Reading(
        "r.json", "d", fetched, _utc(fetched), tuple(models or big), tuple(market or big)
    )


def test_a_reading_window_runs_from_monday_utc_to_fetched_at():
    late_sunday = _reading("2026-04-12T23:30:00-02:00")  # Monday 01:30 UTC
    assert late_sunday.week == "2026-04-13" and late_sunday.seconds == 5400
    assert [reason for reason, _ in problems(late_sunday)] == ["short_window"]
    assert problems(_reading("2026-04-14T01:30:00Z")) == []  # a day and a half
    assert [r for r, _ in problems(_reading("2026-04-14T01:30:00"))] == ["bad_fetched_at"]


def test_the_implied_total_is_the_intersection_of_the_rows_intervals():
    rows = [
        iv.Listed("a/x", "a", Fraction(200), Fraction("20.0")),  # 997.5 .. 1002.5
        iv.Listed("b/y", "b", Fraction("100.3"), Fraction("10.0")),  # 998.0 .. 1008.0
    ]
    total = iv.implied_total(rows)
    assert (total.low, total.high) == (
        Fraction(10030) / Fraction("10.05"),
        Fraction(20000) / Fraction("19.95"),
    )
    assert total.value == (total.low + total.high) / 2
    assert (total.low_by, total.high_by) == ("b/y", "a/x")
    assert iv.implied_by(rows[0]).value == 1000 and iv.implied_by(rows[1]).value == 1003
    contradicting = [*rows, iv.Listed("c/z", "c", Fraction(50), Fraction("10.0"))]
    assert iv.implied_total(contradicting) is None
    assert iv.implied_total([iv.Listed("d/w", "d", Fraction(5), Fraction(0))]) is None


def test_coverage_and_the_unlisted_rest_carry_the_rounding_of_each_row():
    rows = [iv.Listed(n, n, Fraction(1), Fraction(s)) for n, s in (("a", "40.1"), ("b", "30.2"))]
    assert iv.share_sum(rows) == iv.Interval(Fraction("70.3"), Fraction("70.2"), Fraction("70.4"))
    assert iv.rest(rows) == iv.Interval(Fraction("29.7"), Fraction("29.6"), Fraction("29.8"))


def test_shares_may_exceed_100_by_their_rounding_but_no_more():
    at_edge = [iv.Listed(n, n, Fraction(10**12), Fraction("50.05")) for n in ("a", "b")]
    assert "share_over_100" not in [
        r for r, _ in problems(_reading("2026-04-15T00:00:00Z", at_edge))
    ]
    over = [iv.Listed(n, n, Fraction(10**12), Fraction("50.1")) for n in ("a", "b")]
    assert "share_over_100" in [r for r, _ in problems(_reading("2026-04-15T00:00:00Z", over))]


def test_numbers_are_written_from_exact_values_with_fixed_decimals():
    assert fixed(Fraction(5, 1000), 2) == "0.00" and fixed(Fraction(15, 1000), 2) == "0.02"
    assert fixed(Fraction(1, 3), 2, "down") == "0.33" and fixed(Fraction(1, 3), 2, "up") == "0.34"
    assert fixed(Fraction(-1, 3), 2, "down") == "-0.34"
    assert billions(Fraction(3_030_000_000_000)) == "3030.000"
    assert billions(Fraction(1_500_000)) == "0.002"  # half a million: to even


def test_the_manifest_lists_every_source_id():
    manifest = read_manifest(SOURCES / "manifest.csv")
    assert set(manifest["id"]) == MANIFEST_IDS


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (",C\ncontent_fans,", ",E\ncontent_fans,", "row 5, column 'grade': 'E' is not A, B or C"),
        (
            "nbdpress,nbdpress.com (National Business Daily),",
            "nbdpress,,",
            "row 7, column 'title': is empty",
        ),
        (
            "https://content.fans,2025-12-03,",
            "https://content.fans,2025-13-03,",
            "row 6, column 'retrieved'",
        ),
        ("\ndigg_comment,", "\nDigg comment,", "row 11, column 'id': 'Digg comment' is not an id"),
        (
            "https://digg.com,",
            "digg.com,",
            "row 11, column 'url': 'digg.com' is not an http(s) address",
        ),
    ],
)
def test_a_bad_manifest_cell_names_the_file_row_and_column(tmp_path: Path, old, new, where):
    text = (SOURCES / "manifest.csv").read_text()
    assert old in text
    (tmp_path / "manifest.csv").write_text(text.replace(old, new, 1))
    with pytest.raises(SourcesError) as raised:
        read_manifest(tmp_path / "manifest.csv")
    assert str(raised.value).startswith(f"manifest.csv, {where}")


def test_authors_of_another_window_are_refused_and_the_models_kept():
    """The authors' rows of a reading must imply the models' platform total (within 1 %): where
    they imply another, their shares are of another window and give no author or country anchor;
    the models' total and coverage are kept, and the refusal says both totals."""
    from tokenrace.sources.measured import readings

    models = [iv.Listed("a/x", "a", Fraction(500 * 10**9), Fraction(50))]  # about 1000 B
    same = [iv.Listed("a", "a", Fraction(503 * 10**9), Fraction(50))]  # 0.6 % more: one window
    other = [iv.Listed("a", "a", Fraction(30 * 10**9), Fraction(50))]  # a day's worth, say
    fetched = "2026-04-18T07:00:00Z"
    kept_same = _reading(fetched, models, same)
    assert readings.authors_window_problem(kept_same) == ""
    elsewhere = _reading(fetched, models, other)
    why = readings.authors_window_problem(elsewhere)
    assert "the models imply" in why and "the authors 59" in why, why
    kept, refused = readings.keep([elsewhere])
    assert kept == [elsewhere]
    assert [r["reason"] for r in refused] == ["market_share_other_window"]
    countries = {"a": "US"}
    kinds = {a["kind"] for a in readings.reading_anchors(elsewhere, "B", countries)}
    assert kinds == {"total_to_date", "top_share"}
    kinds = {a["kind"] for a in readings.reading_anchors(kept_same, "B", countries)}
    assert {"author_share", "author_share_max", "country_share"} <= kinds
