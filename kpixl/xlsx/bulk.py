"""Bulk data rows written straight into a saved package: the year's ``期间成绩`` (60,000 rows at 5,000
people), and the master's ``Results``, ``考核历史``, ``Issues``, ``Log`` and record store on every collect.

openpyxl builds a cell object per value and serialises it through an element tree
(~15 µs a cell); a data sheet of plain values needs neither. The sheet is laid out by
openpyxl as usual (header rows, widths, frozen panes), saved, and its rows are then
appended to the saved ``<sheetData>`` as XML text. Text is written as a shared string,
so it is always text — never a formula (:mod:`kpixl.xlsx.text`): ``=1+1`` stays ``=1+1``;
characters XML cannot hold are shown as ``\\x07``, as :func:`kpixl.xlsx.text.append_row` does.
A column's style is that of its cell in a row openpyxl wrote (``style_row``); a row may have a
height. :func:`save_with_rows` saves an openpyxl workbook, caches its formulas' results and
appends the rows in one copy of the package.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import zipfile
from pathlib import Path
from dataclasses import dataclass
from itertools import chain
from typing import Any, Sequence
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from .cached import ERRORS, results_to_cache, rewrite_sheet, sheet_parts
from .cells import storable
from .cellwriter import fast_cells

__all__ = ["Bulk", "Formula", "Strings", "append_rows", "row_xml", "save_with_rows"]

_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


def _text(v: str) -> str:
    v = storable(v)
    space = ' xml:space="preserve"' if v != v.strip() else ""
    return f"<is><t{space}>{escape(v)}</t></is>"


@dataclass(frozen=True)
class Formula:
    """A formula cell for :func:`row_xml`: its text (without ``=``) and the engine's value, cached beside it."""

    text: str
    cached: Any = None


def _cached(v: Any) -> tuple[str, str] | None:
    """``(t attribute, <v> text)`` of a cached result (as :mod:`kpixl.xlsx.cached` writes them)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return ' t="b"', str(int(v))
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return None
        return "", str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    text = str(v)
    return (' t="e"' if text in ERRORS else ' t="str"'), escape(text)  # "#1 组" is text, not an error


class Strings:
    """The shared strings the appended rows use (text repeats: a file name, a period, a SHA-256 per row)."""

    def __init__(self, start: int = 0):
        self.start = start
        self.index: dict[str, int] = {}
        self.refs = 0

    def __call__(self, text: str) -> int:
        self.refs += 1
        k = self.index.get(text)
        if k is None:
            k = self.index[text] = self.start + len(self.index)
        return k

    def raw(self, item: str) -> int:
        """The index of a shared string given as its ``<si>`` element's XML content (copied as it is:
        rich text keeps its runs)."""
        return self(_Raw(item))

    def items_xml(self) -> str:
        return "".join(f"<si>{t}</si>" if type(t) is _Raw else f"<si>{_text(t)[4:-5]}</si>"  # <is>…</is> → <si>…</si>
                       for t in self.index)


class _Raw(str):
    """A shared string's XML content (not its text): never equal to a text of the same characters."""

    def __eq__(self, other):
        return type(other) is _Raw and str.__eq__(self, other)

    def __hash__(self):
        return hash(("raw", str(self)))


def row_xml(r: int, values: Sequence[Any], letters: Sequence[str], styles: dict[str, str] | None = None,
            strings: Strings | None = None, height: float | None = None) -> str:
    """One ``<row>``: numbers as numbers, :class:`Formula` as a formula with its cached value, everything
    else as text (a shared string with ``strings``, else inline); blanks left out. ``styles`` gives a
    column's style index (``s``); ``height`` the row's height in points (as openpyxl writes one)."""
    styles = styles or {}
    heads = [f'<c r="{c}{r}"' + (f' s="{styles[c]}"' if c in styles else "") for c in letters]
    ht = f' ht="{height:.16g}" customHeight="1"' if height else ""
    return f'<row r="{r}"{ht}>{"".join(_cells(heads, values, strings))}</row>'


def _cells(heads: list[str], values: Sequence[Any], strings: Strings | None):
    for head, v in zip(heads, values):
        kind = type(v)
        if kind is float or kind is int:  # the common case first (bool is not int here)
            if v != v or v in (math.inf, -math.inf):
                continue
            yield f"{head}><v>{int(v) if v == int(v) and abs(v) < 1e15 else repr(float(v))}</v></c>"
        elif kind is str:
            yield (f'{head} t="s"><v>{strings(v)}</v></c>' if strings is not None
                   else f'{head} t="inlineStr">{_text(v)}</c>')
        elif v is None:
            if " s=" in head:
                yield f"{head}/>"
        elif kind is Formula:
            got = _cached(v.cached)
            t, text = got if got is not None else ("", None)
            yield f"{head}{t}><f>{escape(v.text)}</f>{f'<v>{text}</v>' if text is not None else ''}</c>"
        elif isinstance(v, bool):
            yield f'{head} t="b"><v>{int(v)}</v></c>'
        elif isinstance(v, (int, float)):  # NumPy numbers and other number types
            yield from _cells([head], [float(v)], strings)
        else:
            text = v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else str(v)
            yield from _cells([head], [text], strings)


@dataclass
class Bulk:
    """Rows to append to one sheet: from sheet row ``first``, ``width`` columns wide; with ``style_row``
    each column takes the style of that (already written) row's cell; ``heights`` gives each row's
    height in points (None or 0: the default height)."""

    first: int
    rows: list[Sequence[Any]]
    width: int
    style_row: int | None = None
    heights: Sequence[float | None] | None = None


_STYLED = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>)')
_S = re.compile(r'\ss="(\d+)"')


def _styles(xml: str, row: int) -> dict[str, str]:
    start = xml.find(f'<row r="{row}"')
    if start < 0:
        return {}
    end = xml.find("</row>", start)
    out = {}
    for m in _STYLED.finditer(xml, start, end):
        got = _S.search(m.group(3))
        if got:
            out[m.group(1)] = got.group(1)
    return out


_SST = "xl/sharedStrings.xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_UNIQUE = re.compile(r'uniqueCount="(\d+)"')


def append_rows(path: str | Path, sheets: dict[str, Bulk]) -> None:
    """Append each :class:`Bulk`'s rows to its sheet of the saved workbook ``path``.

    A sheet must have no row at or after its ``first`` (openpyxl wrote only the rows
    before). Text goes to the shared strings (openpyxl writes none of its own: it writes
    text inline; one left by another writer is extended). The package is copied member
    by member into a file beside it, which then replaces it.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.rows")
    try:
        with zipfile.ZipFile(path) as zin:
            _copy(zin, tmp, sheets)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_with_rows(wb, path: str | Path, sheets: dict[str, Bulk], previous: str | Path | None = None,
                   kept: dict[str, Any] | None = None) -> None:
    """:func:`kpixl.xlsx.cached.save_workbook` and :func:`append_rows` in one pass.

    openpyxl saves the package in memory; it is then copied once into ``path``, each rewritten
    sheet's formulas caching their results (as ``save_workbook`` does) and each :class:`Bulk`'s
    rows appended — rather than written, read back and written again twice. ``kept``: sheet title →
    the cells openpyxl never held (:class:`kpixl.master.kept.Kept`), put back into its sheet as they were
    (their formulas' results with them).
    """
    kept = kept or {}
    buf = io.BytesIO()
    wb.calculation.fullCalcOnLoad = True
    with fast_cells():  # the same bytes as openpyxl's own cell writer, in under half the time
        wb.save(buf)
    results = results_to_cache(wb, previous, skip=kept)
    with zipfile.ZipFile(buf) as zin:
        _copy(zin, Path(path), sheets, results, kept)


def _copy(zin: zipfile.ZipFile, out: Path, sheets: dict[str, Bulk], results: dict[str, Any] | None = None,
          kept: dict[str, Any] | None = None) -> None:
    """Copy the package ``zin`` into ``out`` with the rows appended (and results cached: title → values;
    kept cells spliced in: title → an object whose ``splice(xml, strings)`` gives the sheet's XML).

    A package without shared strings gets them, declared in this same copy, whenever rows are
    appended or kept cells use them (then the shared strings may be empty).
    """
    results = {k: v for k, v in (results or {}).items() if v}
    kept = kept or {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        names = set(zin.namelist())
        old_sst = zin.read(_SST).decode("utf-8") if _SST in names else None
        got = _UNIQUE.search(old_sst or "")
        strings = Strings(int(got.group(1)) if got else 0)
        titles = sheet_parts(zin)
        parts = {part: sheets[title] for title, part in titles.items() if title in sheets}
        cache = {part: results[title] for title, part in titles.items() if title in results}
        splice = {part: kept[title] for title, part in titles.items() if title in kept}
        now = old_sst is None and (any(b.rows for b in parts.values()) or any(k.shared for k in splice.values()))
        for info in zin.infolist():
            data = zin.read(info)
            bulk = parts.get(info.filename)
            values = cache.get(info.filename)
            cells = splice.get(info.filename)
            if values is not None or (bulk is not None and bulk.rows) or cells is not None:
                xml = data.decode("utf-8")
                if cells is not None:
                    xml = cells.splice(xml, strings)
                elif values is not None:
                    xml = rewrite_sheet(xml, values)
                if bulk is not None and bulk.rows:
                    xml = _append(xml, bulk, strings)
                data = xml.encode("utf-8")
            elif now:
                data = _declared(info.filename, data)
            if info.filename != _SST:
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        need = old_sst is not None or bool(strings.index) or now
        if need:
            zout.writestr(_SST, _sst(old_sst, strings).encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)


def _sst(old: str | None, strings: Strings) -> str:
    new = strings.items_xml()
    total = strings.start + len(strings.index)
    if old is None:
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{strings.refs}" uniqueCount="{total}">{new}</sst>')
    old = _UNIQUE.sub(f'uniqueCount="{total}"', old, count=1)
    old = re.sub(r'\scount="\d+"', "", old, count=1)  # the number of references: optional, left out
    return old.replace("</sst>", new + "</sst>", 1) if "</sst>" in old else old.replace("/>", ">" + new + "</sst>", 1)


def _declared(name: str, data: bytes) -> bytes:
    """A package part with the new shared strings declared (its content type; the workbook's link)."""
    if name == "[Content_Types].xml":
        return data.decode("utf-8").replace(
            "</Types>", f'<Override PartName="/{_SST}" ContentType="{_SST_TYPE}"/></Types>', 1).encode("utf-8")
    if name == "xl/_rels/workbook.xml.rels":
        return data.decode("utf-8").replace(
            "</Relationships>", f'<Relationship Id="rIdKpixlStrings" Type="{_SST_REL}" '
                                f'Target="sharedStrings.xml"/></Relationships>', 1).encode("utf-8")
    return data


def _fast_row(r: int, values: Sequence[Any], pre: list[str], post: list[str], strings: Strings,
              height: float | None) -> str:
    """:func:`row_xml` with shared strings, the same text, with each column's head worked out once
    (``pre`` + row + ``post``) and the common values written inline (a sheet of 60,000 rows)."""
    rs = str(r)
    out = [f'<row r="{rs}" ht="{height:.16g}" customHeight="1">' if height else f'<row r="{rs}">']
    add = out.append
    for a, b, v in zip(pre, post, values):
        kind = type(v)
        if kind is str:
            add(f'{a}{rs}{b} t="s"><v>{strings(v)}</v></c>')
        elif kind is float or kind is int:
            if v != v or v in (math.inf, -math.inf):
                continue
            add(f"{a}{rs}{b}><v>{int(v) if v == int(v) and abs(v) < 1e15 else repr(float(v))}</v></c>")
        elif v is None:
            if b != '"':
                add(f"{a}{rs}{b}/>")
        else:
            out.extend(_cells([f"{a}{rs}{b}"], [v], strings))
    out.append("</row>")
    return "".join(out)


def _append(xml: str, bulk: Bulk, strings: Strings) -> str:
    letters = [get_column_letter(j) for j in range(1, bulk.width + 1)]
    styles = (_styles(xml, bulk.style_row) if bulk.style_row else None) or {}
    heights = bulk.heights or ()
    if not any(heights) and all(len(r) == bulk.width for r in bulk.rows):
        body = _body(bulk.first, bulk.rows, letters, styles, strings)  # a column at a time
    else:  # rows of their own heights, or ragged: row by row
        pre = [f'<c r="{c}' for c in letters]
        post = ['"' + (f' s="{styles[c]}"' if c in styles else "") for c in letters]
        body = "".join(_fast_row(bulk.first + k, r, pre, post, strings, heights[k] if k < len(heights) else None)
                       for k, r in enumerate(bulk.rows))
    last = bulk.first + len(bulk.rows) - 1
    xml = _DIMENSION.sub(f'<dimension ref="A1:{letters[-1]}{last}"/>', xml, count=1)
    if "</sheetData>" in xml:
        return xml.replace("</sheetData>", body + "</sheetData>", 1)
    return re.sub(r"<sheetData\s*/>", lambda _: "<sheetData>" + body + "</sheetData>", xml, count=1)  # empty


def _as_text(v: Any) -> str | None:
    """The text :func:`_cells` writes for a value that is neither text, a number, a formula nor blank."""
    if v is None or isinstance(v, (bool, int, float, Formula)):
        return None
    return v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else str(v)


def _body(first: int, rows: Sequence[Sequence[Any]], letters: Sequence[str], styles: dict[str, str],
          strings: Strings) -> str:
    """What :func:`row_xml` writes for every row — the same bytes — built a column at a time: a column
    of one type (text, finite numbers) becomes one cell template filled by ``%`` over all the rows at
    once; a column of several types (blanks, formulas) is written cell by cell."""
    columns = list(zip(*rows))[:len(letters)]
    kinds = [set(map(type, values)) for values in columns]
    # The columns that may hold text, row by row: the shared strings are numbered in that order.
    _number(list(zip(*(c for c, k in zip(columns, kinds) if not k <= _NO_TEXT))), strings)
    nums = range(first, first + len(rows))
    index = strings.index
    templates, args = [], []
    for letter, values, kinds in zip(letters, columns, kinds):
        s = f' s="{styles[letter]}"' if letter in styles else ""
        if kinds == {str} and all(map(index.__contains__, values)):
            strings.refs += len(values)
            templates.append(f'<c r="{letter}%d"{s} t="s"><v>%d</v></c>')
            args += [nums, list(map(index.__getitem__, values))]
        elif kinds <= {float, int} and _finite(values):
            templates.append(f'<c r="{letter}%d"{s}><v>%s</v></c>')
            args += [nums, _each(values, _number_text)]
        elif kinds == {Formula}:
            templates.append(f'<c r="{letter}%d"{s}%s><f>%s</f>%s</c>')
            got = [("", _number_text(v)) if type(v) is float and math.isfinite(v) else _cached(v)
                   for v in (f.cached for f in values)]
            args += [nums, [g[0] if g is not None else "" for g in got],
                     [f.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for f in values],
                     [f"<v>{g[1]}</v>" if g is not None else "" for g in got]]
        else:
            templates.append("%s")
            args.append(_column(letter, letter in styles, s, nums, values, strings))
    row = '<row r="%d">' + "".join(templates) + "</row>"
    return (row * len(rows)) % tuple(chain.from_iterable(zip(nums, *args)))


_NO_TEXT = {float, int, bool, type(None), Formula}  # the types row_xml writes without a shared string


def _finite(values: Sequence[Any]) -> bool:
    try:
        return all(map(math.isfinite, values))
    except OverflowError:  # an int too large for a float
        return False


def _each(values: Sequence[Any], f) -> list:
    """``[f(v) for v in values]``, calling ``f`` once per distinct value (equal numbers have one text)."""
    got = dict.fromkeys(values)
    for v in got:
        got[v] = f(v)
    return list(map(got.__getitem__, values))


def _number(rows: Sequence[Sequence[Any]], strings: Strings) -> None:
    """Give the rows' texts their shared-string numbers in row order, as :func:`row_xml` would (the
    references are counted as the cells are written)."""
    try:
        values: Any = dict.fromkeys(chain.from_iterable(rows))  # each value once, in row order
    except TypeError:  # an unhashable value
        values = chain.from_iterable(rows)
    refs = strings.refs
    for v in values:
        text = v if type(v) is str else _as_text(v)
        if text is not None:
            strings(text)
    strings.refs = refs


def _number_text(v: Any) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(float(v))


def _column(letter: str, styled: bool, s: str, nums: range, values: Sequence[Any], strings: Strings) -> list[str]:
    out = []
    for r, v in zip(nums, values):
        kind = type(v)
        if kind is str:
            out.append(f'<c r="{letter}{r}"{s} t="s"><v>{strings(v)}</v></c>')
        elif kind is float or kind is int:
            if v != v or v in (math.inf, -math.inf):
                out.append("")
            else:
                out.append(f'<c r="{letter}{r}"{s}><v>{_number_text(v)}</v></c>')
        elif v is None:
            out.append(f'<c r="{letter}{r}"{s}/>' if styled else "")
        elif kind is Formula:
            got = _cached(v.cached)
            t, text = got if got is not None else ("", None)
            out.append(f'<c r="{letter}{r}"{s}{t}><f>{escape(v.text)}</f>{f"<v>{text}</v>" if text is not None else ""}'
                       "</c>")
        else:  # a bool, a NumPy number, a date…
            out.append("".join(_cells([f'<c r="{letter}{r}"{s}'], [v], strings)))
    return out
