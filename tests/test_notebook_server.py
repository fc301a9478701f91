"""The chapters as a Binder reader gets them: JupyterLab opens each one as a notebook that runs.

The test sets up what Binder (repo2docker) sets up: the pinned environment (this venv), a copy of
the repository as the working folder, and ``postBuild`` run once. So that nothing is written into
the shared venv, JupyterLab's application directory is a throwaway folder (``$JUPYTERLAB_DIR``,
which JupyterLab and ``postBuild`` both honour) whose ``static``, ``schemas`` and ``themes`` link
to the venv's; ``postBuild`` writes ``settings/overrides.json`` there, exactly where it writes
``$PREFIX/share/jupyter/lab/settings/overrides.json`` on Binder. User settings, workspaces,
runtime and config folders are throwaway folders too.

It then starts a real JupyterLab server on 127.0.0.1 (free port, generated token, no browser) and,
in headless Chromium, opens every notebook chapter of ``_toc.yml`` at the URL path its Binder
launch button targets (``/lab/tree/<path>``), checks a notebook panel opened (not the text
editor), runs all cells and checks every code cell ran without an error. A screenshot of each
chapter goes to ``_build/screenshots/lab-<name>.png``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bookbuild import is_notebook, source_of, toc_files

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "_build" / "screenshots"
#: What Binder would not have in the repository checkout (and what the tests must not touch).
COPY_SKIP = {".venv", "_build", ".git", ".pytest_cache", ".ruff_cache", "__pycache__", "tests"}
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"
JUPYTEXT_FACTORY = "Jupytext Notebook"
#: Bounds of every wait, in seconds (generous: a cold kernel on a busy 2-core machine is slow).
SERVER_START = 90
LAB_LOAD = 120
RUN_ALL = 300


# -- which chapters are notebooks (from _toc.yml, never a fixed list) ---------------------------


def notebook_chapters(root: Path) -> list[str]:
    """Source paths (relative to ``root``) of the toc's notebooks, e.g. ``chapters/data.md``."""
    sources = (source_of(root, page) for page in toc_files(root / "_toc.yml"))
    return [str(s.relative_to(root)) for s in sources if is_notebook(s)]


def screenshot_name(chapter: str) -> str:
    """``chapters/data.md`` -> ``data``; deeper folders are joined with '-'."""
    parts = Path(chapter).with_suffix("").parts
    return "-".join(parts[1:] if parts[0] == "chapters" and len(parts) > 1 else parts)


CHAPTERS = notebook_chapters(ROOT)


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
    """A JupyterLab application folder whose assets link to the venv's (no settings yet)."""
    from jupyterlab.commands import get_app_dir

    real = Path(get_app_dir())
    dest.mkdir(parents=True)
    for name in ("static", "schemas", "themes"):
        if (real / name).exists():
            (dest / name).symlink_to(real / name, target_is_directory=True)
    return dest


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


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab serving a copy of the repository, set up the way Binder sets it up."""
    tmp = tmp_path_factory.mktemp("lab")
    repo = tmp / "repo"
    shutil.copytree(ROOT, repo, ignore=lambda _dir, names: [n for n in names if n in COPY_SKIP])
    app_dir = throwaway_app_dir(tmp / "lab-app")
    env = binder_env(tmp, app_dir, repo)
    done = run_postbuild(repo, env)
    assert done.returncode == 0, f"postBuild failed:\n{done.stdout}\n{done.stderr}"

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
        except RuntimeError:
            if "address already in use" not in server.log_tail().lower():
                pytest.fail(f"JupyterLab did not start:\n{server.log_tail()}")
        except TimeoutError:
            stop(process)
            pytest.fail(f"JupyterLab did not start in {SERVER_START} s:\n{server.log_tail()}")
    else:
        pytest.fail(f"JupyterLab found no free port:\n{server.log_tail()}")
    try:
        yield server
    finally:
        stop(process)


# -- postBuild on its own ------------------------------------------------------------------------


def test_postbuild_is_an_executable_bash_script() -> None:
    script = ROOT / "postBuild"
    assert script.is_file(), "postBuild is missing at the repository root (Binder runs it)"
    assert os.access(script, os.X_OK), "postBuild must be executable (chmod +x) for repo2docker"
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


def test_jupytext_registers_the_factory_postbuild_names() -> None:
    """The viewer name in postBuild is the document factory jupyterlab-jupytext registers."""
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    bundles = "".join(p.read_text(errors="replace") for p in extension.glob("static/*.js"))
    assert f'"{JUPYTEXT_FACTORY}"' in bundles, f"{extension} registers no {JUPYTEXT_FACTORY!r}"
    assert '"markdown","myst"' in bundles, "jupytext no longer lists the markdown/myst file types"
    assert JUPYTEXT_FACTORY in (ROOT / "postBuild").read_text(encoding="utf-8")


def test_postbuild_merges_into_existing_overrides_and_is_idempotent(tmp_path: Path) -> None:
    app_dir = throwaway_app_dir(tmp_path / "lab-app")
    env = binder_env(tmp_path, app_dir, ROOT)
    overrides = app_dir / "settings" / "overrides.json"
    overrides.parent.mkdir()
    existing = {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        DOCMANAGER: {"defaultViewers": {"python": "Editor"}, "autosave": False},
    }
    overrides.write_text(json.dumps(existing), encoding="utf-8")

    first = run_postbuild(ROOT, env)
    assert first.returncode == 0, first.stderr
    merged = json.loads(overrides.read_text(encoding="utf-8"))
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert merged[DOCMANAGER] == {
        "defaultViewers": {
            "python": "Editor",
            "markdown": JUPYTEXT_FACTORY,
            "myst": JUPYTEXT_FACTORY,
        },
        "autosave": False,
    }
    written = overrides.read_bytes()
    second = run_postbuild(ROOT, env)
    assert second.returncode == 0, second.stderr
    assert overrides.read_bytes() == written, "a second postBuild run changed overrides.json"


# -- the server and the browser ------------------------------------------------------------------


def test_server_serves_the_postbuild_default_viewers(lab: Lab) -> None:
    """JupyterLab reads the overrides postBuild wrote (markdown -> Jupytext Notebook)."""
    assert (lab.app_dir / "settings" / "overrides.json").is_file()
    settings = lab.api(f"/lab/api/settings/{DOCMANAGER}")
    defaults = settings["schema"]["properties"]["defaultViewers"]["default"]
    assert defaults.get("markdown") == JUPYTEXT_FACTORY, defaults
    assert defaults.get("myst") == JUPYTEXT_FACTORY, defaults


def test_toc_has_notebook_chapters() -> None:
    assert CHAPTERS, "no notebook chapter found in _toc.yml"


_CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_OPENED = f"""path => {{
  const w = {_CURRENT};
  return !!(w && w.context && w.context.path === path && w.content && w.content.widgets
            && w.sessionContext);
}}"""
_KERNEL_IDLE = f"""() => {{
  const s = ({_CURRENT}).sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle');
}}"""
_RUN_DONE = f"""() => {{
  const w = {_CURRENT};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || w.sessionContext.pendingInput) return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || cells.every(c => c.model.executionCount !== null);
}}"""
_TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
_REPORT = f"""() => {{
  const w = {_CURRENT};
  return w.content.widgets.filter(c => c.model.type === 'code').map((c, i) => ({{
    index: i,
    count: c.model.executionCount,
    source: c.model.sharedModel.getSource().slice(0, 120),
    errors: c.model.outputs.toJSON().filter(o => o.output_type === 'error')
               .map(o => `${{o.ename}}: ${{o.evalue}}`),
  }}));
}}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_as_a_notebook_and_runs(lab: Lab, browser, chapter: str) -> None:
    """Open the launch button's URL path, run all cells, expect no error anywhere."""
    url = f"{lab.url}/lab/tree/{chapter}?token={lab.token}"
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        page.goto(url, wait_until="domcontentloaded", timeout=LAB_LOAD * 1000)
        # Wait for whichever document opens: a notebook (expected) or the text editor.
        page.wait_for_selector(
            ".jp-NotebookPanel, .jp-FileEditor", state="visible", timeout=LAB_LOAD * 1000
        )
        editors = page.locator(".jp-FileEditor").count()
        assert editors == 0, (
            f"{chapter} opened in the text editor, not as a notebook: is postBuild's "
            "defaultViewers override in place?"
        )
        try:
            page.wait_for_function(_OPENED, arg=chapter, timeout=LAB_LOAD * 1000)
        except Exception as error:
            raise AssertionError(
                f"{chapter}: the current widget is not its notebook; page errors: {page_errors}"
            ) from error

        page.wait_for_function(_KERNEL_IDLE, timeout=LAB_LOAD * 1000, polling=250)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(_RUN_DONE, timeout=RUN_ALL * 1000, polling=250)
        except Exception as error:
            raise AssertionError(
                f"{chapter}: cells still running after {RUN_ALL} s: {page.evaluate(_REPORT)}"
            ) from error

        cells = page.evaluate(_REPORT)
        failed = [cell for cell in cells if cell["errors"]]
        assert not failed, f"{chapter}: cells raised: {json.dumps(failed, indent=1)}"
        not_run = [cell["index"] for cell in cells if cell["count"] is None]
        assert not not_run, f"{chapter}: code cells not run: {not_run}"
        # JupyterLab renders an error with the stderr MIME type, so look for the traceback too.
        shown = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], '
            '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"], '
            '.jp-OutputArea-output:has-text("Traceback (most recent call last)")'
        )
        assert shown.count() == 0, f"{chapter}: error output shown: {shown.first.inner_text()}"

        # The screenshot shows the first chart if there is one, else the top of the notebook.
        charts = page.locator(
            ".jp-NotebookPanel .jp-RenderedSVG, .jp-NotebookPanel .jp-RenderedImage"
        )
        if charts.count():
            charts.first.scroll_into_view_if_needed(timeout=30_000)
            expect(charts.first).to_be_in_viewport(timeout=30_000)
        # Cells use CSS content-visibility: let the browser paint the scrolled-to cells.
        page.evaluate(_TWO_FRAMES)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"lab-{screenshot_name(chapter)}.png"))
    finally:
        context.close()
        # Stop this chapter's kernel (the next chapter gets the CPU to itself) and forget the
        # layout, so the next chapter starts from an empty workspace as a fresh Binder session.
        for session in lab.api("/api/sessions") or []:
            lab.api(f"/api/sessions/{session['id']}", method="DELETE")
        try:
            lab.api("/lab/api/workspaces/default", method="DELETE")
        except urllib.error.HTTPError:
            pass
