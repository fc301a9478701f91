"""No hand-typed numbers in the chapters' prose: numbers come from ``{eval}`` expressions (values
computed in the chapter's cells, shown live in JupyterLab and recorded for the book), or are on
this list. Notebook chapters use no ``{glue:...}``, ``{numref}``, ``{doc}`` or ``{cite...}``
roles: JupyterLab cannot resolve them and would show their raw names.

The allowed numbers are names (Hy3, Qwen3.6), the essay's own words (which the claims register
tests), dates of the editor's notes, definitions of the method (the 3:1 blend, the top 10
denominator), versions, and the footnote numbers of the Sources page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.md"))
ALLOWED = [
    r"Hy3 Preview|Hy3|Qwen3\.6 Plus|Step 3\.5 Flash|a16z",  # model and firm names
    r"roughly 2 trillion to more than 30 trillion tokens",  # the essay's sentence (claim-tested)
    r"\"more than 30 trillion\"",  # the same words, quoted where their evidence is given
    r"\b\d{4}-\d{2}-\d{2}\b|June 2\b|May 2026",  # dates of the editor's notes
    r"3:1 blend|3 to 1|3 parts input to 1 part output",  # the blend's definition
    r"top 10 models",  # the press denominator, by definition
    r"90th percentile|\bP90\b",  # the percentile the validation reports, by definition
    r"Python 3\.11|Attribution 4\.0",  # versions
    r"^\d\. ",  # footnote numbers on the Sources page
]


def prose(path: Path) -> list[str]:
    """The chapter's text outside code, roles and footnote markers."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)  # {eval}`x`, {ref}`x`, {cite:p}`x` ...
    text = re.sub(r"\[\^\d+\]:?", "", text)  # footnote markers
    text = re.sub(r"`[^`]*`", "", text)  # inline code: file and variable names
    return text.splitlines()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_number_in_prose_is_computed_or_allowed(chapter: Path) -> None:
    stray = []
    for line in prose(chapter):
        for pattern in ALLOWED:
            line = re.sub(pattern, "", line)
        if re.search(r"\d", line):
            stray.append(line.strip())
    assert not stray, f"hand-typed numbers in {chapter.name}: {stray}"


def test_the_check_finds_a_hand_typed_number(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("China's share rose to 61 % of tokens, {eval}`share.cn` computed.\n")
    lines = [re.sub("|".join(ALLOWED), "", line) for line in prose(page)]
    assert any(re.search(r"\d", line) for line in lines)


NOTEBOOKS = [c for c in CHAPTERS if c.read_text(encoding="utf-8").startswith("---\njupytext:")]
#: Roles JupyterLab (jupyterlab-myst) cannot resolve inside one notebook: it shows their names.
UNRESOLVED_IN_LAB = re.compile(r"\{(glue(:\w+)?|numref|doc|cite(:\w+)?)\}`")


def test_notebook_chapters_are_found() -> None:
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS


@pytest.mark.parametrize("chapter", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_prose_uses_only_roles_jupyterlab_shows(chapter: Path) -> None:
    found = UNRESOLVED_IN_LAB.findall(chapter.read_text(encoding="utf-8"))
    assert not found, f"{chapter.name}: roles JupyterLab shows raw: {found}"


@pytest.mark.parametrize("chapter", NOTEBOOKS, ids=lambda p: p.name)
def test_eval_expressions_carry_no_format_spec(chapter: Path) -> None:
    """Numbers are formatted in code (tokenrace.book.prose), never in the prose."""
    import sys

    sys.path.insert(0, str(chapter.parents[1] / "_ext"))
    from inline_eval import expressions

    found = expressions(chapter.read_text(encoding="utf-8"))
    assert found, f"{chapter.name} has no {{eval}} expression"
    bad = [e for e in found if not re.fullmatch(r"[A-Za-z_][\w.]*", e)]
    assert not bad, f"{chapter.name}: expressions other than dotted names: {bad}"
