"""The year master's sheets: the copied rows (``期间成绩``) and the live roll-up (``年度汇总``).

``期间成绩`` holds one row per person, component and period, copied as data (text is
never a formula, :mod:`kpixl.xlsx.text`) and sorted by person, then component in the
scheme's order, then period: each person's periods of a component are one block of
rows, so the roll-up of a person reads its own rows — ``=AVERAGE('期间成绩'!$E$15:$E$26)``
— which finance can follow with a click, and which recalculates in time linear in the
rows (an ``AVERAGEIFS`` over the whole table per person would be quadratic).

``年度汇总`` (row 1 keys, row 2 labels, people from row 3, as ``Results``): per component
the number of periods present and the aggregate, the weighted total, then the period's
own rating, rank-flag and bonus builders (:mod:`kpixl.results.sheet`,
:func:`kpixl.master.rate.bonus_with_params`) over the annual total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font

from .. import xlmath
from ..engine.inputs import ID
from ..master.params import Params
from ..master.rate import bonus_with_params
from ..results.sheet import FIRST, HEAD_FILL, Col, Layout, rating_columns, write_layout
from ..results.values import column_values
from ..scheme.models import Scheme
from ..xlsx.cells import cell_value
from ..xlsx.palette import FONT
from ..xlsx.printing import MONEY, YES_NO_FORMATS, column_width, hide_key_row, print_setup, text_width, yes_no
from ..xlsx.text import append_row
from ..xlsx.bulk import Bulk, Formula
from .figures import AGG_LABEL, PERIODS, YearFigures, component_label, rollup_of
from .sources import COPY

__all__ = ["COPIED", "YEAR", "blocks", "data_sheet_setup", "write_copied", "write_year"]

YEAR, COPIED = "年度汇总", "期间成绩"
_LETTER = {k: chr(ord("A") + j) for j, k in enumerate(COPY)}


def blocks(rows: pd.DataFrame) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[str, tuple[int, int]]]:
    """The sheet rows of each (person, component) block and of each person, on ``期间成绩``."""
    eids = rows[ID].astype(str).tolist()
    pairs = list(zip(eids, rows["component"].astype(str).tolist()))
    at = range(FIRST, FIRST + len(pairs))
    return _spans(pairs, at), _spans(eids, at)


def _spans(keys: list, at: range) -> dict:
    """Each key's first and last sheet row (keys in the order they first appear)."""
    last = dict(zip(keys, at))  # a key seen again keeps its place and takes the later row
    first = dict(zip(reversed(keys), reversed(at)))
    return {k: (first[k], r) for k, r in last.items()}


def write_copied(ws, rows: pd.DataFrame, inputs: dict[str, str] | None = None) -> Bulk:
    """Lay out the copied sheet (row 1 keys, row 2 labels) and return its rows, from row 3.

    The rows themselves are appended to the saved file by :func:`kpixl.xlsx.bulk.append_rows`
    (values only, text as text). ``inputs``: the card inputs copied for the level rules
    (``input:sales`` → 业务销售额), as columns after the :data:`COPY` ones.
    """
    keys = list(COPY) + [k for k in (inputs or {}) if k in rows.columns]
    append_row(ws, keys)
    append_row(ws, list(COPY.values()) + [(inputs or {})[k] for k in keys[len(COPY):]])
    data_sheet_setup(ws)
    ws.freeze_panes = "C3"
    columns = [_cell_values(rows[k].tolist()) for k in keys]  # lists: iterating a frame's cells one by one is slow
    return data_rows(ws, keys, list(zip(*columns)), money={"bonus"},
                     hidden={"component"} if set(rows["component"].astype(str)) <= {PERIODS} else set())


def data_rows(ws, keys: list[str], rows: list, money: set[str] = frozenset(), hidden: set[str] = frozenset()) -> Bulk:
    """The rows of a copied data sheet for :func:`kpixl.xlsx.bulk.append_rows`: the first written here,
    its ``money`` columns formatted ``#,##0.00``, so that the others take its styles; ``hidden``
    columns hidden (组成部分 when the year has no components of its own: every row says 各期)."""
    sample = rows[:200]  # widths from the labels and the first rows (a year's rows look alike)
    for j, k in enumerate(keys):
        letter = ws.cell(1, j + 1).column_letter
        label = ws.cell(2, j + 1)
        label.alignment = Alignment(wrap_text=True, vertical="center")
        wide = 24.0 if k in ("file", "sha256", "collected_at") else 16.0  # a SHA-256 is cut, not spread
        ws.column_dimensions[letter].width = column_width(label.value, [r[j] for r in sample if j < len(r)],
                                                          hi=wide)
        if k in hidden:
            ws.column_dimensions[letter].hidden = True
    lines = max((-(-text_width(ws.cell(2, j + 1).value) // max(ws.column_dimensions[ws.cell(1, j + 1).column_letter]
                                                               .width or 8.0, 1.0)) for j in range(len(keys))), default=1)
    ws.row_dimensions[2].height = 14 * max(1, min(int(lines), 4))  # the wrapped labels, whole
    print_setup(ws, title_rows="2:2", title_cols="A:B")  # again: the pages across, from these widths
    if not rows:
        return Bulk(FIRST, [], len(keys))
    append_row(ws, list(rows[0]))  # as text, never a formula (kpixl.xlsx.text)
    for j, k in enumerate(keys):
        if k in money:
            ws.cell(FIRST, j + 1).number_format = MONEY
    return Bulk(FIRST + 1, rows[1:], len(keys), style_row=FIRST)


def _cell_values(values: list) -> list:
    """:func:`kpixl.xlsx.cells.cell_value` of each value, a column at a time (text and numbers need little)."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if kinds == {float}:
        return [None if v != v else v for v in values]
    return list(map(cell_value, values))


def data_sheet_setup(ws) -> None:
    """A data sheet people read: keys in row 1 hidden, labels in row 2 bold and printed on every page."""
    hide_key_row(ws, 1)
    for cell in ws[2]:
        cell.font = Font(name=FONT, bold=True, size=10)
        cell.fill = HEAD_FILL
    print_setup(ws, title_rows="2:2")


def _ref(key: str, a: int, b: int) -> str:
    c = _LETTER[key]
    return f"'{COPIED}'!${c}${a}:${c}${b}"


def write_year(ws, scheme: Scheme, fig: YearFigures, rows: pd.DataFrame, roster: pd.DataFrame,
               params: Params | None) -> tuple[Layout, Bulk]:
    """Plan and write ``年度汇总`` with every figure's engine value cached beside its formula.

    Args:
        ws: An empty worksheet.
        scheme: The programme's scheme.
        fig: The engine's figures (:func:`kpixl.year.figures.year_figures`).
        rows: The copied rows, in ``期间成绩`` order.
        roster: The year's roster.
        params: The bonus parameters with their cells on ``奖金参数`` (None without a bonus).

    Returns:
        The layout (column key → letter), and the people after the first as rows for
        :func:`kpixl.xlsx.bulk.append_rows` (openpyxl lays out the header and the first
        person, whose cells' styles the rest take).
    """
    s, rollup, ids = scheme, rollup_of(scheme), fig.people.ids
    comp_rows, person_rows = blocks(rows)
    lay = Layout(first=FIRST, last=FIRST + max(len(ids), 1) - 1)
    lay.add(Col(ID, "工号", list(ids)))
    by_id = roster.drop_duplicates(ID).set_index(roster.drop_duplicates(ID)[ID].astype(str))
    for name in ("姓名", "部门"):
        if name in by_id.columns:
            lay.add(Col(f"roster.{name}", name, [cell_value(v) for v in by_id[name].reindex(ids)]))
    eid = lambda row: ids[row - FIRST]  # noqa: E731

    def count(comp):
        def f(row: int) -> str:
            got = comp_rows.get((eid(row), comp.id))
            return f"COUNT({_ref('total', *got)})" if got else "0"
        return f

    def agg(comp):
        counted = fig.values[f"count:{comp.id}"]

        def f(row: int) -> str:
            got = comp_rows.get((eid(row), comp.id))
            if not got or counted[row - FIRST] == 0:
                return "0"  # no result in this component: it counts 0 (the stated policy)
            block = _ref("total", *got)
            if comp.aggregate == "mean":
                return f"AVERAGE({block})"
            if comp.aggregate == "sum":
                return f"SUM({block})"
            return f"LOOKUP(9.99999999999999E+307,{block})"  # the latest period with a number
        return f

    for comp in rollup.components:
        name = component_label(comp.id)
        lay.add(Col(f"count:{comp.id}", f"{name}·期数", formula=count(comp)))
        lay.add(Col(f"component:{comp.id}", f"{name}·{AGG_LABEL[comp.aggregate]}({comp.weight:.0%})",
                    fmt="0.00", formula=agg(comp)))
    lay.add(Col("total", "年度总分", fmt="0.00", formula=lambda row: xlmath.round_formula(xlmath.plus(
        *(xlmath.times(c.weight, lay.ref(f"component:{c.id}", row)) for c in rollup.components)), rollup.round)))
    if s.ratings is not None:
        rating_columns(lay, s, fig.people)
    lay.add(Col("flag.over_scale", f"年度总分超过{xlmath.num(s.scale)}分", fmt=yes_no(),  # 1/0 shown 是/否
                formula=lambda row: f"IF({lay.ref('total', row)}>{xlmath.num(s.scale)},1,0)"))
    if s.bonus is not None and params is not None:
        bonus_with_params(lay, s, fig.base, fig.level, fig.amount, params, n=len(ids), label="年度绩效奖金")
        lay.add(Col("paid", "各期绩效奖金合计", fmt="#,##0.00", formula=lambda row: (
            f"SUM({_ref('bonus', *person_rows[eid(row)])})" if eid(row) in person_rows else "0")))
    lay.add(Col("note", "备注(缺期按已有期数计)", list(fig.notes)))
    write_layout(lay, 1, ws, fig.values)
    # as wide as the notes need (a year without missing periods has none), at most 40
    ws.column_dimensions[lay.cols["note"].letter].width = column_width(lay.cols["note"].label, fig.notes, lo=12, hi=40)
    cached = column_values(fig.values, {k: k for k, c in lay.cols.items() if c.formula is not None})
    for key, c in lay.cols.items():  # a flag's formula gives 1/0 (shown 是/否): cache that, not TRUE
        if key in cached and c.fmt in YES_NO_FORMATS:
            cached[key] = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in cached[key]]
    rest = []
    for k in range(1, len(ids)):
        r = FIRST + k
        rest.append([Formula(c.formula(r), cached[key][k] if key in cached else None) if c.formula is not None
                     else cell_value(c.values[k]) for key, c in lay.cols.items()])
    return lay, Bulk(FIRST + 1, rest, len(lay.cols), style_row=FIRST)
