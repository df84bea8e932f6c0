"""Reading one period master for the year: its scheme, roster and each person's period figures.

A period master (made by ``kpixl collect``, rated or not by ``kpixl rate``) is read as
*rate* reads it: the collected records of its own period, scored by the engine with the
parameters finance left on its ``奖金参数`` sheet and the bases kept on ``等级与奖金``, so
the figures copied into the year are the ones the master shows. Nothing is written to
the period master (its lock is not taken: it is only read).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..card.template import ROSTER_SHEETS
from ..engine.inputs import ID, read_table
from ..engine.prepared import Overrides
from ..engine.score import compute, prepare
from ..errors import InputError, KpixlError, Problem
from ..master.book import PERIOD_NAME, STORE
from ..master.params import PARAMS, RATED, kept_bases, read_params
from ..master.store import EMPLOYEE, Store
from ..pay import PAY_SHEET
from ..scheme.models import Scheme
from ..scheme.sheet import read_scheme_values
from ..scheme.sheet.vocab import SHEET_NAMES
from ..xlsx.scan import read_values
from .annual import INPUT, level_inputs

__all__ = ["COPY", "Source", "read_source", "sha256"]

#: The copied row: row-1 keys and the Chinese labels of the ``期间成绩`` sheet.
COPY = {ID: "工号", "姓名": "姓名", "component": "组成部分", "period": "期间", "total": "总分",
        "rating": "考核等级", "bonus": "绩效奖金", "file": "来源文件", "sha256": "来源SHA-256",
        "collected_at": "收回时间"}


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (the provenance of every row copied from it)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Source:
    """One period master as the year read it.

    Attributes:
        component: The roll-up component it belongs to (``monthly``).
        path: The master file.
        period: The master's period (``2026-03``).
        sha: Its SHA-256 when read.
        scheme: Its scheme.
        roster: Its roster (a DataFrame with ``employee_id``).
        rows: One copied row per collected person (:data:`COPY` keys, then ``input:<column>``
            for the card inputs the scheme's levels read).
        pay: One row per person paid on the master's ``工资核算`` (``pay.<line>``,
            ``pay.total``, as cached there), with the provenance columns; empty when
            the scheme has no pay or the master has not been rated.
        problems: What was found reading it (warnings: the figures are still copied).
    """

    component: str | None
    path: Path
    period: str = ""
    sha: str = ""
    scheme: Scheme | None = None
    roster: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    pay: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)


def _title(wb, names: tuple[str, ...]) -> str | None:
    wanted = {n.casefold() for n in names}
    return next((t for t in wb.sheetnames if t.strip().casefold() in wanted), None)


def _rows(wb, title: str) -> list[tuple]:
    return [tuple(r) for r in wb[title].iter_rows(values_only=True)]


def read_source(component: str | None, path: Path, cache: dict | None = None) -> Source:
    """Read one period master: its scheme, roster and every collected person's figures.

    One streaming pass over the file (cached values, :mod:`kpixl.xlsx.scan`; a
    master open in Excel can be read): the Scheme sheet, the roster, the record store of the master's period and
    finance's parameters (``奖金参数``, bases kept on ``等级与奖金``).

    Args:
        component: The roll-up component the master belongs to (None: decided later).
        path: The period master.
        cache: A dict kept across the masters of one build: a sheet (and a roster) already
            read from an identical part is not read again (:func:`kpixl.xlsx.scan.read_values`).

    Returns:
        A :class:`Source`; an unreadable master has one problem and no rows.
    """
    src = Source(component, Path(path))
    where = str(path)
    try:
        src.sha = sha256(src.path)
        cache = {} if cache is None else cache
        wb = read_values(src.path, {*SHEET_NAMES, *ROSTER_SHEETS, STORE, PARAMS, RATED, PAY_SHEET}, cache)
    except OSError as e:
        src.problems.append(Problem(where, "bad_file", f"cannot be read: {e.strerror or e}"))
        return src
    except KpixlError as e:
        src.problems.append(Problem(where, "bad_file", str(getattr(e, "reason", e))))
        return src
    try:
        return _read(src, wb, cache)
    except InputError as e:
        src.problems += [Problem(f"{src.path.name}: {p.where}", p.code, p.message, p.value, employee=p.employee,
                                 item=p.item, column=p.column) for p in e.problems]
        src.scheme = None
        return src
    except KpixlError as e:
        src.problems.append(Problem(where, "bad_file", str(getattr(e, "reason", e))))
        src.scheme = None
        return src
    finally:
        wb.close()


def _read(src: Source, wb, cache: dict) -> Source:
    where = str(src.path)
    scheme_sheet, roster_sheet = _title(wb, SHEET_NAMES), _title(wb, ROSTER_SHEETS)
    if scheme_sheet is None or roster_sheet is None:
        src.problems.append(Problem(where, "bad_file", "not a kpixl master: it needs a Scheme and a Roster sheet"))
        return src
    key = ("scheme", scheme_sheet, wb.keys.get(scheme_sheet))  # one template's masters share their Scheme
    s = cache.get(key) if key[2] is not None else None
    if s is None:
        s = read_scheme_values(_rows(wb, scheme_sheet), src.path.name, scheme_sheet)
        if key[2] is not None:
            cache[key] = s
    src.scheme = s
    period = wb.name(PERIOD_NAME)
    store = Store.read(wb, meta=("_collected_at",))
    recs = store.of_period(period) if period else []
    if not recs:
        src.problems.append(Problem(where, "year_not_collected", "nothing has been collected into this master"))
        return src
    key = ("roster", wb.keys.get(roster_sheet))
    roster = cache.get(key) if key[1] is not None else None
    if roster is None:
        rows = _rows(wb, roster_sheet)
        head = [str(h).strip() if h is not None else "" for h in rows[0]] if rows else []
        keep = [i for i, h in enumerate(head) if h]
        body = [[r[i] if i < len(r) else None for i in keep] for r in rows[1:] if any(v is not None for v in r)]
        roster = read_table(pd.DataFrame(body, columns=[head[i] for i in keep], dtype=object), "roster")
        if key[1] is not None:
            cache[key] = roster
    if roster.problems:
        raise InputError(roster.problems, "roster")
    frame = pd.DataFrame({ID: [r[EMPLOYEE] for r in recs], **{c: [r.get(c) for r in recs] for c in store.columns}},
                         columns=[ID, *store.columns])  # column by column: the same frame as row by row, faster
    prepared = prepare(s, frame, roster)
    src.period = period
    src.roster = roster.df.copy()
    overrides, kept = Overrides(), []
    if s.bonus is not None and prepared.bonus is not None:
        params = read_params(wb, s, kept)
        base = kept_bases(wb, list(prepared.ids), prepared.bonus.base, kept)
        overrides = Overrides(bonus=params.policy(s.bonus), base=base)
    res = compute(prepared, overrides)
    when = {r[EMPLOYEE]: r.get("_collected_at") for r in recs}
    names = dict(zip(src.roster[ID].astype(str).tolist(), src.roster["姓名"].tolist())) if "姓名" in src.roster.columns else {}
    ids = res[ID].astype(str).to_numpy()
    src.rows = pd.DataFrame({
        ID: ids,
        "姓名": [names.get(e) for e in ids],
        "component": src.component,
        "period": src.period,
        "total": res["total"].to_numpy(dtype=float),
        "rating": res["rating"].to_numpy(dtype=object) if s.ratings is not None else None,
        "bonus": res["bonus"].to_numpy(dtype=float) if s.bonus is not None else np.nan,
        "file": src.path.name,
        "sha256": src.sha,
        "collected_at": [when.get(e) for e in ids],
    })
    # The card inputs the level rules read (sales for 年度业务销售额): copied as data beside the figures.
    inputs = level_inputs(s, store.columns)
    by_id = frame.set_index(frame[ID].astype(str)) if inputs else None
    for c in inputs:
        src.rows[INPUT + c] = by_id[c].reindex(ids).to_numpy(dtype=object)
    if s.pay is not None:
        src.pay = _pay(src, wb)
    # The master's own input problems (reported when it was collected): said again, never blocking.
    src.problems += [Problem(f"{src.path.name}: {p.where}", p.code, p.message, p.value,
                             employee=p.employee, item=p.item, column=p.column) for p in prepared.problems]
    return src


def _pay(src: Source, wb) -> pd.DataFrame:
    """The master's ``工资核算`` as it shows it (cached values), one row per person paid: each
    line's amount as it counts in 应发合计 (for a line under approval, ``<line>·计入``: 0 until
    approved on 奖罚审批).

    A master of a scheme with ``pay:`` that has no pay sheet (not rated yet) gives no
    rows and a warning: the year flags its periods as unpaid rather than make pay up.
    """
    keys = [f"pay.{ln.id}" for ln in src.scheme.pay.lines] + ["pay.total"]
    cols = [ID, "姓名", "component", "period", *keys, "file", "sha256"]
    if PAY_SHEET not in wb:
        src.problems.append(Problem(str(src.path), "year_pay_missing",
                                    f"{src.path.name} has no {PAY_SHEET} (not rated yet): its period "
                                    f"{src.period} is shown as 未核算 on the year's {PAY_SHEET}", src.period))
        return pd.DataFrame(columns=cols)
    rows = _rows(wb, PAY_SHEET)
    head = [str(h) if h is not None else "" for h in rows[0]] if rows else []
    at = {k: j for j, k in enumerate(head)}
    if ID not in at:
        return pd.DataFrame(columns=cols)
    names = dict(zip(src.rows[ID], src.rows["姓名"]))
    out = []
    for r in rows[2:]:
        eid = r[at[ID]] if at[ID] < len(r) else None
        if eid is None or str(eid).strip() == "":
            continue
        eid = str(int(eid)) if isinstance(eid, float) and eid.is_integer() else str(eid)
        # A line under approval (奖罚审批) adds only what was approved: its ``.counted`` column.
        got = {k: (r[at[c]] if c in at and at[c] < len(r) else None)
               for k in keys for c in [f"{k}.counted" if f"{k}.counted" in at else k]}
        out.append({ID: eid, "姓名": names.get(eid), "component": src.component, "period": src.period, **got,
                    "file": src.path.name, "sha256": src.sha})
    return pd.DataFrame(out, columns=cols)
