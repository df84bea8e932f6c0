"""History and levels (DESIGN §7): hand-worked seed cases, properties, scheme checks, round trips.

Seed 000 (夜场客户经理奖罚制度): 连续两个月未完成业绩目标,扣除当月工资的5%; 连续三个月未完成
业绩目标,扣除当月工资的10%,并进行岗位调整; 因个人原因导致客户投诉,第一次警告,第二次扣除当月
工资的5%; 客户投诉累计三次,扣除当月工资的10%,并进行岗位培训. Levels: 业务推广专员 · 理财经理
A1 A2 A3 · 高级客户经理 B1 B2 B3 · 团队经理 C1 C2 C3 · 机构业务部经理 D1 D2 D3 D4.
DESIGN §7: 连续两年不达标降级, 连续三年辞退 → a flag for review, never an automatic action.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kpixl
from kpixl.engine.inputs import read_table
from kpixl.errors import InputError
from kpixl.history import MOVES, level_proposals, period_rules
from kpixl.periods import parse_period, period_label, period_start, previous_period
from kpixl.scheme import History, Levels, dump_json, dump_yaml, scheme_from_dict, scheme_to_dict
from kpixl.scheme.sheet.book import read_scheme_sheet, write_scheme_sheet

ROOT = Path(__file__).resolve().parent.parent

MISS2 = {"id": "miss2", "name": "连续两个月未完成业绩目标", "when": {"item": "sales", "achievement_below": 1.0},
         "consecutive": 2, "action": "扣当月工资5%", "salary_deduction": 0.05}
MISS3 = {"id": "miss3", "name": "连续三个月未完成业绩目标", "when": {"item": "sales", "achievement_below": 1.0},
         "consecutive": 3, "action": "扣当月工资10%并岗位调整", "salary_deduction": 0.10, "review": True,
         "supersedes": ["miss2"]}
COMPLAINTS3 = {"id": "complaints3", "name": "客户投诉累计三次", "count": {"column": "complaints.count"},
               "cumulative": 3, "window": "year", "action": "扣当月工资10%并岗位培训", "salary_deduction": 0.10,
               "review": True}
LOW2 = {"id": "low2", "name": "连续两个月总分低于60", "when": {"total_below": 60}, "consecutive": 2, "action": "书面警告"}
LADDER = ["业务推广专员", "A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "D1", "D2", "D3", "D4"]
LEVELS = {
    "column": "职级",
    "ladder": LADDER,
    "promote": [{"name": "连续两年优秀(快速晋升)", "when": {"rating_in": ["优秀"]}, "years": 2, "steps": 2},
                {"when": {"rating_in": ["优秀"]}}],
    "demote": [{"name": "连续两年不达标", "when": {"rating_in": ["待改进", "不合格"]}, "years": 2}],
    "dismiss_review": {"name": "连续三年不合格", "when": {"rating_in": ["不合格"]}, "years": 3},
    "qualify": {"B1": {"年度销售额": {"min": 3000000}, "客户满意度": {"min": 0.9}},
                "C1": {"年度销售额": {"min": 5000000}, "客户满意度": {"min": 0.95}, "投诉率": {"max": 0.01}}},
}
SCHEME = {
    "id": "h", "name": "奖罚", "sections": [{"id": "s", "items": [
        {"id": "sales", "points": 30, "rule": {"type": "ratio", "cap": 1.2}, "target": {"column": "销售目标"}},
        {"id": "visits", "points": 70, "rule": {"type": "manual"}}]}],
    "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80}, {"name": "合格", "min": 60},
                          {"name": "待改进", "min": 50}, {"name": "不合格"}]},
    "history": {"rules": [MISS2, MISS3, COMPLAINTS3, LOW2]},
    "levels": LEVELS,
}
RULES = History.model_validate(SCHEME["history"])
LADDER_RULES = Levels.model_validate(LEVELS)


def months(eid: str, **by_period) -> list[dict]:
    """Rows for one person: ``months("E1", **{"2026-09": {"achievement:sales": 0.82}})``."""
    return [{"employee_id": eid, "period": p, **v} for p, v in by_period.items()]


def flags(rows: list[dict], period: str, history: History = RULES) -> dict[str, dict]:
    """The result per person; columns a test does not care about get neutral values."""
    df = pd.DataFrame(rows)
    for column, neutral in (("total", 80), ("complaints.count", 0)):
        if column not in df.columns:
            df[column] = neutral
    if "sales" not in df.columns and "achievement:sales" not in df.columns:
        df["achievement:sales"] = 1.0
    return period_rules(history, df, period).set_index("employee_id").to_dict("index")


def miss(*achievements: float, start: str = "2026-08", total: float = 80) -> dict:
    """Consecutive months from ``start`` with these achievements (as sales / sales.target)."""
    k = parse_period(start)
    out = {}
    for i, a in enumerate(achievements):
        p = str(k.previous(-i))
        out[p] = {"sales": a * 1000000, "sales.target": 1000000, "total": total, "complaints.count": 0}
    return out


# ---- consecutive months ----------------------------------------------------------------


def test_three_misses_sep_to_nov_hand_worked():
    # Aug 100% (met), Sep 82%, Oct 90%, Nov 95% (each below 100%: 未完成业绩目标).
    rows = months("E1", **miss(1.0, 0.82, 0.90, 0.95))
    oct_, nov = flags(rows, "2026-10")["E1"], flags(rows, "2026-11")["E1"]
    # October: Sep+Oct missed → 连续两个月 → 5%; no three-month chain yet (Aug was met).
    assert (oct_["history.miss2"], oct_["history.miss3"]) == (True, False)
    assert oct_["history.deduction"] == 0.05 and oct_["history.review"] is False
    assert oct_["history.reasons"] == "连续两个月未完成业绩目标(2026-09 82%, 2026-10 90%)"
    # November: Oct+Nov missed (miss2) and Sep+Oct+Nov missed (miss3). 连续三个月 supersedes
    # 连续两个月: the deduction is 10%, not 5% + 10%, with 岗位调整 to review.
    assert (nov["history.miss2"], nov["history.miss3"]) == (True, True)
    assert nov["history.deduction"] == 0.10
    assert nov["history.review"] is True
    assert nov["history.actions"] == "扣当月工资10%并岗位调整"
    assert nov["history.reasons"] == "连续三个月未完成业绩目标(2026-09 82%, 2026-10 90%, 2026-11 95%)"


def test_a_missing_month_breaks_the_chain():
    # Sep 82%, no October row (on leave), Nov 90%, Dec 90%.
    ach = miss(0.82, 0.5, 0.90, 0.90, start="2026-09")
    del ach["2026-10"]
    rows = months("E1", **ach)
    assert flags(rows, "2026-11")["E1"]["history.miss2"] is False  # Sep and Nov are not adjacent
    dec = flags(rows, "2026-12")["E1"]
    assert (dec["history.miss2"], dec["history.miss3"]) == (True, False)  # Nov+Dec; the chain restarted
    assert dec["history.deduction"] == 0.05


def test_a_blank_value_breaks_the_chain_and_december_january_are_adjacent():
    rows = months("E1", **miss(0.9, 0.9, 0.9, start="2025-12"))
    assert flags(rows, "2026-02")["E1"]["history.miss3"] is True  # 2025-12, 2026-01, 2026-02
    rows[1]["sales"] = None  # January's actual not entered: the condition cannot hold there
    got = flags(rows, "2026-02")["E1"]
    assert (got["history.miss2"], got["history.miss3"]) == (False, False)


def test_achievement_is_read_to_nine_places_and_100_percent_is_met():
    # 0.7 + 0.2 + 0.1 is 0.9999999999999999 in binary: read as 100%, not a miss.
    rows = months("E1", **{"2026-10": {"achievement:sales": 0.7 + 0.2 + 0.1},
                           "2026-11": {"achievement:sales": 1.0}})
    assert flags(rows, "2026-11")["E1"]["history.miss2"] is False
    # A precomputed achievement:<item> wins over sales / sales.target where both are given.
    rows = months("E1", **{"2026-10": {"achievement:sales": 0.5, "sales": 2, "sales.target": 1},
                           "2026-11": {"achievement:sales": None, "sales": 1, "sales.target": 2}})
    assert flags(rows, "2026-11")["E1"]["history.reasons"] == "连续两个月未完成业绩目标(2026-10 50%, 2026-11 50%)"


def test_total_rule_boundary_and_independent_penalties_add():
    # Total 60 is not below 60: no chain through October.  Sep 59, Oct 60, Nov 59, Dec 58.
    rows = months("E1", **{p: {"total": t, "achievement:sales": 1.0, "complaints.count": 0}
                           for p, t in [("2026-09", 59), ("2026-10", 60), ("2026-11", 59), ("2026-12", 58)]})
    assert flags(rows, "2026-11")["E1"]["history.low2"] is False
    dec = flags(rows, "2026-12")["E1"]
    assert dec["history.low2"] is True and dec["history.actions"] == "书面警告" and dec["history.deduction"] == 0
    # Three misses and the third complaint in the same month: 10% (业绩) + 10% (投诉) = 20%.
    rows = months("E2", **miss(0.7, 0.75, 0.8, start="2026-09"))
    rows[-1]["complaints.count"] = 3
    nov = flags(rows, "2026-11")["E2"]
    assert nov["history.deduction"] == 0.2  # summed, then read to 9 places: no 0.20000000000000004
    assert nov["history.actions"] == "扣当月工资10%并岗位调整；扣当月工资10%并岗位培训"
    assert nov["history.reasons"].endswith("；客户投诉累计三次(2026年累计3次: 2026-11 3次)")


# ---- complaints within the calendar year ----------------------------------------------------


def test_complaints_counted_within_the_year_hand_worked():
    # 2025-12: 1 (last year); 2026-03: 1; 2026-07: 1; 2026-11: 1.
    counts = {"2025-12": 1, "2026-03": 1, "2026-07": 1, "2026-11": 1, "2026-12": 0}
    rows = months("E1", **{p: {"complaints.count": c} for p, c in counts.items()})
    fired = {p: flags(rows, p)["E1"]["history.complaints3"] for p in counts}
    # In 2026 the running count is 1 (Mar), 2 (Jul), 3 (Nov): the rule fires in November —
    # once: December (still 3) does not fire again. Had the 2025-12 complaint counted,
    # July would have been the third.
    assert fired == {"2025-12": False, "2026-03": False, "2026-07": False, "2026-11": True, "2026-12": False}
    assert flags(rows, "2026-11")["E1"]["history.reasons"] == \
        "客户投诉累计三次(2026年累计3次: 2026-03 1次, 2026-07 1次, 2026-11 1次)"
    # window: all counts across years: the third complaint is July's.
    every = History.model_validate({"rules": [{**COMPLAINTS3, "window": "all"}]})
    assert [flags(rows, p, every)["E1"]["history.complaints3"] for p in counts] == [False, False, True, False, False]


def test_cumulative_over_periods_meeting_a_condition():
    rule = History.model_validate({"rules": [{"id": "weak3", "when": {"rating_in": ["不合格"]}, "cumulative": 3}]})
    ratings = {"2026-01": "不合格", "2026-02": "合格", "2026-05": "不合格", "2026-09": "不合格"}
    rows = months("E1", **{p: {"rating": r} for p, r in ratings.items()})
    assert flags(rows, "2026-09", rule)["E1"]["history.weak3"] is True
    assert flags(rows, "2026-05", rule)["E1"]["history.weak3"] is False
    assert flags(rows, "2026-09", rule)["E1"]["history.reasons"] == \
        "weak3: 累计3次(2026年累计3次: 2026-01 不合格, 2026-05 不合格, 2026-09 不合格)"


def test_only_rows_of_the_same_kind_up_to_the_period_count():
    rows = months("E1", **miss(0.9, 0.9, 0.9, start="2026-09"))
    rows += [{"employee_id": "E1", "period": "2026Q4", "achievement:sales": 0.5},
             {"employee_id": "E1", "period": "2026", "achievement:sales": 0.5},
             {"employee_id": "E2", "period": "2026-12", "achievement:sales": 0.5}]
    out = period_rules(RULES, pd.DataFrame(rows), "2026-10")
    assert list(out["employee_id"]) == ["E1"]  # E2 has no October row; later rows are ignored
    assert list(out.columns) == ["employee_id", "history.miss2", "history.miss3", "history.complaints3",
                                 "history.low2", "history.deduction", "salary_change", "salary_change.miss2",
                                 "salary_change.miss3", "salary_change.complaints3", "history.actions",
                                 "history.review", "history.reasons"]
    # Quarters chain like months: 2025Q4 → 2026Q1.
    q = [{"employee_id": "E1", "period": p, "achievement:sales": 0.9} for p in ("2025Q4", "2026Q1")]
    assert flags(q, "2026Q1")["E1"]["history.miss2"] is True


def test_a_date_cell_counts_as_its_month():
    rows = [{"employee_id": "E1", "period": datetime(2026, 10, 1), "achievement:sales": 0.9},
            {"employee_id": "E1", "period": "2026-11", "achievement:sales": 0.9}]
    assert flags(rows, "2026-11")["E1"]["history.miss2"] is True


def test_history_problems_all_at_once():
    rows = pd.DataFrame([
        {"employee_id": "E1", "period": "2026-11", "sales": 1, "sales.target": 0, "total": "九十", "complaints.count": 1},
        {"employee_id": "E1", "period": "2026-11", "sales": 1, "sales.target": 1, "total": 80, "complaints.count": -1},
        {"employee_id": "E2", "period": "十一月", "sales": 1, "sales.target": 1, "total": 80, "complaints.count": 0},
        {"employee_id": None, "period": "2026-10", "sales": 1, "sales.target": 1, "total": 80, "complaints.count": 0},
    ])
    with pytest.raises(InputError) as e:
        period_rules(RULES, rows, "2026-11")
    assert sorted(e.value.keys()) == sorted([
        ("history[3].employee_id", "blank_id"),
        ("history[1].period", "duplicate_row"),
        ("history[2].period", "bad_period"),
        ("history[0].total", "not_a_number"),
        ("history[0].sales.target", "no_target"),
        ("history[1].complaints.count", "negative_count"),
    ])
    with pytest.raises(InputError) as e:
        period_rules(RULES, pd.DataFrame([{"employee_id": "E1", "period": "2026-11"}]), "2026-11")
    assert e.value.keys() == [("history column achievement:sales", "missing_column"),
                              ("history column complaints.count", "missing_column"),
                              ("history column total", "missing_column")]
    with pytest.raises(InputError) as e:
        period_rules(RULES, rows, "Nov 2026")
    assert e.value.keys() == [("period", "bad_period")]


def test_a_table_read_from_a_file_names_its_lines(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("employee_id,period,achievement:sales,total,complaints.count\n"
                    "E1,2026-10,0.9,80,0\nE1,2026-11,0.9,abc,0\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        period_rules(RULES, read_table(path), "2026-11")
    assert e.value.keys() == [("history.csv:3 (total)", "not_a_number")]


# ---- properties ---------------------------------------------------------------------------


def _prev_month(y: int, m: int) -> tuple[int, int]:
    return (y - 1, 12) if m == 1 else (y, m - 1)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3),
       st.lists(st.tuples(st.sampled_from(["E1", "E2", "E3"]), st.integers(0, 23),
                          st.sampled_from([0.5, 0.99, 1.0, 1.2, None]), st.integers(0, 2)),
                min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_consecutive_fires_iff_the_last_n_calendar_months_all_miss(n, cap, cells, rnd):
    rules = History.model_validate({"rules": [
        {"id": "miss", "when": {"item": "sales", "achievement_below": 1.0}, "consecutive": n},
        {"id": "complaints", "count": {"column": "complaints.count"}, "cumulative": cap + 1}]})
    data: dict[tuple[str, int, int], tuple] = {}
    for eid, o, a, c in cells:  # months 2025-01 … 2026-12; the last value of a cell wins
        data[(eid, 2025 + o // 12, o % 12 + 1)] = (a, c)
    rows = [{"employee_id": e, "period": f"{y}-{m:02d}", "achievement:sales": a, "complaints.count": c}
            for (e, y, m), (a, c) in data.items()]
    eid, y, m = rnd.choice(sorted(data))
    period = f"{y}-{m:02d}"
    got = period_rules(rules, pd.DataFrame(rows), period).set_index("employee_id")

    # Independently: walk back n calendar months; every one must exist and be a miss.
    yy, mm, fires = y, m, True
    for _ in range(n):
        a = data.get((eid, yy, mm), (None, 0))[0]
        fires &= a is not None and a < 1.0
        yy, mm = _prev_month(yy, mm)
    assert bool(got.loc[eid, "history.miss"]) == fires
    # Complaints: the count before this month (same year) is below cap+1, and this month reaches it.
    before = sum(c for (e, yy, mm), (_, c) in data.items() if e == eid and yy == y and mm < m)
    now = data[(eid, y, m)][1]
    assert bool(got.loc[eid, "history.complaints"]) == (before < cap + 1 <= before + now)

    shuffled = rows[:]
    rnd.shuffle(shuffled)
    again = period_rules(rules, pd.DataFrame(shuffled), period).set_index("employee_id")
    pd.testing.assert_frame_equal(got.sort_index(), again.sort_index())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["优秀", "良好", "合格", "待改进", "不合格", None]), min_size=3, max_size=3),
       st.sampled_from(LADDER), st.floats(0, 2e7), st.floats(0.8, 1.0))
def test_level_proposals_never_act_beyond_the_ladder(ratings, level, sales, satisfaction):
    annual = pd.DataFrame([{"employee_id": "E1", "period": str(2024 + k), "rating": r, "年度销售额": sales,
                            "客户满意度": satisfaction, "投诉率": 0.0} for k, r in enumerate(ratings)])
    out = level_proposals(LADDER_RULES, annual, pd.DataFrame([{"employee_id": "E1", "职级": level}]), "2026")
    row = out.iloc[0]
    assert row["move"] in MOVES and row["proposed"] in LADDER and row["reason"]
    i, j = LADDER.index(level), LADDER.index(row["proposed"])
    assert {"promote": 0 < j - i <= 2, "demote": j == i - 1, "keep": i == j, "review": i == j}[row["move"]]
    if ratings == ["不合格"] * 3:  # 连续三年不合格: a flag for review, whatever the level — never an action
        assert row["move"] == "review" and "提请审议" in row["reason"]


# ---- levels -------------------------------------------------------------------------------


def annual(rows: list[tuple]) -> pd.DataFrame:
    """(employee, year, rating, 年度销售额, 客户满意度, 投诉率)."""
    return pd.DataFrame([{"employee_id": e, "period": y, "rating": r, "年度销售额": s, "客户满意度": c, "投诉率": q}
                         for e, y, r, s, c, q in rows])


def propose(rows: list[tuple], roster: dict[str, str], year: str = "2026", levels: Levels = LADDER_RULES) -> dict:
    r = pd.DataFrame({"employee_id": list(roster), "职级": list(roster.values())})
    out = level_proposals(levels, annual(rows), r, year)
    return {row.employee_id: (row.proposed, row.move, row.reason) for row in out.itertuples()}


def test_level_moves_hand_worked():
    got = propose([
        ("P1", "2026", "优秀", 1000000, 0.9, 0.0),                                   # A1: 1 year 优秀 → A2
        ("P2", "2025", "优秀", 0, 0, 0), ("P2", "2026", "优秀", 1000000, 0.9, 0.0),  # A1: 2 years → fast track A3
        ("P3", "2026", "优秀", 9e6, 1, 0),                                          # D4: top, stays
        ("P4", "2025", "不合格", 0, 0, 0), ("P4", "2026", "待改进", 0, 0, 0),        # B2: 连续两年不达标 → B1
        ("P5", "2025", "不合格", 0, 0, 0), ("P5", "2026", "不合格", 0, 0, 0),        # bottom: → review
        ("P6", "2024", "不合格", 0, 0, 0), ("P6", "2025", "不合格", 0, 0, 0),
        ("P6", "2026", "不合格", 0, 0, 0),                                          # 3 years → review, not dismissal
        ("P7", "2024", "不合格", 0, 0, 0), ("P7", "2026", "不合格", 0, 0, 0),        # 2025 missing: no chain
        ("P8", "2026", "良好", 0, 0, 0),
    ], {"P1": "A1", "P2": "A1", "P3": "D4", "P4": "B2", "P5": "业务推广专员", "P6": "C2", "P7": "C2", "P8": "B3",
        "P9": "A2"})
    assert got["P1"] == ("A2", "promote", "2026年度优秀 → 建议晋升 A1→A2")
    assert got["P2"] == ("A3", "promote", "2025、2026年度均为优秀 → 连续两年优秀(快速晋升)，建议晋升 A1→A3")
    assert got["P3"] == ("D4", "keep", "2026年度优秀，但 D4 已是最高职级，不再晋升")
    assert got["P4"] == ("B1", "demote", "2025年度不合格、2026年度待改进 → 连续两年不达标，建议降级 B2→B1")
    assert got["P5"] == ("业务推广专员", "review",
                         "2025、2026年度均为不合格 → 连续两年不达标，应降级，但 业务推广专员 已是最低职级，提请审议")
    assert got["P6"] == ("C2", "review", "2024、2025、2026年度均为不合格 → 连续三年不合格，提请审议(不自动处理)")
    assert got["P7"] == ("C2", "keep", "2026年度不合格，维持 C2")
    assert got["P8"] == ("B3", "keep", "2026年度良好，维持 B3")
    assert got["P9"] == ("A2", "keep", "2026年度无考核结果，维持 A2")


def test_an_unmet_threshold_blocks_a_promotion_with_its_reason():
    got = propose([
        # A3 → B1 needs 年度销售额 ≥ 3,000,000 and 客户满意度 ≥ 90%.
        ("Q1", "2026", "优秀", 2942500, 0.93, 0.0),
        # B3 → C1 needs 5,000,000, ≥ 95% and 投诉率 ≤ 1%: two unmet.
        ("Q2", "2026", "优秀", 6000000, 0.94, 0.02),
        # A2 with two years 优秀: the fast track to B1 is blocked (sales), one step to A3 is not.
        ("Q3", "2025", "优秀", 0, 0, 0), ("Q3", "2026", "优秀", 2000000, 0.95, 0.0),
        # Exactly at the thresholds qualifies (min and max are inclusive).
        ("Q4", "2026", "优秀", 5000000, 0.95, 0.01),
        ("Q5", "2026", "优秀", None, 0.95, 0.01),
        # A3 with two years 优秀: the fast track A3→B2 passes B1, whose gate (3,000,000) it misses;
        # B2 itself has no threshold. Then one step (A3→B1) is blocked by the same gate.
        ("Q6", "2025", "优秀", 0, 0, 0), ("Q6", "2026", "优秀", 2400000, 0.95, 0.0),
    ], {"Q1": "A3", "Q2": "B3", "Q3": "A2", "Q4": "B3", "Q5": "B3", "Q6": "A3"})
    assert got["Q6"] == ("A3", "keep", "2025、2026年度均为优秀，但年度销售额 2,400,000 未达 B1 门槛 3,000,000，暂不晋升")
    assert got["Q1"] == ("A3", "keep", "2026年度优秀，但年度销售额 2,942,500 未达 B1 门槛 3,000,000，暂不晋升")
    assert got["Q2"] == ("B3", "keep", "2026年度优秀，但客户满意度 94% 未达 C1 门槛 95%；投诉率 2% 超过 C1 上限 1%，暂不晋升")
    assert got["Q3"] == ("A3", "promote", "2026年度优秀 → 建议晋升 A2→A3")
    assert got["Q4"][:2] == ("C1", "promote")
    assert got["Q5"] == ("B3", "keep", "2026年度优秀，但年度销售额 无数据(晋升 C1 需 ≥5,000,000)，暂不晋升")


def test_a_level_not_on_the_ladder_is_a_problem_at_its_cell_all_at_once():
    roster = pd.DataFrame({"employee_id": ["R1", "R2", "R3"], "职级": ["A1", "E1", None]})
    rows = annual([("R1", "2026", "优秀", 0, 0, 0)]).drop(columns=["投诉率"])
    with pytest.raises(InputError) as e:
        level_proposals(LADDER_RULES, rows, roster, "2026")
    assert e.value.keys() == [("roster[1].职级", "unknown_level"), ("roster[2].职级", "unknown_level"),
                              ("annual column 投诉率", "missing_column")]
    assert "业务推广专员、A1、A2" in e.value.problems[0].message and e.value.problems[0].value == "E1"
    with pytest.raises(InputError) as e:
        level_proposals(LADDER_RULES, rows, roster.drop(columns=["职级"]), "2026-11")
    assert e.value.keys() == [("year", "bad_period")]


def test_a_roster_read_from_a_file_names_the_cell(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("employee_id,职级\nR1,A1\nR2,Z9\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        level_proposals(LADDER_RULES, annual([("R1", "2026", "优秀", 0, 0, 0)]), path, "2026")
    assert e.value.keys() == [("roster.csv:3 (职级)", "unknown_level")]


def test_a_three_level_ladder():
    lv = Levels.model_validate({"column": "级别", "ladder": ["初级", "中级", "高级"],
                                "promote": [{"when": {"total_at_least": 90}}],
                                "demote": [{"when": {"total_below": 60}, "years": 2}]})
    rows = pd.DataFrame([{"employee_id": e, "period": y, "total": t} for e, y, t in
                         [("S1", 2026, 95), ("S2", 2025, 55), ("S2", 2026, 58.5), ("S3", 2026, 99)]])
    roster = pd.DataFrame({"employee_id": ["S1", "S2", "S3"], "级别": ["初级", "中级", "高级"]})
    out = level_proposals(lv, rows, roster, "2026")
    assert out.values.tolist() == [
        ["S1", "初级", "中级", "promote", "2026年度总分95 → 建议晋升 初级→中级"],
        ["S2", "中级", "初级", "demote", "2025年度总分55、2026年度总分58.5 → 建议降级 中级→初级"],
        ["S3", "高级", "高级", "keep", "2026年度总分99，但 高级 已是最高职级，不再晋升"],
    ]


# ---- the scheme: checks and round trips ----------------------------------------------------


def test_scheme_problems_have_yaml_paths():
    d = copy.deepcopy(SCHEME)
    d["history"]["rules"][0]["when"]["item"] = "salez"              # unknown item
    d["history"]["rules"][1]["consecutive"] = 0                     # consecutive < 1
    d["history"]["rules"][3]["supersedes"] = ["nope"]
    d["history"]["rules"].append({"id": "bad", "when": {"score_below": 3}, "consecutive": 2,
                                  "count": {"column": "x"}, "window": "year"})
    d["levels"]["ladder"] = [*LADDER, "A1"]                          # a duplicate
    d["levels"]["qualify"]["Z9"] = {"x": {"min": 2, "max": 1}}       # not on the ladder; min > max
    d["levels"]["demote"][0]["when"]["rating_in"] = ["差"]
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert sorted(e.value.keys()) == sorted([
        ("history.rules[1].consecutive", "greater_than_equal"),
        ("history.rules[0].when.item", "unknown_item"),
        ("history.rules[3].supersedes[0]", "unknown_rule"),
        ("history.rules[4].count", "count_unused"),
        ("history.rules[4].window", "window_unused"),
        ("history.rules[4].when.item", "missing"),
        ("levels.ladder", "duplicate_level"),
        ("levels.qualify.Z9", "unknown_level"),
        ("levels.qualify.Z9.x.min", "cap_below_floor"),
        ("levels.demote[0].when.rating_in[0]", "unknown_rating"),
    ])


def test_scheme_problems_rule_kinds_and_overlapping_deductions():
    d = copy.deepcopy(SCHEME)
    d["history"]["rules"] = [
        {**MISS2}, {**MISS3, "supersedes": []},                                # both deduct on one condition
        {"id": "neither", "action": "x"},
        {"id": "both", "count": {"column": "c"}, "when": {"total_below": 1}, "cumulative": 2},
        {"id": "empty", "when": {}, "consecutive": 1},
        {"id": "never", "when": {"total_below": 50, "total_at_least": 60}, "consecutive": 1}]
    d["levels"]["promote"][0]["steps"] = 14
    d["levels"]["qualify"]["业务推广专员"] = {"x": {}}
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert sorted(e.value.keys()) == sorted([
        ("history.rules[1].supersedes", "deductions_add_up"),
        ("history.rules[2].consecutive", "consecutive_or_cumulative"),
        ("history.rules[3].count", "count_or_when"),
        ("history.rules[4].when", "empty_condition"),
        ("history.rules[5].when.total_at_least", "never_true"),
        ("levels.promote[0].steps", "steps_too_many"),
        ("levels.qualify.业务推广专员", "qualify_lowest"),
        ("levels.qualify.业务推广专员.x", "empty_threshold"),
    ])
    [overlap] = [p for p in e.value.problems if p.code == "deductions_add_up"]
    assert overlap.message.endswith("add supersedes: [miss2] to miss3")


def test_scheme_problems_annual_values_of_card_inputs():
    """A monthly card whose levels read a card input says how the year makes it annual (levels.annual)."""
    d = copy.deepcopy(SCHEME)
    d["levels"]["qualify"]["A1"] = {
        "年度业务销售额": {"measure": {"column": "sales"}, "min": 5000000},
        "销售额较上年增长": {"measure": {"growth": {"item": "sales", "periods": 1}}, "min": 0.1},  # sales: said once
        "走访": {"measure": {"share": {"item": "visits"}}, "min": 0.1},
        "年度销售额": {"min": 1}}  # no card input: the roster's (HR's) annual value, nothing to say
    d["levels"]["annual"] = {"visits": "mean", "complaints": "sum"}
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert sorted(e.value.keys()) == sorted([
        ("levels.qualify.A1.年度业务销售额.measure.column", "annual_missing"),
        ("levels.annual.complaints", "annual_unused"),
    ])
    [missing] = [p for p in e.value.problems if p.code == "annual_missing"]
    assert "the card is monthly" in missing.message and "levels.annual: {sales: sum}" in missing.message
    d["levels"]["annual"] = {"visits": "mean", "sales": "total"}  # sum, mean or last
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert ("levels.annual.sales", "literal_error") in e.value.keys()
    d["levels"]["annual"] = {"visits": "mean", "sales": "sum"}
    assert scheme_from_dict(d).levels.annual == {"visits": "mean", "sales": "sum"}
    # A yearly card's year is its one period: nothing to say.
    del d["levels"]["annual"]
    assert scheme_from_dict({**d, "period": "year"}).levels.annual == {}


def test_yaml_json_round_trip():
    scheme = scheme_from_dict(SCHEME)
    assert scheme_from_dict(yaml.safe_load(dump_yaml(scheme))) == scheme
    assert scheme_from_dict(json.loads(dump_json(scheme))) == scheme
    assert scheme_to_dict(scheme)["history"]["rules"][1]["supersedes"] == ["miss2"]
    assert scheme_to_dict(scheme)["levels"]["ladder"] == LADDER


def _through_sheet(scheme: kpixl.Scheme) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    write_scheme_sheet(scheme, wb)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def test_scheme_sheet_round_trip_and_problems_at_the_cell():
    scheme = scheme_from_dict(SCHEME)
    wb = _through_sheet(scheme)
    assert read_scheme_sheet(wb) == scheme
    ws = wb["Scheme"]
    cell = next(r[1] for r in ws.iter_rows(max_col=2) if r[0].value == "历史规则")
    assert str(cell.value).startswith("{rules: [{id: miss2")
    cell.value = cell.value.replace("item: sales", "item: salez", 1)
    with pytest.raises(InputError) as e:
        read_scheme_sheet(wb)
    assert e.value.keys() == [(f"Scheme!{cell.coordinate}", "unknown_item")]
    assert e.value.problems[0].message.startswith("history.rules[0].when.item: no item 'salez'")


# ---- periods --------------------------------------------------------------------------------


def test_period_helpers():
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026Q1") == "2025Q4"
    assert previous_period("2026H1", 3) == "2024H2"
    assert previous_period("2026") == "2025"
    assert str(parse_period("2026-1")) == "2026-01" and str(parse_period(2026)) == "2026"
    assert parse_period(datetime(2026, 11, 15)) == parse_period("2026-11")
    assert (period_label("2026q4"), period_start("2026H2")) == ("2026年第4季度", datetime(2026, 7, 1))
    with pytest.raises(ValueError, match="2026Q4 \\(quarter\\)"):
        parse_period("2026-13")


# ---- the example -----------------------------------------------------------------------------


def test_example_history_hand_worked():
    scheme = kpixl.load_scheme(ROOT / "examples/history.yaml")
    rows = pd.read_csv(ROOT / "examples/history.csv", dtype={"period": str})
    nov = period_rules(scheme.history, rows, "2026-11").set_index("employee_id")
    # K01 王伟: Sep 205,000/250,000 = 82%, Oct 90%, Nov 95% → 连续三个月 → 10% and review.
    assert nov.loc["K01", "history.reasons"] == "连续三个月未完成业绩目标(2026-09 82%, 2026-10 90%, 2026-11 95%)"
    # K02 李芳: Sep 88%, no October row, Nov 92% → nothing in November (December: Nov+Dec → 5%).
    assert nov.loc["K02", "history.deduction"] == 0 and nov.loc["K02", "history.reasons"] == ""
    assert period_rules(scheme.history, rows, "2026-12").set_index("employee_id").loc["K02", "history.deduction"] == 0.05
    # K03 张娜: complaints 2025-12, 2026-03, 2026-07, 2026-11 → 2026's third is November's.
    assert nov.loc["K03", "history.actions"] == "扣当月工资10%并岗位培训"
    # K04 刘敏: Oct 60%, Nov 55% (连续两个月, 5%) and totals 55, 58 (书面警告).
    assert (nov.loc["K04", "history.deduction"], nov.loc["K04", "history.actions"]) == (0.05, "扣当月工资5%；书面警告")
    # K05 陈静: nothing. K06 杨洋: 4 misses (10%) and 3 complaints in November (10%) → 20%;
    # the complaint rules 1 and 2 fire too but complaints3 supersedes them.
    assert not nov.loc["K05", [c for c in nov.columns if c.startswith("history.") and nov[c].dtype == bool]].any()
    assert nov.loc["K06", "history.deduction"] == 0.2
    assert nov.loc["K06", ["history.complaint1", "history.complaint2", "history.complaints3"]].tolist() == [True] * 3
    assert nov["history.review"].to_dict() == {"K01": True, "K02": False, "K03": True, "K04": False, "K05": False,
                                               "K06": True}
    # July: 张娜's second complaint in 2026 (the 2025-12 one does not count) → 5%.
    jul = period_rules(scheme.history, rows, "2026-07").set_index("employee_id")
    assert (jul.loc["K03", "history.complaint2"], jul.loc["K03", "history.deduction"]) == (True, 0.05)

    # Annual rows sit in the same file (period 2024/2025/2026); months are ignored there.
    roster = pd.read_csv(ROOT / "examples/history.roster.csv")
    got = level_proposals(scheme.levels, rows, roster, "2026").set_index("employee_id")
    assert got[["proposed", "move"]].apply(tuple, axis=1).to_dict() == {
        "K01": ("A3", "keep"),             # 优秀, but 2,942,500 (Σ of the 2026 months) < 3,000,000 for B1
        "K02": ("A3", "promote"),          # 2025、2026 优秀 → 快速晋升 A1→A3
        "K03": ("B1", "demote"),           # 2025 不合格、2026 待改进 → 连续两年不达标
        "K04": ("业务推广专员", "review"),   # 不达标 twice at the bottom of the ladder
        "K05": ("D4", "keep"),             # 优秀 at the top
        "K06": ("C2", "review"),           # 连续三年不合格: for review, never a dismissal
    }
    monthly = rows[rows["employee_id"].eq("K01") & rows["period"].str.startswith("2026-")]
    assert monthly["sales"].sum() == 2942500
    assert got.loc["K01", "reason"] == "2026年度优秀，但年度销售额 2,942,500 未达 B1 门槛 3,000,000，暂不晋升"
    # The example scheme survives the Scheme sheet.
    assert read_scheme_sheet(_through_sheet(scheme)) == scheme


# ---- strict and inclusive thresholds (投诉率低于2%) ------------------------------------------


def test_qualification_below_is_strict_seed_complaint_rate():
    # 投诉率低于2%方可晋升 → {below: 0.02}: a person at exactly 2% is NOT promoted, at 1.99% is.
    # A1 → A2 (one year 优秀); A2 asks 投诉率 < 2% and 客户满意度 > 90% (高于90%).
    lv = copy.deepcopy(LEVELS)
    lv["qualify"] = {"A2": {"投诉率": {"below": 0.02}, "客户满意度": {"above": 0.9}}}
    got = propose([
        ("S1", "2026", "优秀", 0, 0.95, 0.02),          # 2% is not below 2% → stays
        ("S2", "2026", "优秀", 0, 0.95, 0.0199),        # 1.99% < 2% → A2
        ("S3", "2026", "优秀", 0, 0.9, 0.01),           # 90% is not above 90% → stays
        ("S4", "2026", "优秀", 0, 0.9000000001, 0.01),  # read to 9 places: 0.9 → still not above
        ("S5", "2026", "优秀", 0, 0.900000001, 0.01),   # 0.900000001 > 0.9 → A2
        ("S6", "2026", "优秀", 0, 0.95, None),          # no data
    ], {f"S{k}": "A1" for k in range(1, 7)}, levels=Levels.model_validate(lv))
    assert got["S1"] == ("A1", "keep", "2026年度优秀，但投诉率 2% 未低于 A2 上限 2%，暂不晋升")
    assert got["S2"] == ("A2", "promote", "2026年度优秀 → 建议晋升 A1→A2")
    assert got["S3"] == ("A1", "keep", "2026年度优秀，但客户满意度 90% 未高于 A2 门槛 90%，暂不晋升")
    assert got["S4"][:2] == ("A1", "keep")
    assert got["S5"][:2] == ("A2", "promote")
    assert got["S6"] == ("A1", "keep", "2026年度优秀，但投诉率 无数据(晋升 A2 需 <2%)，暂不晋升")


def test_inclusive_qualification_max_still_promotes_at_the_edge():
    # {max: 0.02} (不高于2%) is the inclusive partner: exactly 2% qualifies, 2.01% does not.
    lv = copy.deepcopy(LEVELS)
    lv["qualify"] = {"A2": {"投诉率": {"max": 0.02}}}
    got = propose([("I1", "2026", "优秀", 0, 0, 0.02), ("I2", "2026", "优秀", 0, 0, 0.0201)],
                  {"I1": "A1", "I2": "A1"}, levels=Levels.model_validate(lv))
    assert got["I1"][:2] == ("A2", "promote")
    assert got["I2"] == ("A1", "keep", "2026年度优秀，但投诉率 2.01% 超过 A2 上限 2%，暂不晋升")


def test_condition_strict_and_inclusive_partners():
    # One month each, consecutive: 1. Totals 59, 60, 61 and achievements 99%, 100%, 101%.
    rules = History.model_validate({"rules": [
        {"id": "below60", "when": {"total_below": 60}, "consecutive": 1},          # 59
        {"id": "at_most60", "when": {"total_at_most": 60}, "consecutive": 1},      # 59, 60
        {"id": "above60", "when": {"total_above": 60}, "consecutive": 1},          # 61
        {"id": "at_least60", "when": {"total_at_least": 60}, "consecutive": 1},    # 60, 61
        {"id": "ach_above", "when": {"item": "sales", "achievement_above": 1.0}, "consecutive": 1},     # 101%
        {"id": "ach_at_most", "when": {"item": "sales", "achievement_at_most": 1.0}, "consecutive": 1},  # 99%, 100%
        {"id": "score_above", "when": {"item": "sales", "score_above": 20}, "consecutive": 1},           # 21
        {"id": "score_at_most", "when": {"item": "sales", "score_at_most": 20}, "consecutive": 1},       # 19, 20
        # 60 < total ≤ 61 and achievement at least 100%: only the third person.
        {"id": "both", "when": {"total_above": 60, "total_at_most": 61, "item": "sales",
                                "achievement_at_least": 1.0}, "consecutive": 1},
    ]})
    rows = [{"employee_id": e, "period": "2026-11", "total": t, "achievement:sales": a, "score:sales": s}
            for e, t, a, s in [("E1", 59, 0.99, 19), ("E2", 60, 0.7 + 0.2 + 0.1, 20), ("E3", 61, 1.01, 21)]]
    got = period_rules(rules, pd.DataFrame(rows), "2026-11").set_index("employee_id")
    fired = {r: [e for e in got.index if got.loc[e, f"history.{r}"]] for r in
             ("below60", "at_most60", "above60", "at_least60", "ach_above", "ach_at_most", "score_above",
              "score_at_most", "both")}
    assert fired == {"below60": ["E1"], "at_most60": ["E1", "E2"], "above60": ["E3"], "at_least60": ["E2", "E3"],
                     # 0.7 + 0.2 + 0.1 = 0.9999999999999999 reads as 100%: at most 100%, not above it.
                     "ach_above": ["E3"], "ach_at_most": ["E1", "E2"],
                     "score_above": ["E3"], "score_at_most": ["E1", "E2"], "both": ["E3"]}
    assert got.loc["E3", "history.reasons"].startswith("above60: 连续1个月(2026-11 总分61)")


def test_strict_threshold_scheme_problems():
    d = copy.deepcopy(SCHEME)
    d["history"]["rules"] = [
        {"id": "twice", "when": {"total_at_least": 60, "total_above": 50}, "consecutive": 1},
        {"id": "never", "when": {"total_above": 60, "total_at_most": 60}, "consecutive": 1},
        {"id": "never2", "when": {"item": "sales", "achievement_at_least": 1, "achievement_below": 1},
         "consecutive": 1},
        {"id": "point", "when": {"total_at_least": 60, "total_at_most": 60}, "consecutive": 1},  # exactly 60: fine
        {"id": "item_only_strict", "when": {"item": "sales", "score_above": 3}, "consecutive": 1},  # fine
    ]
    d["levels"]["qualify"] = {"A2": {"x": {"min": 0.9, "above": 0.9}, "y": {"above": 0.02, "below": 0.02},
                                     "z": {"below": 0.02}, "w": {"min": 0.02, "max": 0.02}}}
    with pytest.raises(InputError) as e:
        scheme_from_dict(d)
    assert sorted(e.value.keys()) == sorted([
        ("history.rules[0].when.total_above", "strict_and_inclusive"),
        ("history.rules[1].when.total_above", "never_true"),
        ("history.rules[2].when.achievement_at_least", "never_true"),
        ("levels.qualify.A2.x.above", "strict_and_inclusive"),
        ("levels.qualify.A2.y.above", "never_true"),
    ])


def test_strict_thresholds_round_trip_yaml_and_sheet():
    d = copy.deepcopy(SCHEME)
    d["history"]["rules"].append({"id": "top", "when": {"total_above": 95, "item": "sales",
                                                        "achievement_at_most": 1.2}, "consecutive": 2})
    d["levels"]["qualify"]["C1"]["投诉率"] = {"below": 0.02}
    d["levels"]["qualify"]["B1"]["客户满意度"] = {"above": 0.9}
    scheme = scheme_from_dict(d)
    assert scheme_from_dict(yaml.safe_load(dump_yaml(scheme))) == scheme
    assert scheme_to_dict(scheme)["levels"]["qualify"]["C1"]["投诉率"] == {"below": 0.02}
    assert read_scheme_sheet(_through_sheet(scheme)) == scheme
