"""The Python rendering of the pay: each line's amount per person, and 应发合计.

The same operations in the same order as the formulas of :mod:`.formulas`, so the
engine's double is the spreadsheet's before rounding; each line is rounded on its
decimal value (``ROUND(ROUND(x,9),round)``, :func:`kpixl.xlmath.round_decimal`) and the
total is the rounded sum of the rounded lines, never below ``floor``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from .. import xlmath
from ..engine.inputs import ID, is_blank, numbers, yes_no
from ..errors import InputError, Problem
from ..rules import level_key
from ..scheme.base import Column
from ..scheme.pay import OF_WAGE, TYPED, Pay, PayLine
from .formulas import percent

__all__ = ["AGREE", "REJECT", "counted_amounts", "counted_key", "BONUS", "CHANGE", "CHANGE_COLUMNS", "REASONS", "PayProblem", "commission", "achievement_key", "achievement_steps", "compute_pay", "count_values", "dates", "years_of_service",
           "pay_problems", "case_twins", "raise_amounts", "read_lines", "rule_reason", "salary_change", "total_key", "line_key"]

#: The approval that lets a reward or penalty count (奖罚审批's list: 同意 / 不同意).
AGREE, REJECT = "同意", "不同意"
#: The figures column holding each person's bonus (the rated sheet's ``bonus``).
BONUS = "bonus"
#: The history frame's signed wage fraction, first found wins; else −``history.deduction``.
CHANGE_COLUMNS = ("history.salary_change", "salary_change")
DEDUCTION = "history.deduction"
#: Where compute_pay reads the history fraction when it is given directly.
CHANGE = "salary_change"
REASONS = "history.reasons"


def line_key(line: PayLine | str) -> str:
    """The result column of a line: ``pay.<id>``."""
    return f"pay.{line if isinstance(line, str) else line.id}"


def total_key() -> str:
    """The result column of 应发合计."""
    return "pay.total"


class PayProblem(NamedTuple):
    """A pay input problem: row position (0-based; −1 for a whole column), column, code, message, value."""

    row: int
    column: str
    code: str
    message: str
    value: Any = None


@dataclass
class Lines:
    """The per-person values the lines read, as numbers (blank typed values read 0)."""

    n: int
    values: dict[str, np.ndarray]  # column → numbers (or text keys for a table raise)
    change: np.ndarray | None = None  # the history fraction, signed
    bonus: np.ndarray | None = None


def rule_reason(reasons: Any, rule_id: str, name: str | None = None) -> str | None:
    """One rule's reason out of a person's ``history.reasons`` (rules' reasons joined by ``；``,
    each starting with the rule's name, or ``<id>:`` when it has none); None when not there."""
    if not isinstance(reasons, str):
        return None
    for part in reasons.split("；"):
        if (name and part.startswith(f"{name}(")) or part.startswith(f"{rule_id}:"):
            return part
    return None


def salary_change(figures: pd.DataFrame) -> np.ndarray | None:
    """Each person's signed wage fraction from history: ``salary_change``, else −``history.deduction``.

    A blank cell (no rule fired, no history row) is 0. None when neither column is there.
    """
    for col in CHANGE_COLUMNS:
        if col in figures.columns:
            v, _ = numbers(figures[col])
            return np.where(np.isnan(v), 0.0, v)
    if DEDUCTION in figures.columns:
        v, _ = numbers(figures[DEDUCTION])
        return np.where(np.isnan(v), 0.0, -v)
    return None


def count_values(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A count or a yes/no flag (是 = 1, 否 = 0); blank is 0."""
    v, bad = numbers(col)
    if bad.any():
        yn, yn_bad = yes_no(col)
        v = np.where(bad & ~yn_bad, yn, v)
        bad = bad & yn_bad
    return np.where(np.isnan(v) & ~bad, 0.0, v), bad


def years_of_service(since: Any, as_of: datetime.date) -> int:
    """Whole years from ``since`` to ``as_of`` (Excel's ``DATEDIF(since, as_of, "y")``)."""
    return as_of.year - since.year - ((as_of.month, as_of.day) < (since.month, since.day))


def dates(s: pd.Series) -> tuple[list, np.ndarray]:
    """A column of dates (date cells, or text such as 2020-03-01); mask of unreadable cells."""
    out, bad = [], np.zeros(len(s), dtype=bool)
    for r, v in enumerate(s.tolist()):
        if isinstance(v, (datetime.date, pd.Timestamp)) and not pd.isna(v):
            out.append(v.date() if isinstance(v, (datetime.datetime, pd.Timestamp)) else v)
            continue
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            out.append(None)
            continue
        try:
            out.append(datetime.date.fromisoformat(str(v).strip()[:10]))
        except ValueError:
            out.append(None)
            bad[r] = True
    return out, bad


def read_lines(pay: Pay, figures: pd.DataFrame, problems: list[PayProblem],
               as_of: datetime.date | None = None) -> Lines:
    """Read every column the lines need from ``figures``, appending each problem found.

    A line typed on the pay sheet (per_event, range, fixed) whose column is absent reads
    0 for everyone: nobody had an event. Every other column must be there. A raise
    ``from_date`` reads dates and counts whole years of service up to ``as_of``.
    """
    n = len(figures)
    out = Lines(n, {})

    def need(col: str, why: str) -> pd.Series | None:
        if col in figures.columns:
            return figures[col]
        problems.append(PayProblem(-1, col, "missing_column", f"no column {col} (needed by {why})"))
        return None

    def money(col: str, why: str, negative_ok: bool = False) -> None:
        s = need(col, why)
        if s is None or col in out.values:
            return
        v, bad = numbers(s)
        blank = is_blank(s)
        for r in np.flatnonzero(bad):
            problems.append(PayProblem(int(r), col, "not_a_number", f"{col} must be a number ({why})", s.iloc[r]))
        for r in np.flatnonzero(blank):
            problems.append(PayProblem(int(r), col, "blank", f"{col} is empty (needed by {why})"))
        if not negative_ok:
            for r in np.flatnonzero(v < 0):
                problems.append(PayProblem(int(r), col, "negative", f"{col} cannot be negative ({why})", float(v[r])))
        out.values[col] = v

    for ln in pay.lines:
        why = f"pay line {ln.id}"
        if ln.type == "wage":
            money(ln.column, why)
        elif ln.type == "commission":
            money(ln.column, why)
        elif ln.type == "raise" and ln.from_date:
            s = need(ln.column, why)
            if s is None or ln.column in out.values:
                continue
            if as_of is None:
                problems.append(PayProblem(-1, ln.column, "missing",
                                           f"{why} counts years of service from {ln.column}: give the period's end"))
                continue
            days, bad = dates(s)
            years = np.full(n, np.nan)
            for r, d in enumerate(days):
                if bad[r]:
                    problems.append(PayProblem(r, ln.column, "not_a_date", f"{ln.column} must be a date ({why})",
                                               s.iloc[r]))
                elif d is None:
                    problems.append(PayProblem(r, ln.column, "blank", f"{ln.column} is empty (needed by {why})"))
                elif d > as_of:
                    problems.append(PayProblem(r, ln.column, "negative",
                                               f"{ln.column} is after the end of the period ({as_of.isoformat()})",
                                               d.isoformat()))
                else:
                    years[r] = years_of_service(d, as_of)
            out.values[ln.column] = years
        elif ln.type == "raise" and ln.steps is not None:
            money(ln.column, why)
        elif ln.type == "raise":
            s = need(ln.column, why)
            if s is not None:
                keys = [None if b else level_key(v) for v, b in zip(s.to_numpy(dtype=object), is_blank(s))]
                table = {level_key(k).lower() for k in ln.table}
                allowed = "、".join(level_key(k) for k in ln.table)
                for r, k in enumerate(keys):
                    if k is None:
                        problems.append(PayProblem(r, ln.column, "blank", f"{ln.column} is empty (needed by {why})"))
                    elif k.lower() not in table:
                        problems.append(PayProblem(r, ln.column, "unknown_grade",
                                                   f"{ln.label}: {k} has no raise in the table; enter one of {allowed}", k))
                out.values[ln.column] = np.array(keys, dtype=object)
        elif ln.type in TYPED and ln.history is not None:  # a history rule's flag: 1 fired, 0 not
            col = ln.source
            s = need(col, why)
            if s is None or col in out.values:
                continue
            # 1/0 (True/False) for one period; a pay over several periods (a year) may give
            # how many of them the rule fired in.
            v, bad = count_values(s)
            for r in np.flatnonzero(bad):
                problems.append(PayProblem(int(r), col, "not_a_number",
                                           f"{col} must be 1 or 0 (rule {ln.history} fired or not; {why})", s.iloc[r]))
            for r in np.flatnonzero((v < 0) & ~bad):
                problems.append(PayProblem(int(r), col, "negative", f"{col}: a count cannot be below 0 ({why})",
                                           float(v[r])))
            out.values[col] = np.where(np.isnan(v), 0.0, v)
        elif ln.type in TYPED:
            if ln.column not in figures.columns:
                out.values.setdefault(ln.column, np.zeros(n))
                continue
            s = figures[ln.column]
            v, bad = (numbers(s) if ln.type == "range" else count_values(s))
            for r in np.flatnonzero(bad):
                what = "a number" if ln.type == "range" else "a count or 是/否"
                problems.append(PayProblem(int(r), ln.column, "not_a_number", f"{ln.column} must be {what} ({why})",
                                           s.iloc[r]))
            v = np.where(np.isnan(v), 0.0, v)
            if ln.type == "range":
                lo, hi = xlmath.num(ln.min), xlmath.num(ln.max)
                x = np.asarray(xlmath.round9(v), dtype=float)
                for r in np.flatnonzero((x != 0) & ((x < ln.min) | (x > ln.max)) & ~bad):
                    problems.append(PayProblem(int(r), ln.column, "fraction_out_of_range",
                                               f"{ln.label}: the share must be 0 or between {lo} and {hi} "
                                               f"({percent(ln.min)}–{percent(ln.max)})", float(v[r])))
            else:
                for r in np.flatnonzero((v < 0) & ~bad):
                    problems.append(PayProblem(int(r), ln.column, "negative", f"{ln.column}: a count cannot be below 0",
                                               float(v[r])))
            out.values.setdefault(ln.column, v)
        elif ln.type == "achievement":
            col = achievement_key(ln.item)
            s = need(col, why)
            if s is not None and col not in out.values:
                v, bad = numbers(s)
                for r in np.flatnonzero(bad):
                    problems.append(PayProblem(int(r), col, "not_a_number",
                                               f"the achievement of {ln.item} must be a number (needed by {why})",
                                               s.iloc[r]))
                # No achievement (a blank actual, an item not applicable): nothing reached, as
                # the formula reads the blank actual as 0.
                out.values[col] = np.where(np.isnan(v), 0.0, v)
        elif ln.type == "history" and out.change is None:
            out.change = salary_change(figures)
            if out.change is None:
                problems.append(PayProblem(-1, CHANGE, "missing_column",
                                           f"no column {CHANGE} or {DEDUCTION} (needed by {why})"))
        elif ln.type == "bonus" and out.bonus is None:
            s = need(BONUS, why)
            if s is not None:
                out.bonus, bad = numbers(s)
                for r in np.flatnonzero(bad):
                    problems.append(PayProblem(int(r), BONUS, "not_a_number", f"the bonus must be a number ({why})",
                                               s.iloc[r]))
        if ln.type in OF_WAGE:
            base = pay.base_lines(ln)
            if isinstance(base, Column):
                money(base.column, f"the wage base of {ln.id}")
    return out


def pay_problems(pay: Pay, figures: pd.DataFrame, as_of: datetime.date | None = None) -> list[PayProblem]:
    """Every problem in the figures the pay reads, at once (rows 0-based; row −1 for a column);
    with a line under approval, ids that differ only in case too (:func:`case_twins`)."""
    found: list[PayProblem] = []
    read_lines(pay, figures, found, as_of)
    if any(ln.needs_approval for ln in pay.lines) and ID in figures.columns:
        found += case_twins(figures[ID].astype(str).tolist())
    return sorted(found, key=lambda p: p.row)


def case_twins(ids: list[str]) -> list[PayProblem]:
    """Ids equal to an earlier one but for case (``ab`` after ``AB``): 奖罚审批's COUNTIFS, like
    every criterion in Excel, WPS and LibreOffice, ignores case, so each would count the
    other's 同意 while :func:`compute_pay` keeps them apart."""
    first: dict[str, int] = {}
    found = []
    for k, e in enumerate(ids):
        j = first.setdefault(e.casefold(), k)
        if j != k and ids[j] != e:
            found.append(PayProblem(k, ID, "duplicate_id",
                                    f"工号 {e} differs from {ids[j]} (row {j + 1}) only in case: 奖罚审批 cannot "
                                    "tell them apart (Excel compares 工号 without case); give one another id", e))
    return found


# ---- the lines -------------------------------------------------------------------------------


def commission(line: PayLine, amount: Any) -> np.ndarray:
    """A commission line's amount before rounding (the formula's operations, in its order).

    * ``rate``: ``rate × amount``;
    * ``tiers`` marginal (累进): Σ ``MAX(0, MIN(amount, upto_k) − upto_{k−1}) × rate_k``;
    * ``tiers`` whole (全额): ``amount × rate`` of the first band whose ``upto`` holds the
      amount (compared on its decimal value), the last band's rate above them all.
    """
    a = np.asarray(amount, dtype=float)
    if line.tiers is None:
        return line.rate * a
    if (line.method or "marginal") == "whole":
        x = np.asarray(xlmath.round9(a), dtype=float)
        rate = np.full(a.shape, line.tiers[-1].rate)
        for t in reversed(line.tiers[:-1]):
            rate = np.where(x <= t.upto, t.rate, rate)
        return a * rate
    total, low = None, 0.0
    for t in line.tiers:
        part = np.maximum(0.0, (a if t.upto is None else np.minimum(a, t.upto)) - low)
        term = part * t.rate
        total = term if total is None else total + term
        low = t.upto if t.upto is not None else low
    return total


def raise_amounts(line: PayLine, by: Any) -> np.ndarray:
    """A raise line's amount: the step whose ``min`` is the highest not above the value
    (0 below the first), or the table's amount for the text (matched ignoring case)."""
    if line.steps is not None:
        x = np.asarray(xlmath.round9(np.asarray(by, dtype=float)), dtype=float)
        mins = np.array([s.min for s in line.steps])
        amounts = np.array([s.amount for s in line.steps])
        idx = np.searchsorted(mins, x, side="right") - 1
        return np.where(idx >= 0, amounts[np.maximum(idx, 0)], 0.0)
    table = {level_key(k).lower(): v for k, v in line.table.items()}
    return np.array([table.get(str(k).lower(), np.nan) if k is not None else np.nan for k in by], dtype=float)


def achievement_key(item: str) -> str:
    """The figures column of an item's achievement: ``achievement:<item>`` (as in the history frame)."""
    return f"achievement:{item}"


def achievement_steps(line: PayLine, x: Any) -> np.ndarray:
    """How many times an achievement line pays its fraction.

    Without ``every``: 1 once the achievement reaches ``start`` (compared on its decimal
    value), else 0. With ``every``: the whole steps above ``start``,
    ``MAX(0, INT(ROUND((x − start)/every, 9)))`` — 130% over 100% in 10% steps is 3, never 2.
    """
    x = np.asarray(x, dtype=float)
    start = 1.0 if line.start is None else line.start
    if line.every is None:
        return np.where(np.asarray(xlmath.round9(x), dtype=float) >= start, 1.0, 0.0)
    return np.maximum(0.0, np.floor(np.asarray(xlmath.round9((x - start) / line.every), dtype=float)))


def _base(pay: Pay, line: PayLine | None, got: dict[str, np.ndarray], lines: Lines) -> np.ndarray:
    base = pay.base_lines(line)
    if isinstance(base, Column):
        return lines.values[base.column]
    out = None
    for ref in base:  # summed left to right, as the formula's B3+C3
        out = got[ref] if out is None else out + got[ref]
    return out if out is not None else np.zeros(lines.n)


def wage_base(pay: Pay, got: dict[str, np.ndarray], lines: Lines) -> np.ndarray:
    """The pay's own wage base (当月工资) per person: the sum of its lines, or its column."""
    return _base(pay, None, got, lines)


def line_amounts(pay: Pay, lines: Lines) -> dict[str, np.ndarray]:
    """``{line id: amount}`` for every line, each rounded as its formula rounds it."""
    got: dict[str, np.ndarray] = {}
    digits = pay.round

    def rnd(x: np.ndarray) -> np.ndarray:
        return np.asarray(xlmath.round_decimal(x, digits), dtype=float)

    for ln in pay.lines:
        if ln.type == "wage":
            got[ln.id] = lines.values[ln.column]
        elif ln.type == "raise":
            got[ln.id] = rnd(raise_amounts(ln, lines.values[ln.column]))
        elif ln.type == "bonus":
            got[ln.id] = lines.bonus
        elif ln.type == "commission":
            got[ln.id] = rnd(commission(ln, lines.values[ln.column]))
        elif ln.type == "fixed":
            got[ln.id] = rnd(ln.amount * lines.values[ln.source])
    for ln in pay.lines:  # wage fractions: after every wage and raise line is known
        if ln.type not in OF_WAGE:
            continue
        w = _base(pay, ln, got, lines)
        if ln.type == "history":
            got[ln.id] = rnd(w * lines.change)
        elif ln.type == "per_event":
            got[ln.id] = rnd(w * ln.fraction * lines.values[ln.source])
        elif ln.type == "achievement":
            got[ln.id] = rnd(w * ln.fraction * achievement_steps(ln, lines.values[achievement_key(ln.item)]))
        else:  # range: the typed share, taken off (−W×V) or added
            got[ln.id] = rnd((w if ln.sign > 0 else -w) * lines.values[ln.column])
    return got


def total(pay: Pay, got: dict[str, np.ndarray], n: int,
          counted: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """应发合计: ``MAX(floor, ROUND(ROUND(SUM(lines),9),round))``; with ``counted`` (line id →
    the approved amount), a line under approval adds what is counted, not what is proposed."""
    s = np.zeros(n)
    for ln in pay.lines:
        s = s + (counted[ln.id] if counted is not None and ln.id in counted else got[ln.id])
    t = np.asarray(xlmath.round_decimal(s, pay.round), dtype=float)
    return t if pay.floor is None else np.maximum(t, pay.floor)


def counted_key(line: PayLine | str) -> str:
    """The result column of what a line under approval adds to 应发合计: ``pay.<id>.counted``."""
    return f"{line_key(line)}.counted"


def counted_amounts(pay: Pay, got: dict[str, np.ndarray], ids: list[str],
                    approvals: Mapping[tuple[str, str], Any]) -> dict[str, np.ndarray]:
    """``{line id: amount × approved}`` for every line that needs approval.

    A line counts for a person only when ``approvals[(employee id, line id)]`` is 同意
    (:data:`AGREE`); 不同意, blank or absent (pending) count 0, as the sheet's
    ``X3*(COUNTIFS(…,"同意")>0)``.
    """
    out = {}
    for ln in pay.lines:
        if ln.needs_approval:
            ok = np.array([approvals.get((e, ln.id)) == AGREE for e in ids], dtype=bool)
            out[ln.id] = np.where(ok, got[ln.id], 0.0)
    return out


def compute_pay(pay: Pay, figures: pd.DataFrame, as_of: datetime.date | None = None,
                approvals: Mapping[tuple[str, str], Any] | None = None) -> pd.DataFrame:
    """Each person's pay, line by line (docs/scheme.md § Pay).

    Args:
        pay: The scheme's pay (with finance's parameters, when they were edited).
        figures: One row per person: ``employee_id``; the columns the lines name (基本工资,
            工作年限, 业务量, counts, typed shares); ``achievement:<item>`` for an
            achievement line; ``bonus`` for a bonus line;
            ``history.salary_change`` or ``salary_change`` (signed; else
            −``history.deduction``) for a history line; ``history.<rule id>`` (1/0, True/False:
            the rule fired this period; over several periods, how many it fired in) for a
            fixed or per_event line reading a rule's flag (``history: <rule id>``). A typed line's column may be absent (nobody had
            an event); a blank typed cell is 0.
        as_of: The end of the period, for a raise by years of service ``from_date``
            (入职日期): whole years completed by then.
        approvals: The approval step (docs/scheme.md § Pay, approval): ``{(employee id,
            line id): 同意 | 不同意 | None}``. Given (even empty), a line that needs
            approval (:attr:`~kpixl.scheme.pay.PayLine.needs_approval`) adds to 应发合计
            only for the people whose entry is 同意. None: no approval step, every line
            counts (a pay sheet written without 奖罚审批).

    Returns:
        ``employee_id``, ``pay.wage_base`` (when a line takes a share of the wage),
        ``pay.<line id>`` per line (the proposed amount), with approvals
        ``pay.<line id>.counted`` per line under approval (what it adds), and
        ``pay.total`` (应发合计).

    Raises:
        InputError: Every problem at once (a blank wage, text in a count, a typed share
            outside its range, a 职称 with no raise…), placed at ``inputs row N, column``.
    """
    found: list[PayProblem] = []
    lines = read_lines(pay, figures, found, as_of)
    if approvals is not None and ID in figures.columns:
        found += case_twins(figures[ID].astype(str).tolist())
    if found:
        raise InputError([Problem(f"inputs row {p.row + 1}, {p.column}" if p.row >= 0 else "inputs", p.code,
                                  p.message, p.value, column=p.column) for p in sorted(found, key=lambda p: p.row)],
                         "pay inputs")
    got = line_amounts(pay, lines)
    out = pd.DataFrame({ID: figures[ID].astype(str).to_numpy() if ID in figures.columns else np.arange(lines.n)})
    if any(ln.type in OF_WAGE for ln in pay.lines):
        out["pay.wage_base"] = wage_base(pay, got, lines)
    counted = None if approvals is None else counted_amounts(pay, got, out[ID].tolist(), approvals)
    for ln in pay.lines:
        out[line_key(ln)] = got[ln.id]
        if counted is not None and ln.id in counted:
            out[counted_key(ln)] = counted[ln.id]
    out[total_key()] = total(pay, got, lines.n, counted)
    return out
