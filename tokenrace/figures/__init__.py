"""The essay's charts, one function each, drawn in the house style of :mod:`tokenrace.charts`.

Every function computes its data from a snapshot, draws, and publishes the figure with a name,
a caption, alt text stating what it shows in numbers, the source line, and the table it draws
(units in the column names). Tokens are per Monday-start UTC week; prices are USD per million
tokens, blended 3:1 input:output unless a caption says otherwise.

One module per chapter: :mod:`~tokenrace.figures.race`, :mod:`~tokenrace.figures.open_secret`,
:mod:`~tokenrace.figures.fork`, :mod:`~tokenrace.figures.humanist`, and
:mod:`~tokenrace.figures.evidence` for the Claims page; :mod:`~tokenrace.figures.style` holds
what they share.
"""

from tokenrace.figures.evidence import robustness, since_when
from tokenrace.figures.fork import (
    china_share_table,
    essay_split_chart,
    origin_share_area,
    trajectory_text,
)
from tokenrace.figures.humanist import cost_vs_usage, gemma_text, price_by_origin, spend_vs_tokens
from tokenrace.figures.open_secret import (
    labs_stacked,
    price_and_usage,
    price_text,
    top_models_table,
)
from tokenrace.figures.race import (
    growth_text,
    lab_blocks,
    our_way,
    paid_vs_free,
    race_total,
    their_chart,
)

__all__ = [
    "china_share_table",
    "cost_vs_usage",
    "essay_split_chart",
    "gemma_text",
    "growth_text",
    "lab_blocks",
    "labs_stacked",
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
]
