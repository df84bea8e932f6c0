"""HR's sheets carried as they were (:mod:`kpixl.master.kept`): which XML is taken, and how it is put back.

Collect loads the roster without its cells and splices the original ``<sheetData>`` into the sheet
openpyxl saves (tests/test_collect_bulk.py compares whole masters written both ways). Here: a sheet
is taken only when its XML has the plain shape the splice relies on, and the spliced cells point at
the same shared strings as before.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from hypothesis import given, settings, strategies as st

from kpixl.master.kept import take_cells
from kpixl.xlsx.bulk import Strings

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT = f'<worksheet xmlns="{MAIN}">'
DIM = '<dimension ref="A1:B2"/>'
#: A sheet as openpyxl writes one loaded without cells.
SAVED = (f'{ROOT}<sheetPr><outlinePr summaryBelow="1" summaryRight="1" /></sheetPr><dimension ref="A1:A1" />'
         '<sheetData /><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5" /></worksheet>')


def sheet(cells: str, root: str = ROOT, dim: str = DIM) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}{dim}<sheetData>{cells}</sheetData><pageMargins/></worksheet>'.encode()


def test_a_plain_sheet_is_taken_and_put_back_with_its_strings_renumbered():
    # Original shared strings: 0 "甲", 1 "乙", 2 "丙". The cells use 2, 0 and 2 again.
    cells = ('<row r="1"><c r="A1" t="s"><v>2</v></c><c r="B1" s="3" t="s"><v>0</v></c></row>'
             '<row r="2" ht="30" customHeight="1"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>7.5</v></c></row>')
    blank, kept = take_cells(sheet(cells), ["<t>甲</t>", "<t>乙</t>", "<t>丙</t>"])
    assert blank.endswith(b"<sheetData/><pageMargins/></worksheet>") and kept.shared
    strings = Strings(start=5)  # five strings already taken by the bulk rows
    xml = kept.splice(SAVED, strings)
    # "丙" (old 2) is met first → 5, "甲" (old 0) → 6; the second "丙" reuses 5: three references.
    assert re.search(r"<sheetData>.*</sheetData>", xml).group(0) == (
        '<sheetData><row r="1"><c r="A1" t="s"><v>5</v></c><c r="B1" s="3" t="s"><v>6</v></c></row>'
        '<row r="2" ht="30" customHeight="1"><c r="A2" t="s"><v>5</v></c><c r="B2"><v>7.5</v></c></row></sheetData>')
    assert strings.items_xml() == "<si><t>丙</t></si><si><t>甲</t></si>" and strings.refs == 3
    assert DIM in xml and "A1:A1" not in xml and "<pageMargins" in xml


def test_a_sheet_without_shared_strings_needs_none():
    blank, kept = take_cells(sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>s</t></is></c></row>'), None)
    assert not kept.shared and kept.splice(SAVED, Strings()).count("<is><t>s</t></is>") == 1


def test_excel_namespaces_are_declared_again_and_stay_ignorable():
    root = (f'<worksheet xmlns="{MAIN}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'mc:Ignorable="x14ac xr" xmlns:x14ac="urn:ac" xmlns:xr="urn:xr" xr:uid="{1}">')
    _, kept = take_cells(sheet('<row r="1" x14ac:dyDescent="0.25"><c r="A1"><v>1</v></c></row>', root), None)
    xml = kept.splice(SAVED, Strings())
    assert xml.startswith(f'<worksheet xmlns="{MAIN}" xmlns:x14ac="urn:ac" xmlns:mc="http://schemas.openxmlformats'
                          '.org/markup-compatibility/2006" mc:Ignorable="x14ac">')  # xr is not used by the cells
    ET.fromstring(xml)


def test_xml_of_another_shape_is_not_taken():
    strings = ["<t>a</t>"]
    odd = {
        "a comment among the cells": sheet('<!-- x --><row r="1"/>'),
        "a CDATA": sheet('<row r="1"><c r="A1" t="s"><v><![CDATA[0]]></v></c></row>'),
        "an index as an entity": sheet('<row r="1"><c r="A1" t="s"><v>&#48;</v></c></row>'),
        "an index past the strings": sheet('<row r="1"><c r="A1" t="s"><v>1</v></c></row>'),
        "a formula before a shared string": sheet('<row r="1"><c r="A1" t="s"><f>X</f><v>0</v></c></row>'),
        "the main namespace under a prefix": sheet('<row r="1"/>', f'<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">'),
        "another default namespace": sheet('<row r="1"/>', '<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main">'),
        "a namespace declared among the cells": sheet('<row r="1" xmlns:q="urn:q"/>'),
        "no dimension": sheet('<row r="1"/>', dim=""),
        "a dynamic array (cell metadata)": sheet('<row r="1"><c r="A1" cm="1"><f t="array" ref="A1:A3">SEQUENCE(3)</f>'
                                                 '<v>1</v></c></row>'),
        "a picture in a cell (value metadata)": sheet('<row r="1"><c r="A1" t="e" vm="1"><v>#VALUE!</v></c></row>'),
        "UTF-16 declared": sheet("").replace(b'encoding="UTF-8"', b'encoding="UTF-16"'),
        "two sheetData": sheet('<row r="1"/>').replace(b"<pageMargins/>", b"<sheetData/>"),
    }
    for why, xml in odd.items():
        assert take_cells(xml, strings) is None, why
    assert take_cells(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), None) is None  # no shared strings


TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(0, 5), st.floats(-1e6, 1e6, allow_nan=False), st.none()),
                         max_size=5), max_size=8),
       st.lists(TEXTS, min_size=6, max_size=6, unique=True), st.integers(0, 50))
def test_spliced_cells_read_as_the_original(rows, texts, start):
    """Random rows of shared strings (ints: an index), numbers and blanks read the same through the new
    shared strings as through the original ones."""
    from xml.sax.saxutils import escape

    items = [f"<t>{escape(t)}</t>" for t in texts]
    cells = "".join(f'<row r="{r}">' + "".join(
        (f'<c r="{chr(65 + j)}{r}" t="s"><v>{v}</v></c>' if isinstance(v, int)
         else f'<c r="{chr(65 + j)}{r}"><v>{v!r}</v></c>' if v is not None else "") for j, v in enumerate(row))
        + "</row>" for r, row in enumerate(rows, 1))
    _, kept = take_cells(sheet(cells), items)
    strings = Strings(start)
    xml = kept.splice(SAVED, strings)
    new = {start + k: t for k, t in enumerate(re.findall(r"<si>(.*?)</si>", strings.items_xml()))}
    ns = {"m": MAIN}

    def values(tree, table):
        return [(c.get("r"), table[int(c.find("m:v", ns).text)] if c.get("t") == "s" else c.find("m:v", ns).text)
                for c in tree.iter(f"{{{MAIN}}}c")]

    assert values(ET.fromstring(xml), new) == values(ET.fromstring(sheet(cells)), dict(enumerate(items)))


def test_a_sheet_read_keeps_its_cells_for_openpyxl_and_its_merged_ranges_apart():
    xml = sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>').replace(
        b"<pageMargins/>", b'<mergeCells count="2"><mergeCell ref="A1:B1"/><mergeCell ref="A2:A3"/></mergeCells><pageMargins/>')
    blank, kept = take_cells(xml, ["<t>a</t>"], read=True)
    assert kept.merges == ["A1:B1", "A2:A3"] and kept.shared
    assert b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData><pageMargins/>' in blank
    assert b"mergeCell" not in blank
    assert take_cells(xml.replace(b"<pageMargins/>", b'<mergeCells><mergeCell ref="C1:D1"/></mergeCells>'),
                      ["<t>a</t>"], read=True) is None  # two lists of merged ranges: not this shape
    _, plain = take_cells(sheet('<row r="1"/>'), None, read=True)
    assert plain.merges == []


def test_a_sheet_read_reads_as_openpyxl_loads_it(tmp_path):
    """Loaded with its merged ranges bound the quick way, a sheet shows the values, merged ranges and
    first-cell styles openpyxl's own binding shows; a covered cell is blank even where the file kept
    a value there (LibreOffice can keep one)."""
    import openpyxl
    from openpyxl.styles import Border, Side

    from kpixl.master.book import open_master, new_master
    from collect_kit import e2e_scheme, roster

    path = new_master(e2e_scheme(), roster(4), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Notes")
    thin = Side(style="thin")
    ws["A1"], ws["B1"], ws["C3"] = "标题", "hidden", 7
    ws["A1"].border = Border(top=thin, left=thin)
    ws["C2"].border = Border(right=thin, bottom=thin)  # the last cell of A1:C2: its borders go to A1
    ws.merged_cells.add("A1:C2")  # B1's value stays in the file, covered
    ws.merge_cells("A5:B9")
    wb.save(path)
    whole, quick = open_master(path), open_master(path, unchanged=("Notes", "考核表", "Scheme"))
    assert set(quick.kept) == {"Notes", "考核表", "Scheme"}
    for title in ("Notes", "考核表", "Scheme"):
        x, y = whole.wb[title], quick.wb[title]
        assert (x.max_row, x.max_column) == (y.max_row, y.max_column)
        assert [str(r) for r in x.merged_cells.ranges] == [str(r) for r in y.merged_cells.ranges]
        assert [[(c.value, c.data_type, type(c).__name__) for c in row] for row in x.iter_rows()] == [
            [(c.value, c.data_type, type(c).__name__) for c in row] for row in y.iter_rows()]
        for rng in x.merged_cells.ranges:
            assert repr(x.cell(rng.min_row, rng.min_col).border) == repr(y.cell(rng.min_row, rng.min_col).border)
    assert quick.wb["Notes"]["B1"].value is None and quick.wb["Notes"]["A1"].border.bottom.style == "thin"
    assert quick.template.card == whole.template.card and quick.template.scheme == whole.template.scheme
