"""The weekly refresh (``make refresh`` = ``python -m tokenrace refresh``), offline.

The end-to-end test runs the very command the refresh workflow runs, in a copy of the checkout,
against a replay of OpenRouter's APIs (tests/test_fetch.py): a new snapshot folder, validated,
``snapshot.yml`` pointed at it, the strict book built on it, and the pull request's body. It
also holds the checks of a book built on a fetched snapshot.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from test_book import NOTEBOOKS, _copy_with_cache, executed, soup, text
from test_fetch import END, FAKE_KEY, START, env, openrouter  # noqa: F401  (fixtures)
from test_short_snapshots import slice_of_data

from bookbuild import Build
from tokenrace import load_snapshot
from tokenrace.claims import evidence
from tokenrace.claims import register as claims
from tokenrace.refresh import Plan, last_sunday, plan
from tokenrace.snapshot.paths import (
    DATA_ENV_VAR,
    DEFAULT_DATA_DIR,
    REPO_ROOT,
    SETTING_FILE,
    SettingError,
    read_setting,
    snapshot_dir,
    write_setting,
)

# --- the plan and the setting (fast) --------------------------------------------------------------


def test_last_sunday_and_the_default_range() -> None:
    assert last_sunday(date(2026, 6, 1)) == date(2026, 5, 31)  # a Monday: yesterday
    assert last_sunday(date(2026, 5, 31)) == date(2026, 5, 24)  # a Sunday: today is not over
    assert last_sunday(date(2026, 6, 3)) == date(2026, 5, 31)
    p = plan(Path("/repo"), date(2026, 6, 3))
    assert (p.start, p.end) == (date(2025, 6, 2), date(2026, 5, 31))
    assert p.start.weekday() == 0 and (p.end - p.start).days + 1 == 52 * 7
    assert p.out == Path("/repo/snapshots/2026-05-31")
    assert plan(Path("/r"), date(2026, 6, 3), weeks=1).start == date(2026, 5, 25)


def test_last_whole_week_of_a_range() -> None:
    assert Plan(date(2026, 3, 28), date(2026, 5, 13), Path()).last_week == date(2026, 5, 4)
    assert Plan(date(2026, 3, 28), date(2026, 5, 31), Path()).last_week == date(2026, 5, 25)


def test_the_committed_setting_names_the_representative_snapshot() -> None:
    assert read_setting() == DEFAULT_DATA_DIR
    assert snapshot_dir() == DEFAULT_DATA_DIR
    text = (REPO_ROOT / SETTING_FILE).read_text(encoding="utf-8")
    assert "\nsnapshot: data\n" in text and "TOKENRACE_DATA" in text


def test_setting_is_one_line_and_the_environment_overrides_it(tmp_path, monkeypatch) -> None:
    (tmp_path / SETTING_FILE).write_text("# a comment: snapshot: not this\nsnapshot: data\n")
    write_setting(tmp_path / "snapshots" / "2026-06-07", tmp_path)
    lines = (tmp_path / SETTING_FILE).read_text().splitlines()
    assert lines == ["# a comment: snapshot: not this", "snapshot: snapshots/2026-06-07"]
    assert snapshot_dir(root=tmp_path) == (tmp_path / "snapshots" / "2026-06-07").resolve()
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "elsewhere"))
    assert snapshot_dir(root=tmp_path) == (tmp_path / "elsewhere").resolve()
    monkeypatch.delenv(DATA_ENV_VAR)
    (tmp_path / SETTING_FILE).write_text("snapshot:\n")
    with pytest.raises(SettingError, match="no 'snapshot: FOLDER' line"):
        snapshot_dir(root=tmp_path)
    done = _refresh(tmp_path, "--no-build")  # one message, no traceback
    assert done.returncode == 1 and "no 'snapshot: FOLDER' line" in done.stderr
    assert "Traceback" not in done.stderr


def _refresh(root: Path, *args: str, env: dict[str, str] | None = None):  # noqa: F811
    full = {k: v for k, v in os.environ.items() if k != DATA_ENV_VAR}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tokenrace", "refresh", *args],
        cwd=root,
        env=full,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def test_no_new_weeks_means_no_pull_request(tmp_path, openrouter, env) -> None:  # noqa: F811
    (tmp_path / SETTING_FILE).write_text(f"snapshot: {DEFAULT_DATA_DIR}\n")
    done = _refresh(tmp_path, "--today", "2026-08-19", "--no-build", env=env)
    assert done.returncode == 0, done.stderr
    assert "no new weeks" in done.stderr and "2026-08-10" in done.stderr
    assert openrouter.requested() == [] and not (tmp_path / "_build").exists()
    assert not (tmp_path / "snapshots").exists()


def test_a_failed_fetch_leaves_the_setting_alone(tmp_path, openrouter, env) -> None:  # noqa: F811
    old = slice_of_data(tmp_path / "old", 4, upto="2026-04-27")
    (tmp_path / SETTING_FILE).write_text("snapshot: old\n")
    bad = {**env, "OPENROUTER_API_KEY": "sk-or-v1-WRONG-must-never-leak"}
    done = _refresh(tmp_path, "--start", START, "--end", END, "--no-build", env=bad)
    assert done.returncode == 1
    assert done.stderr.count("fetch:") == 1 and "Traceback" not in done.stderr
    assert "WRONG" not in done.stderr + done.stdout
    assert (tmp_path / SETTING_FILE).read_text() == "snapshot: old\n"
    assert not (tmp_path / "_build" / "refresh" / "pr-body.md").exists()
    assert old.is_dir()


# --- end to end: the workflow's command, offline, with the book build ---------------------------


@pytest.mark.book
def test_refresh_end_to_end_offline(book: Build, tmp_path, openrouter, env) -> None:  # noqa: F811
    src = _copy_with_cache(book, tmp_path / "src", remote=None)
    old = slice_of_data(src / "snapshots" / "2026-04-27", 8, upto="2026-04-27")
    write_setting(old, src)
    outputs = tmp_path / "github_output"
    run_env = {**env, "GITHUB_OUTPUT": str(outputs)}
    done = _refresh(src, "--start", START, "--end", END, env=run_env)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert FAKE_KEY not in log

    # 1. A new snapshot folder, valid, named by the end of the range; snapshot.yml names it.
    new = src / "snapshots" / END
    assert (new / "weekly_tokens.csv").is_file() and (new / "raw").is_dir()
    snap = load_snapshot(new)
    assert snap.meta["kind"] == "fetched"
    assert f"snapshot: snapshots/{END}" in (src / SETTING_FILE).read_text()
    assert "data" in os.listdir(src), "the representative snapshot stays in the repository"
    for path in new.rglob("*"):
        assert not path.is_file() or FAKE_KEY.encode() not in path.read_bytes()

    # 2. The pull request: body = the diff, title and branch as step outputs.
    body = (src / "_build" / "refresh" / "pr-body.md").read_text(encoding="utf-8")
    assert body.startswith(f"# What changed: as of {load_snapshot(old).as_of} → as of {snap.as_of}")
    assert "- Old: `snapshots/2026-04-27`" in body and f"- New: `snapshots/{END}`" in body
    for heading in (
        "## Claim verdicts",
        "## Top 10",
        "## Total and origin",
        "## Models",
        "## Prices",
    ):
        assert heading in body
    assert FAKE_KEY not in body
    github = outputs.read_text().splitlines()
    assert f"snapshot=snapshots/{END}" in github and f"branch=refresh/{END}" in github
    assert any(line.startswith("title=Data refresh: OpenRouter snapshot as of ") for line in github)

    # 3. The book was built on it, strictly, from snapshot.yml (no $TOKENRACE_DATA).
    built = Build(src, done.returncode, log, 0.0)
    assert f"[tokenrace] snapshot {new}" in log
    assert {Path(n).name for n in NOTEBOOKS} <= executed(built)
    race = soup(built, "chapters/race")
    caption = " ".join(race.find(id="fig-race-total").find("figcaption").get_text(" ").split())
    assert f"Source: OpenRouter (openrouter.ai/rankings), as of {snap.as_of}" in caption
    assert "representative" not in caption
    assert snap.as_of in text(built, "chapters/editors-notes")
    assert "was not reconstructed from anchors" in text(built, "chapters/data")
    page = text(built, "chapters/claims")
    levels = "|".join(re.escape(level) for level in evidence.LEVELS)
    headers = re.findall(rf"([a-z-]+) ?: \S (?:{levels}) ?\. “", page)
    assert headers == [c.id for c in claims.REGISTER], "one verdict, its level, heads each claim"
    assert "is measured data" in page and "no reconstructions are drawn" in page
