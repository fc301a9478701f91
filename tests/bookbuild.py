"""Building the book in tests: copies of the working tree as git checkouts, strict builds.

The session fixture ``book`` (tests/conftest.py) builds a copy of the working tree once, as a git
checkout whose ``origin`` is a GitHub URL, with the strict flags of ``make book``. Tests read its
HTML, its log and its execution cache; tests that rebuild work on further copies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
JB = Path(sys.executable).parent / "jupyter-book"
STRICT = ["-W", "-n", "--keep-going"]
#: The remote the test copy pretends to come from (any GitHub URL works; links are derived from it).
TEST_REMOTE = "https://github.com/example-newsroom/the-race.git"
TEST_REPO_WEB = "https://github.com/example-newsroom/the-race"
TEST_BRANCH = "main"
#: Debian's Chromium (never a downloaded browser) and the flags it needs here.
CHROMIUM = os.environ.get("TOKENRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
_SKIP = {".venv", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__", "tests"}


#: ipykernel's own shutdown race: a kernel stopped while its control channel flushes can log a
#: zmq traceback ("Socket operation on non-socket") after its notebook has run. It is not the
#: book's code and not a failed cell (the build's exit code and cell errors are checked apart).
_KERNEL_SHUTDOWN = re.compile(
    r"Traceback \(most recent call last\):\n(?:.*\n)*?"
    r"zmq\.error\.ZMQError: Socket operation on non-socket\n"
)


def has_traceback(log: str) -> bool:
    """True when a build log holds a traceback, other than ipykernel's shutdown race."""
    return "Traceback" in _KERNEL_SHUTDOWN.sub("", log)


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


def build_book(src: Path, *, data: Path | None = None, builder: str = "html") -> Build:
    """Run the strict ``jupyter-book build`` in ``src`` on snapshot ``data`` (default data/), with
    Jupyter Book's ``builder`` (``html``, or ``singlehtml`` as the PDF edition does)."""
    full_env = dict(os.environ)
    full_env.pop("TOKENRACE_DATA", None)
    if data is not None:
        full_env["TOKENRACE_DATA"] = str(data)
    start = time.monotonic()
    done = subprocess.run(
        [str(JB), "build", ".", "--builder", builder, *STRICT],
        cwd=src,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(src, done.returncode, done.stdout + done.stderr, time.monotonic() - start)


# -- the pages of the book, from _toc.yml (never a fixed list) ---------------------------------


def toc_files(toc: Path) -> list[str]:
    """Every page of a Jupyter Book ``_toc.yml``, root first, as paths without suffix."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    found = [data["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in data.items() if key != "root"})
    return [str(Path(name).with_suffix("")) if Path(name).suffix else name for name in found]


def source_of(root: Path, page: str) -> Path:
    """The source file of a toc entry (``.md`` or ``.ipynb``)."""
    for suffix in (".md", ".ipynb"):
        if (root / f"{page}{suffix}").is_file():
            return root / f"{page}{suffix}"
    raise FileNotFoundError(f"no source for toc entry {page!r} under {root}")


def is_notebook(source: Path) -> bool:
    """True for an ``.ipynb``, or a MyST ``.md`` with jupytext or kernelspec front matter."""
    if source.suffix == ".ipynb":
        return True
    match = re.match(r"---\n(.*?)\n---\n", source.read_text(encoding="utf-8"), re.DOTALL)
    front = yaml.safe_load(match.group(1)) if match else None
    return isinstance(front, dict) and ("kernelspec" in front or "jupytext" in front)
