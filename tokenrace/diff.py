"""What changed between two snapshots: ``python -m tokenrace diff OLD NEW``.

The comparison reuses the report's own measures: the claims register
(:mod:`tokenrace.claims.register`) and the evidence behind each verdict
(:mod:`tokenrace.claims.evidence`), the top 10 and the origin split of
:mod:`tokenrace.analysis.recut`. Each snapshot is read at its own latest week (its "as of"), so OLD
and NEW need not cover the same weeks.

Units: tokens per Monday-start UTC week (totals also in trillions, ``T``); shares and their
deltas in percent and percentage points (pp) of every token in the week; prices in USD per
million tokens (USD/Mtok).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from tokenrace.analysis import recut
from tokenrace.claims import register as cl
from tokenrace.snapshot.load import Snapshot

#: How many models the top list compares.
TOP_N = 10
#: Price columns compared, USD per million tokens.
PRICE_COLUMNS = ("input_usd_per_mtok", "output_usd_per_mtok")


def _num(value: Any) -> float | None:
    """A plain float, or None for NaN (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _delta(old: float | None, new: float | None) -> float | None:
    return None if old is None or new is None else new - old


def _describe(snap: Snapshot, relative_to: Path | None) -> dict[str, Any]:
    weeks = snap.weeks
    path = snap.path
    if relative_to is not None and path.is_relative_to(relative_to.resolve()):
        path = path.relative_to(relative_to.resolve())
    return {
        "path": str(path),
        "as_of": snap.as_of,
        "kind": snap.meta.get("kind", "reconstructed" if snap.provenance is not None else ""),
        "weeks": len(weeks),
        "first_week": f"{weeks[0]:%Y-%m-%d}",
        "last_week": f"{weeks[-1]:%Y-%m-%d}",
        "fingerprint": snap.fingerprint[:16],
    }


def _evidence(snap: Snapshot, levels: bool) -> tuple[dict[str, str], dict[str, dict]]:
    """Each claim's evidence level (:data:`tokenrace.claims.evidence.LEVELS`; none without
    ``levels``) and its test on the weeks after the essay's: from the evidence's cache when the
    levels are drawn (it holds both), else the later weeks alone
    (:func:`tokenrace.claims.evidence.later_weeks`)."""
    from tokenrace.claims import evidence

    if not levels:
        return {}, evidence.later_weeks(snap)
    found = evidence.load(snap)["claims"]
    return (
        {key: entry["level"] for key, entry in found.items()},
        {key: entry["after"] for key, entry in found.items()},
    )


def claim_changes(old: Snapshot, new: Snapshot, levels: bool = True) -> list[dict[str, Any]]:
    """Every claim of the register on both snapshots, with ``changed`` when its verdict (its
    evidence level) or what its test gives differs.

    ``old_verdict``/``new_verdict`` is the evidence level, the one verdict of a claim; with
    ``levels`` False no evidence is drawn and the verdict is None. ``old_test``/``new_test`` is
    what the claim's test gives on each snapshot ("passes", "fails", "cannot be run"): a fact of
    the evidence, never a second verdict. Both are as of the essay's week
    (:mod:`tokenrace.snapshot.essay`), which neither snapshot changes. ``old_since``/``new_since``
    says how the test fares on the weeks after it (a fact about later weeks); a change there is a
    change too.
    """
    from tokenrace.claims.reporting import since_then

    before = {r.id: r for r in cl.evaluate(old)}
    after = {r.id: r for r in cl.evaluate(new)}
    lv_old, later_old = _evidence(old, levels)
    lv_new, later_new = _evidence(new, levels)
    rows = []
    for claim in cl.REGISTER:
        a, b = before[claim.id], after[claim.id]
        row = {
            "id": claim.id,
            "chapter": claim.chapter,
            "old_verdict": lv_old.get(claim.id),
            "new_verdict": lv_new.get(claim.id),
            "old_test": a.outcome,
            "new_test": b.outcome,
            "old_measured": a.measured,
            "new_measured": b.measured,
            "old_since": since_then(later_old[claim.id]),
            "new_since": since_then(later_new[claim.id]),
        }
        row["changed"] = (row["old_verdict"], a.outcome, row["old_since"]) != (
            row["new_verdict"],
            b.outcome,
            row["new_since"],
        )
        rows.append(row)
    return rows


def _top(snap: Snapshot) -> pd.DataFrame:
    return recut.top_models(snap, recut.last_weeks(snap, 1), TOP_N).set_index("model")


def top_changes(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """The top 10 of each snapshot's latest week: models that ``entered``, ``left`` or ``moved``
    (rank changed), with ranks and shares (percent of all tokens that week)."""
    a, b = _top(old), _top(new)

    def item(model: str, row_a=None, row_b=None) -> dict[str, Any]:
        share_a = _num(row_a["share_pct"]) if row_a is not None else None
        share_b = _num(row_b["share_pct"]) if row_b is not None else None
        return {
            "model": model,
            "name": str((row_b if row_b is not None else row_a)["name"]),
            "old_rank": int(row_a["rank"]) if row_a is not None else None,
            "new_rank": int(row_b["rank"]) if row_b is not None else None,
            "old_share_pct": share_a,
            "new_share_pct": share_b,
            "share_delta_pp": _delta(share_a, share_b),
        }

    entered = [item(m, row_b=b.loc[m]) for m in b.index if m not in a.index]
    left = [item(m, row_a=a.loc[m]) for m in a.index if m not in b.index]
    moved = [
        item(m, a.loc[m], b.loc[m])
        for m in b.index
        if m in a.index and int(a.loc[m, "rank"]) != int(b.loc[m, "rank"])
    ]
    return {"entered": entered, "left": left, "moved": moved}


def total_changes(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """The latest week's platform total (tokens) and origin shares (percent), with deltas.

    Origin groups are those of :data:`tokenrace.analysis.recut.ORIGIN_GROUPS`; the essay's split
    (:data:`tokenrace.analysis.recut.ESSAY_SPLIT`) is given too.
    """
    out: dict[str, Any] = {}
    totals = []
    for snap in (old, new):
        week = recut.last_weeks(snap, 1)
        totals.append(int(recut.weekly_total(snap).loc[week].sum()))
    out["total"] = {
        "old_tokens": totals[0],
        "new_tokens": totals[1],
        "delta_tokens": totals[1] - totals[0],
        "delta_pct": (totals[1] / totals[0] - 1) * 100 if totals[0] else None,
    }
    shares = []
    for snap in (old, new):
        by_group = recut.shares_by(snap, "group").iloc[-1]
        split = recut.essay_split(snap, recut.last_weeks(snap, 1))
        shares.append({**{k: float(by_group.get(k, 0.0)) for k in recut.ORIGIN_GROUPS}, **split})
    labels = {**recut.ORIGIN_GROUPS, "rest": recut.ESSAY_SPLIT["rest"]}
    out["origin_shares"] = [
        {
            "group": key,
            "label": labels[key],
            "essay_split": key in recut.ESSAY_SPLIT,
            "old_pct": _num(shares[0][key]),
            "new_pct": _num(shares[1][key]),
            "delta_pp": _delta(_num(shares[0][key]), _num(shares[1][key])),
        }
        for key in [*recut.ORIGIN_GROUPS, "rest"]
    ]
    return out


def model_changes(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, str]]]:
    """Models listed in NEW's ``models.csv`` but not OLD's (``added``), and the reverse
    (``retired``)."""
    a = old.models.set_index("model")
    b = new.models.set_index("model")

    def item(model: str, table: pd.DataFrame) -> dict[str, str]:
        return {"model": model, "name": str(table.loc[model, "name"])}

    return {
        "added": [item(m, b) for m in sorted(set(b.index) - set(a.index))],
        "retired": [item(m, a) for m in sorted(set(a.index) - set(b.index))],
    }


def price_changes(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    """Models in both snapshots whose input or output price (USD/Mtok) changed, or appeared or
    disappeared (None where no price is recorded)."""
    a = old.models.set_index("model")
    b = new.models.set_index("model")
    rows = []
    for model in sorted(set(a.index) & set(b.index)):
        row: dict[str, Any] = {"model": model, "name": str(b.loc[model, "name"])}
        changed = False
        for column in PRICE_COLUMNS:
            before, after = _num(a.loc[model, column]), _num(b.loc[model, column])
            row[f"old_{column}"], row[f"new_{column}"] = before, after
            changed = changed or _price_changed(before, after)
        if changed:
            rows.append(row)
    return rows


def _price_changed(before: float | None, after: float | None) -> bool:
    """A price (USD per million tokens) changed: set or unset, or moved by more than 1e-9."""
    if before is None or after is None:
        return (before is None) != (after is None)
    return not math.isclose(before, after, abs_tol=1e-9)


def compare(
    old: Snapshot, new: Snapshot, levels: bool = True, relative_to: Path | None = None
) -> dict[str, Any]:
    """Everything that changed from ``old`` to ``new``, as plain JSON data.

    Keys: ``old``, ``new`` (what each snapshot is), ``claims`` (every claim; ``changed`` marks
    those whose verdict (evidence level) or test result moved), ``top`` (:func:`top_changes`),
    ``totals`` (:func:`total_changes`), ``models`` (:func:`model_changes`), ``prices``
    (:func:`price_changes`). ``levels`` False skips the evidence levels (they can take a minute
    on a reconstructed snapshot not seen before). Paths under ``relative_to`` are shown relative
    to it.
    """
    return {
        "old": _describe(old, relative_to),
        "new": _describe(new, relative_to),
        "claims": claim_changes(old, new, levels),
        "top": top_changes(old, new),
        "totals": total_changes(old, new),
        "models": model_changes(old, new),
        "prices": price_changes(old, new),
    }


def to_json(found: dict[str, Any]) -> str:
    """The comparison as indented JSON (keys sorted; no NaN)."""
    return json.dumps(found, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


# --- Markdown (the refresh pull request's body) ---------------------------------------------------


def _t(tokens: float) -> str:
    return f"{tokens / 1e12:.2f} T"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} pp"


def _usd(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _rank(value: int | None) -> str:
    return "–" if value is None else str(value)


def _verdict(verdict: str | None, test: str) -> str:
    """The verdict (evidence level) as a cell; without levels, what the test gives, so said."""
    return verdict if verdict else f"not graded (test {test})"


def _claims_md(rows: list[dict[str, Any]]) -> list[str]:
    changed = [r for r in rows if r["changed"]]
    lines = ["## Claim verdicts", ""]
    if not changed:
        lines.append(
            f"No verdict changed, no test result, and nothing since the essay ({len(rows)} claims)."
        )
        return lines
    lines += [
        f"{len(changed)} of {len(rows)} claims changed (verdicts as of the essay's week).",
        "",
        "| claim | old verdict | new verdict | test now | measured now | since the essay, now |",
        "|---|---|---|---|---|---|",
    ]
    for r in changed:
        since = r["new_since"].removeprefix("Since the essay: ")
        if r["new_since"] != r["old_since"]:
            since += f" (was: {r['old_since'].removeprefix('Since the essay: ')})"
        lines.append(
            f"| `{r['id']}` | {_verdict(r['old_verdict'], r['old_test'])} | "
            f"{_verdict(r['new_verdict'], r['new_test'])} | {r['new_test']} | "
            f"{r['new_measured']} | {since} |"
        )
    return lines


def _top_md(top: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = [f"## Top {TOP_N} of the latest week", ""]
    rows = [("entered", r) for r in top["entered"]] + [("left", r) for r in top["left"]]
    rows += [("moved", r) for r in top["moved"]]
    if not rows:
        return [*lines, "Same models in the same order."]
    lines += ["| model | change | rank | share |", "|---|---|---|---|"]
    for what, r in rows:
        lines.append(
            f"| {r['name']} (`{r['model']}`) | {what} | {_rank(r['old_rank'])} → "
            f"{_rank(r['new_rank'])} | {_pct(r['old_share_pct'])} → {_pct(r['new_share_pct'])} |"
        )
    return lines


def _totals_md(totals: dict[str, Any]) -> list[str]:
    total = totals["total"]
    change = "" if total["delta_pct"] is None else f" ({total['delta_pct']:+.1f} %)"
    lines = [
        "## Total and origin shares of the latest week",
        "",
        f"Platform total: {_t(total['old_tokens'])} → {_t(total['new_tokens'])}{change}.",
        "",
        "| group | old | new | change |",
        "|---|---|---|---|",
    ]
    for r in totals["origin_shares"]:
        label = f"{r['label']} (essay split)" if r["group"] == "rest" else r["label"]
        lines.append(
            f"| {label} | {_pct(r['old_pct'])} | {_pct(r['new_pct'])} | {_pp(r['delta_pp'])} |"
        )
    return lines


def _models_md(models: dict[str, list[dict[str, str]]]) -> list[str]:
    lines = ["## Models", ""]
    for key, title in (("added", "Added"), ("retired", "Retired")):
        names = ", ".join(f"{m['name']} (`{m['model']}`)" for m in models[key]) or "none"
        lines.append(f"- {title} ({len(models[key])}): {names}")
    return lines


def _prices_md(prices: list[dict[str, Any]]) -> list[str]:
    lines = ["## Prices (USD per million tokens)", ""]
    if not prices:
        return [*lines, "No price changed."]
    lines += ["| model | input | output |", "|---|---|---|"]
    for r in prices:
        cells = [
            f"{_usd(r[f'old_{c}'])} → {_usd(r[f'new_{c}'])}"
            if _price_changed(r[f"old_{c}"], r[f"new_{c}"])
            else _usd(r[f"new_{c}"])
            for c in PRICE_COLUMNS
        ]
        lines.append(f"| {r['name']} (`{r['model']}`) | {cells[0]} | {cells[1]} |")
    return lines


def to_markdown(found: dict[str, Any]) -> str:
    """The comparison as Markdown (GitHub-flavoured tables): the refresh pull request's body."""
    old, new = found["old"], found["new"]

    def what(s: dict[str, Any]) -> str:
        return (
            f"`{s['path']}` ({s['kind'] or 'snapshot'}, as of {s['as_of']}; {s['weeks']} weeks "
            f"{s['first_week']} to {s['last_week']})"
        )

    lines = [
        f"# What changed: as of {old['as_of']} → as of {new['as_of']}",
        "",
        f"- Old: {what(old)}",
        f"- New: {what(new)}",
        "",
        "Each snapshot is read at its own latest week. Made by `python -m tokenrace diff`.",
        "",
    ]
    for part in (
        _claims_md(found["claims"]),
        _top_md(found["top"]),
        _totals_md(found["totals"]),
        _models_md(found["models"]),
        _prices_md(found["prices"]),
    ):
        lines += [*part, ""]
    return "\n".join(lines)
