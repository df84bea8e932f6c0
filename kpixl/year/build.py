"""``kpixl year``: build or rebuild a year (or quarter) master from the period masters of a programme.

The year master is its own workbook (docs/year.md). Every run:

1. reads the year master if it exists (what it copied, from which files, finance's
   parameters, the change log), and every period master it names — the ones given now
   and the ones it was built from before (a rebuild needs no arguments);
2. refuses, writing nothing, a master of another scheme, two masters for one period of
   a component, or a master nothing was collected into — all problems at once;
3. copies every person's period figures in (``期间成绩``, data with provenance: file,
   SHA-256, period, when collected). A period master that is gone keeps the rows the
   year copied from it, with a note; one that changed is re-read and every difference
   (person, period, old → new, file) is written on ``变更`` and returned to be printed;
4. writes ``年度汇总`` — the roll-up, annual rating, flags and bonus as live formulas
   with the engine's values cached — ``奖金参数`` (finance's edits kept), ``来源``,
   ``说明`` (the policies), the year's ``Roster`` and, with ``levels``, ``职级建议``;
5. saves atomically, keeping the previous version as ``<name>.bak.xlsx``.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import TableColumn

from ..engine.inputs import ID
from ..errors import FileProblem, InputError, Problem
from ..gcpause import cycle_collector_paused
from ..master.book import LEVELS, Master, check_closed, locked, write_roster_sheet
from ..master.params import PARAMS, kept_bases, read_params, write_params
from ..periods import parse_period
from ..scheme.models import Scheme
from ..xlsx.cached import sheet_parts
from ..xlsx.cells import cell_value
from ..xlsx.palette import FONT
from ..xlsx.printing import column_width, print_setup, text_width
from ..xlsx.text import append_row, defuse
from ..xlsx.bulk import Bulk
from .earlier import EARLIER, kept_earlier, merged, read_earlier, write_earlier
from .figures import AGG_LABEL, PERIODS, YearFigures, component_label, rollup_of, roster_numbers, year_figures
from .sheet import COPIED, YEAR, data_sheet_setup, write_copied, write_year
from .pay import PAY_COPIED, PAY_YEAR, pay_rows, unpaid_periods, write_pay_copied, write_year_pay
from .sources import COPY, Source, read_source
from .annual import INPUT, annual_values, input_label, value_label
from ..xlsx.scan import read_values

__all__ = ["CHANGES", "SOURCES", "Year", "build_year", "is_year_master"]

STEP = "building the year master"
SOURCES, CHANGES, NOTES, ROSTER = "来源", "变更", "说明", "Roster"
SCHEME_NAME, PERIOD_NAME = "kpixl.year.scheme", "kpixl.year.period"
SOURCE_COLS = {"component": "组成部分", "period": "期间", "file": "文件", "path": "路径", "sha256": "SHA-256",
               "people": "人数", "read_at": "复制时间", "status": "状态"}
CHANGE_COLS = {"at": "时间", ID: "工号", "姓名": "姓名", "component": "组成部分", "period": "期间",
               "what": "项目", "old": "原值", "new": "新值", "file": "来源文件", "note": "说明"}
_WHAT = {"total": "总分", "rating": "考核等级", "bonus": "绩效奖金"}
#: 来源's 状态 of a master read as it is (``ok``: written by an earlier kpixl, still read).
READ_OK = ("正常", "ok")
#: The sheets kpixl writes into a year master (HR's own sheets are kept as they are).
OWNED = (YEAR, PARAMS, COPIED, SOURCES, CHANGES, NOTES, ROSTER, LEVELS, PAY_YEAR, PAY_COPIED, EARLIER)
DATA_ONLY = (COPIED, SOURCES, CHANGES, NOTES, ROSTER, LEVELS, PAY_COPIED, EARLIER)


@dataclass
class Year:
    """What :func:`build_year` wrote: the figures, the changes since the last build, the problems."""

    path: Path
    period: str = ""
    scheme_id: str = ""
    figures: YearFigures | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # input problems (the year is still written)
    warnings: list[Problem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    verification: Any = None
    pay: pd.DataFrame | None = None  # the engine's figures of the year's 工资核算 (a scheme with pay:)

    @property
    def ok(self) -> bool:
        return not self.problems and (self.verification is None or self.verification.ok)

    def results(self) -> pd.DataFrame:
        """The engine's figures of ``年度汇总``, one row per person."""
        return self.figures.frame() if self.figures is not None else pd.DataFrame()

    def summary(self, limit: int = 40) -> str:
        n = self.figures.people.n if self.figures is not None else 0
        lost = sum(1 for s in self.sources if s["status"] not in READ_OK)
        k = len(self.sources)
        lines = [f"{self.path.name}: {self.period} of {self.scheme_id}, {n} people from {k} period "
                 f"master{'s' if k != 1 else ''} on {YEAR}" + (f" ({lost} gone: their copied rows kept)" if lost else "")]
        if self.changes:
            lines.append(f"  {len(self.changes)} changes since the last build (on {CHANGES}):")
            for c in self.changes[:limit]:
                if not c[ID]:  # a whole period master: added, or gone
                    lines.append(f"    {_named(c['component'], c['period'])} {c['what']}: {c['file']}"
                                 f"{' ' + c['new'] if c['new'] else ''}{'; ' + c['note'] if c['note'] else ''}")
                    continue
                who = f"{c[ID]} {c['姓名'] or ''}".strip()
                lines.append(f"    {_named(c['component'], c['period'])} {who} {c['what']}: {_show(c['old'])} → "
                             f"{_show(c['new'])} ({c['file']}{'; ' + c['note'] if c['note'] else ''})")
            if len(self.changes) > limit:
                lines.append(f"    … {len(self.changes) - limit} more on {CHANGES}")
        if self.figures is not None and "bonus" in self.figures.values:
            lines.append(f"  annual bonus total {np.nansum(self.figures.values['bonus'].astype(float)):,.2f}")
        if self.pay is not None:
            unpaid = int((self.pay["pay.unpaid"].notna()).sum())
            lines.append(f"  pay: {len(self.pay)} people on {PAY_YEAR}, 应发合计 "
                         f"{np.nansum(self.pay['pay.total'].astype(float)):,.2f}"
                         + (f" ({unpaid} with periods not paid yet: 未核算期间)" if unpaid else ""))
        lines += [f"  kept {k}" for k in self.kept]
        if self.verification is not None:
            lines.append("  " + self.verification.summary())
        return "\n".join(lines)


def _show(v: Any) -> str:
    if v is None:
        return "(无)"
    if isinstance(v, float):
        return f"{v:.15g}"
    return str(v)


# ---- the previous build ----------------------------------------------------------------------


def _sheet_rows(wb, title: str, keys: Iterable[str]) -> pd.DataFrame:
    keys = list(keys)
    if title not in wb.sheetnames:
        return pd.DataFrame(columns=keys)
    it = wb[title].iter_rows(values_only=True)
    head = [str(h) if h is not None else "" for h in next(it, ())]
    next(it, None)  # the labels
    data = [dict(zip(head, r)) for r in it if any(v is not None for v in r)]
    return pd.DataFrame([{k: d.get(k) for k in keys} for d in data], columns=keys)


@dataclass
class _Previous:
    wb: Any = None
    scheme_id: str | None = None
    period: str | None = None
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COPY)))
    sources: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(SOURCE_COLS)))
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CHANGE_COLS)))
    roster: pd.DataFrame = field(default_factory=pd.DataFrame)
    pay: pd.DataFrame = field(default_factory=pd.DataFrame)  # the period pay rows copied before (期间工资)
    values: Any = None  # the cell values of the year as last built (kpixl.xlsx.scan.Values)


def _name(wb, name: str) -> str | None:
    d = wb.defined_names.get(name)
    return d.attr_text.strip().strip('"') if d is not None and d.attr_text else None


def _previous(path: Path) -> _Previous:
    """The year as last built: its values by the streaming reader, and the workbook (openpyxl) without
    the rows of the big sheets every build rewrites, which need not be parsed twice."""
    if not path.exists():
        return _Previous()
    try:
        vals = read_values(path)
        wb = load_workbook(io.BytesIO(_stubbed(path, {YEAR, COPIED, ROSTER, PAY_YEAR, PAY_COPIED})))
    except Exception as e:  # noqa: BLE001 - any unreadable file is said as such, never overwritten
        raise FileProblem(path, STEP, f"the year master exists but cannot be read ({e}); move it away to start anew")
    if COPIED not in wb.sheetnames or SCHEME_NAME not in wb.defined_names:
        raise FileProblem(path, STEP, "this workbook is not a year master kpixl built (no 期间成绩 sheet): "
                                      "give a new file name")
    prev = _Previous(wb, _name(wb, SCHEME_NAME), _name(wb, PERIOD_NAME))
    prev.values = vals
    head = next(vals[COPIED].iter_rows(values_only=True), ()) if COPIED in vals.sheetnames else ()
    inputs = [h for h in head if isinstance(h, str) and h.startswith(INPUT)]  # card inputs the levels read
    prev.rows = _sheet_rows(vals, COPIED, [*COPY, *inputs])
    prev.rows[ID] = prev.rows[ID].map(lambda v: None if v is None else (str(int(v)) if isinstance(v, float)
                                                                          and v.is_integer() else str(v)))
    prev.rows["period"] = prev.rows["period"].astype(str)
    prev.sources = _sheet_rows(vals, SOURCES, SOURCE_COLS)
    if PAY_COPIED in vals.sheetnames:
        head = next(vals[PAY_COPIED].iter_rows(values_only=True), ())
        prev.pay = _sheet_rows(vals, PAY_COPIED, [str(h) for h in head if h is not None])
        if ID in prev.pay.columns:
            prev.pay[ID] = prev.pay[ID].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    prev.changes = _sheet_rows(vals, CHANGES, CHANGE_COLS)
    if ROSTER in vals.sheetnames:
        it = vals[ROSTER].iter_rows(values_only=True)
        head = [str(h) for h in next(it, ())]
        prev.roster = pd.DataFrame([list(r) for r in it], columns=head)
        if ID in prev.roster.columns:
            prev.roster[ID] = prev.roster[ID].astype(str)
    return prev


_SHEET_DATA = re.compile(r"<sheetData>.*</sheetData>", re.S)


def _stubbed(path: Path, titles: set[str]) -> bytes:
    """The package with the rows of the sheets ``titles`` left out (they are rewritten anyway)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = {part for title, part in sheet_parts(zin).items() if title in titles}
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in parts:
                data = _SHEET_DATA.sub("<sheetData/>", data.decode("utf-8"), count=1).encode("utf-8")
            zout.writestr(info, data)
    return out.getvalue()


def is_year_master(path: str | Path) -> bool:
    """Whether ``path`` is a year master kpixl built (it has the year's scheme name and 期间成绩)."""
    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - not a workbook: not a year master
        return False
    try:
        return COPIED in wb.sheetnames and SCHEME_NAME in wb.defined_names
    finally:
        wb.close()


def _stored_path(year: Path, source: Path) -> str:
    """A source's path as the year keeps it: relative to the year's folder when it can be."""
    try:
        return os.path.relpath(source.resolve(), year.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(source.resolve())


def _resolved(year: Path, stored: str) -> Path:
    p = Path(stored)
    return p if p.is_absolute() else (year.resolve().parent / p)


# ---- the build -------------------------------------------------------------------------------


def build_year(out: str | Path, masters: Sequence[str | Path] = (),
               components: dict[str, Sequence[str | Path]] | None = None, *, period: str | None = None,
               verify: bool = False, progress=None, earlier: Sequence[str | Path] = ()) -> Year:
    """Build (or rebuild) the year master ``out`` from period masters of one programme.

    Args:
        out: The year master to write (created, or rebuilt in place keeping finance's edits).
        masters: Period masters of the scheme's only component (or of the implicit
            ``periods`` component of a scheme without ``rollup``).
        components: ``{component id: [period masters]}`` for a scheme whose ``rollup`` has
            several components (周/月检 ``checks``, 月考核 ``monthly``, 年终 ``year_end``).
        period: The year's label (``2026``, ``2026Q1``); default: the common calendar year
            of the periods.
        verify: Recalculate the year master with LibreOffice and compare every figure.
        progress: Called ``(done, total)`` as period masters are read.
        earlier: Year masters of earlier years: their annual totals and ratings are copied
            onto ``往年年度`` (kept on rebuilds) for the level rules over several years
            (连续两年优秀 → 快速晋升); see :mod:`kpixl.year.earlier`.

    Returns:
        A :class:`Year`.

    Raises:
        InputError: A master of another scheme, a period given twice, a master with
            nothing collected, an unknown component — all at once; nothing is written.
        FileProblem: The year master cannot be read or written.
    """
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise FileProblem(path, STEP, "the year master must be an .xlsx file")
    check_closed(path, STEP)
    with locked(path, STEP), cycle_collector_paused():
        year = _build(path, masters, components or {}, period, progress, earlier)
    if verify:
        from .verify import verify_year

        year.verification = verify_year(path, year)
    return year


def _build(path: Path, masters, components, period, progress, earlier=()) -> Year:
    prev = _previous(path)
    year = Year(path)
    was = {_resolved(path, str(r["path"])).resolve(): r for r in prev.sources.to_dict("records")}
    # A master given again without -c keeps the component it was copied into.
    given: list[tuple[str | None, Path]] = [
        (str(was[Path(m).resolve()]["component"]) if Path(m).resolve() in was else None, Path(m)) for m in masters]
    given += [(c, Path(m)) for c, ms in components.items() for m in ms]
    seen = {Path(p).resolve() for _, p in given}
    recorded: list[tuple[str, Path, dict]] = []
    for p, rec in was.items():
        if p not in seen:
            recorded.append((str(rec["component"]), p, rec))
    todo = [(c, p, None) for c, p in given] + recorded
    if not todo:
        raise FileProblem(path, STEP, "no period masters given (kpixl year OUT.xlsx MASTER… or -c COMPONENT MASTER…)")
    blocking: list[Problem] = []
    read: list[Source] = []
    cache: dict = {}  # sheets and rosters shared by masters copied from one template: read once
    lost: list[dict] = []
    for k, (comp, p, rec) in enumerate(todo, 1):
        if not p.exists():
            if rec is not None:
                lost.append(rec)
                year.warnings.append(Problem(str(rec["path"]), "year_source_lost",
                                             f"{rec['path']} is gone: the year keeps the rows copied from it "
                                             f"({_named(str(rec['component']), str(rec['period']))})"))
            else:
                blocking.append(Problem(str(p), "bad_file", "no such file"))
            if progress:
                progress(k, len(todo))
            continue
        src = read_source(comp, p, cache)
        blocking += [q for q in src.problems if q.kind == "file" or q.code == "year_not_collected"]
        year.warnings += [q for q in src.problems if not (q.kind == "file" or q.code == "year_not_collected")]
        if src.scheme is not None and src.period:
            read.append(src)
        if progress:
            progress(k, len(todo))
    if not read and not lost:
        raise InputError(blocking or [Problem(str(path), "year_not_collected", "no period master could be read")],
                         "period masters")
    # The programme: the year's recorded scheme id, else the first master's.
    programme = prev.scheme_id or (read[0].scheme.id if read else None)
    for src in read:
        if src.scheme.id != programme:
            blocking.append(Problem(str(src.path), "year_other_scheme",
                                    f"this master is of the scheme {src.scheme.id}; the year is built from {programme}",
                                    src.scheme.id))
    good = [s for s in read if s.scheme.id == programme]
    scheme = max(good, key=lambda s: s.period).scheme if good else None
    if scheme is None:
        raise InputError(blocking, "period masters")
    rollup = rollup_of(scheme)
    ids = [c.id for c in rollup.components]
    for src in good:
        if src.component is None:
            if len(ids) == 1:
                src.component = ids[0]
            else:
                blocking.append(Problem(str(src.path), "year_component",
                                        f"the scheme rolls up {', '.join(ids)}: give this master as -c COMPONENT "
                                        f"{src.path.name}"))
        elif src.component not in ids:
            blocking.append(Problem(str(src.path), "year_component",
                                    f"-c {src.component}: the scheme's rollup has {', '.join(ids)}", src.component))
        src.rows["component"] = src.component
        if len(src.pay):
            src.pay["component"] = src.component
    slots: dict[tuple[str, str], str] = {}
    for rec in lost:
        slots[(str(rec["component"]), str(rec["period"]))] = str(rec["path"])
    for src in good:
        key = (str(src.component), src.period)
        if key in slots:
            blocking.append(Problem(str(src.path), "year_same_period",
                                    f"{_named(*key)} is also in {slots[key]}", src.period))
        slots[key] = str(src.path)
    if blocking:
        raise InputError(blocking, "period masters")

    # ---- the copied rows, and what changed since the last build ----------------------------
    now = _dt.datetime.now().replace(microsecond=0)
    kept_rows = [prev.rows[(prev.rows["component"] == str(r["component"])) & (prev.rows["period"] == str(r["period"]))]
                 for r in lost]
    rows = pd.concat([*(s.rows for s in good), *kept_rows], ignore_index=True)
    year.changes = _changes(prev, good, lost, now) if prev.wb is not None else []
    year.warnings += [Problem(str(s.path), "year_source_changed", f"{s.path.name} changed since the year copied it: "
                              f"{n} figures", s.path.name) for s, n in _changed_sources(prev, good, year.changes)]

    # ---- the year's roster and people ----------------------------------------------------------
    rosters = [s.roster for s in sorted(good, key=lambda s: s.period, reverse=True)]
    if len(prev.roster):
        rosters.append(prev.roster)
    roster = pd.concat(rosters, ignore_index=True) if rosters else pd.DataFrame(columns=[ID])
    roster[ID] = roster[ID].astype(str)
    roster = roster.drop_duplicates(ID).reset_index(drop=True)
    in_rows = list(dict.fromkeys(rows[ID].astype(str).tolist()))
    have = set(in_rows)
    people = [e for e in roster[ID] if e in have]
    listed = set(people)
    people += [e for e in in_rows if e not in listed]
    roster = roster[roster[ID].isin(have)].reset_index(drop=True)
    order = {c: k for k, c in enumerate(ids)}
    pos = {e: k for k, e in enumerate(people)}
    rows = rows.assign(_p=rows[ID].astype(str).map(pos), _c=rows["component"].map(order),
                       _t=rows["period"].astype(str))
    rows = rows.sort_values(["_p", "_c", "_t"], kind="stable").drop(columns=["_p", "_c", "_t"]).reset_index(drop=True)

    year.period = period or _year_label(sorted(rows["period"].astype(str).unique()))
    year.scheme_id = scheme.id
    # The earlier years' annual rows (for the level ladder): kept from the last build, replaced per year
    # by the earlier year masters given now.
    given_earlier, bad = [], []
    for e in earlier:
        got, probs = read_earlier(Path(e), programme, year.period, SCHEME_NAME, PERIOD_NAME, _read_values(scheme))
        given_earlier.append(got)
        bad += probs
    if bad:
        raise InputError(bad, "earlier year masters")
    earlier_rows = merged(kept_earlier(prev.values), given_earlier)

    # ---- write -----------------------------------------------------------------------------
    wb = prev.wb if prev.wb is not None else Workbook()
    if prev.wb is None:
        wb.remove(wb.active)
    m = Master(path, wb, None)
    params = None
    base = None
    if scheme.bonus is not None:
        bad: list[Problem] = []  # finance's typed values that are none: refused, nothing written
        params = read_params(wb, scheme, year.kept, bad)
        # The bases as finance left them on the last build's 年度汇总 (its rows were read as values).
        base = kept_bases(prev.values if prev.values is not None else wb, people,
                          roster_numbers(scheme.bonus.base, roster, people), year.kept, sheet=YEAR, problems=bad)
        if bad:
            raise InputError(bad, "bonus parameters")
    fig = year_figures(scheme, rows, people, roster, policy=params.policy(scheme.bonus) if params else None,
                       base=base)
    year.figures = fig
    year.problems += [p for p in fig.problems if p.kind != "warning"]
    year.warnings += [p for p in fig.problems if p.kind == "warning"]
    if params is not None:
        params = write_params(m, params)
    year_lay, year_rows = write_year(m.sheet(YEAR, 0), scheme, fig, rows, roster, params)
    inputs = {k: input_label(scheme, k[len(INPUT):]) for k in rows.columns if k.startswith(INPUT)}
    bulk = {YEAR: year_rows, COPIED: write_copied(m.sheet(COPIED), rows, inputs)}
    year.sources = _source_rows(path, good, lost, now)
    _write_table(m.sheet(SOURCES), SOURCE_COLS, year.sources)
    log = prev.changes.to_dict("records") + year.changes
    _write_table(m.sheet(CHANGES), CHANGE_COLS, log)
    _write_notes(m.sheet(NOTES), scheme, year)
    if ROSTER in wb.sheetnames:
        wb.remove(wb[ROSTER])
    bulk[ROSTER] = _write_roster(wb, roster)
    values, copied = annual_values(scheme, rows, list(fig.people.ids), roster)
    if len(earlier_rows):
        # Every value the rules read that an earlier year has, even one this year's rows lack.
        write_earlier(m.sheet(EARLIER), earlier_rows, {
            c: value_label(scheme, c, c in copied or input_label(scheme, c) != c) for c in _read_values(scheme)})
    _levels(m, scheme, fig, roster, year, earlier_rows, values, copied)
    kept_pay = [_slot(prev.pay, r) for r in lost]
    pay_bulk = pay_sheet(m, scheme, fig, rows, [s.pay for s in good] + kept_pay, roster, year_lay, year)
    if pay_bulk is not None:
        bulk[PAY_COPIED] = pay_bulk
    for name, value in ((SCHEME_NAME, scheme.id), (PERIOD_NAME, year.period)):
        if name in wb.defined_names:
            del wb.defined_names[name]
        wb.defined_names[name] = DefinedName(name, attr_text='"' + value.replace('"', "") + '"')
    for title in DATA_ONLY:
        if title in wb.sheetnames:
            defuse(wb[title])
    wb.active = wb.sheetnames.index(YEAR)
    m.bulk.update(bulk)  # written in the same pass as the cached results, as a period master's rows are
    m.save(STEP)
    return year


def _write_roster(wb, roster: pd.DataFrame) -> Bulk:
    """The year's roster as the master's (a table named Roster): the header and the first person by
    openpyxl, the others returned to be appended in bulk."""
    write_roster_sheet(wb, roster.iloc[:1], ROSTER)
    ws = wb[ROSTER]
    table = ws.tables["Roster"]
    table.ref = f"A1:{get_column_letter(len(roster.columns))}{len(roster) + 1}"
    # Its columns named from the header now, as openpyxl would name them at save — by reading the
    # table's whole range, which makes an empty cell for every row appended later in bulk.
    table.tableColumns = [TableColumn(id=j, name=str(ws.cell(1, j).value)) for j in range(1, len(roster.columns) + 1)]
    if table.headerRowCount and not table.autoFilter:
        table.autoFilter = AutoFilter(ref=table.ref)
    rows = [[cell_value(v) for v in r] for r in roster.iloc[1:].itertuples(index=False, name=None)]
    return Bulk(3, rows, len(roster.columns), style_row=2)


def _slot(frame: pd.DataFrame, rec: dict) -> pd.DataFrame:
    """The rows of ``frame`` copied from one period master (its component and period)."""
    if not len(frame) or "component" not in frame.columns:
        return frame.iloc[:0]
    return frame[(frame["component"].astype(str) == str(rec["component"]))
                 & (frame["period"].astype(str) == str(rec["period"]))]


def pay_sheet(m: Master, scheme: Scheme, fig: YearFigures, rows: pd.DataFrame, pays: list[pd.DataFrame],
              roster: pd.DataFrame, year_lay, year: Year) -> Bulk | None:
    """The year's ``工资核算`` and ``期间工资`` when the scheme has ``pay:`` (:mod:`kpixl.year.pay`).

    Writes ``工资核算`` (each line's sum over the periods, live), lays out ``期间工资`` and
    returns its rows for bulk writing; sets ``year.pay``. Without ``pay:`` nothing (and an
    old pay sheet of the year is removed).
    """
    if getattr(scheme, "pay", None) is None:
        for title in (PAY_YEAR, PAY_COPIED):
            if title in m.wb.sheetnames:
                m.wb.remove(m.wb[title])
        return None
    ids = list(fig.people.ids)
    copied = pay_rows(pays, ids, scheme)
    by_id = roster.drop_duplicates(ID).set_index(roster.drop_duplicates(ID)[ID].astype(str))
    names = {c: by_id[c].reindex(ids).tolist() for c in ("姓名", "部门") if c in by_id.columns}
    refs = bonus = None
    if "bonus" in fig.values and "bonus" in year_lay.cols:
        c = year_lay.cols["bonus"].letter
        refs = [f"'{YEAR}'!${c}${year_lay.first + k}" for k in range(len(ids))]
        bonus = fig.values["bonus"]
    unpaid = unpaid_periods(rows, copied)
    _, year.pay = write_year_pay(m.sheet(PAY_YEAR, m.wb.sheetnames.index(YEAR) + 1), scheme, ids, names, copied,
                                 unpaid, refs, bonus)
    year.pay["pay.unpaid"] = [", ".join(unpaid.get(e, [])) or None for e in ids]
    return write_pay_copied(m.sheet(PAY_COPIED), copied, scheme)


def _year_label(periods: list[str]) -> str:
    years = set()
    for p in periods:
        try:
            years.add(parse_period(p).year)
        except ValueError:
            years.add(None)
    if len(years) == 1 and None not in years:
        return str(years.pop())
    return "-".join([periods[0], periods[-1]]) if periods else ""


def _changes(prev: _Previous, good: list[Source], lost: list[dict], now) -> list[dict[str, Any]]:
    """Every difference between the rows copied before and now: person, period, old → new, file."""
    out: list[dict[str, Any]] = []
    old = prev.rows
    by_slot = {(str(c), str(p)): g for (c, p), g in old.groupby(["component", "period"], sort=False)}
    stamp = now.isoformat(sep=" ")
    for src in good:
        key = (str(src.component), src.period)
        before = by_slot.get(key)
        if before is None:
            out.append({"at": stamp, ID: None, "姓名": None, "component": key[0], "period": key[1], "what": "新增来源",
                        "old": None, "new": f"{len(src.rows)}人", "file": src.path.name, "note": None})
            continue
        b = before.assign(**{ID: before[ID].astype(str)})
        a = src.rows.assign(**{ID: src.rows[ID].astype(str)})
        m = b.merge(a, on=ID, how="outer", suffixes=("_o", ""), indicator=True, sort=False)
        note = "来源文件已修改"
        for rec in m[m["_merge"] == "right_only"].to_dict("records"):
            out.append(_change(stamp, rec, key, "人员", None, "新增", src.path.name, "该期新收回"))
        both = m[m["_merge"] == "both"]
        # The card inputs the level rules read, too, when both copies have them.
        inputs = {c: input_label(src.scheme, c[len(INPUT):]) for c in a.columns
                  if c.startswith(INPUT) and f"{c}_o" in m.columns}
        for col, what in {**_WHAT, **inputs}.items():
            o = [_cmp(v) for v in both[f"{col}_o"]]
            n = [_cmp(v) for v in both[col]]
            for k in (k for k in range(len(o)) if o[k] != n[k]):
                rec = both.iloc[k].to_dict()
                out.append(_change(stamp, rec, key, what, o[k], n[k], src.path.name,
                                   note if src.sha != rec["sha256_o"] else None))
        for rec in m[m["_merge"] == "left_only"].to_dict("records"):
            out.append(_change(stamp, {**rec, "姓名": rec.get("姓名_o")}, key, "人员", "有", None, src.path.name,
                               "来源中已无此人, 已从年度移除"))
        out += _pay_changes(prev.pay, src, key, stamp, note)
    for rec in lost:
        if str(rec.get("status") or READ_OK[0]) not in READ_OK:
            continue  # already said when it went missing
        out.append({"at": stamp, ID: None, "姓名": None, "component": str(rec["component"]),
                    "period": str(rec["period"]), "what": "来源缺失", "old": None, "new": None,
                    "file": str(rec["file"]), "note": f"找不到 {rec['path']}: 保留上次复制的数据"})
    return out


def _pay_changes(before: pd.DataFrame, src: Source, key, stamp: str, note: str) -> list[dict[str, Any]]:
    """Each person's 应发合计 of one period that differs from what the year copied before."""
    if "pay.total" not in before.columns or not len(src.pay):
        return []
    old = _slot(before, {"component": key[0], "period": key[1]})
    out = []
    if not len(old):  # the period was copied before it was rated: its pay arrives now
        return [_change(stamp, rec, key, "应发合计", None, _cmp(rec["pay.total"]), src.path.name, "该期已核算工资")
                for rec in src.pay.to_dict("records")]
    was = dict(zip(old[ID].astype(str), old["pay.total"]))
    for rec in src.pay.to_dict("records"):
        eid = str(rec[ID])
        if eid in was and _cmp(was[eid]) != _cmp(rec["pay.total"]):
            out.append(_change(stamp, rec, key, "应发合计", _cmp(was[eid]), _cmp(rec["pay.total"]), src.path.name,
                               note if src.sha != (old["sha256"].iloc[0] if "sha256" in old.columns else None) else None))
    return out


def _named(component: str, period: str) -> str:
    """``2026-11`` (a year without components of its own), or ``月考核 2026-11``: how messages name a slot."""
    return period if component == PERIODS else f"{component_label(component)} {period}"


def _change(stamp, rec: dict, key, what, old, new, file, note) -> dict[str, Any]:
    name = rec.get("姓名") if rec.get("姓名") is not None else rec.get("姓名_o")
    return {"at": stamp, ID: rec[ID], "姓名": cell_value(name), "component": key[0], "period": key[1],
            "what": what, "old": old, "new": new, "file": file, "note": note}


def _cmp(v: Any) -> Any:
    v = cell_value(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(f"{float(v):.15g}")
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _changed_sources(prev: _Previous, good: list[Source], changes: list[dict]):
    shas = {str(r["path"]): r["sha256"] for r in prev.sources.to_dict("records")}
    for s in good:
        n = sum(1 for c in changes if c["file"] == s.path.name and c["what"] in (*_WHAT.values(), "应发合计"))
        was = next((sha for p, sha in shas.items() if Path(p).name == s.path.name), None)
        if was is not None and was != s.sha:
            yield s, n


def _source_rows(path: Path, good: list[Source], lost: list[dict], now) -> list[dict[str, Any]]:
    out = [{"component": s.component, "period": s.period, "file": s.path.name, "path": _stored_path(path, s.path),
            "sha256": s.sha, "people": len(s.rows), "read_at": now.isoformat(sep=" "), "status": READ_OK[0]} for s in good]
    for rec in lost:
        out.append({**{k: rec.get(k) for k in SOURCE_COLS},
                    "status": f"缺失: 保留 {rec.get('read_at')} 复制的数据"})
    return sorted(out, key=lambda r: (str(r["component"]), str(r["period"])))


def _write_table(ws, cols: dict[str, str], rows: list[dict[str, Any]]) -> None:
    append_row(ws, list(cols))
    append_row(ws, list(cols.values()))
    for r in rows:
        append_row(ws, [cell_value(r.get(k)) for k in cols])
    ws.freeze_panes = "A3"
    for j, k in enumerate(cols):
        letter = chr(ord("A") + j)
        values = [r.get(k) for r in rows]
        ws.column_dimensions[letter].width = column_width(cols[k], values, hi=24 if k in ("path", "sha256") else 40)
        if k == "component" and all(str(v) == PERIODS for v in values):
            ws.column_dimensions[letter].hidden = True  # every row would say 各期
    data_sheet_setup(ws)


def _write_notes(ws, scheme: Scheme, year: Year) -> None:
    rollup = rollup_of(scheme)
    parts = " + ".join(f"{c.weight:.0%} × {component_label(c.id)}({AGG_LABEL[c.aggregate]})"
                       for c in rollup.components)
    lines = [
        f"{scheme.name} — {year.period} 年度汇总 (kpixl year)",
        f"方案 {scheme.id} 版本 {scheme.version}; 年度总分 = ROUND({parts}, {rollup.round})",
        "缺期政策: 某人缺少某组成部分的部分期间时, 按其已有期间平均(平均)、合计(合计)或取最后一期(最后一期), "
        "“期数”列显示实际期数, “备注”列列出缺少的期间;",
        "        某人某组成部分全无成绩时, 该部分按0分计入年度总分, 并在“备注”中注明。",
        f"年度等级: 按方案的等级规则(绝对分数段或强制分布, 分组与并列次序同月度)评定年度总分; "
        f"“年度总分超过{scheme.scale:g}分”列标出超过满分者(如: 年终仍超过100分者按优秀员工奖励)。",
        f"数据: “{COPIED}”为从各期主表复制的数据(非公式), 每行注明来源文件、SHA-256、期间和收回时间;"
        f" “{SOURCES}”列出各期主表; “{CHANGES}”记录每次重建时的变化(人员、期间、原值 → 新值、文件)。",
        "各期主表事后被修改或丢失不会自动改变本表: 只有重新运行 kpixl year 才会更新, 且变化逐条记录; "
        "丢失的主表保留已复制的数据。",
        f"财务可修改“{PARAMS}”的黄色单元格和“{YEAR}”的奖金基数; 重建时保留这些修改。",
    ]
    how = {"sum": "各期合计", "mean": "有值各期的平均", "last": "最后一期的值"}
    said = [f"{input_label(scheme, c)}({c}) = {how[h]}" for c, h in (scheme.levels.annual if scheme.levels else {}).items()]
    if said:
        lines.append(f"职级建议读取的年度值(方案 levels.annual, 各期录入值见“{COPIED}”): " + "; ".join(said) + "。")
    for k, line in enumerate(lines, 1):
        cell = ws.cell(k, 1, line)
        cell.font = Font(name=FONT, size=10, bold=k == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # A CJK character is two widths of a digit; the cell is 100 wide: rows tall enough for the wrap.
        ws.row_dimensions[k].height = 14 * max(1, -(-text_width(line) // 100))
    ws.column_dimensions["A"].width = 100
    print_setup(ws, landscape=False, pages_wide=1)


def _read_values(scheme: Scheme) -> list[str]:
    """The columns the scheme's level rules read by name (sales, 年度销售额)."""
    return list(dict.fromkeys(c for _, c in scheme.levels.value_columns())) if scheme.levels is not None else []


def _levels(m: Master, scheme: Scheme, fig: YearFigures, roster: pd.DataFrame, year: Year,
            earlier: pd.DataFrame | None = None, values: pd.DataFrame | None = None,
            copied: Sequence[str] = ()) -> None:
    """``职级建议``: the proposals over the annual rows (this year's and ``往年年度``'s), each with
    the annual values the level rules read (:func:`kpixl.year.annual.annual_values`)."""
    if scheme.levels is None:
        return
    from ..history import level_proposals

    try:
        y = parse_period(year.period)
    except ValueError:
        y = None
    if y is None or y.kind != "year":
        return
    values = values if values is not None else pd.DataFrame(index=range(fig.people.n))
    annual = pd.DataFrame({ID: fig.people.ids, "period": year.period, "total": fig.values["total"],
                           "rating": fig.values.get("rating", [None] * fig.people.n)})
    annual = pd.concat([annual, values.reset_index(drop=True)], axis=1)
    if earlier is not None and len(earlier):  # the rules over several years read the earlier years' rows
        before = earlier[earlier["period"] < year.period]
        before = before[[ID, "period", "total", "rating", *(c for c in values.columns if c in before.columns)]]
        annual = pd.concat([before, annual], ignore_index=True)
    try:
        props = level_proposals(scheme.levels, annual, roster, year.period)
    except InputError as e:
        year.warnings += e.problems
        return
    ws = m.sheet(LEVELS)
    heads = {ID: "工号", "current": "现职级", "proposed": "建议职级", "move": "建议", "reason": "理由"}
    # What the proposal read, for the reader (and for next year's --earlier: growth on last year's sales).
    heads |= {c: value_label(scheme, c, c in copied) for c in values.columns}
    by_id = values.set_index(pd.Index([str(e) for e in fig.people.ids]))
    recs = [{**r, **by_id.loc[str(r[ID])].to_dict()} if str(r[ID]) in by_id.index else r
            for r in props.to_dict("records")]
    _write_table(ws, heads, recs)
