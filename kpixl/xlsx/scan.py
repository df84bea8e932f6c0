"""Cell values of a saved workbook read with one pattern over each sheet's XML, shaped like openpyxl's.

The year reads twelve masters of thousands of rows; openpyxl's read-only mode parses a
cell in ~50 µs, :func:`kpixl.xlsx.reader.read_book` (expat, an element per cell) in ~10,
a pattern over the sheet's XML in ~2. The readers that
take an openpyxl workbook — :meth:`kpixl.master.store.Store.read`,
:func:`kpixl.master.params.read_params`, :func:`kpixl.master.params.kept_bases` — ask
only for ``sheetnames``, ``wb[title]``, ``iter_rows(values_only=True)``, ``ws["B3"]``
and ``ws.cell(r, c)``: :class:`Values` answers those from what the reader found
(cached values; a date cell as a ``datetime``, as openpyxl gives it).
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
import zlib
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, Iterator
from xml.etree import ElementTree as ET

from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import from_excel

from ..errors import FileProblem
from .cached import sheet_parts
from .reader import MAX_UNPACKED_BYTES, date_styles, read_book, split_ref

__all__ = ["Values", "read_values"]

#: A master of 5,000 people holds ~100,000 cells on its record store; a year's masters may be larger.
MAX_CELLS = 5_000_000


@dataclass(frozen=True)
class _Cell:
    value: Any = None


class _Sheet:
    def __init__(self, title: str, rows: dict[int, dict[int, Any]]):
        self.title = title
        self._rows = rows
        self.max_row = max(rows, default=0)
        self.max_column = max((max(r) for r in rows.values() if r), default=0)

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple]:
        columns, empty = range(1, self.max_column + 1), {}
        for r in range(1, self.max_row + 1):
            yield tuple(map(self._rows.get(r, empty).get, columns))

    def cell(self, row: int, column: int) -> _Cell:
        return _Cell(self._rows.get(row, {}).get(column))

    def __getitem__(self, ref: str) -> _Cell:
        r, c = split_ref(ref)
        return self.cell(r, c)


class Values:
    """The sheets and defined names of one workbook, as values (see the module docstring)."""

    def __init__(self, sheets: dict[str, _Sheet], names: dict[str, str], keys: dict[str, tuple] | None = None):
        self._sheets = sheets
        self.sheetnames = list(sheets)
        self.names = names
        #: Per sheet, what its values depend on (its part's CRC and size, the shared strings' and
        #: styles'): two sheets with the same key hold the same values (see :func:`read_values`).
        self.keys = keys or {}

    def __getitem__(self, title: str) -> _Sheet:
        return self._sheets[title]

    def __contains__(self, title: str) -> bool:
        return title in self._sheets

    def name(self, name: str) -> str | None:
        """A workbook-scoped defined name's text, unquoted (``kpixl.period`` → ``2026-03``)."""
        text = self.names.get(name)
        return text.strip().strip('"') or None if text else None

    def close(self) -> None:
        """Nothing to close (the file was read at once); here for the openpyxl shape."""


def read_values(path: str | Path, titles: set[str] | None = None, cache: dict | None = None) -> Values:
    """Read the cell values of a workbook's sheets (all, or those named in ``titles``).

    ``cache`` (a dict kept across calls) lets a sheet whose XML, shared strings and styles
    are byte for byte those of a sheet read before — twelve monthly masters copied from one
    template share their roster — be taken from it instead of scanned again.

    Cells are scanned from the sheet XML with one pattern (:func:`_scan`), several
    times faster than building an element per cell; a package whose sheets use an XML
    prefix for the spreadsheet namespace (``<x:c>``, a few libraries write it) is read by
    :func:`kpixl.xlsx.reader.read_book` instead. As that reader does, a file holding a
    ``<!DOCTYPE`` or macros, or unpacking to more than it should, is refused.

    Raises:
        FileProblem: The file is not a readable .xlsx.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            got = _fast(path, z, titles, cache if cache is not None else {})
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ET.ParseError, zlib.error, EOFError) as e:
        raise FileProblem(path, "reading the workbook", f"not a readable .xlsx ({type(e).__name__}: {e})") from None
    return got if got is not None else _slow(path, titles)


def _slow(path: Path, titles: set[str] | None) -> Values:
    book = read_book(path, sheets=titles, max_cells=MAX_CELLS)
    sheets: dict[str, _Sheet] = {}
    for s in book.sheets:
        rows: dict[int, dict[int, Any]] = {}
        for ref, cell in s.cells.items():
            v = cell.value
            if v is None:
                continue
            row, col = split_ref(ref)
            if cell.date and isinstance(v, (int, float)) and not isinstance(v, bool):
                v = from_excel(v)
            rows.setdefault(row, {})[col] = v
        sheets[s.name] = _Sheet(s.name, rows)
    return Values(sheets, {n: text for n, local, text in book.names if local is None})


_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Groups: column, row, style, type, then one of: inline text (its <is> marked by the 5th group), the
# value of a plain <v> (marked by the 7th), anything else (a formula and its value, rich text).
_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?\s*'
                   r'(?:/>|>(?:(<is>)<t(?: [^>]*)?>([^<]*)</t></is>|(<v>)([^<]*)</v>|(.*?))</c>)', re.S)
_OTHER_CELL = re.compile(r'<c(?! r=")[\s/>]')  # a cell not written <c r="…
_VALUE = re.compile(r"<v>(.*?)</v>", re.S)
_TEXT = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_SI = re.compile(r"<si>(.*?)</si>|<si/>", re.S)
_REF = re.compile(r"([A-Z]+)(\d+)")


def _part(z: zipfile.ZipFile, name: str) -> str:
    info = z.getinfo(name)
    if info.file_size > MAX_UNPACKED_BYTES:
        raise ValueError(f"{name} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    text = z.read(info).decode("utf-8")
    if "<!DOCTYPE" in text[:4096]:
        raise ValueError(f"{name} holds a DOCTYPE; refused")
    return text


def _texts(xml: str) -> str:
    return unescape("".join(m.group(1) or "" for m in _TEXT.finditer(_PHONETIC.sub("", xml))))


def _crc(z: zipfile.ZipFile, name: str) -> tuple | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    return info.CRC, info.file_size


def _fast(path: Path, z: zipfile.ZipFile, titles: set[str] | None, cache: dict) -> Values | None:
    names = set(z.namelist())
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ValueError("it contains macros (VBA)")
    if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
        raise ValueError(f"it unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    book = ET.fromstring(_part(z, "xl/workbook.xml"))
    defined = {d.get("name", ""): d.text or "" for d in book.iter(_M + "definedName") if d.get("localSheetId") is None}
    parts = {t: p for t, p in sheet_parts(z).items() if titles is None or t in titles}
    strings: list[str] = []
    if "xl/sharedStrings.xml" in names:
        sst = _part(z, "xl/sharedStrings.xml")
        if ":si>" in sst or ":si " in sst:
            return None
        strings = [_texts(m.group(1) or "") for m in _SI.finditer(sst)]
    dates = _date_styles(_part(z, "xl/styles.xml")) if "xl/styles.xml" in names else set()
    sheets: dict[str, _Sheet] = {}
    keys: dict[str, tuple] = {}
    shared = (_crc(z, "xl/sharedStrings.xml"), _crc(z, "xl/styles.xml"))
    for title, part in parts.items():
        if part not in names:
            continue
        keys[title] = key = (_crc(z, part), *shared)
        rows = cache.get(key)
        if rows is None:
            xml = _part(z, part)
            if ":sheetData" in xml:
                return None
            rows = _scan(xml, strings, dates)
            if rows is None:
                return None
            cache[key] = rows
        sheets[title] = _Sheet(title, rows)
    return Values(sheets, defined, keys)


def _date_styles(xml: str) -> set[int]:
    return date_styles(ET.fromstring(xml))


def _scan(xml: str, strings: list[str], dates: set[int]) -> dict[int, dict[int, Any]] | None:
    """Every cell's value of one sheet's XML: ``{row: {column: value}}``, 1-based, empty cells left out.

    None when a cell is written in a form the pattern does not know (attributes in another
    order, say): every ``<c`` must be matched, or the caller reads the file the slow way.
    """
    rows: dict[int, dict[int, Any]] = {}
    columns: dict[str, int] = {}
    dated: dict[str, bool] = {}
    last, got_row = None, {}
    found = _CELL.findall(xml)  # tuples, not match objects: several times fewer allocations per cell
    if len(found) > MAX_CELLS:
        raise ValueError(f"a sheet holds more than {MAX_CELLS:,} cells")
    for letters, row, s, t, is_, simple, v_, raw, inner in found:
        if is_:  # <is><t>text</t></is>: the inline text openpyxl writes
            v: Any = unescape(simple) if "&" in simple else simple
        else:
            if not v_:
                if not inner:
                    continue
                if t == "inlineStr":
                    v = _texts(inner)
                    raw = None
                else:
                    got = _VALUE.search(inner)
                    if got is None:
                        continue
                    raw = got.group(1)
            elif t == "inlineStr":
                v, raw = "", None  # a <v> in an inline string holds no text (<t>): what _texts gives
            if raw is None:
                pass
            elif not t or t == "n":
                v = float(raw)
                if s:
                    d = dated.get(s)
                    if d is None:
                        d = dated[s] = int(s) in dates
                    if d:
                        v = from_excel(v)
            elif t == "s":
                v = strings[int(raw)]
            elif t == "b":
                v = raw.strip() == "1"
            elif t in ("str", "e"):
                v = unescape(raw)
            elif t == "d":
                v = _dt.datetime.fromisoformat(raw)
            else:
                return None
        col = columns.get(letters)
        if col is None:
            col = columns[letters] = column_index_from_string(letters)
        if row != last:  # a row's cells come together
            last, r = row, int(row)
            got_row = rows.get(r)
            if got_row is None:
                rows[r] = got_row = {}
        got_row[col] = v
    # Every <c matched: as many as there are `<c r="` (each match starts at one), and no other <c.
    if len(found) != xml.count('<c r="') or _OTHER_CELL.search(xml):
        return None
    return rows
