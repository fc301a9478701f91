"""Facts for the "Reproduce this report" page: the snapshot in use and the package versions."""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

from tokenrace.snapshot import Snapshot

#: Packages whose versions the page lists (the pins are in requirements.txt).
KEY_PACKAGES = (
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "myst-parser",
    "sphinx-book-theme",
    "sphinxcontrib-bibtex",
    "jupyter-cache",
    "jupytext",
    "ipykernel",
    "pandas",
    "numpy",
    "pandera",
    "matplotlib",
    "seaborn",
)


def snapshot_table(snap: Snapshot):
    """The snapshot in use: title, as-of date, kind, fingerprint (SHA-256 of its files).

    Returned as Markdown so that the long fingerprint is shown whole.
    """
    from IPython.display import Markdown

    rows = [
        ("Title", snap.meta.get("title", "")),
        ("As of", snap.as_of),
        ("Kind", snap.meta.get("kind", "")),
        ("Licence", ", ".join(lic.get("name", "") for lic in snap.meta.get("licenses", []))),
        ("Fingerprint (SHA-256)", f"`{snap.fingerprint}`"),
    ]
    lines = ["| Snapshot in use | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return Markdown("\n".join(lines) + "\n")


def versions_table() -> pd.DataFrame:
    """Python and the versions of the packages that build and compute the report."""
    rows = [("python", platform.python_version())]
    rows += [(name, metadata.version(name)) for name in KEY_PACKAGES]
    return pd.DataFrame(rows, columns=["Package", "Version"]).set_index("Package")
