"""Writing values that came from outside (returned files, file names, sheet names) as data, never as formulas.

openpyxl turns any ``str`` that starts with ``=`` into a formula (``data_type == "f"``),
and a spreadsheet program then runs it: a reason typed as ``=HYPERLINK("http://…")``,
a file named ``=1+1.xlsx`` or a sheet named ``=1+1`` would become live formulas in HR's
master (formula injection). Every row kpixl writes into a master from such values goes
through :func:`append_row`, and :func:`defuse` turns whatever slipped past into text
before the master is saved (:meth:`kpixl.master.book.Master.save` calls it on every
sheet that holds no formula of kpixl's own).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

import numpy as np

from openpyxl.cell.cell import Cell

from .bulk import Formula
from .cells import storable

__all__ = ["append_row", "as_text", "bulk_values", "defuse", "defuse_columns"]

#: The longest text a cell holds (openpyxl cuts a longer one).
MAX_TEXT = 32767


def as_text(cell) -> None:
    """Make a cell that openpyxl took for a formula plain text again (the text is kept as it is)."""
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"


def _cell_text(v: Any) -> Any:
    """Text a cell can hold (:func:`storable`)."""
    return storable(v) if isinstance(v, str) else v


def _text_cell(ws, v: Any) -> Any:
    """A value for ``ws.append``: a text that openpyxl would take for a formula as a text cell."""
    v = _cell_text(v)
    if isinstance(v, str) and v.startswith("="):
        cell = Cell(ws, value=v)
        cell.data_type = "s"
        return cell
    return v


def append_row(ws, values: Iterable[Any]) -> None:
    """``ws.append(values)`` with every text kept as text, even one starting with ``=``."""
    ws.append([_text_cell(ws, v) for v in values])


def defuse(ws) -> int:
    """Turn every formula cell of a data-only sheet into text; returns how many were found."""
    n = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                as_text(cell)
                n += 1
    return n


def defuse_columns(ws, columns: Iterable[int], first_row: int = 1) -> None:
    """Turn formula cells into text in the given (1-based) columns: the data columns of a sheet
    whose other columns hold kpixl's own formulas (``Results``: inputs as values, scores as formulas)."""
    cols = set(columns)
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.column in cols and cell.data_type == "f":
                as_text(cell)


def bulk_values(rows: Iterable[Iterable[Any]]) -> list[list[Any]] | None:
    """Rows as :mod:`kpixl.xlsx.bulk` writes them to read back as :func:`append_row`'s cells do.

    Text keeps to what a cell holds (control characters shown, cut at :data:`MAX_TEXT`; always
    text there, even ``=1+1``); empty text and NaN are blank cells; NumPy numbers are plain
    numbers. None when a value is of a type only openpyxl writes (a date, a time): such rows
    are written with :func:`append_row`.
    """
    out = []
    for row in rows:
        got = []
        for v in row:
            kind = type(v)
            if kind is str:
                if not v:
                    v = None
                else:
                    v = _cell_text(v)
                    if len(v) > MAX_TEXT:
                        v = v[:MAX_TEXT]
            elif kind is float:
                if v != v:
                    v = None
            elif v is None or kind is int or kind is bool or kind is Formula:
                pass
            elif isinstance(v, np.bool_):
                v = bool(v)
            elif isinstance(v, (np.integer, np.floating, Decimal)):
                v = float(v) if not isinstance(v, np.integer) else int(v)
                if v != v:
                    v = None
            else:
                return None
            got.append(v)
        out.append(got)
    return out
