"""The master's collected state, as one object: collect writes it; rate and report read it.

:class:`Records` holds the scheme, the roster, the record store (``_collected``) and the
period being worked on, and answers what every later step asks: which periods were
collected, the inputs frame of a period, the engine's prepared inputs for it, and the
history (one row per collected period and person).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..engine.inputs import ID, Table, read_table, rows_table
from ..engine.prepared import Prepared
from ..engine.score import compute, prepare
from ..errors import FileProblem, InputError
from ..history import rules_by_period
from ..scheme.models import Scheme
from .book import Master
from .store import EMPLOYEE, PERIOD, Store


class Records:
    """What a master has collected (read once per run; the lock is held by the caller).

    Attributes:
        master: The open master.
        scheme: The master's scheme.
        roster: The master's roster table (checked: a roster problem is raised at once).
        store: The record store: one record per (period, employee).
        period: The period being collected, rated or reported (None before any collect).
        ids: The roster's employee ids, in roster order.
    """

    def __init__(self, master: Master, period: str | None, step: str):
        self.master = master
        self.scheme: Scheme = master.scheme
        tpl = master.template
        if tpl.roster_sheet is None:
            raise FileProblem(master.path, step, "the master has no Roster (花名册) sheet: collection needs the roster")
        self.roster: Table = _roster(master, tpl.roster_sheet)
        if self.roster.problems:
            raise InputError(self.roster.problems, "roster")
        self.store = Store.read(master.wb)
        self.period = period
        self.ids: list[str] = self.roster.df[ID].astype(str).tolist()

    @classmethod
    def collected(cls, master: Master, step: str) -> "Records":
        """The records of the master's own period, refusing a master nothing was collected into."""
        records = cls(master, master.period, step)
        if records.period is None or not records.store.of_period(records.period):
            raise FileProblem(master.path, step, "nothing has been collected into this master yet; run Collect first")
        return records

    @property
    def path(self) -> Path:
        return self.master.path

    def periods(self) -> list[str]:
        """Every collected period, in order."""
        return self.store.periods()

    def frame(self, period: str | None = None) -> pd.DataFrame:
        """The inputs table of a period (default: the current one), one row per collected person."""
        recs = self.store.of_period(period or self.period)
        cols = self.store.columns
        return pd.DataFrame([{ID: r[EMPLOYEE], **{c: r.get(c) for c in cols}} for r in recs], columns=[ID, *cols])

    def prepared(self, period: str | None = None) -> Prepared:
        """The engine's prepared inputs of a period, over the master's roster."""
        return prepare(self.scheme, self.frame(period), self.roster)

    def history(self) -> pd.DataFrame:
        """One row per collected (period, person): total, rating, item scores, achievements, inputs, flags."""
        items = [i for _, i in self.scheme.items()]
        names = dict(zip(self.ids, self.roster.df["姓名"].tolist())) if "姓名" in self.roster.df.columns else {}
        frames = []
        for period in self.periods():
            frame = self.frame(period)
            prepared = prepare(self.scheme, frame, self.roster)
            res = compute(prepared)
            out = pd.DataFrame({PERIOD: period, ID: frame[ID].astype(str).to_numpy()})
            out["姓名"] = [names.get(e) for e in out[ID]]
            out["total"], out["rating"] = res["total"].to_numpy(), res["rating"].to_numpy(dtype=object)
            for item in items:
                out[f"score:{item.id}"] = res[item.id].to_numpy()
            for item in items:
                if item.rule.uses_achievement:
                    d = prepared.items[item.id].data
                    out[f"achievement:{item.id}"] = d[next(iter(d))].x
            for c in self.store.columns:
                out[c] = frame[c].to_numpy(dtype=object)
            frames.append(out)
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[PERIOD, ID])
        if self.scheme.history is not None and len(rows):
            # Read once for every period; the roster gives what the rows lack (部门, 入职日期).
            flags = rules_by_period(self.scheme.history, rows, self.periods(), roster=self.roster)
            rows = rows.merge(flags.rename(columns={"period": PERIOD}), on=[PERIOD, ID], how="left")
        return rows


def _roster(master: Master, title: str) -> Table:
    """The master's roster table: from the open workbook (as loaded from the file), or read from the file.

    The open workbook holds the roster's values as saved, so it is not read again from
    disk; a roster with a formula (whose saved result the file has and the open workbook
    has not) or an empty roster sheet is read by :func:`read_table` as before.
    """
    ws = master.wb[title] if title in master.wb.sheetnames else None
    if ws is not None and not any(c.data_type == "f" for row in ws.iter_rows() for c in row):
        rows = list(ws.iter_rows(values_only=True))
        if rows and any(v is not None for v in rows[0]):
            return rows_table(rows, ws.title)
    return read_table(master.path, "roster", sheet=title)
