"""The seed scorecard systems (examples/schemes), scored by hand and by kpixl.

Each example scheme models one scorecard system of the seed documents; its inputs and
roster sit beside it. The tests below work every person out by hand — the arithmetic
is written next to the expected figure — and assert that ``kpixl.score`` gives exactly
that: item scores with ``pytest.approx`` (they are unrounded), totals and bonuses
exactly (they are rounded once, Excel's way).

Then the "docs are executed" rule: every example validates, round-trips, scores
without a problem, and its live workbook recalculates in LibreOffice to the engine's
figures.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import kpixl
import kpixl.history
import kpixl.pay
from kpixl.engine.score import prepare
from kpixl.errors import InputError
from kpixl.scheme.validate import scheme_from_dict
from kpixl.results.scored import write_workbook
from kpixl.results.verify import verify_workbook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCHEMES = EXAMPLES / "schemes"

#: The seed systems that must have an example (and a hand-worked test below).
SEED_SYSTEMS = [
    "kam_monthly", "cs_dept_manager", "cs_monthly", "cs_center_manager", "cm_monthly_kpi",
    "tobacco", "post_model", "cm_month_deduct", "cs_deqinnengji",
    "kam_market_monthly", "sales_cm_monthly", "cm_behaviour", "cs_manager_rating",
    "wealth_ladder", "night_rewards", "cm_grade_review", "cs_pay",
]


def example_names() -> list[str]:
    return sorted(p.stem for p in SCHEMES.glob("*.yaml"))


def files(name: str) -> tuple[Path, Path, Path]:
    return SCHEMES / f"{name}.yaml", SCHEMES / f"{name}.inputs.csv", SCHEMES / f"{name}.roster.csv"


def scored(name: str, inputs=None) -> pd.DataFrame:
    """Score an example (optionally with other inputs), indexed by employee_id.

    ``attrs["items"]`` lists the scheme's item ids, so that every item gets checked.
    """
    yml, inp, ros = files(name)
    scheme = kpixl.load_scheme(yml)
    out = kpixl.score(scheme, inp if inputs is None else inputs, roster=ros).set_index("employee_id")
    out.attrs["items"] = [item.id for _, item in scheme.items()]
    return out


def raw_scheme(name: str) -> dict:
    return yaml.safe_load(files(name)[0].read_text(encoding="utf-8"))


def assert_person(r: pd.DataFrame, who: str, items: dict[str, float], total: float,
                  rating: str | None = None, bonus: float | None = None) -> None:
    """Every item score (and the sections given) approximately; total, rating and bonus exactly."""
    row = r.loc[who]
    unchecked = [i for i in r.attrs["items"] if i not in items]
    assert not unchecked, f"{who}: no hand-worked figure for {unchecked}"
    for key, want in items.items():
        assert row[key] == pytest.approx(want, abs=1e-9), f"{who} {key}: {row[key]} != {want}"
    assert row["total"] == total, f"{who} total: {row['total']} != {total}"
    assert row["rating"] == rating, f"{who} rating: {row['rating']} != {rating}"
    if bonus is None:
        assert math.isnan(row["bonus"]), f"{who} bonus: {row['bonus']} (the scheme has no bonus)"
    else:
        assert row["bonus"] == bonus, f"{who} bonus: {row['bonus']} != {bonus}"


# ---- a. 大客户经理岗位月度绩效考核表 -------------------------------------------------------


def test_kam_monthly():
    r = scored("kam_monthly")
    # 销售任务 30: 每低于目标5%扣3分 (whole steps), 每超过1%加2分, 低于50%不计分.
    # 新客户 +5/次; 岗位工作 scored directly; 纪律 from 10 down, no 扣完为止 (the seed writes it
    # only under 考勤): below 0 goes into the total; 考勤 from 10 down, 扣完为止; 临时 ±.
    # Sections carry no weight: total = Σ items.  Bonus = total/100 × 月度绩效奖金.
    #
    # K01 王伟: 850,000 / 1,000,000 = 85% → (1 − 0.85)/0.05 = 3 steps → 30 − 3×3 = 21
    #   样品 22, 协议 25; 纪律: 聊天1次 → 10 − 2 = 8; 考勤: 迟到1次 → 10 − 1 = 9
    #   total 21 + 0 + 22 + 25 + 8 + 9 = 85;  bonus 85/100 × 3000 = 2550
    assert_person(r, "K01", {"sales": 30 - 3 * 3, "new_clients": 0, "sales_task": 21, "samples": 22,
                             "contracts": 25, "discipline": 10 - 2, "attendance": 10 - 1, "special": 0},
                  85.0, bonus=2550.0)
    # K02 李芳: 80% → (1 − 0.8)/0.05 = 4 steps (a plain float division gives 3.999…; the
    #   decimal value counts 4) → 30 − 4×3 = 18;  新客户 2 × 5 = 10
    #   考勤: 旷工1次 −5, 请假3天以上 −10 → 10 − 15 = −5 → 扣完为止 → 0
    #   临时重要工作 +5;  total 18 + 10 + 20 + 20 + 10 + 0 + 5 = 83;  bonus 0.83 × 2500 = 2075
    assert (1 - 0.8) / 0.05 < 4  # the trap the engine must not fall into
    assert_person(r, "K02", {"sales": 30 - 4 * 3, "new_clients": 2 * 5, "sales_task": 28, "samples": 20,
                             "contracts": 20, "discipline": 10, "attendance": 0, "special": 5, "other": 5},
                  83.0, bonus=2075.0)
    # K03 张娜: 1,100,000 / 2,000,000 = 55% → (1 − 0.55)/0.05 = 9 steps (float: 8.999…)
    #   → 30 − 27 = 3;  纪律: 私事离岗1 + 卫生1 → 10 − 3 − 3 = 4;  临时 −3 (重大报价失误)
    #   total 3 + 0 + 15 + 18 + 4 + 10 − 3 = 47;  bonus 0.47 × 2000 = 940
    assert (1 - 0.55) / 0.05 < 9
    assert_person(r, "K03", {"sales": 30 - 9 * 3, "new_clients": 0, "samples": 15, "contracts": 18,
                             "discipline": 10 - 3 - 3, "attendance": 10, "special": -3}, 47.0, bonus=940.0)
    # K04 刘敏: 490,000 / 1,000,000 = 49% < 50% → 本项不计分 → 0
    #   纪律: 聊天6次 → 10 − 12 = −2 (工作纪律 has no 扣完为止: the −2 is taken from the total)
    #   考勤: 迟到2 + 未经批准1 → 10 − 2 − 2 = 6
    #   total 0 + 0 + 10 + 12.5 − 2 + 6 = 26.5;  bonus 0.265 × 2000 = 530
    assert_person(r, "K04", {"sales": 0, "new_clients": 0, "samples": 10, "contracts": 12.5, "duties": 22.5,
                             "discipline": 10 - 6 * 2, "conduct": -2, "attendance": 10 - 2 - 2, "special": 0},
                  26.5, bonus=530.0)
    # K05 陈静: 1,380,000 / 1,200,000 = 115% → (1.15 − 1)/0.01 = 15 steps (float: 14.99…)
    #   → 30 + 15×2 = 60 (the seed sets no cap);  新客户 1 → 5
    #   total 60 + 5 + 25 + 25 + 10 + 10 = 135 (above 100 is legitimate);  bonus 1.35 × 3500 = 4725
    assert (1.15 - 1) / 0.01 < 15
    assert_person(r, "K05", {"sales": 30 + 15 * 2, "new_clients": 5, "samples": 25, "contracts": 25,
                             "discipline": 10, "attendance": 10, "special": 0}, 135.0, bonus=4725.0)
    # K06 杨丽: 804,000 / 800,000 = 100.5% → half a step above → 0 whole steps → 30
    #   考勤: 迟到3 → 7;  total 30 + 21.5 + 23.25 + 10 + 7 = 91.75
    #   bonus 0.9175 × 3333 = 3058.0275 → 3058.03
    assert_person(r, "K06", {"sales": 30, "new_clients": 0, "samples": 21.5, "contracts": 23.25,
                             "duties": 44.75, "discipline": 10, "attendance": 7, "special": 0},
                  91.75, bonus=3058.03)


def test_kam_monthly_negative_total_pays_no_bonus(tmp_path):
    # 工作纪律 and 临时重要工作 can take the total below 0; 当月绩效奖金 = 考核分数/100 × 月度
    # 绩效奖金 would then be negative, but the card does not deduct pay through the bonus
    # (bonus.floor 0, the default). K04 刘敏 with 临时 −40 (重大事故): 26.5 − 40 = −13.5
    # → bonus MAX(0, −0.135 × 2000 = −270) = 0.
    _, inp, _ = files("kam_monthly")
    text = inp.read_text(encoding="utf-8")
    assert "K04,刘敏,490000,0,10,12.5,6,0,0,2,0,1,0,," in text
    worse = tmp_path / "kam.csv"
    worse.write_text(text.replace("K04,刘敏,490000,0,10,12.5,6,0,0,2,0,1,0,,", "K04,刘敏,490000,0,10,12.5,6,0,0,2,0,1,0,-40,重大事故"),
                     encoding="utf-8")
    row = scored("kam_monthly", worse).loc["K04"]
    assert (row["discipline"], row["special"], row["total"], row["bonus"]) == (-2, -40, -13.5, 0)


# ---- b. 客服部经理绩效考核评分表 -------------------------------------------------------------


def test_cs_dept_manager():
    r = scored("cs_dept_manager")
    # 业绩考核 (weight 0.8, legible lines: full marks 20+20+10+5+5 = 60) → 0.8 × R/60 × 100
    # 行为考核 (weight 0.2, four lines of 25 = 100)                    → 0.2 × B/100 × 100
    # 行为 levels: 1级5分 2级10分 3级15分 4级20分 5级25分.
    #
    # C01: 完成率 90/100 = 90% (edge, 以上 含) → 20; 报告 → 20; 错漏率 0 → 10;
    #   孤儿销售额 500,000/500,000 = 100% (不低于同期) → 5; 未流失 → 5;  R = 60 → 80
    #   行为 5/4/4/3级 → 25+20+20+15 = 80 → 16;  total 96
    assert_person(r, "C01", {"completion": 20, "report": 20, "info": 10, "orphan_sales": 5, "orphan_churn": 5,
                             "performance": 0.8 * 60 / 60 * 100, "initiative": 25, "customer_focus": 20,
                             "attentive": 20, "responsibility": 15, "behaviour": 0.2 * 80}, 96.0)
    # C02: 85/100 = 85% (edge) → 10; 少做1次 → 20 − 10 = 10; 错漏率 3% (edge, 以内) → 5;
    #   490,000/500,000 = 98% → 0; 流失 → 0;  R = 25 → 0.8 × 25/60 × 100 = 33.333…
    #   行为 3/3/3/3级 → 60 → 12;  total 45.333… → 45.33
    assert_person(r, "C02", {"completion": 10, "report": 10, "info": 5, "orphan_sales": 0, "orphan_churn": 0,
                             "performance": 0.8 * 25 / 60 * 100, "initiative": 15, "customer_focus": 15,
                             "attentive": 15, "responsibility": 15, "behaviour": 12}, 45.33)
    # C03: 164/200 = 82%: between the seed's bands (80%–85%), gap: lower → the band below → 0
    #   未通过1次 → 20 − 5 = 15; 错漏率 3.1% → 0; 360,000/300,000 = 120% → 5; 未流失 → 5
    #   R = 25 → 33.333…;  行为 2/2/5/4级 → 10+10+25+20 = 65 → 13;  total 46.333… → 46.33
    assert_person(r, "C03", {"completion": 0, "report": 15, "info": 0, "orphan_sales": 5, "orphan_churn": 5,
                             "performance": 0.8 * 25 / 60 * 100, "initiative": 10, "customer_focus": 10,
                             "attentive": 25, "responsibility": 20, "behaviour": 13}, 46.33)
    # C04: 80/100 = 80% → 0 (低于80%为0分; 80% itself is in the gap → 0 as well)
    #   少做2次 + 未通过1次 → 20 − 20 − 5 = −5 → 0 (never below 0); 错漏率 1% → 5
    #   420,000/400,000 = 105% → 5; 未流失 → 5;  R = 15 → 0.8 × 15/60 × 100 = 20
    #   行为 4/4/4/4级 → 80 → 16;  total 36
    assert_person(r, "C04", {"completion": 0, "report": 0, "info": 5, "orphan_sales": 5, "orphan_churn": 5,
                             "performance": 20, "initiative": 20, "customer_focus": 20, "attentive": 20,
                             "responsibility": 20, "behaviour": 16}, 36.0)
    # C05: 190/200 = 95% → 20; 报告 → 20; 错漏率 2% → 5; 330,000/300,000 = 110% → 5; 未流失 → 5
    #   R = 55 → 0.8 × 55/60 × 100 = 73.333…;  行为 all 5级 → 100 → 20;  total 93.333… → 93.33
    assert_person(r, "C05", {"completion": 20, "report": 20, "info": 5, "orphan_sales": 5, "orphan_churn": 5,
                             "performance": 0.8 * 55 / 60 * 100, "initiative": 25, "customer_focus": 25,
                             "attentive": 25, "responsibility": 25, "behaviour": 20}, 93.33)


def test_cs_dept_manager_seed_gap_is_refused_unless_decided():
    # The seed's literal bands (≥90% 20分, ≥85% 10分, <80% 0分) leave 80%–85% to no band;
    # a scheme that does not say what happens there is refused, naming the bands.
    data = raw_scheme("cs_dept_manager")
    del data["sections"][0]["items"][0]["rule"]["gap"]
    with pytest.raises(InputError) as err:
        scheme_from_dict(data)
    assert ("sections[0].items[0].rule.bands", "band_gap") in err.value.keys()
    assert "80%" in str(err.value) and "85%" in str(err.value)


# ---- c. 客服经理月度绩效考核表 -----------------------------------------------------------------


def test_cs_monthly_bonus_curve_boundaries():
    r = scored("cs_monthly")
    # 主管考核 weight 0.6 over the six legible lines (10+10+10+5+5+5 = 45): 0.6 × R/45 × 100
    # 财务考核 weight 0.2 over 20 → F;  行政考核 weight 0.2 over 20 → A.
    # Bonus: <60 → 0; 60 ≤ total < 90 → base × total/100; ≥ 90 → base.
    # Every line has 自评 (weight 0: recorded, shown, not counted) beside the 主管评 (财务部,
    # 行政部 for their blocks, weight 1): the figures below are the 主管评 alone, whatever
    # the 自评 column says (S01 rates herself 8 on 客户关系, the 主管 7 → 7; S05 left 自评 blank).
    def lines(a, b, c, d, e, f, fin, adm):
        return {"relations": a, "info_base": b, "complaints": c, "analysis": d, "coordination": e,
                "responsibility": f, "finance_rules": fin, "attendance": adm}

    # S01: R = 7+7+6+4+3+3 = 30 → 0.6 × 30/45 × 100 = 40; F 10; A 9.99 → 59.99 → 低于60分 → 0
    assert_person(r, "S01", {**lines(7, 7, 6, 4, 3, 3, 10, 9.99), "supervisor": 0.6 * 30 / 45 * 100,
                             "finance": 10, "admin": 9.99}, 59.99, bonus=0.0)
    # S02: 40 + 10 + 10 = 60 → 60–89分: 3000/100 × 60 = 1800
    assert_person(r, "S02", {**lines(7, 7, 6, 4, 3, 3, 10, 10), "supervisor": 40, "admin": 10}, 60.0, bonus=1800.0)
    # S03: R = 45 → 60; 15; 14.99 → 89.99 → 3000/100 × 89.99 = 2699.70
    assert_person(r, "S03", {**lines(10, 10, 10, 5, 5, 5, 15, 14.99), "supervisor": 60, "finance": 15,
                             "admin": 14.99}, 89.99, bonus=2699.7)
    # S04: R = 9+8.5+8+4+4+4 = 37.5 → 0.6 × 37.5/45 × 100 = 50; 20; 20 → 90 → 90分(含) 全额 3000
    assert_person(r, "S04", {**lines(9, 8.5, 8, 4, 4, 4, 20, 20), "supervisor": 50}, 90.0, bonus=3000.0)
    # S05: R = 36 → 48; 14; 13.5 → 75.5 → 2500/100 × 75.5 = 1887.5
    assert_person(r, "S05", {**lines(8, 8, 8, 4, 4, 4, 14, 13.5), "supervisor": 48, "finance": 14,
                             "admin": 13.5}, 75.5, bonus=1887.5)


def test_cs_monthly_self_rating_is_recorded_not_counted(tmp_path):
    # 自评 is a rater of weight 0: another 自评 leaves every score as it was (S02 rates
    # herself 10 everywhere instead of 8/7/…: total still 60); a 自评 outside the line's
    # 分值 is refused like any score (11 on a 10-point line); a blank 自评 is never missing.
    _, inp, _ = files("cs_monthly")
    text = inp.read_text(encoding="utf-8")
    other = tmp_path / "other_self.csv"
    other.write_text(text.replace("S02,林琳,8,7,7,7,7,6,4,4,4,3,4,3,12,10,12,10",
                                  "S02,林琳,10,7,10,7,10,6,5,4,5,3,5,3,20,10,20,10"), encoding="utf-8")
    assert scored("cs_monthly", other).loc["S02", ["supervisor", "total", "bonus"]].tolist() == [40, 60, 1800]
    bad = tmp_path / "bad_self.csv"
    bad.write_text(text.replace("S01,陈晨,8,7", "S01,陈晨,11,7"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("cs_monthly", bad)
    assert err.value.keys() == [("bad_self.csv:2 (relations@self)", "score_out_of_range")]


# ---- d. 客户服务中心经理考核表 ---------------------------------------------------------------


def test_cs_center_manager_raters_and_capped_deductions():
    r = scored("cs_center_manager")
    # Each scored line: 0.3 × 自评 + 0.3 × 人力资源部 + 0.4 × 直接上级.
    # Deduction categories: Σ per × count, but never beyond the category's cap.
    none = {"appraisal_conduct": 0, "hygiene": 0, "cooperation": 0, "planning": 0, "records": 0,
            "complaint_handling": 0}
    # M01: 投诉满意率 0.3×28 + 0.3×27 + 0.4×24 = 8.4 + 8.1 + 9.6 = 26.1
    #   工作完成率 0.3×14 + 0.3×13 + 0.4×12 = 12.9;  质量增长比 0.3×12 + 0.3×12 + 0.4×10 = 11.2
    #   利润完成率 0.3×36 + 0.3×35 + 0.4×32 = 34.1;  scored lines 84.3
    #   考核执行: 舞弊1 (−10) + 不严格1 (−2) = −12 → capped at −10;  卫生 2次 → −4
    #   total 84.3 − 10 − 4 = 70.3
    assert_person(r, "M01", {**none, "complaint_sat": 26.1, "completion": 12.9, "quality_gain": 11.2,
                             "profit": 34.1, "kpi": 84.3, "appraisal_conduct": -10, "hygiene": -4,
                             "deductions": -14}, 70.3)
    # M02: 人力资源部 has not rated 投诉满意率 → reweight over 自评 and 上级:
    #   (0.3×30 + 0.4×27) / (0.3 + 0.4) = 19.8 / 0.7 = 28.2857…
    #   完成率 15; 质量 0.3×10 + 0.3×9 + 0.4×8 = 8.9; 利润 0.3×40 + 0.3×38 + 0.4×30 = 35.4
    #   scored 28.2857… + 15 + 8.9 + 35.4 = 87.5857…
    #   投诉处理: 不及时 −10, 弄虚作假 −20 = −30 → capped at −20;  计划: 缺乏计划 −5
    #   total 87.5857… − 25 = 62.5857… → 62.59
    assert_person(r, "M02", {**none, "complaint_sat": 19.8 / 0.7, "completion": 15, "quality_gain": 8.9,
                             "profit": 35.4, "complaint_handling": -20, "planning": -5, "deductions": -25},
                  62.59)
    # M03: 30; 15; 0.3×15 + 0.3×14 + 0.4×13 = 13.9; 0.3×40 + 0.3×40 + 0.4×39 = 39.6 → 98.5
    #   考核执行: 不及时2次 → −10 (exactly the cap);  卫生 5次 → −10 (exactly the cap)
    #   客户资料: −10 − 5 = −15 (under the cap of 20);  total 98.5 − 35 = 63.5
    assert_person(r, "M03", {**none, "complaint_sat": 30, "completion": 15, "quality_gain": 13.9,
                             "profit": 39.6, "kpi": 98.5, "appraisal_conduct": -10, "hygiene": -10,
                             "records": -15}, 63.5)


def test_cs_center_manager_missing_rater_is_an_error_without_reweight():
    data = raw_scheme("cs_center_manager")
    data["missing_rater"] = "error"
    scheme = scheme_from_dict(data)
    _, inp, ros = files("cs_center_manager")
    got = kpixl.evaluate(scheme, inp, ros)
    keys = [(p.where, p.code) for p in got.problems]
    assert keys == [("cs_center_manager.inputs.csv:3 (complaint_sat@hr)", "missing")]


# ---- e. 客户经理月度KPI绩效考核表 --------------------------------------------------------------


def test_cm_monthly_kpi():
    r = scored("cm_monthly_kpi")
    # p = i × min(X/A, 1.2); each block out of 100;
    # total = 0.4 × Σ业务 + 0.3 × Σ满意 + 0.3 × (日常 R/10 × 100)
    #
    # Q01 业务: 12/10 = 120% → 24 (exactly the cap); 3/2 = 150% → capped 120% → 24;
    #   9/10 → 18; 7/8 = 87.5% → 17.5; 0/5 → 0;  Σ 83.5 → 0.4 × 83.5 = 33.4
    # 满意: 99/90 = 110% → 33; 81/90 = 90% → 9; 0.98/1 → 29.4; 1/1 → 30;  Σ 101.4 → 30.42
    # 日常: 委派工作执行力 — 自评 (weight 0) is recorded, not counted; the 上级's level scores:
    #   Q01 自评 优, 上级 良 (80%–90%), 考核人 enters 8.5 → 0.3 × 8.5/10 × 100 = 25.5
    # total 33.4 + 30.42 + 25.5 = 89.32
    assert_person(r, "Q01", {"new_sales": 24, "aged_stock": 24, "ds_sales": 18, "finance_units": 17.5,
                             "used_cars": 0, "business": 33.4, "csat_internal": 33, "csat_external": 9,
                             "file_accuracy": 29.4, "order_accuracy": 30, "satisfaction": 30.42,
                             "delegated": 8.5, "daily": 25.5}, 89.32)
    # Q02: 业务 all 100% → 20 each, Σ 100 → 40;  满意: 108/90 = 120% → 36; 117/90 = 130% → capped → 12;
    #   1 → 30; 0.95 → 28.5;  Σ 106.5 → 31.95;  日常 自评 良 (9), 上级 优 (100%) → 10 → 30
    #   total 40 + 31.95 + 30 = 101.95
    assert_person(r, "Q02", {"new_sales": 20, "aged_stock": 20, "ds_sales": 20, "finance_units": 20,
                             "used_cars": 20, "business": 40, "csat_internal": 36, "csat_external": 12,
                             "file_accuracy": 30, "order_accuracy": 28.5, "satisfaction": 31.95,
                             "delegated": 10, "daily": 30}, 101.95)
    # Q03: 业务 5/10 → 10; 1/2 → 10; 4/10 → 8; 4/8 → 10; 1/5 → 4;  Σ 42 → 16.8
    #   满意 72/90 = 80% → 24; 63/90 = 70% → 7; 0.9 → 27; 0.85 → 25.5;  Σ 83.5 → 25.05
    #   日常 自评 中, 上级 差 (0–50%), entered 3 → 9;  total 16.8 + 25.05 + 9 = 50.85
    assert_person(r, "Q03", {"new_sales": 10, "aged_stock": 10, "ds_sales": 8, "finance_units": 10,
                             "used_cars": 4, "business": 16.8, "csat_internal": 24, "csat_external": 7,
                             "file_accuracy": 27, "order_accuracy": 25.5, "satisfaction": 25.05,
                             "delegated": 3, "daily": 9}, 50.85)
    # Q04: 业务 100% → 40; 满意 as Q01 → 30.42; 日常 no 自评 (never required), 上级 可 (60%)
    #   → 6 → 18;  total 88.42
    assert_person(r, "Q04", {"new_sales": 20, "aged_stock": 20, "ds_sales": 20, "finance_units": 20,
                             "used_cars": 20, "business": 40, "csat_internal": 33, "csat_external": 9,
                             "file_accuracy": 29.4, "order_accuracy": 30, "satisfaction": 30.42,
                             "delegated": 6, "daily": 18}, 88.42)


def test_cm_monthly_kpi_level_range_is_checked(tmp_path):
    # 良 is 80%–90% of the line's 10 points: a score of 9.5 is outside it — the 上级's, and
    # the 自评's too (recorded, so checked like any entry, though not counted).
    _, inp, _ = files("cm_monthly_kpi")
    text = inp.read_text(encoding="utf-8")
    bad = tmp_path / "kpi.csv"
    bad.write_text(text.replace("良,8.5", "良,9.5").replace("良,9,", "良,9.5,"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("cm_monthly_kpi", bad)
    assert sorted(err.value.keys()) == [("kpi.csv:2 (delegated.score@manager)", "score_outside_level"),
                                        ("kpi.csv:3 (delegated.score@self)", "score_outside_level")]
    # Another 自评 changes nothing: Q01 自评 差 (2 within 0–50%) instead of 优 → still 89.32.
    other = tmp_path / "other.csv"
    other.write_text(text.replace("Q01,方圆,12,3,9,7,0,99,81,0.98,1,优,,", "Q01,方圆,12,3,9,7,0,99,81,0.98,1,差,2,"),
                     encoding="utf-8")
    assert scored("cm_monthly_kpi", other).loc["Q01", "total"] == 89.32


# ---- f. 烟草营销部客户经理考核评分表 ----------------------------------------------------------


def test_tobacco():
    r = scored("tobacco")
    # 按完成比例考核 = 分值 × min(完成比例, 1).  需求预测准确率: 15 ± whole 百分点 around 95%.
    # N/A averages (没有…的客户经理拿平均分值), over the people who have the line:
    #   千条户 (T01 has none):   (1 + 0.5 + 0.5)/3 = 0.6667   [T02, T03, T04]
    #   弱势群体 (T03 has none): (0.5 + 1 + 1)/3 = 0.8333     [T01, T02, T04]
    #   空白村 (T04 has none):   (0.75 + 1 + 0.25)/3 = 0.6667 [T01, T02, T03]
    key_avg, vul_avg, village_avg = (1 + 0.5 + 0.5) / 3, (0.5 + 1 + 1) / 3, (0.75 + 1 + 0.25) / 3
    # 第三板块 (the legible lines): 品牌宽度 5 × min(宽度/要求, 1) (要求 城镇 80%, 农村 40%);
    #   客户信息 全面完整 1.5 − 0.5/缺项, 维护准确 1.5 − 0.5/错项 (each down to 0);
    #   采集表 2 − 1 per whole 百分点 below 100% (down to 0); V3系统运用 entered 0–1.

    # T01 经营: 1200/1000 → capped 15; 97% → +2 百分点 → 15 + 2 = 17; 8/10 → 4; 950/1000 → 4.75;
    #   0.06/0.05 → capped 5; 300/400 → 3.75;  Σ 49.5
    # 服务: 台帐少一月 → 9; 完成分析 → 1; 维护面 30% (edge) → 3; 迟到1次 → 1; 预测评估 → 1;
    #   千条 N/A → 0.6667; 弱势 少完1次 → 0.5; 空白村 3/4 → 0.75; 访销 98% (edge) → 4;
    #   标签少2 → 1 − 0.2 = 0.8; 指导价3品种 → 2 − 0.3 = 1.7; 办卡率 80% (edge) → 1;
    #   结算 0.9/0.9 → 1; 网上户数 60% (edge) → 0.5; 网上成功率 88% → 2 百分点 × 0.5 = −1 → 0
    #   Σ 25.9167
    # 第三: 宽度 72%/80% = 90% → 4.5; 缺1项 → 1; 错0 → 1.5; 采集表 99% → 1 百分点 → 1; V3 1 → Σ 9
    #   total 49.5 + 25.9167 + 9 = 84.4167 → 84.42
    t01 = {"ledger": 9, "profit_analysis": 1, "coverage": 3, "visits": 1, "forecast_review": 1,
           "key_retailers": key_avg, "vulnerable": 0.5, "blank_villages": 0.75, "visit_success": 4,
           "price_tags": 0.8, "guide_price": 1.7, "card_rate": 1, "settlement": 1, "online_share": 0.5,
           "online_success": 0}
    assert_person(r, "T01", {"key_brand": 15, "forecast_acc": 17, "structure": 4, "volume": 4.75, "growth": 5,
                             "cultivated": 3.75, "operations": 49.5, **t01, "service": sum(t01.values()),
                             "brand_width": 5 * 0.72 / 0.8, "info_complete": 1.5 - 0.5, "info_accurate": 1.5,
                             "survey": 2 - 1, "v3": 1, "third": 9, "commendation": 0}, 84.42)
    # T02: every line exactly on target (95%, 30%, 98%, 80%, 90%, 60%, 90% edges, or above)
    #   → 经营 50, 服务 30; 第三: 宽度 80%/80% → 5, 1.5, 1.5, 采集表 100% → 2, V3 1 → 11
    #   省级以上奖励1次 → +5;  total 50 + 30 + 11 + 5 = 96
    t02 = {"ledger": 10, "profit_analysis": 1, "coverage": 3, "visits": 2, "forecast_review": 1,
           "key_retailers": 1, "vulnerable": 1, "blank_villages": 1, "visit_success": 4, "price_tags": 1,
           "guide_price": 2, "card_rate": 1, "settlement": 1, "online_share": 0.5, "online_success": 0.5}
    assert_person(r, "T02", {"key_brand": 15, "forecast_acc": 15, "structure": 5, "volume": 5, "growth": 5,
                             "cultivated": 5, "operations": 50, **t02, "service": 30, "brand_width": 5,
                             "info_complete": 1.5, "info_accurate": 1.5, "survey": 2, "v3": 1, "third": 11,
                             "commendation": 5}, 96.0)
    # T03 经营: 70% → 10.5; 92.5% → 2.5 百分点 short → 2 whole → 15 − 1 = 14; 50% → 2.5;
    #   80% → 4; 成长率 −0.02/0.05 = −40% → counted as 0; 50% → 2.5;  Σ 33.5
    # 服务: 台帐 10 − 1 − 12 = −3 → 可扣完 → 0; 未完成分析 → 0; 维护面 25.5% → 4.5 short → 4 → 3 − 2 = 1;
    #   中途缺岗1 → 0; 预测评估 −0.5 −0.5 → 0; 千条 少完1次 → 0.5; 弱势 N/A → 0.8333;
    #   空白村 1/4 → 0.25; 访销 95.5% → 2.5 short → 2 → 4 − 2 = 2; 标签少10 → 0; 指导价25 → 0;
    #   办卡率 78% → −1 → 0; 结算 0.81/0.9 = 90% → 0.9; 网上户数 59% → 0; 成功率 90% → 0.5
    #   Σ 5.9833
    # 第三: 宽度 30%/40% (农村) = 75% → 3.75; 缺4项 → 1.5 − 2 → 0; 错1项 → 1;
    #   采集表 95.5% → 4.5 short → 4 whole → 2 − 4 → 0; V3 0.5 → Σ 5.25
    #   市级以上奖励1次 → +3;  total 33.5 + 5.9833 + 5.25 + 3 = 47.7333 → 47.73
    t03 = {"ledger": 0, "profit_analysis": 0, "coverage": 1, "visits": 0, "forecast_review": 0,
           "key_retailers": 0.5, "vulnerable": vul_avg, "blank_villages": 0.25, "visit_success": 2,
           "price_tags": 0, "guide_price": 0, "card_rate": 0, "settlement": 0.9, "online_share": 0,
           "online_success": 0.5}
    assert_person(r, "T03", {"key_brand": 10.5, "forecast_acc": 14, "structure": 2.5, "volume": 4, "growth": 0,
                             "cultivated": 2.5, "operations": 33.5, **t03, "service": sum(t03.values()),
                             "brand_width": 5 * 0.3 / 0.4, "info_complete": 0, "info_accurate": 1,
                             "survey": 0, "v3": 0.5, "third": 5.25, "commendation": 3}, 47.73)
    # T04 经营: 110% → 15; 100% → +5 百分点 → 20; 120% → 5; 100% → 5; 80% → 4; 95% → 4.75;  Σ 53.75
    # 服务: 10; 1; 维护面 29% → 1 short → 2.5; 2; 被投诉1次 → 0.5; 千条 少完1次 → 0.5; 弱势 → 1;
    #   空白村 N/A → 0.6667; 访销 97% → 3; 1; 指导价1品种 → 1.9; 1; 1; 0.5; 成功率 89% → 0
    #   Σ 26.5667
    # 第三: 宽度 46%/40% = 115% → capped 5; 1.5; 错3项 → 0; 采集表 100% → 2; V3 0.8 → Σ 9.3
    #   total 53.75 + 26.5667 + 9.3 = 89.6167 → 89.62
    t04 = {"ledger": 10, "profit_analysis": 1, "coverage": 2.5, "visits": 2, "forecast_review": 0.5,
           "key_retailers": 0.5, "vulnerable": 1, "blank_villages": village_avg, "visit_success": 3,
           "price_tags": 1, "guide_price": 1.9, "card_rate": 1, "settlement": 1, "online_share": 0.5,
           "online_success": 0}
    assert_person(r, "T04", {"key_brand": 15, "forecast_acc": 20, "structure": 5, "volume": 5, "growth": 4,
                             "cultivated": 4.75, "operations": 53.75, **t04, "service": sum(t04.values()),
                             "brand_width": 5, "info_complete": 1.5, "info_accurate": 1.5 - 3 * 0.5,
                             "survey": 2, "v3": 0.8, "third": 9.3, "commendation": 0}, 89.62)


# ---- g. 岗位标兵评分表 ---------------------------------------------------------------------


def test_post_model():
    r = scored("post_model")
    # Every rated line: 0.3 × (自评's reading) + 0.7 × (上级's reading); the card is out of 10.
    # 差错件: each rater's 件数 → 1 − 0.2 × 件数, that rater's reading never below 0.
    # 投诉: two lines, 沟通·自评 (0.3 − 0.06/0.09/0.12 per 客户/柜员/网点主任投诉) and
    #   沟通·上级评 (0.7 − 0.14/0.21/0.28), each down to 0 = 0.3 × 自评 and 0.7 × 上级评 of the
    #   seed's 1-point line (客户0.2, 柜员0.3, 网点主任0.4 per 次).
    # B01 期交: 自评 80,000/100,000 = 80% (含) → 3; 上级 75% → 2.5 → 0.9 + 1.75 = 2.65
    #   趸交 30,000/50,000 = 60% (含) → 0.8;  首访 70% (达成) → 1; 再访 19% → 0;
    #   三访: 自评 10% → 0.5, 上级 9% → 0 → 0.3 × 0.5 = 0.15;  契撤 0件 → 1;
    #   差错: 自评 1件 → 0.8, 上级 2件 → 0.6 → 0.24 + 0.42 = 0.66
    #   沟通: 自评 客户投诉1 → 0.3 × (1 − 0.2) = 0.24; 上级 客户1 + 柜员1 → 0.7 × (1 − 0.5) = 0.35
    #   品质 0.5 + 0.5
    #   total 2.65 + 0.8 + 1 + 0 + 0.15 + 1 + 0.66 + 0.24 + 0.35 + 0.5 + 0.5 = 7.85;  授课2堂 × 20元 = 40
    assert_person(r, "B01", {"term_sales": 0.3 * 3 + 0.7 * 2.5, "single_sales": 0.8, "first_call": 1,
                             "second_call": 0, "third_call": 0.3 * 0.5, "surrenders": 1,
                             "ops_errors": 0.3 * (1 - 0.2) + 0.7 * (1 - 0.4), "communication_self": 0.3 * 0.8,
                             "communication_mgr": 0.7 * 0.5, "no_misleading": 0.5, "true_info": 0.5,
                             "quality": 1}, 7.85, bonus=40.0)
    # B02 期交 10% (含) → 1; 趸交 4,950/50,000 = 9.9% → 0; 首访 75% → 1; 再访 20% → 0.5;
    #   三访 10% → 0.5; 契撤1件 → 0.5;
    #   差错: 自评 3件 → 1 − 0.6 = 0.4; 上级 6件 → 1 − 1.2 → 0 (that reading stops at 0)
    #     → 0.3 × 0.4 + 0.7 × 0 = 0.12 (flooring the weighted sum instead would give 0.12 − 0.14 → 0)
    #   沟通: 自评 客户2 → 0.3 × (1 − 0.4) = 0.18; 上级 客户2 + 网点主任1 → 0.7 × (1 − 0.8) = 0.14
    #   误导: 自评 无 (0.5), 上级 有 (0) → 0.15;  虚假 → 0.5
    #   total 1 + 0 + 1 + 0.5 + 0.5 + 0.5 + 0.12 + 0.18 + 0.14 + 0.15 + 0.5 = 4.59;  no 授课 → 0
    assert_person(r, "B02", {"term_sales": 1, "single_sales": 0, "first_call": 1, "second_call": 0.5,
                             "third_call": 0.5, "surrenders": 0.5, "ops_errors": 0.3 * 0.4,
                             "communication_self": 0.3 * 0.6, "communication_mgr": 0.7 * 0.2,
                             "no_misleading": 0.3 * 0.5, "true_info": 0.5}, 4.59, bonus=0.0)
    # B03 期交: 自评 60% → 2.5, 上级 59% → 1.5 → 0.75 + 1.05 = 1.8; 趸交 40% (含) → 0.5;
    #   首访 69% → 0; 再访 30% → 0.5; 三访 12% → 0.5; 契撤2件 (超过1件) → 0; 差错0 → 1;
    #   沟通: 自评 no 投诉 → 0.3; 上级 柜员投诉4 → 0.7 − 4 × 0.21 = −0.14 → 0 (扣至0为止)
    #   误导 无 → 0.5; 虚假信息 → 0;  total 1.8 + 0.5 + 0 + 0.5 + 0.5 + 0 + 1 + 0.3 + 0 + 0.5 + 0 = 5.1
    #   授课1堂 → 20
    assert_person(r, "B03", {"term_sales": 0.3 * 2.5 + 0.7 * 1.5, "single_sales": 0.5, "first_call": 0,
                             "second_call": 0.5, "third_call": 0.5, "surrenders": 0, "ops_errors": 1,
                             "communication_self": 0.3, "communication_mgr": 0, "no_misleading": 0.5,
                             "true_info": 0}, 5.1, bonus=20.0)


# ---- h. 客户经理月份考核评分表 --------------------------------------------------------------


def test_cm_month_deduct():
    r = scored("cm_month_deduct")
    # 总评分 = 辖区业绩 (80 × min(销售量完成率, 1) + 20 × min(重点品牌完成率, 1)) + 过程扣分 (negative)
    none = {"visits": 0, "brand_promo": 0, "orders": 0, "research": 0, "lawful": 0, "e_settlement": 0,
            "additional": 0}
    # D01: 95/100 → 76; 18/20 = 90% → 18 → 94;  走访 −5, 订货 −3 → 86
    assert_person(r, "D01", {**none, "sales_volume": 76, "key_brand": 18, "territory": 94, "visits": -5,
                             "orders": -3, "process": -8}, 86.0)
    # D02: 110% → 80 (capped); 125% → 20 (capped) → 100; no deductions → 100
    assert_person(r, "D02", {**none, "sales_volume": 80, "key_brand": 20, "process": 0}, 100.0)
    # D03: 60% → 48; 50% → 10 → 58;  走访 −30 (exactly the 上限), 品牌 −8, 附加项 +2
    #   → 58 − 30 − 8 + 2 = 22
    assert_person(r, "D03", {**none, "sales_volume": 48, "key_brand": 10, "territory": 58, "visits": -30,
                             "brand_promo": -8, "additional": 2, "process": -36}, 22.0)


def test_cm_month_deduct_cap_and_reason_are_enforced(tmp_path):
    _, inp, _ = files("cm_month_deduct")
    text = inp.read_text(encoding="utf-8")
    # 扣分上限 (beyond: cap): D03's seven missed visits typed as −35 count as the 上限 −30,
    # with a note at the cell — total 58 − 30 − 8 + 2 = 22, as before.
    over = tmp_path / "over.csv"
    over.write_text(text.replace("-30,走访周期多次未执行", "-35,走访周期多次未执行"), encoding="utf-8")
    r = scored("cm_month_deduct", over)
    assert (r.loc["D03", "visits"], r.loc["D03", "total"]) == (-30, 22)
    assert [(n.where, n.code) for n in r.attrs["notes"]] == [("over.csv:4 (visits)", "capped")]
    # A deduction without 扣分事由 is refused.
    bad = tmp_path / "deduct.csv"
    # 附加项 (no 上限 printed: ±100) refuses 120, a typo (beyond: error).
    bad.write_text(text.replace("-3,订货执行跟进不及时", "-3,").replace(",2,协助稽查有功", ",120,协助稽查有功"),
                   encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("cm_month_deduct", bad)
    assert sorted(err.value.keys()) == [("deduct.csv:2 (orders.reason)", "missing_reason"),
                                        ("deduct.csv:4 (additional)", "points_out_of_range")]


# ---- i. 客户服务经理 德勤能绩 ----------------------------------------------------------------


def test_cs_deqinnengji_forced_distribution():
    r = scored("cs_deqinnengji")
    # total = 德 + 勤 + 能 + 绩 (+ 嘉奖 1–10); the rating comes from the rank in the group
    # (worked out below the table).
    table = [  # id, 德, 勤, 能, 绩, 嘉奖, total, rank in group, rating
        ("Y01", 20, 20, 30, 30, 5, 105, 1, "优秀"),  # 100 + 嘉奖 5: above 100 stays
        ("Y02", 19, 19, 28, 28, 0, 94, 2, "良好"),
        ("Y03", 18, 19, 27, 28, 0, 92, 3, "良好"),
        ("Y04", 18, 18, 27, 27, 0, 90, 4, "良好"),
        ("Y05", 18, 18, 26, 26, 0, 88, 6, "尚可"),  # tie with Y06, hired later
        ("Y06", 17, 17, 27, 27, 0, 88, 5, "良好"),
        ("Y07", 17, 17, 26, 26, 0, 86, 7, "尚可"),
        ("Y08", 17, 16, 26, 25, 0, 84, 8, "尚可"),
        ("Y09", 16, 16, 25, 25, 0, 82, 9, "尚可"),
        ("Y10", 16, 16, 24, 24, 0, 80, 10, "尚可"),
        ("Y11", 15, 16, 24, 24, 0, 79, 11, "尚可"),
        ("Y12", 15, 15, 24, 24, 0, 78, 12, "尚可"),
        ("Y13", 15, 15, 23, 23, 0, 76, 13, "尚可"),
        ("Y14", 15, 15, 22, 22, 0, 74, 14, "尚可"),
        ("Y15", 14, 15, 22, 22, 0, 73, 15, "尚可"),
        ("Y16", 14, 14, 22, 22, 0, 72, 16, "差"),
        ("Y17", 14, 14, 21, 21, 0, 70, 17, "差"),
        ("Y18", 13, 14, 20, 21, 0, 68, 18, "差"),
        ("Y19", 13, 13, 20, 19, 0, 65, 19, "差"),  # tie with Y20, same 入职日期: smaller id
        ("Y20", 12, 13, 20, 20, 0, 65, 20, "较差"),
        ("G01", 19, 19, 29, 29, 2, 98, 1, "良好"),  # 96 + 嘉奖 2
        ("G02", 18, 18, 28, 28, 0, 92, 2, "尚可"),
        ("G03", 17, 17, 26, 26, 0, 86, 3, "尚可"),
        ("G04", 16, 16, 25, 25, 0, 82, 4, "尚可"),
        ("G05", 15, 15, 24, 24, 0, 78, 5, "差"),
    ]
    # Band k's last rank is ROUND(n·C[k]), C = 5%, 25%, 75%, 95%, 100% (see below).
    last_rank = {"Y": [1, 5, 15, 19, 20], "G": [0, 1, 4, 5, 5]}
    names = ["优秀", "良好", "尚可", "差", "较差"]
    for who, de, qin, neng, ji, award, total, rank, rating in table:
        assert de + qin + neng + ji + award == total
        assert rating == names[next(k for k, last in enumerate(last_rank[who[0]]) if rank <= last)]
        assert_person(r, who, {"virtue": de, "diligence": qin, "ability": neng, "results": ji,
                               "appraisal": de + qin + neng + ji, "award": award, "commendation": award},
                      float(total), rating=rating)

    # Ranked separately per 人员类别; band k takes ranks ROUND(n·C[k−1])+1 … ROUND(n·C[k]),
    # C = 5%, 25%, 75%, 95%, 100% (the corrected 5/20/50/20/5).
    # 一线员工 n = 20: ROUND(1) = 1, ROUND(5) = 5, ROUND(15) = 15, ROUND(19) = 19, 20
    #   → 优秀 rank 1, 良好 2–5, 尚可 6–15, 差 16–19, 较差 20: 1/4/10/4/1
    # 管理人员 n = 5: ROUND(0.25) = 0, ROUND(1.25) = 1, ROUND(3.75) = 4, ROUND(4.75) = 5, 5
    #   → 优秀 none, 良好 rank 1, 尚可 2–4, 差 5, 较差 none: 0/1/3/1/0
    roster = pd.read_csv(files("cs_deqinnengji")[2], dtype=str).set_index("employee_id")
    counts = {g: [int((r.loc[ids, "rating"] == name).sum()) for name in names]
              for g, ids in roster.groupby("人员类别").groups.items()}
    assert counts == {"一线员工": [1, 4, 10, 4, 1], "管理人员": [0, 1, 3, 1, 0]}

    # Ties: Y05 and Y06 both total 88 at ranks 5/6 (良好/尚可): the earlier 入职日期 wins —
    # Y06 (2016-05-10) is 5th → 良好, Y05 (2018-03-01) 6th → 尚可.
    assert r.loc["Y05", "total"] == r.loc["Y06", "total"] == 88
    assert (r.loc["Y06", "rating"], r.loc["Y05", "rating"]) == ("良好", "尚可")
    # Y19 and Y20 both total 65 with the same 入职日期: the smaller id is ahead →
    # Y19 19th → 差, Y20 20th → 较差.
    assert r.loc["Y19", "total"] == r.loc["Y20", "total"] == 65
    assert (r.loc["Y19", "rating"], r.loc["Y20", "rating"]) == ("差", "较差")
    # 管理人员: G01 is the best of five but 5% of 5 rounds to nobody → 良好.
    assert r.loc["G01", "rating"] == "良好"

    # Flags: top → rank ≤ ROUND(n·share); bottom → rank > n − ROUND(n·share).
    # 一线 n = 20: 前5% → 1 person, 前10% → 2, 后25% → 5 (ranks 16–20), 后5% → rank 20.
    # 管理 n = 5:  前5% → ROUND(0.25) = 0, 前10% → ROUND(0.5) = 1, 后25% → ROUND(1.25) = 1, 后5% → 0.
    def flagged(flag: str) -> list[str]:
        return sorted(r.index[r[f"flag.{flag}"].astype(bool)])

    assert flagged("promote") == ["Y01"]
    assert flagged("honour") == flagged("talent_pool") == ["G01", "Y01", "Y02"]
    assert flagged("training") == ["G05", "Y16", "Y17", "Y18", "Y19", "Y20"]
    assert flagged("demote") == ["Y20"]


def test_cs_deqinnengji_seed_quotas_are_refused():
    # The seed's own distribution: 前5%优秀, 20%良好, 30%尚可, 20%差, 最后5%较差 = 80%.
    data = raw_scheme("cs_deqinnengji")
    shares = [q["share"] for q in data["ratings"]["distribution"]["quotas"]]
    assert shares == [0.05, 0.20, 0.50, 0.20, 0.05]  # the example's correction
    data["ratings"]["distribution"]["quotas"][2]["share"] = 0.30
    with pytest.raises(InputError) as err:
        scheme_from_dict(data)
    assert err.value.keys() == [("ratings.distribution.quotas", "quotas_sum")]
    assert "80%" in err.value.problems[0].message


def test_cs_deqinnengji_rollup():
    scheme = kpixl.load_scheme(files("cs_deqinnengji")[0])
    scores = pd.DataFrame([
        # Y01: 周检/月检 95, 90, 100 → mean 95; 月考核 88, 92 → mean 90; 年终 105
        ("Y01", "checks", "2025-W10", 95), ("Y01", "checks", "2025-W20", 90), ("Y01", "checks", "2025-06", 100),
        ("Y01", "monthly", "2025-05", 88), ("Y01", "monthly", "2025-06", 92),
        ("Y01", "year_end", "2025", 105),
        # Y16: 周检 80, 70 → 75; 月考核 78; 年终: two on file, the last (2025) counts → 72
        ("Y16", "checks", "2025-W10", 80), ("Y16", "checks", "2025-W20", 70),
        ("Y16", "monthly", "2025-05", 78),
        ("Y16", "year_end", "2025", 72), ("Y16", "year_end", "2024", 60),
    ], columns=["employee_id", "component", "period", "total"])
    out = kpixl.roll_up(scheme.rollup, scores).set_index("employee_id")
    # Y01: 0.2 × 95 + 0.3 × 90 + 0.5 × 105 = 19 + 27 + 52.5 = 98.5
    # (年终 above 100 after weighting stays: the seed rewards it as 优秀员工)
    assert out.loc["Y01", "total"] == 98.5
    # Y16: 0.2 × 75 + 0.3 × 78 + 0.5 × 72 = 15 + 23.4 + 36 = 74.4
    assert out.loc["Y16", "total"] == 74.4
    assert out.loc["Y16", "year_end"] == 72


# ---- j. 市场部大客户经理 月度绩效考核表 ------------------------------------------------------


def test_kam_market_monthly():
    r = scored("kam_market_monthly")
    # 工作绩效 30: from 30, 流失 −10/个, 挽回 +5/个, 下降20% −5/个, 未按合同回款 −5/次;
    # 工作质量 10: from 10, 早退 −2/次, 旷工 −5/次; both may go below 0 (单项分值可以扣至负数, 并入总分).
    # 6S: the sum of the events' 1–5分 typed as a deduction (0 to −30) with its reason.
    # No weights: total = Σ lines (the legible lines' full marks: 30 + 10 = 40).
    #
    # M01 孙浩: 流失3, 挽回1, 下降2, 未回款1 → 30 − 30 + 5 − 10 − 5 = −10 (below 0, into the total)
    #   早退1, 旷工2 → 10 − 2 − 10 = −2;  6S −2 −5 = −7  →  −10 − 2 − 7 = −19
    assert_person(r, "M01", {"accounts": 30 - 3 * 10 + 5 - 2 * 5 - 5, "attendance": 10 - 2 - 2 * 5,
                             "tidiness": -2 - 5}, -19.0)
    # M02 赵敏: 流失1, 下降1, 未回款1 → 30 − 10 − 5 − 5 = 10; 早退2 → 10 − 2×2 = 6; 6S −3 → 10 + 6 − 3 = 13
    assert_person(r, "M02", {"accounts": 30 - 10 - 5 - 5, "attendance": 10 - 2 * 2, "quality": 6,
                             "tidiness": -3, "six_s": -3}, 13.0)
    # M03 王磊: 挽回1 → 30 + 5 = 35 (above 30: the seed sets no cap); 出勤 10; 6S 0 → 45
    assert_person(r, "M03", {"accounts": 30 + 5, "results": 35, "attendance": 10, "tidiness": 0}, 45.0)
    # M04 周琳: 30 + 10 − 1 = 39
    assert_person(r, "M04", {"accounts": 30, "attendance": 10, "tidiness": -1}, 39.0)


def test_kam_market_monthly_6s_needs_its_events(tmp_path):
    # The 6S deduction needs its reason (each event and its points), and a sum beyond −30
    # (six events at the most 5) is refused as a typo.
    _, inp, _ = files("kam_market_monthly")
    text = inp.read_text(encoding="utf-8")
    bad = tmp_path / "six_s.csv"
    bad.write_text(text.replace("-3,11/12 文件摆放不整齐 -3", "-3,").replace(",-7,摆放", ",-35,摆放"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("kam_market_monthly", bad)
    assert sorted(err.value.keys()) == [("six_s.csv:2 (tidiness)", "points_out_of_range"),
                                        ("six_s.csv:3 (tidiness.reason)", "missing_reason")]


# ---- k. 销售部客户经理月考核表 ---------------------------------------------------------------


def test_sales_cm_monthly_bands_hand_a_range():
    r = scored("sales_cm_monthly")
    # 计划与执行 10 (完成率 = 实际销售额 / 月度销售计划): ≥80% 10; 70–79% 9; 60–69% 6–8 (typed);
    #   ≤60% 1–5 (typed).  工作效率 10: ≥80% 10; 60–79% 9; 50–59% 6–8; <50% 1–5.
    # 客户信息 20: 全面掌握 20 / 较为全面 12–19 / 基本掌握 6–12 / 一般掌握 1–5;
    # 采购流程 10: 熟悉掌握 10 / 熟悉 7–9 / 基本了解 5–8 / 不了解 1–4;
    # 产品知识 10: 熟练掌握 10 / 较好掌握 9 / 熟悉 6–8 / 了解 1–5.  total = Σ (full marks 60).
    #
    # X01: 450,000 / 500,000 = 90% → 10 and 10; 全面掌握 20; 熟悉 typed 8; 熟练掌握 10
    #   total 10 + 20 + 8 + 10 + 10 = 58
    assert_person(r, "X01", {"planning": 10, "client_info": 20, "procurement": 8, "customers": 28,
                             "timeliness": 10, "product_knowledge": 10}, 58.0)
    # X02: 325,000 / 500,000 = 65% → 计划 6–8, typed 7; 工作效率 60–79% → 9;
    #   较为全面 typed 15; 熟悉掌握 10; 较好掌握 9 → 7 + 15 + 10 + 9 + 9 = 50
    assert_person(r, "X02", {"planning": 7, "client_info": 15, "procurement": 10, "timeliness": 9,
                             "product_knowledge": 9}, 50.0)
    # X03: 240,000 / 400,000 = 60% exactly: 计划 takes 60–69% (the better band) → typed 6
    #   (not the 1–5 of 不超过60%); 工作效率 9; 基本掌握 typed 12 (the top of 6–12);
    #   基本了解 5; 熟悉 8 → 6 + 12 + 5 + 9 + 8 = 40
    assert_person(r, "X03", {"planning": 6, "client_info": 12, "procurement": 5, "timeliness": 9,
                             "product_knowledge": 8}, 40.0)
    # X04: 190,000 / 400,000 = 47.5% → 计划 ≤60% typed 3; 工作效率 <50% typed 2;
    #   一般掌握 4; 不了解 1; 了解 5 → 3 + 4 + 1 + 2 + 5 = 15
    assert_person(r, "X04", {"planning": 3, "client_info": 4, "procurement": 1, "timeliness": 2,
                             "product_knowledge": 5}, 15.0)
    # X05: 238,500 / 300,000 = 79.5% → 70–79% (70% ≤ x < 80%) → 9, no gap; 工作效率 9;
    #   较为全面 19; 熟悉 9; 熟悉 6 → 9 + 19 + 9 + 9 + 6 = 52
    assert_person(r, "X05", {"planning": 9, "client_info": 19, "procurement": 9, "timeliness": 9,
                             "product_knowledge": 6}, 52.0)
    # X06: 100,000 / 200,000 = 50% → 计划 ≤60% typed 5; 工作效率 50% is in 50–59% → typed 6;
    #   基本掌握 6; 基本了解 8; 熟悉 7 → 5 + 6 + 8 + 6 + 7 = 32
    assert_person(r, "X06", {"planning": 5, "client_info": 6, "procurement": 8, "timeliness": 6,
                             "product_knowledge": 7}, 32.0)


def test_sales_cm_monthly_score_must_lie_in_the_band(tmp_path):
    # X02 at 65% typed 9 on 计划与执行 (its band gives 6–8); X03 at 60% left the score blank;
    # X01 typed 10 for 采购流程 熟悉 (7–9): each refused, with its cell.
    _, inp, _ = files("sales_cm_monthly")
    text = inp.read_text(encoding="utf-8")
    bad = tmp_path / "ranges.csv"
    bad.write_text(text.replace("X02,郭蕾,325000,7,", "X02,郭蕾,325000,9,").replace("X03,邓超,240000,6,", "X03,邓超,240000,,")
                   .replace("熟悉,8,450000", "熟悉,10,450000"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("sales_cm_monthly", bad)
    assert sorted(err.value.keys()) == [("ranges.csv:2 (procurement.score)", "score_outside_level"),
                                        ("ranges.csv:3 (planning.score)", "score_outside_band"),
                                        ("ranges.csv:4 (planning.score)", "missing_score")]


# ---- l. 客户经理/专员 工作行为考核表 (综合) ---------------------------------------------------------


def test_cm_behaviour_checklists_and_weights():
    r = scored("cm_behaviour")
    # Each line is a section with its 权重 w: it contributes w × 得分/分值 × 100.
    # Checklists: one 是/否 per point (促销 4 × 2.5, 临时工作 2 × 5, 培训/调研 5 × 1, 运营 2 × 2.5).
    # 新产品 是否执行 0/10; 协助开业 0–10; 开发: +2/个, +2/个, +5/份, each at most 10 (beyond: cap).
    def ticks(*flags, per):
        return [per if f else 0 for f in flags]

    # B01 严峻:
    #   促销 ①②③④ → 4 × 2.5 = 10 → 0.1 × 10/10 × 100 = 10;  新产品 是 → 10 → 10
    #   协助 8 → 0.05 × 8/10 × 100 = 4;  临时 ①② → 10 → 0.05 × 10/10 × 100 = 5
    #   培训 5 → 0.05 × 5/5 × 100 = 5;  调研 ①–④ → 4 → 4
    #   运营 (each 0.05 × R/5 × 100 = R): 2 × 2.5 = 5; ① only 2.5; 5; none 0
    #   意向客户 3 × 2 = 6 → 6;  空白市场 6 × 2 = 12 → 10 (capped, noted) → 10;  报告 1 × 5 = 5 → 0.2 × 5/10 × 100 = 10
    #   total 10 + 10 + 4 + 5 + 5 + 4 + 5 + 2.5 + 5 + 0 + 6 + 10 + 10 = 76.5
    b01 = dict(zip(["promo_theme", "promo_organised", "promo_completed", "promo_rivals"], ticks(1, 1, 1, 1, per=2.5)))
    b01 |= {"new_product_done": 10, "assist_opening": 8, "assist": 0.05 * 8 / 10 * 100, "gm_done": 5, "gm_creative": 5,
            "training_courses": 1, "training_talks": 1, "training_meetings": 1, "training_growth": 1,
            "training_appearance": 1, "research_landscape": 1, "research_promos": 1, "research_property": 1,
            "research_ads": 1, "research_rivals": 0, "research": 4, "sales_stock_review": 2.5, "sales_stock_plan": 2.5,
            "supply_advice": 2.5, "supply_shortages": 0, "stock_supply": 2.5, "check_visual": 2.5, "check_fixes": 2.5,
            "slow_layout": 0, "slow_clearance": 0, "slow_movers": 0, "prospects": 3 * 2, "markets": 10,
            "blank_markets": 10, "feasibility": 5, "life_store": 0.2 * 5 / 10 * 100}
    assert_person(r, "B01", b01, 76.5)
    notes = [(n.code, n.employee, n.column) for n in r.attrs["notes"]]
    assert notes == [("capped", "B01", "markets.n")]
    # B02 白雪: 促销 ①② → 5 → 5;  新产品 否 → 0;  协助 10 → 5;  临时 ① → 5 → 0.05 × 5/10 × 100 = 2.5
    #   培训 ①② → 2;  调研 none → 0;  运营 all ticked → 5 + 5 + 5 + 5 = 20
    #   意向客户 0;  空白市场 1 × 2 = 2 → 2;  报告 2 × 5 = 10 → 0.2 × 10/10 × 100 = 20
    #   total 5 + 0 + 5 + 2.5 + 2 + 0 + 20 + 0 + 2 + 20 = 56.5
    b02 = dict(zip(["promo_theme", "promo_organised", "promo_completed", "promo_rivals"], ticks(1, 1, 0, 0, per=2.5)))
    b02 |= {"new_product_done": 0, "assist_opening": 10, "gm_done": 5, "gm_creative": 0, "gm_tasks": 2.5,
            "training_courses": 1, "training_talks": 1, "training_meetings": 0, "training_growth": 0,
            "training_appearance": 0, "training": 2, **{f"research_{k}": 0 for k in ("landscape", "promos", "property", "ads", "rivals")},
            "sales_stock_review": 2.5, "sales_stock_plan": 2.5, "supply_advice": 2.5, "supply_shortages": 2.5,
            "check_visual": 2.5, "check_fixes": 2.5, "slow_layout": 2.5, "slow_clearance": 2.5, "prospects": 0,
            "markets": 2, "feasibility": 10, "life_store": 20}
    assert_person(r, "B02", b02, 56.5)
    # B03 石磊: 促销 ①②③ → 7.5;  新产品 是 → 10;  协助 5 → 2.5;  临时 none → 0;  培训 5;  调研 5
    #   运营 ① 2.5, ② 2.5, ① 2.5, ①② 5 → 12.5;  意向客户 5 × 2 = 10 → 10 (exactly the 10: no note);
    #   空白市场 5 × 2 = 10 → 10;  报告 0
    #   total 7.5 + 10 + 2.5 + 0 + 5 + 5 + 12.5 + 10 + 10 + 0 = 62.5
    b03 = dict(zip(["promo_theme", "promo_organised", "promo_completed", "promo_rivals"], ticks(1, 1, 1, 0, per=2.5)))
    b03 |= {"promotion": 7.5, "new_product_done": 10, "assist_opening": 5, "gm_done": 0, "gm_creative": 0,
            **{f"training_{k}": 1 for k in ("courses", "talks", "meetings", "growth", "appearance")},
            **{f"research_{k}": 1 for k in ("landscape", "promos", "property", "ads", "rivals")},
            "sales_stock_review": 2.5, "sales_stock_plan": 0, "supply_advice": 0, "supply_shortages": 2.5,
            "check_visual": 2.5, "check_fixes": 0, "slow_layout": 2.5, "slow_clearance": 2.5,
            "prospects": 10, "prospecting": 10, "markets": 10, "feasibility": 0}
    assert_person(r, "B03", b03, 62.5)


def test_cm_behaviour_weights_make_100_and_a_tick_is_yes_or_no(tmp_path):
    s = kpixl.load_scheme(files("cm_behaviour")[0])
    # 10% 10% 5% 5% | 5% 5% | 运营 4 × 5% | 开发 10% 10% 20% = 100%
    assert [round(sec.weight * 100) for sec in s.sections] == [10, 10, 5, 5, 5, 5, 5, 5, 5, 5, 10, 10, 20]
    # A checklist point is ticked or not: "2" for ①活动主题 is refused, not counted twice.
    _, inp, _ = files("cm_behaviour")
    text = inp.read_text(encoding="utf-8")
    bad = tmp_path / "tick.csv"
    bad.write_text(text.replace("B01,严峻,是,", "B01,严峻,2,"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        scored("cm_behaviour", bad)
    assert err.value.keys() == [("tick.csv:2 (promo_theme)", "not_yes_no")]


# ---- m. 客服部经理考核评分表 (1–5分) -----------------------------------------------------------


def test_cs_manager_rating():
    r = scored("cs_manager_rating")
    # Each line: 分值 × 评分/5 (rubric of: fraction, 1 → 20% … 5 → 100%).
    # Groups weighted 30/30/20/10/10, each group's full marks = weight × 100, so a group
    # contributes its raw points: 0.3 × R/30 × 100 = R.
    lines10 = ["product_process", "service_tools", "communication", "responsiveness", "attitude", "feedback",
               "delegation"]
    lines5 = ["cooperation", "leadership", "task_quality", "efficiency", "learning", "innovation"]
    # R01: 专业知识与技能 5/4/3 → 10 + 8 + 6 = 24 → 0.3 × 24/30 × 100 = 24
    #   客户满意度 4/4/5 → 8 + 8 + 10 = 26;  团队 3/2/5 → 6 + 2 + 5 = 13
    #   绩效与工作质量 4/1 → 4 + 1 = 5;  自我发展 2/3 → 2 + 3 = 5
    #   total 24 + 26 + 13 + 5 + 5 = 73
    assert_person(r, "R01", {"product_process": 10, "service_tools": 8, "communication": 6, "skills": 24,
                             "responsiveness": 8, "attitude": 8, "feedback": 10, "satisfaction": 26,
                             "delegation": 6, "cooperation": 2, "leadership": 5, "team": 13,
                             "task_quality": 4, "efficiency": 1, "performance": 5,
                             "learning": 2, "innovation": 3, "growth": 5}, 73.0)
    # R02: every line 3 → 60%: 7 × 6 + 6 × 3 = 60
    assert_person(r, "R02", {**{i: 10 * 3 / 5 for i in lines10}, **{i: 5 * 3 / 5 for i in lines5}}, 60.0)
    # R03: every line 5 → full marks: 7 × 10 + 6 × 5 = 100
    assert_person(r, "R03", {**{i: 10 for i in lines10}, **{i: 5 for i in lines5}}, 100.0)
    # R04: every line 1 → a fifth: 7 × 2 + 6 × 1 = 20 (the scale starts at 1, not 0)
    assert_person(r, "R04", {**{i: 2 for i in lines10}, **{i: 1 for i in lines5}}, 20.0)


# ---- S10–S13: the ladder, the rewards and penalties, the grade review, the pay ---------------


def annual(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "period", *columns])


def test_wealth_ladder_card_bonus_and_level_proposals():
    r = scored("wealth_ladder")
    # 业绩 45 × min(实际/目标, 1.2) + 15 × min(新增/目标, 1.2); 品德 15, 能力 15, 学识 10 as typed.
    # Bonus = 月度绩效奖金 × 总分/100 × 职级系数.
    # W01 王伟 A3: 330,000/300,000 = 110% → 49.5; 11/10 = 110% → 16.5; 14 + 13 + 9
    #   total 49.5 + 16.5 + 14 + 13 + 9 = 102;  bonus 2,000 × 1.02 × 1.2 = 2,448
    assert_person(r, "W01", {"sales": 45 * 1.1, "new_clients": 15 * 1.1, "results": 66, "attitude": 14,
                             "conduct": 14, "ability_score": 13, "ability": 13, "knowledge_score": 9,
                             "knowledge": 9}, 102.0, "优秀", 2000 * 1.02 * 1.2)
    # W02 李芳 A1: 240,000/200,000 = 120% → 54; 10/8 = 125% → capped 120% → 18;
    #   total 54 + 18 + 14 + 14 + 9 = 109;  bonus 2,000 × 1.09 × 1.0 = 2,180
    assert_person(r, "W02", {"sales": 54, "new_clients": 18, "attitude": 14, "ability_score": 14,
                             "knowledge_score": 9}, 109.0, "优秀", 2180.0)
    # W03 张娜 B2: 200,000/400,000 = 50% → 22.5; 6/12 → 7.5; total 22.5 + 7.5 + 10 + 9 + 6 = 55
    #   不合格 (no curve floor in the seed: the bonus follows the score) 2,500 × 0.55 × 1.5 = 2,062.5
    assert_person(r, "W03", {"sales": 22.5, "new_clients": 7.5, "attitude": 10, "ability_score": 9,
                             "knowledge_score": 6}, 55.0, "不合格", 2062.5)
    # W04 刘敏 业务推广专员: 50,000/100,000 → 22.5; 2/5 = 40% → 6; total 22.5 + 6 + 9 + 8 + 5 = 50.5
    #   bonus 1,500 × 0.505 × 0.6 = 454.5
    assert_person(r, "W04", {"sales": 22.5, "new_clients": 6, "attitude": 9, "ability_score": 8,
                             "knowledge_score": 5}, 50.5, "不合格", 454.5)
    # W05 陈静 D4: exactly on target → 45 + 15, full marks elsewhere: 100; 3,000 × 1.0 × 2.5 = 7,500
    assert_person(r, "W05", {"sales": 45, "new_clients": 15, "attitude": 15, "ability_score": 15,
                             "knowledge_score": 10}, 100.0, "优秀", 7500.0)

    # The ladder, over the years (年度评级 and 年度销售额 = the year's months summed).
    scheme = kpixl.load_scheme(SCHEMES / "wealth_ladder.yaml")
    roster = pd.read_csv(SCHEMES / "wealth_ladder.roster.csv", dtype={"employee_id": str})
    rows = annual([("W01", "2025", "优秀", 3100000), ("W01", "2026", "优秀", 2800000),
                   ("W02", "2025", "优秀", 1500000), ("W02", "2026", "优秀", 2400000),
                   ("W03", "2025", "不合格", 2000000), ("W03", "2026", "不合格", 2100000),
                   ("W04", "2024", "不合格", 400000), ("W04", "2025", "合格", 600000),
                   ("W04", "2026", "不合格", 500000),
                   ("W05", "2025", "优秀", 12000000), ("W05", "2026", "优秀", 12500000)], ["rating", "年度销售额"])
    got = kpixl.history.level_proposals(scheme.levels, rows, roster, "2026").set_index("employee_id")
    assert got[["proposed", "move"]].apply(tuple, axis=1).to_dict() == {
        "W01": ("A3", "keep"),          # 优秀 twice: 快速晋升 A3→B2 passes B1, and 2,800,000 < B1's 3,000,000
        "W02": ("A3", "promote"),       # 2025、2026 优秀 → 快速晋升 two steps A1 → A3
        "W03": ("B1", "demote"),        # 2025、2026 不合格 → one step down B2 → B1
        "W04": ("业务推广专员", "keep"),  # 2024 and 2026 不合格, 2025 合格: not two in a row
        "W05": ("D4", "keep"),          # 优秀 at the top of the ladder
    }
    assert got.loc["W01", "reason"] == "2025、2026年度均为优秀，但年度销售额 2,800,000 未达 B1 门槛 3,000,000，暂不晋升"
    assert got.loc["W02", "reason"] == "2025、2026年度均为优秀 → 连续两年优秀(快速晋升)，建议晋升 A1→A3"
    # Three 不合格 years in a row are a flag for review, never a dismissal.
    three = pd.concat([rows, annual([("W03", "2024", "不合格", 1800000)], ["rating", "年度销售额"])])
    assert kpixl.history.level_proposals(scheme.levels, three, roster, "2026").set_index("employee_id").loc[
        "W03", ["proposed", "move"]].tolist() == ["B2", "review"]


NIGHT_MONTHS = [  # Sep and Oct; November is the template's example inputs
    # id, period, total, rating, sales, 业绩目标, 团队协作, 满意度, 投诉
    ("N01", "2026-09", 92, "优秀", 100000, 100000, 18, 0.96, 0),
    ("N01", "2026-10", 95, "优秀", 110000, 100000, 19, 0.97, 0),
    ("N02", "2026-09", 84, "良好", 95000, 100000, 17, 0.95, 0),
    ("N02", "2026-10", 82, "良好", 92000, 100000, 16, 0.96, 0),
    ("N03", "2026-09", 88, "良好", 130000, 120000, 10, 0.90, 1),
    ("N03", "2026-10", 70, "合格", 100000, 120000, 11, 0.88, 0),
    ("N04", "2026-09", 85, "良好", 80000, 80000, 16, 0.93, 0),
    ("N04", "2026-10", 86, "良好", 82000, 80000, 17, 0.94, 0),
    ("N05", "2026-09", 96, "优秀", 120000, 100000, 19, 0.92, 0),
    ("N05", "2026-10", 93, "优秀", 105000, 100000, 18, 0.90, 0),
]


def night_history() -> pd.DataFrame:
    """Three months of 夜场 results: Sep and Oct as typed above, November scored from the template."""
    nov = scored("night_rewards").reset_index()
    inp = pd.read_csv(SCHEMES / "night_rewards.inputs.csv", dtype={"employee_id": str})
    roster = pd.read_csv(SCHEMES / "night_rewards.roster.csv", dtype={"employee_id": str})
    nov = nov[["employee_id", "total", "rating", "teamwork"]].merge(inp).merge(roster[["employee_id", "业绩目标"]])
    cols = ["employee_id", "period", "total", "rating", "sales", "sales.target", "score:teamwork", "satisfaction",
            "complaints.count"]
    nov = pd.DataFrame({"employee_id": nov["employee_id"], "period": "2026-11", "total": nov["total"],
                        "rating": nov["rating"], "sales": nov["sales"], "sales.target": nov["业绩目标"],
                        "score:teamwork": nov["teamwork"], "satisfaction": nov["satisfaction"],
                        "complaints.count": nov["complaints.count"]})
    rows = pd.concat([pd.DataFrame(NIGHT_MONTHS, columns=cols), nov], ignore_index=True)
    return rows.assign(**{"satisfaction.target": 0.95})


def test_night_rewards_card_history_and_pay():
    r = scored("night_rewards")
    # 业绩 60 × min(实际/目标, 1.2); 满意度 20 × min(评分/95%, 1); 团队协作 as typed; 投诉 0 points.
    # N01 王伟: 125,000/100,000 → capped 120% → 72; 0.98/0.95 → capped → 20; 19 → 111 优秀
    assert_person(r, "N01", {"sales": 72, "satisfaction": 20, "teamwork": 19, "complaints": 0, "monthly": 111},
                  111.0, "优秀")
    # N02 李芳: 90% → 54; 0.95/0.95 = 100% → 20; 17 → 91 优秀
    assert_person(r, "N02", {"sales": 54, "satisfaction": 20, "teamwork": 17, "complaints": 0}, 91.0, "优秀")
    # N03 张娜: 60,000/120,000 = 50% → 30; 0.855/0.95 = 90% → 18; 12 → 60 合格 (60 is 合格's floor)
    assert_person(r, "N03", {"sales": 30, "satisfaction": 18, "teamwork": 12, "complaints": 0}, 60.0, "合格")
    # N04 刘敏: 80,000/80,000 → 60; 0.9975/0.95 = 105% → 20; 18 → 98 优秀
    assert_person(r, "N04", {"sales": 60, "satisfaction": 20, "teamwork": 18, "complaints": 0}, 98.0, "优秀")
    # N05 陈静: 130% → 72; 0.9025/0.95 = 95% → 19; 16 → 107 优秀
    assert_person(r, "N05", {"sales": 72, "satisfaction": 19, "teamwork": 16, "complaints": 0}, 107.0, "优秀")

    scheme = kpixl.load_scheme(SCHEMES / "night_rewards.yaml")
    roster = pd.read_csv(SCHEMES / "night_rewards.roster.csv", dtype={"employee_id": str})
    rows = night_history()
    nov = kpixl.history.period_rules(scheme.history, rows, "2026-11", roster=roster).set_index("employee_id")
    # 团队协作 ranks (competition ranking over the five):
    #   Sep 陈静19 王伟18 李芳17 刘敏16 张娜10; Oct 王伟19 陈静18 刘敏17 李芳16 张娜11;
    #   Nov 王伟19 刘敏18 李芳17 陈静16 张娜12 → 王伟 2,1,1 (前三 three months); 张娜 last three months.
    # N01: 125% → +5% + 2 × 2% = +9%; 满意度 .96/.97/.98 ≥ 95% three months → 奖励1000元; 前三 → 奖励500元.
    assert nov.loc["N01", "salary_change"] == pytest.approx(0.09)
    assert nov.loc["N01", "history.actions"] == "奖励1000元；奖励500元"
    # N02: 95%, 92%, 90% → 连续三个月未完成 −10% (supersedes 两个月 −5%), 岗位调整; first complaint → 警告;
    #   满意度 .95/.96/.95: 95% itself is 达到95%以上 → 奖励1000元 too.
    assert nov.loc["N02", "salary_change"] == pytest.approx(-0.10)
    assert nov.loc["N02", "history.actions"] == "奖励1000元；岗位调整；警告"
    # N03: Sep 130,000/120,000 met, Oct 83%, Nov 50% → 连续两个月 −5%; complaints 1 + 0 + 2 = 3 in 2026
    #   → 累计三次 −10% 岗位培训; 团队协作 last three months −3%: −5 − 10 − 3 = −18%.
    assert nov.loc["N03", "salary_change"] == pytest.approx(-0.18)
    # N04: 100% → +5%; joined 2023-11-30 → 3 whole years at 2026-11-30, 优秀 → the loyalty award, once.
    assert nov.loc["N04", "salary_change"] == pytest.approx(0.05) and nov.loc["N04", "history.loyalty"]
    # N05: 130% → +5% + 3 × 2% = +11% (3 whole steps: 0.3/0.1 read as its decimal); joined 2019 and
    #   优秀 in September → its loyalty award was September's, not November's.
    assert nov.loc["N05", "salary_change"] == pytest.approx(0.11) and not nov.loc["N05", "history.loyalty"]
    sep = kpixl.history.period_rules(scheme.history, rows, "2026-09", roster=roster).set_index("employee_id")
    assert sep["history.loyalty"].to_dict() == {"N01": True, "N02": False, "N03": False, "N04": False, "N05": True}
    # 年度客户满意度评分最高者 is judged in December on the year's mean (December repeating November here):
    #   王伟 (.96 + .97 + .98 + .98)/4 = .9725, 刘敏 (.93 + .94 + .9975 + .9975)/4 = .96625,
    #   李芳 .9525, 陈静 .90625, 张娜 .8725 → 王伟 alone; never before December.
    dec = pd.concat([rows, rows[rows["period"].eq("2026-11")].assign(period="2026-12")], ignore_index=True)
    best = kpixl.history.period_rules(scheme.history, dec, "2026-12", roster=roster).set_index("employee_id")
    assert best["history.best_satisfaction"].to_dict() == {"N01": True, "N02": False, "N03": False, "N04": False,
                                                           "N05": False}
    assert not nov["history.best_satisfaction"].any()

    # The pay of November: 基本工资 + 奖罚 (signed % × 基本工资) + 迟到早退 (−2%/次) + 工作失误 (typed
    # 5–20%) + the fixed awards, each read from its history rule's flag (history: satisfied3,
    # team_top3, loyalty) + 创新提案 (typed by finance).
    flags = ["salary_change", "history.satisfied3", "history.team_top3", "history.loyalty"]
    figures = roster.assign(**{c: nov.loc[roster["employee_id"], c].to_numpy() for c in flags},
                            **{"工作失误比例": [None, None, 0.10, None, None], "创新提案": [0, 0, 0, 0, 1]})
    # The flags as the rules fired in November: 满意度 N01 N02; 前三 N01; 忠诚 N04 (N05's was September's).
    assert figures["history.satisfied3"].tolist() == [True, True, False, False, False]
    assert figures["history.team_top3"].tolist() == [True, False, False, False, False]
    assert figures["history.loyalty"].tolist() == [False, False, False, True, False]
    pay = kpixl.pay.compute_pay(scheme.pay, figures).set_index("employee_id")
    assert pay["pay.satisfaction_award"].tolist() == [1000, 1000, 0, 0, 0]
    assert pay["pay.team_award"].tolist() == [500, 0, 0, 0, 0]
    assert pay["pay.loyalty"].tolist() == [0, 0, 0, 5000, 0]
    # N01: 4,000 + 9% × 4,000 = 360 + 1,000 + 500 = 5,860
    assert pay.loc["N01", ["pay.base", "pay.rewards", "pay.satisfaction_award", "pay.team_award"]].tolist() == \
        [4000, 360, 1000, 500]
    assert pay.loc["N01", "pay.total"] == 4000 + 360 + 1000 + 500 == 5860
    # N02: 3,500 − 10% × 3,500 = −350; 迟到 1 次 −2% × 3,500 = −70; 满意度奖 1,000 → 4,080
    assert pay.loc["N02", "pay.total"] == 3500 - 350 - 70 + 1000 == 4080
    # N03: 3,800 − 18% × 3,800 = −684; 迟到 3 次 −2% × 3,800 × 3 = −228; 工作失误 10% −380 → 2,508
    assert pay.loc["N03", ["pay.rewards", "pay.late", "pay.mistake"]].tolist() == [-684, -228, -380]
    assert pay.loc["N03", "pay.total"] == 3800 - 684 - 228 - 380 == 2508
    # N04: 3,000 + 5% 150 + 忠诚奖金 5,000 = 8,150;  N05: 4,200 + 11% 462 + 创新提案 1,000 = 5,662
    assert pay.loc["N04", "pay.total"] == 3000 + 150 + 5000 == 8150
    assert pay.loc["N05", "pay.total"] == 4200 + 462 + 1000 == 5662


def test_cm_grade_review_card_and_level_proposals():
    r = scored("cm_grade_review")
    # 销售额 40 × min(实际/目标, 1.2); 客户开发 20 × min(实际/目标, 1.2); 满意度 20 × min(占比/90%, 1);
    # 投诉率 ≤1% 10, ≤3% 5, else 0; 重点客户 5 each, at most 10.
    # G01 王伟: 6,000,000/5,000,000 = 120% → 48; 24/20 = 120% → 24; .95 → 20; 0.5% → 10; 2 → 10: 112
    assert_person(r, "G01", {"sales": 48, "new_clients": 24, "satisfaction": 20, "complaint_rate": 10,
                             "key_clients": 10, "performance": 112}, 112.0, "优秀")
    # G02 李芳: 2,400,000/2,000,000 → 48; 12/12 → 20; .9 → 20; 2% → 5; 1 → 5: 98
    assert_person(r, "G02", {"sales": 48, "new_clients": 20, "satisfaction": 20, "complaint_rate": 5,
                             "key_clients": 5}, 98.0, "优秀")
    # G03 张娜: 1,500,000/3,000,000 = 50% → 20; 6/15 = 40% → 8; .72/.9 = 80% → 16; 5% → 0; 0: 44 不合格
    assert_person(r, "G03", {"sales": 20, "new_clients": 8, "satisfaction": 16, "complaint_rate": 0,
                             "key_clients": 0}, 44.0, "不合格")
    # G04 刘敏: on target → 40 + 20; .9 → 20; 1% (the edge) → 10; 0: 90 优秀 (90 is 优秀's floor)
    assert_person(r, "G04", {"sales": 40, "new_clients": 20, "satisfaction": 20, "complaint_rate": 10,
                             "key_clients": 0}, 90.0, "优秀")
    # G05 陈静: 7,200,000/6,000,000 → 48; 30/25 → 24; .99 → 20; 0 → 10; 3 → 15 capped 10: 112
    assert_person(r, "G05", {"sales": 48, "new_clients": 24, "satisfaction": 20, "complaint_rate": 10,
                             "key_clients": 10}, 112.0, "优秀")

    scheme = kpixl.load_scheme(SCHEMES / "cm_grade_review.yaml")
    roster = pd.read_csv(SCHEMES / "cm_grade_review.roster.csv", dtype={"employee_id": str})
    inp = pd.read_csv(SCHEMES / "cm_grade_review.inputs.csv", dtype={"employee_id": str})
    y2026 = r.reset_index()[["employee_id", "total", "rating"]].merge(inp[["employee_id", "sales", "complaint_rate"]])
    rows = pd.concat([annual([("G01", "2025", 88, "良好", 5500000, 0.01), ("G02", "2025", 80, "良好", 2000000, 0.02),
                              ("G03", "2024", 65, "合格", 2000000, 0.03), ("G03", "2025", 52, "不合格", 1400000, 0.04),
                              ("G04", "2025", 70, "合格", 1300000, 0.01), ("G05", "2024", 93, "优秀", 6500000, 0),
                              ("G05", "2025", 95, "优秀", 7000000, 0)],
                             ["total", "rating", "sales", "complaint_rate"]),
                      y2026.assign(period="2026")], ignore_index=True)
    got = kpixl.history.level_proposals(scheme.levels, rows, roster, "2026").set_index("employee_id")
    # 2026's sales: 6.0 + 2.4 + 1.5 + 1.5 + 7.2 = 18.6 million.
    assert rows.loc[rows["period"].eq("2026"), "sales"].sum() == 18600000
    assert got[["proposed", "move"]].apply(tuple, axis=1).to_dict() == {
        # 优秀; 高级: joined 2016-04-01 → 10 years ≥ 6; 6,000,000 ≥ 5,000,000; 6.0/18.6 = 32.3% ≥ 15%
        "G01": ("高级", "promote"),
        # 优秀; 中级: 2022-07-01 → 4 years ≥ 3; 2,400,000 ≥ 2,000,000; 2.4/2.0 − 1 = 20% ≥ 10%;
        #   投诉率 2% ≤ 2% (低于 read as at most)
        "G02": ("中级", "promote"),
        "G03": ("初级", "demote"),   # 2025、2026 不合格 → 连续两年业绩不达标
        "G04": ("初级", "keep"),     # 优秀, but 2 years < 3 and 1,500,000 < 2,000,000
        "G05": ("高级", "keep"),     # at the top
    }
    assert got.loc["G04", "reason"] == ("2026年度优秀，但从业年限 2 未达 中级 门槛 3；年度业务销售额 1,500,000 "
                                        "未达 中级 门槛 2,000,000，暂不晋升")
    # The penalties over the years: 首次不达标 is G03's 2025 (warned once, not again in 2026); three
    # 优秀 years (G05 2024–2026) → 额外福利 for review; G02's growth is exactly 20%, not above it.
    y25 = kpixl.history.period_rules(scheme.history, rows, "2025", roster=roster).set_index("employee_id")
    y26 = kpixl.history.period_rules(scheme.history, rows, "2026", roster=roster).set_index("employee_id")
    assert y25.loc["G03", "history.actions"] == "警告并要求制定改进计划" and not y26.loc["G03", "history.first_miss"]
    assert y26.loc["G05", "history.reasons"] == "连续三年业绩优秀(2024 优秀, 2025 优秀, 2026 优秀)"
    assert not y26["history.growth"].any()


def test_cs_pay_card_and_pay_lines():
    r = scored("cs_pay")
    # 满意度 40 × min(评分/95%, 1); 问题解决 30 and 团队合作 30 as typed.
    # Bonus: 月度绩效奖金 × 总分/100, none below 60.
    # P01 王伟: .98 → capped → 40; 27 + 28 → 95 优秀; 2,000 × 0.95 = 1,900
    assert_person(r, "P01", {"satisfaction": 40, "resolution": 27, "teamwork": 28, "performance": 95},
                  95.0, "优秀", 1900.0)
    # P02 李芳: .9025/.95 = 95% → 38; 24 + 25 → 87 良好; 2,000 × 0.87 = 1,740
    assert_person(r, "P02", {"satisfaction": 38, "resolution": 24, "teamwork": 25}, 87.0, "良好", 1740.0)
    # P03 张娜: .76/.95 = 80% → 32; 12 + 14 → 58 < 60 → no bonus
    assert_person(r, "P03", {"satisfaction": 32, "resolution": 12, "teamwork": 14}, 58.0, "不合格", 0.0)
    # P04 刘敏: .95 → 40; 20 + 22 → 82; 1,500 × 0.82 = 1,230
    assert_person(r, "P04", {"satisfaction": 40, "resolution": 20, "teamwork": 22}, 82.0, "良好", 1230.0)
    # P05 陈静: .855/.95 = 90% → 36; 28 + 29 → 93; 1,800 × 0.93 = 1,674
    assert_person(r, "P05", {"satisfaction": 36, "resolution": 28, "teamwork": 29}, 93.0, "优秀", 1674.0)

    scheme = kpixl.load_scheme(SCHEMES / "cs_pay.yaml")
    roster = pd.read_csv(SCHEMES / "cs_pay.roster.csv", dtype={"employee_id": str})
    pay = kpixl.pay.compute_pay(scheme.pay, roster.assign(bonus=r.loc[roster["employee_id"], "bonus"].to_numpy()))
    pay = pay.set_index("employee_id")
    lines = ["pay.base", "pay.seniority", "pay.title", "pay.perf", "pay.commission"]
    # P01: 3,000; 4 年 → ≥3: 300; 中级 300; 1,900; 150,000 累进 1% × 100,000 + 2% × 50,000 = 2,000
    assert pay.loc["P01", lines].tolist() == [3000, 300, 300, 1900, 2000]
    assert pay.loc["P01", "pay.total"] == 3000 + 300 + 300 + 1900 + 2000 == 7500
    # P02: 3,500; 6 年 → ≥5: 600; 高级 800; 1,740; 1% × 80,000 = 800
    assert pay.loc["P02", "pay.total"] == 3500 + 600 + 800 + 1740 + 800 == 7440
    # P03: 2,800; 1 年 → 0; 初级 0; no bonus; no 业务量
    assert pay.loc["P03", lines].tolist() == [2800, 0, 0, 0, 0] and pay.loc["P03", "pay.total"] == 2800
    # P04: 3,200; exactly 3 年 → 300; 中级 300; 1,230; exactly 100,000 → 1,000 (upto is inclusive)
    assert pay.loc["P04", "pay.total"] == 3200 + 300 + 300 + 1230 + 1000 == 6030
    # P05: 4,000; 12 年 → ≥10: 1,000; 高级 800; 1,674; 260,000 → 1,000 + 2% × 160,000 = 4,200
    assert pay.loc["P05", "pay.commission"] == 1000 + 3200
    assert pay.loc["P05", "pay.total"] == 4000 + 1000 + 800 + 1674 + 4200 == 11674


# ---- the examples are executed ------------------------------------------------------------


def test_every_seed_system_has_an_example():
    assert set(SEED_SYSTEMS) <= set(example_names())


@pytest.mark.parametrize("name", example_names())
def test_example_validates_and_scores(name):
    yml, inp, ros = files(name)
    assert inp.is_file() and ros.is_file(), f"{name}: needs {inp.name} and {ros.name} beside it"
    scheme = kpixl.load_scheme(yml)
    # Lossless round trips (YAML and JSON).
    assert scheme_from_dict(yaml.safe_load(kpixl.dump_yaml(scheme))) == scheme
    assert scheme_from_dict(json.loads(kpixl.dump_json(scheme))) == scheme
    got = kpixl.evaluate(scheme, inp, ros)
    assert got.problems == []
    res = got.results
    assert len(res) == len(pd.read_csv(inp)) and res["total"].notna().all()
    # Everyone scored is on the roster.
    assert set(res["employee_id"]) <= set(pd.read_csv(ros, dtype=str)["employee_id"])


@pytest.mark.parametrize("name", example_names())
def test_example_quotes_the_seed(name):
    # Every item has the seed's wording in a YAML comment right above it.
    lines = files(name)[0].read_text(encoding="utf-8").splitlines()
    scheme = kpixl.load_scheme(files(name)[0])
    for _, item in scheme.items():
        at = next(k for k, ln in enumerate(lines) if re.fullmatch(rf"\s*- id: {item.id}", ln))
        assert lines[at - 1].lstrip().startswith("#"), f"{name}: item {item.id} has no seed quote above it"


def test_readme_lists_every_example():
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^- `schemes/(\w+)\.yaml` — \S", text, flags=re.M)
    assert sorted(listed) == example_names(), "README: list every example once, one line each"
    assert "## Limits" in text


@pytest.mark.engine
def test_example_workbooks_agree_in_libreoffice(tmp_path):
    """Each example's live results workbook, recalculated by LibreOffice, equals the engine."""
    failures = []
    for name in example_names():
        yml, inp, ros = files(name)
        scheme = kpixl.load_scheme(yml)
        results = kpixl.score(scheme, inp, roster=ros)
        prepared = prepare(scheme, inp, ros)
        path = tmp_path / f"{name}.xlsx"
        write_workbook(prepared, path)
        v = verify_workbook(path, results, scheme)
        if not v.ok or v.compared < len(results) * 3:
            failures.append(f"{name}: {v.summary()}")
    assert not failures, "\n".join(failures)
