"""Building the book in tests: copies of the working tree as git checkouts, strict builds.

The session fixture ``book`` (tests/conftest.py) builds a copy of the working tree once, as a git
checkout whose ``origin`` is a GitHub URL, with the strict flags of ``make book``. Tests read its
HTML, its log and its execution cache; tests that rebuild work on further copies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JB = Path(sys.executable).parent / "jupyter-book"
STRICT = ["-W", "-n", "--keep-going"]
#: The remote the test copy pretends to come from (any GitHub URL works; links are derived from it).
TEST_REMOTE = "https://github.com/example-newsroom/the-race.git"
TEST_REPO_WEB = "https://github.com/example-newsroom/the-race"
TEST_BRANCH = "main"
_SKIP = {".venv", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__", "tests"}


@dataclass
class Build:
    """One book build: where its sources and HTML are, what it printed, how long it took."""

    src: Path
    returncode: int
    log: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.src / "_build" / "html"

    def page(self, name: str) -> str:
        """The HTML text of a page, e.g. ``chapters/data``."""
        return (self.html / f"{name}.html").read_text(encoding="utf-8")


def copy_tree(dest: Path, *, remote: str | None) -> Path:
    """Copy the book's sources to ``dest`` as a fresh git checkout (branch main)."""
    shutil.copytree(ROOT, dest, ignore=lambda _dir, names: [n for n in names if n in _SKIP])
    subprocess.run(["git", "init", "-q", "-b", TEST_BRANCH], cwd=dest, check=True)
    if remote:
        subprocess.run(["git", "remote", "add", "origin", remote], cwd=dest, check=True)
    return dest


def build_book(src: Path, *, data: Path | None = None) -> Build:
    """Run the strict ``jupyter-book build`` in ``src`` on snapshot ``data`` (default data/)."""
    full_env = dict(os.environ)
    full_env.pop("TOKENRACE_DATA", None)
    if data is not None:
        full_env["TOKENRACE_DATA"] = str(data)
    start = time.monotonic()
    done = subprocess.run(
        [str(JB), "build", ".", *STRICT],
        cwd=src,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(src, done.returncode, done.stdout + done.stderr, time.monotonic() - start)
