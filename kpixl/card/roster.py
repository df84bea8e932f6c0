"""Checking a roster (花名册) before anything is generated or distributed.

Every problem comes back at once, each at its cell (``Roster!C7`` in a workbook,
``roster.csv:7 (经理)`` in a CSV file), in row order:

=======================  ================================================================
code                     what
=======================  ================================================================
``blank_id``             a row without an employee id (from :func:`read_table`)
``duplicate_id``         an employee id already used on an earlier row
``missing_column``       no 姓名 or manager column in the roster at all (one problem); a
                         scheme column the roster lacks is not one: it may come with the
                         monthly inputs instead (授课堂数)
``blank``                a required cell is empty: 姓名, the scheme's roster columns
                         (targets, bonus base, 职级, group_by…). A target may be empty
                         when its item can be marked not applicable (``na``), and so may
                         tie_break and na_group columns.
``no_manager``           the manager cell (经理 by default) is empty: the person would be
                         sent to nobody
``unknown_manager``      a ``经理工号`` that is no employee's id, when the roster lists its
                         managers (when any 经理工号 is an employee id on the roster)
``manager_mismatch``     a ``经理`` with two different ``经理工号`` values, or the reverse:
                         the person would be sent to the wrong manager
``not_a_number``         a target, bonus base or commission amount that is not a number
``sheet_name_char``      a 姓名 or employee id holding ``[ ] : * ? / \\``, which Excel
                         forbids in sheet names (each person's sheet is named after them)
``formula_text``         a text cell starting with ``=``, ``+``, ``-`` or ``@``: Excel
                         (and WPS) may run it as a formula when the file is opened or
                         exported (formula injection). Numbers such as ``-5`` are fine.
=======================  ================================================================

Managers are people named in the manager column; they need not be on the roster
themselves (a team lead often is not: the demo roster's 经理工号 are M01, M02…). When
the roster also has a ``经理工号`` (manager's id) column, a name and an id must agree
throughout, and if the roster does list its managers — some 经理工号 is an employee id
on it — every 经理工号 must be one (a manager missing from the roster).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..engine.inputs import ID, Table, is_blank, number_note, numbers, read_table
from ..errors import Problem

NAME = "姓名"
MANAGER = "经理"
MANAGER_ID = "经理工号"
#: Characters Excel refuses in a sheet name.
SHEET_FORBIDDEN = "[]:*?/\\"
_FORBIDDEN_RE = re.compile(r"[\[\]:*?/\\]")
#: A leading character that makes Excel treat text as a formula.
FORMULA_START = ("=", "+", "-", "@")


def _may_be_blank(scheme: Any) -> set[str]:
    """Scheme columns a person may leave empty.

    A target of an item that can be marked not applicable (``na`` set: the person has
    no such task this period), a tie-break or an ``na_group`` column.
    """
    by_target: dict[str, bool] = {}
    for _, item in scheme.items():
        col = getattr(item.target, "column", None)
        if col:
            by_target[col] = by_target.get(col, True) and item.na is not None
    cols = {c for c, ok in by_target.items() if ok}
    cols |= {i.na_group for _, i in scheme.items() if i.na_group}
    if scheme.ratings is not None and scheme.ratings.distribution is not None:
        cols |= set(scheme.ratings.distribution.tie_break)
    return cols


def _numeric_columns(scheme: Any) -> set[str]:
    if scheme is None:
        return set()
    cols = {getattr(i.target, "column", None) for _, i in scheme.items()}
    if scheme.bonus is not None:
        cols.add(getattr(scheme.bonus.base, "column", None))
        if scheme.bonus.commission is not None:
            cols.add(getattr(scheme.bonus.commission.amount, "column", None))
    cols.discard(None)
    return cols


def check_roster(table: Any, scheme: Any = None, manager_column: str = MANAGER) -> list[Problem]:
    """Every problem of a roster, each at its cell, before anything is written.

    Args:
        table: A :class:`kpixl.engine.inputs.Table`, a DataFrame, or a ``.csv``/``.xlsx`` path.
        scheme: The scheme, when known: its roster columns (targets, bonus base, 职级,
            group_by…) become required and targets/bases must be numbers.
        manager_column: The column naming each person's manager (default ``经理``).

    Returns:
        The problems (empty when the roster is fine): whole-column ones (a missing
        column, a duplicate header) first, then the cells in row order.
    """
    t = table if isinstance(table, Table) else read_table(table, "roster")
    df = t.df
    head: list[Problem] = list(t.problems)
    found: list[tuple[int, int, Problem]] = []  # (row, column position, problem) for sorting
    order = {c: k for k, c in enumerate(df.columns)}
    ids = df[ID].to_numpy(dtype=object) if ID in df.columns else np.full(len(df), "", dtype=object)

    def add(r: int, col: str, code: str, message: str, value: Any = None) -> None:
        if isinstance(value, float) and np.isnan(value):
            value = None
        found.append((r, order.get(col, len(order)),
                      Problem(t.where(r, col), code, message, value, employee=ids[r] or None, column=col)))

    required = {NAME: "each person's sheet and the summary", manager_column: "distribute (who receives the person)"}
    if scheme is not None:
        required.update({c: f"the scheme's {why}" for c, why in scheme.roster_columns().items() if c not in required})
    optional = _may_be_blank(scheme) - {NAME, manager_column} if scheme is not None else set()
    for col, why in required.items():
        if col not in df.columns:
            if col not in (NAME, manager_column):
                continue  # a scheme column may come with the inputs instead (授课堂数 each month)
            head.append(Problem(t.name, "missing_column", f"the roster has no column {col!r} (needed by {why})", column=col))
            continue
        if col in optional:
            continue
        blank = is_blank(df[col])
        for r in np.flatnonzero(blank):
            if col == manager_column:
                add(int(r), col, "no_manager", f"no manager: fill in {col} so that this person is sent to someone")
            else:
                add(int(r), col, "blank", f"{col} is empty (needed by {why})")

    # A 经理工号 column: each manager has one id, each id one manager; and when the roster
    # includes the managers themselves (some 经理工号 is an employee id), every one must.
    if MANAGER_ID in df.columns:
        col = df[MANAGER_ID]
        blank = is_blank(col)
        keys = [None if blank[r] else _text(v) for r, v in enumerate(col.to_numpy(dtype=object))]
        known = {i for i in ids if i}
        managers_listed = any(k in known for k in keys if k)
        names = df[manager_column].to_numpy(dtype=object) if manager_column in df.columns else None
        name_blank = is_blank(df[manager_column]) if names is not None else None
        id_of: dict[str, tuple[str, int]] = {}
        name_of: dict[str, tuple[str, int]] = {}
        for r, key in enumerate(keys):
            has_name = names is not None and not name_blank[r]
            if key is None:
                if has_name:  # a blank 经理 is already reported
                    add(r, MANAGER_ID, "no_manager", f"no manager id: fill in {MANAGER_ID}")
                continue
            if managers_listed and key not in known:
                add(r, MANAGER_ID, "unknown_manager",
                    f"{MANAGER_ID} {key!r} is not an employee id on this roster (the roster lists its managers)", col.iloc[r])
            if has_name:
                name = _text(names[r])
                first = id_of.setdefault(name, (key, r))
                other = name_of.setdefault(key, (name, r))
                if first[0] != key:
                    add(r, MANAGER_ID, "manager_mismatch",
                        f"{manager_column} {name!r} has {MANAGER_ID} {first[0]!r} at {t.where(first[1], MANAGER_ID)}", col.iloc[r])
                elif other[0] != name:
                    add(r, manager_column, "manager_mismatch",
                        f"{MANAGER_ID} {key!r} belongs to {other[0]!r} at {t.where(other[1], manager_column)}", names[r])

    # Targets and bases must be numbers (blank ones are reported above).
    for col in _numeric_columns(scheme):
        if col in df.columns:
            _, bad = numbers(df[col])
            for r in np.flatnonzero(bad):
                v = df[col].iloc[int(r)]
                add(int(r), col, "not_a_number", number_note(v), v)

    # Names and ids become sheet names.
    for col in (NAME, ID):
        if col not in df.columns:
            continue
        for r, v in enumerate(df[col].to_numpy(dtype=object)):
            if isinstance(v, str) and _FORBIDDEN_RE.search(v):
                chars = " ".join(dict.fromkeys(_FORBIDDEN_RE.findall(v)))
                add(r, col, "sheet_name_char",
                    f"{col} holds {chars}: the person's sheet is named after it, and Excel forbids "
                    f"{' '.join(SHEET_FORBIDDEN)} in sheet names; remove {'it' if len(chars) == 1 else 'them'}", v)

    # Formula injection: any text cell starting with = + - @ that is not a number.
    for col in df.columns:
        series = df[col]
        if series.dtype.kind != "O":
            continue
        for r, v in enumerate(series.to_numpy(dtype=object)):
            if isinstance(v, str) and _looks_like_formula(v):
                add(r, str(col), "formula_text",
                    f"text starting with {v.lstrip()[0]} would be read by Excel as a formula; remove the leading {v.lstrip()[0]}", v)

    # The table's own id problems join the cells in row order; column-level ones lead.
    at = {t.where(r, ID): r for r in range(len(df))} if ID in df.columns else {}
    for p in [p for p in head if p.where in at]:
        head.remove(p)
        found.append((at[p.where], order.get(ID, -1), p))
    found.sort(key=lambda x: (x[0], x[1]))
    return head + [p for _, _, p in found]


def _text(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()


def _looks_like_formula(text: str) -> bool:
    s = text.lstrip()
    if not s or s[0] not in FORMULA_START:
        return False
    try:
        return not np.isfinite(float(s.replace(",", "")))
    except ValueError:
        return True
