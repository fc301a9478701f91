"""Local Sphinx extension of the book "The race".

It does these things, most of them when a build starts (Sphinx ``config-inited``):

1. **Snapshot check.** Validates the snapshot in use (``$TOKENRACE_DATA``, else the folder named
   by the book's ``snapshot.yml``, normally ``data/``) and stops the build with the validator's
   messages, before any notebook runs, if it breaks the contract.
2. **Data-keyed execution cache.** jupyter-cache hashes code cells only, so a data change (or a
   change to the ``tokenrace`` package the cells call) would otherwise leave stale numbers. The
   cache folder is keyed by the snapshot's fingerprint and the package's source, and the key is an
   "env" config value: a different snapshot re-reads and re-executes every notebook, and
   returning to an earlier snapshot reuses its cache. The HTML and single-page (PDF) builds share
   ``_build/.doctrees``, so each output folder also records the key its pages were written with
   (``.tokenrace-key``): a build whose folder holds another key re-reads and rewrites every page,
   even when the other builder has already brought the shared environment up to date.
3. **Parallel execution.** Notebooks missing from the cache are executed ahead of Sphinx, two per
   core, in kernels forked from a server that has imported their libraries; the claims' evidence
   is drawn from the build's start (``parallel_execute.py``, ``forked_kernels.py``).
4. **Citation.** The landing page's "Cite this report" comes from ``CITATION.cff``, the
   snapshot's ``as_of`` and, when the checkout has them, its commit and remote.
5. **Repository and launch links from the checkout.** The repository URL comes from
   ``git remote get-url origin`` and the branch from the current checkout, so a fork builds its
   own links. With no usable remote the book builds without repository and launch buttons and
   says so in the log; it never falls back to Jupyter Book's default URL.
6. **Charts readers can hover, and link previews** (``book_pages.py``): every chart's SVG is
   inlined into its page, with its titled data marks; every page gets Open Graph and Twitter-card
   tags whose image is a PNG of its headline chart; the landing page links the PDF edition when
   the build has one.
7. **Live numbers in the prose.** The ``{eval}`` role shows the values recorded when each
   notebook ran ahead, so the prose reads the same in the book and in JupyterLab
   (``inline_eval.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import book_pages
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from parallel_execute import execute_ahead, start_early, stop_early
from tokenrace.book import citation
from tokenrace.book.build_facts import substitutions
from tokenrace.figures.previews import PREVIEWS_ENV
from tokenrace.snapshot.layout import fingerprint, package_fingerprint
from tokenrace.snapshot.paths import BOOK_BUILD_ENV, DATA_ENV_VAR, VALIDATED_ENV, snapshot_dir

LOG = logging.getLogger(__name__)
BINDERHUB_URL = "https://mybinder.org"
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[\w./-]+?)(?:\.git)?/?$")
_HTTP = re.compile(
    r"^(?:https?|ssh|git)://(?:[^@/]+@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>[\w./-]+?)(?:\.git)?/?$"
)


def web_url(remote: str) -> str | None:
    """The https URL of a git remote on a web host, or None for local paths and odd remotes.

    ``git@github.com:org/repo.git`` and ``https://github.com/org/repo.git`` both give
    ``https://github.com/org/repo``.
    """
    remote = remote.strip()
    for pattern in (_HTTP, _SCP_LIKE):
        match = pattern.match(remote)
        if match and "." in match["host"] and "/" in match["path"]:
            return f"https://{match['host']}/{match['path']}"
    return None


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def repository_from_checkout(root: Path) -> tuple[str | None, str | None]:
    """(web URL of ``origin``, current branch) of the checkout at ``root``; None where unknown."""
    remote = _git(root, "remote", "get-url", "origin")
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")  # None when detached
    return (web_url(remote) if remote else None), branch


def _set_repository(config: Config, root: Path) -> None:
    url, branch = repository_from_checkout(root)
    options = dict(config.html_theme_options)
    launch = dict(options.get("launch_buttons") or {})
    if url and branch:
        options.update(
            repository_url=url,
            repository_branch=branch,
            use_repository_button=True,
            use_issues_button=False,
            use_edit_page_button=False,
        )
        launch.update(binderhub_url=BINDERHUB_URL, notebook_interface="jupyterlab")
        LOG.info(f"[tokenrace] repository {url} (branch {branch}): launch links for Binder")
    else:
        for key in ("repository_url", "repository_branch"):
            options.pop(key, None)
        options.update(
            use_repository_button=False, use_issues_button=False, use_edit_page_button=False
        )
        launch.update(binderhub_url="", jupyterhub_url="", colab_url="", thebe=False)
        why = "no git remote 'origin' with a web URL" if not url else "no current branch"
        LOG.info(f"[tokenrace] {why}: building without repository and launch buttons")
    options["launch_buttons"] = launch
    config.html_theme_options = options


def _set_citation(config: Config, root: Path) -> None:
    """The landing page's citation: CITATION.cff, the snapshot's date, the commit and remote."""
    url, _branch = repository_from_checkout(root)
    commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    modified = bool(commit and _git(root, "status", "--porcelain", "--untracked-files=no"))
    title, authors = citation.read_cff(root / "CITATION.cff")
    as_of = config.myst_substitutions["snapshot_as_of"]
    cite = citation.Citation(title, authors, as_of, commit=commit, url=url, modified=modified)
    config.myst_substitutions = {**config.myst_substitutions, **citation.substitutions(cite)}


def _check_snapshot(config: Config, build_dir: Path, srcdir: Path) -> None:
    from tokenrace.snapshot.paths import SettingError

    try:
        folder = snapshot_dir(root=srcdir)
    except SettingError as err:
        sys.stderr.write(f"\n{err}\nthe build stopped before any notebook ran\n")
        raise SystemExit(1) from None
    if not folder.is_dir():  # said before fingerprinting it, in the validator's format
        _validate_once(folder, build_dir / "never-written")
    digest = fingerprint(folder)
    code = package_fingerprint()
    key = hashlib.sha256(f"{digest}:{code}".encode()).hexdigest()[:16]
    base = Path(config.nb_execution_cache_path or build_dir / ".jupyter_cache")
    marker = base / f"validated-{key}"
    if config.nb_execution_mode == "cache" and not marker.is_file():
        start_early(folder, marker)  # on the other core, while this one checks the contract
    _validate_once(folder, marker)
    # The notebooks' loaders need not repeat the schema checks on these very bytes, and they run
    # in chapters/, so the folder (from $TOKENRACE_DATA or this book's snapshot.yml) is handed on
    # as an absolute path.
    os.environ[VALIDATED_ENV] = digest
    os.environ[DATA_ENV_VAR] = str(folder)
    # Pages without a kernel (editor's notes, reproduce) show the snapshot through substitutions.
    config.myst_substitutions = {**config.myst_substitutions, **substitutions(folder, digest)}
    config.tokenrace_data_fingerprint = key
    config.nb_execution_cache_path = str(base / f"data-{key}")
    # Kernels save each chart as PNG here; keyed like the cache, so cached chapters keep theirs.
    os.environ[PREVIEWS_ENV] = str(base / f"previews-{key}")
    LOG.info(
        f"[tokenrace] snapshot {folder} (data {digest[:16]}, package code {code[:16]}): "
        f"execution cache {key}"
    )


def _validate_once(folder: Path, marker: Path) -> None:
    """Validate the snapshot, unless these very bytes passed with this very code before."""
    if marker.is_file():
        LOG.info(f"[tokenrace] snapshot {folder} meets the data contract (checked before)")
        return
    from tokenrace.snapshot.load import check_snapshot, problem_report

    problems = check_snapshot(folder)
    if problems:
        outcome = "the build stopped before any notebook ran"
        sys.stderr.write(f"\n{problem_report(folder, problems, outcome)}\n")
        # SystemExit, not an exception: Jupyter Book would print its own traceback for those.
        raise SystemExit(1)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{folder}\n", encoding="utf-8")
    LOG.info(f"[tokenrace] snapshot {folder} meets the data contract")


def _on_config_inited(app: Sphinx, config: Config) -> None:
    # Kernels started by the build inherit this: charts are then published as MyST figures.
    os.environ[BOOK_BUILD_ENV] = "1"
    _check_snapshot(config, Path(app.outdir).parent, Path(app.srcdir))
    _set_repository(config, Path(app.srcdir))
    _set_citation(config, Path(app.srcdir))


#: In each output folder (``_build/html``, ``_build/singlehtml``): the execution-cache key its
#: pages were last written with.
OUTPUT_KEY_FILE = ".tokenrace-key"


def _pages_of_another_key(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Every page, when this builder's output was written with another key than the build's.

    Sphinx rewrites a page only when its source is newer than its output, or when the shared
    environment is re-read; after ``make pdf`` on new code or data, the HTML pages would otherwise
    keep the old numbers (the single-page build had already re-read the environment).
    """
    key = app.config.tokenrace_data_fingerprint
    written = Path(app.outdir) / OUTPUT_KEY_FILE
    if not key or (written.is_file() and written.read_text(encoding="utf-8").strip() == key):
        return []
    return sorted(env.found_docs)


def _record_output_key(app: Sphinx, exception: Exception | None) -> None:
    """Record the key of the pages just written (:func:`_pages_of_another_key`)."""
    key = app.config.tokenrace_data_fingerprint
    if exception is None and key:
        (Path(app.outdir) / OUTPUT_KEY_FILE).write_text(f"{key}\n", encoding="utf-8")


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Load each script once per page.

    Sphinx 7.4 adds the sphinx-thebe and sphinx-togglebutton scripts twice, and the second copy
    throws "Identifier 'THEBE_JS_URL' has already been declared" in the browser (fixed in
    Sphinx 8, which Jupyter Book 1 cannot use).
    """
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    """Register the extension."""
    app.add_config_value("tokenrace_data_fingerprint", "", "env")
    app.setup_extension("inline_eval")
    app.connect("config-inited", _on_config_inited, priority=900)
    app.connect("html-page-context", _drop_duplicate_scripts)
    # Only the documents Sphinx is about to read: a warm rebuild runs nothing.
    app.connect("env-before-read-docs", execute_ahead)
    app.connect("env-get-outdated", _pages_of_another_key)
    app.connect("build-finished", stop_early)
    app.connect("build-finished", _record_output_key)
    book_pages.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
