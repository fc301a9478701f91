"""The claims register: every factual claim of the essay, computed from a snapshot.

Each claim has an id, the chapter it belongs to, the essay's sentence, the test it must pass
(stated in words, with its thresholds), the measured value, and a verdict. A claim that the data
does not support is reported as not holding with its measured value; nothing here raises on a
failing claim, so a book built on contradicting data still builds and shows it.

Units: tokens per Monday-start UTC week; prices in USD per million tokens, blended 3:1
input:output; shares in percent of all tokens unless stated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from tokenrace import prices, recut
from tokenrace.snapshot import Snapshot

T = 1e12
#: Window of the "final month" and of the first/last averages: four weeks.
MONTH_WEEKS = 4

# Thresholds of the tests, stated once.
START_LOW_T, START_HIGH_T = 1.5, 2.5
END_MIN_T = 30.0
TOP_THREE_AUTHORS = frozenset({"deepseek", "tencent", "moonshotai"})
FRACTION_MAX = 0.25
FRONTIER_TOP_N = 10
SHARE_RISE_MIN_PP = 10.0
MIN_GROUP_SHARE_PCT = 5.0
SAME_ORDER_FACTOR = 10.0
FAR_BELOW_FACTOR = 0.1


@dataclass(frozen=True)
class ClaimResult:
    """A claim measured on one snapshot."""

    id: str
    chapter: str
    sentence: str
    test: str
    measured: str
    holds: bool
    numbers: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """ "holds" or "does not hold"."""
        return "holds" if self.holds else "does not hold"


@dataclass(frozen=True)
class Claim:
    """A claim of the essay and the function that measures it."""

    id: str
    chapter: str
    sentence: str
    test: str
    measure: Callable[[Snapshot], tuple[str, bool, dict]]

    def evaluate(self, snap: Snapshot) -> ClaimResult:
        """Measure the claim on ``snap``."""
        measured, holds, numbers = self.measure(snap)
        return ClaimResult(
            self.id, self.chapter, self.sentence, self.test, measured, bool(holds), numbers
        )


def _t(tokens: float) -> str:
    return f"{tokens / T:.1f} T"


def _volume_growth(snap: Snapshot) -> tuple[str, bool, dict]:
    total = recut.weekly_total(snap)
    first, last = float(total.iloc[0] / T), float(total.iloc[-1] / T)
    holds = START_LOW_T <= first <= START_HIGH_T and last > END_MIN_T
    measured = (
        f"{first:.1f} T in the week of {total.index[0]:%Y-%m-%d}, {last:.1f} T in the week of "
        f"{total.index[-1]:%Y-%m-%d} (× {last / first:.1f})"
    )
    return measured, holds, {"first_t": first, "last_t": last, "multiple": last / first}


def _top_three(snap: Snapshot) -> tuple[str, bool, dict]:
    top = recut.top_models(snap, recut.last_weeks(snap, 1), n=3)
    attrs = recut.model_attributes(snap).loc[top["model"]]
    authors = set(attrs["author"])
    holds = (
        authors == TOP_THREE_AUTHORS
        and bool(top["open_weights"].all())
        and bool((top["country"] == "CN").all())
    )
    parts = [
        f"{r.rank}. {r.name} ({r.lab}, {r.country or 'unattributed'}, "
        f"{'open weights' if r.open_weights else 'closed'})"
        for r in top.itertuples()
    ]
    numbers = {f"top{r.rank}": r.name for r in top.itertuples()}
    return "; ".join(parts), holds, numbers


def final_month_usage(snap: Snapshot) -> pd.DataFrame:
    """:func:`tokenrace.prices.usage_and_price` over the final four weeks."""
    return prices.usage_and_price(snap, recut.last_weeks(snap, MONTH_WEEKS))


def frontier_models(snap: Snapshot, usage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Frontier: US closed-weight models among the 10 most-used of the final four weeks.

    Returns rows of ``usage`` (default :func:`final_month_usage`).
    """
    top = (final_month_usage(snap) if usage is None else usage).head(FRONTIER_TOP_N)
    return top[top["group"] == "us_closed"]


def _fraction_of_frontier(snap: Snapshot) -> tuple[str, bool, dict]:
    table = final_month_usage(snap)
    top3 = recut.top_models(snap, recut.last_weeks(snap, 1), n=3)["model"]
    frontier_rows = frontier_models(snap, table)
    leaders = prices.token_weighted_price(table.loc[top3])
    frontier = prices.token_weighted_price(frontier_rows)
    ratio = leaders / frontier if frontier else float("nan")
    holds = ratio <= FRACTION_MAX
    names = ", ".join(frontier_rows["name"]) or "none"
    measured = (
        f"top three: ${leaders:.2f}/Mtok; frontier ({names}): ${frontier:.2f}/Mtok; "
        f"ratio {ratio:.2f}"
    )
    return measured, holds, {"leaders_usd": leaders, "frontier_usd": frontier, "ratio": ratio}


def _deepseek_largest(snap: Snapshot) -> tuple[str, bool, dict]:
    labs = recut.lab_tokens(snap).iloc[-1].drop("Other models", errors="ignore")
    labs = labs.sort_values(ascending=False)
    attrs = recut.model_attributes(snap)
    deepseek_lab = attrs.loc[attrs["author"] == "deepseek", "lab"]
    name = deepseek_lab.iloc[0] if len(deepseek_lab) else "DeepSeek"
    value = float(labs.get(name, 0.0))
    runner = labs.drop(name, errors="ignore")
    holds = bool(len(runner) == 0 or value > runner.iloc[0])
    measured = (
        f"{name}: {_t(value)} in the last week; next: {runner.index[0]} {_t(runner.iloc[0])}"
        if len(runner)
        else f"{name}: {_t(value)}"
    )
    return measured, holds, {"deepseek_t": value / T, "runner_up": str(runner.index[0])}


def _china_rises(snap: Snapshot) -> tuple[str, bool, dict]:
    share = recut.china_share(snap)
    first = float(share.iloc[:MONTH_WEEKS].mean())
    last = float(share.iloc[-MONTH_WEEKS:].mean())
    groups = recut.shares_by(snap, "group").iloc[-1]
    largest = str(groups.idxmax())
    holds = last - first >= SHARE_RISE_MIN_PP and largest == "cn_open"
    measured = (
        f"China's share {first:.1f} % (first four weeks) → {last:.1f} % (last four weeks); "
        f"largest group in the last week: {recut.ORIGIN_GROUPS[largest]} "
        f"({groups.max():.1f} %)"
    )
    return measured, holds, {"first_pct": first, "last_pct": last, "largest": largest}


def price_by_country(snap: Snapshot) -> pd.DataFrame:
    """Token-weighted blended price per country of origin over the final four weeks."""
    table = final_month_usage(snap)
    table["country"] = table["country"].replace("", "unattributed")
    out = prices.weighted_price(table, "country")
    out["token_share_pct"] = out["priced_tokens"] / out["priced_tokens"].sum() * 100
    return out


def _china_cheapest(snap: Snapshot) -> tuple[str, bool, dict]:
    table = price_by_country(snap)
    material = table[table["token_share_pct"] >= MIN_GROUP_SHARE_PCT]
    if "CN" not in material.index:
        return "China has less than the minimum share of priced tokens", False, {}
    cn = float(material.at["CN", "usd_per_mtok"])
    others = material.drop("CN")
    holds = bool(others.empty or cn < others["usd_per_mtok"].min())
    rest = ", ".join(f"{k} ${v:.2f}" for k, v in others["usd_per_mtok"].items())
    small = table[table["token_share_pct"] < MIN_GROUP_SHARE_PCT]
    tail = ", ".join(f"{k} ${v:.2f}" for k, v in small["usd_per_mtok"].items())
    measured = f"CN ${cn:.2f}/Mtok; {rest or 'no other group'}" + (
        f" (below the {MIN_GROUP_SHARE_PCT:.0f} % floor: {tail})" if tail else ""
    )
    return measured, holds, {"cn_usd": cn}


def _gemma(snap: Snapshot) -> tuple[str, bool, dict]:
    table = final_month_usage(snap)
    gemma = table[table.index.str.contains("gemma")]
    cn_open = table[table["group"] == "cn_open"]
    weighted = prices.token_weighted_price
    g, c, f = weighted(gemma), weighted(cn_open), weighted(frontier_models(snap, table))
    same_order = 1 / SAME_ORDER_FACTOR <= g / c <= SAME_ORDER_FACTOR
    far_below = g <= FAR_BELOW_FACTOR * f
    holds = bool(same_order and far_below)
    measured = (
        f"Gemma ${g:.2f}/Mtok; Chinese open-weight ${c:.2f}/Mtok (ratio {g / c:.2f}); "
        f"frontier ${f:.2f}/Mtok (ratio {g / f:.3f})"
    )
    return measured, holds, {"gemma_usd": g, "cn_open_usd": c, "frontier_usd": f}


REGISTER: tuple[Claim, ...] = (
    Claim(
        "volume-growth",
        "race",
        "Weekly volume has climbed from roughly 2 trillion to more than 30 trillion tokens "
        "in a year.",
        f"Platform total in the first week between {START_LOW_T} T and {START_HIGH_T} T, and "
        f"above {END_MIN_T:.0f} T in the last week.",
        _volume_growth,
    ),
    Claim(
        "top-three-chinese-open",
        "open-secret",
        "On the open token market, the most-used models are open-weight releases from "
        "DeepSeek, Hy3, and Kimi, all Chinese labs.",
        "The three most-used models of the last week have open weights, are made in China (CN), "
        "and come from DeepSeek, Tencent (Hy3) and Moonshot AI (Kimi).",
        _top_three,
    ),
    Claim(
        "fraction-of-frontier-price",
        "open-secret",
        "... at a fraction of frontier prices.",
        "Token-weighted blended price (3:1 input:output, final four weeks) of those three models "
        f"is at most {FRACTION_MAX:.2f} × that of the frontier: the US closed-weight models "
        f"among the {FRONTIER_TOP_N} most-used models of the final four weeks.",
        _fraction_of_frontier,
    ),
    Claim(
        "deepseek-largest-band",
        "open-secret",
        "The largest band is DeepSeek's.",
        "DeepSeek's tokens in the last week exceed every other lab's (the long tail excluded).",
        _deepseek_largest,
    ),
    Claim(
        "china-share-rises",
        "fork",
        "Re-cut the same tokens by where the model was made, and the trajectory is plain.",
        "China's share of all tokens, averaged over the last four weeks, is at least "
        f"{SHARE_RISE_MIN_PP:.0f} percentage points above its average over the first four "
        "weeks, and Chinese open-weight models are the largest origin group in the last week.",
        _china_rises,
    ),
    Claim(
        "china-cheapest",
        "humanist",
        "Cost is the lever, and cost is where Chinese labs compete hardest.",
        "Over the final four weeks, Chinese models have the lowest token-weighted blended price "
        f"of any country of origin that carries at least {MIN_GROUP_SHARE_PCT:.0f} % of the "
        "priced tokens.",
        _china_cheapest,
    ),
    Claim(
        "gemma-same-order",
        "humanist",
        "Google is making a good effort here with its Gemma models: they are good, and "
        "cost-effective.",
        "Gemma's token-weighted blended price (final four weeks) is within a factor "
        f"{SAME_ORDER_FACTOR:.0f} of the Chinese open-weight models' and at most "
        f"{FAR_BELOW_FACTOR:.1f} × the frontier's.",
        _gemma,
    ),
)


def evaluate(snap: Snapshot, chapter: str | None = None) -> list[ClaimResult]:
    """Measure every claim (or one chapter's) on ``snap``."""
    return [c.evaluate(snap) for c in REGISTER if chapter is None or c.chapter == chapter]


def glue_key(claim_id: str, what: str) -> str:
    """Glue name of a claim's ``verdict`` or ``measured`` text: ``claim_volume_growth_verdict``."""
    return f"claim_{claim_id.replace('-', '_')}_{what}"


def report(snap: Snapshot, chapter: str | None = None):
    """Measure the claims (of one chapter, or all), glue their verdicts, and show them.

    Returns a Markdown display object listing each claim, its test, measured value and verdict
    (a list rather than a table, so it reads on a phone).

    Glue names: :func:`glue_key` with ``verdict`` and ``measured``; the numbers behind each claim
    are glued as ``claim_<id>_<number>`` (plain Python values).
    """
    from tokenrace.glue import glue

    results = evaluate(snap, chapter)
    for result in results:
        glue(glue_key(result.id, "verdict"), result.verdict, display=False)
        glue(glue_key(result.id, "measured"), result.measured, display=False)
        for name, value in result.numbers.items():
            plain = value if isinstance(value, str) else float(value)
            glue(glue_key(result.id, name), plain, display=False)
    from IPython.display import Markdown

    return Markdown(markdown_list(results, link=chapter is None))


#: Chapter document of each chapter key (for links from the claims page).
CHAPTER_DOCS = {
    "race": "The race",
    "open-secret": "The open secret",
    "fork": "The fork",
    "humanist": "The humanist case",
}


def markdown_list(results: list[ClaimResult], link: bool = True) -> str:
    """MyST text listing each claim with its verdict; ``link`` adds where it is computed."""
    lines = []
    for r in results:
        mark = "✔ **holds**" if r.holds else "✘ **does not hold**"
        where = (
            f" Computed in {{ref}}`{CHAPTER_DOCS[r.chapter]} <claims-{r.chapter}>`." if link else ""
        )
        lines.append(
            f"- **{r.id}**: {mark}. *“{r.sentence}”*\n  - Test: {r.test}\n"
            f"  - Measured: {r.measured}.{where}"
        )
    return "\n".join(lines) + "\n"
