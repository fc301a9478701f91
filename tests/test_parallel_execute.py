"""The build's ahead-of-time execution survives a kernel that dies, and says so.

``_ext/parallel_execute.py`` runs the notebooks in worker processes before Sphinx reads them. A
kernel can die or fail to start for reasons outside the notebook (in one CI run: "Kernel died
before replying to kernel_info"); that must not end the build in a Sphinx traceback. The worker
runs the notebook again on a fresh copy; if the kernel fails every time, the notebook is left to
myst-nb, which runs it while reading and reports any error itself.
"""

from __future__ import annotations

import nbformat
import pytest
from jupyter_cache.executors.utils import ExecutionResult
from nbclient.exceptions import CellExecutionError

import parallel_execute

DIED = "Kernel died before replying to kernel_info"


def _notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])


def _runs(monkeypatch: pytest.MonkeyPatch, outcomes: list) -> list:
    """Replace the notebook run with ``outcomes`` in turn: a ``RuntimeError`` is raised (the
    kernel), ``None`` completes, another value is a cell's error in the result. Returns the
    notebooks each run received."""
    seen = []

    def execute(notebook, cwd, timeout):
        seen.append(notebook)
        outcome = outcomes[len(seen) - 1]
        if isinstance(outcome, RuntimeError):
            raise outcome
        notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text=f"run {len(seen)}")]
        return ExecutionResult(notebook, cwd, 1.5, outcome, None)

    monkeypatch.setattr(parallel_execute.inline_eval, "execute", execute)
    return seen


def test_a_kernel_that_dies_once_is_run_again_on_a_fresh_copy(monkeypatch) -> None:
    seen = _runs(monkeypatch, [RuntimeError(DIED), None])
    original = _notebook()
    path, notebook, seconds, error, note = parallel_execute._execute("/book/a.md", original, 30)
    assert (path, seconds, error) == ("/book/a.md", 1.5, None)
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert all(run is not original for run in seen)
    assert notebook is seen[1] and notebook.cells[0].outputs[0].text == "run 2"
    assert original.cells[0].outputs == []  # the first run's leftovers are not reused
    assert note == f"after a kernel failure (RuntimeError: {DIED})"


def test_a_kernel_that_keeps_dying_is_left_to_myst_nb_without_raising(monkeypatch) -> None:
    seen = _runs(monkeypatch, [RuntimeError(DIED)] * parallel_execute.KERNEL_ATTEMPTS)
    _path, _notebook_out, _seconds, error, _note = parallel_execute._execute(
        "/b/a.md", _notebook(), 30
    )
    assert len(seen) == parallel_execute.KERNEL_ATTEMPTS
    assert error == f"the kernel failed {len(seen)} times: RuntimeError: {DIED}"


def test_a_cell_error_is_reported_once_not_retried(monkeypatch) -> None:
    failure = CellExecutionError("boom", "ValueError", "bad value")
    seen = _runs(monkeypatch, [failure])
    _path, _nb, _seconds, error, note = parallel_execute._execute("/b/a.md", _notebook(), 30)
    assert len(seen) == 1 and note == ""
    assert error is not None and error.startswith("CellExecutionError")


_CONNECTION = """\
import json
from ipykernel.connect import get_connection_info

info = json.loads(get_connection_info())
print(info["transport"], info["ip"])
"""


def test_kernels_started_at_once_talk_over_sockets_of_their_own(tmp_path) -> None:
    """Kernels started side by side, as the build's worker pool starts them, use IPC transport
    (Unix sockets) each in a folder of its own, never TCP ports they could race for ("Address
    already in use"); the folders are removed afterwards."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    notebook = _notebook()
    notebook.cells[0].source = _CONNECTION
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    runs = 4
    with ProcessPoolExecutor(max_workers=runs) as pool:
        done = list(
            pool.map(
                parallel_execute._execute,
                [str(tmp_path / f"n{i}.md") for i in range(runs)],
                [notebook] * runs,
                [60] * runs,
            )
        )
    seen = []
    for _path, executed, _seconds, error, note in done:
        assert (error, note) == (None, "")  # no failure, no retry
        transport, ip = executed.cells[0].outputs[0].text.split()
        seen.append(ip)
        assert transport == "ipc"
        folder = os.path.dirname(ip)
        assert os.path.basename(folder).startswith(parallel_execute.inline_eval.SOCKETS_PREFIX)
        assert not os.path.exists(folder), "the sockets' folder outlived the run"
    assert len({os.path.dirname(ip) for ip in seen}) == runs


def test_the_evidence_is_drawn_from_the_build_s_start_once_the_snapshot_passes(
    tmp_path, monkeypatch
) -> None:
    """The drawing begins with the build but waits for the contract check's marker; then the
    claims' evidence is in the cache, drawn once, and the build is told how long it took."""
    import time

    import tokenrace
    from tokenrace.claims import evidence
    from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

    monkeypatch.setenv(evidence.CACHE_ENV, str(tmp_path / "cache"))
    marker = tmp_path / "validated"
    parallel_execute.start_early(DEFAULT_DATA_DIR, marker)
    try:
        cached = evidence.cache_path(tokenrace.load_snapshot(DEFAULT_DATA_DIR))
        time.sleep(1.0)
        assert not cached.exists(), "drawn before the snapshot passed its check"
        marker.write_text("checked\n")
        said = parallel_execute._join_early()
    finally:
        parallel_execute.stop_early(None, None)
    assert said.startswith("ready in") and "validation in" in said, said
    assert cached.is_file()
    assert parallel_execute._EARLY == {}


def test_a_snapshot_that_never_passes_is_never_drawn_and_nothing_outlives_the_build(
    tmp_path, monkeypatch
) -> None:
    from tokenrace.claims import evidence
    from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

    monkeypatch.setenv(evidence.CACHE_ENV, str(tmp_path / "cache"))
    parallel_execute.start_early(DEFAULT_DATA_DIR, tmp_path / "never-written")
    process = parallel_execute._EARLY["process"]
    server = parallel_execute._EARLY["zygote"].process
    parallel_execute.stop_early(None, None)
    assert not process.is_alive() and server.poll() is not None
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
