"""``python -m tokenrace fetch --replay DIR``: the fetch on archived Data API replies, no network.

On the invented archive written by ``tests/fixtures/replay-archive/make_fixture.py``: the replayed
snapshot validates, its weekly sums are the rows' sums (recomputed here from the files), free
tokens are counted, the models come from ``data/models.csv`` and ``datapackage.json`` says so, a
permaslug mapping to no model is counted in ``other`` and listed, and a window the archive lacks
or replies that disagree stop the fetch with one readable message. Then on the real archive
(``../shared/sources/raw/data-api/llm-carbon-index``), skipped with its reason where it is absent.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_fetch import error_message

from rawsources import written
from tokenrace.cli import main as cli_main
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, RAW_SOURCES_DIR
from tokenrace.sources import fetch as f
from tokenrace.sources.fetch.catalogue import shown

FIXTURE = written(
    Path(__file__).resolve().parent / "fixtures" / "replay-archive" / "make_fixture.py"
)
REAL = RAW_SOURCES_DIR / "data-api" / "llm-carbon-index"
START, END = "2026-05-02", "2026-06-09"
WEEKS = ["2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25", "2026-06-01"]
UNMATCHED = "newlab/mystery-model-20260520"
#: The fixture's permaslugs and the models.csv slug each maps to, by hand (alias rules).
TO_MODEL = {
    "deepseek/deepseek-v4-flash-20260423": "deepseek/deepseek-v4-flash",  # date suffix
    "anthropic/claude-4.6-sonnet-20260217": "anthropic/claude-sonnet-4.6",  # alias table
    "openai/gpt-oss-120b": "openai/gpt-oss-120b",  # as it stands
    "openai/gpt-oss-120b:free": "openai/gpt-oss-120b",  # :free folded
    "moonshotai/kimi-k2.5-0127": "moonshotai/kimi-k2.5",  # alias table (-MMDD)
}
COPIED = "From data/models.csv, no models listing archived: "


# -- helpers ---------------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    """``python -m tokenrace ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(args))
    return code, out.getvalue(), err.getvalue()


def replay(folder: Path, out: Path, start: str = START, end: str = END, *extra: str):
    """``fetch --replay FOLDER`` of ``start``..``end`` into ``out``."""
    return run(
        "fetch", "--replay", str(folder), "--start", start, "--end", end, "--out", str(out), *extra
    )


def archive_days(folder: Path) -> dict[date, dict[str, int]]:
    """Every day's rows of an archive (tokens by permaslug), read straight from its files; a
    day repeated in several files must be the same there."""
    days: dict[date, dict[str, int]] = {}
    for path in sorted(folder.glob("*.json")):
        held: dict[date, dict[str, int]] = defaultdict(dict)
        for row in json.loads(path.read_text(encoding="utf-8"))["data"]:
            held[date.fromisoformat(row["date"])][row["model_permaslug"]] = int(row["total_tokens"])
        for day, rows in held.items():
            assert days.setdefault(day, rows) == rows, f"{path.name} repeats {day} differently"
    return days


def week_days(monday: str) -> list[date]:
    first = date.fromisoformat(monday)
    return [first + timedelta(days=i) for i in range(7)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> tuple[Path, str, str]:
    """The fixture archive replayed once: the snapshot folder, stdout and stderr."""
    out = tmp_path_factory.mktemp("replay") / "snapshot"
    code, stdout, stderr = replay(FIXTURE, out)
    assert code == 0, stderr
    return out, stdout, stderr


# -- the invented archive --------------------------------------------------------------------------


def test_the_replayed_snapshot_validates(replayed):
    out, _stdout, _stderr = replayed
    code, stdout, stderr = run("validate", str(out))
    assert code == 0, stderr
    assert "meets the data contract" in stdout


def test_its_weekly_sums_are_the_sums_of_the_archived_rows(replayed):
    out, _stdout, _stderr = replayed
    days = archive_days(FIXTURE)
    expected: dict[tuple[str, str], int] = defaultdict(int)
    free: dict[tuple[str, str], int] = defaultdict(int)
    for week in WEEKS:
        for day in week_days(week):
            for permaslug, tokens in days[day].items():
                model = TO_MODEL.get(permaslug, "other")
                expected[(week, model)] += tokens
                if permaslug.endswith(":free"):
                    free[(week, model)] += tokens
    weekly = read_csv(out / "weekly_tokens.csv")
    assert sorted({r["week"] for r in weekly}) == WEEKS  # the partial weeks at both ends dropped
    assert {(r["week"], r["model"]): int(r["tokens"]) for r in weekly} == dict(expected)
    for week in WEEKS:  # each week's rows sum to every archived row of its 7 days
        total = sum(int(r["tokens"]) for r in weekly if r["week"] == week)
        assert total == sum(sum(days[d].values()) for d in week_days(week))
    # Free tokens: the ':free' rows, exactly; 0 for a model without any; unknown for 'other'.
    assert {(r["week"], r["model"]): r["free_tokens"] for r in weekly} == {
        key: "" if key[1] == "other" else str(free.get(key, 0)) for key in expected
    }
    assert all(free[(w, "openai/gpt-oss-120b")] > 0 for w in WEEKS)


def test_the_models_come_from_models_csv_and_it_says_so(replayed):
    out, stdout, stderr = replayed
    committed = {r["model"]: r for r in read_csv(DEFAULT_DATA_DIR / "models.csv")}
    models = read_csv(out / "models.csv")
    assert [r["model"] for r in models] == sorted(set(TO_MODEL.values()))
    for row in models:
        source = committed[row["model"]]
        assert {k: v for k, v in row.items() if k != "price_source"} == {
            k: v for k, v in source.items() if k != "price_source"
        }
        assert row["price_source"] == COPIED + source["price_source"]
    meta = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "replayed"
    assert "replayed from archived replies" in meta["title"]
    assert "no models listing was archived" in meta["description"]
    models_source = [s for s in meta["sources"] if s["path"] == "data/models.csv"]
    assert len(models_source) == 1 and "no models listing was archived" in models_source[0]["title"]
    replay_meta = meta["processing"]["replay"]
    assert replay_meta["requests_sent"] == 0
    assert replay_meta["models"] == {
        "models": "data/models.csv",
        "models_sha256": hashlib.sha256((DEFAULT_DATA_DIR / "models.csv").read_bytes()).hexdigest(),
        "aliases": "data/sources/aliases.csv",
        "aliases_sha256": hashlib.sha256(
            (DEFAULT_DATA_DIR / "sources" / "aliases.csv").read_bytes()
        ).hexdigest(),
    }
    assert any(
        "copied from processing.replay.models.models" in r for r in meta["processing"]["rules"]
    )
    assert meta["processing"]["permaslug_to_model"] == TO_MODEL
    # The command says it too: on stdout at the end, and in its progress on stderr.
    assert "copied from data/models.csv: no models listing was archived" in stdout
    assert "from data/models.csv (no models listing was archived)" in stderr


def test_a_permaslug_of_no_model_is_counted_in_other_and_listed(replayed):
    out, stdout, _stderr = replayed
    days = archive_days(FIXTURE)
    tokens = sum(days[d].get(UNMATCHED, 0) for w in WEEKS for d in week_days(w))
    meta = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["processing"]["unlisted_folded_into_other"] == {UNMATCHED: tokens}
    assert "1 permaslug(s) map to no model of data/models.csv" in stdout
    assert f"  - {UNMATCHED} ({tokens:,} tokens)" in stdout.splitlines()


def test_every_window_is_answered_from_the_archive_and_kept_in_raw(replayed):
    out, _stdout, stderr = replayed
    assert "Traceback" not in stderr
    assert "2 window(s) of at most 30 days, replayed (no request is sent)" in stderr
    assert "window 1/2 2026-05-02..2026-05-31: " in stderr and "window 2/2 " in stderr
    assert "(replayed)" in stderr
    days = archive_days(FIXTURE)
    as_of = {"2026-05-02": "2026-06-01T08:01:02.345Z", "2026-06-01": "2026-06-10T07:30:59.999Z"}
    for start, end in (("2026-05-02", "2026-05-31"), ("2026-06-01", "2026-06-09")):
        body = json.loads((out / "raw" / f"rankings-daily_{start}_{end}.json").read_text())
        assert body["meta"]["as_of"] == as_of[start]  # the latest of the replies it took rows from
        rows: dict[date, dict[str, int]] = defaultdict(dict)
        for row in body["data"]:
            rows[date.fromisoformat(row["date"])][row["model_permaslug"]] = int(row["total_tokens"])
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        assert dict(rows) == {d: r for d, r in days.items() if first <= d <= last}
    meta = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2026-06-10"
    replies = {r["file"]: r for r in meta["processing"]["replay"]["replies"]}
    assert sorted(replies) == sorted(p.name for p in FIXTURE.glob("*.json"))
    assert replies["2026-06-02.json"]["as_of"] is None  # the reply kept without meta
    for name, reply in replies.items():
        assert reply["sha256"] == hashlib.sha256((FIXTURE / name).read_bytes()).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir()) == ["snapshot"]  # no resume cache


@pytest.mark.parametrize(
    ("start", "end", "missing"),
    [
        ("2026-04-30", END, "2026-04-30..2026-05-01"),
        (START, "2026-06-14", "2026-06-10..2026-06-14"),
    ],
)
def test_a_window_the_archive_lacks_stops_with_a_readable_message(
    cli, tmp_path, start, end, missing
):
    out = tmp_path / "snapshot"
    done = cli("fetch", "--replay", str(FIXTURE), "--start", start, "--end", end, "--out", str(out))
    assert done.returncode == 1
    message = error_message(done.stderr)
    assert f"no reply holds {missing} (they hold 2026-05-02..2026-06-09)" in message
    assert "never writes a short week" in message
    assert f"{out} was not created" in message
    assert not out.exists() and list(tmp_path.iterdir()) == []


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    for path in FIXTURE.glob("*.json"):
        shutil.copy(path, folder)
    return folder


def _edit(path: Path, day: str, permaslug: str, tokens: int | None) -> None:
    """Set (or, with None, remove) one row of an archived reply."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    rows = payload["data"]
    hit = [r for r in rows if r["date"] == day and r["model_permaslug"] == permaslug]
    assert len(hit) == 1
    if tokens is None:
        rows.remove(hit[0])
    else:
        hit[0]["total_tokens"] = str(tokens)
    path.write_text(json.dumps(payload), encoding="utf-8")


@pytest.mark.parametrize("change", ["one token more", "row missing"])
def test_repeated_days_that_disagree_stop_naming_both_files(tmp_path, change):
    folder = _copy(tmp_path)
    slug, day = "deepseek/deepseek-v4-flash-20260423", "2026-05-25"
    held = archive_days(FIXTURE)[date.fromisoformat(day)][slug]
    _edit(folder / "2026-06-04.json", day, slug, held + 1 if change == "one token more" else None)
    out = tmp_path / "snapshot"
    code, _stdout, stderr = replay(folder, out)
    assert code == 1
    message = error_message(stderr)
    said = f"{held + 1} tokens" if change == "one token more" else "no row"
    assert (
        f"the archived replies 2026-05-31.json and 2026-06-04.json in {folder} disagree on {day}: "
        f"{slug} has {held} tokens in 2026-05-31.json and {said} in 2026-06-04.json"
    ) in message
    assert not out.exists()


def test_a_malformed_reply_stops_naming_the_file(tmp_path):
    folder = _copy(tmp_path)
    payload = json.loads((folder / "2026-05-20.json").read_text(encoding="utf-8"))
    payload["data"][0]["total_tokens"] = "12.5"
    (folder / "2026-05-20.json").write_text(json.dumps(payload), encoding="utf-8")
    code, _stdout, stderr = replay(folder, tmp_path / "snapshot")
    assert code == 1
    message = error_message(stderr)
    assert f"malformed response from the archived reply {folder / '2026-05-20.json'}" in message
    assert "'12.5' is not a whole number of tokens" in message


def test_a_model_added_to_models_csv_is_listed_instead_of_other(tmp_path):
    """Whether or not models.csv holds a permaslug's model, the replay works: here it does."""
    models = tmp_path / "models.csv"
    models.write_text(
        (DEFAULT_DATA_DIR / "models.csv").read_text(encoding="utf-8")
        + "newlab/mystery-model,Mystery Model,newlab,true,2026-05-20,0.1,0.4,invented\n",
        encoding="utf-8",
    )
    authors = tmp_path / "authors.csv"
    authors.write_text(
        (DEFAULT_DATA_DIR / "authors.csv").read_text(encoding="utf-8")
        + "newlab,New Lab,FR,invented\n",
        encoding="utf-8",
    )
    out = tmp_path / "snapshot"
    code, stdout, stderr = replay(
        FIXTURE, out, START, END, "--models", str(models), "--authors", str(authors)
    )
    assert code == 0, stderr
    assert "map to no model" not in stdout
    days = archive_days(FIXTURE)
    weekly = {
        (r["week"], r["model"]): int(r["tokens"]) for r in read_csv(out / "weekly_tokens.csv")
    }
    for week in WEEKS:
        assert weekly.get((week, "newlab/mystery-model"), 0) == sum(
            days[d].get(UNMATCHED, 0) for d in week_days(week)
        )
    rows = {r["model"]: r for r in read_csv(out / "models.csv")}
    copied = f"From {shown(models)}, no models listing archived: invented"
    assert rows["newlab/mystery-model"]["price_source"] == copied
    assert run("validate", str(out))[0] == 0


def test_replay_options_go_together(tmp_path):
    out = str(tmp_path / "snapshot")
    code, _stdout, stderr = run(
        "fetch", "--models", "data/models.csv", "--start", START, "--end", END, "--out", out
    )
    assert code == 2 and "used with --replay only" in stderr
    with pytest.raises(SystemExit) as stopped, contextlib.redirect_stderr(io.StringIO()):
        replay(FIXTURE, Path(out), START, END, "--resume")
    assert stopped.value.code == 2


def test_the_client_answers_nothing_but_usage_windows():
    client = f.ReplayClient(f.ReplayArchive(FIXTURE))
    with pytest.raises(f.FetchError, match="answers only /datasets/rankings-daily windows"):
        client.get(f.MODELS_PATH, auth=False)
    assert client.requests == 0


# -- the real archive ------------------------------------------------------------------------------


@pytest.mark.skipif(
    not REAL.is_dir(),
    reason=f"{REAL} is absent (as in a reader's clone): no archived replies to replay",
)
def test_the_real_archive_replays_into_weeks_that_sum_its_rows(tmp_path):
    out = tmp_path / "snapshot"
    code, stdout, stderr = replay(REAL, out, "2026-05-25", "2026-06-21")
    assert code == 0, stderr
    assert run("validate", str(out))[0] == 0
    days = archive_days(REAL)
    weekly = read_csv(out / "weekly_tokens.csv")
    weeks = ["2026-05-25", "2026-06-01", "2026-06-08", "2026-06-15"]
    assert sorted({r["week"] for r in weekly}) == weeks
    for week in weeks:
        total = sum(int(r["tokens"]) for r in weekly if r["week"] == week)
        assert total == sum(sum(days[d].values()) for d in week_days(week)), week
        other = next(
            int(r["tokens"]) for r in weekly if r["week"] == week and r["model"] == "other"
        )
        assert other >= sum(days[d]["other"] for d in week_days(week))
    meta = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "replayed" and meta["processing"]["replay"]["requests_sent"] == 0
    assert "copied from data/models.csv" in stdout
