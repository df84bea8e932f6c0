"""Writing a scheme as a Scheme sheet: title, key/value block, item table, styles and dropdowns."""

from __future__ import annotations

import math
import unicodedata
from typing import Any, Iterator

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ...xlsx.palette import HEAD, SECTION, fill
from ...errors import InputError, Problem
from ..models import Scheme
from .. import notation as nt
from .vocab import COLUMNS, FONT, KEYS, RULE_WORDS, SECTION_FIELDS, SHEET_NAMES

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = fill(HEAD)
_KEY_FILL = fill(SECTION)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_sheet(scheme: Scheme, wb: Workbook, sheet_name: str) -> Worksheet:
    """Replace the workbook's scheme sheet (either name) by a fresh one, in the same place."""
    bad = [Problem(path, "illegal_character", "holds a control character that a workbook cannot store", text)
           for path, text in _strings(scheme.model_dump(mode="python")) if ILLEGAL_CHARACTERS_RE.search(text)]
    if bad:
        raise InputError(bad, "scheme (writing its sheet)")
    wanted = {n.casefold() for n in (*SHEET_NAMES, sheet_name)}
    old = [ws for ws in wb.worksheets if ws.title.strip().casefold() in wanted]
    index = wb.index(old[0]) if old else len(wb.sheetnames)
    for ws in old:
        wb.remove(ws)
    ws = wb.create_sheet(sheet_name, index)
    rows = _item_rows(scheme)
    fields = [f for f in COLUMNS if f in ("section", "section_name", "item", "name", "points", "rule")
              or any(f in row for row, _ in rows)]
    width = max(len(fields), 2)
    font, bold = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)

    title = ws.cell(1, 1, f"考核方案：{scheme.name}" if scheme.name else "考核方案")
    title.font = Font(name=FONT, size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 26

    r = 2
    for key, value in _key_values(scheme):
        k = ws.cell(r, 1, KEYS[key][0][0])
        k.font, k.fill, k.border = bold, _KEY_FILL, _BORDER
        k.alignment = Alignment(vertical="center")
        v = _put(ws, r, 2, value)
        v.font, v.alignment, v.border = font, Alignment(horizontal="left", vertical="center", wrap_text=True), _BORDER
        if key == "period":
            _choices(ws, "period", f"B{r}")
        if width > 2:
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=min(width, 10))
        r += 1
    ws.row_dimensions.group(2, r - 1, outline_level=1)
    head = r + 1

    for c, f in enumerate(fields, 1):
        h = ws.cell(head, c, COLUMNS[f][0][0])
        h.font, h.fill, h.border = bold, _HEAD_FILL, _BORDER
        h.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = max(COLUMNS[f][3], 12 if c <= 2 else 0)
    for i, (row, formats) in enumerate(rows, head + 1):
        for c, f in enumerate(fields, 1):
            cell = _put(ws, i, c, row.get(f))
            cell.font, cell.alignment, cell.border = font, _WRAP, _BORDER
            if f in formats:
                cell.number_format = formats[f]
    _fit_heights(ws, 2, head + len(rows))
    ws.freeze_panes = f"A{head + 1}"
    end = head + len(rows) + 200  # room for items HR adds
    for c, f in enumerate(fields, 1):
        if COLUMNS[f][1] in ("rule", "choice", "bool"):
            _choices(ws, f, f"{get_column_letter(c)}{head + 1}:{get_column_letter(c)}{end}")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = f"{head}:{head}"
    return ws


def _strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text in the scheme (dict keys too) with its YAML path."""
    if isinstance(data, str):
        yield path or "(scheme)", data
    elif isinstance(data, dict):
        for k, v in data.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(k, str):
                yield sub, k
            yield from _strings(v, sub)
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            yield from _strings(v, f"{path}[{i}]")


def _fit_heights(ws: Worksheet, first: int, last: int) -> None:
    """Row heights for wrapped text (not every program fits them on opening)."""
    spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
    widths = {c: ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, ws.max_column + 1)}
    for r in range(first, last + 1):
        lines = 1
        for cell in ws[r]:
            if isinstance(cell, MergedCell) or not isinstance(cell.value, str):
                continue
            width = sum(widths.get(c, 8.43) for c in spans.get((r, cell.column), [cell.column])) - 1
            lines = max(lines, sum(max(1, math.ceil(_display_width(t) / max(width, 1))) for t in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[r].height = 14 * lines + 2


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _choices(ws: Worksheet, field: str, ref: str) -> None:
    """A dropdown of the Chinese words; a warning (not a refusal) for anything else."""
    if field == "rule":
        words = [w[0] for w in RULE_WORDS.values()]
        note = "规则类型：" + "、".join(f"{w[0]}({t})" for t, w in RULE_WORDS.items())
    elif field == "allow_negative":
        words, note = ["是", "否"], "是 或 否"
    else:
        words = [w[0] for w in nt.CHOICES[field].values()]
        note = "、".join(f"{w[0]}({c})" for c, w in nt.CHOICES[field].items())
    dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                        showErrorMessage=True, errorStyle="warning", errorTitle="kpixl", error=note[:255])
    dv.add(ref)
    ws.add_data_validation(dv)


def _put(ws: Worksheet, r: int, c: int, value: Any):
    """Write a value so that it reads back exactly (openpyxl keeps 16 digits of a float)."""
    if isinstance(value, float) and not math.isfinite(value):
        value = nt.format_number(value)  # ∞: Excel has no infinite numbers
    elif isinstance(value, float) and float("%.16g" % value) != value:
        value = repr(value)
    cell = ws.cell(r, c, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    return cell


def _key_values(s: Scheme) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("id", s.id), ("name", s.name), ("version", s.version),
                                  ("period", nt.format_choice("period", s.period)), ("scale", s.scale)]
    if s.raters is not None:
        out.append(("raters", nt.format_structured("raters", s.raters)))
    if s.missing_rater != "error":
        out.append(("missing_rater", nt.format_choice("missing_rater", s.missing_rater)))
    for k in ("cap", "floor"):
        if getattr(s.total, k) is not None:
            out.append((f"total.{k}", getattr(s.total, k)))
    out.append(("total.round", s.total.round))
    for k in ("ratings", "bonus", "rollup", "history", "levels", "pay"):
        v = getattr(s, k)
        if v is not None:
            kind = KEYS[k][1]
            out.append((k, nt.format_structured(kind, v.model_dump(mode="python", exclude_defaults=True))))
    if s.description is not None:
        out.append(("description", s.description))
    return out


def _item_rows(s: Scheme) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Each item as {column: cell value} and {column: number format}."""
    rows = []
    for sec in s.sections:
        for n, item in enumerate(sec.items):
            row: dict[str, Any] = {"section": sec.id}
            formats: dict[str, str] = {}
            if n == 0:
                for f, attr in SECTION_FIELDS.items():
                    v = getattr(sec, attr)
                    if v not in (None, ""):
                        row[f] = v
                if sec.weight is not None:
                    formats["section_weight"] = _percent_format(sec.weight)
            data = item.model_dump(mode="python", exclude_defaults=True, exclude={"rule"})
            for attr, v in data.items():
                f = {"id": "item", "floor": "item_floor"}.get(attr, attr)
                row[f] = _cell(f, v)
            row["points"] = item.points
            row["rule"] = RULE_WORDS[item.rule.type][0]
            percent = item.rule.percent_params()  # the rule knows which of its numbers are achievements
            for p, v in item.rule.model_dump(mode="python", exclude_defaults=True).items():
                if p == "type":
                    continue
                row[p] = _cell(p, v, p in percent)
                if p in percent and COLUMNS[p][1] == "number":
                    formats[p] = _percent_format(v)
            rows.append((row, formats))
    return rows


def _cell(field: str, value: Any, percent: bool = False) -> Any:
    kind = COLUMNS[field][1]
    if kind == "choice":
        return nt.format_choice(field, value)
    if kind == "bool":
        return "是" if value else "否"
    if kind == "base":
        return nt.format_base(value)
    if kind == "target":
        return nt.format_target(nt.plain(value))
    if kind in ("text", "ident", "number"):
        return value
    options = {"percent": True} if percent else {}
    return nt.format_structured(kind, value, **options)


def _percent_format(v: float) -> str:
    text = nt.format_percent(v)
    if not text.endswith("%"):
        return "General"
    decimals = len(text[:-1].partition(".")[2])
    if decimals > 4:
        return "General"
    return "0%" if decimals == 0 else "0." + "0" * decimals + "%"
