"""A scored workbook: the live results, a summary, the scheme and the roster.

What ``kpixl score --out x.xlsx`` and ``kpixl demo`` write. The file is written to a
temporary name beside the target and then moved into place, so a crash never leaves
half a workbook where the old one was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.table import Table, TableStyleInfo

from .. import xlmath
from ..xlsx.atomic import replace_atomically
from ..xlsx.cached import remember, save_workbook
from ..xlsx.palette import HEAD, fill
from ..engine.prepared import Prepared
from .sheet import FONT, Layout, write_results
from .values import cell_value, sheet_values
from ..scheme.sheet.book import write_scheme_sheet

RESULTS = "Results"
SUMMARY = "Summary"


def write_workbook(prepared: Prepared, path: str | Path) -> Layout:
    """Write the scored workbook for a gathered engine context.

    Args:
        prepared: What :func:`kpixl.engine.score.prepare` returned.
        path: The ``.xlsx`` to write (replaced atomically).

    Returns:
        The layout of the results sheet.
    """
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = RESULTS
    values = sheet_values(prepared)
    lay = write_results(prepared, ws, values=values)
    _summary(wb.create_sheet(SUMMARY, 0), prepared, lay, values)
    write_scheme_sheet(prepared.scheme, wb)
    if prepared.roster is not None:
        _table_sheet(wb, "Roster", prepared.roster.df)
    save_atomically(wb, path)
    return lay


def _figure(values, fn) -> Any:
    """A summary figure over a column of results; None where a result is missing (an error)."""
    v = np.asarray(values, dtype=float)
    return None if not len(v) or np.isnan(v).any() else cell_value(fn(v))


def _summary(ws, prepared: Prepared, lay: Layout, values) -> None:
    s = prepared.scheme
    total = np.asarray(values["total"], dtype=float)
    cached = [prepared.n, _figure(total, lambda t: xlmath.round_decimal(np.mean(t), 2)),
              _figure(total, np.max), _figure(total, np.min)]
    if "bonus" in lay.cols:
        cached.append(_figure(values["bonus"], np.sum))
    kept = {}
    bold = Font(name=FONT, bold=True, size=11)
    body = Font(name=FONT, size=10)
    ws["A1"] = s.name
    ws["A1"].font = Font(name=FONT, bold=True, size=14)
    ws["A2"] = f"方案 {s.id} · 版本 {s.version} · 人数 {prepared.n}"
    ws["A2"].font = body
    rows = [("人数", f"=COUNTA({lay.range('employee_id')})", "0"),
            ("平均分", f"=ROUND(AVERAGE({lay.range('total')}),2)", "0.00"),
            ("最高分", f"=MAX({lay.range('total')})", "0.00"),
            ("最低分", f"=MIN({lay.range('total')})", "0.00")]
    if "bonus" in lay.cols:
        rows.append(("绩效奖金合计", f"=SUM({lay.range('bonus')})", "#,##0.00"))
    r = 4
    for (label, formula, fmt), value in zip(rows, cached):
        ws.cell(r, 1, label).font = bold
        kept[f"B{r}"] = value
        c = ws.cell(r, 2, _qualify(formula, lay))
        c.number_format = fmt
        c.font = body
        r += 1
    if s.ratings is not None:
        r += 1
        ws.cell(r, 1, "考核等级").font = bold
        ws.cell(r, 2, "人数").font = bold
        names = [b.name for b in s.ratings.bands] if s.ratings.bands else [q.name for q in s.ratings.distribution.quotas]
        ratings = [str(v).casefold() for v in values["rating"] if v is not None]
        for name in names:
            r += 1
            ws.cell(r, 1, name).font = body
            ws.cell(r, 2, f'=COUNTIF({RESULTS}!{lay.range("rating")},{xlmath.equals_text(name)})').font = body
            kept[f"B{r}"] = ratings.count(name.casefold())  # COUNTIF compares text without case
    remember(ws, kept)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 16


def _qualify(formula: str, lay: Layout) -> str:
    for key in ("employee_id", "total", "bonus"):
        if key in lay.cols:
            formula = formula.replace(f"({lay.range(key)})", f"({RESULTS}!{lay.range(key)})")
    return formula


def _table_sheet(wb: Workbook, title: str, df) -> None:
    ws = wb.create_sheet(title)
    cols = [str(c) for c in df.columns]
    ws.append(cols)
    for row in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and v != v) else v for v in row])
    for cell in ws[1]:
        cell.font = Font(name=FONT, bold=True)
        cell.fill = fill(HEAD)
        cell.alignment = Alignment(horizontal="center")
    if len(df):
        from openpyxl.utils import get_column_letter

        ref = f"A1:{get_column_letter(len(cols))}{len(df) + 1}"
        tab = Table(displayName=f"tbl{title}", ref=ref)
        tab.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(tab)


def save_atomically(wb: Workbook, path: Path) -> None:
    """Save to a temporary file in the same folder, then replace ``path`` in one step."""
    replace_atomically(path, lambda tmp: save_workbook(wb, tmp), "saving the workbook")
