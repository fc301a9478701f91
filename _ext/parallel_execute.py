"""Execute the book's notebooks in parallel, ahead of Sphinx, into myst-nb's execution cache.

myst-nb executes notebooks one after another while Sphinx reads them. On a cold build that leaves
one of the machine's cores idle for most of the build. This step runs just before Sphinx reads
the documents it found outdated: it reads each of those notebooks the way myst-nb will, finds
those the cache does not hold, executes them in a pool of worker processes (two per core), and
stores the results in the same cache. Sphinx then reads each notebook from the cache. While a
notebook runs, the ``{eval}`` expressions of its prose are evaluated in its kernel and recorded
with it (``inline_eval.py``). The kernels are forked from a server that has imported the
chapters' libraries (``forked_kernels.py``).

A notebook that fails here is not cached: myst-nb runs it again while reading and reports the
error exactly as it would without this step (and ``raise_on_error`` stops the build).

The claims' evidence (:mod:`tokenrace.claims.evidence`, hundreds of reconstructions) is drawn once
per snapshot and code, so the chapters read it from its cache instead of each drawing it; a
chapter that needs it before it is ready waits for it (a file lock). How far to trust the
reconstruction (:mod:`tokenrace.reconstruct.validation`) is computed the same way, right after it
in the same process. On a cold build both begin with the build itself (:func:`start_early`), as
does the kernel server's import, on the core Sphinx's single-threaded setup leaves idle;
otherwise they are the pool's first task.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from pathlib import Path

import forked_kernels
import inline_eval
from sphinx.application import Sphinx
from sphinx.util import logging

LOG = logging.getLogger(__name__)


#: How many times a notebook is run when its kernel dies or fails to start (not a cell's error).
KERNEL_ATTEMPTS = 2


def _execute(path: str, notebook, timeout: int) -> tuple[str, object, float, str | None, str]:
    """Worker: execute one notebook in its own folder, recording the values of its prose's
    ``{eval}`` expressions (``inline_eval.py``); returns (path, notebook, seconds, error, note).

    A cell's error is returned as ``error``. A kernel that dies or never answers (an exception
    out of the run itself, e.g. "Kernel died before replying to kernel_info") is tried again on a
    fresh copy, up to :data:`KERNEL_ATTEMPTS` runs in all; ``note`` says so. If every run fails
    that way, the failure is returned as ``error`` too: the notebook is left out of the cache and
    myst-nb runs it while reading, reporting any error itself.
    """
    import copy

    failures: list[str] = []
    for _attempt in range(KERNEL_ATTEMPTS):
        trial = copy.deepcopy(notebook)
        try:
            result = inline_eval.execute(trial, cwd=str(Path(path).parent), timeout=timeout)
        except Exception as err:  # the kernel, not a cell: no cell error escapes execute()
            failures.append(f"{type(err).__name__}: {err}")
            continue
        error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
        note = f"after a kernel failure ({failures[0]})" if failures else ""
        return path, trial, result.time, error, note
    return path, notebook, 0.0, f"the kernel failed {len(failures)} times: {failures[-1]}", ""


def _warm_evidence() -> tuple[float, float]:
    """Worker: draw (or find cached) the evidence of the snapshot in use, then compute (or find
    cached) how far to trust its reconstruction, in the same process (pandas and the snapshot
    loaded once); returns the seconds of each."""
    start = time.monotonic()
    import tokenrace
    from tokenrace.claims import evidence
    from tokenrace.reconstruct import validation

    snap = tokenrace.load_snapshot()
    evidence.load(snap)
    drawn = time.monotonic()
    validation.load(snap)
    return drawn - start, time.monotonic() - drawn


#: What :func:`start_early` started: the drawing process and the kernel server.
_EARLY: dict[str, object] = {}
#: Seconds the early process waits for the build's check of the snapshot before it gives up.
CHECK_WAIT = 600.0


def start_early(folder: Path, marker: Path) -> None:
    """Start the work of a cold build that needs no Sphinx, as soon as the build knows its
    snapshot, while Sphinx sets up and checks the data contract on the other core: the kernel
    server imports the chapters' libraries (``forked_kernels.py``), and a process of its own
    draws the claims' evidence and the validation. The worker pool's chapters then find them
    ready, or wait for them (a file lock).

    The drawing process imports what it needs at once, then waits for ``marker``: the build
    writes it when the snapshot at ``folder`` meets the contract
    (``tokenrace_book._validate_once``). A snapshot that fails never gets one, and both
    processes stop with the build (:func:`stop_early`). POSIX only (``fork``)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)  # what the drawing says when it is done
    process = context.Process(
        target=_draw_when_checked, args=(str(folder), str(marker), send), daemon=True
    )
    process.start()
    send.close()
    _EARLY.update(process=process, said=receive, zygote=forked_kernels.start())


def stop_early(_app: Sphinx, _exception: Exception | None) -> None:
    """At the end of the build: stop what :func:`start_early` started and no step used."""
    server = _EARLY.pop("zygote", None)
    if server is not None:
        server.stop()
    process = _EARLY.pop("process", None)
    if process is not None:
        process.terminate()
        process.join()
    _EARLY.clear()


def _draw_when_checked(folder: str, marker: str, send) -> None:
    """The drawing process (:func:`start_early`): sends what it did, in words, on ``send``."""
    try:
        import tokenrace  # noqa: F401 (imported while the build checks the snapshot)
        from tokenrace.claims import evidence  # noqa: F401
        from tokenrace.reconstruct import validation  # noqa: F401
        from tokenrace.snapshot.layout import fingerprint
        from tokenrace.snapshot.paths import DATA_ENV_VAR, VALIDATED_ENV

        deadline = time.monotonic() + CHECK_WAIT
        while not Path(marker).is_file():
            if time.monotonic() > deadline:
                send.send("not drawn ahead: the snapshot's check did not pass in time")
                return
            time.sleep(0.02)
        os.environ[DATA_ENV_VAR] = folder
        os.environ[VALIDATED_ENV] = fingerprint(Path(folder))
        drawn, trusted = _warm_evidence()
        send.send(f"ready in {drawn:.1f} s, validation in {trusted:.1f} s (begun with the build)")
    except Exception as err:  # the chapters draw them themselves and report any error
        send.send(f"not drawn ahead ({type(err).__name__}: {err})")


def _join_early() -> str:
    """Wait for the drawing process of :func:`start_early`; what it did, in words."""
    process, said = _EARLY.pop("process"), _EARLY.pop("said")
    process.join()
    try:
        return said.recv()
    except EOFError:  # it ended without a word
        return f"not drawn ahead (the process ended with exit code {process.exitcode})"


def _pending(app: Sphinx, docnames: list[str]) -> list[tuple[str, object, dict | None]]:
    """Notebooks among ``docnames`` that the execution cache does not hold yet, or holds without
    the value of an ``{eval}`` expression of their prose (a Markdown-only edit)."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    nb_config = app.env.mystnb_config
    cache = get_cache(nb_config.execution_cache_path)
    pending = []
    for docname in sorted(docnames):
        path = str(app.env.doc2path(docname))
        if not path.endswith(".md"):
            continue
        content = Path(path).read_text(encoding="utf-8")
        reader = create_nb_reader(path, app.env.myst_config, nb_config, content)
        if reader is None:
            continue
        notebook = reader.read(content)
        with suppress(KeyError):
            record = cache.match_cache_notebook(notebook)
            if inline_eval.covers(cache.get_cache_bundle(record.pk).nb, notebook):
                continue
        pending.append((path, notebook, reader.read_fmt))
    return pending


def execute_ahead(app: Sphinx, env, docnames: list[str]) -> None:
    """Fill the execution cache with every notebook Sphinx is about to read and it lacks."""
    nb_config = env.mystnb_config
    if nb_config.execution_mode != "cache" or not docnames:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    pending = _pending(app, docnames)
    if not pending:
        LOG.info("[tokenrace] every notebook is in the execution cache")
        return
    workers = min(len(pending), 2 * (os.cpu_count() or 1))
    LOG.info(f"[tokenrace] executing {len(pending)} notebook(s) ahead, {workers} at a time")
    cache = get_cache(nb_config.execution_cache_path)
    formats = {path: read_fmt for path, _nb, read_fmt in pending}
    start = time.monotonic()
    server = _EARLY.pop("zygote", None)
    with forked_kernels.zygote(server), ProcessPoolExecutor(max_workers=workers) as pool:
        warm = None if "process" in _EARLY else pool.submit(_warm_evidence)
        futures = {
            pool.submit(_execute, path, nb, nb_config.execution_timeout): path
            for path, nb, _fmt in pending
        }
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                path, notebook, seconds, error, note = future.result()
            except Exception as err:  # the worker process itself died
                path, error = futures[future], f"{type(err).__name__}: {err}"
            name = Path(path).relative_to(app.srcdir)
            if error:
                LOG.info(f"[tokenrace] {name} failed ahead ({error}); myst-nb runs it again")
                continue
            record = cache.add_nb_to_project(path, read_data=formats[path])
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            again = f", run again {note}" if note else ""
            LOG.info(
                f"[tokenrace] ({done}/{len(pending)}) executed {name} in {seconds:.2f} s{again}"
            )
        try:
            if warm is not None:
                drawn, trusted = warm.result()
                ready = f"ready in {drawn:.1f} s, validation in {trusted:.1f} s"
            else:
                ready = _join_early()
            LOG.info(f"[tokenrace] claims' evidence {ready}")
        except Exception as err:  # the chapters compute them themselves and report any error
            LOG.info(f"[tokenrace] evidence not drawn ahead ({type(err).__name__}: {err})")
    LOG.info(f"[tokenrace] executed ahead in {time.monotonic() - start:.1f} s")
