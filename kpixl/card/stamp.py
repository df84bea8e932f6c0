"""The identity stamp of a generated person sheet (docs/templates.md, "Identity").

A sheet-scoped defined name ``kpixl.stamp`` holds the text
``kpixl/1|<scheme id>|<version>|<employee id>|<period>|<checksum>``; the very hidden
sheet ``_kpixl`` repeats one row per person sheet. ``<checksum>`` is the first 16 hex
digits of SHA-256 over the sheet's formulas: one ``<cell>=<formula>`` line per formula
cell (``H12==ROUND(…)``: the formula text as stored, with its leading ``=``), sorted by
row then column, joined by ``\\n``, UTF-8. Collection recomputes it from the formulas it
reads (:func:`formula_checksum`) and trusts the stamp, never a sheet's name or place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

from ..xlsx.cells import cell_order

__all__ = ["STAMP_NAME", "STAMP_SHEET", "STAMP_VERSION", "Stamp", "formula_checksum"]

STAMP_NAME = "kpixl.stamp"
STAMP_SHEET = "_kpixl"
STAMP_VERSION = "kpixl/1"
#: The columns of the ``_kpixl`` sheet (row 1), one person sheet per row below.
STAMP_COLUMNS = ("sheet", "stamp", "scheme_id", "version", "employee_id", "period", "checksum")


def formula_checksum(formulas: Mapping[str, str]) -> str:
    """The first 16 hex digits of SHA-256 over ``cell=formula`` lines sorted by cell.

    Args:
        formulas: Cell (``H12``) → formula text with its leading ``=``.
    """
    lines = "\n".join(f"{c}={formulas[c]}" for c in sorted(formulas, key=cell_order))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Stamp:
    """What a stamp says."""

    scheme_id: str
    version: int
    employee_id: str
    period: str
    checksum: str

    def text(self) -> str:
        """``kpixl/1|cm-monthly-kpi|3|E1001|2026-11|0123456789abcdef``."""
        for part in (self.scheme_id, self.employee_id, self.period):
            if "|" in str(part):
                raise ValueError(f"{part!r}: a stamped field cannot hold '|'")
        return "|".join([STAMP_VERSION, self.scheme_id, str(self.version), self.employee_id, self.period, self.checksum])

    @classmethod
    def parse(cls, text: str) -> "Stamp":
        """Read a stamp's text back.

        Raises:
            ValueError: The text is not a ``kpixl/1`` stamp.
        """
        parts = str(text).split("|")
        if len(parts) != 6 or parts[0] != STAMP_VERSION or not parts[2].isdigit():
            raise ValueError(f"not a {STAMP_VERSION} stamp: {text!r}")
        return cls(parts[1], int(parts[2]), parts[3], parts[4], parts[5])
