"""The invented raw measurement files of ``tests/fixtures/raw-sources/`` for the importer's
tests: where they are, and a copy to break, its ``UPSTREAM.csv`` rewritten so that only the
edit under test is wrong (``make_fixture.write_upstream``)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

RAW = Path(__file__).resolve().parent / "fixtures" / "raw-sources"


def generator() -> ModuleType:
    """``make_fixture.py`` as a module."""
    spec = importlib.util.spec_from_file_location("make_raw_fixture", RAW / "make_fixture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def broken_copy(
    tmp_path: Path, edit: Callable[[Path], None] | None = None, reseal: bool = True
) -> Path:
    """A copy of the raw files in ``tmp_path/raw``, ``edit`` applied; with ``reseal`` its
    ``UPSTREAM.csv`` then lists the edited files' new SHA-256 (the SHA-256 check itself is
    tested with ``reseal=False``)."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw, ignore=shutil.ignore_patterns("expected", "*.py", "__pycache__"))
    if edit is not None:
        edit(raw)
    if reseal:
        generator().write_upstream(raw)
    return raw
