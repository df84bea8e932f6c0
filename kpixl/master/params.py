"""Finance's parameters: the ``奖金参数`` sheet (budget, rating and level factors) and kept edits.

Filled from the scheme on the first *Rate & Bonus*; afterwards the values finance left in
the cells win, and so does a bonus base finance overwrote on ``等级与奖金`` — each such
difference is said to the user. A value that cannot be one (text, a formula, a negative
amount) is a problem placed at its cell, never dropped in silence: the caller refuses to
save, so the sheet keeps what finance typed until it is corrected. The engine computes with them through
:class:`~kpixl.engine.prepared.Overrides`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..engine.inputs import ID
from ..errors import Problem
from ..results.sheet import FIRST
from ..rules import level_key
from ..scheme.models import Bonus, Scheme
from ..xlsx.lang import label
from ..xlsx.palette import FONT, HEAD, INPUT, fill
from ..xlsx.printing import MONEY, fit_columns, print_setup
from .book import Master

RATED = "等级与奖金"
PARAMS = "奖金参数"
BUDGET_CELL = "B3"


@dataclass
class Params:
    """The parameters finance may edit, and their cells on ``奖金参数``."""

    budget: float | None = None
    rating_factor: dict[str, float] | None = None
    level_factor: dict[str, float] | None = None
    rating_table: tuple[str, str] | None = None
    level_table: tuple[str, str] | None = None

    def policy(self, bonus: Bonus) -> Bonus:
        """The scheme's bonus policy with finance's budget and factors."""
        update: dict[str, Any] = {"budget": self.budget}
        if self.rating_factor is not None:
            update["rating_factor"] = self.rating_factor
        if self.level_factor is not None and bonus.level_factor is not None:
            update["level_factor"] = bonus.level_factor.model_copy(update={"factors": self.level_factor})
        return bonus.model_copy(update=update)


def read_params(wb, scheme: Scheme, kept: list[str], problems: list[Problem] | None = None) -> Params:
    """The parameters as finance left them on the sheet, else the scheme's.

    Args:
        wb: The master workbook (openpyxl).
        scheme: The master's scheme.
        kept: Gets one line per value that differs from the scheme (said to the user).
        problems: Gets a placed problem per cell that holds no usable value (text, a
            formula, a budget of 0 or less, a negative factor); such a cell counts as the
            scheme's value. None: not checked.
    """
    b = scheme.bonus
    p = Params(b.budget if b else None, dict(b.rating_factor) if b and b.rating_factor else None,
               {level_key(k): f for k, f in b.level_factor.factors.items()} if b and b.level_factor else None)
    if PARAMS not in wb.sheetnames:
        return p
    found = problems if problems is not None else []
    ws = wb[PARAMS]
    v = ws[BUDGET_CELL].value
    if _blank(v):
        budget = None
    else:
        budget = _amount(v, f"{PARAMS}!{BUDGET_CELL}", "the budget (奖金预算)", found, positive=True)
        if budget is None:
            budget = p.budget
    if budget != p.budget:
        kept.append(f"the budget on {PARAMS}!{BUDGET_CELL}: {budget if budget is not None else '(none)'} "
                    f"(scheme: {p.budget if p.budget is not None else '(none)'})")
        p.budget = budget
    for title, attr in (("rating", "rating_factor"), ("level", "level_factor")):
        scheme_table = getattr(p, attr)
        table = _table_values(ws, title, scheme_table or {}, found)
        if table is not None and scheme_table is not None and table != scheme_table:
            kept.append(f"the {title} factors on {PARAMS}: {table}")
            setattr(p, attr, table)
    return p


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _amount(v: Any, where: str, what: str, problems: list[Problem], positive: bool = False) -> float | None:
    """``v`` as a number finance may type there, or None with a placed problem."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
        f = float(v)
        if f > 0 or (f == 0 and not positive):
            return f
        problems.append(Problem(where, "bad_param", f"{what} must be {'more than 0' if positive else '0 or more'}, "
                                f"not {f:g}" + (" (clear the cell for none)" if positive else ""), v))
        return None
    formula = isinstance(v, str) and v.startswith("=")
    problems.append(Problem(where, "not_a_number", f"{what} must be a number" + (
        " typed as a value, not a formula" if formula else ""), v))
    return None


def _table_values(ws, title: str, scheme: dict[str, float], problems: list[Problem]) -> dict[str, float] | None:
    """Rows under the header ``<title> factors`` in columns D–E (rating) or G–H (level)."""
    col = 4 if title == "rating" else 7
    if ws.cell(2, col).value is None:
        return None
    out: dict[str, float] = {}
    r = 3
    while ws.cell(r, col).value not in (None, ""):
        name, f = ws.cell(r, col).value, ws.cell(r, col + 1)
        key = level_key(name) if title == "level" else str(name)
        got = None if _blank(f.value) else _amount(f.value, f"{PARAMS}!{f.coordinate}",
                                                    f"the {'rating' if title == 'rating' else 'level'} factor of {name}",
                                                    problems)
        out[key] = got if got is not None else scheme.get(key, 1.0)
        r += 1
    return out


def write_params(m: Master, p: Params) -> Params:
    """Write the parameter sheet; return ``p`` with the cell ranges its tables now occupy.

    Every value cell has its label beside it (A: the budget's; D and G: each rating's and
    level's); a table the scheme does not have leaves its columns empty (no header).
    """
    ws = m.sheet(PARAMS)
    lang = m.lang
    bold = Font(name=FONT, bold=True, size=10)
    ws["A1"] = (f"奖金参数（财务可修改黄色单元格；修改后{RATED}表即时重算）" if lang != "en" else
                f"Bonus parameters (finance may change the yellow cells; {RATED} recalculates at once)")
    ws["A1"].font = Font(name=FONT, bold=True, size=12)
    ws["A2"], ws["B2"] = label("项目", lang), label("值", lang)
    ws["A3"] = label("奖金预算", lang)
    ws[BUDGET_CELL] = p.budget
    ws[BUDGET_CELL].fill = fill(INPUT)
    ws[BUDGET_CELL].number_format = MONEY
    ws["A4"] = "（留空表示不按预算调整）" if lang != "en" else "(blank: no budget scaling)"
    ws["A4"].font = Font(name=FONT, size=9, color="808080")
    heads = ["A2", "B2"]
    for title, col, table in (("rating", 4, p.rating_factor), ("level", 7, p.level_factor)):
        if table is None:
            continue
        ws.cell(2, col, label("考核等级" if title == "rating" else "职级", lang))
        ws.cell(2, col + 1, label("系数", lang))
        heads += [ws.cell(2, col).coordinate, ws.cell(2, col + 1).coordinate]
        for k, (name, f) in enumerate(table.items(), start=3):
            ws.cell(k, col, str(name)).number_format = "@"
            ws.cell(k, col + 1, f).fill = fill(INPUT)
            ws.cell(k, col + 1).number_format = "0.00"
        last = 2 + len(table)
        lc, vc = ws.cell(3, col).column_letter, ws.cell(3, col + 1).column_letter
        rng = (f"'{PARAMS}'!${lc}$3:${lc}${last}", f"'{PARAMS}'!${vc}$3:${vc}${last}")
        if title == "rating":
            p.rating_table = rng
        else:
            p.level_table = rng
    for c in heads:
        ws[c].font, ws[c].fill = bold, fill(HEAD)
    fit_columns(ws, first_row=2, lo=8.0, hi=30.0, skip_rows=(4,))
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 16.0)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 14.0)
    print_setup(ws, title_rows="2:2", landscape=False, pages_wide=1, lang=lang)
    return p


def kept_bases(wb, ids: list[str], roster_base: np.ndarray, kept: list[str], sheet: str = RATED,
               problems: list[Problem] | None = None) -> np.ndarray:
    """The bonus bases: the roster's, except where finance overwrote one on the rated sheet.

    ``sheet`` is the sheet holding the bases (``等级与奖金``; the year master's ``年度汇总``).
    ``problems`` gets a placed problem per base cell holding text, a formula or a negative
    amount (that person keeps the roster's base); None: not checked.
    """
    base = np.asarray(roster_base, dtype=float).copy()
    if sheet not in wb.sheetnames:
        return base
    rows = list(wb[sheet].iter_rows(values_only=True))
    if not rows:
        return base
    keys = [str(k) for k in rows[0]]
    if ID not in keys or "bonus.base" not in keys:
        return base
    i, j = keys.index(ID), keys.index("bonus.base")
    old = {str(r[i]): (n, r[j]) for n, r in enumerate(rows[FIRST - 1:], start=FIRST) if r[i] is not None}
    found = problems if problems is not None else []
    for k, eid in enumerate(ids):
        n, v = old.get(eid, (0, None))
        if _blank(v):
            continue
        where = f"{sheet}!{get_column_letter(j + 1)}{n}"
        got = _amount(v, where, f"{eid}'s bonus base", found)
        if got is not None and not (not math.isnan(base[k]) and math.isclose(got, base[k], rel_tol=0, abs_tol=1e-9)):
            kept.append(f"{eid}'s bonus base {got:,.2f} edited on {sheet} (roster: {base[k]:,.2f})")
            base[k] = got
    return base
