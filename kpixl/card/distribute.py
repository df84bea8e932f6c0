"""Distribute (分发): one workbook per manager, holding only their people, and a manifest.

::

    from kpixl.card.distribute import distribute
    m = distribute("workbooks/kam_monthly.xlsx", None, "2026-11", "out/2026-11")
    for sent in m.entries:
        print(sent.manager, sent.file, sent.people, sent.sha256[:12])

The roster (the template's ``Roster`` sheet, or a separate file) is checked first with
:func:`kpixl.card.roster.check_roster`; any problem raises :class:`InputError` with
every problem at its cell, and nothing is written (a bad period likewise). People are
grouped by the manager column (``经理``) in roster order; each manager's workbook is
written as :func:`kpixl.card.generate.generate_workbook` would with ``employees=``
their ids, in a pool of worker processes: the template is read once, in the calling
process, and handed to each worker, which reads the roster once and keeps one
:class:`kpixl.card.generate.Generator` for all its files (the card, its formulas
and the roster's index are worked out once per process, not per file). Each file is written to a
temporary name and moved into place when complete. ``manifest.csv`` and
``manifest.json`` record who got which file, how many people, their ids and the file's
SHA-256; they are written last, atomically — a run that fails half-way leaves the
previous manifest as it was.

File names are ``<period>-<manager>.xlsx`` with characters no file system accepts
(``<>:"/\\|?*``) replaced by ``_`` and made unique without regard to case (``~2``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..engine.inputs import ID, Table, read_table
from ..errors import FileProblem, InputError, Problem
from .naming import period_label
from .roster import MANAGER, check_roster
from .stamp import master_key

MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
ROSTER_SHEETS = ("Roster", "花名册")
#: Characters no file system (Windows included) accepts in a file name.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_STEM = 120


@dataclass(frozen=True)
class Sent:
    """One manager's workbook.

    Attributes:
        manager: The manager, as the roster names them.
        file: The file name inside the output folder.
        people: How many people the workbook holds.
        employee_ids: Their employee ids, in roster order.
        sha256: SHA-256 of the file, in hex.
    """

    manager: str
    file: str
    people: int
    employee_ids: tuple[str, ...]
    sha256: str


@dataclass
class Manifest:
    """What :func:`distribute` wrote.

    Attributes:
        outdir: The output folder.
        period: The period the workbooks are for (``2026-11``).
        scheme_id: The scheme's id.
        scheme_version: The scheme's version.
        generated_at: When, in UTC (ISO 8601).
        entries: One :class:`Sent` per manager, in roster order.
    """

    outdir: Path
    period: str
    scheme_id: str
    scheme_version: int
    generated_at: str
    entries: list[Sent] = field(default_factory=list)

    @property
    def csv_path(self) -> Path:
        return self.outdir / MANIFEST_CSV

    @property
    def json_path(self) -> Path:
        return self.outdir / MANIFEST_JSON

    @property
    def people(self) -> int:
        return sum(e.people for e in self.entries)


def safe_file_name(text: str) -> str:
    """A file-system-safe stem: unsafe characters become ``_``, no trailing dots or spaces."""
    stem = _UNSAFE.sub("_", text).strip().rstrip(". ")
    return (stem[:_MAX_STEM].rstrip(". ") or "_")


def file_names(period: str, managers: list[str]) -> list[str]:
    """``<period>-<manager>.xlsx`` for each manager, safe and unique (case-insensitively: ``~2``)."""
    taken: set[str] = set()
    out = []
    for m in managers:
        stem = safe_file_name(f"{period}-{m}")
        name, k = stem, 1
        while name.casefold() in taken:
            k += 1
            name = f"{stem}~{k}"
        taken.add(name.casefold())
        out.append(name + ".xlsx")
    return out


def _load_template(template: Any) -> Any:
    """A template path read once (or what :func:`load_template` already read, as is)."""
    if hasattr(template, "roster_sheet"):
        return template
    from .generate import load_template

    return load_template(template)


def roster_table(template: Any, roster: Any = None) -> Table:
    """The roster to distribute: ``roster`` when given, else the template's Roster sheet.

    Args:
        template: A template path, or what :func:`kpixl.card.generate.load_template` read.
        roster: A roster (path or DataFrame), or None.
    """
    if roster is not None:
        return read_table(roster, "roster")
    tpl = _load_template(template)
    if tpl.roster_sheet is None:
        raise FileProblem(tpl.path, "finding the roster", "the template has no Roster (花名册) sheet; give --roster FILE")
    return read_table(tpl.path, "roster", sheet=tpl.roster_sheet)


def group_by_manager(t: Table, manager_column: str = MANAGER) -> dict[str, list[str]]:
    """``{manager: [employee ids]}``, managers and people in roster order."""
    groups: dict[str, list[str]] = {}
    for eid, m in zip(t.df[ID].to_numpy(dtype=object), t.df[manager_column].to_numpy(dtype=object)):
        key = str(int(m)) if isinstance(m, float) and m.is_integer() else str(m).strip()
        groups.setdefault(key, []).append(str(eid))
    return groups


# ---- one file (runs in a worker process) --------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(template: Any, roster: Any, period: str, key: bytes | None = None) -> None:
    """Once per process: the template as read, and the roster read once (same places as the parent's)."""
    _start(template, roster_table(template, roster), period, key)


def _start(template: Any, roster: Table, period: str, key: bytes | None = None) -> None:
    """This process's generator: what every file shares (card, formulas, roster index) is worked out once."""
    from .generate import Generator

    _WORKER.update(generator=Generator(template, roster, key), period=period)


def _write_one(out: str, employees: list[str]) -> str:
    """Write one manager's workbook (atomically, as generate_workbook does); returns its SHA-256."""
    _WORKER["generator"].generate(_WORKER["period"], out, employees=employees)
    return sha256_file(out)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- the whole run ------------------------------------------------------------------------


def distribute(template: str | Path, roster: Any, period: str, outdir: str | Path, *,
               manager_column: str = MANAGER, workers: int = 2,
               progress: Callable[[int, int], None] | None = None) -> Manifest:
    """Write one workbook per manager, holding only their people, and a manifest.

    Args:
        template: The template workbook (Scheme, Roster and card sheets), or what
            :func:`kpixl.card.generate.load_template` read from it.
        roster: A roster (``.csv``/``.xlsx`` path or DataFrame), or None for the
            template's ``Roster`` sheet.
        period: The period, e.g. ``2026-11`` or ``2026Q4``.
        outdir: The folder to write into (created when missing).
        manager_column: The roster column naming each person's manager.
        workers: Worker processes (1 writes in this process; 2 uses both cores).
        progress: Called as ``progress(done, total)`` after each file.

    Returns:
        The :class:`Manifest`, also written to ``manifest.csv`` and ``manifest.json``.

    Raises:
        InputError: Every problem in the roster (or scheme), each at its cell; nothing
            is written.
        FileProblem: The template, roster or output folder cannot be read or written.
    """
    tpl = _load_template(template)
    scheme = tpl.scheme
    t = roster_table(tpl, roster)
    problems = check_roster(t, scheme, manager_column)
    if problems:
        raise InputError(problems, "roster")
    groups = group_by_manager(t, manager_column)
    if not groups:
        raise FileProblem(t.name, "grouping the roster", "the roster has nobody in it")
    try:
        period_label(period)
    except ValueError as e:
        raise InputError([Problem("period", "bad_period", str(e), period)], "period") from None
    managers = list(groups)
    names = file_names(period, managers)
    out = Path(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileProblem(out, "creating the output folder", str(e)) from None

    # The master's secret: every stamp carries a keyed MAC, so a stamp re-pointed to
    # someone else's employee is told from a sent one (created by the first distribute).
    key = master_key(tpl.path, create=True)
    total = len(managers)
    digests: dict[str, str] = {}
    # Largest teams first, so that the last file to finish is a small one.
    order = sorted(range(total), key=lambda k: -len(groups[managers[k]]))
    done = 0
    if progress:
        progress(0, total)
    if workers <= 1 or total == 1:
        _start(tpl, t, period, key)
        try:
            for k in order:
                digests[managers[k]] = _write_one(str(out / names[k]), groups[managers[k]])
                done += 1
                if progress:
                    progress(done, total)
        finally:
            _WORKER.clear()
    else:
        with ProcessPoolExecutor(max_workers=min(workers, total), initializer=_init_worker,
                                 initargs=(tpl, t.df if isinstance(roster, pd.DataFrame) else roster, period, key)) as pool:
            futures = {pool.submit(_write_one, str(out / names[k]), groups[managers[k]]): managers[k] for k in order}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for f in finished:
                    err = f.exception()
                    if err is not None:
                        for p in pending:
                            p.cancel()
                        raise err
                    digests[futures[f]] = f.result()
                    done += 1
                    if progress:
                        progress(done, total)

    manifest = Manifest(out, period, scheme.id, scheme.version,
                        datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                        [Sent(m, n, len(groups[m]), tuple(groups[m]), digests[m]) for m, n in zip(managers, names)])
    write_manifest(manifest, template=template, roster=roster)
    register_sent(tpl.path, manifest)
    return manifest


CSV_COLUMNS = ["manager", "file", "people", "employee_ids", "sha256", "scheme_id", "scheme_version", "period", "generated_at"]


def write_manifest(m: Manifest, template: Any = None, roster: Any = None) -> None:
    """Write ``manifest.csv`` (one row per file) and ``manifest.json``, each atomically."""
    from ..xlsx.atomic import replace_atomically

    def write_csv(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            w.writerow(CSV_COLUMNS)
            for e in m.entries:
                w.writerow([e.manager, e.file, e.people, " ".join(e.employee_ids), e.sha256,
                            m.scheme_id, m.scheme_version, m.period, m.generated_at])

    doc = {
        "kpixl_manifest": 1,
        "period": m.period,
        "scheme": {"id": m.scheme_id, "version": m.scheme_version},
        "generated_at": m.generated_at,
        "template": None if template is None else Path(template).name,
        "roster": Path(roster).name if isinstance(roster, (str, Path)) else None,
        "people": m.people,
        "files": [{**asdict(e), "employee_ids": list(e.employee_ids)} for e in m.entries],
    }

    def write_json(tmp: str) -> None:
        Path(tmp).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    replace_atomically(m.csv_path, write_csv, "writing the manifest")
    replace_atomically(m.json_path, write_json, "writing the manifest")


#: What a master has sent, beside it: ``kam.xlsx`` → ``kam.xlsx.kpixl-sent.json``.
SENT_SUFFIX = ".kpixl-sent.json"


def sent_path(master: str | Path) -> Path:
    """Where a master records what it distributed (collect checks returned sheets against it)."""
    master = Path(master)
    return master.with_name(master.name + SENT_SUFFIX)


def register_sent(master: str | Path, m: Manifest) -> None:
    """Record a distribute run's manifest beside the master, by period (a later run of a period replaces it).

    Collect reads it to know which manager's file may carry which employee
    (:func:`read_sent`), wherever the manifest folder itself has gone.
    """
    from ..xlsx.atomic import write_bytes_atomically

    path = sent_path(master)
    doc = read_sent(master) or {"kpixl_sent": 1, "periods": {}}
    doc["periods"][m.period] = {
        "scheme": {"id": m.scheme_id, "version": m.scheme_version}, "generated_at": m.generated_at,
        "outdir": str(m.outdir), "files": [{"manager": e.manager, "file": e.file, "employee_ids": list(e.employee_ids)}
                                           for e in m.entries]}
    write_bytes_atomically(path, (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                           "recording what was sent")


def read_sent(master: str | Path) -> dict[str, Any] | None:
    """What a master distributed (``{"periods": {period: {"files": [{manager, file, employee_ids}]}}}``), or None.

    Raises:
        FileProblem: The record exists but is damaged.
    """
    path = sent_path(master)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise FileProblem(path, "reading what was sent", f"is damaged ({e}); distribute again or restore it") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("periods"), dict):
        raise FileProblem(path, "reading what was sent", "is not a kpixl record of what was sent")
    return doc


def read_manifest(outdir: str | Path) -> dict[str, Any]:
    """The manifest.json of a distribute run."""
    path = Path(outdir) / MANIFEST_JSON
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileProblem(path, "reading the manifest", "no such file") from None
