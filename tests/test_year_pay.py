"""The year's 工资核算 (docs/year.md § Pay): each pay line summed over the periods as the period
masters' own 工资核算 show it, the annual bonus read from 年度汇总, unpaid periods flagged, and
LibreOffice's recalculation equal to the engine.

Worked by hand on examples/pay.yaml (客户服务经理月度考核与薪酬) for C01 王伟 and C02 李芳, three
monthly masters; C02 is not collected in 2026-03.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import kpixl
from kpixl.master.rate import rate
from kpixl.year import build_year
from kpixl.year.pay import PAY_COPIED, PAY_YEAR
from collect_kit import approve
from year_kit import period_master

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCHEME = kpixl.load_scheme(EXAMPLES / "pay.yaml")
ROSTER = pd.read_csv(EXAMPLES / "pay.roster.csv", dtype={"employee_id": str}).iloc[:2]
#: (工号, 业绩 actual against the 100,000 target, 客户满意度, 问题解决 points)
MONTHS = {"2026-01": [("C01", 125000, 0.95, 28), ("C02", 100000, 0.95, 30)],
          "2026-02": [("C01", 100000, 0.95, 28), ("C02", 80000, 0.95, 18)],
          "2026-03": [("C01", 90000, 0.95, 24)]}


@pytest.fixture(scope="module")
def masters(tmp_path_factory):
    d = tmp_path_factory.mktemp("ypay")
    out = []
    for period, recs in MONTHS.items():
        out.append(period_master(d / f"{period}.xlsx", SCHEME, ROSTER, period,
                                 [{"employee_id": e, "sales": a, "satisfaction": b, "resolution": c}
                                  for e, a, b, c in recs]))
    for m in out[:2]:  # 2026-03 is not rated yet; the others' rewards and penalties are all approved
        assert rate(m).ok
        assert approve(m) > 0
        assert rate(m).ok
    return out


def pay_of(year) -> dict:
    return year.pay.set_index("employee_id").to_dict("index")


@pytest.mark.engine
def test_a_year_of_pay_worked_by_hand(masters, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    ms = [Path(shutil.copy(m, work / m.name)) for m in masters]
    year = build_year(work / "年度汇总-2026.xlsx", ms, verify=True)
    assert year.verification.ok, year.verification.summary()
    # 2026-03 has no 工资核算 yet: flagged, no pay made up for it.
    assert [p.code for p in year.warnings if p.code == "year_pay_missing"] == ["year_pay_missing"]
    got = pay_of(year)
    c01 = got["C01"]
    # C01 王伟 (基本工资 3,000; 工作年限 4 → 300; 中级 → 300; 业务量 150,000 → 1% × 100,000 + 2% × 50,000
    #   = 2,000; 2 次迟到 → −2% × 3,000 × 2 = −120; 创新提案 1 → +1,000; 月度绩效奖金 2,000):
    #   01: 业绩 125% → 48 + 30 + 28 = 106 → 奖金 2,000; 完成目标 +5% × 3,000 = 150; 超额 2 × 10% → +120
    #       3,000 + 300 + 300 + 2,000 + 2,000 + 150 + 120 − 120 + 1,000 = 8,750
    #   02: 业绩 100% → 40 + 30 + 28 = 98 → 2,000; 完成目标 150; 超额 0 → 8,630
    #   03: not rated → 未核算
    assert c01["pay.periods"] == 2 and c01["pay.unpaid"] == "2026-03"
    assert c01["pay.base"] == 6000 and c01["pay.commission"] == 4000 and c01["pay.target_met"] == 300
    assert c01["pay.beyond"] == 120 and c01["pay.late"] == -240 and c01["pay.proposal"] == 2000
    assert c01["pay.paid"] == 8750 + 8630 == 17380
    # annual total = mean(106, 98, 90) = 98 → ≥ 90: the full 2,000 of 月度绩效奖金 as the year's bonus
    assert c01["pay.annual_bonus"] == 2000 and c01["pay.total"] == 19380

    # 2026-03 rated: 业绩 90% → 36 + 30 + 24 = 90 → 2,000 (90 is not below 90); no target reward:
    #   3,000 + 300 + 300 + 2,000 + 2,000 − 120 + 1,000 = 8,480 proposed, but 迟到 −120 and 创新提案
    #   +1,000 are not approved yet on 奖罚审批: 8,480 + 120 − 1,000 = 7,600 counts. Rebuilt without arguments.
    assert rate(ms[2]).ok
    year = build_year(work / "年度汇总-2026.xlsx", verify=True)
    assert year.verification.ok, year.verification.summary()
    # the pay that arrived is said on 变更, person by person
    assert [(c["employee_id"], c["period"], c["what"], c["old"], c["new"]) for c in year.changes] == [
        ("C01", "2026-03", "应发合计", None, 7600)]
    got = pay_of(year)
    c01, c02 = got["C01"], got["C02"]
    assert c01["pay.periods"] == 3 and c01["pay.unpaid"] is None
    assert c01["pay.paid"] == 8750 + 8630 + 7600 == 24980
    # the lines add up to the periods' 应发合计 (no floor was reached): each line under approval
    # as it counted (迟到 −120 × 2 approved months, 创新提案 +1,000 × 2)
    assert c01["pay.late"] == -240 and c01["pay.proposal"] == 2000
    assert sum(c01[f"pay.{ln.id}"] for ln in SCHEME.pay.lines) == 24980
    assert c01["pay.total"] == 24980 + 2000
    # C02 李芳 (3,500; 工作年限 6 → 600; 高级 → 800; 业务量 80,000 → 800), absent in 2026-03 (no result:
    #   not flagged as unpaid): 01: 100 → 2,000, 完成目标 +175 → 7,875; 02: 业绩 80% → 32 + 30 + 18 = 80
    #   → 2,000 × 80/100 = 1,600 → 7,300. Annual total mean(100, 80) = 90 → 2,000.
    assert c02["pay.periods"] == 2 and c02["pay.unpaid"] is None
    assert c02["pay.perf"] == 2000 + 1600 and c02["pay.paid"] == 7875 + 7300 == 15175
    assert c02["pay.total"] == 15175 + 2000

    wb = openpyxl.load_workbook(work / "年度汇总-2026.xlsx")
    ws = wb[PAY_YEAR]
    col = {ws.cell(1, c).value: ws.cell(1, c).column_letter for c in range(1, ws.max_column + 1)}
    # live formulas: a block of 期间工资 per person, the annual bonus from 年度汇总, 应发合计 a SUM
    assert ws[f"{col['pay.base']}3"].value.startswith(f"=SUM('{PAY_COPIED}'!$")
    assert ws[f"{col['pay.periods']}3"].value.startswith(f"=COUNT('{PAY_COPIED}'!$")
    assert ws[f"{col['pay.annual_bonus']}3"].value.startswith("='年度汇总'!$")
    assert ws[f"{col['pay.total']}3"].value == f"=SUM({col['pay.paid']}3,{col['pay.annual_bonus']}3)"
    # 期间工资: data with provenance (file, SHA-256), one row per person and period
    copied = wb[PAY_COPIED]
    rows = [r for r in copied.iter_rows(min_row=3, values_only=True)]
    heads = [c.value for c in copied[1]]
    assert [(r[0], r[heads.index("period")]) for r in rows] == [
        ("C01", "2026-01"), ("C01", "2026-02"), ("C01", "2026-03"), ("C02", "2026-01"), ("C02", "2026-02")]
    assert all(r[heads.index("file")].endswith(".xlsx") and len(r[heads.index("sha256")]) == 64 for r in rows)
    assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)


@pytest.mark.engine
def test_a_late_pay_correction_is_logged_and_a_lost_master_keeps_its_pay(masters, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    ms = [Path(shutil.copy(m, work / m.name)) for m in masters]
    assert rate(ms[2]).ok
    out = work / "年度汇总-2026.xlsx"
    build_year(out, ms)
    # finance raises the top commission rate of 2026-01 to 3% and re-rates: C01 +1% × 50,000 = +500
    wb = openpyxl.load_workbook(ms[0])
    params = wb["薪酬参数"]
    row = next(r for r in range(3, params.max_row + 1) if params.cell(r, 1).value == "commission.tiers[1]")
    params.cell(row, 5).value = 0.03
    wb.save(ms[0])
    assert rate(ms[0]).ok
    year = build_year(out)
    changed = [(c["employee_id"], c["period"], c["what"], c["old"], c["new"]) for c in year.changes]
    assert ("C01", "2026-01", "应发合计", 8750, 9250) in changed
    # 2026-03 left pending (7,600, as above)
    assert pay_of(year)["C01"]["pay.paid"] == 24980 + 500
    # 2026-02 is lost: the year keeps the pay it copied from it
    ms[1].unlink()
    year = build_year(out, verify=True)
    assert year.verification.ok, year.verification.summary()
    assert pay_of(year)["C01"]["pay.paid"] == 24980 + 500 and pay_of(year)["C01"]["pay.periods"] == 3


def test_the_readme_pay_months_are_of_the_example_scheme():
    """examples/pay-months/ (the README's year tour) holds masters of examples/pay.yaml as it is now:
    after a change to the example, run scripts/build-pay-months (and the README transcript)."""
    from kpixl.master.book import open_master

    months = sorted((EXAMPLES / "pay-months").glob("pay-*.xlsx"))
    assert [m.name for m in months] == ["pay-2026-10.xlsx", "pay-2026-11.xlsx"]
    for m in months:
        got = open_master(m).scheme
        assert got.model_dump() == SCHEME.model_dump(), m.name


@pytest.mark.engine
def test_random_period_pay_sums_recalculate_to_the_engine(tmp_path):
    """Random copied period pay — people missing from months, blank and text cells (a sheet
    edited by hand: SUM and COUNT skip them, as the engine does) — in one LibreOffice call."""
    import random

    from openpyxl import Workbook

    from kpixl.libreoffice import recalculate
    from kpixl.results.verify import read_results
    from kpixl.xlsx.cached import save_workbook
    from kpixl.xlsx.bulk import append_rows
    from kpixl.year.pay import pay_columns, pay_rows, write_pay_copied, write_year_pay
    from kpixl.results.verify import agree

    keys = list(pay_columns(SCHEME))
    paths, wants = [], []
    for seed in range(4):
        rnd = random.Random(seed)
        people = [f"P{i:02d}" for i in range(rnd.randint(1, 9))]
        frames = []
        for month in range(1, rnd.randint(2, 12) + 1):
            period = f"2026-{month:02d}"
            recs = [{"employee_id": e, "姓名": f"员工{e}", "component": "periods", "period": period,
                     **{k: rnd.choice([round(rnd.uniform(-500, 9000), 2), 0, None, "n/a"]) for k in keys},
                     "file": f"{period}.xlsx", "sha256": "0" * 64}
                    for e in people if rnd.random() > 0.25]
            frames.append(pd.DataFrame(recs))
        copied = pay_rows(frames, people, SCHEME)
        wb = Workbook()
        annual = wb.active
        annual.title = "年度汇总"
        bonus = [rnd.choice([0.0, 1234.5, 2000.0]) for _ in people]
        for k, b in enumerate(bonus):
            annual.cell(3 + k, 2, b)
        refs = [f"'年度汇总'!$B${3 + k}" for k in range(len(people))]
        _, got = write_year_pay(wb.create_sheet(PAY_YEAR), SCHEME, people, {}, copied, {}, refs, bonus)
        bulk = write_pay_copied(wb.create_sheet(PAY_COPIED), copied, SCHEME)
        path = tmp_path / f"pay{seed}.xlsx"
        save_workbook(wb, path)
        append_rows(path, {PAY_COPIED: bulk})
        paths.append(path)
        wants.append(got)
    bad = []
    for out, want in zip(recalculate(paths, tmp_path / "out"), wants):
        have = read_results(out, PAY_YEAR).set_index("employee_id")
        for row in want.to_dict("records"):
            for key, v in row.items():
                if key != "employee_id" and not agree(have.at[row["employee_id"], key], v):
                    bad.append((out.name, row["employee_id"], key, have.at[row["employee_id"], key], v))
    assert not bad


def test_the_copied_sheets_read_as_money_and_the_notes_wrap(masters, tmp_path):
    """What a person sees: 期间成绩's 绩效奖金 and 期间工资's pay lines as money on every row, 组成部分
    hidden when the year has no components of its own (every row would say 各期), 说明 wrapped on one page."""
    import openpyxl

    from kpixl.year.pay import PAY_COPIED
    from kpixl.year.sheet import COPIED

    year = build_year(tmp_path / "y.xlsx", [Path(shutil.copy(m, tmp_path / m.name)) for m in masters])
    wb = openpyxl.load_workbook(year.path)
    for title in (COPIED, PAY_COPIED):
        ws = wb[title]
        keys = [c.value for c in ws[1]]
        assert ws.column_dimensions["C"].hidden and keys[2] == "component"
        money = [j for j, k in enumerate(keys, 1) if k == "bonus" or str(k).startswith("pay.")]
        assert money and ws.max_row > 4
        assert {ws.cell(r, j).number_format for r in range(3, ws.max_row + 1) for j in money} == {"#,##0.00"}
    sources = wb["来源"]
    keys = [c.value for c in sources[1]]
    assert [r[keys.index("status")] for r in sources.iter_rows(min_row=3, values_only=True)] == ["正常"] * len(masters)
    assert sources.column_dimensions["A"].hidden and keys[0] == "component"
    notes = wb["说明"]
    assert notes.page_setup.fitToWidth == 1 and all(notes.cell(r, 1).alignment.wrap_text for r in range(1, 8))
