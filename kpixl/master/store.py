"""The collected records: one row per (period, employee) in the master's hidden ``_collected`` sheet.

This sheet is the single source of truth of what managers sent; ``Results`` and the
history are recomputed from it on every run. A record holds the inputs as collected
(numbers, text, 是/否) and where they came from (file, its SHA-256, sheet, the file's
saved time, when and by whom it was collected).

Numbers are kept to 15 significant digits — what a spreadsheet shows and what openpyxl
writes back unchanged — so a record reads back exactly as it was stored, run after run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterable, Sequence

from ..lazy import np
from ..xlsx.bulk import Bulk
from ..xlsx.text import append_row, bulk_values
from .book import STORE

PERIOD, EMPLOYEE = "period", "employee_id"
META = ("_file", "_sha256", "_sheet", "_saved", "_collected_at", "_by")


def plain(value: Any) -> Any:
    """A cell value as a record keeps it: floats to 15 significant digits, blank text as None."""
    kind = type(value)
    if kind is float:  # the common cases first: a whole number (already ≤ 15 digits), text
        if value.is_integer() and -1e15 < value < 1e15:
            return value
    elif kind is str:
        return value if value.strip() else None
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            return None
        return float(f"{v:.15g}")
    if isinstance(value, str):
        return value if value.strip() else None
    return value


@dataclass
class Store:
    """Every collected record, keyed by (period, employee id)."""

    columns: list[str] = field(default_factory=list)  # input columns, in first-seen order
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, wb, meta: Iterable[str] | None = None) -> "Store":
        """The records on ``wb``'s ``_collected`` sheet; with ``meta``, only those of the
        provenance columns (:data:`META`) are kept (the year needs ``_collected_at`` alone)."""
        store = cls()
        if STORE not in wb.sheetnames:
            return store
        rows = wb[STORE].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        store.columns = [h for h in header if h and h not in (PERIOD, EMPLOYEE) and h not in META]
        skip = set() if meta is None else set(META) - set(meta)
        keep = [j for j, h in enumerate(header) if h and h not in skip]
        names = [header[j] for j in keep]
        every, last = len(keep) == len(header), keep[-1] if keep else -1
        pick = itemgetter(*keep) if len(keep) > 1 else None
        picked = [row if every else pick(row) if pick is not None and len(row) > last
                  else [row[j] for j in keep if j < len(row)] for row in rows]
        if all(len(row) == len(names) for row in picked):  # a column at a time: a column is mostly of one type
            picked = zip(*(_plain_column(c) for c in zip(*picked)))
            recs = (dict(zip(names, row)) for row in picked)
        else:
            recs = (dict(zip(names, map(plain, row))) for row in picked)
        for rec in recs:
            if rec.get(EMPLOYEE) is None or rec.get(PERIOD) is None:
                continue
            key = (str(rec[PERIOD]), _id(rec[EMPLOYEE]))
            rec[PERIOD], rec[EMPLOYEE] = key
            store.records[key] = rec
        return store

    def inputs(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {c: rec.get(c) for c in self.columns}

    def put(self, period: str, employee: str, values: dict[str, Any], meta: dict[str, Any]) -> None:
        for c in values:
            if c not in self.columns:
                self.columns.append(c)
        self.records[(period, employee)] = {PERIOD: period, EMPLOYEE: employee, **values, **meta}

    def periods(self) -> list[str]:
        return sorted({p for p, _ in self.records})

    def of_period(self, period: str) -> list[dict[str, Any]]:
        return [r for (p, _), r in sorted(self.records.items()) if p == period]

    def write(self, master) -> None:
        """Write the records to ``_collected`` (its rows as bulk rows of the saved file: :attr:`Master.bulk`)."""
        ws = master.sheet(STORE)
        header = [PERIOD, EMPLOYEE, *self.columns, *META]
        append_row(ws, header)
        rows = [[self.records[key].get(h) for h in header] for key in sorted(self.records)]
        body = bulk_values(rows)
        if body is None:  # a value only openpyxl writes (a date)
            for r in rows:
                append_row(ws, r)
        elif body:
            master.bulk[STORE] = Bulk(2, body, len(header))
        master.store = self  # what a later reader in this run reads (the rows are not in the workbook)
        ws.sheet_state = "hidden"  # hidden, not very hidden: an auditor can unhide it
        ws.protection.sheet = True


def _plain_column(values: Sequence[Any]) -> Sequence[Any]:
    """:func:`plain` of each value; a column of whole numbers, or of text that is not blank, as it is."""
    kinds = set(map(type, values))
    if kinds == {str} and all(map(str.strip, values)):
        return values
    if kinds == {float}:
        a = np.array(values, dtype=float)
        if (np.abs(a) < 1e15).all() and (a == np.floor(a)).all():
            return values
    if kinds == {type(None)}:
        return values
    return list(map(plain, values))


def _id(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
