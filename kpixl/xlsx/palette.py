"""How kpixl's cells look in openpyxl and XlsxWriter alike: the one palette and font, and styles converted.

Colours are RGB hex strings without ``#``: openpyxl takes them as they are
(:func:`fill`), XlsxWriter with a ``#`` in front (:func:`xlsxwriter_color`).

A template's openpyxl cell styles become XlsxWriter format dicts (:func:`to_format`, each
distinct style converted once, :func:`style_key`), for only what a scorecard uses: font
(name, size, bold, italic, underline, colour), solid fill, the four borders, alignment
(horizontal, vertical, wrap, indent, rotation) and number format. Theme and indexed colours
have no RGB of their own and are left out.
"""

from __future__ import annotations

from typing import Any

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

_BORDERS = {
    None: 0, "thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7,
    "mediumDashed": 8, "dashDot": 9, "mediumDashDot": 10, "dashDotDot": 11, "mediumDashDotDot": 12,
    "slantDashDot": 13,
}
_HALIGN = {"left": "left", "center": "center", "right": "right", "fill": "fill", "justify": "justify",
           "centerContinuous": "center_across", "distributed": "distributed"}
_VALIGN = {"top": "top", "center": "vcenter", "bottom": "bottom", "justify": "vjustify",
           "distributed": "vdistributed"}


def _rgb(color: Any) -> str | None:
    if color is None or getattr(color, "type", None) != "rgb" or not isinstance(color.rgb, str):
        return None
    rgb = color.rgb[-6:]
    return f"#{rgb}" if len(rgb) == 6 else None


def style_key(cell: Any) -> tuple:
    """A hashable key of a cell's style (openpyxl keeps one style array per cell)."""
    return tuple(cell._style) if cell.has_style else ()


def to_format(cell: Any) -> dict[str, Any]:
    """The XlsxWriter format dict of an openpyxl cell's style (empty for no style)."""
    if not cell.has_style:
        return {}
    out: dict[str, Any] = {}
    f = cell.font
    if f is not None:
        if f.name:
            out["font_name"] = f.name
        if f.sz:
            out["font_size"] = float(f.sz)
        if f.b:
            out["bold"] = True
        if f.i:
            out["italic"] = True
        if f.u:
            out["underline"] = 2 if f.u == "double" else 1
        if c := _rgb(f.color):
            out["font_color"] = c
    fill = cell.fill
    if fill is not None and getattr(fill, "fill_type", None) == "solid":
        if c := _rgb(fill.fgColor):
            out["pattern"] = 1
            out["bg_color"] = c
    b = cell.border
    if b is not None:
        for side in ("left", "right", "top", "bottom"):
            s = getattr(b, side)
            if s is not None and s.style:
                out[side] = _BORDERS.get(s.style, 1)
                if c := _rgb(s.color):
                    out[f"{side}_color"] = c
    a = cell.alignment
    if a is not None:
        if a.horizontal in _HALIGN:
            out["align"] = _HALIGN[a.horizontal]
        if a.vertical in _VALIGN:
            out["valign"] = _VALIGN[a.vertical]
        if a.wrap_text:
            out["text_wrap"] = True
        if a.indent:
            out["indent"] = int(a.indent)
        if a.text_rotation:
            out["rotation"] = int(a.text_rotation) if a.text_rotation <= 90 else 90 - int(a.text_rotation)
        if a.shrink_to_fit:
            out["shrink"] = True
    if cell.number_format and cell.number_format != "General":
        out["num_format"] = cell.number_format
    return out
