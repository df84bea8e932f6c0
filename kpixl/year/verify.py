"""``kpixl year --verify``: LibreOffice recalculates the year master; every figure must equal the engine's."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.inputs import ID
from ..results.verify import Verification, read_results
from .pay import PAY_YEAR
from .sheet import YEAR

__all__ = ["agree", "compare_year", "verify_year"]


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


def verify_year(path: Path, year) -> Verification:
    """Recalculate ``path`` with LibreOffice and compare ``年度汇总`` (and ``工资核算``, with
    pay) with ``year``'s engine figures."""
    from .. import libreoffice

    with tempfile.TemporaryDirectory() as d:
        out = libreoffice.recalculate([Path(path)], Path(d))[0]
        return compare_year(out, year)


def compare_year(recalculated: Path, year) -> Verification:
    """Compare a year master LibreOffice recalculated with ``year``'s engine figures.

    ``年度汇总`` always, and the year's ``工资核算`` when the scheme has pay.

    Args:
        recalculated: The year master as LibreOffice saved it (cached values recalculated).
        year: The :class:`kpixl.year.build.Year` the build returned.

    Returns:
        A :class:`kpixl.results.verify.Verification`: every result cell compared, the
        mismatches and error values.
    """
    v = Verification()
    _compare(v, YEAR, read_results(recalculated, YEAR), year.results())
    if year.pay is not None:
        _compare(v, PAY_YEAR, read_results(recalculated, PAY_YEAR), year.pay)
    return v


def _compare(v: Verification, sheet: str, got, engine) -> None:
    got = got.set_index(got[ID].astype(str))
    for _, row in engine.iterrows():
        eid = str(row[ID])
        for key, want in row.items():
            if key == ID or key not in got.columns:
                continue
            have = got.at[eid, key] if eid in got.index else None
            v.compared += 1
            if isinstance(have, str) and have.startswith("#"):
                v.errors.append((f"{sheet} {eid} {key}", have))
            elif not agree(have, want):
                v.mismatches.append((f"{sheet} {eid}", key, have, want))
