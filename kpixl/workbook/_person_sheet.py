"""Write one person's card sheet with XlsxWriter: values, formulas, inputs, print and protection.

Formats are made once per (card style, role) for the whole workbook: a plain cell is
locked (XlsxWriter's default), an input is unlocked and shaded, a target is HR's data
and stays locked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..engine.inputs import parse_column
from ._card_formulas import CardFormulas
from ._card_reader import PLACEHOLDER, Card
from ._validation import validation_for
from .stamp import STAMP_NAME

INPUT_SHADE = "#FFF2CC"
HEADER = "&L{name}&C{scheme}&R{period}"
FOOTER = "&C第 &P 页，共 &N 页"


def _plain(v: Any) -> Any:
    """A table value as a cell value: numpy scalars unwrapped, NaN/NA as None."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v


def _header_text(text: Any) -> str:
    return str(text if text is not None else "").replace("&", "&&")


class Formats:
    """XlsxWriter formats of the card's styles, made once per workbook."""

    def __init__(self, workbook, card: Card):
        self.wb, self.card = workbook, card
        self._made: dict[tuple[int, str], Any] = {}

    def get(self, style: int, role: str = "plain"):
        key = (style, role)
        fmt = self._made.get(key)
        if fmt is None:
            props = dict(self.card.styles[style]) if style >= 0 else {}
            if role == "input":
                props.update(locked=False, pattern=1, bg_color=INPUT_SHADE)
            fmt = self._made[key] = self.wb.add_format(props) if props or role != "plain" else None
        return fmt


@dataclass
class Person:
    """What one person's sheet is filled with."""

    sheet: str
    employee_id: str
    fields: dict[str, Any]  # placeholder key → value ({{姓名}}, {{period}}, {{scheme.name}}…)
    inputs: dict[str, Any]  # input column → prefilled value (targets included)
    formulas: dict[str, str]  # cell → formula with "="
    stamp: str


class PersonSheetWriter:
    """Writes person sheets from one card; validations are worked out once."""

    def __init__(self, workbook, plan: CardFormulas, formats: Formats):
        self.wb, self.plan, self.card, self.formats = workbook, plan, plan.card, formats
        self.validations = {key: validation_for(plan.scheme, key) for key in plan.inputs}
        self.texts = plan.texts()
        self.notes = plan.notes()
        self.merged = {(r1, c1): (r1, c1, r2, c2) for r1, c1, r2, c2 in self.card.merges}
        self.head = self.card.header_rows()
        self.steps: list[tuple] | None = None

    def _steps(self) -> list[tuple]:
        """Per card cell, once: position, format, merge, validation, and the value when it never changes."""
        steps = []
        for cell in self.card.cells:
            is_input = cell.kind == "input" and parse_column(cell.key)[1] != "target"
            fmt = self.formats.get(cell.style, "input" if is_input else "plain")
            merge = self.merged.get((cell.row, cell.col))
            rule = self.validations.get(cell.key) if is_input else None
            area = merge or (cell.row, cell.col, cell.row, cell.col)
            fixed = cell.kind == "value" and not (isinstance(cell.value, str) and cell.value.startswith("="))
            value = cell.value if fixed else (self.texts.get(cell.key, "") if cell.kind in ("score", "formula") else None)
            steps.append((cell.row, cell.col, cell.ref, cell.kind, cell.key, cell.value, fmt, merge, area, rule, value))
        return steps

    def write(self, p: Person):
        """Add and fill the person's sheet; returns the worksheet."""
        ws = self.wb.add_worksheet(p.sheet)
        card = self.card
        for c, width in card.widths.items():
            ws.set_column(c, c, width)
        for r, height in card.heights.items():
            ws.set_row(r, height)
        if self.steps is None:
            self.steps = self._steps()
        formulas, fields, inputs = p.formulas, p.fields, p.inputs

        def field(m) -> str:
            v = _plain(fields.get(m.group(1).strip()))
            return "" if v is None else str(v)

        for row, col, ref, kind, key, raw, fmt, merge, area, rule, value in self.steps:
            if merge is not None:
                ws.merge_range(*merge, "", fmt)
            formula = formulas.get(ref)
            if formula is not None:
                ws.write_formula(row, col, formula, fmt)
                continue
            if kind == "text":
                value = PLACEHOLDER.sub(field, raw)
            elif kind == "field":
                value = _plain(fields.get(key))
            elif kind == "input":
                value = _plain(inputs.get(key))
                if rule is not None:  # over the whole merged cell, as Excel shows it
                    ws.data_validation(*area, rule)
            if value is None or value == "":
                if merge is None and fmt is not None:
                    ws.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value, fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(row, col, value, fmt)
            else:
                ws.write(row, col, value, fmt)
        for ref, note in self.notes.items():
            ws.write_comment(ref, note, {"x_scale": 2, "y_scale": 1.2})
        self._print_setup(ws, p)
        self._stamp(ws, p)
        ws.protect()
        return ws

    def _print_setup(self, ws, p: Person) -> None:
        card = self.card
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # fit to width, as many pages down as needed
        if card.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        if card.margins is not None:
            ws.set_margins(*card.margins)
        if card.center_horizontally:
            ws.center_horizontally()
        first, last = self.head
        ws.repeat_rows(first, last)
        ws.set_header(HEADER.format(name=_header_text(p.fields.get("姓名")),
                                    scheme=_header_text(p.fields.get("scheme.name")),
                                    period=_header_text(p.fields.get("period"))))
        ws.set_footer(FOOTER)
        row, col = card.freeze if card.freeze is not None else (last + 1, 0)
        ws.freeze_panes(row, col)

    def _stamp(self, ws, p: Person) -> None:
        value = '="' + p.stamp.replace('"', '""') + '"'
        if "!" not in p.sheet:
            if self.wb.define_name(f"{p.sheet}!{STAMP_NAME}", value) == 0:
                return
        # XlsxWriter cannot parse a sheet name holding "!": register the name by the sheet's index.
        self.wb.defined_names.append([STAMP_NAME, ws.index, value.lstrip("="), False])
