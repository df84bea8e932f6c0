"""Names in a generated workbook: person sheet names and period labels (docs/templates.md).

* A person sheet is named ``<姓名>-<employee id>`` with ``[]:*?/\\`` removed, cut to 31
  characters and made unique without regard to case (``…~2``, ``…~3``; the suffix is
  kept inside the 31 characters). Excel also refuses a name that starts or ends with
  ``'``, is blank, or is ``History``; those are mended the same way.
* A period is ``2026-11`` (month), ``2026Q4`` (quarter), ``2026H1`` (half) or ``2026``
  (year), labelled ``2026年11月``, ``2026年第4季度``, ``2026年上半年``, ``2026年``.
"""

from __future__ import annotations

import re
from typing import Iterable

from ..periods import period_label, period_start  # the parsing is core; re-exported here

__all__ = ["MAX_SHEET_NAME", "SheetNamer", "sheet_name", "period_label", "period_start", "quote_sheet"]

MAX_SHEET_NAME = 31
_ILLEGAL = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED = {"history"}  # Excel keeps this name for its change history


def _clean(text: str) -> str:
    return _ILLEGAL.sub("", text).strip().strip("'").strip()


def sheet_name(name: str, employee_id: str) -> str:
    """The base sheet name of a person before it is made unique: ``王伟-E1001``."""
    name = _clean(str(name or ""))
    eid = _clean(str(employee_id or ""))
    base = f"{name}-{eid}" if name and eid else (name or eid or "考核表")
    return base[:MAX_SHEET_NAME].rstrip().rstrip("'") or "考核表"


class SheetNamer:
    """Hands out legal, unique sheet names (case-insensitive, as Excel compares them).

    Args:
        taken: Names already used in the workbook (汇总, _kpixl…).
    """

    def __init__(self, taken: Iterable[str] = ()):
        self._used = {t.casefold() for t in taken} | _RESERVED

    def add(self, name: str, employee_id: str) -> str:
        """A legal, unused name for this person; it is reserved at once."""
        base = sheet_name(name, employee_id)
        out, k = base, 1
        while out.casefold() in self._used:
            k += 1
            suffix = f"~{k}"
            out = base[:MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
        self._used.add(out.casefold())
        return out


def quote_sheet(name: str) -> str:
    """A sheet name as a formula writes it: ``'王伟-E1001'`` (apostrophes doubled)."""
    return "'" + name.replace("'", "''") + "'"
