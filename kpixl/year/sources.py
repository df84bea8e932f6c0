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

from ..engine.inputs import ID
from ..engine.prepared import Overrides
from ..engine.score import compute
from ..errors import InputError, KpixlError, Problem
from ..master.book import Master
from ..master.params import kept_bases, read_params
from ..master.records import Records
from ..master.store import EMPLOYEE
from ..scheme.models import Scheme

__all__ = ["COPY", "Source", "read_source", "sha256"]

STEP = "reading a period master for the year"

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
        rows: One copied row per collected person (:data:`COPY` keys).
        problems: What was found reading it (warnings: the figures are still copied).
    """

    component: str | None
    path: Path
    period: str = ""
    sha: str = ""
    scheme: Scheme | None = None
    roster: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)


def _read_master(path: Path) -> Master:
    """A period master, read only: unlike writing, reading one that is open in Excel is fine."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    from ..card.template import template_from_workbook
    from ..errors import FileProblem

    try:
        wb = openpyxl.load_workbook(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as e:
        raise FileProblem(path, STEP, f"not an Excel workbook (.xlsx): {e}") from None
    return Master(path, wb, template_from_workbook(wb, path))


def read_source(component: str | None, path: Path) -> Source:
    """Read one period master: its scheme, roster and every collected person's figures.

    Args:
        component: The roll-up component the master belongs to (None: decided later).
        path: The period master.

    Returns:
        A :class:`Source`; an unreadable master has one ``file`` problem and no rows.
    """
    src = Source(component, Path(path))
    where = str(path)
    try:
        src.sha = sha256(src.path)
        m = _read_master(src.path)
        src.scheme = m.scheme
        records = Records(m, m.period, STEP)
    except InputError as e:
        src.problems += e.problems
        return src
    except KpixlError as e:
        src.problems.append(Problem(where, "bad_file", str(getattr(e, "reason", e))))
        return src
    if records.period is None or not records.store.of_period(records.period):
        src.problems.append(Problem(where, "year_not_collected", "nothing has been collected into this master"))
        return src
    src.period = records.period
    src.roster = records.roster.df.copy()
    s = m.scheme
    prepared = records.prepared()
    overrides, kept = Overrides(), []
    if s.bonus is not None and prepared.bonus is not None:
        params = read_params(m.wb, s, kept)
        base = kept_bases(m.wb, list(prepared.ids), prepared.bonus.base, kept)
        overrides = Overrides(bonus=params.policy(s.bonus), base=base)
    res = compute(prepared, overrides)
    when = {r[EMPLOYEE]: r.get("_collected_at") for r in records.store.of_period(records.period)}
    names = dict(zip(src.roster[ID].astype(str), src.roster["姓名"])) if "姓名" in src.roster.columns else {}
    ids = res[ID].astype(str).to_numpy()
    src.rows = pd.DataFrame({
        ID: ids,
        "姓名": [names.get(e) for e in ids],
        "component": component,
        "period": src.period,
        "total": res["total"].to_numpy(dtype=float),
        "rating": res["rating"].to_numpy(dtype=object) if s.ratings is not None else None,
        "bonus": res["bonus"].to_numpy(dtype=float) if s.bonus is not None else np.nan,
        "file": src.path.name,
        "sha256": src.sha,
        "collected_at": [when.get(e) for e in ids],
    })
    # The master's own input problems (reported when it was collected): said again, never blocking.
    src.problems += [Problem(f"{src.path.name}: {p.where}", p.code, p.message, p.value,
                             employee=p.employee, item=p.item, column=p.column) for p in prepared.problems]
    return src
