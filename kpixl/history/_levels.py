"""Level moves on the ladder (职级晋降) proposed from annual results: proposals with reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import xlmath
from ..engine.inputs import ID, Table, read_table
from ..errors import InputError, Problem
from ..periods import parse_period
from ..scheme.models import LevelRule, Levels
from ._frame import COMPARE, Frame, fmt_number, fmt_percent, read_frame, text

MOVES = ("promote", "demote", "keep", "review")

# How a reason says a qualification bound (min ≥, above >, max ≤, below <) is not met:
# 投诉率 2% 未低于 A1 上限 2% for below: 0.02 (低于2%才可晋升).
_SIGN = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
_UNMET = {">=": "未达", ">": "未高于", "<=": "超过", "<": "未低于"}
_WHAT = {">=": "门槛", ">": "门槛", "<=": "上限", "<": "上限"}


def level_proposals(levels: Levels, annual: pd.DataFrame | Table, roster: pd.DataFrame | Table | Any,
                    year: str) -> pd.DataFrame:
    """A proposed level for every person on the roster, with the reason, for HR to decide.

    Rules are read over annual rows; ``years: N`` means the N calendar years up to
    ``year`` (2025 and 2026 for N = 2), each with a row meeting ``when`` — a missing
    year breaks the chain. In order:

    1. ``dismiss_review`` fires → ``move = review``: a flag for a person to decide, with
       its reason. **Nothing here ever dismisses anyone.**
    2. the first ``demote`` rule that fires → ``demote`` by its ``steps``; at the bottom
       of the ladder there is nowhere to go, so the case becomes ``review``.
    3. the first ``promote`` rule that fires and whose ``qualify`` thresholds (of the
       target level and of every level passed on the way) the ``year`` row meets →
       ``promote`` (at most to the top). At the top of the ladder, or with an unmet
       threshold, the person stays (``keep``) and the reason says why
       (``年度销售额 4,200,000 未达 A1 门槛 5,000,000，暂不晋升``).
    4. otherwise ``keep``.

    Args:
        levels: The scheme's ``levels``.
        annual: One row per employee and year: ``employee_id``, ``period`` (``2025``),
            ``rating``, ``total`` and the measures ``qualify`` names (年度销售额…), or the
            columns its derived ``measure`` reads (growth over the previous years, share of
            the year's sum, tenure at 31 December). Rows of other periods are ignored.
        roster: The roster (DataFrame, Table, or a .csv/.xlsx path) with ``employee_id``
            and the ``levels.column`` (职级); also where a derived measure finds what the
            annual rows lack (入职日期 for a tenure, a share's group).
        year: The year the proposals are for (``2026``).

    Returns:
        One row per roster person, in roster order: ``employee_id``, ``current``,
        ``proposed`` (= ``current`` unless promote/demote), ``move`` (promote, demote,
        keep or review) and ``reason`` (Chinese: the years, the ratings, the threshold).

    Raises:
        InputError: Every problem at once — a level not on the ladder (at its roster
            cell), a missing column, a bad period or number in the annual rows.
    """
    problems: list[Problem] = []
    try:
        y = parse_period(year)
    except ValueError as e:
        raise InputError([Problem("year", "bad_period", str(e), year)], "level proposals") from None
    if y.kind != "year":
        raise InputError([Problem("year", "bad_period", "must be a year such as 2026", year)], "level proposals")

    t = read_table(roster, name="roster")
    problems += t.problems
    current: list[str | None] = [None] * len(t.df)
    if levels.column not in t.df.columns:
        problems.append(Problem(t.where(-1, levels.column), "missing_column",
                                f"the roster needs a {levels.column} column (levels.column): each person's level",
                                column=levels.column))
    else:
        on = set(levels.ladder)
        for r, v in enumerate(t.df[levels.column]):
            level = text(v)
            if level not in on:
                problems.append(Problem(t.where(r, levels.column), "unknown_level",
                                        f"level must be one of the ladder: {'、'.join(levels.ladder)}", level,
                                        employee=t.df[ID].iloc[r], column=levels.column))
            current[r] = level

    f = read_frame(annual, "annual", roster=t)
    rules = [("demote", r) for r in levels.demote] + [("promote", r) for r in levels.promote]
    if levels.dismiss_review is not None:
        rules.append(("dismiss_review", levels.dismiss_review))
    for kind, rule in rules:
        f.need(rule.when, f"the levels.{kind} rules read it")
    for level, thresholds in levels.qualify.items():
        for measure, th in thresholds.items():
            if th.measure is None:
                f.require(measure, f"levels.qualify.{level} reads it")
            else:
                f.need_measure(th.measure, f"levels.qualify.{level}.{measure} reads it")
    holds = {id(rule): f.holds(rule.when) for _, rule in rules}  # before raising: bad cells too
    values = {(level, m): f.number(m) if th.measure is None else f.measure(th.measure)
              for level, ths in levels.qualify.items() for m, th in ths.items()}
    problems += f.problems
    if problems:
        raise InputError(problems, "level proposals")

    years: dict[tuple[str, int], int] = {}
    for r, (eid, k) in enumerate(zip(f.ids, f.keys)):
        if eid is not None and k is not None and k.kind == "year":
            years[(eid, k.year)] = r
    mover = _Mover(levels, f, holds, values, years, y.year)
    rows = [mover.propose(eid, level) for eid, level in zip(t.df[ID], current)]
    return pd.DataFrame(rows, columns=[ID, "current", "proposed", "move", "reason"])


class _Mover:
    def __init__(self, levels: Levels, f: Frame, holds: dict, values: dict, years: dict, year: int):
        self.lv, self.f, self.holds, self.values, self.years, self.year = levels, f, holds, values, years, year
        self.top = len(levels.ladder) - 1

    def chain(self, rule: LevelRule, eid: str) -> str | None:
        """The evidence (``2025、2026年度均为不合格``) when the rule holds in each year, else None."""
        span = range(self.year - rule.years + 1, self.year + 1)
        rows = [self.years.get((eid, y)) for y in span]
        if any(r is None or not self.holds[id(rule)][r] for r in rows):
            return None
        shown = [self.f.evidence(rule.when, r) for r in rows]
        if len(shown) == 1:
            return f"{self.year}年度{shown[0]}"
        if len(set(shown)) == 1:
            return f"{'、'.join(map(str, span))}年度均为{shown[0]}"
        return "、".join(f"{y}年度{s}" for y, s in zip(span, shown))

    def unmet(self, eid: str, level: str) -> list[str]:
        r = self.years[(eid, self.year)]
        out = []
        for measure, t in self.lv.qualify.get(level, {}).items():
            v = self.values[(level, measure)][r]
            bounds = t.bounds()
            kinds = t.measure.kinds() if t.measure is not None else []
            pct = ("tenure" not in kinds and all(0 < abs(b) < 1 for _, _, b in bounds)
                   or any(k in kinds for k in ("growth", "share", "achievement")))
            show = fmt_percent if pct else fmt_number
            if np.isnan(v):
                need = " ".join(f"{_SIGN[op]}{show(b)}" for _, op, b in bounds)
                out.append(f"{measure} 无数据(晋升 {level} 需 {need})")
                continue
            v = float(xlmath.round9(v))
            for _, op, b in bounds:
                if not COMPARE[op](v, b):
                    out.append(f"{measure} {show(v)} {_UNMET[op]} {level} {_WHAT[op]} {show(b)}")
        return out

    def propose(self, eid: str, level: str) -> list:
        ladder = self.lv.ladder
        i = ladder.index(level)

        def row(move: str, reason: str, to: str = level) -> list:
            return [eid, level, to, move, reason]

        if self.lv.dismiss_review is not None and (ev := self.chain(self.lv.dismiss_review, eid)):
            name = self.lv.dismiss_review.name or f"连续{self.lv.dismiss_review.years}年"
            return row("review", f"{ev} → {name}，提请审议(不自动处理)")
        for rule in self.lv.demote:
            if ev := self.chain(rule, eid):
                name = f"{rule.name}，" if rule.name else ""
                j = max(i - rule.steps, 0)
                if j == i:
                    return row("review", f"{ev} → {name}应降级，但 {level} 已是最低职级，提请审议")
                return row("demote", f"{ev} → {name}建议降级 {level}→{ladder[j]}", ladder[j])
        blocked = None
        for rule in self.lv.promote:
            if ev := self.chain(rule, eid):
                name = f"{rule.name}，" if rule.name else ""
                j = min(i + rule.steps, self.top)
                if j == i:
                    blocked = blocked or f"{ev}，但 {level} 已是最高职级，不再晋升"
                    continue
                # Every level passed on the way is a gate: a two-step move A3→B2 must meet B1's.
                unmet = [u for k in range(i + 1, j + 1) for u in self.unmet(eid, ladder[k])]
                if unmet:
                    blocked = blocked or f"{ev}，但{'；'.join(unmet)}，暂不晋升"
                    continue
                return row("promote", f"{ev} → {name}建议晋升 {level}→{ladder[j]}", ladder[j])
        if blocked:
            return row("keep", blocked)
        r = self.years.get((eid, self.year))
        rating = text(self.f.df["rating"].iloc[r]) if r is not None and self.f.has("rating") else None
        if r is None:
            return row("keep", f"{self.year}年度无考核结果，维持 {level}")
        return row("keep", f"{self.year}年度{rating or '已考核'}，维持 {level}")
