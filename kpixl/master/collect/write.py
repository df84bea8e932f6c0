"""Collect, step 4 — write: the master's sheets (Results, 考核历史, 职级建议, Issues, Log) and quarantine."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from openpyxl.styles import Alignment, Font

from ...card.naming import period_label
from ...engine.inputs import ID
from ...engine.score import prepare
from ...errors import InputError, Problem
from ...history import level_proposals
from ...results.sheet import write_results as write_results_sheet
from ...xlsx.palette import FONT, HEAD, fill
from ...xlsx.text import append_row, defuse_columns
from ..book import HISTORY, ISSUES, LEVELS, RESULTS, Master
from ..records import Records
from ..returned import WARNING
from ..store import PERIOD, plain
from .outcome import CollectReport
from .read import QUARANTINE

ISSUE_COLUMNS = ("file", "place", "employee_id", "item", "code", "problem", "value", "severity", "status", "first_seen")
LOG_COLUMNS = ("time", "by", "file", "saved", "employee_id", "period", "column", "old", "new", "action")


def write_results(records: Records) -> list[Problem]:
    """``Results``: the period's inputs, every score a live formula; returns the roster's problems."""
    ws = records.master.sheet(RESULTS, 0 if RESULTS not in records.master.wb.sheetnames else None)
    frame = records.frame()
    if frame.empty:
        ws["A1"] = f"{period_label(records.period)}: 尚未收集到任何考核表 / nothing collected yet"
        return []
    prepared = prepare(records.scheme, frame, records.roster)
    write_results_sheet(prepared, ws, outputs=False)
    ws.title = RESULTS
    # Inputs are values typed by managers (a reason may read "=HYPERLINK(…)"): text, never formulas.
    data = {ID, *records.store.columns, *frame.columns}
    defuse_columns(ws, [c.column for c in ws[1] if c.value in data], first_row=3)
    return prepared.problems


def write_history(records: Records) -> list[Problem]:
    """Write 考核历史 (and 职级建议 when the scheme has a level ladder); return the master's problems."""
    full = records.history()
    problems = write_levels(records, full)
    # The inputs stay in the record store; the history shows results and flags.
    rows = full.drop(columns=[c for c in records.store.columns if c in full.columns])
    ws = records.master.sheet(HISTORY)
    header = [str(c) for c in rows.columns]
    append_row(ws, header)
    columns = [rows[c].to_numpy(dtype=object) for c in rows.columns]
    for k in range(len(rows)):
        append_row(ws, [v if isinstance(v, str) else plain(v) for v in (col[k] for col in columns)])
    style_table(ws, len(header))
    return problems


def write_levels(records: Records, rows: pd.DataFrame) -> list[Problem]:
    """职级建议: proposed level moves from the collected annual ratings (proposals, never actions)."""
    levels = records.scheme.levels
    years = [p for p in records.store.periods() if p.isdigit() and len(p) == 4]
    if levels is None or not years:
        return []
    try:
        props = level_proposals(levels, rows[rows[PERIOD].isin(years)], records.roster, years[-1])
    except InputError as e:
        return e.problems
    ws = records.master.sheet(LEVELS)
    header = ["employee_id", "current", "proposed", "move", "reason"]
    append_row(ws, ["工号", "现职级", "建议职级", "建议", f"理由（{years[-1]}年度；仅为建议，由人力资源决定）"])
    for rec in props[header].to_dict("records"):
        append_row(ws, [rec[h] for h in header])
    style_table(ws, len(header))
    ws.column_dimensions["E"].width = 70
    return []


def style_table(ws, width: int) -> None:
    bold = Font(name=FONT, bold=True, size=10)
    for c in range(1, width + 1):
        cell = ws.cell(1, c)
        cell.font, cell.fill = bold, fill(HEAD)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = 14
    ws.freeze_panes = "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


def read_rows(wb, title: str) -> tuple[list[str], list[list[Any]]]:
    if title not in wb.sheetnames:
        return [], []
    rows = [list(r) for r in wb[title].iter_rows(values_only=True)]
    return ([str(h) for h in rows[0]] if rows else []), rows[1:]


def issue_rows(report: CollectReport, files: Iterable[str], wb, now: str) -> tuple[list[list[Any]], bool]:
    """The Issues sheet: this run's rows for its files (as places name them), earlier rows for other files kept."""
    header, old = read_rows(wb, ISSUES)
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
                   None if p.value is None else str(p.value), sev, status]
            row.append(first_seen.get(tuple(row[:8]), now))
            new.append(row)
    rows = new + kept
    changed = [tuple(r[:9]) for r in rows] != [tuple(r[:9]) for r in old] or header != list(ISSUE_COLUMNS)
    return rows, changed


def write_rows(master: Master, title: str, header: Iterable[str], rows: list[list[Any]]) -> None:
    ws = master.sheet(title)
    header = list(header)
    append_row(ws, header)
    for r in rows:
        append_row(ws, r)
    style_table(ws, len(header))


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
