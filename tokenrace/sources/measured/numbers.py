"""Exact arithmetic and fixed-decimal text, so that a float never decides a byte.

Raw JSON numbers are read as :class:`decimal.Decimal` (never float) and turned into
:class:`fractions.Fraction`; every sum, ratio and bound is exact, and a value is rounded once,
when it is written, to a fixed number of decimals. The same raw files therefore give the same
bytes on any machine.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal

#: Tokens in a billion: anchors are written in billions of tokens.
BILLION = 10**9
#: Decimals of a value in billions of tokens: whole millions of tokens.
TOKEN_PLACES = 3
#: Decimals of a percent of all tokens (the page rounds shares to 0.1, bounds add 0.05s).
PERCENT_PLACES = 2

Rounding = Literal["nearest", "down", "up"]


def exact(value: int | Decimal) -> Fraction:
    """An integer or a JSON decimal as an exact fraction."""
    return Fraction(value)


def fixed(value: Fraction, places: int, rounding: Rounding = "nearest") -> str:
    """``value`` as text with exactly ``places`` decimals.

    ``nearest`` rounds half to even; ``down`` and ``up`` round toward minus and plus infinity,
    so that a lower bound never rises and an upper bound never falls when written.
    """
    scaled = value * 10**places
    if rounding == "down":
        units = scaled.numerator // scaled.denominator
    elif rounding == "up":
        units = -((-scaled.numerator) // scaled.denominator)
    else:
        units = round(scaled)
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def billions(tokens: Fraction, rounding: Rounding = "nearest") -> str:
    """Tokens as billions of tokens, to whole millions (``2680.123``)."""
    return fixed(tokens / BILLION, TOKEN_PLACES, rounding)


def percent(share: Fraction, rounding: Rounding = "nearest") -> str:
    """A percent of all tokens to two decimals (``12.35``)."""
    return fixed(share, PERCENT_PLACES, rounding)
