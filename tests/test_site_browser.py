"""The built book in a real browser: every page of ``_toc.yml``, as a reader's Chromium shows it.

The site (the ``book`` fixture's HTML) is served over http on 127.0.0.1 and every page of the toc
is opened in headless Chromium twice, at 1280 px and at 390 px wide (a phone). Checked per page:

- it loads with no console error, uncaught exception or failed (>= 400) request;
- every ``<img>`` loaded (``naturalWidth > 0``) and has meaningful alt text: not empty, not a
  file name or path, not an identifier such as ``fig-race-total``, not a generic word ("image",
  "png", ...);
- every same-origin link resolves: the target answers 200 and, for ``#anchor`` links, the target
  page has an element with that id (or name);
- launch links: a notebook chapter has one Binder link, to
  ``https://mybinder.org/v2/gh/<org>/<repo>/<branch>?urlpath=lab/tree/<path of the .md>``
  (org, repo and branch of the built checkout); no page has a Colab link; other pages have none;
- downloads: ``a[download]`` links are CSV data URIs (a header and rows of equal width); other
  ``data:`` links are the images' own links; the "download source" button gives the page's source
  file byte for byte, and on a notebook chapter the ".ipynb" button gives a notebook;
- at 390 px nothing overflows sideways: the page itself has no horizontal scroll, and every
  visible figure, image, table, code block and display equation lies within the viewport
  (+1 px for rounding) unless an ancestor scrolls horizontally (``overflow-x: auto|scroll``) and
  that ancestor fits. An ancestor with ``overflow-x: hidden`` does not count: it cuts content off.

Full-page screenshots at both widths go to ``<book>/_build/screenshots/<page>-<width>.png`` and are
copied to ``_build/screenshots/`` of the repository, where they are kept as artifacts.
"""

from __future__ import annotations

import base64
import csv
import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookbuild import is_notebook, source_of, toc_files

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOAD_TIMEOUT = 60_000  # ms
BINDERHUB = "https://mybinder.org"
GENERIC_ALT = {
    "chart",
    "diagram",
    "figure",
    "gif",
    "graph",
    "icon",
    "image",
    "img",
    "jpeg",
    "jpg",
    "logo",
    "photo",
    "picture",
    "plot",
    "png",
    "svg",
    "untitled",
}


# -- the pages (from _toc.yml, never a fixed list) ---------------------------------------------


PAGES = toc_files(ROOT / "_toc.yml")


def slug(page: str) -> str:
    return page.replace("/", "-")


# -- serving the site and driving the browser ----------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(book) -> Iterator[str]:
    """Base URL of the built HTML, served on 127.0.0.1 (free port) for the module."""
    handler = functools.partial(QuietHandler, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class View:
    """What one page showed at one viewport width."""

    url: str
    problems: list[str] = field(default_factory=list)  # console errors, exceptions, bad requests
    images: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    overflow: dict = field(default_factory=dict)
    screenshot: Path | None = None


_EAGER_IMAGES = """() => { for (const img of document.images) img.loading = 'eager'; }"""
_IMAGES_DONE = "() => [...document.images].every(img => img.complete)"
_IMAGES = """() => [...document.images].map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 100),
  alt: img.getAttribute('alt'),
  naturalWidth: img.naturalWidth,
}))"""
_LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => ({
  href: a.href,
  raw: a.getAttribute('href'),
  download: a.getAttribute('download'),
  classes: a.className || '',
  text: (a.innerText || a.title || '').trim().slice(0, 60),
}))"""
_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const fits = r => r.right <= width + 1 && r.left >= -1;
  const scrollingAncestor = el => {
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if ((x === 'auto' || x === 'scroll') && fits(a.getBoundingClientRect())) return a;
    }
    return null;
  };
  const describe = el => {
    const id = el.id || (el.closest('[id]') || {}).id || '';
    return `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : ''} in #${id}`;
  };
  const offenders = [];
  const selector = "figure, img, table, pre, mjx-container[display='true'], .cell_output";
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || fits(r) || scrollingAncestor(el)) continue;
    offenders.push(`${describe(el)}: left ${Math.round(r.left)}, right ${Math.round(r.right)}`);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, offenders};
}"""


def console_error(view: View, message) -> None:
    """Record a console error, except the browser's own /favicon.ico probe (the book declares no
    favicon, so Chromium asks for one at the site root; its 404 arrives at no fixed time)."""
    if message.type != "error":
        return
    if (message.location or {}).get("url", "").endswith("/favicon.ico"):
        return
    view.problems.append(f"console {message.type}: {message.text}")


@pytest.fixture(scope="module")
def visit(book, site: str, browser) -> Iterator[Callable[[str, dict], View]]:
    """``visit(page, viewport)``: open a page once per width, record it, save a screenshot."""
    shots = book.src / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = {}
    seen: dict[tuple[str, int], View] = {}

    def open_page(page_name: str, viewport: dict) -> View:
        key = (page_name, viewport["width"])
        if key in seen:
            return seen[key]
        if viewport["width"] not in contexts:
            contexts[viewport["width"]] = browser.new_context(viewport=viewport)
        page = contexts[viewport["width"]].new_page()
        page.set_default_timeout(LOAD_TIMEOUT)
        view = View(f"{site}/{page_name}.html")
        page.on("console", lambda message: console_error(view, message))
        page.on("pageerror", lambda e: view.problems.append(f"uncaught exception: {e}"))
        page.on(
            "requestfailed",
            lambda r: view.problems.append(f"request failed: {r.url[:120]} ({r.failure})"),
        )
        page.on(
            "response",
            lambda r: (
                view.problems.append(f"HTTP {r.status}: {r.url[:120]}") if r.status >= 400 else None
            ),
        )
        try:
            response = page.goto(view.url, wait_until="load")
            assert response is not None and response.ok, (
                f"{view.url}: {response and response.status}"
            )
            page.evaluate(_EAGER_IMAGES)
            page.wait_for_function(_IMAGES_DONE)
            page.evaluate("() => document.fonts.ready.then(() => true)")
            view.images = page.evaluate(_IMAGES)
            view.links = page.evaluate(_LINKS)
            view.overflow = page.evaluate(_OVERFLOW)
            name = f"{slug(page_name)}-{viewport['width']}.png"
            view.screenshot = shots / name
            page.screenshot(path=str(view.screenshot), full_page=True)
            if shots.resolve() != ARTIFACTS.resolve():
                shutil.copy2(view.screenshot, ARTIFACTS / name)
        finally:
            page.close()
        seen[key] = view
        return view

    try:
        yield open_page
    finally:
        for context in contexts.values():
            context.close()


@dataclass
class Fetched:
    status: int
    content_type: str
    body: bytes

    @functools.cached_property
    def anchors(self) -> set[str]:
        soup = BeautifulSoup(self.body.decode("utf-8", errors="replace"), "html.parser")
        ids = {tag["id"] for tag in soup.find_all(id=True)}
        return ids | {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}


@pytest.fixture(scope="module")
def fetch() -> Callable[[str], Fetched]:
    """GET a URL of the served site (cached for the module)."""

    @functools.cache
    def get(url: str) -> Fetched:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return Fetched(
                    response.status, response.headers.get_content_type(), response.read()
                )
        except urllib.error.HTTPError as error:
            return Fetched(error.code, "", b"")

    return get


def git(src: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=src, capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


@pytest.fixture(scope="module")
def binder_prefix(book) -> str:
    """``https://mybinder.org/v2/gh/<org>/<repo>/<branch>`` of the built checkout."""
    remote = git(book.src, "remote", "get-url", "origin")
    branch = git(book.src, "symbolic-ref", "--short", "HEAD")
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", remote)
    assert match, f"the book fixture's remote is not a GitHub https URL: {remote}"
    return f"{BINDERHUB}/v2/gh/{match[1]}/{match[2]}/{branch}"


def same_origin(site: str, href: str) -> bool:
    return href.startswith(site + "/")


# -- the tests ------------------------------------------------------------------------------------


def test_toc_pages_are_built_and_in_the_navigation(book, site: str, fetch) -> None:
    """The sidebar of the root page links every toc page (so the parametrized list is complete)."""
    pages = toc_files(book.src / "_toc.yml")
    assert pages == PAGES, "the book fixture was built from another _toc.yml than tests see"
    for page in pages:
        assert (book.html / f"{page}.html").is_file(), f"{page}.html was not built"
    root = f"{site}/{pages[0]}.html"
    soup = BeautifulSoup(fetch(root).body, "html.parser")
    linked = {
        urllib.parse.urljoin(root, a["href"]).split("#")[0]
        for a in soup.select("nav.bd-docs-nav a.reference.internal[href]")
    }
    expected = {f"{site}/{page}.html" for page in pages[1:]}
    assert expected <= linked, f"pages missing from the navigation: {sorted(expected - linked)}"


def test_index_redirects_to_the_root_page(site: str, browser) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{site}/index.html", wait_until="load", timeout=LOAD_TIMEOUT)
        page.wait_for_url(f"{site}/{PAGES[0]}.html", timeout=LOAD_TIMEOUT)
    finally:
        context.close()


#: Causes of problems seen with this stack (message fragment -> cause and fix), quoted on failure.
KNOWN_CAUSES = {
    "THEBE_JS_URL": "Sphinx 7.4 emits inline scripts added after builder init twice "
    "(sphinx-doc/sphinx#13402, fixed in Sphinx 8): drop duplicate entries of "
    "context['script_files'] in an html-page-context handler of _ext/tokenrace_book.py",
    "invalid theme mode": "pydata-sphinx-theme needs html_context default_mode "
    "(sphinx: config: html_context: {default_mode: light} in _config.yml)",
}


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(visit, page: str) -> None:
    for viewport in (DESKTOP, PHONE):
        view = visit(page, viewport)
        hints = [f"  ({cause})" for key, cause in KNOWN_CAUSES.items() if key in str(view.problems)]
        assert not view.problems, f"{view.url} at {viewport['width']} px:\n" + "\n".join(
            view.problems + hints
        )


@pytest.mark.parametrize("page", PAGES)
def test_images_load_and_have_meaningful_alt_text(visit, page: str) -> None:
    view = visit(page, DESKTOP)
    broken = [img["src"] for img in view.images if img["naturalWidth"] <= 0]
    assert not broken, f"{view.url}: images that did not load: {broken}"
    bad = []
    for img in view.images:
        alt = " ".join((img["alt"] or "").split())
        if (
            not alt
            or alt.lower().strip(".") in GENERIC_ALT
            or re.search(r"\.(png|jpe?g|gif|svg|webp|bmp|pdf)$", alt, re.IGNORECASE)
            or "/" in alt
            or alt.startswith("data:")
            or (re.fullmatch(r"[\w.-]+", alt) and re.search(r"[-_.]", alt))
        ):
            bad.append(f"{img['src'][:60]}: alt={img['alt']!r}")
    assert not bad, f"{view.url}: images without meaningful alt text:\n" + "\n".join(bad)


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(visit, site: str, fetch, page: str) -> None:
    view = visit(page, DESKTOP)
    broken = []
    for link in view.links:
        if not same_origin(site, link["href"]):
            continue
        target, _, fragment = link["href"].partition("#")
        got = fetch(target)
        if got.status != 200:
            broken.append(f"{link['raw']} -> HTTP {got.status}")
            continue
        anchor = urllib.parse.unquote(fragment)
        if anchor and got.content_type == "text/html" and anchor not in got.anchors:
            broken.append(f"{link['raw']} -> no id {anchor!r} in {target}")
    assert not broken, f"{view.url}: broken internal links:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", PAGES)
def test_launch_links(book, visit, binder_prefix: str, page: str) -> None:
    view = visit(page, DESKTOP)
    colab = [x["href"] for x in view.links if "colab" in (x["href"] + x["classes"]).lower()]
    assert not colab, f"{view.url}: Colab cannot open MyST notebooks, yet links to it: {colab}"
    binder = [x["href"] for x in view.links if x["href"].startswith(BINDERHUB)]
    source = source_of(book.src, page)
    if not is_notebook(source):
        assert not binder, f"{view.url} is not a notebook but has launch links: {binder}"
        return
    path = source.relative_to(book.src).as_posix()
    expected = f"{binder_prefix}?urlpath=lab/tree/{path}"
    assert binder == [expected], f"{view.url}: Binder links {binder}, expected [{expected}]"


@pytest.mark.parametrize("page", PAGES)
def test_download_links(book, visit, site: str, fetch, page: str) -> None:
    view = visit(page, DESKTOP)
    problems = []
    for link in view.links:
        href = link["raw"] or ""
        if link["download"] is not None:
            problems += check_csv_download(link)
        elif href.startswith("data:") and not (
            href.startswith("data:image/") and "image-reference" in link["classes"]
        ):
            problems.append(f"data: link that is neither an image nor a download: {href[:60]}")

    source = source_of(book.src, page)
    sources = [x for x in view.links if "btn-download-source-button" in x["classes"]]
    if len(sources) != 1:
        problems.append(f"{len(sources)} 'download source' buttons, expected 1")
    for link in sources:
        got = fetch(link["href"])
        if got.status != 200 or not same_origin(site, link["href"]):
            problems.append(f"source download {link['raw']} -> HTTP {got.status}")
        elif got.body != source.read_bytes():
            problems.append(f"source download {link['raw']} is not {source.name}")
    notebooks = [x for x in view.links if "btn-download-notebook-button" in x["classes"]]
    if is_notebook(source) and len(notebooks) != 1:
        problems.append(f"{len(notebooks)} '.ipynb' download buttons, expected 1")
    for link in notebooks:
        got = fetch(link["href"])
        if got.status != 200 or not link["href"].endswith(".ipynb"):
            problems.append(f"notebook download {link['raw']} -> HTTP {got.status}")
            continue
        notebook = json.loads(got.body)
        if notebook.get("nbformat") != 4 or not notebook.get("cells"):
            problems.append(f"notebook download {link['raw']} is not a notebook with cells")
    assert not problems, f"{view.url}:\n" + "\n".join(problems)


def check_csv_download(link: dict) -> list[str]:
    """Problems of one ``a[download]`` chart-data link (a base64 CSV data URI)."""
    prefix = "data:text/csv;base64,"
    href, name = link["raw"] or "", link["download"]
    if not href.startswith(prefix):
        return [f"download {name!r} is not a CSV data URI: {href[:40]}"]
    if not name.endswith(".csv") or name == ".csv":
        return [f"download name {name!r} does not end in .csv"]
    try:
        rows = list(csv.reader(io.StringIO(base64.b64decode(href[len(prefix) :]).decode())))
    except (ValueError, UnicodeDecodeError) as error:
        return [f"download {name}: not base64 UTF-8 CSV ({error})"]
    if len(rows) < 2 or not all(rows[0]):
        return [f"download {name}: no header and data rows"]
    widths = {len(row) for row in rows}
    return [] if len(widths) == 1 else [f"download {name}: rows of different widths {widths}"]


@pytest.mark.parametrize("page", PAGES)
def test_nothing_overflows_on_a_phone(visit, page: str) -> None:
    view = visit(page, PHONE)
    overflow = view.overflow
    assert not overflow["offenders"], (
        f"{view.url} at {PHONE['width']} px: elements overflow the viewport "
        f"({overflow['width']} px) outside any horizontally scrolling container:\n"
        + "\n".join(overflow["offenders"])
    )
    assert overflow["scrollWidth"] <= overflow["width"] + 1, (
        f"{view.url} at {PHONE['width']} px scrolls sideways: "
        f"{overflow['scrollWidth']} px wide in a {overflow['width']} px viewport"
    )


@pytest.mark.parametrize("page", PAGES)
def test_screenshots_saved(visit, page: str) -> None:
    for viewport in (DESKTOP, PHONE):
        view = visit(page, viewport)
        assert view.screenshot and view.screenshot.stat().st_size > 0
        assert (ARTIFACTS / view.screenshot.name).is_file()
