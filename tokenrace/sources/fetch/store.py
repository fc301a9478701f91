"""Writing a fetched snapshot: raw responses, the resume cache, and the swap into place.

Nothing is lost and nothing is half-written. Every usage and models response is stored, byte for
byte, in the resume cache ``PATH.raw-cache/`` (beside ``PATH``) as soon as it has been checked.
The snapshot is written to a temporary folder beside ``PATH`` and moved into place by renaming:
an existing ``PATH`` is renamed aside first and restored if the second rename fails, and Ctrl-C
is held back during the swap. On success the raw responses are in ``PATH/raw/`` and the cache is
removed; on failure ``PATH`` is unchanged and the cache is kept, so that ``--resume`` can reuse
raw responses from the cache and from ``PATH/raw/``. ``PATH`` is only replaced when it holds
nothing but snapshot files. A replay of archived replies (``persist`` False) keeps no resume
cache: its answers are made again from the archive.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tokenrace.snapshot import contract as c
from tokenrace.sources.fetch.settings import FetchError
from tokenrace.sources.fetch.weeks import WeeklyRow

RAW_DIR = "raw"
MODELS_RAW = "models.json"
#: Suffix of the resume cache folder beside the output folder.
CACHE_SUFFIX = ".raw-cache"
#: Files an output folder may hold for ``fetch`` to replace it.
REPLACEABLE = {c.WEEKLY_FILE, c.MODELS_FILE, c.AUTHORS_FILE, c.DESCRIPTOR_FILE, RAW_DIR}
#: Header of the fetched ``weekly_tokens.csv``: the contract's columns and ``free_tokens``.
WEEKLY_HEADER = [*c.WEEKLY_COLUMNS, c.FREE_COLUMN]


def cache_dir(out: Path) -> Path:
    """The resume cache of an output folder: ``PATH.raw-cache/`` beside it."""
    return out.with_name(out.name + CACHE_SUFFIX)


class RawStore:
    """Raw responses: read from the cache or ``PATH/raw/`` (with resume), written to the cache
    (unless ``persist`` is False)."""

    def __init__(self, out: Path, resume: bool, persist: bool = True):
        self.cache = cache_dir(out)
        self.persist = persist
        self.search = [self.cache, out / RAW_DIR] if resume else []
        self.used: dict[str, bytes] = {}
        self.reused = 0
        self.committed = False

    def cached(self, name: str) -> tuple[bytes, str] | None:
        """Raw response ``name`` kept on disk (with resume), and where it came from."""
        for folder in self.search:
            path = folder / name
            if path.is_file():
                self.reused += 1
                return path.read_bytes(), f"{path} (reused by --resume; delete it to refetch)"
        return None

    def keep(self, name: str, data: bytes, *, fresh: bool) -> None:
        """Use a checked response in ``raw/``; a ``fresh`` one is also saved to the cache now."""
        self.used[name] = data
        if fresh and self.persist:
            self.cache.mkdir(parents=True, exist_ok=True)
            write_atomic(self.cache / name, data)

    def note(self, out: Path) -> str:
        """What a failure left: ``out`` unchanged, and the resume cache if it holds anything."""
        state = f"{out} is unchanged" if out.exists() else f"{out} was not created"
        files = sorted(self.cache.glob("*.json")) if self.cache.is_dir() else []
        if files:
            state += (
                f"; {len(files)} raw response(s) are kept in {self.cache}: "
                "rerun with --resume to reuse them"
            )
        return f"\n  {state}."


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """CSV text with ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.part`` file and a rename."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def check_out(out: Path) -> None:
    """Refuse an output path that is not a folder, or a folder holding other files."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise FetchError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in REPLACEABLE)
        if foreign:
            raise FetchError(
                f"{out} holds files that are not part of a fetched snapshot "
                f"({', '.join(foreign)}); it would be replaced as a whole, so choose another --out"
            )


def write_snapshot(
    folder: Path,
    weekly: list[WeeklyRow],
    models: list[dict[str, str]],
    authors_bytes: bytes,
    descriptor: dict[str, Any],
    raw: dict[str, bytes],
) -> None:
    """Write the four contract files and ``raw/`` into the empty ``folder``.

    ``free_tokens`` is written empty where it is unknown (None).
    """
    rows = [
        [row.week.isoformat(), row.model, str(row.tokens), _cell(row.free_tokens)] for row in weekly
    ]
    (folder / c.WEEKLY_FILE).write_text(csv_text(WEEKLY_HEADER, rows), encoding="utf-8", newline="")
    cells = [[row[column] for column in c.MODELS_COLUMNS] for row in models]
    (folder / c.MODELS_FILE).write_text(
        csv_text(c.MODELS_COLUMNS, cells), encoding="utf-8", newline=""
    )
    (folder / c.AUTHORS_FILE).write_bytes(authors_bytes)
    (folder / c.DESCRIPTOR_FILE).write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline=""
    )
    (folder / RAW_DIR).mkdir()
    for name, data in sorted(raw.items()):
        (folder / RAW_DIR / name).write_bytes(data)


def _cell(count: int | None) -> str:
    return "" if count is None else str(count)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) while folders are swapped; a Ctrl-C meanwhile is discarded."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if signal.SIGINT in signal.sigpending():
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # discards the pending signal
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
            signal.signal(signal.SIGINT, handler)
        else:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)


def swap_into_place(staged: Path, out: Path, then_remove: Path) -> None:
    """Rename ``staged`` to ``out``; an existing ``out`` is renamed aside, then removed.

    ``then_remove`` (the resume cache, now copied into ``out/raw/``) is removed after the swap.
    """
    with _interrupts_deferred():
        aside = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:12]}") if out.exists() else None
        if aside is not None:
            os.rename(out, aside)
        try:
            os.rename(staged, out)
        except BaseException:
            if aside is not None:
                os.rename(aside, out)
            raise
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(then_remove, ignore_errors=True)
