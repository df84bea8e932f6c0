"""Build the Excel add-in ``kpixl.xlam`` on any platform, from the registry and the UDFs.

The package is written part by part (no template is patched), and deterministically —
parts in a fixed order, fixed timestamps, stored uncompressed so no zlib version can
change a byte — so the committed ``kpixl/data/kpixl.xlam`` changes only when an input
does (``scripts/build-addin``; a test compares it with a fresh build):

* ``customUI/customUI.xml`` — the ribbon, generated from ``kpixl.macros.registry``:
  one tab, a group per :attr:`Button.group`, one large button per :class:`Button` whose
  ``tag`` is the button id and whose ``onAction`` is the one callback ``KpixlButton``.
  Namespace ``2006/01/customui`` with the matching ``2006`` relationship type (xlwings'
  template pairs that namespace with the 2007 type; Office tolerates it, the spec does
  not say so).
* ``xl/vbaProject.bin`` (:mod:`kpixl.addin.vbaproject`) with the modules
  ``ThisWorkbook`` and ``Sheet1`` (empty document modules), ``xlwings`` (xlwings'
  ``xlwings_custom_addin.bas`` — the module ``xlwings quickstart --addin`` ships — with
  ``PROJECT_NAME = "kpixl"``), ``KpixlRibbon`` (the callback) and ``xlwings_udfs`` (the
  wrappers xlwings' own generator writes for ``kpixl.udfs``; pre-built, so users never
  need "Trust access to the VBA project" to import functions) and ``KpixlHelp``
  (:mod:`kpixl.addin.udfhelp`: the Insert Function help xlwings' import would set with
  ``Application.MacroOptions``, set by ``ThisWorkbook``'s ``Workbook_Open`` on every load).
* one hidden sheet ``kpixl.conf`` holding ``UDF Modules = kpixl.udfs``.

Configuration (decision). xlwings' custom-add-in module looks a key up in, first match
wins: a sheet ``<PROJECT_NAME>.conf`` in the active workbook, the same sheet in the
add-in, ``<workbook dir>\\<PROJECT_NAME>.conf``, then
``%USERPROFILE%\\.<PROJECT_NAME>\\<PROJECT_NAME>.conf``. With ``PROJECT_NAME = "kpixl"``
the user file is ``%USERPROFILE%\\.kpixl\\kpixl.conf`` — not xlwings' own
``.xlwings\\xlwings.conf``, so kpixl's settings never leak into other xlwings workbooks
and ``xlwings config`` never clobbers kpixl's. ``kpixl addin install`` writes that file
the way ``xlwings config create`` writes its own, one ``"KEY","value"`` line each (VBA
``Input #`` format), at least ``"INTERPRETER_WIN","<venv>\\pythonw.exe"`` (or
``CONDA PATH``/``CONDA ENV``). The add-in's sheet carries only what is the same on every
machine (``UDF Modules``); it must not list other keys, since a key present there —
even empty — hides the user file's value.

VBA is kept ASCII (:mod:`kpixl.addin.vbaproject`): the Chinese labels are in the ribbon
XML only. The add-in is Windows-only: xlwings' Mac-only ``Dictionary`` class is omitted
(it is used only under ``#If Mac``).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import xlwings

from kpixl.addin._xlwings_udfs import VBA_MODULE_NAME, udf_functions, udf_module, vba_wrapper_source
from kpixl.addin.udfhelp import HELP_MODULE, help_vba, helps_of, workbook_open_vba
from kpixl.addin.vbaproject import WORKBOOK_BASE, WORKSHEET_BASE, Module, build_vba_project

__all__ = [
    "ADDIN_NAME",
    "ADDIN_PATH",
    "CALLBACK",
    "UDF_MODULES",
    "addin_modules",
    "build_addin",
    "package_parts",
    "ribbon_xml",
    "xlwings_module",
]

ADDIN_NAME = "kpixl.xlam"
#: Where the built add-in lives as package data.
ADDIN_PATH = Path(__file__).resolve().parent.parent / "data" / ADDIN_NAME
#: The one ribbon callback (a Sub in the ``KpixlRibbon`` module).
CALLBACK = "KpixlButton"
UDF_MODULES = ("kpixl.udfs",)
PROJECT_NAME = "kpixl"
CONFIG_SHEET = f"{PROJECT_NAME}.conf"

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
_REL_CUSTOMUI = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_RIBBON_VBA = f"""\
Option Explicit

' The one ribbon callback: every button's tag names a button in kpixl.macros.registry,
' so a new button needs new Python and ribbon XML, never new VBA.
Sub {CALLBACK}(control As IRibbonControl)
    RunPython "import kpixl.macros; kpixl.macros.dispatch('" & control.Tag & "')"
End Sub
"""


def _default_buttons() -> Sequence:
    from kpixl.macros.registry import BUTTONS

    return BUTTONS


def ribbon_xml(buttons: Sequence | None = None) -> str:
    """The ribbon (customUI) XML for the buttons.

    Args:
        buttons: Objects with ``id``, ``label``, ``image_mso``, ``group`` and ``help``
            (:class:`kpixl.macros.registry.Button`); default: the registry's ``BUTTONS``.

    Returns:
        UTF-8-ready XML text: one tab ``kpixl``, groups in first-appearance order.
    """
    buttons = list(_default_buttons() if buttons is None else buttons)
    groups: dict[str, list] = {}
    for b in buttons:
        groups.setdefault(b.group, []).append(b)
    out = [f'<customUI xmlns="{CUSTOMUI_NS}">', "  <ribbon>", "    <tabs>", '      <tab id="kpixlTab" label="kpixl">']
    for number, (label, members) in enumerate(groups.items(), 1):
        out.append(f'        <group id="kpixlGroup{number}" label={quoteattr(label)}>')
        for b in members:
            out.append(
                f'          <button id="kpixl_{b.id}" label={quoteattr(b.label)} imageMso={quoteattr(b.image_mso)}'
                f' size="large" tag={quoteattr(b.id)} onAction="{CALLBACK}" screentip={quoteattr(b.help)}/>'
            )
        out.append("        </group>")
    out += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>"]
    return "\n".join(out) + "\n"


def xlwings_module() -> Module:
    """xlwings' custom-add-in VBA module, configured for kpixl (``PROJECT_NAME = "kpixl"``).

    Raises:
        RuntimeError: The installed xlwings' module does not have the expected line.
    """
    path = Path(xlwings.__file__).parent / "xlwings_custom_addin.bas"
    text = path.read_text(encoding="ascii")
    line = 'Public Const PROJECT_NAME As String = "myaddin"'
    if text.count(line) != 1:
        raise RuntimeError(f"{path}: expected one line {line!r}; has xlwings changed?")
    return Module("xlwings", "standard", text.replace(line, line.replace("myaddin", PROJECT_NAME)))


def addin_modules(buttons: Sequence | None = None, udf_modules: Sequence[str] = UDF_MODULES) -> list[Module]:
    """The add-in's VBA modules, in project order.

    Args:
        buttons: Unused by the VBA (one callback serves them all); accepted so callers can
            pass the same arguments as to :func:`build_addin`.
        udf_modules: Python modules whose ``@xw.func`` functions get VBA wrappers.

    Returns:
        ``ThisWorkbook`` (whose ``Workbook_Open`` sets the UDF help), ``Sheet1``,
        ``xlwings``, ``KpixlRibbon``, ``xlwings_udfs``, ``KpixlHelp``.
    """
    del buttons
    functions = [f for name in udf_modules for f in udf_functions(udf_module(name))]
    return [
        Module("ThisWorkbook", "document", workbook_open_vba(), base=WORKBOOK_BASE),
        Module("Sheet1", "document", base=WORKSHEET_BASE),
        xlwings_module(),
        Module("KpixlRibbon", "standard", _RIBBON_VBA),
        Module(VBA_MODULE_NAME, "standard", vba_wrapper_source(list(udf_modules), ADDIN_NAME)),
        Module(HELP_MODULE, "standard", help_vba(helps_of(functions))),
    ]


def _content_types() -> str:
    overrides = {
        "/xl/workbook.xml": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
        "/xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        "/xl/styles.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
        "/xl/vbaProject.bin": "application/vnd.ms-office.vbaProject",
    }
    return (
        _XML_DECL
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides.items())
        + "</Types>"
    )


def _rels(*relationships: tuple[str, str]) -> str:
    return (
        _XML_DECL
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
            for i, (kind, target) in enumerate(relationships, 1)
        )
        + "</Relationships>"
    )


def _workbook() -> str:
    return (
        _XML_DECL
        + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
        + '<workbookPr codeName="ThisWorkbook"/>'
        + '<bookViews><workbookView visibility="hidden"/></bookViews>'
        + f'<sheets><sheet name="{CONFIG_SHEET}" sheetId="1" r:id="rId1"/></sheets>'
        + "</workbook>"
    )


def _config_sheet(settings: dict[str, str]) -> str:
    rows = "".join(
        f'<row r="{n}">'
        f'<c r="A{n}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        "</row>"
        for n, (key, value) in enumerate(settings.items(), 1)
    )
    return (
        _XML_DECL
        + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
        + '<sheetPr codeName="Sheet1"/>'
        + '<cols><col min="1" max="2" width="24" customWidth="1"/></cols>'
        + f"<sheetData>{rows}</sheetData>"
        + "</worksheet>"
    )


_STYLES = (
    _XML_DECL
    + f'<styleSheet xmlns="{_NS_MAIN}">'
    + '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    + '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    + '<fill><patternFill patternType="gray125"/></fill></fills>'
    + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    + '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    + "</styleSheet>"
)


def package_parts(buttons: Sequence | None = None, udf_modules: Sequence[str] = UDF_MODULES) -> dict[str, bytes]:
    """Every part of the add-in package, by zip name, in the order they are written.

    Args:
        buttons: The ribbon buttons; default: the registry's ``BUTTONS``.
        udf_modules: Python modules to wrap as worksheet functions.

    Returns:
        Zip name -> bytes.
    """
    modules = addin_modules(buttons, udf_modules)
    return {
        "[Content_Types].xml": _content_types().encode(),
        "_rels/.rels": _rels((_REL_DOC, "xl/workbook.xml"), (_REL_CUSTOMUI, "customUI/customUI.xml")).encode(),
        "customUI/customUI.xml": ribbon_xml(buttons).encode("utf-8"),
        "xl/workbook.xml": _workbook().encode(),
        "xl/_rels/workbook.xml.rels": _rels(
            (_REL_SHEET, "worksheets/sheet1.xml"), (_REL_STYLES, "styles.xml"), (_REL_VBA, "vbaProject.bin")
        ).encode(),
        "xl/worksheets/sheet1.xml": _config_sheet({"UDF Modules": ";".join(udf_modules)}).encode("utf-8"),
        "xl/styles.xml": _STYLES.encode(),
        "xl/vbaProject.bin": build_vba_project(modules, name=PROJECT_NAME),
    }


def build_addin(
    path: str | Path | None = None,
    buttons: Sequence | None = None,
    udf_modules: Sequence[str] = UDF_MODULES,
) -> bytes:
    """Build the add-in package.

    Args:
        path: Where to write it; None writes nothing (returns the bytes only).
        buttons: The ribbon buttons; default: the registry's ``BUTTONS``.
        udf_modules: Python modules whose ``@xw.func`` functions get VBA wrappers.

    Returns:
        The ``.xlam`` file's bytes (identical for identical inputs).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in package_parts(buttons, udf_modules).items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
