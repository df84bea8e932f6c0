"""The year's pay: ``期间工资`` (each period's pay lines, copied) and ``工资核算`` (their sums, live).

What a year's pay is (docs/year.md § Pay): for each person, each pay line's **sum over
the year's periods**, as the period masters' own ``工资核算`` sheets show it. The period
figures are copied as data with their provenance (file, SHA-256), like ``期间成绩``: the
period pay was checked, typed (迟到早退, 工作失误) and approved in its master, and the year
does not compute it again. On ``工资核算`` of the year every figure is a live formula:

* ``<line>·全年合计`` = ``SUM`` of the person's block of rows on ``期间工资`` (a line under
  approval: ``·全年计入``, the sum of what each period's 奖罚审批 approved — what counted);
* ``已核算期数`` = ``COUNT`` of the block's 应发合计; ``未核算期间`` names the periods the
  person has a result for (``期间成绩``) but no pay (a master not rated yet, or a person
  not rated in it) — flagged, never made up;
* ``各期应发合计`` = ``SUM`` of the block's 应发合计 (each period's floor already applied);
* ``年度绩效奖金`` = the person's bonus cell on ``年度汇总`` (when the scheme has a bonus);
* ``应发合计`` = ``SUM(各期应发合计, 年度绩效奖金)``.

The year has no ``薪酬参数``: its lines hold no parameter (each period's parameters are
on its own master); the annual bonus's parameters are ``奖金参数``'s, kept on rebuilds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engine.inputs import ID
from ..results.sheet import FIRST, Col, Layout, write_layout
from ..scheme.models import Scheme
from ..xlsx.cells import cell_value
from ..xlsx.printing import MONEY
from ..xlsx.text import append_row
from ..xlsx.bulk import Bulk
from .figures import PERIODS
from .sheet import data_rows, data_sheet_setup

__all__ = ["PAY_COPIED", "PAY_YEAR", "copied_keys", "pay_columns", "pay_rows", "unpaid_periods", "write_pay_copied",
           "write_year_pay"]

PAY_YEAR, PAY_COPIED = "工资核算", "期间工资"
_HEAD = {ID: "工号", "姓名": "姓名", "component": "组成部分", "period": "期间"}
_TAIL = {"file": "来源文件", "sha256": "来源SHA-256"}


def pay_columns(scheme: Scheme) -> dict[str, str]:
    """The copied pay columns, key → label: each line (``pay.base`` → 基本工资) and ``pay.total``."""
    out = {f"pay.{ln.id}": ln.label for ln in scheme.pay.lines}
    out["pay.total"] = "应发合计"
    return out


def copied_keys(scheme: Scheme) -> dict[str, str]:
    """Every column of ``期间工资``, key → label (a line under approval: ``<line>·计入``)."""
    reviewed = {f"pay.{ln.id}" for ln in scheme.pay.lines if ln.needs_approval}
    return {**_HEAD, **{k: f"{v}·计入" if k in reviewed else v for k, v in pay_columns(scheme).items()}, **_TAIL}


def pay_rows(frames: list[pd.DataFrame], people: list[str], scheme: Scheme) -> pd.DataFrame:
    """The period pay rows of the year, in ``期间工资`` order: by person (the year's order), then period."""
    keys = list(copied_keys(scheme))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=keys)
    rows = pd.concat(frames, ignore_index=True).reindex(columns=keys)
    rows[ID] = rows[ID].astype(str)
    rows["period"] = rows["period"].astype(str)
    pos = {e: k for k, e in enumerate(people)}
    rows = rows[rows[ID].isin(pos)]
    rows = rows.assign(_p=rows[ID].map(pos)).sort_values(["_p", "period"], kind="stable").drop(columns="_p")
    return rows.reset_index(drop=True)


def write_pay_copied(ws, rows: pd.DataFrame, scheme: Scheme) -> Bulk:
    """Lay out ``期间工资`` (row 1 keys, row 2 labels) and return its rows for bulk writing."""
    keys = copied_keys(scheme)
    append_row(ws, list(keys))
    append_row(ws, list(keys.values()))
    data_sheet_setup(ws)
    ws.freeze_panes = "C3"
    columns = [rows[k].tolist() for k in keys]
    hidden = {"component"} if "component" in keys and set(rows["component"].astype(str)) <= {PERIODS} else set()
    return data_rows(ws, list(keys), [[cell_value(v) for v in rec] for rec in zip(*columns)],
                     money={k for k in keys if k.startswith("pay.")}, hidden=hidden)


def _blocks(rows: pd.DataFrame) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for k, eid in enumerate(rows[ID].astype(str)):
        r = FIRST + k
        a = out.get(eid)
        out[eid] = (a[0] if a else r, r)
    return out


def _number(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(f) else f


def write_year_pay(ws, scheme: Scheme, ids: list[str], names: dict[str, list], rows: pd.DataFrame,
                   unpaid: dict[str, list[str]], bonus_refs: list[str] | None,
                   bonus: Any = None) -> tuple[Layout, pd.DataFrame]:
    """Write the year's ``工资核算`` (module docstring) with the engine's values cached.

    Args:
        ws: An empty worksheet.
        scheme: The programme's scheme (with ``pay``).
        ids: The year's people, in ``年度汇总``'s rows.
        names: Columns shown after 工号 (``{"姓名": [...], "部门": [...]}``).
        rows: The copied period pay rows, in ``期间工资`` order (:func:`pay_rows`).
        unpaid: Per person, the periods with a result but no pay.
        bonus_refs: Each person's ``年度汇总`` bonus cell; None: no annual bonus line.
        bonus: The engine's annual bonus per person (with ``bonus_refs``).

    Returns:
        The layout and the engine's figures, one row per person (keys as the columns).
    """
    cols = pay_columns(scheme)
    block = _blocks(rows)
    letter = {k: ws.cell(1, j + 1).column_letter for j, k in enumerate(copied_keys(scheme))}
    n = len(ids)
    values: dict[str, Any] = {ID: list(ids)}
    grouped = {k: rows.assign(_v=rows[k].map(_number)).groupby(ID)["_v"].sum() for k in cols} if len(rows) else {}
    counts = rows.assign(_n=rows["pay.total"].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   and not np.isnan(float(v)))).groupby(ID)["_n"].sum() \
        if len(rows) else pd.Series(dtype=float)
    values["pay.periods"] = [float(counts.get(e, 0)) for e in ids]
    for k in cols:
        values[k if k != "pay.total" else "pay.paid"] = [float(grouped[k].get(e, 0.0)) if grouped else 0.0 for e in ids]
    annual = bonus_refs is not None
    if annual:
        values["pay.annual_bonus"] = [_number(b) for b in bonus]
    values["pay.total"] = [p + (values["pay.annual_bonus"][k] if annual else 0.0)
                           for k, p in enumerate(values["pay.paid"])]
    out = pd.DataFrame(values)

    lay = Layout(first=FIRST, last=FIRST + max(n, 1) - 1)
    lay.add(Col(ID, "工号", list(ids)))
    for label, vals in names.items():
        lay.add(Col(f"roster.{label}", label, [cell_value(v) for v in vals]))

    def over(key: str, how: str):
        c = letter[key]

        def f(row: int) -> str:
            got = block.get(ids[row - FIRST])
            return f"{how}('{PAY_COPIED}'!${c}${got[0]}:${c}${got[1]})" if got else "0"
        return f

    lay.add(Col("pay.periods", "已核算期数", formula=over("pay.total", "COUNT")))
    lay.add(Col("pay.unpaid", "未核算期间", [", ".join(unpaid.get(e, [])) or None for e in ids]))
    reviewed = {f"pay.{ln.id}" for ln in scheme.pay.lines if ln.needs_approval}
    for k, label in cols.items():
        if k == "pay.total":
            continue
        # a line under approval: what was approved (计入), as 应发合计 counted it
        lay.add(Col(k, f"{label}·全年{'计入' if k in reviewed else '合计'}", fmt=MONEY, formula=over(k, "SUM")))
    lay.add(Col("pay.paid", "各期应发合计", fmt=MONEY, formula=over("pay.total", "SUM")))
    if annual:
        refs = list(bonus_refs)
        lay.add(Col("pay.annual_bonus", "年度绩效奖金(年度汇总)", fmt=MONEY, formula=lambda row: refs[row - FIRST]))
    parts = ["pay.paid"] + (["pay.annual_bonus"] if annual else [])
    lay.add(Col("pay.total", "应发合计", fmt=MONEY,
                formula=lambda row: f"SUM({','.join(lay.ref(k, row) for k in parts)})"))
    write_layout(lay, n, ws, {k: v for k, v in values.items() if k != ID})
    return lay, out


def unpaid_periods(copied: pd.DataFrame, pay: pd.DataFrame) -> dict[str, list[str]]:
    """Per person, the periods with a result on ``期间成绩`` but no row on ``期间工资``."""
    have = set(zip(pay[ID].astype(str), pay["period"].astype(str))) if len(pay) else set()
    out: dict[str, list[str]] = {}
    for eid, period in zip(copied[ID].astype(str), copied["period"].astype(str)):
        if (eid, period) not in have:
            out.setdefault(eid, []).append(period)
    return out
