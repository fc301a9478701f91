"""A Binder-like JupyterLab for the tests: a copy of the repository, postBuild, a real server.

The server is set up the way Binder (repo2docker) sets it up: the readers' pinned environment
alone (``.venv/reader``, made by the Makefile from requirements.txt, with none of the developers'
requirements-dev.txt, so a runtime requirement missing from requirements.txt fails these tests),
a copy of the repository as the working folder, and ``postBuild`` run once. So that nothing is
written into the shared venv, JupyterLab's application directory is a throwaway folder
(``$JUPYTERLAB_DIR``, which JupyterLab and ``postBuild`` both honour) whose ``static``,
``schemas`` and ``themes`` link to the venv's. User settings, workspaces, runtime and config
folders are throwaway folders too. ``labchapter.py`` drives a chapter in it from Chromium.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The readers' environment (what Binder installs: requirements.txt), where the server and the
#: kernels run; ``make test`` creates it (``make reader-venv``). $TOKENRACE_READER_VENV overrides.
READER_VENV = Path(os.environ.get("TOKENRACE_READER_VENV") or ROOT / ".venv" / "reader")
BIN = READER_VENV / "bin"
#: What Binder would not have in the repository checkout (and what the tests must not touch).
COPY_SKIP = {".venv", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__", "tests"}
#: Bounds of every wait, in seconds (generous: a cold kernel on a busy 2-core machine is slow).
SERVER_START = 90


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    app_dir: Path
    log: Path
    process: subprocess.Popen

    def api(self, path: str, method: str = "GET") -> object:
        """JSON of a server REST call (``path`` starts with '/')."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def throwaway_app_dir(dest: Path) -> Path:
    """A JupyterLab application folder whose assets link to the readers' venv's (no settings)."""
    real = reader_app_dir()
    dest.mkdir(parents=True)
    for name in ("static", "schemas", "themes"):
        if (real / name).exists():
            (dest / name).symlink_to(real / name, target_is_directory=True)
    return dest


def reader_python() -> Path:
    """The readers' venv's Python; a clear failure when ``make reader-venv`` has not run."""
    python = BIN / "python"
    if not python.is_file():
        raise RuntimeError(f"{python} is missing: run `make reader-venv` (make test does)")
    return python


def reader_app_dir() -> Path:
    """JupyterLab's application folder of the readers' venv, as that venv's JupyterLab sees it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    code = "from jupyterlab.commands import get_app_dir; print(get_app_dir())"
    done = subprocess.run(
        [str(reader_python()), "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return Path(done.stdout.strip())


def binder_env(tmp: Path, app_dir: Path, repo: Path) -> dict[str, str]:
    """Environment of postBuild and the server: the venv first, all Jupyter folders throwaway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "TOKENRACE_"))}
    folders = {
        "JUPYTERLAB_DIR": app_dir,
        "JUPYTERLAB_SETTINGS_DIR": tmp / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": tmp / "workspaces",
        "JUPYTER_CONFIG_DIR": tmp / "config",
        "JUPYTER_DATA_DIR": tmp / "data",
        "JUPYTER_RUNTIME_DIR": tmp / "runtime",
        "IPYTHONDIR": tmp / "ipython",
    }
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    # Test-only user setting: no "get notified about Jupyter news?" toast over the notebook.
    notification = tmp / "user-settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    # Test-only user setting: every cell rendered (no windowing), so the tests read all prose.
    tracker = tmp / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # The kernel imports the copy's own tokenrace (and so reads the copy's data/), as on Binder,
    # where requirements.txt installs the checkout itself with `-e .`.
    env["PYTHONPATH"] = str(repo)
    return env


def run_postbuild(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``./postBuild`` in the repository the way repo2docker does."""
    return subprocess.run(
        ["./postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )


def wait_until_ready(lab: Lab) -> None:
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {lab.process.returncode}")
        try:
            lab.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab not ready after {SERVER_START} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate the server (it shuts its kernels down), then kill its process group if stuck."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started the server in
        process.wait(timeout=30)


@contextmanager
def start_lab(tmp: Path, data: Path | None = None) -> Iterator[Lab]:
    """JupyterLab serving a copy of the repository in ``tmp``, set up the way Binder sets it up;
    with ``data``, its kernels read that snapshot (``$TOKENRACE_DATA``)."""
    repo = tmp / "repo"
    shutil.copytree(ROOT, repo, ignore=lambda _dir, names: [n for n in names if n in COPY_SKIP])
    app_dir = throwaway_app_dir(tmp / "lab-app")
    env = binder_env(tmp, app_dir, repo)
    if data is not None:
        env["TOKENRACE_DATA"] = str(data)
    done = run_postbuild(repo, env)
    if done.returncode != 0:
        raise RuntimeError(f"postBuild failed:\n{done.stdout}\n{done.stderr}")

    log = tmp / "jupyterlab.log"
    token = secrets.token_hex(24)
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        port = free_port()
        command = [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={repo}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with log.open("ab") as sink:
            process = subprocess.Popen(
                command,
                cwd=repo,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Lab(f"http://127.0.0.1:{port}", token, repo, app_dir, log, process)
        try:
            wait_until_ready(server)
            break
        except RuntimeError as error:
            if "address already in use" not in server.log_tail().lower():
                raise RuntimeError(f"JupyterLab did not start:\n{server.log_tail()}") from error
        except TimeoutError as error:
            stop(process)
            raise RuntimeError(
                f"JupyterLab did not start in {SERVER_START} s:\n{server.log_tail()}"
            ) from error
    else:
        raise RuntimeError(f"JupyterLab found no free port:\n{server.log_tail()}")
    try:
        yield server
    finally:
        stop(process)
