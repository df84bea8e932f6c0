"""The live results sheet: one row per person, inputs as values, every result a formula.

Row 1 holds the column keys: inputs keep the names of the inputs table (``new_sales``,
``new_sales.target``), so the input part of the sheet is itself a valid inputs table;
item and section scores are ``score:<id>`` (:func:`result_key`), then ``total``,
``rating``, ``bonus`` as in :func:`kpixl.score`'s result; row 2 holds the Chinese labels people read; people
start on row 3. Every computed cell is a native formula built by the same builders as
the engine (rules, :mod:`kpixl.engine.card`, :mod:`kpixl.rating`, :mod:`kpixl.bonus`):
finance can change a target, a level, a base amount or the budget and watch every
score, rating and bonus recalculate.
"""

from __future__ import annotations

import dataclasses
from copy import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..xlsx.bulk import Formula
from ..xlsx.cached import remember
from ..xlsx.cells import cell_value
from ..xlsx.text import bulk_values
from ..xlsx.lang import DEFAULT as DEFAULT_LANG, label as in_lang
from ..xlsx.palette import FONT, HEAD, INPUT_TEMPLATE, RESULT, fill
from ..xlsx.printing import MONEY, NUMBER, YES_NO_FORMATS, column_width, fit_row_heights, hide_key_row, print_setup, yes_no
from .. import bonus as bonus_mod
from .. import rating as rating_mod
from ..engine.prepared import Prepared
from ..engine import card
from ..engine.inputs import ID
from ..rules import ItemRefs
from ..scheme.models import Column as ColumnSpec
from ..scheme.models import Scheme
from .values import Figures, column_values, sheet_values

FIRST = 3  # first person row
_INPUT_FILL = fill(INPUT_TEMPLATE)
HEAD_FILL = fill(HEAD)
_RESULT_FILL = fill(RESULT)
_THIN = Side(style="thin", color="BFBFBF")
PASS_THROUGH = ("姓名", "name", "部门", "department", "岗位", "position", "经理", "manager")


@dataclass
class Col:
    """One column of the sheet: a key, a label, and either values or a formula per row."""

    key: str
    label: str
    values: Any = None  # a sequence, one per person
    formula: Callable[[int], str] | None = None
    fmt: str | None = None
    is_input: bool = False
    letter: str = ""

    def ref(self, row: int) -> str:
        return f"{self.letter}{row}"


@dataclass
class Layout:
    """Where everything is: column key → :class:`Col`, and the person rows."""

    cols: dict[str, Col] = field(default_factory=dict)
    first: int = FIRST
    last: int = FIRST

    def add(self, col: Col) -> Col:
        if col.key in self.cols:
            raise ValueError(f"column key {col.key!r} is laid out twice")
        col.letter = get_column_letter(len(self.cols) + 1)
        self.cols[col.key] = col
        return col

    def ref(self, key: str, row: int) -> str:
        return self.cols[key].ref(row)

    def range(self, key: str) -> str:
        c = self.cols[key].letter
        return f"${c}${self.first}:${c}${self.last}"


def result_key(column: str, scheme: Scheme) -> str:
    """The sheet key of a :func:`kpixl.score` result column (items and sections → ``score:<id>``)."""
    ids = {sec.id for sec in scheme.sections} | {i.id for _, i in scheme.items()}
    return f"score:{column}" if column in ids else column


def _level_cell(v: Any) -> Any:
    if v is None:
        return None
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() else f


def _yes_no_cell(v: float) -> Any:
    return None if np.isnan(v) else ("是" if v == 1.0 else "否")


def layout_results(prepared: Prepared, outputs: bool = True) -> Layout:
    """Plan the columns for a gathered engine context (:func:`kpixl.engine.score.prepare`).

    Args:
        prepared: The gathered context.
        outputs: Add the rating and bonus columns (the collected master leaves them to
            *Rate & Bonus*, which writes them on their own sheet).
    """
    s: Scheme = prepared.scheme
    n = prepared.n
    lay = Layout(first=FIRST, last=FIRST + max(n, 1) - 1)
    lay.add(Col(ID, "工号", list(prepared.ids)))
    for name in PASS_THROUGH:
        got = _person(prepared, name)
        if got is not None:
            lay.add(Col(f"roster.{name}", name, got))

    # ---- inputs -------------------------------------------------------------------------
    for _, item in s.items():
        data = prepared.items[item.id]
        rule = item.rule
        raters = s.raters_of(item) or {None: 1.0}
        label = item.name or item.id
        for r in raters:
            d = data.data[r]
            suffix = f"@{r}" if r else ""
            rlabel = f"{label}·{r}" if r else label
            if rule.input_kind == "number":
                what = "·实际" if rule.uses_achievement else ("·加扣分" if rule.type == "adjust" else "·评分")
                lay.add(Col(f"{item.id}{suffix}", rlabel + what, [cell_value(v) for v in d.value], is_input=True,
                            fmt=NUMBER if rule.uses_achievement else None))
            elif rule.input_kind == "level":
                lay.add(Col(f"{item.id}{suffix}", rlabel + "(等级)", [_level_cell(v) for v in d.value], is_input=True))
            elif rule.input_kind == "yesno":
                lay.add(Col(f"{item.id}{suffix}", rlabel + "(是/否)", [_yes_no_cell(v) for v in d.value], is_input=True))
            if rule.has_ranges():
                vals = d.score if d.score is not None else np.full(n, np.nan)
                lay.add(Col(f"{item.id}.score{suffix}", rlabel + "·评分", [cell_value(v) for v in vals], is_input=True))
        first = data.data[next(iter(raters))]
        if rule.needs_target():
            lay.add(Col(f"{item.id}.target", label + "·目标", [cell_value(v) for v in first.target], is_input=True,
                        fmt=NUMBER))
        if rule.input_kind == "counters":
            for c in rule.counters:
                lay.add(Col(f"{item.id}.{c.id}", f"{label}·{c.name or c.id}(次)",
                            [cell_value(v) for v in first.counters[c.id]], is_input=True))
        if item.na is not None:
            lay.add(Col(f"{item.id}.na", label + "·不适用", ["是" if v else "否" for v in data.na], is_input=True))
            if item.na == "average" and item.na_group:
                lay.add(Col(f"{item.id}.na_group", label + "·分组", list(data.group) if data.group is not None else [None] * n))
        if rule.type == "adjust":
            col = f"{item.id}.reason"
            vals = prepared.inputs.df[col].tolist() if col in prepared.inputs.df.columns else [None] * n
            lay.add(Col(col, label + "·原因", [cell_value(v) for v in vals], is_input=True))

    # ---- item scores, sections, total ----------------------------------------------------
    for sec in s.sections:
        for item in sec.items:
            _item_columns(lay, s, item)
        keys = [f"score:{item.id}" for item in sec.items]
        na_keys = [f"{i.id}.na" if i.na is not None else None for i in sec.items]
        lay.add(Col(f"score:{sec.id}", sec.name or sec.id, fmt="0.00", formula=lambda row, sec=sec, keys=keys, na_keys=na_keys:
                    card.section_formula(s, sec, [lay.ref(k, row) for k in keys],
                                         [lay.ref(k, row) if k else None for k in na_keys])))
    lay.add(Col("total", "总分", fmt="0.00", formula=lambda row: card.total_formula(
        s, [lay.ref(f"score:{sec.id}", row) for sec in s.sections])))

    # ---- ratings and bonus ------------------------------------------------------------------
    if not outputs:
        return lay
    if s.ratings is not None:
        rating_columns(lay, s, prepared)
    if s.bonus is not None:
        bonus_columns(lay, s, prepared)
    return lay



def _person(prepared: Prepared, name: str):
    values = prepared.person_values(name)
    return [cell_value(v) for v in values] if values is not None else None


def _item_columns(lay: Layout, s: Scheme, item) -> None:
    raters = s.raters_of(item) or {None: 1.0}

    def refs(row: int) -> card.ItemCells:
        out = {}
        for r in raters:
            sfx = f"@{r}" if r else ""
            out[r] = ItemRefs(
                points=item.points,
                primary=lay.ref(f"{item.id}{sfx}", row) if f"{item.id}{sfx}" in lay.cols else None,
                target=lay.ref(f"{item.id}.target", row) if f"{item.id}.target" in lay.cols else None,
                counters={c.id: lay.ref(f"{item.id}.{c.id}", row) for c in getattr(item.rule, "counters", ())},
                score=lay.ref(f"{item.id}.score{sfx}", row) if f"{item.id}.score{sfx}" in lay.cols else None,
            )
        na = lay.ref(f"{item.id}.na", row) if f"{item.id}.na" in lay.cols else None
        return card.ItemCells(out, na)

    label = item.name or item.id
    if item.na == "average":
        raw = lay.add(Col(f"score:{item.id}.raw", label + "·得分(原始)", fmt="0.00",
                          formula=lambda row: card.item_formula(s, item, refs(row))))
        grp = f"{item.id}.na_group" if f"{item.id}.na_group" in lay.cols else None
        lay.add(Col(f"score:{item.id}", label + "·得分", fmt="0.00", formula=lambda row: card.na_average_formula(
            raw.ref(row), lay.ref(f"{item.id}.na", row), lay.range(raw.key), lay.range(f"{item.id}.na"),
            lay.ref(grp, row) if grp else None, lay.range(grp) if grp else None)))
    else:
        lay.add(Col(f"score:{item.id}", label + "·得分", fmt="0.00", formula=lambda row: card.item_formula(s, item, refs(row))))


def rating_columns(lay: Layout, s: Scheme, prepared: Prepared) -> None:
    """Add the rank, rating and flag columns (formulas over ``total``); shared with the 汇总 sheet."""
    r = s.ratings
    dist = r.distribution
    grp = None
    if dist is not None and dist.group_by:
        grp = lay.add(Col("rating.group", dist.group_by, [cell_value(v) for v in prepared.group] if prepared.group is not None else [None] * prepared.n))
    if dist is not None or r.flags:
        lay.add(Col("rating.order", "并列次序", [int(v) for v in prepared.order]))
        sizes: dict[int, str] = {}  # asked for by the rating and every flag of a row

        def n_expr(row: int) -> str:  # group size, compared as the rank formula compares groups
            got = sizes.get(row)
            if got is None:
                got = sizes[row] = rating_mod.group_size_formula(lay.range("total"), grp.ref(row) if grp else None,
                                                                 lay.range(grp.key) if grp else None)
            return got
        lay.add(Col("rank", "名次", formula=lambda row: rating_mod.rank_formula(
            lay.ref("total", row), lay.range("total"),
            grp.ref(row) if grp else None, lay.range(grp.key) if grp else None,
            lay.ref("rating.order", row), lay.range("rating.order"))))
    if dist is not None:
        lay.add(Col("rating", "考核等级", formula=lambda row: rating_mod.distribution_formula(
            dist, lay.ref("rank", row), n_expr(row))))
    else:
        lay.add(Col("rating", "考核等级", formula=lambda row: rating_mod.bands_formula(r.bands, lay.ref("total", row))))
    # A flag is 1 or 0 shown as 是/否 (a number format: TRUE/FALSE cannot be formatted).
    for f in r.flags:
        lay.add(Col(f"flag.{f.id}", f.name or f.id, fmt=yes_no(), formula=lambda row, f=f: "IF({},1,0)".format(
            rating_mod.flag_formula(f, lay.ref("rank", row), n_expr(row)))))


def bonus_columns(lay: Layout, s: Scheme, prepared: Prepared) -> None:
    """Add the bonus columns (base, level, amount as values; perf and bonus as formulas)."""
    b = s.bonus
    lay.add(Col("bonus.base", b.base.column if isinstance(b.base, ColumnSpec) else "奖金基数",
                [cell_value(v) for v in prepared.bonus.base], fmt=MONEY, is_input=True))
    if b.level_factor is not None:
        lay.add(Col("bonus.level", b.level_factor.column, [cell_value(v) for v in prepared.bonus.level] if prepared.bonus.level is not None else [None] * prepared.n))
    if b.commission is not None:
        lay.add(Col("bonus.amount", b.commission.amount.column if isinstance(b.commission.amount, ColumnSpec) else "提成基数",
                    [cell_value(v) for v in prepared.bonus.amount], fmt=MONEY, is_input=True))
    lay.add(Col("bonus.perf", "绩效奖金(预算调整前)", fmt=MONEY, formula=lambda row: bonus_mod.perf_formula(
        b, lay.ref("total", row), lay.ref("bonus.base", row), s.scale,
        rating_ref=lay.ref("rating", row) if s.ratings is not None else None,
        level_ref=lay.ref("bonus.level", row) if b.level_factor is not None else None)))
    lay.add(Col("bonus", bonus_mod.bonus_label(s.period), fmt=MONEY, formula=lambda row: bonus_mod.bonus_formula(
        b, lay.ref("bonus.perf", row), lay.range("bonus.perf"),
        commission_ref=lay.ref("bonus.amount", row) if b.commission is not None else None)))


def write_results(prepared: Prepared, ws: Worksheet, outputs: bool = True,
                  values: Figures | None = None, lang: str = DEFAULT_LANG) -> Layout:
    """Write the live results sheet for a gathered engine context into ``ws``.

    Every formula's result is the engine's (:func:`.values.sheet_values`), kept for
    :func:`kpixl.xlsx.cached.save_workbook` to cache beside it.

    Args:
        prepared: What :func:`kpixl.engine.score.prepare` returned.
        ws: An empty openpyxl worksheet.
        outputs: Include the rating and bonus columns.
        values: :func:`.values.sheet_values` of ``prepared``, if the caller has it already.
        lang: The labels' language (:mod:`kpixl.xlsx.lang`).

    Returns:
        The :class:`Layout` (column key → letter), for readers and tests.
    """
    lay = layout_results(prepared, outputs)
    write_layout(lay, prepared.n, ws, sheet_values(prepared) if values is None else values, lang)
    return lay


def cached_cells(lay: Layout, n: int, values: Figures) -> dict[str, Any]:
    """``{cell ref: value}`` of the formula cells whose key ``values`` has a column for."""
    out: dict[str, Any] = {}
    keyed = column_values(values, {k: k for k, c in lay.cols.items() if c.formula is not None})
    for key, vals in keyed.items():
        col = lay.cols[key]
        if col.fmt in YES_NO_FORMATS:  # a flag's formula gives 1/0 (shown 是/否)
            vals = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in vals]
        for k in range(n):
            out[col.ref(lay.first + k)] = vals[k]
    return out


def display_width(col: Col, n: int) -> float:
    """The width a column needs for its label and values (formulas: a number of its format)."""
    if col.formula is not None:
        sample = ["是"] if col.fmt in YES_NO_FORMATS else ["优秀优秀"] if col.key == "rating" else \
            [12345.67 if col.fmt == MONEY else 123.45]
    else:
        sample = list(col.values[:min(n, 500)]) if col.values is not None else []
        if col.fmt in (MONEY, NUMBER):
            sample = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in sample]
    return column_width(col.label, sample, lo=7.0, hi=30.0)


def setup_page(ws: Worksheet, lay: Layout, lang: str = DEFAULT_LANG) -> None:
    """Print set-up of a keyed sheet: key row hidden, labels repeated, the name beside every page."""
    hide_key_row(ws, 1)
    keys = list(lay.cols)
    name = next((k for k in ("roster.姓名", "roster.name") if k in keys), None)
    title_cols = f"A:{lay.cols[name].letter}" if name and keys.index(name) < 3 else "A:A"
    print_setup(ws, title_rows="2:2", title_cols=title_cols, lang=lang)


def write_layout(lay: Layout, n: int, ws: Worksheet, values: Figures | None = None,
                 lang: str = DEFAULT_LANG, cells: int | None = None) -> None:
    """Write a planned sheet: row 1 keys (hidden), row 2 labels, ``n`` people from row 3.

    Shared by ``Results`` and the master's ``等级与奖金`` sheet. Printed landscape over as
    many pages across as its columns need (:func:`kpixl.xlsx.printing.print_setup`), the
    label row and the person's id and name repeated on every page.

    Args:
        lay: The planned columns.
        n: The number of people (the columns' widths fit all of them).
        ws: An empty openpyxl worksheet.
        values: The engine's figures keyed like the columns (:mod:`.values`): each
            formula's result, remembered for :func:`kpixl.xlsx.cached.save_workbook`.
        lang: The labels' language (:mod:`kpixl.xlsx.lang`).
        cells: Write only the first ``cells`` people as openpyxl cells (default: all): the
            others go into the saved file as :func:`bulk_rows`, styled like the first.
    """
    if values is not None:
        remember(ws, cached_cells(lay, n if cells is None else min(cells, n), values))
    head = Font(name=FONT, bold=True, size=10)
    body = Font(name=FONT, size=10)
    key_font = Font(name=FONT, size=8, color="808080")
    for col in lay.cols.values():
        c = col.letter
        ws[f"{c}1"] = col.key
        ws[f"{c}1"].font = key_font
        cell = ws[f"{c}2"]
        cell.value = in_lang(col.label, lang)
        cell.font = head
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(bottom=_THIN)
        ws.column_dimensions[c].width = display_width(dataclasses.replace(col, label=cell.value), n)
        j = ws[f"{c}1"].column
        # Style one cell, then share its style record with the column (openpyxl registers a
        # style per assignment: ~40 µs a cell, the bulk of writing a 1,000-person sheet).
        first = ws.cell(row=FIRST, column=j)
        first.font = body
        if col.fmt:
            first.number_format = yes_no(lang) if col.fmt in YES_NO_FORMATS else col.fmt
        if col.is_input:
            first.fill = _INPUT_FILL
        elif col.formula:
            first.fill = _RESULT_FILL
        style = first._style
        for k in range(n if cells is None else min(cells, n)):
            row = FIRST + k
            target = ws.cell(row=row, column=j)
            target.value = ("=" + col.formula(row)) if col.formula else cell_value(col.values[k])
            target._style = copy(style)
    ws.freeze_panes = "B3"
    fit_row_heights(ws, [2])
    setup_page(ws, lay, lang)


def bulk_rows(lay: Layout, n: int, values: Figures | None, start: int) -> list[list[Any]] | None:
    """The people from the ``start``-th (0-based) as rows for :mod:`kpixl.xlsx.bulk`: values, and
    formulas with the engine's results cached (as :func:`write_layout` remembers them).

    Returns None when a value is of a type only openpyxl writes (a date): the caller then writes
    every person with :func:`write_layout`.
    """
    cached = {}
    if values is not None:
        cached = column_values(values, {k: k for k, c in lay.cols.items() if c.formula is not None})
        for key, vals in cached.items():
            if lay.cols[key].fmt in YES_NO_FORMATS:  # a flag's formula gives 1/0 (shown 是/否)
                cached[key] = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in vals]
    last = lay.first + n - 1
    plan = [(row_formula(c.formula, lay.first + start, last) if c.formula is not None else None, cached.get(key),
             c.values) for key, c in lay.cols.items()]
    people = range(start, n)
    numbers = [str(lay.first + k) for k in people]
    columns = [_cell_values([vals[k] for k in people]) if formula is None else [
        Formula(text, _result(got[k]) if got is not None else None) for k, text in zip(people, _texts(formula, numbers))]
        for formula, got, vals in plan]
    rows = [list(row) for row in zip(*columns)] if columns else [[] for _ in people]
    return bulk_values(rows)


def _texts(formula: Callable[[int], str], numbers: list[str]) -> list[str]:
    """A formula's text on each row (its number given as text): one join a row when it has a template."""
    parts = getattr(formula, "parts", None)
    return [row.join(parts) for row in numbers] if parts is not None else [formula(int(row)) for row in numbers]


def _cell_values(values: list[Any]) -> list[Any]:
    """``[cell_value(v) for v in values]``, text and plain numbers taken as they are (a column at a time)."""
    return [v if (t := type(v)) is str or t is int or (t is float and v == v) else cell_value(v) for v in values]


#: A row no sheet reaches, written where a formula's own row number stands to make its template.
PROBE_ROW = 917_353


def row_formula(formula: Callable[[int], str], first: int, last: int) -> Callable[[int], str]:
    """``formula``, built once: its text for row ``PROBE_ROW`` with the row number put in per row.

    A layout's formula depends on its row only through its own row's references (``C5``, while
    a range is ``$C$3:$C$1002``); checked on the first and the last row, else ``formula`` itself.
    """
    probe = formula(PROBE_ROW)
    parts = probe.split(str(PROBE_ROW))
    if len(parts) < 2:  # no reference to its own row: the same text on every row
        return formula if formula(first) != probe or formula(last) != probe else (lambda row: probe)
    made = lambda row: str(row).join(parts)  # noqa: E731
    if any(formula(r) != made(r) for r in {first, last}):
        return formula
    made.parts = parts  # type: ignore[attr-defined]  # the template, for a column of rows at once
    return made


def _result(v: Any) -> Any:
    """A result as :func:`kpixl.xlsx.cached.save_workbook` caches it: text and booleans as they are,
    anything else a number (a NumPy boolean too)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
