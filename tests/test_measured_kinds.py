"""The kinds of the rankings-page readings measured on a small weekly table
(:func:`tokenrace.reconstruct.representative.measure`), the country-bounds rule, and the
importer's country and unlisted anchors on the invented fixture."""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from rawsources import EXPECTED as EXPECTED_DIR
from rawsources import RAW
from tokenrace.reconstruct import representative as rc
from tokenrace.reconstruct import validation
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.inputs import SourcesError
from tokenrace.sources.measured import intervals as iv
from tokenrace.sources.measured import readings
from tokenrace.sources.measured.importer import import_sources

EXPECTED = EXPECTED_DIR / "anchors.csv"
WEEK = "2026-04-06"
B = 10**9

#: One week of 100 billion tokens: lab "a" (CN) 40, lab "b" (US) 20, a stealth model 5, other 35.
TOKENS = {"a/x": 30, "a/y": 10, "b/z": 20, "openrouter/s": 5, "other": 35}
COUNTRY = {"a/x": "CN", "a/y": "CN", "b/z": "US", "openrouter/s": "", "other": ""}


@pytest.fixture
def view() -> rc.WeeklyView:
    return rc.WeeklyView.of(_weekly())


@pytest.fixture
def attrs() -> pd.DataFrame:
    return pd.DataFrame({"country": COUNTRY}).rename_axis("model")


def anchors(*rows: dict) -> pd.DataFrame:
    base = {"id": "X", "week": pd.Timestamp(WEEK), "weeks": 1, "value": math.nan}
    base |= {"low": math.nan, "high": math.nan, "role": "check", "days": ""}
    return pd.DataFrame([base | r for r in rows])


def measured(view, attrs, **row) -> float:
    (anchor,) = anchors(row).itertuples(index=False)
    (value,) = rc.measure(anchor, view, attrs)
    return value


def test_author_share_is_the_authors_listed_models_of_all_tokens(view, attrs):
    assert measured(view, attrs, kind="author_share", subject="a") == pytest.approx(40)
    assert measured(view, attrs, kind="author_share", subject="nobody") == 0


def test_top_share_takes_the_n_most_used_listed_models_never_other(view, attrs):
    assert measured(view, attrs, kind="top_share", subject="top1_models") == pytest.approx(30)
    assert measured(view, attrs, kind="top_share", subject="top2_models") == pytest.approx(50)
    with pytest.raises(rc.ReconstructionError, match="topN_models"):
        measured(view, attrs, kind="top_share", subject="top_models")


def test_author_share_max_is_what_listed_models_of_other_authors_carry(view, attrs):
    """The listed models of the authors not named; ``other`` is unattributed (it may be the
    named authors'), so it does not count."""
    value = measured(view, attrs, kind="author_share_max", subject="unlisted:a+b")
    assert value == pytest.approx(5)  # the stealth model
    assert measured(view, attrs, kind="author_share_max", subject="unlisted:a") == pytest.approx(25)
    with pytest.raises(rc.ReconstructionError, match="re-run the importer"):
        measured(view, attrs, kind="author_share_max", subject="unlisted")


def test_country_share_is_the_listed_share_of_its_authors(view, attrs):
    assert measured(view, attrs, kind="country_share", subject="CN") == pytest.approx(40)
    assert measured(view, attrs, kind="country_share", subject="US") == pytest.approx(20)
    assert rc.unattributed_share(view, attrs, pd.Timestamp(WEEK)) == pytest.approx(40)


def test_total_to_date_is_the_weekly_total_over_the_windows_days(view, attrs):
    value = measured(view, attrs, kind="total_to_date", subject="all", days="3.50000")
    assert value == pytest.approx(50)
    with pytest.raises(rc.ReconstructionError, match="days"):
        measured(view, attrs, kind="total_to_date", subject="all", days="")


def test_a_week_outside_the_table_measures_nan(view, attrs):
    row = {"kind": "author_share", "subject": "a", "week": pd.Timestamp("2026-04-13")}
    assert math.isnan(measured(view, attrs, **row))


@pytest.mark.parametrize(
    ("low", "high", "ok"),
    [
        (35, 45, True),  # inside
        (35, 38, False),  # the listed share (40) is above the high end
        (80, 90, True),  # listed 40 + unattributed 40 reach the low end
        (81, 90, False),  # listed + unattributed fall short of the low end
    ],
)
def test_the_country_bounds_rule(attrs, low, high, ok):
    table = anchors({"kind": "country_share", "subject": "CN", "low": low, "high": high})
    (checked,) = rc.check_anchors(_weekly(), table, attrs).itertuples(index=False)
    assert checked.ok is ok
    assert checked.measured == pytest.approx(40)


def test_the_reading_kinds_are_checked_within_their_bounds(attrs):
    table = anchors(
        {
            "id": "T",
            "kind": "total_to_date",
            "subject": "all",
            "days": "3.5",
            "low": 49,
            "high": 51,
        },
        {"id": "P", "kind": "top_share", "subject": "top2_models", "low": 51, "high": 52},
    )
    checked = rc.check_anchors(_weekly(), table, attrs).set_index("id")
    assert checked.at["T", "ok"] and not checked.at["P", "ok"]


def _weekly() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week": pd.Timestamp(WEEK),
            "model": list(TOKENS),
            "tokens": [v * B for v in TOKENS.values()],
        }
    )


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def test_the_importer_derives_country_bounds_and_names_the_listed_authors():
    rows = _rows(EXPECTED)
    cn = rows["RP-2026-04-06-country-CN"]
    # deepseek 11.10, qwen 10.00, tencent 20.40, each ± 0.05; the unlisted rest at most 18.10
    assert (cn["kind"], cn["subject"], cn["role"]) == ("country_share", "CN", "check")
    assert (cn["value"], cn["low"], cn["high"]) == ("41.50", "41.35", "59.75")
    assert cn["unit"] == "percent of all tokens"
    rest = rows["RP-2026-04-06-unlisted"]
    assert rest["subject"] == "unlisted:anthropic+deepseek+google+openai+qwen+tencent"
    assert rows["RP-2026-04-06-total"]["days"] == "4.83681"  # Monday 00:00 to Friday 20:05
    assert all(r["days"] == "" for k, r in rows.items() if k.startswith("RF-"))


def test_an_author_without_a_country_row_stops_the_import(tmp_path):
    authors = tmp_path / "authors.csv"
    with (DEFAULT_DATA_DIR / "authors.csv").open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("qwen,")]
    authors.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SourcesError, match="author\\(s\\) qwen of market_share have no row"):
        import_sources(
            RAW,
            tmp_path / "anchors.csv",
            sources=DEFAULT_DATA_DIR / "sources",
            models=DEFAULT_DATA_DIR / "models.csv",
            authors=authors,
        )
    assert not (tmp_path / "anchors.csv").exists()


def test_an_author_without_a_disclosed_country_widens_every_countrys_high_end():
    market = tuple(
        iv.Listed(name, name, Fraction(1), Fraction(share))
        for name, share in (("a", "40.0"), ("b", "30.0"), ("openrouter", "5.0"))
    )
    reading = readings.Reading("r", "r", "", None, (), market)
    bounds = readings.country_bounds(reading, {"a": "CN", "b": "US", "openrouter": ""})
    # rest: 100 - 75 = 25, at most 25.15; openrouter at most 5.05
    assert (bounds["CN"].low, bounds["CN"].high) == (Fraction("39.95"), Fraction("70.25"))
    assert (bounds["US"].low, bounds["US"].high) == (Fraction("29.95"), Fraction("60.25"))
    assert "openrouter (no disclosed country)" in bounds["CN"].high_by


@pytest.mark.parametrize(
    ("kind", "low", "scale"),
    [
        ("total_to_date", 9.0, "tokens"),
        ("top_share", 9.0, "shares"),
        ("author_share", 9.0, None),  # the listed share is a floor (the tail is unattributed)
        ("author_share_max", math.nan, None),  # one-sided: a bound, not an estimate
        ("country_share", 9.0, None),  # the listed share is a lower bound: not scored
    ],
)
def test_the_fit_scores_the_reading_kinds_that_give_an_estimate(kind, low, scale):
    (anchor,) = anchors(
        {"kind": kind, "subject": "s", "value": 10.0, "low": low, "high": 11.0, "unit": "percent"}
    ).itertuples(index=False)
    assert validation.scale_of(anchor) == scale
