"""Shared by the collect tests and bench/collect.py: a master, a roster, inputs, filled returns.

Returned workbooks are filled the way a manager's program leaves them: the input cells
are typed (openpyxl writes them into the very file kpixl sent), then LibreOffice opens
and saves the file, recalculating, so the returned file carries LibreOffice's XML and
its cached values.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

import kpixl
from kpixl.scheme.models import Bonus, RatingBand, Ratings
from kpixl.card.formulas import CardFormulas
from kpixl.card.template import read_template

DATA = Path(kpixl.__file__).parent / "data"
DEPTS = ("华东大区", "华南大区", "华北大区", "西南大区")
MANAGERS = ("周建国", "林晓红", "赵志刚", "吴秀英")
NAMES = "王伟 李芳 张娜 刘敏 陈静 杨丽 黄强 赵磊 周洋 吴军 徐涛 孙艳 马超 朱琳 胡斌 郭敏 何勇 高峰 林静 罗刚".split()


def e2e_scheme():
    """The demo 大客户经理 scheme with bands, a rating factor and a budget (DESIGN §5, §6)."""
    s = kpixl.load_scheme(DATA / "demo_scheme.yaml")
    ratings = Ratings(bands=[RatingBand(name="优秀", min=90), RatingBand(name="良好", min=80),
                             RatingBand(name="合格", min=60), RatingBand(name="待改进")])
    bonus = Bonus(base={"column": "月度绩效奖金"}, curve=[{"factor": "score"}],
                  rating_factor={"优秀": 1.2, "待改进": 0.8}, budget=200000, round=2)
    return s.model_copy(update={"id": "kam-e2e", "ratings": ratings, "bonus": bonus})


def roster(n: int = 40) -> pd.DataFrame:
    """``n`` people in four departments, one manager each; targets and bases vary."""
    rows = []
    for i in range(n):
        d = i % len(DEPTS)
        rows.append({"employee_id": f"E{2001 + i}", "姓名": NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else "二"),
                     "部门": DEPTS[d], "岗位": "大客户经理", "经理": MANAGERS[d],
                     "销售目标": 1_000_000 + 200_000 * (i % 3), "月度绩效奖金": 3000 + 500 * (i % 4)})
    return pd.DataFrame(rows)


def inputs(people: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """Valid inputs for every person (seeded), with the two hand-worked people fixed.

    E2001 (target 1,000,000, base 3,000): sales 850,000, 1 new client, samples 4, 是, 1 idle,
    2 late. E2002 (target 1,200,000, base 3,500): sales 1,344,000, 3 new, samples 5, 是,
    special +5 "大客户接待".
    """
    rnd = random.Random(seed)
    rows = []
    for _, p in people.iterrows():
        target = p["销售目标"]
        rows.append({
            "employee_id": p["employee_id"], "sales": round(target * rnd.uniform(0.4, 1.2), -3),
            "new_clients.new": rnd.randint(0, 3), "samples": rnd.randint(1, 5), "contracts": rnd.choice(["是", "否"]),
            "discipline.idle": rnd.randint(0, 2), "discipline.away": rnd.randint(0, 1), "discipline.tidy": 0,
            "attendance.late": rnd.randint(0, 3), "attendance.absent": rnd.choice([0, 0, 0, 1]),
            "attendance.unapproved": 0, "special": None, "special.reason": None})
    df = pd.DataFrame(rows)
    fixed = {
        "E2001": {"sales": 850000, "new_clients.new": 1, "samples": 4, "contracts": "是", "discipline.idle": 1,
                  "discipline.away": 0, "attendance.late": 2, "attendance.absent": 0},
        "E2002": {"sales": 1344000, "new_clients.new": 3, "samples": 5, "contracts": "是", "discipline.idle": 0,
                  "discipline.away": 0, "attendance.late": 0, "attendance.absent": 0, "special": 5,
                  "special.reason": "大客户接待"},
    }
    for eid, values in fixed.items():
        for k, v in values.items():
            df.loc[df["employee_id"] == eid, k] = v
    return df


def input_cells(master: Path) -> dict[str, str]:
    """Input column → cell on a person sheet, from the master's card."""
    tpl = read_template(master)
    return {k: c.ref for k, c in CardFormulas(tpl.scheme, tpl.card).inputs.items()}


def stamped(ws) -> str | None:
    """The employee id of a person sheet opened by openpyxl (from its ``kpixl.stamp`` name)."""
    d = ws.defined_names.get("kpixl.stamp")
    return d.attr_text.strip('"').split("|")[3] if d is not None else None


def type_inputs(sent: Path, out: Path, cells: dict[str, str], values: pd.DataFrame) -> Path:
    """Type each person's inputs into the sent file (as a manager would), saved as ``out``."""
    by_id = values.set_index("employee_id")
    wb = openpyxl.load_workbook(sent)
    for ws in wb.worksheets:
        eid = stamped(ws)
        if eid is None or eid not in by_id.index:
            continue
        for key, ref in cells.items():
            if key.endswith(".target") or key not in by_id.columns:
                continue
            v = by_id.at[eid, key]
            ws[ref].value = None if v is None or (isinstance(v, float) and pd.isna(v)) else (
                v.item() if hasattr(v, "item") else v)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def fill_returned(sent: list[Path], master: Path, values: pd.DataFrame, outdir: Path) -> list[Path]:
    """Type the inputs into every sent file, then let LibreOffice open, recalculate and save them."""
    from kpixl.libreoffice import recalculate

    cells = input_cells(master)
    typed = [type_inputs(f, outdir / "typed" / f.name, cells, values) for f in sent]
    return recalculate(typed, outdir / "returned")


def part_of_sheet(path: Path, title: str) -> bytes:
    """The raw XML of one sheet of a workbook (to prove it byte-identical across runs)."""
    import re

    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet[^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', wb)
        if rid is None:
            return b""
        target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
        name = (target.group(1) or target.group(2)).lstrip("/")
        return z.read(name if name.startswith("xl/") else "xl/" + name)


def records(master: Path) -> list[tuple[Any, ...]]:
    """The collected records as stored (the hidden ``_collected`` sheet), row by row."""
    wb = openpyxl.load_workbook(master, read_only=True)
    try:
        return [tuple(r) for r in wb["_collected"].iter_rows(values_only=True)] if "_collected" in wb.sheetnames else []
    finally:
        wb.close()


def approve(master: Path, decisions: dict[tuple[str, str], str] | None = None, by: str = "总经理办公会") -> int:
    """Type 审批 (with 审批人 and 日期) on the master's 奖罚审批 sheet as HR would in Excel.

    Args:
        master: A rated master with a 奖罚审批 sheet.
        decisions: ``(工号, line id) → 同意/不同意``; None approves every row (同意).
        by: The 审批人 typed.

    Returns:
        How many rows were typed.
    """
    import datetime as dt

    wb = openpyxl.load_workbook(master)
    ws = wb["奖罚审批"]
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    left = dict(decisions) if decisions is not None else None
    typed = 0
    for r in range(3, ws.max_row + 1):
        key = (ws.cell(r, col["employee_id"]).value, ws.cell(r, col["approval.line"]).value)
        if key[0] is None or (left is not None and key not in left):
            continue
        ws.cell(r, col["approval.decision"]).value = "同意" if left is None else left.pop(key)
        ws.cell(r, col["approval.by"]).value = by
        ws.cell(r, col["approval.date"]).value = dt.date(2026, 12, 3)
        typed += 1
    assert not left, f"no row on 奖罚审批 for {left}"
    wb.save(master)
    return typed
