"""A pandas or numpy warning of a coming change fails the strict build, as it fails the tests.

pyproject.toml makes every FutureWarning (and a DeprecationWarning set off by the package's own
code) an error in the test run. In the book, a warning a cell sets off is written to the cell's
stderr, and ``stderr_output: warn`` (``_config.yml``) turns that into a Sphinx warning, which
``-W`` makes fatal. This builds a small book the way the book builds (cache mode, executed ahead
by ``_ext/parallel_execute.py``) with the book's own setting, and checks both kinds fail it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import inline_eval
import yaml

from bookbuild import ROOT

HEADER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
"""
PAGES = {
    # The FutureWarning contract.py set off before it was fixed (an empty list set through an
    # all-False mask).
    "future": """# Future

```{code-cell} ipython3
import pandas as pd

flags = pd.Series([True, False])
flags[flags & False] = []
```
""",
    # A DeprecationWarning raised from the package's own code (Python hides those by default).
    "deprecation": """# Deprecation

```{code-cell} ipython3
import warnings

import tokenrace

warnings.warn_explicit("a call that is going away", DeprecationWarning, "tokenrace/old.py", 1,
                       module="tokenrace.old")
```
""",
    "quiet": """# Quiet

```{code-cell} ipython3
import tokenrace

print("no warning here")
```
""",
}


def test_a_warning_in_a_cell_fails_the_strict_build(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    stderr_output = config["execute"]["stderr_output"]
    assert stderr_output == "warn"
    src = tmp_path / "src"
    src.mkdir()
    for name, body in PAGES.items():
        (src / f"{name}.md").write_text(HEADER + body, encoding="utf-8")
    (src / "index.md").write_text(
        "# Index\n\n```{toctree}\nfuture\ndeprecation\nquiet\n```\n", encoding="utf-8"
    )
    ext = Path(inline_eval.__file__).parent
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ext)!r})\n"
        'extensions = ["myst_nb", "inline_eval"]\n'
        'root_doc = "index"\n'
        'nb_execution_mode = "cache"\n'
        f"nb_execution_cache_path = {str(tmp_path / 'cache')!r}\n"
        "nb_execution_raise_on_error = True\n"
        f"nb_output_stderr = {stderr_output!r}\n"
        "def setup(app):\n"
        "    from parallel_execute import execute_ahead\n"
        '    app.connect("env-before-read-docs", execute_ahead)\n',
        encoding="utf-8",
    )
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", src, tmp_path / "out"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = built.stdout + built.stderr
    assert built.returncode != 0, log
    warned = [line for line in log.splitlines() if "WARNING" in line]
    assert any("future" in line for line in warned), log
    assert any("deprecation" in line for line in warned), log
    assert not any("quiet" in line for line in warned), log
    pages = {name: (tmp_path / "out" / f"{name}.html").read_text("utf-8") for name in PAGES}
    assert "FutureWarning" in pages["future"]
    assert "DeprecationWarning: a call that is going away" in pages["deprecation"]
