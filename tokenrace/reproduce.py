"""Facts about the build for the book's pages: the snapshot in use and the package versions.

Standard library only: the build extension turns these into MyST substitutions
(``{{ snapshot_as_of }}``, ``{{ versions_table }}``, ...) before any page is read, so the editor's
notes and the reproduce page need no kernel.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from tokenrace.layout import DESCRIPTOR_FILE

#: Packages whose versions the reproduce page lists (the pins are in requirements.txt).
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
)


def versions() -> list[tuple[str, str]]:
    """(package, version) for Python and the packages that build and compute the report."""
    return [("python", platform.python_version())] + [
        (name, metadata.version(name)) for name in KEY_PACKAGES
    ]


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} |" for a, b in rows]) + "\n"


def substitutions(folder: Path, digest: str) -> dict[str, str]:
    """MyST substitutions describing the snapshot in ``folder`` (fingerprint ``digest``)."""
    meta = json.loads((folder / DESCRIPTOR_FILE).read_text(encoding="utf-8"))
    sources = "; ".join(s.get("title", s.get("path", "")) for s in meta.get("sources", []))
    licences = ", ".join(lic.get("name", "") for lic in meta.get("licenses", []))
    rows = [
        ("Title", meta.get("title", "")),
        ("As of", str(meta.get("as_of", ""))),
        ("Kind", meta.get("kind", "")),
        ("Licence", licences),
        ("Fingerprint (SHA-256)", f"`{digest}`"),
    ]
    return {
        "snapshot_as_of": str(meta.get("as_of", "")),
        "snapshot_title": meta.get("title", ""),
        "snapshot_kind": meta.get("kind", "snapshot"),
        "snapshot_sources": sources,
        "snapshot_table": _table(("Snapshot in use", ""), rows),
        "versions_table": _table(("Package", "Version"), versions()),
    }
