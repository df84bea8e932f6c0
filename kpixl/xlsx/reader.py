"""Read a returned workbook straight from its XML: every cell's formula and cached value.

Collection must read both what a manager typed and what the sheet's formulas are, for
a thousand sheets in a few seconds. openpyxl would need two full loads (formulas, then
values) at ~10 ms a sheet each (measured); streaming the parts we need through
expat takes ~0.45 ms a sheet (16 KB of XML) and gives both at once; reading a sheet's
cells with one strict pattern (:mod:`kpixl.xlsx.cellscan`, each distinct row read once)
takes ~0.08 ms — and any part the pattern does not know, odd or hostile, is read by expat
instead, with the same result. The rest of a file costs little more than unpacking it: the
package is read whole and its directory and small parts unpacked in one step
(:func:`kpixl.xlsx.xmlstream.package`), the shared strings read by pattern
(:mod:`kpixl.xlsx.sharedstrings`), and the
parts a batch shares byte for byte (styles, relationships, properties) answered from
memory — each fast path giving up to the careful one on anything it does not know.

Nothing in a returned file is ever run: macros are refused before any sheet is read, a
``<!DOCTYPE`` (external entities, entity bombs) is refused outright, and every part is
read in bounded memory and time (:mod:`kpixl.xlsx.xmlstream`): bytes are counted as they
are unpacked (a zip header's sizes may lie), cells and texts are capped, and a file has
a deadline.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
import zlib
from xml.etree import ElementTree as ET
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from ..errors import FileProblem
from . import xmlstream
from .cellscan import XML_DECL, Cell, NamedTwice, keep_cell, scan_sheet
from .sharedstrings import strings_by_pattern
from .xmlstream import Budget, MAX_CELLS, MAX_STRING_CHARS, MAX_STRINGS, MAX_TEXT, elements, read_small, take

__all__ = ["Book", "Cell", "Sheet", "date_styles", "read_book", "MAX_FILE_BYTES", "MAX_UNPACKED_BYTES"]

#: A distributed workbook for a team of ten is ~50 KB; a file over this is refused unread.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: The parts of a file may not unpack to more than this (a "zip bomb" is refused).
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
#: Read a sheet part's cells with :func:`kpixl.xlsx.cellscan.scan_sheet` first, and the other parts
#: by their fast paths (a part unpacked in one step, :func:`kpixl.xlsx.xmlstream.take`; shared strings
#: by pattern; parts met before answered from memory); tests turn it off to compare with the careful
#: readers, which read every part the fast paths do not know.
FAST_PATH = True

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_M = "{%s}" % _NS["m"]
_R_ID = "{%s}id" % _NS["r"]
_F, _V, _IS, _T, _SI, _C, _ROW = (_M + t for t in ("f", "v", "is", "t", "si", "c", "row"))
_PROTECTION = _M + "sheetProtection"
_CELL = re.compile(r"([A-Z]+)(\d+)")
_REF = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")  # a cell's r, as Excel, WPS and LibreOffice write it
_STEP = "reading the workbook"


@dataclass
class Sheet:
    """One worksheet: name, visibility, cells by reference (``H12``), protection."""

    name: str
    index: int
    state: str = "visible"
    cells: dict[str, Cell] = field(default_factory=dict)
    protected: bool = False
    part: str = ""


@dataclass
class Book:
    """What :func:`read_book` found in a file."""

    path: Path
    #: How places name the file (``[王经理.xlsx]``; a folder-relative path when two files share a name).
    name: str = ""
    sheets: list[Sheet] = field(default_factory=list)
    #: (name, local sheet index or None, text) of every defined name.
    names: list[tuple[str, int | None, str]] = field(default_factory=list)
    modified: str | None = None  # docProps/core.xml dcterms:modified (ISO text)
    modified_by: str | None = None  # docProps/core.xml cp:lastModifiedBy
    application: str | None = None  # docProps/app.xml Application

    def __post_init__(self):
        self.name = self.name or self.path.name

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)


def _refuse(path: Path, reason: str) -> FileProblem:
    return FileProblem(path, _STEP, reason)


def _too_large(path: Path, size: int) -> FileProblem:
    return _refuse(path, f"is {size / 1e6:.0f} MB; a returned scorecard workbook is far smaller "
                         f"(limit {MAX_FILE_BYTES // 2**20} MB) — was the wrong file sent?")


def sniff(path: Path) -> None:
    """Refuse what is not an .xlsx before unpacking anything.

    Raises:
        FileProblem: Missing, too large, encrypted, an old .xls, or not a workbook.
    """
    try:
        st = path.lstat()
        # Before opening anything: a FIFO would block the run (holding the master's lock) and a
        # link may point anywhere (/etc/passwd); a returned file is a plain file.
        if stat.S_ISLNK(st.st_mode):
            raise _refuse(path, "is a symbolic link, not a returned file; collect the file itself")
        if stat.S_ISDIR(st.st_mode):
            raise _refuse(path, "is a folder, not a workbook")
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, "is not a regular file (a pipe or a device); collect the workbook itself")
        size = st.st_size
        with path.open("rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except IsADirectoryError:
        raise _refuse(path, "is a folder, not a workbook") from None
    except OSError as e:
        raise _refuse(path, f"cannot be opened ({e.strerror or e})") from None
    if size > MAX_FILE_BYTES:
        raise _too_large(path, size)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE compound file: an encrypted .xlsx or an Excel 97–2003 .xls.
        with path.open("rb") as f:
            blob = f.read(min(size, 1 << 20))
        if "EncryptionInfo".encode("utf-16-le") in blob:
            raise _refuse(path, "is password-protected (encrypted); ask the manager to remove the "
                                "password to open (文件-信息-用密码进行加密) and send it again")
        raise _refuse(path, "is an Excel 97–2003 .xls file; save it as .xlsx (Excel 工作簿) and send it again")
    if not head.startswith(b"PK"):
        raise _refuse(path, "is not an Excel workbook (.xlsx)")


def read_book(path: str | Path, only: str | None = None, name: str | None = None,
              sheets: set[str] | None = None, max_cells: int = MAX_CELLS) -> Book:
    """Read every worksheet's cells (formulas and cached values) and the defined names, in bounded memory.

    Args:
        path: The file.
        only: A sheet-scoped defined name (``kpixl.stamp``): parse only the sheets that
            carry it, and a sheet named ``_kpixl`` (every sheet when none carries it).
        name: How places name the file (default: its file name).
        sheets: Parse only the sheets of these names (the master's own sheets).
        max_cells: Cells kept per sheet before the file is refused.

    Raises:
        FileProblem: The file is not a readable .xlsx: missing, not a plain file, too large,
            encrypted, an old .xls, damaged, over a limit of :mod:`kpixl.xlsx.xmlstream`
            (bytes, cells, time), or holding macros (a returned file must not carry code).
    """
    path = Path(path)
    sniff(path)
    budget = Budget(path, MAX_UNPACKED_BYTES, xmlstream.TIMEOUT_SECONDS)
    budget.fast = FAST_PATH
    try:
        # The package is read whole (at most MAX_FILE_BYTES): its parts are then unpacked from memory.
        with path.open("rb") as f:
            blob = f.read(min(os.fstat(f.fileno()).st_size, MAX_FILE_BYTES) + 1)
        if len(blob) > MAX_FILE_BYTES:
            raise _too_large(path, len(blob))
        with xmlstream.package(blob, FAST_PATH) as z:
            return _read_zip(path, z, budget, only.lower() if only else None, sheets, name, max_cells)
    except zipfile.BadZipFile as e:
        raise _refuse(path, f"is damaged (not a valid zip package: {e})") from None
    except ET.ParseError as e:
        raise _refuse(path, f"is damaged (malformed XML: {e})") from None
    except (LookupError, ValueError, EOFError, OSError, NotImplementedError, RuntimeError, zipfile.LargeZipFile,
            zlib.error, MemoryError, RecursionError) as e:  # LookupError: KeyError, and an unknown encoding="…"
        raise _refuse(path, f"is damaged ({type(e).__name__}: {e})") from None


def _read_zip(path: Path, z: zipfile.ZipFile, budget: Budget, only: str | None = None,
              wanted_names: set[str] | None = None, label: str | None = None, max_cells: int = MAX_CELLS) -> Book:
    infos = z.infolist()
    # The headers' sizes are a first, cheap refusal; the real count is made as bytes arrive.
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise _refuse(path, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; refused unread")
    names = set(z.NameToInfo)  # (every entry's name)
    if len(names) != len(infos):  # (programs read one copy or the other; Excel calls such a file corrupt)
        seen: set[str] = set()
        twice = next(i.filename for i in infos if i.filename in seen or seen.add(i.filename))
        raise _refuse(path, f"is damaged (the part {twice[:80]} is in it twice)")
    types = read_small(z, "[Content_Types].xml", budget).decode("utf-8", "replace") \
        if "[Content_Types].xml" in names else ""
    # A name ending in vbaProject.bin, any case (no name holds a NUL: zipfile cuts a name at one).
    if "vbaproject.bin\x00" in ("\x00".join(names) + "\x00").lower() or "macroEnabled" in types \
            or "vbaProject" in types:
        raise _refuse(path, "contains macros (VBA); kpixl never opens such files — save it as .xlsx "
                            "(Excel 工作簿, not 启用宏的工作簿) and send it again")
    if "xl/workbook.bin" in names:
        raise _refuse(path, "is an .xlsb (binary) workbook; save it as .xlsx and send it again")
    if "xl/workbook.xml" not in names:
        raise _refuse(path, "is not an Excel workbook (no xl/workbook.xml; an .ods or another zip file?)")
    book = Book(path, label or "")
    fast = budget.fast
    defined, listed = _workbook(read_small(z, "xl/workbook.xml", budget))  # (each file's own: not remembered)
    rels = _rels(z, "xl/_rels/workbook.xml.rels", "xl", names, budget)
    for name, local, text in defined:
        book.names.append((name, int(local) if local is not None and local.isdigit() else None, text))
    # Only the sheets that can be person sheets are parsed (the stamped ones and the stamp
    # list); when a program dropped the sheet-scoped names, every sheet is.
    stamped = {local for n, local, _ in book.names if n.lower() == only and local is not None} if only else set()
    todo = []
    for k, (sheet_name, state, rid) in enumerate(listed):
        target = rels.get(rid)
        sheet = Sheet(sheet_name, k, state, part=target or "")
        book.sheets.append(sheet)
        if wanted_names is not None:
            wanted = sheet.name in wanted_names
        else:
            wanted = not stamped or k in stamped or sheet.name == "_kpixl"
        if wanted and target and target in names:
            todo.append((sheet, target))
    if todo:
        strings = _shared_strings(z, rels, names, budget)
        dates = _date_styles(z, rels, names, budget)
        for sheet, target in todo:
            _read_sheet(z, target, sheet, strings, dates, budget, max_cells)
    if "docProps/core.xml" in names:
        book.modified, book.modified_by = _answer("core", read_small(z, "docProps/core.xml", budget), _core, fast)
    if "docProps/app.xml" in names:
        book.application = _app(read_small(z, "docProps/app.xml", budget), fast)  # (lists the sheets: each file's own)
    return book


#: Answers of small parts already read, by the part's exact bytes: the files of one batch share
#: their styles, relationships and properties byte for byte. Each answer is immutable and a pure
#: function of the bytes (a part that fails to parse is never kept); bounded in count and size.
_SEEN: dict[tuple[str, bytes], Any] = {}
_SEEN_MAX = 256
_SEEN_BYTES = 1 << 16


def _answer(kind: str, data: bytes, read: Callable[[bytes], Any], fast: bool = True) -> Any:
    """``read(data)``, from :data:`_SEEN` when the same bytes were read before as ``kind``."""
    if not fast or len(data) > _SEEN_BYTES:
        return read(data)
    key = (kind, data)
    try:
        return _SEEN[key]
    except KeyError:
        pass
    got = read(data)
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
    _SEEN[key] = got
    return got


def _workbook(data: bytes) -> tuple[tuple[tuple[str, str | None, str], ...], tuple[tuple[str, str, str], ...]]:
    """``xl/workbook.xml``: its defined names (name, ``localSheetId`` as written, text) and its sheets
    (name, state, relationship id), in order."""
    wb = ET.fromstring(data)
    return (tuple((d.get("name", ""), d.get("localSheetId"), d.text or "") for d in wb.iter(_M + "definedName")),
            tuple((s.get("name", ""), s.get("state", "visible"), s.get(_R_ID, "")) for s in wb.iter(_M + "sheet")))


def _core(data: bytes) -> tuple[str | None, str | None]:
    """``docProps/core.xml``: when the file was last saved, and by whom (the last of each)."""
    modified = modified_by = None
    for el in ET.fromstring(data):  # (the root's children, as ever)
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "modified":
            modified = (el.text or "").strip()[:64] or None
        elif tag == "lastModifiedBy":
            modified_by = (el.text or "").strip()[:256] or None
    return modified, modified_by


# docProps/app.xml as programs write it: the root, perhaps plain leaf elements, then <Application>
# (group 2). With that the only "Application" in a part expat finds well-formed, it is the root's
# only child of that name, and its text is the group's.
_APP = re.compile(rb'<[A-Za-z][\w.:-]*+(?:[ \t\n][^<>]*+)?>'
                  rb'(?:<(?!Application[>/])([A-Za-z]++)>[^<&]*+</\1>|<(?!Application/)[A-Za-z]++/>)*+'
                  rb'<Application>([^<&\r]*+)</Application>')


def _app(data: bytes, fast: bool = True) -> str | None:
    """``docProps/app.xml``: the program that saved the file (the last ``Application`` under the root)."""
    if fast:
        n = data.count(b"Application")
        m = _APP.match(data, XML_DECL.match(data).end()) if n == 2 else None
        if (n == 0 or m is not None) and _well_formed(data):
            return (m.group(2).decode("utf-8").strip()[:256] or None) if m is not None else None
    application = None
    for el in ET.fromstring(data):  # (the root's children, as ever)
        if el.tag.rsplit("}", 1)[-1] == "Application":
            application = (el.text or "").strip()[:256] or None
    return application


def _well_formed(data: bytes) -> bool:
    """Whether expat reads the part without an error (as ElementTree would; no tree is built)."""
    try:
        expat.ParserCreate(namespace_separator="}").Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _rels(z: zipfile.ZipFile, part: str, base: str, names: set[str], budget: Budget) -> dict[str, str]:
    if part not in names:
        return {}
    return dict(_answer("rels " + base, read_small(z, part, budget), lambda data: _targets(data, base), budget.fast))


def _targets(data: bytes, base: str) -> tuple[tuple[str, str], ...]:
    """A relationships part's (id, part it names) pairs, internal targets only, in order."""
    out = []
    for r in ET.fromstring(data):
        target = r.get("Target", "")
        if r.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out.append((r.get("Id", ""), full))
    return tuple(out)


def _text(el) -> str:
    """The text of a string item: its ``<t>``, or its rich-text runs' ``<t>`` joined, cut at
    :data:`MAX_TEXT` + 1 characters (Excel's limit, plus one to tell a longer text).

    Phonetic runs (``<rPh>``, furigana) are not part of the text.
    """
    t = el.find(_T)
    if t is not None:
        text = t.text or ""
    else:
        text = "".join(r.findtext(_T) or "" for r in el.findall(_M + "r"))
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT + 1]


def _shared_strings(z: zipfile.ZipFile, rels: dict[str, str], names: set[str], budget: Budget) -> list[str]:
    part = next((p for p in rels.values() if p.endswith("sharedStrings.xml")), "xl/sharedStrings.xml")
    if part not in names:
        return []
    data, stream = take(z, part, budget)
    try:
        strings = strings_by_pattern(data) if data is not None and budget.fast else None
    except Exception:  # noqa: BLE001 — whatever trips the pattern reader, the element reader decides
        strings = None
    if strings is not None:
        # The same refusal as below (the counts only grow, so the whole list tells whether a prefix was over).
        if len(strings) > MAX_STRINGS or sum(map(len, strings)) > MAX_STRING_CHARS:
            raise _too_much_text(budget)
        budget.check_time()
        return strings
    strings = []
    total = 0
    for el in elements(part, budget, data, stream, (_SI,), clear=(_SI,)):
        text = _text(el)
        strings.append(text)
        total += len(text)
        if len(strings) > MAX_STRINGS or total > MAX_STRING_CHARS:
            raise _too_much_text(budget)
    return strings


def _too_much_text(budget: Budget) -> FileProblem:
    return budget.refuse(f"holds more text than any scorecard (over {MAX_STRINGS:,} strings or "
                         f"{MAX_STRING_CHARS:,} characters); refused")


#: Built-in number formats that show dates in a Chinese Excel (27–36, 50–58) besides openpyxl's.
_CJK_DATES = set(range(27, 37)) | set(range(50, 59))


def _date_styles(z: zipfile.ZipFile, rels: dict[str, str], names: set[str], budget: Budget) -> set[int]:
    """The cell style indices (``s="3"``) whose number format shows a date or time."""
    part = next((p for p in rels.values() if p.endswith("styles.xml")), "xl/styles.xml")
    if part not in names:
        return set()
    return _answer("styles", read_small(z, part, budget), lambda data: frozenset(date_styles(ET.fromstring(data))),
                   budget.fast)


def date_styles(root) -> set[int]:
    """The cell style indices of a parsed ``styles.xml`` whose number format shows a date or time.

    Args:
        root: The ``styleSheet`` element.
    """
    formats = dict(BUILTIN_FORMATS)
    for f in root.iter(_M + "numFmt"):
        if f.get("numFmtId", "").isdigit():
            formats[int(f.get("numFmtId"))] = f.get("formatCode", "")
    out = set()
    xfs = root.find(_M + "cellXfs")
    for k, xf in enumerate(xfs if xfs is not None else []):
        v = xf.get("numFmtId", "0")
        fmt = int(v) if v.isdigit() else 0
        if fmt in _CJK_DATES or (fmt in formats and is_date_format(formats[fmt])):
            out.add(k)
    return out


def _read_sheet(z: zipfile.ZipFile, part: str, sheet: Sheet, strings: list[str], dates: set[int],
                budget: Budget, max_cells: int = MAX_CELLS) -> None:
    data, stream = take(z, part, budget)
    if data is not None and FAST_PATH:
        try:
            got = scan_sheet(data, strings, dates, max_cells)
        except Exception:  # noqa: BLE001 — whatever trips the pattern reader, the element reader decides
            got = None
        if got is not None:
            sheet.cells, sheet.protected = got
            budget.check_time()
            return
    shared: dict[str, tuple[str, str]] = {}  # si → (anchor cell, formula)
    cells = sheet.cells
    for el in elements(part, budget, data, stream, (_C, _PROTECTION), clear=(_ROW,)):
        if el.tag == _PROTECTION:
            sheet.protected = el.get("sheet", "0") in ("1", "true")
            continue
        if not len(el) and el.get("t") != "b":
            continue  # no <v>, <f> or <is>: a styled blank (most of a card's cells), nothing to keep
        ref = el.get("r")
        if ref is not None and not _REF.fullmatch(ref):  # (every program writes A1; checks place cells by it)
            raise budget.refuse(f"is damaged: its sheet {sheet.name} has a cell named {ref[:20]!r}, which is not a "
                                "cell reference")
        try:
            _cell(el, cells, shared, strings, dates)
        except NamedTwice:  # (Excel calls such a file corrupt; which copy a program shows is anyone's guess)
            raise budget.refuse(f"is damaged: its sheet {sheet.name} has two cells named {ref}") from None
        if len(cells) > max_cells:
            raise budget.refuse(f"its sheet {sheet.name} has over {max_cells:,} cells; a scorecard has a "
                                "few hundred — refused")


def _cell(c, cells: dict[str, Cell], shared: dict[str, tuple[str, str]], strings: list[str],
          dates: set[int]) -> None:
    ref = c.get("r")
    if not ref:
        return  # a cell without its reference (allowed, never written by Excel/LibreOffice/WPS)
    kind = c.get("t", "n")
    f = v = is_ = None
    for child in c:  # one pass over <f>, <v>, <is>
        tag = child.tag
        if tag == _F:
            f = child
        elif tag == _V:
            v = child
        elif tag == _IS:
            is_ = child
    keep_cell(cells, shared, strings, dates, ref, kind, c.get("s"), f is not None,
              f.text if f is not None else None, f.get("t") if f is not None else None,
              f.get("si", "") if f is not None else "", v.text if v is not None else None,
              _text(is_) if is_ is not None and kind == "inlineStr" else None)


def split_ref(ref: str) -> tuple[int, int]:
    """``H12`` → (row 12, column 8), 1-based."""
    m = _CELL.fullmatch(ref.replace("$", ""))
    if m is None:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col
