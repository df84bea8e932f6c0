"""A period master's cell values, read by kpixl's streaming reader and shaped like openpyxl's.

The year reads twelve masters of thousands of rows; openpyxl's read-only mode parses a
cell in ~50 µs, :func:`kpixl.xlsx.reader.read_book` (expat) in a few. The readers that
take an openpyxl workbook — :meth:`kpixl.master.store.Store.read`,
:func:`kpixl.master.params.read_params`, :func:`kpixl.master.params.kept_bases` — ask
only for ``sheetnames``, ``wb[title]``, ``iter_rows(values_only=True)``, ``ws["B3"]``
and ``ws.cell(r, c)``: :class:`Values` answers those from what the reader found
(cached values; a date cell as a ``datetime``, as openpyxl gives it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from openpyxl.utils.datetime import from_excel

from ..xlsx.reader import read_book, split_ref

__all__ = ["Values", "read_values"]

#: A master of 5,000 people holds ~100,000 cells on its record store; a year's masters may be larger.
MAX_CELLS = 5_000_000


@dataclass(frozen=True)
class _Cell:
    value: Any = None


class _Sheet:
    def __init__(self, title: str, rows: dict[int, dict[int, Any]]):
        self.title = title
        self._rows = rows
        self.max_row = max(rows, default=0)
        self.max_column = max((max(r) for r in rows.values() if r), default=0)

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple]:
        width, empty = self.max_column, {}
        for r in range(1, self.max_row + 1):
            got = self._rows.get(r, empty)
            yield tuple(got.get(c) for c in range(1, width + 1))

    def cell(self, row: int, column: int) -> _Cell:
        return _Cell(self._rows.get(row, {}).get(column))

    def __getitem__(self, ref: str) -> _Cell:
        r, c = split_ref(ref)
        return self.cell(r, c)


class Values:
    """The sheets and defined names of one workbook, as values (see the module docstring)."""

    def __init__(self, sheets: dict[str, _Sheet], names: dict[str, str]):
        self._sheets = sheets
        self.sheetnames = list(sheets)
        self.names = names

    def __getitem__(self, title: str) -> _Sheet:
        return self._sheets[title]

    def __contains__(self, title: str) -> bool:
        return title in self._sheets

    def name(self, name: str) -> str | None:
        """A workbook-scoped defined name's text, unquoted (``kpixl.period`` → ``2026-03``)."""
        text = self.names.get(name)
        return text.strip().strip('"') or None if text else None

    def close(self) -> None:
        """Nothing to close (the file was read at once); here for the openpyxl shape."""


def read_values(path: str | Path, titles: set[str] | None = None) -> Values:
    """Read the cell values of a workbook's sheets (all, or those named in ``titles``).

    Raises:
        FileProblem: The file is not a readable .xlsx (:func:`kpixl.xlsx.reader.read_book`).
    """
    book = read_book(path, sheets=titles, max_cells=MAX_CELLS)
    sheets: dict[str, _Sheet] = {}
    for s in book.sheets:
        rows: dict[int, dict[int, Any]] = {}
        for ref, cell in s.cells.items():
            v = cell.value
            if v is None:
                continue
            row, col = split_ref(ref)
            if cell.date and isinstance(v, (int, float)) and not isinstance(v, bool):
                v = from_excel(v)
            got = rows.get(row)
            if got is None:
                rows[row] = got = {}
            got[col] = v
        sheets[s.name] = _Sheet(s.name, rows)
    names = {n: text for n, local, text in book.names if local is None}
    return Values(sheets, names)
