"""HR's sheets a run leaves alone, carried into the saved master as they were: their cells are never openpyxl's.

openpyxl builds an object per cell on loading (~7 µs) and serialises it again on saving; the
roster of 1,000 people is 7,000 cells that collect never reads through openpyxl (it reads the
roster from the XML, :mod:`kpixl.xlsx.scan`) and never changes. :func:`take_cells` takes the
``<sheetData>`` out of such a sheet's XML before openpyxl loads it: openpyxl still loads
everything else of the sheet — column widths, frozen panes, the Excel table, validation,
conditional formats, print set-up, merged ranges, hyperlinks and comments — and writes it back
as it always does; :meth:`Kept.splice` then puts the original ``<sheetData>`` into the sheet
openpyxl saved, byte for byte (its rows' heights and styles, formulas with their cached results,
rich text).

What a cell refers to outside its sheet stays right:

* styles: openpyxl writes the loaded ``cellXfs`` back in their order (new styles after), so a
  cell's ``s`` index names the same style;
* shared strings: openpyxl writes none (its text is inline); each shared string a kept cell
  uses is copied (as its ``<si>``, runs and all) into the saved master's shared strings and the
  cell's index is renumbered;
* namespaces: what the original worksheet element declared for its rows (Excel's
  ``x14ac:dyDescent``) is declared again, ignorable as it was.

A sheet whose XML does not have the plain shape this relies on (one unprefixed ``sheetData`` in
the main namespace, UTF-8, no comments, CDATA or processing instructions among the cells, every
shared-string cell's index a plain number, no cell pointing into the workbook's metadata part,
which openpyxl drops) is not taken: openpyxl loads it whole, as before.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["Kept", "shared_strings", "take_cells"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MCE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"

_ATTRS = r"""((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)"""
_ATTR = re.compile(r"""([^\s=>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROOT = re.compile(r"<worksheet" + _ATTRS + r"\s*>")
_OPEN = re.compile(r"<sheetData\s*(/?)>")
_CLOSE = re.compile(r"</sheetData\s*>")
_DIMENSION = re.compile(r"<dimension" + _ATTRS + r"\s*/>")
_ENCODING = re.compile(r"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']*)["']""")
# A cell's start tag and, right after it, its <v> holding a number (a shared string's index).
_CELL = re.compile(r"<c" + _ATTRS + r"\s*>(\s*<v>\s*)(\d+)(\s*</v>)")
_CELL_TAG = re.compile(r"<c" + _ATTRS + r"\s*(/?)>")
_SHARED = re.compile(r"""\st\s*=\s*(?:"s"|'s')""")
_SST_ROOT = re.compile(r"<sst" + _ATTRS + r"\s*/?>")
_SI = re.compile(r"<si\s*>(.*?)</si\s*>|<si\s*/>", re.S)
_MERGES = re.compile(r"<mergeCells\b[^>]*/>|<mergeCells\b[^>]*>.*?</mergeCells\s*>", re.S)
# A cell pointing into the workbook's cell or value metadata (Excel's dynamic arrays, pictures in cells):
# openpyxl does not keep that part.
_METADATA = re.compile(r"""\s[cv]m\s*=\s*["']""")
_PREFIXED = re.compile(r"<[A-Za-z_][\w.-]*:|\s(?!xml:)[A-Za-z_][\w.-]*:[\w.-]+\s*=")


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(text)}


@dataclass
class Kept:
    """The cells of one sheet, as its XML held them, for the sheet openpyxl saves without them.

    Attributes:
        ws: The openpyxl sheet loaded without these cells, or with them for reading (``merges``); a
            sheet replaced meanwhile is not this one.
        data: The original ``<sheetData>`` content.
        dimension: The original ``<dimension/>`` element.
        namespaces: Prefix → namespace the original worksheet element declared and the cells use.
        ignorable: Those prefixes that were ignorable (``mc:Ignorable``), and the ``mc`` prefix.
        strings: The original shared strings (each ``<si>``'s content) when a cell uses one, else None.
        merges: For a sheet loaded with its cells (``read``): its merged ranges, which openpyxl did not
            load (it makes every covered cell over, slowly, for the saved sheet it no longer writes).
    """

    data: str
    dimension: str
    namespaces: dict[str, str] = field(default_factory=dict)
    ignorable: tuple[str, list[str]] | None = None
    strings: list[str] | None = None
    ws: Any = None
    merges: list[str] | None = None

    @property
    def shared(self) -> bool:
        """Whether a cell uses a shared string (the saved master then needs its shared strings)."""
        return self.strings is not None

    def splice(self, xml: str, strings) -> str:
        """The sheet XML openpyxl saved (no cells of its own that count) with the original cells in.

        Args:
            xml: The sheet's part as openpyxl wrote it.
            strings: The saved master's shared strings (:class:`kpixl.xlsx.bulk.Strings`); a kept
                cell's shared string is added there and the cell renumbered.
        """
        data = self.data
        if self.strings is not None:
            items, index = self.strings, {}

            def renumber(m: re.Match) -> str:
                if not _SHARED.search(m.group(1)):
                    return m.group(0)
                old = int(m.group(3))
                new = index.get(old)
                if new is None:
                    new = index[old] = strings.raw(items[old])
                else:
                    strings.refs += 1
                return f"<c{m.group(1)}>{m.group(2)}{new}{m.group(4)}"

            data = _CELL.sub(renumber, data)
        declared = "".join(f' xmlns:{p}="{_escape(u)}"' for p, u in self.namespaces.items())
        if self.ignorable is not None:
            mc, prefixes = self.ignorable
            declared += (f' xmlns:{mc}="{_MCE}"' if mc not in self.namespaces else "") + \
                f' {mc}:Ignorable="{" ".join(prefixes)}"'
        root = _ROOT.search(xml)
        if declared and root is not None and not (set(_attrs(root.group(1))) & set(_attrs(declared))):
            xml = xml[:root.end(1)] + declared + xml[root.end(1):]
            declared = ""
        # Declared on <sheetData> when openpyxl's worksheet element has one of those names already.
        cells = f"<sheetData{declared}>{data}</sheetData>"
        xml = re.sub(r"<sheetData\s*/>|<sheetData\s*>.*?</sheetData\s*>", lambda _: cells, xml, count=1, flags=re.S)
        return _DIMENSION.sub(lambda _: self.dimension, xml, count=1)


def _escape(text: str) -> str:
    # An attribute's text as the source held it (entities still escaped), now between double quotes.
    return text.replace('"', "&quot;")


def take_cells(xml: bytes, strings: "list[str] | None | Any", read: bool = False) -> tuple[bytes, Kept] | None:
    """A sheet's XML without its cells, and the cells kept; None when the sheet is not plain enough.

    Args:
        xml: The sheet's part.
        strings: The package's shared strings (:func:`shared_strings`), or a callable giving them
            (called only when a cell uses one); None when the package has none.
        read: Keep the cells in the XML too (the caller reads them through openpyxl), without the
            merged ranges (:attr:`Kept.merges`).
    """
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        return None
    enc = _ENCODING.match(text)
    if enc and enc.group(1).lower().replace("-", "") != "utf8":
        return None
    root = _ROOT.search(text)
    opens, closes = list(_OPEN.finditer(text)), list(_CLOSE.finditer(text))
    if root is None or len(opens) != 1 or len(closes) > 1 or "<!DOCTYPE" in text:
        return None
    attrs = _attrs(root.group(1))
    if attrs.get("xmlns") != _MAIN or _MAIN in [u for a, u in attrs.items() if a.startswith("xmlns:")]:
        return None
    start = opens[0]
    if start.group(1):  # <sheetData/>
        data, end = "", start.end()
    elif closes and closes[0].start() >= start.end():
        data, end = text[start.end():closes[0].start()], closes[0].end()
    else:
        return None
    if "<!" in data or "<?" in data or "xmlns" in data or _METADATA.search(data):
        return None
    dimension = _DIMENSION.search(text, 0, start.start())
    if dimension is None:
        return None
    namespaces = {a[6:]: u for a, u in attrs.items() if a.startswith("xmlns:") and f"{a[6:]}:" in data}
    mc = next((a[6:] for a, u in attrs.items() if a.startswith("xmlns:") and u == _MCE), None)
    ignorable = None
    if mc is not None:
        used = [p for p in attrs.get(f"{mc}:Ignorable", "").split() if p in namespaces and p != mc]
        if used:
            ignorable = (mc, used)
    kept = Kept(data, dimension.group(0), namespaces, ignorable)
    if _SHARED.search(data):
        shared = [m for m in _CELL_TAG.finditer(data) if not m.group(2) and _SHARED.search(m.group(1))]
        if shared:
            items = strings() if callable(strings) else strings
            found = [int(m.group(3)) for m in _CELL.finditer(data) if _SHARED.search(m.group(1))]
            if items is None or len(found) != len(shared) or max(found) >= len(items):
                return None  # an index written otherwise (an entity, a CDATA), or none such
            kept.strings = items
    if read:
        merges = _MERGES.findall(text, end)
        if len(merges) > 1 or text.count("<mergeCell", end) != sum(m.count("<mergeCell") for m in merges):
            return None
        try:
            kept.merges = [] if not merges else [
                c.get("ref") for c in ET.fromstring(f'<x xmlns="{_MAIN}">{merges[0]}</x>').iter(f"{{{_MAIN}}}mergeCell")]
        except ET.ParseError:
            return None
        if None in kept.merges:
            return None
        return (text[:end] + _MERGES.sub("", text[end:], count=1)).encode("utf-8"), kept
    return text[:start.start()].encode("utf-8") + b"<sheetData/>" + text[end:].encode("utf-8"), kept


def shared_strings(z: zipfile.ZipFile) -> list[str] | None:
    """Each ``<si>``'s content of a package's shared strings, in order; None when there are none or
    they are not plain enough to copy (another namespace's prefix, a comment, not UTF-8)."""
    try:
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next((r.get("Target", "") for r in rels.iter(f"{_REL}Relationship") if r.get("Type") == _SST_TYPE), None)
        if target is None:
            return None
        text = z.read(target.lstrip("/") if target.startswith("/") else "xl/" + target).decode("utf-8")
    except (KeyError, ET.ParseError, UnicodeDecodeError):
        return None
    enc = _ENCODING.match(text)
    root = _SST_ROOT.search(text)
    if (enc and enc.group(1).lower().replace("-", "") != "utf8") or root is None or "<!" in text:
        return None
    if _attrs(root.group(1)).get("xmlns") != _MAIN or "xmlns" in text[root.end():] or _PREFIXED.search(text, root.end()):
        return None
    items = [m.group(1) or "" for m in _SI.finditer(text, root.end())]
    if len(items) != text.count("<si", root.end()):
        return None
    return items
