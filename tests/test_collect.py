"""Collect, rate and report end to end: generate → distribute → fill in LibreOffice → collect → rate.

One master of 40 people in four departments (the demo 大客户经理 scheme with rating
bands, a rating factor and a budget). Returned files are typed and then opened, recalculated
and saved by LibreOffice, as a manager's program would leave them. Totals, ratings and
bonuses are checked against the engine, against two hand-worked people, and against
LibreOffice's recalculation of the master.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import kpixl
from kpixl.master.collect import collect
from kpixl.card.distribute import distribute
from kpixl.master.book import HISTORY, RESULTS, backup_path, new_master, open_master
from kpixl.master.rate import PARAMS, RATED, rate
from kpixl.master.report import report

from collect_kit import e2e_scheme, fill_returned, input_cells, inputs, records, roster, type_inputs

pytestmark = pytest.mark.engine
PERIOD = "2026-11"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A master, the four managers' files as sent, and the files as LibreOffice saved them."""
    d = tmp_path_factory.mktemp("collect")
    scheme, people = e2e_scheme(), roster(40)
    master = new_master(scheme, people, d / "master.xlsx")
    manifest = distribute(master, None, PERIOD, d / "sent", workers=1)
    sent = [d / "sent" / s.file for s in manifest.entries]
    values = inputs(people)
    returned = fill_returned(sent, master, values, d)
    pristine = d / "pristine.xlsx"
    shutil.copy2(master, pristine)
    return {"dir": d, "scheme": scheme, "roster": people, "inputs": values, "sent": sent,
            "returned": returned, "pristine": pristine}


def fresh_master(world, tmp_path) -> Path:
    """A copy of the master as distributed, with its key and its record of what was sent beside it."""
    path = tmp_path / "master.xlsx"
    shutil.copy2(world["pristine"], path)
    for suffix in (".kpixl-key", ".kpixl-sent.json"):
        shutil.copy2(world["dir"] / f"master.xlsx{suffix}", tmp_path / f"master.xlsx{suffix}")
    return path


def engine_results(world) -> pd.DataFrame:
    return kpixl.score(world["scheme"], world["inputs"], roster=world["roster"]).set_index("employee_id")


def test_collect_rate_report_end_to_end(world, tmp_path):
    master = fresh_master(world, tmp_path)
    got = collect(master, [world["returned"][0].parent])
    assert got.ok, got.problems
    assert len(got.added) == 40 and not got.missing and got.written
    # LibreOffice's cached values equal the engine's (no shown_differs); the only warnings are
    # the notes of 新客户 最多10分 (beyond: cap), one per person with more than 2 new clients.
    capped = {w.employee for w in got.warnings if w.code == "capped"}
    assert all(w.code == "capped" for w in got.warnings), got.warnings
    assert capped == set(world["inputs"].loc[world["inputs"]["new_clients.new"] > 2, "employee_id"])

    rated = rate(master, verify=True)
    assert rated.ok, rated.summary()
    assert rated.verification.compared >= 40 * 3  # total, rating, bonus.perf, bonus per person

    want = engine_results(world)
    mine = rated.results.set_index("employee_id")
    for col in ("total", "rating"):
        assert mine[col].tolist() == want.loc[mine.index, col].tolist()
    # The engine's own bonus has the scheme's budget; so does rate on a first run.
    assert mine["bonus"].tolist() == pytest.approx(want.loc[mine.index, "bonus"].tolist(), abs=1e-9)

    # Hand-worked, E2001: target 1,000,000, sales 850,000 → 15% below = 3 steps of 5% × 3 = −9 → 40 − 9 = 31;
    # 1 new client × 5 = 5; samples level 4 = 16; contracts 是 = 10; discipline 10 − 2×1 = 8;
    # attendance 10 − 1×2 = 8; special 0. Total 31 + 5 + 16 + 10 + 8 + 8 = 78 → 合格 (60–80).
    assert mine.at["E2001", "total"] == 78
    assert mine.at["E2001", "rating"] == "合格"
    # E2002: target 1,200,000, sales 1,344,000 → 12% above × 2 = 24, capped +10 → 50; 3 new × 5 = 15,
    # limit 10; samples 5 = 20; 是 = 10; discipline 10; attendance 10; special +5.
    # Total 50 + 10 + 20 + 10 + 10 + 10 + 5 = 115 → 优秀.
    assert mine.at["E2002", "total"] == 115
    assert mine.at["E2002", "rating"] == "优秀"
    # Before the budget: 78/100 × 3,000 × 1.0 = 2,340; 115/100 × 3,500 × 1.2 = 4,830.
    assert mine.at["E2001", "bonus.perf"] == pytest.approx(2340)
    assert mine.at["E2002", "bonus.perf"] == pytest.approx(4830)
    perf_sum = mine["bonus.perf"].sum()
    scale = min(1.0, 200000 / perf_sum)
    assert mine.at["E2001", "bonus"] == pytest.approx(round(2340 * scale, 2), abs=0.006)

    rep = report(master)
    assert sorted(rep.departments) == sorted({"华东大区", "华南大区", "华北大区", "西南大区"})
    assert all(n == got_ == 10 and not missing for n, got_, missing in rep.departments.values())
    with zipfile.ZipFile(master) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 4

    wb = openpyxl.load_workbook(master)
    for title in ("Results", "Issues", "Log", "考核历史", "_collected", RATED, PARAMS):
        assert title in wb.sheetnames
    assert wb["_collected"].sheet_state == "hidden"
    # Nothing to fix: the Issues sheet holds only the 最多10分 notes (severity warning, applied).
    issues = list(wb["Issues"].iter_rows(min_row=3, values_only=True))
    assert len(issues) == len(capped) and {(r[4], r[7], r[8]) for r in issues} == {("capped", "警告", "已应用")}
    assert backup_path(master).exists()


def test_finance_changes_budget_and_rate_keeps_it(world, tmp_path):
    """A budget typed on 奖金参数 is used by the formulas and kept by the next rate; Python agrees."""
    master = fresh_master(world, tmp_path)
    collect(master, world["returned"])
    rate(master)
    wb = openpyxl.load_workbook(master)
    wb[PARAMS]["B3"] = 100000
    wb[PARAMS]["E3"] = 1.5  # 优秀's factor
    wb.save(master)
    again = rate(master, verify=True)
    assert again.ok, again.summary()
    assert any("budget" in k for k in again.kept) and any("rating factors" in k for k in again.kept)
    assert again.results["bonus"].sum() == pytest.approx(100000, abs=0.5)
    perf = again.results.set_index("employee_id")["bonus.perf"]
    assert perf["E2002"] == pytest.approx(115 / 100 * 3500 * 1.5)


def test_finance_values_that_are_none_are_placed_and_nothing_is_saved(world, tmp_path):
    """Text, a formula or a negative amount typed for a budget, factor or base is never dropped in silence."""
    from kpixl.cli.commands import main
    from kpixl.errors import InputError

    master = fresh_master(world, tmp_path)
    collect(master, world["returned"][:2])
    rate(master)
    report(master)
    wb = openpyxl.load_workbook(master)
    keys = [c.value for c in wb[RATED][1]]
    base_col = openpyxl.utils.get_column_letter(keys.index("bonus.base") + 1)
    wb[PARAMS]["B3"] = "一万"
    wb[PARAMS]["E3"] = -1  # 优秀's factor
    wb[RATED][f"{base_col}3"] = "=1+1"
    wb[RATED][f"{base_col}4"] = "三千"
    wb.save(master)
    before = master.read_bytes()
    with pytest.raises(InputError) as e:
        rate(master)
    got = {(p.where, p.code) for p in e.value.problems}
    assert got == {(f"{PARAMS}!B3", "not_a_number"), (f"{PARAMS}!E3", "bad_param"),
                   (f"{RATED}!{base_col}3", "not_a_number"), (f"{RATED}!{base_col}4", "not_a_number")}
    assert "not a formula" in next(p.message for p in e.value.problems if p.where.endswith(f"{base_col}3"))
    assert master.read_bytes() == before  # what finance typed is still there to correct
    assert main(["report", str(master)]) == 2 and master.read_bytes() == before
    # A collect on the way is not stopped by finance's typo (it redraws the reports with the scheme's
    # value there); rate and report still refuse it at its cell.
    later = collect(master, world["returned"][2:])
    assert later.ok and later.written and later.added
    with pytest.raises(InputError):
        rate(master)
    # Corrected (a budget of 0 is none too: cleared is the way to say no budget), rate goes on.
    wb = openpyxl.load_workbook(master)
    wb[PARAMS]["B3"], wb[PARAMS]["E3"] = None, 1.2
    wb[RATED][f"{base_col}3"], wb[RATED][f"{base_col}4"] = 5000, None
    wb.save(master)
    first = wb[RATED].cell(3, keys.index("employee_id") + 1).value
    again = rate(master)
    assert f"{first}'s bonus base 5,000.00 edited on {RATED} (roster: 3,000.00)" in again.kept, again.kept
    assert any(k.startswith(f"the budget on {PARAMS}!B3: (none)") for k in again.kept)  # cleared: no budget


def test_collecting_twice_changes_nothing_and_a_newer_file_is_logged(world, tmp_path):
    master = fresh_master(world, tmp_path)
    first = collect(master, world["returned"])
    assert first.written
    before = master.read_bytes()
    second = collect(master, world["returned"])
    assert not second.written and len(second.unchanged) == 40
    assert master.read_bytes() == before  # not even rewritten

    # E2001's manager corrects the sales figure and sends the file again (saved later).
    values = world["inputs"].copy()
    values.loc[values["employee_id"] == "E2001", "sales"] = 1000000
    source = next(f for f in world["returned"] if "周建国" in f.name)
    newer = fill_returned([source], master, values, tmp_path / "again")[0]
    third = collect(master, [newer])
    assert third.replaced == ["E2001"] and third.ok
    wb = openpyxl.load_workbook(master)
    log = [r for r in wb["Log"].iter_rows(values_only=True)][2:]  # row 1 keys, row 2 labels
    change = [r for r in log if r[4] == "E2001" and r[6] == "sales"]
    assert len(change) == 1 and change[0][7] == 850000 and change[0][8] == 1000000
    assert change[0][9] == f"替换 (原文件 {source.name})"
    rec = {r[1]: r for r in records(master)[1:]}
    header = records(master)[0]
    assert rec["E2001"][header.index("sales")] == 1000000
    # Results and 考核历史 are loaded empty (open_master(rewrite=…)) and written anew in full.
    results = [r for r in wb["Results"].iter_rows(values_only=True) if r and r[0] is not None]
    e2001 = [r for r in results if "E2001" in r]
    assert len(e2001) == 1 and 1000000 in e2001[0] and len([r for r in results if any(
        isinstance(v, str) and v.startswith("E2") for v in r)]) == 40
    history = [r for r in wb["考核历史"].iter_rows(values_only=True)][2:]  # row 1 keys, row 2 labels
    assert len(history) == 40 and sum(r[1] == "E2001" for r in history) == 1


def test_warnings_of_files_already_collected_stay_when_the_folder_is_collected_again(world, tmp_path):
    """The everyday case: a new file arrives and HR collects the whole folder again. Files
    collected before and unchanged are skipped, and their warnings (capped) stay on Issues."""
    master = fresh_master(world, tmp_path)
    files = sorted(world["returned"])
    capped = set(world["inputs"].loc[world["inputs"]["new_clients.new"] > 2, "employee_id"])

    def issues() -> set[tuple[str, str]]:
        rows = list(openpyxl.load_workbook(master)["Issues"].iter_rows(min_row=3, values_only=True))
        return {(r[2], r[4]) for r in rows if r and r[0]}

    late = next(f for f in files if any(e in capped for e in _people_of(f)))
    early = [f for f in files if f != late]
    assert collect(master, early).written
    before = issues()
    assert before and {e for e, _ in before} < capped
    again = collect(master, files)  # the late file is new; the others are skipped as unchanged
    assert again.written and len(again.unchanged) == sum(len(_people_of(f)) for f in early)
    assert issues() == {(e, "capped") for e in capped} and before < issues()


def _people_of(path: Path) -> list[str]:
    from kpixl.xlsx.reader import read_book
    from kpixl.master.returned import stamped_sheets

    book = read_book(path, only="kpixl.stamp")
    return [stamp.employee_id for _, stamp in stamped_sheets(book)[0]]


def test_a_master_is_loaded_without_the_cells_collect_writes_anew(world, tmp_path):
    master = fresh_master(world, tmp_path)
    collect(master, world["returned"])
    full = open_master(master)
    lean = open_master(master, rewrite=(RESULTS, HISTORY, "Roster"))  # Roster is HR's: never left out
    assert lean.wb.sheetnames == full.wb.sheetnames
    assert [ws.sheet_state for ws in lean.wb] == [ws.sheet_state for ws in full.wb]
    for title in (RESULTS, HISTORY):
        assert full.wb[title].max_row > 40
        assert lean.wb[title].max_row == 1 and lean.wb[title]["A1"].value is None
    for title in set(full.wb.sheetnames) - {RESULTS, HISTORY}:
        assert list(lean.wb[title].values) == list(full.wb[title].values), title


def test_a_bad_sheet_is_quarantined_whole_and_the_rest_applied(world, tmp_path):
    master = fresh_master(world, tmp_path)
    cells = input_cells(master)
    values = world["inputs"].copy().astype(object)
    values.loc[values["employee_id"] == "E2001", "sales"] = "九十"       # not a number
    values.loc[values["employee_id"] == "E2005", "samples"] = 9          # no such level
    source = next(f for f in world["sent"] if "周建国" in f.name)
    typed = type_inputs(source, tmp_path / "typed" / source.name, cells, values)
    got = collect(master, [typed])
    assert not got.ok
    places = {(p.employee, p.code): p.where for p in got.problems}
    assert places[("E2001", "not_a_number")] == f"[{source.name}]王伟-E2001!{cells['sales']}"
    assert ("E2005", "bad_level") in places or any(e == "E2005" for e, _ in places)
    assert "E2001" not in got.added and "E2005" not in got.added
    assert len(got.added) == 8  # the other eight of 周建国's ten
    rows = {r[1] for r in records(master)[1:]}
    assert "E2001" not in rows and "E2009" in rows
    assert (master.parent / "quarantine" / source.name).exists()
    issues = list(openpyxl.load_workbook(master)["Issues"].iter_rows(values_only=True))
    assert any(r[2] == "E2001" and r[8] == "已隔离, 未应用" for r in issues[2:])


def test_cli_collect_rate_report(world, tmp_path):
    master = fresh_master(world, tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "kpixl.cli", *a], capture_output=True, text=True, env=env)  # noqa: E731
    c = run("collect", str(master), *map(str, world["returned"]), "--quiet")
    assert c.returncode == 0, c.stderr
    assert "new 40" in c.stderr
    r = run("rate", str(master))
    assert r.returncode == 0, r.stderr
    p = run("report", str(master))
    assert p.returncode == 0 and "华东大区: 10 of 10 collected" in p.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    b = run("collect", str(master), str(bad))
    assert b.returncode == 2 and "[bad.xlsx]" in b.stderr and "Traceback" not in b.stderr


def test_history_rules_over_collected_months(tmp_path):
    """连续两个月未完成业绩目标扣当月工资5%: collected for Sep, Oct and Nov, flagged in Oct and Nov.

    E2001's target is 1,000,000 and the seeded inputs give 850,000 every month (85% < 100%):
    September starts the chain, October is the second month in a row, November the third.
    E2002 sells 1,344,000 (112%): never flagged.
    """
    from kpixl.scheme.models import History

    history = History.model_validate({"rules": [
        {"id": "miss2", "name": "连续两个月未完成业绩目标", "when": {"item": "sales", "achievement_below": 1.0},
         "consecutive": 2, "action": "扣当月工资5%", "salary_deduction": 0.05},
        # 完成目标奖励5%, 每超出10%加2%; and the best achievement of each 部门 (a roster column).
        {"id": "reward", "when": {"item": "sales", "achievement_at_least": 1.0}, "consecutive": 1,
         "salary_change": 0.05, "per": {"every": 0.1, "above": 1.0, "change": 0.02}},
        {"id": "dept_top", "when": {"rank": {"top": 1, "by": {"achievement": "sales"}, "group": "部门"}},
         "consecutive": 1}]})
    scheme = e2e_scheme().model_copy(update={"history": history})
    people = roster(8)
    master = new_master(scheme, people, tmp_path / "master.xlsx")
    cells = input_cells(master)
    for period in ("2026-09", "2026-10", "2026-11"):
        manifest = distribute(master, None, period, tmp_path / period, workers=1)
        typed = [type_inputs(tmp_path / period / e.file, tmp_path / period / "typed" / e.file, cells, inputs(people))
                 for e in manifest.entries]
        got = collect(master, typed, period=period)
        assert got.ok and len(got.added) == 8, got.problems
    rows = list(openpyxl.load_workbook(master)["考核历史"].iter_rows(values_only=True))
    head = rows[0]  # row 1 keys, row 2 labels; a flag is 1/0 (shown 是/否)
    flag = {(r[head.index("period")], r[head.index("employee_id")]): r[head.index("history.miss2")] for r in rows[2:]}
    deduction = {(r[0], r[1]): r[head.index("history.deduction")] for r in rows[2:]}
    assert [flag[(p, "E2001")] for p in ("2026-09", "2026-10", "2026-11")] == [0, 1, 1]
    assert deduction[("2026-11", "E2001")] == pytest.approx(0.05)
    assert not any(flag[(p, "E2002")] for p in ("2026-09", "2026-10", "2026-11"))
    # The signed change: E2001 −5% (miss2) in October; E2002 1,344,000 / 1,200,000 = 112% → 5% + 1 × 2% = +7%.
    change = {(r[0], r[1]): r[head.index("salary_change")] for r in rows[2:]}
    assert change[("2026-10", "E2001")] == pytest.approx(-0.05)
    assert change[("2026-10", "E2002")] == pytest.approx(0.07)
    # The rank reads 部门 from the master's roster: the highest achievement of each 部门 and month fires.
    dept = dict(zip(people["employee_id"], people["部门"]))
    ach = {(r[0], r[1]): r[head.index("achievement:sales")] for r in rows[2:]}
    top = {(r[0], r[1]): r[head.index("history.dept_top")] for r in rows[2:]}
    for (period, eid), fired in top.items():
        best = max(a for (p, e), a in ach.items() if p == period and dept[e] == dept[eid])
        assert fired == (round(ach[(period, eid)], 9) == round(best, 9))


def test_level_proposals_from_collected_years(tmp_path):
    """A yearly scheme with a ladder: 连续两年待改进 → 降级 B2→B1; 优秀 → 晋升 B2→B3; never a dismissal.

    E2001 (850,000 of 1,000,000 → total 78, 合格 every year in the seeded inputs) keeps B2.
    E2002 (total 115, 优秀 both years) is promoted one step: B2 → B3.
    E2003's inputs are set to all zeros both years (total 0, 待改进 twice): demoted B2 → B1.
    """
    from kpixl.scheme.models import Levels

    levels = Levels.model_validate({"column": "职级", "ladder": ["B1", "B2", "B3"],
                                    "promote": [{"when": {"rating_in": ["优秀"]}, "years": 1}],
                                    "demote": [{"when": {"rating_in": ["待改进"]}, "years": 2}]})
    scheme = e2e_scheme().model_copy(update={"levels": levels, "period": "year"})
    people = roster(4).assign(职级="B2")
    master = new_master(scheme, people, tmp_path / "master.xlsx")
    cells = input_cells(master)
    values = inputs(people)
    zero = {"sales": 0, "new_clients.new": 0, "samples": 1, "contracts": "否", "discipline.idle": 5,
            "discipline.away": 5, "attendance.late": 10, "attendance.absent": 2}
    for k, v in zero.items():
        values.loc[values["employee_id"] == "E2003", k] = v
    for year in ("2025", "2026"):
        manifest = distribute(master, None, year, tmp_path / year, workers=1)
        typed = [type_inputs(tmp_path / year / e.file, tmp_path / year / "typed" / e.file, cells, values)
                 for e in manifest.entries]
        got = collect(master, typed, period=year)
        assert got.ok, got.problems
    rows = list(openpyxl.load_workbook(master)["职级建议"].iter_rows(values_only=True))[2:]
    by = {r[0]: r for r in rows}
    assert by["E2001"][1:4] == ("B2", "B2", "keep")
    assert by["E2002"][1:4] == ("B2", "B3", "promote")
    assert by["E2003"][1:4] == ("B2", "B1", "demote") and "2025" in by["E2003"][4] and "2026" in by["E2003"][4]
    assert all(r[3] in ("keep", "promote", "demote", "review") for r in rows)


def test_a_damaged_master_is_a_clear_problem_and_left_alone(world, tmp_path):
    """A cell of the master's Scheme sheet named $C$2 (no program writes that): openpyxl cannot
    read the master; collect says it is damaged (it had been an internal error) and writes nothing."""
    import re
    import zipfile

    from kpixl.errors import FileProblem
    from kpixl.xlsx.cached import sheet_parts

    master = fresh_master(world, tmp_path)
    with zipfile.ZipFile(master) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
        scheme = sheet_parts(z)["Scheme"]
    parts[scheme] = re.sub(rb'<c r="C2"', b'<c r="$C$2"', parts[scheme], count=1)
    assert b'r="$C$2"' in parts[scheme]
    with zipfile.ZipFile(master, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    before = master.read_bytes()
    with pytest.raises(FileProblem) as e:
        collect(master, world["returned"][:1])
    assert "is damaged" in str(e.value) and master.read_bytes() == before


def test_a_master_open_in_excel_is_refused_and_left_alone(world, tmp_path):
    master = fresh_master(world, tmp_path)
    before = master.read_bytes()
    (tmp_path / f"~${master.name}").write_bytes(b"owner")  # what Excel and WPS leave beside an open file
    with pytest.raises(kpixl.FileProblem, match="open in Excel or WPS"):
        collect(master, world["returned"])
    assert master.read_bytes() == before
    # LibreOffice's lock file says the same (rate and report check it too).
    (tmp_path / f"~${master.name}").unlink()
    (tmp_path / f".~lock.{master.name}#").write_text(",someone,host,07.12.2026 10:00,")
    with pytest.raises(kpixl.FileProblem, match=r"open in LibreOffice \(\.~lock\.master\.xlsx# exists\)"):
        collect(master, world["returned"])
    with pytest.raises(kpixl.FileProblem, match="open in LibreOffice"):
        rate(master)
    assert master.read_bytes() == before


def test_two_collects_at_once_do_not_interleave(world, tmp_path):
    """Two processes collect different managers' files into one master at the same moment:
    the lock makes them take turns, so the master ends with both halves (no lost update)."""
    master = fresh_master(world, tmp_path)
    halves = [world["returned"][:2], world["returned"][2:]]
    code = "import sys; from kpixl.master.collect import collect; r = collect(sys.argv[1], sys.argv[2:]); " \
           "sys.exit(0 if r.ok else 1)"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(master), *map(str, half)]) for half in halves]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert len(records(master)) == 1 + 40
    log = [r for r in openpyxl.load_workbook(master)["Log"].iter_rows(values_only=True)][2:]
    assert sorted(r[4] for r in log) == sorted(world["roster"]["employee_id"])


def test_the_folder_distribute_wrote_collects_without_its_manifest(tmp_path):
    """HR may collect from the very folder distribute wrote: its manifest.csv/json are not returned files
    (given by name they still are, and get the not-a-workbook problem as any other file)."""
    from kpixl.master.collect import returned_files

    d = tmp_path / "2026-11"
    (d / "quarantine").mkdir(parents=True)
    for name in ("2026-11-王经理.xlsx", "manifest.csv", "manifest.json", "~$2026-11-王经理.xlsx", ".hidden.xlsx",
                 "quarantine/old.xlsx", "notes.txt"):
        (d / name).write_bytes(b"x")
    assert [f.name for f in returned_files([d])] == ["2026-11-王经理.xlsx", "notes.txt"]
    assert [f.name for f in returned_files([d / "manifest.csv"])] == ["manifest.csv"]


def test_another_schemes_files_into_a_fresh_master_say_so(tmp_path):
    """A fresh master (no period yet) given only another scheme's files: the scheme is the news, not the period."""
    master = tmp_path / "cs_pay.xlsx"
    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "workbooks" / "cs_pay.xlsx", master)
    before = master.read_bytes()
    with pytest.raises(kpixl.FileProblem, match=r"belong to the scheme kam-monthly, not cs-pay \(this master's\)"):
        collect(master, [root / "examples" / "returned"])
    assert master.read_bytes() == before


def test_only_damaged_files_into_a_fresh_master_name_their_damage(world, tmp_path):
    """Every file given is damaged and the master has collected nothing yet: the period is the one
    this master distributed, so each file's own problem is reported and the file quarantined (it had
    been "the period is unknown; give it (--period …)")."""
    master = fresh_master(world, tmp_path)
    bad = tmp_path / "in" / "王经理.xlsx"
    bad.parent.mkdir()
    bad.write_text("not a workbook", encoding="utf-8")
    before = master.read_bytes()
    got = collect(master, [bad])
    assert [p.code for p in got.problems] == ["bad_file"] and "王经理.xlsx" in got.problems[0].where
    assert not got.written and master.read_bytes() == before
    assert (tmp_path / "quarantine" / "王经理.xlsx").exists()
