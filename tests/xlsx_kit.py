"""Tiny hand-written workbook packages for the reader's tests (test_reader_fast, test_reader_parts)."""

from __future__ import annotations

import zipfile
from pathlib import Path

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def package(sheet: str | bytes, sst: str | bytes) -> dict[str, str | bytes]:
    """The parts of a one-sheet workbook: its sheet part and shared strings part exactly as given
    (style 1 shows dates)."""
    return {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                               'package/2006/content-types"/>',
        "xl/workbook.xml": f'<workbook xmlns="{M}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                           'relationships"><sheets><sheet name="卡" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      'relationships"><Relationship Id="rId1" Type="x" Target="worksheets/sheet1.xml"/>'
                                      '<Relationship Id="rId2" Type="y" Target="sharedStrings.xml"/>'
                                      '<Relationship Id="rId3" Type="z" Target="styles.xml"/></Relationships>',
        "xl/sharedStrings.xml": sst,
        "xl/styles.xml": f'<styleSheet xmlns="{M}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
                         '</cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": sheet,
    }


def write(path: Path, contents: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    """``contents`` (part name → text or bytes) zipped into ``path``."""
    with zipfile.ZipFile(path, "w", method) as z:
        for name, text in contents.items():
            z.writestr(name, text if isinstance(text, bytes) else text.encode("utf-8"))
    return path
