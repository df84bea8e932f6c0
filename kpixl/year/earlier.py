"""Earlier years for the level ladder: annual totals and ratings copied from earlier year masters.

A level rule over ``years: 2`` (连续两年优秀 → 快速晋升, 连续两年不合格 → 降级) reads the
annual ratings of the years before the one being built. They come from the **earlier
year masters** (``kpixl year 2026年度.xlsx … --earlier 2025年度.xlsx``): each one's
``年度汇总`` (employee, annual total and rating, as it last showed them) and the earlier
years it holds itself, copied as data onto the ``往年年度`` sheet with the file and its
SHA-256. As with the period masters, the year keeps what it copied: a rebuild reads the
sheet back, and an earlier year master given again replaces the rows of its year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..engine.inputs import ID
from ..errors import KpixlError, Problem
from ..master.book import LEVELS
from ..periods import parse_period
from ..xlsx.cells import cell_value
from ..xlsx.text import append_row
from .sheet import YEAR
from .sources import sha256
from ..xlsx.scan import read_values

__all__ = ["EARLIER", "EARLIER_COLS", "kept_earlier", "merged", "read_earlier", "write_earlier"]

EARLIER = "往年年度"
EARLIER_COLS = {ID: "工号", "period": "年度", "total": "年度总分", "rating": "年度等级", "file": "来源文件",
                "sha256": "来源SHA-256"}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows (:data:`EARLIER_COLS`, then the values the level rules read: sales, 年度销售额)."""
    extra = [k for k in dict.fromkeys(k for r in rows for k in r) if k and k not in EARLIER_COLS]
    df = pd.DataFrame(rows, columns=[*EARLIER_COLS, *extra])
    df[ID] = df[ID].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    df["period"] = df["period"].map(lambda v: str(int(v)) if isinstance(v, (int, float)) else str(v))
    return df


def _table(wb, title: str) -> list[dict[str, Any]]:
    if title not in wb.sheetnames:
        return []
    it = wb[title].iter_rows(values_only=True)
    head = [str(h) if h is not None else "" for h in next(it, ())]
    next(it, None)  # the labels
    return [dict(zip(head, r)) for r in it if any(v is not None for v in r)]


def _id(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def kept_earlier(values) -> pd.DataFrame:
    """The ``往年年度`` rows a year master holds (``values``: its :class:`kpixl.xlsx.scan.Values`, or None)."""
    if values is None:
        return _frame([])
    return _frame([{k: v for k, v in d.items() if k} for d in _table(values, EARLIER) if d.get(ID) is not None])


def read_earlier(path: Path, scheme_id: str, year: str, scheme_name: str, period_name: str,
                 values: Sequence[str] = ()) -> tuple[pd.DataFrame, list[Problem]]:
    """One earlier year master's annual rows (its ``年度汇总`` and the ``往年年度`` it holds).

    With ``values``, each row also takes those annual values from the master's ``职级建议``
    (where the year shows what its proposals read: 业务销售额·年度合计), so that a growth
    on last year's sales can be measured; a master built without them leaves them blank.

    Args:
        path: The earlier year master.
        scheme_id: The programme's scheme id (another scheme's year is refused).
        year: The year being built (``2026``): the earlier one must be a calendar year before it.
        scheme_name: The defined name holding a year master's scheme id.
        period_name: The defined name holding a year master's period.
        values: The columns the level rules read by name (``sales``, ``年度销售额``).

    Returns:
        ``(rows, problems)``: the rows (:data:`EARLIER_COLS`), or problems placed at the file.
    """
    where = str(path)
    try:
        wb = read_values(path)
    except (OSError, KpixlError) as e:
        return _frame([]), [Problem(where, "bad_file", f"cannot be read: {getattr(e, 'strerror', None) or e}")]
    sid, period = wb.name(scheme_name), wb.name(period_name)
    if sid is None or YEAR not in wb.sheetnames:
        return _frame([]), [Problem(where, "bad_file", "not a year master kpixl built (--earlier takes the year "
                                                       "masters of earlier years)")]
    if sid != scheme_id:
        return _frame([]), [Problem(where, "year_other_scheme", f"this year master is of the scheme {sid}; "
                                                                f"the year is built from {scheme_id}", sid)]
    try:
        ok = parse_period(period).kind == "year" and parse_period(year).kind == "year" and period < year
    except ValueError:
        ok = False
    if not ok:
        return _frame([]), [Problem(where, "bad_period", f"an earlier year master must be of a calendar year "
                                                         f"before {year}: this one is {period}", period)]
    sha = sha256(path)
    read = {_id(d.get(ID)): d for d in _table(wb, LEVELS) if d.get(ID) is not None}
    rows = [{ID: d.get(ID), "period": period, "total": d.get("total"), "rating": d.get("rating"),
             "file": path.name, "sha256": sha, **{c: read.get(_id(d.get(ID)), {}).get(c) for c in values}}
            for d in _table(wb, YEAR) if d.get(ID) is not None]
    held = kept_earlier(wb)
    return pd.concat([held[held["period"] < period], _frame(rows)], ignore_index=True), []


def merged(kept: pd.DataFrame, given: list[pd.DataFrame]) -> pd.DataFrame:
    """``kept`` with the years of ``given`` replaced by the given rows (a later master wins), sorted."""
    out = kept
    for g in given:
        out = pd.concat([out[~out["period"].isin(set(g["period"]))], g], ignore_index=True)
    return out.sort_values(["period", ID], kind="stable").reset_index(drop=True)


def write_earlier(ws, rows: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """The ``往年年度`` sheet: row 1 keys, row 2 labels, then the copied rows (data, never formulas).

    ``labels``: of the values the level rules read (``sales`` → 业务销售额·年度合计), in the
    columns after :data:`EARLIER_COLS`; a column no rule reads any more is left out.
    """
    labels = labels or {}
    keys = [*EARLIER_COLS, *(k for k in labels if k in rows.columns)]
    append_row(ws, keys)
    append_row(ws, [*EARLIER_COLS.values(), *(labels[k] for k in keys[len(EARLIER_COLS):])])
    for r in rows.to_dict("records"):
        append_row(ws, [cell_value(r.get(k)) for k in keys])
    ws.freeze_panes = "A3"
