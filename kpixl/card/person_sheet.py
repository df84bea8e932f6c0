"""Write one person's card sheet with XlsxWriter: values, formulas, inputs, print and protection.

Formats are made once per (card style, role) for the whole workbook: a plain cell is
locked (XlsxWriter's default), an input is unlocked and shaded, a target is HR's data
and stays locked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..xlsx.cells import cell_value
from ..xlsx.palette import INPUT, xlsxwriter_color
from ..results.values import cell_value as cached_value
from ..engine.inputs import parse_column
from .formulas import CardFormulas
from .template import PLACEHOLDER, Card
from .validation import validation_for
from .stamp import STAMP_NAME

INPUT_SHADE = xlsxwriter_color(INPUT)
HEADER = "&L{name}&C{scheme}&R{period}"
FOOTER = "&C第 &P 页，共 &N 页"


def _header_text(text: Any) -> str:
    return str(text if text is not None else "").replace("&", "&&")


# What a compiled card position writes.
_STEP, _BLANK, _STRING, _NUMBER, _BOOL, _OTHER = range(6)


def _code(v: Any) -> int:
    if isinstance(v, str):
        return _STRING
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, (int, float)):
        return _NUMBER
    return _OTHER


def _static(value: Any, fmt, blank: tuple | None) -> tuple | None:
    """A card value written as it is; a blank one leaves ``blank`` (what the position holds)."""
    if value is None or value == "":
        return blank
    return (_code(value), value, fmt)


def _cell_index(ref: str) -> tuple[int, int]:
    from xlsxwriter.utility import xl_cell_to_rowcol

    return xl_cell_to_rowcol(ref)


def card_results(plan: CardFormulas, values, k: int) -> dict[str, Any]:
    """Cell → the result of person ``k``'s card formula, from :func:`kpixl.results.values.card_values`."""
    out = {}
    for placed in (plan.scores, plan.outs):
        for key, cell in placed.items():
            col = key if key in ("total", "rating", "bonus") and placed is plan.outs else f"score:{key}"
            if col in values:
                v = cached_value(values[col][k])
                if v is not None:
                    out[cell.ref] = v
    return out


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
    values: dict[str, Any] = field(default_factory=dict)  # cell → the formula's result, cached with it


@dataclass
class CompiledCard:
    """A card compiled for :class:`PersonSheetWriter`, valid for any workbook (formats by key)."""

    plan: CardFormulas
    rows: list[tuple[int, list[tuple]]]  # (row, [(col, code, value or step, format key)…]) in order
    keys: list[tuple[int, str]]  # format keys (card style, role), indexed by the ops
    merges: list[tuple[int, int, int, int]]  # merged ranges whose first cell the card holds
    validations: list[tuple]  # (first row, col, last row, col, rule), in the card's order


class PersonSheetWriter:
    """Writes person sheets from one card; the card is compiled once into a row-ordered program.

    Every cell is written strictly in row order (then column order), and everything that
    is not a cell (widths, heights, merged ranges, validations, notes) before the first
    cell, so the same code serves XlsxWriter's ``constant_memory`` mode, which writes
    each row out as soon as a later row is started (it ignores a write to an earlier
    row). A merged range is registered with ``merge_range(…, "", None)`` (no format:
    XlsxWriter then writes no cell) and its cells are written in their rows like any
    other: the top-left one with its value, the others blank in the range's format —
    exactly what ``merge_range`` writes in one go.

    Args:
        compiled: The :attr:`compiled` card of an earlier writer of the same plan (another
            workbook from the same template), so that it is not compiled again.
    """

    def __init__(self, workbook, plan: CardFormulas, formats: Formats, compiled: CompiledCard | None = None):
        self.wb, self.plan, self.card, self.formats = workbook, plan, plan.card, formats
        self.texts = plan.texts()
        self.notes = [(*_cell_index(ref), note) for ref, note in plan.notes().items()]
        self.provisional = [(*_cell_index(ref), cond, fmt) for ref, cond, fmt in plan.provisional()]
        self._shown: dict[str, Any] = {}  # number format → its XlsxWriter format, made once
        self.head = self.card.header_rows()
        self.compiled = compiled if compiled is not None and compiled.plan is plan else None
        self._fmts: list | None = None

    def _compile(self) -> CompiledCard:
        """The card, once, as the final content of each cell in row order.

        The card's cells are replayed in the card's order — a merged range blanks its
        area in its format, then the cell itself is written — keeping the last write to
        each position, as XlsxWriter's cell table would. What is the same for everyone
        becomes a fixed write; a placeholder becomes a step resolved per person (with
        what the position holds when the person's value is blank).
        """
        plan = self.plan
        validations = {key: validation_for(plan.scheme, key) for key in plan.inputs}
        merged = {(r1, c1): (r1, c1, r2, c2) for r1, c1, r2, c2 in self.card.merges}
        keys: dict[tuple[int, str], int] = {}
        cells: dict[tuple[int, int], tuple] = {}
        dv, merges = [], []
        for cell in self.card.cells:
            is_input = cell.kind == "input" and parse_column(cell.key)[1] != "target"
            key = (cell.style, "input" if is_input else "plain")
            fmt = self.formats.get(*key)
            fi = keys.setdefault(key, len(keys))
            merge = merged.get((cell.row, cell.col))
            pos = (cell.row, cell.col)
            if merge is not None:
                merges.append(merge)
                if fmt is not None:
                    r1, c1, r2, c2 = merge
                    for r in range(r1, r2 + 1):
                        for c in range(c1, c2 + 1):
                            cells[(r, c)] = (_BLANK, None, fi)
            rule = validations.get(cell.key) if is_input else None
            if rule is not None:  # over the whole merged cell, as Excel shows it
                dv.append((*(merge or (cell.row, cell.col, cell.row, cell.col)), rule))
            # A blank value writes a formatted blank, except over a merged range (already blank).
            blank = cells.get(pos) if merge is not None or fmt is None else (_BLANK, None, fi)
            blank_fi = None if blank is None else blank[2]
            fixed = cell.kind == "value" and not (isinstance(cell.value, str) and cell.value.startswith("="))
            if fixed:
                op = _static(cell.value, fi, blank)
            else:
                default = self.texts.get(cell.key, "") if cell.kind in ("score", "formula") else None
                op = (_STEP, (cell.ref, cell.kind, cell.key, cell.value, default, blank_fi), fi)
            if op is None:
                cells.pop(pos, None)
            else:
                cells[pos] = op
        rows: dict[int, list] = {}
        for (r, c), op in sorted(cells.items()):
            rows.setdefault(r, []).append((c, *op))
        for r in self.card.heights:
            rows.setdefault(r, [])
        return CompiledCard(plan, sorted(rows.items()), list(keys), merges, dv)

    def write(self, p: Person):
        """Add and fill the person's sheet; returns the worksheet."""
        ws = self.wb.add_worksheet(p.sheet)
        card = self.card
        if self.compiled is None:
            self.compiled = self._compile()
        compiled = self.compiled
        if self._fmts is None:
            self._fmts = [self.formats.get(*key) for key in compiled.keys]
        fmts = self._fmts
        # Before any cell (constant_memory: nothing is behind the current row yet).
        for c, width in card.widths.items():
            ws.set_column(c, c, width)
        for r, height in card.heights.items():
            ws.set_row(r, height)
        for r1, c1, r2, c2 in compiled.merges:
            ws.merge_range(r1, c1, r2, c2, "", None)
        for r1, c1, r2, c2, rule in compiled.validations:
            ws.data_validation(r1, c1, r2, c2, rule)
        for r, c, note in self.notes:
            ws.write_comment(r, c, note, {"x_scale": 2, "y_scale": 1.2})
        for r, c, cond, num_format in self.provisional:  # not a final-looking 0: 待汇总, 暂计
            shown = self._shown.get(num_format)
            if shown is None:
                shown = self._shown[num_format] = self.wb.add_format({"num_format": num_format})
            ws.conditional_format(r, c, r, c, {"type": "formula", "criteria": "=" + cond, "format": shown})
        formulas, fields, inputs, results = p.formulas, p.fields, p.inputs, p.values
        # constant_memory: a row holding no cell (a blank spacer with a height) is written
        # only when it is made the current row; XlsxWriter's cell writers do that themselves.
        start_row = getattr(ws, "_write_single_row", None) if getattr(ws, "constant_memory", False) else None
        write_string, write_number, write_blank, write_formula = ws.write_string, ws.write_number, ws.write_blank, ws.write_formula

        def field(m) -> str:
            v = cell_value(fields.get(m.group(1).strip()))
            return "" if v is None else str(v)

        for row, ops in compiled.rows:
            if start_row is not None and row > ws.previous_row:
                start_row(row)
            for col, code, value, fi in ops:
                fmt = fmts[fi]
                if code == _STEP:
                    ref, kind, key, raw, value, blank = value
                    formula = formulas.get(ref)
                    if formula is not None:
                        result = results.get(ref)
                        if result is None:
                            write_formula(row, col, formula, fmt)
                        else:
                            write_formula(row, col, formula, fmt, result)
                        continue
                    if kind == "text":
                        value = PLACEHOLDER.sub(field, raw)
                    elif kind == "field":
                        value = cell_value(fields.get(key))
                    elif kind == "input":
                        value = cell_value(inputs.get(key))
                    if value is None or value == "":
                        if blank is not None:
                            write_blank(row, col, None, fmts[blank])
                        continue
                    code = _code(value)
                if code == _STRING:
                    write_string(row, col, value, fmt)
                elif code == _NUMBER:
                    write_number(row, col, value, fmt)
                elif code == _BLANK:
                    write_blank(row, col, None, fmt)
                elif code == _BOOL:
                    ws.write_boolean(row, col, value, fmt)
                else:
                    ws.write(row, col, value, fmt)
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
