"""Weekly series from the reconstruction's inputs, for one set of input values or many at once.

The method (one implementation, used for the committed snapshot and for every draw of the
evidence ensemble):

- **Token series** (the platform total ``all`` and every listed model) are interpolated
  log-linearly in tokens between their points, week by week; a model has no tokens before its
  first point or after its last.
- **Free shares** (``slug:free``) are interpolated linearly in percent between their points.
  An assumed point is a share; a sourced point is a count of free tokens, turned into a share of
  the model's tokens that week (capped at 100 %). Outside a model's first and last free point the
  free count is unknown.
- **Bounds from the measurements** (:mod:`tokenrace.reconstruct.bounds`), applied after the
  interpolation to every cell that is not a model's own point: a **cap** (tokens) where a
  measurement that lists the week's top models does not list the model (it had at most the
  smallest listed row), and **zero** in a **closed** week, whose long tail is measured (the Data
  API): there the listed models are the measured ones, and any other model's tokens are in it.
- The long tail ``other`` is the platform total minus the listed models.
- **Quantized.** Every token count (the total, each model, each free count) is rounded to whole
  millions of tokens (:data:`TOKEN_QUANTUM`) before anything is computed from it. The
  interpolation runs through BLAS matrix products and NumPy's SIMD ``exp`` and ``log``, whose last
  bits differ between CPUs; a float lying near a rounding edge would otherwise decide a byte of
  the snapshot or a verdict. Sums of quantized counts are exact (whole numbers far below 2^53), so
  the same inputs give the same series on any CPU and BLAS.

Interpolation is linear in the point values (their logarithms, for tokens), so it is a fixed
matrix: :class:`Design` builds it once and :meth:`Design.rebuild` applies it to a matrix of
input values, one row per draw. Units: tokens per Monday-start UTC week; shares in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tokenrace.sources.inputs import FREE_SUFFIX, TOKENS_UNIT, TOTAL

BILLION = 1e9
#: Every rebuilt token count is a whole multiple of this many tokens (one million).
TOKEN_QUANTUM = 1_000_000


def quantize(tokens: np.ndarray, rounding=np.rint) -> np.ndarray:
    """Token counts rounded to whole multiples of :data:`TOKEN_QUANTUM` (NaN stays NaN), to the
    nearest by default (``rounding=np.floor`` rounds down)."""
    return rounding(np.asarray(tokens, dtype=float) / TOKEN_QUANTUM) * TOKEN_QUANTUM


@dataclass(frozen=True)
class Series:
    """Weekly series of ``D`` draws: listed ``(D, M, K)``, total ``(D, K)``, free ``(D, M, K)``.

    ``models`` are the listed models (``other`` excluded); ``free`` is NaN where unknown.
    """

    weeks: pd.DatetimeIndex
    models: list[str]
    listed: np.ndarray
    total: np.ndarray
    free: np.ndarray

    @property
    def other(self) -> np.ndarray:
        """Tokens of the long tail, ``(D, K)``: the total minus the listed models."""
        return self.total - self.listed.sum(axis=1)


def _weights(
    positions: list[int], n_weeks: int, closed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolation weights ``(points, K)`` and the inside mask ``(K,)`` of one series.

    Between two consecutive points the series is interpolated, unless a ``closed`` week (one
    whose listed models a measurement gives in full) lies strictly between them: that week
    measures the series outside the listed models, so the gap is not bridged (its weeks stay
    outside the series' span, no tokens)."""
    weights = np.zeros((len(positions), n_weeks))
    inside = np.zeros(n_weeks, dtype=bool)
    closed = np.zeros(n_weeks, dtype=bool) if closed is None else closed
    for i, p in enumerate(positions):
        inside[p] = True
        weights[i, p] = 1.0
    for i in range(len(positions) - 1):
        a, b = positions[i], positions[i + 1]
        if closed[a + 1 : b].any():
            continue
        t = (np.arange(a, b + 1) - a) / (b - a)
        weights[i, a : b + 1] = 1 - t
        weights[i + 1, a : b + 1] = t
        inside[a : b + 1] = True
    return weights, inside


#: One series' part of an interpolation: its point rows ``start:stop`` and their weights in each
#: week (``(points, K)``).
Block = tuple[int, int, np.ndarray]


class Design:
    """The interpolation of every series from the inputs
    (:func:`tokenrace.sources.inputs.read_inputs`).

    ``models`` are the listed models' slugs (each must have token points); ``weeks`` the
    Monday-start weeks of the snapshot. ``caps`` (``(M, K)`` tokens in ``models`` order, inf
    where nothing bounds a cell) and ``closed`` (``(K,)``) are the measurements' bounds (none by
    default); ``shares`` the readings' bounds on countries' shares of all tokens (percent,
    ``(2, K)`` low and high per country code, NaN where none), which the ensemble's split of the
    long tail keeps. Raises ValueError for a point outside the weeks, a model without points, or
    points of an unknown model.
    """

    def __init__(
        self,
        inputs: pd.DataFrame,
        models: list[str],
        weeks: pd.DatetimeIndex,
        caps: np.ndarray | None = None,
        closed: np.ndarray | None = None,
        cap_ids: np.ndarray | None = None,
        shares: dict[str, np.ndarray] | None = None,
    ):
        self.inputs = inputs.reset_index(drop=True)
        self.weeks = pd.DatetimeIndex(weeks)
        self.models = sorted(models)
        position = {w: i for i, w in enumerate(self.weeks)}
        missing = sorted(set(self.inputs["week"]) - set(position))
        if missing:
            raise ValueError(f"points outside the snapshot's weeks: {missing[0]:%Y-%m-%d}")
        self.position = self.inputs["week"].map(position).to_numpy()
        free = self.inputs["series"].str.endswith(FREE_SUFFIX)
        base = self.inputs["series"].str.removesuffix(FREE_SUFFIX)
        unknown = sorted(set(base[base != TOTAL]) - set(self.models))
        if unknown:
            raise ValueError(f"points for models with no row in models.csv: {unknown}")
        without = sorted(set(self.models) - set(self.inputs.loc[~free, "series"]))
        if without:
            raise ValueError(f"models in models.csv without any point: {without}")
        if TOTAL not in set(self.inputs["series"]):
            raise ValueError("the platform total has no points")
        n_weeks = len(self.weeks)
        self.closed = np.zeros(n_weeks, bool) if closed is None else np.asarray(closed, bool)
        self.token_series = [TOTAL, *self.models]
        self.free_models = sorted(set(base[free]))
        self.token_rows, self.token_blocks, self.token_inside = self._blocks(
            self.token_series, ~free
        )
        self.free_rows, self.free_blocks, self.free_inside = self._blocks(
            [m + FREE_SUFFIX for m in self.free_models], free
        )
        rows = self.inputs.loc[self.free_rows]
        self.free_counts = (rows["unit"] == TOKENS_UNIT).to_numpy()
        self.free_model_row = np.array(
            [1 + self.models.index(s.removesuffix(FREE_SUFFIX)) for s in rows["series"]], dtype=int
        )
        self.free_week = self.position[self.free_rows]
        self.free_listed = np.array([self.models.index(m) for m in self.free_models], dtype=int)
        shape = (len(self.models), len(self.weeks))
        self.caps = np.full(shape, np.inf) if caps is None else np.asarray(caps, dtype=float)
        self.cap_ids = np.full(shape, "", dtype=object) if cap_ids is None else cap_ids
        self.shares = {} if shares is None else shares
        self.own = np.zeros(shape, dtype=bool)
        row_of = {m: i for i, m in enumerate(self.models)}
        names = self.inputs["series"].to_numpy()
        for r in self.token_rows:
            if names[r] != TOTAL:
                self.own[row_of[names[r]], self.position[r]] = True

    def _blocks(
        self, names: list[str], mask: pd.Series
    ) -> tuple[np.ndarray, list[Block], np.ndarray]:
        """The point rows, the interpolation of each series and each series' inside mask.

        The interpolation is block-diagonal: a series' points weigh only its own weeks. So it is
        kept as one :data:`Block` per series, ``(start, stop, weights)``: the series' points are
        rows ``start:stop`` of the point rows, and ``weights`` (``(points, K)``) their weight in
        each week."""
        n_weeks = len(self.weeks)
        rows, inside = [], np.zeros((len(names), n_weeks), dtype=bool)
        blocks: list[Block] = []
        start = 0
        chosen = self.inputs[mask]
        groups = chosen.groupby("series", sort=False).indices  # positions within ``chosen``
        labels = chosen.index.to_numpy()  # the inputs' rows (their index runs 0, 1, ...)
        empty = np.array([], dtype=int)
        for s, name in enumerate(names):
            points = labels[groups.get(name, empty)]
            points = points[np.argsort(self.position[points], kind="stable")]
            weights, inside[s] = _weights(list(self.position[points]), n_weeks, self.closed)
            blocks.append((start, start + len(points), weights))
            rows.extend(points)
            start += len(points)
        return np.array(rows, dtype=int), blocks, inside

    def product(self, points: np.ndarray, blocks: list[Block]) -> np.ndarray:
        """The interpolated values ``(D, series × K)`` of the point values ``points``
        (``(D, point rows)``), block by block."""
        n_weeks = len(self.weeks)
        out = np.zeros((points.shape[0], len(blocks) * n_weeks))
        for s, (start, stop, weights) in enumerate(blocks):
            out[:, s * n_weeks : (s + 1) * n_weeks] = points[:, start:stop] @ weights
        return out

    @property
    def central(self) -> np.ndarray:
        """The central value of every input, as one draw: shape ``(1, P)``."""
        return self.inputs["central"].to_numpy(dtype=float)[None, :]

    def rebuild(self, values: np.ndarray) -> Series:
        """The weekly series for each row of ``values`` (``(D, P)``, in the inputs' units), every
        token count quantized (:func:`quantized`). The token points themselves are first rounded
        to whole millions, so that a model's own point (a range's end, a draw) comes out of the
        interpolation a few last bits from a whole million, never near a half."""
        values = np.array(np.atleast_2d(values), dtype=float)
        tokens = (self.inputs["unit"] == TOKENS_UNIT).to_numpy()
        values[:, tokens] = quantize(values[:, tokens] * BILLION) / BILLION
        return quantized(self.interpolate(values))

    def interpolate(self, values: np.ndarray) -> Series:
        """The weekly series before quantization: floats whose last bits depend on the CPU."""
        values = np.atleast_2d(values)
        n_draws, n_weeks = values.shape[0], len(self.weeks)
        logs = np.log(values[:, self.token_rows] * BILLION)
        tokens = np.exp(self.product(logs, self.token_blocks)).reshape(
            n_draws, len(self.token_series), n_weeks
        )
        tokens = np.where(self.token_inside[None], tokens, 0.0)
        tokens[:, 1:, :] = self.bounded(tokens[:, 1:, :])
        free = np.full((n_draws, len(self.models), n_weeks), np.nan)
        if len(self.free_models):
            points = values[:, self.free_rows]
            base = tokens[:, self.free_model_row, self.free_week]
            counts = 100 * np.minimum(
                1.0, np.divide(points * BILLION, base, out=np.ones_like(base), where=base > 0)
            )
            points = np.where(self.free_counts[None], counts, points)
            shares = self.product(points, self.free_blocks).reshape(
                n_draws, len(self.free_models), n_weeks
            )
            listed = tokens[:, 1 + self.free_listed, :]
            free[:, self.free_listed, :] = np.where(
                self.free_inside[None], shares / 100 * listed, np.nan
            )
        # Outside its token span a model has no tokens, so none of them are free.
        free = np.where(self.token_inside[None, 1:, :], free, 0.0)
        return Series(self.weeks, self.models, tokens[:, 1:, :], tokens[:, 0, :], free)

    def bounded(self, listed: np.ndarray) -> np.ndarray:
        """The listed models' tokens ``(D, M, K)`` with the measurements' bounds applied to every
        cell that is not a model's own point: at most its cap, and zero in a closed week."""
        capped = np.where(self.own[None], listed, np.minimum(listed, self.caps[None]))
        return np.where(self.closed[None, None, :] & ~self.own[None], 0.0, capped)

    def provenance(self) -> pd.DataFrame:
        """The class of every (week, series) value: sourced, interpolated or assumed.

        Columns: ``week``, ``series``, ``class``, ``point`` (the anchor id or knot name of a
        sourced or assumed value), ``grade``, ``before`` and ``after`` (for an interpolated value,
        the points it lies between, written ``id (class)``) and ``note`` (an assumed knot's
        reason; for an interpolated value held at a measurement's cap, that cap). Token series
        (``all`` and models) and free shares (``slug:free``), for every value the weekly table
        lists: a model's week at zero tokens (before its first point, after its last, in a
        closed week) has no row.
        """
        rows = []
        inputs = self.inputs
        central = self.rebuild(self.central)
        self._listed = central.listed[0]
        self._capped = (~self.own) & np.isfinite(self.caps) & (self._listed >= self.caps - 0.5)
        for names, matrix_rows, inside in (
            (self.token_series, self.token_rows, self.token_inside),
            ([m + FREE_SUFFIX for m in self.free_models], self.free_rows, self.free_inside),
        ):
            for s, name in enumerate(names):
                points = [r for r in matrix_rows if inputs.at[r, "series"] == name]
                points.sort(key=lambda r: self.position[r])
                at = {self.position[r]: r for r in points}
                model = name.removesuffix(FREE_SUFFIX)
                m = self.models.index(model) if model != TOTAL else -1
                for k in np.flatnonzero(inside[s]):
                    if m >= 0 and self._listed[m, k] <= 0:
                        continue
                    row = self._provenance_row(name, k, at, points)
                    if m >= 0 and row[2] == "interpolated" and self._capped[m, k]:
                        row[7] = (
                            f"held at the cap of {self.cap_ids[m, k]}: the week's measurement "
                            "does not list this model"
                        )
                    rows.append(row)
        columns = ["week", "series", "class", "point", "grade", "before", "after", "note"]
        table = pd.DataFrame(rows, columns=columns)
        return table.sort_values(["week", "series"], kind="stable").reset_index(drop=True)

    def _provenance_row(self, name: str, k: int, at: dict, points: list[int]) -> list:
        week = self.weeks[k]
        if k in at:
            point = self.inputs.loc[at[k]]
            if point["kind"] == "sourced":
                return [week, name, "sourced", point["key"], point["grade"], "", "", ""]
            return [week, name, "assumed", point["key"], "", "", "", point["note"]]
        before = max((r for r in points if self.position[r] < k), key=lambda r: self.position[r])
        after = min((r for r in points if self.position[r] > k), key=lambda r: self.position[r])
        return [week, name, "interpolated", "", "", self._label(before), self._label(after), ""]

    def _label(self, row: int) -> str:
        point = self.inputs.loc[row]
        return f"{point['key']} ({point['kind']})"


#: Decimals a free share (a fraction of a model's tokens) is rounded to before it is applied to
#: the model's quantized tokens: far coarser than a CPU's last bits, far finer than a token.
SHARE_DECIMALS = 9


def quantized(series: Series) -> Series:
    """``series`` with every token count rounded to whole millions (:func:`quantize`). A free
    count is its share of the model's tokens, rounded to :data:`SHARE_DECIMALS` decimals, times
    the model's quantized tokens, then quantized: a simple share (a half) of an odd number of
    millions lands on a half million, and the share's last bits (which depend on the CPU) must
    not decide which way it rounds. A free count never exceeds its model's quantized tokens."""
    listed = quantize(series.listed)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.round(
            np.where(series.listed > 0, series.free / series.listed, 0.0), SHARE_DECIMALS
        )
    free = np.minimum(quantize(share * listed), listed)  # NaN (unknown) stays NaN
    return Series(series.weeks, series.models, listed, quantize(series.total), free)
