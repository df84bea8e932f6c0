"""The master workbook HR keeps, and how kpixl writes into it without ever losing data.

The master is a template workbook (``Scheme``, ``Roster``, ``考核表`` sheets; see
docs/templates.md) into which *collect*, *rate* and *report* write their own sheets.
Every write:

* holds a lock file beside the master (``<master>.lock``), so two runs over the same
  master wait for each other instead of interleaving;
* refuses a master that is open in Excel or WPS (their owner file ``~$<name>`` sits
  beside it; Windows would refuse to replace the file anyway);
* writes the whole new file to a temporary name and moves it into place, after keeping
  the previous version as ``<name>.bak.xlsx`` — an interrupted run leaves the old
  master intact.

Sheets kpixl owns are listed in :data:`OWNED`; HR's own sheets are read and written back
by openpyxl untouched (openpyxl keeps values, formulas, styles, validation, tables and
print setup; it drops charts and images, which is why the report's charts are
re-drawn on every write — :mod:`kpixl.master.report`). Collect carries the cells of the roster,
the card and the Scheme sheet into the saved file as they were, without openpyxl re-writing them
(:mod:`kpixl.master.kept`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.merge import MergedCellRange

from ..errors import FileProblem
from ..card.template import Template, template_from_workbook
from ..xlsx.atomic import replace_atomically, temp_files
from ..xlsx.bulk import Bulk, save_with_rows
from ..xlsx.cached import save_workbook, sheet_parts
from ..xlsx.lang import DEFAULT as DEFAULT_LANG, NAME as LANG_NAME, check_lang, workbook_lang
from ..xlsx.text import defuse
from .kept import Kept, shared_strings, take_cells

__all__ = ["OWNED", "PERIOD_NAME", "Master", "backup_path", "locked", "open_master"]

#: The sheets kpixl writes into a master (everything else is HR's and kept as is).
RESULTS, ISSUES, LOG, HISTORY, STORE, LEVELS = "Results", "Issues", "Log", "考核历史", "_collected", "职级建议"
OWNED = (RESULTS, ISSUES, LOG, HISTORY, STORE, LEVELS)
#: kpixl's sheets that hold no formula of kpixl's own: any formula found there on saving came
#: from outside (a returned value, a file name) and is written as text (formula injection).
DATA_ONLY = (ISSUES, LOG, HISTORY, STORE, LEVELS)
#: Workbook-scoped defined name holding the period the master is collecting.
PERIOD_NAME = "kpixl.period"
LOCK_WAIT = 120.0  # seconds a second run waits for the first before giving up


def backup_path(path: Path) -> Path:
    """``master.xlsx`` → ``master.bak.xlsx`` (still opens in Excel)."""
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def _owner_file(path: Path) -> Path:
    # Excel and WPS keep "~$" + the name (the first two characters replaced for long names).
    return path.with_name("~$" + path.name[2:] if len(path.stem) > 7 else "~$" + path.name)


def check_closed(path: Path, step: str) -> None:
    """Refuse a master that Excel, WPS or LibreOffice has open (their owner or lock file is beside it).

    Excel and WPS leave ``~$name``; LibreOffice leaves ``.~lock.name#``. Writing the master
    under an open program would be lost at its next save, or would lose what it holds.
    """
    owners = [(f, "Excel or WPS") for f in {path.with_name("~$" + path.name), _owner_file(path)}]
    owners.append((path.with_name(f".~lock.{path.name}#"), "LibreOffice"))
    for owner, program in owners:
        if owner.exists():
            raise FileProblem(path, step, f"the workbook is open in {program} ({owner.name} exists); "
                                          "close it and try again (if it is not open, delete that file)")


def clean_stale(path: Path) -> None:
    """Remove what a killed run left beside the master (its temporary files), under the lock."""
    bak = backup_path(path)
    for f in [*temp_files(path), *temp_files(bak), bak.with_name(f".{bak.name}.part")]:
        with contextlib.suppress(OSError):
            if f.is_file() and not f.is_symlink():
                f.unlink()


@contextlib.contextmanager
def locked(path: Path, step: str, timeout: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the master's lock file for one run (waits up to ``timeout`` seconds for another run)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise FileProblem(path, step, f"another kpixl run is writing this master (lock {path.name}.lock "
                                      f"held for over {timeout:.0f} s); try again when it has finished") from None
    except OSError as e:
        raise FileProblem(path, step, f"cannot create the lock file beside the master ({e.strerror or e})") from None
    try:
        clean_stale(path)
        yield
    finally:
        lock.release()
        with contextlib.suppress(OSError):
            os.unlink(str(path) + ".lock")


class Master:
    """A master workbook loaded for one run: the openpyxl workbook and its template parts.

    Attributes:
        bulk: Sheet title → data rows written into the saved file as XML text
            (:mod:`kpixl.xlsx.bulk`) after openpyxl has written the sheet's first rows: a
            sheet of thousands of rows costs no openpyxl cell. Those rows are not in ``wb``.
        store: The record store when it is not in ``wb``: read from the sheet's XML (the sheet
            loaded empty, to be written anew) or written this run as bulk rows; a later reader in
            the same run takes it from here. None: read it from ``wb``.
    """

    def __init__(self, path: Path, wb, template: Template):
        self.path, self.wb, self.template = path, wb, template
        self.bulk: dict[str, Bulk] = {}
        self.store = None
        #: HR's sheets whose cells :meth:`save` writes back as they were, not as openpyxl holds them
        #: (:mod:`kpixl.master.kept`; ``keep`` and ``unchanged`` of :func:`open_master`): title → the cells.
        self.kept: dict[str, Kept] = {}

    @property
    def scheme(self):
        return self.template.scheme

    @property
    def period(self) -> str | None:
        """The period this master is collecting (the defined name ``kpixl.period``)."""
        d = self.wb.defined_names.get(PERIOD_NAME)
        if d is None or not d.attr_text:
            return None
        return d.attr_text.strip().strip('"') or None

    @period.setter
    def period(self, value: str) -> None:
        if PERIOD_NAME in self.wb.defined_names:
            del self.wb.defined_names[PERIOD_NAME]
        self.wb.defined_names[PERIOD_NAME] = DefinedName(PERIOD_NAME, attr_text=f'"{value}"')

    @property
    def lang(self) -> str:
        """The language of the master's headers (:mod:`kpixl.xlsx.lang`): ``zh`` unless set."""
        return workbook_lang(self.wb)

    @lang.setter
    def lang(self, value: str | None) -> None:
        value = check_lang(value)
        if LANG_NAME in self.wb.defined_names:
            del self.wb.defined_names[LANG_NAME]
        if value != DEFAULT_LANG:
            self.wb.defined_names[LANG_NAME] = DefinedName(LANG_NAME, attr_text=f'"{value}"')

    def sheet(self, title: str, index: int | None = None):
        """A fresh, empty sheet ``title`` (an old one of that name is replaced in place)."""
        wb = self.wb
        self.bulk.pop(title, None)
        if title in wb.sheetnames:
            pos = wb.sheetnames.index(title)
            wb.remove(wb[title])
            return wb.create_sheet(title, pos)
        return wb.create_sheet(title, index)

    def save(self, step: str = "saving the master") -> None:
        """Keep the previous version as ``.bak.xlsx`` and replace the master atomically."""
        path = self.path
        for title in DATA_ONLY:
            if title in self.wb.sheetnames:
                defuse(self.wb[title])

        def write(tmp: str) -> None:
            # Each rewritten sheet's formulas cache the engine's results (kept by its
            # writer), in the temporary file, so a crash never leaves a half-cached master.
            bulk = {t: b for t, b in self.bulk.items() if t in self.wb.sheetnames and b.rows}
            kept = {k.ws.title: k for k in self.kept.values() if any(ws is k.ws for ws in self.wb.worksheets)}
            if bulk or kept:  # the rows kpixl wrote in bulk: appended in the same pass as the cached results
                with _unwritten(kept.values()):
                    save_with_rows(self.wb, tmp, bulk, previous=path, kept=kept)
            else:
                save_workbook(self.wb, tmp, previous=path)
            if path.exists():
                bak = backup_path(path)
                part = bak.with_name(f".{bak.name}.part")
                shutil.copy2(path, part)
                os.replace(part, bak)

        replace_atomically(path, write, step)


def open_master(path: str | Path, step: str = "opening the master", rewrite: Iterable[str] = (),
                keep: Iterable[str] = (), unchanged: Iterable[str] = ()) -> Master:
    """Load a master (or a template used as one) with its scheme and card.

    Args:
        path: The master.
        step: What the caller is doing, for problems.
        rewrite: kpixl's sheets the caller writes anew (:meth:`Master.sheet`) without reading
            them first: loaded empty, so openpyxl does not build cells that are thrown away
            (``Results`` and ``考核历史`` are most of a collected master's cells).
        keep: HR's sheets the caller neither reads through openpyxl nor changes (the roster, for
            collect): loaded without their cells, which :meth:`Master.save` writes back as they
            were (:mod:`kpixl.master.kept`); a sheet whose XML is not plain enough loads whole.
        unchanged: HR's sheets the caller reads through openpyxl but never changes (the card, the
            scheme): loaded with their cells, their merged ranges bound without openpyxl's edge
            borders on the covered cells (slow to make), and written back as they were, as ``keep``'s.

    Raises:
        FileProblem: Missing, not a workbook, open in Excel, or without a card sheet.
        InputError: The Scheme sheet has problems.
    """
    path = Path(path)
    if not path.exists():
        raise FileProblem(path, step, "no such file")
    check_closed(path, step)
    kept: dict[str, Kept] = {}
    try:
        source = _blanked(path, set(rewrite) & set(OWNED), set(keep) - set(OWNED), kept, set(unchanged) - set(OWNED))
        wb = openpyxl.load_workbook(source)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as e:
        raise FileProblem(path, step, f"not an Excel workbook (.xlsx): {e}") from None
    except (ValueError, TypeError, SyntaxError, zlib.error) as e:  # openpyxl's word for a damaged part (and XML's)
        raise FileProblem(path, step, f"is damaged ({e}); open it in Excel, save it again and retry, or use "
                                      "its backup (.bak.xlsx)") from None
    for title, k in kept.items():
        k.ws = wb[title]
        if k.merges is not None:
            k.ws.merged_cells = MultiCellRange([_merge(k.ws, ref) for ref in k.merges])
    m = Master(path, wb, template_from_workbook(wb, path))
    m.kept = kept
    return m


@contextlib.contextmanager
def _unwritten(kept: Iterable[Kept]) -> Iterator[None]:
    """While openpyxl saves: the kept sheets hold only the cells whose comment or hyperlink openpyxl
    writes elsewhere in the package (their own cells are spliced in as they were, the rest would be
    serialised for nothing)."""
    held = [(k.ws, k.ws._cells) for k in kept]
    try:
        for ws, cells in held:
            ws._cells = {at: c for at, c in cells.items() if c._comment is not None or c.hyperlink is not None}
        yield
    finally:
        for ws, cells in held:
            ws._cells = cells


def _merge(ws, ref: str) -> MergedCellRange:
    """A merged range bound as openpyxl binds one on loading (its first cell takes the last one's right
    and bottom borders, the covered cells are blank), but for the borders openpyxl gives the covered
    cells at the range's edges: slow to make (a Border hashed per cell), and never written (the
    sheet's cells are saved as they were, :mod:`kpixl.master.kept`)."""
    mcr = MergedCellRange(ws, ref)
    cells = mcr.cells
    next(cells)
    for row, col in cells:
        ws._cells[row, col] = MergedCell(ws, row, col)
    return mcr


#: A worksheet without cells: what a sheet about to be rewritten is loaded as.
EMPTY_SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'


def _blanked(path: Path, titles: set[str], keep: set[str] = frozenset(), kept: dict[str, Kept] | None = None,
             unchanged: set[str] = frozenset()) -> Path | io.BytesIO:
    """The master, or an in-memory copy of it whose sheets ``titles`` hold no cells and whose sheets
    ``keep`` hold none either, their cells put in ``kept`` (title → :class:`Kept`) instead; the
    sheets ``unchanged`` keep their cells (put in ``kept`` too) but not their merged ranges."""
    if not titles and not keep and not unchanged:
        return path
    with zipfile.ZipFile(path) as z:
        sheets = sheet_parts(z)
        parts = {part: EMPTY_SHEET for title, part in sheets.items() if title in titles}
        strings: list = []

        def shared():  # read once, and only when a kept cell uses a shared string
            if not strings:
                strings.append(shared_strings(z))
            return strings[0]

        for title, part in sheets.items():
            if (title in keep or title in unchanged) and title not in titles and part in z.NameToInfo:
                taken = take_cells(z.read(part), shared, read=title in unchanged and title not in keep)
                if taken is not None:
                    parts[part], kept[title] = taken  # type: ignore[index]
        if not parts:
            return path
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w") as out:  # stored, not deflated: read once, at once
            for info in z.infolist():
                out.writestr(info.filename, parts[info.filename] if info.filename in parts else z.read(info))
    copy.seek(0)
    return copy


def write_roster_sheet(wb, df, title: str = "Roster"):
    """Write a roster as an Excel table named ``Roster`` on a new sheet (templates, new masters)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    from ..results.sheet import FONT

    def value(v):
        if v is None or (isinstance(v, float) and v != v):
            return None
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    ws = wb.create_sheet(title)
    head, body = Font(name=FONT, size=10, bold=True), Font(name=FONT, size=10)
    for j, col in enumerate(df.columns, 1):
        c = ws.cell(row=1, column=j, value=str(col))
        c.font = head
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = max([sum(2 if ord(ch) > 0x2E80 else 1.1 for ch in str(col))] +
                    [sum(2 if ord(ch) > 0x2E80 else 1.1 for ch in str(v)) for v in df[col]])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 3, 9), 30)
        for i, v in enumerate(df[col].tolist(), 2):
            ws.cell(row=i, column=j, value=value(v)).font = body
    table = Table(displayName="Roster", ref=f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 20
    return ws


def new_master(scheme, roster, path: str | Path) -> Path:
    """Write a fresh master (or template): 考核表 card, Roster table, Scheme sheet.

    Args:
        scheme: A :class:`~kpixl.scheme.Scheme`.
        roster: A DataFrame with ``employee_id``, 姓名, 部门, 岗位, 经理 and the columns the scheme names.
        path: Where to write the ``.xlsx``.
    """
    from openpyxl import Workbook

    from ..card.layout import write_card_sheet
    from ..scheme.sheet.book import write_scheme_sheet

    wb = Workbook()
    wb.remove(wb.active)
    write_card_sheet(scheme, wb, "考核表")
    write_roster_sheet(wb, roster)
    write_scheme_sheet(scheme, wb)
    wb.active = 0
    path = Path(path)
    replace_atomically(path, wb.save, "writing the master")
    return path
