"""Build ``vbaProject.bin`` from VBA source, with no compiled code, so Excel compiles on open.

A VBA project (MS-OVBA §2.2) is a compound file holding:

* ``PROJECT`` — text: project ID, one line per module, name, protection values;
* ``PROJECTwm`` — module names again, in MBCS and UTF-16;
* ``VBA/_VBA_PROJECT`` — the p-code cache header. Version ``0xFFFF`` and no cache tells
  Excel to ignore it and compile from source, exactly as xlwings' shipped
  ``quickstart_addin_ribbon.xlam`` stores it (its 7 bytes are used verbatim);
* ``VBA/dir`` — compressed project records: platform, code page, name, references,
  one MODULE record per module (stream name, ``MODULEOFFSET`` 0 = no p-code);
* ``VBA/<module>`` — the compressed source of each module, as VBA stores it: the
  ``Attribute VB_…`` header lines, then the code, CRLF line ends.

Record order and values follow the ``dir`` stream of xlwings' shipped add-in (parsed
with oletools): Win32 ``SYSKIND``, LCID 0x0409, code page 1252, references to
``stdole`` and ``Office`` (needed for ``IRibbonControl``) as registered type libraries.
xlwings' add-in also references MSForms, which nothing here uses; it is left out.

Code page: 1252, as xlwings' project has it. All VBA source must be ASCII — checked, a
``ValueError`` otherwise — so it reads the same under any Windows ANSI code page (936 on
Chinese Windows included). Chinese text never goes into VBA: ribbon labels live in the
UTF-8 ribbon XML, and any VBA string that needs it is built with ``ChrW``.

The ``CMG``/``DPB``/``GC`` values (protection state, password, visibility) are encrypted
as MS-OVBA §2.4.3 describes, keyed by the project ID: unprotected, no password, visible.
The seed is fixed, so the output is deterministic.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass
from typing import Literal

from kpixl.addin import ovba
from kpixl.addin.cfb import Storage, write_compound_file

__all__ = [
    "DEFAULT_REFERENCES",
    "WORKBOOK_BASE",
    "WORKSHEET_BASE",
    "Module",
    "Reference",
    "build_vba_project",
    "project_id",
]

CODE_PAGE = 1252
_LCID = 0x0409
_SYSKIND_WIN32 = 0x00000001
#: xlwings' _VBA_PROJECT stream: 0x61CC, version 0xFFFF (recompile), 0x00, 0x0001.
VBA_PROJECT_HEADER = bytes.fromhex("CC61FFFF000100")

#: VB_Base of the workbook and worksheet document modules (their COM class IDs).
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")


@dataclass(frozen=True)
class Reference:
    """A reference to a registered type library (REFERENCEREGISTERED, MS-OVBA §2.3.4.2.2.5).

    Attributes:
        name: The reference's name in the VBA editor, e.g. ``"Office"``.
        libid: ``*\\G{guid}#major.minor#lcid#path#description``; Excel resolves it by GUID
            and version, the path is only a hint.
    """

    name: str
    libid: str


DEFAULT_REFERENCES = (
    Reference(
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    Reference(
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
        r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)


@dataclass(frozen=True)
class Module:
    """One VBA module.

    Attributes:
        name: VBA identifier, also the stream name.
        kind: ``"standard"`` (a .bas module), ``"class"`` or ``"document"`` (the code
            behind the workbook or a sheet).
        code: The code after the ``Attribute`` header, any line ends. A leading
            ``Attribute VB_Name = …`` line (as in an exported ``.bas``) is dropped.
        base: ``VB_Base`` of a document module (:data:`WORKBOOK_BASE`,
            :data:`WORKSHEET_BASE`).
    """

    name: str
    kind: Literal["standard", "class", "document"]
    code: str = ""
    base: str | None = None

    @property
    def source(self) -> str:
        """The module's text as VBA stores it: attribute lines, then code, CRLF line ends."""
        header = [f'Attribute VB_Name = "{self.name}"']
        if self.kind == "document":
            header += [
                f'Attribute VB_Base = "{self.base or WORKSHEET_BASE}"',
                "Attribute VB_GlobalNameSpace = False",
                "Attribute VB_Creatable = False",
                "Attribute VB_PredeclaredId = True",
                "Attribute VB_Exposed = True",
                "Attribute VB_TemplateDerived = False",
                "Attribute VB_Customizable = True",
            ]
        elif self.kind == "class":
            header += [
                f'Attribute VB_Base = "{_CLASS_BASE}"',
                "Attribute VB_GlobalNameSpace = False",
                "Attribute VB_Creatable = False",
                "Attribute VB_PredeclaredId = False",
                "Attribute VB_Exposed = False",
                "Attribute VB_TemplateDerived = False",
                "Attribute VB_Customizable = False",
            ]
        lines = self.code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[0].startswith("Attribute VB_Name"):
            lines = lines[1:]
        if lines and lines[-1] == "":
            lines = lines[:-1]
        return "".join(line + "\r\n" for line in header + lines)


def project_id(name: str) -> str:
    """A stable project ID (``{GUID}``) derived from the project name."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:kpixl:vbaproject:{name}")).upper() + "}"


def _ascii(text: str, what: str) -> bytes:
    try:
        return text.encode("ascii")
    except UnicodeEncodeError as exc:
        snippet = text[max(exc.start - 20, 0) : exc.end + 20]
        raise ValueError(
            f"{what}: non-ASCII character {text[exc.start]!r} near {snippet!r} "
            "(keep VBA source ASCII; build such strings with ChrW)"
        ) from None


def _encrypt(data: bytes, pid: str, seed: int) -> str:
    """MS-OVBA §2.4.3.2 data encryption, hex-encoded (no ignored bytes: seed & 6 == 0)."""
    proj_key = sum(pid.encode("ascii")) & 0xFF
    version_enc = seed ^ 2
    proj_key_enc = seed ^ proj_key
    unencrypted, enc1, enc2 = proj_key, proj_key_enc, version_enc
    out = bytearray([seed, version_enc, proj_key_enc])
    for _ in range((seed & 6) // 2):
        byte_enc = (enc2 + unencrypted) & 0xFF  # ignored byte 0x00, encrypted
        out.append(byte_enc)
        enc2, enc1, unencrypted = enc1, byte_enc, 0
    for byte in struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((enc2 + unencrypted) & 0xFF)
        out.append(byte_enc)
        enc2, enc1, unencrypted = enc1, byte_enc, byte
    return out.hex().upper()


def _decrypt(text: str) -> bytes:
    """Inverse of :func:`_encrypt` (for tests and for reading other projects)."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    unencrypted, enc1, enc2 = seed ^ proj_key_enc, proj_key_enc, version_enc
    out = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((enc2 + unencrypted) & 0xFF)
        out.append(byte)
        enc2, enc1, unencrypted = enc1, byte_enc, byte
    body = bytes(out[(seed & 6) // 2 :])
    return body[4 : 4 + struct.unpack("<I", body[:4])[0]]


def _project_stream(name: str, pid: str, modules: list[Module]) -> bytes:
    lines = [f'ID="{pid}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    seed = 0x08  # fixed: deterministic output; (seed & 6) == 0 -> no ignored bytes
    unprotected = _encrypt(struct.pack("<I", 0), pid, seed)
    no_password = _encrypt(bytes([0x00]), pid, seed)
    visible = _encrypt(bytes([0xFF]), pid, seed)
    lines += [
        f'Name="{name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{unprotected}"',
        f'DPB="{no_password}"',
        f'GC="{visible}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in modules),
    ]
    return _ascii("".join(line + "\r\n" for line in lines), "PROJECT stream")


def _projectwm_stream(modules: list[Module]) -> bytes:
    out = b"".join(m.name.encode("ascii") + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00" for m in modules)
    return out + b"\x00\x00"


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_record(record_id: int, text: str, unicode_id: int) -> bytes:
    """A record with an MBCS string followed by its UTF-16 twin (DOCSTRING, HELPFILE, …)."""
    if record_id == 0x0006:  # HELPFILEPATH: the second copy is MBCS too
        return _record(record_id, _ascii(text, "help file")) + _record(unicode_id, _ascii(text, "help file"))
    return _record(record_id, _ascii(text, "dir record")) + _record(unicode_id, text.encode("utf-16-le"))


def _dir_stream(name: str, modules: list[Module], references: tuple[Reference, ...]) -> bytes:
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", _SYSKIND_WIN32))
    out += _record(0x0002, struct.pack("<I", _LCID))
    out += _record(0x0014, struct.pack("<I", _LCID))
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))
    out += _record(0x0004, _ascii(name, "project name"))
    out += _text_record(0x0005, "", 0x0040)  # DOCSTRING
    out += _text_record(0x0006, "", 0x003D)  # HELPFILEPATH
    out += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # VERSION: Reserved=4, major 1, minor 0
    out += _text_record(0x000C, "", 0x003C)  # CONSTANTS
    for ref in references:
        out += _text_record(0x0016, ref.name, 0x003E)  # REFERENCENAME
        libid = _ascii(ref.libid, f"reference {ref.name}")
        body = struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0)
        out += _record(0x000D, body)  # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        out += _record(0x0019, m.name.encode("ascii"))  # MODULENAME
        out += _record(0x0047, m.name.encode("utf-16-le"))  # MODULENAMEUNICODE
        out += _text_record(0x001A, m.name, 0x0032)  # MODULESTREAMNAME
        out += _text_record(0x001C, "", 0x0048)  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source at 0, no p-code
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += _record(0x0021 if m.kind == "standard" else 0x0022, b"")  # MODULETYPE
        out += _record(0x002B, b"")  # terminator
    out += _record(0x0010, b"")  # end of dir stream
    return bytes(out)


def build_vba_project(
    modules: list[Module],
    name: str = "kpixl",
    references: tuple[Reference, ...] = DEFAULT_REFERENCES,
) -> bytes:
    """Build a ``vbaProject.bin`` holding the modules as source only.

    Args:
        modules: The modules; a workbook needs a document module for the workbook
            (``ThisWorkbook``, :data:`WORKBOOK_BASE`) and one per sheet, named as the
            package's ``codeName`` attributes say.
        name: The VBA project name.
        references: Type libraries the code uses.

    Returns:
        The compound file's bytes.

    Raises:
        ValueError: A name is not a VBA identifier, names repeat, or source is not ASCII.
    """
    if not _IDENTIFIER.match(name):
        raise ValueError(f"project name {name!r} is not a VBA identifier")
    seen: set[str] = set()
    for m in modules:
        if not _IDENTIFIER.match(m.name):
            raise ValueError(f"module name {m.name!r} is not a VBA identifier (max 31 characters)")
        if m.name.upper() in seen:
            raise ValueError(f"module name {m.name!r} appears twice")
        seen.add(m.name.upper())
        if m.kind not in ("standard", "class", "document"):
            raise ValueError(f"module {m.name!r}: unknown kind {m.kind!r}")
    pid = project_id(name)
    vba = {
        "_VBA_PROJECT": VBA_PROJECT_HEADER,
        "dir": ovba.compress(_dir_stream(name, modules, references)),
    }
    for m in modules:
        source = _ascii(m.source, f"module {m.name}")
        compressed = ovba.compress(source)
        if ovba.decompress(compressed) != source:  # a padded raw chunk: not for source text
            raise ValueError(f"module {m.name}: source does not survive compression")
        vba[m.name] = compressed
    return write_compound_file(
        Storage(
            {
                "PROJECT": _project_stream(name, pid, modules),
                "PROJECTwm": _projectwm_stream(modules),
                "VBA": Storage(vba),
            }
        )
    )
