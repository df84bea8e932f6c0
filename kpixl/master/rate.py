"""Rate & Bonus: ratings and bonuses of the collected period, as live formulas over ``Results``.

``rate(master)`` is what ``kpixl rate`` and the ribbon's *Rate & Bonus* button run. It
writes two sheets:

* ``奖金参数`` — the numbers finance may change: the bonus budget, the rating factors
  and the level factors (first filled from the scheme; kept as finance left them on
  later runs);
* ``等级与奖金`` — one row per collected person (row 1 keys, row 2 labels, people from
  row 3, like ``Results``): the total (``=Results!…``), tie order, rank, rating, flags,
  the bonus base (a value finance may overwrite; an overwritten base is kept on later
  runs), level, commission amount, the bonus before the budget, and the bonus. Every
  computed cell is a formula from the same builders as the engine (:mod:`kpixl.rating`,
  :mod:`kpixl.bonus`), with the factors and the budget looked up on ``奖金参数``.

The Python engine computes the same figures from the same records and parameters;
``verify=True`` lets LibreOffice recalculate the master and compares every cell.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font, PatternFill

from .. import bonus as bonus_mod
from .. import rating as rating_mod
from ..engine.inputs import ID
from ..engine.score import prepare
from ..errors import FileProblem, Problem
from ..rules import level_key
from ..scheme.models import Column as ColumnSpec
from .collect import _redraw_report, _Run
from .book import RESULTS, locked, open_master
from ..results.sheet import _HEAD_FILL as _HEAD
from ..results.sheet import (
    FIRST,
    FONT,
    Col,
    Layout,
    _cell_value,
    layout_results,
    rating_columns,
    write_layout,
)

__all__ = ["PARAMS", "RATED", "Rated", "rate"]

RATED = "等级与奖金"
PARAMS = "奖金参数"
STEP = "rating"
BUDGET_CELL = "B3"
_INPUT = PatternFill("solid", fgColor="FFF2CC")



@dataclass
class Rated:
    """What :func:`rate` wrote and computed."""

    master: Path
    period: str
    results: pd.DataFrame = field(default_factory=pd.DataFrame)  # the engine's figures, keyed like the sheet
    problems: list[Problem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what finance had changed and was kept
    verification: Any = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.verification is None or self.verification.ok)

    def summary(self) -> str:
        n = len(self.results)
        lines = [f"{self.master.name}: rated {n} people of {self.period} on {RATED} (parameters on {PARAMS})"]
        if "bonus" in self.results.columns and n:
            lines.append(f"  bonus total {np.nansum(self.results['bonus'].astype(float)):,.2f}")
        lines += [f"  kept {k}" for k in self.kept]
        if self.verification is not None:
            lines.append("  " + self.verification.summary())
        return "\n".join(lines)


@dataclass
class Params:
    """The parameters finance may edit, and their cells on ``奖金参数``."""

    budget: float | None = None
    rating_factor: dict[str, float] | None = None
    level_factor: dict[str, float] | None = None
    rating_table: tuple[str, str] | None = None
    level_table: tuple[str, str] | None = None


def _read_params(wb, scheme, kept: list[str]) -> Params:
    """The parameters as on the sheet (finance's), else from the scheme."""
    b = scheme.bonus
    p = Params(b.budget if b else None, dict(b.rating_factor) if b and b.rating_factor else None,
               {level_key(k): f for k, f in b.level_factor.factors.items()} if b and b.level_factor else None)
    if PARAMS not in wb.sheetnames:
        return p
    ws = wb[PARAMS]
    v = ws[BUDGET_CELL].value
    budget = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else None
    if budget != p.budget:
        kept.append(f"the budget on {PARAMS}!{BUDGET_CELL}: {budget if budget is not None else '(none)'} "
                    f"(scheme: {p.budget if p.budget is not None else '(none)'})")
        p.budget = budget
    for title, attr in (("rating", "rating_factor"), ("level", "level_factor")):
        table = _table_values(ws, title)
        if table is not None and getattr(p, attr) is not None and table != getattr(p, attr):
            kept.append(f"the {title} factors on {PARAMS}: {table}")
            setattr(p, attr, table)
    return p


def _table_values(ws, title: str) -> dict[str, float] | None:
    """Rows under the header ``<title> factors`` in columns D–E (rating) or G–H (level)."""
    col = 4 if title == "rating" else 7
    if ws.cell(2, col).value is None:
        return None
    out: dict[str, float] = {}
    r = 3
    while ws.cell(r, col).value not in (None, ""):
        name, f = ws.cell(r, col).value, ws.cell(r, col + 1).value
        out[level_key(name) if title == "level" else str(name)] = float(f) if isinstance(f, (int, float)) else 1.0
        r += 1
    return out


def _write_params(m, p: Params, scheme) -> Params:
    ws = m.sheet(PARAMS)
    bold = Font(name=FONT, bold=True, size=10)
    ws["A1"] = f"奖金参数（财务可修改黄色单元格；修改后{RATED}表即时重算）"
    ws["A1"].font = Font(name=FONT, bold=True, size=12)
    ws["A2"], ws["A3"] = "项目", "奖金预算 budget"
    ws["B2"] = "值"
    ws[BUDGET_CELL] = p.budget
    ws[BUDGET_CELL].fill = _INPUT
    ws[BUDGET_CELL].number_format = "#,##0.00"
    ws["A4"] = "（留空表示不按预算调整）"
    for title, col, table in (("rating", 4, p.rating_factor), ("level", 7, p.level_factor)):
        if table is None:
            continue
        ws.cell(2, col, "考核等级" if title == "rating" else "职级")
        ws.cell(2, col + 1, "系数")
        for k, (name, f) in enumerate(table.items(), start=3):
            ws.cell(k, col, str(name)).number_format = "@"
            ws.cell(k, col + 1, f).fill = _INPUT
        last = 2 + len(table)
        lc, vc = ws.cell(3, col).column_letter, ws.cell(3, col + 1).column_letter
        rng = (f"'{PARAMS}'!${lc}$3:${lc}${last}", f"'{PARAMS}'!${vc}$3:${vc}${last}")
        if title == "rating":
            p.rating_table = rng
        else:
            p.level_table = rng
    for c in ("A2", "B2", "D2", "E2", "G2", "H2"):
        ws[c].font, ws[c].fill = bold, _HEAD
    for c, w in (("A", 22), ("B", 14), ("D", 12), ("E", 8), ("G", 10), ("H", 8)):
        ws.column_dimensions[c].width = w
    return p


def _kept_bases(wb, ids: list[str], roster_base: np.ndarray, kept: list[str]) -> np.ndarray:
    """The bonus bases: the roster's, except where finance overwrote one on the rated sheet."""
    base = np.asarray(roster_base, dtype=float).copy()
    if RATED not in wb.sheetnames:
        return base
    rows = list(wb[RATED].iter_rows(values_only=True))
    if not rows:
        return base
    keys = [str(k) for k in rows[0]]
    if ID not in keys or "bonus.base" not in keys:
        return base
    i, j = keys.index(ID), keys.index("bonus.base")
    old = {str(r[i]): r[j] for r in rows[FIRST - 1:] if r[i] is not None}
    for k, eid in enumerate(ids):
        v = old.get(eid)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not (
                not math.isnan(base[k]) and math.isclose(float(v), base[k], rel_tol=0, abs_tol=1e-9)):
            kept.append(f"{eid}'s bonus base {float(v):,.2f} edited on {RATED} (roster: {base[k]:,.2f})")
            base[k] = float(v)
    return base


def rate(master: str | Path, *, verify: bool = False) -> Rated:
    """Write ratings and bonuses of the master's period as live formulas (module docstring).

    Args:
        master: A master that has been collected into.
        verify: Recalculate with LibreOffice afterwards and compare every cell with the engine.

    Returns:
        A :class:`Rated` with the engine's figures.

    Raises:
        FileProblem: The master cannot be opened or written, or nothing was collected yet.
    """
    path = Path(master)
    with locked(path, STEP):
        m = open_master(path, STEP)
        s = m.scheme
        if s.ratings is None and s.bonus is None:
            raise FileProblem(path, STEP, "the scheme has neither ratings nor a bonus: nothing to rate")
        run = _Run(m, m.period, "", pd.Timestamp.now().to_pydatetime())
        if run.period is None or not run.store.of_period(run.period):
            raise FileProblem(path, STEP, "nothing has been collected into this master yet; run Collect first")
        frame = run.frame(run.period)
        ctx = prepare(s, frame, run.roster).gather()
        out = Rated(path, run.period, problems=list(ctx.problems))
        res_lay = layout_results(ctx, outputs=False)
        params = _read_params(m.wb, s, out.kept)
        params = _write_params(m, params, s)
        if s.bonus is not None:
            ctx.base = _kept_bases(m.wb, list(ctx.ids), ctx.base, out.kept)
        lay = _layout(ctx, res_lay, params)
        _write_sheet(m, lay, ctx)
        out.results = _engine(ctx, params)
        _redraw_report(m)
        m.save(STEP)
    if verify:
        out.verification = _verify(path, out.results)
    return out


def _layout(ctx, res_lay: Layout, p: Params) -> Layout:
    s = ctx.scheme
    lay = Layout(first=FIRST, last=FIRST + max(ctx.n, 1) - 1)
    lay.add(Col(ID, "工号", list(ctx.ids)))
    for key in ("roster.姓名", "roster.部门"):
        if key in res_lay.cols:
            lay.add(Col(key, res_lay.cols[key].label, res_lay.cols[key].values))
    total = res_lay.cols["total"].letter
    lay.add(Col("total", "总分", fmt="0.00", formula=lambda row: f"{RESULTS}!${total}${row}"))
    if s.ratings is not None:
        rating_columns(lay, s, ctx)
    b = s.bonus
    if b is None:
        return lay
    lay.add(Col("bonus.base", b.base.column if isinstance(b.base, ColumnSpec) else "奖金基数",
                [_cell_value(v) for v in ctx.base], fmt="#,##0.00", is_input=True))
    if b.level_factor is not None:
        lay.add(Col("bonus.level", b.level_factor.column,
                    [_cell_value(v) for v in ctx.level] if ctx.level is not None else [None] * ctx.n))
    if b.commission is not None:
        lay.add(Col("bonus.amount", b.commission.amount.column if isinstance(b.commission.amount, ColumnSpec)
                    else "提成基数", [_cell_value(v) for v in ctx.amount], fmt="#,##0.00"))
    lay.add(Col("bonus.perf", "绩效奖金(预算调整前)", fmt="#,##0.00", formula=lambda row: bonus_mod.perf_formula(
        b, lay.ref("total", row), lay.ref("bonus.base", row), s.scale,
        rating_ref=lay.ref("rating", row) if s.ratings is not None else None,
        level_ref=lay.ref("bonus.level", row) if b.level_factor is not None else None,
        rating_table=p.rating_table, level_table=p.level_table)))
    lay.add(Col("bonus", "当月绩效奖金", fmt="#,##0.00", formula=lambda row: bonus_mod.bonus_formula(
        b, lay.ref("bonus.perf", row), lay.range("bonus.perf"),
        commission_ref=lay.ref("bonus.amount", row) if b.commission is not None else None,
        budget_ref=f"'{PARAMS}'!${BUDGET_CELL[0]}${BUDGET_CELL[1:]}")))
    return lay


def _write_sheet(m, lay: Layout, ctx) -> None:
    write_layout(lay, ctx.n, m.sheet(RATED))


def _engine(ctx, p: Params) -> pd.DataFrame:
    """The same figures in Python: the engine's totals, ratings, ranks, flags and bonuses."""
    s = ctx.scheme
    res = ctx.compute()
    out = pd.DataFrame({ID: ctx.ids, "total": res["total"]})
    total = res["total"].to_numpy(dtype=float)
    rating = None
    if s.ratings is not None:
        rating, flags = rating_mod.rate(s.ratings, total, group=ctx.group, order=ctx.order)
        out["rating"] = rating
        if s.ratings.distribution is not None or s.ratings.flags:
            out["rank"] = rating_mod.rank(total, ctx.group, ctx.order)
        for fid, vals in flags.items():
            out[f"flag.{fid}"] = vals
    if s.bonus is not None:
        b = s.bonus
        update: dict[str, Any] = {"budget": p.budget}
        if p.rating_factor is not None:
            update["rating_factor"] = p.rating_factor
        if p.level_factor is not None and b.level_factor is not None:
            update["level_factor"] = b.level_factor.model_copy(update={"factors": p.level_factor})
        policy = b.model_copy(update=update)
        perf, pay = bonus_mod.bonus_amounts(policy, total, s.scale, ctx.base, rating=rating, level=ctx.level,
                                            commission_amount=ctx.amount)
        out["bonus.perf"], out["bonus"] = perf, pay
    return out


def _verify(path: Path, results: pd.DataFrame):
    from .. import libreoffice
    from ..results.verify import Verification, read_results

    with tempfile.TemporaryDirectory() as d:
        out = libreoffice.recalculate([path], Path(d))[0]
        got = read_results(out, RATED)
    v = Verification()
    got = got.set_index(ID)
    for _, row in results.iterrows():
        eid = str(row[ID])
        for key, want in row.items():
            if key == ID or key not in got.columns:
                continue
            have = got.at[eid, key] if eid in got.index else None
            v.compared += 1
            if isinstance(have, str) and have.startswith("#"):
                v.errors.append((f"{RATED} {eid} {key}", have))
            elif not _agree(have, want):
                v.mismatches.append((f"{RATED} {eid}", key, have, want))
    return v


def _agree(have: Any, want: Any) -> bool:
    if isinstance(want, (bool, np.bool_)):
        return have in (want, 1 if want else 0) or str(have).upper() == str(bool(want)).upper()
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return have in (None, "")
    if isinstance(want, str):
        return str(have or "") == want
    try:
        return math.isclose(float(have), float(want), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False
