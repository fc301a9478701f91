"""Snapshots of 1, 2, 3, 4 and 8 weeks: every chapter's code runs, and what needs more weeks says
"not enough weeks (needs N, has M)".

Full strict book builds on short snapshots are in tests/test_book.py (1 and 8 weeks, marked
``book``); here every code cell of every notebook chapter runs in this process on each length,
which exercises the same code paths in seconds instead of a build per length.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib
import pytest

from tokenrace import load_snapshot
from tokenrace.claims import register as claims
from tokenrace.snapshot.paths import DATA_ENV_VAR, DEFAULT_DATA_DIR, REPO_ROOT

matplotlib.use("Agg")

CHAPTERS = ["race", "open-secret", "fork", "humanist", "data", "caveats", "claims"]
LENGTHS = [1, 2, 3, 4, 8]
#: Weeks each claim needs (data/README.md, "What each part of the book needs").
NEEDS = {"volume-growth": 2, "china-share-rises": 8}
#: The week-by-week charts (their MyST names).
TREND_FIGURES = [
    "fig-race-total",
    "fig-race-their-chart",
    "fig-race-our-way",
    "fig-race-paid-free",
    "fig-fork-share",
    "fig-open-labs",
    "fig-data-total",
    "fig-claims-since",
]
_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def slice_of_data(dest: Path, weeks: int, upto: str | None = None) -> Path:
    """A snapshot of the last ``weeks`` weeks of data/ (up to the week ``upto``, ISO Monday,
    if given): contract files only, no sources, so it is taken "as given"."""
    dest.mkdir(parents=True)
    for name in ("models.csv", "authors.csv", "datapackage.json"):
        shutil.copyfile(DEFAULT_DATA_DIR / name, dest / name)
    lines = (DEFAULT_DATA_DIR / "weekly_tokens.csv").read_text().splitlines()
    every = sorted({line.split(",")[0] for line in lines[1:]})
    keep = [w for w in every if upto is None or w <= upto][-weeks:]
    rows = [line for line in lines[1:] if line.split(",")[0] in keep]
    (dest / "weekly_tokens.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    return dest


def code_cells(chapter: str) -> list[str]:
    """The code of each ``{code-cell}`` of a MyST chapter, its ``:tags:`` lines removed."""
    text = (REPO_ROOT / "chapters" / f"{chapter}.md").read_text(encoding="utf-8")
    return [
        "\n".join(line for line in cell.splitlines() if not line.startswith(":"))
        for cell in _CELL.findall(text)
    ]


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("short")
    return {n: slice_of_data(root / f"w{n}", n) for n in LENGTHS}


@pytest.mark.parametrize("weeks", LENGTHS)
def test_short_snapshot_is_valid_and_claims_say_what_they_need(short, weeks: int) -> None:
    snap = load_snapshot(short[weeks])
    assert len(snap.weeks) == weeks
    results = {r.id: r for r in claims.evaluate(snap)}
    for claim_id, needs in NEEDS.items():
        r = results[claim_id]
        if weeks < needs:
            assert r.holds is None
            assert f"not enough weeks (needs {needs}, has {weeks})" in r.measured
        else:
            assert r.holds is not None, r.measured


def run_chapter(chapter: str, weeks: int, folder: Path, monkeypatch, tmp_path) -> list:
    """Run a chapter's cells, in order, in one namespace (as the kernel runs them); returns
    everything they displayed."""
    import IPython.display
    import matplotlib.pyplot as plt

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_kw: shown.extend(objs))
    monkeypatch.setenv(DATA_ENV_VAR, str(folder))
    monkeypatch.setenv("TOKENRACE_EVIDENCE_CACHE", str(tmp_path / "evidence"))
    monkeypatch.chdir(REPO_ROOT / "chapters")
    namespace: dict = {"__name__": f"chapter_{chapter}"}
    cells = code_cells(chapter)
    assert cells, f"chapters/{chapter}.md has no code cells"
    for number, code in enumerate(cells, start=1):
        try:
            exec(compile(code, f"chapters/{chapter}.md cell {number}", "exec"), namespace)
        except Exception as err:  # the message is the point
            pytest.fail(f"chapters/{chapter}.md cell {number} failed on {weeks} week(s): {err!r}")
        finally:
            plt.close("all")
    return shown


@pytest.mark.parametrize("weeks", LENGTHS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_cell_runs_on_a_short_snapshot(
    short, weeks: int, chapter: str, monkeypatch, tmp_path
) -> None:
    """Every cell runs; on one week each week-by-week chart's caption says it needs two."""
    from tokenrace.figures import charts

    monkeypatch.setattr(charts, "in_book_build", lambda: True)  # figures as MyST, with captions
    shown = run_chapter(chapter, weeks, short[weeks], monkeypatch, tmp_path)
    figures = [o.data for o in shown if getattr(o, "data", "").startswith(":::{figure}")]
    names = {f.split("\n:name: ", 1)[1].split("\n", 1)[0]: f for f in figures}
    note = (
        "A week-by-week trend cannot be drawn on this snapshot: not enough weeks (needs 2, has 1)."
    )
    noted = sorted(name for name, f in names.items() if note in f)
    trends = sorted(name for name in TREND_FIGURES if name in names)
    assert noted == (trends if weeks == 1 else [])
    if chapter in ("race", "fork", "open-secret"):  # their trend charts draw on any snapshot
        assert trends == sorted(n for n in TREND_FIGURES if n.startswith(f"fig-{chapter[:4]}"))


@pytest.mark.parametrize("weeks", LENGTHS)
def test_trajectory_says_when_it_needs_more_weeks(short, weeks: int) -> None:
    from tokenrace import figures

    sentence = figures.trajectory_text(load_snapshot(short[weeks]))
    needs = f"cannot be measured on this snapshot: not enough weeks (needs 8, has {weeks})"
    assert (needs in sentence) == (weeks < 8), sentence


def test_a_falling_share_reads_as_a_fall_never_a_negative_rise() -> None:
    from tokenrace import figures
    from tokenrace.figures.fork import change_words

    assert change_words(17.24) == "a rise of **17.2** percentage points"
    assert change_words(-17.24) == "a fall of **17.2** percentage points"
    assert change_words(0.04) == "no change, to one decimal place"
    # On the contradicting fixture China's share falls: the sentence says so, without a minus.
    sentence = figures.trajectory_text(
        load_snapshot(REPO_ROOT / "tests" / "fixtures" / "contradicting")
    )
    assert "a fall of" in sentence and "-" not in sentence.split(":")[-1], sentence


def test_data_readme_says_what_each_part_needs() -> None:
    text = (DEFAULT_DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("### What each part of the book needs", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split("|") for line in section.splitlines() if line.startswith("| "))
    }
    for claim in claims.REGISTER:  # every claim is placed in a row, with what it needs
        assert any(f"*{claim.id}*" in part for part in rows), claim.id
    for claim_id, needs in NEEDS.items():
        row = next(need for part, need in rows.items() if f"*{claim_id}*" in part)
        assert row == f"{needs} weeks", (claim_id, row)
    assert "not enough weeks (needs N, has M)" in section
    assert "1, 2, 3, 4 and 8 weeks" in " ".join(section.split())
