"""Facts about the build for the book's pages: the snapshot in use and the package versions.

Standard library only: the build extension turns these into MyST substitutions
(``{{ snapshot_as_of }}``, ``{{ versions_table }}``, ...) before any page is read, so the editor's
notes and the reproduce page need no kernel.
"""

from __future__ import annotations

import csv
import json
import platform
from collections import Counter, defaultdict
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from tokenrace.snapshot.layout import (
    AUTHORS_FILE,
    DESCRIPTOR_FILE,
    MODELS_FILE,
    SOURCES_DIR,
    WEEKLY_FILE,
)
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

#: Packages whose versions the reproduce page lists (the pins are in requirements.txt).
KEY_PACKAGES = (
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "myst-parser",
    "sphinx-book-theme",
    "sphinxcontrib-bibtex",
    "jupyter-cache",
    "jupytext",
    "ipykernel",
    "pandas",
    "numpy",
    "pandera",
    "matplotlib",
)


def versions() -> list[tuple[str, str]]:
    """(package, version) for Python and the packages that build and compute the report."""
    return [("python", platform.python_version())] + [
        (name, metadata.version(name)) for name in KEY_PACKAGES
    ]


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} |" for a, b in rows]) + "\n"


#: The typographic apostrophe: a computed sentence shown in JupyterLab gets no smart quotes, so it
#: carries the character the book's pages show.
APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def tail_shares(folder: Path) -> dict[str, int]:
    """The long tail's (``other``) share of each week's tokens, in whole percent, by week
    (integer arithmetic on the token counts, so no CPU's rounding decides the digit)."""
    total: dict[str, int] = defaultdict(int)
    other: dict[str, int] = defaultdict(int)
    for r in _rows(folder / WEEKLY_FILE):
        tokens = int(float(r["tokens"]))
        total[r["week"]] += tokens
        if r["model"] == "other":
            other[r["week"]] += tokens
    return {w: (200 * other[w] + total[w]) // (2 * total[w]) for w in sorted(total)}


def tail_share(folder: Path) -> str:
    """The long tail's (``other``) share of the last week's tokens, in percent, to the unit."""
    shares = tail_shares(folder)
    return f"{shares[max(shares)]} %"


def tail_range(folder: Path) -> str:
    """The smallest and largest share of a week's tokens the long tail holds ("8 to 54 %")."""
    shares = tail_shares(folder).values()
    return f"{min(shares)} to {max(shares)} %"


def free_shares(folder: Path, weeks: int = 4) -> str:
    """A sentence with the measured free shares of the final ``weeks`` weeks, by origin.

    Free tokens are those served on ``:free`` variants (``free_tokens``) and every token of a
    model listed at $0 for input and output; shares are of the listed models' tokens (the long
    tail's free share is unknown). Says so when the snapshot lacks them.
    """
    country = {r["author"]: r["country"] for r in _rows(folder / AUTHORS_FILE)}
    models = _rows(folder / MODELS_FILE)
    origin = {r["model"]: country.get(r["author"], "") for r in models}
    at_zero = {
        r["model"] for r in models if _is_zero(r["input_usd_per_mtok"], r["output_usd_per_mtok"])
    }
    weekly = [r for r in _rows(folder / WEEKLY_FILE) if r["model"] != "other"]
    last = sorted({r["week"] for r in weekly})[-weeks:]
    rows = [r for r in weekly if r["week"] in last]
    if not rows or any(r.get("free_tokens", "") == "" for r in rows):
        return (
            "This snapshot does not record the free tokens of every listed model in its final "
            f"{weeks} weeks, so its free share is unknown there."
        )
    tokens, free = defaultdict(int), defaultdict(int)
    for r in rows:
        key = origin.get(r["model"], "")
        tokens[key] += int(r["tokens"])
        free[key] += int(r["tokens"] if r["model"] in at_zero else r["free_tokens"])
    names = {"CN": "Chinese", "US": "US"}
    parts = [
        f"{100 * free[c] / tokens[c]:.0f} % of the tokens of listed {names[c]} models"
        for c in ("CN", "US")
        if tokens[c]
    ]
    everyone = 100 * sum(free.values()) / sum(tokens.values())
    return (
        f"In the final {weeks} weeks of this snapshot ({last[0]} to {last[-1]}), "
        + " and ".join(parts)
        + f" were free, served on free variants or by models listed at $0 ({everyone:.0f} % of "
        f"all listed models{APOSTROPHE} tokens); the long tail{APOSTROPHE}s free share is unknown."
    )


def _is_zero(*prices: str) -> bool:
    """Whether every price (USD per million tokens, as written in ``models.csv``) is zero: the
    rule of :func:`tokenrace.analysis.recut.listed_free`, on the CSV's text (no pandas here)."""
    return all(p.strip() != "" and Decimal(p) == 0 for p in prices)


def sources_list(sources: Path) -> str:
    """The Sources page's list of every source the anchors may name (Markdown): its title linked,
    its grade, what it measures, its known defects, licence and attribution, and how many
    figures of ``anchors.csv`` cite it. Read from ``manifest.csv`` and ``anchors.csv`` of the
    ``sources`` folder (validated by :mod:`tokenrace.sources.measured.manifest` in the tests)."""
    used = Counter(anchor.get("source_id", "") for anchor in _rows(sources / "anchors.csv"))
    items = []
    for src in _rows(sources / "manifest.csv"):
        title = src["title"]
        if src["url"].startswith("http"):
            title = f"[{title}]({src['url']})"
        count = used.get(src["id"], 0)
        cited = (
            f"{count} figure{'s' if count != 1 else ''} in `data/sources/anchors.csv`"
            if count
            else "no figure in this snapshot yet"
        )
        defects = f" Known defects: {src['defects']}." if src.get("defects") else ""
        attribution = src["attribution"].replace("{as_of}", "the date of the data")
        items.append(
            f"- **{title}** (`{src['id']}`, grade {src['grade']}; {cited}). {src['measures']}."
            f"{defects} Licence: {src['licence']}. Attribution: {attribution}."
        )
    return "\n".join(items) + "\n"


def substitutions(folder: Path, digest: str) -> dict[str, str]:
    """MyST substitutions describing the snapshot in ``folder`` (fingerprint ``digest``)."""
    meta = json.loads((folder / DESCRIPTOR_FILE).read_text(encoding="utf-8"))
    sources = "; ".join(s.get("title", s.get("path", "")) for s in meta.get("sources", []))
    licences = ", ".join(lic.get("name", "") for lic in meta.get("licenses", []))
    rows = [
        ("Title", meta.get("title", "")),
        ("As of", str(meta.get("as_of", ""))),
        ("Kind", meta.get("kind", "")),
        ("Licence", licences),
        ("Fingerprint (SHA-256)", f"`{digest}`"),
    ]
    return {
        "snapshot_as_of": str(meta.get("as_of", "")),
        "snapshot_title": meta.get("title", ""),
        "snapshot_kind": meta.get("kind", "snapshot"),
        "snapshot_sources": sources,
        "snapshot_table": _table(("Snapshot in use", ""), rows),
        "versions_table": _table(("Package", "Version"), versions()),
        "free_shares": free_shares(folder),
        "sources_list": sources_list(DEFAULT_DATA_DIR / SOURCES_DIR),
    }
