"""Kernels forked from one process that has already imported the chapters' libraries.

Each chapter runs in a kernel of its own, and much of a kernel's time went on starting Python,
ipykernel and IPython and importing numpy, pandas and matplotlib, paid seven times: the seven
chapters' kernels took 8.6 CPU seconds one after another here, and 5.2 s forked. During a book
build, :func:`start` starts one server process that imports them once (:data:`PRELOAD`); every
kernel of the build's worker pool is then a fork of it (``ForkedKernelManager``), a fresh process
in which those modules are already imported.

A forked kernel is an ordinary ipykernel, started the way ``python -m ipykernel_launcher`` starts
one: its own session, working folder, environment (the request's, with ``JPY_PARENT_PID`` naming
the server, its parent now) and connection file. Nothing of a chapter runs before the fork, so
each notebook still starts from an empty namespace: only the import of those modules is skipped.
The server runs with the build's environment, so what its modules read from it on import is what a
kernel would read; the two exceptions are handled: matplotlib's ``MPLBACKEND`` (set as ipykernel
sets it) and ipykernel's ``JPY_PARENT_PID`` (passed to the kernel as an option).

Where the server is not running (a single notebook run by myst-nb, a reader's JupyterLab), or a
kernel is not this Python's ipykernel, or the server does not answer, a kernel is started as a
subprocess, as jupyter_client always does. POSIX only (``os.fork``); elsewhere nothing changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: Where the server listens (a Unix socket), for the worker processes; unset: no server.
ZYGOTE_ENV = "TOKENRACE_KERNEL_ZYGOTE"
#: The modules the server imports before it forks any kernel (none of the book's own code).
PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.dates",
    "matplotlib.font_manager",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
)
#: Seconds a worker waits for the server to answer a request (it is importing at first).
ANSWER_SECONDS = 60.0


# --- the server ----------------------------------------------------------------------------------


def serve(fd: int) -> None:
    """Run the server: import :data:`PRELOAD`, then fork a kernel for each request on the
    listening socket ``fd`` (bound by :class:`Server`, so requests queue from the start).

    A request is one line of JSON, ``{"cmd": [...], "cwd": ..., "env": {...}}``; the answer is
    ``{"pid": ...}``. The server is stopped by the build (SIGTERM), and stops by itself if the
    build's process goes away. It runs no thread, so a forked kernel inherits no lock held."""
    parent = os.getppid()
    listener = socket.socket(fileno=fd)  # requests wait here while the modules import
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        with conn:
            try:
                conn.settimeout(ANSWER_SECONDS)
                request = json.loads(conn.makefile("r", encoding="utf-8").readline())
                pid = os.fork()
            except (OSError, ValueError):
                continue  # the worker gets no answer and starts a subprocess
            if pid == 0:
                listener.close()
                conn.close()
                _become_kernel(request)  # never returns
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _become_kernel(request: dict) -> None:
    """In the forked child: become ``python -m ipykernel_launcher <args>`` as requested."""
    import importlib.util

    try:
        os.setsid()  # a session of its own, as jupyter_client's launcher gives a kernel
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        server = str(os.getppid())  # the kernel's parent now: it stops if the server goes
        os.environ["JPY_PARENT_PID"] = server
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        # ipykernel read JPY_PARENT_PID when the server imported it: given again, as an option.
        sys.argv = [
            importlib.util.find_spec("ipykernel_launcher").origin,
            *request["cmd"][3:],
            f"--IPKernelApp.parent_handle={server}",
        ]
        if sys.path and sys.path[0] == "":  # as ipykernel_launcher does (``init_path`` adds it)
            del sys.path[0]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


class Server:
    """The running server (:func:`serve`) and its socket; :meth:`stop` ends it."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="tokenrace-zygote-")
        self.path = str(Path(self.folder.name) / "socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(self.path)
            listener.listen(16)
            code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            code += "import forked_kernels; sys.path.pop(0); "
            code += f"forked_kernels.serve({listener.fileno()})"
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),),
            )
        # Closed here: if the server dies, a request is refused at once, not left waiting.

    def stop(self) -> None:
        if os.environ.get(ZYGOTE_ENV) == self.path:
            del os.environ[ZYGOTE_ENV]
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.folder.cleanup()


def start() -> Server | None:
    """Start the server (None on a system without ``fork``, or if it cannot start: kernels then
    start as subprocesses). It imports while the caller goes on; a request made before it is
    ready waits for it."""
    if not hasattr(os, "fork"):
        return None
    try:
        return Server()
    except OSError:
        return None


@contextlib.contextmanager
def zygote(server: Server | None = None) -> Iterator[str | None]:
    """Run the server (``server``, or one started here) for the duration of the block, and stop
    it after; yields its socket path (None on a system without ``fork``), set in
    :data:`ZYGOTE_ENV` for the processes started in the block."""
    server = server or start()
    if server is None:
        yield None
        return
    os.environ[ZYGOTE_ENV] = server.path
    try:
        yield server.path
    finally:
        server.stop()


# --- the workers' side ---------------------------------------------------------------------------


class ForkedKernel:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a kernel forked by the
    server. The kernel is the server's child, so its exit is seen as its process being gone."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # its exit status went to the server
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def forkable(cmd: list[str]) -> bool:
    """True when ``cmd`` starts this Python's ipykernel (what the server can fork)."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return False
    with contextlib.suppress(OSError):
        return os.path.samefile(cmd[0], sys.executable)
    return False


def launch(cmd: list[str], cwd: str | None, env: dict[str, str] | None) -> ForkedKernel | None:
    """A kernel forked by the running server, or None when there is none or it does not answer
    (the caller then starts a subprocess)."""
    path = os.environ.get(ZYGOTE_ENV)
    if not path or not forkable(cmd):
        return None
    request = {"cmd": cmd, "cwd": str(cwd or os.getcwd()), "env": dict(env or os.environ)}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(ANSWER_SECONDS)
            conn.connect(path)
            conn.sendall(json.dumps(request).encode() + b"\n")
            answer = json.loads(conn.makefile("r", encoding="utf-8").readline())
        return ForkedKernel(int(answer["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kernel_manager_class():
    """jupyter_client's AsyncKernelManager, its kernels forked by the server where one runs."""
    from jupyter_client import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            process = launch(kernel_cmd, kw.get("cwd"), kw.get("env"))
            if process is None:
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            provisioner = self.provisioner  # a LocalProvisioner, given the process it would start
            provisioner.process = process
            provisioner.pid = provisioner.pgid = process.pid
            provisioner.cwd = kw.get("cwd") or os.getcwd()
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkedKernelManager
