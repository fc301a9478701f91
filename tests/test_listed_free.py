"""Free tokens are not wallet votes, whatever their variant: every token of a model listed at $0
(OpenRouter's stealth models, free previews) counts as free, in the claims' paid tokens
(``Cube.paid``), the price and spend tables, the paid-and-free chart and the caveats' free shares.

The shipped snapshot has one such model in the essay's final four weeks: the stealth
``openrouter/owl-alpha``, whose Data API rows carry no ``:free`` suffix (``free_tokens`` 0).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tokenrace import as_of_essay, load_snapshot
from tokenrace.analysis import prices, recut
from tokenrace.analysis.cube import Cube
from tokenrace.book import build_facts
from tokenrace.claims.register import MONTH_WEEKS
from tokenrace.figures.race import paid_and_free_by_origin
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

STEALTH = "openrouter/owl-alpha"
T = 1e12


@pytest.fixture(scope="module")
def essay():
    return as_of_essay(load_snapshot(DEFAULT_DATA_DIR)).snapshot


def test_the_rule_needs_both_prices_at_zero(essay) -> None:
    free = recut.listed_free(recut.model_attributes(essay))
    assert free[STEALTH]
    assert not free["other"], "a model with no price is not free"
    assert not free["deepseek/deepseek-v4-flash"]
    models = essay.models.set_index("model")
    both_zero = models["input_usd_per_mtok"].eq(0) & models["output_usd_per_mtok"].eq(0)
    assert set(free[free].index) == set(both_zero[both_zero].index)


def test_the_claims_paid_tokens_leave_it_out(essay) -> None:
    cube = Cube.from_snapshot(essay)
    i = cube.models.get_loc(STEALTH)
    assert cube.window(MONTH_WEEKS)[0, i] > 0 and np.nansum(cube.free[0, i]) == 0
    assert cube.paid().window(MONTH_WEEKS)[0, i] == 0
    at_zero = recut.listed_free(cube.attrs).to_numpy(dtype=bool)
    assert at_zero.sum() > 1, "the stealth models before it too"
    assert (cube.paid().tokens[:, at_zero] == 0).all()
    expected = (cube.tokens - cube.free)[:, ~at_zero]
    np.testing.assert_array_equal(cube.paid().tokens[:, ~at_zero], expected)


def test_the_price_chart_has_no_group_at_zero_dollars(essay) -> None:
    weeks = recut.last_weeks(essay, MONTH_WEEKS)
    everything = prices.usage_and_price(essay, weeks)
    paid = prices.usage_and_price(essay, weeks, paid=True)
    assert everything.at[STEALTH, "tokens"] > 0 and paid.at[STEALTH, "tokens"] == 0
    assert paid["tokens"].dtype == "int64", "sums of tokens stay integers"
    by_group = prices.weighted_price(paid, "group")
    # its group's only priced model had no paid tokens: no average price (0 / 0), not drawn
    assert by_group.at["unattributed", "priced_tokens"] == 0
    assert np.isnan(by_group.at["unattributed", "usd_per_mtok"])
    assert by_group.drop(index="unattributed")["usd_per_mtok"].notna().all()
    assert "models listed at $0" in prices.counted_text(paid)


def test_the_paid_and_free_chart_counts_it_as_free(essay) -> None:
    table = paid_and_free_by_origin(essay)
    weekly = essay.weekly.set_index(["week", "model"])["tokens"]
    week = essay.weeks[-1]
    stealth = weekly[(week, STEALTH)] / T
    listed = essay.weekly[(essay.weekly["week"] == week) & (essay.weekly["model"] != "other")]
    listed = listed.set_index("model")
    origin = recut.model_attributes(essay)["country"].reindex(listed.index)
    elsewhere = listed[~origin.isin(["CN", "US"])]
    assert table.at[week, ("free", "elsewhere")] == pytest.approx(
        elsewhere["free_tokens"].drop(STEALTH).sum() / T + stealth
    )
    assert table.at[week, ("paid", "elsewhere")] == pytest.approx(
        (elsewhere["tokens"] - elsewhere["free_tokens"]).drop(STEALTH).sum() / T
    )


def test_the_caveats_free_share_counts_it(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path / "data"))
    rows = [
        "week,model,tokens,free_tokens",
        "2026-05-25,deepseek/deepseek-v4-flash,600,100",
        f"2026-05-25,{STEALTH},300,0",
        "2026-05-25,anthropic/claude-opus-4.7,100,0",
        "2026-05-25,other,1000,",
    ]
    (folder / "weekly_tokens.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = build_facts.free_shares(folder, weeks=1)
    # Chinese 100 of 600; US 0 of 100; all listed (100 + 300) of 1000
    assert "17 % of the tokens of listed Chinese models and 0 % of the tokens of listed US" in text
    assert "or by models listed at $0 (40 % of all listed models" in text
