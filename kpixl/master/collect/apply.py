"""Collect, step 3 — apply: clean sheets into the record store, every change as a Log row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ...errors import Problem
from ..records import Records
from ..returned import Returned
from ..columns import word
from .outcome import CollectReport


#: How far a file's saved time may be ahead of the collecting computer's clock.
SKEW = timedelta(days=1)


def parse_time(text: Any) -> datetime | None:
    """An ISO time (``2026-11-21T19:50:35Z``) as an aware datetime (UTC when it names no zone); None if unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def trusted_saved(saved: Any, collected_at: Any) -> datetime | None:
    """A saved time as evidence for ordering: None when unreadable or after it was collected (+ skew).

    A file's saved time is what its program (or anyone editing its XML) wrote: a date in the
    future would otherwise make every later correction look older and freeze the record.
    """
    t, c = parse_time(saved), parse_time(collected_at)
    if t is None or c is None or t > c + SKEW:
        return None
    return t


def future_saved(place: str, saved: Any, now: datetime) -> Problem | None:
    """The warning of a file that claims to be saved in the future (beyond :data:`SKEW`), else None."""
    stamp = now.isoformat(timespec="seconds")
    if parse_time(saved) is None or trusted_saved(saved, stamp) is not None:
        return None
    return Problem(place, "future_saved", f"the file says it was saved {saved}, after now ({stamp}); its date is "
                                          "not trusted: it is ordered by when it is collected", saved)


def apply(records: Records, sheets: list[Returned], report: CollectReport, user: str, now: datetime,
          lang: str = "zh") -> list[list[Any]]:
    """Put every clean sheet into the store; return the log rows.

    The Log shows both times: ``time`` (when collected) and ``saved`` (what the file claims).
    """
    log: list[list[Any]] = []
    stamp = now.isoformat(timespec="seconds")
    for r in sheets:
        report.warnings += r.warnings
        if r.problems:
            report.problems += r.problems
            report.quarantined.append((r.book.name, r.sheet.name))
            continue
        key = (records.period, r.employee)
        saved = r.book.modified or datetime.fromtimestamp(r.book.path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        when = trusted_saved(saved, stamp)  # a future date was said once per file when it was read
        meta = {"_file": r.book.name, "_sha256": r.sha, "_sheet": r.sheet.name, "_saved": saved,
                "_collected_at": stamp, "_by": user}
        old = records.store.records.get(key)
        base = [stamp, user, r.book.name, saved, r.employee, records.period]
        if old is None:
            records.store.put(records.period, r.employee, r.values, meta)
            report.added.append(r.employee)
            log.append([*base, "", "", "", word("collected", lang)])
            continue
        before = {c: old.get(c) for c in r.values}
        if old.get("_sha256") == r.sha or before == r.values:
            report.unchanged.append(r.employee)
            continue
        was = trusted_saved(old.get("_saved"), old.get("_collected_at"))
        if when is not None and was is not None and when < was:
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
                log.append([*base, c, before.get(c), new, word("replaced (was {file})", lang, file=old.get("_file"))])
    return log
