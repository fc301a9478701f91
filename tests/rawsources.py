"""Invented files in the shape of the public archives, written at test time (:func:`written`),
never committed: files in the archives' shape and layout stay out of the repository, like the
archives themselves. The importer's raw files: ``make_fixture.py`` (in
``tests/fixtures/raw-sources/``, beside the importer's expected output) writes them once per test
run into a temporary folder, :data:`RAW`; ``fetch --replay``'s archive is written the same way
(``tests/fixtures/replay-archive/make_fixture.py``). A copy to break
has its ``UPSTREAM.csv`` rewritten so that only the edit under test is wrong
(``make_fixture.write_upstream``)."""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

#: ``make_fixture.py`` and ``expected/``, the importer's output on the files it writes.
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "raw-sources"
EXPECTED = FIXTURE / "expected"


def _module(script: Path) -> ModuleType:
    """A fixture's ``make_fixture.py`` as a module."""
    spec = importlib.util.spec_from_file_location(f"make_{script.parent.name}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generator() -> ModuleType:
    """The raw files' ``make_fixture.py`` as a module."""
    return _module(FIXTURE / "make_fixture.py")


def written(script: Path) -> Path:
    """The files a fixture's ``make_fixture.py`` writes (its ``main(folder)``), in a temporary
    folder removed when the test run ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"tokenrace-{script.parent.name}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _module(script).main(folder)
    return folder


#: The invented raw files of this test run (``ranking-files/``, ``rankings-page/``, ``data-api/``
#: and ``UPSTREAM.csv``).
RAW = written(FIXTURE / "make_fixture.py")


def broken_copy(
    tmp_path: Path, edit: Callable[[Path], None] | None = None, reseal: bool = True
) -> Path:
    """A copy of the raw files in ``tmp_path/raw``, ``edit`` applied; with ``reseal`` its
    ``UPSTREAM.csv`` then lists the edited files' new SHA-256 (the SHA-256 check itself is
    tested with ``reseal=False``)."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    if edit is not None:
        edit(raw)
    if reseal:
        generator().write_upstream(raw)
    return raw
