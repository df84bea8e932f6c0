"""kpixl's cell writer (kpixl/xlsx/cellwriter.py) writes the very bytes openpyxl's own writer does.

Every workbook kpixl saves with openpyxl goes through it (kpixl.xlsx.cached.save_workbook),
so any difference would change every master: each test saves one workbook twice, once
with openpyxl's writer and once with kpixl's, and compares every part byte for byte.
"""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font
from openpyxl.worksheet.formula import ArrayFormula

from kpixl.xlsx import cellwriter
from kpixl.xlsx.text import append_row

#: What a master's sheets hold, and the awkward cases: blanks, spaces kept, markup characters,
#: non-finite numbers, formulas with markup, the cells the fast writer hands back to openpyxl.
VALUES = [1, 0, -3, 2.5, 1e20, 1e-7, -0.0, 10**16, 123456789012345678, float("nan"), float("inf"), True, False,
          "", " ", " a", "a ", "x\ny", "\t tab", 'a&b<c>d"e\'', "中文 优秀", "#N/A", "=SUM(A1:A3)", "=",
          '=IF(A1<2,"<&>",1)', None, datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4)]


def package_parts(wb, fast: bool, skip: str = "docProps/") -> dict[str, bytes]:
    """The package's parts as ``wb`` saves, with kpixl's cell writer or openpyxl's, but those named ``skip…``
    (docProps: the save time)."""
    out = io.BytesIO()
    if fast:
        with cellwriter.fast_cells():
            wb.save(out)
    else:
        wb.save(out)
    with zipfile.ZipFile(out) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith(skip)}


def parts(fill, fast: bool) -> dict[str, bytes]:
    wb = openpyxl.Workbook()
    fill(wb.active)
    return package_parts(wb, fast)


def test_every_kind_of_cell_is_written_byte_for_byte_as_openpyxl_writes_it():
    def fill(ws):
        for i, v in enumerate(VALUES, 1):
            ws.cell(row=i, column=1, value=v)
            ws.cell(row=i, column=2, value=v).font = Font(bold=True)  # styled: s="…"
        ws.cell(row=1, column=3).font = Font(italic=True)  # styled and empty
        ws["D1"] = CellRichText(["a", TextBlock(InlineFont(b=True), "b")])  # handed to openpyxl
        ws["D2"] = ArrayFormula("D2:D3", "=SUM(A1:A2)")  # handed to openpyxl
        ws["D4"] = "link"
        ws["D4"].hyperlink = "http://example.com"  # handed to openpyxl
        ws.cell(row=5, column=4, value="#DIV/0!").data_type = "e"
        append_row(ws, ["=1+1", "text"])  # a text that looks like a formula stays text
        ws.row_dimensions[50].height = 30  # an empty styled row

    slow, fast = parts(fill, False), parts(fill, True)
    assert slow == fast
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    # the cases are what the test says they are: a kept space, markup escaped, a formula
    assert '<c r="A17" t="inlineStr"><is><t xml:space="preserve">a </t></is></c>' in sheet
    assert '<c r="A20" t="inlineStr"><is><t>a&amp;b&lt;c&gt;d"e\'</t></is></c>' in sheet
    assert '<c r="A25"><f>IF(A1&lt;2,"&lt;&amp;&gt;",1)</f><v /></c>' in sheet


def test_plain_cells_never_reach_openpyxl_writer_and_the_writer_is_put_back(monkeypatch):
    from openpyxl.cell._writer import write_cell as openpyxl_write_cell
    from openpyxl.worksheet import _writer as sheet_writer

    handed = []
    monkeypatch.setattr(cellwriter, "_OPENPYXL_WRITE_CELL", lambda xf, ws, cell, styled=None: (
        handed.append(cell.coordinate), openpyxl_write_cell(xf, ws, cell, styled)))

    def fill(ws):
        for i, v in enumerate(VALUES, 1):
            ws.cell(row=i, column=1, value=v)

    parts(fill, True)
    assert handed == ["A27", "A28"]  # the date and the datetime only
    assert sheet_writer.write_cell is openpyxl_write_cell


text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t &<>\"'="), max_size=20)
value = st.none() | st.booleans() | st.integers(-10**18, 10**18) | st.floats(allow_nan=True) | text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(value, max_size=6), max_size=8), st.booleans())
def test_any_values_are_written_byte_for_byte_as_openpyxl_writes_them(rows, styled):
    def fill(ws):
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row, 1):
                cell = ws.cell(row=r, column=c, value=v)
                if styled and (r + c) % 2:
                    cell.font = Font(bold=True)

    assert parts(fill, False) == parts(fill, True)


def test_a_new_master_is_saved_byte_for_byte_as_openpyxl_saves_it(tmp_path):
    # The card sheet (merged cells, validation, formulas, styles), the Roster table, the Scheme sheet.
    from collect_kit import e2e_scheme, roster

    from kpixl.master.book import new_master

    master = new_master(e2e_scheme(), roster(20), tmp_path / "master.xlsx")
    # A fresh load each time: saving changes openpyxl's state.
    fast = package_parts(openpyxl.load_workbook(master), True, skip="docProps/core.xml")
    assert package_parts(openpyxl.load_workbook(master), False, skip="docProps/core.xml") == fast
    assert any(b"<mergeCell " in v for v in fast.values())
