"""The S11/S12 templates used as HR's master over several periods: history, levels and pay.

tests/test_template_masters.py runs every template through one month. Here the templates
whose rules read across periods are collected period after period, as HR would:

* ``cm_grade_review`` (yearly) for 2025 and 2026 → the master's ``职级建议`` and
  ``考核历史`` equal the proposals and warnings worked by hand in tests/test_seeds.py;
* ``night_rewards`` (monthly) for 2026-09…11 → ``rate`` writes 工资核算 with the
  连续/累计 rules' signed wage percentages, recalculated by LibreOffice equal to the
  engine, and the figures of tests/test_seeds.py (less the amounts finance types).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from collect_kit import approve, input_cells, type_inputs
from kpixl.card.distribute import distribute
from kpixl.master.collect import collect
from kpixl.master.rate import rate
from test_seeds import NIGHT_MONTHS

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = ROOT / "workbooks"
EXAMPLES = ROOT / "examples" / "schemes"


def collected(name: str, tmp: Path, periods: dict[str, pd.DataFrame]) -> Path:
    """The template as a master, each period distributed, typed and collected in order."""
    master = tmp / "master.xlsx"
    shutil.copy2(WORKBOOKS / f"{name}.xlsx", master)
    cells = input_cells(master)
    for period, values in periods.items():
        sent = distribute(master, None, period, tmp / period, workers=1)
        typed = [type_inputs(tmp / period / e.file, tmp / period / "typed" / e.file, cells, values)
                 for e in sent.entries]
        got = collect(master, typed, period=period)
        assert got.ok, (period, got.problems)
    return master


def sheet_rows(master: Path, title: str) -> list[tuple]:
    return list(openpyxl.load_workbook(master)[title].iter_rows(values_only=True))[2:]


def test_cm_grade_review_two_collected_years(tmp_path):
    y2026 = pd.read_csv(EXAMPLES / "cm_grade_review.inputs.csv", dtype={"employee_id": str})
    # 2025: G03 张娜 1,400,000/3,000,000 = 46.67% → 18.67; 6/15 → 8; .7/.9 → 15.56; 4% → 0: 42.22 不合格.
    y2025 = y2026.assign(sales=[5500000, 2000000, 1400000, 1300000, 7000000], new_clients=[18, 10, 6, 8, 25],
                         satisfaction=[0.9, 0.85, 0.7, 0.8, 0.95], complaint_rate=[0.01, 0.02, 0.04, 0.01, 0],
                         **{"key_clients.n": [1, 0, 0, 0, 2]})
    master = collected("cm_grade_review", tmp_path, {"2025": y2025, "2026": y2026})
    proposals = {r[0]: r[1:4] for r in sheet_rows(master, "职级建议")}
    # As worked in tests/test_seeds.py::test_cm_grade_review_card_and_level_proposals: the promotions
    # read 2026 alone (优秀 and the thresholds); G03 is 不合格 in both collected years.
    assert proposals == {"G01": ("中级", "高级", "promote"), "G02": ("初级", "中级", "promote"),
                         "G03": ("中级", "初级", "demote"), "G04": ("初级", "初级", "keep"),
                         "G05": ("高级", "高级", "keep")}
    history = {(r[0], r[1]): r for r in sheet_rows(master, "考核历史")}
    assert history[("2025", "G03")][3:5] == (42.22, "不合格")
    assert "首次业绩不达标(累计1次: 2025 不合格)" in history[("2025", "G03")]
    # warned once: 2026's 不合格 is the second, no new warning
    assert "警告并要求制定改进计划" not in history[("2026", "G03")]


@pytest.mark.engine
def test_night_rewards_three_collected_months_pay(tmp_path):
    cols = ["employee_id", "period", "total", "rating", "sales", "target", "teamwork", "satisfaction",
            "complaints.count"]
    months = pd.DataFrame(NIGHT_MONTHS, columns=cols)
    nov = pd.read_csv(EXAMPLES / "night_rewards.inputs.csv", dtype={"employee_id": str})
    periods = {p: months[months["period"].eq(p)][["employee_id", "sales", "satisfaction", "teamwork",
                                                   "complaints.count"]] for p in ("2026-09", "2026-10")}
    master = collected("night_rewards", tmp_path, {**periods, "2026-11": nov})
    pending = rate(master).pay.set_index("employee_id")
    # Every reward and penalty is a proposal until approved: 应发合计 is the wage alone (迟到 too).
    assert pending["pay.total"].to_dict() == {"N01": 4000, "N02": 3500, "N03": 3800, "N04": 3000, "N05": 4200}
    assert approve(master) > 0  # HR types 同意 on every row of 奖罚审批
    rated = rate(master, verify=True)  # verify: LibreOffice recalculates 工资核算 equal to the engine
    assert rated.ok, rated.verification.summary()
    pay = rated.pay.set_index("employee_id")
    # tests/test_seeds.py::test_night_rewards_card_history_and_pay, less what finance types on 工资核算
    # (创新提案, 工作失误 — blank here):
    # N01 +9% of 4,000 = 360, 满意度连续三个月 +1,000, 团队协作前三 +500;
    # N02 连续三个月 −10% of 3,500 = −350, 迟到 1 次 −70, 满意度连续三个月 +1,000;
    # N03 −5% − 10% − 3% = −18% of 3,800 = −684, 迟到 3 次 −228; N04 +5% of 3,000 = 150, 忠诚奖金 +5,000
    # (3 years at 2026-11-30, 优秀); N05 +11% of 4,200 = 462 (its 忠诚奖金 was September's: not again).
    assert pay["pay.rewards"].to_dict() == {"N01": 360, "N02": -350, "N03": -684, "N04": 150, "N05": 462}
    assert pay["pay.satisfaction_award"].to_dict() == {"N01": 1000, "N02": 1000, "N03": 0, "N04": 0, "N05": 0}
    assert pay["pay.team_award"].to_dict() == {"N01": 500, "N02": 0, "N03": 0, "N04": 0, "N05": 0}
    assert pay["pay.loyalty"].to_dict() == {"N01": 0, "N02": 0, "N03": 0, "N04": 5000, "N05": 0}
    assert pay["pay.total"].to_dict() == {"N01": 4000 + 360 + 1000 + 500, "N02": 3500 - 350 - 70 + 1000,
                                          "N03": 3800 - 684 - 228, "N04": 3000 + 150 + 5000, "N05": 4200 + 462}
    ws = openpyxl.load_workbook(master)["工资核算"]
    heads = [c.value for c in ws[2]]
    assert any(str(h).startswith("奖罚 (") for h in heads)
    # Each award's flag is a data cell beside it, the rule named in its header, its reason beside it.
    flag = heads.index("满意度奖·客户满意度连续三个月95%以上(历史规则, 触发=1)") + 1
    ids = [ws.cell(r, 1).value for r in range(3, 8)]
    assert {e: ws.cell(r, flag).value for e, r in zip(ids, range(3, 8))} == \
        {"N01": 1, "N02": 1, "N03": 0, "N04": 0, "N05": 0}
    why = heads.index("满意度奖·事由") + 1
    assert str(ws.cell(3 + ids.index("N01"), why).value).startswith("客户满意度连续三个月95%以上(2026-09 ")
    # 奖罚审批 lists the award with the rule's reason as its 依据 (approved above: counted)
    wa = openpyxl.load_workbook(master)["奖罚审批"]
    keys = [c.value for c in wa[1]]
    rows = [dict(zip(keys, r)) for r in wa.iter_rows(min_row=3, values_only=True)]
    award = next(r for r in rows if r["employee_id"] == "N04" and r["approval.line"] == "loyalty")
    assert award["approval.amount"] == 5000 and award["approval.decision"] == "同意"
    assert str(award["approval.basis"]).startswith("连续工作满三年且表现优秀(")
