"""Generate (DESIGN §4, docs/templates.md): one protected, validated sheet per roster row.

The generated formulas are recalculated by LibreOffice and compared with the engine
(:func:`kpixl.score`) — for every shipped template and every example scheme on the
default card layout — and with figures worked by hand on a small hand-made card.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table as XlTable

import kpixl
from kpixl.errors import InputError
from kpixl.libreoffice import recalculate
from kpixl.scheme import scheme_from_dict
from kpixl.card.template import read_template
from kpixl.card.generate import generate_workbook
from kpixl.card.naming import SheetNamer, period_label
from kpixl.scheme.sheet.book import write_scheme_sheet
from kpixl.card.stamp import STAMP_NAME, Stamp, formula_checksum

from test_agreement import EXCEL_2010, functions_in

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "schemes"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
ILLEGAL = set("[]:*?/\\")


# ---- building templates --------------------------------------------------------------------


def _roster_sheet(wb: Workbook, df: pd.DataFrame) -> None:
    ws = wb.create_sheet("Roster")
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and math.isnan(v)) else v for v in row])
    ws.add_table(XlTable(displayName="tblRoster", ref=f"A1:{openpyxl.utils.get_column_letter(len(df.columns))}{len(df) + 1}"))


def layout_template(name: str, path: Path, roster: pd.DataFrame | None = None) -> Path:
    """An example scheme on the default card layout (kpixl.card.layout), with its roster."""
    from kpixl.card.layout import write_card_sheet

    scheme = kpixl.load_scheme(EXAMPLES / f"{name}.yaml")
    wb = Workbook()
    wb.remove(wb.active)
    write_scheme_sheet(scheme, wb)
    if roster is None:
        roster = pd.read_csv(EXAMPLES / f"{name}.roster.csv", dtype={"employee_id": str})
    _roster_sheet(wb, roster)
    write_card_sheet(scheme, wb)
    wb.save(path)
    return path


HAND_SCHEME = yaml.safe_load("""
id: hand-test
name: 手工测试考核表
version: 2
period: month
scale: 100
sections:
  - id: perf
    name: 业绩
    weight: 0.8
    items:
      - {id: sales, name: 销量, points: 60, rule: {type: ratio, cap: 1.2}, target: {column: 销量目标}}
      - {id: visits, name: 拜访, points: 40,
         rule: {type: count, base: full, counters: [{id: missed, name: 漏访, per: -5}]}}
  - id: conduct
    name: 行为
    weight: 0.2
    items:
      - {id: attitude, name: 工作态度, points: 10, rule: {type: rubric, levels: {优: 10, 良: [7, 9], 差: 0}}}
      - {id: ontime, name: 按时提交, points: 10, rule: {type: binary}}
  - id: extra
    name: 加扣分
    items:
      - {id: award, name: 嘉奖, points: 5, rule: {type: adjust, min: -5, max: 5}}
total: {round: 2}
ratings:
  bands: [{name: 优秀, min: 90}, {name: 良好, min: 75}, {name: 合格, min: 60}, {name: 不合格}]
bonus:
  base: {column: 月度绩效奖金}
  curve: [{below: 60, factor: 0}, {factor: score}]
  budget: 5000
  round: 2
""")

HAND_ROSTER = pd.DataFrame({
    "employee_id": ["A1", "B2", "C3"], "姓名": ["王伟", "李娜", "张三/李四[1]*?"], "部门": ["一部", "一部", "二部"],
    "经理": ["赵经理", "赵经理", "钱经理"], "销量目标": [100, 100, 80], "月度绩效奖金": [3000, 2500, 2000]})

HAND_INPUTS = pd.DataFrame({
    "employee_id": ["A1", "B2", "C3"], "sales": [110, 50, 100], "visits.missed": [1, 3, 0],
    "attitude": ["良", "差", "优"], "attitude.score": [8, None, None], "ontime": ["是", "否", "是"],
    "award": [2, 0, -5], "award.reason": ["客户表扬", None, "迟交报表"]})

# The hand-made card: (cell, value). Sections conduct and extra have no cell (inlined).
HAND_CARD = [
    ("A1", "{{scheme.name}}"), ("A2", "被考核人：{{姓名}}"), ("C2", "工号：{{工号}}"), ("E2", "{{period}}"),
    ("A3", "项目"), ("B3", "目标"), ("C3", "实际"), ("D3", "评分/原因"), ("E3", "得分"),
    ("A4", "销量"), ("B4", "{{in:sales.target}}"), ("C4", "{{in:sales}}"), ("E4", "{{score:sales}}"),
    ("A5", "漏访次数"), ("C5", "{{in:visits.missed}}"), ("E5", "{{score:visits}}"),
    ("A6", "工作态度"), ("C6", "{{in:attitude}}"), ("D6", "{{in:attitude.score}}"), ("E6", "{{score:attitude}}"),
    ("A7", "按时提交"), ("C7", "{{in:ontime}}"), ("E7", "{{score:ontime}}"),
    ("A8", "嘉奖"), ("C8", "{{in:award}}"), ("D8", "{{in:award.reason}}"), ("E8", "{{score:award}}"),
    ("A9", "业绩小计"), ("E9", "{{score:perf}}"),
    ("A10", "总分"), ("E10", "{{total}}"), ("F10", "=ROUND(E10,0)"),
    ("A11", "等级"), ("E11", "{{rating}}"),
    ("A12", "奖金基数"), ("B12", "{{月度绩效奖金}}"), ("A13", "当月绩效奖金"), ("E13", "{{bonus}}"),
]


def hand_template(path: Path, scheme: dict | None = None, card: list | None = None,
                  roster: pd.DataFrame | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    write_scheme_sheet(scheme_from_dict(scheme or HAND_SCHEME), wb)
    _roster_sheet(wb, HAND_ROSTER if roster is None else roster)
    ws = wb.create_sheet("考核表")
    for ref, value in card or HAND_CARD:
        ws[ref] = value
        ws[ref].font = Font(name="Microsoft YaHei", size=10, bold=ref == "A1")
    ws.merge_cells("A1:E1")
    ws.column_dimensions["A"].width = 14
    ws.row_dimensions[1].height = 28
    ws.print_title_rows = "1:3"
    wb.save(path)
    return path


# ---- reading generated workbooks -------------------------------------------------------------


def summary_frame(path: Path) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, data_only=True)
    rows = list(wb["汇总"].iter_rows(values_only=True))
    return pd.DataFrame([list(r) for r in rows[2:]], columns=rows[0])


def formula_errors(path: Path) -> list:
    wb = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and re.fullmatch(r"#[A-Z/0!?]+[!?]?|#N/A", c.value)]


def same(a, b) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None or a == ""
    if isinstance(b, str):
        return a == b
    return a is not None and abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


# ---- pure units --------------------------------------------------------------------------------


def test_period_labels():
    assert period_label("2026-11") == "2026年11月"
    assert period_label("2026Q4") == "2026年第4季度"
    assert period_label("2026H1") == "2026年上半年"
    assert period_label("2026") == "2026年"
    with pytest.raises(ValueError, match="2026-13"):
        period_label("2026-13")


def test_sheet_names_are_legal_unique_and_short():
    namer = SheetNamer(["汇总", "_kpixl"])
    long = "欧阳" * 20
    names = [namer.add("张三/李四[1]*?", "E1"), namer.add(long, "E2"), namer.add(long, "E3"),
             namer.add("王伟", "E1001"), namer.add("王伟", "E1001"), namer.add("汇总", ""), namer.add("'x'", "9"),
             namer.add("a:b\\c", "E4"), namer.add("History", "")]
    assert names[0] == "张三李四1-E1"
    assert names[3] == "王伟-E1001" and names[4] == "王伟-E1001~2"
    assert names[5] == "汇总~2" and names[6] == "x-9"
    assert names[8] == "History~2"
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert 0 < len(n) <= 31 and not ILLEGAL & set(n) and not n.startswith("'") and not n.endswith("'")
    assert names[1] != names[2] and len(names[1]) == len(names[2]) == 31


def test_checksum_sorted_by_row_then_column_and_sensitive():
    a = {"B10": "=A10*2", "B9": "=A9", "AA1": "=1"}
    assert formula_checksum(a) == formula_checksum(dict(reversed(list(a.items()))))
    assert len(formula_checksum(a)) == 16
    assert formula_checksum(a) != formula_checksum({**a, "B9": "=A9+0"})
    s = Stamp("cm", 3, "E1", "2026-11", formula_checksum(a))
    assert Stamp.parse(s.text()) == s
    with pytest.raises(ValueError):
        Stamp.parse("kpixl/2|x")


# ---- the hand-worked card ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hand")
    tpl = hand_template(tmp / "hand.xlsx")
    done = []
    g = generate_workbook(tpl, None, "2026-11", tmp / "out.xlsx", inputs=HAND_INPUTS,
                          progress=lambda d, t: done.append((d, t)))
    recalc = recalculate([g.path], tmp / "recalc")[0]
    return g, recalc, done


@pytest.mark.engine
def test_hand_worked_figures(hand):
    g, recalc, done = hand
    assert done == [(1, 3), (2, 3), (3, 3)]
    assert [s.sheet for s in g.sheets] == ["王伟-A1", "李娜-B2", "张三李四1-C3"]
    wb = openpyxl.load_workbook(recalc, data_only=True)
    a = wb["王伟-A1"]
    # 销量 110/100 × 60 = 66; 拜访 40 − 5×1 = 35; 业绩 0.8 × 101/100 × 100 = 80.8
    assert (a["E4"].value, a["E5"].value, a["E9"].value) == (66, 35, pytest.approx(80.8))
    # 态度 良 → 8 (entered); 按时 是 → 10; 行为 0.2 × 18/20 × 100 = 18; 嘉奖 +2 → 总分 100.8 优秀
    assert (a["E6"].value, a["E7"].value, a["E8"].value) == (8, 10, 2)
    assert a["E10"].value == pytest.approx(100.8) and a["E11"].value == "优秀" and a["F10"].value == 101
    # before the budget: 3000 × 100.8/100 = 3024
    assert a["E13"].value == pytest.approx(3024)
    assert a["A2"].value == "被考核人：王伟" and a["C2"].value == "工号：A1" and a["E2"].value == "2026年11月"
    b, c = wb["李娜-B2"], wb["张三李四1-C3"]
    # B: 30 + 25 = 55 → 44; 0 + 0 → 0; total 44 不合格, below 60 → no bonus
    assert b["E10"].value == pytest.approx(44) and b["E11"].value == "不合格" and b["E13"].value == 0
    # C: min(100/80, 1.2) × 60 = 72; 40 → 112 → 89.6; 10 + 10 → 20; −5 → 104.6 优秀; 2000 × 1.046 = 2092
    assert c["E10"].value == pytest.approx(104.6) and c["E13"].value == pytest.approx(2092)
    s = summary_frame(recalc)
    assert s["total"].tolist() == pytest.approx([100.8, 44, 104.6])
    assert s["rating"].tolist() == ["优秀", "不合格", "优秀"]
    # Σ perf 5116 > budget 5000: 3024 × 5000/5116 = 2955.43, 2092 × 5000/5116 = 2044.57
    assert s["bonus"].tolist() == pytest.approx([2955.43, 0, 2044.57])
    engine = kpixl.score(scheme_from_dict(HAND_SCHEME), HAND_INPUTS, HAND_ROSTER)
    for col in ("total", "rating", "bonus"):
        assert all(same(x, y) for x, y in zip(s[col], engine[col])), col
    assert formula_errors(recalc) == []


def test_hand_card_validation_protection_print(hand):
    g, _, _ = hand
    wb = openpyxl.load_workbook(g.path)
    assert wb.sheetnames[0] == "汇总" and wb.sheetnames[-1] == "_kpixl"
    ws = wb["王伟-A1"]
    assert ws.protection.sheet
    inputs = {"C4", "C5", "C6", "D6", "C7", "C8", "D8"}
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False}
    assert unlocked == inputs  # the target B4 is HR's data: locked
    assert all(ws[r].fill.fgColor.rgb.endswith("FFF2CC") for r in inputs)
    assert ws["B4"].value == 100 and ws["B12"].value == 3000
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(dvs) == inputs
    assert dvs["C6"].type == "list" and dvs["C6"].formula1 == '"优,良,差"'
    assert dvs["C7"].type == "list" and dvs["C7"].formula1 == '"是,否"'
    assert dvs["D6"].type == "decimal" and (float(dvs["D6"].formula1), float(dvs["D6"].formula2)) == (7, 9)
    assert dvs["C8"].type == "decimal" and (float(dvs["C8"].formula1), float(dvs["C8"].formula2)) == (-5, 5)
    assert dvs["C5"].type == "decimal" and float(dvs["C5"].formula1) == 0
    assert dvs["D8"].type == "textLength"
    for dv in dvs.values():
        assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
        assert re.search(r"[\u4e00-\u9fff]", dv.prompt) and re.search(r"[\u4e00-\u9fff]", dv.error)
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$3" and ws.freeze_panes == "A4"
    assert (ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text) == (
        "王伟", "手工测试考核表", "2026年11月")
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["A"].width == pytest.approx(14, abs=1)
    s = wb["汇总"]
    assert s.protection.sheet
    assert all(c.protection.locked is not False for row in s.iter_rows() for c in row)


def test_stamps_and_stamp_sheet(hand):
    g, _, _ = hand
    wb = openpyxl.load_workbook(g.path)
    stamp_ws = wb["_kpixl"]
    assert stamp_ws.sheet_state == "veryHidden"
    rows = list(stamp_ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("sheet", "stamp")
    by_sheet = {r[0]: r for r in rows[1:]}
    for gs in g.sheets:
        ws = wb[gs.sheet]
        stamp = Stamp.parse(ws.defined_names[STAMP_NAME].attr_text.strip('"'))
        assert (stamp.scheme_id, stamp.version, stamp.employee_id, stamp.period) == ("hand-test", 2, gs.employee_id, "2026-11")
        assert by_sheet[gs.sheet][1] == gs.stamp == stamp.text()
        # the checksum is over the formulas as stored in the sheet
        formulas = {c.coordinate: c.value for row in ws.iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("=")}
        assert formula_checksum(formulas) == stamp.checksum
        assert "F10" in formulas  # HR's own formula is kept and stamped


def test_checksums_stable_and_change_with_a_formula(tmp_path):
    tpl = hand_template(tmp_path / "t.xlsx")
    one = generate_workbook(tpl, None, "2026-11", tmp_path / "a.xlsx")
    two = generate_workbook(tpl, None, "2026-11", tmp_path / "b.xlsx")
    assert [s.stamp for s in one.sheets] == [s.stamp for s in two.sheets]
    changed = {**HAND_SCHEME, "sections": [dict(HAND_SCHEME["sections"][0]), *HAND_SCHEME["sections"][1:]]}
    items = [dict(i) for i in changed["sections"][0]["items"]]
    items[0]["rule"] = {"type": "ratio", "cap": 1.3}
    changed["sections"][0]["items"] = items
    three = generate_workbook(hand_template(tmp_path / "t3.xlsx", scheme=changed), None, "2026-11", tmp_path / "c.xlsx")
    assert {s.checksum for s in one.sheets} != {s.checksum for s in three.sheets}
    assert one.sheets[0].stamp.split("|")[:5] == three.sheets[0].stamp.split("|")[:5]


def test_hostile_names_and_employee_subset(tmp_path):
    roster = pd.concat([HAND_ROSTER, pd.DataFrame({
        "employee_id": ["D4", "E5", "F6"], "姓名": ["欧阳" * 20, "欧阳" * 20, "王伟"], "部门": ["三部"] * 3,
        "经理": ["孙经理"] * 3, "销量目标": [90] * 3, "月度绩效奖金": [1000] * 3})], ignore_index=True)
    roster.loc[2, "employee_id"] = "A1"  # a duplicate id is refused…
    with pytest.raises(InputError) as e:
        generate_workbook(hand_template(tmp_path / "dup.xlsx", roster=roster), None, "2026-11", tmp_path / "d.xlsx")
    assert [(p.where, p.code, p.message) for p in e.value.problems] == [
        ("Roster!A4", "duplicate_id", "employee A1 is listed twice (also Roster!A2)")]
    # …with every other problem of the roster at once (as distribute reports them), each once.
    bad = roster.astype({"销量目标": object})
    bad.loc[4, "销量目标"] = "一百"
    with pytest.raises(InputError) as e:
        generate_workbook(hand_template(tmp_path / "dup2.xlsx", roster=bad), None, "2026-11", tmp_path / "d.xlsx")
    assert [(p.where, p.code) for p in e.value.problems] == [("Roster!A4", "duplicate_id"), ("Roster!E6", "not_a_number")]
    roster.loc[2, "employee_id"] = "A1001"  # …while duplicate names are made unique
    roster.loc[5, "employee_id"] = "A1001x"
    roster.loc[5, "姓名"] = "王伟"
    tpl = hand_template(tmp_path / "t.xlsx", roster=roster)
    g = generate_workbook(tpl, None, "2026Q4", tmp_path / "o.xlsx")
    names = [s.sheet for s in g.sheets]
    assert len({n.casefold() for n in names}) == len(names) == 6
    for n in names:
        assert len(n) <= 31 and not ILLEGAL & set(n)
    wb = openpyxl.load_workbook(g.path)
    assert wb.sheetnames == ["汇总", *names, "_kpixl"]
    assert wb[names[0]]["E2"].value == "2026年第4季度"
    sub = generate_workbook(tpl, None, "2026-11", tmp_path / "sub.xlsx", employees=["A1001x", "A1"])
    assert [s.employee_id for s in sub.sheets] == ["A1", "A1001x"]  # roster order
    with pytest.raises(InputError, match="Z9"):
        generate_workbook(tpl, None, "2026-11", tmp_path / "x.xlsx", employees=["Z9"])


def test_card_problems_are_reported_together(tmp_path):
    card = [c for c in HAND_CARD if c[1] not in ("{{score:visits}}", "{{in:ontime}}")] + [
        ("H1", "{{in:nothing}}"), ("H2", "{{score:nowhere}}"), ("H3", "{{没有这列}}")]
    with pytest.raises(InputError) as e:
        generate_workbook(hand_template(tmp_path / "t.xlsx", card=card), None, "2026-11", tmp_path / "o.xlsx")
    codes = sorted(p.code for p in e.value.problems)
    assert codes == ["missing_input_cell", "missing_score_cell", "unknown_placeholder", "unknown_placeholder"]
    assert not (tmp_path / "o.xlsx").exists()
    card = [c for c in HAND_CARD] + [("H3", "{{没有这列}}")]
    with pytest.raises(InputError, match="H3"):
        generate_workbook(hand_template(tmp_path / "t2.xlsx", card=card), None, "2026-11", tmp_path / "o.xlsx")


def test_bad_period_is_an_input_problem(tmp_path):
    with pytest.raises(InputError, match="2026-13"):
        generate_workbook(hand_template(tmp_path / "t.xlsx"), None, "2026-13", tmp_path / "o.xlsx")


def test_cli_generate(tmp_path):
    tpl = hand_template(tmp_path / "t.xlsx")
    inputs = tmp_path / "in.csv"
    HAND_INPUTS.to_csv(inputs, index=False)
    out = tmp_path / "cli.xlsx"
    run = subprocess.run([sys.executable, "-m", "kpixl.cli", "generate", str(tpl), "--period", "2026-11",
                          "--out", str(out), "--inputs", str(inputs)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "generating sheets: 3/3" in run.stderr and "wrote" in run.stderr
    assert openpyxl.load_workbook(out)["王伟-A1"]["C4"].value == 110
    quiet = subprocess.run([sys.executable, "-m", "kpixl.cli", "generate", str(tpl), "--period", "2026-11",
                            "--out", str(tmp_path / "q.xlsx"), "--quiet"], capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stderr == ""
    bad = subprocess.run([sys.executable, "-m", "kpixl.cli", "generate", str(tpl), "--period", "11/2026"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "bad_period" not in bad.stderr and "11/2026" in bad.stderr


# ---- every example scheme, on the default layout and on the shipped templates ----------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """Every example scheme generated with its inputs, on both card sources; one LibreOffice call."""
    from kpixl.card.templates import templates

    tmp = tmp_path_factory.mktemp("examples")
    cases = []
    shipped = templates()
    for name in NAMES:
        sources = [("layout", layout_template(name, tmp / f"{name}-layout-tpl.xlsx"))]
        if name in shipped:
            sources.append(("shipped", shipped[name]))
        for kind, tpl in sources:
            g = generate_workbook(tpl, EXAMPLES / f"{name}.roster.csv", "2026-11", tmp / f"{name}-{kind}.xlsx",
                                  inputs=EXAMPLES / f"{name}.inputs.csv")
            cases.append((name, kind, tpl, g))
    recalced = recalculate([g.path for *_, g in cases], tmp / "recalc")
    return [(*c, r) for c, r in zip(cases, recalced)]


@pytest.mark.engine
def test_examples_agree_with_the_engine(examples):
    assert {k for _, k, *_ in examples} >= {"layout"}
    for name, kind, tpl, g, recalc in examples:
        where = f"{name} ({kind})"
        engine = kpixl.score(EXAMPLES / f"{name}.yaml", EXAMPLES / f"{name}.inputs.csv", EXAMPLES / f"{name}.roster.csv")
        s = summary_frame(recalc)
        assert s["employee_id"].astype(str).tolist() == engine["employee_id"].tolist(), where
        flags = [c for c in engine.columns if c.startswith("flag.")]
        assert set(flags) <= set(s.columns), where
        for col in ("total", "rating", "bonus", *flags):
            if col in s.columns:
                bad = [(e, x, y) for e, x, y in zip(s["employee_id"], s[col], engine[col]) if not same(x, y)]
                assert not bad, f"{where} {col}: {bad}"
        # the person sheets' own totals agree too (na: average is final on the summary only)
        card = read_template(tpl).card
        total = card.placed("formula").get("total")
        averaged = any(i.na == "average" for _, i in kpixl.load_scheme(EXAMPLES / f"{name}.yaml").items())
        if total is not None and not averaged:
            wb = openpyxl.load_workbook(recalc, data_only=True)
            for gs, t in zip(g.sheets, engine["total"]):
                assert same(wb[gs.sheet][total.ref].value, t), f"{where} {gs.sheet}"
        assert formula_errors(recalc) == [], where


def test_examples_use_only_excel_2010_functions(examples):
    seen = set()
    for name, kind, _, g, _ in examples:
        wb = openpyxl.load_workbook(g.path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        seen |= functions_in(c.value)
    assert seen and seen - EXCEL_2010 - {"NA"} == set(), seen - EXCEL_2010


def test_summary_points_at_each_persons_sheet(examples):
    for name, kind, tpl, g, _ in examples:
        wb = openpyxl.load_workbook(g.path)
        s = wb["汇总"]
        keys = [c.value for c in s[1]]
        col = {k: i for i, k in enumerate(keys)}
        by_id = {gs.employee_id: gs.sheet for gs in g.sheets}
        refs = 0
        for row in s.iter_rows(min_row=3, values_only=True):
            sheet = by_id[str(row[col["employee_id"]])]
            assert row[col["sheet"]] == sheet
            for key in keys:
                v = row[col[key]]
                if isinstance(v, str) and v.startswith("="):
                    named = set(re.findall(r"'((?:[^']|'')+)'!", v))
                    assert named <= {sheet.replace("'", "''")}, (name, key, v)
                    refs += len(named)
        assert refs >= len(g.sheets), name


def test_validation_on_every_input_of_every_example(examples):
    for name, kind, tpl, g, _ in examples:
        card = read_template(tpl).card
        wb = openpyxl.load_workbook(g.path)
        ws = wb[g.sheets[0].sheet]
        merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
        inputs = set()
        for c in card.cells:  # an input cell, spread over its merged range
            if c.kind == "input" and ".target" not in c.key:
                rng = merged.get((c.row + 1, c.col + 1))
                inputs |= {f"{get_column_letter(col)}{row}" for row, col in rng.cells} if rng else {c.ref}
        validated = {f"{get_column_letter(col)}{row}" for dv in ws.data_validations.dataValidation
                     for rng in dv.sqref.ranges for row, col in rng.cells}
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False}
        assert inputs == validated == unlocked, (name, kind)
        assert ws.protection.sheet and ws.freeze_panes and ws.print_title_rows


def test_same_inputs_same_bytes(tmp_path):
    import hashlib

    tpl = hand_template(tmp_path / "t.xlsx")
    digests = {hashlib.sha256(generate_workbook(tpl, None, "2026-11", tmp_path / f"{k}.xlsx").path.read_bytes()).hexdigest()
               for k in range(2)}
    assert len(digests) == 1
