"""The inputs table (docs/scheme.md § Inputs): one row per person, columns named after items.

=====================  ================================================================
column                 meaning
=====================  ================================================================
``new_sales``          the item's primary input: actual, level, score, 是/否, or points
``new_sales.target``   a per-person target, overriding the scheme or roster target
``discipline.late``    a ``count`` item's counter
``complaint@self``     one rater's input to a multi-rater item
``new_sales.na``       TRUE when the item does not apply to this person
``bonus_pts.reason``   the reason an ``adjust`` item requires
``quality.score``      the score a rater enters within a band or level range
                       (``quality.score@self`` for one rater)
=====================  ================================================================

Columns that name no item (姓名, 部门…) are carried along untouched. Every cell is
read lazily: all problems come back together, each with its place — ``Inputs!C7`` for
a sheet, ``inputs.csv:7 (new_sales)`` for a CSV file.
"""

from __future__ import annotations

import datetime
import math
from operator import itemgetter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import FileProblem, Problem
from ..rules import level_key
from ..rules.entry import HUGE

ID = "employee_id"
#: Accepted spellings of the id column.
ID_ALIASES = ("employee_id", "工号", "员工编号")

YES_WORDS = {"是", "TRUE", "1", "1.0"}
NO_WORDS = {"否", "FALSE", "0", "0.0"}


@dataclass
class Table:
    """A table read from a file or given as a DataFrame, and how to name its cells.

    Attributes:
        df: The rows, with ``employee_id`` as text.
        name: What the table is called in messages (``inputs.csv``, ``Inputs``).
        cell: ``cell(row_position, column) -> place`` for messages.
    """

    df: pd.DataFrame
    name: str
    cell: Callable[[int, str], str]
    problems: list[Problem] = field(default_factory=list)

    def where(self, row: int, column: str) -> str:
        """The place of a cell (row position 0-based; row -1 is the column's header)."""
        return self.cell(row, column)


def read_table(source: Any, name: str = "inputs", sheet: str | None = None) -> Table:
    """Read an inputs or roster table from a DataFrame, CSV or xlsx file.

    Args:
        source: A DataFrame, or a path to ``.csv`` / ``.xlsx``.
        name: How to call the table in messages when it is a DataFrame.
        sheet: For a workbook, the sheet to read (default: the first).

    Returns:
        The :class:`Table`, with ``employee_id`` normalised to text.

    Raises:
        FileProblem: The file cannot be read.
    """
    if isinstance(source, Table):
        return source
    if isinstance(source, pd.DataFrame):
        df = source.reset_index(drop=True).copy()
        return _with_id(Table(df, name, lambda r, c, n=name: f"{n}[{r}].{c}" if r >= 0 else f"{n} column {c}"))
    path = Path(source)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            with path.open("rb") as f:
                bom = f.read(2)
            # Excel's "Unicode text" (Unicode 文本) is UTF-16 with tabs; CSV UTF-8 may carry a BOM.
            utf16 = bom in (b"\xff\xfe", b"\xfe\xff")
            df = pd.read_csv(path, dtype={a: str for a in ID_ALIASES}, encoding="utf-16" if utf16 else "utf-8-sig",
                             sep="\t" if utf16 else ",", skipinitialspace=True, skip_blank_lines=False)
            # Blank lines are read (and then dropped) so that every row keeps its line number.
            lines = [int(i) + 2 for i in df.index]  # the header is line 1
            filled = ~df.isna().all(axis=1).to_numpy()
            df = df[filled].reset_index(drop=True)
            lines = [ln for ln, f in zip(lines, filled) if f]
            cell = lambda r, c, n=path.name: f"{n}:{lines[r] if r >= 0 else 1} ({c})"  # noqa: E731
            return _with_id(Table(df, path.name, cell))
        if suffix in (".xlsx", ".xlsm"):
            return _read_sheet(path, sheet, name)
    except FileNotFoundError:
        raise FileProblem(path, "reading the table", "no such file") from None
    except pd.errors.EmptyDataError:
        raise FileProblem(path, "reading the table", "the file is empty: it needs a header row "
                                                     f"({ID}, then one column per input) and one row per person") from None
    except UnicodeDecodeError:
        raise FileProblem(path, "reading the table", "the file is not UTF-8 text; in Excel save it as "
                                                     "\"CSV UTF-8 (逗号分隔)\" and try again") from None
    except (OSError, ValueError, KeyError) as e:
        raise FileProblem(path, "reading the table", str(e)) from None
    raise FileProblem(path, "reading the table", f"unsupported file type {suffix or '(none)'}; use .csv or .xlsx")


def _read_sheet(path: Path, sheet: str | None, name: str = "inputs") -> Table:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException):
        raise FileProblem(path, "reading the table", "the file is not an xlsx workbook (an old .xls, or damaged?)") from None
    try:
        if sheet and sheet not in wb.sheetnames:
            raise FileProblem(path, "reading the table", f"no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})")
        # The sheet asked for; else the one named like the table (Inputs, Roster); else the first.
        named = next((t for t in wb.sheetnames if t.strip().lower() == name.lower()), None)
        ws = wb[sheet or named or wb.sheetnames[0]]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    return sheet_table(path, ws.title, rows)


def sheet_table(path: Path, title: str, rows: list[tuple]) -> Table:
    """The table of a sheet's rows of values (row 1 the header), with every cell's place ``title!B5``.

    Raises:
        FileProblem: The sheet is empty.
    """
    from openpyxl.utils import get_column_letter

    if not rows:
        raise FileProblem(path, f"reading sheet {title}", "the sheet is empty")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    keep, letters, dups = [], {}, []
    for i, h in enumerate(header):
        if h and h in letters:
            dups.append(Problem(f"{title}!{get_column_letter(i + 1)}1", "duplicate_column",
                                f"column {h!r} appears twice (first in {letters[h]}1): this one is ignored", column=h))
        elif h:
            keep.append(i)
            letters[h] = get_column_letter(i + 1)
    # Blank rows are dropped, but every kept row remembers its row number in the sheet.
    filled = [k for k, r in enumerate(rows[1:]) if any(v is not None for v in r)]
    pick = itemgetter(*keep) if len(keep) > 1 else None  # a full row's kept cells at once
    body = [list(pick(r)) if pick is not None and len(r) > keep[-1] else [r[i] if i < len(r) else None for i in keep]
            for r in (rows[k + 1] for k in filled)]
    numbers_ = [k + 2 for k in filled]
    alias = next((a for a in ID_ALIASES if a in letters), None)
    if alias is not None:  # the id column is renamed to employee_id below: keep its cells
        letters.setdefault(ID, letters[alias])
    df = pd.DataFrame(body, columns=[header[i] for i in keep], dtype=object)

    def cell(r: int, c: str) -> str:
        row = numbers_[r] if r >= 0 else 1
        # A column the sheet lacks has no cell: name the row and the column instead.
        return f"{title}!{letters[c]}{row}" if c in letters else f"{title} row {row} ({c})"

    t = _with_id(Table(df, title, cell))
    t.problems[:0] = dups
    return t


def _with_id(t: Table) -> Table:
    df = t.df
    alias = next((a for a in ID_ALIASES if a in df.columns), None)
    if alias is None:
        t.problems.append(Problem(t.name, "no_id_column", f"the table needs an {ID} column (or 工号)"))
        df[ID] = [str(i + 1) for i in range(len(df))]
    elif alias != ID:
        df = df.rename(columns={alias: ID})
    ids = df[ID]
    text = ids.map(_id_text)
    for r in np.flatnonzero(text.isna().to_numpy()):
        t.problems.append(Problem(t.where(int(r), ID), "blank_id", "every row needs an employee_id"))
    dup = text.duplicated(keep="first") & text.notna()
    first = {} if not dup.any() else {v: int(r) for r, v in reversed(list(enumerate(text))) if isinstance(v, str)}
    for r in np.flatnonzero(dup.to_numpy()):
        eid = text.iloc[r]
        t.problems.append(Problem(t.where(int(r), ID), "duplicate_id",
                                  f"employee {eid} is listed twice (also {t.where(first[eid], ID)})", eid, employee=eid))
    df[ID] = text.fillna("").astype(str)
    t.df = df
    return t


def _id_text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


# ---- cell readers ---------------------------------------------------------------------


def is_blank(col: pd.Series) -> np.ndarray:
    """Empty cells: None, NaN, or whitespace-only text."""
    if col.dtype.kind in "fiub":
        return col.isna().to_numpy()
    values = col.to_numpy(dtype=object)  # the values a Series' iteration gives, without its per-cell cost
    kinds = set(map(type, values))
    if kinds <= {float}:  # numbers kept as objects (a roster's): blank is NaN
        return np.isnan(values.astype(float))
    if kinds <= {str}:
        return np.array([not v.strip() for v in values], dtype=bool)
    return np.array([v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())
                     for v in values], dtype=bool)


#: The largest number an input may hold: the card's own data validation range (±1e15, "any
#: number"); a value beyond it (1e308 typed into the XML) would overflow every sum.
LARGEST = HUGE


def numbers(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Read a column as numbers.

    Returns:
        ``(values, bad)``: floats with NaN where blank or unreadable, and a mask of the
        cells that hold something that is not a number (text such as 九十 or 95%,
        a TRUE/FALSE, a date, an infinity or a text "nan") or a number beyond ±:data:`LARGEST`.
    """
    if col.dtype.kind in "fiu":
        out = col.to_numpy(dtype=float)
    else:
        out = col.to_numpy(dtype=object)
        # Numbers kept as objects (a roster's column): the same, read at once; anything else cell by cell.
        out = out.astype(float) if set(map(type, out)) <= {float} else None
    if out is not None:
        with np.errstate(invalid="ignore"):
            bad = np.isinf(out) | (np.abs(out) > LARGEST)
        return np.where(bad, np.nan, out), bad
    blank = is_blank(col)
    out = np.full(len(col), np.nan)
    bad = np.zeros(len(col), dtype=bool)
    if blank.all():  # an optional column nobody filled
        return out, bad
    texts: dict[str, float] = {}  # a column repeats its texts (a roster's bases): each read once
    for i, v in enumerate(col.to_numpy(dtype=object)):
        if blank[i]:
            continue
        kind = type(v)
        if kind is float:
            x = v
        elif kind is str:
            x = texts.get(v)
            if x is None:
                x = texts[v] = _text_number(v)
        elif isinstance(v, (bool, np.bool_)):
            bad[i] = True
            continue
        else:
            try:
                x = float(v) if isinstance(v, (int, float, np.integer, np.floating)) else _text_number(str(v))
            except OverflowError:
                x = math.nan
        if math.isfinite(x) and abs(x) <= LARGEST:
            out[i] = x
        else:
            bad[i] = True
    return out, bad


def _text_number(v: str) -> float:
    """A text cell's number as a spreadsheet reads it; NaN when it is not one."""
    text = v.strip().replace("\u00a0", "")
    # Python reads full-width digits (１２) as 12, but a spreadsheet keeps them as text
    # (its formulas then count 0): the card and the engine must read the same number.
    try:
        return float(text) if text.isascii() else math.nan
    except (ValueError, OverflowError):
        return math.nan


def number_note(value: Any, subject: str = "") -> str:
    """What to type instead of a cell :func:`numbers` cannot read (九十, 95%, 1,000, TRUE).

    Args:
        value: The cell's content.
        subject: What must be a number (``the target of 销量``); empty for the cell itself.
    """
    head = f"{subject} must be a number" if subject else "must be a number"
    text = str(value).strip()
    if isinstance(value, (bool, np.bool_)) or text.upper() in ("TRUE", "FALSE"):
        return f"{head}, not TRUE/FALSE"
    if isinstance(value, (datetime.date, datetime.time)):
        return f"{head}, not a date: type the number itself"
    core = text.rstrip("%").replace(",", "").replace("，", "").strip()
    try:
        plain = float(core)
    except ValueError:
        plain = math.nan
    if not math.isfinite(plain):
        return f"{head}: type it in digits (95, 1000, 0.95)"
    if abs(plain) > LARGEST:
        return f"{head} between -1e15 and 1e15, the card's range (got {plain:.6g})"
    shown = f"{plain:.15g}"
    if not text.isascii():
        return f"{head}: type {shown} in ordinary (half-width) digits; a spreadsheet reads {text} as text"
    if text.endswith("%"):
        return f"{head}: type it without the % sign (a cell formatted as % holds {text} as {plain / 100:.15g})"
    return f"{head}: type {shown}, without thousands separators"


def yes_no(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Read 是/否, 1/0, TRUE/FALSE as 1.0/0.0 (NaN when blank); mask of unreadable cells."""
    if col.dtype.kind in "fiub":  # typed 1/0 (or TRUE/FALSE) cells: vectorised
        v = col.to_numpy(dtype=float)
        return np.where(np.isin(v, (0.0, 1.0)), v, np.nan), ~np.isnan(v) & ~np.isin(v, (0.0, 1.0))
    out = np.full(len(col), np.nan)
    bad = np.zeros(len(col), dtype=bool)
    blank = is_blank(col)
    for i, v in enumerate(col.to_numpy(dtype=object)):
        if blank[i]:
            continue
        word = str(v).strip().upper() if not isinstance(v, (bool, np.bool_)) else str(bool(v)).upper()
        if word in YES_WORDS:
            out[i] = 1.0
        elif word in NO_WORDS:
            out[i] = 0.0
        else:
            bad[i] = True
    return out, bad


def levels(col: pd.Series) -> np.ndarray:
    """Read levels as canonical text (1, 1.0 and "1" are all "1"); None when blank."""
    blank = is_blank(col)
    uniq = {v: level_key(v) for v in pd.unique(col[~blank])} if (~blank).any() else {}
    return np.array([None if b else uniq[v] for v, b in zip(col.to_numpy(dtype=object), blank)], dtype=object)


def parse_column(name: str) -> tuple[str, str | None, str | None]:
    """``item.field@rater`` → ``(item, field, rater)``."""
    base, _, rater = name.partition("@")
    item, _, fld = base.partition(".")
    return item, (fld or None), (rater or None)
