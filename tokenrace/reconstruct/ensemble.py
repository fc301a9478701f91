"""Many plausible reconstructions of a representative snapshot, drawn across its inputs' ranges.

Each draw takes every input (sourced anchor or assumed knot, :mod:`tokenrace.sources.inputs`) at a
value drawn independently and uniformly within its range (in log tokens for token levels, in percent
for free shares) and rebuilds every weekly series with the same method as the committed snapshot
(:mod:`tokenrace.reconstruct.series`). Where a draw's listed models would leave the long tail less
than the reconstruction's minimum share of a week (3 %), that week's listed models are scaled down
in proportion until it has: the platform total bounds the models in it, and shares among the listed
models are kept; the scaled counts are rounded down to whole millions of tokens again, like every
rebuilt count (:func:`tokenrace.reconstruct.series.quantize`). (The committed snapshot meets the
minimum as it is.) The generator is seeded:
the same inputs and seed give the same draws.

:data:`DRAWS` is chosen so that a share of draws is known within ±5 percentage points at 95 %:
the worst case (a share of one half) needs 1.96² × 0.25 / 0.05² = 384.2 draws.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from tokenrace.analysis.cube import Cube
from tokenrace.reconstruct import representative as rc
from tokenrace.reconstruct.series import Design, Series, quantize
from tokenrace.sources.inputs import TOKENS_UNIT

#: Draws kept in the ensemble (each share of draws is then within ±5 pp at 95 %).
DRAWS = 400
#: Seed of the draws (the snapshot's as-of date of the first published edition).
SEED = 20260529


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


def as_cube(series: Series, template: Cube) -> Cube:
    """The rebuilt series as a cube with the snapshot's model attributes (``template``)."""
    models = pd.Index([*series.models, "other"])
    attrs = template.attrs.reindex(models)
    tokens = np.concatenate([series.listed, series.other[:, None, :]], axis=1)
    free = np.concatenate([series.free, np.full_like(series.other[:, None, :], np.nan)], axis=1)
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
    """``n`` draws as a cube, and how many (draw, week) cells had their listed models scaled."""
    rng = np.random.default_rng(seed)
    series, raised = with_room_for_other(design.rebuild(draw_values(design.inputs, n, rng)))
    return as_cube(series, template), raised


def rebuild_cube(design: Design, values: np.ndarray, template: Cube) -> Cube:
    """The cube of the given input values (``(D, P)``), by the ensemble's rule."""
    return as_cube(with_room_for_other(design.rebuild(values))[0], template)
