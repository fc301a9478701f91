"""The files of a snapshot folder, and its fingerprint. Standard library only (fast to import)."""

from __future__ import annotations

import hashlib
import os

from tokenrace.paths import snapshot_dir

WEEKLY_FILE = "weekly_tokens.csv"
MODELS_FILE = "models.csv"
AUTHORS_FILE = "authors.csv"
DESCRIPTOR_FILE = "datapackage.json"

#: Files whose bytes define a snapshot (and so key the book's execution cache).
SNAPSHOT_FILES = (WEEKLY_FILE, MODELS_FILE, AUTHORS_FILE, DESCRIPTOR_FILE)


def fingerprint(folder: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 over the bytes of the snapshot's contract files (missing files count as empty)."""
    root = snapshot_dir(folder)
    digest = hashlib.sha256()
    for name in SNAPSHOT_FILES:
        digest.update(name.encode() + b"\0")
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()
