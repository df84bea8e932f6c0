"""The Excel rendering of the pay: one formula per line, and the header that names its rule.

Twins of :mod:`.amounts`, operation for operation. Parameters (rates, tables, shares,
amounts, the floor) are read from cells finance may edit when their references are
given (:class:`Params`), else written as numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .. import xlmath
from ..scheme.base import Column
from ..scheme.pay import Pay, PayLine

__all__ = ["Params", "history_rules", "line_formula", "line_title", "percent", "rule_text", "total_formula",
           "wage_base_formula"]


@dataclass
class Params:
    """Cell references of the parameters, by key (``floor``, ``<id>.rate``,
    ``<id>.tiers[0].upto``, ``<id>.steps.min`` (a range)…); a key not here is written as a number."""

    refs: dict[str, str] = field(default_factory=dict)
    as_of: datetime.date | None = None  # the period's end, for years of service

    def date(self) -> str:
        """The period's end: its cell, else ``DATE(y,m,d)``."""
        if "as_of" in self.refs:
            return self.refs["as_of"]
        if self.as_of is None:
            raise ValueError("a raise by years of service needs the period's end (as_of)")
        return f"DATE({self.as_of.year},{self.as_of.month},{self.as_of.day})"

    def get(self, key: str, value: float) -> str:
        return self.refs.get(key) or xlmath.num(value)


def _round(expr: str, digits: int) -> str:
    return xlmath.round_formula(expr, digits)


def commission_formula(line: PayLine, amount: str, p: Params) -> str:
    """The unrounded twin of :func:`.amounts.commission` over the amount's cell."""
    if line.tiers is None:
        return f"{p.get(f'{line.id}.rate', line.rate)}*{amount}"
    tiers = line.tiers
    upto = [p.get(f"{line.id}.tiers[{k}].upto", t.upto) if t.upto is not None else None for k, t in enumerate(tiers)]
    rate = [p.get(f"{line.id}.tiers[{k}].rate", t.rate) for k, t in enumerate(tiers)]
    if (line.method or "marginal") == "whole":
        expr = rate[-1]
        for k in range(len(tiers) - 2, -1, -1):
            expr = f"IF(ROUND({amount},9)<={upto[k]},{rate[k]},{expr})"
        return f"{amount}*{xlmath.wrap(expr)}"
    terms, low = [], None
    for k in range(len(tiers)):
        top = amount if upto[k] is None else f"MIN({amount},{upto[k]})"
        terms.append(f"MAX(0,{top}{'' if low is None else '-' + low})*{rate[k]}")
        low = upto[k] if upto[k] is not None else low
    return "+".join(terms)


def raise_formula(line: PayLine, by: str, p: Params) -> str:
    """The twin of :func:`.amounts.raise_amounts`: ``IFERROR(LOOKUP(ROUND(Y,9),mins,amounts),0)``
    for steps; ``INDEX(amounts,MATCH(T&"",keys,0))`` for a table on 薪酬参数 (#N/A for an unknown
    key; the text's wildcards escaped, :func:`~kpixl.xlmath.plain`), ``IF(T&""="初级",0,…,NA())``
    for a table written into the formula (:func:`~kpixl.xlmath.pick`)."""
    if line.steps is not None:
        if line.from_date:
            by = f'DATEDIF({by},{p.date()},"y")'
        else:
            by = f"ROUND({by},9)"
        mins = p.refs.get(f"{line.id}.steps.min") or "{" + ",".join(xlmath.num(s.min) for s in line.steps) + "}"
        amounts = p.refs.get(f"{line.id}.steps.amount") or "{" + ",".join(xlmath.num(s.amount) for s in line.steps) + "}"
        return f"IFERROR(LOOKUP({by},{mins},{amounts}),0)"
    keys, amounts = p.refs.get(f"{line.id}.table.key"), p.refs.get(f"{line.id}.table.amount")
    if keys is None or amounts is None:  # the table in the formula: = knows no wildcards
        return xlmath.pick(f'{by}&""', [(k, xlmath.num(v)) for k, v in line.table.items()])
    key = xlmath.plain(f'{by}&""')
    return f"INDEX({amounts},MATCH({key},{keys},0))"


def achievement_steps_formula(line: PayLine, x: str, p: Params) -> str:
    """The twin of :func:`.amounts.achievement_steps` over the achievement's cell."""
    start = p.get(f"{line.id}.start", 1.0 if line.start is None else line.start)
    if line.every is None:
        return f"IF(ROUND({x},9)>={start},1,0)"
    return f"MAX(0,INT(ROUND(({x}-{start})/{p.get(f'{line.id}.every', line.every)},9)))"


def wage_base_formula(pay: Pay, line: PayLine | None, ref: Callable[[str], str]) -> str:
    """The wage base (当月工资) of a line, or of the pay with ``line`` None: ``B3+C3``, or the base column's cell.

    Args:
        pay: The pay.
        line: The line whose ``of`` applies; None for the pay's ``wage_base``.
        ref: A column key's cell in this row (``pay.<id>``, ``pay.<id>.of``).
    """
    base = pay.base_lines(line)
    if isinstance(base, Column):
        return ref(f"pay.{line.id}.of" if line is not None and line.of is not None else "pay.wage_base")
    return "+".join(ref(f"pay.{b}") for b in base) or "0"


def line_formula(pay: Pay, line: PayLine, ref: Callable[[str], str], p: Params,
                 bonus_ref: str | None = None) -> str | None:
    """The formula of one line in one row; None for a wage line (its cell is the value).

    Args:
        pay: The pay.
        line: The line.
        ref: A column key's cell in this row (``pay.<id>.count``, ``pay.wage_base``…).
        p: The parameter cells.
        bonus_ref: The bonus's cell (on the rated sheet), for a bonus line.
    """
    d = pay.round
    i = line.id
    if line.type == "wage":
        return None
    if line.type == "bonus":
        return bonus_ref
    if line.type == "raise":
        return _round(raise_formula(line, ref(f"pay.{i}.by"), p), d)
    if line.type == "commission":
        return _round(commission_formula(line, ref(f"pay.{i}.amount"), p), d)
    if line.type == "fixed":
        return _round(f"{p.get(f'{i}.amount', line.amount)}*{ref(f'pay.{i}.count')}", d)
    own = line.of is not None
    w = xlmath.wrap(wage_base_formula(pay, line, ref)) if own else ref("pay.wage_base")
    if line.type == "history":
        return _round(f"{w}*{ref(f'pay.{i}.change')}", d)
    if line.type == "per_event":
        return _round(f"{w}*{p.get(f'{i}.fraction', line.fraction)}*{ref(f'pay.{i}.count')}", d)
    if line.type == "achievement":
        return _round(f"{w}*{p.get(f'{i}.fraction', line.fraction)}*{achievement_steps_formula(line, ref(f'pay.{i}.achievement'), p)}", d)
    return _round(f"{'' if line.sign > 0 else '-'}{w}*{ref(f'pay.{i}.typed')}", d)


def total_formula(pay: Pay, line_refs: Sequence[str], p: Params) -> str:
    """应发合计: ``MAX(floor,ROUND(ROUND(SUM(B3,D3,…),9),2))`` (no MAX without a floor)."""
    s = _round(f"SUM({','.join(line_refs)})", pay.round)
    if pay.floor is None:
        return s
    return f"MAX({p.get('floor', pay.floor)},{s})"


# ---- headers ---------------------------------------------------------------------------------


def percent(x: float, signed: bool = False) -> str:
    """0.05 → ``5%`` (read to 9 places: 0.07 is 7%, not 7.000000000000001%); ``signed``: ``−5%``/``+5%``."""
    v = xlmath.num(float(xlmath.round9(abs(x) * 100))) + "%"
    return (("+" if x > 0 else "−" if x < 0 else "") + v) if signed else v


def _money(x: float) -> str:
    r = float(xlmath.round9(x))
    return f"{r:,.0f}" if r.is_integer() else f"{r:,.2f}"


def history_rules(history) -> list[tuple[str, float]]:
    """``(name, signed fraction)`` of the history rules that change pay (``salary_change``,
    else −``salary_deduction``)."""
    out = []
    for r in getattr(history, "rules", None) or []:
        change = getattr(r, "salary_change", None)
        if change is None and r.salary_deduction:
            change = -r.salary_deduction
        if change:
            out.append((r.name or r.id, float(change)))
    return out


def rule_text(line: PayLine, rules: Sequence[tuple[str, float]] = ()) -> str:
    """The rule of a line in words, for its header: ``累进: ≤100,000 1%; 以上 2%``, ``−2%/次``."""
    t = line.type
    if t == "wage":
        return f"花名册: {line.column}"
    if t == "bonus":
        return "考核奖金"
    if t == "raise":
        if line.steps is not None:
            unit = "满年数" if line.from_date else ""
            return f"按{line.column}{unit}: " + "; ".join(f"≥{xlmath.num(s.min)} {_money(s.amount)}" for s in line.steps)
        return f"按{line.column}: " + "; ".join(f"{k} {_money(v)}" for k, v in line.table.items())
    if t == "commission":
        if line.tiers is None:
            return f"{line.column}×{percent(line.rate)}"
        bands = "; ".join(f"≤{_money(x.upto)} {percent(x.rate)}" if x.upto is not None else f"以上 {percent(x.rate)}"
                          for x in line.tiers)
        return ("全额" if line.method == "whole" else "累进") + f": {bands}"
    if t == "history":
        return "; ".join(f"{name} {percent(f, signed=True)}" for name, f in rules) or "历史规则"
    if t == "per_event":
        return f"{percent(line.fraction, signed=True)}/次"
    if t == "achievement":
        start = percent(1.0 if line.start is None else line.start)
        if line.every is None:
            return f"完成率≥{start} {percent(line.fraction, signed=True)}"
        return f"完成率超过{start}每{percent(line.every)} {percent(line.fraction, signed=True)}"
    if t == "range":
        s = "+" if line.sign > 0 else "−"
        return f"{s}{percent(line.min)}~{s}{percent(line.max)}"
    return f"{'+' if line.amount >= 0 else '−'}{_money(abs(line.amount))}元/次"


def line_title(line: PayLine, rules: Sequence[tuple[str, float]] = ()) -> str:
    """The header of a line: its name and its rule, ``迟到早退 (−2%/次)``."""
    return f"{line.label} ({rule_text(line, rules)})"
