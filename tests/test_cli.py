"""The ``kpixl`` command works as documented, and bad input never shows a traceback.

Every test runs the real console script in a subprocess (DESIGN §3.2a:
``kpixl score SCHEME --inputs INPUTS [--roster ROSTER] [--out FILE] [--json]``;
``kpixl check``; ``kpixl demo``). Problems exit with code 2 and print a table of places;
nothing ever prints a traceback (:func:`run` checks that on every call).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpixl.demo import demo_files

KPIXL = Path(sys.executable).with_name("kpixl")
SCHEME, ROSTER, INPUTS = demo_files()

#: The documented result columns of the demo scheme: employee_id, each item's score under
#: its id, each section's contribution under its id, total, rating, bonus.
DEMO_COLUMNS = ["employee_id", "sales", "new_clients", "samples", "contracts", "performance",
                "discipline", "attendance", "conduct", "special", "other", "total", "rating", "bonus"]


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the console script; never a traceback, never an internal error (exit 3)."""
    assert KPIXL.exists(), f"console script missing: {KPIXL}"
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("KPIXL_DEBUG", None)
    proc = subprocess.run([str(KPIXL), *map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          env=full_env, cwd=cwd, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert proc.returncode != 3, proc.stderr  # EXIT_INTERNAL: a bug, not a user problem
    return proc


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- demo -----------------------------------------------------------------------------------


def test_demo_writes_a_live_workbook_and_prints_the_summary(tmp_path):
    out = tmp_path / "x.xlsx"
    proc = run("demo", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "30 people scored" in proc.stdout
    assert "ratings: 优秀" in proc.stdout and "bonus paid:" in proc.stdout
    assert f"wrote {out}" in proc.stdout

    wb = openpyxl.load_workbook(out)
    assert {"Results", "Summary", "Scheme", "Roster"} <= set(wb.sheetnames)
    ws = wb["Results"]
    keys = [c.value for c in ws[1]]
    people = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] is not None]
    assert len(people) == 30
    assert people[0][0] == "E1001"
    computed = [k for k in keys if k.startswith("score:") or k in ("total", "rating", "bonus")]
    assert {"score:sales", "score:performance", "total", "rating", "bonus"} <= set(computed)
    for key in computed:
        col = keys.index(key)
        for row in people:
            assert isinstance(row[col], str) and row[col].startswith("="), (key, row[0], row[col])
    # the summary is formulas over the results too
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["人数"].startswith("=COUNTA(Results!")
    assert wb["Roster"].max_row == 31   # header + 30 people


@pytest.mark.engine
def test_demo_verify_says_libreoffice_agrees(tmp_path):
    proc = run("demo", "--out", tmp_path / "v.xlsx", "--verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "LibreOffice agrees with the engine on all" in proc.stdout


# ---- check ----------------------------------------------------------------------------------


def test_check_prints_the_item_table():
    proc = run("check", SCHEME)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("大客户经理岗位月度绩效考核表  (id key-account-monthly, version 1")
    assert lines[1].split() == ["section", "item", "name", "P", "rule", "target", "raters"]
    rows = {line.split()[2]: line for line in lines[3:] if len(line.split()) > 3 and line.split()[2] in
            {"sales", "new_clients", "samples", "contracts", "discipline", "attendance", "special"}}
    assert set(rows) == {"sales", "new_clients", "samples", "contracts", "discipline", "attendance", "special"}
    assert "销售任务" in rows["sales"] and "销售目标" in rows["sales"] and " step " in rows["sales"]
    assert "rubric" in rows["samples"] and "binary" in rows["contracts"]
    assert "ratings: 优秀 ≥90; 良好 ≥80; 合格 ≥60; 待改进" in proc.stdout
    assert lines[-1] == "scheme OK"


def test_check_of_every_example_scheme_never_imports_numpy_or_pandas():
    # Start-up (issue 13): NumPy alone is ≈45 ms of a 0.2 s budget; checking a scheme never computes.
    schemes = sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "examples" / "schemes").glob("*.yaml"))
    assert len(schemes) >= 5
    code = ("import sys\n"
            "from kpixl.cli import main\n"
            f"for s in {[str(SCHEME), *schemes]!r}:\n"
            "    assert main(['check', s]) == 0, s\n"
            "print('loaded:', sorted({'numpy', 'pandas', 'openpyxl'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "loaded: []"


def test_check_lists_every_scheme_problem_with_its_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = SCHEME.read_text(encoding="utf-8")
    text = text.replace("max_bonus: 10", "max_bonus: 10\n          bonus_cap: 5")          # unknown parameter
    text = text.replace("- id: discipline", "- id: sales")                              # duplicate id
    bad.write_text(text, encoding="utf-8")
    proc = run("check", bad)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "kpixl: 3 problems in the scheme bad.yaml:" in proc.stderr
    assert "sections[0].items[0].rule.bonus_cap" in proc.stderr and "unknown parameter 'bonus_cap'" in proc.stderr
    assert "sections[0].items[0].id" in proc.stderr and "sections[1].items[0].id" in proc.stderr


def test_broken_yaml_gives_line_and_column(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: x\nname: [a, b\nsections: []\n", encoding="utf-8")
    for args in (("check", bad), ("score", bad, "--inputs", INPUTS)):
        proc = run(*args)
        assert proc.returncode == 2
        assert "broken.yaml:3:9" in proc.stderr and "not valid YAML" in proc.stderr


# ---- score ----------------------------------------------------------------------------------


def test_score_json_has_the_documented_columns():
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--json")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert len(records) == 30
    assert all(list(r) == DEMO_COLUMNS for r in records)
    first = records[0]
    # E1001: sales 2,100,000 / 2,000,000 = 105% → 40 + 5 steps × 2 = 50 (max_bonus 10);
    # new clients 0 → 0; samples level 4 → 16; contract 是 → 10; discipline 10;
    # attendance 10 − 1 late = 9; special 0.  Total 95 → 优秀; bonus 95/100 × 2500 = 2375.
    assert first["employee_id"] == "E1001"
    assert [first[k] for k in ("sales", "new_clients", "samples", "contracts", "discipline", "attendance", "special")] \
        == [50, 0, 16, 10, 10, 9, 0]
    assert (first["performance"], first["conduct"], first["total"], first["rating"], first["bonus"]) == (76, 19, 95, "优秀", 2375)


def test_score_prints_a_table_without_json():
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER)
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.splitlines()[0].split()
    assert head == DEMO_COLUMNS
    assert len(proc.stdout.splitlines()) == 31
    # A scheme without ratings or a bonus prints no empty rating/bonus columns (--json keeps them, as null).
    d = Path(__file__).resolve().parents[1] / "examples" / "schemes"
    args = (d / "cm_monthly_kpi.yaml", "--inputs", d / "cm_monthly_kpi.inputs.csv", "--roster", d / "cm_monthly_kpi.roster.csv")
    proc = run("score", *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split()[-1] == "total" and "NaN" not in proc.stdout
    assert {"rating", "bonus"} <= set(json.loads(run("score", *args, "--json").stdout)[0])


def test_score_out_csv_and_xlsx(tmp_path):
    as_json = json.loads(run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--json").stdout)

    out_csv = tmp_path / "x.csv"
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", out_csv)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out_csv}" in proc.stderr
    df = pd.read_csv(out_csv, dtype={"employee_id": str}, encoding="utf-8-sig")
    assert list(df.columns) == DEMO_COLUMNS and len(df) == 30
    assert df["total"].tolist() == [r["total"] for r in as_json]
    assert df["bonus"].tolist() == [r["bonus"] for r in as_json]

    out_xlsx = tmp_path / "x.xlsx"
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", out_xlsx, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == as_json
    wb = openpyxl.load_workbook(out_xlsx)
    assert {"Results", "Summary", "Scheme", "Roster"} <= set(wb.sheetnames)
    ws = wb["Results"]
    keys = [c.value for c in ws[1]]
    assert ws.cell(3, 1).value == "E1001" and ws.max_row == 32
    assert str(ws.cell(3, keys.index("total") + 1).value).startswith("=")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_out_with_another_suffix_is_refused(tmp_path):
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", tmp_path / "x.txt")
    assert proc.returncode == 2
    assert "--out must end in .xlsx" in proc.stderr
    assert not (tmp_path / "x.txt").exists()


# ---- bad inputs ------------------------------------------------------------------------------


def bad_demo_inputs(tmp_path: Path) -> tuple[Path, list[str]]:
    """The demo inputs with five bad cells and an unknown column; returns the header too."""
    with INPUTS.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    col = header.index
    rows[3][col("sales")] = "九十"            # E1003, line 4
    rows[5][col("samples")] = "7"             # E1005, line 6: levels are 1–5
    rows[6][col("contracts")] = "也许"         # E1006, line 7
    rows[8][col("attendance.late")] = "-2"    # E1008, line 9
    rows[10][col("special")] = "5"            # E1010, line 11: points need a reason
    header.append("sales.bonus")              # not an input of sales
    for r in rows[1:]:
        r.append("")
    path = tmp_path / "inputs.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path, header


def test_bad_inputs_exit_2_with_a_table_of_places(tmp_path):
    path, _ = bad_demo_inputs(tmp_path)
    proc = run("score", SCHEME, "--inputs", path, "--roster", ROSTER, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""                  # no half results
    err = proc.stderr.splitlines()
    assert err[0] == "kpixl: 6 problems in the inputs:"
    assert err[1].split() == ["where", "employee", "item", "problem", "value"]
    body = "\n".join(err[3:])
    for place, employee, words in [
        ("inputs.csv:4 (sales)", "E1003", "must be a number"),
        ("inputs.csv:6 (samples)", "E1005", "level must be one of 1、2、3、4、5"),
        ("inputs.csv:7 (contracts)", "E1006", "must be 是 or 否"),
        ("inputs.csv:9 (attendance.late)", "E1008", "a count cannot be below 0"),
        ("inputs.csv:11 (special.reason)", "E1010", "need a reason"),
        ("inputs.csv:1 (sales.bonus)", "", "has no input 'bonus'"),
    ]:
        line = next((ln for ln in err[3:] if ln.startswith(place)), None)
        assert line is not None, f"{place} missing from\n{body}"
        assert employee in line and words in line, line
    assert "'九十'" in body and "'也许'" in body
    assert len(err) == 3 + 6


def test_bad_xlsx_inputs_name_sheet_cells(tmp_path):
    path, header = bad_demo_inputs(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(header)
    for r in df.itertuples(index=False):
        ws.append([None if v == "" else (float(v) if v.lstrip("-").replace(".", "").isdigit() else v) for v in r])
    xlsx = tmp_path / "inputs.xlsx"
    wb.save(xlsx)
    proc = run("score", SCHEME, "--inputs", xlsx, "--roster", ROSTER)
    assert proc.returncode == 2
    for cell in ("Inputs!C4", "Inputs!E6", "Inputs!F7", "Inputs!J9", "Inputs!N11", "Inputs!O1"):
        assert any(ln.startswith(cell + " ") for ln in proc.stderr.splitlines()), (cell, proc.stderr)


def test_roster_problems_name_roster_cells(tmp_path):
    roster = pd.read_csv(ROSTER, dtype=str, encoding="utf-8-sig")
    roster.loc[1, "销售目标"] = "一百万"       # E1002, roster line 3
    roster.loc[4, "月度绩效奖金"] = ""          # E1005, roster line 6
    roster = roster[roster["employee_id"] != "E1030"]
    path = tmp_path / "roster.csv"
    roster.to_csv(path, index=False)
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0] == "kpixl: 3 problems in the inputs:"
    assert any(ln.startswith("roster.csv:3 (销售目标)") and "E1002" in ln and "'一百万'" in ln for ln in lines)
    assert any(ln.startswith("roster.csv:6 (月度绩效奖金)") and "E1005" in ln and "blank" in ln for ln in lines)
    assert any(ln.startswith("demo_inputs.csv:31 (employee_id)") and "not in the roster" in ln for ln in lines)


@pytest.mark.parametrize("which", ["scheme", "inputs", "roster"])
def test_a_missing_file_is_one_line(which, tmp_path):
    files = {"scheme": SCHEME, "inputs": INPUTS, "roster": ROSTER}
    files[which] = tmp_path / f"no-{which}.csv"
    proc = run("score", files["scheme"], "--inputs", files["inputs"], "--roster", files["roster"])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith(f"kpixl: {files[which]}: reading the")
    assert "no such file" in proc.stderr.lower()


def test_an_inputs_file_that_is_not_a_workbook(tmp_path):
    fake = tmp_path / "inputs.xlsx"
    fake.write_text("employee_id,sales\n")
    proc = run("score", SCHEME, "--inputs", fake, "--roster", ROSTER)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"kpixl: {fake}: reading the table failed: the file is not an xlsx workbook (an old .xls, or damaged?)"


# ---- --out over a file that must not be replaced ------------------------------------------------------


def _old_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    old = tmp_path / name
    old.write_bytes(b"the results HR already checked\n")
    return old, digest(old)


@pytest.mark.parametrize("name", ["old.xlsx", "old.csv"])
def test_read_only_out_is_refused_and_left_intact(name, tmp_path):
    old, before = _old_file(tmp_path, name)
    old.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", old)
    finally:
        old.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"kpixl: {old}: {'saving the workbook' if name.endswith('xlsx') else 'writing the results'}"
                                   " failed: the file is read-only; clear its read-only attribute or choose another name")
    assert digest(old) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]   # no temporary file left behind


#: Simulates Excel holding the file open on Windows: replacing it is refused (a sharing
#: violation surfaces as PermissionError), exactly what os.replace raises there.
LOCK = '''
import os
_locked = os.path.abspath(os.environ["KPIXL_TEST_LOCKED"])
_replace = os.replace
def _refuse(src, dst, *a, **k):
    if os.path.abspath(dst) == _locked:
        raise PermissionError(13, "The process cannot access the file because it is being used by another process", str(dst))
    return _replace(src, dst, *a, **k)
os.replace = _refuse
'''


@pytest.mark.parametrize("name", ["locked.xlsx", "locked.csv"])
def test_locked_out_gives_a_clear_message_and_keeps_the_old_file(name, tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(LOCK)
    work = tmp_path / "work"
    work.mkdir()
    old, before = _old_file(work, name)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
           "KPIXL_TEST_LOCKED": str(old)}
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", old, env=env)
    assert proc.returncode == 2
    assert "the file is open or locked in another program; close it and try again" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert digest(old) == before
    assert sorted(p.name for p in work.iterdir()) == [name]   # the temporary file was removed
    # the same command writes fine once the file is free
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", old)
    assert proc.returncode == 0 and digest(old) != before


def test_out_in_a_folder_that_is_a_file(tmp_path):
    blocker = tmp_path / "report"
    blocker.write_text("a file, not a folder")
    proc = run("score", SCHEME, "--inputs", INPUTS, "--roster", ROSTER, "--out", blocker / "x.xlsx")
    assert proc.returncode == 2
    assert "a file stands where its folder should be" in proc.stderr
    assert blocker.read_text() == "a file, not a folder"


def test_a_period_typed_as_kpixl_labels_it_is_taken(tmp_path):
    """kpixl prints 2026年11月 / 2026年第4季度; typed back to --period, they mean 2026-11 / 2026Q4."""
    from kpixl.periods import canonical_text

    assert [canonical_text(t) for t in ("2026年11月", "2026年1月份", "2026年第四季度", "2026年第4季度", "2026年上半年",
                                        "2026年下半年", "2026年度", "2026年", "2026年13月", "十一月")] == [
        "2026-11", "2026-01", "2026Q4", "2026Q4", "2026H1", "2026H2", "2026", "2026", "2026年13月", "十一月"]
    template = Path(__file__).resolve().parents[1] / "workbooks" / "kam_monthly.xlsx"
    proc = run("generate", template, "--period", "2026年11月", "--out", tmp_path / "g.xlsx")
    assert proc.returncode == 0, proc.stderr
    assert openpyxl.load_workbook(tmp_path / "g.xlsx", read_only=True).properties.created.month == 11
    proc = run("generate", template, "--period", "2026年13月", "--out", tmp_path / "h.xlsx")
    assert proc.returncode == 2 and "'2026年13月' is not 2026-11 (month)" in proc.stderr
