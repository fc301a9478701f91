"""How each claim of the essay is measured, on a :class:`tokenrace.analysis.cube.Cube` of one or
many draws.

Every function takes a cube and the analysis :class:`Choices` and returns a :class:`Measure`:
per draw, whether the claim holds, a signed ``margin`` (positive where it holds, in log units or
scaled percentage points: how far from flipping), the numbers behind it, and the text of the
measured value. Functions raise :class:`tokenrace.analysis.cube.NotTestable` where the data cannot
answer (too few weeks, an unknown free share).

Units: tokens per Monday-start UTC week (T = 10^12 tokens); prices in USD per million tokens
(USD/Mtok), blended ``input_share`` input to the rest output; shares in percent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tokenrace.analysis.cube import Cube, NotTestable
from tokenrace.analysis.prices import BLEND_INPUT_SHARE, blended_price
from tokenrace.analysis.recut import ORIGIN_GROUPS

T = 1e12
#: Window of the "final month" and of the first/last averages: four weeks.
MONTH_WEEKS = 4

# Thresholds of the tests, stated once.
START_LOW_T, START_HIGH_T = 1.5, 2.5
END_MIN_T = 30.0
TOP_THREE_AUTHORS = ("deepseek", "moonshotai", "tencent")
FRACTION_MAX = 0.25
FRONTIER_TOP_N = 10
SHARE_RISE_MIN_PP = 10.0
MIN_GROUP_SHARE_PCT = 5.0
SAME_ORDER_FACTOR = 10.0
FAR_BELOW_FACTOR = 0.1
#: The end of the essay's chart "Representative OpenRouter model-origin split" (percent).
ESSAY_CN_OPEN_PCT, ESSAY_US_FRONTIER_PCT = 58.0, 28.0
#: How far (percentage points) a share may lie from the chart's whole-percent label.
ESSAY_SPLIT_TOLERANCE_PP = 2.0


@dataclass(frozen=True)
class Choices:
    """The analysis choices a claim is measured under.

    - ``vantage``: weeks before the last week taken as the end of the data (0 = as published);
    - ``input_share``: input share of the blended price (0.75 = the 3:1 blend);
    - ``top_n``: share denominators over the ``top_n`` most-used models only (None = all tokens);
    - ``paid_only``: count paid tokens only (:meth:`Cube.paid`: free-variant tokens and models
      listed at $0 removed).
    """

    vantage: int = 0
    input_share: float = BLEND_INPUT_SHARE
    top_n: int | None = None
    paid_only: bool = False


@dataclass(frozen=True)
class Measure:
    """A claim measured on every draw of a cube: arrays of shape ``(D,)``."""

    holds: np.ndarray
    margin: np.ndarray
    numbers: dict[str, np.ndarray]
    text: Callable[[int], str]


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(np.asarray(a, dtype=float) / np.asarray(b, dtype=float))
    return np.where(np.isnan(out), -np.inf, out)


def _t(tokens: float) -> str:
    return f"{tokens / T:.1f} T"


def top_mask(tokens: np.ndarray, listed: np.ndarray, n: int) -> np.ndarray:
    """``(D, M)`` True for the ``n`` most-used listed models of each draw (ties: model order)."""
    ranked = np.where(listed[None, :], tokens, -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :n]
    mask = np.zeros(tokens.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask & listed[None, :]


def weighted_price(tokens: np.ndarray, price: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Token-weighted price ``(D,)`` of the priced models in ``mask``; NaN where there are none."""
    weights = np.where(mask & ~np.isnan(price), tokens, 0.0)
    total = weights.sum(axis=1)
    spend = (weights * np.nan_to_num(price)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, spend / total, np.nan)


def prices(cube: Cube, choices: Choices) -> np.ndarray:
    """Blended price per model ``(M,)`` in USD/Mtok (NaN where none is recorded)."""
    return np.asarray(
        blended_price(
            cube.column("input_usd_per_mtok").astype(float),
            cube.column("output_usd_per_mtok").astype(float),
            choices.input_share,
        ),
        dtype=float,
    )


def frontier_mask(cube: Cube, month: np.ndarray) -> np.ndarray:
    """Frontier: US closed-weight models among the 10 most-used of the final four weeks."""
    top = top_mask(month, cube.listed, FRONTIER_TOP_N)
    return top & (cube.column("group") == "us_closed")[None, :]


def _names(cube: Cube, mask_row: np.ndarray) -> str:
    return ", ".join(cube.column("name")[mask_row]) or "none"


# --- the measures -------------------------------------------------------------------------------


def volume_growth(cube: Cube, choices: Choices) -> Measure:
    """Platform total in the first and last week (trillions of tokens)."""
    if len(cube.weeks) < 2:
        raise NotTestable(f"not enough weeks (needs 2, has {len(cube.weeks)})")
    total = cube.tokens.sum(axis=1)
    first, last = total[:, 0] / T, total[:, -1] / T
    holds = (first >= START_LOW_T) & (first <= START_HIGH_T) & (last > END_MIN_T)
    margin = np.minimum.reduce(
        [
            _log_ratio(first, START_LOW_T),
            _log_ratio(START_HIGH_T, first),
            _log_ratio(last, END_MIN_T),
        ]
    )
    w0, w1 = cube.weeks[0], cube.weeks[-1]

    def text(d: int) -> str:
        return (
            f"{first[d]:.1f} T in the week of {w0:%Y-%m-%d}, {last[d]:.1f} T in the week of "
            f"{w1:%Y-%m-%d} (× {last[d] / first[d]:.1f})"
        )

    return Measure(
        holds, margin, {"first_t": first, "last_t": last, "multiple": last / first}, text
    )


def top_three(cube: Cube, choices: Choices) -> Measure:
    """The three most-used models of the last week: open weights, made in China, the three labs."""
    week = cube.week(-1)
    listed = cube.listed
    author = cube.column("author")
    ok_attrs = cube.column("open_weights").astype(bool) & (cube.column("country") == "CN")
    best_idx, best_tok, ok = [], [], np.ones(cube.draws, dtype=bool)
    for a in TOP_THREE_AUTHORS:
        cols = np.flatnonzero(listed & (author == a))
        if len(cols) == 0:
            best_idx.append(np.zeros(cube.draws, dtype=int))
            best_tok.append(np.zeros(cube.draws))
            ok[:] = False
            continue
        pick = cols[np.argmax(week[:, cols], axis=1)]
        best_idx.append(pick)
        best_tok.append(np.take_along_axis(week, pick[:, None], axis=1)[:, 0])
        ok &= ok_attrs[pick]
    rest = np.where(listed[None, :], week, -np.inf)
    for pick in best_idx:
        np.put_along_axis(rest, pick[:, None], -np.inf, axis=1)
    contender = rest.max(axis=1)
    qualify = np.min(best_tok, axis=0)
    margin = np.where(ok, _log_ratio(qualify, np.maximum(contender, 0)), -np.inf)
    holds = ok & (qualify > contender)
    order = np.argsort(-np.where(listed[None, :], week, -np.inf), axis=1, kind="stable")[:, :3]
    names = cube.column("name")[order]
    attrs = cube.attrs

    def text(d: int) -> str:
        parts = []
        for rank, i in enumerate(order[d], start=1):
            row = attrs.iloc[i]
            weights = "open weights" if row["open_weights"] else "closed"
            origin = row["country"] or "unattributed"
            parts.append(f"{rank}. {row['name']} ({row['lab']}, {origin}, {weights})")
        return "; ".join(parts)

    numbers = {f"top{r + 1}": names[:, r] for r in range(min(3, names.shape[1]))}
    return Measure(holds, margin, numbers, text)


def fraction_of_frontier(cube: Cube, choices: Choices) -> Measure:
    """Token-weighted price of the three most-used models against the frontier's."""
    month, week = cube.window(MONTH_WEEKS), cube.week(-1)
    price = prices(cube, choices)
    frontier = frontier_mask(cube, month)
    leaders = weighted_price(month, price, top_mask(week, cube.listed, 3))
    front = weighted_price(month, price, frontier)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = leaders / front
    margin = _log_ratio(FRACTION_MAX, ratio)
    holds = ratio <= FRACTION_MAX

    def text(d: int) -> str:
        return (
            f"top three: ${leaders[d]:.2f}/Mtok; frontier ({_names(cube, frontier[d])}): "
            f"${front[d]:.2f}/Mtok; ratio {ratio[d]:.2f}"
        )

    numbers = {"leaders_usd": leaders, "frontier_usd": front, "ratio": ratio}
    return Measure(holds, margin, numbers, text)


def deepseek_largest(cube: Cube, choices: Choices) -> Measure:
    """DeepSeek's tokens in the last week against every other lab's (the long tail excluded)."""
    week = cube.week(-1)[:, cube.listed]
    labs, sums = cube.by(cube.column("lab")[cube.listed], week)
    deepseek = cube.attrs.loc[cube.attrs["author"] == "deepseek", "lab"]
    name = str(deepseek.iloc[0]) if len(deepseek) else "DeepSeek"
    mine = sums[:, labs == name].sum(axis=1)
    others = np.where((labs != name)[None, :], sums, -np.inf)
    runner = others.argmax(axis=1) if others.shape[1] else np.zeros(cube.draws, dtype=int)
    best = others.max(axis=1) if others.shape[1] else np.zeros(cube.draws)
    holds = mine > best
    margin = _log_ratio(mine, np.maximum(best, 0))
    runner_name = labs[runner]

    def text(d: int) -> str:
        return f"{name}: {_t(mine[d])} in the last week; next: {runner_name[d]} {_t(best[d])}"

    return Measure(holds, margin, {"deepseek_t": mine / T, "runner_up": runner_name}, text)


def _weekly_shares(cube: Cube, choices: Choices, weeks: slice) -> tuple[np.ndarray, np.ndarray]:
    """Tokens ``(D, M, K')`` of the weeks, masked to each week's top models when ``top_n``."""
    tokens = cube.known(cube.tokens[:, :, weeks])
    if choices.top_n is not None:
        masks = [
            top_mask(tokens[:, :, k], cube.listed, choices.top_n) for k in range(tokens.shape[2])
        ]
        tokens = np.where(np.stack(masks, axis=2), tokens, 0.0)
    return tokens, tokens.sum(axis=1)


def _denominator(choices: Choices) -> str:
    """What a share is of, in words: all tokens, or the top N models' (``choices.top_n``)."""
    return "all tokens" if choices.top_n is None else f"the top {choices.top_n} models"


def china_rises(cube: Cube, choices: Choices) -> Measure:
    """China's share, first four weeks against last four; the largest group in the last week."""
    have = len(cube.weeks)
    if have < 2 * MONTH_WEEKS:
        raise NotTestable(f"not enough weeks (needs {2 * MONTH_WEEKS}, has {have})")
    cn = cube.column("country") == "CN"
    shares = []
    for part in (slice(0, MONTH_WEEKS), slice(have - MONTH_WEEKS, have)):
        tokens, total = _weekly_shares(cube, choices, part)
        shares.append((tokens[:, cn].sum(axis=1) / total * 100).mean(axis=1))
    first, last = shares
    tokens, _ = _weekly_shares(cube, choices, slice(have - 1, have))
    groups, sums = cube.by(cube.column("group"), tokens[:, :, 0])
    cn_open = sums[:, groups == "cn_open"].sum(axis=1)
    rival = np.where((groups != "cn_open")[None, :], sums, -np.inf).max(axis=1)
    largest = groups[sums.argmax(axis=1)]
    group_pct = sums.max(axis=1) / sums.sum(axis=1) * 100
    holds = (last - first >= SHARE_RISE_MIN_PP) & (largest == "cn_open")
    margin = np.minimum(
        (last - first - SHARE_RISE_MIN_PP) / SHARE_RISE_MIN_PP, _log_ratio(cn_open, rival)
    )
    denominator = _denominator(choices)

    def text(d: int) -> str:
        return (
            f"China's share of {denominator} {first[d]:.1f} % (first four weeks) → "
            f"{last[d]:.1f} % (last four weeks); largest group in the last week: "
            f"{ORIGIN_GROUPS[largest[d]]} ({group_pct[d]:.1f} %)"
        )

    return Measure(holds, margin, {"first_pct": first, "last_pct": last, "largest": largest}, text)


def essay_split(cube: Cube, choices: Choices) -> Measure:
    """The last week's shares of Chinese open-weight and US closed-weight models (percent of
    the denominator), against the essay chart's 58 and 28, each within the tolerance."""
    tokens, total = _weekly_shares(cube, choices, slice(len(cube.weeks) - 1, len(cube.weeks)))
    groups = cube.column("group")
    cn_open = tokens[:, groups == "cn_open", 0].sum(axis=1) / total[:, 0] * 100
    us_closed = tokens[:, groups == "us_closed", 0].sum(axis=1) / total[:, 0] * 100
    off_cn = np.abs(cn_open - ESSAY_CN_OPEN_PCT)
    off_us = np.abs(us_closed - ESSAY_US_FRONTIER_PCT)
    tolerance = ESSAY_SPLIT_TOLERANCE_PP
    holds = (off_cn <= tolerance) & (off_us <= tolerance)
    margin = (tolerance - np.maximum(off_cn, off_us)) / tolerance
    denominator = _denominator(choices)

    def text(d: int) -> str:
        return (
            f"Last week, of {denominator}: Chinese open-weight {cn_open[d]:.1f} % "
            f"(the essay: {ESSAY_CN_OPEN_PCT:.0f}), US closed-weight {us_closed[d]:.1f} % "
            f"(the essay: {ESSAY_US_FRONTIER_PCT:.0f})"
        )

    return Measure(holds, margin, {"cn_open_pct": cn_open, "us_closed_pct": us_closed}, text)


def _by_country(cube: Cube, month: np.ndarray, price: np.ndarray):
    priced = cube.listed & ~np.isnan(price)
    country = np.where(cube.column("country") == "", "unattributed", cube.column("country"))
    keys, tokens = cube.by(country[priced], month[:, priced])
    _, spend = cube.by(country[priced], month[:, priced] * price[priced])
    with np.errstate(invalid="ignore", divide="ignore"):
        return keys, tokens / tokens.sum(axis=1, keepdims=True) * 100, spend / tokens


def _usd(value: float) -> str:
    """A price per million tokens as text; a group without priced tokens in the window has none
    (0 / 0), said in words rather than as "nan"."""
    return "no priced tokens" if np.isnan(value) else f"${value:.2f}"


def china_cheapest(cube: Cube, choices: Choices) -> Measure:
    """Token-weighted price by country; China against every country with 5 % of priced tokens."""
    keys, share, usd = _by_country(cube, cube.window(MONTH_WEEKS), prices(cube, choices))
    if "CN" not in keys:
        raise NotTestable("no priced Chinese model in the final four weeks")
    cn = int(np.flatnonzero(keys == "CN")[0])
    material = share >= MIN_GROUP_SHARE_PCT
    rivals = material.copy()
    rivals[:, cn] = False
    cheapest_rival = np.where(rivals, usd, np.inf).min(axis=1)
    holds = material[:, cn] & (usd[:, cn] < cheapest_rival)
    margin = np.where(material[:, cn], _log_ratio(cheapest_rival, usd[:, cn]), -np.inf)

    def text(d: int) -> str:
        if not material[d, cn]:
            return "China has less than the minimum share of priced tokens"
        rest = ", ".join(f"{k} {_usd(usd[d, i])}" for i, k in enumerate(keys) if rivals[d, i])
        small = ", ".join(
            f"{k} {_usd(usd[d, i])}" for i, k in enumerate(keys) if not material[d, i]
        )
        floor = f" (below the {MIN_GROUP_SHARE_PCT:.0f} % floor: {small})" if small else ""
        return f"CN ${usd[d, cn]:.2f}/Mtok; {rest or 'no other group'}{floor}"

    return Measure(holds, margin, {"cn_usd": usd[:, cn]}, text)


def gemma(cube: Cube, choices: Choices) -> Measure:
    """Gemma's price against the Chinese open-weight models' and the frontier's."""
    month = cube.window(MONTH_WEEKS)
    price = prices(cube, choices)
    is_gemma = np.char.find(cube.models.to_numpy().astype(str), "gemma") >= 0
    g = weighted_price(month, price, np.broadcast_to(is_gemma, month.shape))
    if np.isnan(g).all():
        raise NotTestable("no priced Gemma model in the final four weeks")
    c = weighted_price(
        month, price, np.broadcast_to(cube.column("group") == "cn_open", month.shape)
    )
    f = weighted_price(month, price, frontier_mask(cube, month))
    with np.errstate(invalid="ignore", divide="ignore"):
        same = np.log(SAME_ORDER_FACTOR) - np.abs(np.log(g / c))
        below = np.log(FAR_BELOW_FACTOR * f / g)
    margin = np.nan_to_num(np.minimum(same, below), nan=-np.inf)
    # The verdict compares the prices themselves (division is exact to the last bit on any CPU);
    # the margin's logarithms, whose last bits depend on the CPU, only measure how far it is.
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = g / c
        below_frontier = g / f
        holds = (
            (ratio <= SAME_ORDER_FACTOR)
            & (ratio >= 1 / SAME_ORDER_FACTOR)
            & (g <= FAR_BELOW_FACTOR * f)
        )

    def text(d: int) -> str:
        return (
            f"Gemma ${g[d]:.2f}/Mtok; Chinese open-weight ${c[d]:.2f}/Mtok (ratio "
            f"{ratio[d]:.2f}); frontier ${f[d]:.2f}/Mtok (ratio {below_frontier[d]:.3f})"
        )

    return Measure(holds, margin, {"gemma_usd": g, "cn_open_usd": c, "frontier_usd": f}, text)


def paid_lead(cube: Cube, choices: Choices) -> Measure:
    """Paid tokens of the final four weeks by country of origin: China against the rest."""
    month = cube.window(MONTH_WEEKS)[:, cube.listed]
    paid = cube.paid().window(MONTH_WEEKS)[:, cube.listed]
    country = cube.column("country")[cube.listed]
    keys, by_paid = cube.by(country, paid)
    _, by_all = cube.by(country, month)
    if "CN" not in keys:
        raise NotTestable("no Chinese model in the final four weeks")
    cn = int(np.flatnonzero(keys == "CN")[0])
    named = (keys != "") & (keys != "CN")
    rival = np.where(named[None, :], by_paid, -np.inf).max(axis=1)
    top = keys[np.where(named[None, :], by_paid, -np.inf).argmax(axis=1)]
    holds = by_paid[:, cn] > rival
    margin = _log_ratio(by_paid[:, cn], np.maximum(rival, 0))
    paid_pct = by_paid / by_paid.sum(axis=1, keepdims=True) * 100
    all_pct = by_all / by_all.sum(axis=1, keepdims=True) * 100
    free_pct = (1 - by_paid[:, cn] / by_all[:, cn]) * 100
    numbers = {
        "cn_paid_pct": paid_pct[:, cn],
        "cn_all_pct": all_pct[:, cn],
        "cn_free_pct": free_pct,
        "rival": top,
        "rival_paid_pct": np.take_along_axis(paid_pct, np.searchsorted(keys, top)[:, None], 1)[
            :, 0
        ],
    }

    def text(d: int) -> str:
        return (
            f"China {paid_pct[d, cn]:.1f} % of listed models' paid tokens (all tokens: "
            f"{all_pct[d, cn]:.1f} %; {free_pct[d]:.0f} % of Chinese tokens free); next: "
            f"{top[d]} {numbers['rival_paid_pct'][d]:.1f} %"
        )

    return Measure(holds, margin, numbers, text)
