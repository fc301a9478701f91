"""tokenrace: the data work behind the report "The race".

Loading and validating a snapshot of OpenRouter weekly token counts, re-cutting it by lab and by
country of origin, computing the essay's claims, and drawing charts in one house style.
"""

from tokenrace.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR, snapshot_dir
from tokenrace.snapshot import (
    Problem,
    Snapshot,
    SnapshotError,
    check_snapshot,
    fingerprint,
    load_snapshot,
)

__all__ = [
    "DATA_ENV_VAR",
    "DEFAULT_DATA_DIR",
    "Problem",
    "Snapshot",
    "SnapshotError",
    "check_snapshot",
    "fingerprint",
    "load_snapshot",
    "snapshot_dir",
]
