"""The claims register: every factual claim of the essay, computed from a snapshot.

Each claim has an id, the chapter it belongs to, the essay's sentence, the test it must pass
(stated in words, with its thresholds), the analysis choices it depends on, and its measure in
:mod:`tokenrace.analysis.measures`, written once for one snapshot or many draws of it. A claim that
the data do not support is reported as not holding with its measured value, and one the data cannot
answer as not testable with the reason; nothing here raises, so a book built on contradicting or
short data still builds and shows it. How strongly each verdict rests on sourced facts is the
work of :mod:`tokenrace.claims.evidence`.

Units: tokens per Monday-start UTC week; prices in USD per million tokens, blended 3:1
input:output; shares in percent of all tokens unless stated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tokenrace.analysis import measures as m
from tokenrace.analysis import prices, recut
from tokenrace.analysis.cube import Cube, NotTestable
from tokenrace.analysis.measures import (  # noqa: F401  (thresholds are part of the register's interface)
    END_MIN_T,
    ESSAY_CN_OPEN_PCT,
    ESSAY_SPLIT_TOLERANCE_PP,
    ESSAY_US_FRONTIER_PCT,
    FAR_BELOW_FACTOR,
    FRACTION_MAX,
    FRONTIER_TOP_N,
    MIN_GROUP_SHARE_PCT,
    MONTH_WEEKS,
    SAME_ORDER_FACTOR,
    SHARE_RISE_MIN_PP,
    START_HIGH_T,
    START_LOW_T,
    Choices,
    Measure,
)
from tokenrace.snapshot.essay import as_of_essay
from tokenrace.snapshot.load import Snapshot

#: What the claim's test gives on one snapshot: a fact inside the evidence, never the verdict
#: (the verdict is the evidence level, :data:`tokenrace.evidence.LEVELS`).
HOLDS, FAILS, UNTESTABLE = "passes", "fails", "cannot be run"
#: The analysis choices as published: the last week, the 3:1 blend, all tokens, free included.
AS_PUBLISHED = Choices()


@dataclass(frozen=True)
class ClaimResult:
    """A claim measured on one snapshot (draw 0 of a cube)."""

    id: str
    chapter: str
    sentence: str
    test: str
    measured: str
    holds: bool | None
    numbers: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """What the test gives on this snapshot: "passes", "fails" or "cannot be run" (the reason
        in ``measured``). A fact of the evidence, not the claim's verdict (its evidence level)."""
        return outcome(self.holds)


def outcome(holds: bool | None) -> str:
    """What a claim's test gives, in words, from whether it holds (None: it cannot be run)."""
    if holds is None:
        return UNTESTABLE
    return HOLDS if holds else FAILS


@dataclass(frozen=True)
class Claim:
    """A claim of the essay and the function that measures it.

    ``uses`` names the analysis choices that enter the measure (``blend``, ``denominator``,
    ``paid``); the vantage week enters every claim.
    """

    id: str
    chapter: str
    sentence: str
    test: str
    measure: Callable[[Cube, Choices], Measure]
    uses: frozenset[str] = frozenset()

    def on(self, cube: Cube, choices: Choices = AS_PUBLISHED) -> Measure | str:
        """The claim's measure on every draw of ``cube``, or the reason it cannot be tested."""
        try:
            data = cube.upto(choices.vantage)
            return self.measure(data.paid() if choices.paid_only else data, choices)
        except NotTestable as why:
            return str(why)

    def evaluate(self, cube: Cube | Snapshot, choices: Choices = AS_PUBLISHED) -> ClaimResult:
        """The claim on one snapshot (or draw 0 of a cube)."""
        if isinstance(cube, Snapshot):
            cube = Cube.from_snapshot(cube)
        out = self.on(cube, choices)
        if isinstance(out, str):
            return ClaimResult(self.id, self.chapter, self.sentence, self.test, out, None, {})
        numbers = {k: _plain(v[0]) for k, v in out.numbers.items()}
        holds = bool(out.holds[0])
        return ClaimResult(
            self.id, self.chapter, self.sentence, self.test, out.text(0), holds, numbers
        )


def _plain(value) -> float | str:
    """A plain Python value (NumPy 2 scalars print as ``np.float64(...)``)."""
    if isinstance(value, (str, np.str_)):
        return str(value)
    return float(value)


def final_month_usage(snap: Snapshot) -> pd.DataFrame:
    """:func:`tokenrace.analysis.prices.usage_and_price` over the final four weeks."""
    return prices.usage_and_price(snap, recut.last_weeks(snap, MONTH_WEEKS))


def frontier_models(snap: Snapshot, usage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Frontier: US closed-weight models among the 10 most-used of the final four weeks.

    Returns those rows of ``usage`` (default :func:`final_month_usage`), most used first. The
    selection is :func:`tokenrace.analysis.measures.frontier_mask`, the one definition of the word.
    """
    usage = final_month_usage(snap) if usage is None else usage
    cube = Cube.from_snapshot(snap)
    mask = m.frontier_mask(cube, cube.window(MONTH_WEEKS))[0]
    return usage[usage.index.isin(cube.models[mask])]


REGISTER: tuple[Claim, ...] = (
    Claim(
        "volume-growth",
        "race",
        "Weekly volume has climbed from roughly 2 trillion to more than 30 trillion tokens "
        "in a year.",
        f"Platform total in the first week between {START_LOW_T} T and {START_HIGH_T} T, and "
        f"above {END_MIN_T:.0f} T in the last week.",
        m.volume_growth,
    ),
    Claim(
        "paid-lead",
        "race",
        "When buyers pay per token, they vote with their wallets.",
        "Counting paid tokens only (tokens served on free variants or by models listed at $0 "
        "removed), models made in China carry more of the final four weeks' tokens than the "
        "models of any other country.",
        m.paid_lead,
    ),
    Claim(
        "top-three-chinese-open",
        "open-secret",
        "On the open token market, the most-used models are open-weight releases from "
        "DeepSeek, Hy3, and Kimi, all Chinese labs.",
        "The three most-used models of the last week have open weights, are made in China (CN), "
        "and come from DeepSeek, Tencent (Hy3) and Moonshot AI (Kimi).",
        m.top_three,
        frozenset({"paid"}),
    ),
    Claim(
        "fraction-of-frontier-price",
        "open-secret",
        "... at a fraction of frontier prices.",
        "Token-weighted blended price (final four weeks) of those three models is at most "
        f"{FRACTION_MAX:.2f} × that of the frontier.",
        m.fraction_of_frontier,
        frozenset({"blend", "paid"}),
    ),
    Claim(
        "deepseek-largest-band",
        "open-secret",
        "The largest band is DeepSeek's.",
        "DeepSeek's tokens in the last week exceed every other lab's (the long tail excluded).",
        m.deepseek_largest,
        frozenset({"paid"}),
    ),
    Claim(
        "china-share-rises",
        "fork",
        "Re-cut the same tokens by where the model was made, and the trajectory is plain.",
        "China's share of all tokens, averaged over the last four weeks, is at least "
        f"{SHARE_RISE_MIN_PP:.0f} percentage points above its average over the first four "
        "weeks, and Chinese open-weight models are the largest origin group in the last week.",
        m.china_rises,
        frozenset({"denominator", "paid"}),
    ),
    Claim(
        "essay-split",
        "fork",
        'The essay\'s chart of the model-origin split ends the year at "China open 58" and '
        '"US frontier 28".',
        "Over all tokens in the last week, Chinese open-weight models carry "
        f"{ESSAY_CN_OPEN_PCT:.0f} % and US closed-weight models {ESSAY_US_FRONTIER_PCT:.0f} %, "
        f"each within ±{ESSAY_SPLIT_TOLERANCE_PP:.0f} percentage points (the chart labels whole "
        "percents).",
        m.essay_split,
        frozenset({"denominator", "paid"}),
    ),
    Claim(
        "china-cheapest",
        "humanist",
        "Cost is the lever, and cost is where Chinese labs compete hardest.",
        "Over the final four weeks, Chinese models have the lowest token-weighted blended price "
        f"of any country of origin that carries at least {MIN_GROUP_SHARE_PCT:.0f} % of the "
        "priced tokens.",
        m.china_cheapest,
        frozenset({"blend", "paid"}),
    ),
    Claim(
        "gemma-same-order",
        "humanist",
        "Google is making a good effort here with its Gemma models: they are good, and "
        "cost-effective.",
        "Gemma's token-weighted blended price (final four weeks) is within a factor "
        f"{SAME_ORDER_FACTOR:.0f} of the Chinese open-weight models' and at most "
        f"{FAR_BELOW_FACTOR:.1f} × the frontier's.",
        m.gemma,
        frozenset({"blend", "paid"}),
    ),
)


def evaluate(snap: Snapshot, chapter: str | None = None) -> list[ClaimResult]:
    """Measure every claim (or one chapter's) on ``snap`` as of the essay's week
    (:func:`tokenrace.snapshot.essay.as_of_essay`), as published."""
    cube = Cube.from_snapshot(as_of_essay(snap).snapshot)
    return [c.evaluate(cube) for c in REGISTER if chapter is None or c.chapter == chapter]


def result(snap: Snapshot, claim_id: str) -> ClaimResult:
    """One claim of the register, measured on ``snap`` as of the essay's week, as published."""
    return next(c for c in REGISTER if c.id == claim_id).evaluate(as_of_essay(snap).snapshot)
