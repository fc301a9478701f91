"""``python -m tokenrace sources compare`` end to end: the invented raw files
(``rawsources.RAW``, written by ``tests/fixtures/raw-sources/make_fixture.py``) imported into a
temporary folder, then compared with a seven-week slice of the committed snapshot (and with a
copy one country overflows)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rawsources import RAW
from tokenrace.cli import main
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

FIRST, LAST = "2026-04-06", "2026-05-18"
CN_WEEK = "2026-05-18"


def _snapshot(folder: Path, weekly: pd.DataFrame) -> Path:
    folder.mkdir()
    for name in ("models.csv", "authors.csv", "datapackage.json"):
        shutil.copyfile(DEFAULT_DATA_DIR / name, folder / name)
    weekly.to_csv(folder / "weekly_tokens.csv", index=False, lineterminator="\n")
    return folder


def _weekly() -> pd.DataFrame:
    weekly = pd.read_csv(DEFAULT_DATA_DIR / "weekly_tokens.csv", dtype={"free_tokens": "Int64"})
    return weekly[weekly["week"].between(FIRST, LAST)].reset_index(drop=True)


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("measured") / "anchors.csv"
    assert main(["sources", "import", "--raw", str(RAW), "--out", str(out)]) == 0
    return out


def _compare(capsys, measured: Path, data: Path) -> tuple[int, str, str]:
    code = main(["sources", "compare", "--measured", str(measured), "--data", str(data)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _row(report: str, start: str) -> list[str]:
    (line,) = [x for x in report.splitlines() if x.startswith(start)]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_report_counts_and_scores_the_model_weeks(tmp_path, capsys, measured):
    weekly = _weekly()
    code, report, err = _compare(capsys, measured, _snapshot(tmp_path / "snap", weekly))
    assert code == 0
    assert "reading measured anchors from" in err and "compared 20 model-week(s)" in err
    assert f"weeks {FIRST} to {LAST}" in report
    assert "outside these weeks, not compared: 4." in report  # the file of 2 June 2025
    with measured.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "model"]
    inside = [r for r in rows if FIRST <= r["week"] <= LAST]
    tokens = weekly.set_index(["week", "model"])["tokens"]
    ratios = [
        tokens[(r["week"], r["subject"])] / 1e9 / float(r["value"])
        for r in inside
        if tokens.get((r["week"], r["subject"]), 0) > 0
    ]
    assert _row(report, "| in the snapshot's weeks")[1] == str(len(inside)) == "20"
    assert _row(report, "| matched")[1] == str(len(ratios))
    assert _row(report, "| … of which unmatched permaslugs")[1] == "2"  # newlab/mystery-model
    assert int(_row(report, "| missing")[1]) == len(inside) - len(ratios)
    assert _row(report, "| median")[1] == f"{np.median(ratios):.3f}"
    q25, q75 = np.percentile(ratios, [25, 75])
    assert _row(report, "| interquartile range")[1] == f"{q25:.3f} to {q75:.3f}"
    close = sum(abs(r - 1) <= 0.25 for r in ratios)
    assert _row(report, "| within ±25 %")[1].endswith(f"({close} of {len(ratios)})")


def test_the_report_shows_each_readings_country_bounds_and_coverage(tmp_path, capsys, measured):
    weekly = _weekly()
    code, report, _err = _compare(capsys, measured, _snapshot(tmp_path / "snap", weekly))
    assert code == 0
    week = weekly[weekly["week"] == FIRST]
    countries = pd.read_csv(DEFAULT_DATA_DIR / "authors.csv", keep_default_na=False)
    country = dict(zip(countries["author"], countries["country"], strict=True))
    listed = week[week["model"] != "other"]
    cn = listed[[country[m.split("/")[0]] == "CN" for m in listed["model"]]]["tokens"].sum()
    share = 100 * cn / week["tokens"].sum()
    spare = 100 * week.loc[week["model"] == "other", "tokens"].sum() / week["tokens"].sum()
    stealth = [country.get(m.split("/")[0], "") == "" for m in listed["model"]]
    spare += 100 * listed[stealth]["tokens"].sum() / week["tokens"].sum()
    assert _row(report, f"| {FIRST} | CN |") == [
        FIRST,
        "CN",
        "41.35",
        "59.75",
        f"{share:.2f}",
        f"{spare:.2f}",
        "pass" if share <= 59.75 and share + spare >= 41.35 else "**fail**",
    ]
    coverage = _row(report, f"| {FIRST} | 6 |")
    top6 = 100 * listed["tokens"].nlargest(6).sum() / week["tokens"].sum()
    assert coverage[2:5] == ["53.40", "54.00", f"{top6:.2f}"]


def test_a_country_share_above_its_bounds_fails(tmp_path, capsys, measured):
    weekly = _weekly()
    # a Chinese model carries ten times the week: China's listed share is far above 63.15 %
    rows = weekly.index[(weekly["week"] == CN_WEEK) & weekly["model"].str.startswith("deepseek/")]
    weekly.loc[rows[0], "tokens"] = 10 * weekly.loc[weekly["week"] == CN_WEEK, "tokens"].sum()
    code, report, _err = _compare(capsys, measured, _snapshot(tmp_path / "snap", weekly))
    assert code == 0
    cn = _row(report, f"| {CN_WEEK} | CN |")
    assert float(cn[4]) > float(cn[3]) == 63.15
    assert cn[6] == "**fail**"
    us = _row(report, f"| {CN_WEEK} | US |")
    assert float(us[4]) + float(us[5]) < float(us[2])  # the US now falls below its low end
    assert us[6] == "**fail**"
    rows = [
        line for line in report.splitlines() if re.match(r"\| \d{4}-\d\d-\d\d \| [A-Z]{2} \|", line)
    ]
    passed = sum(line.endswith("| pass |") for line in rows)
    assert f"{passed} pass, {len(rows) - passed} fail." in report and len(rows) - passed == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("id,kind,subject,role\nX,model,a/b,knot\n", "column 'week' is missing from the header"),
        (
            "id,kind,subject,week,weeks,value,low,high,role\nX,model,a/b,2026-04-06,1,lots,,,knot\n",
            "row 2, column 'value': 'lots' is not a number",
        ),
    ],
)
def test_a_bad_measured_file_stops_with_one_message(tmp_path, capsys, content, message):
    path = tmp_path / "anchors.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = _compare(capsys, path, DEFAULT_DATA_DIR)
    assert code == 1 and out == ""
    (last,) = [line for line in err.splitlines() if line.startswith("sources compare:")]
    assert message in last
