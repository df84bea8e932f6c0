"""Read a returned workbook straight from its XML: every cell's formula and cached value.

Collection must read both what a manager typed and what the sheet's formulas are, for
a thousand sheets in a few seconds. openpyxl would need two full loads (formulas, then
values) at ~10 ms a sheet each (ENGINES.md); parsing the parts we need with
``xml.etree`` takes ~1 ms a sheet and gives both at once.

Nothing in a returned file is ever run: macros are refused before any sheet is read,
external entities are never resolved by ``xml.etree``, and expat (2.4.1 and later)
refuses entity-expansion bombs. Size limits refuse a file before it is unpacked.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl.formula.translate import Translator

from ..errors import FileProblem

__all__ = ["Book", "Cell", "Sheet", "read_book", "MAX_FILE_BYTES", "MAX_UNPACKED_BYTES"]

#: A distributed workbook for a team of ten is ~50 KB; a file over this is refused unread.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: The parts of a file may not unpack to more than this (a "zip bomb" is refused).
MAX_UNPACKED_BYTES = 400 * 1024 * 1024

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_M = "{%s}" % _NS["m"]
_R_ID = "{%s}id" % _NS["r"]
_F, _V, _IS = _M + "f", _M + "v", _M + "is"
_CELL = re.compile(r"([A-Z]+)(\d+)")
_STEP = "reading the workbook"


@dataclass
class Cell:
    """One cell as saved: its formula (without ``=``) if any, and its (cached) value.

    Attributes:
        value: A float, str or bool; ``None`` for an empty cell; for an error value the
            text (``#VALUE!``) with ``error`` set.
        formula: The formula text without the leading ``=``, or None.
        error: The value is an error (``#DIV/0!``).
    """

    value: Any = None
    formula: str | None = None
    error: bool = False


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
    sheets: list[Sheet] = field(default_factory=list)
    #: (name, local sheet index or None, text) of every defined name.
    names: list[tuple[str, int | None, str]] = field(default_factory=list)
    modified: str | None = None  # docProps/core.xml dcterms:modified (ISO text)
    modified_by: str | None = None  # docProps/core.xml cp:lastModifiedBy
    application: str | None = None  # docProps/app.xml Application

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)


def _refuse(path: Path, reason: str) -> FileProblem:
    return FileProblem(path, _STEP, reason)


def sniff(path: Path) -> None:
    """Refuse what is not an .xlsx before unpacking anything.

    Raises:
        FileProblem: Missing, too large, encrypted, an old .xls, or not a workbook.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except IsADirectoryError:
        raise _refuse(path, "is a folder, not a workbook") from None
    except OSError as e:
        raise _refuse(path, f"cannot be opened ({e.strerror or e})") from None
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"is {size / 1e6:.0f} MB; a returned scorecard workbook is far smaller "
                            f"(limit {MAX_FILE_BYTES // 2**20} MB) — was the wrong file sent?")
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


def read_book(path: str | Path, only: str | None = None) -> Book:
    """Read every worksheet's cells (formulas and cached values) and the defined names.

    Args:
        path: The file.
        only: A sheet-scoped defined name (``kpixl.stamp``): parse only the sheets that
            carry it, and a sheet named ``_kpixl`` (every sheet when none carries it).

    Raises:
        FileProblem: The file is not a readable .xlsx: missing, too large, encrypted, an
            old .xls, damaged, or holding macros (a returned file must not carry code).
    """
    path = Path(path)
    sniff(path)
    try:
        with zipfile.ZipFile(path) as z:
            return _read_zip(path, z, only.lower() if only else None)
    except zipfile.BadZipFile as e:
        raise _refuse(path, f"is damaged (not a valid zip package: {e})") from None
    except ET.ParseError as e:
        raise _refuse(path, f"is damaged (malformed XML: {e})") from None
    except (KeyError, ValueError, EOFError, OSError, NotImplementedError, RuntimeError, zipfile.LargeZipFile) as e:
        raise _refuse(path, f"is damaged ({type(e).__name__}: {e})") from None


def _read_zip(path: Path, z: zipfile.ZipFile, only: str | None = None) -> Book:
    infos = z.infolist()
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise _refuse(path, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; refused unread")
    names = {i.filename for i in infos}
    types = z.read("[Content_Types].xml").decode("utf-8", "replace") if "[Content_Types].xml" in names else ""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or "macroEnabled" in types or "vbaProject" in types:
        raise _refuse(path, "contains macros (VBA); kpixl never opens such files — save it as .xlsx "
                            "(Excel 工作簿, not 启用宏的工作簿) and send it again")
    if "xl/workbook.bin" in names:
        raise _refuse(path, "is an .xlsb (binary) workbook; save it as .xlsx and send it again")
    if "xl/workbook.xml" not in names:
        raise _refuse(path, "is not an Excel workbook (no xl/workbook.xml; an .ods or another zip file?)")
    book = Book(path)
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = _rels(z, "xl/_rels/workbook.xml.rels", "xl")
    strings = _shared_strings(z, rels, names)
    for d in wb.iter(_M + "definedName"):
        local = d.get("localSheetId")
        book.names.append((d.get("name", ""), int(local) if local is not None and local.isdigit() else None, d.text or ""))
    # Only the sheets that can be person sheets are parsed (the stamped ones and the stamp
    # list); when a program dropped the sheet-scoped names, every sheet is.
    stamped = {local for name, local, _ in book.names if name.lower() == only and local is not None} if only else set()
    for k, s in enumerate(wb.iter(_M + "sheet")):
        target = rels.get(s.get(_R_ID, ""))
        sheet = Sheet(s.get("name", ""), k, s.get("state", "visible"), part=target or "")
        book.sheets.append(sheet)
        wanted = not stamped or k in stamped or sheet.name == "_kpixl"
        if wanted and target and target in names:
            _read_sheet(z.read(target), sheet, strings)
    if "docProps/core.xml" in names:
        core = ET.fromstring(z.read("docProps/core.xml"))
        for el in core:
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "modified":
                book.modified = (el.text or "").strip() or None
            elif tag == "lastModifiedBy":
                book.modified_by = (el.text or "").strip() or None
    if "docProps/app.xml" in names:
        app = ET.fromstring(z.read("docProps/app.xml"))
        for el in app:
            if el.tag.rsplit("}", 1)[-1] == "Application":
                book.application = (el.text or "").strip() or None
    return book


def _rels(z: zipfile.ZipFile, part: str, base: str) -> dict[str, str]:
    try:
        root = ET.fromstring(z.read(part))
    except KeyError:
        return {}
    out = {}
    for r in root:
        target = r.get("Target", "")
        if r.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out[r.get("Id", "")] = full
    return out


def _text(el) -> str:
    """The text of a string item: its ``<t>``, or its rich-text runs' ``<t>`` joined.

    Phonetic runs (``<rPh>``, furigana) are not part of the text.
    """
    t = el.find(_M + "t")
    if t is not None:
        return t.text or ""
    return "".join(r.findtext(_M + "t") or "" for r in el.findall(_M + "r"))


def _shared_strings(z: zipfile.ZipFile, rels: dict[str, str], names: set[str]) -> list[str]:
    part = next((p for p in rels.values() if p.endswith("sharedStrings.xml")), "xl/sharedStrings.xml")
    if part not in names:
        return []
    root = ET.fromstring(z.read(part))
    return [_text(si) for si in root.iter(_M + "si")]


def _read_sheet(xml: bytes, sheet: Sheet, strings: list[str]) -> None:
    root = ET.fromstring(xml)
    sheet.protected = root.find(_M + "sheetProtection") is not None and \
        root.find(_M + "sheetProtection").get("sheet", "0") in ("1", "true")
    shared: dict[str, tuple[str, str]] = {}  # si → (anchor cell, formula)
    cells = sheet.cells
    for c in root.iter(_M + "c"):
        ref = c.get("r")
        if not ref:
            continue  # a cell without its reference (allowed, never written by Excel/LibreOffice/WPS)
        kind = c.get("t", "n")
        cell = Cell()
        f = v = is_ = None
        for child in c:  # one pass over <f>, <v>, <is>
            tag = child.tag
            if tag == _F:
                f = child
            elif tag == _V:
                v = child
            elif tag == _IS:
                is_ = child
        if f is not None:
            text = f.text
            if f.get("t") == "shared":
                si = f.get("si", "")
                if text:
                    shared[si] = (ref, text)
                elif si in shared:
                    anchor, master = shared[si]
                    text = Translator("=" + master, origin=anchor).translate_formula(ref)[1:]
            cell.formula = text or ""
        raw = v.text if v is not None else None
        if kind == "s":
            cell.value = strings[int(raw)] if raw is not None and raw.isdigit() and int(raw) < len(strings) else None
        elif kind == "inlineStr":
            cell.value = _text(is_) if is_ is not None else None
        elif kind == "str":
            cell.value = raw if raw is not None else None
        elif kind == "b":
            cell.value = raw in ("1", "true")
        elif kind == "e":
            cell.value, cell.error = raw, True
        elif raw is not None and raw != "":
            try:
                cell.value = float(raw)
            except ValueError:
                cell.value = raw
        if cell.value is None and cell.formula is None:
            continue
        cells[ref] = cell


def split_ref(ref: str) -> tuple[int, int]:
    """``H12`` → (row 12, column 8), 1-based."""
    m = _CELL.fullmatch(ref.replace("$", ""))
    if m is None:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col
