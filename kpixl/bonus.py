"""The bonus (绩效奖金), docs/scheme.md § Bonus: a curve of the total, factors, budget, commission.

One rule, two renderings, with the same operations in the same order::

    perf  = base × curve(total) × rating factor × level factor
    bonus = ROUND(perf × budget factor + commission rate × amount, round)

Multiplication is left to right in both (``B5*IF(…)*IF(…)*INDEX(…)``), so the
Python value and the spreadsheet value are the same double before rounding; the
rounding is on the decimal value (:func:`kpixl.xlmath.round_decimal`, written
``ROUND(ROUND(x,9),round)``), so a half cent is decided as Excel decides it.

* ``curve``: the first segment with ``total < below`` gives the factor (the last has
  no ``below``); ``factor: score`` is ``total / scale``. Seed 客服经理: 总分低于60分者
  此月无绩效奖金, 60–89分 绩效奖金总额/100×实得总分, ≥90分全额.
* ``rating_factor``: a rating not listed counts 1.
* ``level_factor``: a level not listed is an input problem (``unknown_level``), never
  a silent 1; its formula shows ``#N/A``. Levels match as text without regard to
  case, the cell read as it shows (``E5&""``: a number 3 matches level "3").
* ``budget``: when Σ perf exceeds it, every perf is scaled by ``budget / Σ perf``;
  never scaled up. The formula's factor is ``MIN(1,budget/MAX(budget,SUM(perf)))``:
  the same value, and no division by zero when every perf is 0.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd

from . import xlmath
from .errors import InputError, Problem
from .rules import level_key
from .scheme.models import Bonus, Column, CurveSegment, LevelFactor

__all__ = [
    "bonus_label",
    "RowProblem", "curve_factor", "curve_formula", "rating_factors", "rating_factor_formula",
    "level_factors", "level_factor_formula", "budget_factor", "bonus_problems",
    "bonus_amounts", "perf_formula", "bonus_formula",
]


class RowProblem(NamedTuple):
    """A bonus input problem: row position (0-based), input column, stable code, message."""

    row: int
    column: str
    code: str
    message: str


# ---- curve ---------------------------------------------------------------------------------


def curve_factor(curve: Sequence[CurveSegment], total: Any, scale: float) -> np.ndarray:
    """The curve's factor of each total.

    Args:
        curve: Segments from low totals to high; each but the last has ``below``.
        total: Totals, one per person.
        scale: Full marks of the total (``factor: score`` is ``total / scale``).

    Returns:
        Float factors; NaN where the total is NaN or no segment answers.
    """
    t = np.asarray(total, dtype=float)
    out = np.full(t.shape, np.nan)
    left = ~np.isnan(t)
    for seg in curve:
        hit = left if seg.below is None else left & (t < seg.below)
        value = t / scale if seg.factor == "score" else float(seg.factor)
        out = np.where(hit, value, out)
        left = left & ~hit
    return out


def curve_formula(curve: Sequence[CurveSegment], total_ref: str, scale: float) -> str:
    """The formula twin of :func:`curve_factor`.

    Returns:
        E.g. ``IF(H5<60,0,IF(H5<90,H5/100,1))``; ``NA()`` where no segment answers.
    """
    expr = "NA()"
    for seg in reversed(curve):
        value = f"{total_ref}/{xlmath.num(scale)}" if seg.factor == "score" else xlmath.num(seg.factor)
        expr = value if seg.below is None else f"IF({total_ref}<{xlmath.num(seg.below)},{value},{expr})"
    return expr


# ---- factors -------------------------------------------------------------------------------


def _text(v: Any) -> str | None:
    """A cell as text, the way ``cell&""`` shows it; None for an empty cell."""
    if isinstance(v, str):
        return v or None
    try:
        if v is None or bool(pd.isna(v)):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return xlmath.num(float(f"{float(v):.15g}"))  # a cell shows 15 significant digits
    return str(v)


def rating_factors(factors: dict[str, float] | None, rating: Any, n: int) -> np.ndarray:
    """Each person's rating factor; a rating not listed (or none) counts 1."""
    out = np.ones(n)
    if not factors or rating is None:
        return out
    texts = [(_text(v) or "").lower() for v in rating]
    for name, f in reversed(list(factors.items())):  # the first listed wins, as in the IF chain
        out[np.array([t == name.lower() for t in texts], dtype=bool)] = f
    return out


def rating_factor_formula(factors: dict[str, float] | None, rating_ref: str,
                          table: tuple[str, str] | None = None) -> str:
    """The formula twin of :func:`rating_factors`: ``IF(D5="优秀",1.2,IF(…,1))``.

    With ``table`` (the ranges of a names column and a factors column, e.g. on a
    parameters sheet finance edits) the factors are looked up there instead:
    ``IFERROR(INDEX(factors,MATCH(D5,names,0)),1)`` — MATCH, like the Python side,
    ignores case and takes the first name listed; the rating's ``~``, ``*`` and ``?`` are
    escaped (:func:`~kpixl.xlmath.plain`), so a name is never a wildcard.
    """
    if table is not None:
        names, values = table
        return f"IFERROR(INDEX({values},MATCH({xlmath.plain(rating_ref)},{names},0)),1)"
    expr = "1"
    for name, f in reversed(list((factors or {}).items())):
        if f != 1:
            expr = f"IF({rating_ref}={xlmath.text(name)},{xlmath.num(f)},{expr})"
    return expr


def _level_table(level_factor: LevelFactor) -> dict[str, float]:
    return {level_key(k).lower(): f for k, f in level_factor.factors.items()}


def level_factors(level_factor: LevelFactor, level: Any) -> np.ndarray:
    """Each person's level factor; NaN for a blank or unknown level (see :func:`bonus_problems`)."""
    table = _level_table(level_factor)
    return np.array([table.get((_text(v) or "").lower(), np.nan) for v in level], dtype=float)


def level_factor_formula(level_factor: LevelFactor, level_ref: str, table: tuple[str, str] | None = None) -> str:
    """The formula twin of :func:`level_factors`: ``IF(E5&""="A1",1,IF(E5&""="B1",1.3,NA()))``.

    An unknown or blank level gives ``#N/A``. With ``table`` (the ranges of a levels
    column holding text and a factors column) the factors are looked up there:
    ``INDEX(factors,MATCH(E5&"",levels,0))``, the level's wildcards escaped
    (:func:`~kpixl.xlmath.plain`), so a level ``A*`` never matches ``A1``.
    """
    if table is not None:
        keys_range, values_range = table
        key = xlmath.plain(f'{level_ref}&""')
        return f"INDEX({values_range},MATCH({key},{keys_range},0))"
    return xlmath.pick(f'{level_ref}&""', [(level_key(k), xlmath.num(f)) for k, f in level_factor.factors.items()])


def budget_factor(budget: float | None, perf: Any) -> float:
    """``budget / Σ perf`` when the sum exceeds the budget, else 1 (never scaled up)."""
    if budget is None:
        return 1.0
    total = math.fsum(np.asarray(perf, dtype=float))
    return min(1.0, budget / max(budget, total))


# ---- validation ----------------------------------------------------------------------------


def _column_of(value: float | Column, default: str) -> str:
    return value.column if isinstance(value, Column) else default


def _number_problems(values: Any, column: str, what: str, negative_ok: bool = True) -> list[RowProblem]:
    arr = np.asarray(values)
    if arr.dtype.kind in "fiu":  # the common case, vectorised: only the bad rows are looked at
        a = arr.astype(float)
        bad = ~np.isfinite(a)
        if not negative_ok:
            bad |= a < 0
        rows = np.flatnonzero(bad)
        found = _cell_problems(arr[rows].astype(object).tolist(), column, what, negative_ok)
        return [RowProblem(int(rows[p.row]), p.column, p.code, p.message) for p in found]
    return _cell_problems(list(values), column, what, negative_ok)


def _cell_problems(values: list, column: str, what: str, negative_ok: bool) -> list[RowProblem]:
    out = []
    for row, v in enumerate(values):
        kind = type(v)
        if (kind is float or kind is int) and math.isfinite(v) and (negative_ok or v >= 0):
            continue  # a good number (the common case)
        if _text(v) is None:
            out.append(RowProblem(row, column, "missing", f"{what} is blank: enter a number"))
        elif isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            out.append(RowProblem(row, column, "not_a_number", f"{what} must be a number — got {v!r}"))
        elif not math.isfinite(float(v)):
            out.append(RowProblem(row, column, "not_a_number", f"{what} must be a finite number — got {v!r}"))
        elif not negative_ok and v < 0:
            out.append(RowProblem(row, column, "negative", f"{what} cannot be negative — got {xlmath.num(v)}"))
    return out


def bonus_problems(bonus: Bonus, base: Any = None, level: Any = None, commission_amount: Any = None,
                   total: Any = None) -> list[RowProblem]:
    """Every per-row problem in the bonus inputs, for the engine to report with cell and name.

    Args:
        bonus: The scheme's bonus policy.
        base: Per-person base (月度绩效奖金), when ``bonus.base`` is a column.
        level: Per-person level (职级), when there is a ``level_factor``.
        commission_amount: Per-person amount (销售额), when the commission reads a column.
        total: Totals, when they should be checked too.

    Returns:
        ``RowProblem(row, column, code, message)`` records, rows 0-based; codes
        ``missing``, ``not_a_number``, ``negative``, ``unknown_level``. A policy input
        that is needed but not given (``base=None`` for a base column) is one problem
        with row -1.
    """
    out: list[RowProblem] = []

    def need(values: Any, column: str, what: str) -> bool:
        if values is None:
            out.append(RowProblem(-1, column, "missing", f"the {what} column {column} was not given"))
        return values is not None

    if total is not None:
        out += _number_problems(total, "total", "the total")
    if isinstance(bonus.base, Column) and need(base, bonus.base.column, "bonus base"):
        out += _number_problems(base, bonus.base.column, "the bonus base", negative_ok=False)
    lf = bonus.level_factor
    if lf is not None and need(level, lf.column, "level"):
        table, allowed = _level_table(lf), "、".join(level_key(k) for k in lf.factors)
        for row, v in enumerate(level):
            t = _text(v)
            if t is None:
                out.append(RowProblem(row, lf.column, "missing", f"the level is blank: enter one of {allowed}"))
            elif t.lower() not in table:
                out.append(RowProblem(row, lf.column, "unknown_level",
                                      f"level {t!r} has no bonus factor: enter one of {allowed}"))
    c = bonus.commission
    if c is not None and isinstance(c.amount, Column) and need(commission_amount, c.amount.column, "commission amount"):
        out += _number_problems(commission_amount, c.amount.column, "the commission amount")
    return sorted(out, key=lambda p: p.row)


# ---- amounts -------------------------------------------------------------------------------


def _per_person(value: float | Column, given: Any, n: int) -> np.ndarray:
    if isinstance(value, Column):
        return np.asarray(list(given), dtype=float)
    return np.full(n, float(value))


def bonus_amounts(bonus: Bonus, total: Any, scale: float, base: Any = None, rating: Any = None,
                  level: Any = None, commission_amount: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Performance pay and bonus for everyone.

    Args:
        bonus: The scheme's bonus policy.
        total: Totals, one per person (rounded, docs/scheme.md § Sections and the total).
        scale: The scheme's full marks of the total.
        base: Per-person base when ``bonus.base`` is a column (ignored for a fixed base).
        rating: Per-person rating names, for ``rating_factor``.
        level: Per-person levels, for ``level_factor``.
        commission_amount: Per-person amounts when the commission reads a column.

    Returns:
        ``(perf, bonus)`` float arrays: ``perf = base × curve × rating factor × level
        factor``; ``bonus = ROUND(perf × budget factor + rate × amount, round)``.

    Raises:
        InputError: Every problem :func:`bonus_problems` finds, at once; no amount is
            computed from a defaulted input.
    """
    found = bonus_problems(bonus, base, level, commission_amount, total)
    if found:
        raise InputError([Problem(f"inputs row {p.row + 1}, {p.column}" if p.row >= 0 else "inputs",
                                  p.code, p.message, column=p.column) for p in found], "bonus inputs")
    t = np.asarray(list(total), dtype=float)
    perf = _per_person(bonus.base, base, len(t)) * curve_factor(bonus.curve, t, scale)
    if bonus.rating_factor:
        perf = perf * rating_factors(bonus.rating_factor, rating, len(t))
    if bonus.level_factor is not None:
        perf = perf * level_factors(bonus.level_factor, level)
    # Never below the floor (0): a total of −100 pays nothing, not −3,000; floored before
    # the budget, so a negative amount never makes room in the budget for others.
    perf = np.maximum(perf, bonus.floor)
    pay = perf * budget_factor(bonus.budget, perf) if bonus.budget is not None else perf
    if bonus.commission is not None:
        c = bonus.commission
        pay = pay + c.rate * _per_person(c.amount, commission_amount, len(t))
    paid = np.maximum(np.asarray(xlmath.round_decimal(pay, bonus.round), dtype=float), bonus.floor)
    return perf, paid


def _product(terms: Sequence[str]) -> str:
    kept = [t for t in terms if t != "1"]
    return "*".join(xlmath.wrap(t) for t in kept) or "1"


def perf_formula(bonus: Bonus, total_ref: str, base_ref: str | None, scale: float,
                 rating_ref: str | None = None, level_ref: str | None = None,
                 rating_table: tuple[str, str] | None = None, level_table: tuple[str, str] | None = None) -> str:
    """The formula twin of ``perf`` in :func:`bonus_amounts`.

    Args:
        bonus: The scheme's bonus policy.
        total_ref: The total's cell.
        base_ref: The base's cell; None writes a fixed ``bonus.base`` as a number.
        scale: The scheme's full marks of the total.
        rating_ref: The rating's cell, needed with ``rating_factor``.
        level_ref: The level's cell, needed with ``level_factor``.
        rating_table: Look the rating factors up in these (names, factors) ranges.
        level_table: Look the level factors up in these (levels, factors) ranges.

    Returns:
        E.g. ``MAX(0,F5*IF(H5<60,0,IF(H5<90,H5/100,1))*IF(I5="优秀",1.2,1))`` (never below ``bonus.floor``).
    """
    if base_ref is None:
        if isinstance(bonus.base, Column):
            raise ValueError(f"the bonus base is the column {bonus.base.column}: give its cell")
        base_ref = xlmath.num(bonus.base)
    terms = [base_ref, curve_formula(bonus.curve, total_ref, scale)]
    if bonus.rating_factor:
        if rating_ref is None:
            raise ValueError("rating_factor needs the rating's cell")
        terms.append(rating_factor_formula(bonus.rating_factor, rating_ref, rating_table))
    if bonus.level_factor is not None:
        if level_ref is None:
            raise ValueError(f"level_factor needs the cell of {bonus.level_factor.column}")
        terms.append(level_factor_formula(bonus.level_factor, level_ref, level_table))
    return f"MAX({xlmath.num(bonus.floor)},{_product(terms)})"


def bonus_formula(bonus: Bonus, perf_ref: str, perf_range: str, commission_ref: str | None = None,
                  budget_ref: str | None = None) -> str:
    """The formula twin of ``bonus`` in :func:`bonus_amounts`.

    Args:
        bonus: The scheme's bonus policy.
        perf_ref: This person's perf cell.
        perf_range: Everyone's perf cells (``$J$5:$J$40``), for the budget.
        commission_ref: The commission amount's cell; None writes a fixed amount.
        budget_ref: A cell holding the budget (finance edits it): a blank or non-positive
            cell means no budget, as ``budget: null`` does.

    Returns:
        E.g. ``MAX(0,ROUND(ROUND(J5*MIN(1,50000/MAX(50000,SUM($J$5:$J$40)))+0.01*K5,9),2))``
        (:func:`kpixl.xlmath.round_formula`: rounded on the decimal value).
    """
    pay = perf_ref
    if budget_ref is not None:
        b = budget_ref
        pay = f"{perf_ref}*IF(N({b})>0,MIN(1,{b}/MAX({b},SUM({perf_range}))),1)"
    elif bonus.budget is not None:
        b = xlmath.num(bonus.budget)
        pay = f"{perf_ref}*MIN(1,{b}/MAX({b},SUM({perf_range})))"
    c = bonus.commission
    if c is not None:
        if commission_ref is None:
            if isinstance(c.amount, Column):
                raise ValueError(f"the commission amount is the column {c.amount.column}: give its cell")
            commission_ref = xlmath.num(c.amount)
        pay = f"{pay}+{xlmath.num(c.rate)}*{xlmath.wrap(commission_ref)}"
    return f"MAX({xlmath.num(bonus.floor)},{xlmath.round_formula(pay, bonus.round)})"


#: What the bonus of one period is called on a card and a sheet, by the scheme's period.
BONUS_LABELS = {"month": "当月绩效奖金", "quarter": "本季度绩效奖金", "half": "半年度绩效奖金", "year": "年度绩效奖金"}


def bonus_label(period_kind: str) -> str:
    """``month`` → 当月绩效奖金, ``quarter`` → 本季度绩效奖金, ``half`` → 半年度绩效奖金, ``year`` → 年度绩效奖金."""
    return BONUS_LABELS.get(period_kind, BONUS_LABELS["month"])
