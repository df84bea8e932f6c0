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
from ..scheme.models import CONDITION_MEASURES, Condition

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
        return ok

    def _measure(self, c: Condition, measure: str) -> np.ndarray:
        if measure == "total":
            return self.number("total")
        if measure == "achievement":
            return self.achievement(c.item)
        return self.number(f"score:{c.item}")

    def evidence(self, c: Condition, r: int) -> str:
        """What row ``r`` shows for the condition: ``82%``, ``总分58``, ``不合格``."""
        parts = []
        if c.bounds("achievement"):
            parts.append(fmt_percent(self.achievement(c.item)[r]))
        if c.bounds("score"):
            parts.append(f"{c.item}得分{fmt_number(self.number(f'score:{c.item}')[r])}")
        if c.bounds("total"):
            parts.append(f"总分{fmt_number(self.number('total')[r])}")
        if c.rating_in is not None:
            parts.append(self.texts("rating")[r] or "")
        return " ".join(parts)


# The threshold operators of conditions and qualification thresholds (Condition.bounds,
# Threshold.bounds), as NumPy comparisons.
COMPARE: dict[str, Callable[[Any, float], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


def read_frame(rows: pd.DataFrame | Table, name: str) -> Frame:
    """Check a long frame's ids and periods.

    Args:
        rows: A DataFrame, or a :class:`~kpixl.engine.inputs.Table` (whose places — sheet
            cells — are then used in problems).
        name: How a DataFrame is called in problems (``history[3].total``).
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
    f = Frame(df, where, name, problems=problems)
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
