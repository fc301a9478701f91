"""A cache of results computed once per snapshot and package code, as JSON files.

The evidence of the claims (:mod:`tokenrace.claims.evidence`) and the validation of the
reconstruction (:mod:`tokenrace.reconstruct.validation`) take seconds to minutes to compute, and
several chapters of the book (run in parallel processes) read them. Each is stored once, in a file
named for what it is and keyed by what it depends on: the snapshot's fingerprint (its files'
bytes, sources included), the package code (:func:`tokenrace.snapshot.layout.package_fingerprint`)
and any parameters. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from tokenrace.snapshot.layout import package_fingerprint
from tokenrace.snapshot.paths import REPO_ROOT

#: Where the results are cached; defaults to ``_build/.evidence`` in the checkout.
CACHE_ENV = "TOKENRACE_EVIDENCE_CACHE"


def cache_file(name: str, fingerprint: str, *params: object) -> Path:
    """The cache file of the result ``name`` (``evidence``, ``validation``) of the snapshot with
    ``fingerprint``: keyed by that fingerprint, the package code and ``params``."""
    text = ":".join(str(p) for p in (fingerprint, package_fingerprint(), *params))
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    root = Path(os.environ.get(CACHE_ENV) or REPO_ROOT / "_build" / ".evidence")
    return root / f"{name}-{key}.json"


def cached(path: Path, compute: Callable[[], dict]) -> dict:
    """The JSON result stored at ``path``, computed (by ``compute``) and stored when it is not.

    Processes that ask at once (the book's parallel chapters) take turns on a file lock, so the
    result is computed once. A checkout that cannot be written computes each time. The result
    is always returned as read back from JSON, so a fresh and a cached one are equal.
    """
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.with_suffix(".lock").open("a")
    except OSError:
        return json.loads(json.dumps(compute(), sort_keys=True, ensure_ascii=False))
    with lock:
        _lock(lock)
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        text = json.dumps(compute(), sort_keys=True, ensure_ascii=False, indent=1)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return json.loads(text)


def _lock(handle) -> None:
    """Hold an exclusive lock on ``handle`` until it is closed (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
