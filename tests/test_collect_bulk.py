"""The master collect writes with bulk rows is the master openpyxl would have written.

Collect writes the data rows of ``Results``, ``考核历史``, ``Issues``, ``Log`` and the record
store as XML text after openpyxl has saved the sheets' first rows (:mod:`kpixl.xlsx.bulk`,
:attr:`kpixl.master.book.Master.bulk`). Here the same collects run twice — the fast way, and
with every row written by openpyxl (the bulk writers switched off) — and the two masters are
read back cell by cell: values, kinds, number formats, fonts, fills, alignments, borders,
row heights, column widths, frozen panes, filters, print set-up and every cached result.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

import kpixl.master.book as book_mod
import kpixl.master.collect.write as write_mod
import kpixl.master.store as store_mod
import kpixl.results.sheet as sheet_mod
from kpixl.card.distribute import distribute
from kpixl.master.book import new_master
from kpixl.master.collect import collect
from kpixl.xlsx.cached import kept_results

from collect_kit import e2e_scheme, input_cells, inputs, roster, type_inputs

PERIOD = "2026-11"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A master of 20 people, their two managers' files typed (some text hostile, one sheet bad),
    and one file typed again later with a changed figure."""
    d = tmp_path_factory.mktemp("bulk")
    people = roster(20)
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    manifest = distribute(master, None, PERIOD, d / "sent", workers=1)
    sent = [d / "sent" / s.file for s in manifest.entries]
    cells = input_cells(master)
    values = inputs(people).astype(object)
    values.loc[values["employee_id"] == "E2002", "special.reason"] = "=HYPERLINK(\"http://x\")"  # text, never a formula
    values.loc[values["employee_id"] == "E2006", "special"] = 3
    values.loc[values["employee_id"] == "E2006", "special.reason"] = "  加班\n支援  " + "很长的原因" * 20
    values.loc[values["employee_id"] == "E2005", "sales"] = "九十"  # not a number: quarantined
    typed = [type_inputs(f, d / "typed" / f.name, cells, values) for f in sent]
    values.loc[values["employee_id"] == "E2001", "sales"] = 1_000_000
    source = next(f for f in sent if "周建国" in f.name)
    newer = type_inputs(source, d / "newer" / source.name, cells, values)
    return {"dir": d, "typed": typed, "newer": newer}


def _master(world, tmp: Path) -> Path:
    tmp.mkdir()
    path = tmp / "master.xlsx"
    shutil.copy2(world["dir"] / "master.xlsx", path)
    for suffix in (".kpixl-key", ".kpixl-sent.json"):
        shutil.copy2(world["dir"] / f"master.xlsx{suffix}", tmp / f"master.xlsx{suffix}")
    return path


def _collect_both(world, tmp_path, monkeypatch, batches) -> tuple[Path, Path]:
    fast, slow = _master(world, tmp_path / "fast"), _master(world, tmp_path / "slow")
    for files, now in batches:
        assert collect(fast, files, now=now, user="hr").written
    with monkeypatch.context() as m:  # every row an openpyxl cell, as before bulk rows and kept cells
        for mod in (write_mod, store_mod, sheet_mod):
            m.setattr(mod, "bulk_values", lambda rows: None)
        m.setattr(book_mod, "take_cells", lambda xml, strings, read=False: None)
        for files, now in batches:
            assert collect(slow, files, now=now, user="hr").written
    return fast, slow


def _style(cell) -> tuple:
    return (cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.alignment), repr(cell.border),
            repr(cell.protection))


def assert_same_master(fast: Path, slow: Path) -> None:
    a, b = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert a.sheetnames == b.sheetnames
    for title in a.sheetnames:
        x, y = a[title], b[title]
        assert (x.max_row, x.max_column) == (y.max_row, y.max_column), title
        for row_x, row_y in zip(x.iter_rows(), y.iter_rows()):
            for p, q in zip(row_x, row_y):
                assert p.value == q.value, (title, p.coordinate)
                if p.value is not None:  # an empty text cell and no cell are both blank
                    assert p.data_type == q.data_type, (title, p.coordinate)
                assert _style(p) == _style(q), (title, p.coordinate)
        for r in set(x.row_dimensions) | set(y.row_dimensions):
            assert (x.row_dimensions[r].height, x.row_dimensions[r].hidden) == (
                y.row_dimensions[r].height, y.row_dimensions[r].hidden), (title, r)
        for k in set(x.column_dimensions) | set(y.column_dimensions):
            assert x.column_dimensions[k].width == y.column_dimensions[k].width, (title, k)
        for attr in ("freeze_panes", "print_title_rows", "print_title_cols", "sheet_state"):
            assert getattr(x, attr) == getattr(y, attr), (title, attr)
        assert x.auto_filter.ref == y.auto_filter.ref, title
        assert (x.page_setup.fitToWidth, x.page_setup.orientation) == (y.page_setup.fitToWidth, y.page_setup.orientation)
        assert x.protection.sheet == y.protection.sheet and x.oddFooter.center.text == y.oddFooter.center.text
    # Every formula caches the same result, as the same text.
    kept_a, kept_b = kept_results(fast), kept_results(slow)
    assert kept_a.keys() == kept_b.keys()
    for title in kept_a:
        assert {r: (k.formula, k.text, k.type or "n") for r, k in kept_a[title].items()} == {
            r: (k.formula, k.text, k.type or "n") for r, k in kept_b[title].items()}, title


def test_collect_writes_the_master_openpyxl_would_write(world, tmp_path, monkeypatch):
    fast, slow = _collect_both(world, tmp_path, monkeypatch, [(world["typed"], NOW)])
    assert_same_master(fast, slow)
    wb = openpyxl.load_workbook(fast)
    # The rows past the first are bulk rows: 18 people collected (E2005's sheet has a word for a
    # number, E2002's a formula for a reason: both quarantined), each formula's result cached.
    results = [r for r in wb["Results"].iter_rows(min_row=3, values_only=True)]
    assert len(results) == 18 and len(kept_results(fast)["Results"]) == 18 * 11
    reasons = [c for row in wb["Results"].iter_rows(min_row=4) for c in row if isinstance(c.value, str) and "加班" in c.value]
    assert [(c.value, c.data_type) for c in reasons] == [("  加班\n支援  " + "很长的原因" * 20, "s")]
    # Returned text stays text: the formula E2002's manager typed is shown in Issues, never run.
    issues = wb["Issues"]
    hostile = [c for row in issues.iter_rows(min_row=4) for c in row if c.value == "=HYPERLINK(\"http://x\")"]
    assert [c.data_type for c in hostile] == ["s"]
    assert issues.row_dimensions[6].height == 58.0  # a long problem wraps over four lines (13.5 each + 4)


def test_recollecting_reads_the_bulk_master_back(world, tmp_path, monkeypatch):
    fast, slow = _collect_both(world, tmp_path, monkeypatch, [(world["typed"], NOW), ([world["newer"]], LATER)])
    assert_same_master(fast, slow)
    log = [r for r in openpyxl.load_workbook(fast)["Log"].iter_rows(min_row=3, values_only=True)]
    change = [r for r in log if r[4] == "E2001" and r[6] == "sales"]
    assert len(change) == 1 and change[0][8] == 1_000_000


# --- HR's roster carried as it was (kpixl.master.kept) -------------------------------------------

_X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
_EXCEL_ROOT = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
               'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr" '
               f'xmlns:x14ac="{_X14AC}" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
               'xr:uid="{00000000-0001-0000-0000-000000000000}">')


def _excel_shaped(src: Path, out: Path) -> Path:
    """The master as Excel would keep it: the roster's text in shared strings (one name as rich text
    runs), its rows with Excel's ``x14ac:dyDescent`` (a namespace declared on the worksheet element,
    ignorable), a comment, a hyperlink, a hidden row, a formula with its cached result."""
    import re
    import zipfile

    wb = openpyxl.load_workbook(src)
    ws = wb["Roster"]
    ws["B3"].comment = openpyxl.comments.Comment("新入职", "HR")
    ws["H1"] = "备注"
    ws["H2"] = "=F2/1000"
    ws["H4"].hyperlink = "https://example.com/e"
    ws["H4"].value = "档案"
    ws.row_dimensions[5].hidden = True
    ws.row_dimensions[5].height = 30
    wb.save(out)
    with zipfile.ZipFile(out) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    from kpixl.xlsx.cached import sheet_parts

    with zipfile.ZipFile(out) as z:
        part = sheet_parts(z)["Roster"]
    xml = parts[part].decode()
    strings: list[str] = []

    def shared(m):
        text = m.group(2)
        strings.append(text)
        return f'{m.group(1)} t="s"><v>{len(strings) - 1}</v></c>'

    xml = re.sub(r'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>', shared, xml)
    xml = xml.replace('<c r="H2" s="0"><f>F2/1000</f><v></v></c>', '<c r="H2"><f>F2/1000</f><v>1000</v></c>')
    xml = xml.replace('<c r="H2"><f>F2/1000</f><v /></c>', '<c r="H2"><f>F2/1000</f><v>1000</v></c>')
    assert '<v>1000</v>' in xml, xml[:3000]
    xml = re.sub(r'<row r="(\d+)"', r'<row r="\1" spans="1:8" x14ac:dyDescent="0.25"', xml)
    xml = xml.replace('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', _EXCEL_ROOT, 1)
    rich = strings.index(openpyxl.load_workbook(src)["Roster"]["B3"].value)
    name = strings[rich]
    items = [f"<si><t>{t}</t></si>" for t in strings]
    items[rich] = f'<si><r><rPr><b/><sz val="10"/></rPr><t>{name[0]}</t></r><r><t>{name[1:]}</t></r></si>'
    parts[part] = xml.encode()
    parts["xl/sharedStrings.xml"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
                                     'schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount='
                                     f'"{len(items)}">{"".join(items)}</sst>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


def _kept_roster(path: Path) -> str:
    import re

    from collect_kit import part_of_sheet

    xml = part_of_sheet(path, "Roster").decode()
    return re.search(r"<sheetData.*</sheetData>", xml, re.S).group(0)


def test_an_excel_shaped_roster_is_carried_as_it_was(world, tmp_path, monkeypatch):
    """The roster's cells are never openpyxl's on collect: the saved roster's rows are the original's,
    byte for byte but for the shared strings' new numbers; it reads back as openpyxl would write it."""
    import re
    import zipfile
    from xml.etree import ElementTree as ET

    from kpixl.master.book import open_master

    original = _excel_shaped(world["dir"] / "master.xlsx", tmp_path / "excel.xlsx")
    m = open_master(original, keep=("Roster",), unchanged=("考核表", "Scheme"))
    assert {"Roster", "考核表", "Scheme"} <= set(m.kept)  # the cells are taken
    assert m.template.card == open_master(original).template.card  # the card's merges bare, it reads the same
    fast, slow = _collect_both_from(world, original, tmp_path, monkeypatch)
    assert_same_master(fast, slow)
    with zipfile.ZipFile(fast) as z:
        for name in z.namelist():  # every part well-formed, every prefix declared
            if name.endswith(".xml") or name.endswith(".rels"):
                ET.fromstring(z.read(name))
        sst = z.read("xl/sharedStrings.xml").decode()
    before, after = _kept_roster(original), _kept_roster(fast)
    numbers = re.compile(r'(t="s"><v>)\d+(</v>)')
    assert numbers.sub(r"\1#\2", before) == numbers.sub(r"\1#\2", after)
    assert 'x14ac:dyDescent="0.25"' in after and "<f>F2/1000</f><v>1000</v>" in after
    assert "<r><rPr><b/>" in sst  # the rich text kept its runs
    root = re.search(r"<worksheet[^>]*>", part_of_sheet_text(fast)).group(0)
    assert f'xmlns:x14ac="{_X14AC}"' in root and 'mc:Ignorable="x14ac"' in root
    wb = openpyxl.load_workbook(fast)
    ws = wb["Roster"]
    assert ws["B3"].comment.text == "新入职" and ws["H4"].hyperlink.target == "https://example.com/e"
    assert ws.row_dimensions[5].hidden and ws.row_dimensions[5].height == 30
    assert "Roster" in ws.tables and kept_results(fast)["Roster"]["H2"].text == "1000"


def part_of_sheet_text(path: Path) -> str:
    from collect_kit import part_of_sheet

    return part_of_sheet(path, "Roster").decode()


def _collect_both_from(world, source: Path, tmp_path, monkeypatch) -> tuple[Path, Path]:
    out = []
    for name in ("fast", "slow"):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "master.xlsx"
        shutil.copy2(source, path)
        for suffix in (".kpixl-key", ".kpixl-sent.json"):
            shutil.copy2(world["dir"] / f"master.xlsx{suffix}", tmp_path / name / f"master.xlsx{suffix}")
        out.append(path)
    assert collect(out[0], world["typed"], now=NOW, user="hr").written
    with monkeypatch.context() as m:
        m.setattr(book_mod, "take_cells", lambda xml, strings, read=False: None)
        assert collect(out[1], world["typed"], now=NOW, user="hr").written
    return out[0], out[1]


def test_a_roster_libreoffice_saved_is_carried_and_opens(world, tmp_path, monkeypatch):
    """A master HR re-saved in LibreOffice (its own XML, every text a shared string): collected the same
    with the roster carried as with openpyxl writing it; LibreOffice opens the result and reads the
    roster as it was."""
    from kpixl.libreoffice import convert
    from kpixl.master.book import open_master

    (tmp_path / "lo").mkdir()
    [resaved] = convert([world["dir"] / "master.xlsx"], tmp_path / "lo", "xlsx")
    m = open_master(resaved, keep=("Roster",), unchanged=("考核表", "Scheme"))
    assert m.kept["Roster"].shared  # LibreOffice writes text as shared strings
    assert m.kept["考核表"].merges and m.template.card == open_master(resaved).template.card  # the card reads the same
    fast, slow = _collect_both_from(world, resaved, tmp_path, monkeypatch)
    assert_same_master(fast, slow)
    (tmp_path / "again").mkdir()
    [opened] = convert([fast], tmp_path / "again", "xlsx")
    rows = lambda p: list(openpyxl.load_workbook(p)["Roster"].iter_rows(values_only=True))  # noqa: E731
    assert rows(opened) == rows(resaved) and len(rows(resaved)) == 21
