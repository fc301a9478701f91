"""The claims register: every claim holds on the shipped data, and each can fail."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shipped import CONTRADICTED
from tokenrace import load_snapshot
from tokenrace.claims import register as claims
from tokenrace.claims import reporting
from tokenrace.snapshot.essay import essay_date
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures"
REQUIRED = {
    "volume-growth",
    "paid-lead",
    "top-three-chinese-open",
    "fraction-of-frontier-price",
    "deepseek-largest-band",
    "china-share-rises",
    "china-cheapest",
    "gemma-same-order",
}
DATA_FILES = ("weekly_tokens.csv", "models.csv", "authors.csv", "datapackage.json")


@pytest.fixture(scope="module")
def shipped() -> list[claims.ClaimResult]:
    return claims.evaluate(load_snapshot(DEFAULT_DATA_DIR))


def test_register_has_every_claim_of_the_essay() -> None:
    ids = [c.id for c in claims.REGISTER]
    assert len(ids) == len(set(ids))
    assert REQUIRED <= set(ids)
    for claim in claims.REGISTER:
        assert claim.sentence and claim.test and claim.chapter in reporting.CHAPTER_DOCS


def test_verdicts_on_the_shipped_snapshot(shipped) -> None:
    """Reads each claim's one verdict, its evidence level: only the contradicted claims fail,
    none is untestable, and a level above FAILS means the test passes."""
    from tokenrace.claims import evidence

    found = evidence.load(load_snapshot(DEFAULT_DATA_DIR))
    failing = {
        r.id: f"{found['claims'][r.id]['level']} ({r.measured})"
        for r in shipped
        if found["claims"][r.id]["level"] in (evidence.FAILS, evidence.UNTESTABLE)
    }
    assert set(failing) == CONTRADICTED, failing
    assert all(found["claims"][i]["level"] == evidence.FAILS for i in CONTRADICTED)
    assert all(r.holds is (r.id not in CONTRADICTED) for r in shipped)
    for result in shipped:
        assert result.measured and any(ch.isdigit() for ch in result.measured)


def test_shipped_values(shipped) -> None:
    by_id = {r.id: r for r in shipped}
    growth = by_id["volume-growth"].numbers
    assert 1.5 <= growth["first_t"] <= 2.5 and growth["last_t"] > 30
    assert by_id["fraction-of-frontier-price"].numbers["ratio"] > claims.FRACTION_MAX
    assert by_id["china-share-rises"].numbers["largest"] == "cn_open"
    top = [by_id["top-three-chinese-open"].numbers[f"top{i}"] for i in (1, 2, 3)]
    assert top == ["DeepSeek V4 Flash", "Hy3 Preview", "Claude Opus 4.7"]
    assert by_id["deepseek-largest-band"].numbers["runner_up"] == "Anthropic"


def test_every_claim_fails_on_the_contradicting_fixture() -> None:
    results = claims.evaluate(load_snapshot(FIXTURES / "contradicting"))
    holding = [r.id for r in results if r.holds]
    assert not holding, f"claims that should not hold on the contradicting fixture: {holding}"
    assert {r.id for r in results} >= REQUIRED
    for result in results:
        assert result.outcome == "fails" and result.measured


# --- one claim at a time: a small change to a copy of the shipped data flips it ----------------


def _copy_data(tmp_path: Path) -> Path:
    for name in DATA_FILES:
        shutil.copyfile(DEFAULT_DATA_DIR / name, tmp_path / name)
    return tmp_path


def _read_weekly(folder: Path) -> pd.DataFrame:
    return pd.read_csv(
        folder / "weekly_tokens.csv", dtype={"tokens": "int64", "free_tokens": "Int64"}
    )


def _edit_weekly(folder: Path, rule: Callable[[pd.DataFrame], pd.Series], factor: float) -> None:
    """Scale the tokens of the selected rows (and their free tokens, so free never exceeds them)."""
    weekly = _read_weekly(folder)
    mask = rule(weekly)
    weekly.loc[mask, "tokens"] = (weekly.loc[mask, "tokens"] * factor).round().astype("int64")
    if "free_tokens" in weekly:
        free = weekly.loc[mask, "free_tokens"].astype("Float64") * factor
        weekly.loc[mask, "free_tokens"] = free.round().astype("Int64")
        weekly["free_tokens"] = weekly["free_tokens"].clip(upper=weekly["tokens"])
    weekly.to_csv(folder / "weekly_tokens.csv", index=False, lineterminator="\n")


def _edit_prices(folder: Path, rule: Callable[[pd.DataFrame], pd.Series], factor: float) -> None:
    models = pd.read_csv(folder / "models.csv", dtype=str, keep_default_na=False)
    mask = rule(models) & (models["input_usd_per_mtok"] != "")
    for column in ("input_usd_per_mtok", "output_usd_per_mtok"):
        models.loc[mask, column] = [f"{float(v) * factor:g}" for v in models.loc[mask, column]]
    models.to_csv(folder / "models.csv", index=False, lineterminator="\n")


def _last(weekly: pd.DataFrame, n: int = 1) -> pd.Series:
    """The last ``n`` weeks the claims are judged on: up to the essay's week."""
    judged = weekly["week"] <= str(essay_date().week.date())
    return weekly["week"].isin(sorted(weekly.loc[judged, "week"].unique())[-n:])


CHINESE = (
    "deepseek/",
    "moonshotai/",
    "qwen/",
    "z-ai/",
    "minimax/",
    "tencent/",
    "xiaomi/",
    "stepfun/",
)

#: For each claim, a small change to the shipped data that turns its test around: one that
#: contradicts a claim the data support, or one that would support a claim they contradict.
FLIPS: dict[str, Callable[[Path], None]] = {
    "volume-growth": lambda d: _edit_weekly(d, lambda w: _last(w), 0.9),
    "top-three-chinese-open": lambda d: _edit_weekly(
        d, lambda w: _last(w) & (w["model"] == "moonshotai/kimi-k2.6"), 20
    ),
    "fraction-of-frontier-price": lambda d: _edit_weekly(
        d, lambda w: _last(w) & w["model"].str.startswith("anthropic/"), 0.1
    ),
    "deepseek-largest-band": lambda d: _edit_weekly(
        d, lambda w: _last(w) & w["model"].str.startswith("deepseek/"), 1.1
    ),
    "china-share-rises": lambda d: _edit_weekly(
        d, lambda w: _last(w, 4) & w["model"].str.startswith(CHINESE), 0.1
    ),
    "china-cheapest": lambda d: _edit_prices(d, lambda m: m["model"].str.startswith(CHINESE), 20),
    "gemma-same-order": lambda d: _edit_prices(d, lambda m: m["model"].str.contains("gemma"), 40),
    "paid-lead": lambda d: _edit_free(
        d, lambda w: _last(w, 4) & w["model"].str.startswith(CHINESE)
    ),
}


def _edit_free(folder: Path, rule: Callable[[pd.DataFrame], pd.Series]) -> None:
    """Mark every token of the selected rows as served free."""
    weekly = _read_weekly(folder)
    mask = rule(weekly)
    weekly.loc[mask, "free_tokens"] = weekly.loc[mask, "tokens"].astype("Int64")
    weekly.to_csv(folder / "weekly_tokens.csv", index=False, lineterminator="\n")


@pytest.mark.parametrize("claim_id", sorted(FLIPS))
def test_a_change_to_the_data_flips_the_claim(claim_id: str, tmp_path: Path) -> None:
    folder = _copy_data(tmp_path)
    FLIPS[claim_id](folder)
    snap = load_snapshot(folder)  # the edited copy still meets the contract
    result = next(r for r in claims.evaluate(snap) if r.id == claim_id)
    shipped = claim_id not in CONTRADICTED
    assert result.holds is not shipped, f"{claim_id} did not turn: {result.measured}"
    assert result.outcome == ("fails" if shipped else "passes")


def test_a_model_listed_at_zero_casts_no_paid_vote(tmp_path: Path) -> None:
    """Free tokens are not wallet votes, whatever their variant: the Chinese models listed at $0
    lose China the paid lead while their free-variant counts stay as they were."""
    folder = _copy_data(tmp_path)
    before = next(r for r in claims.evaluate(load_snapshot(folder)) if r.id == "paid-lead")
    authors = pd.read_csv(folder / "authors.csv", dtype=str, keep_default_na=False)
    chinese = set(authors.loc[authors["country"] == "CN", "author"])
    models = pd.read_csv(folder / "models.csv", dtype=str, keep_default_na=False)
    models.loc[models["author"].isin(chinese), ["input_usd_per_mtok", "output_usd_per_mtok"]] = "0"
    models.to_csv(folder / "models.csv", index=False, lineterminator="\n")
    after = next(r for r in claims.evaluate(load_snapshot(folder)) if r.id == "paid-lead")
    assert before.holds and not after.holds, after.measured
    assert after.numbers["cn_paid_pct"] == 0.0
    assert after.numbers["cn_all_pct"] == before.numbers["cn_all_pct"]


def test_measured_numbers_are_plain_python_and_the_report_lists_every_claim() -> None:
    """The numbers behind each claim are plain Python (NumPy 2 scalars print as ``np.float64(…)``
    in the prose and in ``diff --format json``); the report lists every claim with its verdict."""
    snap = load_snapshot(DEFAULT_DATA_DIR)
    results = claims.evaluate(snap)
    wrong = {
        (r.id, k): type(v).__name__
        for r in results
        for k, v in r.numbers.items()
        if type(v) not in (str, float)
    }
    assert not wrong, f"claim numbers that are not plain Python: {wrong}"
    listed = reporting.report(snap).data
    for result in results:
        assert result.sentence in listed and f"the test {result.outcome}" in listed, result.id
