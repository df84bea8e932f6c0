"""The pattern reader of sheet cells (kpixl.xlsx.cellscan) gives exactly what the element reader gives.

read_book reads each worksheet part with one pattern first and falls back to expat when
the XML is in any shape the pattern does not know. Every test reads a file both ways
(kpixl.xlsx.reader.FAST_PATH on and off) and requires the same Book — or the same
refusal — and says whether the pattern was used or must have handed over.
"""

from __future__ import annotations

import glob
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kpixl.errors import FileProblem
from kpixl.xlsx import cellscan, reader
from kpixl.xlsx.cellscan import Cell
from xlsx_kit import M, package, write

ROOT = Path(__file__).resolve().parents[1]
HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{M}" ' \
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
STRINGS = ["甲", "a&b", "  spaced  "]


def tiny(path: Path, sheet: str | bytes, strings: list[str] = STRINGS) -> Path:
    """A one-sheet workbook whose sheet part is ``sheet`` exactly (style 1 shows dates)."""
    sst = "".join(f"<si><t xml:space=\"preserve\">{s.replace('&', '&amp;')}</t></si>" for s in strings)
    return write(path, package(sheet, f'<sst xmlns="{M}">{sst}</sst>'))


def sheet(cells: str, head: str = HEAD, tail: str = "") -> str:
    return f"{head}<sheetData>{cells}</sheetData>{tail}</worksheet>"


def both(path: Path, **kw) -> tuple[object, bool]:
    """The Book (or the refusal's text) read both ways, which must agree, and whether the pattern read every sheet."""
    used: list[bool] = []
    scan = reader.scan_sheet

    def spy(*a):
        got = scan(*a)
        used.append(got is not None)
        return got

    out = []
    for fast in (True, False):
        try:
            reader.FAST_PATH = fast
            reader.scan_sheet = spy
            book = reader.read_book(path, **kw)
            out.append(([(s.name, s.state, s.protected, s.cells) for s in book.sheets], book.names))
        except FileProblem as e:
            out.append(str(e))
        finally:
            reader.FAST_PATH = True
            reader.scan_sheet = scan
    assert repr(out[0]) == repr(out[1])  # (repr: a NaN typed as "nan" is the same NaN; cells in the same order)
    return out[0], bool(used) and all(used)


def cells_of(got) -> dict[str, Cell]:
    assert not isinstance(got, str), got
    return got[0][0][3]


# ---- real files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(glob.glob(str(ROOT / "examples/returned*/*.xlsx")))
                         + sorted(glob.glob(str(ROOT / "workbooks/*.xlsx"))), ids=lambda p: Path(p).name)
def test_real_files_read_the_same_by_pattern(path):
    """LibreOffice-saved returned files (examples/returned) and kpixl/openpyxl-written templates (workbooks/)."""
    got, fast = both(Path(path))
    assert fast and not isinstance(got, str)
    assert sum(len(s[3]) for s in got[0]) > 50


def test_generated_and_libreoffice_saved_cards(tmp_path):
    """A distributed card as kpixl writes it (XlsxWriter), filled in, then saved by LibreOffice."""
    from collect_kit import e2e_scheme, fill_returned, inputs, roster
    from kpixl.card.distribute import distribute
    from kpixl.master.book import new_master

    people = roster(3)
    master = new_master(e2e_scheme(), people, tmp_path / "master.xlsx")
    manifest = distribute(master, None, "2026-11", tmp_path / "sent", workers=1)
    sent = [tmp_path / "sent" / e.file for e in manifest.entries]
    for path in sent + fill_returned(sent, master, inputs(people), tmp_path):
        got, fast = both(path)
        assert fast, path
        formulas = [c for s in got[0] for c in s[3].values() if c.formula]
        assert len(formulas) > 10


# ---- hand-made shapes -----------------------------------------------------------------------------


def test_values_types_and_shared_formulas(tmp_path):
    xml = sheet('<row r="1" spans="1:9"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46000</v></c>'
                '<c r="C1"><v>2.5</v></c><c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#DIV/0!</v></c>'
                '<c r="F1" t="str"><f>A1&amp;"x"</f><v>甲x</v></c><c r="G1" t="inlineStr"><is><t>行内</t></is></c>'
                '<c r="H1" t="s"><v>1</v></c><c r="I1" t="s"><v>9</v></c></row>'
                '<row r="2"><c r="A2"><f t="shared" ref="A2:A4" si="0">C1*2</f><v>5</v></c></row>'
                '<row r="3"><c r="A3"><f t="shared" si="0"/><v>5</v></c></row>'
                '<row r="4"><c r="A4"><f t="shared" si="0"></f></c><c r="B4" t="b"/><c r="C4" s="1"/></row>')
    got, fast = both(tiny(tmp_path / "a.xlsx", xml))
    assert fast
    c = cells_of(got)
    assert c["A1"] == Cell("甲") and c["H1"] == Cell("a&b") and "I1" not in c  # index 9: no such string
    assert c["B1"] == Cell(46000.0, date=True) and c["C1"] == Cell(2.5) and c["D1"] == Cell(True)
    assert c["E1"] == Cell("#DIV/0!", error=True) and c["F1"] == Cell("甲x", 'A1&"x"')
    assert c["G1"] == Cell("行内")
    # The shared formula C1*2 anchored at A2, moved down one and two rows: C2*2, C3*2.
    assert (c["A2"].formula, c["A3"].formula, c["A4"].formula) == ("C1*2", "C2*2", "C3*2")
    assert c["B4"] == Cell(False) and "C4" not in c  # a blank boolean cell reads False, as expat's path has it


@pytest.mark.parametrize("text, want", [
    ("&amp;&lt;&gt;&quot;&apos;", "&<>\"'"),
    ("&#20013;&#x6587;", "中文"),
    ("&#x1F600;", "\U0001F600"),
    ("a&#13;b", "a\rb"),  # a character reference keeps its carriage return
    ("tab\there\nline", "tab\there\nline"),
])
def test_entities_and_character_references(tmp_path, text, want):
    xml = sheet(f'<row r="1"><c r="A1" t="str"><f>"{text}"</f><v>{text}</v></c>'
                f'<c r="B1" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c></row>')
    got, fast = both(tiny(tmp_path / "e.xlsx", xml))
    assert fast
    c = cells_of(got)
    assert c["A1"] == Cell(want, f'"{want}"') and c["B1"] == Cell(want)


def test_protection_and_whitespace(tmp_path):
    xml = sheet('\n  <row r="1" x14ac:dyDescent="0.25">\n    <c r="A1" s="0" t="n" ><v>1</v></c>\n'
                '    <c r="B1" s="0" t="n" />\n  </row>\n<row r="2"/>\n',
                head=HEAD.replace("<worksheet ", '<worksheet xmlns:x14ac="urn:x14ac" '),
                tail='<sheetProtection password="CC3D" sheet="1" objects="1"/>')
    got, fast = both(tiny(tmp_path / "p.xlsx", xml))
    assert fast and got[0][0][2] is True and cells_of(got) == {"A1": Cell(1.0)}


#: Shapes the pattern does not read: each must hand the part to expat (and get its answer or its refusal).
ODD = {
    "rich inline text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>',
    "CDATA": '<row r="1"><c r="A1" t="str"><v><![CDATA[<x>]]></v></c></row>',
    "comment in cells": '<row r="1"><!-- x --><c r="A1"><v>1</v></c></row>',
    "attributes reordered": '<row r="1"><c s="0" r="A1"><v>1</v></c></row>',
    "single quotes": "<row r='1'><c r='A1'><v>1</v></c></row>",
    "prefixed cell": f'<row r="1"><x:c xmlns:x="{M}" r="A1"><v>1</v></x:c></row>',
    "other default namespace": '<row r="1" xmlns="urn:other"><c r="A1"><v>1</v></c></row>',
    "carriage return": '<row r="1"><c r="A1" t="str"><v>a\r\nb</v></c></row>',
    "unknown attribute": '<row r="1"><c r="A1" cm="1"><f>A2</f><v>1</v></c></row>',
    "phonetic run": '<row r="1"><c r="A1" t="inlineStr"><is><t>漢</t><rPh sb="0" eb="1"><t>カン</t></rPh></is></c></row>',
    "reference with $": '<row r="1"><c r="$A$1"><v>1</v></c></row>',
    "extra child": '<row r="1"><c r="A1"><v>1</v><extLst/></c></row>',
    "undefined entity": '<row r="1"><c r="A1" t="str"><v>&nbsp;</v></c></row>',
    "undefined entity in a string cell's unused inline text": '<row r="1"><c r="A1" t="s"><v>1</v><is><t>&bogus;</t>'
                                                               '</is></c></row>',
    "bare ampersand": '<row r="1"><c r="A1" t="str"><v>a & b</v></c></row>',
    "null character reference": '<row r="1"><c r="A1" t="str"><v>&#0;</v></c></row>',
    "control character": '<row r="1"><c r="A1" t="str"><v>a\x01b</v></c></row>',
    "unclosed row": '<row r="1"><c r="A1"><v>1</v></c>',
    "row in row": '<row r="1"><row r="2"></row></row>',
    "stray end": '<c r="A1"><v>1</v></c></row>',
    "duplicate formula attribute": '<row r="1"><c r="A1"><f t="shared" t="array">1</f></c></row>',
    "undeclared prefix": '<row r="1" x14ac:dyDescent="0.2"><c r="A1"><v>1</v></c></row>',
    "namespace on a row": '<row r="1" xmlns:q="urn:q"><c r="A1"><v>1</v></c></row>',
    "processing instruction": '<row r="1"><?pi x?><c r="A1"><v>1</v></c></row>',
}


@pytest.mark.parametrize("name", ODD)
def test_odd_cells_take_the_careful_path(tmp_path, name):
    got, fast = both(tiny(tmp_path / "o.xlsx", sheet(ODD[name])))
    assert not fast


@pytest.mark.parametrize("name, xml", [
    ("cells outside sheetData", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                      tail='<extLst><c r="B9"><v>9</v></c></extLst>')),
    ("sheetData in a comment", f'{HEAD}<!-- <sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData> -->'
                               '<sheetData/></worksheet>'),
    ("another encoding", sheet('<row r="1"><c r="A1"><v>1</v></c></row>').replace("UTF-8", "ISO-8859-1")),
    ("another root namespace", sheet('<row r="1"><c r="A1"><v>1</v></c></row>').replace(M, "urn:other")),
    ("second default namespace", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                       tail='<extLst xmlns="urn:e"/>')),
    ("protection with an entity", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                        tail='<sheetProtection sheet="&#49;"/>')),
    ("malformed after the cells", sheet('<row r="1"><c r="A1"><v>1</v></c></row>', tail="<mergeCells>")),
    ("trailing garbage", sheet('<row r="1"><c r="A1"><v>1</v></c></row>') + "<x/>"),
    ("sheetData with attributes", f'{HEAD}<sheetData a="1"><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
                                  '</worksheet>'),
    # Found in review: XML's whitespace includes "\r", and a prefix may be any letters; a cell or a
    # protection hidden so must still be seen — as the careful path sees it.
    ("a cell after a carriage return", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                             tail='<extLst><c\rr="A1"><v>999</v></c></extLst>')),
    ("protection after a carriage return", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                                 tail='<sheetProtection\rsheet="1"/>')),
    ("a default namespace after a carriage return", f'{HEAD}<foo xmlns\r="urn:x"><sheetData><row r="1"><c r="A1">'
                                                    '<v>1</v></c></row></sheetData></foo></worksheet>'),
    ("a cell under a non-ASCII prefix", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                              tail=f'<extLst xmlns:é="{M}"><é:c r="A1"><é:v>999</é:v></é:c></extLst>')),
    ("protection under a non-ASCII prefix", sheet('<row r="1"><c r="A1"><v>1</v></c></row>',
                                                  tail=f'<extLst xmlns:é="{M}"><é:sheetProtection sheet="1"/></extLst>')),
    ("one row attribute twice through two prefixes",
     sheet('<row r="1" p:a="1" q:a="2"><c r="A1"><v>1</v></c></row>',
           f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{M}" xmlns:p="urn:a" xmlns:q="urn:a">')),
])
def test_odd_parts_take_the_careful_path(tmp_path, name, xml):
    got, fast = both(tiny(tmp_path / "o.xlsx", xml))
    assert not fast


def test_bad_utf8_and_doctype_are_refused_both_ways(tmp_path):
    bad = sheet('<row r="1"><c r="A1" t="str"><v>X</v></c></row>').encode("utf-8").replace(b"X", b"\xff\xfe")
    got, fast = both(tiny(tmp_path / "u.xlsx", bad))
    assert isinstance(got, str) and "damaged" in got and not fast
    xxe = sheet('<row r="1"><c r="A1" t="str"><v>&x;</v></c></row>').replace(
        "?>\n", '?>\n<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n')
    got, _ = both(tiny(tmp_path / "x.xlsx", xxe))
    assert isinstance(got, str) and "DOCTYPE" in got


def test_cell_cap_is_refused_both_ways(tmp_path):
    xml = sheet('<row r="1">' + "".join(f'<c r="A{k}"><v>{k}</v></c>' for k in range(1, 12)) + "</row>")
    got, fast = both(tiny(tmp_path / "c.xlsx", xml), max_cells=10)
    assert isinstance(got, str) and "over 10 cells" in got
    got, fast = both(tiny(tmp_path / "c.xlsx", xml), max_cells=11)
    assert fast and len(cells_of(got)) == 11


def test_long_text_is_cut_alike(tmp_path):
    long = "长" * 40_000
    xml = sheet(f'<row r="1"><c r="A1" t="str"><f>"{long}"</f><v>{long}</v></c>'
                f'<c r="B1" t="inlineStr"><is><t>{long}</t></is></c></row>')
    got, fast = both(tiny(tmp_path / "l.xlsx", xml))
    assert fast
    c = cells_of(got)
    assert len(c["A1"].value) == len(c["B1"].value) == len(c["A1"].formula) == 32_768  # Excel's limit, plus one


# ---- random damage ---------------------------------------------------------------------------------

BASE = sheet('<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46000</v></c>'
             '<c r="C1" t="str"><f>A1&amp;"&#x4E2D;"</f><v>甲中</v></c><c r="D1" s="1"/></row>'
             '<row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">B1+1</f><v>46001</v></c>'
             '<c r="B2" t="inlineStr"><is><t>x</t></is></c></row><row r="3"><c r="A3"><f t="shared" si="0"/></c>'
             '</row>', tail='<sheetProtection sheet="1"/><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')
PIECES = ["<", ">", "/", "&", ";", '"', "'", "=", " ", "\r", "\n", "\x01", "#", "x", "c", "v", "f", "t", "r",
          "0", "1", "A", "&amp;", "<v>", "</v>", "</c>", "<c r=\"E1\">", "</row>", "<row>", "<!--", "-->", "xmlns=\"u\"",
          "]]>", "<![CDATA[", "s=\"1\"", "t=\"b\"", "t=\"shared\"", "si=\"0\"", "&#0;", "&#x41;", "中"]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 3), st.sampled_from(PIECES)),
                      min_size=1, max_size=3))
def test_random_edits_read_the_same_both_ways(tmp_path, edits):
    """Any edit of a sheet's XML: the same cells, or the same refusal, whichever path reads it."""
    xml = BASE
    for at, cut, piece in edits:
        at = min(at, len(xml))
        xml = xml[:at] + piece + xml[at + cut:]
    both(tiny(tmp_path / "r.xlsx", xml))


def test_pattern_cache_is_bounded(tmp_path):
    for k in range(300):
        cellscan.scan_sheet(sheet(f'<row r="{k}"/>', tail=f'<pageMargins left="{k}"/>').encode(), [], set(), 10)
    assert len(cellscan._SEEN_OUTSIDE) <= 256



# ---- rows met before (cellscan._PIECES): a row's text is read once, its cells resolved per file ------

ROWS = ['<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46000</v></c><c r="C1" s="1"/></row>',
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>5</v></c><c r="C2" t="b"/></row>',
        '<row r="3"><c r="A3"><f t="shared" ref="A3:A5" si="0">B1+1</f><v>46001</v></c></row>',
        '<row r="4"><c r="A4" s="1"><f t="shared" si="0"/><v>3</v></c><c r="B4" t="s"><f>A1</f><v>1</v></c></row>',
        '<row r="5"><c r="A5"><f t="shared" si="0"></f></c><c r="B5" t="e"><v>#N/A</v></c></row>',
        '<row r="6"/>', '\n <row r="7" x14ac:dyDescent="0.25">\n<c r="A7" t="str"><v>a&amp;b</v></c></row>\n',
        '<row r="8"><c r="A8" t="inlineStr"><is><t>行</t></is></c><c r="B8" s="1" t="n"><v>1e5</v></c></row>',
        '<row r="9"><c r="A9" t="s"><v>²</v></c></row>', '<row r="10"><c r="A10"><v>1</v></c>',
        '<c r="Z1"><v>9</v></c>', '<row r="11"><!-- x --></row>', '</row>',
        '<row r="12"><c r="A12" t="str"><v>a]]>b</v></c></row>']  # (]]> is not allowed in text)
X14AC = HEAD.replace("<worksheet ", '<worksheet xmlns:x14ac="urn:x14ac" ')


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sheets=st.lists(st.tuples(st.lists(st.sampled_from(ROWS), max_size=8), st.booleans(),
                                 st.lists(st.sampled_from(["甲", "乙", "丙", "a&b", ""]), max_size=6)),
                       min_size=2, max_size=4),
       cold=st.booleans())
def test_rows_met_before_read_the_same(tmp_path, sheets, cold):
    """Rows shuffled between sheets of files with other shared strings and namespace prefixes, read
    after one another (the rows met before not read again) or each cold: the careful path's answer."""
    for k, (rows, declared, strings) in enumerate(sheets):
        if cold:
            cellscan._forget()
        both(tiny(tmp_path / f"{k}.xlsx", sheet("".join(rows), X14AC if declared else HEAD), strings))


def test_a_row_met_before_is_resolved_in_its_own_file():
    """The same row text: its shared strings, date styles and shared formulas are each sheet's own."""
    row = '<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" s="1"><v>46000</v></c></row>'
    data = sheet(row).encode()
    first = cellscan.scan_sheet(data, ["a", "b"], {1}, 10)
    assert first == ({"A1": Cell("b"), "B1": Cell(46000.0, date=True)}, False)
    assert cellscan.scan_sheet(data, ["c"], set(), 10) == ({"B1": Cell(46000.0)}, False)  # no string 1 here
    follower = '<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>'
    one = sheet('<row r="1"><c r="A1"><f t="shared" si="0">B1*2</f></c></row>' + follower).encode()
    two = sheet('<row r="1"><c r="A1"><f t="shared" si="0">C9</f></c></row>' + follower).encode()
    assert cellscan.scan_sheet(one, [], set(), 10)[0]["A2"].formula == "B2*2"
    assert cellscan.scan_sheet(two, [], set(), 10)[0]["A2"].formula == "C10"
    # A prefix declared by one sheet's root and not by another's: the same row text, the careful path.
    marked = '<row r="1" x14ac:dyDescent="0.25"><c r="A1"><v>1</v></c></row>'
    assert cellscan.scan_sheet(sheet(marked, X14AC).encode(), [], set(), 10) is not None
    assert cellscan.scan_sheet(sheet(marked).encode(), [], set(), 10) is None


def test_a_damaged_row_met_before_is_damaged_again(tmp_path):
    """Rows are kept by their bytes and decoded when new: bad UTF-8 in a row read before is refused again."""
    good = '<row r="1"><c r="A1" t="str"><v>好</v></c></row>'
    bad = sheet(good + '<row r="2"><c r="A2" t="str"><v>X</v></c></row>').encode().replace(b"X", b"\xe5\xa5")
    for k in range(2):
        got, fast = both(tiny(tmp_path / f"{k}.xlsx", bad))
        assert isinstance(got, str) and "damaged" in got and not fast
    assert cellscan.scan_sheet(sheet(good).encode(), [], set(), 10) == ({"A1": Cell("好")}, False)


def test_row_cache_is_bounded():
    cellscan._forget()
    for k in range(cellscan._PIECES_MAX + 10):
        cellscan.scan_sheet(sheet(f'<row r="{k + 1}"><c r="A{k + 1}"><v>{k}</v></c></row>').encode(), [], set(), 10)
    assert sum(map(len, cellscan._PIECES.values())) <= cellscan._PIECES_MAX
    from openpyxl.utils import get_column_letter

    refs = [f"{get_column_letter(c)}1" for c in range(1, 1001)]
    wide = sheet('<row r="1">' + "".join(f'<c r="{r}"><v>1</v></c>' for r in refs) + "</row>").encode()  # over _PIECE_MAX
    assert cellscan.scan_sheet(wide, [], set(), 10**6) == ({r: Cell(1.0) for r in refs}, False)
    assert all(len(t) <= cellscan._PIECE_MAX for d in cellscan._PIECES.values() for t in d)
    assert sum(len(t) for d in cellscan._PIECES.values() for t in d) <= cellscan._PIECES_BYTES

# ---- the master's roster, taken from the open workbook -----------------------------------------------


def test_roster_from_the_open_master_is_the_roster_read_from_its_file(tmp_path):
    import openpyxl
    import pandas as pd

    from collect_kit import e2e_scheme, roster
    from kpixl.engine.inputs import read_table
    from kpixl.master.book import new_master, open_master
    from kpixl.master.records import Records

    path = new_master(e2e_scheme(), roster(6), tmp_path / "master.xlsx")
    m = open_master(path)
    title = m.template.roster_sheet
    read = read_table(path, "roster", sheet=title)
    got = Records(m, None, "test").roster
    pd.testing.assert_frame_equal(got.df, read.df)
    assert got.name == read.name and got.problems == read.problems
    assert [got.cell(r, c) for r in (-1, 0, 5) for c in got.df.columns] == \
           [read.cell(r, c) for r in (-1, 0, 5) for c in read.df.columns]
    # A formula in the roster: its saved value is in the file, not in the open workbook — read from the file.
    wb = openpyxl.load_workbook(path)
    wb[title]["G3"] = "=1+1"
    wb.save(path)
    m = open_master(path)
    assert Records(m, None, "test").roster.df.equals(read_table(path, "roster", sheet=title).df)


@pytest.mark.parametrize("body", [
    '<row r="1"><c r="A1"><f' + " " * 1_000_000 + "x",  # spaces, then not an attribute
    "<row" + " " * 1_000_000 + "x",
    '<row r="1"><c r="A1"><v>' + "a" * 1_000_000,  # text that never ends
    '<row r="1">' + '<c r="A1" s="1"/>' * 50_000 + '<c r="A1"><f ' + "ab" * 500_000,
])
def test_hostile_shapes_are_given_up_in_linear_time(body):
    """Patterns cannot be interrupted by the file's deadline: a hostile part must be given up in linear time."""
    import time

    data = f"{HEAD}<sheetData>{body}</sheetData></worksheet>".encode()
    t = time.perf_counter()
    assert cellscan.scan_sheet(data, [], set(), 10**6) is None
    assert time.perf_counter() - t < 2.0


# ---- edits a manager's program could make, on a file LibreOffice saved -----------------------------

LO_FILE = ROOT / "examples/returned/2026-11-周建国.xlsx"
TEXTS = ["1", " 1 ", "", "1e5", "abc", "&amp;x", "&#20013;", "&#xD800;", "&#1;", "a\tb", "a\nb", "&apos;&quot;",
         "&lt;f&gt;", "nan", "-0", "²", "99999", "true", "#N/A", "]]>", "&#x10FFFF;", "&#x110000;", "&bogus;", "\x7f",
         "\u2028", "\ufeff", "=1+1", "1,000"]
ELEMS = ['<c r="Z9" t="b"/>', '<c r="Z9" t="b"><v>1</v></c>', '<c r="Z9" s="1"><v>4</v></c>',
         '<c r="Z9" t="inlineStr"><is><t>i</t></is></c>', '<c r="Z9" t="inlineStr"><is><t/></is></c>',
         '<c r="Z9" t="inlineStr"/>', '<c r="Z9"><f t="shared" si="9"/></c>', '<c r="Z9"><f/></c>',
         '<c r="Z9"><f t="shared" si="0" ref="Z9:Z10">A1</f></c><c r="Z10"><f t="shared" si="0"/></c>',
         '<c r="Z9"><f></f><v/></c>', '<c r="Z9" t="e"><v>#REF!</v></c>', '<c r="Z9" t="str"><v/></c>',
         '<c r="Z9" t="s"><v>99999</v></c>', '<c r="Z9" t="d"><v>2026-01-01</v></c>', '<c r="Z9" ><v>1</v></c>',
         '<c r="Z9"\n/>', '<c r="A1"><v>twice</v></c>', '<row r="99"/>', '<c r="Z9"><f t="array" ref="Z9">1</f></c>']
ATTRS = [' x="1"', ' cm="1"', ' t="b"', ' s="2"', ' r="Q1"', ' xmlns="urn:x"', ' xml:space="preserve"']


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_program_like_edits_read_the_same_both_ways(tmp_path, data):
    """Values retyped, cells added, removed or given attributes, in a LibreOffice-saved person sheet."""
    import re

    with zipfile.ZipFile(LO_FILE) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet2.xml"
    xml = parts[name].decode("utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["value", "element", "attribute", "remove"]))
        if kind == "value":
            ms = list(re.finditer(r"<v>([^<]*)</v>|<f>([^<]*)</f>", xml))
            m = data.draw(st.sampled_from(ms))
            g = 1 if m.group(1) is not None else 2
            xml = xml[:m.start(g)] + data.draw(st.sampled_from(TEXTS)) + xml[m.end(g):]
        elif kind == "element":
            ends = [m.end() for m in re.finditer(r"</c>|/>|<row[^>]*>", xml[:xml.find("</sheetData>")])]
            at = data.draw(st.sampled_from(ends))
            xml = xml[:at] + data.draw(st.sampled_from(ELEMS)) + xml[at:]
        elif kind == "attribute":
            m = data.draw(st.sampled_from(list(re.finditer(r'<c r="[A-Z]+[0-9]+"', xml))))
            xml = xml[:m.end()] + data.draw(st.sampled_from(ATTRS)) + xml[m.end():]
        else:
            m = data.draw(st.sampled_from(list(re.finditer(r"<c [^>]*?(?:/>|>.*?</c>)", xml))))
            xml = xml[:m.start()] + xml[m.end():]
    path = tmp_path / "lo.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for n, blob in parts.items():
            z.writestr(n, xml.encode("utf-8") if n == name else blob)
    both(path)


# ---- a cell named by no reference (the review of the speed work) ---------------------------------


@pytest.mark.parametrize("ref", ["A2B", "1H", "$A$2", "a2", "ABCD1"])
def test_a_cell_named_by_no_reference_is_damaged_both_ways(tmp_path, ref):
    """Checks place problems by a cell's reference (A2, H7): a kept cell whose r is no reference
    refuses the file, where it had made collect raise (CellCoordinatesException)."""
    got, _ = both(tiny(tmp_path / "r.xlsx", sheet(f'<row r="1"><c r="{ref}" t="s"><v>0</v></c></row>')))
    assert isinstance(got, str) and "is damaged" in got and repr(ref) in got and "not a cell reference" in got


def test_a_blank_named_by_no_reference_is_no_cell(tmp_path):
    got, _ = both(tiny(tmp_path / "b.xlsx", sheet('<row r="1"><c r="A2B" s="1"/><c r="B1"><v>2</v></c></row>')))
    assert list(cells_of(got)) == ["B1"]


def test_attribute_texts_of_any_length_are_not_kept():
    """A row's or a formula's attributes run to megabytes in a hostile part: read, never remembered."""
    long = " x=\"" + "y" * 100_000 + "\""
    cellscan._SEEN_ROWS.clear()
    cellscan._SEEN_FORMULAS.clear()
    data = sheet(f'<row r="1"{long}><c r="A1"><f{long}>1+1</f><v>2</v></c></row>').encode()
    assert cellscan.scan_sheet(data, [], set(), 1000) is not None
    assert all(len(k[0]) <= 256 for k in cellscan._SEEN_ROWS) and all(len(k) <= 256 for k in cellscan._SEEN_FORMULAS)


def test_a_cell_named_twice_is_damaged_both_ways(tmp_path):
    """Two cells named G7 in one sheet (Excel calls such a file corrupt; LibreOffice shows the last):
    refused, where the last copy had been collected."""
    got, _ = both(tiny(tmp_path / "d.xlsx", sheet('<row r="7"><c r="G7"><v>900000</v></c><c r="G7"><v>1</v></c></row>')))
    assert isinstance(got, str) and "has two cells named G7" in got
    got, _ = both(tiny(tmp_path / "e.xlsx", sheet('<row r="7"><c r="G7"><v>9</v></c></row><row r="8"><c r="H8"><v>1</v>'
                                                  '</c></row><row r="7"><c r="G7" t="s"><v>0</v></c></row>')))
    assert isinstance(got, str) and "has two cells named G7" in got
