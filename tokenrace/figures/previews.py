"""Link previews: Open Graph and Twitter-card metadata, with a PNG of the page's headline chart.

While the book build executes the chapters, :func:`save_png` writes each chapter's headline
chart (named in :data:`HEADLINE_CHARTS`, never merely the first one drawn) as a PNG into the
folder named by ``$TOKENRACE_PREVIEWS`` (set by ``_ext/tokenrace_book.py``, a folder keyed like
the execution cache, so a cached chapter's PNG stays valid). The build copies the PNG of each
page's headline chart to ``_previews/`` of the site, and :func:`meta_tags` writes the page's
``og:*`` and ``twitter:*`` tags with absolute URLs under the site's URL.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

#: Environment variable naming the folder where the book build's charts are saved as PNG.
PREVIEWS_ENV = "TOKENRACE_PREVIEWS"
#: Folder of the site that holds the preview images.
SITE_FOLDER = "_previews"
#: Resolution of the preview PNGs (dots per inch; the charts are 5.2 inches wide, about 780 px).
DPI = 150
#: The headline chart of each page that has charts, by name: its link preview's image. The race
#: opens with the essay's first chart, the weekly volume.
HEADLINE_CHARTS: dict[str, str] = {
    "chapters/race": "fig-race-total",
    "chapters/open-secret": "fig-open-labs",
    "chapters/fork": "fig-fork-share",
    "chapters/humanist": "fig-humanist-cost-usage",
    "chapters/data": "fig-data-total",
    "chapters/claims": "fig-claims-robustness",
}
#: Longest description, in characters.
DESCRIPTION_CHARS = 200


def save_png(fig, name: str) -> Path | None:
    """Save ``fig`` as ``<$TOKENRACE_PREVIEWS>/<name>.png`` if it is a headline chart
    (:data:`HEADLINE_CHARTS`; drawing a PNG costs as much as the SVG); nothing outside the book
    build."""
    folder = os.environ.get(PREVIEWS_ENV, "").strip()
    if not folder or name not in HEADLINE_CHARTS.values():
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    return path


def pages_url(repository_url: str | None) -> str | None:
    """The GitHub Pages URL of a GitHub repository's site, ending in ``/``; None otherwise.

    ``https://github.com/org/repo`` gives ``https://org.github.io/repo/``.
    """
    match = re.match(r"^https://github\.com/([\w.-]+)/([\w.-]+?)/?$", repository_url or "")
    if not match:
        return None
    owner, repo = match.groups()
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{repo.lower()}/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def describe(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """A description of at most ``limit`` characters: whole words, an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def meta_tags(
    *,
    title: str,
    description: str,
    site_name: str,
    site_url: str | None,
    page_path: str,
    image: str | None,
    image_alt: str,
) -> str:
    """The Open Graph and Twitter-card ``<meta>`` tags of one page.

    ``page_path`` and ``image`` are paths inside the site (``chapters/race.html``,
    ``_previews/fig-race-total.png``); with no ``site_url`` the URL and image tags, which must
    be absolute, are left out.
    """
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", site_name),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if site_url:
        tags.append(("property", "og:url", site_url + page_path))
    if site_url and image:
        tags += [
            ("property", "og:image", site_url + image),
            ("property", "og:image:type", "image/png"),
            ("property", "og:image:alt", image_alt),
            ("name", "twitter:card", "summary_large_image"),
            ("name", "twitter:image", site_url + image),
            ("name", "twitter:image:alt", image_alt),
        ]
    else:
        tags.append(("name", "twitter:card", "summary"))
    return "".join(
        f'<meta {kind}="{key}" content="{html.escape(value, quote=True)}" />\n'
        for kind, key, value in tags
    )
