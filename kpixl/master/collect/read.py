"""Collect, step 1 — read: the files to collect, each read from its XML, person sheets found by stamp."""

from __future__ import annotations

import hashlib
import re
import stat
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from ...card.distribute import MANIFEST_CSV, MANIFEST_JSON
from ...card.stamp import STAMP_NAME
from ...errors import FileProblem, Problem
from ...xlsx.reader import read_book
from ..records import Records
from ..returned import Returned, listed_names, listed_rows, place, stamped_sheets
from .apply import future_saved
from .check import Expected
from .outcome import CollectReport

STEP = "collecting"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
QUARANTINE = "quarantine"


def returned_files(returned: Iterable[str | Path], skip: Iterable[Path] = ()) -> list[Path]:
    """The files to collect: files as given, and every file inside given folders (recursively).

    Office owner files (``~$…``), hidden files, the master, its backup, the quarantine
    folder and — inside a folder — the ``manifest.csv``/``manifest.json`` that distribute
    wrote beside the files it sent (HR may collect from that very folder) are skipped.
    """
    skip = {p.resolve() for p in skip}
    out: list[Path] = []
    for item in returned:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if (f.is_file() or f.is_symlink()) and not any(part.startswith((".", "~$")) or part == QUARANTINE for part in rel) \
                        and f.name not in (MANIFEST_CSV, MANIFEST_JSON) and f.resolve() not in skip:
                    out.append(f)
        elif p.resolve() not in skip:
            out.append(p)
    seen, unique = set(), []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def file_labels(files: list[Path]) -> dict[Path, str]:
    """How each file is named in places and Issues: its name, or as much of its folder path as
    tells it apart from another file of the same name (``华东/2026-11-王经理.xlsx``)."""
    # Only real folder names: never a root, a drive or "..", so a label is a safe relative path.
    parts = {f: [p for p in f.parts if p not in ("", ".", "..") and not p.endswith(("/", "\\"))] for f in files}
    depth = {f: 1 for f in files}
    while True:
        label = {f: "/".join(parts[f][-depth[f]:]) for f in files}
        seen: dict[str, list[Path]] = {}
        for f, text in label.items():
            seen.setdefault(text.casefold(), []).append(f)
        clash = [f for group in seen.values() if len(group) > 1 for f in group if depth[f] < len(parts[f])]
        if not clash:
            for group in seen.values():  # the same path twice over (``x.xlsx`` and ``../x.xlsx``): numbered
                for k, f in enumerate(group[1:], start=2):
                    label[f] = f"{label[f]}~{k}"
            return label
        for f in clash:
            depth[f] += 1


def shown(text: str) -> str:
    """A name with its control characters made visible (``\\x07``): they cannot be written to a cell."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def file_shas(files: list[Path]) -> dict[Path, str | None]:
    """Each plain file's SHA-256; None for what is not a plain file (a link, a pipe, missing)."""
    out: dict[Path, str | None] = {}
    for f in files:
        try:
            out[f] = sha256(f) if stat.S_ISREG(f.lstat().st_mode) else None
        except OSError:
            out[f] = None
    return out


def sha256(path: Path) -> str:
    """The file's SHA-256 (a file collected again unchanged is a no-op)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def canonical_period(text: str) -> str:
    """A period label compared loosely (``2026q4`` is ``2026Q4``)."""
    return str(text).strip().upper().replace(" ", "")


def sent_plan(sent: dict[str, Any] | None, period: str) -> dict[str, tuple[str, str]] | None:
    """Who was sent in which file for a period: employee id → (manager, file); None when not recorded."""
    if not sent:
        return None
    for p, run in sent.get("periods", {}).items():
        if canonical_period(p) == canonical_period(period) and isinstance(run, dict):
            return {str(e): (str(f.get("manager")), str(f.get("file")))
                    for f in run.get("files", []) if isinstance(f, dict) for e in f.get("employee_ids", [])}
    return None


def no_manifest(master: Path, period: str) -> Problem:
    """The one warning of a master that does not know what it sent for the period."""
    return Problem(master.name, "no_manifest", f"no record of what was distributed for {period} (sent by an older "
                                               "kpixl, or from a copy of this master): stamps alone are checked")


def sent_file(book_name: str, employees: list[str], plan: dict[str, tuple[str, str]],
              files: set[str] | None = None) -> str | None:
    """The sent file a returned file answers: the one of its name, else the one most of its people were sent in.

    ``files`` are the plan's file names, when the caller has them (one set for all returned files).
    """
    files = {f for _, f in plan.values()} if files is None else files
    if book_name in files:
        return book_name
    counts = Counter(plan[e][1] for e in employees if e in plan)
    return counts.most_common(1)[0][0] if counts else None


def read_returned(records: Records, expected: Expected, files: list[Path], report: CollectReport,
                  progress: Callable[[int, int], None] | None, sent: dict[str, Any] | None = None,
                  shas: dict[Path, str | None] | None = None, skip: dict[str, list[str]] | None = None,
                  now: datetime | None = None) -> list[Returned]:
    """Read every file; return the identified and checked person sheets of this scheme.

    Sets ``records.period`` from the sheets when the master has none yet. With the master's
    record of what was sent (``sent``, :func:`kpixl.card.distribute.read_sent`), a sheet
    whose employee was sent in another manager's file is refused (``not_sent_here``), and
    every stamp must carry the master's keyed MAC; without it, a ``no_manifest`` warning
    says so once and sheets are checked by their stamps alone.

    ``shas`` are the files' SHA-256 (computed here when not given); a file whose hash is in
    ``skip`` (already collected, unchanged, no Issues) is not parsed: its people are unchanged.
    """
    found: list[tuple[Any, Any, Any, str]] = []
    listed: dict[int, list[tuple[Any, Any]]] = {}  # per book: its _kpixl rows (sheet name as sent, stamp)
    labels = file_labels(files)
    for n, f in enumerate(files, start=1):
        label = shown(labels[f])
        if label != labels[f]:
            report.problems.append(Problem(f"[{label}]", "bad_file_name",
                                           "the file name holds control characters; rename the file and collect it again",
                                           label))
            report.quarantined.append((label, ""))
            continue
        sha = (shas or {}).get(f)
        if sha is not None and skip and sha in skip:
            report.unchanged += skip[sha]
            report.sheets += len(skip[sha])
            if progress is not None:
                progress(n, len(files))
            continue
        try:
            book = read_book(f, only=STAMP_NAME, name=label)
        except FileProblem as e:
            report.problems.append(Problem(f"[{label}]", "bad_file", f"{e.reason}"))
            report.quarantined.append((label, ""))
        else:
            sha = sha or sha256(f)
            future = future_saved(place(book), book.modified, now or datetime.now(timezone.utc))
            if future is not None:
                report.warnings.append(future)
            rows = listed[id(book)] = listed_rows(book)
            sheets, problems = stamped_sheets(book, rows)
            report.problems += problems
            if not sheets and not problems:
                report.problems.append(Problem(place(book), "not_kpixl",
                                               "no kpixl person sheet in this file (no stamps): "
                                               "is it a workbook kpixl sent?"))
            for sheet, stamp in sheets:
                found.append((book, sheet, stamp, sha))
        if progress is not None:
            progress(n, len(files))
    canon: dict[str, str] = {}  # a stamp's period → canonical_period of it (the sheets have one or a few)

    def canonical(period: str) -> str:
        got = canon.get(period)
        if got is None:
            got = canon[period] = canonical_period(period)
        return got

    if records.period is None:
        mine = sorted({canonical(s.period) for _, _, s, _ in found if s.scheme_id == records.scheme.id})
        if len(mine) > 1:
            raise FileProblem(records.path, STEP, f"the returned sheets are for several periods ({', '.join(mine)}); "
                                                 "collect one period at a time (--period)")
        if not mine:
            missing = [str(f) for f in files if not f.exists() and not f.is_symlink()]
            if missing and len(missing) == len(files):
                raise FileProblem(records.path, STEP, f"no such file or folder: {', '.join(missing[:5])}")
            others = sorted({s.scheme_id for _, _, s, _ in found})
            if others:  # sheets were found, of another scheme: that is the news, not the period
                raise FileProblem(records.path, STEP, f"the returned sheets belong to the scheme {', '.join(others)}, "
                                                     f"not {records.scheme.id} (this master's): collect them into "
                                                     "that scheme's master")
            sent_periods = sorted({canonical(str(p)) for p in (sent or {}).get("periods", {})})
            if len(sent_periods) != 1:
                raise FileProblem(records.path, STEP, "no returned sheet of this scheme was found, so the period is "
                                                     "unknown; give it (--period 2026-11)")
            mine = sent_periods  # the one period this master distributed: each file's own problem is the news
        records.period = mine[0]
    plan = sent_plan(sent, records.period)
    expected.checker.signed = plan is not None and expected.checker.key is not None
    if plan is None:
        report.warnings.append(no_manifest(records.path, records.period))
    answers: dict[int, str | None] = {}
    if plan is not None:
        by_book: dict[int, list[str]] = {}
        for book, _, stamp, _ in found:
            by_book.setdefault(id(book), []).append(stamp.employee_id)
        books = {id(book): book for book, _, _, _ in found}
        files = {f for _, f in plan.values()}
        answers = {k: sent_file(books[k].path.name, ids, plan, files) for k, ids in by_book.items()}
    out = []
    known = set(records.ids)
    names: dict[int, dict[str, str | None]] = {}  # per book: employee → the sheet name it was sent under
    collecting, scheme_id, version = canonical_period(records.period), records.scheme.id, records.scheme.version
    for book, sheet, stamp, sha in found:
        report.sheets += 1
        where, eid = place(book, sheet.name), stamp.employee_id
        if stamp.scheme_id != scheme_id:
            bad = Problem(where, "other_scheme", f"this sheet belongs to the scheme {stamp.scheme_id}, "
                                                 f"not {records.scheme.id}", employee=eid)
        elif stamp.version != version:
            bad = Problem(where, "other_version", f"this sheet was made for version {stamp.version} of the "
                                                  f"scheme; the master is version {records.scheme.version}",
                          employee=eid)
        elif canonical(stamp.period) != collecting:
            bad = Problem(where, "other_period", f"this sheet is for {stamp.period}; the master is collecting "
                                                 f"{records.period}", employee=eid)
        elif eid not in known:
            bad = Problem(where, "unknown_employee", f"employee {eid} is not in the master's roster", eid,
                          employee=eid)
        elif plan is not None and eid in plan and plan[eid][1] != answers.get(id(book)):
            manager, file = plan[eid]
            bad = Problem(where, "not_sent_here", f"{eid} was sent to {manager} in {file}, not in the file this one "
                                                  f"answers ({answers.get(id(book)) or 'none'}); refused", eid,
                          employee=eid)
        else:
            bad = None
            if plan is not None and eid not in plan:
                report.warnings.append(Problem(where, "not_in_manifest", f"{eid} was not in what was distributed for "
                                                                         f"{records.period}; collected by its stamp",
                                               employee=eid))
        if bad is not None:
            report.problems.append(bad)
            report.quarantined.append((book.name, sheet.name))
            continue
        r = expected.checker.check(book, sheet, stamp)
        r.sha = sha
        if id(book) not in names:
            names[id(book)] = listed_names(book, listed[id(book)])
        sent_as = names[id(book)].get(eid)
        if sent_as is not None and sheet.name != sent_as:
            r.warnings.append(Problem(r.place(), "renamed_sheet", f"the sheet was renamed (sent as "
                                      f"{sent_as}); collected by its stamp", employee=eid))
        out.append(r)
    return out
