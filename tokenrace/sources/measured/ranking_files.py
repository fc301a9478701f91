"""The weekly ranking files (``ranking-files/YYYY-MM-DD.json``) as model and free anchors.

Each file lists the top rows (about 10) of one 7-day window: ``models`` holds a permaslug
(``slug``) and ``total_tokens`` (prompt plus completion tokens, a whole number) per row, and, in
later files, ``prompt_tokens``, ``completion_tokens`` and ``cached_tokens``; its prices (USD per
token), ``is_free`` flag, rank and top-level ``total_tokens`` (the sum of the listed rows, never
the platform total) are not used.

- **Week.** The file dated D measures the 7 days D-7 to D-1. It is placed on the Monday-start
  UTC week holding most of them, the week of D-4: for a Monday D (the usual case) that is the
  week of D-7, all 7 days; a file dated on another day keeps 4 to 6 of its days in that week and
  its note says how many. Two files placed on the same week: the one with more days in it is
  kept (then the later), the other is refused with reason ``duplicate_week``.
- **Models.** Rows are resolved by :mod:`.aliases`; rows of the same model (paid and ``:free``,
  or two permaslugs of one model) are summed into one ``model`` anchor, role ``knot``; the
  ``:free`` rows are also summed into a ``free`` anchor; a model without a ``:free`` row gets
  a ``free`` anchor of 0, its range up to the file's smallest row (a free variant outside the
  listed rows had at most that). An unmatched permaslug keeps its own
  slug, with role ``context``, and is listed in the unmatched table.
- **Unlisted models.** The file lists the week's top rows, so a model it does not list had at
  most its smallest row: an ``unlisted_max`` anchor (``RF-<week>-unlisted``, role ``check``,
  subject ``unlisted:`` and the listed models joined by ``+``) says so, and the reconstruction
  caps every other model's interpolated level there.
- **Input mix.** A file whose rows break their tokens down gives two ``share`` anchors, role
  ``context``: its listed rows' prompt (input) tokens as a percent of their prompt plus
  completion tokens (``RF-<week>-input-share``, subject ``input_tokens_listed``), and the cached
  part of those prompt tokens (``RF-<week>-cached-share``, subject ``cached_of_input_listed``).
  The rows without a breakdown (all zeros) are left out, and the note says how many count. The
  files deleted upstream give none: their split was fabricated.
- **Grade.** The manifest's grade of ``ranking_files``, except files dated in February to
  November 2025: upstream commit 058790c deleted them (their revenue had been fabricated from an
  80/20 prompt/completion split; their token counts came from the rankings chart), so they are
  graded B, tokens only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from tokenrace.sources.measured.aliases import Aliases, Resolved
from tokenrace.sources.measured.numbers import billions, percent
from tokenrace.sources.measured.raw import Node, RawSourceError, load_json

SOURCE_ID = "ranking_files"
FOLDER = "ranking-files"
#: Files dated in this range (inclusive) were deleted upstream in commit 058790c: grade B.
DELETED_UPSTREAM = (date(2025, 2, 1), date(2025, 11, 30))
DELETED_GRADE = "B"
TOKENS_UNIT = "billion tokens"
#: The subject of ``unlisted_max``: ``unlisted:`` then the models the file lists, joined by ``+``.
UNLISTED = "unlisted"
#: Subjects of the input-mix ``share`` anchors (percent).
INPUT_SHARE = "input_tokens_listed"
CACHED_SHARE = "cached_of_input_listed"
UNMATCHED_NOTE = (
    "Unmatched permaslug: not a model of models.csv, kept under its own slug as context."
)
_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})\.json")


@dataclass(frozen=True)
class Row:
    """One listed row: its permaslug and its tokens in the file's 7 days."""

    permaslug: str
    tokens: int
    prompt: int = 0
    completion: int = 0
    cached: int = 0


@dataclass(frozen=True)
class WeeklyFile:
    """One ranking file: its name as shown, its date D, the week it is placed on and how many of
    its 7 days lie in that week, and its rows."""

    shown: str
    day: date
    week: date
    days_in_week: int
    rows: tuple[Row, ...]

    @property
    def upstream(self) -> str:
        """The file's path in the upstream repository (``data/2026-05-11.json``)."""
        return f"data/{self.day.isoformat()}.json"


def monday(day: date) -> date:
    """The Monday that starts the ISO (Monday-start, UTC) week holding ``day``."""
    return day - timedelta(days=day.weekday())


def file_week(day: date) -> tuple[date, int]:
    """The week of a file dated ``day`` (the week of D-4) and how many of its days D-7..D-1
    lie in that week (7 for a Monday)."""
    week = monday(day - timedelta(days=4))
    window = [day - timedelta(days=k) for k in range(1, 8)]
    return week, sum(1 for d in window if monday(d) == week)


def read_file(path: Path, shown: str) -> WeeklyFile:
    """One ranking file, checked field by field (:class:`~.raw.RawSourceError` names the file
    and the JSON path of a bad field)."""
    match = _NAME.fullmatch(path.name)
    day = _iso(match.group(1)) if match else None
    if day is None:
        raise RawSourceError(f"{shown}: the file name is not a date (YYYY-MM-DD.json)")
    root = Node(load_json(path, shown), shown)
    stated = root.get("date")
    if _iso(stated.text()) != day:
        raise stated.fail(f"the file's date {day.isoformat()}")
    rows = []
    for item in root.get("models").items():
        split = [
            item.get(field).count() if item.has(field) else 0
            for field in ("prompt_tokens", "completion_tokens", "cached_tokens")
        ]
        rows.append(Row(item.get("slug").text(), item.get("total_tokens").count(), *split))
    week, days = file_week(day)
    return WeeklyFile(shown, day, week, days, tuple(rows))


def read_folder(raw: Path, log: Callable[[str], None]) -> list[WeeklyFile]:
    """Every ``*.json`` file of ``raw/ranking-files/`` (none if the folder is absent), by date."""
    folder = raw / FOLDER
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    files = [read_file(p, f"{FOLDER}/{p.name}") for p in paths]
    log(f"{FOLDER}: read {len(files)} file(s)")
    return files


def keep_one_per_week(files: list[WeeklyFile]) -> tuple[list[WeeklyFile], list[dict[str, str]]]:
    """One file per week (most days in the week, then the latest); the others as refusals."""
    best: dict[date, WeeklyFile] = {}
    for f in files:
        held = best.get(f.week)
        if held is None or (f.days_in_week, f.day) > (held.days_in_week, held.day):
            best[f.week] = f
    refused = [
        {
            "source_id": SOURCE_ID,
            "file": f.shown,
            "week": f.week.isoformat(),
            "fetched_at": "",
            "reason": "duplicate_week",
            "detail": f"another file measures the same week: kept {best[f.week].shown} "
            "(more of its days in the week, then the later file)",
        }
        for f in files
        if best[f.week] is not f
    ]
    return sorted(best.values(), key=lambda f: f.week), refused


def file_anchors(f: WeeklyFile, aliases: Aliases, grade: str) -> tuple[list[dict], list[Resolved]]:
    """The anchors of one kept file: a ``model`` anchor per model (paid plus free rows) and a
    ``free`` anchor per model with ``:free`` rows; and the unmatched rows, resolved."""
    smallest = min(row.tokens for row in f.rows)
    by_slug: dict[str, list[tuple[Resolved, int]]] = {}
    for row in f.rows:
        resolved = aliases.resolve(row.permaslug)
        by_slug.setdefault(resolved.slug, []).append((resolved, row.tokens))
    deleted = DELETED_UPSTREAM[0] <= f.day <= DELETED_UPSTREAM[1]
    note = _window_note(f, deleted)
    anchors, unmatched = [], []
    for slug in sorted(by_slug):
        rows = by_slug[slug]
        matched = rows[0][0].matched  # an unmatched slug is never a model's: no mixed group
        if not matched:
            unmatched.extend(r for r, _ in rows)
        common = {
            "subject": slug,
            "week": f.week.isoformat(),
            "weeks": "1",
            "low": "",
            "high": "",
            "unit": TOKENS_UNIT,
            "role": "knot" if matched else "context",
            "grade": DELETED_GRADE if deleted else grade,
            "source_id": SOURCE_ID,
        }
        note_here = note if matched else f"{note} {UNMATCHED_NOTE}"
        key = f"RF-{f.week.isoformat()}-{slug.replace('/', '-')}"
        anchors.append(
            common
            | {
                "id": key,
                "kind": "model",
                "value": billions(Fraction(sum(t for _, t in rows))),
                "source": _source(f, [r.permaslug for r, _ in rows]),
                "note": note_here,
            }
        )
        free = [(r, t) for r, t in rows if r.free]
        if not free and matched:
            anchors.append(
                common
                | {
                    "id": f"{key}-free",
                    "kind": "free",
                    "value": billions(Fraction(0)),
                    "low": billions(Fraction(0)),
                    "high": billions(Fraction(smallest), "up"),
                    "source": _source(f, [r.permaslug for r, _ in rows]),
                    "note": f"{note_here} No :free row of this model among the file's rows: a "
                    "free variant, if any, had at most the file's smallest row.",
                }
            )
        if free:
            anchors.append(
                common
                | {
                    "id": f"{key}-free",
                    "kind": "free",
                    "value": billions(Fraction(sum(t for _, t in free))),
                    "source": _source(f, [r.permaslug for r, _ in free]),
                    "note": f"{note_here} The :free rows only.",
                }
            )
    anchors.append(
        {
            "id": f"RF-{f.week.isoformat()}-unlisted",
            "kind": "unlisted_max",
            "subject": UNLISTED + ":" + "+".join(sorted(by_slug)),
            "week": f.week.isoformat(),
            "weeks": "1",
            "value": billions(Fraction(smallest)),
            "low": "",
            "high": billions(Fraction(smallest), "up"),
            "unit": TOKENS_UNIT,
            "role": "check",
            "grade": DELETED_GRADE if deleted else grade,
            "source": _source(f, [r.permaslug for r in f.rows if r.tokens == smallest]),
            "note": f"{note} The file lists the week's top {len(f.rows)} rows; a model it does "
            "not list (the subject names those it does) had at most its smallest row.",
            "source_id": SOURCE_ID,
        }
    )
    if not deleted:
        anchors.extend(_mix_anchors(f, note, grade))
    return anchors, unmatched


def _mix_anchors(f: WeeklyFile, note: str, grade: str) -> list[dict]:
    """The input mix of the file's rows that break their tokens down (none if no row does)."""
    rows = [r for r in f.rows if r.prompt + r.completion > 0]
    prompt, completion = sum(r.prompt for r in rows), sum(r.completion for r in rows)
    if not rows or not prompt:
        return []
    counted = f"{len(rows)} of its {len(f.rows)} listed rows break their tokens down"
    common = {
        "kind": "share",
        "week": f.week.isoformat(),
        "weeks": "1",
        "low": "",
        "high": "",
        "role": "context",
        "grade": grade,
        "source": f"{SOURCE_ID}: {f.upstream}, fields prompt_tokens, completion_tokens and "
        "cached_tokens of the listed rows",
        "source_id": SOURCE_ID,
    }
    key = f"RF-{f.week.isoformat()}"
    return [
        common
        | {
            "id": f"{key}-input-share",
            "subject": INPUT_SHARE,
            "value": percent(Fraction(100 * prompt, prompt + completion)),
            "unit": "percent of the listed rows' prompt and completion tokens",
            "note": f"{note} Prompt (input) tokens as a percent of prompt plus completion "
            f"tokens; {counted}.",
        },
        common
        | {
            "id": f"{key}-cached-share",
            "subject": CACHED_SHARE,
            "value": percent(Fraction(100 * sum(r.cached for r in rows), prompt)),
            "unit": "percent of the listed rows' prompt tokens",
            "note": f"{note} Cached prompt tokens as a percent of prompt tokens; {counted}.",
        },
    ]


def model_tokens(f: WeeklyFile, aliases: Aliases) -> dict[str, int]:
    """Each model's tokens in one file (its rows, paid and ``:free``, summed by model slug)."""
    tokens: dict[str, int] = {}
    for row in f.rows:
        slug = aliases.resolve(row.permaslug).slug
        tokens[slug] = tokens.get(slug, 0) + row.tokens
    return tokens


def _window_note(f: WeeklyFile, deleted: bool) -> str:
    first, last = f.day - timedelta(days=7), f.day - timedelta(days=1)
    note = f"Window {first.isoformat()} to {last.isoformat()} (the 7 days before the file's date)"
    note += "." if f.days_in_week == 7 else f"; {f.days_in_week} of its 7 days in this week."
    if deleted:
        note += " File deleted upstream in 058790c (revenue fabricated); tokens only, grade B."
    return note


def _source(f: WeeklyFile, permaslugs: list[str]) -> str:
    listed = sorted(set(permaslugs))
    names = [
        ":free" if p.endswith(":free") and p.removesuffix(":free") in listed else p for p in listed
    ]
    rows = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{SOURCE_ID}: {f.upstream}, row{'s' if len(names) > 1 else ''} {rows}"


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None
