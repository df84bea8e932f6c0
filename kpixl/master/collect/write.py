"""Collect, step 4 — write: the master's sheets (Results, 考核历史, 职级建议, Issues, Log) and quarantine."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ...card.naming import period_label
from ...engine.inputs import ID
from ...engine.score import prepare
from ...errors import InputError, Problem
from ...history import level_proposals
from ...results.sheet import bulk_rows, layout_results, write_layout
from ...results.values import sheet_values
from ...xlsx.bulk import Bulk
from ...xlsx.palette import FONT, HEAD, fill
from ...xlsx.printing import (column_width, fit_columns, fit_row_heights, hide_key_row, print_setup, wrapped_lines,
                              yes_no)
from ...xlsx.text import append_row, bulk_values, defuse_columns
from ..book import HISTORY, ISSUES, LEVELS, RESULTS, Master
from ..records import Records
from ..returned import WARNING
from ..store import PERIOD, plain
from ..columns import (FIRST_ROW, ISSUE_COLUMNS, LEVEL_COLUMNS, LOG_COLUMNS, data_rows, history_names,
                       key_labels, level_years, reason_label, reword_rows, word)
from .outcome import CollectReport
from .read import QUARANTINE



def write_results(records: Records) -> list[Problem]:
    """``Results``: the period's inputs, every score a live formula; returns the roster's problems."""
    ws = records.master.sheet(RESULTS, 0 if RESULTS not in records.master.wb.sheetnames else None)
    frame = records.frame()
    if frame.empty:
        ws["A1"] = f"{period_label(records.period)}: 尚未收集到任何考核表 / nothing collected yet"
        return []
    prepared = prepare(records.scheme, frame, records.roster)
    lay = layout_results(prepared, outputs=False)
    values = sheet_values(prepared)
    # The first person as openpyxl cells (their styles are the column's), the others as bulk rows:
    # text there is always text, never a formula.
    rest = bulk_rows(lay, prepared.n, values, 1)
    write_layout(lay, prepared.n, ws, values, records.master.lang, cells=None if rest is None else 1)
    ws.title = RESULTS
    # Inputs are values typed by managers (a reason may read "=HYPERLINK(…)"): text, never formulas.
    data = {ID, *records.store.columns, *frame.columns}
    defuse_columns(ws, [c.column for c in ws[1] if c.value in data], first_row=3)
    if rest:
        records.master.bulk[RESULTS] = Bulk(lay.first + 1, rest, len(lay.cols), style_row=lay.first)
    return prepared.problems


def write_history(records: Records) -> list[Problem]:
    """Write 考核历史 (and 职级建议 when the scheme has a level ladder); return the master's problems."""
    full = records.history()
    problems = write_levels(records, full)
    # The inputs stay in the record store; the history shows results and flags.
    rows = full.drop(columns=[c for c in records.store.columns if c in full.columns])
    ws = records.master.sheet(HISTORY)
    header = [str(c) for c in rows.columns]
    columns = [rows[c].to_numpy(dtype=object) for c in rows.columns]
    # A flag column (True/False) is written 1/0 and shown 是/否 (TRUE/FALSE cannot be formatted).
    flags = [all(isinstance(v, (bool, np.bool_)) or v is None for v in col) and len(col) > 0 for col in columns]
    body = [[int(v) if flag and v is not None else v if isinstance(v, str) else plain(v)
             for v, flag in zip(values, flags)] for values in zip(*columns)]
    formats = {j: yes_no(records.master.lang) for j, flag in enumerate(flags, 1) if flag}
    formats.update({j: "0.0%" for j, h in enumerate(header, 1) if h.startswith("achievement:") or h == "history.deduction"})
    formats.update({j: "0.00" for j, h in enumerate(header, 1) if h.startswith("score:") or h == "total"})
    write_table(records.master, ws, header, key_labels(header, records.master.lang, history_names(records.scheme)),
                body, formats=formats, wide={"history.reasons", "history.actions"})
    return problems


def write_levels(records: Records, rows: pd.DataFrame) -> list[Problem]:
    """职级建议: proposed level moves from the collected annual ratings (proposals, never actions)."""
    levels = records.scheme.levels
    years = level_years(records.store.periods())
    if levels is None or not years:
        return []
    try:
        props = level_proposals(levels, rows[rows[PERIOD].isin(years)], records.roster, years[-1])
    except InputError as e:
        return e.problems
    ws = records.master.sheet(LEVELS)
    lang = records.master.lang
    header = list(LEVEL_COLUMNS)
    append_row(ws, header)
    append_row(ws, key_labels(header, lang, {"reason": reason_label(years[-1], lang)}))
    for rec in props[header].to_dict("records"):
        append_row(ws, [rec[h] for h in header])
    style_table(ws, len(header), wide={"reason"}, lang=lang)
    return []


def style_table(ws, width: int, formats: dict[int, str] | None = None, wide: Iterable[str] = (),
                lang: str = "zh", rows: Sequence[Sequence[Any]] | None = None) -> list[float | None]:
    """A keyed table (row 1 keys, hidden; row 2 labels): styled, filtered, fitted and set up to print.

    Args:
        ws: The sheet.
        width: Its number of columns.
        formats: Column number → number format of its data cells.
        wide: Keys of columns holding long text (wrapped in a wide column).
        lang: The footer's language.
        rows: Every data row (row 3 on), when the sheet holds only the first of them as cells
            (the others are bulk rows): widths, heights and the filter are worked out from these.

    Returns:
        With ``rows``: the height of each data row after the first that is not on the sheet
        (None: one line), for :class:`kpixl.xlsx.bulk.Bulk`; else ``[]``.
    """
    bold = Font(name=FONT, bold=True, size=10)
    key_font = Font(name=FONT, size=8, color="808080")
    wide = set(wide)
    last = ws.max_row if rows is None else FIRST_ROW + len(rows) - 1
    for c in range(1, width + 1):
        ws.cell(1, c).font = key_font
        cell = ws.cell(2, c)
        cell.font, cell.fill = bold, fill(HEAD)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        fmt = (formats or {}).get(c)
        wrap = ws.cell(1, c).value in wide
        if fmt or wrap:
            for r in range(FIRST_ROW, ws.max_row + 1):
                target = ws.cell(r, c)
                if fmt:
                    target.number_format = fmt
                if wrap:
                    target.alignment = Alignment(wrap_text=True)
    if rows is None:
        fit_columns(ws, label_row=2, first_row=2, lo=7.0, hi=28.0, label_lines=2)
    else:
        fit_values(ws, [c.value for c in ws[2]], rows)
    wrapped = [c for c in range(1, width + 1) if ws.cell(1, c).value in wide]
    for c in wrapped:
        ws.column_dimensions[ws.cell(1, c).column_letter].width = 45.0
    fit_row_heights(ws, [2], list(range(1, width + 1)))
    heights: list[float | None] = []
    if wrapped and last < 5000:  # beyond that, rows keep one line (fitting them would slow every run)
        fit_row_heights(ws, range(FIRST_ROW, min(last, ws.max_row) + 1), wrapped)
        if rows is not None and len(rows) > 1:
            heights = row_heights(ws, rows[1:], wrapped)
    hide_key_row(ws, 1)
    ws.freeze_panes = f"A{FIRST_ROW}"
    if last >= FIRST_ROW:
        ws.auto_filter.ref = f"A2:{ws.cell(2, width).column_letter}{last}"
    print_setup(ws, title_rows="2:2", title_cols="A:B", lang=lang)
    return heights


def fit_values(ws, labels: Sequence[Any], rows: Sequence[Sequence[Any]], max_rows: int = 2000) -> None:
    """Column widths of a keyed table from its labels and data rows, as :func:`fit_columns` sets them
    from cells (the first ``max_rows`` rows measured; a text starting ``=`` as a number)."""
    values: dict[int, list[Any]] = {}
    measured = rows[:max_rows]
    if all(len(row) == len(measured[0]) for row in measured):  # a column at a time (rows of one width)
        for c, column in enumerate(zip(*measured), 1):
            got = [12345.67 if isinstance(v, str) and v.startswith("=") else v for v in column if v is not None]
            if got:
                values[c] = got
    else:
        for row in measured:
            for c, v in enumerate(row, 1):
                if v is None:
                    continue
                values.setdefault(c, []).append(12345.67 if isinstance(v, str) and v.startswith("=") else v)
    named = {c: v for c, v in enumerate(labels, 1) if v is not None}
    for c in sorted(set(named) | set(values)):
        ws.column_dimensions[get_column_letter(c)].width = column_width(
            named.get(c), values.get(c, ()), lo=7.0, hi=28.0, label_lines=2)


def row_heights(ws, rows: Sequence[Sequence[Any]], columns: Sequence[int], *, line: float = 13.5,
                pad: float = 4.0, most: int = 8) -> list[float | None]:
    """Each row's height to show its wrapped text, as :func:`fit_row_heights` sets it on cells."""
    got = {c: ws.column_dimensions.get(get_column_letter(c)) for c in columns}
    widths = {c: float(d.width) if d is not None and d.width else 8.43 for c, d in got.items()}
    out: list[float | None] = []
    for row in rows:
        n = max((wrapped_lines(row[c - 1] if c <= len(row) else None, widths[c]) for c in columns), default=1)
        out.append(min(n, most) * line + pad if n > 1 else None)
    return out


def write_table(master: Master, ws, header: Sequence[str], labels: Sequence[str], rows: Sequence[Sequence[Any]],
                formats: dict[int, str] | None = None, wide: Iterable[str] = ()) -> None:
    """A keyed table: keys, labels and the first data row as openpyxl cells, styled by
    :func:`style_table`; the other rows go into the saved file as bulk rows styled like the first
    (:attr:`Master.bulk`), unless a value is of a type only openpyxl writes (a date)."""
    append_row(ws, header)
    append_row(ws, labels)
    body = bulk_values(rows)
    if body is None or len(body) < 2:
        for r in rows:
            append_row(ws, r)
        style_table(ws, len(header), formats=formats, wide=wide, lang=master.lang)
        return
    append_row(ws, rows[0])
    heights = style_table(ws, len(header), formats=formats, wide=wide, lang=master.lang, rows=body)
    width = max(len(header), max(len(r) for r in body))
    master.bulk[ws.title] = Bulk(FIRST_ROW + 1, body[1:], width, style_row=FIRST_ROW, heights=heights)


def read_rows(wb, title: str) -> tuple[list[str], list[list[Any]]]:
    """A keyed table's keys and rows (its label row skipped)."""
    if title not in wb.sheetnames:
        return [], []
    return data_rows([list(r) for r in wb[title].iter_rows(values_only=True)])


def issue_rows(report: CollectReport, files: Iterable[str], wb, now: str, lang: str = "zh"
               ) -> tuple[list[list[Any]], bool]:
    """The Issues sheet: this run's rows for its files (as places name them), earlier rows for other files kept;
    severity and status in ``lang`` (错误/警告, 已应用…)."""
    header, old = read_rows(wb, ISSUES)
    old = reword_rows(header, old, lang)  # the master's language may have just changed
    this = set(files)
    kept = [r for r in old if header == list(ISSUE_COLUMNS) and r and r[0] not in this]
    quarantined = {(f, s) for f, s in report.quarantined}
    first_seen = {tuple(r[:8]): r[9] for r in old if header == list(ISSUE_COLUMNS) and len(r) >= 10}
    new = []
    for sev, problems in (("error", report.problems), (WARNING, report.warnings)):
        for p in problems:
            file = p.where[1:p.where.index("]")] if p.where.startswith("[") and "]" in p.where else ""
            sheet = p.where[p.where.index("]") + 1:].split("!")[0] if file else ""
            status = ("quarantined: not applied" if (file, sheet) in quarantined or (file, "") in quarantined
                      else "applied") if sev == "error" else "applied"
            if sev == "error" and not file:
                status = "to fix in the master"
            row = [file, p.where, p.employee, p.item or p.column, p.code, p.message,
                   None if p.value is None else str(p.value), word(sev, lang), word(status, lang)]
            row.append(first_seen.get(tuple(row[:8]), now))
            new.append(row)
    rows = new + kept
    changed = [tuple(r[:9]) for r in rows] != [tuple(r[:9]) for r in old] or header != list(ISSUE_COLUMNS)
    return rows, changed


def write_rows(master: Master, title: str, header: Iterable[str], rows: list[list[Any]]) -> None:
    """Write a keyed table (Issues, Log): keys, labels in the master's language, rows."""
    ws = master.sheet(title)
    header = list(header)
    write_table(master, ws, header, key_labels(header, master.lang), rows, wide={"problem"} if title == ISSUES else ())


def quarantine(master: Path, report: CollectReport, files: dict[Path, str]) -> None:
    """Copy each file with a refused sheet into ``quarantine/`` beside the master, for HR to send back.

    A copy keeps the name places give the file (``华东/王经理.xlsx`` when two files share a name),
    so two files never overwrite each other's copy. Only plain files are copied: never a link
    (it may point anywhere) nor a pipe or device.
    """
    names = {f for f, _ in report.quarantined}
    if not names:
        return
    folder = master.parent / QUARANTINE
    for f, label in files.items():
        if label not in names:
            continue
        try:
            if not stat.S_ISREG(f.lstat().st_mode):
                continue
            target = folder.joinpath(*[p for p in label.split("/") if p not in ("", ".", "..")])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target, follow_symlinks=False)
        except OSError:
            pass  # the copy is a convenience; the Issues sheet is the record
