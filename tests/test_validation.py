"""How far to trust the reconstruction: fit and leave-one-source-out, on a small made-up snapshot.

The synthetic sources (four models of the tiny fixture, 53 weeks) have a source whose values are
knots (``press``: one platform total), one with only a check (``blog``), one with a share check
(``study``), and one (``files``) whose knot anchors are a model's only sourced points and whose
anchor id an assumed knot cites, so leaving it out takes every point of that model.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import copy_tiny

from tokenrace import load_snapshot
from tokenrace.book import data_chapter as dc
from tokenrace.book import prose
from tokenrace.reconstruct import representative as rc
from tokenrace.reconstruct import validation as va
from tokenrace.snapshot import cache
from tokenrace.sources.inputs import SourcesError, has_source_ids, read_anchors

HEADER = "id,kind,subject,week,weeks,value,low,high,unit,role,grade,source,note,source_id\n"
ANCHORS = [
    "T01,total,all,2025-09-01,1,2000,,,billion tokens,knot,B,Press,Test,press",
    "T02,total,all,2026-01-05,1,2500,1500,4000,billion tokens,check,C,Blog,Test,blog",
    "T03,total,all,2025-03-03,1,900,,,billion tokens,context,B,Press,Before the window,press",
    "M01,model,deepseek/deepseek-v4-flash,2026-03-02,1,200,,,billion tokens,knot,A,F,Test,files",
    "M02,model,mistralai/mistral-small-3.2,2025-10-06,1,100,,,billion tokens,knot,A,F,Test,files",
    "M03,model,mistralai/mistral-small-3.2,2026-01-05,1,150,,,billion tokens,knot,A,F,Test,files",
    "M04,model,anthropic/claude-sonnet-4.6,2026-03-02,1,50,50,,billion tokens,check,A,Files,"
    "At least,files",
    "S01,share_max,open_weights,2026-01-05,1,12,5,20,percent of all tokens,check,B,Study,Test,"
    "study",
]
KNOTS = """series,week,billion_tokens,low,high,reason,range_reason
all,2025-05-26,1000,800,1200,First week,Guess
all,2026-05-25,4000,3000,5000,Last week,Guess
anthropic/claude-sonnet-4.6,2025-05-26,20,10,40,First week,Guess
anthropic/claude-sonnet-4.6,2026-05-25,60,30,120,Last week,Guess
deepseek/deepseek-v4-flash,2026-05-25,300,200,450,Rising on from the files (M01),Guess
mistralai/mistral-small-3.2,2025-05-26,80,40,160,First week,Guess
mistralai/mistral-small-3.2,2026-05-25,120,60,240,Last week,Guess
openrouter/test-alpha,2025-05-26,10,5,20,First week,Guess
openrouter/test-alpha,2026-05-25,10,5,20,Last week,Guess
"""


def _made_up(target, anchors: list[str] = ANCHORS, ids: bool = True, knots: str = KNOTS):
    """A tiny snapshot reconstructed from the synthetic sources (``ids=False``: no source_id)."""
    folder = copy_tiny(target)
    sources = folder.path / "sources"
    sources.mkdir()
    lines = [HEADER, *(a + "\n" for a in anchors)]
    if not ids:
        lines = [line.rsplit(",", 1)[0] + "\n" for line in lines]
    (sources / "anchors.csv").write_text("".join(lines), encoding="utf-8")
    (sources / "knots.csv").write_text(knots, encoding="utf-8")
    models = pd.read_csv(folder.path / "models.csv", dtype=str, keep_default_na=False)
    weekly, provenance = rc.reconstruct(sources, models)
    text = rc.to_csv_text(weekly.drop(columns="free_tokens"))
    (folder.path / "weekly_tokens.csv").write_text(text, encoding="utf-8")
    # A snapshot with sources/ is a reconstructed one: the contract wants its provenance too.
    provenance_text = rc.provenance_csv_text(provenance)
    (folder.path / "provenance.csv").write_text(provenance_text, encoding="utf-8")
    return load_snapshot(folder.path)


@pytest.fixture(scope="module")
def made_up(tmp_path_factory):
    return _made_up(tmp_path_factory.mktemp("validation") / "snap")


@pytest.fixture(scope="module")
def found(made_up) -> dict:
    return va.compute(made_up)


def _row(found: dict, source: str, scale: str = "tokens") -> dict:
    (row,) = [r for r in found["rows"] if r["source"] == source and r["scale"] == scale]
    return row


def test_fit_is_near_zero_where_the_values_are_knots(found) -> None:
    press = _row(found, "press")
    assert press["values"] == 1  # T03 is context: not a value
    assert press["fit_p90"] <= rc.KNOT_TOLERANCE
    assert _row(found, "files")["fit_p90"] <= rc.KNOT_TOLERANCE


def test_leaving_a_source_out_costs_more_than_its_fit(found) -> None:
    press = _row(found, "press")
    assert press["rebuilt"] and press["lost"] == 0
    # Without T01 the total runs log-linearly from 1000 to 4000 over 52 weeks: 1452 in week 14.
    assert press["loso_median"] == pytest.approx(abs(math.log(1000 * 4 ** (14 / 52) / 2000)), 1e-3)
    assert press["loso_median"] > press["fit_median"]
    assert found["left_out"]["press"]["inputs"] == ["T01"]


def test_a_knot_citing_the_source_left_out_goes_too(found) -> None:
    left = found["left_out"]["files"]
    assert "deepseek/deepseek-v4-flash@2026-05-25" in left["inputs"]
    assert {"M01", "M02", "M03"} <= set(left["inputs"])
    assert "mistralai/mistral-small-3.2@2025-05-26" not in left["inputs"]
    assert va.citation_pattern(["T10"]).search("level (anchor T10)")
    assert va.citation_pattern(["A01", "B2"]).search("(A01)")
    assert not va.citation_pattern(["T1"]).search("(anchor T10)")
    assert va.citation_pattern([]) is None


def test_a_model_left_without_points_counts_as_lost(found) -> None:
    files = _row(found, "files")
    assert found["left_out"]["files"]["models_lost"] == ["deepseek/deepseek-v4-flash"]
    assert files["values"] == 3 and files["lost"] == 1  # M01: no tokens, no infinite error
    assert files["skipped"] == 1  # M04 is one-sided: a bound, not a value
    assert math.isfinite(files["loso_median"]) and math.isfinite(files["loso_p90"])


def test_a_source_with_only_checks_has_loso_equal_to_fit(found) -> None:
    for source, scale in (("blog", "tokens"), ("study", "shares")):
        row = _row(found, source, scale)
        assert not row["rebuilt"] and source not in found["left_out"]
        assert (row["loso_median"], row["loso_p90"]) == (row["fit_median"], row["fit_p90"])
    assert _row(found, "blog")["fit_median"] > 0


def test_pooled_rows_and_the_table(found) -> None:
    pooled = va.pooled(found)
    assert pooled["values"] == 5 and pooled["lost"] == 1 and pooled["skipped"] == 1
    assert va.pooled(found, "shares")["values"] == 1
    table = va.table(found)
    assert list(table["source"]) == ["blog", "files", "press", "study", va.POOLED, va.POOLED]
    assert set(table["scale"]) == {"tokens", "shares"}
    numbers = table[["fit_median", "fit_p90", "loso_median", "loso_p90"]].to_numpy().ravel()
    assert all(round(x, va.DIGITS) == x for x in numbers)


def test_sources_without_ids_are_accepted_and_said(tmp_path) -> None:
    snap = _made_up(tmp_path / "snap", ids=False)
    anchors = read_anchors(snap.path / "sources")
    assert not has_source_ids(anchors) and set(anchors["source_id"]) == {""}
    found = va.compute(snap)
    assert found["basis"] == "reconstructed" and not found["has_ids"] and found["rows"] == []
    assert found["note"] == va.NO_IDS
    assert va.NO_IDS in dc.trust_note(found).data
    assert str(prose.trust_values(found).loso_median) == "unknown"


def test_an_empty_source_id_is_refused(tmp_path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    rows = [*ANCHORS[:2], ANCHORS[2].rsplit(",", 1)[0] + ","]
    (sources / "anchors.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(SourcesError, match=r"anchors\.csv, row 4, column 'source_id'"):
        read_anchors(sources)


def test_the_committed_sources_all_name_their_source() -> None:
    from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

    anchors = read_anchors(DEFAULT_DATA_DIR / "sources")
    assert has_source_ids(anchors)
    imported = anchors["id"].str.match(r"(RF|RP|DA)-")
    assert set(anchors.loc[imported, "source_id"]) == {"ranking_files", "rankings_page", "data_api"}
    typed = anchors[~imported & (anchors["role"] != "context")]
    assert not (typed["source_id"] == "ranking_files").any(), (
        "no ranking-file figure the snapshot is built from or checked against is typed by hand: "
        "the importer derives them all"
    )


def test_the_validation_is_cached(made_up, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    calls = []
    compute = va.compute
    monkeypatch.setattr(va, "compute", lambda snap: calls.append(1) or compute(snap))
    first = va.load(made_up)
    assert va.load(made_up) == first and len(calls) == 1
    (file,) = tmp_path.glob("validation-*.json")
    assert va.cache_path(made_up) == file


def test_the_committed_snapshot(tmp_path, monkeypatch) -> None:
    """Every source of the committed snapshot is tested; the knots are met; leaving out a source
    whose totals start the series scales the listed models down instead of failing."""
    from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

    found = va.compute(load_snapshot(DEFAULT_DATA_DIR))
    assert found["has_ids"]
    table = va.table(found).set_index(["source", "scale"])
    for source in ("ranking_files", "business_insider", "content_fans", "nbdpress"):
        assert table.loc[(source, "tokens"), "fit_p90"] <= rc.KNOT_TOLERANCE
    assert found["left_out"]["content_fans"]["weeks_scaled"] > 0
    assert {"minimaxir", "bloomberg_hellochinatech"} <= set(found["no_values"])
    pooled = va.pooled(found)
    assert pooled["values"] == table.xs("tokens", level="scale").drop(va.POOLED)["values"].sum()


def test_a_source_whose_removal_leaves_no_total_loses_its_values(tmp_path) -> None:
    """Every point of the platform total cites T01: without the press there is no total, so
    nothing can be rebuilt; its values are lost, and the reason is kept."""
    knots = "\n".join(
        line.replace(",Guess", ",Guess (T01)") if line.startswith("all,") else line
        for line in KNOTS.splitlines()
    )
    found = va.compute(_made_up(tmp_path / "snap", knots=knots + "\n"))
    press = _row(found, "press")
    assert press["lost"] == press["values"] == 1 and press["loso_median"] is None
    assert "no points" in found["left_out"]["press"]["cannot_rebuild"]


def test_the_prose_reads_the_cached_validation_without_recomputing(made_up, tmp_path, monkeypatch):
    """A chapter that only quotes the validation (the caveats) reads its cache file: nothing is
    computed when an earlier run stored it, and the values are those of the stored result."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    stored = va.load(made_up)
    monkeypatch.setattr(va, "compute", lambda snap: pytest.fail("recomputed"))
    assert prose.trust(made_up.path) == stored
    values = prose.trust_values(stored)
    assert str(values.loso_median) == f"{va.pooled(stored)['loso_median']:.2f}"


def test_the_loso_table_shows_rebuilt_only_where_a_source_was_not() -> None:
    from tokenrace.book import data_chapter

    def row(source: str, rebuilt: bool) -> dict:
        return {
            "source": source,
            "scale": "tokens",
            "values": 2,
            "lost": 0,
            "loso_median": 0.5,
            "loso_p90": 0.9,
            "rebuilt": rebuilt,
        }

    every = data_chapter.loso_table({"rows": [row("a", True), row("b", True)]})
    assert "Rebuilt" not in every.columns.get_level_values(-1)
    some = data_chapter.loso_table({"rows": [row("a", True), row("b", False)]})
    assert list(some.iloc[:, -1]) == ["yes", "no: = fit"]
