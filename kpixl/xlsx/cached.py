"""Cached results for the formulas of a workbook openpyxl saved.

openpyxl writes a formula cell with no result (``<f>…</f><v/>``), so every reader that
does not recalculate — LibreOffice by default, Excel's Protected View, previews,
pandas — shows it blank or 0. The writers know each cell's value (the engine's), so
they :func:`remember` it with the sheet, and :func:`save_workbook` saves and then puts
each value after its formula in the sheet XML: ``t="str"`` for text (empty text too),
``t="b"`` for a boolean, ``t="e"`` for an error. Only the sheets named are rewritten;
every other part of the file is copied byte for byte. Excel still recalculates on load
(``fullCalcOnLoad``).
"""

from __future__ import annotations

import math
import os
import re
import weakref
import zipfile
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from .cellwriter import fast_cells

ERRORS = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A formula cell as openpyxl writes it: attributes with r=, the <f>, an empty or old <v>.
# (A formula's text has its "<" escaped, so [^<]* never runs into the next cell.)
_CELL = re.compile(r'<c((?: [^>]*?)?) r="([A-Z]+[0-9]+)"([^>]*?)>(<f(?: [^>]*?)?(?:/>|>[^<]*</f>))(?:<v ?/>|<v>[^<]*</v>)?</c>')
_TYPE = re.compile(r' t="[^"]*"')
# A formula cell with a cached result, as any program writes it.
_RESULT = re.compile(r'<c((?: [^>]*?)?) r="([A-Z]+[0-9]+)"([^>]*?)><f(?: [^>]*?)?>([^<]*)</f><v>([^<]*)</v></c>')
_TYPE_OF = re.compile(r' t="([^"]*)"')


@dataclass(frozen=True)
class Kept:
    """A result cached in an earlier version of the file, valid while its formula is unchanged.

    Attributes:
        formula: The formula's XML text.
        type: The cell's ``t`` attribute (None for a number).
        text: The ``<v>`` text, as it was.
    """

    formula: str
    type: str | None
    text: str

_remembered: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def remember(ws, values: Mapping[str, Any]) -> None:
    """Keep ``{cell ref: value}`` for the formulas of an openpyxl sheet, for :func:`save_workbook`.

    A later call for the same sheet adds to (and overrides) the earlier values.
    """
    _remembered.setdefault(ws, {}).update(values)


def remembered(wb) -> dict[str, dict[str, Any]]:
    """``{sheet title: {cell ref: value}}`` of the sheets of ``wb`` that have values kept."""
    return {ws.title: dict(_remembered[ws]) for ws in wb.worksheets if ws in _remembered}


def save_workbook(wb, path: str | Path, previous: str | Path | None = None) -> None:
    """Save an openpyxl workbook with the remembered results cached, recalculated on load.

    Args:
        wb: The workbook.
        path: Where to save it.
        previous: The file this save replaces. openpyxl loads formulas without their
            results, so the sheets nobody rewrote keep the results cached there, cell by
            cell, wherever the formula is still the same.
    """
    wb.calculation.fullCalcOnLoad = True
    with fast_cells():  # the same bytes as openpyxl's own cell writer, in under half the time
        wb.save(path)
    add_cached_values(path, results_to_cache(wb, previous))


def results_to_cache(wb, previous: str | Path | None = None, skip: Iterable[str] = ()) -> dict[str, Mapping[str, Any]]:
    """``{sheet title: {cell ref: value or Kept}}``: the results :func:`save_workbook` caches (none from
    ``previous`` for the sheets ``skip``: their cells are written as they were, results and all)."""
    values: dict[str, Mapping[str, Any]] = {}
    fresh = remembered(wb)
    if previous is not None and Path(previous).exists():
        values.update(kept_results(previous, skip={*fresh, *skip}))  # a rewritten sheet's old results are not wanted
    values.update(fresh)
    return values


def kept_results(path: str | Path, skip: Iterable[str] = ()) -> dict[str, dict[str, Kept]]:
    """``{sheet title: {cell ref: Kept}}`` of every formula result cached in an xlsx (but the sheets ``skip``)."""
    out: dict[str, dict[str, Kept]] = {}
    skip = set(skip)
    with zipfile.ZipFile(path) as z:
        for title, part in sheet_parts(z).items():
            if title in skip:
                continue
            try:
                xml = z.read(part).decode("utf-8")
            except KeyError:
                continue
            got = {}
            for m in _RESULT.finditer(xml):
                before, ref, after, formula, text = m.groups()
                t = _TYPE_OF.search(before + after)
                got[ref] = Kept(formula, t.group(1) if t else None, text)
            if got:
                out[title] = got
    return out


def _encode(value: Any) -> tuple[str | None, str] | None:
    """``(t attribute, <v> text)`` of a value; None when nothing is to be cached."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return ("e" if value in ERRORS else "str"), escape(value)
    f = float(value)
    if math.isnan(f) or math.isinf(f):
        return None
    return None, (str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f))


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its part name in the package."""
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship")}
    book = ET.fromstring(z.read("xl/workbook.xml"))
    out = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _inner(formula: str) -> str | None:
    """The text of an ``<f>`` element (None for an empty one)."""
    start = formula.find(">")
    return None if formula.endswith("/>") else formula[start + 1:-len("</f>")]


def rewrite_sheet(xml: str, values: Mapping[str, Any]) -> str:
    """The sheet XML with each formula cell in ``values`` caching its value (or :class:`Kept` result)."""

    def put(m: re.Match) -> str:
        before, ref, after, formula = m.groups()
        value = values.get(ref)
        if isinstance(value, Kept):
            if value.formula != _inner(formula):
                return m.group(0)
            got = (None if value.type == "n" else value.type, value.text)
        else:
            got = _encode(value)
        if got is None:
            return m.group(0)
        t, text = got
        attrs = _TYPE.sub("", before) + f' r="{ref}"' + _TYPE.sub("", after) + (f' t="{t}"' if t else "")
        return f"<c{attrs}>{formula}<v>{text}</v></c>"

    return _CELL.sub(put, xml)


def add_cached_values(path: str | Path, values: Mapping[str, Mapping[str, Any]]) -> None:
    """Cache ``{sheet title: {cell ref: value}}`` beside the formulas of the saved ``path``.

    The package is copied member by member into a file beside it, which then replaces
    it; only the named sheets' XML changes.
    """
    values = {k: v for k, v in values.items() if v}
    if not values:
        return
    path = Path(path)
    tmp = path.with_name(f".{path.name}.cached")
    try:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
            parts = {part: values[title] for title, part in sheet_parts(zin).items() if title in values}
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename in parts:
                    data = rewrite_sheet(data.decode("utf-8"), parts[info.filename]).encode("utf-8")
                zout.writestr(info, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
