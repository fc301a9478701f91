"""``python -m tokenrace fetch`` against a local replay of OpenRouter's APIs (no network).

A ``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port) replays the recorded responses in
``tests/fixtures/openrouter/`` (see ``make_fixtures.py`` there for their numbers), records every
request, and can be scripted to fail. The client is pointed at it with ``$OPENROUTER_BASE_URL``.

Every failure test checks that the old snapshot folder is byte-identical afterwards, that nothing
but the documented resume cache (``PATH.raw-cache/``) is left beside it, that stderr holds one
``fetch:`` message and no traceback, and that the fake API key appears nowhere.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tokenrace.cli import main as cli_main
from tokenrace.snapshot.load import check_snapshot, load_snapshot
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, REPO_ROOT
from tokenrace.sources import fetch as f

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openrouter"
TINY_DIR = Path(__file__).resolve().parent / "fixtures" / "tiny"
FAKE_KEY = "sk-or-v1-FAKE-0f1e2d3c4b5a69788796a5b4c3d2e1f0-must-never-leak"
WRONG_KEY = "sk-or-v1-WRONG-99887766554433221100-must-never-leak-either"
START, END = "2026-03-28", "2026-05-13"
WINDOW_1 = "2026-03-28_2026-04-26"
WINDOW_2 = "2026-04-27_2026-05-13"
#: Countries for every author of the fixtures (the old snapshot's authors.csv lacks some).
AUTHORS = ("--authors", str(DEFAULT_DATA_DIR / "authors.csv"))
KEPT_WEEKS = ["2026-03-30", "2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27", "2026-05-04"]
#: Permaslugs of the fixtures (variant suffix removed) -> model slugs of the models API.
PERMASLUG_TO_MODEL = {
    "openai/gpt-4o-2024-05-13": "openai/gpt-4o",
    "anthropic/claude-4-sonnet-20250522": "anthropic/claude-sonnet-4",
    "deepseek/deepseek-chat-v3-0324": "deepseek/deepseek-chat-v3-0324",
    "google/gemini-2.5-flash": "google/gemini-2.5-flash",
    "mistralai/mistral-nemo": "mistralai/mistral-nemo",
    "qwen/qwen3-coder-480b-a35b-07-25": "qwen/qwen3-coder",
    "other": "other",
}
#: The free-split range (see make_fixtures.py): one window, two whole weeks.
FREE_START, FREE_END = "2026-05-18", "2026-05-31"
FREE_WINDOW = "2026-05-18_2026-05-31"
FREE_WEEKS = ["2026-05-18", "2026-05-25"]
#: Its permaslugs add a model that is served only as ':free'.
FREE_PERMASLUG_TO_MODEL = {
    **PERMASLUG_TO_MODEL,
    "meta-llama/llama-3.3-70b-instruct": "meta-llama/llama-3.3-70b-instruct",
}


# -- the fake OpenRouter ---------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeOpenRouter:
    """Replays tests/fixtures/openrouter; ``key`` is ``"models"`` or a window ``START_END``."""

    base_url: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    scripted: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    always: dict[str, Reply] = field(default_factory=dict)
    edits: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    stall: set[str] = field(default_factory=set)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requested(self, key: str | None = None) -> list[str]:
        """Keys of the requests received, in order (only ``key``'s if given)."""
        with self.lock:
            return [k for k, _auth in self.requests if key is None or k == key]

    def reply(self, key: str, auth: str | None) -> Reply | None:
        with self.lock:
            self.requests.append((key, auth))
        if key in self.stall:
            self.stalled.set()
            self.release.wait(20)
            return None
        if key != "models" and auth != f"Bearer {FAKE_KEY}":
            return Reply(401, b'{"error": {"code": 401, "message": "No auth credentials found"}}')
        with self.lock:
            if self.scripted[key]:
                return self.scripted[key].pop(0)
        if key in self.always:
            return self.always[key]
        name = "models.json" if key == "models" else f"rankings-daily_{key}.json"
        if not (FIXTURES / name).is_file():
            return Reply(404, b'{"error": {"code": 404, "message": "not recorded"}}')
        body = (FIXTURES / name).read_bytes()
        if key in self.edits:
            payload = json.loads(body)
            self.edits[key](payload)
            body = json.dumps(payload).encode()
        return Reply(200, body)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/v1/models":
            key = "models"
        elif url.path == "/api/v1/datasets/rankings-daily":
            key = f"{query.get('start_date', [''])[0]}_{query.get('end_date', [''])[0]}"
        else:
            key = f"unknown:{url.path}"
        reply = self.server.fake.reply(key, self.headers.get("Authorization"))
        if reply is None:  # stalled: hang up without an answer
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def openrouter():
    """A fake OpenRouter on 127.0.0.1 (ephemeral port), stopped after the test."""
    fake = FakeOpenRouter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def env(openrouter, monkeypatch) -> dict[str, str]:
    """Settings for a fast fetch from the fake: set for in-process runs, passed to subprocesses."""
    values = {
        f.BASE_URL_ENV: openrouter.base_url,
        f.API_KEY_ENV: FAKE_KEY,
        f.MIN_INTERVAL_ENV: "0",
        f.BACKOFF_ENV: "0.001",
        f.RETRIES_ENV: "2",
        f.TIMEOUT_ENV: "5",
        "no_proxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


# -- helpers ---------------------------------------------------------------------------------------


def files(folder: Path) -> dict[str, bytes]:
    """The bytes of every file under ``folder``, keyed by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def old(tmp_path) -> Path:
    """An existing snapshot at ``PATH`` (the tiny fixture plus a raw/ file), to be replaced."""
    path = shutil.copytree(TINY_DIR, tmp_path / "snapshots" / "snap")
    (path / "raw").mkdir()
    (path / "raw" / "rankings-daily_2026-01-01_2026-01-30.json").write_text(
        "{}\n", encoding="utf-8"
    )
    return path


def fetch(capsys, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run ``python -m tokenrace fetch`` in-process on the fixtures' range."""
    code = cli_main(["fetch", "--start", START, "--end", END, "--out", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_no_key(root: Path, *texts: str) -> None:
    for key in (FAKE_KEY, WRONG_KEY):
        for text in texts:
            assert key not in text
        for name, data in files(root).items():
            assert key.encode() not in data, f"the API key leaked into {name}"


def error_message(stderr: str) -> str:
    """The one ``fetch:`` message (with its continuation lines); progress lines are ignored."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("fetch:")]
    assert len(starts) == 1, stderr
    return "\n".join(lines[starts[0] :])


def assert_failed_cleanly(
    code: int, out: str, err: str, path: Path, before: dict[str, bytes], *, cache: set[str]
) -> str:
    """Non-zero exit, one message, ``path`` unchanged, only the resume cache beside it."""
    assert code != 0
    message = error_message(err)
    assert files(path) == before
    cache_dir = f.cache_dir(path)
    beside = set(os.listdir(path.parent)) - {path.name}
    assert beside == ({cache_dir.name} if cache else set()), beside
    if cache:
        assert set(os.listdir(cache_dir)) == cache
        assert str(cache_dir) in message and "--resume" in message
    assert_no_key(path.parent.parent, out, err)
    return message


def raw_name(window: str) -> str:
    return f"rankings-daily_{window}.json"


def recorded_rows(window: str) -> list[dict[str, str]]:
    return json.loads((FIXTURES / raw_name(window)).read_text())["data"]


def fixture_rows() -> list[dict[str, str]]:
    return recorded_rows(WINDOW_1) + recorded_rows(WINDOW_2)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def expected_free(
    rows: list[dict[str, str]], weeks: list[str], to_model: dict[str, str]
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Free tokens per (week, model) and per ':free' permaslug, summed from recorded rows."""
    per_row: dict[tuple[str, str], int] = defaultdict(int)
    per_variant: dict[str, int] = defaultdict(int)
    for row in rows:
        base, _, variant = row["model_permaslug"].partition(":")
        if variant == "free" and monday(row["date"]) in weeks:
            per_row[(monday(row["date"]), to_model[base])] += int(row["total_tokens"])
            per_variant[row["model_permaslug"]] += int(row["total_tokens"])
    return dict(per_row), dict(per_variant)


# -- the normal fetch ------------------------------------------------------------------------------


def test_fetch_end_to_end_through_the_cli(openrouter, env, tmp_path, cli):
    out = tmp_path / "snapshots" / "2026-05-13"
    done = cli("fetch", "--start", START, "--end", END, "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows_1, rows_2 = (len(recorded_rows(w)) for w in (WINDOW_1, WINDOW_2))
    assert f"window 1/2 2026-03-28..2026-04-26: {rows_1} rows (requested)" in done.stderr
    assert f"window 2/2 2026-04-27..2026-05-13: {rows_2} rows (requested)" in done.stderr
    assert "dropped the partial week of 2026-03-23 at the start" in done.stderr
    assert "dropped the partial week of 2026-05-11 at the end" in done.stderr
    checked = cli("validate", str(out))
    assert checked.returncode == 0, checked.stderr

    # Pagination: two windows of at most 30 days, then the models; the key only where needed.
    assert openrouter.requested() == [WINDOW_1, WINDOW_2, "models"]
    assert [auth for _key, auth in openrouter.requests] == [f"Bearer {FAKE_KEY}"] * 2 + [None]

    # Weekly sums: recomputed independently from the recorded daily rows.
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for row in fixture_rows():
        week = monday(row["date"])
        if week in KEPT_WEEKS:
            model = PERMASLUG_TO_MODEL[row["model_permaslug"].split(":")[0]]
            expected[(week, model)] += int(row["total_tokens"])
    assert (out / "weekly_tokens.csv").read_text().splitlines()[
        0
    ] == "week,model,tokens,free_tokens"
    weekly = read_csv(out / "weekly_tokens.csv")
    got = {(r["week"], r["model"]): int(r["tokens"]) for r in weekly}
    assert got == dict(expected)
    free, free_folded = expected_free(fixture_rows(), KEPT_WEEKS, PERMASLUG_TO_MODEL)
    assert {(r["week"], r["model"]): r["free_tokens"] for r in weekly} == {
        key: "" if key[1] == "other" else str(free.get(key, 0)) for key in expected
    }
    assert sorted({r["week"] for r in weekly}) == KEPT_WEEKS  # partial weeks dropped
    assert not any(":" in r["model"] for r in weekly)
    for week in KEPT_WEEKS:  # numbers from make_fixtures.py, by hand
        assert got[(week, "openai/gpt-4o")] == 7_000_000_000
        assert got[(week, "deepseek/deepseek-chat-v3-0324")] == 17_500_000_000  # :free folded
        assert got[(week, "mistralai/mistral-nemo")] == 864_197_523
    # Qwen enters on Friday 2026-04-10 (day 13); its :nitro variant (even days) is folded.
    assert got[("2026-04-06", "qwen/qwen3-coder")] == 3 * 800_000_000 + 42_000 + 7_000_000
    assert ("2026-03-30", "qwen/qwen3-coder") not in got

    models = {r["model"]: r for r in read_csv(out / "models.csv")}
    assert sorted(models) == sorted(set(PERMASLUG_TO_MODEL.values()) - {"other"})
    source = "OpenRouter models API, as of 2026-05-14"
    assert models["qwen/qwen3-coder"] == {
        "model": "qwen/qwen3-coder",
        "name": "Qwen3 Coder 480B A35B",
        "author": "qwen",
        "open_weights": "true",
        "released": "2025-07-23",
        "input_usd_per_mtok": "0.22",
        "output_usd_per_mtok": "1.8",  # 0.0000018 x 1e6 is 1.7999999999999998 in floats
        "price_source": source,
    }
    gpt = models["openai/gpt-4o"]  # the plain listing wins over the ~alias
    assert (gpt["name"], gpt["open_weights"], gpt["released"]) == ("GPT-4o", "false", "2024-05-13")
    assert (gpt["input_usd_per_mtok"], gpt["output_usd_per_mtok"]) == ("2.5", "10")
    deepseek = models["deepseek/deepseek-chat-v3-0324"]  # the priced listing, not the :free one
    assert (deepseek["input_usd_per_mtok"], deepseek["output_usd_per_mtok"]) == ("0.2", "0.77")
    assert models["anthropic/claude-sonnet-4"]["open_weights"] == "false"  # hugging_face_id null
    assert models["mistralai/mistral-nemo"]["input_usd_per_mtok"] == "0.02"

    assert (out / "authors.csv").read_bytes() == (DEFAULT_DATA_DIR / "authors.csv").read_bytes()

    meta = json.loads((out / "datapackage.json").read_text())
    assert meta["as_of"] == "2026-05-14"
    assert meta["as_of_timestamp"] == "2026-05-14T03:15:00Z"  # the latest of the two windows
    assert meta["kind"] == "fetched"
    assert meta["citation"] == "Source: OpenRouter (openrouter.ai/rankings), as of 2026-05-14"
    assert [lic["name"] for lic in meta["licenses"]] == ["CC-BY-4.0"]
    dropped = meta["processing"]["dropped_partial_weeks"]
    assert [(d["week"], d["at"]) for d in dropped] == [
        ("2026-03-23", "start"),
        ("2026-05-11", "end"),
    ]
    for entry in dropped:
        assert entry["tokens_not_counted"] == sum(
            int(r["total_tokens"]) for r in fixture_rows() if monday(r["date"]) == entry["week"]
        )
    assert meta["processing"]["variants_folded"] == {
        "deepseek/deepseek-chat-v3-0324": ["deepseek/deepseek-chat-v3-0324:free"],
        "qwen/qwen3-coder": ["qwen/qwen3-coder-480b-a35b-07-25:nitro"],
    }
    assert meta["processing"]["free_tokens_folded"] == free_folded
    assert free_folded == {"deepseek/deepseek-chat-v3-0324:free": 6 * 7 * 500_000_000}
    assert [w["start_date"] for w in meta["processing"]["windows"]] == [START, "2026-04-27"]

    # Every raw response is kept byte for byte; nothing else is left beside the snapshot.
    assert sorted(os.listdir(out / "raw")) == sorted(
        [raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"]
    )
    for name in os.listdir(out / "raw"):
        assert (out / "raw" / name).read_bytes() == (FIXTURES / name).read_bytes()
    assert os.listdir(out.parent) == [out.name]
    assert_no_key(tmp_path, done.stdout, done.stderr)


def test_plan_windows_splits_a_year_into_windows_of_at_most_30_days():
    windows = f.plan_windows(date(2025, 5, 26), date(2026, 5, 31))
    assert len(windows) == 13
    assert windows[0].start == date(2025, 5, 26) and windows[-1].end == date(2026, 5, 31)
    for window, after in itertools.pairwise(windows):
        assert after.start == window.end + timedelta(days=1)
    assert all((w.end - w.start).days + 1 <= 30 for w in windows)
    assert f.plan_windows(date(2026, 1, 1), date(2026, 1, 30)) == [
        f.Window(date(2026, 1, 1), date(2026, 1, 30))
    ]
    assert len(f.plan_windows(date(2026, 1, 1), date(2026, 1, 31))) == 2
    with pytest.raises(f.FetchError, match="before --start"):
        f.plan_windows(date(2026, 1, 2), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0.00000015", "0.15"),
        ("0.0000018", "1.8"),
        ("0.00001", "10"),
        ("0", "0"),
        ("0.000000075", "0.075"),
        ("-1", None),
        ("", None),
        (None, None),
        ("free", None),
    ],
)
def test_prices_become_usd_per_million_tokens_without_float_noise(price, expected):
    assert f.usd_per_mtok(price) == expected


def test_resources_match_the_committed_data_package():
    committed = json.loads((DEFAULT_DATA_DIR / "datapackage.json").read_text())["resources"]
    contract_files = ["weekly_tokens.csv", "models.csv", "authors.csv"]
    committed = [r for r in committed if r["path"] in contract_files]  # not the optional ones

    def shape(resources):
        """Names and types of the fields, without the contract's optional free_tokens."""
        return [
            (
                r["name"],
                r["path"],
                [
                    (x["name"], x["type"])
                    for x in r["schema"]["fields"]
                    if x["name"] != "free_tokens"
                ],
            )
            for r in resources
        ]

    assert shape(f.RESOURCES) == shape(committed)
    weekly = {x["name"]: x for x in f.RESOURCES[0]["schema"]["fields"]}
    assert list(weekly) == ["week", "model", "tokens", "free_tokens"]
    assert weekly["free_tokens"]["type"] == "integer"
    assert weekly["free_tokens"]["constraints"] == {"minimum": 0}


# -- free tokens -----------------------------------------------------------------------------------


def fetch_free_range(capsys, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run ``python -m tokenrace fetch`` in-process on the free-split range (one window)."""
    args = ["fetch", "--start", FREE_START, "--end", FREE_END, "--out", str(out), *AUTHORS]
    code = cli_main([*args, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_free_tokens_are_split_out_to_the_token(openrouter, env, tmp_path, capsys):
    rows = recorded_rows(FREE_WINDOW)
    # The fixture's premises: one model with paid and ':free' rows in the same week, one whose
    # only rows are ':free', and paid variants (':beta', ':nitro') that must not count as free.
    slugs_by_week: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        base, _, variant = row["model_permaslug"].partition(":")
        slugs_by_week[(monday(row["date"]), base)].add(variant)
    assert {"", "free"} <= slugs_by_week[(FREE_WEEKS[0], "deepseek/deepseek-chat-v3-0324")]
    llama = "meta-llama/llama-3.3-70b-instruct"
    assert all(slugs_by_week[(w, llama)] == {"free"} for w in FREE_WEEKS)
    assert {"beta", "nitro"} <= {v for (_w, _b), vs in slugs_by_week.items() for v in vs}

    out = tmp_path / "snapshots" / "free"
    code, _out, err = fetch_free_range(capsys, out)
    assert code == 0, err
    assert openrouter.requested() == [FREE_WINDOW, "models"]

    # Expected numbers, summed here from the recorded JSON.
    tokens: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        model = FREE_PERMASLUG_TO_MODEL[row["model_permaslug"].partition(":")[0]]
        tokens[(monday(row["date"]), model)] += int(row["total_tokens"])
    free, free_folded = expected_free(rows, FREE_WEEKS, FREE_PERMASLUG_TO_MODEL)

    lines = (out / "weekly_tokens.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "week,model,tokens,free_tokens"
    weekly = read_csv(out / "weekly_tokens.csv")
    assert {(r["week"], r["model"]): int(r["tokens"]) for r in weekly} == dict(tokens)
    got = {(r["week"], r["model"]): r["free_tokens"] for r in weekly}
    assert got == {key: "" if key[1] == "other" else str(free.get(key, 0)) for key in tokens}

    # The same numbers by hand, from make_fixtures.py's formulas (j = day index from 05-18).
    week_1, week_2 = FREE_WEEKS
    deepseek = "deepseek/deepseek-chat-v3-0324"
    assert got[(week_1, deepseek)] == str(7 * 600_000_000 + 7 * sum(range(7)))
    assert got[(week_2, deepseek)] == str(7 * 600_000_000 + 7 * sum(range(7, 14)))
    assert tokens[(week_1, deepseek)] == 7 * 2_100_000_000 + 1_000 * sum(range(7)) + int(
        got[(week_1, deepseek)]
    )
    assert got[(week_1, llama)] == str(7 * 90_000_000 + 11 * sum(range(7))) == "630000231"
    for week in FREE_WEEKS:  # served only as ':free': every token is free
        assert got[(week, llama)] == str(tokens[(week, llama)])
    assert got[(week_1, "google/gemini-2.5-flash")] == str(7 * 40_000_000 + sum(range(7)))
    assert got[(week_2, "google/gemini-2.5-flash")] == "0"  # no ':free' rows that week
    for week in FREE_WEEKS:  # paid variants are folded into tokens, not into free_tokens
        assert got[(week, "anthropic/claude-sonnet-4")] == "0"
        assert tokens[(week, "anthropic/claude-sonnet-4")] == 7 * (3_000_000_000 + 25_000_000)
        assert got[(week, "qwen/qwen3-coder")] == "0"
        assert got[(week, "mistralai/mistral-nemo")] == "0"
        assert got[(week, "other")] == ""  # unknown: the long tail may hold free variants

    meta = json.loads((out / "datapackage.json").read_text())
    assert meta["processing"]["free_tokens_folded"] == free_folded
    assert sorted(free_folded) == [
        "deepseek/deepseek-chat-v3-0324:free",
        "google/gemini-2.5-flash:free",
        "meta-llama/llama-3.3-70b-instruct:free",
    ]
    assert meta["processing"]["variants_folded"]["anthropic/claude-sonnet-4"] == [
        "anthropic/claude-4-sonnet-20250522:beta"
    ]
    fields = meta["resources"][0]["schema"]["fields"]
    assert [(x["name"], x["type"]) for x in fields][-1] == ("free_tokens", "integer")

    # The snapshot meets the contract, and the loader reads the split.
    assert check_snapshot(out) == []
    loaded = load_snapshot(out).weekly
    other = loaded["model"] == "other"
    assert loaded.loc[other, "free_tokens"].isna().all()
    assert loaded.loc[~other, "free_tokens"].notna().all()
    by_key = {
        (w.date().isoformat(), m): v
        for w, m, v in loaded.loc[~other, ["week", "model", "free_tokens"]].itertuples(index=False)
    }
    assert by_key == {key: float(free.get(key, 0)) for key in tokens if key[1] != "other"}


def test_an_unlisted_free_variant_counts_in_other_as_unknown(openrouter, env, tmp_path, capsys):
    def edit(payload):
        payload["data"].append(
            {"date": "2026-05-20", "model_permaslug": "newlab/mystery-1:free", "total_tokens": "9"}
        )

    openrouter.edits[FREE_WINDOW] = edit
    out = tmp_path / "snapshots" / "free"
    code, _out, err = fetch_free_range(capsys, out, "--fold-unlisted")
    assert code == 0, err
    weekly = {(r["week"], r["model"]): r for r in read_csv(out / "weekly_tokens.csv")}
    recorded = sum(
        int(r["total_tokens"])
        for r in recorded_rows(FREE_WINDOW)
        if r["model_permaslug"] == "other" and monday(r["date"]) == FREE_WEEKS[0]
    )
    assert weekly[(FREE_WEEKS[0], "other")] == {
        "week": FREE_WEEKS[0],
        "model": "other",
        "tokens": str(recorded + 9),
        "free_tokens": "",
    }
    meta = json.loads((out / "datapackage.json").read_text())
    assert meta["processing"]["unlisted_folded_into_other"] == {"newlab/mystery-1:free": 9}
    assert "newlab/mystery-1:free" not in meta["processing"]["free_tokens_folded"]
    assert check_snapshot(out) == []


@pytest.mark.parametrize(
    ("permaslug", "free"),
    [
        ("x/model:free", True),
        ("x/model", False),
        ("x/model:beta", False),
        ("x/model:nitro", False),
        ("x/model:freebie", False),
        ("x/model:FREE", False),
        ("other", False),
    ],
)
def test_only_the_free_suffix_is_free(permaslug, free):
    assert f.is_free(permaslug) is free


# -- retries and throttling ------------------------------------------------------------------------


def test_a_429_is_retried_then_the_fetch_succeeds(openrouter, env, old, capsys):
    openrouter.scripted[WINDOW_2].append(Reply(429, b"{}", {"Retry-After": "0"}))
    code, out, err = fetch(capsys, old, *AUTHORS)
    assert code == 0, err
    assert openrouter.requested(WINDOW_2) == [WINDOW_2, WINDOW_2]
    assert "HTTP 429; retrying" in err
    assert check_snapshot(old) == []
    assert sorted(os.listdir(old.parent)) == [old.name]
    assert_no_key(old.parent, out, err)


def test_the_client_honours_retry_after_and_spaces_requests(openrouter, env):
    openrouter.scripted["models"].append(Reply(429, b"{}", {"Retry-After": "7"}))
    sleeps: list[float] = []
    settings = f.FetchSettings.from_env()
    assert FAKE_KEY not in repr(settings)
    settings = f.FetchSettings(**{**settings.__dict__, "min_interval": 2.0})
    client = f.OpenRouterClient(settings, sleep=sleeps.append, clock=lambda: 100.0)
    client.get(f.MODELS_PATH, auth=False)
    assert sleeps == [7.0, 2.0]  # Retry-After, then the minimum interval before the retry
    client.get(f.MODELS_PATH, auth=False)
    assert sleeps == [7.0, 2.0, 2.0]
    assert f._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert f._retry_after("soon") is None

    openrouter.scripted["models"].append(Reply(429, b"{}", {"Retry-After": "3600"}))
    with pytest.raises(f.FetchError, match=r"asks to wait 3600 s.*rerun later with --resume"):
        client.get(f.MODELS_PATH, auth=False)


def test_a_500_that_persists_fails_after_bounded_retries(openrouter, env, old, capsys):
    before = files(old)
    openrouter.always[WINDOW_2] = Reply(500, b'{"error": {"code": 500, "message": "boom"}}')
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache={raw_name(WINDOW_1)})
    assert code == 1
    assert "failed after 3 attempt(s): HTTP 500: boom" in message
    assert openrouter.requested(WINDOW_2) == [WINDOW_2] * 3


def test_a_network_error_fails_cleanly(env, old, capsys, monkeypatch):
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(f.BASE_URL_ENV, f"http://127.0.0.1:{port}/api/v1")
    before = files(old)
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache=set())
    assert "network error" in message and "3 attempt(s)" in message


# -- bad answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"data": [{"date": "2026-03-28"', "not valid JSON"),
        (b'{"data": []}', "'meta' is missing"),
        (b'{"meta": {"as_of": "2026-05-14T02:00:00Z"}}', "'data' is missing"),
        (
            b'{"data": [{"date": "2026-03-28"}], "meta": {"as_of": "2026-05-14T02:00:00Z"}}',
            "has no",
        ),
    ],
)
def test_a_malformed_response_fails_cleanly(openrouter, env, old, capsys, body, fragment):
    before = files(old)
    openrouter.scripted[WINDOW_1].append(Reply(200, body))
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache=set())
    assert "malformed response from GET " in message and fragment in message
    assert openrouter.requested() == [WINDOW_1]  # not retried


@pytest.mark.parametrize("bad", ["12.5", "-4", "1e9", "", 12.5, None])
def test_total_tokens_must_be_a_whole_number(openrouter, env, old, capsys, bad):
    before = files(old)

    def edit(payload):
        payload["data"][3]["total_tokens"] = bad

    openrouter.edits[WINDOW_2] = edit
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache={raw_name(WINDOW_1)})
    assert "data[3] (2026-04-27, " in message
    assert f"total_tokens {bad!r} is not a whole number of tokens" in message


def test_a_401_names_the_key_variable_but_never_the_key(openrouter, env, old, capsys, monkeypatch):
    monkeypatch.setenv(f.API_KEY_ENV, WRONG_KEY)
    before = files(old)
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache=set())
    assert "refused the API key (HTTP 401: No auth credentials found)" in message
    assert f.API_KEY_ENV in message
    assert openrouter.requested() == [WINDOW_1]  # no retry
    assert openrouter.requests[0][1] == f"Bearer {WRONG_KEY}"


def test_a_missing_key_stops_before_any_request(openrouter, env, old, capsys, monkeypatch):
    monkeypatch.delenv(f.API_KEY_ENV)
    before = files(old)
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache=set())
    assert f"set {f.API_KEY_ENV}" in message
    assert openrouter.requested() == []


def test_a_day_missing_inside_the_range_stops_the_fetch(openrouter, env, old, capsys):
    before = files(old)

    def edit(payload):
        payload["data"] = [r for r in payload["data"] if r["date"] != "2026-04-15"]

    openrouter.edits[WINDOW_1] = edit
    code, out, err = fetch(capsys, old)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    assert "no rows for 2026-04-15" in message


def test_a_model_the_models_api_does_not_list_stops_unless_folded(openrouter, env, old, capsys):
    before = files(old)

    def edit(payload):
        payload["data"].append(
            {"date": "2026-05-01", "model_permaslug": "newlab/mystery-1", "total_tokens": "5"}
        )

    openrouter.edits[WINDOW_2] = edit
    code, out, err = fetch(capsys, old)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    assert "  - newlab/mystery-1 (5 tokens in the kept weeks)" in message
    assert "--fold-unlisted" in message

    code, out, err = fetch(capsys, old, "--resume", "--fold-unlisted", *AUTHORS)
    assert code == 0, err
    meta = json.loads((old / "datapackage.json").read_text())
    assert meta["processing"]["unlisted_folded_into_other"] == {"newlab/mystery-1": 5}
    recorded = sum(
        int(r["total_tokens"])
        for r in fixture_rows()
        if r["model_permaslug"] == "other" and monday(r["date"]) == "2026-04-27"
    )
    weekly = read_csv(old / "weekly_tokens.csv")
    other = {r["week"]: int(r["tokens"]) for r in weekly if r["model"] == "other"}
    assert other["2026-04-27"] == recorded + 5


def test_an_unknown_author_lists_exactly_which_authors_need_a_country(
    openrouter, env, old, capsys, tmp_path
):
    # The old snapshot's authors.csv (tiny fixture) knows anthropic, deepseek, mistralai only.
    before = files(old)
    code, out, err = fetch(capsys, old)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    assert f"3 author(s) have no row in {old / 'authors.csv'}" in message
    listed = [line for line in message.splitlines() if line.startswith("  - ")]
    assert listed == [
        "  - google: google/gemini-2.5-flash",
        "  - openai: openai/gpt-4o",
        "  - qwen: qwen/qwen3-coder",
    ]
    assert "--authors FILE" in message

    # With the countries supplied, --resume finishes from the kept raw responses alone.
    authors = tmp_path / "authors.csv"
    shutil.copyfile(DEFAULT_DATA_DIR / "authors.csv", authors)
    requests = len(openrouter.requests)
    code, out, err = fetch(capsys, old, "--resume", "--authors", str(authors))
    assert code == 0, err
    assert len(openrouter.requests) == requests
    assert (old / "authors.csv").read_bytes() == authors.read_bytes()
    assert os.listdir(old.parent) == [old.name]  # the cache is gone after success


def test_a_contract_breach_is_caught_before_anything_is_replaced(openrouter, env, old, capsys):
    before = files(old)

    def edit(payload):
        for listing in payload["data"]:
            if listing["id"] == "qwen/qwen3-coder":
                listing["id"] = "qwen/Qwen3-Coder"

    openrouter.edits["models"] = edit
    code, out, err = fetch(capsys, old, *AUTHORS)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    # The one format of tokenrace.snapshot.load.problem_report, naming file, row and column.
    head = f"fetch: {old}: {{}} problem(s) with the data contract (data/README.md); "
    lines = message.splitlines()
    problems = [line for line in lines if line.startswith("  - ")]
    assert lines[0] == head.format(len(problems)) + "so nothing was written:"
    assert any(
        line.startswith("  - models.csv, row ")
        and "column 'model': 'qwen/Qwen3-Coder' is not a model slug" in line
        for line in problems
    )
    # Nothing was written, so no hint to validate the (unchanged) output folder.
    assert "Check it with" not in message


def test_a_folder_with_other_files_is_never_replaced(openrouter, env, old, capsys):
    (old / "README.md").write_text("notes\n", encoding="utf-8")
    before = files(old)
    code, out, err = fetch(capsys, old)
    message = assert_failed_cleanly(code, out, err, old, before, cache=set())
    assert "README.md" in message
    assert openrouter.requested() == []


# -- interruption and resume -----------------------------------------------------------------------


def test_ctrl_c_while_validating_leaves_the_old_snapshot(openrouter, env, old, capsys, monkeypatch):
    import tokenrace.snapshot.load

    def interrupted(_folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(tokenrace.snapshot.load, "check_snapshot", interrupted)
    before = files(old)
    code, out, err = fetch(capsys, old, *AUTHORS)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    assert code == 130
    assert message.startswith("fetch: interrupted")


def test_sigint_while_the_server_stalls(openrouter, env, old):
    openrouter.stall.add(WINDOW_2)
    before = files(old)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokenrace",
            "fetch",
            "--start",
            START,
            "--end",
            END,
            "--out",
            str(old),
            "--authors",
            str(DEFAULT_DATA_DIR / "authors.csv"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **env, f.TIMEOUT_ENV: "30"},
        # Python installs its Ctrl-C handler only if SIGINT is not ignored when it starts.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert openrouter.stalled.wait(30), "the fetch never reached the second window"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    message = assert_failed_cleanly(
        process.returncode, out, err, old, before, cache={raw_name(WINDOW_1)}
    )
    assert process.returncode == 130
    assert message.startswith("fetch: interrupted")


def test_resume_reuses_raw_responses_and_rebuilds_identically(openrouter, env, old, capsys):
    authors = AUTHORS
    openrouter.always[WINDOW_2] = Reply(503, b"")
    code, _out, err = fetch(capsys, old, *authors)
    assert code == 1 and "HTTP 503" in err
    assert set(os.listdir(f.cache_dir(old))) == {raw_name(WINDOW_1)}

    del openrouter.always[WINDOW_2]
    openrouter.requests.clear()
    code, out, err = fetch(capsys, old, "--resume", *authors)
    assert code == 0, err
    assert openrouter.requested() == [WINDOW_2, "models"]  # window 1 came from the cache
    rows_1 = len(recorded_rows(WINDOW_1))
    assert f"window 1/2 2026-03-28..2026-04-26: {rows_1} rows (reused from disk)" in err
    assert os.listdir(old.parent) == [old.name]
    first = files(old)
    assert (old / "raw" / raw_name(WINDOW_1)).read_bytes() == (
        FIXTURES / raw_name(WINDOW_1)
    ).read_bytes()

    # Everything is now in PATH/raw/: a second --resume asks nothing and writes the same bytes.
    openrouter.requests.clear()
    code, out, err = fetch(capsys, old, "--resume", *authors)
    assert code == 0, err
    assert openrouter.requested() == []
    assert files(old) == first
    assert_no_key(old.parent, out, err)


def test_a_failed_rename_puts_the_old_snapshot_back(openrouter, env, old, capsys, monkeypatch):
    rename = os.rename

    def failing(src, dst):
        if Path(src).name.startswith(f".{old.name}.fetch-"):
            raise OSError("No space left on device")
        rename(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    before = files(old)
    code, out, err = fetch(capsys, old, *AUTHORS)
    cache = {raw_name(WINDOW_1), raw_name(WINDOW_2), "models.json"}
    message = assert_failed_cleanly(code, out, err, old, before, cache=cache)
    assert "cannot write the snapshot: No space left on device" in message


def test_without_resume_a_stale_cache_is_not_read(openrouter, env, old, capsys):
    cache = f.cache_dir(old)
    cache.mkdir()
    (cache / raw_name(WINDOW_1)).write_text("not even JSON", encoding="utf-8")
    code, _out, err = fetch(capsys, old, *AUTHORS)
    assert code == 0, err
    assert openrouter.requested() == [WINDOW_1, WINDOW_2, "models"]
    assert os.listdir(old.parent) == [old.name]
    assert (old / "raw" / raw_name(WINDOW_1)).read_bytes() == (
        FIXTURES / raw_name(WINDOW_1)
    ).read_bytes()
