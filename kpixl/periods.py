"""Appraisal periods: ``2026-11`` (month), ``2026Q4`` (quarter), ``2026H1`` (half), ``2026`` (year).

Pure period arithmetic for the core (history rules, level moves) and the workbook layer
(labels and dates of generated files, :mod:`kpixl.card.naming` re-exports
:func:`period_label` and :func:`period_start`).

A period has a kind and an ordinal: two periods of the same kind are adjacent when their
ordinals differ by one (2026-12 and 2027-01 are adjacent; 2026-10 and 2026-12 are not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = ["PeriodKey", "canonical_text", "parse_period", "period_label", "period_start", "previous_period"]

_MONTH = re.compile(r"^(\d{4})-(0?[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})[-\s]?[Qq]([1-4])$")
_HALF = re.compile(r"^(\d{4})[-\s]?[Hh]([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}
_FORMS = "2026-11 (month), 2026Q4 (quarter), 2026H1 (half) or 2026 (year)"


@dataclass(frozen=True, order=True)
class PeriodKey:
    """A parsed period.

    Attributes:
        kind: ``month``, ``quarter``, ``half`` or ``year``.
        year: The calendar year.
        n: The month (1–12), quarter (1–4) or half (1–2); 1 for a year.
    """

    kind: str
    year: int
    n: int = 1

    @property
    def ordinal(self) -> int:
        """Counts periods of this kind from year 0: adjacent periods differ by 1."""
        return self.year * _PER_YEAR[self.kind] + self.n - 1

    def previous(self, steps: int = 1) -> PeriodKey:
        """The period ``steps`` before this one, of the same kind (2027-01 → 2026-12)."""
        per = _PER_YEAR[self.kind]
        o = self.ordinal - steps
        return PeriodKey(self.kind, o // per, o % per + 1)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.n:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.n}"
        if self.kind == "half":
            return f"{self.year}H{self.n}"
        return str(self.year)


def parse_period(period: Any) -> PeriodKey:
    """Read a period: text in one of the four forms, a year number, or a date (its month).

    A date or datetime stands for its month: a cell where someone typed ``2026-11`` is
    often turned into the date 2026-11-01 by the spreadsheet.

    Raises:
        ValueError: Nothing of the four forms (the message lists them).
    """
    if isinstance(period, (datetime, date)):
        return PeriodKey("month", period.year, period.month)
    if isinstance(period, int) and not isinstance(period, bool) or isinstance(period, float) and period.is_integer():
        period = str(int(period))
    p = str(period).strip()
    if m := _MONTH.match(p):
        return PeriodKey("month", int(m[1]), int(m[2]))
    if m := _QUARTER.match(p):
        return PeriodKey("quarter", int(m[1]), int(m[2]))
    if m := _HALF.match(p):
        return PeriodKey("half", int(m[1]), int(m[2]))
    if m := _YEAR.match(p):
        return PeriodKey("year", int(m[1]))
    raise ValueError(f"period {period!r} is not {_FORMS}")


_LABEL = re.compile(r"^\s*(\d{4})\s*年\s*(?:(\d{1,2})\s*月(?:份)?|第\s*([1-4一二三四])\s*季度|([上下])半年|(?:度)?)\s*$")
_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}


def canonical_text(text: str) -> str:
    """A period typed as kpixl labels it (``2026年11月``, ``2026年第4季度``, ``2026年上半年``,
    ``2026年``/``2026年度``) in its canonical form (``2026-11``, ``2026Q4``, ``2026H1``, ``2026``);
    any other text as it is (:func:`parse_period` then says what is allowed).
    """
    m = _LABEL.match(str(text))
    if m is None:
        return text
    year, month, quarter, half = m.groups()
    if month is not None:
        return f"{year}-{int(month):02d}" if 1 <= int(month) <= 12 else text
    if quarter is not None:
        return f"{year}Q{_DIGIT.get(quarter) or int(quarter)}"
    if half is not None:
        return f"{year}H{1 if half == '上' else 2}"
    return year


def previous_period(period: Any, steps: int = 1) -> str:
    """The period before (``2026-01`` → ``2025-12``; ``2026Q1`` → ``2025Q4``), as text."""
    return str(parse_period(period).previous(steps))


def period_label(period: str) -> str:
    """``2026-11`` → ``2026年11月``; ``2026Q4`` → ``2026年第4季度``; ``2026H1`` → ``2026年上半年``.

    Raises:
        ValueError: The period is none of the four forms (the message lists them).
    """
    k = _parse_text(period)
    if k.kind == "month":
        return f"{k.year}年{k.n}月"
    if k.kind == "quarter":
        return f"{k.year}年第{k.n}季度"
    if k.kind == "half":
        return f"{k.year}年{'上' if k.n == 1 else '下'}半年"
    return f"{k.year}年"


def period_start(period: str) -> datetime:
    """The first day of a period (``2026Q4`` → 2026-10-01), e.g. a generated file's creation date."""
    k = _parse_text(period)
    month = {"month": k.n, "quarter": 3 * k.n - 2, "half": 1 if k.n == 1 else 7, "year": 1}[k.kind]
    return datetime(k.year, month, 1)


def _parse_text(period: Any) -> PeriodKey:
    """As :func:`parse_period`, for text only (labels keep refusing dates and numbers)."""
    if not isinstance(period, str):
        period = str(period)
    return parse_period(period)
