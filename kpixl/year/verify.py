"""``kpixl year --verify``: LibreOffice recalculates the year master; every figure must equal the engine's."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.inputs import ID
from ..results.verify import Verification, read_results
from .sheet import YEAR

__all__ = ["agree", "compare_year", "verify_year"]


def agree(have: Any, want: Any) -> bool:
    """A recalculated cell equals the engine's value (numbers to 1e-9, booleans as TRUE/1, blanks as None)."""
    if isinstance(want, (bool, np.bool_)):
        return have in (bool(want), 1 if want else 0) or str(have).upper() == str(bool(want)).upper()
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return have in (None, "")
    if isinstance(want, str):
        return str(have or "") == want
    try:
        return math.isclose(float(have), float(want), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def verify_year(path: Path, year) -> Verification:
    """Recalculate ``path`` with LibreOffice and compare ``年度汇总`` with ``year``'s engine figures."""
    from .. import libreoffice

    with tempfile.TemporaryDirectory() as d:
        out = libreoffice.recalculate([Path(path)], Path(d))[0]
        return compare_year(out, year)


def compare_year(recalculated: Path, year) -> Verification:
    """Compare ``年度汇总`` of a year master LibreOffice recalculated with ``year``'s engine figures.

    Args:
        recalculated: The year master as LibreOffice saved it (cached values recalculated).
        year: The :class:`kpixl.year.build.Year` the build returned.

    Returns:
        A :class:`kpixl.results.verify.Verification`: every result cell compared, the
        mismatches and error values.
    """
    got = read_results(recalculated, YEAR)
    got = got.set_index(got[ID].astype(str))
    v = Verification()
    for _, row in year.results().iterrows():
        eid = str(row[ID])
        for key, want in row.items():
            if key == ID or key not in got.columns:
                continue
            have = got.at[eid, key] if eid in got.index else None
            v.compared += 1
            if isinstance(have, str) and have.startswith("#"):
                v.errors.append((f"{YEAR} {eid} {key}", have))
            elif not agree(have, want):
                v.mismatches.append((f"{YEAR} {eid}", key, have, want))
    return v
