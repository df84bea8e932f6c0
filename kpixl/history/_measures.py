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


def _frame(ids: Sequence[str | None], keys: Sequence[PeriodKey | None]) -> pd.DataFrame:
    """The rows' person, period kind, ordinal and year, for grouping (rows with no id or period left out)."""
    ok = [r for r, (e, k) in enumerate(zip(ids, keys)) if e is not None and k is not None]
    return pd.DataFrame({"row": np.array(ok, dtype=int), "e": [ids[r] for r in ok], "kind": [keys[r].kind for r in ok],
                         "o": np.array([keys[r].ordinal for r in ok], dtype=np.int64),
                         "year": np.array([keys[r].year for r in ok], dtype=np.int64)})


def earlier(ids: Sequence[str | None], keys: Sequence[PeriodKey | None], lag: int) -> np.ndarray:
    """Per row, the row of the same person and period kind ``lag`` periods before (−1 when there is none)."""
    return _earlier(_frame(ids, keys), len(ids), lag)


def _earlier(rows: pd.DataFrame, n: int, lag: int) -> np.ndarray:
    """Per row, the row of the same person and kind ``lag`` periods before (−1 when there is none)."""
    out = np.full(n, -1, dtype=np.int64)
    before = rows.assign(o=rows["o"] + lag)[["e", "kind", "o", "row"]].rename(columns={"row": "prev"})
    got = rows.merge(before, on=["e", "kind", "o"], how="inner").drop_duplicates("row")
    out[got["row"].to_numpy()] = got["prev"].to_numpy()
    return out


def growth(values: np.ndarray, ids: Sequence[str | None], keys: Sequence[PeriodKey | None], periods: int) -> np.ndarray:
    """Per row: value / mean(the same person's ``periods`` previous values) − 1, to 9 places.

    NaN when the row's value is blank, when any of the previous periods has no row or a
    blank value (a gap breaks it, as for ``consecutive``), or when their mean is not above 0.
    """
    n = len(values)
    rows = _frame(ids, keys)
    ok = np.zeros(n, dtype=bool)
    ok[rows["row"].to_numpy()] = True
    ok &= ~np.isnan(values)
    total = np.zeros(n)
    for lag in range(1, periods + 1):
        prev = _earlier(rows, n, lag)
        v = np.where(prev >= 0, values[np.maximum(prev, 0)], np.nan)
        ok &= ~np.isnan(v)
        total += np.nan_to_num(v)
    mean = xlmath.round9(total / periods)
    ok &= mean > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ok, values / np.where(ok, mean, 1.0) - 1, np.nan)
    return np.where(ok, xlmath.round9(np.nan_to_num(ratio)), np.nan)


def _cells(rows: pd.DataFrame, groups: Sequence[str | None] | None) -> list:
    """The grouping keys of the people compared with each other: period kind, ordinal (and group)."""
    if groups is None:
        return ["kind", "o"]
    rows["g"] = [groups[r] for r in rows["row"]]
    rows["g"] = rows["g"].fillna("\0none")  # no group: kept apart (their values are blank anyway)
    return ["kind", "o", "g"]


def share(values: np.ndarray, keys: Sequence[PeriodKey | None], groups: Sequence[str | None] | None) -> np.ndarray:
    """Per row: value / the sum of the values of the period (within the row's group), to 9 places.

    Blank values count as 0 in the sum and have no share; a sum of 0 or less gives none.
    """
    rows = _frame(["" for _ in keys], keys)
    by = _cells(rows, groups)
    v = values[rows["row"].to_numpy()]
    rows["v"] = np.nan_to_num(v)
    total = xlmath.round9(rows.groupby(by, sort=False)["v"].transform("sum").to_numpy(dtype=float))
    ok = ~np.isnan(v) & (total > 0)
    out = np.full(len(values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[rows["row"].to_numpy()] = np.where(ok, xlmath.round9(np.nan_to_num(v / np.where(ok, total, 1.0))), np.nan)
    return out


def year_to_date(values: np.ndarray, ids: Sequence[str | None], keys: Sequence[PeriodKey | None],
                 how: str) -> np.ndarray:
    """Per row: the mean or sum of the person's values in the row's calendar year up to the row's period.

    Blank values are left out (a person with none has a blank aggregate).
    """
    rows = _frame(ids, keys).sort_values(["e", "kind", "year", "o"], kind="stable")
    v = values[rows["row"].to_numpy()]
    rows["v"], rows["c"] = np.nan_to_num(v), (~np.isnan(v)).astype(int)
    g = rows.groupby(["e", "kind", "year"], sort=False)
    s, c = g["v"].cumsum().to_numpy(dtype=float), g["c"].cumsum().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg = np.where(c > 0, s / np.maximum(c, 1) if how == "mean" else s, np.nan)
    out = np.full(len(values), np.nan)
    out[rows["row"].to_numpy()] = np.where(c > 0, xlmath.round9(np.nan_to_num(agg)), np.nan)
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
    rows = _frame(["" for _ in keys], keys)
    by = _cells(rows, groups)
    v = values[rows["row"].to_numpy()]
    rows["v"] = np.where(np.isnan(v), np.nan, xlmath.round9(np.nan_to_num(v)))
    g = rows.groupby(by, sort=False)["v"]
    rank = np.full(len(values), np.nan)
    count = np.zeros(len(values), dtype=int)
    rank[rows["row"].to_numpy()] = g.rank(method="min", ascending=lowest_first).to_numpy(dtype=float)
    count[rows["row"].to_numpy()] = g.transform("count").to_numpy(dtype=int)
    count[np.isnan(rank)] = 0
    return rank, count


def last_of_year(k: PeriodKey) -> bool:
    """December, Q4, H2, or a year: the period in which the year is complete."""
    return k.kind == "year" or k.n == {"month": 12, "quarter": 4, "half": 2}[k.kind]
