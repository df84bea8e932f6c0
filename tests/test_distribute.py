"""Distribute: roster problems all at once with their cells; one workbook per manager.

DESIGN §4 ("Distribute") and the issue: duplicate ids, a person whose manager is
missing, blank required fields, a name Excel cannot use in a sheet name and a text
that starts with = + - @ are all reported at once, at their cells, before anything is
written; each manager's workbook holds only their people (read back through the
identity stamps, never the sheet names); the manifest's rows and checksums match the
files; a second run writes byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpixl import InputError, load_scheme
from kpixl.demo import demo_files
from kpixl.engine.inputs import read_table
from kpixl.card.distribute import distribute, file_names, safe_file_name
from kpixl.card.roster import check_roster

SCHEME, ROSTER, INPUTS = demo_files()
HEADER = ["工号", "姓名", "部门", "经理", "经理工号", "销售目标", "月度绩效奖金"]

# One fault per row (the sheet row in the comment); rows 2 and 14 are fine.
BAD_ROWS = [
    ["E1", "王伟", "华东", "周建国", "M01", 1000, 2500],          # 2 fine
    ["E1", "李芳", "华南", "周建国", "M01", 1000, 2500],          # 3 duplicate id
    [None, "张娜", "华北", "周建国", "M01", 1000, 2500],          # 4 blank id
    ["E4", None, "华东", "周建国", "M01", 1000, 2500],            # 5 blank 姓名
    ["E5", "刘敏", "华东", None, None, 1000, 2500],               # 6 no manager
    ["E6", "陈[静]", "华东", "周建国", "M01", 1000, 2500],        # 7 [] in a sheet name
    ["E7", "杨洋", "=HYPERLINK(\"x\")", "周建国", "M01", 1000, 2500],  # 8 formula text
    ["E8", "赵磊", "@SUM(A1)", "周建国", "M01", -5, 2500],        # 9 formula text; -5 is a number
    ["E9", "黄婷", "华东", "周建国", "M01", "九十", 2500],        # 10 target not a number
    ["E10", "周杰", "华东", "周建国", "M01", 1000, None],         # 11 blank bonus base
    ["E11", "吴昊", "华东", "周建国", "M09", 1000, 2500],         # 12 周建国 with another 经理工号
    ["E12", "徐丽", "-", "林晓红", "M02", "-5", 2500],             # 13 "-" is text: formula_text; "-5" fine
    ["E13", "孙强", "华南", "林晓红", "M02", 1000, 2500],         # 14 fine
]
EXPECTED = [
    ("Roster!A3", "duplicate_id"),
    ("Roster!A4", "blank_id"),
    ("Roster!B5", "blank"),
    ("Roster!D6", "no_manager"),
    ("Roster!B7", "sheet_name_char"),
    ("Roster!C8", "formula_text"),
    ("Roster!C9", "formula_text"),
    ("Roster!F10", "not_a_number"),
    ("Roster!G11", "blank"),
    ("Roster!E12", "manager_mismatch"),
    ("Roster!C13", "formula_text"),
]


def write_xlsx(path: Path, rows: list[list], header: list[str] = HEADER, sheet: str = "Roster") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, as a user typed it with a leading ' (openpyxl would write a formula)
    wb.save(path)
    return path


def keys(problems) -> list[tuple[str, str]]:
    return [(p.where, p.code) for p in problems]


# ---- check_roster -----------------------------------------------------------------------------


def test_every_roster_problem_at_once_with_its_cell(tmp_path):
    problems = check_roster(write_xlsx(tmp_path / "r.xlsx", BAD_ROWS), load_scheme(SCHEME))
    assert keys(problems) == EXPECTED
    by_where = {p.where: p for p in problems}
    assert by_where["Roster!B7"].value == "陈[静]" and "[ ]" in by_where["Roster!B7"].message
    assert by_where["Roster!C8"].employee == "E7"
    assert "经理" in by_where["Roster!D6"].message
    assert "M01" in by_where["Roster!E12"].message and "Roster!E2" in by_where["Roster!E12"].message


def test_the_same_problems_in_csv_notation(tmp_path):
    path = tmp_path / "roster.csv"
    pd.DataFrame(BAD_ROWS, columns=HEADER).to_csv(path, index=False)
    col = dict(zip("ABCDEFG", HEADER))
    col["A"] = "employee_id"
    expected = [(f"roster.csv:{w.split('!')[1][1:]} ({col[w.split('!')[1][0]]})", c) for w, c in EXPECTED]
    assert keys(check_roster(path, load_scheme(SCHEME))) == expected


def test_without_a_scheme_only_the_roster_own_columns_are_required(tmp_path):
    problems = check_roster(write_xlsx(tmp_path / "r.xlsx", BAD_ROWS))
    # No scheme: the blank bonus base and the bad target are nobody's business.
    assert keys(problems) == [k for k in EXPECTED if k not in {("Roster!F10", "not_a_number"), ("Roster!G11", "blank")}]


def test_missing_name_or_manager_column_is_one_problem(tmp_path):
    rows = [["E1", "华东"], ["E2", "华南"]]
    problems = check_roster(write_xlsx(tmp_path / "r.xlsx", rows, ["工号", "部门"]))
    assert keys(problems) == [("Roster", "missing_column"), ("Roster", "missing_column")]
    assert [p.column for p in problems] == ["姓名", "经理"]


def test_a_manager_id_must_be_on_a_roster_that_lists_its_managers(tmp_path):
    # M1 is on the roster, so the roster lists its managers: M7 is a manager missing from it.
    rows = [["M1", "周建国", "总部", "总经理", "M0"], ["E1", "王伟", "华东", "周建国", "M1"],
            ["E2", "李芳", "华东", "吴昊", "M7"], ["M0", "总经理", "总部", "总经理", "M0"]]
    problems = check_roster(write_xlsx(tmp_path / "r.xlsx", rows, HEADER[:5]))
    assert keys(problems) == [("Roster!E4", "unknown_manager")]
    assert problems[0].value == "M7"
    # The demo roster's managers (M01…) are not employees on it: nothing to report.
    assert check_roster(ROSTER, load_scheme(SCHEME)) == []


def test_numbers_and_signed_numbers_are_not_formula_text():
    df = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "姓名": ["甲", "乙", "丙"], "经理": ["m", "m", "m"],
                       "备注": ["-5", "+86 138", " =1+1"], "调整": [-5, 3, -0.5]})
    assert keys(check_roster(df)) == [("roster[1].备注", "formula_text"), ("roster[2].备注", "formula_text")]


def test_na_able_target_may_be_blank():
    # tobacco: 空白村任务 is blank for T04, whose item can be marked not applicable.
    ex = Path(SCHEME).parents[2] / "examples" / "schemes"
    assert check_roster(ex / "tobacco.roster.csv", load_scheme(ex / "tobacco.yaml")) == []


def test_file_names_are_safe_and_unique():
    assert safe_file_name('2026-11-a/b:c*?"<>|') == "2026-11-a_b_c______"
    assert file_names("2026-11", ["周建国", "A/B", "A:B", "a_b", "x. "]) == [
        "2026-11-周建国.xlsx", "2026-11-A_B.xlsx", "2026-11-A_B~2.xlsx", "2026-11-a_b~3.xlsx", "2026-11-x.xlsx"]


def test_errors_survive_the_trip_between_processes():
    from kpixl import FileProblem, Problem

    e = pickle.loads(pickle.dumps(InputError([Problem("Roster!A2", "blank_id", "x")], "roster")))
    assert e.keys() == [("Roster!A2", "blank_id")] and e.what == "roster"
    f = pickle.loads(pickle.dumps(FileProblem("a.xlsx", "writing", "disk full")))
    assert (f.path, f.step, f.reason) == ("a.xlsx", "writing", "disk full")


# ---- distribute ------------------------------------------------------------------------------

TEMPLATE = Path(__file__).resolve().parents[1] / "workbooks" / "kam_monthly.xlsx"


def master_copy(folder: Path) -> Path:
    """The template copied as HR's master (distribute keeps its key beside the master, not in the repository)."""
    path = folder / TEMPLATE.name
    shutil.copy2(TEMPLATE, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamped_ids(path: Path) -> tuple[list[str], list[str]]:
    """The employee ids of a workbook's person sheets, by their stamps, and by the _kpixl sheet."""
    wb = openpyxl.load_workbook(path)
    by_name = []
    for ws in wb.worksheets:
        d = ws.defined_names.get("kpixl.stamp")
        if d is not None:
            by_name.append(d.attr_text.strip('"').split("|")[3])
    rows = list(wb["_kpixl"].iter_rows(values_only=True))
    col = rows[0].index("employee_id")
    return by_name, [str(r[col]) for r in rows[1:]]


@pytest.fixture(scope="module")
def roster_groups() -> dict[str, list[str]]:
    t = read_table(TEMPLATE, "roster", sheet="Roster")
    groups: dict[str, list[str]] = {}
    for eid, m in zip(t.df["employee_id"], t.df["经理"]):
        groups.setdefault(m, []).append(eid)
    assert len(groups) == 3 and all(len(v) >= 2 for v in groups.values())  # the test needs real teams
    return groups


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The template's roster distributed twice: in this process, and with two workers."""
    base = tmp_path_factory.mktemp("dist")
    # A copy, as HR's master: distribute keeps the master's key and record of what was sent beside it.
    template = base / TEMPLATE.name
    shutil.copy2(TEMPLATE, template)
    seen = []
    one = distribute(template, None, "2026-11", base / "one", workers=1, progress=lambda d, t: seen.append((d, t)))
    two = distribute(template, None, "2026-11", base / "two", workers=2)
    return one, two, seen


def test_one_workbook_per_manager_with_only_their_people(runs, roster_groups):
    one, _, _ = runs
    files = sorted(p.name for p in one.outdir.glob("*.xlsx"))
    assert files == sorted(f"2026-11-{m}.xlsx" for m in roster_groups)
    assert [e.manager for e in one.entries] == list(roster_groups)
    for e in one.entries:
        by_stamp, by_sheet = stamped_ids(one.outdir / e.file)
        assert by_stamp == roster_groups[e.manager] == list(e.employee_ids) == by_sheet
        assert e.people == len(roster_groups[e.manager])


def test_the_team_summary_refers_to_the_team_only(runs):
    one, _, _ = runs
    for e in one.entries:
        wb = openpyxl.load_workbook(one.outdir / e.file)
        sheets = {ws.title for ws in wb.worksheets}
        formulas = " ".join(str(c.value) for row in wb["汇总"].iter_rows() for c in row
                            if isinstance(c.value, str) and c.value.startswith("="))
        assert "'" in formulas  # the summary does refer to the person sheets
        referred = set(re.findall(r"'((?:[^']|'')+)'!", formulas))
        assert referred and referred <= sheets, referred - sheets


def test_manifest_rows_and_checksums_match_the_files(runs):
    one, _, seen = runs
    with open(one.csv_path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    doc = json.loads(one.json_path.read_text(encoding="utf-8"))
    assert len(rows) == len(doc["files"]) == len(one.entries) == 3
    for row, item, e in zip(rows, doc["files"], one.entries):
        path = one.outdir / row["file"]
        assert row["sha256"] == item["sha256"] == e.sha256 == sha256(path)
        assert row["manager"] == item["manager"] == e.manager
        assert int(row["people"]) == item["people"] == len(row["employee_ids"].split()) == len(item["employee_ids"])
        assert (row["scheme_id"], row["scheme_version"], row["period"]) == ("kam-monthly", "1", "2026-11")
    assert doc["scheme"] == {"id": "kam-monthly", "version": 1} and doc["period"] == "2026-11"
    assert doc["people"] == sum(len(f["employee_ids"]) for f in doc["files"]) == 6
    assert seen[0] == (0, 3) and seen[-1] == (3, 3) and [d for d, _ in seen] == [0, 1, 2, 3]
    assert not [p for p in one.outdir.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_two_workers_write_the_same_bytes_and_a_rerun_is_deterministic(runs, tmp_path):
    one, two, _ = runs
    assert [(e.manager, e.file, e.employee_ids, e.sha256) for e in one.entries] == \
           [(e.manager, e.file, e.employee_ids, e.sha256) for e in two.entries]
    time.sleep(1.1)  # a clock in the file (created/modified) would now differ
    again = distribute(one.outdir.parent / TEMPLATE.name, None, "2026-11", one.outdir, workers=2)
    assert [e.sha256 for e in again.entries] == [e.sha256 for e in one.entries]

    def strip(doc):
        return {k: v for k, v in doc.items() if k != "generated_at"}

    assert strip(json.loads(two.json_path.read_text(encoding="utf-8"))) == \
           strip(json.loads(one.json_path.read_text(encoding="utf-8")))


def test_a_bad_roster_writes_nothing(tmp_path):
    bad = tmp_path / "roster.csv"
    pd.DataFrame(BAD_ROWS, columns=HEADER).to_csv(bad, index=False)
    out = tmp_path / "out"
    with pytest.raises(InputError) as e:
        distribute(TEMPLATE, bad, "2026-11", out, workers=2)
    # The template's scheme (kam_monthly) names its own target and bonus columns.
    assert e.value.what == "roster"
    assert {("roster.csv:3 (employee_id)", "duplicate_id"), ("roster.csv:6 (经理)", "no_manager"),
            ("roster.csv:7 (姓名)", "sheet_name_char"), ("roster.csv:8 (部门)", "formula_text")} <= set(e.value.keys())
    assert not out.exists()


def test_a_bad_period_writes_nothing(tmp_path):
    with pytest.raises(InputError) as e:
        distribute(TEMPLATE, None, "2026-13", tmp_path / "out")
    assert e.value.keys() == [("period", "bad_period")]
    assert not (tmp_path / "out").exists()


def test_a_roster_file_with_awkward_manager_names(tmp_path):
    t = read_table(TEMPLATE, "roster", sheet="Roster").df
    t["经理"] = ["A/B", "A/B", "a:b", "a:b", "周建国", "周建国"]
    path = tmp_path / "r.xlsx"
    t.to_excel(path, index=False, sheet_name="Roster")
    m = distribute(master_copy(tmp_path), path, "2026-11", tmp_path / "out", workers=2)
    assert [e.file for e in m.entries] == ["2026-11-A_B.xlsx", "2026-11-a_b~2.xlsx", "2026-11-周建国.xlsx"]
    assert [e.people for e in m.entries] == [2, 2, 2]
    assert all((tmp_path / "out" / e.file).exists() for e in m.entries)


# ---- the command -----------------------------------------------------------------------------


def kpixl_cli(*args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kpixl")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("KPIXL_DEBUG", None)
    proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, encoding="utf-8", env=env, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_cli_distribute_prints_the_manifest_and_progress(tmp_path, roster_groups):
    out = tmp_path / "out"
    proc = kpixl_cli("distribute", master_copy(tmp_path), "--period", "2026-11", "--out", out, "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["manager", "file", "people", "sha256"]
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for f in doc["files"]:
        assert any(ln.split()[:3] == [f["manager"], f["file"], str(f["people"])] and f["sha256"][:12] in ln for ln in lines)
    assert "writing workbooks: 3/3" in proc.stderr
    assert "3 workbooks, 6 people" in proc.stderr and "manifest.csv" in proc.stderr


def test_cli_distribute_reports_roster_problems_and_writes_nothing(tmp_path):
    bad = tmp_path / "roster.csv"
    pd.DataFrame(BAD_ROWS, columns=HEADER).to_csv(bad, index=False)
    out = tmp_path / "out"
    proc = kpixl_cli("distribute", TEMPLATE, "--roster", bad, "--period", "2026-11", "--out", out)
    assert proc.returncode == 2
    assert "problems in the roster" in proc.stderr
    for where in ("roster.csv:3 (employee_id)", "roster.csv:6 (经理)", "roster.csv:7 (姓名)", "roster.csv:8 (部门)"):
        assert any(ln.startswith(where) for ln in proc.stderr.splitlines()), where
    assert not out.exists()
