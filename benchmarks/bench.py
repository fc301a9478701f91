"""Benchmark the book's builds against a bare Jupyter Book, and the data work at scale.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench.py --runs 3``). Every figure is
the median of ``--runs`` runs, measured in the same run as its reference:

- cold build: ``_build/`` deleted, then the strict build; reference: the template book made by
  ``jupyter-book create``, built cold with the same environment;
- warm rebuild: nothing changed; reference: the template, warm;
- prose edit: one sentence of one chapter changed; lists which notebooks re-executed;
- data change: one value of the snapshot changed; lists which notebooks re-executed;
- per chapter: each notebook executed by nbclient (as the build does); reference: a notebook that
  only imports the libraries the chapters use;
- page weight: each chapter's HTML plus its own images, leaving out the theme's shared files;
- PDF edition: ``python -m tokenrace.book.edition`` (what ``make pdf`` runs: the single-page build,
  the print by Chromium and the HTML build that links the PDF) on the built book, nothing to
  execute;
- data work: load + validate + every re-cut and claim, on the shipped snapshot and on synthetic
  snapshots 10× and 100× its size (more models and more weeks).

``--write`` also records the table, with the machine, in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
JB = str(BIN / "jupyter-book")
STRICT = ["-W", "-n", "--keep-going"]
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SKIP = {".venv", "_build", ".git", "tests", "benchmarks", ".pytest_cache", ".ruff_cache"}
IMPORTS_ONLY = """\
import numpy, pandas, matplotlib, matplotlib.pyplot, pandera.pandas, IPython
import tokenrace, tokenrace.figures, tokenrace.claims.register
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_of(runs: int, fn: Callable[[int], float]) -> float:
    return statistics.median(fn(i) for i in range(runs))


def copy_book(dest: Path) -> Path:
    def ignore(_folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIP or n.endswith(".egg-info")]

    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def build(folder: Path, strict: bool = True, data: Path | None = None) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k != "TOKENRACE_DATA"}
    # The claims' evidence is cached in the built book's own _build/, as in a checkout (the
    # package this venv imports lives elsewhere): a cold build computes it again.
    env["TOKENRACE_EVIDENCE_CACHE"] = str(folder / "_build" / ".evidence")
    if data is not None:
        env["TOKENRACE_DATA"] = str(data)
    start = time.perf_counter()
    done = subprocess.run(
        [JB, "build", ".", *(STRICT if strict else [])],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"build failed in {folder}:\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds, done.stdout + done.stderr


def executed(build_log: str) -> list[str]:
    ahead = re.findall(r"executed (chapters/[\w-]+)\.md in", build_log)
    inline = re.findall(r"(chapters/[\w-]+)\.md: Executing notebook", build_log)
    return sorted(set(ahead + inline))


def bench_builds(ws: Path, runs: int) -> list[tuple[str, float, float | None, str]]:
    book = copy_book(ws / "book")
    subprocess.run([JB, "create", str(ws / "template")], check=True, capture_output=True)
    template = ws / "template"
    rows = []

    def cold(folder: Path, strict: bool) -> Callable[[int], float]:
        def run(_i: int) -> float:
            shutil.rmtree(folder / "_build", ignore_errors=True)
            return build(folder, strict)[0]

        return run

    log("cold builds ...")
    ours = median_of(runs, cold(book, True))
    ref = median_of(runs, cold(template, False))
    rows.append(("Cold build (s)", ours, ref, "target ≤ 2.5× template"))
    log("warm rebuilds ...")
    ours = median_of(runs, lambda _i: build(book)[0])
    ref = median_of(runs, lambda _i: build(template, False)[0])
    rows.append(("Warm rebuild (s)", ours, ref, "target ≤ 1.3× template"))

    log("prose edits ...")
    chapter = book / "chapters" / "fork.md"
    original = chapter.read_text()
    reexecuted: set[str] = set()

    def prose(i: int) -> float:
        edited = original.replace(
            "and the trajectory is plain:", f"and the trajectory is plain ({i}):"
        )
        chapter.write_text(edited)
        seconds, out = build(book)
        reexecuted.update(executed(out))
        return seconds

    seconds = median_of(runs, prose)
    chapter.write_text(original)
    build(book)
    rows.append(
        ("Prose edit, fork.md (s)", seconds, None, f"re-executed: {sorted(reexecuted) or 'none'}")
    )

    log("data changes ...")
    data = ws / "data-copy"
    shutil.copytree(ROOT / "data", data)
    weekly = data / "weekly_tokens.csv"
    lines = weekly.read_text().splitlines()
    reexecuted = set()

    def data_change(i: int) -> float:
        week, model, tokens, *rest = lines[-1].split(",")  # free_tokens, if any, stays below
        changed = [*lines[:-1], ",".join([week, model, str(int(tokens) + 1000 * (i + 1)), *rest])]
        weekly.write_text("\n".join(changed) + "\n")
        seconds, out = build(book, data=data)
        reexecuted.update(executed(out))
        return seconds

    seconds = median_of(runs, data_change)
    notebooks = sorted(
        f"chapters/{p.stem}"
        for p in (book / "chapters").glob("*.md")
        if "kernelspec" in p.read_text()
    )
    missing = sorted(set(notebooks) - reexecuted)
    rows.append(
        (
            "Data change, one value (s)",
            seconds,
            None,
            f"re-executed {len(reexecuted)} of {len(notebooks)} notebooks"
            + (f"; not: {missing}" if missing else ""),
        )
    )
    build(book)  # back to the committed snapshot, for the page weights
    return rows


def bench_chapters(ws: Path, runs: int) -> list[tuple[str, float, float | None, str]]:
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    os.environ["TOKENRACE_BOOK_BUILD"] = "1"

    def run_notebook(nb, cwd: Path) -> float:
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(cwd)}}).execute()
        return time.perf_counter() - start

    reference = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS_ONLY)])
    reference.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    chapters_dir = ROOT / "chapters"
    ref = median_of(runs, lambda _i: run_notebook(nbformat.from_dict(reference), chapters_dir))
    rows = [("Import-only notebook (s)", ref, None, "reference for each chapter")]
    for path in sorted(chapters_dir.glob("*.md")):
        if "kernelspec" not in path.read_text():
            continue
        nb = jupytext.read(path)
        seconds = median_of(
            runs, lambda _i, nb=nb: run_notebook(nbformat.from_dict(nb), chapters_dir)
        )
        rows.append((f"Execute {path.name} (s)", seconds, ref, "target ≤ 2× import-only"))
    return rows


def bench_page_weight(ws: Path) -> list[tuple[str, float, float | None, str]]:
    html = ws / "book" / "_build" / "html"
    rows = []
    for page in sorted((html / "chapters").glob("*.html")):
        text = page.read_text()
        own = sum(
            (html / "chapters" / src).stat().st_size
            for src in set(re.findall(r'src="(\.\./_images/[^"]+)"', text))
            if (html / "chapters" / src).exists()
        )
        rows.append(
            (
                f"Page weight {page.stem} (KB)",
                (page.stat().st_size + own) / 1024,
                None,
                "target ≤ 400 KB",
            )
        )
    return rows


def bench_pdf(ws: Path, runs: int) -> list[tuple[str, float, float | None, str]]:
    """``make pdf`` on a book whose execution cache is full: builds and printing only."""
    from pypdf import PdfReader

    from tokenrace.book.edition import pdf_in_build

    book = ws / "book"
    if not (book / "_build" / "html").is_dir():
        book = copy_book(book)
        build(book)

    def run(_i: int) -> float:
        start = time.monotonic()
        subprocess.run(
            [str(BIN / "python"), "-m", "tokenrace.book.edition", str(book)],
            check=True,
            capture_output=True,
        )
        return time.monotonic() - start

    seconds = median_of(runs, run)
    pdf = pdf_in_build(book / "_build")
    pages = len(PdfReader(pdf).pages)
    note = f"{pages} pages, {pdf.stat().st_size / 1e6:.1f} MB; the book's notebooks cached"
    return [("PDF edition, make pdf (s)", seconds, None, note)]


def synthetic(folder: Path, factor_models: int, factor_weeks: int) -> Path:
    """A snapshot factor_models × more models and factor_weeks × more weeks than data/."""
    src = ROOT / "data"
    weekly = pd.read_csv(src / "weekly_tokens.csv", dtype={"free_tokens": "Int64"})
    models = pd.read_csv(src / "models.csv", dtype=str, keep_default_na=False)
    weeks = sorted(weekly["week"].unique())
    span = len(weeks)
    frames, model_rows = [], []
    for m in range(factor_models):
        suffix = "" if m == 0 else f"-copy{m}"
        renamed = weekly.copy()
        listed = renamed["model"] != "other"
        renamed.loc[listed, "model"] = renamed.loc[listed, "model"] + suffix
        if m > 0:
            renamed = renamed[listed]
        frames.append(renamed)
        copy = models.copy()
        copy["model"] = copy["model"] + suffix
        model_rows.append(copy)
    one = pd.concat(frames, ignore_index=True)
    stacked = []
    for w in range(factor_weeks):
        shifted = one.copy()
        offset = pd.Timedelta(weeks=span * (factor_weeks - 1 - w))
        shifted["week"] = (pd.to_datetime(shifted["week"]) - offset).dt.strftime("%Y-%m-%d")
        stacked.append(shifted)
    folder.mkdir(parents=True)
    pd.concat(stacked).sort_values(["week", "model"]).to_csv(
        folder / "weekly_tokens.csv", index=False
    )
    pd.concat(model_rows).to_csv(folder / "models.csv", index=False)
    for name in ("authors.csv", "datapackage.json"):
        shutil.copyfile(src / name, folder / name)
    return folder


def data_work(folder: Path) -> float:
    from tokenrace import load_snapshot
    from tokenrace.analysis import prices, recut
    from tokenrace.claims import register as claims

    start = time.perf_counter()
    snap = load_snapshot(folder)
    for column in ("lab", "group", "country"):
        recut.tokens_by(snap, column)
        recut.shares_by(snap, column)
    for n in (1, 4):
        recut.top_models(snap, recut.last_weeks(snap, n))
        recut.essay_split(snap, recut.last_weeks(snap, n))
        recut.essay_split(snap, recut.last_weeks(snap, n), top_n=10)
    recut.china_share(snap)
    table = prices.usage_and_price(snap, recut.last_weeks(snap, 4))
    prices.weighted_price(table, "group")
    prices.spend_and_token_shares(snap, recut.last_weeks(snap, 4), "country")
    claims.evaluate(snap)
    return time.perf_counter() - start


def bench_data(ws: Path, runs: int) -> list[tuple[str, float, float | None, str]]:
    import tokenrace  # noqa: F401  (imports are not part of the timing)

    sizes = {"shipped (1×)": ROOT / "data"}
    sizes["10× (10× models)"] = synthetic(ws / "x10", 10, 1)
    sizes["100× (10× models, 10× weeks)"] = synthetic(ws / "x100", 10, 10)
    rows = []
    base = None
    for label, folder in sizes.items():
        n_rows = sum(1 for _ in open(folder / "weekly_tokens.csv")) - 1
        seconds = median_of(runs, lambda _i, folder=folder: data_work(folder))
        per_row = seconds / n_rows * 1e6
        base = base or per_row
        rows.append(
            (
                f"Load, validate, re-cut: {label}, {n_rows:,} rows (s)",
                seconds,
                None,
                f"{per_row:.1f} µs/row ({per_row / base:.2f}× the shipped rate)",
            )
        )
    return rows


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {system}"


def table(rows: list[tuple[str, float, float | None, str]]) -> str:
    lines = ["| measure | this book | reference | ratio | note |", "|---|---:|---:|---:|---|"]
    for name, value, ref, note in rows:
        ratio = f"{value / ref:.2f}×" if ref else ""
        ref_text = f"{ref:.2f}" if ref is not None else ""
        lines.append(f"| {name} | {value:.2f} | {ref_text} | {ratio} | {note} |")
    return "\n".join(lines)


def bench_evidence(runs: int) -> list[tuple[str, float, float | None, str]]:
    """The claims' evidence on the shipped snapshot: drawn (no cache), and read from its cache."""
    from tokenrace import load_snapshot
    from tokenrace.claims import evidence
    from tokenrace.reconstruct import ensemble

    snap = load_snapshot(ROOT / "data")

    def drawn(_i: int) -> float:
        start = time.perf_counter()
        evidence.compute(snap)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="tokenrace-evidence-") as cache:
        os.environ[evidence.CACHE_ENV] = cache
        evidence.load(snap)

        def cached(_i: int) -> float:
            start = time.perf_counter()
            evidence.load(snap)
            return time.perf_counter() - start

        warm = median_of(runs, cached)
        del os.environ[evidence.CACHE_ENV]
    return [
        (
            f"Evidence: {ensemble.DRAWS} draws, every scenario, inputs at their ends (s)",
            median_of(runs, drawn),
            None,
            "once per snapshot and code, in the build's pool",
        ),
        ("Evidence read from its cache (s)", warm, None, "every later chapter and build"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median; at least 3)")
    parser.add_argument(
        "--write", action="store_true", help="record the table in benchmarks/README.md"
    )
    parser.add_argument("--pdf-only", action="store_true", help="time only `make pdf`")
    args = parser.parse_args()
    runs = max(3, args.runs)
    if args.pdf_only:
        with tempfile.TemporaryDirectory(prefix="tokenrace-bench-") as tmp:
            print(table(bench_pdf(Path(tmp), runs)))
        return 0
    with tempfile.TemporaryDirectory(prefix="tokenrace-bench-") as tmp:
        ws = Path(tmp)
        rows = bench_builds(ws, runs) + bench_page_weight(ws)
        log("PDF edition ...")
        rows += bench_pdf(ws, runs)
        log("per-chapter execution ...")
        rows += bench_chapters(ws, runs)
        log("data work at scale ...")
        rows += bench_data(ws, runs)
        log("the claims' evidence ...")
        rows += bench_evidence(runs)
    when = time.strftime("%Y-%m-%d")
    result = (
        f"Measured {when} on {machine()}, median of {runs} runs (`make bench`).\n\n{table(rows)}\n"
    )
    print(result)
    if args.write:
        text = README.read_text()
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        README.write_text(f"{head}{START}\n{result}{END}{tail}")
        log(f"recorded in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
