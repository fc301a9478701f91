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
editor), runs all cells and checks every code cell ran without an error (``labchapter.py``).

Then the prose, as a reader of the notebook sees it: after Run All, every prose paragraph of each
chapter must read exactly as the same paragraph of the built book (numbers included: they are
``{eval}`` values, evaluated by jupyterlab-myst in the live kernel), with no raw role syntax,
format spec, expression or label in sight. On another snapshot (``$TOKENRACE_DATA`` pointing at
``tests/fixtures/contradicting``, a second server) the numbers change, alike in JupyterLab and in
a book built on that snapshot; and editing a cell, then running all again, changes the prose.

Each chapter runs once per snapshot. Screenshots go to ``_build/screenshots/``:
``lab-<name>.png`` (scrolled to the first chart) and ``lab-<name>-prose.png`` (the first prose
paragraph that shows a value).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from labchapter import cell_sources, normal, run_chapter, set_cell_source
from labserver import READER_VENV, Lab, binder_env, run_postbuild, start_lab, throwaway_app_dir

from bookbuild import Build, build_book, copy_tree, is_notebook, source_of, toc_files

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from inline_eval import expressions

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"
JUPYTEXT_FACTORY = "Jupytext Notebook"


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


# -- the server ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab serving a copy of the repository, set up the way Binder sets it up."""
    try:
        with start_lab(tmp_path_factory.mktemp("lab")) as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error))


# -- postBuild on its own ------------------------------------------------------------------------


def test_postbuild_is_an_executable_bash_script() -> None:
    script = ROOT / "postBuild"
    assert script.is_file(), "postBuild is missing at the repository root (Binder runs it)"
    assert os.access(script, os.X_OK), "postBuild must be executable (chmod +x) for repo2docker"
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


def test_jupytext_registers_the_factory_postbuild_names() -> None:
    """The viewer name in postBuild is the document factory jupyterlab-jupytext registers."""
    extension = READER_VENV / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
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


@pytest.fixture(scope="module")
def shipped(lab: Lab, browser):
    """Each chapter run once in JupyterLab on the shipped data (``runs(chapter)``), with a
    screenshot of its first paragraph with a number under ``_build/screenshots/``."""
    done = {}

    def runs(chapter: str):
        if chapter not in done:
            name = screenshot_name(chapter)
            done[chapter] = run_chapter(
                lab,
                browser,
                chapter,
                screenshot=SCREENSHOTS / f"lab-{name}-prose.png",
                chart_screenshot=SCREENSHOTS / f"lab-{name}.png",
            )
        return done[chapter]

    return runs


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_as_a_notebook_and_runs(shipped, chapter: str) -> None:
    """Open the launch button's URL path, run all cells, expect no error anywhere."""
    run = shipped(chapter)
    assert not run.opened_in_editor, (
        f"{chapter} opened in the text editor, not as a notebook: is postBuild's "
        "defaultViewers override in place?"
    )
    failed = [cell for cell in run.cells if cell["errors"]]
    assert not failed, f"{chapter}: cells raised: {json.dumps(failed, indent=1)}"
    not_run = [cell["index"] for cell in run.cells if cell["count"] is None]
    assert not not_run, f"{chapter}: code cells not run: {not_run}"
    assert not run.errors_shown, f"{chapter}: error output shown: {run.errors_shown[0]}"
    assert run.prose, f"{chapter}: no prose paragraph found in the rendered Markdown cells"


# -- the prose: live numbers, as in the book ---------------------------------------------------

FIXTURES = ROOT / "tests" / "fixtures"
CONTRADICTING = FIXTURES / "contradicting"
#: A format spec left in the text (``:.1f``, ``:,.0f``, ``:.0%``).
FORMAT_SPEC = re.compile(r":[,_]?\.\d+[fe%]")


def book_prose(build: Build, chapter: str) -> list[str]:
    """The prose paragraphs of ``chapter``'s page in the built book, as text, in order: the
    paragraphs of its Markdown, not of cell outputs, figures or footnotes; footnote markers out."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(build.page(str(Path(chapter).with_suffix(""))), "html.parser")
    body = page.select_one("main article") or page.select_one("main")
    found = []
    for paragraph in body.find_all("p"):
        if paragraph.find_parent(["figure", "aside", "nav", "footer", "table"]):
            continue
        if paragraph.find_parent(class_=re.compile(r"^(cell|footnote|admonition)")):
            continue
        for marker in paragraph.select("a.footnote-reference"):
            marker.decompose()
        found.append(normal(paragraph.get_text()))
    return found


def numbers(paragraphs: list[str]) -> list[str]:
    return re.findall(r"\d[\d,.]*\d|\d", " ".join(paragraphs))


def _differences(lab: list[str], book: list[str]) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(book, lab, "book", "JupyterLab", lineterm="", n=0))


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_prose_in_jupyterlab_reads_as_in_the_book(shipped, book: Build, chapter: str) -> None:
    """After Run All, every prose paragraph shows the book's text, numbers included."""
    run = shipped(chapter)
    expected = book_prose(book, chapter)
    assert numbers(expected), f"{chapter}: the book's prose has no number to compare"
    assert run.prose == expected, f"{chapter}:\n{_differences(run.prose, expected)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_raw_syntax_names_or_format_specs_in_jupyterlab(shipped, chapter: str) -> None:
    run = shipped(chapter)
    text = run.markdown_text
    assert text.strip(), f"{chapter}: no rendered Markdown"
    source = (ROOT / chapter).read_text(encoding="utf-8")
    shown = set(expressions(source))
    names = {n for n in shown if re.search(r"[._]", n)} | set(re.findall(r"<([\w-]+)>`", source))
    leaks = [name for name in sorted(names) if name in text]
    leaks += [code for code in run.inline_code if code in shown]
    leaks += [raw for raw in ("{", "}", "[^", "`") if raw in text]
    leaks += FORMAT_SPEC.findall(text)
    assert not leaks, f"{chapter}: a reader sees raw syntax or names: {leaks}"
    # Footnotes render: each reference is a link to its footnote, none shows as "[^n]".
    references = re.findall(r"\[\^\w+\](?!:)", source)
    assert run.footnote_links == len(references), (
        f"{chapter}: {run.footnote_links} footnote links for {len(references)} references"
    )
    # Captions and the claims' lists (Markdown outputs) neither: no role, no figure label.
    raw = re.findall(r"\{[\w:-]+\}|\bfig-[\w-]+", run.outputs_text)
    assert not raw, f"{chapter}: the outputs show raw roles or labels: {raw}"


def test_first_numbered_paragraph_is_screenshotted(shipped) -> None:
    for chapter in CHAPTERS:
        run = shipped(chapter)
        assert run.screenshot and run.screenshot.stat().st_size > 2000, chapter


@pytest.fixture(scope="module")
def contradicting_book(book: Build, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The book built on tests/fixtures/contradicting (``$TOKENRACE_DATA``)."""
    src = copy_tree(tmp_path_factory.mktemp("contra-book") / "src", remote=None)
    shutil.copytree(book.src / "_build" / ".jupyter_cache", src / "_build" / ".jupyter_cache")
    built = build_book(src, data=CONTRADICTING)
    assert built.returncode == 0, built.log[-3000:]
    return built


@pytest.fixture(scope="module")
def contradicting_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A second JupyterLab whose kernels read tests/fixtures/contradicting."""
    try:
        with start_lab(tmp_path_factory.mktemp("lab-contra"), data=CONTRADICTING) as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_other_data_changes_the_prose_alike_in_jupyterlab_and_the_book(
    shipped, contradicting_lab: Lab, contradicting_book: Build, browser, chapter: str
) -> None:
    run = run_chapter(contradicting_lab, browser, chapter)
    failed = [cell for cell in run.cells if cell["errors"]]
    assert not failed, f"{chapter}: cells raised on other data: {json.dumps(failed, indent=1)}"
    expected = book_prose(contradicting_book, chapter)
    assert run.prose == expected, f"{chapter}:\n{_differences(run.prose, expected)}"
    assert numbers(run.prose) != numbers(shipped(chapter).prose), (
        f"{chapter}: the prose numbers did not change with the data"
    )


def test_editing_a_cell_and_rerunning_updates_the_prose(lab: Lab, browser) -> None:
    """A reader points the data chapter's loading cell at another snapshot and runs all again."""
    chapter = "chapters/data.md"
    loading = "snapshot = tokenrace.load_snapshot()"

    def edit(page) -> None:
        sources = cell_sources(page)
        index = next(i for i, s in enumerate(sources) if loading in s)
        other = f"snapshot = tokenrace.load_snapshot({str(CONTRADICTING)!r})"
        set_cell_source(page, index, sources[index].replace(loading, other))

    run = run_chapter(lab, browser, chapter, edit=edit)
    assert run.edited_prose is not None and run.edited_prose != run.prose
    from tokenrace import load_snapshot
    from tokenrace.book import data_chapter

    cover = data_chapter.coverage(load_snapshot(CONTRADICTING))
    edited = " ".join(run.edited_prose)
    expected = (
        f"The snapshot runs from the week of {cover['first_week']} to the week of "
        f"{cover['last_week']}: {cover['weeks']} weeks, {cover['models']} listed models from "
        f"{cover['labs']} labs"
    )
    assert expected in edited, edited
