"""The package's stages (ARCHITECTURE.md): imports run one way, and the map names what exists.

``make test`` runs ``lint-imports`` on the contracts in ``pyproject.toml``. Here it runs on the
package as it is (every contract kept), and on a copy of it with one backward import added, to
show that the contracts can fail and that the message names the import. ARCHITECTURE.md cites
functions and modules as ``tokenrace.stage.module.name``: each must import and exist.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokenrace.snapshot.paths import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
ARCHITECTURE = REPO_ROOT / "ARCHITECTURE.md"
_CITED = re.compile(r"`(tokenrace(?:\.\w+)+)(?:\(\))?`")
STAGES = ("snapshot", "sources", "analysis", "reconstruct", "claims", "figures", "book")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package under ``root``, with ``root``'s own pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_package(target: Path) -> Path:
    """A copy of the package and pyproject.toml in ``target`` (which lint-imports then reads)."""
    shutil.copytree(
        REPO_ROOT / "tokenrace", target / "tokenrace", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(REPO_ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_contracts_are_kept():
    run = lint_imports(REPO_ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "backward", "named"),
    [
        # The contract (the floor) reaching up to the claims, lazily, inside a function.
        (
            "snapshot/contract.py",
            "def _backward():\n    from tokenrace.claims import register  # noqa: F401\n",
            "tokenrace.snapshot.contract -> tokenrace.claims.register",
        ),
        # The register reaching up to the report that shows it (the old claims<->evidence circle).
        (
            "claims/register.py",
            "def _backward():\n    from tokenrace.claims import evidence  # noqa: F401\n",
            "tokenrace.claims.register -> tokenrace.claims.evidence",
        ),
        # Analysis and sources are independent stages side by side.
        (
            "analysis/recut.py",
            "from tokenrace.sources import facts  # noqa: F401\n",
            "tokenrace.analysis.recut -> tokenrace.sources.facts",
        ),
    ],
)
def test_a_backward_import_breaks_the_contract(tmp_path, module, backward, named):
    root = copy_package(tmp_path)
    path = root / "tokenrace" / module
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + backward, encoding="utf-8")
    run = lint_imports(root)
    assert run.returncode != 0, run.stdout
    assert "BROKEN" in run.stdout
    assert named in run.stdout, run.stdout


def test_the_copy_is_what_lint_imports_reads(tmp_path):
    """Without the added import the copy passes: the failures above come from that import."""
    run = lint_imports(copy_package(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


def cited_names() -> list[str]:
    return sorted(set(_CITED.findall(ARCHITECTURE.read_text(encoding="utf-8"))))


def resolve(dotted: str):
    """Import the longest module prefix of ``dotted``, then getattr the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_architecture_cites_names_that_exist():
    names = cited_names()
    assert len(names) >= 20, names
    missing = []
    for name in names:
        try:
            resolve(name)
        except (ImportError, AttributeError) as error:
            missing.append(f"{name}: {error}")
    assert not missing, "\n".join(missing)


def test_architecture_names_every_stage_and_is_linked():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    for stage in STAGES:
        assert f"`tokenrace/{stage}/`" in text, stage
        assert importlib.import_module(f"tokenrace.{stage}").__doc__, stage
    assert "(ARCHITECTURE.md)" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_no_module_is_past_500_lines():
    long = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "tokenrace").rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > 500
    ]
    assert not long, long
