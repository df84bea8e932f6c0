"""The 工资核算 sheet (one row per person, one column per line, live formulas) and 薪酬参数.

Two writers and a reader, independent of where the people and their figures come from
— the period master's *Rate & Bonus* and the year workbook call the same ones:

* :func:`write_params` puts the parameters finance may edit (commission rates and
  tables, raise tables, shares per event, the typed range, fixed amounts, the floor) on
  a sheet and returns their cells; :func:`read_params` reads them back (finance's edits
  win on re-runs, each one said);
* :func:`write_pay_sheet` writes the pay of a :class:`PayTable` (ids, names, the figures
  :func:`~kpixl.pay.compute_pay` reads, and optionally the cells holding each bonus),
  each line's header naming its rule, each formula caching the engine's value.

Row 1 holds the column keys (``pay.<id>``, ``pay.<id>.count``, ``pay.total``), row 2 the
Chinese labels, people start on row 3, as on ``Results`` and ``等级与奖金``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from .. import xlmath
from ..engine.inputs import ID, is_blank, numbers
from ..errors import InputError, Problem
from ..results.sheet import FIRST, Col, Layout, write_layout
from ..scheme.base import Column
from ..scheme.pay import OF_WAGE, Pay, PayLine, check_pay
from ..xlsx.cells import cell_value
from ..xlsx.lang import DEFAULT as DEFAULT_LANG
from ..xlsx.palette import FONT, HEAD, INPUT, fill
from ..xlsx.text import defuse_columns
from .amounts import counted_key
from .approval import ApprovalRefs, Approvals, approval_layout, counted_formula, decisions, refs_of, write_approvals
from .amounts import BONUS, REASONS, achievement_key, compute_pay, count_values, dates, line_key, rule_reason, salary_change
from .amounts import total_key
from .formulas import Params, line_formula, line_title, percent, total_formula, wage_base_formula

__all__ = ["PAY_SHEET", "PARAMS_SHEET", "PayTable", "input_key", "read_params", "write_params", "write_pay_sheet"]

PAY_SHEET = "工资核算"
PARAMS_SHEET = "薪酬参数"
_PCT = "0.00%"
_MONEY = "#,##0.00"


# ---- parameters --------------------------------------------------------------------------------


@dataclass
class _Row:
    key: str  # stable, in column A: what read_params matches on
    line: str
    what: str
    bound: Any  # column D: upto, min, a grade, or None
    value: Any  # column E
    fmt: str | None = None
    bound_fmt: str | None = None


def _rows(pay: Pay) -> list[_Row]:
    out: list[_Row] = []
    if pay.floor is not None:
        out.append(_Row("floor", "应发合计", "下限(不低于)", None, pay.floor, _MONEY))
    for ln in pay.lines:
        i, name = ln.id, ln.label
        if ln.type == "commission" and ln.tiers is None:
            out.append(_Row(f"{i}.rate", name, "提成比例", None, ln.rate, _PCT))
        for k, t in enumerate(ln.tiers or []):
            out.append(_Row(f"{i}.tiers[{k}]", name, f"第{k + 1}档 上限(含)·比例", t.upto, t.rate, _PCT, _MONEY))
        for k, s in enumerate(ln.steps or []):
            out.append(_Row(f"{i}.steps[{k}]", name, f"{ln.column}满(≥)·加薪", s.min, s.amount, _MONEY))
        for k, (g, v) in enumerate((ln.table or {}).items()):
            out.append(_Row(f"{i}.table[{k}]", name, f"{ln.column}·加薪", g, v, _MONEY, "@"))
        if ln.type == "per_event":
            out.append(_Row(f"{i}.fraction", name, "每次占当月工资(奖正扣负)", None, ln.fraction, _PCT))
        if ln.type == "achievement":
            out.append(_Row(f"{i}.fraction", name, "占当月工资(奖正扣负)", None, ln.fraction, _PCT))
            out.append(_Row(f"{i}.start", name, "完成率起点", None, 1.0 if ln.start is None else ln.start, _PCT))
            if ln.every is not None:
                out.append(_Row(f"{i}.every", name, "每超出", None, ln.every, _PCT))
        if ln.type == "range":
            out.append(_Row(f"{i}.min", name, "可填比例下限", None, ln.min, _PCT))
            out.append(_Row(f"{i}.max", name, "可填比例上限", None, ln.max, _PCT))
        if ln.type == "fixed":
            out.append(_Row(f"{i}.amount", name, "每次金额(元, 奖正扣负)", None, ln.amount, _MONEY))
    return out


# A table's bound (column D) and value (column E), by kind of table.
_NAMES = {"steps": ("min", "amount"), "table": ("key", "amount"), "tiers": ("upto", "rate")}


def write_params(ws, pay: Pay, as_of: datetime.date | None = None) -> Params:
    """Write the pay's parameters on an empty sheet; return their cells for the formulas.

    Columns: A the key (grey), B the line, C what the value is, D a bound (a tier's
    upto, a step's min, a grade), E the value. D and E are yellow: finance edits them.
    ``as_of`` (the period's end, for years of service from 入职日期) is written last,
    not yellow: it follows the period.
    """
    title = ws.title.replace("'", "''")
    ws["A1"] = f"薪酬参数（财务可修改黄色单元格；修改后{PAY_SHEET}表即时重算）"
    ws["A1"].font = Font(name=FONT, bold=True, size=12)
    bold, grey = Font(name=FONT, bold=True, size=10), Font(name=FONT, size=8, color="808080")
    for c, text in zip("ABCDE", ("键", "工资项目", "参数", "界限/等级", "值")):
        ws[f"{c}2"] = text
        ws[f"{c}2"].font, ws[f"{c}2"].fill = bold, fill(HEAD)
    refs: dict[str, str] = {}
    spans: dict[str, list[int]] = {}
    for r, row in enumerate(_rows(pay), start=3):
        ws.cell(r, 1, row.key).font = grey
        ws.cell(r, 2, row.line)
        ws.cell(r, 3, row.what)
        e = ws.cell(r, 5, row.value)
        e.fill = fill(INPUT)
        if row.fmt:
            e.number_format = row.fmt
        ref = f"'{title}'!$E${r}"
        if "[" not in row.key:
            refs[row.key] = ref
            continue
        head = row.key.split("[")[0]
        spans.setdefault(head, []).append(r)
        bound_name, value_name = _NAMES[head.rsplit(".", 1)[1]]
        refs[f"{row.key}.{value_name}"] = ref
        if row.bound is not None:
            d = ws.cell(r, 4, str(row.bound) if row.bound_fmt == "@" else row.bound)
            d.fill = fill(INPUT)
            if row.bound_fmt:
                d.number_format = row.bound_fmt
            refs[f"{row.key}.{bound_name}"] = f"'{title}'!$D${r}"
    for head, rows in spans.items():
        lo, hi = rows[0], rows[-1]
        bound_name, value_name = _NAMES[head.rsplit(".", 1)[1]]
        refs[f"{head}.{bound_name}"] = f"'{title}'!$D${lo}:$D${hi}"
        refs[f"{head}.{value_name}"] = f"'{title}'!$E${lo}:$E${hi}"
    if as_of is not None and any(ln.from_date for ln in pay.lines):
        r = ws.max_row + 1
        ws.cell(r, 1, "as_of").font = grey
        ws.cell(r, 2, "工龄")
        ws.cell(r, 3, "核算期末(计算满年数)")
        ws.cell(r, 5, as_of).number_format = "yyyy-mm-dd"
        refs["as_of"] = f"'{title}'!$E${r}"
    for c, w in (("A", 16), ("B", 14), ("C", 26), ("D", 14), ("E", 12)):
        ws.column_dimensions[c].width = w
    ws.freeze_panes = "A3"
    return Params(refs, as_of)


def _number(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
        return float(v)
    return None


def read_params(ws, pay: Pay, kept: list[str]) -> Pay:
    """The pay with the parameters finance left on the sheet ``ws`` (written by :func:`write_params`).

    A value that differs from the scheme's wins and is said in ``kept``; rows whose key is
    unknown (the scheme changed) are ignored.

    Raises:
        InputError: A value is not a number, or the edited parameters break the pay's
            rules (tiers out of order, a range backwards…): each placed at its cell.
    """
    found: dict[str, tuple[int, Any, Any]] = {}
    for r in range(3, ws.max_row + 1):
        key = ws.cell(r, 1).value
        if isinstance(key, str) and key:
            found[key] = (r, ws.cell(r, 4).value, ws.cell(r, 5).value)
    problems: list[Problem] = []
    data = pay.model_dump(mode="python")
    cells: dict[str, str] = {}  # YAML path of a parameter → its cell, to place problems

    def take(key: str, value: Any, col: str, r: int, text: bool = False, path: str = "") -> Any:
        cells[path] = f"{ws.title}!{col}{r}"
        if text:
            return None if value is None else str(value)
        got = _number(value)
        if got is None and value not in (None, ""):
            problems.append(Problem(f"{ws.title}!{col}{r}", "not_a_number", "a pay parameter must be a number", value))
        return got

    def setv(old: Any, new: Any, key: str, container: Any, field_name: Any) -> None:
        if new is not None and new != old:
            container[field_name] = new
            kept.append(f"{key} on {ws.title}: {new!r} (scheme: {old!r})")

    if pay.floor is not None and "floor" in found:
        r, _, e = found["floor"]
        setv(data["floor"], take("floor", e, "E", r, path="pay.floor"), "floor", data, "floor")
    for j, (ln, d) in enumerate(zip(pay.lines, data["lines"])):
        i, at = ln.id, f"pay.lines[{j}]"
        for name in ("rate", "fraction", "min", "max", "amount", "start", "every"):
            if (getattr(ln, name) is not None or (name == "start" and ln.type == "achievement")) and f"{i}.{name}" in found:
                r, _, e = found[f"{i}.{name}"]
                old = 1.0 if name == "start" and d[name] is None else d[name]  # start's default, as written
                setv(old, take(f"{i}.{name}", e, "E", r, path=f"{at}.{name}"), f"{i}.{name}", d, name)
        for kind, bound, value in (("tiers", "upto", "rate"), ("steps", "min", "amount")):
            for k, t in enumerate(d.get(kind) or []):
                key = f"{i}.{kind}[{k}]"
                if key in found:
                    r, b, e = found[key]
                    if t[bound] is not None:
                        setv(t[bound], take(key, b, "D", r, path=f"{at}.{kind}[{k}].{bound}"), f"{key}.{bound}", t, bound)
                    setv(t[value], take(key, e, "E", r, path=f"{at}.{kind}[{k}].{value}"), f"{key}.{value}", t, value)
        if ln.table is not None:
            table = {}
            for k, (g, v) in enumerate(ln.table.items()):
                key = f"{i}.table[{k}]"
                if key not in found:
                    table[g] = v
                    continue
                r, b, e = found[key]
                g2 = take(key, b, "D", r, text=True) or g
                v2 = take(key, e, "E", r)
                table[g2] = v if v2 is None else v2
            setv(d["table"], table, f"{i}.table", d, "table")
    if problems:
        raise InputError(problems, PARAMS_SHEET)

    def place(path: str) -> str:
        return cells.get(path) or f"{ws.title} ({path})"

    try:
        edited = Pay.model_validate(data)
    except ValidationError as e:
        raise InputError([Problem(place("pay" + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])),
                                  "invalid_value", err["msg"].lower(), err.get("input")) for err in e.errors()],
                         PARAMS_SHEET) from None
    bad = [Problem(place(path), code, msg) for path, code, msg in check_pay(edited, True, True)]
    if bad:
        raise InputError(bad, PARAMS_SHEET)
    return edited


# ---- the pay sheet ---------------------------------------------------------------------------


@dataclass
class PayTable:
    """The people a pay sheet is written for, and what their lines read.

    Attributes:
        figures: One row per person, as :func:`~kpixl.pay.compute_pay` reads it
            (``employee_id``, the lines' columns, ``bonus``, ``history.salary_change``…,
            and ``history.reasons`` shown beside a history line).
        people: Columns shown after 工号, ``{label: values}`` (姓名, 部门).
        refs: Per figures column, a formula per person (``achievement:sales`` →
            ``ROUND('Results'!$F$3/'Results'!$G$3,9)``): the sheet's column is then live.
        item_names: Item id → name, for the achievement columns' labels (业绩完成·完成率).
        rule_names: History rule id → name, for the label of a line reading a rule's flag
            (``history: <rule id>``) and to find its reason in ``history.reasons``.
        bonus_refs: Each person's bonus cell (``'等级与奖金'!$Q$3``): the bonus line is then
            a formula reading it; None writes the bonus as a value.
        typed: The columns people type on this sheet (yellow, with data validation);
            None: every per_event, range and fixed line's column. A column that comes
            from the roster is shown as it is, not as a cell to type in.
    """

    figures: pd.DataFrame
    people: dict[str, Sequence[Any]] = field(default_factory=dict)
    bonus_refs: Sequence[str] | None = None
    typed: set[str] | None = None
    refs: dict[str, Sequence[str]] = field(default_factory=dict)
    item_names: dict[str, str] = field(default_factory=dict)
    rule_names: dict[str, str] = field(default_factory=dict)

    def is_typed(self, line: PayLine) -> bool:
        """Whether the line's column is typed on the sheet."""
        return line.is_typed and (self.typed is None or line.column in self.typed)


def input_key(line: PayLine) -> str | None:
    """The key of the column a line reads on the sheet (``pay.late.count``); None for none."""
    return {"raise": f"pay.{line.id}.by", "achievement": f"pay.{line.id}.achievement", "commission": f"pay.{line.id}.amount", "history": f"pay.{line.id}.change",
            "per_event": f"pay.{line.id}.count", "range": f"pay.{line.id}.typed",
            "fixed": f"pay.{line.id}.count"}.get(line.type)


def _column(figures: pd.DataFrame, col: str, n: int, number: bool = False, count: bool = False) -> list:
    """A figures column as cells; with ``number`` each value as the number the engine read
    (text "4" from a CSV is written 4, so LOOKUP and arithmetic see what the engine saw),
    with ``count`` a 是/否 flag too (是 = 1)."""
    if col not in figures.columns:
        return [None] * n
    raw = figures[col]
    if not (number or count):
        return [cell_value(v) for v in raw.tolist()]
    got, bad = count_values(raw) if count else numbers(raw)
    blank = is_blank(raw)
    return [cell_value(v) if b else (None if k or math.isnan(g) else cell_value(g))
            for v, g, b, k in zip(raw.tolist(), got, bad, blank)]


def _date_column(figures: pd.DataFrame, col: str, n: int) -> list:
    """A date column as date cells (text such as 2020-03-01 read as the engine reads it)."""
    if col not in figures.columns:
        return [None] * n
    days, bad = dates(figures[col])
    return [cell_value(v) if b else d for v, d, b in zip(figures[col].tolist(), days, bad)]


def layout_pay(pay: Pay, table: PayTable, params: Params, rules: Sequence[tuple[str, float]] = (),
               approval: ApprovalRefs | None = None) -> Layout:
    """Plan the pay sheet's columns (see :func:`write_pay_sheet`); with ``approval``, each line
    under approval is followed by what it adds once approved on 奖罚审批 (``<line>·计入``)."""
    f = table.figures
    n = len(f)
    lay = Layout(first=FIRST, last=FIRST + max(n, 1) - 1)
    lay.add(Col(ID, "工号", f[ID].astype(str).tolist()))
    for k, (label, values) in enumerate(table.people.items()):
        lay.add(Col(f"roster.{label}", label, [cell_value(v) for v in values]))

    alias: dict[str, str] = {}  # a second line reading one item's achievement shares the first's column
    shown: dict[str, str] = {}  # achievement:<item> → the column showing it

    def ref(row: int):
        return lambda key: lay.ref(alias.get(key, key), row)

    def counted(ln: PayLine) -> None:
        if approval is not None and ln.needs_approval:
            lay.add(Col(counted_key(ln), f"{ln.label}·计入(已批准)", fmt=_MONEY,
                        formula=lambda row: counted_formula(lay.ref(line_key(ln), row), lay.ref(ID, row),
                                                            ln, approval)))

    based = False
    for ln in pay.lines:
        key = line_key(ln)
        title = line_title(ln, rules)
        if ln.type in OF_WAGE and not based and ln.of is None:
            based = True
            base = pay.base_lines(None)
            if isinstance(base, Column):
                lay.add(Col("pay.wage_base", f"当月工资(计提基数: {base.column})", _column(f, base.column, n, number=True),
                            fmt=_MONEY))
            else:
                lay.add(Col("pay.wage_base", "当月工资(计提基数)", fmt=_MONEY,
                            formula=lambda row: wage_base_formula(pay, None, ref(row))))
        if ln.type in OF_WAGE and isinstance(ln.of, Column):
            lay.add(Col(f"pay.{ln.id}.of", f"{ln.label}·计提基数({ln.of.column})", _column(f, ln.of.column, n, number=True),
                        fmt=_MONEY))
        inp = input_key(ln)
        if ln.type == "wage":
            lay.add(Col(key, title, _column(f, ln.column, n, number=True), fmt=_MONEY))
            counted(ln)
            continue
        if ln.type == "bonus":
            if table.bonus_refs is not None:
                refs = list(table.bonus_refs)
                lay.add(Col(key, title, fmt=_MONEY, formula=lambda row, refs=refs: refs[row - FIRST]))
            else:
                lay.add(Col(key, title, _column(f, BONUS, n, number=True), fmt=_MONEY))
            counted(ln)
            continue
        if ln.type == "history":
            change = salary_change(f)
            lay.add(Col(inp, f"{ln.label}·比例(历史规则)", [cell_value(v) for v in (change if change is not None else [0.0] * n)],
                        fmt=_PCT))
            lay.add(Col(f"pay.{ln.id}.reasons", f"{ln.label}·事由", _column(f, REASONS, n)))
        elif ln.type == "achievement":
            col = achievement_key(ln.item)
            label = f"{table.item_names.get(ln.item, ln.item)}·完成率"
            if col in shown:
                alias[inp] = shown[col]
            elif col in table.refs:
                refs_ = list(table.refs[col])
                lay.add(Col(inp, label, fmt=_PCT, formula=lambda row, r=refs_: r[row - FIRST]))
            else:
                lay.add(Col(inp, label, _column(f, col, n, number=True), fmt=_PCT))
            shown.setdefault(col, inp)
        elif ln.type == "raise" and ln.from_date:
            lay.add(Col(inp, ln.column, _date_column(f, ln.column, n), fmt="yyyy-mm-dd"))
        elif ln.type == "raise":
            lay.add(Col(inp, ln.column, _column(f, ln.column, n, number=ln.steps is not None)))
        elif ln.type == "commission":
            lay.add(Col(inp, ln.column, _column(f, ln.column, n, number=True), fmt=_MONEY))
        elif ln.type == "range":
            lay.add(Col(inp, f"{ln.label}·比例(填{percent(ln.min)}–{percent(ln.max)})",
                        _column(f, ln.column, n, number=True), fmt=_PCT, is_input=table.is_typed(ln)))
        elif ln.history is not None:  # per_event, fixed reading a history rule's flag: data, not typed
            name = table.rule_names.get(ln.history, ln.history)
            lay.add(Col(inp, f"{ln.label}·{name}(历史规则, 触发=1)", _column(f, ln.source, n, count=True)))
            why = f[REASONS].tolist() if REASONS in f.columns else [None] * n
            lay.add(Col(f"pay.{ln.id}.reasons", f"{ln.label}·事由",
                        [cell_value(rule_reason(v, ln.history, name)) for v in why]))
        else:  # per_event, fixed
            lay.add(Col(inp, f"{ln.column}(次)", _column(f, ln.column, n, count=True), is_input=table.is_typed(ln)))
        lay.add(Col(key, title, fmt=_MONEY, formula=lambda row, ln=ln: line_formula(pay, ln, ref(row), params)))
        counted(ln)
    keys = [counted_key(ln) if approval is not None and ln.needs_approval else line_key(ln) for ln in pay.lines]
    lay.add(Col(total_key(), "应发合计" + (f" (不低于{xlmath.num(pay.floor)})" if pay.floor else ""), fmt=_MONEY,
                formula=lambda row: total_formula(pay, [lay.ref(k, row) for k in keys], params)))
    return lay


def _validation(ws, lay: Layout, pay: Pay, table: PayTable, n: int) -> None:
    """Data validation on the cells people type: counts ≥ 0, typed shares in their range (or 0)."""
    if n == 0:
        return
    for ln in pay.lines:
        key = input_key(ln)
        if not table.is_typed(ln) or key not in lay.cols:
            continue
        c = lay.cols[key].letter
        cells = f"{c}{FIRST}:{c}{FIRST + n - 1}"
        if ln.type == "range":
            first = f"{c}{FIRST}"
            lo, hi = xlmath.num(ln.min), xlmath.num(ln.max)
            dv = DataValidation(type="custom", formula1=f"OR({first}=0,AND({first}>={lo},{first}<={hi}))",
                                allow_blank=True, showErrorMessage=True, errorTitle="比例超出范围",
                                error=f"{ln.label}: 请填写{percent(ln.min)}至{percent(ln.max)}之间的比例，"
                                      "无则填0或留空")
        else:
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="次数无效", error=f"{ln.label}: 请填写0或正整数(次数)")
        ws.add_data_validation(dv)
        dv.add(cells)


def write_pay_sheet(ws, pay: Pay, table: PayTable, params: Params | None = None,
                    rules: Sequence[tuple[str, float]] = (), values: pd.DataFrame | None = None,
                    lang: str = DEFAULT_LANG, approval_ws=None, approvals: Approvals | None = None,
                    period: str = "") -> tuple[Layout, pd.DataFrame]:
    """Write the pay of ``table`` on the empty sheet ``ws`` as live formulas.

    With ``approval_ws`` (the approval step, :mod:`.approval`), the rewards and penalties
    are proposals: ``approval_ws`` becomes 奖罚审批 (one row per person and line under
    approval with an amount, HR's 审批/审批人/日期 kept from ``approvals``), and 应发合计
    counts a line only where its 审批 is 同意.

    Args:
        pay: The pay (with finance's parameters: :func:`read_params`).
        table: The people and their figures.
        params: The parameter cells (:func:`write_params`); None writes numbers.
        rules: ``(name, signed fraction)`` of the history rules, named in the history
            line's header (:func:`~kpixl.pay.formulas.history_rules`).
        values: The engine's pay of ``table`` when the caller has it; else computed.
        lang: The labels' language (:mod:`kpixl.xlsx.lang`); the rules' words stay Chinese.
        approval_ws: The empty sheet for 奖罚审批; None: no approval step (every line counts).
        approvals: What HR left on 奖罚审批 before (:func:`~kpixl.pay.approval.read_approvals`).
        period: The period of the pay (奖罚审批 keeps approvals per period).

    Returns:
        The layout and the engine's figures (:func:`~kpixl.pay.compute_pay`, with the
        approvals' decisions when there is an approval step), which every formula cell
        caches. ``values`` given with an approval step must have been computed with them.

    Raises:
        InputError: The figures have problems (:func:`~kpixl.pay.compute_pay`): nothing
            is written.
    """
    params = params or Params()
    refs = None
    if approval_ws is not None:
        got = compute_pay(pay, table.figures, params.as_of, decisions(approvals or {}, period)) \
            if values is None else values
        people = {k: list(v) for k, v in table.people.items()}
        alay, n, _ = approval_layout(pay, table.figures, got, period, people, approvals, table.rule_names)
        write_approvals(approval_ws, alay, n, lang)
        refs = refs_of(alay, approval_ws.title)
    else:
        got = compute_pay(pay, table.figures, params.as_of) if values is None else values
    lay = layout_pay(pay, table, params, rules, refs)
    figures = {k: got[k].to_numpy() for k in got.columns if k != ID}
    for ln in pay.lines:  # a live achievement column caches the achievement the engine read
        if ln.type == "achievement" and achievement_key(ln.item) in table.figures.columns \
                and f"pay.{ln.id}.achievement" in lay.cols:
            x, _ = numbers(table.figures[achievement_key(ln.item)])
            figures[f"pay.{ln.id}.achievement"] = np.where(np.isnan(x), 0.0, x)
    write_layout(lay, len(table.figures), ws, figures, lang=lang)
    # 工号, 姓名, typed figures: data from the roster, never formulas (an id "=A" stays text).
    defuse_columns(ws, [j for j, c in enumerate(lay.cols.values(), 1) if c.formula is None], first_row=FIRST)
    _validation(ws, lay, pay, table, len(table.figures))
    return lay, got
