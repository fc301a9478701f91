"""How to cite the report: BibTeX and one plain-text style, from ``CITATION.cff``.

``CITATION.cff`` holds the title, authors and licences once; the landing page's "Cite this
report" section is generated from it at build time, with what only the build knows: the data
snapshot's date (``as_of``), and the commit and repository the book was built from, when the
build has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Citation:
    """What a citation of the report names.

    ``year`` is the year of the snapshot's ``as_of`` date (ISO ``YYYY-MM-DD``); ``commit`` is a
    full git commit id, or None when the build has none; ``modified`` says the build's files
    differed from that commit; ``url`` is the repository's web address.
    """

    title: str
    authors: tuple[str, ...]
    as_of: str
    commit: str | None = None
    url: str | None = None
    modified: bool = False

    @property
    def year(self) -> str:
        return self.as_of[:4]

    @property
    def short_commit(self) -> str | None:
        return self.commit[:12] if self.commit else None


def read_cff(path: Path) -> tuple[str, tuple[str, ...]]:
    """(title, author names) from a ``CITATION.cff``; a person is written "Given Family"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = []
    for author in data.get("authors", []):
        if "name" in author:
            names.append(str(author["name"]))
        else:
            names.append(
                " ".join(str(author[k]) for k in ("given-names", "family-names") if k in author)
            )
    return str(data["title"]), tuple(names)


def _note(cite: Citation) -> str:
    note = f"Data snapshot as of {cite.as_of}"
    if not cite.commit:
        return note
    return note + f"; commit {cite.short_commit}" + (" with local changes" if cite.modified else "")


def bibtex(cite: Citation) -> str:
    """A BibTeX ``@misc`` entry; organisations are braced so BibTeX keeps them whole."""
    key = "the_race_" + re.sub(r"\D", "", cite.as_of)
    authors = " and ".join(f"{{{name}}}" for name in cite.authors)
    fields = [
        ("title", f"{{{cite.title}}}"),
        ("author", f"{{{authors}}}"),
        ("year", f"{{{cite.year}}}"),
        ("note", f"{{{_note(cite)}}}"),
    ]
    if cite.url:
        fields.append(("howpublished", f"{{\\url{{{cite.url}}}}}"))
    body = ",\n".join(f"  {name:<12} = {value}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def plain_text(cite: Citation) -> str:
    """One line in an author-date style: Authors (year). *Title*. Note. URL"""
    authors = ", ".join(cite.authors)
    text = f"{authors} ({cite.year}). *{cite.title}* [data-journalism report]. {_note(cite)}."
    return text + (f" {cite.url}" if cite.url else "")


def substitutions(cite: Citation) -> dict[str, str]:
    """MyST substitutions for the landing page: ``cite_bibtex`` (a code block), ``cite_text``."""
    return {
        "cite_bibtex": f"```bibtex\n{bibtex(cite)}\n```",
        "cite_text": plain_text(cite),
    }
