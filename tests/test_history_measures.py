"""History conditions people actually write: signed salary changes, ranks, best in the year, derived measures.

Seed 000 (夜场客户经理奖罚制度): 完成月度业绩目标,奖励当月工资的5%; 超额完成业绩目标,每超出10%,
额外奖励当月工资的2%; 年度客户满意度评分最高者,额外奖励年终奖金; 团队协作得分连续三个月排名前三,
团队成员每人奖励500元; 团队协作得分连续三个月排名最后,团队成员每人扣除当月工资的3%; 连续工作满三年,
且表现优秀者,奖励一次性忠诚奖金5000元. Seed 004 (客户经理等级评审): 从事客户经理工作[X]年以上;
年度业务销售额…较上一年度增长[X]%以上; 占公司总业务销售额的[X]%以上.
"""

from __future__ import annotations

import copy
import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kpixl
from kpixl.errors import InputError
from kpixl.history import level_proposals, period_rules, rules_by_period
from kpixl.periods import parse_period
from kpixl.scheme import History, Levels, dump_yaml, scheme_from_dict
from kpixl.scheme.sheet.book import read_scheme_sheet, write_scheme_sheet

ROOT = Path(__file__).resolve().parent.parent

SCHEME = {
    "id": "r", "name": "奖罚", "sections": [{"id": "s", "items": [
        {"id": "sales", "points": 60, "rule": {"type": "ratio", "cap": 1.2}, "target": {"column": "业绩目标"}},
        {"id": "teamwork", "points": 40, "rule": {"type": "manual"}}]}],
    "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "合格", "min": 60}, {"name": "不合格"}]},
}


def rules(*rs: dict) -> History:
    return History.model_validate({"rules": list(rs)})


def run(history: History, rows: list[dict], period: str, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    return period_rules(history, pd.DataFrame(rows), period, roster=roster).set_index("employee_id")


# ---- the signed salary change ---------------------------------------------------------------

REWARD = {"id": "reward", "name": "完成月度业绩目标", "when": {"item": "sales", "achievement_at_least": 1.0},
          "consecutive": 1, "salary_change": 0.05, "per": {"every": 0.10, "above": 1.0, "change": 0.02}}


def test_reward_five_percent_plus_two_per_whole_ten_percent_hand_worked():
    # 完成目标奖励当月工资5%, 每超出10%额外2%: whole steps of 10% above 100%.
    got = run(rules(REWARD), [{"employee_id": e, "period": "2026-11", "achievement:sales": a} for e, a in [
        ("E1", 0.99),         # not met: nothing
        ("E2", 1.0),          # met: +5%, 0 steps
        ("E3", 1.0999),       # 9.99% above: still 0 whole steps → +5%
        ("E4", 1.1),          # (1.1 − 1.0) / 0.1 = 1.0000000000000009 → 1 step → 5% + 2% = 7%
        ("E5", 1.25),         # 2.5 → 2 steps → 5% + 4% = 9%
        ("E6", 1.3),          # (1.3 − 1.0) / 0.1 = 2.9999999999999996, read to 9 places → 3 → 11%
    ]], "2026-11")
    assert got["salary_change"].to_dict() == {"E1": 0, "E2": 0.05, "E3": 0.05, "E4": 0.07, "E5": 0.09, "E6": 0.11}
    assert (got["history.deduction"] == 0).all()  # rewards are no deduction
    # The reason works the change out: 5% + 2 steps × 2% = +9% of the month's wage.
    assert got.loc["E5", "history.reasons"] == "完成月度业绩目标(2026-11 125%; 5% + 2×2% = +9%)"
    assert got.loc["E2", "history.reasons"] == "完成月度业绩目标(2026-11 100%)"  # no steps: nothing to work out


def test_signed_change_penalties_and_salary_deduction_are_the_same():
    # salary_deduction: 0.05 is salary_change: -0.05; a reward and penalties in one month net out.
    history = rules(
        {"id": "miss2", "when": {"item": "sales", "achievement_below": 1.0}, "consecutive": 2, "salary_deduction": 0.05},
        {"id": "low", "when": {"total_below": 60}, "consecutive": 1, "salary_change": -0.03},
        {"id": "bonus", "when": {"total_at_least": 50}, "consecutive": 1, "salary_change": 0.02})
    rows = [{"employee_id": "E1", "period": p, "achievement:sales": 0.9, "total": t}
            for p, t in [("2026-10", 70), ("2026-11", 55)]]
    nov = run(history, rows, "2026-11").loc["E1"]
    # −5% (miss2) − 3% (low) + 2% (bonus) = −6%; the deduction is the penalties only: 8%.
    assert nov["salary_change"] == -0.06
    assert nov["history.deduction"] == 0.08
    # Each rule's part, for a pay line that names its rule.
    assert (nov["salary_change.miss2"], nov["salary_change.low"], nov["salary_change.bonus"]) == (-0.05, -0.03, 0.02)


def test_superseded_rules_leave_the_change_too():
    history = rules(
        {"id": "miss2", "when": {"item": "sales", "achievement_below": 1.0}, "consecutive": 2, "salary_change": -0.05},
        {"id": "miss3", "when": {"item": "sales", "achievement_below": 1.0}, "consecutive": 3, "salary_change": -0.10,
         "supersedes": ["miss2"]})
    rows = [{"employee_id": "E1", "period": p, "achievement:sales": 0.9} for p in ("2026-09", "2026-10", "2026-11")]
    assert run(history, rows, "2026-11").loc["E1", "salary_change"] == -0.10  # not −15%
    # The superseded rule is replaced: its part is 0 and its flag history.miss2 says no.
    got = run(history, rows, "2026-11").loc["E1"]
    assert (got["history.miss2"], got["salary_change.miss2"], got["salary_change.miss3"]) == (False, 0, -0.10)
    assert run(history, rows, "2026-10").loc["E1", "salary_change"] == -0.05
    assert run(history, rows, "2026-10").loc["E1", "history.miss2"]  # October: miss2 alone, it stands


# ---- ranks ----------------------------------------------------------------------------------

# 团队协作得分 of six people over three months (score:teamwork). Competition ranking, highest first:
#   2026-09: A 18 → 1; B 17, C 17 → 2, 2 (tie: the next place, 3, is skipped); D 15 → 4; E 12, F 12 → 5, 5
#   2026-10: A 19 → 1; C 18 → 2; B 17 → 3; D 16 → 4; E 14 → 5; F 11 → 6
#   2026-11: B 19 → 1; A 18 → 2; D 17 → 3; C 16 → 4; E 13 → 5; F 12 → 6
TEAM = {"A": (18, 19, 18), "B": (17, 17, 19), "C": (17, 18, 16), "D": (15, 16, 17), "E": (12, 14, 13),
        "F": (12, 11, 12)}
MONTHS = ("2026-09", "2026-10", "2026-11")
TEAM_ROWS = [{"employee_id": e, "period": p, "score:teamwork": s[k]} for e, s in TEAM.items() for k, p in enumerate(MONTHS)]
TOP3 = {"id": "top3", "name": "团队协作连续三个月排名前三", "when": {"rank": {"top": 3, "by": {"score": "teamwork"}}},
        "consecutive": 3, "action": "奖励500元"}
LAST3 = {"id": "last3", "name": "团队协作连续三个月排名最后", "when": {"rank": {"bottom": 1, "by": {"score": "teamwork"}}},
         "consecutive": 3, "salary_change": -0.03}


def test_rank_top_three_for_three_months_with_a_tie_hand_worked():
    got = run(rules(TOP3, LAST3), TEAM_ROWS, "2026-11")
    # A: 1, 1, 2 → fires. B: 2 (tied), 3, 1 → fires. C: 2 (tied), 2, 4 → not in November.
    assert got["history.top3"].to_dict() == {"A": True, "B": True, "C": False, "D": False, "E": False, "F": False}
    assert got.loc["B", "history.reasons"] == ("团队协作连续三个月排名前三(2026-09 teamwork得分17 第2名, "
                                               "2026-10 teamwork得分17 第3名, 2026-11 teamwork得分19 第1名; 共6人)")
    # 排名最后, bottom 1 ranks from the lowest: September E and F tie at 12 → both 倒数第1名;
    # October and November F alone. So F fires; E (倒数第2名 in October) does not.
    assert got["history.last3"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "E": False, "F": True}
    assert got.loc["F", "salary_change"] == -0.03
    assert got.loc["F", "history.reasons"] == ("团队协作连续三个月排名最后(2026-09 teamwork得分12 倒数第1名, "
                                               "2026-10 teamwork得分11 倒数第1名, 2026-11 teamwork得分12 倒数第1名; 共6人)")


def test_a_missing_month_or_blank_score_is_not_ranked_and_breaks_the_chain():
    rows = [r for r in TEAM_ROWS if not (r["employee_id"] == "A" and r["period"] == "2026-10")]
    got = run(rules(TOP3), rows, "2026-11")
    assert not got.loc["A", "history.top3"]  # no October row
    # With A gone from October, B (17) and D (16) move up: C 18 → 1, B 17 → 2, D 16 → 3.
    assert got.loc["B", "history.top3"]
    rows = copy.deepcopy(TEAM_ROWS)
    rows[1]["score:teamwork"] = None  # A's October score blank: A unranked, the five others ranked
    got = run(rules(TOP3), rows, "2026-11")
    assert not got.loc["A", "history.top3"]
    # October is then ranked among five; the count differs between months, so each month says it.
    assert got.loc["B", "history.reasons"].endswith("2026-09 teamwork得分17 第2名/6人, 2026-10 teamwork得分17 第2名/5人, "
                                                    "2026-11 teamwork得分19 第1名/6人)")


def test_rank_within_a_roster_group_by_total():
    # 部门 from the roster: 一部 A B C, 二部 D E F; ranked by total (the default).
    roster = pd.DataFrame({"employee_id": list("ABCDEF"), "部门": ["一部"] * 3 + ["二部"] * 3})
    rows = [{"employee_id": e, "period": "2026-11", "total": t} for e, t in zip("ABCDEF", (90, 80, 80, 70, 60, 75))]
    history = rules({"id": "first", "when": {"rank": {"top": 1, "group": "部门"}}, "consecutive": 1},
                    {"id": "last", "when": {"rank": {"bottom": 1, "group": "部门"}}, "consecutive": 1})
    got = run(history, rows, "2026-11", roster)
    assert got["history.first"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": False, "F": True}
    # 一部's lowest: B and C tie at 80 → both 倒数第1名; 二部's lowest: E.
    assert got["history.last"].to_dict() == {"A": False, "B": True, "C": True, "D": False, "E": True, "F": False}
    assert got.loc["F", "history.reasons"] == "first: 连续1个月(2026-11 总分75 二部第1名; 共3人)"
    # Someone not on the roster (left since) has no group: not ranked, and no problem either.
    gone = run(history, [*rows, {"employee_id": "G", "period": "2026-11", "total": 99}], "2026-11", roster)
    assert not gone.loc["G", "history.first"] and gone["history.first"].sum() == 2
    # A group column in the rows wins over the roster's (the group a person was in that month).
    rows2 = [{**r, "部门": "一部"} for r in rows]
    assert run(history, rows2, "2026-11", roster)["history.first"].sum() == 1


def test_rank_problems_missing_group_column_and_blank_group():
    rows = [{"employee_id": e, "period": "2026-11", "total": 80} for e in "AB"]
    history = rules({"id": "first", "when": {"rank": {"top": 1, "group": "部门"}}, "consecutive": 1})
    with pytest.raises(InputError) as e:
        period_rules(history, pd.DataFrame(rows), "2026-11", roster=pd.DataFrame({"employee_id": ["A", "B"]}))
    assert e.value.keys() == [("roster column 部门", "missing_column")]
    with pytest.raises(InputError) as e:
        period_rules(history, pd.DataFrame(rows), "2026-11")  # no roster: the rows must carry it
    assert e.value.keys() == [("history column 部门", "missing_column")]
    with pytest.raises(InputError) as e:
        period_rules(history, pd.DataFrame(rows), "2026-11",
                     roster=pd.DataFrame({"employee_id": ["A", "B"], "部门": ["一部", None]}))
    assert e.value.keys() == [("roster[1].部门", "blank")]


# ---- best in the year -----------------------------------------------------------------------

BEST = {"id": "best", "name": "年度客户满意度最高者",
        "when": {"rank": {"top": 1, "by": {"column": "客户满意度"}, "over": "year"}}, "consecutive": 1,
        "action": "额外奖励年终奖金"}


def test_best_in_the_year_ties_all_win_and_only_in_december():
    sat = {"A": (0.96, 0.95, 0.97, 0.96),   # mean 3.84 / 4 = 0.96
           "B": (0.97, 0.96, 0.96, 0.95),   # mean 3.84 / 4 = 0.96: a tie → both 最高者
           "C": (0.99, 0.99, 0.90, None),   # blank December left out: mean 2.88 / 3 = 0.96 as well
           "D": (0.95, 0.95, 0.95, 0.95)}   # 0.95
    rows = [{"employee_id": e, "period": p, "客户满意度": v[k]}
            for e, v in sat.items() for k, p in enumerate(("2026-09", "2026-10", "2026-11", "2026-12"))]
    dec = run(rules(BEST), rows, "2026-12")
    assert dec["history.best"].to_dict() == {"A": True, "B": True, "C": True, "D": False}
    assert dec.loc["A", "history.reasons"] == "年度客户满意度最高者(2026-12 2026年平均客户满意度0.96 第1名; 共4人)"
    # November is not the year's end: nobody is 年度最高 yet.
    assert not run(rules(BEST), rows, "2026-11")["history.best"].any()
    # aggregate: sum — C's blank month counts for nothing: A 3.84, B 3.84, C 2.88, D 3.8.
    by_sum = copy.deepcopy(BEST)
    by_sum["when"]["rank"]["aggregate"] = "sum"
    assert run(rules(by_sum), rows, "2026-12")["history.best"].to_dict() == {"A": True, "B": True, "C": False,
                                                                              "D": False}
    # On annual rows (period 2026) the year is the row itself.
    annual = [{"employee_id": e, "period": "2026", "客户满意度": v} for e, v in (("A", 0.9), ("B", 0.95))]
    assert run(rules(BEST), annual, "2026")["history.best"].to_dict() == {"A": False, "B": True}


# ---- derived measures -----------------------------------------------------------------------


def test_growth_against_own_mean_of_three_months_hand_worked():
    # Sep 100,000, Oct 110,000, Nov 120,000 → mean 110,000; Dec 150,000 / 110,000 − 1 = 0.363636… = 36.36%.
    # E2: 80,000, 90,000, 100,000 → 90,000; Dec 108,000 / 90,000 − 1 = 0.2: not above 20%.
    # E3: no October row → no growth in December. E4: previous three 0 → mean 0: no growth.
    sales = {"E1": (100000, 110000, 120000, 150000), "E2": (80000, 90000, 100000, 108000),
             "E3": (100000, None, 100000, 200000), "E4": (0, 0, 0, 50000)}
    rows = [{"employee_id": e, "period": p, "sales": v[k]} for e, v in sales.items()
            for k, p in enumerate(("2026-09", "2026-10", "2026-11", "2026-12")) if v[k] is not None]
    grow = {"id": "grow", "name": "业绩增长", "when": {"measure": {"growth": {"item": "sales", "periods": 3}},
                                                      "measure_above": 0.2}, "consecutive": 1}
    got = run(rules(grow), rows, "2026-12")
    assert got["history.grow"].to_dict() == {"E1": True, "E2": False, "E3": False, "E4": False}
    assert got.loc["E1", "history.reasons"] == "业绩增长(2026-12 sales较前3期均值增长36.36%)"
    at_least = copy.deepcopy(grow)
    at_least["when"] = {"measure": {"growth": {"item": "sales", "periods": 3}}, "measure_at_least": 0.2}
    assert run(rules(at_least), rows, "2026-12")["history.grow"].to_dict()["E2"] is True  # exactly 20%
    # periods: 1 against the month before: E3 200,000 / 100,000 − 1 = 100%.
    one = {"id": "grow", "when": {"measure": {"growth": {"column": "sales", "periods": 1}}, "measure_at_least": 1},
           "consecutive": 1}
    assert run(rules(one), rows, "2026-12")["history.grow"].to_dict() == {"E1": False, "E2": False, "E3": True,
                                                                         "E4": False}


def test_tenure_from_the_roster_hand_worked():
    # 2021-03-15 → 2026-11-30: 5 whole years (5 years 8 months); 68 whole months.
    # 2023-11-30 → 2026-11-30: exactly 3 years. 2023-12-01 → 2026-11-30: 2 years (35 months).
    # 2024-01-31 → the period end 2026-11-30 (the month's last day completes the month): 34 months.
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3", "E4"],
                           "入职日期": ["2021-03-15", datetime(2023, 11, 30), "2023/12/1", "2024年1月31日"]})
    rows = [{"employee_id": e, "period": "2026-11"} for e in ("E1", "E2", "E3", "E4")]
    years = {"id": "loyal", "when": {"measure": {"tenure": {}}, "measure_at_least": 3}, "consecutive": 1}
    months = {"id": "m", "when": {"measure": {"tenure": {"unit": "months"}}, "measure_at_least": 34},
              "consecutive": 1}
    got = run(rules(years, months), rows, "2026-11", roster)
    assert got["history.loyal"].to_dict() == {"E1": True, "E2": True, "E3": False, "E4": False}
    assert got["history.m"].to_dict() == {"E1": True, "E2": True, "E3": True, "E4": True}
    assert got.loc["E1", "history.reasons"] == "loyal: 连续1个月(2026-11 司龄5年)；m: 连续1个月(2026-11 司龄68个月)"
    assert got.loc["E4", "history.reasons"] == "m: 连续1个月(2026-11 司龄34个月)"


def test_tenure_problems_name_the_roster_column_and_cell():
    rows = [{"employee_id": e, "period": "2026-11"} for e in ("E1", "E2", "E3")]
    loyal = rules({"id": "loyal", "when": {"measure": {"tenure": {"column": "入职日期"}}, "measure_at_least": 3},
                   "consecutive": 1})
    with pytest.raises(InputError) as e:
        period_rules(loyal, pd.DataFrame(rows), "2026-11", roster=pd.DataFrame({"employee_id": ["E1", "E2", "E3"]}))
    assert e.value.keys() == [("roster column 入职日期", "missing_column")]
    assert "no column '入职日期' in the roster" in e.value.problems[0].message
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "入职日期": ["2021-03-15", "三年前", 2021]})
    with pytest.raises(InputError) as e:
        period_rules(loyal, pd.DataFrame(rows), "2026-11", roster=roster)
    assert e.value.keys() == [("roster[1].入职日期", "not_a_date"), ("roster[2].入职日期", "not_a_date")]
    # A blank date is no problem: the person has no tenure, and the condition does not hold.
    roster.loc[1:, "入职日期"] = None
    assert run(loyal, rows, "2026-11", roster)["history.loyal"].to_dict() == {"E1": True, "E2": False, "E3": False}


def test_share_of_the_group_total_hand_worked():
    # One month, company sales 30,000 + 50,000 + 40,000 = 120,000: E1's share 30,000 / 120,000 = 25%.
    # Within 部门 (一部: E1 + E2 = 80,000): E1 30,000 / 80,000 = 37.5%, E2 62.5%; 二部: E3 alone 100%.
    rows = [{"employee_id": e, "period": "2026-11", "销售额": v} for e, v in (("E1", 30000), ("E2", 50000), ("E3", 40000))]
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "部门": ["一部", "一部", "二部"]})
    company = {"id": "c", "when": {"measure": {"share": {"column": "销售额"}}, "measure_at_least": 0.25},
               "consecutive": 1}
    dept = {"id": "d", "when": {"measure": {"share": {"column": "销售额", "group": "部门"}}, "measure_above": 0.5},
            "consecutive": 1}
    got = run(rules(company, dept), rows, "2026-11", roster)
    assert got["history.c"].to_dict() == {"E1": True, "E2": True, "E3": True}  # 25%, 41.67%, 33.33%
    assert got["history.d"].to_dict() == {"E1": False, "E2": True, "E3": True}
    assert got.loc["E1", "history.reasons"] == "c: 连续1个月(2026-11 销售额占全体合计25%)"
    assert got.loc["E2", "history.reasons"].endswith("d: 连续1个月(2026-11 销售额占部门合计62.5%)")


def test_qualification_thresholds_over_derived_measures():
    # 中级 asks 从业年限 ≥ 2 (tenure at 2026-12-31) and 年度销售额 up ≥ 10% on 2025 (growth, periods: 1);
    # 高级 asks a 20% share of the company's 2026 sales.
    lv = Levels.model_validate({
        "column": "等级", "ladder": ["初级", "中级", "高级"], "promote": [{"when": {"rating_in": ["优秀"]}}],
        "qualify": {"中级": {"从业年限": {"measure": {"tenure": {}}, "min": 2},
                             "增长": {"measure": {"growth": {"column": "年度销售额", "periods": 1}}, "min": 0.1}},
                    "高级": {"占比": {"measure": {"share": {"column": "年度销售额"}}, "min": 0.2}}}})
    annual = pd.DataFrame([{"employee_id": e, "period": y, "rating": "优秀", "年度销售额": v} for e, y, v in [
        ("P1", "2025", 1000000), ("P1", "2026", 1100000),   # +10%, joined 2024-12-31: 2 years → 中级
        ("P2", "2025", 1000000), ("P2", "2026", 1090000),   # +9% → stays
        ("P3", "2026", 1810000)]])                           # 1,810,000 / 4,000,000 = 45.25% → 高级
    roster = pd.DataFrame({"employee_id": ["P1", "P2", "P3"], "等级": ["初级", "初级", "中级"],
                           "入职日期": ["2024-12-31", "2020-01-01", "2020-01-01"]})
    got = level_proposals(lv, annual, roster, "2026").set_index("employee_id")
    assert got["proposed"].to_dict() == {"P1": "中级", "P2": "初级", "P3": "高级"}
    assert got.loc["P2", "reason"] == "2026年度优秀，但增长 9% 未达 中级 门槛 10%，暂不晋升"
    roster = roster.drop(columns=["入职日期"])
    with pytest.raises(InputError) as e:
        level_proposals(lv, annual, roster, "2026")
    assert e.value.keys() == [("roster column 入职日期", "missing_column")]


# ---- the scheme -----------------------------------------------------------------------------


def test_scheme_problems_have_yaml_paths():
    d = copy.deepcopy(SCHEME)
    d["history"] = {"rules": [
        {"id": "a", "when": {"measure": {"growht": {"item": "sales", "periods": 3}}, "measure_above": 0.2},
         "consecutive": 1},                                                                  # unknown measure
        {"id": "b", "when": {"measure": {"growth": {"item": "sales", "periods": 0}}, "measure_above": 0.2},
         "consecutive": 1},                                                                  # periods < 1
        {"id": "c", "when": {"total_below": 60}, "consecutive": 1, "salary_change": -0.05,
         "salary_deduction": 0.05},                                                          # both
        {"id": "d", "when": {"rank": {"top": 3, "bottom": 1, "aggregate": "sum", "by": {"score": "salez"}}},
         "consecutive": 1},
        {"id": "e", "when": {"measure": {"share": {"item": "sales", "column": "x"}}}, "consecutive": 1},
        {"id": "f", "when": {"measure_above": 1}, "consecutive": 1,
         "per": {"every": 0.1, "above": 1, "change": 0.02}},
        {"id": "g", "when": {"measure": {"score": "sales", "column": "x"}, "measure_above": 1}, "consecutive": 1},
        {"id": "h", "when": {"measure": {"growth": {"column": "x"}}, "measure_above": 1}, "consecutive": 1},
    ]}
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    # All at once: pydantic's (an unknown measure, periods below 1) and the cross-field checks.
    assert sorted(e.value.keys()) == sorted([
        ("history.rules[0].when.measure.growht", "extra_forbidden"),
        ("history.rules[1].when.measure.growth.periods", "greater_than_equal"),
        ("history.rules[2].salary_change", "change_and_deduction"),
        ("history.rules[3].when.rank", "rank_top_or_bottom"),
        ("history.rules[3].when.rank.aggregate", "aggregate_unused"),
        ("history.rules[3].when.rank.by.score", "unknown_item"),
        ("history.rules[4].when", "empty_condition"),
        ("history.rules[4].when.measure", "measure_unused"),
        ("history.rules[4].when.measure.share", "item_or_column"),
        ("history.rules[5].when.measure", "missing"),
        ("history.rules[5].per.item", "missing"),
        ("history.rules[6].when.measure", "measure_kind"),
        ("history.rules[7].when.measure.growth.periods", "missing"),
    ])
    [unknown] = [p for p in e.value.problems if p.code == "extra_forbidden"]
    assert unknown.message == "unknown parameter 'growht'; allowed: score, achievement, column, growth, tenure, share"


def test_levels_measure_problems_have_yaml_paths():
    d = copy.deepcopy(SCHEME)
    d["levels"] = {"ladder": ["初级", "中级"], "qualify": {"中级": {
        "年限": {"measure": {"tenure": {"unit": "days"}}, "min": 3},
        "占比": {"measure": {"share": {"item": "salez"}}, "min": 0.2}}}}
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert e.value.keys() == [("levels.qualify.中级.年限.measure.tenure.unit", "literal_error"),
                              ("levels.qualify.中级.占比.measure.share.item", "unknown_item")]


def test_the_scheme_sheet_and_yaml_keep_the_new_fields():
    scheme = kpixl.load_scheme(ROOT / "examples/rewards.yaml")
    assert scheme_from_dict(yaml.safe_load(dump_yaml(scheme))) == scheme
    wb = openpyxl.Workbook()
    write_scheme_sheet(scheme, wb)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    assert read_scheme_sheet(openpyxl.load_workbook(buf)) == scheme


# ---- the example ----------------------------------------------------------------------------


def test_example_rewards_hand_worked():
    scheme = kpixl.load_scheme(ROOT / "examples/rewards.yaml")
    rows = pd.read_csv(ROOT / "examples/rewards.csv", dtype={"period": str})
    roster = pd.read_csv(ROOT / "examples/rewards.roster.csv")
    nov = period_rules(scheme.history, rows, "2026-11", roster=roster).set_index("employee_id")
    dec = period_rules(scheme.history, rows, "2026-12", roster=roster).set_index("employee_id")
    # R1 王伟, December: sales 150,000 / 100,000 = 150% → 5% + 5 × 2% = +15%;
    # growth 150,000 / mean(100,000, 110,000, 120,000) − 1 = 36.36% (for review);
    # 团队协作 ranks Oct 1, Nov 2, Dec 1 → 奖励500元; 满意度 Oct .95, Nov .97, Dec .96 → 奖励1000元;
    # year mean (.96 + .95 + .97 + .96) / 4 = .96, tied with 李芳's (.97 + .96 + .96 + .95) / 4 → both 最高者.
    assert dec.loc["R1", "salary_change"] == 0.15
    assert dec.loc["R1", "history.actions"] == "奖励1000元；额外奖励年终奖金；奖励500元；业绩增长奖金(金额由公司决定)"
    assert dec["history.best_satisfaction"].to_dict() == {"R1": True, "R2": True, "R3": False, "R4": False,
                                                          "R5": False, "R6": False}
    assert "年度客户满意度最高者(2026-12 2026年平均客户满意度0.96 第1名; 共6人)" in dec.loc["R2", "history.reasons"]
    # R2 李芳: 125% → 5% + 2 × 2% = +9%. R4 刘敏: 100% → +5%, growth 100,000 / 100,000 − 1 = 0: none.
    # R5 陈静: 110% → +7%; growth 110,000 / mean(80,000, 90,000, 100,000) − 1 = 22.22% > 20%.
    assert dec["salary_change"].to_dict() == {"R1": 0.15, "R2": 0.09, "R3": -0.10, "R4": 0.05, "R5": 0.07,
                                              "R6": -0.13}
    assert dec.loc["R5", "history.reasons"] == ("完成月度业绩目标(2026-12 110%; 5% + 1×2% = +7%)；"
                                                "业绩较前三个月均值增长20%以上(2026-12 sales较前3期均值增长22.22%)")
    # R6 杨洋, November: 连续三个月未完成 (60%, 70%, 90%) −10%, 客户投诉累计三次 −10%, 团队协作连续三个月
    # 排名最后 (Sep 12 tied with 陈静, Oct 11, Nov 12) −3% → −23%, a deduction of 23%.
    assert (nov.loc["R6", "salary_change"], nov.loc["R6", "history.deduction"]) == (-0.23, 0.23)
    assert nov.loc["R6", "history.actions"] == "岗位调整；岗位培训"
    # R4 刘敏 joined 2023-11-30: 2 whole years at 2026-10-31, 3 at 2026-11-30 → the one-off loyalty award
    # (rated 优秀) in November, not again in December. R1 王伟's came in September (5 years).
    assert nov.loc["R4", "history.loyalty"] and not dec.loc["R4", "history.loyalty"]
    assert "连续工作满三年且表现优秀(累计1次: 2026-11 优秀 司龄3年)" in nov.loc["R4", "history.reasons"]
    sep = period_rules(scheme.history, rows, "2026-09", roster=roster).set_index("employee_id")
    assert sep["history.loyalty"].to_dict() == {"R1": True, "R2": False, "R3": False, "R4": False, "R5": False,
                                                "R6": False}

    # Every month at once (the master's 考核历史) is each month on its own, one after the other.
    months = ["2026-09", "2026-10", "2026-11", "2026-12"]
    each = pd.concat([period_rules(scheme.history, rows, p, roster=roster).assign(period=p) for p in months],
                     ignore_index=True)
    pd.testing.assert_frame_equal(rules_by_period(scheme.history, rows, months, roster=roster), each)
    with pytest.raises(InputError) as e:
        rules_by_period(scheme.history, rows, ["2026-11", "十二月"], roster=roster)
    assert e.value.keys() == [("periods[1]", "bad_period")]

    got = level_proposals(scheme.levels, rows, roster, "2026").set_index("employee_id")
    assert got[["proposed", "move"]].apply(tuple, axis=1).to_dict() == {
        "R1": ("高级", "promote"),   # 5 years (2021-03-15 → 2026-12-31); 2,000,000 / 8,000,000 = 25% ≥ 20%
        "R2": ("初级", "keep"),      # 1 year < 2; 1,600,000 / 1,600,000 − 1 = 0% < 10%
        "R3": ("初级", "demote"),    # 2025、2026 不合格
        "R4": ("中级", "promote"),   # 3 years; 1,200,000 / 1,000,000 − 1 = 20% ≥ 10%
        "R5": ("高级", "keep"),      # at the top
        "R6": ("中级", "keep"),      # 良好
    }
    assert got.loc["R2", "reason"] == "2026年度优秀，但从业年限 1 未达 中级 门槛 2；销售额较上年增长 0% 未达 中级 门槛 10%，暂不晋升"


# ---- properties -----------------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 4), st.booleans(),
       st.lists(st.tuples(st.sampled_from(["一部", "二部"]), st.sampled_from([None, 50, 60, 60, 70, 80, 80, 90])),
                min_size=1, max_size=12))
def test_rank_top_n_fires_for_at_most_n_plus_ties_per_group(n, bottom, people):
    rows = [{"employee_id": f"E{k}", "period": "2026-11", "total": v} for k, (_, v) in enumerate(people)]
    roster = pd.DataFrame({"employee_id": [f"E{k}" for k in range(len(people))], "部门": [g for g, _ in people]})
    side = "bottom" if bottom else "top"
    got = run(rules({"id": "r", "when": {"rank": {side: n, "group": "部门"}}, "consecutive": 1}), rows, "2026-11", roster)
    for group in ("一部", "二部"):
        vals = {f"E{k}": v for k, (g, v) in enumerate(people) if g == group and v is not None}
        fired = {e for e in vals if got.loc[e, "history.r"]}
        # Independently: the n-th best value in the group; everyone at least as good fires.
        ordered = sorted(vals.values(), reverse=not bottom)
        if len(ordered) <= n:
            assert fired == set(vals)
            continue
        edge = ordered[n - 1]
        assert fired == {e for e, v in vals.items() if (v >= edge if not bottom else v <= edge)}
        ties = sum(1 for v in vals.values() if v == edge)
        assert n <= len(fired) <= n + ties - 1
    blank = {f"E{k}" for k, (_, v) in enumerate(people) if v is None}
    assert not any(got.loc[e, "history.r"] for e in blank)


@settings(max_examples=80, deadline=None)
@given(st.floats(1, 1e7, allow_nan=False), st.integers(1, 5), st.integers(0, 3))
def test_growth_of_a_constant_series_is_zero(value, periods, start):
    k = parse_period("2025-10").previous(-start)
    rows = [{"employee_id": "E1", "period": str(k.previous(-j)), "sales": value} for j in range(periods + 1)]
    last = str(k.previous(-periods))
    hist = rules({"id": "flat", "when": {"measure": {"growth": {"column": "sales", "periods": periods}},
                                         "measure_at_least": 0, "measure_at_most": 0}, "consecutive": 1})
    assert run(hist, rows, last).loc["E1", "history.flat"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["一部", "二部", "三部"]), st.integers(0, 10 ** 6)), min_size=1, max_size=10))
def test_shares_of_a_group_sum_to_one(people):
    from kpixl.history._measures import share  # the arithmetic itself, beside the rules that use it
    keys = [parse_period("2026-11")] * len(people)
    vals = np.array([float(v) for _, v in people])
    got = share(vals, keys, [g for g, _ in people])
    for group in {g for g, _ in people}:
        idx = [k for k, (g, _) in enumerate(people) if g == group]
        if sum(vals[idx]) > 0:
            assert abs(sum(got[idx]) - 1) < 1e-6
        else:
            assert np.isnan(got[idx]).all()


def test_period_end_and_whole_units():
    from kpixl.history._measures import period_end, read_date, whole_units
    assert [str(period_end(parse_period(p))) for p in ("2026-02", "2024-02", "2026Q4", "2026H1", "2026")] == [
        "2026-02-28", "2024-02-29", "2026-12-31", "2026-06-30", "2026-12-31"]
    assert whole_units(date(2021, 3, 15), date(2026, 11, 30), "years") == 5
    assert whole_units(date(2021, 3, 15), date(2026, 11, 30), "months") == 68   # 5 × 12 + 8
    assert whole_units(date(2026, 1, 31), date(2026, 2, 28), "months") == 1     # the month's last day
    assert whole_units(date(2026, 1, 15), date(2026, 2, 14), "months") == 0
    assert np.isnan(whole_units(date(2027, 1, 1), date(2026, 11, 30), "years"))
    assert read_date("2021年3月15日") == read_date("2021/3/15") == read_date(" 2021-03-15 00:00:00") == date(2021, 3, 15)
    for bad in ("2021-02-30", "15/03/2021", 44270):
        with pytest.raises(ValueError):
            read_date(bad)


def test_the_roster_columns_history_reads_are_the_schemes():
    # A roster check (distribute, collect) then knows 入职日期 and 部门 are needed, and by what.
    d = copy.deepcopy(SCHEME)
    d["history"] = {"rules": [LAST3 | {"when": {"rank": {"bottom": 1, "group": "部门"}}},
                              {"id": "loyal", "when": {"measure": {"tenure": {}}, "measure_at_least": 3},
                               "cumulative": 1, "window": "all"}]}
    d["levels"] = {"ladder": ["初级", "中级"], "promote": [{"when": {"rating_in": ["优秀"]}}],
                   "qualify": {"中级": {"占比": {"measure": {"share": {"column": "销售额", "group": "大区"}}, "min": 0.1}}}}
    assert scheme_from_dict(d).roster_columns() == {
        "业绩目标": "sales.target", "部门": "history.rules[0].when.rank.group",
        "入职日期": "history.rules[1].when.measure.tenure.column",
        "大区": "levels.qualify.中级.占比.measure.share.group"}
