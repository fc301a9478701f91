"""Every permaslug of the public raw files is a model of ``data/models.csv`` (directly or through
``data/sources/aliases.csv``), and every price cited to a ranking-file row is that row's price.

The raw files sit beside the checkout, at ``../shared/sources/raw`` (see
``data/README.md``, "Measured sources and the importer"); where they are absent, as in a reader's
fresh clone, both tests are skipped and say why."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal

import pytest

from tokenrace.snapshot.paths import REPO_ROOT
from tokenrace.sources.measured.aliases import read_aliases, read_models

DATA = REPO_ROOT / "data"
RAW = REPO_ROOT.parent / "shared" / "sources" / "raw"
#: The citation of a ranking-file price in ``price_source``.
RANKING_CITE = re.compile(
    r"weekly ranking files \(johnbean393/openrouter-inference-stats, "
    r"data/(?P<day>\d{4}-\d{2}-\d{2})\.json, row (?P<row>[^)\s]+)\)"
)

pytestmark = pytest.mark.skipif(
    not RAW.is_dir(), reason=f"the raw source files are absent (looked for {RAW})"
)


def _ranking_rows(day: str) -> list[dict]:
    return json.loads((RAW / "ranking-files" / f"{day}.json").read_text())["models"]


def _permaslugs() -> dict[str, str]:
    """Each permaslug of the raw files, with the first file naming it."""
    found: dict[str, str] = {}
    for path in sorted((RAW / "ranking-files").glob("*.json")):
        for row in json.loads(path.read_text())["models"]:
            found.setdefault(row["slug"], str(path.relative_to(RAW)))
    for path in sorted((RAW / "data-api" / "llm-carbon-index").glob("*.json")):
        for row in json.loads(path.read_text())["data"]:
            found.setdefault(row["model_permaslug"], str(path.relative_to(RAW)))
    usage = RAW / "data-api" / "casualstudy" / "openrouter-usage.json"
    for rows in json.loads(usage.read_text()).values():
        for row in rows.values():
            found.setdefault(row["model_permaslug"], str(usage.relative_to(RAW)))
    found.pop("other", None)  # the Data API's long tail, no model
    return found


def _models() -> list[dict[str, str]]:
    with (DATA / "models.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_every_permaslug_of_the_raw_files_is_a_model():
    aliases = read_aliases(DATA / "sources" / "aliases.csv", read_models(DATA / "models.csv"))
    permaslugs = _permaslugs()
    assert len(permaslugs) > 100  # the files were read
    unmatched = {
        p: source for p, source in sorted(permaslugs.items()) if not aliases.resolve(p).matched
    }
    assert unmatched == {}, "permaslugs matching no model of models.csv (first file naming each)"


def test_a_price_cited_to_a_ranking_file_row_is_that_rows_price():
    aliases = read_aliases(DATA / "sources" / "aliases.csv", read_models(DATA / "models.csv"))
    cited = 0
    for model in _models():
        match = RANKING_CITE.search(model["price_source"])
        if match is None:
            continue
        cited += 1
        rows = [r for r in _ranking_rows(match["day"]) if r["slug"] == match["row"]]
        assert len(rows) == 1, f"{model['model']}: no single row {match['row']} in {match['day']}"
        (row,) = rows
        assert aliases.resolve(row["slug"]).slug == model["model"], model["model"]
        per_million = {
            "input_usd_per_mtok": Decimal(str(row["prompt_price"])).scaleb(6),
            "output_usd_per_mtok": Decimal(str(row["completion_price"])).scaleb(6),
        }
        for column, price in per_million.items():
            assert Decimal(model[column]) == price, (model["model"], column, price)
    assert cited > 0  # the citation pattern still matches the file's wording
