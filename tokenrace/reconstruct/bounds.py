"""What the measurements say about the models they do not list: caps, and closed weeks.

Measured sources list the week's top models, so they also bound the others (units: tokens per
Monday-start UTC week):

- **Caps.** An ``unlisted_max`` anchor (role ``check``; a ranking file's smallest row, or a
  reading's, to date) names the models its source lists (subject ``unlisted:a+b+…``): every
  other model had at most its value that week. A week-to-date cap is scaled to the week like a
  week-to-date knot (× 7 / ``days``). Where two caps bound a cell, the lower holds.
- **Closed weeks.** A week with an ``other`` (or ``other_to_date``) knot has its long tail
  measured (the Data API's ``other`` rows): its listed models are the measured ones, so a model
  without a point of its own there has no listed tokens (its tokens, if any, are in the tail).
- **Country shares.** A reading's ``country_share`` anchor (role ``check``) bounds a country's
  share of all tokens in its week (percent, ``low`` to ``high``): the ensemble keeps the part of
  the long tail it gives that country within them (:mod:`tokenrace.reconstruct.ensemble`).

:class:`tokenrace.reconstruct.series.Design` applies both to every interpolated cell, never to a
model's own points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tokenrace.reconstruct.series import quantize
from tokenrace.sources.inputs import TO_DATE, WEEK_DAYS, SourcesError

BILLION = 1e9
UNLISTED_MAX = "unlisted_max"
OTHER_KINDS = ("other", "other" + TO_DATE)
COUNTRY_SHARE = "country_share"


@dataclass(frozen=True)
class Bounds:
    """``caps`` ``(M, K)`` in tokens (inf where nothing bounds a cell), the anchor id of each cap
    (``cap_ids``, text, empty where none), the ``closed`` weeks ``(K,)``, and ``shares``: for
    each country a reading bounds, its low and high share of all tokens per week, ``(2, K)`` in
    percent (NaN in a week no reading bounds)."""

    caps: np.ndarray
    cap_ids: np.ndarray
    closed: np.ndarray
    shares: dict[str, np.ndarray]


def listed_by(anchor) -> set[str]:
    """The names an ``unlisted_max`` or ``author_share_max`` anchor's source lists (models, or
    authors): its subject is ``unlisted:name1+name2+…``, as the importer writes it. Raises
    :class:`~tokenrace.sources.inputs.SourcesError` naming the anchor for any other subject."""
    head, _, names = str(anchor.subject).partition(":")
    if head != "unlisted" or not names:
        raise SourcesError(
            f"anchor {anchor.id}: {anchor.kind} subject {anchor.subject!r} does not name what "
            "its source lists (unlisted:name1+name2+…); re-run the importer"
        )
    return set(names.split("+"))


def cap_tokens(anchor) -> float:
    """An ``unlisted_max`` anchor's cap on one week, in tokens: a week-to-date cap (one with
    ``days``) scaled to the week, rounded down to whole millions like every rebuilt count."""
    days = float(getattr(anchor, "days", math.nan))
    scale = 1.0 if math.isnan(days) else WEEK_DAYS / days
    return float(quantize(np.array(float(anchor.value) * BILLION * scale), np.floor))


def closed_weeks(anchors: pd.DataFrame, weeks: pd.DatetimeIndex) -> np.ndarray:
    """``(K,)``: True for a week of ``weeks`` whose long tail a knot measures (``other``)."""
    knots = anchors[(anchors["role"] == "knot") & anchors["kind"].isin(OTHER_KINDS)]
    return np.asarray(weeks.isin(knots["week"]), dtype=bool)


def from_anchors(anchors: pd.DataFrame, models: list[str], weeks: pd.DatetimeIndex) -> Bounds:
    """The caps and closed weeks the anchors give, for ``models`` (in that order) over
    ``weeks``; anchors of other weeks are ignored."""
    position = {w: k for k, w in enumerate(weeks)}
    caps = np.full((len(models), len(weeks)), np.inf)
    ids = np.full(caps.shape, "", dtype=object)
    for anchor in anchors[anchors["kind"] == UNLISTED_MAX].itertuples(index=False):
        k = position.get(anchor.week)
        if k is None or anchor.role == "context":
            continue
        listed, cap = listed_by(anchor), cap_tokens(anchor)
        for m, model in enumerate(models):
            if model not in listed and cap < caps[m, k]:
                caps[m, k], ids[m, k] = cap, anchor.id
    return Bounds(caps, ids, closed_weeks(anchors, weeks), country_shares(anchors, weeks))


def country_shares(anchors: pd.DataFrame, weeks: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """For each country a ``country_share`` check anchor bounds in ``weeks``: ``(2, K)``, its
    low and high share of all tokens (percent; NaN where no reading bounds the week). A missing
    side is no bound (0 or 100 %)."""
    position = {w: k for k, w in enumerate(weeks)}
    shares: dict[str, np.ndarray] = {}
    rows = anchors[(anchors["kind"] == COUNTRY_SHARE) & (anchors["role"] == "check")]
    for anchor in rows.itertuples(index=False):
        k = position.get(anchor.week)
        if k is None:
            continue
        pair = shares.setdefault(str(anchor.subject), np.full((2, len(weeks)), np.nan))
        pair[0, k] = 0.0 if math.isnan(anchor.low) else float(anchor.low)
        pair[1, k] = 100.0 if math.isnan(anchor.high) else float(anchor.high)
    return shares
