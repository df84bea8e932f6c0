"""One rule, two renderings: the workbook's formulas and the Python engine agree.

Every case (tests/strategies.py) goes through the product path — ``scheme_from_dict``,
``prepare(...)``, ``compute()``, ``write_results`` — into its own sheet of one
workbook; LibreOffice recalculates the workbook in ONE ``soffice`` call per hypothesis
example; then every result cell is read back and held to the engine's value:

* ``compare`` (1e-9 relative) on every item, section, total, rating, flag and bonus cell;
* exact equality on the rounded ``total`` and ``bonus`` and on the ``rating`` text;
* no formula error (#VALUE!, #NAME?, #DIV/0!, #REF!, #N/A) anywhere;
* every function a formula calls is an Excel 2010 function from :data:`EXCEL_2010`.
"""

from __future__ import annotations

import math
import numbers
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kpixl.engine.score import compute, prepare
from kpixl.libreoffice import recalculate
from kpixl.scheme import scheme_from_dict
from kpixl.results.sheet import result_key, write_results
from kpixl.results.verify import compare, read_results

from strategies import Case, card_case, ranked_case

pytestmark = pytest.mark.engine

#: The functions a generated formula may call: Excel 2010's, so old Excel and WPS agree.
EXCEL_2010 = frozenset({
    "IF", "MIN", "MAX", "SUM", "SUMPRODUCT", "ROUND", "ROUNDDOWN", "ROUNDUP", "INDEX", "MATCH",
    "CHOOSE", "COUNTIF", "COUNTIFS", "SUMIFS", "AVERAGEIFS", "LOOKUP", "IFERROR", "AND", "OR",
    "NOT", "N", "COUNT", "COUNTA", "AVERAGE", "ABS", "ISNUMBER", "LEN", "NA", "SUBSTITUTE",
})
_FUNCTION = re.compile(r"[A-Z][A-Z0-9.]*\(")
_STRING = re.compile(r'"(?:[^"]|"")*"')
# One soffice call per example (~1 s + ~40 ms a sheet). No shrinking: every shrink step
# would cost another call, and a failure already names each disagreeing sheet and prints
# its case (scheme, inputs, roster) in full.
SETTINGS = settings(max_examples=7, deadline=None, print_blob=True,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def functions_in(formula: str) -> set[str]:
    """The names of the functions a formula calls (string literals left out)."""
    return {m[:-1] for m in _FUNCTION.findall(_STRING.sub('""', formula))}


def test_functions_in():
    f = '=IF(OR(A3=TRUE,A3="是",A3=1),0,ROUNDDOWN(ROUND(MAX(1-B3,0)/0.05,9),0))&"IFS(X)"'
    assert functions_in(f) == {"IF", "OR", "ROUNDDOWN", "ROUND", "MAX"}
    assert functions_in("=_xlfn.IFS(A1>1,2)") == {"IFS"}
    assert functions_in("=XLOOKUP(A1,B:B,C:C)") - EXCEL_2010 == {"XLOOKUP"}


# ---- the harness ---------------------------------------------------------------------------


def _is_nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def agree(cases: list[Case]) -> list[pd.DataFrame]:
    """Run the cases through the product and LibreOffice; fail with every disagreement.

    Returns:
        The engine's results, one frame per case (every cell of which LibreOffice matched).
    """
    wb = Workbook()
    wb.remove(wb.active)
    scored = []
    for k, case in enumerate(cases):
        scheme = scheme_from_dict(case.scheme)
        prepared = prepare(scheme, case.inputs, case.roster)
        assert not prepared.problems, f"case {k} ({case.label}) has input problems:\n" + "\n".join(
            map(str, prepared.problems)) + f"\n{case!r}"
        results = compute(prepared)
        lay = write_results(prepared, wb.create_sheet(f"c{k}"))
        scored.append((scheme, results, lay))

    used: dict[str, str] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert "_xlfn" not in cell.value, f"{ws.title}!{cell.coordinate}: {cell.value}"
                    for name in functions_in(cell.value):
                        used.setdefault(name, f"{ws.title}!{cell.coordinate}: {cell.value}")
    beyond = {name: where for name, where in used.items() if name not in EXCEL_2010}
    assert not beyond, f"formulas call functions outside Excel 2010's set: {beyond}"

    with tempfile.TemporaryDirectory(prefix="kpixl-agree-") as tmp:
        path = Path(tmp, "cases.xlsx")
        wb.save(path)
        [out] = recalculate([path], Path(tmp, "out"))
        failures, compared = [], 0
        for k, (case, (scheme, results, lay)) in enumerate(zip(cases, scored)):
            values = read_results(out, f"c{k}")
            v = compare(values, results, scheme)
            compared += v.compared
            wrong = [f"  {cell} ({key}): workbook {wb_!r}, engine {py!r}" for cell, key, wb_, py in v.mismatches]
            wrong += [f"  {cell}: {err}" for cell, err in v.errors]
            # every result column made it into the sheet and was compared
            expected = [c for c in results.columns if c != "employee_id" and result_key(c, scheme) in lay.cols]
            missing = [c for c in results.columns if c not in ("employee_id", "rating", "bonus")
                       and result_key(c, scheme) not in lay.cols]
            if missing or v.compared != len(expected) * len(results):
                wrong.append(f"  not compared: {missing}, {v.compared} cells for {len(expected)} columns")
            # exact after rounding: the rounded total and bonus, and the text of the rating
            for column in ("total", "bonus", "rating"):
                if column not in lay.cols:
                    continue
                for r in range(len(results)):
                    py, got = results[column].iloc[r], values[column].iloc[r]
                    same = (_is_nan(py) and got in (None, "")) if _is_nan(py) else (
                        got == py if column == "rating" else _number(got) and float(got) == float(py))
                    if not same:
                        wrong.append(f"  {lay.cols[column].letter}{3 + r} ({column}): workbook {got!r} != engine {py!r}")
            if wrong:
                failures.append(f"sheet c{k} — {case.label}:\n" + "\n".join(wrong[:30]) + f"\n{case!r}")
    assert not failures, "\n\n".join(failures)
    assert compared >= sum(len(r) for _, r, _ in scored)
    return [r for _, r, _ in scored]


# ---- randomised agreement --------------------------------------------------------------------


@SETTINGS
@given(st.lists(card_case("rules"), min_size=12, max_size=18))
def test_every_rule_agrees(cases):
    """All eight rule types, random valid parameters, inputs on their decision points."""
    agree(cases)


@SETTINGS
@given(st.lists(card_case("card"), min_size=10, max_size=16))
def test_card_agrees(cases):
    """Raters (reweighting blanks), N/A policies, section weights/caps/floors, item and total bounds."""
    agree(cases)


@SETTINGS
@given(st.lists(ranked_case(), min_size=10, max_size=14))
def test_ratings_and_bonus_agree(cases):
    """Bands, forced distribution (groups, tie-breaks, ties), rank flags, bonus curve/factors/budget."""
    agree(cases)


# ---- decision points, worked by hand (and regressions), all in one soffice call ----------------


def _case(label: str, sections: list[dict], inputs: dict, roster: dict | None = None, **scheme) -> Case:
    ids = [f"E{k + 1:02d}" for k in range(len(next(iter(inputs.values()))))]
    return Case(label, {"id": "worked", "name": label, "sections": sections, **scheme},
                pd.DataFrame({"employee_id": ids, **inputs}),
                None if roster is None else pd.DataFrame({"employee_id": ids, **roster}))


def _item(iid: str, points: float, rule: dict, **more) -> dict:
    return {"id": iid, "name": iid, "points": points, "rule": rule, **more}


STEP = {"type": "step", "threshold": 1.0, "base": "full", "below": {"every": 0.05, "points": 3},
        "above": {"every": 0.01, "points": 2}, "max_bonus": 10, "zero_below": 0.5}
FRACTION = {"type": "rubric", "of": "fraction", "levels": {"优": 1.0, "良": [0.8, 0.9], "中": 0.7, "可": 0.6, "差": [0, 0.5]}}
TOP_SCORE = {"id": "main", "items": [_item("score", 100, {"type": "manual", "max": 120})]}


def worked_cases() -> list[Case]:
    return [
        # 每低于目标5%扣3分, 每超过1%加2分(最多加10分), 低于50%不计分; target 100, P 20.
        #   85 → 15% below = 3 steps (never 2.9999…) → 20 − 9 = 11;  84.99 → 3.002 steps: floor 3 → 11,
        #   ceil 4 → 8, linear → 20 − 9.006 = 10.994;  80 → 4 steps → 8;  103 → +6 → 26;
        #   110 → +20, max_bonus 10 → 30;  49.99 → below zero_below → 0;  100 → 20
        _case("step", [{"id": "s", "items": [
            _item("floor", 20, STEP, target=100),
            _item("ceil", 20, {**STEP, "stepping": "ceil"}, target=100),
            _item("linear", 20, {**STEP, "stepping": "linear"}, target=100)]}],
            {"floor": [85, 84.99, 80, 103, 110, 49.99, 100], "ceil": [85, 84.99, 80, 103, 110, 49.99, 100],
             "linear": [85, 84.99, 80, 103, 110, 49.99, 100]}),
        # 完成率≥90% 20分, ≥85% 10分, ≤80% 5分, gap lower: 82% takes the band below → 5.
        # 投诉 lower-is-better ratio, target 5, cap 1.2, P 10: 0 complaints → best → 12; 5 → 10;
        #   10 → 5; 4 → 1.25 capped → 12; 6 → 10 × 5/6 = 8.3333… (the exact achievement is
        #   multiplied: only comparisons read it rounded to 9 places).
        # 60–69%: rater enters 6–8; ≥70% 10; below 0.
        # 差错率 ≤1% 5分, ≤3% 3分, else 0 (ascending value bands).
        # One band answering everywhere (gap lower fills the rest): always 4.
        _case("tiers", [{"id": "s", "items": [
            _item("t", 20, {"type": "tiers", "gap": "lower", "bands": [
                {"min": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"min": 0, "max": 0.8, "points": 5}]}, target=100),
            _item("c", 10, {"type": "ratio", "direction": "lower", "cap": 1.2}, target=5),
            _item("r", 10, {"type": "tiers", "measure": "value", "bands": [
                {"min": 0.7, "points": 10}, {"min": 0.6, "points": [6, 8]}, {"points": 0}]}),
            _item("e", 5, {"type": "tiers", "measure": "value", "bands": [
                {"max": 0.01, "points": 5}, {"max": 0.03, "points": 3}, {"points": 0}]}),
            _item("one", 5, {"type": "tiers", "measure": "value", "gap": "lower", "bands": [{"max": 0.01, "points": 4}]})]}],
            {"t": [90, 85, 82, 89.99, 80], "c": [0, 5, 10, 4, 6], "r": [0.7, 0.65, 0.6, 0.59, 0.69],
             "r.score": [None, 7, 8, None, 6], "e": [0, 0.01, 0.03, 0.0301, 0.02], "one": [0, 0.5, 0.01, 1, 0.02]}),
        # 优100% 良80–90% 中70% 可60% 差0–50% of P 20: 优 20, 良 17, 中 14, 差 0, 良 16.
        # 迟到-1 旷工-5, 扣分上限10, base full P 10: (0,0) 10, (3,0) 7, (3,2) −13→−10 → 0, (0,1) 5, (12,0) 0.
        # 是否执行 5分; 加扣分 with a reason.
        _case("rubric/count/binary/adjust", [{"id": "s", "items": [
            _item("q", 20, FRACTION),
            _item("d", 10, {"type": "count", "base": "full", "limit": {"min": -10}, "beyond": "cap", "counters": [
                {"id": "late", "per": -1}, {"id": "absent", "per": -5}]}),
            _item("b", 5, {"type": "binary"}),
            _item("a", 0, {"type": "adjust", "min": -10, "max": 10})]}],
            {"q": ["优", "良", "中", "差", "良"], "q.score": [None, 17, None, 0, 16],
             "d.late": [0, 3, 3, 0, 12], "d.absent": [0, 0, 2, 1, 0], "b": ["是", "否", 1, 0, True],
             "a": [2.5, None, -3, 0, 10], "a.reason": ["嘉奖", None, "投诉", None, "重大项目"]}),
        # Raters: the scheme's {self .3, mgr .7} with reweight: (8,10) 9.4; (–,6) 6; (5,–) 5.
        # The item's own {self .2, hr .3, mgr .5} (error): levels 1→2, 2→4, 3→6: (1,2,3) 4.6.
        # An adjust item with two raters (each may add points; one reason covers them).
        _case("raters", [{"id": "s", "items": [
            _item("m", 10, {"type": "manual"}),
            _item("v", 6, {"type": "rubric", "levels": {1: 2, 2: 4, 3: 6}},
                  raters={"self": 0.2, "hr": 0.3, "mgr": 0.5}, missing_rater="error"),
            _item("x", 0, {"type": "adjust"}, raters={"hr": 0.5, "mgr": 0.5})]}],
            {"m@self": [8, None, 5], "m@mgr": [10, 6, None], "v@self": [1, 3, 2], "v@hr": [2, 3, 2],
             "v@mgr": [3, 3, 2], "x@hr": [2, 0, None], "x@mgr": [4, 0, -2], "x.reason": ["项目", None, "失误"]},
            raters={"self": 0.3, "mgr": 0.7}, missing_rater="reweight"),
        # N/A, sections 60/40, scale 100. 组别 "A" and "a" are one group to a spreadsheet's =.
        #   E01: s1 = .6×(8+6)/20×100 = 42, s2 = .4×(5+4)/20×100 = 18 → 60
        #   E02: n1 N/A → mean of its group (E01: 8); n2 excluded → s1 = .6×8/10×100 = 48;
        #        n3 N/A full → 10, n4 N/A zero → 0 → s2 = 20 → 68
        #   E03: n1 N/A, group B has nobody with it → 0 → s1 = .6×7/20×100 = 21; s2 = 40 → 61
        #   E04: n1, n2 N/A → s1 = 0 (full marks 10 after excluding n2); s2 = .4×2/20×100 = 4 → 4
        _case("na", [
            {"id": "s1", "weight": 0.6, "items": [
                _item("n1", 10, {"type": "manual"}, na="average", na_group="组别"),
                _item("n2", 10, {"type": "manual"}, na="exclude")]},
            {"id": "s2", "weight": 0.4, "items": [
                _item("n3", 10, {"type": "manual"}, na="full"),
                _item("n4", 10, {"type": "manual"}, na="zero")]}],
            {"n1": [8, None, None, None], "n1.na": [False, True, True, True], "n2": [6, None, 7, None],
             "n2.na": [False, True, False, True], "n3": [5, None, 10, 0], "n3.na": [False, True, False, False],
             "n4": [4, None, 10, 2], "n4.na": [False, True, False, False]},
            {"组别": ["A", "a", "B", "B"]}),
        # Totals on half ties after arithmetic: .15 × 9/10 × 100 is 13.499999999999998 in
        # binary and 13.5 as a decimal → ROUND(…, 0) = 14 (LibreOffice's ROUND(x, 0) alone: 13).
        _case("round-0 tie", [
            {"id": "s1", "weight": 0.15, "items": [_item("k", 10, {"type": "manual"})]},
            {"id": "s2", "weight": 0.85, "items": [_item("z", 10, {"type": "manual"})]}],
            {"k": [9, 4.5], "z": [0, 0]}, total={"round": 0}),
        # 45 people, quotas 70/30: band 优秀 takes ranks 1 … ROUND(45 × 0.7) = ROUND(31.5) = 32
        # (45 × 0.7 is 31.499999999999996 in binary). Flags: top 58% of 45 → ROUND(26.1) = 26.
        # Bonus: base 5000 × total/100 × (良好 0.5): total 17.58 → 439.5 → ROUND(…, 0) = 440.
        _case("n·C tie", [TOP_SCORE], {"score": [100 - k for k in range(44)] + [17.58]},
              ratings={"distribution": {"quotas": [{"name": "优秀", "share": 0.7}, {"name": "良好", "share": 0.3}]},
                       "flags": [{"id": "top", "top": 0.58}, {"id": "last", "bottom": 0.3}]},
              bonus={"base": 5000, "rating_factor": {"良好": 0.5}, "round": 0, "budget": 1e9}),
    ]


def test_worked_decision_points():
    step, tiers, mixed, raters, na, tie, dist = agree(worked_cases())
    assert step["floor"].tolist() == [11, 11, 8, 26, 30, 0, 20]
    assert step["ceil"].tolist() == [11, 8, 8, 26, 30, 0, 20]
    assert step["linear"].round(9).tolist() == [11, 10.994, 8, 26, 30, 0, 20]
    assert tiers["t"].tolist() == [20, 10, 5, 10, 5]
    assert tiers["c"].tolist()[:4] == [12, 10, 5, 12] and abs(tiers["c"].iloc[4] - 10 * 5 / 6) < 1e-12
    assert tiers["r"].tolist() == [10, 7, 8, 0, 6]
    assert tiers["e"].tolist() == [5, 5, 3, 0, 3]
    assert tiers["one"].tolist() == [4] * 5
    assert mixed["q"].tolist() == [20, 17, 14, 0, 16]
    assert mixed["d"].tolist() == [10, 7, 0, 5, 0]
    assert mixed["b"].tolist() == [5, 0, 5, 0, 5]
    assert mixed["a"].tolist() == [2.5, 0, -3, 0, 10]
    assert raters["m"].round(9).tolist() == [9.4, 6, 5]
    assert raters["v"].round(9).tolist() == [4.6, 6, 4]
    assert raters["x"].tolist() == [3, 0, -2]
    assert na["total"].tolist() == [60, 68, 61, 4]
    assert tie["total"].tolist() == [14, 7]  # 6.75 → 7
    ranks = {r: name for r, name in zip(range(1, 46), dist["rating"])}
    assert ranks[32] == "优秀" and ranks[33] == "良好"
    assert dist["flag.top"].sum() == 26 and dist["flag.last"].sum() == 14  # ROUND(13.5) = 14
    assert dist["bonus"].iloc[-1] == 440


def test_strict_bands_agree_worked():
    """Strict band ends (``above``/``below``) select the same band in both renderings.

    Achievements are compared as ROUND(x, 9), in Python and in the formula alike.
    """
    gt = {"type": "tiers", "bands": [{"above": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"points": 0}]}
    seed = {"type": "tiers", "measure": "value", "bands": [{"below": 0.02, "points": 5}, {"points": 0}]}
    point = {"type": "tiers", "measure": "value", "gap": "zero",
             "bands": [{"above": 0.9, "points": 20}, {"below": 0.9, "points": 10}]}
    lower = {"type": "tiers", "gap": "lower", "bands": [{"above": 0.9, "points": 20}, {"max": 0.85, "points": 5}]}
    (got,) = agree([_case("strict", [{"id": "s", "items": [
        _item("gt", 20, gt, target=100), _item("seed", 5, seed), _item("point", 20, point),
        _item("lower", 20, lower, target=100)]}],
        {"gt": [90, 90.0001, 90.00000001, 85, 84.99],
         "seed": [0.02, 0.0199, 0.0200000001, 0.019999999999, 0],
         "point": [0.9, 0.91, 0.89, 0.9000000001, 1],
         "lower": [90, 87, 90.01, 85, 84]})])
    # >90% 20分, ≥85% 10分, else 0 (target 100): 90 → x = 0.9, not above → 10; 90.0001 → 0.900001 → 20;
    #   90.00000001 → 0.9000000001, ROUND(…,9) = 0.9 → not above → 10; 85 → 10; 84.99 → 0.
    assert got["gt"].tolist() == [10, 20, 10, 10, 0]
    # 投诉率低于2% 5分: 2% exactly → 0; 1.99% → 5; 0.0200000001 → ROUND 0.02 → 0;
    #   0.019999999999 → ROUND 0.02 → 0 (not below); 0 → 5.
    assert got["seed"].tolist() == [0, 5, 0, 0, 5]
    # >0.9 20分, <0.9 10分, gap zero: exactly 0.9 is the gap → 0; 0.9000000001 reads as 0.9 → 0.
    assert got["point"].tolist() == [0, 20, 10, 0, 20]
    # >90% 20分, ≤85% 5分, gap lower: (85%, 90%] takes the band below → 90 → 5, 87 → 5; 90.01 → 20.
    assert got["lower"].tolist() == [5, 5, 20, 5, 5]
