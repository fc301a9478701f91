"""What a kept rankings-page reading says about its week's listed models.

A reading (:mod:`.readings`) lists the week's top models to date, with their tokens and their
shares of all tokens. Beside the checks :func:`.readings.reading_anchors` writes, it gives:

- **Its models, to date** (``RP-<week>-<slug>``, kind ``model_to_date``, with ``days``): each
  listed model's tokens in the window, permaslugs folded into models by :mod:`.aliases`. Where a
  weekly ranking file measures the same week, the file measures it whole and these are
  ``context``; in a week no file measures (the week of 11 May 2026), they are ``knot`` s, and the
  reconstruction scales them to the week (× 7 / ``days``, an even spread).
- **A cap on the others** (``RP-<week>-unlisted-models``, kind ``unlisted_max``, to date): a
  model the reading does not list had at most its smallest listed model's tokens (``context``
  where a ranking file measures the week: the file bounds the others over its own 7 days).
- **The platform total, from the coverage** (``RP-<week>-total-from-coverage``, role
  ``knot``): the listed models' tokens over their share of all tokens (the sum of their
  ``share_pct``), so that they carry the share the page showed; its range comes from the
  shares' rounding (± 0.05 per row). In a week a ranking file measures, the tokens are the
  file's N largest models (N the reading's count), kind ``total``, grade B (from two sources):
  a share is much less sensitive to the reading's window than a count, so this is the whole
  week's total. Otherwise they are the reading's own, to date (``total_to_date``). The
  reading's ``total_to_date`` from the intersection of its rows is then ``context``.

Exact arithmetic throughout (:class:`fractions.Fraction`), written with fixed decimals.
"""

from __future__ import annotations

from fractions import Fraction

from tokenrace.sources.measured import intervals as iv
from tokenrace.sources.measured.aliases import Aliases, Resolved
from tokenrace.sources.measured.numbers import billions, percent
from tokenrace.sources.measured.readings import TOKENS_UNIT, UNLISTED, Reading

#: The grade of a total derived from two sources (a ranking file and a reading): B.
DERIVED_GRADE = "B"


def listed_anchors(
    r: Reading,
    aliases: Aliases,
    grade: str,
    common: dict[str, str],
    file_models: dict[str, int] | None,
) -> tuple[list[dict[str, str]], list[Resolved]]:
    """The model, cap and (where the week has a ranking file, ``file_models``: each model's
    tokens in it) coverage-total anchors of one kept reading, and its unmatched rows. ``common``
    holds the reading's shared columns (week, days, source, ...)."""
    by_slug: dict[str, list[tuple[Resolved, Fraction]]] = {}
    for m in r.models:
        resolved = aliases.resolve(m.name)
        by_slug.setdefault(resolved.slug, []).append((resolved, m.tokens))
    measured_whole = file_models is not None
    key = f"RP-{r.week}"
    anchors, unmatched = [], []
    for slug, rows in sorted(by_slug.items()):
        matched = rows[0][0].matched
        if not matched:
            unmatched.extend(res for res, _ in rows)
        why = (
            " A weekly ranking file measures this week whole: context."
            if measured_whole
            else " No weekly ranking file measures this week: a knot, scaled to the week."
        )
        anchors.append(
            common
            | {
                "id": f"{key}-{slug.replace('/', '-')}",
                "kind": "model_to_date",
                "subject": slug,
                "value": billions(sum((t for _, t in rows), Fraction(0))),
                "low": "",
                "high": "",
                "unit": TOKENS_UNIT,
                "role": "knot" if matched and not measured_whole else "context",
                "grade": grade,
                "note": f"Listed row(s) {', '.join(res.permaslug for res, _ in rows)}.{why}",
            }
        )
    smallest = min(m.tokens for m in r.models)
    anchors.append(
        common
        | {
            "id": f"{key}-unlisted-models",
            "kind": "unlisted_max",
            "subject": UNLISTED + ":" + "+".join(sorted(by_slug)),
            "value": billions(smallest),
            "low": "",
            "high": billions(smallest, "up"),
            "unit": TOKENS_UNIT,
            "role": "context" if measured_whole else "check",
            "grade": grade,
            "note": f"The page lists the week's top {len(r.models)} models to date; a model it "
            "does not list (the subject names those it does) had at most its smallest row."
            + (
                " A weekly ranking file measures this week whole and bounds the others itself "
                "(its 7 days, not this window): context."
                if measured_whole
                else ""
            ),
        }
    )
    anchors.append(_from_coverage(r, common, key, file_models))
    return anchors, unmatched


def _from_coverage(
    r: Reading, common: dict[str, str], key: str, file_models: dict[str, int] | None
) -> dict[str, str]:
    n = len(r.models)
    coverage = iv.share_sum(list(r.models))
    if file_models is not None:
        tokens = Fraction(sum(sorted(file_models.values(), reverse=True)[:n]))
        whose = f"The week's ranking file puts its {n} largest models at"
        extra = {"kind": "total", "days": "", "grade": DERIVED_GRADE}
        extra["source"] = f"{common['source']}; ranking_files: the week's file"
        why = (
            "A share moves far less with the reading's window than a count does, so this is the "
            "whole week's total."
        )
    else:
        tokens = sum((m.tokens for m in r.models), Fraction(0))
        whose = f"The page puts its {n} listed models, to date, at"
        extra = {"kind": "total_to_date"}
        why = "No weekly ranking file measures this week: the total to date, scaled to the week."
    return (
        common
        | {
            "id": f"{key}-total-from-coverage",
            "subject": "all",
            "value": billions(tokens * iv.HUNDRED / coverage.value),
            "low": billions(tokens * iv.HUNDRED / coverage.high, "down"),
            "high": billions(tokens * iv.HUNDRED / coverage.low, "up"),
            "unit": TOKENS_UNIT,
            "role": "knot",
            "note": f"{whose} {billions(tokens)} billion tokens; the page shows its top {n} "
            f"carrying {percent(coverage.value)} % of all tokens (± 0.05 per row): the total "
            f"is the first over the second, so the listed models carry that share. {why}",
        }
        | extra
    )
