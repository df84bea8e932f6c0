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

from typing import Any, Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

__all__ = ["append_row", "as_text", "defuse", "defuse_columns"]


def as_text(cell) -> None:
    """Make a cell that openpyxl took for a formula plain text again (the text is kept as it is)."""
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"


def _cell_text(v: Any) -> Any:
    """Text a cell can hold: control characters (a file name may have them) shown as ``\\x07``."""
    if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", v)
    return v


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
