"""Rules over consecutive and accumulated periods: 连续两个月未完成业绩目标, 客户投诉累计三次."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from .. import xlmath
from ..engine.inputs import ID, Table, read_table
from ..errors import InputError, Problem
from ..periods import PeriodKey, parse_period
from ..scheme.models import Condition, History, HistoryRule
from . import _measures as derive
from ._frame import Frame, fmt_number, fmt_percent, read_frame

_UNIT = {"month": "个月", "quarter": "个季度", "half": "个半年", "year": "年"}


def period_rules(history: History, rows: pd.DataFrame | Table, period: str,
                 roster: pd.DataFrame | Table | Any = None) -> pd.DataFrame:
    """The history rules that fire for each person in one period.

    Only rows of the same kind as ``period`` count (months for ``2026-11``, quarters for
    ``2026Q4``…), and only up to ``period``: later rows are ignored, so any past period
    can be recomputed.

    * ``consecutive: N`` fires when ``period`` and the N−1 periods before it, adjacent in
      the calendar (2026-09, 2026-10, 2026-11; 2026-12 then 2027-01), all have a row
      meeting ``when``. **A missing period breaks the chain**, as does a blank value the
      condition tests. With 4 misses in a row a 2-month rule fires in months 2, 3 and 4.
    * ``cumulative: N`` fires in the period in which the running total — within the
      calendar year of ``period`` (``window: year``, the default) or over every earlier
      period (``window: all``) — first reaches N: the sum of ``count.column``, or the
      number of periods meeting ``when``. It fires once: the third complaint, not every
      month after it.

    When a rule fires together with one it ``supersedes`` (连续三个月 over 连续两个月), the
    superseded rule is replaced: its column says False, and its action, reason and
    deduction are left out — so a pay line reading its flag (连续两个月 −5%) does not pay
    beside the stronger rule's (连续三个月 −10%). The deduction is the sum over the rules
    left (independent penalties add).

    ``salary_change`` is the signed sum over the rules left of each rule's
    ``salary_change`` (or −``salary_deduction``) plus its ``per`` steps: whole steps of
    ``every`` by which the item's achievement this period exceeds ``above``, times
    ``change`` (完成目标奖励5%, 每超出10%加2%: 125% → 0.05 + 2 × 0.02 = +9%).

    Conditions may rank people (``rank``) and test derived measures (``measure``:
    growth, tenure, share); see :class:`kpixl.scheme.Condition`. A group or a date the
    rows do not carry is read from ``roster`` by employee id.

    Args:
        history: The scheme's ``history``.
        rows: One row per employee and period: ``employee_id``, ``period`` (``2026-11``,
            ``2026Q4``, ``2026H1``, ``2026``; a date cell counts as its month), ``total``,
            ``rating``, ``score:<item>``, and inputs such as ``complaints.count``. An item's
            achievement is ``achievement:<item>`` where given, else ``<item>`` /
            ``<item>.target``. Only the columns the rules read are required.
        period: The current period.
        roster: Optional (DataFrame, Table or a .csv/.xlsx path): columns the rows lack
            (a rank's ``group`` such as 部门, a tenure's 入职日期), looked up by employee id.

    Returns:
        One row per employee with a row in ``period`` (in the order of those rows):
        ``employee_id``; ``history.<rule id>`` (bool: the rule fired and no rule that fired
        too supersedes it) per rule; ``history.deduction``
        (share of the month's salary deducted, 0.15 = 15%: the penalties' sum, as a
        positive number, rewards left out); ``salary_change`` (the signed share of the
        month's salary, rewards and penalties together: +0.09, −0.10) and, for each rule
        that changes salary, ``salary_change.<rule id>`` (its part: 0 when it did not fire
        or was superseded); ``history.actions`` (text, ``；``
        between actions); ``history.review`` (bool: a person must review the case);
        ``history.reasons`` (Chinese text citing the periods and values, e.g.
        ``连续三个月未完成业绩目标(2026-09 82%, 2026-10 90%, 2026-11 95%)``).

    Raises:
        InputError: Every problem at once — a missing column, a bad period, text where a
            number belongs, a person with two rows in one period, a zero target.
    """
    try:
        cur = parse_period(period)
    except ValueError as e:
        raise InputError([Problem("period", "bad_period", str(e), period)], "history rows") from None
    return _evaluate(history, _Read.of(history, rows, roster), cur)


def rules_by_period(history: History, rows: pd.DataFrame | Table, periods: list[str],
                    roster: pd.DataFrame | Table | Any = None) -> pd.DataFrame:
    """:func:`period_rules` for several periods at once, the rows read (and measures derived) once.

    Returns:
        The periods' results one after the other, each with a ``period`` column (the
        period as given), in the order of ``periods``.

    Raises:
        InputError: As :func:`period_rules`; a bad period among ``periods`` is one more problem.
    """
    keys, bad = [], []
    for k, p in enumerate(periods):
        try:
            keys.append(parse_period(p))
        except ValueError as e:
            bad.append(Problem(f"periods[{k}]", "bad_period", str(e), p))
    if bad:
        raise InputError(bad, "history rows")
    read = _Read.of(history, rows, roster)
    frames = [_evaluate(history, read, k).assign(period=p) for p, k in zip(periods, keys)]
    if not frames:
        return pd.DataFrame(columns=[ID, "period"])
    return pd.concat(frames, ignore_index=True)


class _Read:
    """The rows read and checked once, with what every rule tests per row."""

    def __init__(self, f: Frame, holds: dict, counts: dict, steps: dict):
        self.f, self.holds, self.counts, self.steps = f, holds, counts, steps
        self._earlier: dict[int, np.ndarray] = {}

    def earlier(self, lag: int) -> np.ndarray:
        """Per row, the same person's row ``lag`` periods before (−1 when none): a chain's links."""
        if lag not in self._earlier:
            self._earlier[lag] = derive.earlier(self.f.ids, self.f.keys, lag)
        return self._earlier[lag]

    def chain(self, rule: HistoryRule, now: np.ndarray) -> np.ndarray:
        """For rows ``now``: do they and the ``consecutive`` − 1 periods before them all meet ``when``?"""
        holds = self.holds[rule.id]
        ok = holds[now].copy()
        for lag in range(1, rule.consecutive):
            prev = self.earlier(lag)[now]
            ok &= (prev >= 0) & holds[np.maximum(prev, 0)]
        return ok

    @classmethod
    def of(cls, history: History, rows: pd.DataFrame | Table, roster: Any) -> "_Read":
        problems: list[Problem] = []
        table = None
        if roster is not None:
            table = read_table(roster, name="roster")
            problems += [p for p in table.problems if p.code != "duplicate_id"]
        f = read_frame(rows, "history", roster=table)
        f.problems[:0] = problems
        for k, rule in enumerate(history.rules):
            why = f"rule {rule.id} (history.rules[{k}]) reads it"
            if rule.when is not None:
                f.need(rule.when, why)
            if rule.count is not None:
                f.require(rule.count.column, why)
            if rule.per is not None:
                f.need(Condition(item=_per_item(rule), achievement_below=0), f"{why} (per)")
        # Evaluated before raising, so that bad cells are reported with the rest (an absent column reads blank).
        holds = {r.id: f.holds(r.when) for r in history.rules if r.when is not None}
        counts = {r.id: f.number(r.count.column) for r in history.rules if r.count is not None}
        steps = {r.id: f.achievement(_per_item(r)) for r in history.rules if r.per is not None}
        for col in dict.fromkeys(r.count.column for r in history.rules if r.count is not None):
            vals = f.number(col)
            for r in np.flatnonzero(vals < 0):
                f.problems.append(Problem(f.where(int(r), col), "negative_count", "a count cannot be below 0",
                                          vals[r], employee=f.ids[r], column=col))
        if f.problems:
            raise InputError(f.problems, "history rows")
        return cls(f, holds, counts, steps)


def _evaluate(history: History, read: _Read, cur: PeriodKey) -> pd.DataFrame:
    """The rules for one period over rows read once (see :func:`period_rules`)."""
    f, holds, counts, steps = read.f, read.holds, read.counts, read.steps
    at: dict[tuple[str, int], int] = {}  # (employee, ordinal) → row, same kind only
    mine: dict[str, list[int]] = defaultdict(list)
    people: list[str] = []
    for r, (eid, k) in enumerate(zip(f.ids, f.keys)):
        if eid is None or k is None or k.kind != cur.kind or k.ordinal > cur.ordinal:
            continue
        at[(eid, k.ordinal)] = r
        mine[eid].append(r)
        if k.ordinal == cur.ordinal:
            people.append(eid)
    people.sort(key=lambda e: at[(e, cur.ordinal)])

    out: dict[str, list] = {ID: people, **{f"history.{r.id}": [] for r in history.rules}}
    deduction, change, actions, review, reasons = [], [], [], [], []
    paying = [r for r in history.rules if r.salary_change is not None or r.salary_deduction is not None
              or r.per is not None]
    parts: dict[str, list[float]] = {r.id: [] for r in paying}
    now_rows = np.array([at[(e, cur.ordinal)] for e in people], dtype=np.int64)
    chained = {r.id: read.chain(r, now_rows) for r in history.rules if r.consecutive is not None}
    for i, eid in enumerate(people):
        fired: dict[str, str] = {}  # rule id → reason
        for rule in history.rules:
            if rule.consecutive is not None:  # decided for everyone at once; the reason only where it fires
                reason = _consecutive(f, rule, holds[rule.id], at, eid, cur) if chained[rule.id][i] else None
            else:
                reason = _cumulative(f, rule, holds.get(rule.id), counts.get(rule.id), mine[eid], cur)
            out[f"history.{rule.id}"].append(reason is not None)
            if reason is not None:
                fired[rule.id] = reason
        gone = {s for rule in history.rules if rule.id in fired for s in rule.supersedes}
        left = [rule for rule in history.rules if rule.id in fired and rule.id not in gone]
        for rid in gone.intersection(fired):  # replaced: its flag says no, so no pay line reads it as fired
            out[f"history.{rid}"][-1] = False
        now = at[(eid, cur.ordinal)]
        each = [_change(rule, steps.get(rule.id), now) for rule in left]
        by_rule = dict(zip((rule.id for rule in left), each))
        for rid, part in parts.items():
            part.append(by_rule.get(rid, 0.0))
        deduction.append(sum(-c for c in each if c < 0))
        change.append(sum(each))
        actions.append("；".join(dict.fromkeys(rule.action for rule in left if rule.action)))
        review.append(any(rule.review for rule in left))
        reasons.append("；".join(_with_steps(fired[rule.id], rule, steps.get(rule.id), now) for rule in left))
    result = pd.DataFrame(out)
    # Sums read to 9 places (0.2, not 0.20000000000000004), all at once.
    result["history.deduction"] = _read9(deduction)
    result["salary_change"] = _read9(change)
    for rid, part in parts.items():
        result[f"salary_change.{rid}"] = _read9(part)
    result["history.actions"] = pd.Series(actions, dtype=object)
    result["history.review"] = pd.Series(review, dtype=bool)
    result["history.reasons"] = pd.Series(reasons, dtype=object)
    for rule in history.rules:
        result[f"history.{rule.id}"] = result[f"history.{rule.id}"].astype(bool)
    return result


def _read9(values: list[float]) -> pd.Series:
    return pd.Series(xlmath.round9(np.array(values, dtype=float)) if values else [], dtype=float)


def _per_item(rule: HistoryRule) -> str:
    return rule.per.item or (rule.when.item if rule.when is not None else None) or ""


def _steps(rule: HistoryRule, achievement: np.ndarray | None, r: int) -> int:
    """The whole ``per`` steps in row ``r``: how many ``every`` the achievement is above ``above`` (0 if blank)."""
    if rule.per is None or achievement is None or np.isnan(achievement[r]):
        return 0
    return max(math.floor(float(xlmath.round9((achievement[r] - rule.per.above) / rule.per.every))), 0)


def _change(rule: HistoryRule, achievement: np.ndarray | None, r: int) -> float:
    """The rule's signed salary change in row ``r``: the base change plus its whole ``per`` steps."""
    return rule.change() + (_steps(rule, achievement, r) * rule.per.change if rule.per is not None else 0.0)


def _pct(v: float, plus: bool = False) -> str:
    """0.05 → ``5%`` (``+5%`` with ``plus``); −0.1 → ``−10%``."""
    return ("−" if v < 0 else "+" if plus and v > 0 else "") + fmt_percent(abs(v))


def _with_steps(reason: str, rule: HistoryRule, achievement: np.ndarray | None, r: int) -> str:
    """A rule's reason, with its graduated change worked out when it has ``per`` steps: ``(…; 5% + 5×2% = +15%)``."""
    n = _steps(rule, achievement, r)
    if not n:
        return reason
    total = float(xlmath.round9(_change(rule, achievement, r)))
    return f"{reason[:-1]}; {_pct(rule.change())} + {n}×{_pct(rule.per.change)} = {_pct(total, plus=True)})"


def _label(rule: HistoryRule, cur: PeriodKey) -> str:
    if rule.name:
        return rule.name
    if rule.consecutive is not None:
        return f"{rule.id}: 连续{rule.consecutive}{_UNIT[cur.kind]}"
    return f"{rule.id}: 累计{rule.cumulative}次"


def _consecutive(f: Frame, rule: HistoryRule, holds: np.ndarray, at: dict, eid: str, cur: PeriodKey) -> str | None:
    chain = [cur.previous(k) for k in range(rule.consecutive - 1, -1, -1)]
    found = [at.get((eid, k.ordinal)) for k in chain]
    if any(r is None or not holds[r] for r in found):
        return None
    n = f.rank_count(rule.when, found)
    shown = ", ".join(f"{k} {f.evidence(rule.when, r, count=n is None)}" for k, r in zip(chain, found))
    return f"{_label(rule, cur)}({shown}" + (f"; 共{n}人)" if n is not None else ")")


def _cumulative(f: Frame, rule: HistoryRule, holds: np.ndarray | None, counts: np.ndarray | None,
                rows: list[int], cur: PeriodKey) -> str | None:
    window = rule.window or "year"
    inside = sorted((r for r in rows if window == "all" or f.keys[r].year == cur.year), key=lambda r: f.keys[r].ordinal)
    if counts is not None:
        each = {r: 0.0 if np.isnan(counts[r]) else float(counts[r]) for r in inside}
    else:
        each = {r: 1.0 if holds[r] else 0.0 for r in inside}
    through = float(xlmath.round9(sum(each.values())))
    now = next(r for r in inside if f.keys[r].ordinal == cur.ordinal)
    before = float(xlmath.round9(through - each[now]))
    if not before < rule.cumulative <= through:
        return None
    span = f"{cur.year}年" if window == "year" else ""
    if counts is not None:
        detail = ", ".join(f"{f.keys[r]} {fmt_number(each[r])}次" for r in inside if each[r])
    else:
        detail = ", ".join(f"{f.keys[r]} {f.evidence(rule.when, r)}" for r in inside if each[r])
    return f"{_label(rule, cur)}({span}累计{fmt_number(through)}次: {detail})"
