"""Formulas that call the add-in's functions, stored the way Excel stores them.

Excel keeps a call to a function of an add-in workbook (``.xlam``) as an external
reference: the cell's formula is ``[1]!KPI_RATIO(H7,I7,J7,K7)``, where ``[1]`` is the
workbook's first ``<externalReference>``, whose part ``xl/externalLinks/externalLink1.xml``
holds an ``externalBook`` naming the add-in's sheets and, as ``definedNames``, the
functions used. The book's location is a relationship with ``TargetMode="External"``.
Excel writes a book in the user's start-up folder (XLSTART, where ``kpixl addin install``
puts ``kpixl.xlam``) with the ``xlExternalLinkPath/xlStartup`` relationship type and a
target relative to that folder — so the link is the same on every machine, and Excel
resolves it to the installed add-in (a book of that name that is already open, as an
add-in loaded from XLSTART is). A bare ``=KPI_RATIO(...)`` in the file, by contrast, is
an unknown name: Excel shows ``#NAME?`` until the cell is re-entered.

openpyxl writes external links it has read (``Workbook._external_links``, its only way
in: it has no public API for new ones) but no cached value for a formula, so
:func:`set_cached_values` adds those afterwards: a reader that cannot call the add-in
(LibreOffice, Excel before the link is updated, a file preview) then shows the value the
Python engine computed rather than nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.packaging.relationship import Relationship
from openpyxl.workbook.external_link.external import (
    ExternalBook,
    ExternalDefinedName,
    ExternalLink,
    ExternalSheetNames,
)

from kpixl.addin.build import ADDIN_NAME, CONFIG_SHEET

__all__ = ["STARTUP_LINK", "addin_formula", "link_addin", "set_cached_values"]

#: Relationship type of a link to a book in Excel's start-up folder (MS-XLSX).
STARTUP_LINK = "http://schemas.microsoft.com/office/2006/relationships/xlExternalLinkPath/xlStartup"


def addin_formula(name: str, args: Iterable[str], book: int = 1) -> str:
    """The stored formula of a call to an add-in function: ``=[1]!NAME(a,b)``.

    Args:
        name: The function's name.
        args: Each argument's formula text (empty for an omitted optional).
        book: The external reference's number (1 = the workbook's first).
    """
    return f"=[{book}]!{name}({','.join(args)})"


def link_addin(workbook, functions: Iterable[str], addin: str = ADDIN_NAME,
               sheets: Iterable[str] = (CONFIG_SHEET,)) -> int:
    """Add the external reference to the add-in that :func:`addin_formula` refers to.

    Args:
        workbook: An ``openpyxl.Workbook``.
        functions: The add-in functions the workbook calls (repeats ignored, order kept).
        addin: The add-in's file name in XLSTART.
        sheets: The add-in's sheet names (Excel records them with the link).

    Returns:
        The reference's number, for ``[n]!`` in formulas.
    """
    names = list(dict.fromkeys(functions))
    book = ExternalBook(
        sheetNames=ExternalSheetNames(sheetName=list(sheets)),
        definedNames=[ExternalDefinedName(name=n) for n in names],
        id="rId1",
    )
    link = ExternalLink(externalBook=book)
    link.file_link = Relationship(Id="rId1", Type=STARTUP_LINK, Target=addin, TargetMode="External")
    workbook._external_links.append(link)
    return len(workbook._external_links)


def _cached(ref: str, value) -> tuple[str, str]:
    """(type attribute, ``<v>`` text) of a formula cell's cached value."""
    if isinstance(value, bool):
        return ' t="b"', "1" if value else "0"
    if isinstance(value, (int, float)):
        return "", repr(float(value)) if not float(value).is_integer() else str(int(value))
    if isinstance(value, str):
        return ' t="str"', escape(value)
    raise TypeError(f"{ref}: cannot cache {value!r}")


def set_cached_values(path: str | Path, sheet_part: str, values: Mapping[str, object]) -> None:
    """Store cached values for formula cells of a saved workbook, in place.

    Args:
        path: An ``.xlsx`` written by openpyxl (formula cells end ``<v />``).
        sheet_part: The worksheet's part, e.g. ``xl/worksheets/sheet1.xml``.
        values: Cell reference (``E7``) -> the value to cache (number, text, bool).

    Raises:
        KeyError: A referenced cell is not a formula cell of that sheet.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    by_name = {info.filename: info for info in parts}
    xml = parts[by_name[sheet_part]].decode("utf-8")
    for ref, value in values.items():
        pattern = re.compile(rf'<c r="{ref}"((?: [a-z]+="[^"]*")*)>(<f[ >].*?</f>)<v ?/>')
        match = pattern.search(xml)
        if match is None:
            raise KeyError(f"{sheet_part}: {ref} is not a formula cell")
        kind, text = _cached(ref, value)
        attributes = re.sub(r' t="[^"]*"', "", match.group(1)) + kind
        xml = xml[: match.start()] + f'<c r="{ref}"{attributes}>{match.group(2)}<v>{text}</v>' + xml[match.end():]
    parts[by_name[sheet_part]] = xml.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info, data in parts.items():
            out.writestr(info, data)
    path.write_bytes(buffer.getvalue())
