"""How a claim is shown in a chapter: the register's results listed with the evidence for them.

:func:`report` is the cell a chapter ends with (``claims.report(snapshot, "fork")``); it measures
the claims with :mod:`tokenrace.claims.register` and reads their evidence from
:mod:`tokenrace.claims.evidence`, both below it, and neither imports this module.
"""

from __future__ import annotations

from datetime import date

from tokenrace.claims import evidence
from tokenrace.claims.register import ClaimResult, evaluate, outcome
from tokenrace.snapshot.load import Snapshot


def report(snap: Snapshot, chapter: str | None = None):
    """Measure the claims (of one chapter, or all) and show them.

    Returns a Markdown display object listing each claim with its one verdict (its evidence
    level), its test, measured value and the evidence for it (a list rather than a table, so it
    reads on a phone). The prose takes
    the claims' words from :func:`tokenrace.book.prose.said`.
    """
    from IPython.display import Markdown

    return Markdown(
        markdown_list(evaluate(snap, chapter), evidence.load(snap), link=chapter is None)
    )


#: Chapter document of each chapter key (for links from the claims page).
CHAPTER_DOCS = {
    "race": "The race",
    "open-secret": "The open secret",
    "fork": "The fork",
    "humanist": "The humanist case",
}


def _inputs_text(items: list[dict], limit: int = 3) -> str:
    more = f" … and {len(items) - limit} more" if len(items) > limit else ""
    parts = []
    for item in items[:limit]:
        what = f"sourced, grade {item['grade']}" if item["kind"] == "sourced" else "assumed"
        ends = f", flips it at the {' and '.join(item['ends'])} end" if item.get("ends") else ""
        parts.append(f"`{item['key']}` ({what}; range {item['range']}{ends})")
    return "; ".join(parts) + more


def evidence_lines(claim_id: str, found: dict) -> list[str]:
    """The evidence of one claim as Markdown list items (why its verdict, deciding inputs,
    since when); the verdict itself heads the claim (:func:`markdown_list`)."""
    entry = found["claims"][claim_id]
    lines = [f"Why: {entry['why']}"]
    if entry.get("deciding"):
        lines.append(
            "Deciding inputs (flip it at an end of their range): " + _inputs_text(entry["deciding"])
        )
    elif entry.get("influence"):
        lines.append("Inputs that move it most: " + _inputs_text(entry["influence"]))
    failing = [
        s["label"].lower()
        for s in found["scenarios"]
        if s["family"] == "method"
        and entry["central"].get(s["key"], {}).get("holds") is None
        and s["key"] in entry["central"]
    ]
    if failing:
        lines.append("The data cannot run its test under: " + ", ".join(failing) + ".")
    lines.append(_since_text(entry, found["essay"]["judged"]))
    if found["essay"]["note"]:
        lines.append(found["essay"]["note"])
    lines.append(since_then(entry["after"]))
    return lines


def _since_text(entry: dict, judged: str) -> str:
    """Since which week the claim's test has passed, as of the ``judged`` week (ISO date)."""
    since, words = entry["since"]["week"], week_words(judged)
    if not since:
        return f"Its test fails with the {words} as the end of the data."
    if since != judged:
        return (
            f"Its test passes with every week from the {week_words(since)} to the {words} "
            "taken as the end of the data."
        )
    # ``held`` has a value for every week, the judged week and the weeks after it last
    if len(entry["since"]["held"]) - 1 - entry["after"]["weeks"] == 0:
        return f"Its test passes with the {words}, the data's first week, taken as their end."
    return (
        f"Its test passes with the {words} taken as the end of the data, but not with the week "
        "before it."
    )


def since_then(after: dict) -> str:
    """The claim's test on the weeks after the essay's, in words (a fact about those weeks, not a
    second verdict): "Since the essay: its test passes in 3 of 11 later weeks; on the latest, the
    week of 10 Aug 2026, it fails."."""
    if not after["weeks"]:
        return "Since the essay: no later week in this snapshot."
    n, weeks = after["passes"], after["weeks"]
    untested = weeks - after["tested"]
    cannot = f" ({untested} could not be tested)" if untested else ""
    latest = outcome(after["latest_holds"])
    return (
        f"Since the essay: its test passes in {n} of {weeks} later "
        f"week{'s' if weeks != 1 else ''}{cannot}; on the latest, the "
        f"{week_words(after['latest'])}, it {latest}."
    )


def since_then_short(after: dict) -> str:
    """:func:`since_then` for a table cell: "passes in 3 of 11; latest (10 Aug 2026): fails"."""
    if not after["weeks"]:
        return "no later week"
    latest = outcome(after["latest_holds"])
    day = date.fromisoformat(after["latest"])
    return (
        f"passes in {after['passes']} of {after['weeks']}; latest ({day.day} {day:%b %Y}): {latest}"
    )


def week_words(week: str) -> str:
    """An ISO week (its Monday) in words: ``2026-08-10`` is "week of 10 Aug 2026"."""
    day = date.fromisoformat(week)
    return f"week of {day.day} {day:%b %Y}"


def markdown_list(results: list[ClaimResult], found: dict, link: bool = True) -> str:
    """MyST text listing each claim with its one verdict (the evidence level, with its mark) and
    the evidence for it; ``link`` adds where it is computed. ``found`` is
    :func:`tokenrace.claims.evidence.load` output."""
    lines = []
    for r in results:
        level = found["claims"][r.id]["level"]
        where = (
            f" Computed in {{ref}}`{CHAPTER_DOCS[r.chapter]} <claims-{r.chapter}>`." if link else ""
        )
        lines.append(
            f"- **{r.id}**: {evidence.MARKS[level]} **{level}**. *“{r.sentence}”*\n"
            f"  - Test: {r.test}\n"
            f"  - Measured: {r.measured}; on this snapshot the test {r.outcome}.{where}"
        )
        lines.extend(f"  - {line}" for line in evidence_lines(r.id, found))
    return "\n".join(lines) + "\n"
