"""A snapshot's files read as the contract's text, every problem located by file, line and column.

Nothing is repaired on the way: a byte-order mark is not stripped, a byte that is not UTF-8 is
not guessed in another encoding, a file saved with semicolons is not re-split. Each is a
:class:`Problem` at the line where it shows (the header being line 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True, order=True)
class Problem:
    """One way a snapshot breaks the contract, located by file, CSV line and column."""

    file: str
    row: int | None  # line number in the file (the header is line 1); None for whole-file problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class _UnreadableCsv(ValueError):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def _read_records(handle) -> list[tuple[int, list[str]]]:
    """CSV records with the line number each starts on (a quoted field may span lines)."""
    reader = csv.reader(handle)
    records = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return records
        except csv.Error as err:
            raise _UnreadableCsv(start, str(err)) from None
        records.append((start, row))


#: Separators a CSV file is sometimes saved with instead of the contract's comma.
_OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def read_text(root: Path, name: str) -> tuple[str | None, list[Problem]]:
    """The text of the file ``name`` of the folder: UTF-8 without a byte-order mark, no NUL.

    Anything else is a problem at the line where it shows (the header being line 1), never
    repaired: a BOM is not stripped, a byte is not guessed in another encoding.
    """
    path = root / name
    if path.is_dir():
        return None, [Problem(name, None, None, "is a folder, not a file")]
    if not path.is_file():
        return None, [Problem(name, None, None, f"file not found in {root}")]
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, [Problem(name, None, None, f"cannot be read ({err.strerror})")]
    if data.startswith(codecs.BOM_UTF8):
        return None, [
            Problem(
                name, 1, None, "starts with a byte-order mark (BOM): save it as UTF-8 without one"
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        byte = data[err.start : err.start + 1].hex()
        return None, [Problem(name, line, None, f"is not UTF-8 text (byte 0x{byte}: {err.reason})")]
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return None, [Problem(name, line, None, "holds a NUL character: it is not a text file")]
    return text, []


def read_csv(root: Path, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The CSV file ``name`` of the folder as text cells, indexed by line number (header = 1).

    None, with the problems, when the file cannot be read as the contract's CSV: missing, not
    UTF-8 text, not comma-separated, a repeated column, or a row whose fields do not match the
    header.
    """
    text, problems = read_text(root, name)
    if text is None:
        return None, problems
    try:
        records = _read_records(io.StringIO(text, newline=""))
    except _UnreadableCsv as err:
        return None, [Problem(name, err.line, None, f"is not readable CSV: {err}")]
    if not records:
        return None, [Problem(name, 1, None, "is empty: expected a header row")]
    (_, header), body = records[0], records[1:]
    separator = next((s for s in _OTHER_SEPARATORS if len(header) == 1 and s in header[0]), None)
    if separator is not None:
        return None, [
            Problem(
                name,
                1,
                None,
                f"has the one column {header[0]!r}: the contract's CSV files are comma-separated, "
                f"and this header is {_OTHER_SEPARATORS[separator]}-separated",
            )
        ]
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        return None, [
            Problem(name, 1, column, "appears more than once in the header") for column in repeated
        ]
    problems = [
        Problem(name, line, None, f"has {len(row)} fields; the header has {len(header)}")
        for line, row in body
        if len(row) != len(header)
    ]
    if problems:
        return None, problems
    frame = pd.DataFrame([row for _, row in body], columns=header, dtype=str)
    frame.index = pd.Index([line for line, _ in body])  # index = line number in the file
    return frame, []


def read_json(root: Path, name: str) -> tuple[Any, list[Problem]]:
    """The JSON value the file ``name`` of the folder holds, or None with the problems: the file
    is not the contract's text (:func:`read_text`), is empty, or is not JSON Python can read."""
    text, problems = read_text(root, name)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(name, 1, None, "is empty: expected a JSON object")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as err:
        return None, [Problem(name, err.lineno, None, f"is not valid JSON: {err}")]
    except RecursionError:
        return None, [Problem(name, None, None, "is not readable JSON: it nests too deeply")]
    except ValueError as err:  # valid JSON Python will not read, such as a 5000-digit number
        reason = str(err).split(";")[0]  # not Python's advice on raising its limit
        return None, [Problem(name, None, None, f"is not readable JSON: {reason}")]
