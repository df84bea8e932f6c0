"""The one palette and font of every sheet kpixl writes (openpyxl and XlsxWriter alike).

Colours are RGB hex strings without ``#``: openpyxl takes them as they are
(:func:`fill`), XlsxWriter with a ``#`` in front (:func:`xlsxwriter_color`).
"""

from __future__ import annotations

from openpyxl.styles import PatternFill

#: Every sheet's font: has CJK glyphs on Windows; LibreOffice maps it to a CJK font.
FONT = "Microsoft YaHei"

HEAD = "DDEBF7"  # header rows (light blue)
INPUT = "FFF2CC"  # a cell a person types into, on cards and finance's parameter cells (light yellow)
INPUT_TEMPLATE = "FFF8DC"  # input cells of a template layout and the master's results (cornsilk)
RESULT = "E2EFDA"  # computed scores (light green)
SECTION = "F2F2F2"  # section rows and key cells (light grey)
MISSING = "FCE4D6"  # people not collected yet (light orange)


def fill(rgb: str) -> PatternFill:
    """A solid openpyxl fill of one palette colour."""
    return PatternFill("solid", fgColor=rgb)


def xlsxwriter_color(rgb: str) -> str:
    """A palette colour as XlsxWriter writes it (``#RRGGBB``)."""
    return "#" + rgb
