"""Raw JSON files read field by field, each bad field reported with its file and JSON path.

A malformed file stops the import with a :class:`RawSourceError` such as
``ranking-files/2026-05-11.json: $.models[3].total_tokens: expected a whole number of tokens,
got "12x"``. Numbers are read as :class:`decimal.Decimal` (never float); ``NaN`` and
``Infinity`` are refused.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokenrace.sources.inputs import SourcesError


class RawSourceError(SourcesError):
    """A raw measurement file is not valid JSON or a field has the wrong shape."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_json(path: Path, shown: str) -> Any:
    """The parsed JSON of ``path``; ``shown`` names the file in messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RawSourceError(f"{shown}: cannot be read ({err})") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise RawSourceError(
            f"{shown}: not valid JSON: line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    except ValueError as err:
        raise RawSourceError(f"{shown}: not valid JSON: {err}") from None


class Node:
    """One JSON value with its file and path (``$.models[3].slug``), for readable errors."""

    def __init__(self, value: Any, shown: str, path: str = "$") -> None:
        self.value = value
        self.shown = shown
        self.path = path

    def fail(self, expected: str) -> RawSourceError:
        """The error for this value: it is not what was ``expected``."""
        got = "nothing (the field is missing)" if self.value is _MISSING else _show(self.value)
        return RawSourceError(f"{self.shown}: {self.path}: expected {expected}, got {got}")

    def get(self, key: str) -> Node:
        """The field ``key`` of this object (missing fields report themselves when read)."""
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        return Node(self.value.get(key, _MISSING), self.shown, f"{self.path}.{key}")

    def has(self, key: str) -> bool:
        """True when this object has the field ``key`` (even if null)."""
        return isinstance(self.value, dict) and key in self.value

    def items(self) -> list[Node]:
        """The elements of this array."""
        if not isinstance(self.value, list):
            raise self.fail("an array")
        return [Node(v, self.shown, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def text(self) -> str:
        """A non-empty string."""
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("a non-empty string")
        return self.value

    def count(self) -> int:
        """A whole number of tokens, not negative (``12`` or ``12.0``)."""
        number = self._number("a whole number of tokens")
        if number < 0 or number != int(number):
            raise self.fail("a whole number of tokens")
        return int(number)

    def number(self) -> Decimal:
        """A number, not negative (tokens or a percent)."""
        number = self._number("a non-negative number")
        if number < 0:
            raise self.fail("a non-negative number")
        return number

    def _number(self, expected: str) -> Decimal:
        if isinstance(self.value, bool) or not isinstance(self.value, int | Decimal):
            raise self.fail(expected)
        return Decimal(self.value)


class _Missing:
    def __repr__(self) -> str:
        return "missing"


_MISSING: Any = _Missing()


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
