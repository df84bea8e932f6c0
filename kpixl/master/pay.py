"""The master's pay: *Rate & Bonus* writes ``工资核算`` and ``薪酬参数`` when the scheme has ``pay:``.

One row per rated person, in the rows of ``等级与奖金`` (the bonus line reads that sheet's
bonus cell). What each line reads:

* roster columns (基本工资, 工作年限/职称, 业务量) from the master's Roster;
* the history rules' signed wage share of the master's period, from the history kept in
  the master (``history.salary_change``; −``history.deduction`` before signed rules);
* a fixed or per_event line reading a history rule's flag (``history: satisfied3``): the
  rule's ``history.<rule id>`` of the master's period (1 fired, 0 not), written beside the
  line as data with the rule's reason;
* typed lines (迟到早退 counts, 工作失误 shares, award flags): the roster column when the
  roster has one; otherwise the value typed on ``工资核算`` last time, kept on re-runs.

Rewards and penalties are proposals until approved on ``奖罚审批`` (:mod:`kpixl.pay.approval`):
HR's 审批/审批人/日期 there are kept on re-runs (per period, person and line), a decided
line whose amount changed keeps its decision with 备注 金额已变, 请复核, and each change
is appended to ``Log``. Finance's edits on ``薪酬参数`` are kept as ``奖金参数`` edits are. A problem in any of it
(a blank wage, a 工作失误 share outside 5%–20%) is raised with its cell before anything
is saved: the master is left as it was.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ..engine.inputs import ID, Table
from ..errors import InputError, Problem
from ..pay import PARAMS_SHEET, PAY_SHEET, PayTable, compute_pay, history_rules, pay_problems, read_params
from ..pay import write_params, write_pay_sheet
from ..pay.amounts import BONUS, CHANGE_COLUMNS, DEDUCTION, REASONS
from ..pay.sheet import input_key
from ..pay.amounts import line_key
from ..pay.approval import APPROVAL_SHEET, CHANGED, Approvals, decisions, read_approvals
from .book import LOG
from .columns import LOG_COLUMNS
from .collect.write import read_rows, write_rows
from .collect import login
from ..periods import parse_period, period_start
from ..engine.prepared import Prepared
from ..pay.amounts import achievement_key
from ..results.sheet import FIRST, Layout, layout_results
from ..rules import ItemRefs
from ..scheme.pay import Pay
from .book import RESULTS, Master
from .params import RATED
from .records import Records
from .store import PERIOD

#: How the Log writes a blank 审批.
PENDING = "待审批"

__all__ = ["APPROVAL_SHEET", "PAY_SHEET", "PARAMS_SHEET", "log_approvals", "write_pay"]


def _old_typed(wb, pay: Pay) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{column: (sheet column letter, {employee id: value})}`` typed on the previous pay sheet."""
    if PAY_SHEET not in wb.sheetnames:
        return {}
    rows = list(wb[PAY_SHEET].iter_rows(values_only=True))
    if not rows:
        return {}
    keys = [str(k) for k in rows[0]]
    if ID not in keys:
        return {}
    i = keys.index(ID)
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for ln in pay.lines:
        key = input_key(ln)
        if ln.is_typed and key in keys:
            j = keys.index(key)
            out[ln.column] = (get_column_letter(j + 1), {str(r[i]): r[j] for r in rows[FIRST - 1:] if r[i] is not None})
    return out


def _history(records: Records, flags: list[str]) -> pd.DataFrame | None:
    """This period's history columns per person (signed share, deduction, reasons, and the
    ``flags`` — ``history.<rule id>`` — that lines reading a rule's flag need)."""
    if records.scheme.history is None:
        return None
    h = records.history()
    if not len(h):
        return None
    h = h[h[PERIOD] == records.period]
    cols = [c for c in dict.fromkeys((*CHANGE_COLUMNS, DEDUCTION, REASONS, *flags)) if c in h.columns]
    return h[[ID, *cols]].assign(**{ID: h[ID].astype(str)}).set_index(ID)


def _achievements(prepared: Prepared, pay: Pay, fig: pd.DataFrame) -> dict[str, list[str]]:
    """Each achievement line's item: the engine's achievement into ``fig``, and per person
    the formula reading it from ``Results`` (``ROUND('Results'!$F$3/'Results'!$G$3,9)``)."""
    s = prepared.scheme
    res = layout_results(prepared, outputs=False)
    refs: dict[str, list[str]] = {}
    for ln in pay.lines:
        key = achievement_key(ln.item) if ln.type == "achievement" else None
        if key is None or key in refs:
            continue
        item = s.item(ln.item)
        data = prepared.items[item.id].data
        rater = next(iter(data))
        d = data[rater]
        # As the formula reads the cells: a blank actual is 0 (so not reached, or for a
        # lower-is-better item the best result), the decimal value of actual/target.
        actual = np.asarray(d.value, dtype=float)
        fig[key] = item.rule.achievement(np.where(np.isnan(actual), 0.0, actual), d.target)
        primary = res.cols[f"{item.id}@{rater}" if rater else item.id].letter
        target = res.cols[f"{item.id}.target"].letter if f"{item.id}.target" in res.cols else None
        refs[key] = [item.rule.achievement_formula(ItemRefs(
            points=item.points, primary=f"'{RESULTS}'!${primary}${FIRST + k}",
            target=f"'{RESULTS}'!${target}${FIRST + k}" if target else None)) for k in range(len(fig))]
    return refs


def write_pay(m: Master, records: Records, ids: list[str], rated: Layout, bonus: Any, kept: list[str],
              prepared: Prepared | None = None) -> pd.DataFrame:
    """Compute the pay of the rated people and write ``工资核算`` and ``薪酬参数`` (module docstring).

    Args:
        m: The open master.
        records: Its records (roster, history).
        ids: The rated people, in the rows of ``等级与奖金``.
        rated: The layout of ``等级与奖金`` (its ``bonus`` column is read by the bonus line).
        bonus: Each person's bonus as the engine computed it (None without a bonus).
        kept: Gets one line per parameter or typed value kept from an earlier run.
        prepared: The period's prepared inputs (rows as on ``Results``), for achievement
            lines: their achievement is read from ``Results`` by formula.

    Returns:
        The engine's pay (:func:`~kpixl.pay.compute_pay`), one row per person.

    Raises:
        InputError: Every problem at once, each at its cell (Roster, 工资核算, 薪酬参数);
            nothing has been written to the workbook when it is raised.
    """
    s = m.scheme
    pay = read_params(m.wb[PARAMS_SHEET], s.pay, kept) if PARAMS_SHEET in m.wb.sheetnames else s.pay
    roster: Table = records.roster
    rdf = roster.df.assign(**{ID: roster.df[ID].astype(str)})
    at = {e: k for k, e in enumerate(rdf[ID])}
    rows = [at.get(e) for e in ids]
    fig = pd.DataFrame({ID: ids})
    where: dict[str, Any] = {}  # column → a function of (row) giving the cell
    for col in pay.roster_columns():
        if col in rdf.columns:
            fig[col] = [rdf[col].iloc[r] if r is not None else None for r in rows]
            where[col] = lambda k, col=col: roster.where(rows[k], col) if rows[k] is not None else f"{RATED} row {FIRST + k}"
    typed = _old_typed(m.wb, pay)
    on_sheet = {ln.column for ln in pay.lines if ln.is_typed and ln.column not in fig.columns}
    for ln in pay.lines:
        if ln.is_typed and ln.column not in fig.columns:
            letter, old = typed.get(ln.column, ("", {}))
            fig[ln.column] = [old.get(e) for e in ids]
            if any(v not in (None, "") for v in old.values()):
                kept.append(f"{ln.column} as typed on {PAY_SHEET}")
            # Where it was typed: the old sheet's cell of that person's row.
            row_of = {e: FIRST + k for k, e in enumerate(old)}
            where[ln.column] = lambda k, letter=letter, row_of=row_of: f"{PAY_SHEET}!{letter}{row_of.get(ids[k], FIRST + k)}"
    if bonus is not None:
        fig[BONUS] = np.asarray(bonus, dtype=float)
    flags = [ln.source for ln in pay.lines if ln.history is not None]
    hist = _history(records, flags)
    if hist is not None:
        for c in hist.columns:
            fig[c] = [hist.at[e, c] if e in hist.index else None for e in ids]
    elif s.history is not None:  # no history kept yet: no rule has fired
        fig[DEDUCTION] = 0.0
    for c in flags:  # a rule added since the history was kept has not fired
        if c not in fig.columns:
            fig[c] = 0

    live = _achievements(prepared, pay, fig) if prepared is not None else {}
    as_of = period_end(records.period)
    problems = [_place(p, where) for p in pay_problems(pay, fig, as_of)]
    approvals: Approvals = {}
    if APPROVAL_SHEET in m.wb.sheetnames:
        try:
            approvals = read_approvals(m.wb[APPROVAL_SHEET], pay, set(ids))
        except InputError as e:
            problems += e.problems
    if problems:
        raise InputError(problems, "pay")
    names = {}
    for label in ("姓名", "部门"):
        if label in rdf.columns:
            names[label] = [rdf[label].iloc[r] if r is not None else None for r in rows]
    refs = None
    if any(ln.type == "bonus" for ln in pay.lines) and "bonus" in rated.cols:
        c = rated.cols["bonus"].letter
        refs = [f"'{RATED}'!${c}${FIRST + k}" for k in range(len(ids))]
    period = records.period
    reviewed = any(ln.needs_approval for ln in pay.lines)
    values = compute_pay(pay, fig, as_of, decisions(approvals, period) if reviewed else None)
    params = write_params(m.sheet(PARAMS_SHEET), pay, as_of)
    table = PayTable(fig, names, refs, on_sheet, live, {i.id: i.name or i.id for _, i in s.items()},
                     {r.id: r.name or r.id for r in s.history.rules} if s.history is not None else {})
    pay_ws = m.sheet(PAY_SHEET, m.wb.sheetnames.index(PARAMS_SHEET))
    approval_ws = None
    if reviewed:
        approval_ws = m.sheet(APPROVAL_SHEET, m.wb.sheetnames.index(PAY_SHEET) + 1)
    elif APPROVAL_SHEET in m.wb.sheetnames:  # the scheme no longer asks for approval
        del m.wb[APPROVAL_SHEET]
    write_pay_sheet(pay_ws, pay, table, params, history_rules(s.history), values, lang=m.lang,
                    approval_ws=approval_ws, approvals=approvals, period=period)
    if reviewed:
        log_approvals(m, pay, period, approvals, values, kept)
    return values


def log_approvals(m: Master, pay: Pay, period: str, approvals: Approvals, values: pd.DataFrame,
                  kept: list[str], user: str | None = None) -> list[list[Any]]:
    """Append to the master's ``Log`` each approval that changed since the last run, and each
    decided line whose amount changed (金额已变, 请复核); return the rows appended.

    Who typed an approval, and when, cannot be known from the file: the row records the
    run that saw it (``time``, ``by``), the 审批 before and after, and in ``action`` the
    审批人 and 日期 typed. "Before" is the last state the Log recorded (blank at first).
    """
    header, old_log = read_rows(m.wb, LOG)
    last: dict[tuple[str, str, str], Any] = {}
    if header == list(LOG_COLUMNS):
        for r in old_log:
            row = dict(zip(header, r))
            if str(row.get("column") or "").startswith("approval."):
                last[(str(row["period"]), str(row["employee_id"]), str(row["column"]))] = row.get("new")
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    user = user or login()
    amounts = values.set_index(ID)
    rows: list[list[Any]] = []
    for (p, e, line_id), a in approvals.items():
        if p not in (period, ""):  # "": a row added by hand without its 期间
            continue
        p = period
        ln = pay.line(line_id)
        column = f"approval.{line_id}"
        before = last.get((p, e, column))
        before = None if before in (None, "", PENDING) else before
        base = [stamp, user, "", "", e, p, column]
        if (a.decision or None) != before:
            who = f"审批人 {a.by}" if a.by not in (None, "") else "审批人未填"
            when = a.date.date().isoformat() if isinstance(a.date, datetime.datetime) else a.date
            rows.append([*base, before or PENDING, a.decision or PENDING,
                         f"{ln.label}: {who}" + (f", 日期 {when}" if when not in (None, "") else "")])
            kept.append(f"{APPROVAL_SHEET} {e} {ln.label}: {before or PENDING} → {a.decision or PENDING}")
        now = float(amounts.at[e, line_key(ln)]) if e in amounts.index else 0.0
        if a.decision and a.amount is not None and not math.isclose(a.amount, now, abs_tol=1e-9):
            rows.append([*base, a.decision, a.decision, f"{ln.label}: {CHANGED} ({a.amount:,.2f} → {now:,.2f})"])
            kept.append(f"{APPROVAL_SHEET} {e} {ln.label}: {a.decision} kept, {CHANGED} "
                        f"({a.amount:,.2f} → {now:,.2f})")
    if rows:
        write_rows(m, LOG, LOG_COLUMNS, (old_log if header == list(LOG_COLUMNS) else []) + rows)
    return rows


def period_end(period: str) -> datetime.date:
    """The last day of a period (``2026-11`` → 2026-11-30, ``2026Q4`` → 2026-12-31)."""
    after = parse_period(period).previous(-1)
    return (period_start(str(after)) - datetime.timedelta(days=1)).date()


def _place(p, where: dict[str, Any]) -> Problem:
    if p.row < 0:
        return Problem(f"Roster column {p.column}", p.code, p.message, p.value, column=p.column)
    cell = where.get(p.column)
    place = cell(p.row) if cell is not None else f"{PAY_SHEET} row {FIRST + p.row}, {p.column}"
    return Problem(place, p.code, p.message, p.value, column=p.column)


def pay_summary(values: pd.DataFrame) -> str:
    """How many people were paid and the sum of 应发合计; with the approval step, how many
    rewards and penalties are proposed and how many of them count (同意)."""
    total = float(np.nansum(values["pay.total"].astype(float))) if len(values) else 0.0
    out = f"  pay: {len(values)} people on {PAY_SHEET}, 应发合计 {total:,.2f}"
    counted = [c for c in values.columns if c.endswith(".counted")]
    if counted:
        proposed = sum(int((values[c[: -len(".counted")]].astype(float) != 0).sum()) for c in counted)
        agreed = sum(int(((values[c].astype(float) != 0)).sum()) for c in counted)
        out += f"\n  {APPROVAL_SHEET}: {proposed} rewards and penalties proposed, {agreed} approved (同意) and counted"
    return out
