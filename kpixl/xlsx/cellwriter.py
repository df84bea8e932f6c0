"""openpyxl's sheet writer, with each plain cell written as text rather than through an element tree.

Without lxml, openpyxl writes every cell by building an ``Element`` and serialising it
through et_xmlfile's pure-Python incremental serialiser — about 7 µs a cell, most of a
master's save (a 1,000-person master holds ~75,000 cells). :func:`write_cell` writes the
same bytes for the cells kpixl's sheets hold (numbers, booleans, errors, text, formulas;
styled or not) with one string each, and hands anything else (dates, rich text, array
and data-table formulas, hyperlinks) to openpyxl's own writer. tests/test_collect.py
holds the two writers to byte-identical sheet XML.

:func:`fast_cells` installs it for one save. It writes straight to the serialiser's
output (``xf._file``, et_xmlfile's write function): with another et_xmlfile (or lxml)
that has no such attribute, openpyxl's writer is used unchanged. It also keeps each sheet's
XML in memory on its way into the package, where openpyxl writes it to a temporary file,
reads it back and removes it (three system calls a sheet, a tenth of a master's save).
"""

from __future__ import annotations

import contextlib
import io
from typing import Iterator

from openpyxl.cell import _writer as cell_writer
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet import _writer as sheet_writer
from openpyxl.writer.excel import ExcelWriter

__all__ = ["fast_cells", "write_cell"]

_OPENPYXL_WRITE_CELL = cell_writer.write_cell
_OPENPYXL_WRITE_WORKSHEET = ExcelWriter.write_worksheet
_PLAIN = frozenset(("n", "b", "e", "s", "f"))


def _escape(text: str) -> str:
    # As xml.etree escapes element text (et_xmlfile uses it): &, <, >.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def write_cell(xf, worksheet, cell, styled=None) -> None:
    """Write one ``<c>`` element exactly as openpyxl's ``etree_write_cell`` would."""
    write = getattr(xf, "_file", None)
    kind = cell.data_type
    value = cell.value
    if write is None or kind not in _PLAIN or cell.hyperlink is not None or not (
            value is None or isinstance(value, (str, int, float))):
        _OPENPYXL_WRITE_CELL(xf, worksheet, cell, styled)
        return
    head = f'<c r="{cell.coordinate}"'
    if styled:
        head += f' s="{cell.style_id}"'
    if kind == "s":
        head += ' t="inlineStr"'
    elif kind != "f":
        head += f' t="{kind}"'
    if value is None or value == "":
        write(head + " />")
    elif kind == "f":
        if not isinstance(value, str):
            _OPENPYXL_WRITE_CELL(xf, worksheet, cell, styled)
            return
        formula = value[1:]
        write(f"{head}><f>{_escape(formula)}</f><v /></c>" if formula else f"{head}><f /><v /></c>")
    elif kind == "s":
        text = str(value)
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and text != stripped else ""
        write(f"{head}><is><t{space}>{_escape(text)}</t></is></c>")
    else:
        text = safe_string(value)
        write(f"{head}><v>{_escape(text)}</v></c>" if text else f"{head}><v /></c>")


def _write_worksheet(self, ws) -> None:
    """openpyxl's ``ExcelWriter.write_worksheet`` (3.1), the sheet's XML written to memory rather than
    to a temporary file (the same bytes; a write-only workbook's sheets are openpyxl's own)."""
    if self.workbook.write_only:
        _OPENPYXL_WRITE_WORKSHEET(self, ws)
        return
    ws._drawing = SpreadsheetDrawing()
    ws._drawing.charts = ws._charts
    ws._drawing.images = ws._images
    out = io.BytesIO()
    writer = sheet_writer.WorksheetWriter(ws, out=out)
    writer.write()
    ws._rels = writer._rels
    self._archive.writestr(ws.path[1:], out.getvalue())
    self.manifest.append(ws)


@contextlib.contextmanager
def fast_cells() -> Iterator[None]:
    """Write cells with :func:`write_cell` for the duration (one save; kpixl saves one workbook at a time),
    each sheet's XML kept in memory."""
    before, sheets = sheet_writer.write_cell, ExcelWriter.write_worksheet
    sheet_writer.write_cell = write_cell
    ExcelWriter.write_worksheet = _write_worksheet
    try:
        yield
    finally:
        sheet_writer.write_cell = before
        ExcelWriter.write_worksheet = sheets
