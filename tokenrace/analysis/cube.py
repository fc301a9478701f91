"""Weekly tokens of one snapshot, or of many draws of it, as arrays the claims are computed on.

A :class:`Cube` holds ``tokens[d, m, k]``: tokens of model ``m`` (the long tail ``other`` last)
in week ``k`` of draw ``d`` (a cube of the ensemble splits the long tail into drawn parts, rows
named ``other:<group>`` before ``other``, each with its group's country and weights), and
``free[d, m, k]``, the free-variant part of them (NaN where unknown). The committed snapshot is
a cube of one draw; the evidence ensemble is a cube of hundreds. Every claim is written once,
on cubes, so the book's verdict and the ensemble's use the same code.

Units: tokens per Monday-start UTC week; prices in USD per million tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from tokenrace.analysis import recut
from tokenrace.snapshot import layout as c
from tokenrace.snapshot.load import Snapshot

#: The name of a drawn part of the long tail starts with this (``other:cn_open``).
TAIL_PART = c.OTHER + ":"


class NotTestable(Exception):
    """A claim cannot be measured on these data (too few weeks, or an unknown free share)."""


@dataclass(frozen=True)
class Cube:
    """Tokens ``(D, M, K)`` and free tokens ``(D, M, K)`` of ``models`` over ``weeks``.

    ``attrs`` is :func:`tokenrace.analysis.recut.model_attributes` of the snapshot, one row per
    model in ``models`` order (``other`` last). ``paid_only`` marks a cube whose tokens are paid
    tokens.
    """

    weeks: pd.DatetimeIndex
    models: pd.Index
    tokens: np.ndarray
    free: np.ndarray
    attrs: pd.DataFrame = field(repr=False)
    paid_only: bool = False

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> Cube:
        """The snapshot as a cube of one draw."""
        attrs = recut.model_attributes(snap)
        listed = sorted(set(snap.weekly["model"]) - {c.OTHER})
        models = pd.Index([*listed, c.OTHER])
        weeks = snap.weeks
        by_cell = snap.weekly.set_index(["model", "week"])
        tokens = by_cell["tokens"].unstack("week").reindex(index=models, columns=weeks)
        free = by_cell["free_tokens"].unstack("week").reindex(index=models, columns=weeks)
        # A model without a row in a week has no tokens there, so none of them were free.
        free = free.where(tokens.notna(), 0.0)
        return cls(
            weeks=weeks,
            models=models,
            tokens=tokens.fillna(0).to_numpy(dtype=float)[None],
            free=free.to_numpy(dtype=float)[None],
            attrs=attrs.loc[models],
        )

    @property
    def draws(self) -> int:
        """Number of draws ``D``."""
        return self.tokens.shape[0]

    @cached_property
    def listed(self) -> np.ndarray:
        """``(M,)`` True for listed models, False for the long tail (and its drawn parts)."""
        tail = (self.models == c.OTHER) | self.models.str.startswith(TAIL_PART)
        return ~np.asarray(tail, dtype=bool)

    def column(self, name: str) -> np.ndarray:
        """A model attribute as an array in model order (``country`` "" when unattributed)."""
        return self.attrs[name].to_numpy()

    def upto(self, vantage: int) -> Cube:
        """The cube as if the data ended ``vantage`` weeks before its last week."""
        if vantage == 0:
            return self
        end = len(self.weeks) - vantage
        if end < 1:
            raise NotTestable(f"not enough weeks (needs {vantage + 1}, has {len(self.weeks)})")
        return replace(
            self,
            weeks=self.weeks[:end],
            tokens=self.tokens[:, :, :end],
            free=self.free[:, :, :end],
        )

    def paid(self) -> Cube:
        """The paid tokens only: tokens minus free tokens (NaN where the free count is unknown),
        and none of a model listed at $0 (:func:`tokenrace.analysis.recut.listed_free`)."""
        free_model = recut.listed_free(self.attrs).to_numpy(dtype=bool)[None, :, None]
        paid = np.where(free_model, 0.0, self.tokens - self.free)
        return replace(self, tokens=paid, free=np.zeros_like(paid), paid_only=True)

    def window(self, weeks: int, *, first: bool = False) -> np.ndarray:
        """Tokens ``(D, M)`` summed over the last (or ``first``) ``weeks`` weeks.

        Raises :class:`NotTestable` when the cube has fewer weeks, or when it holds paid tokens
        and a listed model's free count in those weeks is unknown.
        """
        have = len(self.weeks)
        if have < weeks:
            raise NotTestable(f"not enough weeks (needs {weeks}, has {have})")
        part = self.tokens[:, :, :weeks] if first else self.tokens[:, :, have - weeks :]
        return self.known(part).sum(axis=2)

    def week(self, index: int) -> np.ndarray:
        """Tokens ``(D, M)`` of one week (``-1`` is the last)."""
        return self.known(self.tokens[:, :, index])

    def known(self, part: np.ndarray) -> np.ndarray:
        if not self.paid_only:
            return part
        listed = part[:, self.listed]
        unknown = np.isnan(listed).any(axis=tuple(i for i in range(listed.ndim) if i != 1))
        if unknown.any():
            names = self.models[self.listed][unknown]
            raise NotTestable(
                f"free share unknown for {len(names)} listed model(s) in the weeks used "
                f"({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
            )
        out = part.copy()
        out[:, ~self.listed] = 0.0  # the long tail's free share is unknown: left out of paid
        return out

    def by(self, values: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum ``tokens`` (``(D, M)``) by the model attribute ``values`` (``(M,)``).

        Returns ``(keys, sums)`` with ``sums`` of shape ``(D, len(keys))``.
        """
        keys, index = np.unique(values.astype(str), return_inverse=True)
        onehot = np.zeros((len(values), len(keys)))
        onehot[np.arange(len(values)), index] = 1.0
        return keys, tokens @ onehot
