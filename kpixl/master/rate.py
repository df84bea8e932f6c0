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

When the scheme has ``pay:``, ``工资核算``, ``奖罚审批`` and ``薪酬参数`` follow (:mod:`.pay`):
each person's pay line by line, the bonus line reading ``等级与奖金``'s bonus cell, rewards
and penalties counting only once approved on ``奖罚审批`` (approvals kept, changes logged).

The Python engine computes the same figures from the same records and parameters;
``verify=True`` lets LibreOffice recalculate the master and compares every cell.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import bonus as bonus_mod
from ..engine.inputs import ID
from ..engine.prepared import Overrides, Prepared
from ..engine.score import compute
from ..errors import FileProblem, InputError, Problem
from ..results.sheet import FIRST, Col, Layout, layout_results, rating_columns, write_layout
from ..results.values import sheet_values
from ..xlsx.cells import cell_value
from ..xlsx.printing import MONEY
from ..scheme.models import Column as ColumnSpec
from ..scheme.models import Scheme
from .book import RESULTS, locked, open_master
from .params import BUDGET_CELL, PARAMS, RATED, Params, kept_bases, read_params, write_params
from .pay import PAY_SHEET, pay_summary, write_pay
from .records import Records
from .relabel import switch_lang
from .report import redraw

__all__ = ["PARAMS", "RATED", "Rated", "bonus_with_params", "rate", "rated_figures"]

STEP = "rating"



@dataclass
class Rated:
    """What :func:`rate` wrote and computed."""

    master: Path
    period: str
    results: pd.DataFrame = field(default_factory=pd.DataFrame)  # the engine's figures, keyed like the sheet
    problems: list[Problem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what finance had changed and was kept
    verification: Any = None
    pay: pd.DataFrame | None = None  # the engine's pay (工资核算), when the scheme has pay:

    @property
    def ok(self) -> bool:
        return not self.problems and (self.verification is None or self.verification.ok)

    def summary(self) -> str:
        n = len(self.results)
        lines = [f"{self.master.name}: rated {n} people of {self.period} on {RATED} (parameters on {PARAMS})"]
        if "bonus" in self.results.columns and n:
            lines.append(f"  bonus total {np.nansum(self.results['bonus'].astype(float)):,.2f}")
        if self.pay is not None:
            lines.append(pay_summary(self.pay))
        lines += [f"  kept {k}" for k in self.kept]
        if self.verification is not None:
            lines.append("  " + self.verification.summary())
        return "\n".join(lines)


def rate(master: str | Path, *, verify: bool = False, lang: str | None = None) -> Rated:
    """Write ratings and bonuses of the master's period as live formulas (module docstring).

    Args:
        master: A master that has been collected into.
        verify: Recalculate with LibreOffice afterwards and compare every cell with the engine.
        lang: ``zh`` or ``en``: the language of the headers, kept in the master (default: the master's).

    Returns:
        A :class:`Rated` with the engine's figures.

    Raises:
        FileProblem: The master cannot be opened or written, or nothing was collected yet.
        InputError: A value finance typed on 奖金参数, 等级与奖金, 薪酬参数 or 奖罚审批 is none
            (text, a formula, a negative amount): each placed at its cell, nothing written.
    """
    path = Path(master)
    with locked(path, STEP):
        m = open_master(path, STEP)
        switch_lang(m, lang, rewritten=(RATED,))
        s = m.scheme
        if s.ratings is None and s.bonus is None and s.pay is None:
            raise FileProblem(path, STEP, "the scheme has neither ratings nor a bonus nor pay: nothing to rate")
        records = Records.collected(m, STEP)
        prepared = records.prepared()
        out = Rated(path, records.period, problems=list(prepared.problems))
        res_lay = layout_results(prepared, outputs=False)
        bad: list[Problem] = []  # finance's typed values that are none: refused before anything is written
        params = read_params(m.wb, s, out.kept, bad)
        base = kept_bases(m.wb, list(prepared.ids), prepared.bonus.base, out.kept, problems=bad) \
            if s.bonus is not None else None
        if bad:
            raise InputError(bad, "bonus parameters")
        params = write_params(m, params)
        overrides = Overrides()
        if s.bonus is not None:
            overrides = Overrides(bonus=params.policy(s.bonus), base=base)
        lay = _layout(prepared, res_lay, params, overrides)
        write_layout(lay, prepared.n, m.sheet(RATED), sheet_values(prepared, overrides), lang=m.lang)
        out.results = rated_figures(s, compute(prepared, overrides, detail=True))
        if s.pay is not None:  # 工资核算 after the rated sheet; raises before anything is saved
            out.pay = write_pay(m, records, list(prepared.ids), lay, out.results["bonus"].to_numpy()
                                if s.bonus is not None else None, out.kept, prepared)
        redraw(m)
        m.save(STEP)
    if verify:
        out.verification = _verify(path, out.results, out.pay)
    return out


def rated_figures(scheme: Scheme, computed: pd.DataFrame) -> pd.DataFrame:
    """The engine's figures that the rated sheet shows: total, rating, rank, flags, bonus."""
    keep = [ID, "total"]
    if scheme.ratings is not None:
        keep += ["rating", *(["rank"] if "rank" in computed.columns else []),
                 *(c for c in computed.columns if c.startswith("flag."))]
    if scheme.bonus is not None:
        keep += ["bonus.perf", "bonus"]
    return computed[keep]


def _layout(prepared: Prepared, res_lay: Layout, p: Params, overrides: Overrides) -> Layout:
    s = prepared.scheme
    lay = Layout(first=FIRST, last=FIRST + max(prepared.n, 1) - 1)
    lay.add(Col(ID, "工号", list(prepared.ids)))
    for key in ("roster.姓名", "roster.部门"):
        if key in res_lay.cols:
            lay.add(Col(key, res_lay.cols[key].label, res_lay.cols[key].values))
    total = res_lay.cols["total"].letter
    lay.add(Col("total", "总分", fmt="0.00", formula=lambda row: f"{RESULTS}!${total}${row}"))
    if s.ratings is not None:
        rating_columns(lay, s, prepared)
    if s.bonus is not None:
        bonus_with_params(lay, s, overrides.base, prepared.bonus.level, prepared.bonus.amount, p, n=prepared.n,
                          label=bonus_mod.bonus_label(s.period))
    return lay


def bonus_with_params(lay: Layout, s: Scheme, base, level, amount, p: Params, n: int,
                      label: str = "当月绩效奖金") -> None:
    """Add the bonus columns that read finance's ``奖金参数`` (shared with the year master).

    Args:
        lay: The sheet being planned; it has ``total`` (and ``rating`` when the scheme rates).
        s: The scheme (its ``bonus`` is not None).
        base: The bonus base per person (finance's kept edits applied).
        level: The level per person (with ``level_factor``), else None.
        amount: The commission amount per person (with a commission), else None.
        p: The parameters, with the cell ranges of their tables (:func:`write_params`).
        n: The number of people.
        label: The bonus column's label.
    """
    b = s.bonus
    lay.add(Col("bonus.base", b.base.column if isinstance(b.base, ColumnSpec) else "奖金基数",
                [cell_value(v) for v in base], fmt=MONEY, is_input=True))
    if b.level_factor is not None:
        lay.add(Col("bonus.level", b.level_factor.column,
                    [cell_value(v) for v in level] if level is not None else [None] * n))
    if b.commission is not None:
        lay.add(Col("bonus.amount", b.commission.amount.column if isinstance(b.commission.amount, ColumnSpec)
                    else "提成基数", [cell_value(v) for v in amount], fmt=MONEY))
    lay.add(Col("bonus.perf", "绩效奖金(预算调整前)", fmt=MONEY, formula=lambda row: bonus_mod.perf_formula(
        b, lay.ref("total", row), lay.ref("bonus.base", row), s.scale,
        rating_ref=lay.ref("rating", row) if s.ratings is not None else None,
        level_ref=lay.ref("bonus.level", row) if b.level_factor is not None else None,
        rating_table=p.rating_table, level_table=p.level_table)))
    lay.add(Col("bonus", label, fmt=MONEY, formula=lambda row: bonus_mod.bonus_formula(
        b, lay.ref("bonus.perf", row), lay.range("bonus.perf"),
        commission_ref=lay.ref("bonus.amount", row) if b.commission is not None else None,
        budget_ref=f"'{PARAMS}'!${BUDGET_CELL[0]}${BUDGET_CELL[1:]}")))


def _verify(path: Path, results: pd.DataFrame, pay: pd.DataFrame | None = None):
    from .. import libreoffice
    from ..results.verify import Verification, compare_sheet, read_results

    with tempfile.TemporaryDirectory() as d:
        out = libreoffice.recalculate([path], Path(d))[0]
        got = read_results(out, RATED)
        sheets = [(RATED, got, results)]
        if pay is not None:
            sheets.append((PAY_SHEET, read_results(out, PAY_SHEET), pay))
    v = Verification()
    for title, got, want in sheets:
        compare_sheet(v, title, got, want)
    return v


