"""Every figure as the seed means it: hand-worked cases, the arithmetic written out.

Each case goes through ``kpixl.score`` (the engine) and through the generated formulas
recalculated by LibreOffice (``kpixl score --out x.xlsx`` then a recalculation), so both
renderings are held to the seed's own arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import kpixl
from kpixl import libreoffice
from kpixl.engine.score import prepare
from kpixl.results.scored import write_workbook
from kpixl.scheme.validate import scheme_from_dict


def scheme(items: list[dict], **extra) -> kpixl.Scheme:
    return scheme_from_dict({"id": "fidelity", "name": "逐项核对", "version": 1, "period": "month",
                             "sections": [{"id": "main", "name": "考核", "items": items}], **extra})


def recalculated(s: kpixl.Scheme, inputs: pd.DataFrame, tmp_path: Path, roster: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """The scored workbook's results as LibreOffice recalculates them (row 1 keys, people from row 3)."""
    path = tmp_path / "scored.xlsx"
    write_workbook(prepare(s, inputs, roster), path)
    out = libreoffice.recalculate([path], tmp_path / "calc")[0]
    ws = openpyxl.load_workbook(out, data_only=True)["Results"]
    rows = list(ws.iter_rows(values_only=True))
    keys = [str(k) for k in rows[0]]
    return pd.DataFrame([r for r in rows[2:] if r[0] is not None], columns=keys)


# ---- bonus.floor --------------------------------------------------------------------------


ADJUST = {"id": "adj", "name": "临时重要工作加扣分", "points": 10, "rule": {"type": "adjust", "min": -200, "max": 100}}
PLAIN_BONUS = {"base": 3000, "curve": [{"factor": "score"}]}  # 当月绩效奖金 = 分数/100 × 基数


@pytest.mark.engine
def test_a_bonus_is_never_below_zero_unless_the_scheme_says_so(tmp_path):
    inputs = pd.DataFrame({"employee_id": ["E1", "E2"], "adj": [-100, 50], "adj.reason": ["差错", "专项"]})
    got = kpixl.score(scheme([ADJUST], bonus=PLAIN_BONUS), inputs).set_index("employee_id")
    # E1: total −100 → −100/100 × 3,000 = −3,000 → floored at 0 (money taken belongs to pay).
    # E2: total 50 → 50/100 × 3,000 = 1,500.
    assert got.loc["E1", "total"] == -100 and got.loc["E1", "bonus"] == 0
    assert got.loc["E2", "bonus"] == 1500
    floored = scheme([ADJUST], bonus={**PLAIN_BONUS, "floor": -5000})
    got = kpixl.score(floored, inputs).set_index("employee_id")
    assert got.loc["E1", "bonus"] == -3000  # the scheme allows down to −5,000
    # The same in the workbook's formulas, recalculated.
    calc = recalculated(floored, inputs, tmp_path).set_index("employee_id")
    assert calc.loc["E1", "bonus"] == -3000 and calc.loc["E2", "bonus"] == 1500
    calc = recalculated(scheme([ADJUST], bonus=PLAIN_BONUS), inputs, tmp_path / "zero").set_index("employee_id")
    assert calc.loc["E1", "bonus"] == 0


# ---- a rater of weight 0 ----------------------------------------------------------------------


@pytest.mark.engine
def test_a_self_rating_of_weight_zero_is_recorded_not_counted(tmp_path):
    # 客服经理月度考核: a 自评 column the seed records without a weight; 上级评 counts fully.
    item = {"id": "service", "name": "服务质量", "points": 20, "rule": {"type": "manual"},
            "raters": {"self": 0, "manager": 1}}
    s = scheme([item])
    inputs = pd.DataFrame({"employee_id": ["E1", "E2"], "service@self": [19, None], "service@manager": [15, 12]})
    got = kpixl.score(s, inputs).set_index("employee_id")
    # E1: 0 × 19 + 1 × 15 = 15; E2: no self-rating (optional) → 1 × 12 = 12.
    assert got.loc["E1", "total"] == 15 and got.loc["E2", "total"] == 12
    calc = recalculated(s, inputs, tmp_path).set_index("employee_id")
    assert calc.loc["E1", "total"] == 15 and calc.loc["E2", "total"] == 12
    # The self-rating is kept on the results sheet, as typed.
    assert calc.loc["E1", "service@self"] == 19


def test_weights_must_still_sum_to_one_and_not_be_negative():
    item = {"id": "q", "name": "质量", "points": 10, "rule": {"type": "manual"}, "raters": {"self": -0.1, "manager": 1.1}}
    with pytest.raises(kpixl.InputError) as e:
        scheme([item])
    assert {p.code for p in e.value.problems} == {"weight_range"}


# ---- exact proportional scores -----------------------------------------------------------------


DEDUCT = Path(__file__).resolve().parents[1] / "examples" / "schemes" / "cm_month_deduct.yaml"


@pytest.mark.engine
def test_a_ratio_multiplies_the_exact_achievement(tmp_path):
    # 客户经理月份考核评分表: 销售量 target 635,283, actual 386,530, 80 points:
    #   80 × 386,530 / 635,283 = 48.674999963… (rounding the achievement to 9 places first,
    #   0.608437500, gave 48.675 and a total of 68.68);
    #   重点品牌 20/20 → 20; total 68.674999963… → ROUND(…, 2) = 68.67, as =A/T*80 + 20 gives.
    s = kpixl.load_scheme(DEDUCT)
    roster = pd.DataFrame({"employee_id": ["D01"], "销售量任务": [635283], "重点品牌销量任务": [20]})
    inputs = pd.DataFrame({"employee_id": ["D01"], "sales_volume": [386530], "key_brand": [20]})
    got = kpixl.score(s, inputs, roster)
    assert abs(got["sales_volume"].iloc[0] - 80 * 386530 / 635283) < 1e-12
    assert got["total"].iloc[0] == 68.67
    assert recalculated(s, inputs, tmp_path, roster)["total"].iloc[0] == 68.67


@pytest.mark.engine
def test_linear_steps_are_proportional_whole_steps_compare_the_decimal(tmp_path):
    # 准确率 threshold 95%, 少1个百分点扣0.5分 (linear): actual 0.9349999999 of 1 →
    #   1.5000000010 steps → 10 − 0.75000000005 = 9.24999999995 → ROUND(…, 2) = 9.25;
    # whole steps (floor) on the decimal value: 0.935 → 1.5 steps → 1 → 9.5.
    linear = {"id": "acc", "name": "准确率", "points": 10, "target": 1,
              "rule": {"type": "step", "threshold": 0.95, "stepping": "linear", "below": {"every": 0.01, "points": 0.5}}}
    floor = {**linear, "id": "acc2", "rule": {**linear["rule"], "stepping": "floor"}}
    s = scheme([linear, floor])
    inputs = pd.DataFrame({"employee_id": ["E1"], "acc": [0.9349999999], "acc2": [0.9349999999]})
    got = kpixl.score(s, inputs)
    assert abs(got["acc"].iloc[0] - (10 - 0.5 * (0.95 - 0.9349999999) / 0.01)) < 1e-9
    assert got["acc2"].iloc[0] == 9.5
    calc = recalculated(s, inputs, tmp_path)
    assert abs(calc["score:acc"].iloc[0] - got["acc"].iloc[0]) < 1e-9 and calc["score:acc2"].iloc[0] == 9.5


# ---- beyond: cap | error ---------------------------------------------------------------------


@pytest.mark.engine
def test_a_deduction_beyond_its_limit_stops_there_when_the_seed_says_so(tmp_path):
    # 一、周期走访客户 扣分上限30: seven missed visits at 5 each, typed as −35 → counts as −30.
    #   销售量 100/100 × 80 = 80, 重点品牌 20/20 × 20 = 20 → 100 − 30 = 70.
    s = kpixl.load_scheme(DEDUCT)
    roster = pd.DataFrame({"employee_id": ["D01"], "销售量任务": [100], "重点品牌销量任务": [20]})
    inputs = pd.DataFrame({"employee_id": ["D01"], "sales_volume": [100], "key_brand": [20],
                           "visits": [-35], "visits.reason": ["漏访客户7户"]})
    got = kpixl.score(s, inputs, roster)
    assert got["visits"].iloc[0] == -30 and got["total"].iloc[0] == 70
    notes = got.attrs["notes"]
    assert [(n.code, n.column, n.value) for n in notes] == [("capped", "visits", -35)]
    assert "扣分超过上限30, 按上限计" in notes[0].message
    assert recalculated(s, inputs, tmp_path, roster)["total"].iloc[0] == 70


def test_beyond_is_an_error_by_default_so_a_typo_is_caught():
    # 迟到扣1分/次, 扣分上限5 — 70 typed for 7: Σ = −70 is beyond −5: refused, with the cell.
    item = {"id": "late", "name": "迟到", "points": 5, "rule": {
        "type": "count", "base": "full", "allow_negative": True, "limit": {"min": -5},
        "counters": [{"id": "n", "name": "迟到次数", "per": -1}]}}
    inputs = pd.DataFrame({"employee_id": ["E1", "E2"], "late.n": [70, 3]})
    with pytest.raises(kpixl.InputError) as e:
        kpixl.score(scheme([item]), inputs)
    assert [(p.code, p.where, p.employee) for p in e.value.problems] == [("beyond_limit", "inputs[0].late.n", "E1")]
    # The same line with beyond: cap counts −5 (5 − 5 = 0) and says so; E2: 5 − 3 = 2.
    capped = {**item, "rule": {**item["rule"], "beyond": "cap"}}
    got = kpixl.score(scheme([capped]), inputs)
    assert got["late"].tolist() == [0, 2] and [n.code for n in got.attrs["notes"]] == ["capped"]


# ---- N/A → average: one story on every sheet ---------------------------------------------------

TOBACCO = Path(__file__).resolve().parents[1] / "workbooks" / "tobacco.xlsx"
TOBACCO_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "schemes" / "tobacco"


def test_the_card_shows_an_averaged_item_as_waiting_and_its_totals_as_provisional(tmp_path):
    from kpixl.card.generate import generate_workbook

    out = tmp_path / "t.xlsx"
    generate_workbook(TOBACCO, str(TOBACCO_EXAMPLE) + ".roster.csv", "2026-11", out,
                      inputs=str(TOBACCO_EXAMPLE) + ".inputs.csv")
    wb = openpyxl.load_workbook(out)
    ws = wb["马骏-T01"]  # 千条零售户 marked 不适用 in the example inputs
    shown = {(str(r.sqref), rule.dxf.numFmt.formatCode if rule.dxf and rule.dxf.numFmt else None, rule.formula[0])
             for r in ws.conditional_formatting for rule in r.rules}
    waiting = [s for s in shown if s[1] == '"待汇总"']
    provisional = [s for s in shown if s[1] and "暂计" in s[1]]
    # The three averaged items (千条零售户, 弱势群体, 空白村) each show 待汇总 while their own
    # 不适用 cell says yes; their section and the total show 暂计 while any of them does —
    # never a final-looking 0.
    assert len(waiting) == 3 and all(cond.startswith("OR(G") and cond.count("=") == 3 for _, _, cond in waiting)
    assert len(provisional) >= 2 and len({cond for _, _, cond in provisional}) == 1
    assert all(cond in provisional[0][2] for _, _, cond in waiting)
    note = next(c.comment.text for row in ws.iter_rows() for c in row if c.comment and "待汇总" in c.comment.text)
    assert "汇总时按同组有此项人员的平均分计" in note


def test_nobody_to_average_is_said_and_scores_zero():
    # 千条户 with na: average by 组: A has 王 (8) and 李 (N/A → 8); B has only 赵, N/A →
    # no one to average: 0, with a note at 赵's N/A cell.
    item = {"id": "qt", "name": "千条户", "points": 10, "rule": {"type": "manual"}, "na": "average", "na_group": "组"}
    roster = pd.DataFrame({"employee_id": ["1", "2", "3"], "组": ["A", "A", "B"]})
    inputs = pd.DataFrame({"employee_id": ["1", "2", "3"], "qt": [8, None, None], "qt.na": [None, "是", "是"]})
    got = kpixl.score(scheme([item]), inputs, roster)
    assert got["qt"].tolist() == [8, 8, 0]
    assert [(n.code, n.employee, n.column) for n in got.attrs["notes"]] == [("na_average_empty", "3", "qt.na")]


def test_collect_does_not_call_an_averaged_figure_a_difference():
    from kpixl.master.collect.check import averaged_later

    item = {"id": "qt", "name": "千条户", "points": 10, "rule": {"type": "manual"}, "na": "average"}
    other = {"id": "b", "name": "b", "points": 5, "rule": {"type": "binary"}}
    s = scheme([item, other])
    prepared = prepare(s, pd.DataFrame({"employee_id": ["1", "2"], "qt": [8, None], "qt.na": [None, "是"],
                                        "b": ["是", "否"]}))
    # Person 2's card shows 待汇总 (0) and a provisional total: the master's group average
    # differs from it by design, so qt, its section and the total are not compared; b is.
    assert averaged_later(s, prepared) == [set(), {"qt", "main", "total"}]
