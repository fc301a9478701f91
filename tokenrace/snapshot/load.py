"""Read a snapshot folder, check it against the data contract, and return typed tables.

Nothing here writes to the snapshot: a bad file is reported, never repaired.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tokenrace.snapshot import layout as c
from tokenrace.snapshot.dates import is_iso_date_or_datetime, parse_dates
from tokenrace.snapshot.layout import SNAPSHOT_FILES, fingerprint
from tokenrace.snapshot.paths import VALIDATED_ENV, snapshot_dir
from tokenrace.snapshot.read import Problem, read_csv, read_json

#: The files of a reconstructed snapshot's ``sources/``, as the validator names them.
ANCHORS, MEASURED, KNOTS, FREE_KNOTS = (f"{c.SOURCES_DIR}/{name}" for name in c.SOURCE_FILES)


def problem_report(
    folder: str | os.PathLike[str], problems: list[Problem], outcome: str, *, hint: bool = True
) -> str:
    """The one message format for contract problems, used by the CLI, the build and ``fetch``.

    ``outcome`` says what happened because of them ("no file was changed", "the build stopped
    before any notebook ran", ...). One line per problem, naming file, row and column. ``hint``
    adds the command that checks the folder again (``fetch`` leaves it out: nothing was written).
    """
    lines = "\n".join(f"  - {p}" for p in problems)
    again = f"\nCheck it with: python -m tokenrace validate {folder}" if hint else ""
    return (
        f"{folder}: {len(problems)} problem(s) with the data contract (data/README.md); "
        f"{outcome}:\n{lines}{again}"
    )


class SnapshotError(ValueError):
    """A snapshot folder breaks the data contract. ``problems`` lists every breach found."""

    def __init__(self, folder: Path, problems: list[Problem]):
        self.folder = folder
        self.problems = problems
        super().__init__(problem_report(folder, problems, "it cannot be loaded"))


@dataclass(frozen=True)
class Snapshot:
    """Validated tables of one snapshot.

    - ``weekly``: ``week`` (Timestamp, Monday, UTC), ``model`` (slug), ``tokens`` (int64 tokens)
      and ``free_tokens`` (float tokens served on free variants; NaN where unknown, and in every
      row of a snapshot without the column).
    - ``models``: one row per model; ``open_weights`` bool; ``released`` Timestamp; prices float
      USD per million tokens (NaN where the source records none).
    - ``authors``: one row per author; ``country`` is "" when unattributed.
    - ``meta``: the ``datapackage.json`` descriptor.
    - ``provenance``: ``provenance.csv`` as text (a reconstructed snapshot only; else None).
    - ``whole``: for a snapshot cut at an earlier week (:func:`tokenrace.snapshot.essay.upto`), the
      snapshot it was cut from; None for a snapshot as loaded.
    """

    path: Path
    weekly: pd.DataFrame
    models: pd.DataFrame
    authors: pd.DataFrame
    meta: dict[str, Any] = field(repr=False)
    fingerprint: str
    provenance: pd.DataFrame | None = field(default=None, repr=False)
    whole: Snapshot | None = field(default=None, repr=False, compare=False)

    @property
    def as_of(self) -> str:
        """The snapshot date recorded in ``datapackage.json`` (ISO date)."""
        return str(self.meta["as_of"])

    @property
    def weeks(self) -> pd.DatetimeIndex:
        """Every week of the snapshot, in order (Mondays)."""
        return pd.DatetimeIndex(sorted(self.weekly["week"].unique()))


def _schema_problems(name: str, frame: pd.DataFrame, schema) -> list[Problem]:
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _describe_failures(name, err.failure_cases, frame)
    return []


def _describe_failures(name: str, cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    problems = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_schema":
            problems.append(
                Problem(name, 1, str(case.failure_case), "is not a column of the contract")
            )
        elif check == "column_in_dataframe":
            problems.append(Problem(name, 1, str(case.failure_case), "is missing from the header"))
        elif pd.isna(case.index):
            problems.append(Problem(name, None, case.column, check))
        else:
            value = frame.at[int(case.index), case.column]
            problems.append(Problem(name, int(case.index), case.column, f"{value!r} {check}"))
    return problems


def _descriptor_problems(root: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    name = c.DESCRIPTOR_FILE
    meta, problems = read_json(root, name)
    if problems:
        return None, problems
    if not isinstance(meta, dict):
        return None, [Problem(name, None, None, "must hold a JSON object")]
    problems = []
    for key in ("title", "as_of", "licenses", "sources", "resources"):
        if not meta.get(key):
            problems.append(Problem(name, None, key, "is missing or empty"))
    as_of = str(meta.get("as_of", ""))
    if as_of and not is_iso_date_or_datetime(as_of):
        problems.append(Problem(name, None, "as_of", f"{as_of!r} is not an ISO date"))
    resources = meta.get("resources", [])
    if not isinstance(resources, list):
        problems.append(Problem(name, None, "resources", "must be a list of resource objects"))
        resources = []
    for key in ("licenses", "sources"):
        if meta.get(key) and not isinstance(meta[key], list):
            problems.append(Problem(name, None, key, "must be a list"))
    paths = [r.get("path") for r in resources if isinstance(r, dict)]
    described = {path for path in paths if isinstance(path, str)}
    for csv_name in (c.WEEKLY_FILE, c.MODELS_FILE, c.AUTHORS_FILE):
        if csv_name not in described:
            problems.append(Problem(name, None, "resources", f"has no resource for {csv_name}"))
    return meta, problems


def check_snapshot(folder: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every breach of the data contract in the snapshot folder (an empty list when it is valid)."""
    return _load(snapshot_dir(folder))[1]


def _load(root: Path, schemas: bool = True) -> tuple[dict[str, Any], list[Problem]]:
    """Read the snapshot's files, a reconstructed one's ``provenance.csv`` and ``sources/`` too;
    with ``schemas``, check them against the contract's schemas and against one another."""
    if not root.is_dir():
        found = "is a file, not a snapshot folder" if root.exists() else "snapshot folder not found"
        return {}, [Problem(str(root), None, None, found)]
    files: dict[str, pd.DataFrame | None] = {}
    problems: list[Problem] = []
    for name in (c.AUTHORS_FILE, c.MODELS_FILE, c.WEEKLY_FILE):
        files[name], more = read_csv(root, name)
        problems += more
    meta, more = _descriptor_problems(root)
    problems += more
    problems += _read_reconstruction(root, files)
    if schemas:
        problems += _contract_problems(files)
    tables = {
        "authors": files[c.AUTHORS_FILE],
        "models": files[c.MODELS_FILE],
        "weekly": files[c.WEEKLY_FILE],
        "meta": meta,
        "provenance": files.get(c.PROVENANCE_FILE),
    }
    return tables, sorted(set(problems), key=_problem_order)


def _read_reconstruction(root: Path, files: dict[str, pd.DataFrame | None]) -> list[Problem]:
    """Read into ``files`` what a reconstructed snapshot adds: ``provenance.csv`` (checked
    whenever present) and, when ``sources/`` is there, ``provenance.csv`` required and each CSV
    file of ``sources/`` keyed by its path (``sources/anchors.csv``). A file the contract lets be
    absent is left out of ``files``; one that cannot be read is None there."""
    problems = []
    sources = root / c.SOURCES_DIR
    if sources.exists() and not sources.is_dir():
        message = "is a file: a reconstructed snapshot's sources/ is the folder of its inputs"
        problems.append(Problem(c.SOURCES_DIR, None, None, message))
    reconstructed = sources.is_dir()
    if reconstructed and not (root / c.PROVENANCE_FILE).exists():
        message = (
            f"file not found in {root}: a snapshot with {c.SOURCES_DIR}/ is reconstructed, and "
            "this file gives the class (sourced, interpolated, assumed) of each of its values"
        )
        problems.append(Problem(c.PROVENANCE_FILE, None, None, message))
    elif (root / c.PROVENANCE_FILE).exists():
        files[c.PROVENANCE_FILE], more = read_csv(root, c.PROVENANCE_FILE)
        problems += more
    for name, path in zip(c.SOURCE_FILES, (ANCHORS, MEASURED, KNOTS, FREE_KNOTS), strict=True):
        if not reconstructed or (name in c.OPTIONAL_SOURCE_FILES and not (root / path).exists()):
            continue
        files[path], more = read_csv(root, path)
        problems += more
    return problems


def _contract_problems(files: dict[str, pd.DataFrame | None]) -> list[Problem]:
    """Every table against its own schema, then the checks across tables.

    A check across tables reads the columns the schemas promise, so it runs only on tables that
    met their own schema: a table that failed (a column missing, a file read as one column
    because it is not comma-separated) is reported where it fails and read no further.
    """
    from tokenrace.snapshot import contract
    from tokenrace.snapshot import reconstructed as r

    authors, models = files[c.AUTHORS_FILE], files[c.MODELS_FILE]
    schemas = {
        c.AUTHORS_FILE: contract.authors_schema,
        c.MODELS_FILE: lambda frame: contract.models_schema(frame, authors),
        c.WEEKLY_FILE: lambda frame: contract.weekly_schema(frame, models),
        c.PROVENANCE_FILE: lambda frame: r.provenance_schema(frame, models),
        ANCHORS: r.anchors_schema,
        MEASURED: r.anchors_schema,
        KNOTS: lambda frame: r.knots_schema(frame, free=False),
        FREE_KNOTS: lambda frame: r.knots_schema(frame, free=True),
    }
    problems: list[Problem] = []
    valid: dict[str, pd.DataFrame] = {}
    for name, frame in files.items():
        if frame is None:
            continue
        found = _schema_problems(name, frame, schemas[name](frame))
        if name == c.WEEKLY_FILE and frame.empty:
            found.append(
                Problem(
                    c.WEEKLY_FILE,
                    None,
                    None,
                    "no rows: a snapshot needs at least one week (data/README.md, "
                    "'What each part of the book needs')",
                )
            )
        problems += found
        if not found:
            valid[name] = frame
    if c.WEEKLY_FILE in valid and c.PROVENANCE_FILE in valid:
        problems += _provenance_coverage(valid[c.PROVENANCE_FILE], valid[c.WEEKLY_FILE])
    inputs = [name for name in (ANCHORS, MEASURED, KNOTS, FREE_KNOTS) if name in files]
    if {ANCHORS, KNOTS} <= set(inputs) and all(name in valid for name in inputs):
        anchor_files = {name: valid[name] for name in (ANCHORS, MEASURED) if name in valid}
        points, clashes = _input_points(anchor_files, valid[KNOTS], valid.get(FREE_KNOTS))
        problems += clashes
        if c.PROVENANCE_FILE in valid:
            problems += _provenance_points(valid[c.PROVENANCE_FILE], points)
    return problems


def _input_points(
    anchor_files: dict[str, pd.DataFrame], knots: pd.DataFrame, free_knots: pd.DataFrame | None
) -> tuple[set[str], list[Problem]]:
    """The names of the reconstruction's input points, as ``tokenrace.sources.inputs`` names
    them (a knot anchor's id; a knot's ``series@week``, a free knot's ``slug:free@week``), and a
    problem for each anchor id given twice and each point that gives a series in a week an
    earlier point of the same kind gave: two anchors, or two knots. An assumed knot may share its
    series and week with an anchor: measured first, it is not an input there (it stays in its
    file for a reconstruction without that anchor's source)."""
    series_of = {"total": lambda s: "all", "model": lambda s: s, "free": lambda s: s + ":free"}
    sourced, assumed, ids = [], [], {}
    problems = []
    for path, anchors in anchor_files.items():
        for line, name in zip(anchors.index, anchors["id"], strict=True):
            if name in ids:
                message = f"{name!r} is also the id of {ids[name]}"
                problems.append(Problem(path, int(line), "id", message))
            ids.setdefault(name, f"{path}, row {line}")
        kind = anchors["kind"].str.removesuffix("_to_date")
        used = anchors[(anchors["role"] == "knot") & kind.isin(series_of)]
        sourced += [
            (path, line, name, series_of[k.removesuffix("_to_date")](subject), week)
            for line, name, k, subject, week in zip(
                used.index, used["id"], used["kind"], used["subject"], used["week"], strict=True
            )
        ]
    for path, frame, key, suffix in (
        (KNOTS, knots, "series", ""),
        (FREE_KNOTS, free_knots, "model", ":free"),
    ):
        if frame is not None:
            assumed += [
                (path, line, f"{s}{suffix}@{week}", s + suffix, week)
                for line, s, week in zip(frame.index, frame[key], frame["week"], strict=True)
            ]
    for points in (sourced, assumed):
        first: dict[tuple[str, str], str] = {}
        for path, line, name, series, week in points:
            if (series, week) in first:
                message = f"{week!r}: {first[series, week]} already gives {series} in this week"
                problems.append(Problem(path, int(line), "week", message))
            else:
                first[series, week] = f"{name} ({path}, row {line})"
    return {name for _, _, name, _, _ in sourced + assumed}, problems


def _provenance_points(provenance: pd.DataFrame, points: set[str]) -> list[Problem]:
    """Every point ``provenance.csv`` names (a sourced or assumed value's ``point``, and the
    ``before`` and ``after`` of an interpolated one, written ``name (class)``) is an input."""
    problems = []
    for column in ("point", "before", "after"):
        for line, cell in provenance[column].items():
            name = re.sub(r" \((sourced|assumed)\)$", "", cell)
            if cell and name not in points:
                message = (
                    f"{cell!r} is no knot anchor of {ANCHORS} or {MEASURED} and no knot of "
                    f"{KNOTS} or {FREE_KNOTS}"
                )
                problems.append(Problem(c.PROVENANCE_FILE, int(line), column, message))
    return problems


def _provenance_coverage(provenance: pd.DataFrame, weekly: pd.DataFrame) -> list[Problem]:
    """Every value of ``weekly_tokens.csv`` has a provenance row, and every row a value."""
    from tokenrace.snapshot.contract import FREE_COLUMN, OTHER

    listed = weekly[weekly["model"] != OTHER]
    values = {
        (w, m): line for line, w, m in zip(listed.index, listed.week, listed.model, strict=True)
    }
    if FREE_COLUMN in weekly.columns:
        free = listed[listed[FREE_COLUMN] != ""]
        values |= {
            (w, m + ":free"): line
            for line, w, m in zip(free.index, free.week, free.model, strict=True)
        }
    values |= {(w, "all"): line for line, w in zip(weekly.index, weekly.week, strict=True)}
    rows = {
        (w, s): line
        for line, w, s in zip(provenance.index, provenance.week, provenance.series, strict=True)
    }
    problems = [
        Problem(c.PROVENANCE_FILE, None, "series", f"has no row for {s} in the week of {w}")
        for (w, s), line in sorted(values.items())
        if (w, s) not in rows
    ]
    problems += [
        Problem(
            c.PROVENANCE_FILE, line, "series", f"{s!r}: {c.WEEKLY_FILE} has no such value in {w}"
        )
        for (w, s), line in rows.items()
        if (w, s) not in values
    ]
    return problems


def _problem_order(problem: Problem) -> tuple:
    files = [*SNAPSHOT_FILES, c.PROVENANCE_FILE, c.SOURCES_DIR, ANCHORS, KNOTS, FREE_KNOTS]
    rank = files.index(problem.file) if problem.file in files else len(files)
    return (rank, problem.row or 0, problem.column or "", problem.message)


def load_snapshot(path: str | os.PathLike[str] | None = None) -> Snapshot:
    """Load and validate a snapshot folder.

    ``path`` defaults to ``$TOKENRACE_DATA`` or else the committed ``data/`` folder.
    Raises :class:`SnapshotError`, listing every problem by file, row and column, if the folder
    breaks the contract.

    The book build checks the snapshot once, before any notebook runs, and hands its fingerprint
    to the notebooks in ``$TOKENRACE_VALIDATED_FINGERPRINT``. When the folder's bytes match it,
    the schema checks are not repeated; reading, the structural checks and the typed conversion
    still run, and any other folder is checked in full.
    """
    root = snapshot_dir(path)
    digest = fingerprint(root)
    trusted = os.environ.get(VALIDATED_ENV) == digest
    tables, problems = _load(root, schemas=not trusted)
    if problems:
        raise SnapshotError(root, problems)
    return Snapshot(
        path=root,
        weekly=_typed_weekly(tables["weekly"]),
        models=_typed_models(tables["models"]),
        authors=tables["authors"].reset_index(drop=True),
        meta=tables["meta"],
        fingerprint=digest,
        provenance=tables["provenance"],
    )


def _typed_weekly(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "week": parse_dates(frame["week"]),
            "model": frame["model"],
            "tokens": frame["tokens"].astype("int64"),
            "free_tokens": (
                pd.to_numeric(frame["free_tokens"].replace("", None)).astype(float)
                if "free_tokens" in frame.columns
                else float("nan")
            ),
        }
    )
    return out.sort_values(["week", "model"]).reset_index(drop=True)


def _typed_models(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["open_weights"] = out["open_weights"] == "true"
    out["released"] = parse_dates(out["released"])
    for column in ("input_usd_per_mtok", "output_usd_per_mtok"):
        # Python's float, as the contract's check reads a price: pandas' parser refuses a whole
        # number past 2^64 that the contract (and a float) can hold.
        out[column] = [float(price) if price else math.nan for price in out[column]]
    return out.reset_index(drop=True)
