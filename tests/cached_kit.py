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
        out["cells"].append((path.name, len(want)))
        readers = {"openpyxl": openpyxl_values(path, cells), "libreoffice": openpyxl_values(op, cells)}
        cal = calamine_values(path, cells)
        if cal is not None:
            readers["calamine"] = cal
        for name, got in readers.items():
            out.setdefault(name, []).extend((path.name, *d) for d in differences(got, want, name == "calamine"))
    return out
