"""Evidence before verdicts: how strongly each claim rests on sourced facts or on our assumptions.

For a reconstructed (representative) snapshot, every claim is measured

- on the committed data under every analysis choice (:data:`SCENARIOS`);
- on each of :data:`tokenrace.reconstruct.ensemble.DRAWS` reconstructions drawn across the inputs'
  ranges, under every analysis choice;
- with each input alone moved to the low and to the high end of its range (the inputs that flip
  the verdict there *decide* it; how far each moves the claim's margin is its *influence*);
- with each week in turn taken as the end of the data (since when it has held).

Every verdict is judged **as of the essay's week** (:mod:`tokenrace.snapshot.essay`): a snapshot
that runs on past it is cut there for all of the above. The weeks after it are measured, so each
claim's test is only run on the data there, once per later week (``after``: in how many it
passes, and how it stands on the latest week). That is a fact about later weeks, not a second
verdict.

The verdict scale (:data:`LEVELS`) is stated once, here, and shown on the Claims page. A fetched
snapshot is measured data: its claims are measured under every analysis choice, with no ensemble.
Results are plain JSON, cached per snapshot and package code (:func:`load`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tokenrace.analysis.cube import Cube
from tokenrace.analysis.measures import MONTH_WEEKS, Choices
from tokenrace.claims import register as cl
from tokenrace.reconstruct import ensemble as en
from tokenrace.reconstruct import representative as rc
from tokenrace.snapshot.cache import CACHE_ENV as CACHE_ENV  # where the evidence is cached
from tokenrace.snapshot.cache import cache_file, cached
from tokenrace.snapshot.essay import EssayView, as_of_essay, essay_date
from tokenrace.snapshot.layout import SOURCES_DIR
from tokenrace.snapshot.load import Snapshot
from tokenrace.sources.inputs import TOKENS_UNIT

SOURCED = "holds on sourced facts"
ASSUMED = "holds, but rests on assumptions"
UNCERTAIN = "uncertain"
FAILS = "does not hold"
MEASURED = "holds on measured data"
AS_GIVEN = "holds on the data as given"
UNTESTABLE = "cannot be tested"
#: The claims as published read at most this many weeks at each end of the data (the first and
#: last four: :data:`tokenrace.analysis.measures.MONTH_WEEKS`); the one-at-a-time ends move only
#: the inputs that reach them: the others flip nothing and move no margin (tested).
SENSITIVITY_WEEKS = MONTH_WEEKS
#: A claim is robust when it holds in at least this share of draws (and every analysis choice).
ROBUST_SHARE = 0.95
#: The verdict scale, strongest first, with what each level means.
LEVELS: dict[str, str] = {
    SOURCED: "It holds on the committed data, in at least 95 % of the drawn reconstructions and "
    "under every analysis choice; no assumption flips it at either end of its range, and sourced "
    "facts move it at least as much as our assumptions do.",
    ASSUMED: "It holds on the committed data, in at least 95 % of the draws and under every "
    "analysis choice, but an assumption flips it at an end of its range, or our assumptions move "
    "it more than the sourced facts do. The deciding assumptions are named.",
    UNCERTAIN: "It holds on the committed data, but fails in more than 5 % of the draws or under "
    "some analysis choice. The share of draws and the choices are given.",
    FAILS: "It fails on the committed data.",
    MEASURED: "On a fetched snapshot (measured data, nothing assumed): it holds, and under every "
    "analysis choice.",
    AS_GIVEN: "On a snapshot that records no sources to vary: it holds, and under every analysis "
    "choice.",
    UNTESTABLE: "The data cannot answer it (too few weeks, or free shares unknown); the reason is "
    "given.",
}
#: Each level as counted in a headline ("3 uncertain"); the first four are always counted.
COUNTED: dict[str, str] = {
    SOURCED: "hold on sourced facts",
    ASSUMED: "hold but rest on assumptions",
    UNCERTAIN: "uncertain",
    FAILS: "do not hold",
    MEASURED: "hold on measured data",
    AS_GIVEN: "hold on the data as given",
    UNTESTABLE: "cannot be tested",
}
#: Short marks shown beside each level (text, so colour is never the only cue).
MARKS = {
    SOURCED: "✔",
    ASSUMED: "✔",
    MEASURED: "✔",
    AS_GIVEN: "✔",
    UNCERTAIN: "◐",
    FAILS: "✘",
    UNTESTABLE: "–",
}
VANTAGE_WEEKS = 8


@dataclass(frozen=True)
class Scenario:
    """An analysis choice: ``uses`` names the claim input it changes (None: every claim)."""

    key: str
    label: str
    family: str
    choices: Choices
    uses: str | None = None


def mostly_input_share() -> float:
    """The mostly-input mix the humanist chapter cites, as a share: the ranking files' latest
    measured input share up to the essay's week (:func:`tokenrace.sources.facts.input_mix`)."""
    from tokenrace.sources.facts import input_mix

    return input_mix(essay_date().week).input_pct / 100


def scenarios() -> tuple[Scenario, ...]:
    """The analysis choices every claim is measured under: as published; the data ending one to
    seven weeks early (the last eight weeks as vantage); the mostly-input price blend; the top 10
    models as denominator; paid tokens only."""
    share = mostly_input_share()
    return (
        Scenario("base", "As published", "base", Choices()),
        *(
            Scenario(
                f"end-{i}",
                f"Data ending {i} week{'s' if i > 1 else ''} earlier",
                "vantage",
                Choices(vantage=i),
            )
            for i in range(1, VANTAGE_WEEKS)
        ),
        Scenario(
            "mostly-input",
            f"Mostly input ({share:.0%})",
            "method",
            Choices(input_share=share),
            "blend",
        ),
        Scenario("top-10", "Top 10 models only", "method", Choices(top_n=10), "denominator"),
        Scenario("paid-only", "Paid tokens only", "method", Choices(paid_only=True), "paid"),
    )


def applies(claim: cl.Claim, scenario: Scenario) -> bool:
    """True when the scenario's choice enters the claim (the vantage enters every claim)."""
    return scenario.uses is None or scenario.uses in claim.uses


def basis(snap: Snapshot) -> str:
    """``reconstructed``, ``measured`` (a fetched snapshot) or ``as given`` (no sources)."""
    if snap.meta.get("kind") == "fetched":
        return "measured"
    if (snap.path / SOURCES_DIR / "anchors.csv").is_file():
        return "reconstructed"
    return "as given"


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def compute(snap: Snapshot, draws: int = en.DRAWS, seed: int = en.SEED) -> dict:
    """The evidence of every claim on ``snap``, judged as of the essay's week (plain JSON data;
    see the module docstring)."""
    view = as_of_essay(snap)
    cut = view.snapshot
    cube = Cube.from_snapshot(cut)
    whole = Cube.from_snapshot(snap)
    kind = basis(snap)
    plan = None
    if kind == "reconstructed":
        plan = rc.design(cut.path / SOURCES_DIR, list(cut.models["model"]), cut.weeks)
    scens = scenarios()
    out: dict = {
        "basis": kind,
        "weeks": [f"{w:%Y-%m-%d}" for w in snap.weeks],
        "essay": _essay(view),
        "scenarios": [{"key": s.key, "label": s.label, "family": s.family} for s in scens],
        "levels": LEVELS,
        "robust_share": ROBUST_SHARE,
        "claims": {},
    }
    ensemble = oat = rebuilt = None
    if plan is not None:
        ensemble, scaled = en.draw(plan, cube, draws, seed)
        moved, values = en.ends_within(plan, SENSITIVITY_WEEKS)
        oat = (moved, en.rebuild_cube(plan, values, cube))
        rebuilt = en.rebuild_cube(plan, plan.central, cube)
        out |= {
            "draws": draws,
            "seed": seed,
            "margin_of_error_pp": round(100 * en.margin_of_error(draws), 1),
            "scaled_cells": scaled,
            "band_weeks": [f"{w:%Y-%m-%d}" for w in cut.weeks],
            "bands": _bands(ensemble),
        }
    for claim in cl.REGISTER:
        entry = _claim(claim, cube, scens, ensemble, oat, rebuilt, plan, kind)
        entry["since"] = _since(claim, whole, view.week)
        entry["after"] = _after(entry["since"]["held"], snap.weeks, view)
        out["claims"][claim.id] = entry
    return out


def later_weeks(snap: Snapshot) -> dict[str, dict]:
    """Each claim's test on the weeks after the essay's (:func:`_after`), on the data as they are
    (no ensemble: those weeks are measured). ``diff`` compares it between snapshots."""
    view = as_of_essay(snap)
    whole = Cube.from_snapshot(snap)
    return {
        claim.id: _after(_since(claim, whole, view.week)["held"], snap.weeks, view)
        for claim in cl.REGISTER
    }


def _essay(view: EssayView) -> dict:
    """The week the verdicts are judged on, the essay's own week, the later weeks and the note
    for a snapshot that does not reach the essay's week."""
    essay = essay_date()
    return {
        "week": f"{essay.week:%Y-%m-%d}",
        "label": essay.label,
        "words": essay.words,
        "judged": f"{view.week:%Y-%m-%d}",
        "later": [f"{w:%Y-%m-%d}" for w in view.later],
        "note": view.note,
    }


def _after(held: list, weeks: pd.DatetimeIndex, view: EssayView) -> dict:
    """The claim's test on each week after the essay's (each as the end of the data): in how
    many it passes, how many could be tested, and the latest week's outcome."""
    if view.later.empty:
        return {"weeks": 0, "passes": 0, "tested": 0, "latest": None, "latest_holds": None}
    later = [h for h, w in zip(held, weeks, strict=True) if w > view.week]
    tested = [h for h in later if h is not None]
    return {
        "weeks": len(later),
        "passes": sum(1 for h in tested if h),
        "tested": len(tested),
        "latest": f"{weeks[-1]:%Y-%m-%d}",
        "latest_holds": later[-1],
    }


def _claim(claim, cube, scens, ensemble, oat, rebuilt, plan, kind) -> dict:
    central, share = {}, {}
    for s in scens:
        if not applies(claim, s):
            continue
        result = claim.evaluate(cube, s.choices)
        central[s.key] = {"holds": result.holds, "measured": result.measured}
        if ensemble is not None:
            m = claim.on(ensemble, s.choices)
            share[s.key] = None if isinstance(m, str) else _r(float(m.holds.mean()))
    entry = {"central": central, "share": share}
    if plan is not None:
        entry |= _sensitivity(claim, oat, rebuilt, plan)
    entry["level"], entry["why"] = _level(entry, scens, kind)
    return entry


def _sensitivity(claim, oat, rebuilt, plan) -> dict:
    """Inputs that flip the claim at an end of their range, and each input's influence.

    ``oat`` is the inputs that can move the weeks the claims read and the cube of each at its
    low, then its high end (:func:`tokenrace.reconstruct.ensemble.ends_within`); every other
    input flips nothing and has no influence."""
    chosen, cube = oat
    base, moved = claim.on(rebuilt), claim.on(cube)
    if isinstance(base, str) or isinstance(moved, str):
        return {"deciding": [], "influence": [], "sourced_influence_pct": None}
    n, r = len(plan.inputs), len(chosen)
    held = bool(base.holds[0])
    low, high = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    low[chosen], high[chosen] = moved.holds[:r] != held, moved.holds[r:] != held
    spread = np.zeros(n)
    spread[chosen] = np.abs(
        np.nan_to_num(moved.margin[r:] - moved.margin[:r], posinf=0.0, neginf=0.0)
    )
    # Margins pass through logarithms whose last bits depend on the CPU: quantized here, equal
    # influences tie exactly (and keep the inputs' order) on every machine.
    spread = np.round(spread, 9)
    inputs = plan.inputs

    def describe(i: int, **extra) -> dict:
        row = inputs.iloc[i]
        unit = "billion tokens" if row["unit"] == TOKENS_UNIT else "%"
        return {
            "key": row["key"],
            "kind": row["kind"],
            "grade": row["grade"],
            "note": row["note"],
            "range": f"{row['low']:,.0f}–{row['high']:,.0f} {unit} (central {row['central']:,.0f})",
        } | extra

    deciding = [
        describe(i, ends=[e for e, flag in (("low", low[i]), ("high", high[i])) if flag])
        for i in np.flatnonzero(low | high)
    ]
    order = np.argsort(-spread, kind="stable")[:5]
    influence = [describe(int(i), weight=_r(spread[i])) for i in order if spread[i] > 0]
    sourced = (inputs["kind"] == "sourced").to_numpy()
    total = spread.sum()
    pct = _r(100 * spread[sourced].sum() / total) if total > 0 else None
    return {"deciding": deciding, "influence": influence, "sourced_influence_pct": pct}


def _since(claim: cl.Claim, cube: Cube, judged: pd.Timestamp) -> dict:
    """Whether the claim's test passes with each week as the end of the data (every week, the
    later ones included), and since when it passes as of the ``judged`` week."""
    held = []
    for k in range(len(cube.weeks)):
        result = claim.evaluate(cube, Choices(vantage=len(cube.weeks) - 1 - k))
        held.append(result.holds)
    since = None
    for k in range(int(cube.weeks.get_loc(judged)), -1, -1):
        if held[k] is not True:
            break
        since = f"{cube.weeks[k]:%Y-%m-%d}"
    return {"held": held, "week": since}


def _level(entry: dict, scens, kind: str) -> tuple[str, str]:
    base = entry["central"]["base"]
    if base["holds"] is None:
        return UNTESTABLE, base["measured"]
    share = entry["share"].get("base")
    draws = f"in {share:.0%} of the draws" if share is not None else ""
    holds = f"It holds {draws}" if draws else "It holds on the committed data"
    if not base["holds"]:
        return FAILS, "It fails on the committed data" + (f"; it holds {draws}." if draws else ".")
    failing = [
        s.label.lower()
        for s in scens
        if s.family == "method" and entry["central"].get(s.key, {}).get("holds") is False
    ]
    reasons = []
    if share is not None and share < ROBUST_SHARE:
        reasons.append(f"it holds only {draws}")
    if failing:
        reasons.append("it fails under: " + ", ".join(failing))
    if reasons:
        return UNCERTAIN, "It holds on the committed data, but " + "; ".join(reasons) + "."
    if kind == "measured":
        return MEASURED, "It holds on the measured data and under every analysis choice."
    if kind == "as given":
        return AS_GIVEN, "It holds on this snapshot and under every analysis choice."
    assumed = [d["key"] for d in entry["deciding"] if d["kind"] == "assumed"]
    pct = entry["sourced_influence_pct"]
    if assumed:
        return ASSUMED, (
            f"{holds} and under every analysis choice, but these assumptions flip it at "
            f"an end of their range: {', '.join(assumed)}."
        )
    if pct is not None and pct < 50:
        names = ", ".join(d["key"] for d in entry["influence"][:3])
        return ASSUMED, (
            f"{holds} and under every analysis choice, but our assumptions move it more "
            f"than sourced facts do ({100 - pct:.0f} % of its sensitivity; most: {names})."
        )
    carry = (
        f"sourced facts carry {pct:.0f} % of its sensitivity"
        if pct is not None
        else "no input moves it at either end of its range"
    )
    return SOURCED, f"{holds} and under every analysis choice; no assumption flips it, and {carry}."


def _bands(ensemble: Cube) -> dict:
    """5th, 50th and 95th percentiles per week: the platform total (trillions of tokens) and the
    essay's origin split (percent of all tokens)."""
    total = ensemble.tokens.sum(axis=1)
    group = ensemble.column("group")
    split = {
        "cn_open": group == "cn_open",
        "us_closed": group == "us_closed",
    }
    split["rest"] = ~(split["cn_open"] | split["us_closed"])
    bands = {"total_t": _quantiles(total / 1e12)}
    for key, mask in split.items():
        bands[key] = _quantiles(ensemble.tokens[:, mask].sum(axis=1) / total * 100)
    return bands


def _quantiles(values: np.ndarray) -> dict[str, list[float]]:
    q = np.percentile(values, [5, 50, 95], axis=0)
    return {
        name: [round(float(v), 4) for v in row]
        for name, row in zip(("p5", "p50", "p95"), q, strict=True)
    }


# --- cache ---------------------------------------------------------------------------------------


def cache_path(snap: Snapshot, draws: int = en.DRAWS, seed: int = en.SEED) -> Path:
    """The cache file of a snapshot's evidence: keyed by its bytes, the package code and seed
    (:func:`tokenrace.snapshot.cache.cache_file`; the folder is set by :data:`CACHE_ENV`)."""
    return cache_file("evidence", snap.fingerprint, draws, seed)


def load(snap: Snapshot) -> dict:
    """The evidence of ``snap``, from the cache when this snapshot and code computed it before.

    A snapshot cut at the essay's week (:func:`tokenrace.snapshot.essay.as_of_essay`) has the
    evidence of the snapshot it was cut from: the same verdicts, computed once.

    Processes that ask at once (the book's parallel chapters) take turns on a file lock, so the
    draws are computed once (:func:`tokenrace.snapshot.cache.cached`).
    """
    whole = snap.whole
    if whole is not None and as_of_essay(whole).snapshot.weeks.equals(snap.weeks):
        snap = whole
    return cached(cache_path(snap), lambda: compute(snap))


# --- prose helpers -------------------------------------------------------------------------------


def pct_text(value: float | None, digits: int = 0) -> str:
    """A percentage for prose ("15 %"), or "unknown" where the data cannot tell."""
    if value is None or not np.isfinite(value):
        return "unknown"
    return f"{value:.{digits}f} %"


def total_provenance(snap: Snapshot) -> str:
    """One sentence on where the last week's platform total comes from (for the race chapter)."""
    if basis(snap) == "measured":
        return "Every weekly total of this snapshot is measured by OpenRouter's Data API."
    prov = snap.provenance
    if prov is None:
        return "This snapshot records no provenance for its weekly totals."
    totals = prov[prov["series"] == "all"].sort_values("week")
    last = totals.iloc[-1]
    week = _week_text(last["week"])
    described = {
        "sourced": f"sourced (anchor {last['point']}, grade {last['grade']})",
        "assumed": f"our assumption (knot {last['point']}), not a sourced figure",
        "interpolated": f"interpolated between {last['before']} and {last['after']}",
    }[last["class"]]
    sentence = f"The total for the week of {week} is {described}."
    sourced = totals[totals["class"] == "sourced"]
    if last["class"] != "sourced" and len(sourced):
        point = sourced.iloc[-1]
        weekly = snap.weekly.groupby("week")["tokens"].sum()
        value = float(weekly[pd.Timestamp(point["week"])] / 1e12)
        sentence += (
            f" The last sourced weekly total is {value:.1f} trillion tokens, in the week of "
            f"{_week_text(point['week'])} (anchor {point['point']}, grade {point['grade']})."
        )
    return sentence


def _week_text(text: str) -> str:
    """A week (ISO text) as "18 May 2026"."""
    stamp = pd.Timestamp(text)
    return f"{stamp.day} {stamp:%B %Y}"


def level_counts(found: dict) -> str:
    """How many claims stand at each verdict level, e.g. "0 hold on sourced facts, 5 hold but
    rest on assumptions, 3 uncertain, 0 do not hold" (the levels of a reconstructed snapshot are
    always all named; the others only where a claim has them)."""
    levels = [entry["level"] for entry in found["claims"].values()]
    always = (SOURCED, ASSUMED, UNCERTAIN, FAILS) if found["basis"] == "reconstructed" else ()
    parts = [
        f"{levels.count(level)} {words}"
        for level, words in COUNTED.items()
        if level in always or level in levels
    ]
    return ", ".join(parts)


def basis_paragraph(found: dict) -> str:
    """What the verdicts of this snapshot rest on, for the Claims page (Markdown)."""
    if found["basis"] == "measured":
        return (
            "This snapshot is *measured data*, fetched from OpenRouter's Data API: nothing in it "
            "is assumed, so no reconstructions are drawn. Each claim is measured under every "
            "analysis choice, and its verdict says *on measured data*."
        )
    if found["basis"] == "as given":
        return (
            "This snapshot records no sources (anchors and knots) to vary, so no reconstructions "
            "are drawn: each claim is measured on the data *as given*, under every analysis "
            "choice."
        )
    return (
        "A *reconstructed* snapshot mixes sourced facts with assumptions of ours, so a claim can "
        "hold only because of a value we assumed. Each verdict therefore comes with its "
        f"evidence: every claim is measured on {found['draws']} reconstructions drawn across the "
        "plausible range of every sourced fact and every assumption (each share of draws is "
        f"known within ±{found['margin_of_error_pp']:g} percentage points at 95 %), under each "
        "analysis choice, and with each input moved alone to the ends of its range."
    )
