"""Many plausible reconstructions of a representative snapshot, drawn across its inputs' ranges.

Each draw takes every input (sourced anchor or assumed knot, :mod:`tokenrace.sources.inputs`) at a
value drawn independently and uniformly within its range (in log tokens for token levels, in percent
for free shares) and rebuilds every weekly series with the same method as the committed snapshot
(:mod:`tokenrace.reconstruct.series`). Where a draw's listed models would leave the long tail less
than the reconstruction's minimum share of a week (3 %), that week's listed models are scaled down
in proportion until it has: the platform total bounds the models in it, and shares among the listed
models are kept; the scaled counts are rounded down to whole millions of tokens again, like every
rebuilt count (:func:`tokenrace.reconstruct.series.quantize`). (The committed snapshot meets the
minimum as it is.)

**The long tail's mix.** The long tail (``other``: every model outside the listed ones) has no
country in the data. The committed snapshot leaves it unattributed, so every share by country
there is a floor. Each draw instead splits it: a part to Chinese open-weight models, a part to
US closed-weight models (the essay's two named groups) and the rest left unattributed, the split
drawn uniformly over all splits (a flat Dirichlet: the spacings of two sorted uniform numbers),
the same in every week of the draw (:func:`tail_mix`). Where a reading bounds a country's share
of all tokens in a week (:attr:`tokenrace.reconstruct.series.Design.shares`), that country's
part is moved to the nearest value that keeps the country within the bounds (never below zero,
never above the tail left). Each part is rounded down to whole millions of tokens, and the
unattributed rest is the tail minus the parts, so each week still sums exactly. Stealth models
are listed models of an undisclosed lab and stay unattributed in every draw. The one-at-a-time
ends (:func:`ends`) and the central rebuild keep the tail unattributed, as the committed
snapshot does.

The generator is seeded: the same inputs and seed give the same draws (the tail's mix is drawn
after the inputs, so it leaves their draws as they were).

:data:`DRAWS` is chosen so that a share of draws is known within ±5 percentage points at 95 %:
the worst case (a share of one half) needs 1.96² × 0.25 / 0.05² = 384.2 draws.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from tokenrace.analysis.cube import TAIL_PART, Cube
from tokenrace.analysis.recut import ORIGIN_GROUPS
from tokenrace.reconstruct import representative as rc
from tokenrace.reconstruct.series import Design, Series, quantize
from tokenrace.sources.inputs import FREE_SUFFIX, TOKENS_UNIT

#: Draws kept in the ensemble (each share of draws is then within ±5 pp at 95 %).
DRAWS = 400
#: Seed of the draws (the snapshot's as-of date of the first published edition).
SEED = 20260529
#: The groups a draw gives a part of the long tail, each with its country and open weights; the
#: rest of the tail stays unattributed (``other``).
TAIL_GROUPS: dict[str, tuple[str, bool]] = {"cn_open": ("CN", True), "us_closed": ("US", False)}


def margin_of_error(draws: int, share: float = 0.5) -> float:
    """Half-width of the 95 % interval of a share of ``draws`` draws (worst case at 0.5)."""
    return 1.96 * float(np.sqrt(share * (1 - share) / draws))


def draw_values(inputs: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, P)`` input values, each uniform in its range (log-uniform for token levels and
    counts above zero)."""
    low, high = inputs["low"].to_numpy(float), inputs["high"].to_numpy(float)
    # Token levels are drawn log-uniformly; a free count whose range starts at zero (a measured
    # "no free row": at most the smallest listed row) has no logarithm there: uniformly.
    log = (inputs["unit"] == TOKENS_UNIT).to_numpy() & (low > 0)
    u = rng.random((n, len(inputs)))
    linear = low + u * (high - low)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
    # A measured zero (a free count of 0) has no range to draw in, on any scale.
    fixed = (low == high)[None, :]
    return np.where(fixed, low[None, :], np.where(log[None, :], logged, linear))


def ends(inputs: pd.DataFrame) -> np.ndarray:
    """``(2P, P)``: every input at the low end of its range, then every input at the high end,
    the others at their central values (row ``i`` moves input ``i`` low, ``P + i`` high)."""
    central = inputs["central"].to_numpy(float)
    values = np.tile(central, (2 * len(inputs), 1))
    idx = np.arange(len(inputs))
    values[idx, idx] = inputs["low"].to_numpy(float)
    values[len(inputs) + idx, idx] = inputs["high"].to_numpy(float)
    return values


def tail_mix(n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, G + 1)``: each draw's split of the long tail, a fraction for each group of
    :data:`TAIL_GROUPS` and the unattributed rest last, uniform over all splits (the spacings of
    ``G`` sorted uniform numbers in [0, 1))."""
    cuts = np.sort(rng.random((n, len(TAIL_GROUPS))), axis=1)
    edges = np.concatenate([np.zeros((n, 1)), cuts, np.ones((n, 1))], axis=1)
    return np.diff(edges, axis=1)


def split_tail(
    series: Series, mix: np.ndarray, shares: dict[str, np.ndarray], template: Cube
) -> np.ndarray:
    """The drawn parts of the long tail, ``(D, G, K)`` tokens, one per group of
    :data:`TAIL_GROUPS`: the draw's fraction of the tail (``mix``, :func:`tail_mix`), moved
    where a reading bounds the group's country (``shares``, percent of all tokens, ``(2, K)``)
    to the nearest value inside the bounds, then kept within zero and the tail not yet given,
    and rounded down to whole millions of tokens."""
    other, total = series.other, series.total
    country = template.attrs["country"].reindex(series.models).fillna("").to_numpy()
    parts: list[np.ndarray] = []
    for j, (_, (code, _open)) in enumerate(TAIL_GROUPS.items()):
        part = other * mix[:, j, None]
        bound = shares.get(code)
        if bound is not None:
            listed = series.listed[:, country == code, :].sum(axis=1)
            low = bound[0][None, :] * total / 100 - listed
            high = bound[1][None, :] * total / 100 - listed
            part = np.where(np.isnan(low), part, np.minimum(np.maximum(part, low), high))
        left = other - sum(parts) if parts else other
        parts.append(quantize(np.clip(part, 0.0, left), np.floor))
    return np.stack(parts, axis=1)


def tail_attrs(template: Cube, models: pd.Index) -> pd.DataFrame:
    """The template's model attributes for ``models``, with those of the tail's drawn parts
    (``other:<group>``: their group's country and weights, no price)."""
    attrs = template.attrs.reindex(models)
    for group, (code, open_) in TAIL_GROUPS.items():
        name = TAIL_PART + group
        if name in attrs.index:
            attrs.loc[name, ["name", "author", "lab", "country", "open_weights", "group"]] = [
                f"Long tail, drawn part: {ORIGIN_GROUPS[group]}",
                "",
                "Other models",
                code,
                open_,
                group,
            ]
    return attrs


def reach(design: Design) -> np.ndarray:
    """``(P, K)``: the weeks each input can move, in any rebuilt series. A point moves its own
    series from its neighbouring points on either side (its row of the interpolation); a token
    point of a model also moves the model's free counts at the free points in those weeks, and
    so the free shares between those points' neighbours. The caps, the closed weeks, the room
    left for the long tail and the tail's split all act week by week, so they reach no further.
    """
    out = np.zeros((len(design.inputs), len(design.weeks)), dtype=bool)

    def rows(blocks, inputs: np.ndarray):
        for start, stop, weights in blocks:
            for j in range(start, stop):
                yield int(inputs[j]), weights[j - start] != 0

    for i, weeks in rows(design.free_blocks, design.free_rows):
        out[i] |= weeks
    # A model's free points, each with its week: a token point that moves that week moves the
    # free share from the point's neighbours on.
    series = design.inputs["series"].to_numpy()
    free_points: dict[str, list[tuple[int, int]]] = {}
    for f, k in zip(design.free_rows, design.free_week, strict=True):
        free_points.setdefault(series[f].removesuffix(FREE_SUFFIX), []).append((int(f), int(k)))
    for i, weeks in rows(design.token_blocks, design.token_rows):
        out[i] |= weeks
        for f, k in free_points.get(series[i], []):
            if weeks[k]:
                out[i] |= out[f]
    return out


def ends_within(design: Design, edge: int) -> tuple[np.ndarray, np.ndarray]:
    """The inputs that can move any of the first or last ``edge`` weeks (:func:`reach`), and
    their rows of :func:`ends`: each such input at the low end, then each at the high end
    (``(2R, P)``). Every other input leaves those weeks as they are at both ends of its range."""
    weeks = np.zeros(len(design.weeks), dtype=bool)
    weeks[:edge] = weeks[-edge:] = True
    chosen = np.flatnonzero((reach(design) & weeks[None, :]).any(axis=1))
    values = ends(design.inputs)
    n = len(design.inputs)
    return chosen, np.concatenate([values[chosen], values[n + chosen]])


def as_cube(series: Series, template: Cube, parts: np.ndarray | None = None) -> Cube:
    """The rebuilt series as a cube with the snapshot's model attributes (``template``); with
    ``parts`` (:func:`split_tail`), the long tail split into them and its unattributed rest."""
    rest = series.other[:, None, :]
    names: list[str] = []
    blocks = [series.listed]
    if parts is not None:
        names = [TAIL_PART + group for group in TAIL_GROUPS]
        blocks.append(parts)
        rest = rest - parts.sum(axis=1, keepdims=True)
    models = pd.Index([*series.models, *names, "other"])
    attrs = tail_attrs(template, models)
    tokens = np.concatenate([*blocks, rest], axis=1)
    unknown = np.full((series.listed.shape[0], len(names) + 1, len(series.weeks)), np.nan)
    free = np.concatenate([series.free, unknown], axis=1)
    return replace(
        template, weeks=series.weeks, models=models, tokens=tokens, free=free, attrs=attrs
    )


def with_room_for_other(series: Series) -> tuple[Series, int]:
    """The series with each week's listed models scaled down, in proportion, where they would
    leave the long tail less than its minimum share of the platform total. Returns the series
    and the number of (draw, week) cells scaled."""
    room = (1 - rc.MIN_OTHER_SHARE) * series.total
    listed = series.listed.sum(axis=1)
    scaled = listed > room
    factor = np.where(scaled, room / np.where(listed > 0, listed, 1), 1.0)[:, None, :]
    if not scaled.any():
        return series, 0
    # Rounded down, so the scaled models never take the long tail's minimum back (a cell left
    # unscaled is a whole number of millions already, which rounding down keeps).
    listed_scaled = quantize(series.listed * factor, np.floor)
    free = np.minimum(quantize(series.free * factor), listed_scaled)
    return replace(series, listed=listed_scaled, free=free), int(scaled.sum())


def draw(design: Design, template: Cube, n: int = DRAWS, seed: int = SEED) -> tuple[Cube, int]:
    """``n`` draws as a cube, the long tail split by each draw's mix (:func:`split_tail`), and
    how many (draw, week) cells had their listed models scaled."""
    rng = np.random.default_rng(seed)
    series, raised = with_room_for_other(design.rebuild(draw_values(design.inputs, n, rng)))
    parts = split_tail(series, tail_mix(n, rng), design.shares, template)
    return as_cube(series, template, parts), raised


def rebuild_cube(design: Design, values: np.ndarray, template: Cube) -> Cube:
    """The cube of the given input values (``(D, P)``), by the ensemble's rule, the long tail
    left unattributed (as in the committed snapshot)."""
    return as_cube(with_room_for_other(design.rebuild(values))[0], template)
