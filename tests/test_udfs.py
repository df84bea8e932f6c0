"""The KPI_* worksheet functions, called the way Excel calls them.

Every call goes through xlwings' own Windows UDF layer (``xlwings.udfs.call_udf`` with
pywin32 stubbed, :mod:`tests.xlwings_stub`): the metadata the real ``@xw.func`` /
``@xw.arg`` record, xlwings' argument conversion of Excel-shaped values (3.0 for 3,
None for an empty cell, tuples of tuples for ranges, the VBA "missing" marker for an
omitted optional) and its conversion of the result. Each result is compared with the
engine's on the same inputs — :func:`kpixl.score` on a one-item scheme, or
:mod:`kpixl.rating` / :mod:`kpixl.bonus` directly — and with hand-worked seed examples.
"""

from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpixl
from kpixl import rating as rating_mod
from kpixl.bonus import bonus_amounts
from kpixl.scheme import scheme_from_dict
from kpixl.scheme.models import Bonus, Distribution
from kpixl.scheme.sheet.book import write_scheme_sheet

sys.path.insert(0, str(Path(__file__).parent))
from xlwings_stub import MISSING, excel_call, windows_udf_layer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["KPI_RATIO", "KPI_TIER", "KPI_STEP", "KPI_COUNT", "KPI_RUBRIC", "KPI_RATERS", "KPI_WEIGHTED",
         "KPI_TOTAL", "KPI_RATING", "KPI_DISTRIBUTE", "KPI_BONUS", "KPI_CHECK"]


@pytest.fixture(scope="module")
def layer():
    with windows_udf_layer("kpixl.udfs.functions", "kpixl.udfs") as udfs:
        yield udfs


@pytest.fixture(scope="module")
def xl(layer):
    """``xl("KPI_RATIO", 95.0, 100.0, 20.0)``: trailing optionals are passed as VBA's missing marker."""
    module = importlib.import_module("kpixl.udfs")

    def call(name, *args):
        n = len(getattr(module, name).__xlfunc__["args"])
        return excel_call(layer, "kpixl.udfs", name, *args, *([MISSING] * (n - len(args))))

    return call


def col(*values):
    """A one-column range as Excel passes it."""
    return tuple((v,) for v in values)


def row(*values):
    return (tuple(values),)


def engine_item(item: dict, inputs: dict) -> float:
    """The engine's score of a one-item scheme for one person (kpixl.score)."""
    scheme = scheme_from_dict({"id": "t", "name": "t", "sections": [{"id": "s", "items": [{"id": "x", **item}]}]})
    out = kpixl.score(scheme, pd.DataFrame([{"employee_id": "E1", **inputs}]))
    return float(out["x"].iloc[0])


# ---- registration ---------------------------------------------------------------------------


def test_plain_import_without_excel_registers_nothing_and_needs_no_pywin32():
    code = ("import sys, kpixl.udfs as u; "
            "assert sorted(u.__all__) == sorted(%r); "
            "assert not hasattr(u.KPI_RATIO, '__xlfunc__'); "
            "assert 'xlwings.udfs' not in sys.modules and 'pythoncom' not in sys.modules; "
            "assert u.KPI_RATIO(95.0, 100.0, 20.0, 1.2) == 19.0; print('ok')") % NAMES
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_core_never_imports_xlwings():
    code = "import sys, kpixl, kpixl.rating, kpixl.bonus, kpixl.scheme.sheet.book; print('xlwings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_every_function_is_registered_with_help(layer):
    module = importlib.import_module("kpixl.udfs")
    for name in NAMES:
        info = getattr(module, name).__xlfunc__
        assert info["name"] == name and info["category"] == "kpixl"
        first = info["ret"]["doc"].splitlines()[0]
        assert 20 < len(first) < 120, first
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255
            assert arg["options"].get("err_to_str") is True
    ranges = {"KPI_TIER": ["bands"], "KPI_COUNT": ["counts", "per"], "KPI_RUBRIC": ["levels"],
              "KPI_RATERS": ["scores", "weights"], "KPI_WEIGHTED": ["values", "weights", "targets", "cap"],
              "KPI_TOTAL": ["scheme", "inputs"], "KPI_CHECK": ["scheme", "inputs"], "KPI_RATING": ["bands"],
              "KPI_DISTRIBUTE": ["totals", "quotas", "groups", "order"], "KPI_BONUS": ["curve", "factors"]}
    for name, args in ranges.items():
        argmap = getattr(module, name).__xlfunc__["argmap"]
        for a in args:
            assert argmap[a]["options"]["ndim"] == 2, (name, a)


def test_vba_wrappers_are_generated_for_every_function(layer):
    module = importlib.import_module("kpixl.udfs")
    out = io.StringIO()
    layer.generate_vba_wrapper("kpixl.udfs", module, out, types.SimpleNamespace(Name="kpixl.xlam"))
    vba = out.getvalue()
    for name in NAMES:
        assert f'XLPy.CallUDF("kpixl.udfs", "{name}"' in vba
    assert "Function KPI_RATIO(actual, target, points, Optional cap, Optional floor, Optional zero_below, " \
           "Optional direction)" in vba
    assert "Function KPI_TOTAL(scheme, inputs, Optional result)" in vba


# ---- hand-worked seed examples --------------------------------------------------------------


def test_ratio_seeds(xl):
    # 实际/目标×权重, 各细项最高120%封顶: 95/100 × 20 = 19; 130/100 capped at 1.2 → 24
    assert xl("KPI_RATIO", 95.0, 100.0, 20.0, 1.2) == pytest.approx(19)
    assert xl("KPI_RATIO", 130.0, 100.0, 20.0, 1.2) == pytest.approx(24)
    # 完成额低于50%本项不计分: 45% → 0, 50% → 10
    assert xl("KPI_RATIO", 45.0, 100.0, 20.0, 1.2, None, 0.5) == 0
    assert xl("KPI_RATIO", 50.0, 100.0, 20.0, 1.2, None, 0.5) == pytest.approx(10)
    # lower is better: target 2 complaints, actual 4 → 2/4 × 10 = 5
    assert xl("KPI_RATIO", 4.0, 2.0, 10.0, 1.0, None, None, "越低越好") == pytest.approx(5)


def test_tier_seeds(xl):
    bands = ((None, None, None), ("最低", "最高", "分值"), (0.9, None, 20.0), (0.85, 0.9, 10.0), (0.0, 0.85, 0.0))
    # 完成率≥90% 20分, ≥85% 10分: 88% → 10; 90% exactly → 20 (bands include their edges, best first)
    assert xl("KPI_TIER", 88.0, 100.0, bands) == 10
    assert xl("KPI_TIER", 90.0, 100.0, bands) == 20
    assert xl("KPI_TIER", 88.0, 100.0, "≥90%:20; 85%~90%:10; 0~85%:0") == 10
    # 完成率60–69% 6–8分: the rater enters 7 within the range
    assert xl("KPI_TIER", 65.0, 100.0, "≥70%:10; 60%~69%:6~8; 0~60%:0", 7.0, "就低") == 7
    # 差错率≤3% 5分 (a rate: target 1)
    assert xl("KPI_TIER", 0.02, 1.0, "≤0.03:5; 其他:0") == 5


def test_step_seeds(xl):
    # 每低于目标5%扣3分: actual 0.85 of target with 20 points → 15% below = 3 steps → 20 − 3×3 = 11
    assert xl("KPI_STEP", 85.0, 100.0, 20.0, 0.05, 3.0) == pytest.approx(11)
    # 每超过1%加2分 (最多加10分): 103% → 20 + 3×2 = 26; 110% → 20 + min(20, 10) = 30
    assert xl("KPI_STEP", 103.0, 100.0, 20.0, 0.05, 3.0, 0.01, 2.0, 10.0) == pytest.approx(26)
    assert xl("KPI_STEP", 110.0, 100.0, 20.0, 0.05, 3.0, 0.01, 2.0, 10.0) == pytest.approx(30)
    # 准确率≥95%, 少1个百分点扣0.5分: 92.5% of 10 → 2 whole steps → 10 − 1 = 9
    assert xl("KPI_STEP", 0.925, 1.0, 10.0, 0.01, 0.5, None, None, None, None, 0.95) == pytest.approx(9)


def test_count_seeds(xl):
    # 迟到扣1分/次, 旷工扣5分/次, 扣完为止 from 10: late 3, absent 1 → 10 − 3 − 5 = 2
    assert xl("KPI_COUNT", row(3.0, 1.0), row(-1.0, -5.0), 10.0) == pytest.approx(2)
    # late 6, absent 1 → 10 − 11 → 0 (扣完为止); with 扣分上限 8 → 10 − 8 = 2
    assert xl("KPI_COUNT", row(6.0, 1.0), row(-1.0, -5.0), 10.0) == 0
    assert xl("KPI_COUNT", row(6.0, 1.0), row(-1.0, -5.0), 10.0, -8.0) == pytest.approx(2)
    # an empty count is 0; 新客户加5分/次: 2 new clients → 10
    assert xl("KPI_COUNT", row(None, 2.0), row(-1.0, 5.0)) == pytest.approx(10)


def test_rubric_seeds(xl):
    # 1级5分 … 5级25分: level 3 (Excel passes 3.0) → 15
    assert xl("KPI_RUBRIC", 3.0, "1:5; 2:10; 3:15; 4:20; 5:25") == 15
    levels = (("等级", "分值", "至"), ("优", 1.0, None), ("良", 0.8, 0.9), ("中", 0.7, None))
    # 优100% 良80–90% of 20 points: 优 → 20; 良 with 17 entered → 17
    assert xl("KPI_RUBRIC", "优", levels, 20.0, None, "比例") == pytest.approx(20)
    assert xl("KPI_RUBRIC", "良", levels, 20.0, 17.0, "比例") == pytest.approx(17)


def test_raters_seeds(xl):
    # 自评30% + 人力资源30% + 上级40%: 0.3×18 + 0.3×16 + 0.4×17 = 5.4 + 4.8 + 6.8 = 17
    assert xl("KPI_RATERS", row(18.0, 16.0, 17.0), row(0.3, 0.3, 0.4), 20.0) == pytest.approx(17)
    # HR did not score, reweighted: (0.3×18 + 0.4×17) / 0.7 = 12.2 / 0.7
    assert xl("KPI_RATERS", row(18.0, None, 17.0), row(0.3, 0.3, 0.4), 20.0, True) == pytest.approx(12.2 / 0.7)


def test_weighted_seeds(xl):
    # 实际/目标×权重, 各细项最高120%封顶: 0.6×min(1.3, 1.2) + 0.4×0.9 = 0.72 + 0.36 = 1.08
    assert xl("KPI_WEIGHTED", col(1.3, 0.9), col(0.6, 0.4), MISSING, 1.2) == pytest.approx(1.08)
    # with targets and points: 60×min(130/100, 1.2) + 40×90/100 = 72 + 36 = 108; an empty row is skipped
    assert xl("KPI_WEIGHTED", col(130.0, 90.0, None), col(60.0, 40.0, None), col(100.0, 100.0, None), 1.2) \
        == pytest.approx(108)
    # a cap per item: 60×min(1.3, 1.0) + 40×min(0.9, 1.5) = 60 + 36
    assert xl("KPI_WEIGHTED", col(1.3, 0.9), col(60.0, 40.0), MISSING, col(1.0, 1.5)) == pytest.approx(96)


def test_rating_and_bonus_seeds(xl):
    assert xl("KPI_RATING", 85.0, "优秀≥90; 良好≥80; 合格≥60; 不合格") == "良好"
    assert xl("KPI_RATING", 90.0, (("等级", "最低分"), ("优秀", 90.0), ("良好", 80.0), ("不合格", None))) == "优秀"
    assert xl("KPI_RATING", 12.0, (("优秀", 90.0), ("不合格", None))) == "不合格"
    # 当月绩效奖金 = 考核分数/100 × 月度绩效奖金: 87.5/100 × 2000 = 1750
    assert xl("KPI_BONUS", 87.5, 2000.0) == 1750
    curve = (("低于", "系数"), (60.0, 0.0), (90.0, "score"), (None, 1.0))
    # 客服经理: <60 → 0; 60–89 → 奖金/100×得分: 85/100 × 3000 = 2550; ≥90 全额 3000 (× 优秀1.2 = 3600)
    assert xl("KPI_BONUS", 55.0, 3000.0, curve) == 0
    assert xl("KPI_BONUS", 85.0, 3000.0, curve) == 2550
    assert xl("KPI_BONUS", 92.0, 3000.0, curve, "优秀", (("优秀", 1.2), ("良好", 1.0))) == 3600
    # half a cent rounds away from zero, Excel's way: 80.5/100 × 0.5 = 0.4025 → 0.40 … 1.005 → 1.01
    assert xl("KPI_BONUS", 100.5, 1.0, MISSING, MISSING, MISSING, 100.0, 2.0) == pytest.approx(1.01)


def test_distribute_returns_a_column(xl):
    quotas = (("等级", "比例"), ("优秀", 0.2), ("合格", 0.6), ("待改进", 0.2))
    # 5 people: band k takes ranks ROUND(5·C[k-1])+1 … ROUND(5·C[k]) → 1 | 2–4 | 5
    got = xl("KPI_DISTRIBUTE", col(70.0, 90.0, 50.0, 80.0, 60.0), quotas)
    assert got == [["合格"], ["优秀"], ["待改进"], ["合格"], ["合格"]]
    # a tie at 80: the smaller order wins; groups are ranked on their own
    got = xl("KPI_DISTRIBUTE", col(80.0, 80.0), (("A", 0.5), ("B", 0.5)), MISSING, col(2.0, 1.0))
    assert got == [["B"], ["A"]]
    got = xl("KPI_DISTRIBUTE", col(1.0, 2.0, 3.0, 4.0), (("A", 0.5), ("B", 0.5)), col("东", "西", "东", "西"))
    assert got == [["B"], ["B"], ["A"], ["A"]]
    # a row of totals spills a row
    assert xl("KPI_DISTRIBUTE", row(1.0, 2.0), (("A", 0.5), ("B", 0.5))) == [["B", "A"]]


# ---- the UDF equals the engine ------------------------------------------------------------------


def test_rule_functions_equal_the_engine(xl):
    cases = [
        (("KPI_RATIO", 87.0, 100.0, 20.0, 1.2, 0.1, 0.5),
         {"points": 20, "target": 100, "rule": {"type": "ratio", "cap": 1.2, "floor": 0.1, "zero_below": 0.5}},
         {"x": 87}),
        (("KPI_TIER", 0.93, 1.0, "≥95%:5; 90%~95%:3; 其他:0"),
         {"points": 5, "target": 1, "rule": {"type": "tiers", "bands": [
             {"min": 0.95, "points": 5}, {"min": 0.9, "max": 0.95, "points": 3}, {"points": 0}]}}, {"x": 0.93}),
        (("KPI_STEP", 47.0, 100.0, 20.0, 0.05, 3.0, None, None, None, None, None, None, 0.5),
         {"points": 20, "target": 100, "rule": {"type": "step", "below": {"every": 0.05, "points": 3}, "zero_below": 0.5}},
         {"x": 47}),
        (("KPI_STEP", 70.0, 100.0, 20.0, 0.05, 3.0),  # 6 steps → 20 − 18 = 2; the engine floors at 0 anyway
         {"points": 20, "target": 100, "rule": {"type": "step", "below": {"every": 0.05, "points": 3}}}, {"x": 70}),
        (("KPI_COUNT", row(2.0, 1.0), row(-1.0, -5.0), 10.0, -6.0),
         {"points": 10, "rule": {"type": "count", "base": "full", "limit": {"min": -6}, "beyond": "cap", "counters": [
             {"id": "late", "per": -1}, {"id": "absent", "per": -5}]}}, {"x.late": 2, "x.absent": 1}),
        (("KPI_RUBRIC", "良", "优:1; 良:0.8~0.9; 差:0~0.5", 30.0, 25.5, "比例"),
         {"points": 30, "rule": {"type": "rubric", "of": "fraction", "levels": {"优": 1, "良": [0.8, 0.9], "差": [0, 0.5]}}},
         {"x": "良", "x.score": 25.5}),
        (("KPI_RATERS", row(18.0, 16.0, 17.0), row(0.3, 0.3, 0.4), 20.0),
         {"points": 20, "rule": {"type": "manual"}, "raters": {"self": 0.3, "hr": 0.3, "boss": 0.4}},
         {"x@self": 18, "x@hr": 16, "x@boss": 17}),
    ]
    for args, item, inputs in cases:
        assert xl(*args) == engine_item(item, inputs), args


@settings(max_examples=60, deadline=None)
@given(actual=st.integers(0, 3000), target=st.sampled_from([100, 80, 365, 1000, 7]),
       points=st.sampled_from([5, 12.5, 20, 40]), cap=st.sampled_from([None, 1, 1.2, 1.5]),
       zero_below=st.sampled_from([None, 0.5, 0.8]), lower=st.booleans())
def test_ratio_property(xl, actual, target, points, cap, zero_below, lower):
    if lower and cap is None:
        cap = 1.2  # a lower-is-better ratio needs a cap (a scheme rule the UDF reports too)
    rule = {"type": "ratio", "cap": cap, "zero_below": zero_below, "direction": "lower" if lower else "higher"}
    got = xl("KPI_RATIO", float(actual), float(target), float(points), cap, None, zero_below,
             "越低越好" if lower else None)
    assert got == engine_item({"points": points, "target": target, "rule": rule}, {"x": actual})


@settings(max_examples=60, deadline=None)
@given(actual=st.integers(0, 200), every=st.sampled_from([0.01, 0.05, 0.1]), per=st.sampled_from([0.5, 1, 3]),
       above=st.sampled_from([None, (0.01, 2), (0.05, 1)]), max_bonus=st.sampled_from([None, 10]),
       stepping=st.sampled_from(["floor", "ceil", "linear"]), threshold=st.sampled_from([1, 0.95]))
def test_step_property(xl, actual, every, per, above, max_bonus, stepping, threshold):
    rule = {"type": "step", "below": {"every": every, "points": per}, "stepping": stepping, "threshold": threshold}
    if above:
        rule["above"] = {"every": above[0], "points": above[1]}
    if max_bonus is not None:
        rule["max_bonus"] = max_bonus
    words = {"floor": "整步", "ceil": "进一", "linear": "线性"}
    got = xl("KPI_STEP", float(actual), 100.0, 20.0, every, float(per), above and above[0],
             above and float(above[1]), max_bonus, None, threshold, words[stepping])
    assert got == engine_item({"points": 20, "target": 100, "rule": rule}, {"x": actual})


@settings(max_examples=40, deadline=None)
@given(totals=st.lists(st.sampled_from([55.0, 60.0, 72.5, 80.0, 88.25, 90.0, 100.0]), min_size=1, max_size=25),
       shares=st.sampled_from([(0.05, 0.2, 0.5, 0.2, 0.05), (0.1, 0.2, 0.7), (0.3, 0.7), (1.0,)]),
       grouped=st.booleans())
def test_distribute_property(xl, totals, shares, grouped):
    names = ["优秀", "良好", "合格", "待改进", "不合格"][: len(shares)]
    groups = [("东区", "西区", "A", "a")[i % 4] for i in range(len(totals))] if grouped else None
    got = xl("KPI_DISTRIBUTE", col(*totals), tuple(zip(names, shares)), col(*groups) if groups else MISSING)
    dist = Distribution(quotas=[{"name": n, "share": s} for n, s in zip(names, shares)])
    want = [[n] for n in rating_mod.distribute(dist, totals, group=groups)]
    assert got == (want if len(totals) > 1 else want[0][0])  # one cell comes back as its value


@settings(max_examples=40, deadline=None)
@given(total=st.integers(0, 12000).map(lambda c: c / 100), base=st.sampled_from([1000.0, 2500.0, 3333.33]))
def test_bonus_property(xl, total, base):
    curve = [{"below": 60, "factor": 0}, {"below": 90, "factor": "score"}, {"factor": 1}]
    got = xl("KPI_BONUS", total, base, ((60.0, 0.0), (90.0, "score"), (None, 1.0)))
    want = bonus_amounts(Bonus(base=base, curve=curve), [total], 100)[1][0]
    assert got == want


# ---- a whole card --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    scheme = kpixl.load_scheme(ROOT / "kpixl/data/demo_scheme.yaml")
    wb = openpyxl.Workbook()
    write_scheme_sheet(scheme, wb)
    rows = tuple(tuple(r) for r in wb["Scheme"].iter_rows(values_only=True))
    inputs = pd.read_csv(ROOT / "kpixl/data/demo_inputs.csv", dtype={"employee_id": str})
    roster = pd.read_csv(ROOT / "kpixl/data/demo_roster.csv", dtype={"employee_id": str})
    merged = inputs.merge(roster[["employee_id", "销售目标", "月度绩效奖金"]], on="employee_id")
    return scheme, rows, merged, roster


def as_range(df: pd.DataFrame) -> tuple:
    """A DataFrame as Excel passes a range: a header row, floats for numbers, None for empty cells."""
    def cell(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        return float(v) if isinstance(v, (int, float, np.integer, np.floating)) else str(v)
    return (tuple(df.columns),) + tuple(tuple(cell(v) for v in r) for r in df.itertuples(index=False))


def test_total_equals_the_engine(xl, demo):
    scheme, rows, merged, roster = demo
    want = kpixl.score(scheme, merged.drop(columns=["销售目标", "月度绩效奖金"]), roster=roster)
    for i in range(4):  # one person: one value
        one = merged.iloc[[i]]
        assert xl("KPI_TOTAL", rows, as_range(one)) == want["total"].iloc[i]
        assert xl("KPI_TOTAL", rows, as_range(one), "bonus") == want["bonus"].iloc[i]
        assert xl("KPI_TOTAL", rows, as_range(one), "sales") == want["sales"].iloc[i]
    # the whole table: a column of totals, and of ratings
    assert xl("KPI_TOTAL", rows, as_range(merged)) == [[v] for v in want["total"]]
    assert xl("KPI_TOTAL", rows, as_range(merged), "rating") == [[v] for v in want["rating"]]
    # two columns name | value for one person
    one = merged.iloc[0]
    pairs = tuple((k, as_range(merged.iloc[[0]])[1][j]) for j, k in enumerate(merged.columns))
    assert xl("KPI_TOTAL", rows, pairs) == want["total"].iloc[0]
    assert one["employee_id"] == "E1001"


def test_check_lists_the_engines_problems(xl, demo):
    scheme, rows, merged, _ = demo
    assert xl("KPI_CHECK", rows, as_range(merged.iloc[[0]])) == "OK"
    bad = merged.iloc[[0]].copy()
    bad["samples"] = 6
    bad["sales"] = "九十万"
    got = xl("KPI_CHECK", rows, as_range(bad))
    assert got[0] == ["where", "problem", "value"]
    want = kpixl.evaluate(scheme, bad).problems
    assert [r[0] for r in got[1:]] == [p.column for p in want] == ["sales", "samples"]
    assert "level must be one of" in got[2][1] and got[2][2] == 6
    # a scheme range with a mistake: its problems, at their cells
    broken = tuple(tuple("步步" if v == "步进" else v for v in r) for r in rows)
    got = xl("KPI_CHECK", broken, as_range(merged.iloc[[0]]))
    assert got[1][0] == "Scheme!F12" and "unknown rule type" in got[1][1]


# ---- bad arguments: one line of text, never an exception -------------------------------------------


@pytest.mark.parametrize("args, words", [
    (("KPI_RATIO", 95.0, 0.0, 20.0), "target must be above 0"),
    (("KPI_RATIO", 95.0, None, 20.0), "target is blank"),
    (("KPI_RATIO", "九十", 100.0, 20.0), "actual must be a number"),
    (("KPI_RATIO", -2146826246, 100.0, 20.0), "actual is the error #N/A"),  # a #N/A cell
    (("KPI_RATIO", 95.0, 100.0, 20.0, -1.0), "cap: must be above 0"),
    (("KPI_RATIO", 95.0, 100.0, 20.0, 1.2, None, None, "sideways"), "direction must be one of"),
    (("KPI_RATIO", True, 100.0, 20.0), "not TRUE/FALSE"),
    (("KPI_TIER", 82.0, 100.0, "≥90%:20; ≥85%:10; 0~80%:0"), "no band holds achievements between 80% and 85%"),
    (("KPI_TIER", 65.0, 100.0, "≥70%:10; 60%~69%:6~8; 0~60%:0", 9.0, "就低"), "score must be from 6 to 8"),
    (("KPI_TIER", 65.0, 100.0, ((0.9, None),)), "bands row 1: give min | max | points"),
    (("KPI_STEP", 85.0, 100.0, 20.0), "a step rule needs below"),
    (("KPI_STEP", 85.0, 100.0, 20.0, 0.0, 3.0), "below_step: must be above 0"),
    (("KPI_COUNT", row(-1.0, 0.0), row(-1.0, -5.0), 10.0), "counts (1): a count cannot be below 0"),
    (("KPI_COUNT", row(1.0, 0.0), row(-1.0,), 10.0), "counts has 2 cells and per has 1"),
    (("KPI_RUBRIC", 6.0, "1:5; 2:10; 3:15"), "level must be one of 1、2、3"),
    (("KPI_RUBRIC", None, "1:5; 2:10; 3:15"), "level is blank"),
    (("KPI_RUBRIC", "良", "优:1; 良:0.8~0.9", 20.0, 19.0, "比例"), "level 良: enter a score from 16 to 18"),
    (("KPI_RUBRIC", "优", "优:1; 良:0.8~0.9", MISSING, MISSING, "比例"), "points is blank"),
    (("KPI_RATERS", row(18.0, 16.0), row(0.3, 0.6), 20.0), "rater weights sum to 90%, not 100%"),
    (("KPI_RATERS", row(18.0, None), row(0.4, 0.6), 20.0), "scores (2) is blank"),
    (("KPI_RATERS", row(21.0, 16.0), row(0.4, 0.6), 20.0), "score must be between 0 and 20"),
    (("KPI_WEIGHTED", col(1.0, 0.9), col(0.6, -0.4)), "weights (2): must be ≥ 0"),
    (("KPI_WEIGHTED", col(1.0, 0.9), col(0.6,)), "must have as many cells each"),
    (("KPI_RATING", 85.0, "优秀≥90; 良好≥95; 不合格"), "bands are listed best first"),
    (("KPI_RATING", None, "优秀≥90; 不合格"), "total is blank"),
    (("KPI_DISTRIBUTE", col(1.0, 2.0), (("A", 0.5), ("B", 0.4))), "quotas 50/40 sum to 90%, not 100%"),
    (("KPI_DISTRIBUTE", col(1.0, None), (("A", 0.5), ("B", 0.5))), "totals (2) is blank"),
    (("KPI_BONUS", 85.0, "两千"), "base must be a number"),
    (("KPI_BONUS", 85.0, 2000.0, MISSING, MISSING, MISSING, MISSING, 2.5), "digits"),
    (("KPI_TOTAL", (("not a scheme",),), (("sales",), (1.0,))), "no item table"),
])
def test_bad_arguments_give_one_line(xl, args, words):
    got = xl(*args)
    assert isinstance(got, str) and "\n" not in got and len(got) <= 250, got
    assert got.startswith(args[0] + ": ") and words in got, got


def test_total_reports_input_problems_and_unknown_results(xl, demo):
    _, rows, merged, _ = demo
    bad = merged.iloc[[0]].copy()
    bad["sales"] = "九十万"
    got = xl("KPI_TOTAL", rows, as_range(bad))
    assert got.startswith("KPI_TOTAL: sales: must be a number") and got.count("\n") == 0, got
    got = xl("KPI_TOTAL", rows, as_range(merged.iloc[[0]]), "nope")
    assert got.startswith("KPI_TOTAL: result 'nope' is not one of") and "bonus" in got


# ---- the example workbook -------------------------------------------------------------------------


def _range_values(wb, ref: str, sheet):
    ws = wb[ref.split("!")[0]] if "!" in ref else sheet
    cells = ws[ref.split("!")[-1].replace("$", "")]
    if not isinstance(cells, tuple):
        return _excel_shaped(cells.value)
    return tuple(tuple(_excel_shaped(c.value) for c in r) for r in cells)


def _excel_shaped(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


EXAMPLES = ROOT / "workbooks/udf_examples.xlsx"


def test_example_workbook_shows_every_function_with_the_engines_value(xl):
    wb = openpyxl.load_workbook(EXAMPLES)
    cached = openpyxl.load_workbook(EXAMPLES, data_only=True)["函数示例"]
    ws = wb["函数示例"]
    seen, checked = set(), 0
    for r in range(1, ws.max_row + 1):
        cell = ws.cell(r, 5).value
        text = getattr(cell, "text", cell)
        if not (isinstance(text, str) and text.startswith("=[1]!KPI_")):
            continue
        # As Excel stores an add-in call, and beside it as a person types it.
        assert ws.cell(r, 4).value == "=" + text[len("=[1]!"):] and ws.cell(r, 4).data_type == "s", r
        name, _, inner = text[len("=[1]!"):].partition("(")
        args = [_range_values(wb, a, ws) if a else MISSING for a in inner.rstrip(")").split(",")]
        got = xl(name, *args)
        if isinstance(got, list):
            stored = [ws.cell(r + i, 3).value for i in range(len(got))]
            want = [x[0] if len(x) == 1 else " | ".join("" if v is None else str(v) for v in x) for x in got]
            assert stored == want, (r, text)
            shown = [[cached.cell(r + i, 5 + j).value for j in range(len(x))] for i, x in enumerate(got)]
            assert shown == got, (r, text)  # the array's cached values are the engine's
        else:
            assert ws.cell(r, 3).value == got, (r, text)
            assert cached.cell(r, 5).value == got, (r, text)  # the formula's cached value
        assert not (isinstance(got, str) and got.startswith(name + ":")), got  # no example shows an error
        seen.add(name)
        checked += 1
    assert seen == set(NAMES) and checked >= len(NAMES)


def test_example_workbook_links_the_calls_to_the_installed_addin():
    from xml.etree import ElementTree as ET

    from kpixl.addin.links import STARTUP_LINK

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    with zipfile.ZipFile(EXAMPLES) as z:
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        refs = [e.get(rel_ns + "id") for e in workbook.iter(main + "externalReference")]
        rels = {r.get("Id"): r for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).iter(pkg + "Relationship")}
        assert len(refs) == 1 and rels[refs[0]].get("Target").lstrip("/") == "xl/externalLinks/externalLink1.xml"
        link = ET.fromstring(z.read("xl/externalLinks/externalLink1.xml"))
        book = link.find(main + "externalBook")
        target = ET.fromstring(z.read("xl/externalLinks/_rels/externalLink1.xml.rels")).find(pkg + "Relationship")
        types = z.read("[Content_Types].xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert (target.get("Id"), target.get("Type"), target.get("Target"), target.get("TargetMode")) == (
        book.get(rel_ns + "id"), STARTUP_LINK, "kpixl.xlam", "External")
    assert [s.get("val") for s in book.iter(main + "sheetName")] == ["kpixl.conf"]  # the add-in's sheet
    assert sorted(d.get("name") for d in book.iter(main + "definedName")) == sorted(NAMES)
    assert "spreadsheetml.externalLink+xml" in types
    calls = re.findall(r"<f[^>]*>([^<]*)</f>", sheet)
    assert calls and all(c.startswith("[1]!KPI_") for c in calls)  # never a bare KPI_ name


def test_libreoffice_opens_the_example_workbook(tmp_path):
    from kpixl.libreoffice import convert, find_soffice, recalculate

    # Recalculated (the project's gateway forces it): LibreOffice cannot call the add-in,
    # so the calls become errors — but the file opens and everything else survives.
    out = recalculate([EXAMPLES], tmp_path / "re")[0]
    ws = openpyxl.load_workbook(out, data_only=True)["函数示例"]
    assert ws["D7"].value == "=KPI_RATIO(H7,I7,J7,K7)" and ws["C7"].value == 19
    assert isinstance(ws["E7"].value, str) and ws["E7"].value.startswith("#")
    ods = convert([EXAMPLES], tmp_path / "ods", "ods")[0]
    assert ods.stat().st_size > 0
    # Not recalculated (LibreOffice's "never recalculate" for OOXML, set explicitly in a
    # private profile): each call shows its cached value, the engine's result. LibreOffice
    # computes array formulas (KPI_CHECK, KPI_DISTRIBUTE) on load anyway: #NAME? there.
    profile = tmp_path / "profile" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>1</value></prop></item></oor:items>", "utf-8")
    subprocess.run([find_soffice(), f"-env:UserInstallation={profile.parent.as_uri()}", "--headless", "--norestore",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "csv"),
                    str(EXAMPLES)], capture_output=True, timeout=180, check=False)
    import csv

    rows = list(csv.reader((tmp_path / "csv" / "udf_examples.csv").open(encoding="utf-8")))
    assert rows[6][2:5] == ["19", "=KPI_RATIO(H7,I7,J7,K7)", "19"]
    shown = {r[3]: (r[2], r[4]) for r in rows if len(r) > 4 and r[3].startswith("=KPI_")}
    single = {k: v for k, v in shown.items() if not k.startswith(("=KPI_CHECK", "=KPI_DISTRIBUTE"))}
    assert len(shown) == 18 and all(engine == cell for engine, cell in single.values()), shown
