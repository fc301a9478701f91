"""The pages as readers and link previews see them (part of the ``tokenrace_book`` extension).

- **Charts inline.** Every chart, a base64 SVG ``<img>`` in the doctree, is written into its page
  as inline SVG (:func:`tokenrace.figures.hover.inline_svgs`), so the titles of its data marks show
  on hover and reach screen readers.
- **Link previews.** Every page gets Open Graph and Twitter-card tags
  (:func:`tokenrace.figures.previews.meta_tags`): its title, its first paragraph as description,
  and as image the PNG of its headline chart (named in
  :data:`tokenrace.figures.previews.HEADLINE_CHARTS`; pages without one use the headline chart of
  the first page in the table of contents that has one), copied from the kernels' PNGs to
  ``_previews/``. URLs are absolute: under
  ``html_baseurl`` if set, else the GitHub Pages URL of the repository (from the git remote);
  with neither, the tags that need an absolute URL are left out and the log says so.
- **PDF edition.** When ``_build/pdf/<PDF_NAME>`` exists (``make pdf``), the HTML build copies it
  into the site and the landing page links it; when it goes, both go.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from tokenrace.book.edition import PDF_NAME, pdf_in_build
from tokenrace.figures import hover, previews

LOG = logging.getLogger(__name__)
_SKIP_PARENTS = (
    nodes.caption,
    nodes.figure,
    nodes.footnote,
    nodes.citation,
    nodes.Admonition,
    nodes.table,
    nodes.field_list,
    nodes.line_block,
)


def _headlines(env) -> dict[str, tuple[str, str]]:
    if not hasattr(env, "tokenrace_headlines"):
        env.tokenrace_headlines = {}
    return env.tokenrace_headlines


def _record_headline(app: Sphinx, doctree: nodes.document) -> None:
    """Remember the page's headline chart, chosen by name: (figure name, alt text)."""
    headlines = _headlines(app.env)
    headlines.pop(app.env.docname, None)
    wanted = previews.HEADLINE_CHARTS.get(app.env.docname)
    for figure in doctree.findall(nodes.figure):
        names = [i for i in figure["ids"] if i == wanted]
        image = next(iter(figure.findall(nodes.image)), None)
        if names and image is not None and image["uri"].startswith("data:image/svg+xml"):
            headlines[app.env.docname] = (names[0], " ".join(image.get("alt", "").split()))
            return


def _purge(app: Sphinx, env, docname: str) -> None:
    _headlines(env).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    _headlines(env).update({d: v for d, v in _headlines(other).items() if d in set(docnames)})


def _pdf_outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Rewrite the landing page when the PDF edition appears, changes or goes."""
    pdf = pdf_in_build(Path(app.outdir).parent)
    state = (pdf.stat().st_size, pdf.stat().st_mtime_ns) if pdf.is_file() else None
    if getattr(env, "tokenrace_pdf_state", None) == state:
        return []
    env.tokenrace_pdf_state = state
    return [app.config.root_doc]


def description(doctree: nodes.document) -> str:
    """The page's first paragraph of prose (footnote marks left out), shortened."""
    for paragraph in doctree.findall(nodes.paragraph):
        parent, skip = paragraph.parent, False
        while parent is not None:
            if isinstance(parent, _SKIP_PARENTS):
                skip = True
                break
            parent = parent.parent
        if skip:
            continue
        copy = paragraph.deepcopy()
        for mark in list(copy.findall(nodes.footnote_reference)):
            mark.parent.remove(mark)
        text = " ".join(copy.astext().split())
        if len(text) >= 40:
            return previews.describe(text)
    return ""


def _toc_order(env, root: str) -> list[str]:
    order: list[str] = []

    def walk(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(root)
    return order


def _site_url(app: Sphinx) -> str | None:
    base = (app.config.html_baseurl or "").strip()
    if not base:
        base = previews.pages_url(app.config.html_theme_options.get("repository_url")) or ""
    if not base:
        return None
    return base if base.endswith("/") else base + "/"


def _preview_image(app: Sphinx, pagename: str) -> tuple[str | None, str]:
    """(site path of the page's preview PNG, its alt text), copying the PNG into the site."""
    headlines = _headlines(app.env)
    found = headlines.get(pagename)
    if found is None:
        first = [d for d in _toc_order(app.env, app.config.root_doc) if d in headlines]
        found = headlines[first[0]] if first else None
    if found is None:
        return None, ""
    name, alt = found
    source = Path(os.environ.get(previews.PREVIEWS_ENV, "")) / f"{name}.png"
    if not source.is_file():
        LOG.warning(
            f"[tokenrace] no preview image {source} for {pagename}: delete "
            "_build/.jupyter_cache and build again so the chapters draw their charts"
        )
        return None, ""
    target = Path(app.outdir) / previews.SITE_FOLDER / source.name
    if not target.is_file() or target.read_bytes() != source.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return f"{previews.SITE_FOLDER}/{source.name}", alt


def _pdf_link(app: Sphinx, body: str) -> str:
    pdf = pdf_in_build(Path(app.outdir).parent)
    target = Path(app.outdir) / PDF_NAME
    if not pdf.is_file():
        target.unlink(missing_ok=True)  # an earlier edition must not stay on the site
        return body
    shutil.copyfile(pdf, target)
    size = pdf.stat().st_size / 1e6
    link = (
        f'<p class="pdf-edition"><a class="reference external" href="{PDF_NAME}">'
        f"The whole report as one PDF</a> ({size:.1f} MB), to print or to attach.</p>\n"
    )
    return re.sub(r"(</h1>\s*)", lambda m: m.group(1) + link, body, count=1)


def _page_context(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    if "body" in context:
        context["body"] = hover.inline_svgs(context["body"])
        if app.builder.name == "html" and pagename == app.config.root_doc:
            context["body"] = _pdf_link(app, context["body"])
    if doctree is None:
        return
    site = _site_url(app)
    site_name = app.config.html_title or app.config.project
    image, alt = _preview_image(app, pagename)
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title") or "")).strip()
    tags = previews.meta_tags(
        title=title or site_name,
        description=description(doctree) or site_name,
        site_name=site_name,
        site_url=site,
        page_path=app.builder.get_target_uri(pagename),
        image=image,
        image_alt=alt,
    )
    context["metatags"] = context.get("metatags", "") + tags


def _report_site(app: Sphinx) -> None:
    site = _site_url(app)
    if site:
        LOG.info(f"[tokenrace] link previews under {site}")
    else:
        LOG.info("[tokenrace] no site URL (html_baseurl or a GitHub remote): previews without URLs")


def setup(app: Sphinx) -> None:
    """Connect the handlers (called by ``tokenrace_book.setup``)."""
    app.connect("doctree-read", _record_headline)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _pdf_outdated)
    app.connect("builder-inited", _report_site)
    app.connect("html-page-context", _page_context)
