"""The PDF edition: the whole book as one PDF, to print or attach (``make pdf``).

The book is built as a single page (Jupyter Book's ``singlehtml`` builder, strict flags, the same
execution cache as the HTML build), then Debian's Chromium prints that page through Playwright:
A4, the charts as vector SVG, page numbers in the footer, each chapter on a new page. Nothing is
downloaded: no browser, no TeX. The PDF is written to ``_build/pdf/the-race.pdf``; the HTML build
that follows copies it into the site and links it from the landing page (``_ext/book_pages.py``).

Run ``python -m tokenrace.book.edition [BOOK_FOLDER]``; a failure names the file or folder at fault.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tokenrace.snapshot.paths import REPO_ROOT

#: File name of the PDF edition, in ``_build/pdf/`` and at the root of the HTML site.
PDF_NAME = "the-race.pdf"
#: Debian's Chromium (never a downloaded browser); ``$TOKENRACE_CHROMIUM`` overrides it.
CHROMIUM = os.environ.get("TOKENRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STRICT = ["-W", "-n", "--keep-going"]
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def pdf_in_build(build_dir: Path) -> Path:
    """Where ``make pdf`` writes the PDF under a book's ``_build`` folder."""
    return Path(build_dir) / "pdf" / PDF_NAME


def single_page(book: Path) -> Path:
    """The single-page build's HTML file: the root document of ``_toc.yml`` (``index.html`` is
    only a redirect to it)."""
    import yaml

    toc = yaml.safe_load((Path(book) / "_toc.yml").read_text(encoding="utf-8"))
    root = Path(str(toc["root"])).with_suffix("").as_posix()
    return Path(book) / "_build" / "singlehtml" / f"{root}.html"


def build(book: Path, builder: str = "singlehtml") -> subprocess.CompletedProcess:
    """Build ``book`` with Jupyter Book's ``builder`` and the strict flags of ``make book``."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jupyter_book), "build", ".", "--builder", builder, *STRICT],
        cwd=book,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def print_pdf(page: Path, pdf: Path, chromium: str = CHROMIUM) -> None:
    """Print the HTML file ``page`` to ``pdf`` (A4, backgrounds, page numbers) with Chromium."""
    from playwright.sync_api import sync_playwright

    pdf.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(page.resolve().as_uri(), wait_until="load", timeout=120_000)
            tab.emulate_media(media="print")
            tab.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=FOOTER,
                margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
                outline=True,
                tagged=True,
            )
        finally:
            browser.close()


def _problem(what: str | Path, detail: str) -> str:
    return f"{what}: {detail}; no PDF was written.\n"


def main(argv: list[str] | None = None) -> int:
    """Build the single page, print it, then rebuild the site so it links the PDF.

    0 on success; 1 with a message naming what failed otherwise.
    """
    args = sys.argv[1:] if argv is None else argv
    book = Path(args[0]).resolve() if args else REPO_ROOT
    if not Path(CHROMIUM).exists():
        sys.stderr.write(_problem(CHROMIUM, "missing: run `make system-deps` (Debian chromium)"))
        return 1
    start = time.monotonic()
    pdf = pdf_in_build(book / "_build")
    for step in ("singlehtml", "print", "html"):
        if step == "print":
            print_pdf(single_page(book), pdf)
            print(f"==> PDF edition: {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
            continue
        print(f"==> Building the book ({step})", flush=True)
        built = build(book, step)
        if built.returncode != 0:
            sys.stderr.write(built.stdout[-4000:] + built.stderr[-4000:])
            where = book / "_build" / step
            sys.stderr.write(_problem(where, f"the strict build failed (exit {built.returncode})"))
            return 1
    print(f"==> The site links it: {book / '_build' / 'html' / PDF_NAME}")
    print(f"==> Done in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
