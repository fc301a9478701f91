"""The essay's charts, one function each, drawn in the house style of
:mod:`tokenrace.figures.charts`.

Every function computes its data from a snapshot, draws, and publishes the figure with a name,
a caption, alt text stating what it shows in numbers, the source line, and the table it draws
(units in the column names). Tokens are per Monday-start UTC week; prices are USD per million
tokens, blended 3:1 input:output unless a caption says otherwise.

One module per chapter: :mod:`~tokenrace.figures.race`, :mod:`~tokenrace.figures.open_secret`,
:mod:`~tokenrace.figures.fork`, :mod:`~tokenrace.figures.humanist`, and
:mod:`~tokenrace.figures.evidence` for the Claims page; :mod:`~tokenrace.figures.style` holds
what they share. The house style (:mod:`~tokenrace.figures.charts`), values on hover
(:mod:`~tokenrace.figures.hover`), label placement (:mod:`~tokenrace.figures.labels`), link
previews (:mod:`~tokenrace.figures.previews`) and how tables are shown
(:mod:`~tokenrace.figures.tables`) live here too. This stage may import the claims and every stage
below them; the book, diff, refresh and cli sit above it.

A chapter calls the functions below from this package (``figures.race_total(snapshot)``); each is
imported from its chapter's module when first used, so the book build's extension can import the
house style's light modules (hover, previews) without matplotlib or the data.
"""

from __future__ import annotations

from importlib import import_module

#: The chapter figures, each with the module (one per chapter) that draws it.
_FIGURES = {
    "china_share_table": "fork",
    "cost_vs_usage": "humanist",
    "essay_split_chart": "fork",
    "essay_split_text": "fork",
    "gemma_text": "humanist",
    "growth_text": "race",
    "lab_blocks": "race",
    "labs_stacked": "open_secret",
    "leaders_basis": "open_secret",
    "origin_share_area": "fork",
    "our_way": "race",
    "paid_vs_free": "race",
    "price_and_usage": "open_secret",
    "price_by_origin": "humanist",
    "price_text": "open_secret",
    "race_total": "race",
    "robustness": "evidence",
    "since_when": "evidence",
    "spend_vs_tokens": "humanist",
    "their_chart": "race",
    "top_models_table": "open_secret",
    "trajectory_text": "fork",
    "verdict_table": "evidence",
}


def __getattr__(name: str):
    """Import a chapter's figure module only when one of its figures is used."""
    if name in _FIGURES:
        return getattr(import_module(f"tokenrace.figures.{_FIGURES[name]}"), name)
    raise AttributeError(f"module 'tokenrace.figures' has no attribute {name!r}")


__all__ = [
    "china_share_table",
    "cost_vs_usage",
    "essay_split_chart",
    "essay_split_text",
    "gemma_text",
    "growth_text",
    "lab_blocks",
    "labs_stacked",
    "leaders_basis",
    "origin_share_area",
    "our_way",
    "paid_vs_free",
    "price_and_usage",
    "price_by_origin",
    "price_text",
    "race_total",
    "robustness",
    "since_when",
    "spend_vs_tokens",
    "their_chart",
    "top_models_table",
    "trajectory_text",
    "verdict_table",
]
