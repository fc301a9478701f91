"""The build's kernels, forked from a server that has imported the chapters' libraries, behave as
kernels started the usual way (``_ext/forked_kernels.py``).

A chapter must not be able to tell which way its kernel started: same working folder, module
path, environment and command line, a session of its own, nothing left over from another
notebook, and child processes that report their exit. Where there is no server, or it does not
answer, kernels start as subprocesses.
"""

from __future__ import annotations

import json
import os
import sys

import forked_kernels
import inline_eval
import nbformat
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the server forks (POSIX only)")

PROBE = """\
import json, os, subprocess, sys
print(json.dumps({
    "cwd": os.getcwd(),
    "path": sys.path,
    "argv0": sys.argv[0],
    "marker": os.environ.get("TOKENRACE_TEST_MARKER"),
    "own_session": os.getsid(0) == os.getpid(),
    "parent_is_launcher": os.environ.get("JPY_PARENT_PID") == str(os.getppid()),
    "child_exit": subprocess.run([sys.executable, "-c", "raise SystemExit(3)"]).returncode,
    "pandas_loaded": "pandas" in sys.modules,
    "left_over": "LEFT_OVER" in globals(),
    "backend": __import__("matplotlib").get_backend(),
}))
LEFT_OVER = 1
"""


def _run(cwd: str) -> dict:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    result = inline_eval.execute(notebook, cwd=cwd, timeout=120)
    assert result.err is None, result.exc_string
    return json.loads(result.nb.cells[0].outputs[0]["text"])


def test_a_forked_kernel_is_a_kernel_as_jupyter_starts_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TOKENRACE_TEST_MARKER", "from the worker")
    monkeypatch.delenv(forked_kernels.ZYGOTE_ENV, raising=False)
    usual = _run(str(tmp_path))
    with forked_kernels.zygote() as path:
        assert path and os.environ[forked_kernels.ZYGOTE_ENV] == path
        forked = [_run(str(tmp_path)) for _ in range(2)]
    assert forked_kernels.ZYGOTE_ENV not in os.environ
    assert not os.path.exists(path)  # the server's socket and folder are gone
    assert not usual["pandas_loaded"]
    for run in forked:
        assert run["pandas_loaded"], "not forked from the server"
        # The second notebook sees nothing of the first, like a fresh kernel.
        assert {**run, "pandas_loaded": False} == usual
    assert usual["cwd"] == str(tmp_path) and usual["marker"] == "from the worker"
    assert usual["own_session"] and usual["parent_is_launcher"] and usual["child_exit"] == 3
    assert not usual["left_over"]


def test_without_a_server_or_its_answer_a_kernel_starts_as_a_subprocess(
    tmp_path, monkeypatch
) -> None:
    cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]
    monkeypatch.delenv(forked_kernels.ZYGOTE_ENV, raising=False)
    assert forked_kernels.launch(cmd, str(tmp_path), dict(os.environ)) is None
    monkeypatch.setenv(forked_kernels.ZYGOTE_ENV, str(tmp_path / "no-server"))
    assert forked_kernels.launch(cmd, str(tmp_path), dict(os.environ)) is None
    assert not _run(str(tmp_path))["pandas_loaded"]  # and the notebook still runs


def test_only_this_pythons_ipykernel_is_forked() -> None:
    assert forked_kernels.forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"])
    assert not forked_kernels.forkable(["/usr/bin/python3-other", "-m", "ipykernel_launcher"])
    assert not forked_kernels.forkable([sys.executable, "-m", "other_kernel", "-f", "k.json"])
    assert not forked_kernels.forkable(["julia", "-i", "kernel.jl"])
