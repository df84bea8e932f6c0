"""Collect, step 3 — apply: clean sheets into the record store, every change as a Log row."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...errors import Problem
from ..records import Records
from ..returned import Returned
from .outcome import CollectReport


def apply(records: Records, sheets: list[Returned], report: CollectReport, user: str, now: datetime) -> list[list[Any]]:
    """Put every clean sheet into the store; return the log rows."""
    log: list[list[Any]] = []
    stamp = now.isoformat(timespec="seconds")
    for r in sheets:
        report.warnings += r.warnings
        if r.problems:
            report.problems += r.problems
            report.quarantined.append((r.book.path.name, r.sheet.name))
            continue
        key = (records.period, r.employee)
        saved = r.book.modified or datetime.fromtimestamp(r.book.path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        meta = {"_file": r.book.path.name, "_sha256": r.sha, "_sheet": r.sheet.name, "_saved": saved,
                "_collected_at": stamp, "_by": user}
        old = records.store.records.get(key)
        base = [stamp, user, r.book.path.name, saved, r.employee, records.period]
        if old is None:
            records.store.put(records.period, r.employee, r.values, meta)
            report.added.append(r.employee)
            log.append([*base, "", "", "", "collected"])
            continue
        before = {c: old.get(c) for c in r.values}
        if old.get("_sha256") == r.sha or before == r.values:
            report.unchanged.append(r.employee)
            continue
        if str(saved) < str(old.get("_saved") or ""):
            report.older.append(r.employee)
            report.warnings.append(Problem(r.place(), "older_file",
                                           f"this file was saved {saved}, before the one already collected "
                                           f"({old.get('_file')}, saved {old.get('_saved')}); not applied",
                                           employee=r.employee))
            continue
        records.store.put(records.period, r.employee, {**records.store.inputs(old), **r.values}, meta)
        report.replaced.append(r.employee)
        for c, new in r.values.items():
            if before.get(c) != new:
                log.append([*base, c, before.get(c), new, f"replaced (was {old.get('_file')})"])
    return log
