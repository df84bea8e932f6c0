"""The Scheme sheet (考核方案): lossless round trips, a hand-written sheet, and bad sheets.

Round trips write with openpyxl, save to bytes, load again and read: the scheme that
comes back must equal the one written — for rich hand-made schemes covering every rule
type and every scheme-level structure, and for random valid schemes (hypothesis).
Bad sheets assert on the flattened ``(where, code)`` list: every problem, at its cell,
in one error.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpixl.errors import FileProblem, InputError
from kpixl.scheme import load_scheme, scheme_from_dict
from kpixl.scheme.models import Scheme
from kpixl.scheme import notation as nt
from kpixl.scheme.sheet.book import read_scheme_sheet, write_scheme_sheet

# ---- helpers ----------------------------------------------------------------------------


def roundtrip(scheme: Scheme, sheet_name: str = "Scheme") -> Scheme:
    """Write into a new workbook, save to bytes, load, read."""
    wb = openpyxl.Workbook()
    write_scheme_sheet(scheme, wb, sheet_name)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return read_scheme_sheet(openpyxl.load_workbook(buf))


def saved(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def sheet(rows: list[list], title: str = "Scheme") -> openpyxl.Workbook:
    """A workbook whose scheme sheet holds ``rows`` from A1 (None leaves a cell empty)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            if v is not None:
                ws.cell(r, c, v)
    return wb


def problems(wb_or_path) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as e:
        read_scheme_sheet(wb_or_path)
    return e.value.keys()


def item(id_, points, rule, **kw):
    return {"id": id_, "points": points, "rule": rule, **kw}


# ---- rich schemes: every rule type, every scheme-level structure --------------------------

SEED_KPI = {
    "id": "cm-monthly-kpi", "name": "客户经理月度KPI绩效考核表", "version": 3, "period": "month",
    "raters": {"self": 0.3, "manager": 0.7}, "missing_rater": "reweight",
    "total": {"cap": 120, "floor": 0, "round": 1},
    "description": "依据《客户经理管理办法》\n每月5日前完成考核",
    "sections": [
        {"id": "business", "name": "业务指标", "weight": 0.8, "items": [
            item("new_sales", 20, {"type": "ratio", "cap": 1.2, "zero_below": 0.5}, name="全新AA+BB销量达成",
                 target={"column": "销量目标"}, na="average", na_group="序列", source="财务部"),
            item("rate", 20, {"type": "tiers", "gap": "lower", "bands": [
                {"min": 0.9, "points": 20}, {"min": 0.85, "points": 10},
                {"min": 0.6, "max": 0.69, "points": [6, 8]}, {"min": 0, "max": 0.5, "points": 0}]},
                name="完成率", target=100),
            item("accuracy", 10, {"type": "step", "threshold": 0.95, "measure": "value",
                                  "below": {"every": 0.01, "points": 0.5}, "above": {"every": 0.01, "points": 1},
                                  "max_bonus": 5, "stepping": "linear", "zero_below": 0.5}, name="需求预测准确率"),
            item("errors", 5, {"type": "tiers", "measure": "value", "bands": [
                {"max": 0.03, "points": 5}, {"max": 0.05, "points": 3}, {"points": 0}]}, name="差错率"),
        ]},
        {"id": "behaviour", "name": "行为考核", "weight": 0.2, "items": [
            item("level", 25, {"type": "rubric", "levels": {1: 5, 2: 10, 3: 15, 4: 20, 5: 25}}, name="工作态度"),
            item("self_eval", 10, {"type": "rubric", "of": "fraction",
                                   "levels": {"优": 1.0, "良": [0.8, 0.9], "中": 0.7, "差": [0, 0.5]}}),
            item("leader", 5, {"type": "manual", "min": 1}, raters={"self": 0.3, "hr": 0.3, "manager": 0.4},
                 missing_rater="error"),
            item("executed", 10, {"type": "binary"}, rater="manager", description="是否执行 0/10分", na="full"),
        ]},
        {"id": "deduct", "name": "扣分项", "cap": 0, "floor": -20, "items": [
            item("discipline", 0, {"type": "count", "allow_negative": True, "limit": {"min": -10},
                                   "counters": [{"id": "late", "name": "迟到/早退", "per": -1},
                                                {"id": "absent", "name": "旷工", "per": -5}]}, name="考勤"),
            item("important", 0, {"type": "adjust", "min": -100, "max": 100}, floor=-100, cap_points=100,
                 name="临时重要工作"),
            item("new_clients", 0, {"type": "count", "base": "full", "counters": [{"id": "new", "per": 5}],
                                    "limit": {"max": 20}}, na="exclude"),
        ]},
    ],
    "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80},
                          {"name": "合格", "min": 60}, {"name": "不合格"}]},
    "bonus": {"base": {"column": "月度绩效奖金"},
              "curve": [{"below": 60, "factor": 0}, {"below": 90, "factor": "score"}, {"factor": 1}],
              "rating_factor": {"优秀": 1.2, "良好": 1.0}},
    "rollup": {"components": [{"id": "checks", "weight": 0.2}, {"id": "monthly", "weight": 0.3},
                              {"id": "year_end", "weight": 0.5, "aggregate": "last"}]},
}

# Everything the compact notations cannot say, so the writer must fall back to YAML flow
# (names with separators, a roster column named like a number), plus floats openpyxl
# would shorten (0.1 + 0.2) and text that looks like a formula.
AWKWARD = {
    "id": "sales-2025Q1", "name": "=营销部考核; 季度", "version": 12, "period": "quarter", "scale": 150,
    "total": {"round": 0},
    "sections": [
        {"id": "a", "name": "(一) 业绩", "weight": 1 / 3, "items": [
            item("x1", 0.1 + 0.2, {"type": "ratio", "direction": "lower", "cap": 1.5, "floor": 0.2},
                 target={"column": "123"}),
            item("x2", 10, {"type": "tiers", "gap": "zero", "bands": [
                {"min": 1 / 3, "points": [1, 2.5]}, {"min": 0.1, "max": 0.2, "points": 1e-7}]},
                target=0.1 + 0.7),
        ]},
        {"id": "b", "weight": 1 / 3, "items": [
            item("x3", 10, {"type": "rubric", "levels": {"A;B": 1, "C:D": [2, 3], "9 ": 4}}),
            item("x4", 10, {"type": "count", "base": 2.5, "counters": [{"id": "c1", "name": "a;b", "per": -0.5},
                                                                   {"id": "c2", "name": "", "per": 1}]}),
        ]},
        {"id": "c", "weight": 1 / 3, "items": [
            item("x5", 10, {"type": "step", "direction": "lower", "base": 0, "threshold": 1,
                            "above": {"every": 0.05, "points": 1}, "max_bonus": 3, "max_deduction": 2,
                            "stepping": "ceil"}, target=5),
            item("x6", 10, {"type": "manual", "max": 8}, rater="=部门经理", description="[见附件]",
                 raters={"a": 0.5, "b": 0.5}, missing_rater="reweight"),
        ]},
    ],
    "raters": {},
    "ratings": {"distribution": {"group_by": "序列", "tie_break": ["入职日期"], "quotas": [
        {"name": "优秀", "share": 0.05}, {"name": "良好", "share": 0.2}, {"name": "合格", "share": 0.5},
        {"name": "待改进", "share": 0.2}, {"name": "不合格", "share": 0.05}]},
        "flags": [{"id": "promote", "name": "加薪/晋升", "top": 0.05}, {"id": "train", "bottom": 0.25}]},
    "bonus": {"base": 3000, "curve": [{"factor": "score"}],
              "level_factor": {"column": "职级", "factors": {"A1": 1.0, "B1": 1.3}},
              "commission": {"rate": 0.01, "amount": {"column": "销售额"}}, "budget": 100000, "round": 0},
    "rollup": {"components": [{"id": "m", "weight": 1.0, "aggregate": "sum"}]},
}

# No cap written as ∞ (pydantic accepts infinite numbers; a cell cannot hold one).
UNBOUNDED = {"id": "u", "name": "无上限", "total": {"cap": float("inf")}, "sections": [{"id": "s", "items": [
    item("r", 10, {"type": "ratio", "cap": float("inf"), "zero_below": 0.5}, target=float("inf")),
    item("t", 10, {"type": "tiers", "gap": "zero", "bands": [{"min": float("inf"), "points": 1}, {"min": 1, "points": 0}]}),
]}]}

MINIMAL = {"id": "m", "name": "最小方案", "sections": [{"id": "s", "items": [item("ok", 10, {"type": "binary"})]}]}


def test_infinite_numbers_are_rejected_with_their_paths():
    # ∞ is never a meaningful cap, band edge or target: the models refuse it (no ∞ cells).
    with pytest.raises(InputError) as e:
        scheme_from_dict(UNBOUNDED)
    where = {p.where for p in e.value.problems}
    assert {"total.cap", "sections[0].items[0].rule.cap", "sections[0].items[0].target",
            "sections[0].items[1].rule.bands[0].min"} <= where


@pytest.mark.parametrize("data", [SEED_KPI, AWKWARD, MINIMAL], ids=["seed_kpi", "awkward", "minimal"])
@pytest.mark.parametrize("sheet_name", ["Scheme", "考核方案"])
def test_round_trip_rich_schemes(data, sheet_name):
    scheme = scheme_from_dict(data)
    assert roundtrip(scheme, sheet_name) == scheme


def test_round_trip_through_a_file_and_load_scheme(tmp_path):
    scheme = scheme_from_dict(SEED_KPI)
    path = tmp_path / "scheme.xlsx"
    write_scheme_sheet(scheme, path)
    assert load_scheme(path) == scheme  # kpixl.scheme.io dispatches .xlsx here
    assert read_scheme_sheet(str(path)) == scheme


def test_writing_into_an_existing_workbook_replaces_the_scheme_sheet_in_place(tmp_path):
    path = tmp_path / "master.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Roster"
    wb["Roster"]["A1"] = "employee_id"
    wb.create_sheet("考核方案")["A1"] = "old"
    wb.create_sheet("Results")
    wb.save(path)
    scheme = scheme_from_dict(MINIMAL)
    write_scheme_sheet(scheme, path)
    again = openpyxl.load_workbook(path)
    assert again.sheetnames == ["Roster", "Scheme", "Results"]
    assert again["Roster"]["A1"].value == "employee_id"
    assert read_scheme_sheet(path) == scheme


# ---- what the writer puts in the cells ------------------------------------------------------


def test_written_sheet_layout_and_compact_notations():
    wb = openpyxl.Workbook()
    ws = write_scheme_sheet(scheme_from_dict(SEED_KPI), wb)
    keys = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 16)}
    assert ws["A1"].value == "考核方案：客户经理月度KPI绩效考核表"
    assert keys["方案编号"] == "cm-monthly-kpi" and keys["版本"] == 3 and keys["考核周期"] == "月度"
    assert keys["评分人权重"] == "self:0.3, manager:0.7"
    assert keys["缺评处理"] == "重新加权"
    assert keys["评级"] == "优秀≥90; 良好≥80; 合格≥60; 不合格"
    assert keys["汇总"] == "checks:0.2; monthly:0.3; year_end:0.5:最后"
    assert keys["奖金"] == ("{base: {column: 月度绩效奖金}, curve: [{below: 60, factor: 0}, {below: 90, factor: score}, "
                          "{factor: 1}], rating_factor: {优秀: 1.2, 良好: 1}}")

    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "板块")
    header = [c.value for c in ws[head] if c.value]
    assert header[:10] == ["板块", "板块名称", "板块权重", "板块上限", "板块下限", "项目编号", "考核项目", "分值", "规则", "目标"]
    col = {h: i + 1 for i, h in enumerate(header)}

    def cell(item_row: int, h: str):
        return ws.cell(head + item_row, col[h])

    assert [cell(i, "规则").value for i in range(1, 12)] == [
        "比例", "分档", "步进", "分档", "等级", "等级", "评分", "是否", "计次", "加减分", "计次"]
    assert cell(1, "板块权重").value == 0.8 and cell(1, "板块权重").number_format == "0%"
    assert cell(2, "板块权重").value is None  # section fields on the section's first row only
    assert cell(1, "目标").value == "销量目标" and cell(2, "目标").value == 100
    assert cell(1, "封顶").value == 1.2 and cell(1, "封顶").number_format == "0%"
    assert cell(2, "档位").value == "≥90%:20; ≥85%:10; 60%~69%:6~8; 0%~50%:0"
    assert cell(2, "缺口").value == "就低"
    assert cell(3, "低于").value == "0.01:0.5" and cell(3, "步进方式").value == "线性"
    assert cell(4, "档位").value == "≤0.03:5; ≤0.05:3; 其他:0" and cell(4, "口径").value == "数值"
    assert cell(5, "等级").value == "1:5; 2:10; 3:15; 4:20; 5:25"
    assert cell(6, "等级").value == "优:100%; 良:80%~90%; 中:70%; 差:0%~50%" and cell(6, "等级口径").value == "比例"
    assert cell(7, "评分人").value == "self:0.3, hr:0.3, manager:0.4"
    assert cell(9, "计次项").value == "late(迟到/早退):-1; absent(旷工):-5"
    assert cell(9, "扣分范围").value == "-10~" and cell(9, "可为负").value == "是"
    assert cell(11, "基数").value == "满分" and cell(11, "扣分范围").value == "~20"
    assert cell(10, "单项下限").value == -100 and cell(10, "单项上限").value == 100

    assert ws.freeze_panes == f"A{head + 1}"
    assert ws["A1"].font.name == "Microsoft YaHei" and ws.cell(head, 1).font.name == "Microsoft YaHei"
    assert ws.cell(head, 1).font.b and ws.cell(head + 1, col["评分标准"]).alignment.wrap_text
    assert ws.column_dimensions["G"].width == 24  # 考核项目
    rule_col = openpyxl.utils.get_column_letter(col["规则"])
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists[f"{rule_col}{head + 1}"] == '"比例,分档,步进,计次,等级,评分,是否,加减分"'


def test_writer_falls_back_to_yaml_and_text_where_compact_forms_would_lose_something():
    wb = openpyxl.Workbook()
    ws = write_scheme_sheet(scheme_from_dict(AWKWARD), wb)
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "{column: '123'}" in values                       # a roster column named like a number
    assert "{A;B: 1, 'C:D': [2, 3], 9: 4}" in values          # level names holding separators
    assert "[{id: c1, name: a;b, per: -0.5}, {id: c2, name: '', per: 1}]" in values
    assert "{}" in values                                     # empty rater weights are not "no raters"
    assert "0.30000000000000004" in values                    # text: openpyxl keeps 16 digits of a float
    assert ws["B3"].value == "=营销部考核; 季度" and ws["B3"].data_type == "s"   # text, not a formula
    ratings = next(v for v in values if isinstance(v, str) and v.startswith("{distribution"))
    assert nt.parse_yaml(ratings)["flags"][0] == {"id": "promote", "name": "加薪/晋升", "top": 0.05}


# ---- random valid schemes ---------------------------------------------------------------------

TEXT = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=10).filter(str.strip)
LONG_TEXT = st.lists(TEXT, min_size=1, max_size=3).map("\n".join)
NUM = st.one_of(st.integers(-20, 120).map(float), st.floats(-500, 500, allow_nan=False),
                st.sampled_from([0.1 + 0.2, 1 / 3, 0.855, 1e-7, 2.675]))
POS = st.one_of(st.integers(1, 100).map(float), st.floats(0.001, 500), st.sampled_from([0.1 + 0.2, 1 / 3, 0.855]))
SHARE = st.one_of(st.sampled_from([0.05, 0.5, 0.855, 1.0, 1.2, 1 / 3]), st.floats(0.001, 2))
RATERS = st.sampled_from([{"self": 0.3, "hr": 0.3, "manager": 0.4}, {"a": 0.5, "b": 0.5}, {"经理": 1.0},
                          {"self": 0.25, "manager": 0.75}])


def maybe(strategy):
    return st.one_of(st.none(), strategy)


def pair(lo=-50.0, hi=200.0):
    return st.tuples(st.floats(lo, hi), st.floats(lo, hi)).map(sorted).map(list)


@st.composite
def ratio_rule(draw):
    rule = {"type": "ratio"}
    if draw(st.booleans()):
        rule["direction"] = "lower"
        rule["cap"] = draw(st.floats(1, 3))
    elif draw(st.booleans()):
        rule["measure"] = "value"
    if "cap" not in rule and draw(st.booleans()):
        rule["cap"] = draw(st.floats(1, 3))
    if draw(st.booleans()):
        rule["floor"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        rule["zero_below"] = draw(st.floats(0, 1))
    return rule


@st.composite
def tiers_rule(draw):
    points = st.one_of(NUM, pair(0, 50))
    if draw(st.booleans()):  # higher is better: mins best first
        mins = sorted(draw(st.lists(st.floats(0.01, 3), min_size=1, max_size=4, unique=True)), reverse=True)
        bands = [{"min": m, "points": draw(points)} for m in mins]
        gap = draw(st.sampled_from(["error", "lower", "zero"]))
        if gap == "error":
            bands.append({"min": 0, "points": draw(points)})
        elif draw(st.booleans()):
            bands.append({"min": 0, "max": draw(st.floats(0, mins[-1] * 0.99)), "points": draw(points)})
        rule = {"type": "tiers", "bands": bands, "gap": gap}
        if draw(st.booleans()):
            rule["direction"] = "lower"
        return rule
    maxes = sorted(draw(st.lists(st.floats(0, 1), min_size=1, max_size=3, unique=True)))
    bands = [{"max": m, "points": draw(points)} for m in maxes]
    if draw(st.booleans()):
        bands.append({"points": draw(points)})
    return {"type": "tiers", "measure": "value", "bands": bands}


@st.composite
def step_rule(draw):
    rule = {"type": "step"}
    steps = st.fixed_dictionaries({"every": st.floats(0.001, 0.5), "points": st.floats(0, 10)})
    sides = draw(st.sampled_from(["below", "above", "both"]))
    if sides in ("below", "both"):
        rule["below"] = draw(steps)
    if sides in ("above", "both"):
        rule["above"] = draw(steps)
    for key, strat in [("threshold", SHARE), ("base", st.one_of(st.just(0.0), NUM)),
                       ("stepping", st.sampled_from(["ceil", "linear"])), ("zero_below", st.floats(0, 1)),
                       ("max_bonus", st.floats(0, 20)), ("max_deduction", st.floats(0, 20)),
                       ("measure", st.just("value")), ("direction", st.just("lower"))]:
        if draw(st.booleans()):
            rule[key] = draw(strat)
    if rule.get("direction") == "lower" and rule.get("measure") != "value" and "above" in rule:
        rule["max_bonus"] = draw(st.floats(0, 20))
    return rule


@st.composite
def count_rule(draw):
    ids = draw(st.lists(st.sampled_from(["late", "absent", "迟到", "新客户", "c_1"]), min_size=1, max_size=3, unique=True))
    counters = []
    for cid in ids:
        c = {"id": cid, "per": draw(NUM)}
        name = draw(maybe(TEXT))
        if name is not None:
            c["name"] = name
        counters.append(c)
    rule = {"type": "count", "counters": counters}
    if draw(st.booleans()):
        rule["base"] = draw(st.one_of(st.just("full"), NUM))
    if draw(st.booleans()):
        rule["allow_negative"] = draw(st.booleans())
    if draw(st.booleans()):
        lo, hi = draw(pair())
        rule["limit"] = draw(st.sampled_from([{"min": lo}, {"max": hi}, {"min": lo, "max": hi}, {}]))
    return rule


def _numeric(text: str) -> bool:
    try:
        float(text.strip())
        return True
    except ValueError:
        return False


@st.composite
def rubric_rule(draw):
    fraction = draw(st.booleans())
    value = st.floats(0, 1.5) if fraction else NUM
    ranged = pair(0, 1.5) if fraction else pair()
    if draw(st.booleans()):
        keys = draw(st.lists(st.integers(-3, 9), min_size=1, max_size=5, unique=True))
    else:
        keys = draw(st.lists(TEXT.filter(lambda t: not _numeric(t)), min_size=1, max_size=4,
                             unique_by=str.strip))
    rule = {"type": "rubric", "levels": {k: draw(st.one_of(value, ranged)) for k in keys}}
    if fraction:
        rule["of"] = "fraction"
    return rule


@st.composite
def manual_rule(draw):
    rule = {"type": draw(st.sampled_from(["manual", "adjust"]))}
    lo, hi = draw(pair(-100, 100))
    if rule["type"] == "manual":
        rule.update(draw(st.sampled_from([{}, {"min": lo if lo <= 0 else 0.0}, {"max": hi if hi >= 0 else 0.0},
                                          {"min": lo, "max": hi}])))
    else:
        rule.update(draw(st.sampled_from([{}, {"min": lo, "max": hi}])))
    return rule


RULE = st.one_of(ratio_rule(), tiers_rule(), step_rule(), count_rule(), rubric_rule(), manual_rule(),
                 st.just({"type": "binary"}))


def _uses_target(rule: dict) -> bool:
    return rule["type"] in ("ratio", "tiers", "step") and rule.get("measure", "ratio") == "ratio"


@st.composite
def an_item(draw, item_id: str, weighted: bool):
    rule = draw(RULE)
    it = {"id": item_id, "rule": rule, "points": draw(st.floats(1, 50) if weighted else st.floats(0, 50))}
    if draw(st.booleans()):
        it["name"] = draw(TEXT)
    if _uses_target(rule) and draw(st.booleans()):
        it["target"] = draw(st.one_of(POS, TEXT.map(lambda t: {"column": t})))
    na = draw(maybe(st.sampled_from(["zero", "full", "average", "exclude"])))
    if na:
        it["na"] = na
        if na == "average" and draw(st.booleans()):
            it["na_group"] = draw(TEXT)
    if rule["type"] != "count" and draw(st.booleans()):
        it["raters"] = draw(RATERS)
    for key, strat in [("rater", TEXT), ("missing_rater", st.sampled_from(["error", "reweight"])),
                       ("source", TEXT), ("description", LONG_TEXT)]:
        if draw(st.booleans()):
            it[key] = draw(strat)
    if draw(st.booleans()):
        lo, hi = draw(pair())
        it.update(draw(st.sampled_from([{"floor": lo}, {"cap_points": hi}, {"floor": lo, "cap_points": hi}])))
    return it


@st.composite
def a_scheme(draw):
    n_sections = draw(st.integers(1, 3))
    weighted = draw(st.lists(st.booleans(), min_size=n_sections, max_size=n_sections))
    parts = draw(st.lists(st.integers(1, 9), min_size=n_sections, max_size=n_sections))
    total_parts = sum(p for p, w in zip(parts, weighted) if w)
    sections, n = [], 0
    for si in range(n_sections):
        sec = {"id": draw(st.sampled_from(["s", "板块", "sec_"])) + str(si), "items": []}
        if weighted[si]:
            sec["weight"] = parts[si] / total_parts
        if draw(st.booleans()):
            sec["name"] = draw(TEXT)
        if draw(st.booleans()):
            lo, hi = draw(pair())
            sec.update(draw(st.sampled_from([{"floor": lo}, {"cap": hi}, {"floor": lo, "cap": hi}])))
        for _ in range(draw(st.integers(1, 3))):
            n += 1
            sec["items"].append(draw(an_item(draw(st.sampled_from(["i", "项目", "kpi_"])) + str(n), weighted[si])))
        sections.append(sec)
    data = {"id": draw(st.from_regex(r"[A-Za-z0-9_\-一-龥]{1,12}", fullmatch=True)), "name": draw(TEXT),
            "sections": sections}
    for key, strat in [("version", st.integers(1, 99)), ("period", st.sampled_from(["month", "quarter", "half", "year"])),
                       ("scale", POS), ("raters", RATERS), ("missing_rater", st.just("reweight")),
                       ("description", LONG_TEXT)]:
        if draw(st.booleans()):
            data[key] = draw(strat)
    if draw(st.booleans()):
        lo, hi = draw(pair(0, 150))
        data["total"] = draw(st.sampled_from([{"cap": hi}, {"floor": lo, "cap": hi, "round": 0}, {"round": 4}]))
    names = draw(st.lists(TEXT, min_size=2, max_size=4, unique=True))
    if draw(st.booleans()):
        mins = sorted(draw(st.lists(st.floats(0, 100), min_size=len(names) - 1, max_size=len(names) - 1,
                                    unique=True)), reverse=True)
        ratings = {"bands": [{"name": nm, "min": m} for nm, m in zip(names, mins)] + [{"name": names[-1]}]}
        if draw(st.booleans()):
            ratings["flags"] = [{"id": "top", "top": 0.1}]
        data["ratings"] = ratings
    elif draw(st.booleans()):
        shares = [1 / len(names)] * len(names)
        data["ratings"] = {"distribution": {"quotas": [{"name": nm, "share": s} for nm, s in zip(names, shares)],
                                            "group_by": draw(maybe(TEXT)) or "序列"}}
    if draw(st.booleans()):
        bonus = {"base": draw(st.one_of(POS, TEXT.map(lambda t: {"column": t})))}
        if draw(st.booleans()):
            bonus["curve"] = [{"below": 60, "factor": 0}, {"below": 90, "factor": "score"}, {"factor": draw(POS)}]
        if "ratings" in data and draw(st.booleans()):
            bonus["rating_factor"] = {names[0]: draw(POS)}
        data["bonus"] = bonus
    if draw(st.booleans()):
        data["rollup"] = {"components": [{"id": "m", "weight": 0.4},
                                         {"id": "y", "weight": 0.6, "aggregate": draw(st.sampled_from(["last", "sum"]))}]}
    return data


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a_scheme())
def test_round_trip_random_valid_schemes(data):
    scheme = scheme_from_dict(data)
    assert roundtrip(scheme) == scheme


# ---- a sheet written by hand ----------------------------------------------------------------


def test_hand_written_sheet_with_chinese_headers_aliases_and_percent_cells():
    rows = [
        ["2025年客户经理考核方案"],
        ["方案编号：", "cm-2025"],
        ["Name", "客户经理季度考核"],
        ["版本号", 2],
        ["周期", "季度"],
        ["评分人权重", "self：30%，manager：70%"],
        ["总分小数位", 1],
        ["评级", "优秀≥90；良好>=80；合格≥60；不合格"],
        ["奖金", "{base: {column: 月度绩效奖金}, curve: [{below: 60, factor: 0}, {factor: score}]}"],
        [],
        ["板块", "板块名称", "板块权重", "项目编号", "考核项目", "分值", "规则", "目标", "口径", "封顶",
         "阈值", "档位", "缺口", "低于", "超过", "最多加", "计次项", "扣分范围", "可为负", "等级", "等级口径",
         "不适用", "评分人", "Source", "评分标准"],
        ["biz", "业务指标", 0.8, "sales", "销量", 30, "比例", "销量目标", None, 1.2, None, None, None, None, None,
         None, None, None, None, None, None, "平均分", None, "财务部"],
        [None, None, None, "rate", "完成率", 30, "分档", 100, None, None, None,
         "≥90%:30\n≥85%:20\n60%~69%:10~15\n0~59%:0", "就低"],
        [None, None, None, "acc", "准确率", 20, "步进", None, "数值", None, "95%", None, None, "1%:0.5", "1%:1", 5],
        ["beh", "行为考核", "20%", "att", "工作态度", 10, "等级", None, None, None, None, None, None, None, None,
         None, None, None, None, "优:100%；良:80%~90%；差:0~50%", "比例", None, "self:0.3, manager:0.7"],
        ["beh", "行为考核", 0.2, "exec", "执行", 10, "是否", None, None, None, None, None, None, None, None, None,
         None, None, None, None, None, None, None, None, "是否执行 0/10分"],
        ["ded", "扣分项", None, "disc", "考勤", 0, "计次", None, None, None, None, None, None, None, None, None,
         "late(迟到/早退):-1; absent（旷工）:-5", "-10~", "是"],
    ]
    wb = sheet(rows, "考核方案")
    ws = wb["考核方案"]
    ws.merge_cells("A12:A14")  # the section merged down its rows, as HR does
    ws.merge_cells("B12:B14")
    ws.merge_cells("C12:C14")
    for ref in ("C12", "C16", "J12"):
        ws[ref].number_format = "0%"
    expected = scheme_from_dict({
        "id": "cm-2025", "name": "客户经理季度考核", "version": 2, "period": "quarter",
        "raters": {"self": 0.3, "manager": 0.7}, "total": {"round": 1},
        "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80},
                              {"name": "合格", "min": 60}, {"name": "不合格"}]},
        "bonus": {"base": {"column": "月度绩效奖金"}, "curve": [{"below": 60, "factor": 0}, {"factor": "score"}]},
        "sections": [
            {"id": "biz", "name": "业务指标", "weight": 0.8, "items": [
                item("sales", 30, {"type": "ratio", "cap": 1.2}, name="销量", target={"column": "销量目标"},
                     na="average", source="财务部"),
                item("rate", 30, {"type": "tiers", "gap": "lower", "bands": [
                    {"min": 0.9, "points": 30}, {"min": 0.85, "points": 20},
                    {"min": 0.6, "max": 0.69, "points": [10, 15]}, {"min": 0, "max": 0.59, "points": 0}]},
                    name="完成率", target=100),
                item("acc", 20, {"type": "step", "measure": "value", "threshold": 0.95,
                                 "below": {"every": 0.01, "points": 0.5}, "above": {"every": 0.01, "points": 1},
                                 "max_bonus": 5}, name="准确率"),
            ]},
            {"id": "beh", "name": "行为考核", "weight": 0.2, "items": [
                item("att", 10, {"type": "rubric", "of": "fraction",
                                 "levels": {"优": 1, "良": [0.8, 0.9], "差": [0, 0.5]}},
                     name="工作态度", raters={"self": 0.3, "manager": 0.7}),
                item("exec", 10, {"type": "binary"}, name="执行", description="是否执行 0/10分"),
            ]},
            {"id": "ded", "name": "扣分项", "items": [
                item("disc", 0, {"type": "count", "allow_negative": True, "limit": {"min": -10},
                                 "counters": [{"id": "late", "name": "迟到/早退", "per": -1},
                                              {"id": "absent", "name": "旷工", "per": -5}]}, name="考勤"),
            ]},
        ],
    })
    assert read_scheme_sheet(saved(wb)) == expected


# ---- bad sheets: every problem, at its cell, at once --------------------------------------------

HEAD = ["板块", "板块权重", "项目编号", "考核项目", "分值", "规则", "目标", "封顶", "档位"]


def test_all_problems_at_once_weights_header_parameter_band_duplicate():
    wb = sheet([
        ["考核方案"],
        ["方案编号", "bad"],
        ["方案名称", "坏方案"],
        [],
        HEAD + ["权重系数"],                                                          # J5: unknown header
        ["biz", 0.6, "sales", "销量", 50, "比例", 100, 1.2],                           # B6: weights 60% + 30%
        ["biz", None, "rate", "完成率", 50, "分档", 100, None, "≥90%:50; 85%-90%:30"],  # I7: malformed band
        ["beh", 0.3, "sales", "重复", 10, "评分"],                                       # C8: duplicate id (and C6)
        ["beh", None, "mgr", "执行", 10, "是否", None, 1.2],                           # H9: binary has no cap
    ])
    assert problems(wb) == [
        ("Scheme!J5", "unknown_header"),
        ("Scheme!B6", "weights_sum"),
        ("Scheme!C6", "duplicate_id"),
        ("Scheme!I7", "bad_notation"),
        ("Scheme!C8", "duplicate_id"),
        ("Scheme!H9", "extra_forbidden"),
    ]


def test_key_value_block_problems():
    wb = sheet([
        ["标题"],
        ["方案编号", "kv"],
        ["方案名称", "键值"],
        ["满分", "一百"],                       # B4 not a number
        ["考核周期", "每周"],                   # B5 not a period
        ["评分人权重", "self=0.3"],            # B6 bad notation
        ["评级", "优秀≥90; 良好>80; 合格"],     # B7 bad notation ('>' is not inclusive)
        ["方案名", "x"],                       # A8 unknown key
        ["方案编号", "again"],                 # A9 duplicate key
        [None, "orphan"],                     # B10 value without key
        ["汇总", "m:0.5:每天"],                # B11 unknown aggregate
        [],
        ["板块", "项目编号", "分值", "规则"],
        ["s", "a", 10, "是否"],
    ])
    assert problems(wb) == [
        ("Scheme!B4", "not_a_number"), ("Scheme!B5", "bad_value"), ("Scheme!B6", "bad_notation"),
        ("Scheme!B7", "bad_notation"), ("Scheme!A8", "unknown_key"), ("Scheme!A9", "duplicate_key"),
        ("Scheme!B10", "value_without_key"), ("Scheme!B11", "bad_notation"),
    ]
    with pytest.raises(InputError) as e:
        read_scheme_sheet(wb)
    assert "did you mean 方案名称 (name)?" in str(e.value)
    assert "Scheme!B4: 满分: must be a number in digits, such as 25, 0.9 or 90% (not 25分 or 二十五) — got \"一百\"" in str(e.value)


def test_item_table_problems():
    cols = ["板块", "板块权重", "项目编号", "分值", "规则", "等级", "计次项", "扣分范围", "低于", "可为负",
            "目标", "不适用", "规则"]
    wb = sheet([
        ["方案编号", "t"],
        ["方案名称", "表"],
        cols,                                                                        # M3 duplicate header
        ["s", 1, "a", "十", "比例"],                                                  # D4 not a number
        ["s", 0.5, "b", 10, "评分"],                                                   # B5 conflicting weight
        [None, None, "c", 10, "是否"],                                                 # A6 no section
        ["s", None, "d", 10, "加分"],                                                  # E7 unknown rule type
        ["s", None, "e", 10, None],                                                   # E8 missing rule
        ["s", None, "f", 10, "等级", "优 90"],                                          # F9 bad levels
        ["s", None, "g", 10, "计次", None, "late(迟到)-1", "10"],                       # G10, H10
        ["s", None, "h", 10, "步进", None, None, None, "5%", None, 1],                  # I11 bad steps
        ["s", None, "i", 10, "计次", None, "late:-1", None, None, "也许"],               # J12 not yes/no
        ["s", None, "j", 10, "比例", None, None, None, None, None, "{column: [", "随便"],  # K13, L13
        ["s", None, "k", 10, "是否", None, None, None, None, None, None, None, None, "x"],  # N14 no header
    ])
    assert problems(wb) == [
        ("Scheme!M3", "duplicate_header"), ("Scheme!D4", "not_a_number"), ("Scheme!B5", "section_conflict"),
        ("Scheme!A6", "no_section"), ("Scheme!E7", "union_tag_invalid"), ("Scheme!E8", "missing"),
        ("Scheme!F9", "bad_notation"), ("Scheme!G10", "bad_notation"), ("Scheme!H10", "bad_notation"),
        ("Scheme!I11", "bad_notation"), ("Scheme!J12", "bad_value"), ("Scheme!K13", "bad_notation"),
        ("Scheme!L13", "bad_value"), ("Scheme!N14", "value_without_header"),
    ]


def test_structural_problems_are_reported_at_their_cells():
    wb = sheet([
        ["方案编号", "a b"],                      # B1 id pattern
        ["方案名称", "结构"],
        ["板块", "板块权重", "项目编号", "分值", "规则", "最低"],
        ["s", 1.5, "new sales", -5, "评分", "x1"],  # B4 weight > 1, C4 not an identifier, D4 negative, F4
        ["s", None, None, 5, "是否"],              # C5 id missing
    ])
    assert problems(wb) == [
        ("Scheme!B1", "string_pattern_mismatch"), ("Scheme!B4", "less_than_equal"),
        ("Scheme!C4", "value_error"), ("Scheme!D4", "greater_than_equal"), ("Scheme!F4", "not_a_number"),
        ("Scheme!C5", "missing"),
    ]


def test_scheme_check_problems_are_reported_at_their_cells():
    wb = sheet([
        ["方案编号", "chk"],
        ["方案名称", "检查"],
        ["评级", "{distribution: {quotas: [{name: 优秀, share: 0.05}, {name: 合格, share: 0.75}]}}"],  # B3
        ["奖金", "{base: 100, rating_factor: {卓越: 1.5}}"],                                           # B4
        [],
        ["板块", "项目编号", "分值", "规则", "目标", "方向", "封顶", "档位", "评分人"],
        ["s", "a", 10, "分档", 100, None, None, "≥90%:10; 0~80%:0"],      # H7 gap 80%–90%
        ["s", "b", 10, "评分", 100],                                       # E8 target unused
        ["s", "c", 10, "比例", 100, "越低越好"],                            # G8 lower needs cap
        ["s", "d", 10, "评分", None, None, None, None, "self:0.5, hr:0.3"],  # I10 raters sum 80%
    ])
    assert problems(wb) == [
        ("Scheme!B3", "quotas_sum"), ("Scheme!B4", "unknown_rating"), ("Scheme!H7", "band_gap"),
        ("Scheme!E8", "target_unused"), ("Scheme!G9", "lower_needs_cap"), ("Scheme!I10", "weights_sum"),
    ]


def test_one_mistake_one_message():
    # Unreadable cells are left out or stood in for; what only follows from them is not repeated:
    # no "weighted section without points" for 十, no "rating_factor needs ratings" for the bad 评级,
    # no "bands required" for the bad 档位, no "weights sum to 0%" for the bad 板块权重.
    wb = sheet([
        ["方案编号", "one"],
        ["方案名称", "一个错误一条消息"],
        ["评级", "优秀>90; 合格"],
        ["奖金", "{base: 100, rating_factor: {优秀: 1.2}}"],
        [],
        ["板块", "板块权重", "项目编号", "分值", "规则", "档位", "目标"],
        ["a", 0.5, "x", "十", "比例", None, 100],
        ["b", "一半", "y", 10, "分档", "90%以上:10", 100],
    ])
    assert problems(wb) == [("Scheme!B3", "bad_notation"), ("Scheme!D7", "not_a_number"),
                            ("Scheme!B8", "not_a_number"), ("Scheme!F8", "bad_notation")]


def test_a_problem_without_a_cell_names_the_sheet_and_the_field():
    wb = sheet([["方案编号", "x"], ["板块", "项目编号", "分值", "规则"], ["s", "a", 1, "是否"]])
    with pytest.raises(InputError) as e:
        read_scheme_sheet(wb)
    assert e.value.keys() == [("Scheme", "missing")]
    assert "name: is required" in str(e.value)


def test_missing_columns_and_missing_table():
    wb = sheet([["方案编号", "x"], ["方案名称", "y"], ["板块", "考核项目", "规则"], ["s", "销量", "是否"]])
    assert problems(wb) == [("Scheme!D3", "missing_column"), ("Scheme!E3", "missing_column")]
    wb = sheet([["方案编号", "x"], ["方案名称", "y"]])
    assert problems(wb) == [("Scheme!A3", "no_item_table")]


def test_a_formula_without_a_computed_value_is_a_problem(tmp_path):
    wb = sheet([["方案编号", "f"], ["方案名称", "公式"], ["满分", "=50*2"],
                ["板块", "项目编号", "分值", "规则"], ["s", "a", 10, "是否"]])
    path = tmp_path / "f.xlsx"
    wb.save(path)  # openpyxl stores no computed value
    assert problems(path) == [("Scheme!B3", "formula_without_value")]


def test_whole_file_problems_name_the_step(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(FileProblem, match="opening the workbook failed"):
        read_scheme_sheet(text)
    with pytest.raises(FileProblem, match="opening the workbook failed: no such file"):
        load_scheme(tmp_path / "missing.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Roster"
    with pytest.raises(FileProblem, match=r"finding the Scheme sheet failed: no sheet named Scheme or 考核方案 \(sheets: Roster\)"):
        read_scheme_sheet(wb)
    wb.create_sheet("Scheme")
    wb.create_sheet("考核方案")
    with pytest.raises(FileProblem, match="keep one"):
        read_scheme_sheet(wb)


def test_writing_problems_name_the_step(tmp_path):
    scheme = scheme_from_dict(MINIMAL)
    with pytest.raises(FileProblem, match="creating the workbook failed"):
        write_scheme_sheet(scheme, tmp_path / "new.xlsm")
    with pytest.raises(FileProblem, match="saving the workbook failed"):
        write_scheme_sheet(scheme, tmp_path / "no such dir" / "s.xlsx")
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(FileProblem, match="opening the workbook failed"):
        write_scheme_sheet(scheme, tmp_path / "bad.xlsx")


def test_a_text_no_workbook_can_store_is_named_by_its_path():
    scheme = scheme_from_dict({**MINIMAL, "description": "ok", "sections": [{"id": "s", "items": [
        item("ok", 10, {"type": "binary"}, description="bell\x07")]}]})
    with pytest.raises(InputError) as e:
        write_scheme_sheet(scheme, openpyxl.Workbook())
    assert e.value.keys() == [("sections[0].items[0].description", "illegal_character")]


# ---- notations -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("≥0.9:20; ≥0.85:10; 0~0.8:0", [{"min": 0.9, "points": 20}, {"min": 0.85, "points": 10},
                                     {"min": 0, "max": 0.8, "points": 0}]),
    (">=90%:20；<=3%:5\n0.6~0.69:6~8", [{"min": 0.9, "points": 20}, {"max": 0.03, "points": 5},
                                        {"min": 0.6, "max": 0.69, "points": [6, 8]}]),
    ("≤-1:2; 其他:0; -5~:1", [{"max": -1, "points": 2}, {"points": 0}, {"min": -5, "points": 1}]),
])
def test_parse_bands(text, expected):
    assert nt.parse_bands(text) == expected


@pytest.mark.parametrize("kind, text, expected", [
    ("levels", "1:5; 2:10", {1: 5, 2: 10}),
    ("levels", "优:1; 良:0.8~0.9", {"优": 1, "良": [0.8, 0.9]}),
    ("counters", "late(迟到/早退):-1; absent(旷工):-5; new:5",
     [{"id": "late", "name": "迟到/早退", "per": -1}, {"id": "absent", "name": "旷工", "per": -5}, {"id": "new", "per": 5}]),
    ("steps", "0.05:3", {"every": 0.05, "points": 3}),
    ("limit", "-10~", {"min": -10}), ("limit", "~10", {"max": 10}), ("limit", "-10~10", {"min": -10, "max": 10}),
    ("raters", "self:0.3, hr:0.3, manager:0.4", {"self": 0.3, "hr": 0.3, "manager": 0.4}),
    ("ratings", "优秀≥90; 良好≥80; 合格≥60; 不合格",
     {"bands": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80}, {"name": "合格", "min": 60}, {"name": "不合格"}]}),
    ("rollup", "checks:0.2; year_end:0.8:最后", {"components": [{"id": "checks", "weight": 0.2},
                                                              {"id": "year_end", "weight": 0.8, "aggregate": "last"}]}),
    ("bands", "[{min: 0.9, points: 20}]", [{"min": 0.9, "points": 20}]),   # YAML flow instead
])
def test_parse_compact_notations(kind, text, expected):
    assert nt.parse_structured(kind, text) == expected


@pytest.mark.parametrize("kind, text", [
    ("bands", "≥90%"), ("bands", ">0.9&>0.8:20"), ("bands", "0.9:20"), ("bands", "≥x:1"), ("levels", "优"),
    ("counters", "(迟到):-1"), ("steps", "5%"), ("limit", "10"), ("raters", "self:0.3, self:0.7"),
    ("ratings", "优秀>90; 合格"), ("rollup", "m"), ("bands", "{min: [}"), ("bands", "{a: 1"),
])
def test_malformed_notations_say_what_is_allowed(kind, text):
    with pytest.raises(nt.NotationError):
        nt.parse_structured(kind, text)


@pytest.mark.parametrize("value", [0.57, 0.855, 1 / 3, 1e-7, 1.2, 0.1 + 0.2, 123456.789])
def test_percent_text_reads_back_exactly(value):
    assert nt.parse_number(nt.format_percent(value)) == value
    assert nt.parse_number(nt.format_number(value)) == value


def test_numbers_choices_and_booleans():
    assert nt.parse_number(" 90% ") == 0.9 and nt.parse_number("１２") == 12 and nt.parse_number(3) == 3
    with pytest.raises(nt.NotationError):
        nt.parse_number(True)
    assert nt.parse_choice("period", "半年度") == "half" and nt.parse_choice("period", "YEAR") == "year"
    assert nt.parse_bool("是") is True and nt.parse_bool(0) is False and nt.parse_bool("FALSE") is False
    assert nt.parse_target("销量目标") == {"column": "销量目标"} and nt.parse_target("120%") == 1.2
    assert nt.format_structured("raters", {"a b": 1.0}) == "a b:1"  # compact when it reads back
    assert nt.format_structured("raters", {" a": 1.0}) == "{' a': 1}"  # else YAML flow
