"""The same bytes on any CPU: a float's last bits never decide the snapshot or a verdict.

The interpolation runs through BLAS matrix products and NumPy's SIMD ``exp`` and ``log``, whose
last bits differ between CPUs and BLAS kernels. These tests move every interpolated value by a
few ulps (``np.nextafter``), as another machine might, and check that the written snapshot and
the whole evidence of every claim stay byte for byte the same. They leave the BLAS settings of
the machine alone: they prove the output does not depend on the kernel, whichever one runs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tokenrace import load_snapshot
from tokenrace.claims import evidence
from tokenrace.reconstruct.representative import reconstruct, to_csv_text
from tokenrace.reconstruct.series import TOKEN_QUANTUM, Design, Series, quantize
from tokenrace.snapshot import contract as c
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR

#: (ulps, pattern): every value up, every value down, or each value up or down at random.
NUDGES = [
    (1, "up"),
    (1, "down"),
    (4, "mixed"),
    (16, "mixed"),
    (64, "up"),
    (64, "down"),
    (64, "mixed"),
]
#: The evidence draws 400 reconstructions each time: two nudges are enough there.
EVIDENCE_NUDGES = [(8, "mixed"), (64, "mixed")]


def nudge(values: np.ndarray, ulps: int, pattern: str, rng: np.random.Generator) -> np.ndarray:
    """``values`` moved by ``ulps`` units in the last place each (NaN stays NaN)."""
    up = {
        "up": np.ones(values.shape, dtype=bool),
        "down": np.zeros(values.shape, dtype=bool),
        "mixed": rng.random(values.shape) < 0.5,
    }[pattern]
    target = np.where(up, np.inf, -np.inf)
    out = values.copy()
    for _ in range(ulps):
        out = np.nextafter(out, target)
    return out


@pytest.fixture
def nudged(monkeypatch):
    """Make every interpolated series land a few ulps away from where this CPU puts it."""

    def apply(ulps: int, pattern: str) -> None:
        interpolate = Design.interpolate
        rng = np.random.default_rng(ulps)

        def moved(self, values) -> Series:
            s = interpolate(self, values)
            return Series(
                s.weeks,
                s.models,
                nudge(s.listed, ulps, pattern, rng),
                nudge(s.total, ulps, pattern, rng),
                nudge(s.free, ulps, pattern, rng),
            )

        monkeypatch.setattr(Design, "interpolate", moved)

    return apply


def _weekly_text() -> str:
    models = pd.read_csv(DEFAULT_DATA_DIR / c.MODELS_FILE, dtype=str, keep_default_na=False)
    weekly, _ = reconstruct(DEFAULT_DATA_DIR / "sources", models)
    return to_csv_text(weekly)


def _evidence_text() -> str:
    found = evidence.compute(load_snapshot(DEFAULT_DATA_DIR))
    return json.dumps(found, sort_keys=True, ensure_ascii=False)


def test_the_committed_snapshot_is_what_reconstruct_writes_here() -> None:
    committed = (DEFAULT_DATA_DIR / c.WEEKLY_FILE).read_text(encoding="utf-8")
    assert _weekly_text() == committed


@pytest.mark.parametrize(("ulps", "pattern"), NUDGES)
def test_a_few_ulps_never_change_the_snapshot(nudged, ulps: int, pattern: str) -> None:
    committed = (DEFAULT_DATA_DIR / c.WEEKLY_FILE).read_text(encoding="utf-8")
    nudged(ulps, pattern)
    assert _weekly_text() == committed, (
        f"moving every interpolated value {ulps} ulp(s) {pattern} changed weekly_tokens.csv: "
        "a float decides a byte (is every series quantized before it is written?)"
    )


@pytest.mark.parametrize(("ulps", "pattern"), EVIDENCE_NUDGES)
def test_a_few_ulps_never_change_the_evidence_or_a_verdict(nudged, ulps: int, pattern: str) -> None:
    before = _evidence_text()
    levels = {k: v["level"] for k, v in json.loads(before)["claims"].items()}
    nudged(ulps, pattern)
    after = _evidence_text()
    moved = {k: v["level"] for k, v in json.loads(after)["claims"].items()}
    assert moved == levels, f"a verdict moved with {ulps} ulp(s): {levels} -> {moved}"
    assert after == before, f"the evidence changed with {ulps} ulp(s) {pattern}"


def test_rebuilt_counts_are_whole_millions_and_their_sums_exact() -> None:
    snap = load_snapshot(DEFAULT_DATA_DIR)
    tokens = snap.weekly["tokens"].to_numpy()
    listed = snap.weekly["model"] != c.OTHER
    assert (tokens[listed.to_numpy()] % TOKEN_QUANTUM == 0).all()
    free = snap.weekly["free_tokens"].dropna().to_numpy()
    assert (free % TOKEN_QUANTUM == 0).all()
    assert list(quantize(np.array([1_499_999.0, 1_500_001.0, np.nan]))[:2]) == [1e6, 2e6]
