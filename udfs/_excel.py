"""What Excel passes, read into engine inputs; what goes wrong, written as one line of cell text.

Pure helpers for the ``KPI_*`` worksheet functions — nothing here imports xlwings, so
all of it is testable on any machine. Excel hands a UDF floats for integers (``3.0``),
None for empty cells, tuples of tuples (or lists of lists) for ranges, ``True``/``False``
for logical cells, the text of an error cell (``"#N/A"``, with xlwings' ``err_to_str``)
and, for an omitted optional argument, the function's default.

No scoring happens here either: every rule's parameters are validated the way a scheme
is (:func:`kpixl.scheme.validate.scheme_from_dict`, so pydantic's and the scheme checks'
messages), and scores come from :mod:`kpixl.engine.card`, :mod:`kpixl.rating` and
:mod:`kpixl.bonus` — the same code that scores a roster and that the generated
formulas are tested against.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections import OrderedDict
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from kpixl.engine import card
from kpixl.engine.inputs import ID, ID_ALIASES, number_note, numbers
from kpixl.errors import InputError, KpixlError, Problem
from kpixl.rules import ItemData, level_key
from kpixl.scheme.validate import scheme_from_dict
from kpixl.scheme.models import Item, Scheme
from kpixl.scheme import notation as nt
from kpixl.scheme.sheet.book import read_scheme_values

#: The texts xlwings gives for error cells (``err_to_str``).
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!"})

#: The longest message a cell shows; longer ones are cut with "…".
MAX_MESSAGE = 250

#: The one item of the one-item schemes the rule functions build.
ITEM = "x"


class UdfError(KpixlError):
    """A bad argument: the message (without the function name) becomes the cell's text."""


# ---- errors → one line --------------------------------------------------------------------


def error_line(function: str, error: BaseException) -> str:
    """One short line for a cell: ``KPI_RATIO: target must be above 0``.

    Args:
        function: The worksheet function's name.
        error: What was raised: a :class:`UdfError`, an :class:`~kpixl.errors.InputError`
            (its first problem is shown, with how many more there are), a notation or
            value error, or anything unexpected (its type and text).
    """
    if isinstance(error, InputError):
        first = error.problems[0] if error.problems else None
        text = problem_text(first) if first else str(error)
        more = len(error.problems) - 1
        if more > 0:
            text += f" (+{more} more)"
    elif isinstance(error, (UdfError, nt.NotationError, ValueError, KpixlError)):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    text = " ".join(str(text).split())  # one line, single spaces
    line = f"{function}: {text}"
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def problem_text(p: Problem) -> str:
    """A problem as the cell shows it: its field (when it has one), message and value."""
    where = p.column or ("" if p.where.startswith(("inputs", "sections")) else p.where)
    head = f"{where}: " if where and where not in p.message else ""
    found = "" if p.value is None else f" — got {_shown(p.value)}"
    return f"{head}{polish(p.message)}{found}"


def _shown(v: Any) -> str:
    if isinstance(v, float):
        return nt.format_number(v)
    return f'"{v}"' if isinstance(v, str) else str(v)


_PYDANTIC = [
    (re.compile(r"input should be greater than or equal to (\S+)"), r"must be ≥ \1"),
    (re.compile(r"input should be greater than (\S+)"), r"must be above \1"),
    (re.compile(r"input should be less than or equal to (\S+)"), r"must be ≤ \1"),
    (re.compile(r"input should be less than (\S+)"), r"must be below \1"),
    (re.compile(r"input should be a valid number.*"), "must be a number"),
    (re.compile(r"input should be finite number"), "must be a finite number"),
]


def polish(message: str) -> str:
    """pydantic's 'input should be greater than 0' as people say it: 'must be above 0'."""
    for pattern, repl in _PYDANTIC:
        message = pattern.sub(repl, message)
    return message


def guard(f: Callable) -> Callable:
    """Make a worksheet function return its error as one line of text instead of raising.

    The wrapper keeps the function's name, signature and docstring (xlwings reads them).
    """

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except Exception as e:  # noqa: BLE001 - a cell shows the problem; Excel never sees a traceback
            return error_line(f.__name__, e)

    return wrapper


def arg_docs(f: Callable) -> dict[str, str]:
    """Each argument's description from a Google-style docstring's ``Args:`` section.

    Continuation lines are joined; the result is what Excel's function wizard shows
    under each argument (xlwings' ``@xw.arg(name, doc=...)``).
    """
    doc = inspect.getdoc(f) or ""
    out: dict[str, str] = {}
    in_args, current = False, None
    params = set(inspect.signature(f).parameters)
    for line in doc.splitlines():
        if line.strip() in ("Args:", "Arguments:"):
            in_args = True
            continue
        if in_args:
            if line and not line.startswith(" "):
                break  # the next section (Returns:, Example:)
            m = re.match(r"^ {4}(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
            if m and m.group(1) in params:
                current = m.group(1)
                out[current] = m.group(2).strip()
            elif current and line.strip():
                out[current] += " " + line.strip()
    return out


# ---- reading arguments ----------------------------------------------------------------------


def blank(v: Any) -> bool:
    """An empty cell (None) or text of spaces only."""
    return v is None or (isinstance(v, str) and not v.strip())


def _no_error(v: Any, name: str) -> None:
    if isinstance(v, str) and v.strip() in EXCEL_ERRORS:
        raise UdfError(f"{name} is the error {v.strip()}")


def number(v: Any, name: str) -> float:
    """A number argument, read as the engine reads an input cell (text "95" is 95).

    Raises:
        UdfError: Blank, an error cell, TRUE/FALSE, or text that is not a number.
    """
    if blank(v):
        raise UdfError(f"{name} is blank: enter a number")
    _no_error(v, name)
    values, bad = numbers(pd.Series([v], dtype=object))
    if bad[0] or np.isnan(values[0]):
        raise UdfError(f"{name} {number_note(v)} — got {_shown(v)}")
    return float(values[0])


def optional_number(v: Any, name: str) -> float | None:
    """A number, or None when the cell is empty or the argument omitted."""
    return None if blank(v) else number(v, name)


def choice(field: str, v: Any, name: str | None = None) -> str | None:
    """An option given in English or Chinese (越低越好 → ``lower``); None when blank."""
    if blank(v):
        return None
    _no_error(v, name or field)
    try:
        return nt.parse_choice(field, v)
    except nt.NotationError as e:
        raise UdfError(f"{name or field} {e} — got {_shown(v)}") from None


def flag(v: Any, name: str) -> bool:
    """TRUE/FALSE, 是/否, 1/0; an empty cell or omitted argument is FALSE."""
    if blank(v):
        return False
    _no_error(v, name)
    try:
        return nt.parse_bool(v)
    except nt.NotationError as e:
        raise UdfError(f"{name} {e} — got {_shown(v)}") from None


def grid(v: Any) -> list[list[Any]]:
    """Any argument as a 2-D list of rows: a scalar is one cell, a flat list one row."""
    if isinstance(v, (list, tuple)):
        if not v:
            return []
        if all(isinstance(r, (list, tuple)) for r in v):
            return [list(r) for r in v]
        return [list(v)]
    return [[v]]


def vector(v: Any, name: str) -> tuple[list[Any], bool]:
    """A one-row or one-column range as a list, and whether it was a row.

    Raises:
        UdfError: The range has several rows and several columns.
    """
    rows = grid(v)
    if len(rows) <= 1:
        return (rows[0] if rows else []), True
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows], False
    raise UdfError(f"{name} must be one row or one column of cells, not {len(rows)}×{len(rows[0])}")


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and not blank(v)


def _is_numberish(v: Any) -> bool:
    try:
        nt.parse_number(v)
        return True
    except (nt.NotationError, TypeError):
        return False


def table_rows(v: Any, numeric: Iterable[int]) -> list[list[Any]]:
    """The rows of a small parameter table (bands, levels, quotas, a curve).

    Blank rows are dropped, and so is a header row: the first row when a column that
    holds numbers (``numeric``) has text there that is not a number (最低 | 最高 | 分值).
    """
    rows = [r for r in grid(v) if not all(blank(c) for c in r)]
    cols = list(numeric)
    if rows and any(c < len(rows[0]) and _is_text(rows[0][c]) and not _is_numberish(rows[0][c]) for c in cols):
        rows = rows[1:]
    return rows


def single_text(v: Any) -> str | None:
    """The text of an argument that is one cell of text (a notation), else None."""
    rows = grid(v)
    if len(rows) == 1 and len(rows[0]) == 1 and _is_text(rows[0][0]):
        return rows[0][0]
    return None


def cell_number(v: Any, name: str) -> float | None:
    """A number inside a parameter table: ``0.9`` or text ``90%``; None when empty."""
    if blank(v):
        return None
    _no_error(v, name)
    try:
        return float(nt.parse_number(v))
    except nt.NotationError as e:
        raise UdfError(f"{name} {e} — got {_shown(v)}") from None


def points_or_range(lo: Any, hi: Any, name: str) -> float | list[float]:
    """Points, or a ``[from, to]`` range when a second number is given (6~8分)."""
    a = cell_number(lo, name)
    if a is None:
        raise UdfError(f"{name} is blank: enter the points")
    b = cell_number(hi, name)
    return a if b is None else [a, b]


def structured(kind: str, v: Any, name: str) -> Any:
    """A Scheme-sheet notation (``≥90%:20; ≥85%:10``) or YAML flow text, as plain data."""
    try:
        return nt.parse_structured(kind, v)
    except nt.NotationError as e:
        raise UdfError(f"{name}: {e}") from None


# ---- the engine, on one person -----------------------------------------------------------


def one_item_scheme(item: dict[str, Any], names: dict[str, str] | None = None, **scheme: Any) -> tuple[Scheme, Item]:
    """Validate one item (and optional scheme fields) exactly as a scheme file is validated.

    Args:
        item: The item as plain data, without ``id`` (``{"points": 20, "rule": {...}}``).
        names: Maps a field path inside the item (``rule.cap``, ``raters``) to the
            worksheet function's argument name, so a message names what the user typed.
        **scheme: Other scheme fields (``ratings``, ``bonus``, ``scale``).

    Raises:
        InputError: Every problem, each named by argument (pydantic's messages and the
            scheme checks' — weights summing to 100 %, bands without gaps…).
    """
    data = {"id": "udf", "name": "udf", "sections": [{"id": "s", "items": [{"id": ITEM, **item}]}], **scheme}
    try:
        s = scheme_from_dict(data, source="arguments")
    except InputError as e:
        raise InputError([_renamed(p, names or {}) for p in e.problems], "arguments") from None
    return s, s.sections[0].items[0]


def _renamed(p: Problem, names: dict[str, str], several: bool = False) -> Problem:
    m = re.match(r"^sections\[0\]\.items\[(\d+)\]\.?", p.where)
    path = p.where[m.end():] if m else p.where
    shown = names.get(path) or _by_prefix(path, names) or path.removeprefix("rule.") or "argument"
    if several and m:
        shown += f" ({int(m.group(1)) + 1})"
    return Problem(shown, p.code, p.message, p.value, column=shown)


def _by_prefix(path: str, names: dict[str, str]) -> str | None:
    for key in sorted(names, key=len, reverse=True):
        if key and path.startswith((key + ".", key + "[")):
            return names[key]
    return None


def one_section_scheme(items: list[dict[str, Any]], names: dict[str, str] | None = None) -> Scheme:
    """Validate several items (each with its ``id``) as one unweighted section of a scheme.

    Raises:
        InputError: Every problem, named by argument and item position (``weights (2)``).
    """
    data = {"id": "udf", "name": "udf", "sections": [{"id": "s", "items": items}]}
    try:
        return scheme_from_dict(data, source="arguments")
    except InputError as e:
        raise InputError([_renamed(p, names or {}, several=True) for p in e.problems], "arguments") from None


def section_raw(scheme: Scheme, scores: list[float]) -> float:
    """The engine's section value of one person from their item scores (unweighted: the sum)."""
    section = scheme.sections[0]
    arrays = [np.array([s]) for s in scores]
    return float(card.section_score(scheme, section, arrays, [np.zeros(1, dtype=bool)] * len(arrays))[0])


def level(v: Any, known: list[str]) -> str:
    """A level as the engine reads it (3, 3.0 and "3" are "3"; "优" stays "优").

    Raises:
        UdfError: Blank or an error cell (an unknown level is the rule's own check).
    """
    if blank(v):
        raise UdfError("level is blank: enter one of " + "、".join(known))
    _no_error(v, "level")
    return level_key(v)


def item_data(item: Item, value: Any, target: float | None = None, counters: dict[str, float] | None = None,
              score: float | None = None) -> ItemData:
    """One person's inputs to an item, as the engine holds them (arrays of one)."""
    rule = item.rule
    kind = rule.input_kind
    arr = np.array([value], dtype=object if kind == "level" else float)
    d = ItemData(points=item.points, value=arr,
                 target=None if target is None else np.array([target], dtype=float),
                 counters={k: np.array([c], dtype=float) for k, c in (counters or {}).items()},
                 score=None if score is None else np.array([score], dtype=float))
    if rule.uses_achievement:
        d.x = rule.achievement(arr.astype(float), d.target)
        d.exact = rule.achievement(arr.astype(float), d.target, exact=True)
    return d


def check_inputs(item: Item, data: ItemData, names: dict[str, str] | None = None) -> None:
    """The rule's own input checks (a level that does not exist, a score outside its band).

    Raises:
        UdfError: The first problem, named by argument.
    """
    for issue in item.rule.check(data):
        field = (names or {}).get(issue.field, "")
        text = issue.messages[0]
        raise UdfError(text if not field or text.startswith(field) else f"{field}: {text}")


def item_score(scheme: Scheme, item: Item, data: dict[str | None, ItemData],
               present: dict[str | None, bool] | None = None) -> float:
    """The engine's item score (raters, item bounds) for one person."""
    here = {r: np.array([True if present is None else present.get(r, True)]) for r in data}
    scores, _ = card.item_score(scheme, item, card.ItemInputs(data, here))
    return float(scores[0])


def target_of(v: Any) -> float:
    """A target, checked as the engine checks one: a number above 0."""
    if blank(v):
        raise UdfError("target is blank: enter a number above 0 (1 when the actual is already a rate)")
    t = number(v, "target")
    if t <= 0:
        raise UdfError(f"target must be above 0 — got {nt.format_number(t)}")
    return t


# ---- a scheme range and an inputs range (KPI_TOTAL, KPI_CHECK) ----------------------------


def _frozen(rows: list[list[Any]]) -> tuple:
    return tuple(tuple(r) for r in rows)


_SCHEMES: OrderedDict[tuple, Scheme] = OrderedDict()
_SCHEMES_KEPT = 16


def scheme_of(v: Any) -> Scheme:
    """The scheme held by a range of a Scheme sheet (its key/value block and item table).

    Recent schemes are kept by their cell values, so a sheet of ``KPI_TOTAL`` cells over
    the same scheme reads it once.

    Raises:
        InputError: Every problem, at its cell counted from the range's top-left (A1).
    """
    rows = grid(v)
    key = _frozen(rows)
    if key in _SCHEMES:
        _SCHEMES.move_to_end(key)
        return _SCHEMES[key]
    s = read_scheme_values(rows, source="scheme range")
    _SCHEMES[key] = s
    while len(_SCHEMES) > _SCHEMES_KEPT:
        _SCHEMES.popitem(last=False)
    return s


def inputs_frame(v: Any) -> pd.DataFrame:
    """An inputs range as the engine's inputs table (docs/scheme.md § Inputs).

    Two shapes are read:

    * a header row of column names (``sales``, ``sales.target``, ``attendance.late``)
      and one row of values per person, or
    * two columns, name | value, one input per row (one person).

    Without an ``employee_id`` (工号) column the people are numbered 1, 2, …
    """
    rows = [r for r in grid(v) if not all(blank(c) for c in r)]
    if not rows:
        raise UdfError("inputs is empty: give a header row of input names and a row of values")
    header_row = all(_is_text(c) or blank(c) for c in rows[0]) and any(_is_text(c) for c in rows[0])
    pairs = len(rows[0]) == 2 and all(len(r) == 2 and _is_text(r[0]) for r in rows)
    if header_row and (not pairs or len(rows) == 2):  # a header and one row of values reads as such
        if len(rows) < 2:
            raise UdfError("inputs has a header row but no values under it")
        header = [str(c).strip() if not blank(c) else None for c in rows[0]]
        keep = [i for i, h in enumerate(header) if h]
        names = [header[i] for i in keep]
        body = [[r[i] if i < len(r) else None for i in keep] for r in rows[1:]]
    elif pairs:
        names = [str(r[0]).strip() for r in rows]
        body = [[r[1] for r in rows]]
    else:
        raise UdfError("inputs must be a header row of input names with a row of values under it, "
                       "or two columns: name | value")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UdfError(f"inputs: the input {dup[0]} is given twice")
    df = pd.DataFrame(body, columns=names, dtype=object)
    df = df.map(lambda c: None if blank(c) else c)
    if not any(a in df.columns for a in ID_ALIASES):
        df.insert(0, ID, [str(i + 1) for i in range(len(df))])
    return df
