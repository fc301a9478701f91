"""``python -m tokenrace diff OLD NEW``: the shipped snapshot against the contradicting fixture,
against itself, against a fetched snapshot (replayed OpenRouter), and against broken folders.

Expected values are read from the CSV files with the csv module, not through the package.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from test_fetch import AUTHORS, END, START, env, openrouter  # noqa: F401  (fixtures)

from shipped import CONTRADICTED
from tokenrace import load_snapshot
from tokenrace.claims import evidence
from tokenrace.claims import register as claims
from tokenrace.cli import main as cli_main
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures"
CONTRADICTING = FIXTURES / "contradicting"


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def last_week(folder: Path) -> tuple[str, dict[str, int]]:
    """The latest week of a snapshot and its tokens per model (``other`` included)."""
    rows = _rows(folder, "weekly_tokens.csv")
    week = max(r["week"] for r in rows)
    return week, {r["model"]: int(r["tokens"]) for r in rows if r["week"] == week}


def top10(folder: Path) -> list[str]:
    _week, tokens = last_week(folder)
    listed = sorted(((-t, m) for m, t in tokens.items() if m != "other"))
    return [m for _t, m in listed[:10]]


def models(folder: Path) -> dict[str, dict[str, str]]:
    return {r["model"]: r for r in _rows(folder, "models.csv")}


def run_diff(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def contradicting() -> dict:
    """The JSON diff of the shipped snapshot against the contradicting fixture."""
    from tokenrace import diff

    return json.loads(
        diff.to_json(diff.compare(load_snapshot(DEFAULT_DATA_DIR), load_snapshot(CONTRADICTING)))
    )


def test_claims_that_changed_with_their_evidence_levels(contradicting) -> None:
    old_levels = evidence.load(load_snapshot(DEFAULT_DATA_DIR))["claims"]
    rows = {r["id"]: r for r in contradicting["claims"]}
    assert list(rows) == [c.id for c in claims.REGISTER]
    for claim_id, row in rows.items():
        # every claim fails on the contradicting fixture; on data/ all but CONTRADICTED pass
        old = "fails" if claim_id in CONTRADICTED else "passes"
        assert row["old_test"] == old and row["new_test"] == "fails"
        assert row["old_verdict"] == old_levels[claim_id]["level"]
        assert row["new_verdict"] == evidence.FAILS
        since_moved = row["old_since"] != row["new_since"]
        assert row["changed"] is (old_levels[claim_id]["level"] != evidence.FAILS or since_moved)
        # data/ runs past the essay's week, the fixture ends in it: the weeks since differ.
        assert "of 11 later weeks" in row["old_since"] and "no later week" in row["new_since"]


def test_top_ten_entered_left_and_moved(contradicting) -> None:
    old, new = top10(DEFAULT_DATA_DIR), top10(CONTRADICTING)
    top = contradicting["top"]
    assert [r["model"] for r in top["entered"]] == [m for m in new if m not in old]
    assert [r["model"] for r in top["left"]] == [m for m in old if m not in new]
    moved = [m for m in new if m in old and old.index(m) != new.index(m)]
    assert [r["model"] for r in top["moved"]] == moved
    for r in top["moved"]:
        assert (r["old_rank"], r["new_rank"]) == (
            old.index(r["model"]) + 1,
            new.index(r["model"]) + 1,
        )
    assert top["entered"] and top["left"] and top["moved"]  # the fixture exercises all three


def test_total_and_origin_shares_with_deltas(contradicting) -> None:
    totals = [sum(last_week(folder)[1].values()) for folder in (DEFAULT_DATA_DIR, CONTRADICTING)]
    total = contradicting["totals"]["total"]
    assert (total["old_tokens"], total["new_tokens"]) == tuple(totals)
    assert total["delta_tokens"] == totals[1] - totals[0]
    assert total["delta_pct"] == pytest.approx((totals[1] / totals[0] - 1) * 100)
    shares = {r["group"]: r for r in contradicting["totals"]["origin_shares"]}
    assert sum(r["new_pct"] for g, r in shares.items() if g != "rest") == pytest.approx(100)
    for row in shares.values():
        assert row["delta_pp"] == pytest.approx(row["new_pct"] - row["old_pct"])
    # China, open weights, in the new snapshot: recomputed from the CSV files.
    authors = {r["author"]: r["country"] for r in _rows(CONTRADICTING, "authors.csv")}
    listed = models(CONTRADICTING)
    _week, tokens = last_week(CONTRADICTING)
    cn_open = sum(
        t
        for m, t in tokens.items()
        if m in listed
        and authors[listed[m]["author"]] == "CN"
        and listed[m]["open_weights"] == "true"
    )
    assert shares["cn_open"]["new_pct"] == pytest.approx(cn_open / totals[1] * 100)


def test_models_added_retired_and_prices(contradicting) -> None:
    old, new = models(DEFAULT_DATA_DIR), models(CONTRADICTING)
    assert [m["model"] for m in contradicting["models"]["added"]] == sorted(set(new) - set(old))
    assert [m["model"] for m in contradicting["models"]["retired"]] == sorted(set(old) - set(new))
    changed = sorted(
        m
        for m in set(old) & set(new)
        for col in ("input_usd_per_mtok", "output_usd_per_mtok")
        if old[m][col] and new[m][col] and float(old[m][col]) != float(new[m][col])
    )
    assert [p["model"] for p in contradicting["prices"]] == sorted(set(changed))
    for p in contradicting["prices"]:
        for col in ("input_usd_per_mtok", "output_usd_per_mtok"):
            assert p[f"old_{col}"] == float(old[p["model"]][col])
            assert p[f"new_{col}"] == float(new[p["model"]][col])


def test_markdown_is_the_default_and_names_every_change(capsys) -> None:
    code, out, err = run_diff(capsys, str(DEFAULT_DATA_DIR), str(CONTRADICTING))
    assert code == 0 and not err
    n = len(claims.REGISTER)
    for heading in (
        "## Claim verdicts",
        "## Top 10 of the latest week",
        "## Total and origin shares of the latest week",
        "## Models",
        "## Prices (USD per million tokens)",
    ):
        assert heading in out
    # Every claim changed: the verdicts, but for those data/ contradicts (they fail on both), and
    # for all, the weeks since the essay (data/ has eleven, the fixture none).
    changed = n
    assert f"{changed} of {n} claims changed (verdicts as of the essay's week)." in out
    old = evidence.load(load_snapshot(DEFAULT_DATA_DIR))["claims"]["volume-growth"]["level"]
    assert f"| `volume-growth` | {old} | does not hold | fails |" in out
    assert "| GPT-5 (`openai/gpt-5`) | entered | – → 2 |" in out
    total = sum(last_week(CONTRADICTING)[1].values()) / 1e12
    assert f"→ {total:.2f} T" in out
    assert "| DeepSeek V4 Flash (`deepseek/deepseek-v4-flash`) | 0.1 → 20 | 0.2 → 40 |" in out


def test_json_output(capsys) -> None:
    code, out, _err = run_diff(
        capsys, "--format", "json", str(DEFAULT_DATA_DIR), str(CONTRADICTING)
    )
    assert code == 0
    found = json.loads(out)
    assert set(found) == {"old", "new", "claims", "top", "totals", "models", "prices"}
    assert found["new"]["as_of"] == load_snapshot(CONTRADICTING).as_of
    assert found["new"]["last_week"] == last_week(CONTRADICTING)[0]


def test_a_snapshot_against_itself_changes_nothing(capsys) -> None:
    code, out, _err = run_diff(capsys, str(DEFAULT_DATA_DIR), str(DEFAULT_DATA_DIR))
    assert code == 0
    assert (
        "No verdict changed, no test result, and nothing since the essay "
        f"({len(claims.REGISTER)} claims)."
    ) in out
    assert "Same models in the same order." in out
    assert "+0.0 pp" in out and "No price changed." in out
    assert "- Added (0): none" in out and "- Retired (0): none" in out


def test_invalid_snapshot_gets_the_validators_messages(capsys, data_copy) -> None:
    data_copy.set_cell("weekly_tokens.csv", 6, "week", "2025-05-27")
    code, out, err = run_diff(capsys, str(DEFAULT_DATA_DIR), str(data_copy))
    assert code == 1 and out == ""
    assert "problem(s) with the data contract" in err and "nothing was compared" in err
    assert "weekly_tokens.csv, row 6, column 'week'" in err
    code, out, err = run_diff(capsys, str(data_copy.path.parent / "missing"), str(data_copy))
    assert code == 1 and "snapshot folder not found" in err and "row 6" in err


def test_usage_error_exits_2(cli) -> None:
    done = cli("diff", str(DEFAULT_DATA_DIR))
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr


def test_shipped_snapshot_against_a_fetched_one(env, tmp_path, capsys) -> None:  # noqa: F811
    out = tmp_path / "fetched"
    assert cli_main(["fetch", "--start", START, "--end", END, "--out", str(out), *AUTHORS]) == 0
    capsys.readouterr()
    code, text, _err = run_diff(capsys, "--format", "json", str(DEFAULT_DATA_DIR), str(out))
    assert code == 0
    found = json.loads(text)
    assert found["new"]["kind"] == "fetched"
    assert found["new"]["weeks"] == len(load_snapshot(out).weeks)
    old, new = models(DEFAULT_DATA_DIR), models(out)
    assert [m["model"] for m in found["models"]["added"]] == sorted(set(new) - set(old))
    assert [m["model"] for m in found["models"]["retired"]] == sorted(set(old) - set(new))
    assert found["models"]["added"], "the replay lists models the shipped snapshot lacks"
    levels = {r["new_verdict"] for r in found["claims"]}
    assert levels <= {evidence.MEASURED, evidence.FAILS, evidence.UNCERTAIN, evidence.UNTESTABLE}
    assert [r["model"] for r in found["top"]["entered"]] == [
        m for m in top10(out) if m not in top10(DEFAULT_DATA_DIR)
    ]
    gemma = next(r for r in found["claims"] if r["id"] == "gemma-same-order")
    assert gemma["new_verdict"] == evidence.UNTESTABLE  # the replay lists no Gemma: no "$nan"
    assert gemma["new_measured"] == "no priced Gemma model in the final four weeks"
    per_model = defaultdict(int)
    for model, tokens in last_week(out)[1].items():
        per_model[model] += tokens
    assert found["totals"]["total"]["new_tokens"] == sum(per_model.values())


def test_a_latest_week_with_no_tokens_is_refused_not_shown_as_nan(capsys, data_copy) -> None:
    """A week of zeros has no shares (they would print as "nan %"): the contract refuses it,
    naming its first row, and diff compares nothing."""
    first = data_copy.zero_week(last_week(DEFAULT_DATA_DIR)[0])[0]
    code, out, err = run_diff(capsys, str(DEFAULT_DATA_DIR), str(data_copy))
    assert code == 1 and out == "" and "nan" not in err
    assert f"weekly_tokens.csv, row {first}, column 'tokens': '0' is the first row of a week" in err


def test_a_price_moved_by_float_noise_only_shows_unchanged() -> None:
    from tokenrace.diff import _price_changed

    assert not _price_changed(0.3, 0.3 + 1e-12) and not _price_changed(None, None)
    assert _price_changed(0.3, 0.4) and _price_changed(None, 0.4) and _price_changed(0.3, None)
