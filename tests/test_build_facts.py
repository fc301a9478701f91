"""The facts the build computes for pages and cells without pandas (tokenrace.book.build_facts)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tokenrace.book import build_facts
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR


def _snapshot_with_last_week(tmp_path: Path, rows: list[tuple[str, int]]) -> Path:
    folder = Path(shutil.copytree(DEFAULT_DATA_DIR, tmp_path / "data"))
    lines = ["week,model,tokens,free_tokens"]
    lines += [f"2026-05-25,{model},{tokens}," for model, tokens in rows]
    (folder / "weekly_tokens.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_tail_share_of_the_shipped_snapshot_is_its_last_week_other() -> None:
    import pandas as pd

    weekly = pd.read_csv(DEFAULT_DATA_DIR / "weekly_tokens.csv", parse_dates=["week"])
    last = weekly[weekly["week"] == weekly["week"].max()]
    pct = 100 * last.loc[last["model"] == "other", "tokens"].sum() / last["tokens"].sum()
    assert build_facts.tail_share(DEFAULT_DATA_DIR) == f"{round(pct)} %"


def test_tail_share_rounds_half_up_in_integers(tmp_path: Path) -> None:
    # 125 of 1000 is 12.5 %: rounded half up to 13 %, whatever the float would do
    folder = _snapshot_with_last_week(tmp_path, [("deepseek/deepseek-v3.2", 875), ("other", 125)])
    assert build_facts.tail_share(folder) == "13 %"
    folder = _snapshot_with_last_week(
        tmp_path / "b", [("deepseek/deepseek-v3.2", 876), ("other", 124)]
    )
    assert build_facts.tail_share(folder) == "12 %"


def test_sources_list_names_every_manifest_source_once() -> None:
    text = build_facts.sources_list(DEFAULT_DATA_DIR / "sources")
    ids = [line.split("`")[1] for line in text.splitlines()]
    assert len(ids) == len(set(ids)) and "ranking_files" in ids and "rankings_page" in ids
    assert "no figure in this snapshot yet" in text  # the raw sources not yet imported
