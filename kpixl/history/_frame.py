"""The long results frame (one row per employee and period) and conditions over its rows.

Read lazily: every problem (a missing column, a period of no known form, text where a
number belongs, a person twice in one period) is collected with its place and raised
together by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .. import xlmath
from ..engine.inputs import ID, ID_ALIASES, Table, is_blank, number_note, numbers
from ..errors import Problem
from ..periods import PeriodKey, parse_period
from ..scheme.models import CONDITION_MEASURES, Condition, Measure, Rank
from . import _measures as derive

PERIOD = "period"


def text(v: Any) -> str | None:
    """A cell as text (an id, a rating, a level): None when blank; 1001.0 reads as 1001."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


def fmt_number(v: float) -> str:
    """4200000 → ``4,200,000``; 58.5 → ``58.5`` (at most 6 decimals)."""
    r = round(float(v), 6)
    if r.is_integer():
        return f"{int(r):,}"
    return f"{r:,.6f}".rstrip("0").rstrip(".")


def fmt_percent(v: float) -> str:
    """0.82 → ``82%``; 0.8234 → ``82.34%``."""
    return fmt_number(round(float(v) * 100, 2)) + "%"


@dataclass
class Frame:
    """A validated long frame.

    Attributes:
        df: The rows, positionally indexed, ``employee_id`` as text.
        where: ``where(row_position, column)`` → place for messages (row −1: the column).
        ids: Each row's employee id (None when blank).
        keys: Each row's period (None when unreadable).
        problems: What was found, in order.
    """

    df: pd.DataFrame
    where: Callable[[int, str], str]
    name: str
    ids: list[str | None] = field(default_factory=list)
    keys: list[PeriodKey | None] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _numbers: dict[str, np.ndarray] = field(default_factory=dict)
    #: The roster, for columns the rows do not carry (a group such as 部门, 入职日期).
    roster: Table | None = None
    _ranks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    _lookups: dict[str, list[tuple[Any, str | None]] | None] = field(default_factory=dict)

    # ---- columns ------------------------------------------------------------------

    def has(self, column: str) -> bool:
        return column in self.df.columns

    def require(self, column: str, why: str) -> bool:
        """True when the column is there; else a problem (once per column)."""
        if self.has(column):
            return True
        place = self.where(-1, column)
        if not any(p.where == place and p.code == "missing_column" for p in self.problems):
            self.problems.append(Problem(place, "missing_column", f"no column {column!r}; {why}", column=column))
        return False

    def number(self, column: str) -> np.ndarray:
        """The column as floats, NaN where blank or absent; text in it is a problem (once)."""
        if column not in self._numbers:
            if not self.has(column):
                self._numbers[column] = np.full(len(self.df), np.nan)
            else:
                col = self.df[column]
                vals, bad = numbers(col)
                for r in np.flatnonzero(bad):
                    self.problems.append(Problem(self.where(int(r), column), "not_a_number", number_note(col.iloc[r]),
                                                 col.iloc[r], employee=self.ids[r], column=column))
                self._numbers[column] = vals
        return self._numbers[column]

    def texts(self, column: str) -> list[str | None]:
        if not self.has(column):
            return [None] * len(self.df)
        return [text(v) for v in self.df[column]]

    # ---- conditions ---------------------------------------------------------------

    def need(self, c: Condition, why: str) -> None:
        """Check the columns a condition reads are there (problems otherwise)."""
        if c.bounds("total"):
            self.require("total", why)
        if c.rating_in is not None:
            self.require("rating", why)
        if c.bounds("achievement"):
            a = f"achievement:{c.item}"
            if not self.has(a) and not (self.has(c.item) and self.has(f"{c.item}.target")):
                missing = c.item if not self.has(c.item) else f"{c.item}.target"
                self.require(a, f"{why} (or columns {c.item} and {c.item}.target; {missing} is missing too)")
        if c.bounds("score"):
            self.require(f"score:{c.item}", why)
        if c.measure is not None and c.bounds("measure"):
            self.need_measure(c.measure, why)
        if c.rank is not None:
            self.need_measure(c.rank.by or Measure(column="total"), why)
            if c.rank.group:
                self.lookup(c.rank.group, why)

    def need_measure(self, m: Measure, why: str) -> None:
        """Check the columns a measure reads are there (in the rows, or the roster where it may be)."""
        if m.score is not None:
            self.require(f"score:{m.score}", why)
        elif m.achievement is not None:
            self.need(Condition(item=m.achievement, achievement_below=0), why)
        elif m.column is not None:
            if m.column == "total" or m.column.startswith(("score:", "achievement:")):
                self.require(m.column, why)  # results of the rows themselves, never the roster's
            else:
                self.lookup(m.column, why)
        elif m.growth is not None:
            self.lookup(m.growth.item or m.growth.column, why)
        elif m.tenure is not None:
            self.lookup(m.tenure.column, f"{why} (the date tenure is counted from)")
        elif m.share is not None:
            self.lookup(m.share.item or m.share.column, why)
            if m.share.group:
                self.lookup(m.share.group, why)

    # ---- columns of the rows, or else of the roster ----------------------------------

    def lookup(self, column: str, why: str) -> list[tuple[Any, str | None]] | None:
        """Per row, a column's cell and its place: from the rows when they have the column, else the roster.

        A person missing from the roster reads blank (place None: nothing to fix there).
        Neither having the column is a problem (once), placed at the roster's header when
        there is a roster.
        """
        if column in self._lookups:
            return self._lookups[column]
        got: list[tuple[Any, str | None]] | None = None
        if self.has(column):
            got = [(v, self.where(r, column)) for r, v in enumerate(self.df[column])]
        elif self.roster is not None and column in self.roster.df.columns:
            t = self.roster
            at = {text(e): r for r, e in enumerate(t.df[ID])}
            cells = t.df[column].tolist()
            got = [(cells[at[e]], t.where(at[e], column)) if e in at else (None, None) for e in self.ids]
        elif self.roster is not None:
            place = self.roster.where(-1, column)
            if not any(p.where == place and p.code == "missing_column" for p in self.problems):
                self.problems.append(Problem(place, "missing_column",
                                             f"no column {column!r} in the roster (nor in the {self.name} rows); {why}",
                                             column=column))
        else:
            self.require(column, f"{why} (or give a roster with it)")
        self._lookups[column] = got
        return got

    def looked_up_numbers(self, column: str) -> np.ndarray:
        """A column as floats from the rows or the roster (text where a number belongs is a problem)."""
        if self.has(column) or self.roster is None or column not in self.roster.df.columns:
            return self.number(column)
        key = f"\0roster:{column}"
        if key not in self._numbers:
            cells = self.lookup(column, "") or []
            vals, bad = numbers(pd.Series([v for v, _ in cells], dtype=object))
            reported = set()
            for r in np.flatnonzero(bad):
                v, place = cells[r]
                if place is not None and place not in reported:
                    reported.add(place)
                    self.problems.append(Problem(place, "not_a_number", number_note(v), v, employee=self.ids[r],
                                                 column=column))
            self._numbers[key] = vals
        return self._numbers[key]

    def groups(self, column: str | None, why: str) -> list[str | None] | None:
        """Per row, its group (a blank cell is a problem); None when there is no grouping."""
        if not column:
            return None
        cells = self.lookup(column, why)
        if cells is None:
            return [None] * len(self.df)
        out, reported = [], set()
        for r, (v, place) in enumerate(cells):
            g = text(v)
            if g is None and self.ids[r] is not None and place is not None and place not in reported:
                reported.add(place)
                self.problems.append(Problem(place, "blank", f"{column} is empty (needed by {why})",
                                             employee=self.ids[r], column=column))
            out.append(g)
        return out

    # ---- derived measures ----------------------------------------------------------

    def measure(self, m: Measure) -> np.ndarray:
        """Per row, the measure's value (NaN where blank or not derivable)."""
        key = "\0measure:" + m.model_dump_json(exclude_none=True)
        if key in self._numbers:
            return self._numbers[key]
        if m.score is not None:
            vals = self.number(f"score:{m.score}")
        elif m.achievement is not None:
            vals = self.achievement(m.achievement)
        elif m.column is not None:
            vals = self.looked_up_numbers(m.column)
        elif m.growth is not None:
            g = m.growth
            vals = derive.growth(self.looked_up_numbers(g.item or g.column), self.ids, self.keys, g.periods or 1)
        elif m.tenure is not None:
            vals = self._tenure(m.tenure.column, m.tenure.unit)
        elif m.share is not None:
            sh = m.share
            groups = self.groups(sh.group, "a share: measure")
            vals = derive.share(_grouped(self.looked_up_numbers(sh.item or sh.column), groups), self.keys, groups)
        else:
            vals = np.full(len(self.df), np.nan)
        self._numbers[key] = vals
        return vals

    def _tenure(self, column: str, unit: str) -> np.ndarray:
        out = np.full(len(self.df), np.nan)
        cells = self.lookup(column, "a tenure: measure (the date tenure is counted from)")
        if cells is None:
            return out
        reported, dates, units = set(), {}, {}  # one parse per distinct cell, one count per (date, period)
        for r, (v, place) in enumerate(cells):
            try:
                if v not in dates:
                    dates[v] = derive.read_date(v)
            except ValueError as e:
                if place is not None and place not in reported:
                    reported.add(place)
                    self.problems.append(Problem(place, "not_a_date", str(e), v, employee=self.ids[r], column=column))
                continue
            start = dates[v]
            k = self.keys[r]
            if start is not None and k is not None:
                if (start, k) not in units:
                    units[(start, k)] = derive.whole_units(start, derive.period_end(k), unit)
                out[r] = units[(start, k)]
        return out

    def ranked(self, rank: Rank) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: ``(rank, how many were ranked, the value ranked)`` for a rank test."""
        key = rank.model_dump_json(exclude_none=True, include={"bottom", "by", "group", "over", "aggregate"})
        key += "top" if rank.bottom is None else "bottom"
        if key not in self._ranks:
            vals = self.measure(rank.by or Measure(column="total"))
            if rank.over == "year":
                vals = derive.year_to_date(vals, self.ids, self.keys, rank.aggregate or "mean")
            groups = self.groups(rank.group, "a rank: test")
            r, n = derive.ranks(_grouped(vals, groups), self.keys, groups, lowest_first=rank.bottom is not None)
            self._ranks[key] = (r, n, vals)
        return self._ranks[key]

    def achievement(self, item: str) -> np.ndarray:
        """``achievement:<item>`` where given, else ``<item>`` / ``<item>.target``; rounded to 9 places."""
        key = f"\0achievement:{item}"
        if key not in self._numbers:
            given = self.number(f"achievement:{item}")
            actual, target = self.number(item), self.number(f"{item}.target")
            need = np.isnan(given) & ~np.isnan(actual)
            if self.has(item) and self.has(f"{item}.target"):
                for r in np.flatnonzero(need & ((target == 0) | np.isnan(target))):
                    self.problems.append(Problem(
                        self.where(int(r), f"{item}.target"), "no_target",
                        f"the achievement of {item} needs a target above 0 (or give achievement:{item})",
                        None if np.isnan(target[r]) else target[r], employee=self.ids[r], item=item,
                        column=f"{item}.target"))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(need & (target != 0), actual / target, np.nan)
            x = np.where(np.isnan(given), ratio, given)
            self._numbers[key] = np.where(np.isnan(x), np.nan, xlmath.round9(np.nan_to_num(x)))
        return self._numbers[key]

    def holds(self, c: Condition) -> np.ndarray:
        """Per row: does the condition hold? (False where a value it tests is blank.)

        Every threshold given must hold, strict (``_below``/``_above``) or inclusive
        (``_at_most``/``_at_least``), on the value rounded to 9 places.
        """
        ok = np.ones(len(self.df), dtype=bool)
        for measure in CONDITION_MEASURES:
            bounds = c.bounds(measure)
            if not bounds:
                continue
            vals = self._measure(c, measure)
            v = np.where(np.isnan(vals), np.nan, xlmath.round9(np.nan_to_num(vals)))
            known = ~np.isnan(v)
            ok &= known
            for _, op, t in bounds:
                ok &= np.where(known, COMPARE[op](np.nan_to_num(v), t), False)
        if c.rating_in is not None:
            wanted = set(c.rating_in)
            ok &= np.array([r in wanted for r in self.texts("rating")], dtype=bool)
        if c.rank is not None:
            rank, _, _ = self.ranked(c.rank)
            n = c.rank.top if c.rank.bottom is None else c.rank.bottom
            ok &= np.where(np.isnan(rank), False, np.nan_to_num(rank) <= (n or 0))
            if c.rank.over == "year":
                ok &= np.array([k is not None and derive.last_of_year(k) for k in self.keys], dtype=bool)
        return ok

    def _measure(self, c: Condition, measure: str) -> np.ndarray:
        if measure == "total":
            return self.number("total")
        if measure == "achievement":
            return self.achievement(c.item)
        if measure == "measure":
            return self.measure(c.measure) if c.measure is not None else np.full(len(self.df), np.nan)
        return self.number(f"score:{c.item}")

    def evidence(self, c: Condition, r: int, count: bool = True) -> str:
        """What row ``r`` shows for the condition: ``82%``, ``总分58``, ``不合格``, ``总分92 第2名/6人``.

        ``count=False`` leaves out how many were ranked (said once for a chain of periods).
        """
        parts = []
        if c.bounds("achievement"):
            parts.append(fmt_percent(self.achievement(c.item)[r]))
        if c.bounds("score"):
            parts.append(f"{c.item}得分{fmt_number(self.number(f'score:{c.item}')[r])}")
        if c.bounds("total"):
            parts.append(f"总分{fmt_number(self.number('total')[r])}")
        if c.rating_in is not None:
            parts.append(self.texts("rating")[r] or "")
        if c.measure is not None and c.bounds("measure"):
            parts.append(show_measure(c.measure, self.measure(c.measure)[r]))
        if c.rank is not None:
            rank, n, vals = self.ranked(c.rank)
            by = c.rank.by or Measure(column="total")
            what = show_measure(by, vals[r])
            if c.rank.over == "year":
                what = f"{self.keys[r].year}年{'累计' if c.rank.aggregate == 'sum' else '平均'}{what}"
            group = ""
            if c.rank.group:
                group = (self.groups(c.rank.group, "a rank: test") or [None] * (r + 1))[r] or ""
            nth = "未排名" if np.isnan(rank[r]) else f"第{int(rank[r])}名"
            place = f"{group}{'倒数' if c.rank.bottom is not None else ''}{nth}"
            parts.append(f"{what} {place}" + (f"/{int(n[r])}人" if count else ""))
        return " ".join(parts)

    def rank_count(self, c: Condition, rows: list[int]) -> int | None:
        """How many were ranked in each of these rows' rankings, when it is the same number for all."""
        if c.rank is None:
            return None
        n = {int(self.ranked(c.rank)[1][r]) for r in rows}
        return n.pop() if len(n) == 1 else None


def _grouped(vals: np.ndarray, groups: list[str | None] | None) -> np.ndarray:
    """The values, blank where a grouping is asked for and the row has no group (not on the roster)."""
    if groups is None:
        return vals
    return np.where(np.array([g is None for g in groups], dtype=bool), np.nan, vals)


_PERCENT_KINDS = ("achievement", "growth", "share")


def measure_label(m: Measure) -> str:
    """How reasons name a measure: ``sales得分``, ``客户满意度``, ``sales较前3期均值增长``, ``司龄``."""
    if m.score is not None:
        return f"{m.score}得分"
    if m.achievement is not None:
        return f"{m.achievement}完成率"
    if m.column is not None:
        return "总分" if m.column == "total" else m.column
    if m.growth is not None:
        return f"{m.growth.item or m.growth.column}较前{m.growth.periods}期均值增长"
    if m.tenure is not None:
        return "司龄" if m.tenure.column == "入职日期" else f"自{m.tenure.column}起"
    if m.share is not None:
        return f"{m.share.item or m.share.column}占{m.share.group or '全体'}合计"
    return ""


def show_measure(m: Measure, v: float) -> str:
    """A measure's value in a reason: ``sales较前3期均值增长20%``, ``司龄5年``, ``客户满意度0.96``."""
    label = measure_label(m)
    if np.isnan(v):
        return f"{label}无数据"
    if m.tenure is not None:
        return f"{label}{int(v)}{'年' if m.tenure.unit == 'years' else '个月'}"
    if any(getattr(m, k) is not None for k in _PERCENT_KINDS):
        return f"{label}{fmt_percent(v)}"
    return f"{label}{fmt_number(v)}"


# The threshold operators of conditions and qualification thresholds (Condition.bounds,
# Threshold.bounds), as NumPy comparisons.
COMPARE: dict[str, Callable[[Any, float], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def read_frame(rows: pd.DataFrame | Table, name: str, roster: Table | None = None) -> Frame:
    """Check a long frame's ids and periods.

    Args:
        rows: A DataFrame, or a :class:`~kpixl.engine.inputs.Table` (whose places — sheet
            cells — are then used in problems).
        name: How a DataFrame is called in problems (``history[3].total``).
        roster: Where columns the rows lack are looked up by employee id (部门, 入职日期).
    """
    if isinstance(rows, Table):
        df, where = rows.df.reset_index(drop=True), rows.cell
        problems = [p for p in rows.problems if p.code != "duplicate_id"]  # many rows per person here
    else:
        df = rows.reset_index(drop=True).copy()
        alias = next((a for a in ID_ALIASES if a in df.columns), None)
        if alias is not None and alias != ID:
            df = df.rename(columns={alias: ID})

        def where(r: int, c: str, n=name) -> str:
            return f"{n}[{r}].{c}" if r >= 0 else f"{n} column {c}"
        problems = []
    f = Frame(df, where, name, problems=problems, roster=roster)
    if f.require(ID, "the rows need an employee_id column (or 工号)"):
        f.ids = [text(v) for v in df[ID]]
        if not isinstance(rows, Table):
            for r in np.flatnonzero(is_blank(df[ID])):
                f.problems.append(Problem(where(int(r), ID), "blank_id", "every row needs an employee_id"))
        df[ID] = [i or "" for i in f.ids]
    else:
        f.ids = [None] * len(df)
    f.keys = [None] * len(df)
    if f.require(PERIOD, "the rows need a period column (2026-11, 2026Q4, 2026H1 or 2026)"):
        seen: dict[tuple[str, PeriodKey], int] = {}
        for r, v in enumerate(df[PERIOD]):
            try:
                k = parse_period(v)
            except ValueError as e:
                f.problems.append(Problem(where(r, PERIOD), "bad_period", str(e).replace(f"period {v!r} is", "must be"),
                                          v, employee=f.ids[r], column=PERIOD))
                continue
            f.keys[r] = k
            eid = f.ids[r]
            if eid is None:
                continue
            if (eid, k) in seen:
                f.problems.append(Problem(where(r, PERIOD), "duplicate_row",
                                          f"{eid} already has a row for {k} (at {where(seen[(eid, k)], PERIOD)})",
                                          v, employee=eid, column=PERIOD))
            else:
                seen[(eid, k)] = r
    return f
