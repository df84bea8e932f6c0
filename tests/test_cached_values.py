"""True figures the moment a file opens: every formula caches the engine's result.

A workbook opened without recalculating — LibreOffice's default for .xlsx, Excel's
Protected View, previews, pandas, python-calamine — shows the results cached beside the
formulas. These tests read them without recalculating (openpyxl ``data_only``,
python-calamine, and LibreOffice with its default settings, re-saving the file) and
compare every formula cell with LibreOffice's forced recalculation: cards with and
without inputs (every shipped template, and a scheme using every rule with blanks), the
scored workbook, a distributed manager workbook and a master after collect, rate and
report. Goal and result: no difference at all.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpixl.card.distribute import distribute
from kpixl.card.generate import generate_workbook
from kpixl.card.template import read_template
from kpixl.engine.score import prepare
from kpixl.errors import InputError
from kpixl.master.book import new_master
from kpixl.master.collect import collect
from kpixl.master.rate import RATED, rate
from kpixl.master.report import report
from kpixl.results.scored import write_workbook
from kpixl.xlsx.cached import Kept, add_cached_values, remember, rewrite_sheet, save_workbook

from cached_kit import cached_differences, formula_cells, hard_inputs, hard_roster, hard_scheme, openpyxl_values
from collect_kit import e2e_scheme, fill_returned, inputs, roster

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = ROOT / "workbooks"
EXAMPLES = ROOT / "examples" / "schemes"
TEMPLATES = sorted(p.stem for p in WORKBOOKS.glob("*.xlsx") if p.stem != "udf_examples")
PERIOD = "2026-11"


# ---- the XML rewrite ------------------------------------------------------------------------


def test_rewrite_sheet_caches_each_kind_of_result():
    xml = ('<sheetData><row r="1"><c r="A1" s="2"><f>B1*2</f><v /></c><c r="B1" t="n"><v>4</v></c>'
           '<c r="C1"><f>"x"</f><v></v></c><c r="D1"><f>""</f><v/></c><c r="E1"><f>1=1</f><v /></c>'
           '<c r="F1"><f>1/0</f><v /></c><c r="G1"><f>B1</f><v>3</v></c><c r="H1"><f>B1</f><v /></c></row></sheetData>')
    got = rewrite_sheet(xml, {"A1": 8.0, "B1": 5, "C1": "a<b", "D1": "", "E1": True, "F1": "#DIV/0!", "G1": 0.1 + 0.2})
    assert '<c r="A1" s="2"><f>B1*2</f><v>8</v></c>' in got
    assert '<c r="B1" t="n"><v>4</v></c>' in got  # not a formula: left alone
    assert '<c r="C1" t="str"><f>"x"</f><v>a&lt;b</v></c>' in got
    assert '<c r="D1" t="str"><f>""</f><v></v></c>' in got  # empty text stays text
    assert '<c r="E1" t="b"><f>1=1</f><v>1</v></c>' in got
    assert '<c r="F1" t="e"><f>1/0</f><v>#DIV/0!</v></c>' in got
    assert '<c r="G1"><f>B1</f><v>0.30000000000000004</v></c>' in got
    assert '<c r="H1"><f>B1</f><v /></c>' in got  # no value given: untouched


def test_a_kept_result_only_while_its_formula_is_the_same():
    xml = '<c r="A1"><f>B1*2</f><v /></c><c r="A2"><f>B2*3</f><v /></c>'
    got = rewrite_sheet(xml, {"A1": Kept("B1*2", "n", "8"), "A2": Kept("B2*2", None, "6")})
    assert got == '<c r="A1"><f>B1*2</f><v>8</v></c><c r="A2"><f>B2*3</f><v /></c>'


def test_results_are_read_back_cell_by_cell(tmp_path):
    """Results another program cached, shared formulas included, each read for its own cell."""
    from kpixl.xlsx.cached import kept_results

    xml = ('<worksheet><sheetData><row r="1"><c r="A1" t="str"><f t="shared" ref="A1:A2" si="0">B1&amp;"x"</f><v>yx</v></c>'
           '<c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="str"><f t="shared" si="0"/><v>zx</v></c>'
           '<c r="C2" s="1"><f aca="false">1/0</f><v>#DIV/0!</v></c><c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
           '</sheetData></worksheet>')
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    path = tmp_path / "k.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    got = kept_results(path)["S"]
    assert got == {"A1": Kept('B1&amp;"x"', "str", "yx"), "C2": Kept("1/0", None, "#DIV/0!"),
                   "D2": Kept("1/0", "e", "#DIV/0!")}


def test_only_the_named_sheets_change_and_excel_still_recalculates(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "A & B"
    ws["A1"], ws["A2"] = 2, "=A1*3"
    other = wb.create_sheet("Other")
    other["A1"] = "=1+1"
    remember(ws, {"A2": 6.0})
    path = tmp_path / "x.xlsx"
    plain = tmp_path / "plain.xlsx"
    wb.calculation.fullCalcOnLoad = True
    wb.save(plain)
    save_workbook(wb, path)
    got = openpyxl.load_workbook(path, data_only=True)
    assert got["A & B"]["A2"].value == 6 and got["Other"]["A1"].value is None
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(plain) as p:
        assert z.namelist() == p.namelist()
        changed = [n for n in z.namelist() if z.read(n) != p.read(n) and not n.startswith("docProps/")]
        assert changed == ["xl/worksheets/sheet1.xml"]
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()
    add_cached_values(path, {"Other": {"A1": 2}})  # a later pass over another sheet keeps the first
    got = openpyxl.load_workbook(path, data_only=True)
    assert (got["A & B"]["A2"].value, got["Other"]["A1"].value) == (6, 2)


# ---- what a reader sees on opening ------------------------------------------------------------


def test_a_blank_card_shows_its_figures_on_opening(tmp_path):
    """The 大客户经理 card before anyone types: 工作纪律 10.00, 考勤 10.00, total 20, bonus 600."""
    g = generate_workbook(WORKBOOKS / "kam_monthly.xlsx", period=PERIOD, out=tmp_path / "kam.xlsx")
    tpl = read_template(WORKBOOKS / "kam_monthly.xlsx")
    scores, outs = tpl.card.placed("score"), tpl.card.placed("formula")
    ws = openpyxl.load_workbook(g.path, data_only=True)[g.sheets[0].sheet]
    assert ws[scores["conduct"].ref].value == 10
    assert ws[scores["timekeeping"].ref].value == 10
    assert ws[outs["total"].ref].value == 20
    assert ws[outs["bonus"].ref].value == 600


def test_same_inputs_same_bytes_with_cached_results(tmp_path):
    a = generate_workbook(WORKBOOKS / "kam_monthly.xlsx", period=PERIOD, out=tmp_path / "a.xlsx",
                          inputs=EXAMPLES / "kam_monthly.inputs.csv")
    b = generate_workbook(WORKBOOKS / "kam_monthly.xlsx", period=PERIOD, out=tmp_path / "b.xlsx",
                          inputs=EXAMPLES / "kam_monthly.inputs.csv")
    assert a.path.read_bytes() == b.path.read_bytes()


def _recalculates_on_load(path: Path) -> bool:
    """Whether Excel recalculates the workbook when it opens it (``fullCalcOnLoad``)."""
    with zipfile.ZipFile(path) as z:
        return 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()


def _assert_no_difference(paths: list[Path], tmp: Path) -> None:
    found = cached_differences(paths, tmp)
    cells = dict(found.pop("cells"))
    assert all(cells.values()), cells  # every file has formulas to compare
    report_ = {reader: len(diffs) for reader, diffs in found.items()}
    print(f"compared {sum(cells.values())} formula cells in {len(cells)} files; differences {report_}")
    for reader, diffs in found.items():
        assert diffs == [], f"{reader}: {len(diffs)} difference(s), first {diffs[:5]}"


def _generate_all(out: Path) -> list[Path]:
    """Every shipped template with its example inputs and blank, and the stress schemes."""
    paths = []
    for name in TEMPLATES:
        paths.append(generate_workbook(WORKBOOKS / f"{name}.xlsx", period=PERIOD, out=out / f"{name}-inputs.xlsx",
                                       inputs=EXAMPLES / f"{name}.inputs.csv").path)
        try:
            paths.append(generate_workbook(WORKBOOKS / f"{name}.xlsx", period=PERIOD, out=out / f"{name}-blank.xlsx").path)
        except InputError:
            pass  # a roster without every target cannot be generated blank (tobacco)
    for kind in ("bands", "dist"):
        people = hard_roster()
        tpl = new_master(hard_scheme(kind), people, out / f"{kind}-template.xlsx")
        for partial in (False, True):
            paths.append(generate_workbook(tpl, None, PERIOD, out / f"{kind}-{partial}.xlsx",
                                           inputs=hard_inputs(people, partial)).path)
        paths.append(generate_workbook(tpl, None, PERIOD, out / f"{kind}-blank.xlsx").path)
    return paths


@pytest.mark.engine
def test_generated_cards_and_summaries_open_with_the_recalculated_figures(tmp_path):
    paths = _generate_all(tmp_path / "gen")
    assert len(paths) >= 2 * len(TEMPLATES) + 5
    assert all(map(_recalculates_on_load, paths))
    _assert_no_difference(paths, tmp_path)


@pytest.mark.engine
def test_scored_workbooks_open_with_the_recalculated_figures(tmp_path):
    from kpixl.demo import run_demo

    paths = [tmp_path / "demo.xlsx"]
    assert run_demo(paths[0]) == 0  # kpixl demo --out demo.xlsx
    for kind in ("bands", "dist"):
        people = hard_roster()
        path = tmp_path / f"{kind}-scored.xlsx"
        write_workbook(prepare(hard_scheme(kind), hard_inputs(people, False), people), path)
        paths.append(path)
    assert all(map(_recalculates_on_load, paths))
    _assert_no_difference(paths, tmp_path)


@pytest.mark.engine
def test_distributed_returned_and_master_open_with_the_recalculated_figures(tmp_path):
    """A manager's workbook as sent and as returned; the master after collect, rate and report."""
    d = tmp_path / "m"
    people = roster(12)
    master = new_master(e2e_scheme(), people, d / "master.xlsx")
    manifest = distribute(master, None, PERIOD, d / "sent", workers=1)
    sent = [d / "sent" / s.file for s in manifest.entries]
    returned = fill_returned(sent, master, inputs(people), d)
    assert collect(master, [returned[0].parent]).ok
    shutil.copy2(master, d / "collected.xlsx")
    rate(master)
    shutil.copy2(master, d / "rated.xlsx")
    report(master)  # saves again: Results and the rated sheet keep their results
    rated = formula_cells(master)
    assert RATED in rated and "Results" in rated
    assert all(v is not None for v in openpyxl_values(master, rated).values())
    assert all(map(_recalculates_on_load, [sent[0], d / "collected.xlsx", d / "rated.xlsx", master]))
    _assert_no_difference([sent[0], returned[0], d / "collected.xlsx", d / "rated.xlsx", master], tmp_path)
