"""``kpixl year --verify``: LibreOffice recalculates the year master; every figure must equal the engine's."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..results.verify import Verification, compare_sheet, read_results
from .pay import PAY_YEAR
from .sheet import YEAR

__all__ = ["compare_year", "verify_year"]


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
    compare_sheet(v, YEAR, read_results(recalculated, YEAR), year.results())
    if year.pay is not None:
        compare_sheet(v, PAY_YEAR, read_results(recalculated, PAY_YEAR), year.pay)
    return v
