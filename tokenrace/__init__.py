"""tokenrace: the data work behind the report "The race".

Loading and validating a snapshot of OpenRouter weekly token counts, re-cutting it by lab and by
country of origin, computing the essay's claims, and drawing charts in one house style.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from tokenrace.snapshot.layout import fingerprint
from tokenrace.snapshot.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR, snapshot_dir

# Python hides a DeprecationWarning unless it is raised in __main__. Show those this package's
# own code sets off (a pandas or numpy call it makes that is going away): in the book build a
# cell's warning is written to stderr, which fails the strict build, before the call breaks.
warnings.filterwarnings("default", category=DeprecationWarning, module=r"tokenrace(\.|$)")

if TYPE_CHECKING:
    from tokenrace.snapshot.essay import as_of_essay
    from tokenrace.snapshot.load import (
        Problem,
        Snapshot,
        SnapshotError,
        check_snapshot,
        load_snapshot,
    )

_LAZY = {"Problem", "Snapshot", "SnapshotError", "check_snapshot", "load_snapshot"}


def __getattr__(name: str):
    """Import the loader (pandas, pandera) only when it is used: the book build's extension
    imports this package for its paths and fingerprints and must start fast."""
    if name in _LAZY:
        from tokenrace.snapshot import load as snapshot

        return getattr(snapshot, name)
    if name == "as_of_essay":
        from tokenrace.snapshot.essay import as_of_essay

        return as_of_essay
    raise AttributeError(f"module 'tokenrace' has no attribute {name!r}")


__all__ = [
    "DATA_ENV_VAR",
    "DEFAULT_DATA_DIR",
    "Problem",
    "Snapshot",
    "SnapshotError",
    "as_of_essay",
    "check_snapshot",
    "fingerprint",
    "load_snapshot",
    "snapshot_dir",
]
