"""Measures kpixl derives from the long frame: growth, tenure, share, ranks, year aggregates.

Pure array arithmetic over the rows of a :class:`~kpixl.history._frame.Frame` (one row
per person and period), so that the frame keeps the columns and the problems, and these
stay testable on their own. Rows are compared only with rows of the same period kind
(months with months); a NaN value means "blank": not derived, not ranked.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import xlmath
from ..periods import PeriodKey

_LAST_MONTH = {"month": None, "quarter": 3, "half": 6, "year": 12}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def period_end(k: PeriodKey) -> date:
    """The last day of a period (2026-11 → 2026-11-30; 2026Q4 → 2026-12-31; 2026H1 → 2026-06-30)."""
    month = k.n if k.kind == "month" else _LAST_MONTH[k.kind] * k.n
    return date(k.year, month, calendar.monthrange(k.year, month)[1])


def read_date(v: Any) -> date | None:
    """A cell as a date: a date/datetime cell, or text ``2021-03-15``, ``2021/3/15``, ``2021年3月15日``.

    Returns:
        None for a blank cell.

    Raises:
        ValueError: Anything else (a bare number is refused: 2021 or 44270 is no date one can trust).
    """
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime):  # pd.Timestamp is a datetime
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        if m := _DATE.match(s):
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
    raise ValueError("must be a date such as 2021-03-15")


def whole_units(start: date, end: date, unit: str) -> float:
    """Whole years or months from ``start`` to ``end`` (2021-03-15 → 2026-11-30: 5 years, 68 months).

    A month is complete on the same day of a later month, or on that month's last day
    when it is shorter (2026-01-31 → 2026-02-28 is 1 month). NaN when ``end`` is before
    ``start``.
    """
    if end < start:
        return math.nan
    month_end = end.day == calendar.monthrange(end.year, end.month)[1]
    short = end.day < start.day and not month_end
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if short else 0)
    return float(months if unit == "months" else months // 12)


def _by_person(ids: Sequence[str | None], keys: Sequence[PeriodKey | None]) -> dict[tuple, int]:
    return {(e, k.kind, k.ordinal): r for r, (e, k) in enumerate(zip(ids, keys)) if e is not None and k is not None}


def growth(values: np.ndarray, ids: Sequence[str | None], keys: Sequence[PeriodKey | None], periods: int) -> np.ndarray:
    """Per row: value / mean(the same person's ``periods`` previous values) − 1, to 9 places.

    NaN when the row's value is blank, when any of the previous periods has no row or a
    blank value (a gap breaks it, as for ``consecutive``), or when their mean is not above 0.
    """
    at = _by_person(ids, keys)
    out = np.full(len(values), np.nan)
    for r, (e, k) in enumerate(zip(ids, keys)):
        if e is None or k is None or np.isnan(values[r]):
            continue
        before = [at.get((e, k.kind, k.ordinal - j)) for j in range(1, periods + 1)]
        if any(b is None or np.isnan(values[b]) for b in before):
            continue
        mean = float(xlmath.round9(sum(values[b] for b in before) / periods))
        if mean > 0:
            out[r] = float(xlmath.round9(values[r] / mean - 1))
    return out


def _cells(keys: Sequence[PeriodKey | None], groups: Sequence[str | None] | None) -> dict[tuple, list[int]]:
    """Rows by (period kind, ordinal, group): the people compared with each other."""
    cells: dict[tuple, list[int]] = defaultdict(list)
    for r, k in enumerate(keys):
        if k is not None:
            cells[(k.kind, k.ordinal, None if groups is None else groups[r])].append(r)
    return cells


def share(values: np.ndarray, keys: Sequence[PeriodKey | None], groups: Sequence[str | None] | None) -> np.ndarray:
    """Per row: value / the sum of the values of the period (within the row's group), to 9 places.

    Blank values count as 0 in the sum and have no share; a sum of 0 or less gives none.
    """
    out = np.full(len(values), np.nan)
    for rows in _cells(keys, groups).values():
        total = float(xlmath.round9(np.nansum(values[rows])))
        if total > 0:
            for r in rows:
                if not np.isnan(values[r]):
                    out[r] = float(xlmath.round9(values[r] / total))
    return out


def year_to_date(values: np.ndarray, ids: Sequence[str | None], keys: Sequence[PeriodKey | None],
                 how: str) -> np.ndarray:
    """Per row: the mean or sum of the person's values in the row's calendar year up to the row's period.

    Blank values are left out (a person with none has a blank aggregate).
    """
    seen: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
    for r, (e, k) in enumerate(zip(ids, keys)):
        if e is not None and k is not None and not np.isnan(values[r]):
            seen[(e, k.kind, k.year)].append((k.ordinal, float(values[r])))
    out = np.full(len(values), np.nan)
    for r, (e, k) in enumerate(zip(ids, keys)):
        if e is None or k is None:
            continue
        got = [v for o, v in seen.get((e, k.kind, k.year), []) if o <= k.ordinal]
        if got:
            out[r] = float(xlmath.round9(sum(got) / len(got) if how == "mean" else sum(got)))
    return out


def ranks(values: np.ndarray, keys: Sequence[PeriodKey | None], groups: Sequence[str | None] | None,
          lowest_first: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks (1224) within each period and group, highest value first.

    Values are compared to 9 places. ``lowest_first`` ranks from the bottom (排名最后:
    the lowest value is 1).

    Returns:
        ``(rank, count)`` per row: the rank (NaN for a blank value) and how many people
        with a value were ranked beside it.
    """
    v = np.where(np.isnan(values), np.nan, xlmath.round9(np.nan_to_num(values)))
    rank = np.full(len(v), np.nan)
    count = np.zeros(len(v), dtype=int)
    for rows in _cells(keys, groups).values():
        known = np.array([r for r in rows if not np.isnan(v[r])], dtype=int)
        if not len(known):
            continue
        x = v[known]
        xs = np.sort(x)
        better = np.searchsorted(xs, x, "left") if lowest_first else len(xs) - np.searchsorted(xs, x, "right")
        rank[known] = better + 1
        count[known] = len(known)
    return rank, count


def last_of_year(k: PeriodKey) -> bool:
    """December, Q4, H2, or a year: the period in which the year is complete."""
    return k.kind == "year" or k.n == {"month": 12, "quarter": 4, "half": 2}[k.kind]
