"""The approval step (奖罚审批, docs/scheme.md § Pay, approval): rewards and penalties count in
应发合计 only once approved — hand-worked in the engine, and the same in LibreOffice after 同意
is typed into the saved workbook.

Seed 000: 所有奖励与惩罚均需经过管理层审核批准; 客户经理奖惩制度范本: 客户经理推荐、自荐或部门提名 →
部门经理审核 → 总经理办公会议会审.
"""

from __future__ import annotations

import random

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpixl.errors import InputError
from kpixl.libreoffice import recalculate
from kpixl.pay import PayTable, compute_pay, pay_problems, write_pay_sheet
from kpixl.pay.approval import APPROVAL_SHEET, Approval, approval_layout, decisions, read_approvals, write_approvals
from kpixl.results.verify import read_results
from kpixl.scheme.pay import Pay

PAY = Pay.model_validate({"lines": [
    {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资"},
    {"id": "late", "name": "迟到早退", "type": "per_event", "column": "迟到早退次数", "fraction": -0.02},
    {"id": "mistake", "name": "工作失误", "type": "range", "column": "工作失误比例", "min": 0.05, "max": 0.2},
    {"id": "award", "name": "创新提案奖", "type": "fixed", "column": "创新提案", "amount": 1000},
]})


def figures() -> pd.DataFrame:
    return pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "基本工资": [3000, 4000, 2500],
                         "迟到早退次数": [2, 0, 1], "工作失误比例": [None, 0.1, 0.2], "创新提案": [0, 1, 1]})


def test_pending_and_rejected_do_not_count_by_hand():
    f = figures()
    # E1: 基本工资 3,000; 迟到早退 2次 × −2% × 3,000 = −120, a proposal.
    old = compute_pay(PAY, f).set_index("employee_id")  # no approval step: every line counts
    assert old.loc["E1", "pay.total"] == 3000 - 120 == 2880
    pending = compute_pay(PAY, f, approvals={}).set_index("employee_id")
    assert pending.loc["E1", "pay.late"] == -120  # the line still shows the proposed amount
    assert pending.loc["E1", "pay.late.counted"] == 0 and pending.loc["E1", "pay.total"] == 3000
    agreed = compute_pay(PAY, f, approvals={("E1", "late"): "同意"}).set_index("employee_id")
    assert agreed.loc["E1", "pay.late.counted"] == -120 and agreed.loc["E1", "pay.total"] == 2880
    rejected = compute_pay(PAY, f, approvals={("E1", "late"): "不同意"}).set_index("employee_id")
    assert rejected.loc["E1", "pay.total"] == 3000
    # E2: 4,000; 工作失误 −10% × 4,000 = −400 approved; 提案 +1,000 rejected: 4,000 − 400 = 3,600.
    # E3: 2,500; 迟到 −50 approved, 失误 −500 pending, 提案 +1,000 approved: 2,500 − 50 + 1,000 = 3,450.
    got = compute_pay(PAY, f, approvals={("E2", "mistake"): "同意", ("E2", "award"): "不同意",
                                         ("E3", "late"): "同意", ("E3", "award"): "同意"}).set_index("employee_id")
    assert got.loc["E2", "pay.total"] == 4000 - 400 == 3600
    assert got.loc["E3", "pay.total"] == 2500 - 50 + 1000 == 3450


def test_the_worked_example_in_the_scheme_reference():
    pay = Pay.model_validate({"lines": [
        {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资"},
        {"id": "late", "name": "迟到早退", "type": "per_event", "column": "迟到早退次数", "fraction": -0.02},
        {"id": "attendance", "name": "全勤奖", "type": "fixed", "column": "全勤", "amount": 200, "approval": False}]})
    f = pd.DataFrame({"employee_id": ["E1"], "基本工资": [3000], "迟到早退次数": [2], "全勤": ["是"]})
    total = {d: compute_pay(pay, f, approvals={("E1", "late"): d})["pay.total"].iloc[0] for d in (None, "同意", "不同意")}
    # 3,000 + 200 pending; 3,000 − 120 + 200 once 同意; 不同意 as pending
    assert total == {None: 3200, "同意": 3080, "不同意": 3200}


def test_approval_option_per_line():
    """``approval: false`` lets a line count at once; ``approval: true`` puts a wage line under approval."""
    pay = Pay.model_validate({"lines": [
        {"id": "base", "name": "基本工资", "type": "wage", "column": "基本工资", "approval": True},
        {"id": "late", "name": "迟到早退", "type": "per_event", "column": "迟到早退次数", "fraction": -0.02,
         "approval": False}]})
    got = compute_pay(pay, figures(), approvals={("E1", "base"): "同意"}).set_index("employee_id")
    # E1: 3,000 approved − 120 (no approval needed) = 2,880; E2: 4,000 pending → 0 (floor 0)
    assert got.loc["E1", "pay.total"] == 2880 and got.loc["E2", "pay.total"] == 0
    assert "pay.late.counted" not in got.columns


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([None, "同意", "不同意"]), min_size=9, max_size=9))
def test_approving_a_penalty_never_raises_pay(choices):
    f = figures()
    keys = [(e, ln) for e in ("E1", "E2", "E3") for ln in ("late", "mistake", "award")]
    approvals = dict(zip(keys, choices))
    got = compute_pay(PAY, f, approvals=approvals).set_index("employee_id")
    every = compute_pay(PAY, f, approvals={k: "同意" for k in keys}).set_index("employee_id")
    wage = f.set_index("employee_id")["基本工资"]
    for e in ("E1", "E2", "E3"):
        # penalties approved only lower pay, rewards only raise it: between all-approved-penalties
        # and all-approved-rewards
        penalties = sum(min(0, every.loc[e, f"pay.{ln}"]) for ln in ("late", "mistake", "award"))
        rewards = sum(max(0, every.loc[e, f"pay.{ln}"]) for ln in ("late", "mistake", "award"))
        assert wage[e] + penalties - 1e-9 <= got.loc[e, "pay.total"] <= wage[e] + rewards + 1e-9


def test_approval_sheet_rows_and_kept_decisions():
    f = figures()
    got = compute_pay(PAY, f, approvals={})
    old = {("2026-11", "E1", "late"): Approval("同意", "王经理", "2026-12-03", None, -100.0),
           ("2026-10", "E2", "mistake"): Approval("同意", "王经理")}  # another period: dropped
    lay, n, now = approval_layout(PAY, f, got, "2026-11", {"姓名": ["甲", "乙", "丙"]}, old)
    rows = list(zip(lay.cols["employee_id"].values, lay.cols["approval.line"].values,
                    lay.cols["approval.basis"].values, lay.cols["approval.amount"].values))
    # one row per non-zero proposal: E1 迟到 −120; E2 失误 −400, 提案 +1,000; E3 迟到 −50, 失误 −500, 提案 +1,000
    assert rows == [("E1", "late", "2次; −2%/次", -120.0), ("E2", "mistake", "10%; −5%~−20%", -400.0),
                    ("E2", "award", "1次; +1,000元/次", 1000.0), ("E3", "late", "1次; −2%/次", -50.0),
                    ("E3", "mistake", "20%; −5%~−20%", -500.0), ("E3", "award", "1次; +1,000元/次", 1000.0)]
    assert n == 6 and lay.cols["approval.decision"].values[0] == "同意"
    # E1's 迟到 was approved at −100 and is now −120: kept, flagged
    assert now[("2026-11", "E1", "late")].note == "金额已变, 请复核 (原 -100.00)"
    assert ("2026-10", "E2", "mistake") not in now


def _sheet(pay: Pay, f: pd.DataFrame, path, lang: str = "zh") -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "工资核算"
    write_pay_sheet(ws, pay, PayTable(f, {"姓名": [f"某{k}" for k in range(len(f))]}),
                    approval_ws=wb.create_sheet(APPROVAL_SHEET), approvals={}, period="2026-11", lang=lang)
    wb.save(path)


def _type(path, decisions: dict[tuple[str, str], str | None]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(3, ws.max_row + 1):
        key = (ws.cell(r, col["employee_id"]).value, ws.cell(r, col["approval.line"]).value)
        if decisions.get(key):
            ws.cell(r, col["approval.decision"]).value = decisions[key]
            ws.cell(r, col["approval.by"]).value = "部门经理"
    wb.save(path)


@pytest.mark.engine
def test_typing_approvals_agrees_with_the_engine_in_libreoffice(tmp_path):
    """The hand-worked E1 (−120 pending → 同意 counts it) and 40 random people with random
    approvals; LibreOffice recalculates the files as typed, the engine is fed the same approvals."""
    rnd = random.Random(14)
    n = 40
    big = pd.DataFrame({"employee_id": [f"R{k:02d}" for k in range(n)],
                        "基本工资": [rnd.choice([2800, 3000, 3333.33]) for _ in range(n)],
                        "迟到早退次数": [rnd.choice([0, 1, 2, 7, None]) for _ in range(n)],
                        "工作失误比例": [rnd.choice([None, 0, 0.05, 0.125, 0.2]) for _ in range(n)],
                        "创新提案": [rnd.choice([0, 1, "是", "否"]) for _ in range(n)]})
    floored = PAY.model_copy(update={"floor": 2900})
    wild = pd.DataFrame({"employee_id": ["A*", "A?", "A~B", "AB", "<>", "=A", "A"], "基本工资": 3000,
                         "迟到早退次数": 2, "工作失误比例": None, "创新提案": 0})
    # 30 distinct ids of A, B, *, ?, ~, <, >, = (case aside: the criterion ignores case)
    odd_ids = list(dict.fromkeys("".join(rnd.choice("AB*?~<>=") for _ in range(rnd.randint(1, 4)))
                                 for _ in range(200)))[:30]
    odd = pd.DataFrame({"employee_id": odd_ids, "基本工资": 3000, "迟到早退次数": 1,
                        "工作失误比例": 0.05, "创新提案": 1})
    cases = {"hand": (PAY, figures(), {("E1", "late"): "同意"}),
             "by hand": (PAY, figures(), {}),  # a row HR adds without a 期间 (below)
             "pending": (PAY, figures(), {}),
             "random": (floored, big, {(e, ln): rnd.choice([None, "同意", "不同意"])
                                       for e in big["employee_id"] for ln in ("late", "mistake", "award")}),
             # Ids the criterion must not read as wildcards (A* would match AB, A~B is "AB") or
             # operators (<> matches every id): only AB's 迟到 is approved.
             "wildcards": (PAY, wild, {("AB", "late"): "同意"}),
             "random ids": (PAY, odd, {(e, ln): rnd.choice([None, "同意", "不同意"])
                                       for e in odd["employee_id"] for ln in ("late", "mistake", "award")})}
    paths = []
    for name, (pay, f, typed) in cases.items():
        path = tmp_path / f"{name}.xlsx"
        _sheet(pay, f, path)
        _type(path, typed)
        paths.append(path)
    # After the run HR types a 创新提案 for E1 on 工资核算 (it had none: no row on 奖罚审批) and
    # adds its row by hand at the bottom of 奖罚审批, 期间 left blank, 同意
    wb = openpyxl.load_workbook(paths[1])
    pay_ws = wb["工资核算"]
    col = {pay_ws.cell(1, c).value: pay_ws.cell(1, c).column_letter for c in range(1, pay_ws.max_column + 1)}
    pay_ws[f"{col['pay.award.count']}3"].value = 1
    wb[APPROVAL_SHEET].append(["E1", "某0", None, "award", "创新提案奖", None, 1000, "同意", "部门经理"])
    wb.save(paths[1])
    approved = read_approvals(openpyxl.load_workbook(paths[1])[APPROVAL_SHEET], PAY)
    assert approved[("", "E1", "award")].decision == "同意"
    cases["by hand"] = (PAY, figures().assign(创新提案=[1, 1, 1]), decisions(approved, "2026-11"))
    outs = recalculate(paths, tmp_path / "out")
    for (name, (pay, f, typed)), out in zip(cases.items(), outs):
        want = compute_pay(pay, f, approvals=typed)
        got = read_results(out, "工资核算")
        for key in [c for c in want.columns if c != "employee_id"]:
            assert np.allclose(got[key].astype(float), want[key].astype(float), rtol=0, atol=1e-9), (name, key)
    hand = read_results(outs[0], "工资核算").set_index("employee_id")
    pending = read_results(outs[2], "工资核算").set_index("employee_id")
    # E1: 3,000 + 1,000 approved on the added row (迟到 −120 pending) = 4,000
    assert read_results(outs[1], "工资核算").set_index("employee_id").loc["E1", "pay.total"] == 4000
    # E1: 3,000 − 120 once 同意 is typed; 3,000 while pending (the line still shows −120)
    assert hand.loc["E1", "pay.total"] == 2880 and pending.loc["E1", "pay.total"] == 3000
    assert pending.loc["E1", "pay.late"] == -120
    # AB: 3,000 − 120 (2次 × −2% × 3,000) approved = 2,880; every other id stays 3,000 (pending)
    wild_got = read_results(outs[4], "工资核算").set_index("employee_id")["pay.total"].to_dict()
    assert wild_got == {"A*": 3000, "A?": 3000, "A~B": 3000, "AB": 2880, "<>": 3000, "=A": 3000, "A": 3000}


def test_a_bad_approval_is_placed_at_its_cell(tmp_path):
    path = tmp_path / "p.xlsx"
    _sheet(PAY, figures(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    # 工号, 姓名, 期间, 项目代码, 工资项目, 依据, 提交金额, then 审批 in H
    assert ws["H2"].value == "审批"
    ws["H3"].value, ws["H4"].value, ws["H5"].value = "ok", " ", "同意"  # blank text is pending
    with pytest.raises(InputError) as e:
        read_approvals(ws, PAY)
    assert [(p.where, p.code, p.value) for p in e.value.problems] == [(f"{APPROVAL_SHEET}!H3", "bad_approval", "ok")]
    ws["H3"].value = "不同意"
    got = read_approvals(ws, PAY)
    assert {k: a.decision for k, a in got.items()} == {("2026-11", "E1", "late"): "不同意",
                                                       ("2026-11", "E2", "mistake"): None,
                                                       ("2026-11", "E2", "award"): "同意",
                                                       **{("2026-11", "E3", ln): None for ln in ("late", "mistake", "award")}}


def test_the_list_and_english_labels(tmp_path):
    path = tmp_path / "en.xlsx"
    _sheet(PAY, figures(), path, lang="en")
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    assert [dv.formula1 for dv in ws.data_validations.dataValidation] == ['"同意,不同意"']
    assert [c.value for c in ws[2]][2:] == ["Period", "Line code", "Pay line", "Grounds", "Amount proposed",
                                            "Approval", "Approved by", "Date", "Note"]
    heads = [c.value for c in wb["工资核算"][2]]
    assert "迟到早退 · counted (approved)" in heads and "Gross pay" in heads


def test_a_second_row_for_one_line_is_refused(tmp_path):
    path = tmp_path / "p.xlsx"
    _sheet(PAY, figures(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    ws.append(["E1", "某0", None, "late", "迟到早退", None, -120, "不同意"])  # row 9; E1 late is row 3
    with pytest.raises(InputError) as e:
        read_approvals(ws, PAY)
    [p] = e.value.problems
    assert (p.where, p.code) == (f"{APPROVAL_SHEET}!A9", "duplicate_id") and "also row 3" in p.message


def test_an_id_typed_as_a_number_is_placed_at_its_cell(tmp_path):
    """工资核算 compares ids as text (009875 is not 9875), so a 工号 a person typed as a number
    on a row added by hand would never count in Excel: refused at its cell, not silently paid."""
    path = tmp_path / "p.xlsx"
    _sheet(PAY, figures(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    assert ws.column_dimensions["A"].number_format == "@"  # typed ids stay text in Excel and WPS
    ws.append([9875, "某9", None, "late", "迟到早退", None, -120, "同意"])  # row 9
    with pytest.raises(InputError) as e:
        read_approvals(ws, PAY)
    [p] = e.value.problems
    assert (p.where, p.code, p.value) == (f"{APPROVAL_SHEET}!A9", "id_not_text", 9875) and "('9875," in p.message
    for typed, said in ((12345678, "('12345678,"), (110105199001011234, "has lost digits")):
        ws["A9"] = typed
        with pytest.raises(InputError) as e:
            read_approvals(ws, PAY)
        assert said in e.value.problems[0].message, typed


def test_a_row_added_by_hand_for_no_line_or_no_one_is_placed_at_its_cell(tmp_path):
    """A row HR added (no 期间) whose line code is no line under approval, or whose 工号 is not
    paid this period, would vanish when rate writes the sheet again: refused at its cell instead."""
    path = tmp_path / "p.xlsx"
    _sheet(PAY, figures(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[APPROVAL_SHEET]
    ws.append(["E1", "某0", None, "proposl", "创新提案奖", None, 500, "同意"])  # row 9: a typo in the code
    ws.append(["T1234", "某9", None, "late", "迟到早退", None, -120, "同意"])  # row 10: no such person
    with pytest.raises(InputError) as e:
        read_approvals(ws, PAY, {"E1", "E2", "E3"})
    got = [(p.where, p.code) for p in e.value.problems]
    assert got == [(f"{APPROVAL_SHEET}!D9", "approval_row"), (f"{APPROVAL_SHEET}!A10", "approval_row")]
    assert "late" in e.value.problems[0].message  # the codes it may use
    with pytest.raises(InputError) as e:
        read_approvals(ws, PAY)  # without the people paid, only the code can be checked
    assert [p.where for p in e.value.problems] == [f"{APPROVAL_SHEET}!D9"]


def test_typed_names_stay_text():
    f = figures()
    got = compute_pay(PAY, f, approvals={})
    old = {("2026-11", "E1", "late"): Approval("同意", '=HYPERLINK("http://x","y")', None, "=1+1", -120.0)}
    lay, n, _ = approval_layout(PAY, f, got, "2026-11", {}, old)
    wb = openpyxl.Workbook()
    write_approvals(wb.active, lay, n)
    ws = wb.active
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    by, note = ws.cell(3, col["approval.by"]), ws.cell(3, col["approval.note"])
    assert (by.data_type, note.data_type) == ("s", "s") and by.value.startswith("=HYPERLINK")


def test_ids_that_differ_only_in_case_are_refused_with_an_approval_step():
    """奖罚审批's COUNTIFS ignores case (as Excel does): AB would count ab's 同意, so a pay
    under approval refuses the pair; without 奖罚审批 nothing compares ids and both are paid."""
    f = figures().assign(employee_id=["AB", "ab", "E3"])
    with pytest.raises(InputError) as e:
        compute_pay(PAY, f, approvals={("AB", "late"): "同意"})
    assert [(p.where, p.code) for p in e.value.problems] == [("inputs row 2, employee_id", "duplicate_id")]
    assert "only in case" in e.value.problems[0].message
    assert [(p.row, p.code) for p in pay_problems(PAY, f)] == [(1, "duplicate_id")]
    # no approval step: 3,000 − 120 and 4,000 − 400 + 1,000, each their own
    assert compute_pay(PAY, f)["pay.total"].tolist()[:2] == [2880, 4600]
