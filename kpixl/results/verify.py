"""Check a results workbook's formulas against the Python engine, through LibreOffice.

LibreOffice recalculates the workbook headless (a private profile forces it to), the
values are read back by column key, and every result column is compared with what
:func:`kpixl.score` computed: numbers to 1e-9, text exactly.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from .. import libreoffice
from ..engine.inputs import ID
from .sheet import FIRST
from .scored import RESULTS


@dataclass
class Verification:
    """The outcome: how many cells agreed, and the ones that did not."""

    compared: int = 0
    mismatches: list[tuple[str, str, object, object]] = field(default_factory=list)
    errors: list[tuple[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.errors

    def summary(self) -> str:
        if self.ok:
            return f"LibreOffice agrees with the engine on all {self.compared} result cells"
        lines = [f"{len(self.mismatches)} of {self.compared} result cells differ; {len(self.errors)} formula errors"]
        lines += [f"  {cell} ({key}): workbook {wb!r}, engine {py!r}" for cell, key, wb, py in self.mismatches[:20]]
        lines += [f"  {cell}: {v}" for cell, v in self.errors[:20]]
        return "\n".join(lines)


def read_results(path: Path, sheet: str = RESULTS) -> pd.DataFrame:
    """Read a (recalculated) results sheet back as a DataFrame keyed by row-1 keys."""
    wb = load_workbook(path, data_only=True, read_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    keys = [str(k) for k in rows[0]]
    return pd.DataFrame([list(r) for r in rows[FIRST - 1:]], columns=keys)


def agree(have: Any, want: Any) -> bool:
    """A recalculated cell equals the engine's value (numbers to 1e-9, booleans as TRUE/1, blanks as None)."""
    if isinstance(want, (bool, np.bool_)):
        return have in (bool(want), 1 if want else 0) or str(have).upper() == str(bool(want)).upper()
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return have is None or have == "" or (isinstance(have, float) and math.isnan(have))
    if isinstance(want, str):
        return str(have or "") == want
    try:
        return math.isclose(float(have), float(want), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def compare_sheet(v: Verification, title: str, got: pd.DataFrame, engine: pd.DataFrame) -> None:
    """Add to ``v`` every engine figure of a keyed sheet compared with its recalculated cell.

    Args:
        v: The verification being filled.
        title: The sheet's name, for the messages.
        got: The sheet as :func:`read_results` read it back (``employee_id`` and result keys).
        engine: The engine's rows (``employee_id`` and the same keys); a key the sheet
            does not have is not compared.
    """
    got = got.set_index(got[ID].astype(str))
    for _, row in engine.iterrows():
        eid = str(row[ID])
        for key, want in row.items():
            if key == ID or key not in got.columns:
                continue
            have = got.at[eid, key] if eid in got.index else None
            v.compared += 1
            if isinstance(have, str) and have.startswith("#"):
                v.errors.append((f"{title} {eid} {key}", have))
            elif not agree(have, want):
                v.mismatches.append((f"{title} {eid}", key, have, want))


def compare(values: pd.DataFrame, results: pd.DataFrame, scheme, tol: float = 1e-9) -> Verification:
    """Compare read-back values with engine results column by column."""
    from .sheet import result_key

    from openpyxl.utils import get_column_letter

    v = Verification()
    letters = {k: get_column_letter(i + 1) for i, k in enumerate(values.columns)}
    for k in range(len(values)):
        for c in values.columns:
            got = values.iloc[k][c]
            if isinstance(got, str) and got.startswith("#"):
                v.errors.append((f"{letters[c]}{FIRST + k}", got))
    for column in results.columns:
        key = result_key(column, scheme)
        if column == "employee_id" or key not in values.columns:
            continue
        for k in range(len(results)):
            py, wb = results[column].iloc[k], values[key].iloc[k]
            v.compared += 1
            if not _same(py, wb, tol):
                v.mismatches.append((f"{letters[key]}{FIRST + k}", key, wb, py))
    return v


def _same(py, wb, tol: float) -> bool:
    if py is None or (isinstance(py, float) and math.isnan(py)):
        return wb is None or wb == ""
    if isinstance(py, (bool,)) or type(py).__name__ == "bool_":
        return bool(wb) == bool(py) and wb is not None
    if isinstance(py, str):
        return wb == py
    try:
        return wb is not None and abs(float(wb) - float(py)) <= tol * max(1.0, abs(float(py)))
    except (TypeError, ValueError):
        return False


def verify_workbook(path: Path, results: pd.DataFrame, scheme) -> Verification:
    """Recalculate ``path`` with LibreOffice and compare it with ``results``."""
    with tempfile.TemporaryDirectory(prefix="kpixl-verify-") as tmp:
        out = libreoffice.recalculate([Path(path)], Path(tmp))[0]
        return compare(read_results(out), results, scheme)
