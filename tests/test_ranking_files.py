"""Any valid snapshot builds: the public weekly ranking files, converted to the contract.

``tests/fixtures/ranking-files/`` has their shape (``make_fixture.py`` beside it says what it
holds): permaslug-derived slugs, ``:free`` rows folded into their base models, free-only models,
models with no price and models priced at zero, a model at zero tokens in the last week, free-only
stealth models with no country, and an ``other`` row a week. A chart never assumes a model has a
price, a positive value or a place on a log axis: what it cannot draw, its caption names, and
its hover marks are exactly the marks it draws.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bookbuild import Build, build_book, copy_tree
from tokenrace import load_snapshot
from tokenrace.analysis import prices
from tokenrace.figures import charts

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ranking-files"
#: The fixture's models the cost chart can draw: tokens in the final four weeks and a price
#: above zero (GPT-5.2 has none in the last week, but some in the three before).
DRAWN = {
    "Claude Sonnet 4.6",
    "Gemini 3 Flash Preview",
    "DeepSeek V3.2",
    "Grok 4.1 Fast",
    "MiniMax M2.5",
    "Kimi K2.5",
    "GPT-5.2",
    "Gemma 3 27B",
    "GLM 5",
    "Mistral Small 3.2",
}
NO_PRICE = "2 models without a price are not shown: Mercury Coder, LongCat Flash Chat."
AT_ZERO = "7 models priced at zero (free) have no place on the log axis and are not shown: "
FREE = {
    "Hy3 Preview",
    "Sonoma Sky Alpha (stealth)",
    "Llama 3.3 70B Instruct",
    "Polaris Alpha (stealth)",
    "GLM 4.5 Air",
    "Nemotron Nano 9B V2",
    "Devstral 2",
}
GROUP_LEFT_OUT = (
    "1 origin group without paid tokens at a recorded price is not shown: Unattributed."
)
COUNTRY_LEFT_OUT = "1 country without paid tokens at a recorded price is not shown: unattributed."


def test_the_fixture_is_what_it_says(cli) -> None:
    done = cli("validate", str(FIXTURE), env={"PYTHONWARNINGS": "error::FutureWarning"})
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    snap = load_snapshot(FIXTURE)
    assert len(snap.weeks) == 8
    table = prices.model_prices(snap).drop(index="other")
    weekly = snap.weekly.set_index(["week", "model"])
    last = weekly.xs(snap.weeks[-1], level="week")
    sums = snap.weekly.groupby("model")[["tokens", "free_tokens"]].sum()
    free_only = (sums["tokens"] > 0) & (sums["free_tokens"] == sums["tokens"])
    assert table["blended_usd_per_mtok"].isna().sum() == 2
    assert (table["blended_usd_per_mtok"] == 0).sum() == 8
    assert free_only.sum() >= 4
    assert (last.drop(index="other")["tokens"] == 0).any()
    assert (snap.models["author"] == "openrouter").sum() == 2
    assert snap.authors.set_index("author").at["openrouter", "country"] == ""


def _figures(monkeypatch, *functions: str) -> dict[str, str]:
    """The MyST figure each named chart function publishes on the fixture, by figure name."""
    import IPython.display

    from tokenrace import figures

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_kw: shown.extend(objs))
    monkeypatch.setattr(charts, "in_book_build", lambda: True)
    snap = load_snapshot(FIXTURE)
    for function in functions:
        getattr(figures, function)(snap)
    found = [o.data for o in shown if str(getattr(o, "data", "")).startswith(":::{figure}")]
    return {f.split("\n:name: ", 1)[1].split("\n", 1)[0]: f for f in found}


def _titles(figure: str) -> list[str]:
    """The hover titles of a published figure's SVG."""
    svg = base64.b64decode(figure.split("base64,", 1)[1].split("\n", 1)[0]).decode()
    return re.findall(r'role="img"><title>([^<]*)</title>', svg)


def test_charts_name_what_they_cannot_draw_and_mark_what_they_draw(monkeypatch) -> None:
    shown = _figures(monkeypatch, "cost_vs_usage", "price_by_origin", "spend_vs_tokens")
    cost = shown["fig-humanist-cost-usage"].split("\n\n", 1)[1]  # the caption
    assert NO_PRICE in cost
    assert AT_ZERO in cost
    named = cost.split(AT_ZERO, 1)[1].split(". Source:", 1)[0]
    assert set(named.split(", ")) == FREE
    titles = _titles(shown["fig-humanist-cost-usage"])
    assert {t.split(" · ", 1)[0] for t in titles} == DRAWN and len(titles) == len(DRAWN)
    assert "Qwen3 Coder" not in cost  # no tokens in the final four weeks: not of that month
    assert GROUP_LEFT_OUT in shown["fig-humanist-price-origin"]
    assert "Unattributed" not in " ".join(_titles(shown["fig-humanist-price-origin"]))
    assert COUNTRY_LEFT_OUT in shown["fig-humanist-spend"]


def test_a_free_price_reads_as_free_not_as_a_price(monkeypatch) -> None:
    figure = _figures(monkeypatch, "price_and_usage")["fig-open-price-usage"]
    titles = _titles(figure)
    assert "Hy3 Preview · 7.60 T tokens in the final four weeks · $0 per million tokens (free)" in (
        titles
    )
    assert any(t.endswith("· price not recorded") for t in titles) is False  # none in the top 12


@pytest.mark.book
def test_the_whole_book_builds_strictly_on_the_ranking_files(tmp_path: Path) -> None:
    built: Build = build_book(copy_tree(tmp_path / "src", remote=None), data=FIXTURE)
    assert built.returncode == 0, built.log[-6000:]
    assert re.search(r"build succeeded\.", built.log), built.log[-6000:]
    assert not [x for x in built.log.splitlines() if re.search(r"(: |^)WARNING: ", x)]
    assert "Address already in use" not in built.log
    assert "after a kernel failure" not in built.log, "a kernel failed and was run again"
    assert "notebook(s) ahead" in built.log and "failed ahead" not in built.log
    page = BeautifulSoup(built.page("chapters/humanist"), "html.parser")

    def caption(name: str) -> str:
        return " ".join(page.find(id=name).find("figcaption").get_text(" ").split())

    assert NO_PRICE in caption("fig-humanist-cost-usage")
    assert AT_ZERO in caption("fig-humanist-cost-usage")
    assert GROUP_LEFT_OUT in caption("fig-humanist-price-origin")
    assert COUNTRY_LEFT_OUT in caption("fig-humanist-spend")
    svg = page.find(id="fig-humanist-cost-usage").find("svg")
    titles = [t.get_text() for t in svg.select('[role="img"] > title')]
    assert {t.split(" · ", 1)[0] for t in titles} == DRAWN and len(titles) == len(DRAWN)
    # Every chart of every chapter: each hover group's marks all carry a title.
    for chapter in ("race", "open-secret", "fork", "humanist", "data", "claims"):
        soup = BeautifulSoup(built.page(f"chapters/{chapter}"), "html.parser")
        for group in soup.select('svg.chart g[id*="-hover-"]'):
            marks = group.select("use, path")
            marks = [m for m in marks if m.find_parent("defs") is None]
            assert marks and all(m.get("role") == "img" and m.title for m in marks), group["id"]


def test_the_top_models_table_says_no_price_instead_of_nan(tmp_path: Path) -> None:
    """A model without a recorded price among the most used reads "no price", never NaN."""
    import shutil

    import pandas as pd

    from tokenrace.figures import open_secret

    folder = shutil.copytree(FIXTURE, tmp_path / "snap")
    table = open_secret.top_models_table(load_snapshot(folder), weeks=1)
    top = load_snapshot(folder).models.set_index("name").loc[table.iloc[0]["Model"], "model"]
    models = pd.read_csv(folder / "models.csv", dtype=str, keep_default_na=False)
    unpriced = models["model"] == top
    models.loc[unpriced, ["input_usd_per_mtok", "output_usd_per_mtok"]] = ""
    models.loc[unpriced, "price_source"] = "No price recorded (test)"
    models.to_csv(folder / "models.csv", index=False, lineterminator="\n")
    shown = open_secret.top_models_table(load_snapshot(folder), weeks=1)
    assert shown.iloc[0]["USD / Mtok"] == "no price"
    assert "nan" not in shown.to_string().lower()
