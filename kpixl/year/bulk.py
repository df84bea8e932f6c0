"""Bulk data rows written straight into a saved package: the year's ``期间成绩`` (60,000 rows at 5,000 people).

openpyxl builds a cell object per value and serialises it through an element tree
(~15 µs a cell); a data sheet of plain values needs neither. The sheet is laid out by
openpyxl as usual (header rows, widths, frozen panes), saved, and its rows are then
appended to the saved ``<sheetData>`` as XML text. Text is written as an inline string,
so it is always text — never a formula (:mod:`kpixl.xlsx.text`): ``=1+1`` stays ``=1+1``;
characters XML cannot hold are shown as ``\\x07``, as :func:`kpixl.xlsx.text.append_row` does.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from ..xlsx.cached import sheet_parts

__all__ = ["append_rows", "row_xml"]

_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


def _text(v: str) -> str:
    v = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", v)
    space = ' xml:space="preserve"' if v != v.strip() else ""
    return f"<is><t{space}>{escape(v)}</t></is>"


def row_xml(r: int, values: Sequence[Any], letters: Sequence[str]) -> str:
    """One ``<row>`` of values: numbers as numbers, everything else as inline text; blanks left out."""
    cells = []
    for c, v in zip(letters, values):
        if v is None:
            continue
        if isinstance(v, bool):
            cells.append(f'<c r="{c}{r}" t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, (int, float)):
            f = float(v)
            if math.isnan(f) or math.isinf(f):
                continue
            cells.append(f'<c r="{c}{r}"><v>{int(f) if f.is_integer() and abs(f) < 1e15 else repr(f)}</v></c>')
        else:
            text = v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else str(v)
            cells.append(f'<c r="{c}{r}" t="inlineStr">{_text(text)}</c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def append_rows(path: str | Path, title: str, first: int, rows: Iterable[Sequence[Any]], width: int) -> None:
    """Append ``rows`` (from sheet row ``first``) to the sheet ``title`` of the saved workbook ``path``.

    The sheet must have no row at or after ``first`` (openpyxl wrote only its header).
    The package is copied member by member into a file beside it, which then replaces it.
    """
    path = Path(path)
    letters = [get_column_letter(j) for j in range(1, width + 1)]
    body = [row_xml(first + k, r, letters) for k, r in enumerate(rows)]
    last = first + len(body) - 1
    tmp = path.with_name(f".{path.name}.rows")
    try:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            part = sheet_parts(zin)[title]
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == part:
                    xml = data.decode("utf-8")
                    xml = _DIMENSION.sub(f'<dimension ref="A1:{letters[-1]}{max(last, first - 1)}"/>', xml, count=1)
                    if "</sheetData>" in xml:
                        xml = xml.replace("</sheetData>", "".join(body) + "</sheetData>", 1)
                    else:  # an empty sheet is written <sheetData/>
                        xml = xml.replace("<sheetData/>", "<sheetData>" + "".join(body) + "</sheetData>", 1)
                    data = xml.encode("utf-8")
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
