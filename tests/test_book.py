"""End to end: the strict book build, its HTML, and rebuilding on another snapshot.

The ``book`` fixture (conftest.py at the root) builds the book once from a copy of the working
tree that has a GitHub remote. Tests that rebuild work on further copies, so they never disturb
what other tests read.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from test_short_snapshots import slice_of_data

from bookbuild import (
    TEST_BRANCH,
    TEST_REPO_WEB,
    Build,
    build_book,
    copy_tree,
    has_traceback,
)
from shipped import CONTRADICTED
from tokenrace import load_snapshot
from tokenrace.analysis import recut
from tokenrace.claims import register as claims
from tokenrace.claims import reporting
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR, REPO_ROOT

pytestmark = pytest.mark.book

FIXTURES = Path(__file__).parent / "fixtures"
#: The figures each page must hold, in the order they stand (name = HTML id of the figure). The
#: race's follow the essay: the weekly volume first, then their chart and our way; the paid and
#: free tokens come after the growth, in their own subsection.
FIGURES = {
    "chapters/race": [
        "fig-race-total",
        "fig-race-paid-free",
        "fig-race-their-chart",
        "fig-race-our-way",
    ],
    "chapters/open-secret": ["fig-open-labs", "fig-open-price-usage"],
    "chapters/fork": ["fig-fork-share", "fig-fork-split"],
    "chapters/humanist": [
        "fig-humanist-cost-usage",
        "fig-humanist-price-origin",
        "fig-humanist-spend",
    ],
    "chapters/data": ["fig-data-total", "fig-data-models"],
    "chapters/claims": ["fig-claims-robustness", "fig-claims-since"],
}
NOTEBOOKS = [
    "chapters/race",
    "chapters/open-secret",
    "chapters/fork",
    "chapters/humanist",
    "chapters/data",
    "chapters/claims",
    "chapters/caveats",
]
#: Pages without a kernel: they show the snapshot through substitutions set by the extension.
PLAIN_PAGES = [
    "chapters/sources",
    "chapters/editors-notes",
    "chapters/reproduce",
]


def soup(build: Build, page: str) -> BeautifulSoup:
    return BeautifulSoup(build.page(page), "html.parser")


def text(build: Build, page: str) -> str:
    main = soup(build, page).find("main") or soup(build, page)
    return " ".join(main.get_text(" ").split())


def tight(words: str) -> str:
    """Text with no space before punctuation (inline elements are joined with spaces)."""
    return re.sub(r"\s+([.,:;])", r"\1", words)


def executed(build: Build) -> set[str]:
    """Notebooks the build executed, ahead of Sphinx or while reading (not from the cache)."""
    ahead = re.findall(r"executed chapters/([\w-]+)\.md in", build.log)
    inline = re.findall(r"chapters/([\w-]+)\.md: Executing notebook", build.log)
    return set(ahead + inline)


def cached(build: Build) -> set[str]:
    return set(re.findall(r"chapters/([\w-]+)\.md: Using cached notebook", build.log))


# --- the strict build --------------------------------------------------------------------------


def test_strict_build_has_no_warnings(book: Build) -> None:
    assert book.returncode == 0
    sphinx_warnings = [x for x in book.log.splitlines() if re.search(r"(: |^)WARNING: ", x)]
    assert not sphinx_warnings, sphinx_warnings
    assert re.search(r"build succeeded\.", book.log), "the build reported warnings or problems"
    assert {Path(n).name for n in NOTEBOOKS} <= executed(book)


@pytest.mark.parametrize("page", sorted(FIGURES))
def test_each_figure_has_alt_text_caption_source_and_data(book: Build, page: str) -> None:
    as_of = load_snapshot().as_of
    html = soup(book, page)
    for name in FIGURES[page]:
        figure = html.find(id=name)
        assert figure is not None and figure.name == "figure", f"{page}: no figure #{name}"
        assert figure.find("img") is None, f"{name}: chart as <img>, not inline SVG"
        svg = figure.find("svg", class_="chart")
        assert svg is not None, f"{name}: no inline SVG chart"
        assert "<dc:date>" not in str(svg), f"{name}: SVG with date metadata"
        assert svg.find("title"), f"{name}: no data mark with a title (values on hover)"
        alt = svg.get("aria-label", "")
        assert len(alt) > 60 and re.search(r"\d", alt), f"{name}: weak alt text {alt!r}"
        caption = " ".join(figure.find("figcaption").get_text(" ").split())
        source = (
            f"Source: OpenRouter (openrouter.ai/rankings), representative snapshot as of {as_of}"
        )
        assert source in caption, f"{name}: no source line in caption {caption!r}"
        link = figure.find("a", attrs={"download": f"{name}.csv"})
        assert link and link["href"].startswith("data:text/csv;base64,")
        csv_text = base64.b64decode(link["href"].split(",", 1)[1]).decode()
        header = csv_text.splitlines()[0]
        assert re.search(r"trillions|billions|%|usd|tokens|count|holds", header, re.I), header


def test_glued_numbers_match_the_data(book: Build) -> None:
    from tokenrace.snapshot.essay import as_of_essay

    snap = as_of_essay(load_snapshot()).snapshot  # the prose is as of the essay's week
    total = recut.weekly_total(snap)
    race = text(book, "chapters/race")
    assert f"processed {total.iloc[0] / 1e12:.1f} trillion tokens" in race
    assert f"and {total.iloc[-1] / 1e12:.1f} trillion in the week of" in race
    split = recut.essay_split(snap, recut.last_weeks(snap, 1))
    fork = text(book, "chapters/fork")
    assert f"Chinese open-weight models carry {split['cn_open']:.0f} %" in fork
    top = recut.essay_split(snap, recut.last_weeks(snap, 1), top_n=10)
    assert f"the split is {top['cn_open']:.0f} %" in fork
    from tokenrace.claims import evidence

    counts = evidence.level_counts(evidence.load(snap))
    body = tight(text(book, "chapters/claims"))
    assert f"claims on the snapshot as of {snap.as_of}: {counts}." in body


@pytest.mark.parametrize("page", ["intro", *NOTEBOOKS, *PLAIN_PAGES])
def test_no_unrendered_markup(book: Build, page: str) -> None:
    main = soup(book, page).find("main")
    for block in main.select("pre"):  # code shown as code (the BibTeX entry's {{...}}) is meant
        block.decompose()
    body = " ".join(main.get_text(" ").split())
    for leftover in ("{glue", "glue:text", "{numref}", "{cite", "\\$", ":::", "{{", "}}"):
        assert leftover not in body, f"{page}: unrendered {leftover!r}"


def claim_verdicts(build: Build, page: str) -> dict[str, list[str]]:
    """Each claim block of a page (a list item headed by a claim id), with every verdict level
    named anywhere in it: one claim, one level, or the page shows two verdicts."""
    from tokenrace.claims import evidence

    ids = {c.id for c in claims.REGISTER}
    found: dict[str, list[str]] = {}
    for item in soup(build, page).select("main li"):
        head = item.find("strong")
        if head is None or head.get_text() not in ids or item.find_parent("li") is not None:
            continue
        words = " ".join(item.get_text(" ").split()).lower()
        found[head.get_text()] = [
            level for level in evidence.LEVELS for _ in range(words.count(level.lower()))
        ]
    return found


@pytest.mark.parametrize("page", [*NOTEBOOKS[:4], "chapters/claims"])
def test_every_claim_block_shows_one_verdict_its_evidence_level(book: Build, page: str) -> None:
    from tokenrace.claims import evidence

    found = evidence.load(load_snapshot())
    blocks = claim_verdicts(book, page)
    chapter = page.removeprefix("chapters/")
    expected = {c.id for c in claims.REGISTER if page.endswith("claims") or c.chapter == chapter}
    assert set(blocks) == expected
    for claim_id, levels in blocks.items():
        assert levels == [found["claims"][claim_id]["level"]], f"{page}: {claim_id}: {levels}"
    body = tight(text(book, page))
    assert "holds on the committed data." not in body  # the old second verdict
    assert "does not hold on the committed data." not in body


def test_claims_page_shows_every_claim_with_its_evidence(book: Build) -> None:
    from tokenrace.claims import evidence

    body = tight(text(book, "chapters/claims"))
    for claim in claims.REGISTER:
        assert claim.id in body
    for level in evidence.LEVELS:  # the verdict scale is stated once, on this page
        assert level in body
    found = evidence.load(load_snapshot())
    assert body.count("Why: ") == len(claims.REGISTER)
    for claim in claims.REGISTER:
        level = found["claims"][claim.id]["level"]
        assert f"{claim.id}: {evidence.MARKS[level]} {level}." in body
    assert f"claims on the snapshot as of {load_snapshot().as_of}: " in body
    assert evidence.level_counts(found) in body  # the headline counts claims per level
    assert "claims hold on the committed data" not in body
    links = soup(book, "chapters/claims").select("main a.reference.internal")
    targets = {a["href"] for a in links}
    for chapter in reporting.CHAPTER_DOCS:
        assert any(f"#claims-{chapter}" in t for t in targets), chapter


def _figure_csv(build: Build, page: str, name: str) -> str:
    link = soup(build, page).find(id=name).find("a", attrs={"download": f"{name}.csv"})
    return base64.b64decode(link["href"].split(",", 1)[1]).decode()


def test_bands_are_in_the_charts_and_their_csvs(book: Build) -> None:
    """Fig. 1 and the origin-share chart carry the ensemble's 90 % band, and say so."""
    total = _figure_csv(book, "chapters/race", "fig-race-total").splitlines()
    assert "band_p5_trillions" in total[0] and "band_p95_trillions" in total[0]
    assert "sourced_anchor" in total[0] and ",T10," in "\n".join(total)
    share = _figure_csv(book, "chapters/fork", "fig-fork-share").splitlines()[0]
    assert "China, open weights band p5 (%)" in share
    for page, name in (("chapters/race", "fig-race-total"), ("chapters/fork", "fig-fork-share")):
        caption = soup(book, page).find(id=name).find("figcaption").get_text(" ")
        assert "middle 90 % of 400 reconstructions" in " ".join(caption.split())


#: The weekly charts: each marks the essay's week, and its CSV says which weeks came after it.
WEEKLY_FIGURES = {
    "chapters/race": [
        "fig-race-total",
        "fig-race-paid-free",
        "fig-race-their-chart",
        "fig-race-our-way",
    ],
    "chapters/open-secret": ["fig-open-labs"],
    "chapters/fork": ["fig-fork-share"],
    "chapters/data": ["fig-data-total"],
    "chapters/claims": ["fig-claims-since"],
}


def test_every_other_chart_says_its_data_end_at_the_essay(book: Build) -> None:
    """A chart that is not weekly is drawn on the data as of the essay's week, so its "final four
    weeks" are the four to 25 May 2026, not the snapshot's last: its caption says so."""
    weekly = {name for names in WEEKLY_FIGURES.values() for name in names}
    seen = 0
    for page in NOTEBOOKS:
        for figure in soup(book, page).find_all("figure", id=True):
            if figure["id"] in weekly:
                continue
            seen += 1
            caption = " ".join(figure.find("figcaption").get_text(" ").split())
            assert "As of the essay: the data end in the week of 25 May 2026." in caption, figure[
                "id"
            ]
    assert seen >= 7


@pytest.mark.parametrize("page", sorted(WEEKLY_FIGURES))
def test_every_weekly_chart_marks_the_essay_week(book: Build, page: str) -> None:
    rule = (
        "The dashed rule marks the week the essay describes (week of 25 May 2026); the shaded "
        "weeks after it, to the week of 10 August 2026, came after the essay"
    )
    html = soup(book, page)
    for name in WEEKLY_FIGURES[page]:
        figure = html.find(id=name)
        caption = " ".join(figure.find("figcaption").get_text(" ").split())
        assert rule in caption, f"{name}: {caption!r}"
        svg = figure.find("svg", class_="chart")
        assert "essay's week (week of 25 May 2026)" in svg.get("aria-label", ""), name
        words = {t.get_text().strip() for t in svg.find_all("text")} | {
            " ".join(g.get_text().split()) for g in svg.find_all("g")
        }
        assert any(w == "essay" for w in words) or "essay" in str(svg), name
        rows = list(csv.DictReader(io.StringIO(_figure_csv(book, page, name))))
        after = {r["week"]: r["after_essay"] for r in rows}
        assert after["2026-05-25"] == "false" and after["2026-08-10"] == "true", name
        assert all((v == "true") == (w > "2026-05-25") for w, v in after.items()), name


def test_claims_page_shows_the_weeks_since_for_every_claim(book: Build) -> None:
    from tokenrace.claims import evidence
    from tokenrace.claims.reporting import since_then, since_then_short

    found = evidence.load(load_snapshot())
    table = soup(book, "chapters/claims").find(
        lambda tag: tag.name == "table" and "Test in the weeks since" in tag.get_text()
    )
    assert table is not None, "no verdict table with the weeks since"
    cells = {
        row.find_all(["th", "td"])[0].get_text().strip(): [
            " ".join(c.get_text().split()) for c in row.find_all(["th", "td"])
        ]
        for row in table.find_all("tr")[1:]
    }
    body = tight(text(book, "chapters/claims"))
    assert "Each is judged as of the week of 25 May 2026, the week the essay describes" in body
    for claim in claims.REGISTER:
        entry = found["claims"][claim.id]
        assert cells[claim.id][1].endswith(entry["level"])
        assert cells[claim.id][2] == since_then_short(entry["after"])
        assert tight(since_then(entry["after"])) in body


@pytest.mark.parametrize("page", ["chapters/race", "chapters/open-secret", "chapters/fork"])
def test_each_chapter_says_what_the_weeks_since_show(book: Build, page: str) -> None:
    body = text(book, page)
    assert "Since the essay" in body
    q = "\u2019"  # MyST prints apostrophes as typographic ones
    assert (
        f"OpenRouter{q}s data now run 11 weeks past the essay{q}s, to the week of 10 Aug 2026"
        in body
    )
    assert f"each claim{q}s verdict stays the one judged as of the essay{q}s week" in body
    assert "essay-split:" not in body  # the claims' ids are not written as claim blocks


def test_prose_says_where_the_last_total_comes_from(book: Build) -> None:
    race = text(book, "chapters/race")
    assert (
        "The total for the week of 25 May 2026 is sourced (anchor DA-2026-05-25-total, grade A)."
        in race
    )
    assert "of the tokens of the listed Chinese models were served free" in race


def test_data_page_shows_how_far_to_trust_the_reconstruction(book: Build) -> None:
    """The Data page has the fit table and the leave-one-source-out table, one row per source
    with values and the pooled rows, and its prose and the caveats quote the pooled numbers."""
    from tokenrace.book import prose
    from tokenrace.reconstruct import validation

    found = validation.load(load_snapshot())
    trust = prose.trust_values(found)
    section = soup(book, "chapters/data").find("section", id="how-far-to-trust-the-reconstruction")
    assert section is not None, "no section 'How far to trust the reconstruction'"
    shown = section.select("table.dataframe")
    assert len(shown) == 2
    sources = {r["source"] for r in found["rows"]}
    assert {"ranking_files", validation.POOLED} <= sources
    for table, first in zip(shown, ("Source", "Source left out"), strict=True):
        header = [th.get_text(" ", strip=True) for th in table.select("thead th")]
        assert header[0] == first and {"Values", "Median", "P90"} <= set(header), header
        labels = [th.get_text(strip=True) for th in table.select("tbody th")]
        assert {label.removesuffix(" (shares)") for label in labels} == sources
        assert len(labels) == len(found["rows"])
    body = " ".join(section.get_text(" ").split())
    assert f"a median of {trust.loso_median} (a factor of {trust.loso_median_factor}" in body
    assert f"one in ten by more than {trust.loso_p90}" in body
    assert "unknown" not in body
    caveats = text(book, "chapters/caveats")
    assert f"a median of {trust.loso_median} and a 90th percentile of {trust.loso_p90}" in caveats


def test_sources_page_attributes_every_source_of_the_manifest(book: Build) -> None:
    """Each source an anchor may name is on the Sources page: its title (linked where it has a
    URL), its id and grade, how many figures cite it, its licence and attribution."""
    import csv

    section = soup(book, "chapters/sources").find("section", id="where-the-figures-come-from")
    assert section is not None, "no section 'Where the figures come from'"
    items = {
        li.find("code").get_text(): " ".join(li.get_text(" ").split())
        for li in section.select("li")
    }
    sources = REPO_ROOT / "data" / "sources"
    with (sources / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    with (sources / "anchors.csv").open(encoding="utf-8") as handle:
        cited = [row["source_id"] for row in csv.DictReader(handle)]
    assert set(items) == {m["id"] for m in manifest}
    for m in manifest:
        item = items[m["id"]]
        assert f"grade {m['grade']}" in item and "Licence:" in item and "Attribution:" in item
        n = cited.count(m["id"])
        assert (f"{n} figure" in item) if n else ("no figure in this snapshot yet" in item)
        assert "{" not in item, item
        link = next(li for li in section.select("li") if li.find("code").get_text() == m["id"])
        if m["url"].startswith("http"):
            assert link.find("a", href=m["url"]) is not None, m["id"]


def test_repository_and_launch_links_come_from_the_checkout(book: Build) -> None:
    html = book.page("chapters/race")
    assert f'href="{TEST_REPO_WEB}"' in html
    binder = f"https://mybinder.org/v2/gh/example-newsroom/the-race/{TEST_BRANCH}"
    assert f"{binder}?urlpath=lab/tree/chapters/race.md" in html
    for page in ["intro", *NOTEBOOKS, *PLAIN_PAGES]:
        assert "executablebooks/jupyter-book" not in book.page(page)
    assert "colab.research.google.com" not in html


# --- other builds: no remote, another snapshot, a broken snapshot ------------------------------


def _copy_with_cache(book: Build, dest: Path, *, remote: str | None) -> Path:
    src = copy_tree(dest, remote=remote)
    shutil.copytree(book.src / "_build" / ".jupyter_cache", src / "_build" / ".jupyter_cache")
    return src


def test_build_without_remote_has_no_repository_buttons(book: Build, tmp_path: Path) -> None:
    built = build_book(_copy_with_cache(book, tmp_path / "src", remote=None))
    assert built.returncode == 0, built.log[-3000:]
    assert "building without repository and launch buttons" in built.log
    assert not executed(built), "the cache of the same code and data should have been reused"
    for page in ["intro", *NOTEBOOKS]:
        html = built.page(page)
        assert "mybinder.org" not in html and "executablebooks/jupyter-book" not in html


def test_another_snapshot_reexecutes_and_shows_failing_claims(book: Build, tmp_path: Path) -> None:
    src = _copy_with_cache(book, tmp_path / "src", remote=None)
    other = shutil.copytree(FIXTURES / "contradicting", tmp_path / "other")

    # 1. Point TOKENRACE_DATA elsewhere: every notebook runs again, claims show as not holding.
    first = build_book(src, data=other)
    assert first.returncode == 0, first.log[-3000:]
    assert {Path(n).name for n in NOTEBOOKS} <= executed(first)
    body = tight(text(first, "chapters/claims"))
    assert body.count("✘ does not hold.") == len(claims.REGISTER)
    assert f": {len(claims.REGISTER)} do not hold." in body  # the headline counts per level
    assert "on the data as given" in body  # no sources to vary: no ensemble
    assert "2.5 T in the week of 2026-05-25" in body  # the measured value is shown, not hidden
    assert "as of 2026-06-01" in text(first, "chapters/race")
    assert "2026-06-01" in text(first, "chapters/editors-notes")

    # 2. Change one value of the snapshot in use: the numbers follow, nothing stale.
    weekly = other / "weekly_tokens.csv"
    lines = weekly.read_text().splitlines()
    lines = [
        line.replace(",300000000000", ",3000000000000")
        if line.startswith("2026-05-25,other")
        else line
        for line in lines
    ]
    weekly.write_text("\n".join(lines) + "\n")
    second = build_book(src, data=other)
    assert second.returncode == 0, second.log[-3000:]
    assert {Path(n).name for n in NOTEBOOKS} <= executed(second)
    assert "5.2 T in the week of 2026-05-25" in text(second, "chapters/claims")

    # 3. Back to the committed snapshot: its cache is reused, and only the claim its data
    # contradict (the essay chart's split) does not hold again.
    third = build_book(src)
    assert third.returncode == 0, third.log[-3000:]
    assert not executed(third) and {Path(n).name for n in NOTEBOOKS} <= cached(third)
    shipped = tight(text(third, "chapters/claims"))
    assert shipped.count("✘ does not hold.") == len(CONTRADICTED)
    assert all(f"{claim}: ✘ does not hold." in shipped for claim in CONTRADICTED)


def test_pages_follow_the_data_after_the_pdf_builder_went_first(
    book: Build, tmp_path: Path
) -> None:
    """The single-page build of ``make pdf`` shares ``_build/.doctrees`` with the HTML build. Run
    first on new data, it brings the shared environment up to date; the HTML build after it must
    still rewrite every page (it kept the old numbers: no source was newer than its page)."""
    src = _copy_with_cache(book, tmp_path / "src", remote=None)
    other = shutil.copytree(FIXTURES / "contradicting", tmp_path / "other")
    before = build_book(src)
    assert before.returncode == 0, before.log[-3000:]
    old_pages = {page: text(before, page) for page in NOTEBOOKS}
    single = build_book(src, data=other, builder="singlehtml")
    assert single.returncode == 0, single.log[-3000:]
    after = build_book(src, data=other)
    assert after.returncode == 0, after.log[-3000:]
    assert not executed(after), "the single-page build already ran the notebooks on these data"
    stale = [page for page in NOTEBOOKS if text(after, page) == old_pages[page]]
    assert stale == [], "pages that kept the old snapshot's numbers"
    assert "as of 2026-06-01" in text(after, "chapters/race")
    assert "2.5 T in the week of 2026-05-25" in text(after, "chapters/claims")
    again = build_book(src, data=other)
    assert "no targets are out of date" in again.log, "a warm rebuild rewrites nothing"


def test_broken_snapshot_stops_the_build_before_any_notebook(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(DEFAULT_DATA_DIR, bad, ignore=shutil.ignore_patterns("sources"))
    weekly = bad / "weekly_tokens.csv"
    lines = weekly.read_text().splitlines()
    lines[5] = lines[5].replace("2025-05-26", "2025-05-27")
    weekly.write_text("\n".join(lines) + "\n")
    src = copy_tree(tmp_path / "src", remote=None)
    built = build_book(src, data=bad)
    assert built.returncode == 1
    assert "problem(s) with the data contract" in built.log
    assert "weekly_tokens.csv, row 6, column 'week'" in built.log
    assert "is not a Monday" in built.log
    assert "Executing notebook" not in built.log and "notebook(s) ahead" not in built.log
    assert "CellExecutionError" not in built.log and not has_traceback(built.log)


@pytest.mark.parametrize(("weeks", "upto"), [(1, None), (8, None), (8, "2026-05-11")])
def test_book_builds_on_a_short_snapshot(
    book: Build, tmp_path: Path, weeks: int, upto: str | None
) -> None:
    """Any snapshot of one week or more builds; what needs more weeks says so, and why.

    Builds on 1 and 8 weeks (the latest, all after the essay's week) and on 8 weeks that end
    before the essay's week; tests/test_short_snapshots.py runs every chapter's code on 1, 2, 3,
    4 and 8 weeks without a build each."""
    data = slice_of_data(tmp_path / "short", weeks, upto=upto)
    built = build_book(_copy_with_cache(book, tmp_path / "src", remote=None), data=data)
    assert built.returncode == 0, built.log[-4000:]
    assert not has_traceback(built.log)
    claims_page = text(built, "chapters/claims")
    fork = text(built, "chapters/fork")
    if weeks < 8:
        assert f"not enough weeks (needs 8, has {weeks})" in claims_page  # china-share-rises
        needs = f"cannot be measured on this snapshot: not enough weeks (needs 8, has {weeks})"
        assert needs in fork
    else:
        assert "not enough weeks (needs 8" not in claims_page
        assert "The trajectory cannot be measured" not in fork
        assert "Models made in China carried" in fork
    where = "ends before" if upto else "starts after"
    note = f"This snapshot {where} the essay\u2019s week of 25 May 2026, so its claims are judged"
    assert note in claims_page and note in fork
    if weeks == 1:
        assert "growth cannot be measured on it: not enough weeks (needs 2, has 1)" in text(
            built, "chapters/race"
        )
        assert "Prices cannot be compared on this snapshot" in text(built, "chapters/open-secret")
        note = "A week-by-week trend cannot be drawn on this snapshot: not enough weeks"
        assert note in text(built, "chapters/race") and note in fork


@pytest.mark.parametrize("case", ["no week", "no folder"])
def test_too_short_or_missing_snapshot_stops_the_build_with_one_message(
    tmp_path: Path, case: str
) -> None:
    """Too short to build (no week at all), or no folder: one clear message, no notebook, no
    traceback."""
    data = slice_of_data(tmp_path / "empty", 1)
    if case == "no week":
        weekly = data / "weekly_tokens.csv"
        weekly.write_text(weekly.read_text().splitlines()[0] + "\n")
        message = "weekly_tokens.csv: no rows: a snapshot needs at least one week"
    else:
        data = tmp_path / "missing"
        message = f"{data}: snapshot folder not found"
    built = build_book(copy_tree(tmp_path / "src", remote=None), data=data)
    assert built.returncode == 1
    assert "1 problem(s) with the data contract" in built.log and message in built.log
    assert "Executing notebook" not in built.log and "notebook(s) ahead" not in built.log
    assert not has_traceback(built.log) and "Exception occurred" not in built.log


def test_a_prose_only_edit_with_a_new_value_reexecutes_that_chapter(
    book: Build, tmp_path: Path
) -> None:
    """jupyter-cache hashes code cells only: a Markdown edit that adds an ``{eval}`` expression
    must still run the notebook again, or the book would have no value to show."""
    src = _copy_with_cache(book, tmp_path / "src", remote=None)
    page = src / "chapters" / "fork.md"
    sentence = "denominator a share uses."
    source = page.read_text(encoding="utf-8")
    assert source.count(sentence) == 1
    added = sentence + " The split has {eval}`prose.number(len(split_all), 'd')` parts."
    page.write_text(source.replace(sentence, added), encoding="utf-8")
    built = build_book(src)
    assert built.returncode == 0, built.log[-3000:]
    assert executed(built) == {"fork"}, built.log[-3000:]
    assert "Always ask which denominator a share uses. The split has 3 parts." in text(
        built, "chapters/fork"
    )
