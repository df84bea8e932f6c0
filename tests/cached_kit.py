"""Reading a workbook's cached formula results without recalculating, and comparing them.

Three readers that do not recalculate: openpyxl (``data_only=True``), python-calamine
(when installed) and LibreOffice with its default settings (a private profile that does
*not* force recalculation on load: LibreOffice's default for OOXML is "never"), which
re-saves the file showing what a LibreOffice user sees on opening it. Each is compared
cell by cell with LibreOffice's forced recalculation (:func:`kpixl.libreoffice.recalculate`).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from kpixl.libreoffice import find_soffice, recalculate

# LibreOffice's own default for OOXML (1 = never recalculate), spelled out so that no
# installed default can change what the test sees.
_DEFAULT_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


def formula_cells(path: Path) -> dict[str, list[str]]:
    """Sheet title → the refs of its formula cells."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        refs = [c.coordinate for row in ws.iter_rows() for c in row
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("="))]
        if refs:
            out[ws.title] = refs
    return out


def openpyxl_values(path: Path, cells: dict[str, list[str]]) -> dict[tuple[str, str], Any]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(t, r): wb[t][r].value for t, refs in cells.items() for r in refs}


def calamine_values(path: Path, cells: dict[str, list[str]]) -> dict[tuple[str, str], Any] | None:
    """What python-calamine reads (None when it is not installed)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for title, refs in cells.items():
        sheet = wb.get_sheet_by_name(title)
        rows = sheet.to_python(skip_empty_area=False)
        for ref in refs:
            col, row = coordinate_from_string(ref)
            r, c = row - 1, column_index_from_string(col) - 1
            out[(title, ref)] = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
    return out


def libreoffice_opened(paths: list[Path], outdir: Path) -> list[Path]:
    """Open each file in LibreOffice with its default (no recalculation) and save it as xlsx."""
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="kpixl-lo-default-") as tmp:
        profile, staged, produced = Path(tmp, "profile"), Path(tmp, "in"), Path(tmp, "out")
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_DEFAULT_XCU, "utf-8")
        staged.mkdir()
        inputs = [shutil.copyfile(p, staged / f"{i}-{p.name}") for i, p in enumerate(paths)]
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--nolockcheck", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(produced),
                        *map(str, inputs)], check=True, capture_output=True, timeout=600)
        outdir.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.move(produced / p.name, outdir / p.name)) for p in inputs]


ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def _same(a: Any, b: Any, error_as_blank: bool = False) -> bool:
    if a in (None, "") and (b in (None, "") or (error_as_blank and b in ERRORS)):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def differences(got: dict, want: dict, error_as_blank: bool = False) -> list[tuple]:
    """``(sheet, ref, got, want)`` for every cell where the two disagree.

    ``error_as_blank``: the reader shows an error result as a blank (python-calamine).
    """
    return [(t, r, got.get((t, r)), v) for (t, r), v in want.items()
            if not _same(got.get((t, r)), v, error_as_blank)]


def cached_differences(paths: list[Path], tmp: Path) -> dict[str, list[tuple]]:
    """Every reader's differences from LibreOffice's recalculation, over all the files.

    Returns:
        ``{reader: [(file, sheet, ref, cached, recalculated), …]}`` for the readers
        ``openpyxl``, ``calamine`` (if installed) and ``libreoffice``; plus ``cells``:
        how many formula cells were compared, as ``[(file, count)]``.
    """
    recalced = recalculate(paths, tmp / "recalc")
    opened = libreoffice_opened(paths, tmp / "opened")
    out: dict[str, list] = {"openpyxl": [], "libreoffice": [], "cells": []}
    for path, rc, op in zip(paths, recalced, opened):
        cells = formula_cells(path)
        want = openpyxl_values(rc, cells)
        out["cells"].append((f"{path.parent.name}/{path.name}", len(want)))
        readers = {"openpyxl": openpyxl_values(path, cells), "libreoffice": openpyxl_values(op, cells)}
        cal = calamine_values(path, cells)
        if cal is not None:
            readers["calamine"] = cal
        for name, got in readers.items():
            out.setdefault(name, []).extend((f"{path.parent.name}/{path.name}", *d) for d in differences(got, want, name == "calamine"))
    return out


# ---- a scheme that uses everything, with blank inputs -------------------------------------

ITEMS_A = [
    {"id": "r", "name": "销量", "points": 40, "rule": {"type": "ratio", "cap": 1.2}, "target": {"column": "目标"},
     "na": "average", "na_group": "部门"},
    {"id": "t", "name": "回款", "points": 30, "rule": {"type": "tiers", "gap": "lower", "bands": [
        {"min": 0.9, "points": [25, 30]}, {"min": 0, "points": 10}]}, "target": 100, "na": "exclude"},
    {"id": "m", "name": "满意度", "points": 20, "rule": {"type": "manual"}, "raters": {"self": 0.3, "manager": 0.7},
     "missing_rater": "reweight"},
    {"id": "v", "name": "样品", "points": 10, "rule": {"type": "rubric", "levels": {"A": 10, "B": [4, 6]}}, "na": "full"}]
ITEMS_B = [
    {"id": "c", "name": "纪律", "points": 10, "rule": {"type": "count", "base": "full", "counters": [
        {"id": "late", "name": "迟到", "per": -1}, {"id": "gift", "per": 2}]}},
    {"id": "j", "name": "加扣分", "points": 0, "rule": {"type": "adjust"}},
    {"id": "y", "name": "执行", "points": 5, "rule": {"type": "binary"}},
    {"id": "s", "name": "降本", "points": 10, "rule": {"type": "step", "threshold": 1.0, "below": {"every": 0.05, "points": 2}}, "target": {"column": "目标2"}}]

def hard_scheme(kind: str):
    """A scheme using every rule, N/A kind and rater rule; ``bands`` (with level factor, commission,
    budget) or ``dist`` (forced distribution by group, rank flags, budget)."""
    d = {"id": f"hard-{kind}", "name": f"压力测试{kind}",
         "sections": [{"id": "a", "name": "业绩", "weight": 0.7, "items": ITEMS_A},
                      {"id": "b", "name": "行为", "weight": 0.3, "items": ITEMS_B}]}
    if kind == "bands":
        d["ratings"] = {"bands": [{"name": "优秀", "min": 90}, {"name": "合格", "min": 50}, {"name": "差"}]}
        d["bonus"] = {"base": {"column": "奖金"}, "curve": [{"below": 60, "factor": 0}, {"factor": "score"}],
                      "rating_factor": {"优秀": 1.2}, "level_factor": {"column": "职级", "factors": {"A": 1, "B": 1.3}},
                      "commission": {"rate": 0.01, "amount": {"column": "销售额"}}, "budget": 3000, "round": 2}
    else:
        d["ratings"] = {"distribution": {"group_by": "部门", "quotas": [{"name": "A", "share": 0.2}, {"name": "B", "share": 0.5}, {"name": "C", "share": 0.3}]},
                        "flags": [{"id": "top", "name": "晋升", "top": 0.2}, {"id": "low", "name": "培训", "bottom": 0.25}]}
        d["bonus"] = {"base": 1000, "curve": [{"factor": "score"}], "rating_factor": {"A": 1.5, "C": 0.5}, "budget": 5000}
    from kpixl.scheme.validate import scheme_from_dict

    return scheme_from_dict(d)

def hard_roster(n: int = 9) -> pd.DataFrame:
    """The people of :func:`hard_scheme`, in three groups."""
    rows = []
    for i in range(n):
        rows.append({"employee_id": f"H{i+1:02d}", "姓名": f"人{i+1}", "部门": "东西南"[i % 3], "岗位": "经理", "经理": "甲乙"[i % 2],
                     "目标": 100 + 10 * i, "目标2": 50, "奖金": 1000 + 100 * i, "职级": "AB"[i % 2], "销售额": 5000 * i})
    return pd.DataFrame(rows)

def hard_inputs(people: pd.DataFrame, partial: bool) -> pd.DataFrame:
    """Inputs for :func:`hard_roster`; ``partial`` leaves some blank, as a half-filled card is."""
    rows = []
    for i, p in enumerate(people["employee_id"]):
        r = {"employee_id": p, "r": 80 + 7 * i, "r.na": "是" if i % 4 == 1 else "否", "t": 85 + 3 * i, "t.score": 27 if 85 + 3 * i >= 90 else None,
             "t.na": "是" if i == 5 else None, "m@self": 15 + i % 5, "m@manager": 12 + i % 7, "v": "AB"[i % 2], "v.score": 5 if i % 2 else None,
             "v.na": "是" if i == 7 else None, "c.late": i % 3, "c.gift": i % 2, "j": (i % 3) - 1, "j.reason": "原因", "y": "是" if i % 3 else "否", "s": 40 + i}
        if partial:
            if i % 3 == 0: r.update({"r": None, "m@self": None, "v": None, "v.score": None})
            if i % 3 == 1: r.update({"m@self": None, "m@manager": None, "t": None, "t.score": None, "y": None})
            if i == 2: r.update({"c.late": None, "s": None, "j": None, "j.reason": None})
        rows.append(r)
    return pd.DataFrame(rows)
