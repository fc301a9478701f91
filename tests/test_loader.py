"""``load_snapshot``: typed tables from the committed data/ and the tiny fixture; fingerprints."""

from __future__ import annotations

import math
import os
import shutil

import pandas as pd
import pytest

import tokenrace
from tokenrace import load_snapshot
from tokenrace.snapshot.load import SNAPSHOT_FILES
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

FIRST_WEEK = pd.Timestamp("2025-05-26")
LAST_WEEK = pd.Timestamp("2026-08-10")  # the last complete week the Data API measures


@pytest.fixture(scope="module")
def snap() -> tokenrace.Snapshot:
    return load_snapshot(DEFAULT_DATA_DIR)


def test_weekly_is_typed(snap):
    weekly = snap.weekly
    assert list(weekly.columns) == ["week", "model", "tokens", "free_tokens"]
    assert weekly["week"].dtype == "datetime64[ns]"
    assert weekly["tokens"].dtype == "int64"
    assert weekly["free_tokens"].dtype == "float64"
    free = weekly["free_tokens"].dropna()
    assert ((free >= 0) & (free <= weekly.loc[free.index, "tokens"])).all()
    assert weekly.loc[weekly["model"] == "other", "free_tokens"].isna().all(), "unknown, not zero"
    assert (weekly["week"].dt.dayofweek == 0).all(), "every week starts on a Monday"
    assert (weekly["tokens"] >= 0).all()
    assert weekly["model"].map(type).eq(str).all()


def test_models_and_authors_are_typed(snap):
    models = snap.models
    assert models["open_weights"].dtype == bool
    assert models["released"].dtype == "datetime64[ns]"
    for column in ("input_usd_per_mtok", "output_usd_per_mtok"):
        assert models[column].dtype == float
        assert (models[column].dropna() >= 0).all()
    assert models["open_weights"].any() and not models["open_weights"].all()
    assert models["model"].is_unique
    assert snap.authors["author"].is_unique
    assert set(models["author"]) <= set(snap.authors["author"])


def test_weeks_are_64_contiguous_mondays(snap):
    weeks = snap.weeks
    assert len(weeks) == 64
    assert weeks[0] == FIRST_WEEK
    assert weeks[-1] == LAST_WEEK
    assert (weeks == pd.date_range(FIRST_WEEK, LAST_WEEK, freq="7D")).all()
    assert set(snap.weekly["week"]) == set(weeks)


def test_listed_models_plus_other(snap):
    in_weekly = set(snap.weekly["model"])
    assert "other" in in_weekly
    listed = in_weekly - {"other"}
    assert 60 <= len(listed) <= 150, len(listed)  # the measured top models of every week
    assert listed <= set(snap.models["model"])
    assert "other" not in set(snap.models["model"])
    # Every week has its long tail.
    other_weeks = snap.weekly.loc[snap.weekly["model"] == "other", "week"]
    assert other_weeks.nunique() == 64 and len(other_weeks) == 64


def test_one_row_per_week_and_model(snap):
    weekly = snap.weekly
    assert not weekly.duplicated(["week", "model"]).any()
    assert weekly.equals(weekly.sort_values(["week", "model"]).reset_index(drop=True))


def test_meta_and_fingerprint(snap):
    assert snap.as_of == "2026-08-16"
    assert snap.path == DEFAULT_DATA_DIR
    assert len(snap.fingerprint) == 64
    assert snap.fingerprint == tokenrace.fingerprint(DEFAULT_DATA_DIR)


def test_tiny_snapshot_types_and_empty_prices(tiny_snapshot):
    snap = load_snapshot(tiny_snapshot)
    assert len(snap.weeks) == 3 and list(snap.weeks.dayofweek) == [0, 0, 0]
    assert snap.weekly["tokens"].sum() == 17_230_000_000_000
    models = snap.models.set_index("model")
    stealth = models.loc["openrouter/test-alpha"]
    assert math.isnan(stealth["input_usd_per_mtok"]) and math.isnan(stealth["output_usd_per_mtok"])
    assert models.loc["deepseek/deepseek-v4-flash", "input_usd_per_mtok"] == 0.14
    assert bool(models.loc["deepseek/deepseek-v4-flash", "open_weights"]) is True
    assert bool(models.loc["anthropic/claude-sonnet-4.6", "open_weights"]) is False
    authors = snap.authors.set_index("author")
    assert authors.loc["openrouter", "country"] == ""
    assert authors.loc["mistralai", "country"] == "FR"


def test_loading_does_not_change_files(tiny_snapshot):
    before = tiny_snapshot.file_bytes()
    load_snapshot(tiny_snapshot)
    assert tiny_snapshot.file_bytes() == before


def test_copy_has_the_same_fingerprint(data_copy):
    copy = data_copy.path.with_name("copy")
    shutil.copytree(data_copy.path, copy)
    assert tokenrace.fingerprint(copy) == tokenrace.fingerprint(data_copy)
    assert load_snapshot(copy).fingerprint == load_snapshot(data_copy).fingerprint


@pytest.mark.parametrize("name", SNAPSHOT_FILES)
def test_fingerprint_changes_with_one_byte(data_copy, snap, name):
    path = data_copy / name
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = (data[middle] + 1) % 256
    path.write_bytes(bytes(data))
    assert tokenrace.fingerprint(data_copy) != snap.fingerprint


def test_fingerprint_changes_when_a_file_is_missing(data_copy, snap):
    (data_copy / "authors.csv").unlink()
    assert tokenrace.fingerprint(data_copy) != snap.fingerprint


def test_fingerprint_ignores_files_outside_the_snapshot(data_copy):
    before = tokenrace.fingerprint(data_copy)
    (data_copy / "README.md").write_text("notes\n")
    assert tokenrace.fingerprint(data_copy) == before


def test_fingerprint_covers_provenance_and_sources(data_copy, snap):
    """The verdicts' evidence is drawn from the sources, so they key the cache too."""
    assert tokenrace.fingerprint(data_copy) != snap.fingerprint  # data/ has them; the copy not
    shutil.copyfile(DEFAULT_DATA_DIR / "provenance.csv", data_copy / "provenance.csv")
    shutil.copytree(DEFAULT_DATA_DIR / "sources", data_copy / "sources")
    assert tokenrace.fingerprint(data_copy) == snap.fingerprint
    knots = data_copy / "sources" / "knots.csv"
    knots.write_text(knots.read_text().replace("31040", "28000"))
    assert tokenrace.fingerprint(data_copy) != snap.fingerprint


def test_a_validated_fingerprint_skips_only_the_repeated_schema_checks(tiny_snapshot) -> None:
    """The book build validates once; notebooks on the same bytes skip the schema library."""
    import subprocess
    import sys

    from tokenrace import fingerprint
    from tokenrace.snapshot.paths import VALIDATED_ENV

    code = (
        "import sys, tokenrace\n"
        "snap = tokenrace.load_snapshot()\n"
        "print(len(snap.weekly), any(m.startswith('pandera') for m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TOKENRACE_DATA"}
    env[VALIDATED_ENV] = fingerprint(DEFAULT_DATA_DIR)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows, imported = done.stdout.split()
    assert int(rows) == len(load_snapshot(DEFAULT_DATA_DIR).weekly) and imported == "False"

    # Another folder (here a broken one) is checked in full, whatever the variable says.
    tiny_snapshot.set_cell("weekly_tokens.csv", 2, "tokens", "-5")
    env["TOKENRACE_DATA"] = str(tiny_snapshot)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "SnapshotError" in done.stderr
