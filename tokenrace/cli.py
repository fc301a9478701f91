"""Command line: ``python -m tokenrace validate [PATH]``, ``reconstruct``, ``fetch``, ``diff``,
``refresh`` and ``sources import``.

Every command prints plain messages and exits non-zero on failure; none prints a traceback for a
problem in the data. Exit codes: 0 done; 1 a problem with the data, the network or the build (one
message on stderr); 2 a usage error (argparse); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from tokenrace.snapshot.layout import MEASURED_FILE
from tokenrace.snapshot.paths import (
    DATA_ENV_VAR,
    DEFAULT_DATA_DIR,
    RAW_SOURCES_DIR,
    snapshot_dir,
)


def _validate(args: argparse.Namespace) -> int:
    from tokenrace.snapshot.load import check_snapshot, problem_report

    folder = snapshot_dir(args.path)
    problems = check_snapshot(folder)
    if problems:
        print(problem_report(folder, problems, "no file was changed"), file=sys.stderr)
        return 1
    print(f"{folder}: the snapshot meets the data contract")
    return 0


def _reconstruct(args: argparse.Namespace) -> int:
    from tokenrace.reconstruct.representative import ReconstructionError, write_snapshot

    try:
        written = write_snapshot(sources=args.sources, out=args.out, log=_progress)
    except ReconstructionError as err:
        print(f"reconstruct: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from tokenrace.sources.fetch import (
        FetchError,
        FetchInterrupted,
        FetchSettings,
        Replay,
        fetch_snapshot,
    )

    if args.replay is None and (args.models is not None or args.aliases is not None):
        print("fetch: --models and --aliases are used with --replay only", file=sys.stderr)
        return 2
    replay = None if args.replay is None else Replay.of(args.replay, args.models, args.aliases)
    try:
        settings = FetchSettings.from_env()
        result = fetch_snapshot(
            args.start,
            args.end,
            args.out,
            settings=settings,
            resume=args.resume,
            authors=args.authors,
            fold_unlisted=args.fold_unlisted,
            log=_progress,
            replay=replay,
        )
    except FetchInterrupted as err:
        print(f"fetch: {err}", file=sys.stderr)
        return 130
    except FetchError as err:
        print(f"fetch: {err}", file=sys.stderr)
        return 1
    if result.replayed is None:
        how = f"{result.requests} request(s), {result.reused} raw file(s) reused"
    else:
        how = f"replayed from {result.replayed}, no request sent"
    print(
        f"wrote {result.path}: {len(result.weeks)} weeks, {result.models} models, "
        f"as of {result.as_of} ({how})"
    )
    if result.replayed is not None:
        print(
            f"models: names, authors, open weights, release dates and prices copied from "
            f"{result.models_from}: no models listing was archived (datapackage.json says so)"
        )
    if result.unlisted:
        print(
            f"{len(result.unlisted)} permaslug(s) map to no model of {result.models_from}; their "
            "tokens are counted in 'other':"
        )
        for slug, tokens in result.unlisted.items():
            print(f"  - {slug} ({tokens:,} tokens)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from tokenrace import diff
    from tokenrace.snapshot.load import check_snapshot, load_snapshot, problem_report

    failed = False
    for folder in (snapshot_dir(args.old), snapshot_dir(args.new)):
        problems = check_snapshot(folder)
        if problems:
            print(problem_report(folder, problems, "nothing was compared"), file=sys.stderr)
            failed = True
    if failed:
        return 1
    found = diff.compare(
        load_snapshot(args.old), load_snapshot(args.new), levels=not args.no_levels
    )
    sys.stdout.write(diff.to_json(found) if args.format == "json" else diff.to_markdown(found))
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from tokenrace.refresh import RefreshError, run

    try:
        body = run(
            Path.cwd(),
            args.out,
            today=args.today,
            start=args.start,
            end=args.end,
            weeks=args.weeks,
            build=not args.no_build,
            log=_progress,
        )
    except RefreshError as err:
        print(err, file=sys.stderr)
        return 1
    print(body if body else "no new weeks: no pull-request body written")
    return 0


def _sources_import(args: argparse.Namespace) -> int:
    from tokenrace.sources.inputs import SourcesError
    from tokenrace.sources.measured.importer import import_sources

    try:
        written = import_sources(
            args.raw,
            args.out,
            sources=args.sources,
            models=args.models,
            log=_progress,
            authors=args.authors,
        )
    except SourcesError as err:
        print(f"sources import: {err}", file=sys.stderr)
        return 1
    for path in (written.anchors, written.refused, written.unmatched):
        print(f"wrote {path}")
    return 0


def _sources_compare(args: argparse.Namespace) -> int:
    from tokenrace.reconstruct.compare import run
    from tokenrace.snapshot.load import SnapshotError
    from tokenrace.sources.inputs import SourcesError

    try:
        report = run(args.measured, args.data, log=_progress)
    except (SourcesError, SnapshotError) as err:
        print(f"sources compare: {err}", file=sys.stderr)
        return 1
    print(report, end="")
    return 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m tokenrace``."""
    parser = argparse.ArgumentParser(prog="python -m tokenrace", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate",
        help="check a snapshot folder against the data contract (never changes it)",
        description=f"PATH defaults to ${DATA_ENV_VAR}, or else {DEFAULT_DATA_DIR}.",
    )
    validate.add_argument("path", nargs="?", type=Path, help="snapshot folder")
    validate.set_defaults(run=_validate)

    reconstruct = commands.add_parser(
        "reconstruct",
        help="rebuild the representative weekly series from data/sources/ (deterministic)",
    )
    reconstruct.add_argument(
        "--sources", type=Path, default=DEFAULT_DATA_DIR / "sources", help="anchors and knots"
    )
    reconstruct.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR, help="snapshot folder")
    reconstruct.set_defaults(run=_reconstruct)

    fetch = commands.add_parser(
        "fetch",
        help="write a new snapshot folder from OpenRouter's Data API and models API "
        "(or replay archived Data API replies, with --replay)",
        description="Needs $OPENROUTER_API_KEY; $OPENROUTER_BASE_URL overrides the API address. "
        "With --replay DIR, no key and no network: the windows are answered from archived "
        "rankings-daily replies in DIR and the models copied from --models (data/models.csv). "
        "Rules and the resume cache: see the package tokenrace/sources/fetch/.",
    )
    fetch.add_argument(
        "--start", type=_iso_date, required=True, metavar="DATE", help="first day (UTC)"
    )
    fetch.add_argument(
        "--end", type=_iso_date, required=True, metavar="DATE", help="last day (UTC), included"
    )
    fetch.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="snapshot folder to write"
    )
    source = fetch.add_mutually_exclusive_group()
    source.add_argument("--resume", action="store_true", help="reuse raw responses already on disk")
    source.add_argument(
        "--replay",
        type=Path,
        metavar="DIR",
        help="answer every window from the archived Data API replies (*.json) in DIR, without "
        "network (e.g. ../shared/sources/raw/data-api/llm-carbon-index); a window with a day "
        "no reply holds stops the fetch",
    )
    fetch.add_argument(
        "--models",
        type=Path,
        metavar="FILE",
        help="with --replay: the models.csv to copy models from (default: data/models.csv)",
    )
    fetch.add_argument(
        "--aliases",
        type=Path,
        metavar="FILE",
        help="with --replay: the alias table mapping permaslugs to its slugs "
        "(default: data/sources/aliases.csv)",
    )
    fetch.add_argument(
        "--authors",
        type=Path,
        metavar="FILE",
        help="authors.csv giving each author's country (default: PATH/authors.csv if it "
        "exists, else data/authors.csv)",
    )
    fetch.add_argument(
        "--fold-unlisted",
        action="store_true",
        help="count models the models API does not list in 'other' instead of stopping "
        "(implied by --replay)",
    )
    fetch.set_defaults(run=_fetch)

    diff = commands.add_parser(
        "diff",
        help="what changed between two snapshot folders (Markdown or JSON on stdout)",
        description="Claim verdicts and evidence levels, the top 10, the total and origin shares "
        "of each snapshot's latest week, models added or retired, and price changes. Exit 0 when "
        "compared (changed or not); 1 when a snapshot breaks the data contract (the validator's "
        "messages on stderr); 2 on a usage error.",
    )
    diff.add_argument("old", type=Path, help="the earlier snapshot folder")
    diff.add_argument("new", type=Path, help="the later snapshot folder")
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown")
    diff.add_argument(
        "--no-levels",
        action="store_true",
        help="skip the evidence levels (they draw reconstructions on a new reconstructed snapshot)",
    )
    diff.set_defaults(run=_diff)

    refresh = commands.add_parser(
        "refresh",
        help="fetch the new weeks into snapshots/END/, validate, point snapshot.yml at it, "
        "build the book and write the pull request's body (run in the checkout)",
        description="Needs $OPENROUTER_API_KEY. Exit 0 with a body written, or with "
        "'no new weeks'; 1 when a step fails.",
    )
    refresh.add_argument(
        "--out", type=Path, default=Path("_build/refresh"), help="where pr-body.md is written"
    )
    refresh.add_argument("--today", type=_iso_date, metavar="DATE", help="default: today (UTC)")
    refresh.add_argument("--start", type=_iso_date, metavar="DATE", help="first day to fetch")
    refresh.add_argument("--end", type=_iso_date, metavar="DATE", help="last day to fetch")
    refresh.add_argument("--weeks", type=int, default=52, help="weeks to fetch (default 52)")
    refresh.add_argument("--no-build", action="store_true", help="skip the book build")
    refresh.set_defaults(run=_refresh)

    sources = commands.add_parser("sources", help="work with the measured sources")
    sources_commands = sources.add_subparsers(dest="sources_command", required=True)
    imports = sources_commands.add_parser(
        "import",
        help="turn raw measurement files into anchors (deterministic)",
        description="Checks every file of DIR against DIR/UPSTREAM.csv (SHA-256), then reads "
        "DIR/ranking-files/*.json, DIR/rankings-page/*/rankings.json and DIR/data-api/; writes "
        "FILE (anchors, with source_id), FILE's .refused.csv (refused files, with reasons) and "
        ".unmatched.csv (permaslugs matching no model). With the defaults it rewrites the "
        "committed data/sources/measured.csv from ../shared/sources/raw. See data/README.md, "
        "'Measured sources and the importer'.",
    )
    imports.add_argument(
        "--raw",
        type=Path,
        default=RAW_SOURCES_DIR,
        metavar="DIR",
        help="folder holding UPSTREAM.csv and ranking-files/, rankings-page/, data-api/ "
        "(default: ../shared/sources/raw beside the checkout)",
    )
    imports.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DATA_DIR / "sources" / MEASURED_FILE,
        metavar="FILE",
        help="anchors to write (default: data/sources/measured.csv, the committed import)",
    )
    imports.add_argument(
        "--sources",
        type=Path,
        default=DEFAULT_DATA_DIR / "sources",
        metavar="DIR",
        help="folder of manifest.csv and aliases.csv (default: data/sources)",
    )
    imports.add_argument(
        "--models",
        type=Path,
        default=DEFAULT_DATA_DIR / "models.csv",
        metavar="FILE",
        help="the snapshot's models.csv, whose slugs permaslugs map to (default: data/models.csv)",
    )
    imports.add_argument(
        "--authors",
        type=Path,
        metavar="FILE",
        help="the snapshot's authors.csv, the country of each author a reading names "
        "(default: beside --models)",
    )
    imports.set_defaults(run=_sources_import)
    compares = sources_commands.add_parser(
        "compare",
        help="compare imported anchors with a snapshot (Markdown on stdout)",
        description="Reads FILE (the anchors 'sources import' wrote) and the snapshot; prints a "
        "Markdown report: the ranking files' model-weeks against the snapshot's models, each "
        "reading's country bounds against the snapshot's listed country shares, and the top-N "
        "coverage. See data/README.md, 'Measured sources and the importer'.",
    )
    compares.add_argument(
        "--measured", type=Path, required=True, metavar="FILE", help="anchors to compare"
    )
    compares.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help=f"snapshot folder (default: ${DATA_ENV_VAR}, else the one in use)",
    )
    compares.set_defaults(run=_sources_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from tokenrace.snapshot.paths import SettingError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except SettingError as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was left half-written", file=sys.stderr)
        return 130
