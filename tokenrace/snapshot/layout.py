"""The files of a snapshot folder, and its fingerprint. Standard library only (fast to import)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tokenrace.snapshot.paths import snapshot_dir

WEEKLY_FILE = "weekly_tokens.csv"
#: Reserved model slug for the long tail outside the listed models (unattributed). Here, with the
#: file names, so a reader of a checked snapshot (the analysis) needs no schema library.
OTHER = "other"
MODELS_FILE = "models.csv"
AUTHORS_FILE = "authors.csv"
DESCRIPTOR_FILE = "datapackage.json"

#: Optional: the class of every value of a reconstructed snapshot (data/README.md).
PROVENANCE_FILE = "provenance.csv"
#: Optional folder of a reconstructed snapshot: its anchors (typed from press figures, and
#: imported from the raw measurement files), knots and free knots.
SOURCES_DIR = "sources"
#: The anchors the importer derives from the raw measurement files (``sources import``).
MEASURED_FILE = "measured.csv"
SOURCE_FILES = ("anchors.csv", MEASURED_FILE, "knots.csv", "free_knots.csv")
#: Of those, the ones a reconstructed snapshot may leave out (without ``measured.csv`` it is
#: built from the typed anchors alone; without ``free_knots.csv`` it assumes no free shares).
OPTIONAL_SOURCE_FILES = (MEASURED_FILE, "free_knots.csv")

#: Files whose bytes define a snapshot (and so key the book's execution cache).
SNAPSHOT_FILES = (WEEKLY_FILE, MODELS_FILE, AUTHORS_FILE, DESCRIPTOR_FILE)
#: Optional files that also key the cache when present: the verdicts' evidence is drawn from them.
OPTIONAL_FILES = (PROVENANCE_FILE, *(f"{SOURCES_DIR}/{name}" for name in SOURCE_FILES))


def fingerprint(folder: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 over the bytes of the snapshot's files.

    The contract's four files count always (a missing one as ``<missing>``); the optional
    provenance and sources files count when present.
    """
    root = snapshot_dir(folder)
    digest = hashlib.sha256()
    for name in SNAPSHOT_FILES + OPTIONAL_FILES:
        path = root / name
        if name in OPTIONAL_FILES and not path.is_file():
            continue
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def package_fingerprint() -> str:
    """SHA-256 over the source of the ``tokenrace`` package (subpackages included), so a change
    to the code that computes the book's numbers re-executes the chapters and redraws evidence."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
