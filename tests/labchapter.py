"""Drive one chapter in JupyterLab from Chromium: open it, run all cells, read what a reader sees.

:func:`run_chapter` opens a chapter at the URL path its Binder launch button targets
(``/lab/tree/<path>``), runs all cells, waits until every Markdown cell's ``{eval}`` expressions
have been evaluated by the kernel (jupyterlab-myst stores their results in the cell's
``user_expressions`` metadata) and every rich value is drawn, and returns the code cells'
report, the prose paragraphs as shown and a screenshot of the first paragraph with a number in
it. ``edit`` may change a cell and run all again, to see the prose follow.
"""

from __future__ import annotations

import time
import urllib.error
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labserver import Lab

LAB_LOAD = 120
RUN_ALL = 300
#: Time for the Markdown cells' expressions after the code cells ran (or after an edit).
PROSE_READY = 120
#: A cell whose results have all arrived but whose rich values stay undrawn this long is drawn
#: again (see :func:`_wait_for_prose`).
REDRAW_AFTER = 15
#: The prose must read the same, with nothing pending, for this long before it is read.
QUIET = 1.0
POLL = 0.25

#: The prose paragraphs of the rendered Markdown cells (CSS selector).
PARAGRAPHS = ".jp-MarkdownCell .jp-InputArea > .myst > p"
_CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
OPENED = f"""path => {{
  const w = {_CURRENT};
  return !!(w && w.context && w.context.path === path && w.content && w.content.widgets
            && w.sessionContext);
}}"""
KERNEL_IDLE = f"""() => {{
  const s = ({_CURRENT}).sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle');
}}"""
RUN_DONE = f"""() => {{
  const w = {_CURRENT};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || w.sessionContext.pendingInput) return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || cells.every(c => c.model.executionCount !== null);
}}"""
#: What keeps the prose from being read: per Markdown cell with an ``{{eval}}``, results missing,
#: "Unexecuted inline expression" shown, or a rich value (Markdown, HTML: jupyterlab-myst draws it
#: in a ``.myst-RenderedExpression`` widget, some time after its result arrives) not drawn. Each
#: occurrence in the source counts (the same expression twice is drawn twice); a value whose text
#: is empty may stay empty. Returns ``{{kernel, pending: [{{cell, why}}], prose}}``.
PROSE_STATE = f"""() => {{
  const w = {_CURRENT};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const role = /\\{{eval\\}}(`+)([\\s\\S]+?)\\1/g;
  const pending = [];
  w.content.widgets.forEach((c, index) => {{
    if (c.model.type !== 'markdown') return;
    const source = c.model.sharedModel.getSource();
    const found = Array.from(source.matchAll(role), m =>
      m[1].length > 1 && m[2].startsWith(' ') && m[2].endsWith(' ') ? m[2].slice(1, -1) : m[2]);
    if (!found.length) return;
    const results = new Map((c.model.getMetadata('user_expressions') || [])
      .map(e => [e.expression, e.result]));
    const missing = found.filter(e => !results.has(e));
    if (missing.length) {{
      pending.push({{cell: index, why: `no result for ${{missing.join(', ')}}`}});
      return;
    }}
    const rich = found.map(e => results.get(e))
      .filter(r => r.status === 'ok' && Object.keys(r.data || {{}}).some(k => k !== 'text/plain'));
    const blank = rich.filter(r => {{
      const d = r.data;
      const text = String(d['text/markdown'] ?? d['text/html'] ?? d['text/latex'] ?? 'x');
      return !text.replace(/<[^>]*>/g, '').trim();
    }}).length;
    const nodes = Array.from(c.node.querySelectorAll('.myst-RenderedExpression'));
    const empty = nodes.filter(n => !n.textContent.trim()).length;
    if (nodes.length !== rich.length || empty > blank) {{
      const why = `${{nodes.length - empty}} of ${{rich.length - blank}} rich values drawn `
        + `(${{nodes.length}} widgets for ${{rich.length}})`;
      pending.push({{cell: index, why}});
    }} else if (c.node.innerText.includes('Unexecuted inline expression')) {{
      pending.push({{cell: index, why: 'shows "Unexecuted inline expression"'}});
    }}
  }});
  const paragraphs = w.node.querySelectorAll('{PARAGRAPHS}');
  return {{
    kernel: kernel ? kernel.status : 'none',
    pending,
    prose: Array.from(paragraphs, p => p.textContent),
  }};
}}"""
#: Draw a Markdown cell again (what a reader does by running it): unrender, then render.
REDRAW = f"""index => {{
  const cell = ({_CURRENT}).content.widgets[index];
  cell.rendered = false;
  cell.rendered = true;
}}"""
FORGET_EXPRESSIONS = f"""() => ({_CURRENT}).content.widgets
  .filter(c => c.model.type === 'markdown')
  .forEach(c => c.model.deleteMetadata('user_expressions'))"""
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
REPORT = f"""() => {{
  const w = {_CURRENT};
  return w.content.widgets.filter(c => c.model.type === 'code').map((c, i) => ({{
    index: i,
    count: c.model.executionCount,
    source: c.model.sharedModel.getSource().slice(0, 120),
    errors: c.model.outputs.toJSON().filter(o => o.output_type === 'error')
               .map(o => `${{o.ename}}: ${{o.evalue}}`),
  }}));
}}"""
#: The prose paragraphs of the Markdown cells, as text, without footnote markers.
PROSE = f"""() => {{
  const w = {_CURRENT};
  const paragraphs = w.node.querySelectorAll('{PARAGRAPHS}');
  return Array.from(paragraphs).map(p => {{
    const copy = p.cloneNode(true);
    copy.querySelectorAll('sup, .footnote-reference').forEach(e => e.remove());
    return copy.textContent;
  }});
}}"""
#: Index of the first prose paragraph showing a kernel value: jupyterlab-myst renders a
#: text/plain value as a bare <span>, a rich one in a .myst-RenderedExpression widget.
FIRST_WITH_VALUE = f"""() => Array.from(({_CURRENT}).node.querySelectorAll(
  '{PARAGRAPHS}')).findIndex(p =>
    !!p.querySelector('.myst-RenderedExpression')
    || Array.from(p.querySelectorAll('span')).some(s => s.attributes.length === 0
                                                    && /\\d/.test(s.textContent)))"""
#: The inline code of the Markdown cells (where an unevaluated expression would show).
INLINE_CODE = f"""() => Array.from(({_CURRENT}).node.querySelectorAll(
  '.jp-MarkdownCell .jp-InputArea > .myst code')).map(e => e.textContent)"""
#: The text of the code cells' outputs (captions, the claims' lists, tables).
OUTPUTS_TEXT = f"""() => Array.from(({_CURRENT}).node.querySelectorAll(
  '.jp-OutputArea-output')).map(e => e.innerText).join('\\n')"""
#: Footnote references rendered as links to their footnote (jupyterlab-myst: "[n]", the
#: footnote's text in a hover card).
FOOTNOTE_LINKS = f"""() => ({_CURRENT}).node.querySelectorAll(
  '.jp-MarkdownCell .jp-InputArea > .myst a[href^="#fn-"]').length"""
#: Everything a reader sees of the Markdown cells (headings, footnotes, paragraphs).
MARKDOWN_TEXT = f"""() => Array.from(({_CURRENT}).node.querySelectorAll(
  '.jp-MarkdownCell .jp-InputArea > .myst')).map(e => e.innerText).join('\\n')"""
ERRORS_SHOWN = (
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], '
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"], '
    '.jp-OutputArea-output:has-text("Traceback (most recent call last)"), '
    '.jp-MarkdownCell [data-mime-type="application/vnd.jupyter.stderr"]'
)


@dataclass
class ChapterRun:
    """What a reader sees of one chapter after Run All in JupyterLab."""

    chapter: str
    opened_in_editor: bool = False
    cells: list[dict] = field(default_factory=list)
    errors_shown: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    markdown_text: str = ""
    inline_code: list[str] = field(default_factory=list)
    outputs_text: str = ""
    footnote_links: int = 0
    page_errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    edited_prose: list[str] | None = None
    #: Cells jupyterlab-myst left undrawn, drawn again by the wait (see ``_wait_for_prose``).
    redrawn: list[str] = field(default_factory=list)


def normal(text: str) -> str:
    """Text with runs of white space as single spaces (line breaks of the source and layout)."""
    return " ".join(text.split())


def _run_all(page, what: str) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=LAB_LOAD * 1000, polling=250)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(RUN_DONE, timeout=RUN_ALL * 1000, polling=250)
    except Exception as error:
        raise AssertionError(
            f"{what}: cells still running after {RUN_ALL} s: {page.evaluate(REPORT)}"
        ) from error


def _wait_for_prose(page, what: str) -> list[str]:
    """Wait until every Markdown cell's ``{eval}`` results have arrived and every rich value is
    drawn, and the prose has then read the same for :data:`QUIET` seconds.

    A cell whose results are all in but whose values stay undrawn for :data:`REDRAW_AFTER`
    seconds is drawn again, once, as a reader would by running it (jupyterlab-myst can leave a
    value undrawn when a cell re-renders under load). Returns a note per redrawn cell; raises
    with the pending cells after :data:`PROSE_READY` seconds.
    """
    notes: list[str] = []
    stuck_since: dict[int, float] = {}
    redrawn: set[int] = set()
    stable_since, last = None, None
    start = time.monotonic()
    while True:
        now = time.monotonic()
        state = page.evaluate(PROSE_STATE)
        pending = state["pending"]
        if state["kernel"] == "idle" and not pending:
            if state["prose"] != last:
                stable_since, last = now, state["prose"]
            elif now - stable_since >= QUIET:
                return notes
        else:
            stable_since, last = None, None
        drawing = {p["cell"]: p["why"] for p in pending if "values drawn" in p["why"]}
        for cell in list(stuck_since):
            if cell not in drawing:
                del stuck_since[cell]
        for cell, why in drawing.items():
            since = stuck_since.setdefault(cell, now)
            if now - since >= REDRAW_AFTER and cell not in redrawn:
                page.evaluate(REDRAW, cell)
                redrawn.add(cell)
                notes.append(f"{what}: cell {cell} drawn again after {REDRAW_AFTER} s ({why})")
        if now - start > PROSE_READY:
            raise AssertionError(
                f"{what}: prose not ready after {PROSE_READY} s "
                f"(kernel {state['kernel']}): {pending}"
            )
        page.wait_for_timeout(POLL * 1000)


def run_chapter(
    lab: Lab,
    browser,
    chapter: str,
    screenshot: Path | None = None,
    edit: Callable[[object], None] | None = None,
    chart_screenshot: Path | None = None,
) -> ChapterRun:
    """Open ``chapter`` in ``lab``, run all cells and read it (see the module docstring).

    ``screenshot`` gets the first prose paragraph showing a value, ``chart_screenshot`` the
    window scrolled to the first chart (or the top). ``edit(page)`` runs after the first read;
    then all cells run again and the prose is read into ``edited_prose``. The chapter's kernel
    is stopped and the workspace reset afterwards.
    """
    run = ChapterRun(chapter)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda error: run.page_errors.append(str(error)))
    try:
        url = f"{lab.url}/lab/tree/{chapter}?token={lab.token}"
        page.goto(url, wait_until="domcontentloaded", timeout=LAB_LOAD * 1000)
        page.wait_for_selector(
            ".jp-NotebookPanel, .jp-FileEditor", state="visible", timeout=LAB_LOAD * 1000
        )
        if page.locator(".jp-FileEditor").count():
            run.opened_in_editor = True
            return run
        try:
            page.wait_for_function(OPENED, arg=chapter, timeout=LAB_LOAD * 1000)
        except Exception as error:
            raise AssertionError(
                f"{chapter}: the current widget is not its notebook; page errors: {run.page_errors}"
            ) from error
        page.evaluate(FORGET_EXPRESSIONS)  # results saved in the file, if any, are not this run's
        _run_all(page, chapter)
        run.cells = page.evaluate(REPORT)
        if any(cell["errors"] for cell in run.cells):
            return run
        run.redrawn += _wait_for_prose(page, chapter)
        shown = page.locator(ERRORS_SHOWN)
        run.errors_shown = [shown.nth(i).inner_text() for i in range(shown.count())]
        run.prose = [normal(text) for text in page.evaluate(PROSE)]
        run.markdown_text = page.evaluate(MARKDOWN_TEXT)
        run.inline_code = page.evaluate(INLINE_CODE)
        run.outputs_text = page.evaluate(OUTPUTS_TEXT)
        run.footnote_links = page.evaluate(FOOTNOTE_LINKS)
        first = page.evaluate(FIRST_WITH_VALUE)
        if screenshot is not None and first >= 0:
            paragraph = page.locator(PARAGRAPHS).nth(first)
            paragraph.scroll_into_view_if_needed(timeout=30_000)
            page.evaluate(TWO_FRAMES)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            paragraph.screenshot(path=str(screenshot))
            run.screenshot = screenshot
        if chart_screenshot is not None:
            charts = page.locator(
                ".jp-NotebookPanel .jp-RenderedSVG, .jp-NotebookPanel .jp-RenderedImage"
            )
            if charts.count():
                charts.first.scroll_into_view_if_needed(timeout=30_000)
            page.evaluate(TWO_FRAMES)
            page.screenshot(path=str(chart_screenshot))
        if edit is not None:
            edit(page)
            page.evaluate(FORGET_EXPRESSIONS)  # so the wait below sees the new results
            _run_all(page, f"{chapter} (edited)")
            run.redrawn += _wait_for_prose(page, f"{chapter} (edited)")
            run.edited_prose = [normal(text) for text in page.evaluate(PROSE)]
        for note in run.redrawn:  # not hidden: the test report lists each one
            warnings.warn(note, stacklevel=2)
        return run
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


def set_cell_source(page, index: int, source: str) -> None:
    """Replace the source of the notebook's cell ``index`` (0-based, all cell types)."""
    page.evaluate(
        f"""([index, source]) => {{
          const w = {_CURRENT};
          w.content.widgets[index].model.sharedModel.setSource(source);
        }}""",
        [index, source],
    )


def cell_sources(page) -> list[str]:
    """The sources of the open notebook's cells, in order."""
    return page.evaluate(
        f"() => ({_CURRENT}).content.widgets.map(c => c.model.sharedModel.getSource())"
    )
