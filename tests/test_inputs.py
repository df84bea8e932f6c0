"""Bad input gets a clear message with its place — all problems at once, never a traceback.

DESIGN §3.2a (the inputs table) and STYLE "Errors people can act on": every problem is a
record with its place, a stable code, the value found, and the employee / item / column
it belongs to; the tests assert on the flattened ``(where, code)`` list.

One table holds every kind of bad cell at once (a different person per fault), read as
a DataFrame, a CSV file and an xlsx sheet: the SAME faults must come back, each exactly
once, each at its own place in that form's notation —

    DataFrame  inputs[4].new_sales          roster[15].销量目标
    CSV        inputs.csv:6 (new_sales)     roster.csv:17 (销量目标)
    xlsx       Inputs!D6                    Roster!C17
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

import kpixl
from kpixl import FileProblem, InputError
from kpixl.engine.score import evaluate
from kpixl.scheme.validate import scheme_from_dict

# ---- the scheme: one item per rule behaviour the table exercises -----------------------------

SCHEME = {
    "id": "cm-test", "name": "客户经理测试方案", "version": 1,
    "sections": [
        {"id": "biz", "name": "业绩", "weight": 0.6, "items": [
            # actual / roster target; may be marked N/A
            {"id": "new_sales", "name": "销量达成", "points": 20, "rule": {"type": "ratio", "cap": 1.2},
             "target": {"column": "销量目标"}, "na": "zero"},
            # no target in the scheme nor the roster: every person gives visits.target
            {"id": "visits", "name": "客户拜访", "points": 10, "rule": {"type": "ratio", "cap": 1.0}},
            # 完成率≥90% 10分; 60–90% the rater enters 6–8分; below 60% 0分
            {"id": "quality", "name": "服务质量", "points": 10, "rule": {
                "type": "tiers", "measure": "value",
                "bands": [{"min": 0.9, "points": 10}, {"min": 0.6, "max": 0.9, "points": [6, 8]},
                          {"max": 0.6, "points": 0}]}},
            {"id": "samples", "name": "样品跟进", "points": 25,
             "rule": {"type": "rubric", "levels": {1: 5, 2: 10, 3: 15, 4: 20, 5: 25}}},
        ]},
        {"id": "beh", "name": "行为", "weight": 0.4, "items": [
            {"id": "satisfaction", "name": "客户满意度", "points": 10, "rule": {"type": "manual"},
             "raters": {"self": 0.3, "manager": 0.7}},                        # missing_rater: error
            {"id": "teamwork", "name": "团队协作", "points": 10, "rule": {"type": "manual"},
             "raters": {"self": 0.5, "manager": 0.5}, "missing_rater": "reweight"},
            {"id": "discipline", "name": "考勤", "points": 10, "rule": {
                "type": "count", "base": "full",
                "counters": [{"id": "late", "name": "迟到", "per": -1}, {"id": "absent", "name": "旷工", "per": -5}]}},
            {"id": "contract", "name": "购销协议", "points": 10, "rule": {"type": "binary"}},
        ]},
        {"id": "extra", "name": "加扣分", "items": [
            {"id": "bonus_pts", "name": "临时工作", "points": 0, "rule": {"type": "adjust", "min": -10, "max": 10}},
        ]},
    ],
    "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "合格", "min": 60}, {"name": "不合格"}]},
    "bonus": {"base": {"column": "月度绩效奖金"},
              "level_factor": {"column": "职级", "factors": {"A1": 1.0, "B1": 1.3}}},
}

COLUMNS = ["employee_id", "姓名", "部门", "new_sales", "new_sales.na", "visits", "visits.target", "quality",
           "quality.score", "samples", "samples.na", "satisfaction@self", "satisfaction@manager",
           "teamwork@self", "teamwork@manager", "discipline.late", "discipline.absent", "contract",
           "bonus_pts", "bonus_pts.reason", "new_sales.foo", "satisfaction@boss"]
GOOD = {"姓名": "某人", "部门": "一部", "new_sales": 90, "visits": 8, "visits.target": 10, "quality": 0.95,
        "samples": 3, "satisfaction@self": 8, "satisfaction@manager": 9, "teamwork@self": 7,
        "teamwork@manager": 8, "discipline.late": 1, "contract": "是"}

# (employee_id, the cells that differ from GOOD, why) — one fault per person.
ROWS = [
    ("E01", {}, "clean"),
    ("E02", {"new_sales": "九十"}, "Chinese numerals"),
    ("E03", {"new_sales": "95%"}, "a percent typed as text"),
    ("E04", {"new_sales": "1,000"}, "a thousands separator"),
    ("E05", {"new_sales": True}, "TRUE where a number belongs"),
    ("E06", {"samples": 6}, "a level that does not exist"),
    ("E07", {"discipline.late": -1}, "a count below 0"),
    ("E08", {"satisfaction@manager": 12}, "a manual score above P = 10"),
    ("E09", {"quality": 0.7, "quality.score": 9}, "a score outside the 6–8 band 70% selects"),
    ("E10", {"quality": 0.75}, "no score for a range band"),
    ("E11", {"satisfaction@self": None}, "a missing rater (missing_rater: error)"),
    ("E12", {"teamwork@self": None, "teamwork@manager": None}, "every rater missing under reweight"),
    ("E13", {"visits.target": None}, "no target anywhere"),
    ("E14", {"visits.target": 0}, "a zero target"),
    ("E15", {}, "roster target blank"),
    ("E16", {}, "roster target 十万"),
    ("E17", {"bonus_pts": 5}, "an adjust without a reason"),
    ("E18", {"samples.na": True}, "N/A for an item with no na policy"),
    ("E01", {}, "a duplicate id"),
    (None, {}, "a blank id"),
    ("E99", {}, "not in the roster"),
    ("E20", {}, "roster bonus base 两千"),
    ("E21", {}, "roster level Z9"),
    ("E22", {"new_sales": "九十", "new_sales.na": True}, "N/A: exempt from every check of the item"),
]
ROSTER_COLUMNS = ["employee_id", "姓名", "销量目标", "月度绩效奖金", "职级"]
ROSTER_IDS = [f"E{i:02d}" for i in range(1, 23)]  # E99 is not in it
ROSTER_BAD = {"E15": {"销量目标": None}, "E16": {"销量目标": "十万"}, "E20": {"月度绩效奖金": "两千"},
              "E21": {"职级": "Z9"}, "E22": {"销量目标": None}}

# (table, employee row key, column, code, employee, item) — `row` indexes ROWS or the roster.
EXPECTED = [
    ("in", 1, "new_sales", "not_a_number", "E02", "new_sales"),
    ("in", 2, "new_sales", "not_a_number", "E03", "new_sales"),
    ("in", 3, "new_sales", "not_a_number", "E04", "new_sales"),
    ("in", 4, "new_sales", "not_a_number", "E05", "new_sales"),
    ("in", 5, "samples", "unknown_level", "E06", "samples"),
    ("in", 6, "discipline.late", "negative_count", "E07", "discipline"),
    ("in", 7, "satisfaction@manager", "score_out_of_range", "E08", "satisfaction"),
    ("in", 8, "quality.score", "score_outside_band", "E09", "quality"),
    ("in", 9, "quality.score", "missing_score", "E10", "quality"),
    ("in", 10, "satisfaction@self", "missing", "E11", "satisfaction"),
    ("in", 11, "teamwork@self", "no_rater", "E12", "teamwork"),
    ("in", 12, "visits.target", "missing_target", "E13", "visits"),
    ("in", 13, "visits.target", "zero_target", "E14", "visits"),
    ("roster", 14, "销量目标", "missing_target", "E15", "new_sales"),
    ("roster", 15, "销量目标", "not_a_number", "E16", "new_sales"),
    ("in", 16, "bonus_pts.reason", "missing_reason", "E17", "bonus_pts"),
    ("in", 17, "samples.na", "na_not_allowed", "E18", "samples"),
    ("in", -1, "new_sales.foo", "unknown_column", None, "new_sales"),
    ("in", -1, "satisfaction@boss", "unknown_rater", None, "satisfaction"),
    ("in", 18, "employee_id", "duplicate_id", "E01", None),
    ("in", 19, "employee_id", "blank_id", None, None),
    ("in", 20, "employee_id", "not_in_roster", "E99", None),
    ("roster", 19, "月度绩效奖金", "not_a_number", "E20", None),
    ("roster", 20, "职级", "unknown_level", "E21", None),
]


def inputs_rows() -> list[dict]:
    out = []
    for eid, cells, _ in ROWS:
        row = {c: None for c in COLUMNS}
        row.update(GOOD)
        row.update(cells)
        row["employee_id"] = eid
        out.append(row)
    return out


def roster_rows() -> list[dict]:
    out = []
    for eid in ROSTER_IDS:
        row = {"employee_id": eid, "姓名": "某人", "销量目标": 100, "月度绩效奖金": 2000, "职级": "A1"}
        row.update(ROSTER_BAD.get(eid, {}))
        out.append(row)
    return out


# ---- the three forms of a table ----------------------------------------------------------------


def _csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([_csv_text(r[c]) for c in columns])
    return path


def write_xlsx(path: Path, sheet: str, columns: list[str], rows: list[dict]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for r in rows:
        ws.append([r[c] for c in columns])
    wb.save(path)
    return path


FORMS = ["frame", "csv", "xlsx"]


def make_tables(form: str, tmp: Path, columns=COLUMNS, rows=None, roster=True):
    rows = inputs_rows() if rows is None else rows
    ros = roster_rows()
    if form == "frame":
        return (pd.DataFrame(rows, columns=columns, dtype=object),
                pd.DataFrame(ros, columns=ROSTER_COLUMNS, dtype=object) if roster else None)
    if form == "csv":
        return (write_csv(tmp / "inputs.csv", columns, rows),
                write_csv(tmp / "roster.csv", ROSTER_COLUMNS, ros) if roster else None)
    return (write_xlsx(tmp / "inputs.xlsx", "Inputs", columns, rows),
            write_xlsx(tmp / "roster.xlsx", "Roster", ROSTER_COLUMNS, ros) if roster else None)


def place(form: str, table: str, row: int, column: str, columns=COLUMNS) -> str:
    """The place of a cell in each form's notation (row -1: the column's header)."""
    cols = columns if table == "in" else ROSTER_COLUMNS
    if form == "frame":
        name = "inputs" if table == "in" else "roster"
        return f"{name}[{row}].{column}" if row >= 0 else f"{name} column {column}"
    if form == "csv":
        name = "inputs.csv" if table == "in" else "roster.csv"
        return f"{name}:{row + 2} ({column})"
    sheet = "Inputs" if table == "in" else "Roster"
    return f"{sheet}!{get_column_letter(cols.index(column) + 1)}{row + 2}"


def problems_of(scheme, inputs, roster=None) -> InputError:
    with pytest.raises(InputError) as err:
        kpixl.score(scheme, inputs, roster)
    return err.value


@pytest.fixture(scope="module")
def scheme():
    return scheme_from_dict(SCHEME)


# ---- every fault at once, at its place ----------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_every_bad_cell_is_reported_together_at_its_place(form, scheme, tmp_path):
    inputs, roster = make_tables(form, tmp_path)
    err = problems_of(scheme, inputs, roster)

    expected = sorted((place(form, t, r, c), code) for t, r, c, code, _, _ in EXPECTED)
    # The flattened list: every fault exactly once — nothing lost, nothing reported twice
    # (an unreadable target is not also "missing"; a person not in the roster gets one
    # problem, not one per roster column; a blank id is not also "not in the roster").
    assert sorted(err.keys()) == expected
    # Each record also names its employee, item and column.
    records = sorted((p.where, p.code, p.employee, p.item, p.column) for p in err.problems)
    want = sorted((place(form, t, r, c), code, emp, item,
                   None if code in ("duplicate_id", "blank_id", "not_in_roster") else c)
                  for t, r, c, code, emp, item in EXPECTED)
    assert records == want


@pytest.mark.parametrize("form", FORMS)
def test_values_found_and_messages_say_what_is_allowed(form, scheme, tmp_path):
    inputs, roster = make_tables(form, tmp_path)
    err = problems_of(scheme, inputs, roster)
    by = {(p.employee, p.code): p for p in err.problems}

    p = by["E02", "not_a_number"]
    assert p.value == "九十" and "must be a number" in p.message
    assert str(p) == f'{place(form, "in", 1, "new_sales")} (E02, new_sales): {p.message} — got "九十"'
    assert "0.95" in by["E03", "not_a_number"].message          # type 95% as 0.95
    assert "1000" in by["E04", "not_a_number"].message          # type 1000, no separator
    assert "TRUE/FALSE" in by["E05", "not_a_number"].message
    assert by["E06", "unknown_level"].message == "level must be one of 1、2、3、4、5"
    assert by["E08", "score_out_of_range"].message == "score must be between 0 and 10"
    assert by["E08", "score_out_of_range"].value == 12 and str(by["E08", "score_out_of_range"]).endswith("— got 12")
    assert "6 to 8" in by["E09", "score_outside_band"].message and by["E09", "score_outside_band"].value == 9
    assert "6 to 8" in by["E10", "missing_score"].message
    # DESIGN §3.2a: a missing rater's input names item and rater.
    assert by["E11", "missing"].message == "no input from rater self for 客户满意度"
    assert "团队协作" in by["E12", "no_rater"].message
    assert "give visits.target" in by["E13", "missing_target"].message
    assert by["E14", "zero_target"].value == 0
    assert by["E16", "not_a_number"].value == "十万" and "销量达成" in by["E16", "not_a_number"].message
    assert "reason" in by["E17", "missing_reason"].message
    assert "no na policy" in by["E18", "na_not_allowed"].message
    assert by["E20", "not_a_number"].value == "两千"
    assert "Z9" in by["E21", "unknown_level"].message and "A1、B1" in by["E21", "unknown_level"].message
    unknown = {p.code: p for p in err.problems if p.employee is None}
    assert "no input 'foo'" in unknown["unknown_column"].message
    assert "no rater 'boss'" in unknown["unknown_rater"].message and "self, manager" in unknown["unknown_rater"].message
    # The whole error renders one line per problem under a heading — no traceback needed.
    text = str(err)
    assert text.startswith(f"{len(EXPECTED)} problems in the inputs:")
    assert len(text.splitlines()) == len(EXPECTED) + 1


def test_evaluate_returns_the_problems_and_scores_the_rest(scheme, tmp_path):
    inputs, roster = make_tables("frame", tmp_path)
    out = evaluate(scheme, inputs, roster)
    assert sorted(out.problems and [p.code for p in out.problems]) == sorted(e[3] for e in EXPECTED)
    res = out.results.set_index("employee_id")
    # the clean person is scored: new_sales 90/100 × 20 = 18
    assert res.loc["E01", "new_sales"].iloc[0] == pytest.approx(18)
    # the N/A person (na: zero) scores 0 on the item and is otherwise scored
    assert res.loc["E22", "new_sales"] == 0
    assert math.isnan(res.loc["E02", "new_sales"])  # unreadable: no score, never a guess


# ---- what IS accepted ----------------------------------------------------------------------------

SMALL = {
    "id": "small", "name": "小方案",
    "sections": [{"id": "a", "items": [
        {"id": "new_sales", "points": 20, "rule": {"type": "ratio", "cap": 1.2},
         "target": {"column": "销量目标"}, "na": "zero"},
        {"id": "quality", "points": 10, "na": "full", "rule": {
            "type": "tiers", "measure": "value",
            "bands": [{"min": 0.9, "points": 10}, {"min": 0.6, "max": 0.9, "points": [6, 8]}, {"max": 0.6, "points": 0}]}},
        {"id": "contract", "points": 10, "rule": {"type": "binary"}},
        {"id": "discipline", "points": 10, "rule": {"type": "count", "base": "full",
                                                   "counters": [{"id": "late", "per": -1}, {"id": "absent", "per": -5}]}},
    ]}],
}


def test_na_rows_are_exempt_from_input_checks(tmp_path):
    s = scheme_from_dict(SMALL)
    # E1: N/A on both items, with garbage and blanks behind the flag: no problem at all.
    # na: zero → 0; na: full → 10. Blank counts are 0 → discipline keeps its 10.
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("employee_id,new_sales,new_sales.na,quality,quality.score,quality.na,contract\n"
                        "E1,九十,TRUE,0.75,,是,是\n"
                        "E2,100,FALSE,0.75,7,否,否\n", encoding="utf-8")
    roster = pd.DataFrame({"employee_id": ["E1", "E2"], "销量目标": [None, 80]}, dtype=object)
    res = kpixl.score(s, csv_path, roster).set_index("employee_id")
    assert res.loc["E1", ["new_sales", "quality", "contract", "discipline"]].tolist() == [0, 10, 10, 10]
    # E2: 100/80 = 125% capped at 120% → 24; 75% selects the 6–8 band, entered 7
    assert res.loc["E2", ["new_sales", "quality", "contract", "discipline"]].tolist() == [24, 7, 0, 10]
    assert res.loc["E1", "total"] == 30 and res.loc["E2", "total"] == 41


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_blank_counts_count_as_zero(form, tmp_path):
    s = scheme_from_dict(SMALL)
    cols = ["employee_id", "new_sales", "quality", "contract", "discipline.late", "discipline.absent"]
    rows = [{"employee_id": "E1", "new_sales": 100, "quality": 0.95, "contract": "是", "discipline.late": None, "discipline.absent": None},
            {"employee_id": "E2", "new_sales": 100, "quality": 0.95, "contract": "是", "discipline.late": 2, "discipline.absent": None},
            {"employee_id": "E3", "new_sales": 100, "quality": 0.95, "contract": "是", "discipline.late": None, "discipline.absent": 1}]
    path = write_csv(tmp_path / "in.csv", cols, rows) if form == "csv" else write_xlsx(tmp_path / "in.xlsx", "Inputs", cols, rows)
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "销量目标": [100, 100, 100]})
    res = kpixl.score(s, path, roster)
    assert res["discipline"].tolist() == [10, 8, 5]   # 10 − 0; 10 − 2×1; 10 − 1×5


@pytest.mark.parametrize("form", ["frame", "csv", "xlsx"])
def test_binary_reads_shi_fou_1_0_true_false(form, tmp_path):
    s = scheme_from_dict(SMALL)
    words = ["是", "否", 1, 0, True, False, "TRUE", "FALSE", "true", " 是 "]
    want = [10, 0, 10, 0, 10, 0, 10, 0, 10, 10]
    cols = ["employee_id", "new_sales", "quality", "contract"]
    rows = [{"employee_id": f"E{i}", "new_sales": 100, "quality": 0.95, "contract": w} for i, w in enumerate(words)]
    roster = pd.DataFrame({"employee_id": [f"E{i}" for i in range(len(words))], "销量目标": 100})
    if form == "frame":
        src = pd.DataFrame(rows, dtype=object)
    elif form == "csv":
        src = write_csv(tmp_path / "in.csv", cols, rows)
    else:
        src = write_xlsx(tmp_path / "in.xlsx", "Inputs", cols, rows)
    assert kpixl.score(s, src, roster)["contract"].tolist() == want
    # …and anything else is a problem at its cell
    rows[3]["contract"] = "没有"
    bad = write_csv(tmp_path / "bad.csv", cols, rows)
    err = problems_of(s, bad, roster)
    assert err.keys() == [("bad.csv:5 (contract)", "not_yes_no")]
    assert err.problems[0].value == "没有"


@pytest.mark.parametrize("id_column", ["employee_id", "工号"])
def test_ids_keep_leading_zeros_and_extra_columns_are_ignored(id_column, tmp_path):
    s = scheme_from_dict(SMALL)
    path = tmp_path / "in.csv"
    path.write_text(f"{id_column},姓名,部门,new_sales,quality,contract\n"
                    "0012,张三,华东大区,95,0.95,是\n"
                    "0100,李四,华南大区,100,0.95,否\n", encoding="utf-8-sig")
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,销量目标\n0012,张三,100\n0100,李四,100\n", encoding="utf-8")
    res = kpixl.score(s, path, roster)
    assert res["employee_id"].tolist() == ["0012", "0100"]
    assert res["new_sales"].tolist() == [19, 20]   # 95/100 × 20; 100/100 × 20
    assert "姓名" not in res.columns and "部门" not in res.columns
    # …and a bad cell of 0012 names 0012, not 12
    path.write_text(f"{id_column},姓名,部门,new_sales,quality,contract\n0012,张三,华东大区,九十,0.95,是\n", encoding="utf-8")
    err = problems_of(s, path, roster)
    assert [(p.where, p.code, p.employee) for p in err.problems] == [("in.csv:2 (new_sales)", "not_a_number", "0012")]


def test_blank_rows_do_not_shift_places(tmp_path):
    """A blank line in a CSV, a blank row in a sheet: the places still point at the real cell."""
    s = scheme_from_dict(SMALL)
    path = tmp_path / "in.csv"
    path.write_text("employee_id,new_sales,quality,contract\nE1,100,0.95,是\n\nE2,九十,0.95,是\n", encoding="utf-8")
    roster = pd.DataFrame({"employee_id": ["E1", "E2"], "销量目标": [100, 100]})
    assert problems_of(s, path, roster).keys() == [("in.csv:4 (new_sales)", "not_a_number")]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(["employee_id", "new_sales", "quality", "contract"])
    ws.append(["E1", 100, 0.95, "是"])
    ws.append([None, None, None, None])
    ws.append(["E2", "九十", 0.95, "是"])
    wb.save(tmp_path / "in.xlsx")
    assert problems_of(s, tmp_path / "in.xlsx", roster).keys() == [("Inputs!B4", "not_a_number")]


def test_xlsx_reads_the_inputs_sheet_and_reports_duplicate_headers(tmp_path):
    s = scheme_from_dict(SMALL)
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "填表说明: 每人一行"
    ws = wb.create_sheet("Inputs")
    ws.append(["employee_id", "new_sales", "quality", "contract", "new_sales"])
    ws.append(["E1", 100, 0.95, "是", 50])
    wb.save(tmp_path / "in.xlsx")
    roster = pd.DataFrame({"employee_id": ["E1"], "销量目标": [100]})
    err = problems_of(s, tmp_path / "in.xlsx", roster)
    assert err.keys() == [("Inputs!E1", "duplicate_column")]
    assert "first in B1" in err.problems[0].message


def test_missing_roster_column_is_one_problem_not_one_per_person(tmp_path):
    s = scheme_from_dict(SMALL)
    inputs = pd.DataFrame({"employee_id": ["E1", "E2"], "new_sales": [1, 2], "quality": [0.95, 0.95], "contract": ["是", "是"]})
    roster = pd.DataFrame({"employee_id": ["E1", "E2"], "目标": [100, 100]})
    err = problems_of(s, inputs, roster)
    assert err.keys() == [("roster", "missing_column")]
    assert "销量目标" in err.problems[0].message


def test_files_that_cannot_be_read_say_which_step_failed(tmp_path):
    s = scheme_from_dict(SMALL)
    with pytest.raises(FileProblem, match="reading the table failed: no such file"):
        kpixl.score(s, tmp_path / "nope.csv")
    (tmp_path / "old.xlsx").write_text("not a workbook")
    with pytest.raises(FileProblem, match="not an xlsx workbook"):
        kpixl.score(s, tmp_path / "old.xlsx")
    with pytest.raises(FileProblem, match="unsupported file type .xls"):
        kpixl.score(s, tmp_path / "old.xls")


# ---- the scheme side --------------------------------------------------------------------------------

BAD_SCHEME = """\
id: bad
name: 坏方案
raters: {self: 0.3, manager: 0.6}            # rater weights sum to 90%
sections:
  - id: business
    weight: 0.5
    items:
      - id: new_sales
        points: 20
        rule: {type: ratio, cap: 1.2, ceiling: 2}          # unknown rule parameter
        target: 十万                                        # neither a number nor {column: …}
      - id: quality
        points: 20
        rule: {type: tiers, bands: [{min: 0.9, points: 20}, {min: 0.85, points: 10}, {min: 0, max: 0.8, points: 0}]}
        target: 100                                         # band gap 80%–85%
      - id: new_sales                                       # duplicate id
        points: 10
        rule: {type: manual}
        raters: {self: 0.5, hr: 0.2}                        # item rater weights sum to 70%
  - id: conduct
    weight: 0.3                                             # section weights sum to 80%
    items:
      - {id: teamwork, points: 10, rule: {type: manual}}
ratings:
  distribution:                                             # seed 001: 5/20/30/20/5 = 80%
    quotas: [{name: 优秀, share: 0.05}, {name: 良好, share: 0.2}, {name: 合格, share: 0.3},
             {name: 待改进, share: 0.2}, {name: 不合格, share: 0.05}]
"""


def test_a_scheme_with_many_problems_lists_them_all_with_their_paths(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SCHEME, encoding="utf-8")
    with pytest.raises(InputError) as err:
        kpixl.load_scheme(path)
    # Structural problems (pydantic) AND cross-field ones, in one run.
    assert sorted(err.value.keys()) == sorted([
        ("sections[0].items[0].rule.ceiling", "extra_forbidden"),
        ("sections[0].items[0].target", "bad_target"),
        ("sections[0].items[0].id", "duplicate_id"),
        ("sections[0].items[2].id", "duplicate_id"),
        ("sections[0].items[1].rule.bands", "band_gap"),
        ("sections[0].items[2].raters", "weights_sum"),
        ("sections", "weights_sum"),
        ("raters", "weights_sum"),
        ("ratings.distribution.quotas", "quotas_sum"),
    ])
    msg = {p.where: p.message for p in err.value.problems}
    assert "unknown parameter 'ceiling'" in msg["sections[0].items[0].rule.ceiling"]
    assert "cap" in msg["sections[0].items[0].rule.ceiling"]                      # says what is allowed
    assert "'十万'" in msg["sections[0].items[0].target"] and "column" in msg["sections[0].items[0].target"]
    assert "between 80% and 85%" in msg["sections[0].items[1].rule.bands"]
    assert "80%" in msg["sections"] and "business 50%" in msg["sections"]
    assert "sum to 80%" in msg["ratings.distribution.quotas"]
    assert "90%" in msg["raters"] and "70%" in msg["sections[0].items[2].raters"]
    assert str(err.value).startswith("9 problems in the scheme bad.yaml:")


def test_set_aside_fields_cause_no_false_findings(tmp_path):
    """A rejected weight is not summed as if absent; a rejected rule does not make a target 'unused'."""
    data = {"id": "s", "name": "s", "sections": [
        {"id": "a", "weight": 1.5, "items": [{"id": "x", "points": 10, "rule": {"type": "ratio"}, "target": 100}]},
        {"id": "b", "weight": 0.4, "items": [{"id": "y", "points": 10, "rule": {"type": "nope"}, "target": 100},
                                             {"id": "x", "points": 10, "rule": {"type": "manual"}}]}]}
    with pytest.raises(InputError) as err:
        scheme_from_dict(data)
    assert sorted(err.value.keys()) == sorted([
        ("sections[0].weight", "less_than_equal"),
        ("sections[1].items[0].rule", "union_tag_invalid"),
        ("sections[0].items[0].id", "duplicate_id"),
        ("sections[1].items[1].id", "duplicate_id"),
    ])


def test_a_target_column_spelled_wrong_is_located(tmp_path):
    data = {"id": "s", "name": "s", "sections": [{"id": "a", "items": [
        {"id": "x", "points": 10, "rule": {"type": "ratio"}, "target": {"col": "销量目标"}}]}]}
    with pytest.raises(InputError) as err:
        scheme_from_dict(data)
    assert all(w.startswith("sections[0].items[0].target") for w, _ in err.value.keys())
    assert "column" in str(err.value)


@pytest.mark.parametrize("text, line_col", [
    ("id: x\nname: [a, b\nsections: []\n", "3:9"),        # an unclosed flow list
    ("id: x\nname: a\n  sections: 1\n", "3:11"),          # bad indentation
    ("id: x\n\tname: a\n", "2:1"),                         # a tab
])
def test_yaml_syntax_error_names_line_and_column(text, line_col, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        kpixl.load_scheme(path)
    assert err.value.keys() == [(f"broken.yaml:{line_col}", "syntax")]
    assert "\n" not in err.value.problems[0].message and err.value.problems[0].message.startswith("not valid YAML: ")


# ---- fuzzed cells: whatever a manager types, the answer is results or located problems ------------

CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "九十", "95%", "1,000", "TRUE", "false", "是", "否", "优", "N/A", "#N/A", "-", "0012",
                     "1e400", "nan", "inf", "３", "１２", "=A1", "\u00a05"]),
    st.text(max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({c: CELL for c in COLUMNS[1:]}), min_size=1, max_size=4),
       st.lists(st.sampled_from(["E01", "E02", "E99", None, "", "0012"]), min_size=4, max_size=4))
def test_fuzzed_cells_give_results_or_located_problems(rows, ids):
    scheme = scheme_from_dict(SCHEME)
    for r, eid in zip(rows, ids):
        r["employee_id"] = eid
    inputs = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    roster = pd.DataFrame(roster_rows(), columns=ROSTER_COLUMNS, dtype=object)
    try:
        out = kpixl.score(scheme, inputs, roster)
    except InputError as e:
        assert e.problems
        for p in e.problems:
            assert p.where and p.code and p.message and "?" not in p.where and "nan" not in p.where, p
            assert p.where.startswith(("inputs[", "inputs column ", "roster[", "roster")), p
        return
    assert len(out) == len(rows)
    assert np.isfinite(out["total"].astype(float)).all()


def test_excel_unicode_text_is_read_and_a_gbk_csv_is_explained(tmp_path):
    """Excel's "Unicode text" export (UTF-16, tabs) scores as the CSV does; a GBK CSV gets a fix, not a codec error."""
    data = Path(kpixl.__file__).parent / "data"
    df = pd.read_csv(data / "demo_inputs.csv", dtype=str)
    df.to_csv(tmp_path / "inputs.txt", sep="\t", index=False, encoding="utf-16")
    want = kpixl.score(data / "demo_scheme.yaml", data / "demo_inputs.csv", roster=data / "demo_roster.csv")
    got = kpixl.score(data / "demo_scheme.yaml", tmp_path / "inputs.txt", roster=data / "demo_roster.csv")
    assert got["total"].tolist() == want["total"].tolist() and len(got) == 30
    (tmp_path / "gbk.csv").write_bytes((data / "demo_inputs.csv").read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(kpixl.FileProblem, match="CSV UTF-8"):
        kpixl.score(data / "demo_scheme.yaml", tmp_path / "gbk.csv")


def test_a_misspelt_column_in_a_bonus_base_is_named(tmp_path):
    """bonus.base is a number or {column: …}: a typo inside it names the base and what was given, not pydantic's
    two union failures ("unknown parameter 'base'; allowed: base, …")."""
    path = tmp_path / "typo.yaml"
    path.write_text("id: t\nname: t\nversion: 1\nperiod: month\nsections:\n  - id: s\n    items:\n"
                    "      - {id: a, points: 100, rule: {type: ratio}, target: 10}\n"
                    "bonus:\n  base: {colum: 月度绩效奖金}\n  commission: {rate: 0.01, amount: {colum: 销售额}}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        kpixl.load_scheme(path)
    msg = {p.where: (p.code, p.message) for p in err.value.problems}
    assert msg["bonus.base"] == ("bad_target", "a bonus base is a number or {column: <roster column>}, "
                                               "not {'colum': '月度绩效奖金'}")
    assert msg["bonus.commission.amount"][0] == "bad_target" and "'colum'" in msg["bonus.commission.amount"][1]


def test_a_percent_weight_and_a_word_for_a_level_in_yaml_say_what_to_write(tmp_path):
    """YAML takes fractions (the Scheme sheet takes 40%): the message gives the fraction; a rubric level that is
    no number is one problem at the level, not pydantic's two union members (levels[2].float, levels[2].tuple…)."""
    path = tmp_path / "pct.yaml"
    path.write_text("id: t\nname: t\nversion: 1\nperiod: month\nsections:\n"
                    "  - {id: s, weight: 40%, items: [{id: a, points: 50, rule: {type: ratio}, target: 10},\n"
                    "      {id: b, points: 50, rule: {type: rubric, levels: {1: 10, 2: 十}}}]}\n"
                    "  - {id: s2, weight: 0.6, items: [{id: c, points: 100, rule: {type: manual}}]}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        kpixl.load_scheme(path)
    assert {p.where: p.message for p in err.value.problems} == {
        "sections[0].weight": "write 40% as the fraction 0.4 (the Scheme sheet takes 40%; YAML takes fractions)",
        "sections[0].items[1].rule.levels[2]": "must be a number or a [min, max] range, not '十'"}
