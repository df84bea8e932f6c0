"""The pay (工资核算) part of a scheme: lines summing to 应发合计 (docs/scheme.md § Pay).

Declaration only, like :mod:`.models`: what HR wrote. The amounts are computed by
:mod:`kpixl.pay` (Python) and written as live formulas by :mod:`kpixl.pay.sheet`.

Seed 客户服务经理薪酬: 基本工资 + 绩效奖金 + 提成, raises by 工作年限/职称. Seed
夜场客户经理奖罚: 完成目标奖励当月工资5%, 连续两个月未完成扣5%, 迟到早退每次扣2%, 工作失误扣
5%至20%, awards of 500/1,000/5,000元. One line type each:

========== ===================================================================
type       amount of the line
========== ===================================================================
wage       a roster column (基本工资)
raise      looked up from a table by a roster column: ``steps`` by a number
           (工作年限 ≥ min) or ``table`` by a text (职称)
bonus      the scheme's bonus (绩效奖金, the rated sheet's bonus)
commission ``rate`` × amount, or ``tiers`` marginal (累进) or whole-amount (全额)
history    the signed wage fraction the history rules give × the wage base
per_event  ``fraction`` (signed) × a count (or a history rule's flag) × the wage base (迟到早退 −2%/次)
achievement ``fraction`` × the wage base once an item's achievement reaches ``start``
           (完成目标奖励5%), or per whole ``every`` above it (每超出10%加2%)
range      a fraction the manager types within ``min``–``max`` × the wage base,
           taken off (``effect: penalty``) or added (工作失误 5%–20%)
fixed      ``amount`` (signed) × a count or a yes/no flag (奖励1000元), or × a history
           rule's flag: 1 in the period it fires (``history: satisfied3``)
========== ===================================================================
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Iterator, Literal, Sequence

from pydantic import Field, field_validator

from .base import Column, Model, ident

LineType = Literal["wage", "raise", "bonus", "commission", "history", "per_event", "achievement", "range", "fixed"]
LINE_TYPES: tuple[str, ...] = LineType.__args__  # type: ignore[attr-defined]
#: The lines whose amount is a share of the wage base (当月工资).
OF_WAGE = ("history", "per_event", "achievement", "range")
#: The lines whose per-person value may be typed on the pay sheet when the roster has no column.
TYPED = ("per_event", "range", "fixed")
#: The reward and penalty lines: proposals until approved, unless the line says ``approval: false``.
REVIEWED = ("history", "per_event", "achievement", "range", "fixed")

# What each type reads, needs and may carry (every other field is reported unused).
_NEEDS: dict[str, tuple[str, ...]] = {
    "wage": ("column",), "raise": ("column",), "bonus": (), "commission": ("column",), "history": (),
    "per_event": ("fraction",), "range": ("column", "min", "max"), "fixed": ("amount",),
    "achievement": ("item", "fraction"),
}
_MAY: dict[str, tuple[str, ...]] = {
    "wage": (), "raise": ("steps", "table", "from_date"), "bonus": (), "commission": ("rate", "tiers", "method"),
    "history": ("of",), "per_event": ("column", "history", "of"), "range": ("effect", "of"),
    "fixed": ("column", "history"),
    "achievement": ("start", "every", "of"),
}
_OPTIONAL = ("column", "rate", "tiers", "method", "fraction", "min", "max", "effect", "amount", "steps", "table", "of",
             "from_date", "item", "start", "every", "history")
#: The lines that may read a history rule's flag instead of a column (``history: <rule id>``).
FLAGGED = ("per_event", "fixed")


class Tier(Model):
    """One band of a commission table: ``{upto: 100000, rate: 0.01}``; the last has no ``upto``.

    A band holds amounts above the previous ``upto`` up to and including its own.
    """

    upto: float | None = Field(None, gt=0)
    rate: float = Field(ge=0, le=1)


class Step(Model):
    """One raise step: ``{min: 3, amount: 300}`` (工作年限满3年加300元)."""

    min: float = Field(ge=0)
    amount: float


class PayLine(Model):
    """One line of the pay (工资项目); which fields apply depends on ``type`` (module docstring).

    Attributes:
        id: Names the result column ``pay.<id>``.
        name: What the sheet calls the line (基本工资, 提成, 迟到早退).
        type: wage | raise | bonus | commission | history | per_event | range | fixed.
        column: The roster column read per person: the wage, the raise's 工作年限 or 职称,
            the commission amount (业务量), the count of events, the typed fraction, or
            the count/flag of a fixed amount.
        rate: A flat commission rate (0.01 = 1%).
        tiers: A tiered commission table, bands from low amounts to high.
        method: ``marginal`` (累进: each band's rate on the part in the band) or
            ``whole`` (全额: the rate of the band the amount falls in, on all of it).
        fraction: Signed share of the wage base per event (迟到早退 −0.02).
        min: The lowest fraction the manager may type (0.05 = 5%).
        max: The highest fraction the manager may type (0.20).
        effect: ``penalty`` (the typed fraction is taken off) or ``reward``.
        amount: A signed amount of money per event or flag (1000 = 奖励1000元).
        steps: Raise steps by a number, lowest ``min`` first; below the first, no raise.
        item: The scheme item whose achievement (实际/目标) an achievement line reads.
        start: The achievement an achievement line counts from (default 1.0 = 100%).
        every: Count one ``fraction`` per whole ``every`` above ``start`` (0.1 = 每10%);
            without it, one ``fraction`` once the achievement reaches ``start``.
        from_date: The raise's column holds a date (入职日期): the steps look up the whole
            years of service completed at the end of the period (``DATEDIF(…,"y")``).
        history: A history rule's id (per_event, fixed): the line counts 1 in the period
            the rule fires for the person, else 0 (its ``history.<rule id>`` flag),
            instead of a ``column``.
        table: Raise amounts by a text (``{初级: 0, 中级: 300, 高级: 800}``).
        of: The wage base this line takes a share of, when not the pay's ``wage_base``.
        description: What the rule says, as printed (the seed's words).
        approval: Whether the line is a proposal until management approves it on
            奖罚审批 (所有奖励与惩罚均需经过管理层审核批准); default: on for the reward and
            penalty lines (history, per_event, achievement, range, fixed), off for the rest.
    """

    id: str
    name: str | None = None
    type: LineType
    column: str | None = Field(None, min_length=1)
    rate: float | None = Field(None, ge=0, le=1)
    tiers: list[Tier] | None = Field(None, min_length=1)
    method: Literal["marginal", "whole"] | None = None
    fraction: float | None = Field(None, ge=-1, le=1)
    min: float | None = Field(None, ge=0, le=1)
    max: float | None = Field(None, ge=0, le=1)
    effect: Literal["penalty", "reward"] | None = None
    amount: float | None = None
    steps: list[Step] | None = Field(None, min_length=1)
    table: dict[str, float] | None = Field(None, min_length=1)
    of: list[str] | Column | None = None
    from_date: bool | None = None
    item: str | None = None
    start: float | None = None
    every: float | None = Field(None, gt=0)
    history: str | None = Field(None, min_length=1)
    description: str | None = None
    approval: bool | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return ident(v, "pay line id")

    @field_validator("table", mode="before")
    @classmethod
    def _text_keys(cls, v):
        return {str(k): f for k, f in v.items()} if isinstance(v, dict) else v

    @property
    def label(self) -> str:
        """The line's name, else its id."""
        return self.name or self.id

    @property
    def source(self) -> str | None:
        """The figures column the line reads per person: ``column``, or ``history.<rule id>``."""
        return f"history.{self.history}" if self.history is not None else self.column

    @property
    def is_typed(self) -> bool:
        """Whether the line's value may be typed on the pay sheet (a per_event, range or
        fixed line reading a column, not a history rule's flag)."""
        return self.type in TYPED and self.history is None

    @property
    def needs_approval(self) -> bool:
        """Whether the line counts in 应发合计 only once approved (``approval``, else its type)."""
        return self.approval if self.approval is not None else self.type in REVIEWED

    @property
    def sign(self) -> int:
        """−1 for a range line taken off (the default), +1 for one added."""
        return 1 if self.effect == "reward" else -1


class Pay(Model):
    """The pay (工资核算): lines per person summing to 应发合计.

    Attributes:
        lines: The lines, in the order the sheet shows them.
        wage_base: What a wage fraction is a share of (当月工资): the ids of wage or raise
            lines (summed), or ``{column: …}``; default every ``wage`` line.
        floor: 应发合计 is never below this (default 0: deductions never make pay negative;
            a scheme may put the local minimum wage here); ``null`` for no floor.
        round: Decimal places of every line and of the total (default 2, 分).
    """

    lines: list[PayLine] = Field(min_length=1)
    wage_base: list[str] | Column | None = None
    floor: float | None = 0
    round: int = Field(2, ge=0, le=4)

    def line(self, line_id: str) -> PayLine:
        for ln in self.lines:
            if ln.id == line_id:
                return ln
        raise KeyError(line_id)

    def base_lines(self, line: PayLine | None = None) -> list[str] | Column:
        """The wage base of a line (its ``of``, else the pay's ``wage_base``, else the wage lines)."""
        of = line.of if line is not None and line.of is not None else self.wage_base
        if of is None:
            return [ln.id for ln in self.lines if ln.type == "wage"]
        return of

    def roster_columns(self) -> dict[str, str]:
        """``{column: needed by}`` of the roster columns the lines read (typed lines included)."""
        cols: dict[str, str] = {}
        for k, ln in enumerate(self.lines):
            if ln.column and ln.column not in cols:
                cols[ln.column] = f"pay.lines[{k}]"
            if isinstance(ln.of, Column) and ln.of.column not in cols:
                cols[ln.of.column] = f"pay.lines[{k}].of"
        if isinstance(self.wage_base, Column) and self.wage_base.column not in cols:
            cols[self.wage_base.column] = "pay.wage_base"
        return cols


# ---- cross-field checks (run by kpixl.scheme.check) -----------------------------------------

Found = tuple[str, str, str]


def check_pay(pay: Pay, has_bonus: bool, has_history: bool, items: dict[str, bool] | None = None,
              rules: Sequence[str] | None = None) -> Iterator[Found]:
    """Every cross-field problem of ``pay``, each ``(YAML path, code, message)``.

    Args:
        pay: The scheme's pay.
        has_bonus: The scheme has a ``bonus`` (a bonus line reads it).
        has_history: The scheme has ``history`` rules (a history line reads them).
        items: The scheme's item ids, each with whether its rule has an achievement
            (None: not checked).
        rules: The ids of the scheme's history rules, which a line's ``history`` names
            (None: not checked).
    """
    ids = Tally(ln.id for ln in pay.lines)
    reserved = {"total", "wage_base"}
    for k, ln in enumerate(pay.lines):
        p = f"pay.lines[{k}]"
        if ids[ln.id] > 1:
            yield f"{p}.id", "duplicate_id", f"pay line id {ln.id!r} is used more than once"
        if ln.id in reserved:
            yield f"{p}.id", "reserved_id", f"id {ln.id!r} is reserved for a result column; choose another"
        for f in _NEEDS[ln.type]:
            if getattr(ln, f) is None:
                yield f"{p}.{f}", "missing", f"a {ln.type} line needs {f}"
        for f in _OPTIONAL:
            if getattr(ln, f) is not None and f not in _NEEDS[ln.type] + _MAY[ln.type]:
                yield f"{p}.{f}", "field_unused", f"{f} is not used by a {ln.type} line"
        if ln.type == "bonus" and not has_bonus:
            yield f"{p}.type", "no_bonus", "a bonus line pays the scheme's bonus: add bonus: to the scheme"
        if ln.type == "history" and not has_history:
            yield f"{p}.type", "no_history", "a history line pays what the history rules give: add history: rules"
        if ln.type in FLAGGED and ln.column is not None and ln.history is not None:
            yield f"{p}.history", "column_or_history", (f"a {ln.type} line reads either column (a count) or history "
                                                        "(a rule's flag), not both")
        elif ln.type in FLAGGED and ln.column is None and ln.history is None:
            yield f"{p}.column", "missing", f"a {ln.type} line needs column (a count) or history (a rule's id)"
        if ln.type in FLAGGED and ln.history is not None:
            if not has_history:
                yield f"{p}.history", "no_history", (f"line {ln.id} reads history rule {ln.history!r}: "
                                                     "add history: rules")
            elif rules is not None and ln.history not in rules:
                yield f"{p}.history", "unknown_rule", (f"no history rule {ln.history!r}; rules are "
                                                       f"{', '.join(rules) or 'none'}")
        if ln.type == "achievement" and items is not None and ln.item is not None:
            if ln.item not in items:
                yield f"{p}.item", "unknown_item", f"no item {ln.item!r} in the scheme; items are {', '.join(items)}"
            elif not items[ln.item]:
                with_x = ", ".join(k for k, x in items.items() if x) or "none"
                yield f"{p}.item", "no_achievement", (f"item {ln.item} has no achievement (实际/目标): its rule scores "
                                                       f"no target; items with one are {with_x}")
        if ln.type == "commission" and (ln.rate is None) == (ln.tiers is None):
            yield f"{p}.rate", "rate_or_tiers", "a commission line needs either rate (flat) or tiers (a table), not both"
        if ln.method is not None and ln.tiers is None:
            yield f"{p}.method", "field_unused", "method is only used with tiers"
        if ln.tiers is not None:
            yield from _check_tiers(f"{p}.tiers", ln.tiers)
        if ln.type == "raise":
            if (ln.steps is None) == (ln.table is None):
                yield f"{p}.steps", "steps_or_table", ("a raise line needs either steps (by a number such as 工作年限) "
                                                       "or table (by a text such as 职称), not both")
            if ln.from_date and ln.steps is None:
                yield f"{p}.from_date", "field_unused", "from_date counts years of service: it needs steps, not a table"
            for j in range(1, len(ln.steps or [])):
                if ln.steps[j].min <= ln.steps[j - 1].min:
                    yield f"{p}.steps[{j}].min", "steps_order", "raise steps run from low to high: each min must exceed the one before"
        if ln.min is not None and ln.max is not None and ln.min > ln.max:
            yield f"{p}.min", "range_backwards", f"min {ln.min:g} is above max {ln.max:g}"
        if ln.type in OF_WAGE:
            yield from _check_base(pay, f"{p}.of" if ln.of is not None else "pay.wage_base", pay.base_lines(ln))
    if pay.wage_base is not None and not any(ln.type in OF_WAGE for ln in pay.lines):
        yield "pay.wage_base", "field_unused", "wage_base is only used by history, per_event and range lines"


def _check_tiers(p: str, tiers: list[Tier]) -> Iterator[Found]:
    for j, t in enumerate(tiers):
        last = j == len(tiers) - 1
        if last and t.upto is not None:
            yield f"{p}[{j}].upto", "tiers_last_upto", "the last tier has no upto: it takes every higher amount"
        if not last and t.upto is None:
            yield f"{p}[{j}].upto", "tiers_upto_missing", "every tier but the last needs upto"
        if j and t.upto is not None and tiers[j - 1].upto is not None and t.upto <= tiers[j - 1].upto:
            yield f"{p}[{j}].upto", "tiers_order", "tiers run from low amounts to high: each upto must exceed the one before"


def _check_base(pay: Pay, p: str, base: list[str] | Column) -> Iterator[Found]:
    if isinstance(base, Column):
        return
    if not base:
        yield p, "no_wage_base", "a wage fraction needs a wage base: add a wage line, or give wage_base / of"
    known = {ln.id: ln.type for ln in pay.lines}
    for j, ref in enumerate(base):
        if known.get(ref) not in ("wage", "raise"):
            allowed = ", ".join(ln.id for ln in pay.lines if ln.type in ("wage", "raise")) or "none"
            yield f"{p}[{j}]", "unknown_line", f"no wage or raise line {ref!r}; they are {allowed}"
