"""Sheets people print: column widths that fit their text, A4 page set-up, number formats.

One way for every sheet kpixl writes (openpyxl and XlsxWriter alike):

* :func:`text_width` — how wide a text is in Excel's width units (a CJK character counts
  double); :func:`column_width` — a column's width from its label and its values;
* :func:`fit_columns` — set an openpyxl sheet's column widths from what it holds;
* :func:`pages_across` — how many landscape A4 pages a row of columns needs when printed
  at no less than about 75 %, so 40 columns print over three legible pages rather than
  one shrunk one;
* :func:`print_setup` — landscape A4, narrow margins, repeated header rows (and the
  first columns when the sheet is wider than a page), fit to that many pages across,
  any number of pages down, a "sheet — page n of m" footer;
* :func:`hide_key_row` — a row of machine keys (read back by kpixl) kept on the sheet
  but hidden, so it is neither seen nor printed;
* number formats: :data:`MONEY` (thousands separators), :data:`COUNT`, :func:`yes_no`
  (1 shows 是, 0 shows 否 — a format, so the cell stays the number a formula computes).
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from openpyxl.utils import get_column_letter

__all__ = ["COUNT", "FOOTERS", "MONEY", "NUMBER", "column_width", "fit_columns", "fit_row_heights", "hide_key_row",
           "pages_across", "print_setup", "switch_footer", "text_width", "wrapped_lines", "yes_no", "YES_NO_FORMATS"]

MONEY = "#,##0.00"  # amounts: 12,345.60
NUMBER = "#,##0.00"  # figures typed by people (sales, targets): 1,344,000.00 ("#,##0.##" shows "1,344,000.")
COUNT = "#,##0"  # whole numbers
#: The page footer of the sheets people print, by language ("sheet — page n of m").
FOOTERS = {"zh": "&A — 第 &P 页 / 共 &N 页", "en": "&A — Page &P of &N"}
_YES_NO = {"zh": '"是";"是";"否"', "en": '"Yes";"Yes";"No"'}
#: Every 是/否 format (cells holding 1/0 for a flag).
YES_NO_FORMATS = frozenset(_YES_NO.values())

#: Width units of a landscape A4 page between 1.5 cm margins at 100 % (Excel's unit is about
#: one digit of the default font, ≈ 1.9 mm).
PAGE_WIDTH = {True: 140.0, False: 95.0}
#: The smallest print scale that stays legible.
MIN_SCALE = 0.75


def yes_no(lang: str = "zh") -> str:
    """The number format showing 1 as 是 (Yes) and 0 as 否 (No)."""
    return _YES_NO.get(lang, _YES_NO["zh"])


def text_width(text: Any) -> float:
    """The width of a text's longest line in Excel's units: CJK and full-width characters count 2."""
    if text is None:
        return 0.0
    if isinstance(text, float):
        text = f"{text:,.2f}"
    elif isinstance(text, int) and not isinstance(text, bool):
        text = f"{text:,}"
    lines = str(text).split("\n")
    return max(sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in line) for line in lines)


def column_width(label: Any, values: Iterable[Any] = (), *, lo: float = 6.0, hi: float = 40.0,
                 label_lines: int = 3) -> float:
    """A column's width: its widest value, and its label wrapped over up to ``label_lines`` lines.

    Args:
        label: The header text (wraps; a line never breaks inside a word shorter than the width).
        values: The column's values (they do not wrap).
        lo: The narrowest width.
        hi: The widest width (longer text wraps or is cut).
        label_lines: How many lines the header may take.
    """
    data = max((text_width(v) for v in _distinct(values)), default=0.0)
    # A label wraps between words (Latin) or characters (CJK): never narrower than its longest word.
    words = re.findall(r"[!-~]+", str(label)) if label is not None else []
    head = max([text_width(label) / max(label_lines, 1)] + [text_width(w) + 0.5 for w in words])
    return round(min(hi, max(lo, data + 2.0, head + 2.0)), 1)


def _distinct(values: Iterable[Any]) -> Iterable[Any]:
    """Each value once (a column repeats its values: a period, a file name, a score), told apart by
    type as well (``1``, ``1.0`` and ``True`` are as wide as ``1``, ``1.00`` and ``TRUE``)."""
    try:
        return {(type(v), v): v for v in values}.values()
    except TypeError:  # a value that cannot be a key
        return values


def fit_columns(ws, *, label_row: int | None = None, first_row: int = 1, lo: float = 6.0, hi: float = 40.0,
                label_lines: int = 3, skip_rows: Iterable[int] = (), max_rows: int = 2000) -> None:
    """Set every column's width on an openpyxl sheet from its label and values.

    Args:
        ws: The sheet.
        label_row: The header row (its text may wrap over ``label_lines`` lines), if any.
        first_row: The first row looked at.
        lo, hi, label_lines: As :func:`column_width`.
        skip_rows: Rows not measured (a hidden key row, a title spanning the sheet).
        max_rows: How many rows are measured (a long log's first rows tell its widths).
    """
    skip = set(skip_rows)
    labels: dict[int, Any] = {}
    values: dict[int, list[Any]] = {}
    for row in ws.iter_rows(min_row=first_row, max_row=min(ws.max_row, first_row + max_rows)):
        for cell in row:
            if cell.value is None or cell.row in skip:
                continue
            if cell.row == label_row:
                labels[cell.column] = cell.value
            else:
                v = cell.value
                if isinstance(v, str) and v.startswith("="):
                    v = 12345.67  # a formula shows a number about this wide
                values.setdefault(cell.column, []).append(v)
    for col in sorted(set(labels) | set(values)):
        ws.column_dimensions[get_column_letter(col)].width = column_width(
            labels.get(col), values.get(col, ()), lo=lo, hi=hi, label_lines=label_lines)


def wrapped_lines(text: Any, width: float) -> int:
    """How many lines a wrapped text takes in a column ``width`` units wide."""
    if text is None or text == "":
        return 1
    room = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(text_width(line) / room)) for line in str(text).split("\n"))


def fit_row_heights(ws, rows: Iterable[int], columns: Iterable[int] | None = None, *, line: float = 13.5,
                    pad: float = 4.0, most: int = 8) -> None:
    """Set each row's height to show its wrapped text (Excel does not grow rows openpyxl writes).

    Args:
        ws: The sheet (its column widths already set).
        rows: The rows to fit.
        columns: The columns whose text wraps (default: every column).
        line: The height of a line (10-point text).
        pad: Added to the lines' height.
        most: The most lines a row grows to.
    """
    cols = list(columns) if columns is not None else list(range(1, (ws.max_column or 1) + 1))
    widths = {c: _width(ws, get_column_letter(c)) for c in cols}
    for r in rows:
        n = max((wrapped_lines(ws.cell(r, c).value, widths[c]) for c in cols), default=1)
        if n > 1:
            ws.row_dimensions[r].height = min(n, most) * line + pad


def pages_across(widths: Iterable[float], landscape: bool = True, repeated: float = 0.0) -> int:
    """How many pages wide a sheet prints at no less than :data:`MIN_SCALE`.

    Args:
        widths: The printed columns' widths.
        landscape: The page orientation.
        repeated: The width of columns repeated on every page (print title columns).
    """
    total = sum(widths)
    room = PAGE_WIDTH[landscape] / MIN_SCALE
    if total <= room:
        return 1
    return max(1, math.ceil((total - repeated) / max(room - repeated, room / 2)))


def print_setup(ws, *, title_rows: str | None = None, title_cols: str | None = None, landscape: bool = True,
                pages_wide: int | None = None, footer: bool = True, lang: str = "zh") -> int:
    """A4 page set-up of an openpyxl sheet; returns the number of pages across.

    Args:
        ws: The sheet (its column widths already set).
        title_rows: Rows printed at the top of every page, e.g. ``"2:2"``.
        title_cols: Columns printed at the left of every page when the sheet is more than
            one page wide, e.g. ``"A:B"`` (the name beside every figure).
        landscape: Landscape (default) or portrait.
        pages_wide: Pages across (default: :func:`pages_across` of the used columns).
        footer: Print "sheet — page n of m" at the foot of each page.
        lang: The footer's language (``zh``, ``en``).
    """
    ps = ws.page_setup
    ps.orientation = "landscape" if landscape else "portrait"
    ps.paperSize = ws.PAPERSIZE_A4
    if pages_wide is None:
        widths = [_width(ws, get_column_letter(c)) for c in range(1, (ws.max_column or 1) + 1)]
        repeated = 0.0
        if title_cols:
            a, _, b = title_cols.partition(":")
            from openpyxl.utils import column_index_from_string

            repeated = sum(widths[column_index_from_string(a) - 1:column_index_from_string(b or a)])
        pages_wide = pages_across(widths, landscape, repeated)
    ps.fitToWidth, ps.fitToHeight = pages_wide, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    # The footer sits inside the bottom margin: openpyxl's default distance (0.5") would leave
    # it 0.1" of room, and LibreOffice clips the text.
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols and pages_wide > 1:
        ws.print_title_cols = title_cols
    if footer:
        ws.oddFooter.center.text = FOOTERS.get(lang, FOOTERS["zh"])
    return pages_wide


def switch_footer(ws, lang: str) -> None:
    """The page footer :func:`print_setup` wrote, now in ``lang`` (a footer it did not write stays)."""
    if ws.oddFooter.center.text in FOOTERS.values():
        ws.oddFooter.center.text = FOOTERS.get(lang, FOOTERS["zh"])


def _width(ws, letter: str) -> float:
    d = ws.column_dimensions.get(letter)
    return float(d.width) if d is not None and d.width else 8.43


def hide_key_row(ws, row: int = 1) -> None:
    """Keep a row of machine keys on the sheet, hidden (never seen, never printed)."""
    ws.row_dimensions[row].hidden = True
