"""Pay (工资核算, docs/scheme.md § Pay): hand-worked seed examples, properties, bad input, and
LibreOffice recalculating the 工资核算 sheet equal to the engine.

Seeds (seeds/000): 客户服务经理薪酬 = 基本工资 + 绩效奖金 + 提成, raises by 工作年限/职称;
夜场客户经理奖罚: 完成目标奖励当月工资5%, 连续两个月未完成扣5%, 迟到早退每次扣2%, 工作失误扣
5%–20%, 创新提案奖励1000元.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpixl
from kpixl.errors import InputError
from kpixl.history import period_rules
from kpixl.libreoffice import recalculate
from kpixl.pay import PayTable, compute_pay, write_params, write_pay_sheet
from kpixl.pay.amounts import commission
from kpixl.results.verify import read_results
from kpixl.scheme import History
from kpixl.scheme.pay import Pay, PayLine
from kpixl.scheme.validate import scheme_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCHEME = kpixl.load_scheme(EXAMPLES / "pay.yaml")
PAY = SCHEME.pay
ROSTER = pd.read_csv(EXAMPLES / "pay.roster.csv", dtype={"employee_id": str})
TIERS = [{"upto": 100000, "rate": 0.01}, {"rate": 0.02}]


def line(**kw) -> PayLine:
    return PayLine.model_validate({"id": "c", "type": "commission", "column": "业务量", **kw})


def figures(**extra) -> pd.DataFrame:
    """The example roster with each person's bonus, history share and typed 工作失误."""
    df = ROSTER.copy()
    df["bonus"] = [600, 1800, 0, 1200]
    df["history.deduction"] = [0.05, None, 0.10, 0]
    df["工作失误比例"] = [0.10, None, 0.20, 0.05]
    df["achievement:sales"] = [1.25, 0.9, 0.5, 1.3]
    for k, v in extra.items():
        df[k] = v
    return df


# ---- hand-worked ---------------------------------------------------------------------------


def test_seed_pay_worked_by_hand():
    got = compute_pay(PAY, figures()).set_index("employee_id")
    # C01 王伟: 基本工资 3,000; 工作年限 4 → step ≥3: 300; 中级 → 300; 绩效奖金 600;
    #   业务量 150,000 累进: 1% × 100,000 + 2% × 50,000 = 1,000 + 1,000 = 2,000;
    #   业绩完成 125%: 完成目标 +5% × 3,000 = 150, 超出 2 个 10%: +2% × 2 × 3,000 = 120;
    #   连续两个月未完成 (deduction 0.05): −5% × 3,000 = −150;
    #   迟到早退 2 次: −2% × 3,000 × 2 = −120; 工作失误 10%: −300; 创新提案 1: +1,000.
    c01 = got.loc["C01"]
    assert [c01[f"pay.{k}"] for k in ("base", "seniority", "title", "perf", "commission", "target_met", "beyond",
                                       "rewards", "late", "mistake", "proposal")] == \
        [3000, 300, 300, 600, 2000, 150, 120, -150, -120, -300, 1000]
    assert c01["pay.total"] == 3000 + 300 + 300 + 600 + 2000 + 150 + 120 - 150 - 120 - 300 + 1000 == 6900
    # C02 李芳: 3,500 + 工作年限 6 → 600 + 高级 800 + 1,800 + 1% × 80,000 = 800; 90%: no reward.
    assert got.loc["C02", "pay.total"] == 3500 + 600 + 800 + 1800 + 800 == 7500
    # C03 张娜: 2,800; 1 年 → 0; 初级 0; no bonus, no 业务量; 连续三个月 (0.10): −280;
    #   5 次迟到: −2% × 2,800 × 5 = −280; 工作失误 20% (the most): −560.
    assert got.loc["C03", "pay.late"] == -280 and got.loc["C03", "pay.mistake"] == -560
    assert got.loc["C03", "pay.total"] == 2800 - 280 - 280 - 560 == 1680
    # C04 刘敏: 工作年限 exactly 3 → 300; 业务量 exactly 100,000 → 1,000 (upto is inclusive);
    #   业绩 130%: 完成目标 +160, and (1.3 − 1.0)/0.1 = 3 whole steps (2.9999… in binary, read
    #   as its decimal) → +2% × 3 × 3,200 = 192; 工作失误 5% (the least) −160; 创新提案 是 → +1,000.
    assert got.loc["C04", "pay.seniority"] == 300 and got.loc["C04", "pay.commission"] == 1000
    assert got.loc["C04", "pay.beyond"] == 192
    assert got.loc["C04", "pay.total"] == 3200 + 300 + 300 + 1200 + 1000 + 160 + 192 - 160 + 1000 == 7192
    assert got.loc["C01", "pay.wage_base"] == 3000


def test_signed_salary_change_wins_over_deduction():
    # A reward from history (salary_change +0.05) beside a penalty (−0.10): 3,000 × 0.05 = +150.
    got = compute_pay(PAY, figures(**{"history.salary_change": [0.05, -0.10, None, 0]})).set_index("employee_id")
    assert got.loc["C01", "pay.rewards"] == 150
    assert got.loc["C02", "pay.rewards"] == -350  # 3,500 × −10%
    assert got.loc["C03", "pay.rewards"] == 0  # blank: no rule fired


def test_commission_marginal_and_whole_amount_by_hand():
    marginal, whole = line(tiers=TIERS), line(tiers=TIERS, method="whole")
    amounts = [0, 50000, 100000, 100000.01, 150000]
    # 累进: 50,000 × 1% = 500; 100,000 × 1% = 1,000; 1,000 + 0.01 × 2% = 1,000.0002;
    #       1,000 + 50,000 × 2% = 2,000.
    assert list(commission(marginal, amounts)) == pytest.approx([0, 500, 1000, 1000.0002, 2000])
    # 全额: the band holding the amount, on all of it: 100,000 × 1% = 1,000; 150,000 × 2% = 3,000.
    assert list(commission(whole, amounts)) == pytest.approx([0, 500, 1000, 2000.0002, 3000])
    assert list(commission(line(rate=0.015), [20000])) == [300]


TENURE = PayLine.model_validate({"id": "seniority", "name": "工龄工资", "type": "raise", "column": "入职日期",
                                 "from_date": True, "steps": [{"min": 0, "amount": 0}, {"min": 3, "amount": 300},
                                                              {"min": 5, "amount": 600}]})


def test_years_of_service_from_the_date_joined():
    pay = Pay.model_validate({"lines": [{"id": "base", "type": "wage", "column": "基本工资"}, TENURE.model_dump()]})
    df = pd.DataFrame({"employee_id": list("ABCDE"), "基本工资": [3000] * 5,
                       "入职日期": [dt.date(2023, 11, 30), "2023-12-01", dt.datetime(2021, 11, 30), dt.date(2024, 2, 29),
                                    dt.date(2026, 11, 30)]})
    got = compute_pay(pay, df, as_of=dt.date(2026, 11, 30))
    # A: 2023-11-30 → 2026-11-30 is exactly 3 years → 300; B: joined a day later, 2 years → 0;
    # C: 5 years → 600; D: 2024-02-29 → 2 years by 2026-11-30 → 0; E: joined that day → 0.
    assert got["pay.seniority"].tolist() == [300, 0, 600, 0, 0]
    with pytest.raises(InputError) as e:
        compute_pay(pay, df.assign(入职日期=["2027-01-01", "去年", None, dt.date(2020, 1, 1), "2020-01-01"]),
                    as_of=dt.date(2026, 11, 30))
    assert [(p.where, p.code) for p in e.value.problems] == [
        ("inputs row 1, 入职日期", "negative"), ("inputs row 2, 入职日期", "not_a_date"), ("inputs row 3, 入职日期", "blank")]


def test_achievement_steps_by_hand():
    from kpixl.pay.amounts import achievement_steps

    once = PayLine.model_validate({"id": "t", "type": "achievement", "item": "sales", "fraction": 0.05})
    every = PayLine.model_validate({"id": "b", "type": "achievement", "item": "sales", "every": 0.1, "fraction": 0.02})
    x = [0.99, 0.9999999999, 1.0, 1.09, 1.1, 1.25, 1.3, 2.0]
    assert achievement_steps(once, x).tolist() == [0, 1, 1, 1, 1, 1, 1, 1]  # 0.9999999999 reads as 100%
    # whole 10% steps above 100%: 1.3 − 1.0 = 0.30000000000000004 / 0.1 → 3 (not 2.9999…), 2.0 → 10
    assert achievement_steps(every, x).tolist() == [0, 0, 0, 0, 1, 2, 3, 10]


#: Seed 夜场客户经理奖罚: the fixed awards read their history rule's flag (history: <rule id>).
FLAGGED = Pay.model_validate({"lines": [
    {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资"},
    # 客户满意度评分连续三个月达到95%以上,奖励1000元。
    {"id": "sat", "name": "满意度奖", "type": "fixed", "history": "satisfied3", "amount": 1000},
    # 团队协作得分连续三个月排名前三,团队成员每人奖励500元。
    {"id": "team", "name": "团队协作奖", "type": "fixed", "history": "team_top3", "amount": 500},
    # a per_event line may read a flag too: 团队协作连续三个月排名最后 −3% of 当月工资
    {"id": "last", "name": "团队协作罚", "type": "per_event", "history": "team_last3", "fraction": -0.03},
    {"id": "proposal", "name": "创新提案奖", "type": "fixed", "column": "创新提案", "amount": 1000},
]})
FLAG_NAMES = {"satisfied3": "客户满意度连续三个月95%以上", "team_top3": "团队协作连续三个月排名前三",
              "team_last3": "团队协作连续三个月排名最后"}


def test_fixed_and_per_event_lines_read_a_history_rules_flag():
    df = pd.DataFrame({"employee_id": ["N01", "N02", "N03"], "基本工资": [4000, 3500, 3800],
                       "history.satisfied3": [True, 1, False], "history.team_top3": [True, None, False],
                       "history.team_last3": [False, 0, True], "创新提案": [0, 1, 0]})
    got = compute_pay(FLAGGED, df).set_index("employee_id")
    # N01: both awards fired → 4,000 + 1,000 + 500 = 5,500
    assert got.loc["N01", ["pay.sat", "pay.team", "pay.last"]].tolist() == [1000, 500, 0]
    assert got.loc["N01", "pay.total"] == 4000 + 1000 + 500 == 5500
    # N02: 满意度 (1 reads as fired), no 团队 row (blank = not fired), 创新提案 typed → 3,500 + 1,000 + 1,000
    assert got.loc["N02", "pay.total"] == 3500 + 1000 + 1000 == 5500
    # N03: last three months → −3% × 3,800 = −114 → 3,686
    assert got.loc["N03", "pay.last"] == -114
    assert got.loc["N03", "pay.total"] == 3800 - 114 == 3686
    # under approval like any reward: pending counts 0, 同意 counts
    ok = compute_pay(FLAGGED, df, approvals={("N01", "sat"): "同意"}).set_index("employee_id")
    assert ok.loc["N01", "pay.total"] == 4000 + 1000
    assert all(FLAGGED.line(i).needs_approval for i in ("sat", "team", "last"))
    # over several periods (a year's pay) the column may count the periods it fired in: 2 × 1,000
    year = compute_pay(FLAGGED, df.assign(**{"history.satisfied3": [2, 0, 0]})).set_index("employee_id")
    assert year.loc["N01", "pay.sat"] == 2 * 1000


#: 连续两个月未完成业绩目标罚款200元; 连续三个月未完成 罚款500元并扣当月工资3%, replacing the two-month rule.
MISSES = History.model_validate({"rules": [
    {"id": "miss2", "name": "连续两个月未完成业绩目标", "when": {"item": "sales", "achievement_below": 1.0},
     "consecutive": 2},
    {"id": "miss3", "name": "连续三个月未完成业绩目标", "when": {"item": "sales", "achievement_below": 1.0},
     "consecutive": 3, "supersedes": ["miss2"]}]})
FINES = Pay.model_validate({"lines": [
    {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资"},
    {"id": "fine2", "name": "两月未达标罚款", "type": "fixed", "history": "miss2", "amount": -200},
    {"id": "fine3", "name": "三月未达标罚款", "type": "fixed", "history": "miss3", "amount": -500},
    {"id": "cut3", "name": "三月未达标扣薪", "type": "per_event", "history": "miss3", "fraction": -0.03}]})


def _misses() -> pd.DataFrame:
    """November's flags of MISSES: M1 missed Sep, Oct, Nov; M2 Oct, Nov; M3 none; 基本工资 4,000 each."""
    ach = {"M1": [0.8, 0.9, 0.95], "M2": [1.1, 0.9, 0.95], "M3": [1.0, 1.2, 1.0]}
    rows = pd.DataFrame([{"employee_id": e, "period": p, "achievement:sales": a[k]} for e, a in ach.items()
                         for k, p in enumerate(("2026-09", "2026-10", "2026-11"))])
    return period_rules(MISSES, rows, "2026-11").assign(基本工资=4000)


def test_a_superseded_rule_pays_nothing_beside_the_one_replacing_it():
    f = _misses()
    assert f["employee_id"].tolist() == ["M1", "M2", "M3"]
    # M1: 连续三个月 fires and replaces 连续两个月, whose flag says no:
    #   4,000 − 500 − 3% × 4,000 = 4,000 − 500 − 120 = 3,380 (not 200 less again: 3,180)
    assert f.loc[0, ["history.miss2", "history.miss3"]].tolist() == [False, True]
    got = compute_pay(FINES, f).set_index("employee_id")
    assert got.loc["M1", ["pay.fine2", "pay.fine3", "pay.cut3"]].tolist() == [0, -500, -120]
    assert got.loc["M1", "pay.total"] == 4000 - 500 - 120 == 3380
    # M2: Oct and Nov, 连续两个月 alone → 4,000 − 200 = 3,800; M3 met every month → 4,000
    assert got.loc["M2", ["pay.fine2", "pay.fine3", "pay.cut3"]].tolist() == [-200, 0, 0]
    assert got["pay.total"].tolist() == [3380, 3800, 4000]


def test_a_missing_or_bad_flag_is_a_problem():
    df = pd.DataFrame({"employee_id": ["A", "B"], "基本工资": [3000, 3000], "history.satisfied3": [1, -1],
                       "history.team_last3": [0, "yes"]})
    with pytest.raises(InputError) as e:
        compute_pay(FLAGGED, df)
    got = {(p.where, p.code) for p in e.value.problems}
    assert got == {("inputs row 2, history.satisfied3", "negative"),
                   ("inputs row 2, history.team_last3", "not_a_number"),
                   ("inputs", "missing_column")}  # no history.team_top3 at all


def test_floor_keeps_pay_at_zero():
    pay = Pay.model_validate({"lines": [{"id": "base", "type": "wage", "column": "基本工资"},
                                        {"id": "late", "type": "per_event", "column": "n", "fraction": -0.02}]})
    df = pd.DataFrame({"employee_id": ["A", "B"], "基本工资": [1000, 1000], "n": [60, 10]})
    got = compute_pay(pay, df)
    # A: 1,000 − 60 × 2% × 1,000 = 1,000 − 1,200 = −200 → floor 0; B: 1,000 − 200 = 800.
    assert got["pay.late"].tolist() == [-1200, -200] and got["pay.total"].tolist() == [0, 800]
    no_floor = pay.model_copy(update={"floor": None})
    assert compute_pay(no_floor, df)["pay.total"].tolist() == [-200, 800]


# ---- properties ----------------------------------------------------------------------------

rates = st.floats(0, 0.2, allow_nan=False).map(lambda x: round(x, 4))


@st.composite
def tier_tables(draw, rising: bool = False):
    n = draw(st.integers(1, 4))
    uptos = sorted(draw(st.lists(st.integers(1, 10**6), min_size=n - 1, max_size=n - 1, unique=True)))
    rs = draw(st.lists(rates, min_size=n, max_size=n))
    if rising:
        rs = sorted(rs)
    return [{"upto": float(u), "rate": r} for u, r in zip(uptos, rs)] + [{"rate": rs[-1]}]


@settings(max_examples=200, deadline=None)
@given(tiers=tier_tables(), a=st.floats(0, 2e6), b=st.floats(0, 2e6))
def test_marginal_commission_never_falls_as_the_amount_rises(tiers, a, b):
    lo, hi = sorted((a, b))
    got = commission(line(tiers=tiers), [lo, hi])
    assert got[0] <= got[1] + 1e-9


@settings(max_examples=200, deadline=None)
@given(tiers=tier_tables(rising=True), a=st.floats(0, 2e6))
def test_marginal_at_most_whole_when_rates_rise(tiers, a):
    m = commission(line(tiers=tiers), [a])[0]
    w = commission(line(tiers=tiers, method="whole"), [a])[0]
    assert m <= w + 1e-6
    # and never more than the top rate on all of it, never less than the bottom rate
    assert tiers[0]["rate"] * a - 1e-6 <= m <= tiers[-1]["rate"] * a + 1e-6


@settings(max_examples=100, deadline=None)
@given(rate=rates, a=st.floats(0, 2e6))
def test_one_band_is_a_flat_rate_either_way(rate, a):
    flat = commission(line(rate=rate), [a])[0]
    assert commission(line(tiers=[{"rate": rate}]), [a])[0] == flat
    assert commission(line(tiers=[{"rate": rate}], method="whole"), [a])[0] == flat


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 30), wage=st.integers(0, 50000))
def test_more_events_never_pay_more_for_a_penalty(n, wage):
    pay = Pay.model_validate({"lines": [{"id": "base", "type": "wage", "column": "w"},
                                        {"id": "late", "type": "per_event", "column": "n", "fraction": -0.02}],
                              "floor": None})
    got = compute_pay(pay, pd.DataFrame({"employee_id": ["a", "b"], "w": [wage, wage], "n": [n, n + 1]}))
    assert got["pay.total"][1] <= got["pay.total"][0]


# ---- bad scheme, bad input -------------------------------------------------------------------


def _problems(pay: dict, **extra) -> list[tuple[str, str]]:
    data = {"id": "p", "name": "p", "sections": [{"id": "s", "items": [{"id": "x", "points": 100,
                                                                          "rule": {"type": "manual"}}]}],
            "pay": pay, **extra}
    with pytest.raises(InputError) as e:
        scheme_from_dict(data)
    return [(p.where, p.code) for p in e.value.problems]


def test_scheme_problems_are_placed():
    got = _problems({"lines": [
        {"id": "perf", "type": "bonus"},
        {"id": "c", "type": "commission", "column": "业务量", "tiers": [{"upto": 2, "rate": 0.01}, {"upto": 1, "rate": 0.02}]},
        {"id": "m", "type": "range", "column": "失误", "min": 0.2, "max": 0.05},
        {"id": "r", "type": "raise", "column": "年限"},
        {"id": "f", "type": "fixed", "column": "奖", "amount": 500, "rate": 0.1},
        {"id": "h", "type": "history", "of": ["nope"]},
        {"id": "a", "type": "achievement", "item": "x", "fraction": 0.05},
        {"id": "b", "type": "achievement", "item": "nope", "fraction": 0.05, "every": 0},
    ]})
    assert ("pay.lines[0].type", "no_bonus") in got
    assert ("pay.lines[1].tiers[1].upto", "tiers_order") in got
    assert ("pay.lines[1].tiers[1].upto", "tiers_last_upto") in got
    assert ("pay.lines[2].min", "range_backwards") in got
    assert ("pay.lines[3].steps", "steps_or_table") in got
    assert ("pay.lines[4].rate", "field_unused") in got
    assert ("pay.lines[5].type", "no_history") in got
    assert ("pay.lines[5].of[0]", "unknown_line") in got
    assert ("pay.lines[6].item", "no_achievement") in got  # x is a manual item: no 实际/目标
    assert ("pay.lines[7].item", "unknown_item") in got
    assert ("pay.lines[7].every", "greater_than") in got


def test_a_flag_line_names_a_known_rule_and_not_a_column_too():
    history = {"history": {"rules": [{"id": "sat3", "when": {"total_at_least": 90}, "consecutive": 3}]}}
    got = _problems({"lines": [
        {"id": "base", "type": "wage", "column": "基本工资"},
        {"id": "a", "type": "fixed", "history": "nope", "amount": 1000},
        {"id": "b", "type": "fixed", "history": "sat3", "column": "次数", "amount": 500},
        {"id": "c", "type": "per_event", "fraction": -0.02},
        {"id": "d", "type": "fixed", "history": "sat3", "amount": 500},
    ]}, **history)
    assert ("pay.lines[1].history", "unknown_rule") in got
    assert ("pay.lines[2].history", "column_or_history") in got
    assert ("pay.lines[3].column", "missing") in got
    assert not [g for g in got if g[0].startswith("pay.lines[4]")]
    assert ("pay.lines[1].history", "no_history") in _problems({"lines": [
        {"id": "base", "type": "wage", "column": "基本工资"},
        {"id": "a", "type": "fixed", "history": "nope", "amount": 1000}]})
    assert ("pay.lines[1].history", "field_unused") in _problems({"lines": [
        {"id": "base", "type": "wage", "column": "基本工资"},
        {"id": "a", "type": "range", "history": "sat3", "column": "x", "min": 0.05, "max": 0.2}]}, **history)


def test_a_share_outside_its_range_is_a_placed_problem():
    bad = figures(**{"工作失误比例": [0.30, 0.04, 0, None], "职称": ["中级", "特级", "初级", "中级"]})
    with pytest.raises(InputError) as e:
        compute_pay(PAY, bad)
    got = [(p.where, p.code, p.value) for p in e.value.problems]
    assert ("inputs row 1, 工作失误比例", "fraction_out_of_range", 0.30) in got
    assert ("inputs row 2, 工作失误比例", "fraction_out_of_range", 0.04) in got
    assert ("inputs row 2, 职称", "unknown_grade", "特级") in got
    assert len(got) == 3  # 0 and blank mean nothing happened


def test_blank_wage_and_text_counts_are_problems_not_zeros():
    bad = figures(**{"基本工资": [3000, None, 2800, 3200], "迟到早退次数": [2, 0, "三", 0]})
    with pytest.raises(InputError) as e:
        compute_pay(PAY, bad)
    got = {(p.where, p.code) for p in e.value.problems}
    assert got == {("inputs row 2, 基本工资", "blank"), ("inputs row 3, 迟到早退次数", "not_a_number")}


# ---- LibreOffice: the sheet's formulas equal the engine --------------------------------------


def _random_figures(pay: Pay, n: int, seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    edges = [0, 1, 99999.99, 100000, 100000.01, 150000, 1234567.89]
    return pd.DataFrame({
        "employee_id": [f"R{k:03d}" for k in range(n)],
        "基本工资": [rnd.choice([2800, 3000, 3333.33, 4125.5]) for _ in range(n)],
        "工作年限": [rnd.choice([0, 2.5, 3, 4.999999, 5, 12]) for _ in range(n)],
        "职称": [rnd.choice(["初级", "中级", "高级"]) for _ in range(n)],
        "业务量": [rnd.choice(edges) if k % 2 else round(rnd.uniform(0, 300000), 2) for k in range(n)],
        "achievement:sales": [rnd.choice([0, 0.5, 0.99, 0.999999999, 1, 1.05, 1.1, 1.25, 1.3, 2.0]) for _ in range(n)],
        "迟到早退次数": [rnd.choice([0, 1, 2, 7, None]) for _ in range(n)],
        "工作失误比例": [rnd.choice([None, 0, 0.05, 0.125, 0.2]) for _ in range(n)],
        "创新提案": [rnd.choice([0, 1, 2, "是", "否"]) for _ in range(n)],
        "bonus": [round(rnd.uniform(0, 3000), 2) for _ in range(n)],
        "history.deduction": [rnd.choice([0, 0.05, 0.1, 0.15, None]) for _ in range(n)],
        "history.reasons": [rnd.choice(["", "连续两个月未完成业绩目标(2026-10 41.05, 2026-11 41.05)"]) for _ in range(n)],
        "入职日期": [rnd.choice([dt.date(2023, 11, 30), dt.date(2023, 12, 1), "2021-11-30", dt.date(2024, 2, 29),
                                dt.datetime(2016, 5, 31), dt.date(2026, 11, 30)]) for _ in range(n)],
    })


@pytest.mark.engine
def test_pay_sheet_agrees_with_libreoffice(tmp_path):
    whole = PAY.model_copy(update={"lines": [ln.model_copy(update={"method": "whole"}) if ln.type == "commission"
                                             else ln for ln in PAY.lines], "floor": 6000})
    by_date = PAY.model_copy(update={"lines": [TENURE if ln.id == "seniority" else ln for ln in PAY.lines]})
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    cases = {}
    for k, pay in enumerate((PAY, whole, by_date)):
        table = _random_figures(pay, 60, seed=k)
        params = write_params(wb.create_sheet(f"参数{k}"), pay, as_of=dt.date(2026, 11, 30))
        _, want = write_pay_sheet(wb.create_sheet(f"工资{k}"), pay, PayTable(table, {"姓名": ["某"] * 60}), params,
                                  values=None)
        cases[f"工资{k}"] = want
    # lines reading a history rule's flag, under approval (奖罚审批 with some 同意 typed)
    rnd = random.Random(7)
    table = pd.DataFrame({
        "employee_id": [f"F{k:03d}" for k in range(40)],
        "基本工资": [rnd.choice([2800, 3333.33, 4125.5]) for _ in range(40)],
        "history.satisfied3": [rnd.choice([True, False, None, 1, 0]) for _ in range(40)],
        "history.team_top3": [rnd.choice([True, False]) for _ in range(40)],
        "history.team_last3": [rnd.choice([True, False, None]) for _ in range(40)],
        "创新提案": [rnd.choice([0, 1, 2, "是", None]) for _ in range(40)],
        "history.reasons": ["客户满意度连续三个月95%以上(2026-09 101%, 2026-10 102%, 2026-11 103%)"] * 40,
    })
    agreed = {("", e, ln): kpixl.pay.approval.Approval("同意") for e in table["employee_id"][::2]
              for ln in ("sat", "team", "last", "proposal")}
    _, want = write_pay_sheet(wb.create_sheet("工资3"), FLAGGED, PayTable(table, rule_names=FLAG_NAMES),
                              approval_ws=wb.create_sheet("审批3"), approvals=agreed, period="2026-11")
    cases["工资3"] = want
    # A 职称 is no wildcard to the table's lookup (A* would take A?'s amount, A~B would be AB's),
    # on 薪酬参数 (MATCH, escaped) and written into the formula (IF(…="A*",…)); case ignored.
    grades = Pay.model_validate({"lines": [
        {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资"},
        {"id": "grade", "name": "职称工资", "type": "raise", "column": "职称",
         "table": {"A?": 100, "A*": 200, "AB": 300, "A~B": 400, "<>": 500}}]})
    odd = pd.DataFrame({"employee_id": [f"G{k}" for k in range(7)], "基本工资": 3000,
                        "职称": ["A*", "A?", "AB", "A~B", "a*", "ab", "<>"]})
    for title, params in (("工资4", write_params(wb.create_sheet("参数4"), grades)), ("工资5", None)):
        _, want = write_pay_sheet(wb.create_sheet(title), grades, PayTable(odd), params)
        # by hand: 3,000 + the grade's own amount
        assert want["pay.total"].tolist() == [3200, 3100, 3300, 3400, 3200, 3300, 3500]
        cases[title] = want
    # a superseded rule's flag cell is 0, and its line's formula pays nothing (M1: 3,380)
    _, cases["工资6"] = write_pay_sheet(wb.create_sheet("工资6"), FINES, PayTable(
        _misses(), rule_names={r.id: r.name for r in MISSES.rules}))
    src = tmp_path / "pay.xlsx"
    wb.save(src)
    [out] = recalculate([src], tmp_path / "out")
    for title, want in cases.items():
        got = read_results(out, title)
        for key in [c for c in want.columns if c != "employee_id"]:
            assert np.allclose(got[key].astype(float), want[key].astype(float), rtol=0, atol=1e-9), (title, key)
    assert read_results(out, "工资6")["pay.total"].tolist() == [3380, 3800, 4000]
    w3 = cases["工资3"]
    assert (w3["pay.sat"] == 1000).any() and (w3["pay.sat.counted"] == 0).any() and (w3["pay.last"] < 0).any()
    # the flag is data beside its line, the rule named in its header, the rule's reason beside it
    heads = [c.value for c in openpyxl.load_workbook(src)["工资3"][2]]
    assert "满意度奖·客户满意度连续三个月95%以上(历史规则, 触发=1)" in heads and "满意度奖·事由" in heads
    ws = openpyxl.load_workbook(src)["工资3"]
    assert ws.cell(3, heads.index("满意度奖·事由") + 1).value.startswith("客户满意度连续三个月95%以上(2026-09")
    assert ws.cell(3, heads.index("团队协作奖·事由") + 1).value is None  # no reason of that rule
    # the floor binds somewhere in the second case, and the whole-amount table differs from the marginal one
    assert (cases["工资1"]["pay.total"] == 6000).any()
    assert (cases["工资1"]["pay.commission"] != cases["工资0"]["pay.commission"]).any()


@pytest.mark.engine
def test_master_pay_sheet_with_finance_edits_and_a_bad_share(tmp_path):
    """Two collected months; C03 misses its target in both → 连续两个月未完成 −5% of 2,800 = −140."""
    from collect_kit import input_cells, type_inputs
    from kpixl.card.distribute import distribute
    from kpixl.master.book import new_master
    from kpixl.master.collect import collect
    from kpixl.master.rate import rate

    master = new_master(SCHEME, ROSTER, tmp_path / "master.xlsx")
    cells = input_cells(master)
    values = pd.DataFrame({"employee_id": ["C01", "C02", "C03", "C04"], "sales": [125000, 90000, 40000, 130000],
                           "satisfaction": [0.95, 0.9, 0.5, 0.95], "resolution": [28, 25, 10, 30]})
    for period in ("2026-10", "2026-11"):
        sent = distribute(master, None, period, tmp_path / period, workers=1)
        typed = [type_inputs(tmp_path / period / e.file, tmp_path / period / "typed" / e.file, cells, values)
                 for e in sent.entries]
        assert collect(master, typed, period=period).ok
    first = rate(master, verify=True)
    assert first.ok, first.verification.summary()
    pay = first.pay.set_index("employee_id")
    # C03: 业绩 40% in both months → −5% × 2,800 = −140; total 40 × 0.4 + 30 × 0.5/0.95 + 10
    #   = 41.79 < 60: no bonus; 5 次迟到 −280. Both are proposals (奖罚审批), pending: 2,800.
    assert pay.loc["C03", "pay.rewards"] == -140 and pay.loc["C03", "pay.late"] == -280
    assert pay.loc["C03", "pay.total"] == 2800
    # C01: 业绩 125% → 48 (capped at 120%) + 30 + 28 = 106 → full bonus 2,000; proposed: 完成目标
    #   +150, 超出 2 × 10% → +120, 迟到 −120, 提案 +1,000; pending: 3,000 + 300 + 300 + 2,000 + 2,000 = 7,600.
    assert pay.loc["C01", "pay.total"] == 3000 + 300 + 300 + 2000 + 2000 == 7600
    assert not [r for r in _log(master) if str(r[6]).startswith("approval.")]  # nothing decided yet
    # C01 4 (完成目标, 超额, 迟到, 提案), C02 1 (奖罚 −175), C03 2, C04 3 (完成目标, 超额, 提案)
    assert "奖罚审批: 10 rewards and penalties proposed, 0 approved (同意) and counted" in first.summary()

    # HR approves in Excel (openpyxl types into the saved master): C03's two penalties 同意;
    # C01's rewards 同意, its 迟到 不同意. LibreOffice recalculates the file as HR left it.
    _approve(master, {("C03", "rewards"): "同意", ("C03", "late"): "同意", ("C01", "target_met"): "同意",
                      ("C01", "beyond"): "同意", ("C01", "proposal"): "同意", ("C01", "late"): "不同意"})
    [typed] = recalculate([master], tmp_path / "typed-approvals")
    live = read_results(typed, "工资核算").set_index("employee_id")
    # C03: 2,800 − 140 − 280 = 2,380; C01: 7,600 + 150 + 120 + 1,000 = 8,870 (迟到 −120 rejected)
    assert live.loc["C03", "pay.total"] == 2380 and live.loc["C01", "pay.total"] == 8870
    assert live.loc["C01", "pay.late"] == -120 and live.loc["C01", "pay.late.counted"] == 0
    # the engine fed the same approvals gives the same pay (rate re-run: keeps them, verifies)
    approved = rate(master, verify=True)
    assert approved.ok, approved.verification.summary()
    engine = approved.pay.set_index("employee_id")
    assert "10 rewards and penalties proposed, 5 approved (同意)" in approved.summary()
    for key in [c for c in engine.columns]:
        assert live[key].astype(float).tolist() == engine[key].astype(float).tolist(), key
    logged = {(r[4], r[6]): (r[7], r[8]) for r in _log(master) if str(r[6]).startswith("approval.")}
    pending = "待审批"
    assert logged == {("C03", "approval.rewards"): (pending, "同意"), ("C03", "approval.late"): (pending, "同意"),
                      ("C01", "approval.target_met"): (pending, "同意"), ("C01", "approval.beyond"): (pending, "同意"),
                      ("C01", "approval.proposal"): (pending, "同意"), ("C01", "approval.late"): (pending, "不同意")}
    assert any("审批人 总经理办公会" in str(r[9]) for r in _log(master))
    rate(master)  # nothing changed: nothing more logged
    assert len([r for r in _log(master) if str(r[6]).startswith("approval.")]) == 6
    wb = openpyxl.load_workbook(master)
    assert [c.value for c in wb["奖罚审批"][2]] == ["工号", "姓名", "部门", "期间", "项目代码", "工资项目", "依据",
                                                 "提交金额", "审批", "审批人", "日期", "备注"]

    # every formula cell caches the engine's value (read without recalculating)
    cached = read_results(master, "工资核算").set_index("employee_id")
    for key in [c for c in engine.columns]:
        assert cached[key].astype(float).tolist() == engine[key].astype(float).tolist(), key
    wb = openpyxl.load_workbook(master)
    ws = wb["工资核算"]
    heads = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    assert heads["pay.late"] == "迟到早退 (−2%/次)"
    assert heads["pay.commission"] == "提成 (累进: ≤100,000 1%; 以上 2%)"
    assert heads["pay.rewards"] == "奖罚 (连续两个月未完成业绩目标 −5%; 连续三个月未完成业绩目标 −10%)"
    col = {ws.cell(1, c).value: ws.cell(1, c).column_letter for c in range(1, ws.max_column + 1)}
    assert ws[f"{col['pay.perf']}3"].value.startswith("='等级与奖金'!$")
    assert ws[f"{col['pay.target_met.achievement']}3"].value.startswith("=ROUND('Results'!$")
    assert "pay.beyond.achievement" not in col and heads["pay.target_met.achievement"] == "业绩完成·完成率"
    assert heads["pay.beyond"] == "超额奖励 (完成率超过100%每10% +2%)"
    assert heads["pay.mistake.typed"] == "工作失误·比例(填5%–20%)" and heads["pay.mistake"] == "工作失误 (−5%~−20%)"
    # 工作失误 is typed on the sheet (the roster has no column): data validation 5%–20% or 0;
    # 迟到早退次数 comes from the roster: shown, not typed
    checked = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    typed_col = col["pay.mistake.typed"]
    assert checked == {f"{typed_col}3:{typed_col}6": f"OR({typed_col}3=0,AND({typed_col}3>=0.05,{typed_col}3<=0.2))"}
    # finance raises the top commission rate to 3%; the manager types 工作失误 10% for C01
    params = wb["薪酬参数"]
    row = next(r for r in range(3, params.max_row + 1) if params.cell(r, 1).value == "commission.tiers[1]")
    params.cell(row, 5).value = 0.03
    ws[f"{col['pay.mistake.typed']}3"].value = 0.10
    wb.save(master)
    second = rate(master, verify=True)
    assert second.ok, second.verification.summary()
    c01 = second.pay.set_index("employee_id").loc["C01"]
    # 1,000 + 3% × 50,000 = 2,500; 工作失误 −10% × 3,000 = −300, a new proposal, pending:
    #   8,870 + 500 = 9,370.
    assert c01["pay.commission"] == 2500 and c01["pay.mistake"] == -300 and c01["pay.total"] == 9370
    assert any("commission.tiers[1].rate" in k for k in second.kept)
    # approved, then the share changes to 20% (−600): the approval is kept (9,370 − 600 = 8,770)
    # with 备注 金额已变, 请复核, and the Log says so
    _approve(master, {("C01", "mistake"): "同意"})
    wb = openpyxl.load_workbook(master)
    wb["工资核算"][f"{col['pay.mistake.typed']}3"].value = 0.20
    wb.save(master)
    third = rate(master, verify=True)
    assert third.ok, third.verification.summary()
    assert third.pay.set_index("employee_id").loc["C01", "pay.total"] == 9370 - 600 == 8770
    assert any("金额已变" in k for k in third.kept)
    sheet = openpyxl.load_workbook(master)["奖罚审批"]
    note = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "C01" and r[4] == "mistake")
    assert note[7] == -600 and note[8] == "同意" and note[11] == "金额已变, 请复核 (原 -300.00)"
    assert any("金额已变, 请复核 (-300.00 → -600.00)" in str(r[9]) for r in _log(master))

    # a share outside 5%–20% and an approval typed "ok" are refused at their cells, at once,
    # and the master is left as it was
    wb = openpyxl.load_workbook(master)
    wb["工资核算"][f"{col['pay.mistake.typed']}4"].value = 0.3
    wb["奖罚审批"]["I3"].value = "ok"
    wb.save(master)
    before = master.read_bytes()
    with pytest.raises(InputError) as e:
        rate(master)
    assert [(p.where, p.code) for p in e.value.problems] == [(f"工资核算!{col['pay.mistake.typed']}4",
                                                               "fraction_out_of_range"),
                                                              ("奖罚审批!I3", "bad_approval")]
    assert master.read_bytes() == before
    shutil.rmtree(tmp_path / "2026-10", ignore_errors=True)


def _approve(master: Path, decisions: dict[tuple[str, str], str]) -> None:
    """Type 审批 (and 审批人, 日期) on 奖罚审批 as HR would, into the saved master."""
    wb = openpyxl.load_workbook(master)
    ws = wb["奖罚审批"]
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(3, ws.max_row + 1):
        key = (ws.cell(r, col["employee_id"]).value, ws.cell(r, col["approval.line"]).value)
        if key in decisions:
            ws.cell(r, col["approval.decision"]).value = decisions.pop(key)
            ws.cell(r, col["approval.by"]).value = "总经理办公会"
            ws.cell(r, col["approval.date"]).value = dt.date(2026, 12, 3)
    assert not decisions, f"no row on 奖罚审批 for {decisions}"
    wb.save(master)


def _log(master: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(master)["Log"].iter_rows(min_row=3, values_only=True))


def test_pay_round_trips_through_the_scheme_sheet(tmp_path):
    from kpixl.scheme.sheet import read_scheme_sheet, write_scheme_sheet

    path = tmp_path / "scheme.xlsx"
    write_scheme_sheet(SCHEME, path)
    wb = openpyxl.load_workbook(path)
    keys = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(values_only=True) if r and r[0]}
    assert "薪酬" in keys and "type: per_event" in keys["薪酬"]
    assert read_scheme_sheet(str(path)) == SCHEME
    # a line's approval option too
    lines = [ln.model_copy(update={"approval": False}) if ln.id == "late" else ln for ln in SCHEME.pay.lines]
    scheme = SCHEME.model_copy(update={"pay": SCHEME.pay.model_copy(update={"lines": lines})})
    write_scheme_sheet(scheme, path)
    assert read_scheme_sheet(str(path)).pay.line("late").approval is False
    # a line reading a history rule's flag (night_rewards: history: satisfied3)
    night = kpixl.load_scheme(EXAMPLES / "schemes" / "night_rewards.yaml")
    write_scheme_sheet(night, path)
    back = read_scheme_sheet(str(path))
    assert back.pay.line("satisfaction_award").history == "satisfied3" and back == night


@pytest.mark.engine
def test_a_bad_roster_share_is_placed_at_its_roster_cell(tmp_path):
    from collect_kit import input_cells, type_inputs
    from kpixl.card.distribute import distribute
    from kpixl.master.book import new_master
    from kpixl.master.collect import collect
    from kpixl.master.rate import rate

    people = ROSTER.assign(工作失误比例=[0.1, None, 0.25, "5%"])
    master = new_master(SCHEME, people, tmp_path / "master.xlsx")
    values = pd.DataFrame({"employee_id": list(people["employee_id"]), "sales": [100000] * 4,
                           "satisfaction": [0.95] * 4, "resolution": [20] * 4})
    sent = distribute(master, None, "2026-11", tmp_path / "sent", workers=1)
    cells = input_cells(master)
    typed = [type_inputs(tmp_path / "sent" / e.file, tmp_path / "typed" / e.file, cells, values) for e in sent.entries]
    assert collect(master, typed, period="2026-11").ok
    before = master.read_bytes()
    with pytest.raises(InputError) as e:
        rate(master)
    col = openpyxl.utils.get_column_letter(list(people.columns).index("工作失误比例") + 1)
    # C03 (roster row 4) typed 25%, above 20%; C04 (row 5) typed the text "5%"
    assert [(p.where, p.code) for p in e.value.problems] == [(f"Roster!{col}4", "fraction_out_of_range"),
                                                             (f"Roster!{col}5", "not_a_number")]
    assert master.read_bytes() == before


def test_the_worked_example_in_the_scheme_reference():
    """docs/scheme.md § Pay works one person through its example; the same figures here."""
    import re

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "scheme.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "id: loyalty" in b and "\npay:" in b)
    pay = Pay.model_validate(yaml.safe_load(block)["pay"])
    person = pd.DataFrame([{"employee_id": "C01", "基本工资": 3000, "工作年限": 4, "职称": "中级", "入职日期": "2024-03-01",
                            "bonus": 600, "业务量": 150000, "存款新增": 0, "history.deduction": 0.05, "迟到早退次数": 2,
                            "工作失误比例": 0.10, "创新提案": "是"}])
    got = compute_pay(pay, person, as_of=dt.date(2026, 11, 30)).iloc[0]
    assert got["pay.loyalty"] == 0 and got["pay.commission"] == 2000
    assert got["pay.total"] == 3000 + 300 + 300 + 600 + 2000 + 0 - 150 - 120 - 300 + 1000 == 6630
    assert "= 6,630" in text


def test_finance_edits_that_break_the_rules_are_placed_at_their_cells():
    from kpixl.pay import read_params

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "薪酬参数"
    write_params(ws, PAY)
    row = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    ws.cell(row["mistake.min"], 5).value = 0.3  # above its max of 20%
    ws.cell(row["late.fraction"], 5).value = 2  # 200% of the wage per event
    ws.cell(row["commission.tiers[0]"], 4).value = "十万"
    with pytest.raises(InputError) as e:
        read_params(ws, PAY, [])
    assert [(p.where, p.code) for p in e.value.problems] == [(f"薪酬参数!D{row['commission.tiers[0]']}", "not_a_number")]
    ws.cell(row["commission.tiers[0]"], 4).value = 100000
    with pytest.raises(InputError) as e:
        read_params(ws, PAY, [])
    assert [(p.where, p.code) for p in e.value.problems] == [(f"薪酬参数!E{row['late.fraction']}", "invalid_value")]
    ws.cell(row["late.fraction"], 5).value = -0.03
    with pytest.raises(InputError) as e:
        read_params(ws, PAY, [])
    assert [(p.where, p.code) for p in e.value.problems] == [(f"薪酬参数!E{row['mistake.min']}", "range_backwards")]
    ws.cell(row["mistake.min"], 5).value = 0.05
    kept: list[str] = []
    edited = read_params(ws, PAY, kept)
    assert edited.line("late").fraction == -0.03 and kept == ["late.fraction on 薪酬参数: -0.03 (scheme: -0.02)"]


@pytest.mark.engine
@settings(max_examples=3, deadline=None, database=None)
@given(cases=st.lists(st.tuples(tier_tables(), st.sampled_from(["marginal", "whole"]),
                                st.lists(st.one_of(st.sampled_from([0.0, 1.0, 100000.0, 100000.01]),
                                                   st.floats(0, 2e6).map(lambda x: round(x, 2))),
                                         min_size=1, max_size=6)), min_size=5, max_size=25))
def test_random_commission_tables_agree_with_libreoffice(tmp_path_factory, cases):
    from kpixl import xlmath
    from kpixl.pay.formulas import Params, commission_formula

    wb = openpyxl.Workbook()
    ws = wb.active
    want, r = [], 1
    for tiers, method, amounts in cases:
        ln = line(tiers=tiers, method=method)
        for a in amounts:
            ws.cell(r, 1, a)
            ws.cell(r, 2, "=" + xlmath.round_formula(commission_formula(ln, f"A{r}", Params()), 2))
            want.append(float(xlmath.round_decimal(commission(ln, [a])[0], 2)))
            r += 1
    folder = tmp_path_factory.mktemp("commission")
    wb.save(folder / "c.xlsx")
    [out] = recalculate([folder / "c.xlsx"], folder / "out")
    got = openpyxl.load_workbook(out, data_only=True).active
    assert [got.cell(k, 2).value for k in range(1, r)] == pytest.approx(want, abs=1e-9)


def test_the_flag_example_in_the_scheme_reference():
    """docs/scheme.md § Pay: the fixed award reading a history rule's flag, worked for one person."""
    import re

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "scheme.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"<!-- merge -->\n```yaml\n(.*?)```", text, re.S) if "history: satisfied3" in b)
    pay = Pay.model_validate(yaml.safe_load(block)["pay"])
    person = pd.DataFrame([{"employee_id": "N01", "基本工资": 4000, "history.satisfied3": True,
                            "history.team_last3": False}])
    # 4,000 + 1,000 × 1 − 3% × 4,000 × 0 = 5,000 once 同意; 4,000 while pending
    assert compute_pay(pay, person, approvals={("N01", "sat_award"): "同意"})["pay.total"].iloc[0] == 5000
    assert compute_pay(pay, person, approvals={})["pay.total"].iloc[0] == 4000
