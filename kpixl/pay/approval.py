"""The approval step (奖罚审批): a reward or penalty is a proposal until management approves it.

Seed 000: 所有奖励与惩罚均需经过管理层审核批准 (客户经理推荐、自荐或部门提名 → 部门经理审核 →
总经理办公会议会审). Every pay line that needs approval
(:attr:`~kpixl.scheme.pay.PayLine.needs_approval`: history, per_event, achievement,
range and fixed lines unless they say ``approval: false``) gets, per person with a
non-zero amount, one row on the long-format sheet ``奖罚审批``: who, which line, on what
grounds, the amount proposed, and three cells HR fills in Excel — 审批 (a list:
同意/不同意), 审批人, 日期 — and a 备注.

工资核算 keeps the line's proposed amount in its own column and shows beside it what
counts (``<line>·计入``): ``X3*(COUNTIFS(奖罚审批!工号,A3,奖罚审批!项目代码,"late",
奖罚审批!审批,"同意")>0)`` in spirit — written so that the id is compared as the text it
is (:func:`~kpixl.xlmath.count_text`: never a wildcard, and ``009875`` never ``9875``);
应发合计 sums those. So typing 同意 changes the pay at once;
blank (pending) and 不同意 (rejected) count 0. COUNTIFS, not a cell reference, so sorting
or filtering 奖罚审批 in Excel (or adding a row by hand) never points a person's pay at
someone else's approval.

:func:`approval_layout` plans the rows (keeping what HR typed, keyed by period, person
and line), :func:`read_approvals` reads them back (a value that is neither 同意 nor
不同意 is a problem at its cell). The master's ``Log`` records each change
(:mod:`kpixl.master.pay`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from .. import xlmath
from ..engine.inputs import ID, numbers
from ..errors import InputError, Problem
from ..results.sheet import FIRST, Col, Layout, write_layout
from ..scheme.pay import Pay, PayLine
from ..xlsx.cells import cell_value
from ..xlsx.lang import DEFAULT as DEFAULT_LANG
from ..xlsx.printing import MONEY, fit_row_heights
from ..xlsx.text import defuse_columns
from .amounts import AGREE, REASONS, REJECT, achievement_key, count_values, line_key, rule_reason
from .formulas import percent, rule_text

__all__ = ["APPROVAL_SHEET", "Approval", "ApprovalRefs", "CHANGED", "approval_layout", "counted_formula",
           "decisions", "read_approvals", "refs_of", "write_approvals"]

APPROVAL_SHEET = "奖罚审批"
#: What a run writes in 备注 when a decided line's amount is no longer the one decided on.
CHANGED = "金额已变, 请复核"
_KEYS = {"period": "期间", "line": "项目代码", "name": "工资项目", "basis": "依据", "amount": "提交金额",
         "decision": "审批", "by": "审批人", "date": "日期", "note": "备注"}


@dataclass(frozen=True)
class Approval:
    """One row of 奖罚审批 as HR left it (all but ``amount`` typed in Excel).

    Attributes:
        decision: 同意, 不同意, or None (pending).
        by: 审批人, as typed.
        date: 日期, as typed (a date cell or text).
        note: 备注, as typed (kpixl adds :data:`CHANGED` when the amount changes).
        amount: 提交金额: the amount the run that wrote the row proposed.
    """

    decision: str | None = None
    by: Any = None
    date: Any = None
    note: Any = None
    amount: float | None = None

    @property
    def typed(self) -> bool:
        """Whether HR typed anything in the row."""
        return any(v not in (None, "") for v in (self.decision, self.by, self.date, self.note))


#: ``{(period, employee id, line id): Approval}``.
Approvals = dict[tuple[str, str, str], Approval]


@dataclass(frozen=True)
class ApprovalRefs:
    """The whole columns of 奖罚审批 that 工资核算's COUNTIFS read."""

    ids: str
    lines: str
    decisions: str


def decisions(approvals: Approvals, period: str) -> dict[tuple[str, str], str | None]:
    """``{(employee id, line id): decision}`` of one period, as :func:`~kpixl.pay.compute_pay` reads
    them (a row HR added without a 期间 is this period's: 工资核算's COUNTIFS counts it too)."""
    return {(e, ln): a.decision for (p, e, ln), a in approvals.items() if p in (period, "")}


def counted_formula(amount: str, person: str, line: PayLine, refs: ApprovalRefs) -> str:
    """What a line under approval adds: ``X3*((COUNTIFS(ids,"="&…A3…&"*",lines,"late",decisions,"同意")
    -COUNTIFS(ids,"="&…A3…&"?*",…))>0)``.

    The person's id is matched as the text it is (:func:`~kpixl.xlmath.count_text`): an id
    ``A*``, ``A?`` or ``<>`` is no wildcard or operator, and ``009875`` is not ``9875``, so
    it never counts another person's 同意."""
    agreed = xlmath.count_text(refs.ids, person, refs.lines, xlmath.equals_text(line.id), refs.decisions,
                               xlmath.equals_text(AGREE))
    return f"{amount}*({agreed}>0)"


def _basis(line: PayLine, figures: pd.DataFrame, k: int, rule_names: Mapping[str, str] | None = None) -> str:
    """On what grounds a person's line has its amount: ``2次; −2%/次``, the history's reasons."""
    rule = rule_text(line)
    if line.history is not None:  # a history rule's flag: that rule's reason
        name = (rule_names or {}).get(line.history, line.history)
        why = rule_reason(figures[REASONS].iloc[k], line.history, name) if REASONS in figures.columns else None
        return f"{why}; {rule}" if why else f"{name}; {rule}"
    if line.type == "history":
        if REASONS in figures.columns:
            why = cell_value(figures[REASONS].iloc[k])
            if why not in (None, ""):
                return str(why)
        return "历史规则"
    if line.type == "achievement":
        col = achievement_key(line.item)
        if col in figures.columns:
            x, _ = numbers(figures[col].iloc[[k]])
            if not np.isnan(x[0]):
                return f"完成率 {percent(float(x[0]))}; {rule}"
        return rule
    if line.column is None or line.column not in figures.columns:
        return rule
    if line.type == "range":
        v, _ = numbers(figures[line.column].iloc[[k]])
        return f"{percent(float(v[0]))}; {rule}" if not np.isnan(v[0]) else rule
    v, _ = count_values(figures[line.column].iloc[[k]])
    return f"{xlmath.num(float(v[0]))}次; {rule}" if not np.isnan(v[0]) else rule


def approval_layout(pay: Pay, figures: pd.DataFrame, got: pd.DataFrame, period: str,
                    people: Mapping[str, Sequence[Any]] | None = None,
                    old: Approvals | None = None,
                    rule_names: Mapping[str, str] | None = None) -> tuple[Layout, int, Approvals]:
    """Plan 奖罚审批: one row per person and line under approval with a non-zero amount.

    A row HR typed in is kept even when the amount is now 0 (its decision stays on
    record). A decided row whose amount differs from the one decided on keeps its
    decision, and its 备注 starts with :data:`CHANGED` (原 −120.00).

    Args:
        pay: The pay.
        figures: What :func:`~kpixl.pay.compute_pay` read (for the 依据 column).
        got: Its result (the proposed amounts ``pay.<id>``), rows as ``figures``.
        period: The period the pay is for; rows of other periods on the old sheet are dropped.
        people: Columns shown after 工号 (姓名, 部门), one value per row of ``figures``.
        old: What HR left on the sheet (:func:`read_approvals`).
        rule_names: History rule id → name, to find the reason of a line reading a rule's flag.

    Returns:
        The layout, its number of rows, and the approvals it holds (with new notes).
    """
    old = old or {}
    people = dict(people or {})
    ids = got[ID].astype(str).tolist()
    rows: list[dict[str, Any]] = []
    now: Approvals = {}
    for k, e in enumerate(ids):
        for ln in pay.lines:
            if not ln.needs_approval:
                continue
            amount = float(got[line_key(ln)].iloc[k])
            a = old.get((period, e, ln.id)) or old.get(("", e, ln.id)) or Approval()
            if amount == 0 and not a.typed:
                continue
            note = a.note
            if a.decision and a.amount is not None and not math.isclose(a.amount, amount, abs_tol=1e-9):
                flag = f"{CHANGED} (原 {a.amount:,.2f})"
                note = flag if note in (None, "") else f"{flag}; {note}"
            a = replace(a, note=note, amount=amount)
            now[(period, e, ln.id)] = a
            rows.append({ID: e, **{f"roster.{lab}": vals[k] for lab, vals in people.items()},
                         "period": period, "line": ln.id, "name": ln.label, "basis": _basis(ln, figures, k, rule_names),
                         "amount": amount, "decision": a.decision, "by": a.by, "date": a.date, "note": a.note})
    n = len(rows)
    lay = Layout(first=FIRST, last=FIRST + max(n, 1) - 1)
    lay.add(Col(ID, "工号", [r[ID] for r in rows]))
    for lab in people:
        lay.add(Col(f"roster.{lab}", lab, [cell_value(r[f"roster.{lab}"]) for r in rows]))
    fmt = {"amount": MONEY, "date": "yyyy-mm-dd"}
    for key, label in _KEYS.items():
        lay.add(Col(f"approval.{key}", label, [cell_value(r[key]) for r in rows], fmt=fmt.get(key),
                    is_input=key in ("decision", "by", "date", "note")))
    return lay, n, now


def refs_of(lay: Layout, title: str = APPROVAL_SHEET) -> ApprovalRefs:
    """The whole columns 工资核算's COUNTIFS read on the planned 奖罚审批."""
    t = title.replace("'", "''")

    def whole(key: str) -> str:
        c = lay.cols[key].letter
        return f"'{t}'!${c}:${c}"

    return ApprovalRefs(whole(ID), whole("approval.line"), whole("approval.decision"))


def write_approvals(ws, lay: Layout, n: int, lang: str = DEFAULT_LANG) -> None:
    """Write the planned 奖罚审批 on the empty sheet ``ws``: 审批 a list (同意/不同意), typed text kept as text."""
    write_layout(lay, n, ws, lang=lang)
    letters = {k: c.letter for k, c in lay.cols.items()}
    # Rows HR may add below the written ones get the list too.
    dv = DataValidation(type="list", formula1=f'"{AGREE},{REJECT}"', allow_blank=True, showErrorMessage=True,
                        errorTitle="审批无效", error="请选择 同意 或 不同意；待审批请留空")
    ws.add_data_validation(dv)
    c = letters["approval.decision"]
    dv.add(f"{c}{FIRST}:{c}{FIRST + n + 200}")
    # A 工号 typed on a row added by hand stays text (工资核算 compares ids as text: a number never counts).
    ws.column_dimensions[letters[ID]].number_format = "@"
    # 审批人, 日期 and 备注 were typed by people: data, never formulas.
    defuse_columns(ws, [list(lay.cols).index(k) + 1
                        for k in (ID, "approval.by", "approval.date", "approval.note", "approval.basis")],
                   first_row=FIRST)
    # Room to write a name and a date by hand on the printed list; the grounds wrap.
    ws.column_dimensions[letters["approval.by"]].width = 14
    ws.column_dimensions[letters["approval.date"]].width = 12
    ws.column_dimensions[letters["approval.basis"]].width = 36
    wrap = Alignment(wrap_text=True)
    j = list(lay.cols).index("approval.basis") + 1
    for r in range(FIRST, FIRST + n):
        ws.cell(r, j).alignment = wrap
    fit_row_heights(ws, range(FIRST, FIRST + n), [j, list(lay.cols).index("approval.note") + 1])


def read_approvals(ws, pay: Pay, people: Collection[str] | None = None) -> Approvals:
    """What HR left on 奖罚审批 (written by :func:`write_approvals`), keyed by period, person and line.

    Rows of lines the pay no longer has, or that no longer need approval, are ignored;
    so are rows without a 工号 or a line. A row without a 期间 (added by hand) is keyed
    by the period ``""``: the period being paid.

    Args:
        ws: The 奖罚审批 sheet.
        pay: The scheme's pay.
        people: The ids paid this period, when known: a row added by hand for someone else
            is a problem (it would be dropped when the sheet is written again).

    Raises:
        InputError: A 审批 that is neither 同意 nor 不同意 nor blank, a 工号 typed as a number
            (工资核算 compares ids as text and would not count it), a row added by hand whose
            line code is not one under approval or whose 工号 is not paid this period, or a second row for
            the same period, person and line (工资核算 would count either's 同意), each at
            its cell (``奖罚审批!I5``); nothing is read.
    """
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return {}
    keys = [str(k) if k is not None else "" for k in rows[0]]
    at = {k: j for j, k in enumerate(keys)}
    need = (ID, "approval.period", "approval.line", "approval.decision")
    if any(k not in at for k in need):
        return {}
    lines = {ln.id for ln in pay.lines if ln.needs_approval}
    out: Approvals = {}
    first: dict[tuple[str, str], int] = {}  # (person, line) → the row it was first read on
    problems: list[Problem] = []
    col = ws.cell(1, at["approval.decision"] + 1).column_letter
    id_col = ws.cell(1, at[ID] + 1).column_letter
    line_col = ws.cell(1, at["approval.line"] + 1).column_letter

    def get(r: Sequence[Any], key: str) -> Any:
        j = at.get(key)
        return r[j] if j is not None and j < len(r) else None

    for i, r in enumerate(rows[FIRST - 1:], start=FIRST):
        e, ln, period = get(r, ID), get(r, "approval.line"), get(r, "approval.period")
        by_hand = period in (None, "") and e not in (None, "")
        if by_hand and ln not in lines:
            problems.append(Problem(f"{ws.title}!{line_col}{i}", "approval_row",
                                    f"项目代码 {ln!r} is not a line under approval; use one of "
                                    f"{', '.join(sorted(lines))}", ln, column="approval.line"))
            continue
        if e in (None, "") or ln not in lines:
            continue
        if by_hand and people is not None and not isinstance(e, (int, float)) and str(e).strip() not in people:
            problems.append(Problem(f"{ws.title}!{id_col}{i}", "approval_row",
                                    f"工号 {e} is not paid this period; check the id", e, column=ID))
            continue
        if isinstance(e, (int, float)) and not isinstance(e, bool):
            whole = float(e).is_integer() and abs(e) < 1e15  # (past 15 digits a number has lost some)
            shown = str(int(e)) if whole else str(e)
            problems.append(Problem(f"{ws.title}!{id_col}{i}", "id_not_text",
                                    f"工号 {shown} is a number; type the id as text ('{shown}, with any leading zeros "
                                    "it has) so that 工资核算 counts this row" if whole else
                                    f"工号 {shown} is a number and has lost digits; type the whole id again as text "
                                    "(an apostrophe first) so that 工资核算 counts this row", e, column=ID))
            continue
        d = get(r, "approval.decision")
        if isinstance(d, str) and not d.strip():
            d = None
        if d is not None and d not in (AGREE, REJECT):
            problems.append(Problem(f"{ws.title}!{col}{i}", "bad_approval",
                                    f"审批 must be {AGREE} or {REJECT} (blank: pending), not {d!r}", d,
                                    column="approval.decision"))
            continue
        amount = get(r, "approval.amount")
        key = ("" if period in (None, "") else str(period).strip(), str(e).strip(), str(ln))
        # One row per person and line, whatever its 期间: COUNTIFS reads every row.
        if key[1:] in first:
            problems.append(Problem(f"{ws.title}!A{i}", "duplicate_id",
                                    f"{APPROVAL_SHEET}: {key[1]} {ln} is listed more than once "
                                    f"(also row {first[key[1:]]}); keep one row (工资核算 counts every row, "
                                    "whatever its 期间)", e, column=ID))
            continue
        first[key[1:]] = i
        out[key] = Approval(
            d, get(r, "approval.by"), get(r, "approval.date"), get(r, "approval.note"),
            float(amount) if isinstance(amount, (int, float)) and not isinstance(amount, bool) else None)
    if problems:
        raise InputError(problems, APPROVAL_SHEET)
    return out
