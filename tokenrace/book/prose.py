"""Values for the prose: what ``{eval}`expression``` shows, in JupyterLab and in the book alike.

A chapter's prose names its numbers with MyST's inline ``{eval}`` role, e.g.
``{eval}`race.first_t```. JupyterLab (jupyterlab-myst) evaluates the expression in the live kernel
when the Markdown cell runs and shows the result's display data; the book shows the same display
data, recorded when the notebook ran (``_ext/inline_eval.py``). Both therefore show what the
kernel's formatter gives for the value, and these types make that exactly the text of the book:

- :class:`Text`: a formatted piece of plain text (a number with its unit, a date, a verdict).
  Its plain-text form is the text itself, without the quotes a ``str`` repr would add.
- :class:`Markdown`: a formatted sentence with emphasis. It is shown from its ``text/markdown``
  form; its plain-text form (a fallback) drops the emphasis marks.
- :class:`Values`: a namespace of such values (``race.first_t``), so the prose names a few
  namespaces rather than dozens of loose variables.

The numbers are formatted here, in code, never with a format spec in the prose.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenrace.snapshot.load import Snapshot

_EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
_DOLLAR = re.compile(r"(?<!\\)\$")


class Text(str):
    """Plain text for the prose, shown as itself (no quotes) in JupyterLab and the book."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


class Markdown(str):
    """A Markdown sentence for the prose (emphasis only), shown rendered in both places.

    A ``$`` is a dollar sign, never math: it is escaped (``\\$``), since JupyterLab's MyST
    renderer would otherwise take the text between two dollar signs for inline math.
    """

    def __new__(cls, text: str = "") -> Markdown:
        return super().__new__(cls, _DOLLAR.sub(r"\\$", text))

    def _repr_markdown_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return plain(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(plain(self))


def plain(markdown: str) -> str:
    """The text of a Markdown sentence without its emphasis marks (``**a** *b*`` -> ``a b``)."""
    return _EMPHASIS.sub(r"\1", markdown).replace("\\$", "$")


def number(value: float | int | None, spec: str = ".1f", unit: str = "") -> Text:
    """A number formatted with ``spec`` (Python format spec) and an optional unit after a space.

    ``number(12.345, ".1f", "%")`` is ``12.3 %``; a missing or non-finite value is ``unknown``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Text("unknown")
    text = format(float(value) if "f" in spec or "%" in spec else value, spec)
    return Text(f"{text} {unit}" if unit else text)


def text(value: Any) -> Text:
    """Any value as prose text (``str(value)``)."""
    return Text(str(value))


class Values:
    """A read-only namespace of prose values: ``Values(first_t=number(2.1))``, then
    ``{eval}`values.first_t``` in the prose. Plain ``str`` values become :class:`Text`."""

    def __init__(self, mapping: Mapping[str, Any] | None = None, /, **values: Any) -> None:
        merged = {**(mapping or {}), **values}
        for name, value in merged.items():
            if not name.isidentifier():
                raise ValueError(f"prose value name {name!r} is not a Python identifier")
            if isinstance(value, str) and not isinstance(value, (Text, Markdown)):
                value = Text(value)
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("prose values are read-only; build a new Values instead")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"no prose value {name!r}; this namespace has: {', '.join(sorted(vars(self)))}"
        )

    def __repr__(self) -> str:
        return f"Values({', '.join(sorted(vars(self)))})"


def said(snap: Snapshot, chapter: str | None = None):
    """The claims' words for the prose, as :class:`Values`: one namespace per claim (id with
    ``_`` for ``-``) holding ``level`` (the verdict: its evidence level) and ``why``, e.g.
    ``{eval}`said.volume_growth.level```."""
    from tokenrace.claims import evidence
    from tokenrace.claims.register import evaluate

    found = evidence.load(snap)
    return Values(
        {
            r.id.replace("-", "_"): Values(
                level=found["claims"][r.id]["level"],
                why=found["claims"][r.id]["why"],
            )
            for r in evaluate(snap, chapter)
        }
    )


def since(snap: Snapshot, chapter: str) -> Markdown:
    """What the weeks after the essay's show for one chapter's claims (Markdown): for each, its
    measured value on the latest week, what its test gives there, and in how many of the later
    weeks it passes; computed on ``snap`` as a whole (every week, not cut at the essay's). It
    reads right for any outcome, and says so when the snapshot has no later week."""
    from tokenrace.analysis.cube import Cube
    from tokenrace.claims import evidence
    from tokenrace.claims.register import REGISTER
    from tokenrace.claims.reporting import week_words
    from tokenrace.snapshot.essay import as_of_essay, essay_date

    whole = snap.whole or snap
    view = as_of_essay(whole)
    if view.note:
        starts_after = whole.weeks[0] > essay_date().week
        tail = (
            "Every week of it came after the essay."
            if starts_after
            else "No week after the essay's is in it."
        )
        return Markdown(f"{view.note} {tail}")
    if view.later.empty:
        return Markdown(
            "This snapshot ends in the essay's week: no later week is in it to compare."
        )
    found = evidence.load(whole)  # cached: computed once per snapshot and code
    latest = week_words(f"{whole.weeks[-1]:%Y-%m-%d}")
    n = len(view.later)
    parts = [
        f"OpenRouter's data now run {n} week{'s' if n != 1 else ''} past the essay's, to the "
        f"{latest}. On that latest week:"
    ]
    cube = Cube.from_snapshot(whole)
    for claim in (c for c in REGISTER if c.chapter == chapter):
        result = claim.evaluate(cube)
        after = found["claims"][claim.id]["after"]
        parts.append(
            f"*{claim.id}* (measured: {result.measured}): its test {result.outcome} there, and "
            "passes in "
            f"{after['passes']} of the {after['weeks']} weeks since the essay."
        )
    parts.append(
        "These are facts about the later weeks; each claim's verdict stays the one judged as of "
        "the essay's week."
    )
    return Markdown(" ".join(parts))


def trust(folder: str | os.PathLike[str] | None = None) -> dict:
    """The validation of the snapshot in ``folder`` (default: the one in use), as
    :func:`tokenrace.reconstruct.validation.load` gives it. Read straight from its cache file
    when another process computed it (the build does, ahead of the chapters), so a chapter that
    only quotes it imports no pandas."""
    from tokenrace.snapshot.cache import cache_file, cached
    from tokenrace.snapshot.layout import fingerprint

    def compute() -> dict:
        from tokenrace.reconstruct import validation
        from tokenrace.snapshot.load import load_snapshot

        return validation.compute(load_snapshot(folder))

    # The same file as validation.cache_path: while the build computes it, this waits on its lock.
    return cached(cache_file("validation", fingerprint(folder)), compute)


#: The source id of OpenRouter's own Data API (``data/sources/manifest.csv``).
API = "data_api"


def _factor(value: float | None) -> Text:
    """An error in |ln ratio| as the factor it means ("2.4"), or "unknown"."""
    return number(None if value is None else math.exp(value), ".1f")


def trust_values(found: dict) -> Values:
    """The numbers the prose quotes from the validation (:func:`trust`): the pooled fit and
    leave-one-source-out errors of token values (|ln ratio|, and the factor it means), of
    shares (pp), the counts of values, lost and skipped ones, the source that is weakest
    alone, and OpenRouter's own Data API left out (``api_*``: how far a reconstruction without
    it, like the essay's, lies from the API's figures). Every one reads "unknown" when the
    snapshot cannot be validated by source (or has no Data API figures)."""
    rows = found["rows"]
    tokens = next((r for r in rows if r["pooled"] and r["scale"] == "tokens"), {})
    shares = next((r for r in rows if r["pooled"] and r["scale"] == "shares"), {})
    sources = [r for r in rows if not r["pooled"]]
    worst = max(
        (r for r in sources if r["scale"] == "tokens" and r["loso_median"] is not None),
        key=lambda r: r["loso_median"],
        default=None,
    )
    api = next((r for r in sources if r["source"] == API and r["scale"] == "tokens"), {})
    return Values(
        sources=number(len({r["source"] for r in sources}), "d"),
        values=number(tokens.get("values"), "d"),
        lost=number(tokens.get("lost"), "d"),
        skipped=number(tokens.get("skipped"), "d"),
        fit_median=number(tokens.get("fit_median"), ".2f"),
        fit_p90=number(tokens.get("fit_p90"), ".2f"),
        **_left_out("loso", tokens),
        share_values=number(shares.get("values"), "d"),
        share_loso_median=number(shares.get("loso_median"), ".1f", "pp"),
        share_loso_p90=number(shares.get("loso_p90"), ".1f", "pp"),
        worst=text(worst["source"] if worst else "unknown"),
        worst_median=number(worst["loso_median"] if worst else None, ".2f"),
        no_values=text(", ".join(found["no_values"]) or "none"),
        api_values=number(api.get("values"), "d"),
        api_lost=number(api.get("lost"), "d"),
        **_left_out("api", api),
    )


def _left_out(prefix: str, row: dict) -> dict[str, Text]:
    """A validation row's leave-one-source-out errors of token values: ``<prefix>_median`` and
    ``<prefix>_p90`` in |ln ratio|, and the factors they mean (``…_factor``)."""
    return {
        f"{prefix}_median": number(row.get("loso_median"), ".2f"),
        f"{prefix}_p90": number(row.get("loso_p90"), ".2f"),
        f"{prefix}_median_factor": _factor(row.get("loso_median")),
        f"{prefix}_p90_factor": _factor(row.get("loso_p90")),
    }
