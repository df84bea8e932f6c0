"""The team summary sheet (汇总) of a generated workbook: formulas over the person sheets.

Laid out like the results sheet (:mod:`kpixl.results.sheet`): row 1 holds the column
keys (``employee_id``, ``score:<section>``, ``total``, ``rating``, ``bonus``…), row 2 the
Chinese labels, people start on row 3. Each section and the total refer to the person
sheets (``='王伟-E1001'!H20``). What needs everyone is decided here, with the same
builders as the engine: ``na: average`` items (the group's mean replaces the raw score
of a person for whom the item does not apply; sections and total are then summed here
from the person sheets' item cells), forced distribution (rank, rating, flags) and the
bonus budget.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..xlsx.cells import cell_value
from ..xlsx.lang import label as in_lang
from ..xlsx.palette import FONT, HEAD, xlsxwriter_color
from ..xlsx.printing import YES_NO_FORMATS, pages_across, wrapped_lines, yes_no
from ..engine.prepared import Prepared
from ..engine import card as card_mod
from ..engine.inputs import ID
from ..scheme.models import Scheme
from .formulas import CardFormulas
from .naming import quote_sheet
from ..results.sheet import FIRST, Col, Layout, bonus_columns, cached_cells, display_width, rating_columns

SUMMARY = "汇总"
PASS_THROUGH = ("姓名", "部门", "岗位", "经理")


def _values(values: Any, n: int) -> list:
    return [cell_value(v) for v in values] if values is not None else [None] * n


def layout_summary(prepared: Prepared, plan: CardFormulas, sheets: list[str]) -> Layout:
    """Plan the summary's columns for a gathered engine context and the person sheet names."""
    s: Scheme = prepared.scheme
    n = prepared.n
    lay = Layout(first=FIRST, last=FIRST + max(n, 1) - 1)
    lay.add(Col(ID, "工号", list(prepared.ids)))
    for name in PASS_THROUGH:
        if prepared.roster is not None and name in prepared.roster.df.columns:
            lay.add(Col(f"roster.{name}", name, _values(prepared.person_values(name), n)))
    lay.add(Col("sheet", "考核表", list(sheets)))

    def on_sheet(ref: str):
        return lambda row: f"{quote_sheet(sheets[row - FIRST])}!{ref}"

    averaged = {i.id for _, i in s.items() if i.na == "average" and f"{i.id}.na" in plan.inputs}
    for _, item in s.items():
        if item.id not in averaged:
            continue
        label = item.name or item.id
        raw = lay.add(Col(f"score:{item.id}.raw", label + "·得分(原始)", fmt="0.00",
                          formula=on_sheet(plan.scores[item.id].ref)))
        na = lay.add(Col(f"{item.id}.na", label + "·不适用", formula=on_sheet(plan.inputs[f"{item.id}.na"].ref)))
        grp = None
        if item.na_group:
            grp = lay.add(Col(f"{item.id}.na_group", label + "·分组", _values(prepared.items[item.id].group, n)))
        # This workbook holds one manager's people: the group average here is theirs only;
        # the master averages over everyone collected in the group. The header says so.
        lay.add(Col(f"score:{item.id}", label + "·得分(不适用者暂按本表同组均分, 以人力汇总为准)", fmt="0.00",
                    formula=lambda row, raw=raw, na=na, grp=grp:
                    card_mod.na_average_formula(raw.ref(row), na.ref(row), lay.range(raw.key), lay.range(na.key),
                                                grp.ref(row) if grp else None, lay.range(grp.key) if grp else None)))

    recomputed = False
    for sec in s.sections:
        label = sec.name or sec.id
        if sec.id in plan.scores and not any(i.id in averaged for i in sec.items):
            lay.add(Col(f"score:{sec.id}", label, fmt="0.00", formula=on_sheet(plan.scores[sec.id].ref)))
            continue
        recomputed = True

        def section(row: int, sec=sec) -> str:
            sheet = quote_sheet(sheets[row - FIRST])
            items = [lay.ref(f"score:{i.id}", row) if i.id in averaged else f"{sheet}!{plan.scores[i.id].ref}"
                     for i in sec.items]
            nas = [f"{sheet}!{plan.inputs[f'{i.id}.na'].ref}" if f"{i.id}.na" in plan.inputs else None for i in sec.items]
            return card_mod.section_formula(s, sec, items, nas)

        lay.add(Col(f"score:{sec.id}", label, fmt="0.00", formula=section))
    if "total" in plan.outs and not recomputed:
        lay.add(Col("total", "总分", fmt="0.00", formula=on_sheet(plan.outs["total"].ref)))
    else:
        lay.add(Col("total", "总分", fmt="0.00", formula=lambda row: card_mod.total_formula(
            s, [lay.ref(f"score:{sec.id}", row) for sec in s.sections])))
    # Rank, rating, flags and bonus over the summary's own total: the results sheet's columns.
    if s.ratings is not None:
        rating_columns(lay, s, prepared)
    if s.bonus is not None:
        bonus_columns(lay, s, prepared)
    return lay


def write_summary(workbook, ws, lay: Layout, n: int, title: str, values=None, lang: str = "zh") -> dict[str, str]:
    """Write the summary sheet; returns its formulas (cell → formula) for tests and readers.

    Args:
        workbook: The XlsxWriter workbook.
        ws: Its empty 汇总 worksheet.
        lay: :func:`layout_summary`'s plan.
        n: The number of people.
        title: The print header.
        values: The engine's figures keyed like the columns
            (:func:`kpixl.results.values.sheet_values`): each formula's cached result.
        lang: The labels' language (:mod:`kpixl.xlsx.lang`; the template's ``kpixl.lang``).

    Printed like ``Results``: landscape over as many pages across as the columns need, the
    label row (and the id and name, when wider than a page) on every page; the key row is
    hidden.
    """
    from openpyxl.utils import get_column_letter

    key_fmt = workbook.add_format({"font_name": "Microsoft YaHei", "font_size": 8, "font_color": "#808080"})
    head = workbook.add_format({"font_name": FONT, "bold": True, "font_size": 10, "bg_color": xlsxwriter_color(HEAD),
                                "pattern": 1, "text_wrap": True, "align": "center", "valign": "vcenter", "bottom": 1})
    body = workbook.add_format({"font_name": "Microsoft YaHei", "font_size": 10})
    fmts: dict[str | None, Any] = {None: body}
    link = workbook.add_format({"font_name": "Microsoft YaHei", "font_size": 10, "font_color": "#0563C1", "underline": 1})
    formulas: dict[str, str] = {}
    cols = list(lay.cols.values())
    labels = [in_lang(col.label, lang) for col in cols]
    widths = [display_width(dataclasses.replace(col, label=text), n) for col, text in zip(cols, labels)]
    # Row by row (XlsxWriter's constant_memory mode writes each row out when the next starts).
    ws.set_row(0, None, None, {"hidden": True})  # the keys: read back by kpixl, never printed
    ws.set_row(1, max(wrapped_lines(text, w) for text, w in zip(labels, widths)) * 13.5 + 4)
    for j, col in enumerate(cols):
        ws.set_column(j, j, widths[j])
        if col.fmt not in fmts:
            fmt = yes_no(lang) if col.fmt in YES_NO_FORMATS else col.fmt
            fmts[col.fmt] = workbook.add_format({"font_name": "Microsoft YaHei", "font_size": 10, "num_format": fmt})
    for j, col in enumerate(cols):
        ws.write_string(0, j, col.key, key_fmt)
    for j, text in enumerate(labels):
        ws.write_string(1, j, text, head)
    letters = [get_column_letter(j + 1) for j in range(len(cols))]
    results = cached_cells(lay, n, values) if values is not None else {}
    for k in range(n):
        row = FIRST + k
        for j, col in enumerate(cols):
            fmt = fmts[col.fmt]
            if col.formula is not None:
                f = "=" + col.formula(row)
                ref = f"{letters[j]}{row}"
                formulas[ref] = f
                result = results.get(ref)
                if result is None:
                    ws.write_formula(row - 1, j, f, fmt)
                else:
                    ws.write_formula(row - 1, j, f, fmt, result)
            elif col.key == "sheet":
                ws.write_url(row - 1, j, f"internal:{quote_sheet(col.values[k])}!A1", link, string=col.values[k])
            else:
                v = col.values[k]
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(row - 1, j, v, fmt)
                else:
                    ws.write(row - 1, j, v, fmt)
    ws.freeze_panes(FIRST - 1, 1)
    ws.set_paper(9)
    ws.set_landscape()
    name = next((j for j, col in enumerate(cols[:3]) if col.key == "roster.姓名"), 0)
    across = pages_across(widths, True, sum(widths[:name + 1]))
    ws.fit_to_pages(across, 0)
    ws.repeat_rows(1)
    if across > 1:
        ws.repeat_columns(0, name)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.6)
    ws.set_header(f"&C{title.replace('&', '&&')}")
    ws.set_footer("&CPage &P of &N" if lang == "en" else "&C第 &P 页，共 &N 页")
    ws.protect()
    return formulas
