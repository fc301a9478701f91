"""Where the report's files live, and which data snapshot is in use."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that points the loader (and the book build) at another snapshot folder.
DATA_ENV_VAR = "TOKENRACE_DATA"

#: Set (to "1") by the book build for its kernels: charts are then published as MyST figures.
BOOK_BUILD_ENV = "TOKENRACE_BOOK_BUILD"

#: Set by the book build to the fingerprint of the snapshot it has just validated.
VALIDATED_ENV = "TOKENRACE_VALIDATED_FINGERPRINT"

#: Root of the repository checkout (the folder holding ``_config.yml``).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: The committed, representative snapshot.
DEFAULT_DATA_DIR = REPO_ROOT / "data"


def snapshot_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the snapshot folder to read.

    An explicit ``path`` wins; otherwise ``$TOKENRACE_DATA`` if set and non-empty; otherwise the
    committed ``data/`` folder. Relative paths are taken from the current working directory.
    """
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_DATA_DIR
