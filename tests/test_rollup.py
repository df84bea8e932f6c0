"""Period roll-up (DESIGN §3.5): hand-worked seed example, problems, and LibreOffice agreement.

Seed 001 (客户服务经理): 周检和月检的考评结果经加权平均后占年终考评总分的20%; 月考核结果
经加权平均后占30%; 员工的年终考评结果占50%.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from kpixl import InputError, roll_up
from kpixl.engine.rollup import rollup_formula
from kpixl.libreoffice import recalculate
from kpixl.scheme.models import Rollup

SEED = Rollup.model_validate({"components": [
    {"id": "checks", "weight": 0.2, "aggregate": "mean"},
    {"id": "monthly", "weight": 0.3, "aggregate": "mean"},
    {"id": "year_end", "weight": 0.5, "aggregate": "last"},
]})


def rows(data: dict[str, list[tuple[str, str, float]]]) -> pd.DataFrame:
    return pd.DataFrame([(e, c, p, t) for e, items in data.items() for c, p, t in items],
                        columns=["employee_id", "component", "period", "total"])


def test_seed_weights_hand_worked():
    scores = rows({
        # checks mean (90+80)/2 = 85; monthly mean (88+92+90)/3 = 90; year_end 95
        # → 0.2×85 + 0.3×90 + 0.5×95 = 17 + 27 + 47.5 = 91.5
        "E1": [("checks", "2026-W10", 90), ("checks", "2026-W20", 80),
               ("monthly", "2026-01", 88), ("monthly", "2026-02", 92), ("monthly", "2026-03", 90),
               ("year_end", "2026", 95)],
        # last year_end by period order: 2026 (70) after 2025 (99) even though listed first
        # → 0.2×60 + 0.3×75 + 0.5×70 = 12 + 22.5 + 35 = 69.5
        "E2": [("year_end", "2026", 70), ("year_end", "2025", 99),
               ("checks", "2026-W10", 60), ("monthly", "2026-01", 75)],
    })
    out = roll_up(SEED, scores).set_index("employee_id")
    assert out.loc["E1", "total"] == 91.5
    assert out.loc["E2", "total"] == 69.5
    assert out.loc["E1", "monthly"] == 90


def test_problems_all_at_once():
    scores = rows({"E1": [("checks", "1", 90), ("weekly", "1", 80), ("monthly", "1", "九十")]})
    with pytest.raises(InputError) as e:
        roll_up(SEED, scores)
    codes = sorted(p.code for p in e.value.problems)
    # weekly is unknown; 九十 is not a number; E1 has no year_end (and no usable monthly)
    assert codes == ["missing_component", "missing_component", "not_a_number", "unknown_component"]


@pytest.mark.engine
def test_formula_agrees_with_engine_in_libreoffice(tmp_path: Path):
    rng = random.Random(2026)
    scores = []
    for k in range(40):
        # the first ids are no wildcards or operators to SUMIFS/AVERAGEIFS (A* must not take AB's rows)
        # (nor 009875 the number 9875 to Excel's criteria: compared as text)
        first = ["A*", "A?", "A~B", "AB", "<>", "009875", "9875", "0098750"]
        e = first[k] if k < len(first) else f"E{k:03d}"
        for comp, n in (("checks", rng.randint(1, 6)), ("monthly", rng.randint(1, 3)), ("year_end", rng.randint(1, 2))):
            for p in range(n):
                scores.append((e, comp, f"2026-{p + 1:02d}", round(rng.uniform(40, 110), 2)))
    rng.shuffle(scores)
    df = pd.DataFrame(scores, columns=["employee_id", "component", "period", "total"])
    expected = roll_up(SEED, df)

    # The scores table sorted by period (LOOKUP's "last" is the last row in sheet order).
    table = df.sort_values("period", kind="stable")
    wb = Workbook()
    ws = wb.active
    ws.append(list(table.columns))
    for r in table.itertuples(index=False):
        ws.append(list(r))
    last = len(table) + 1
    ids, comps, totals = f"$A$2:$A${last}", f"$B$2:$B${last}", f"$D$2:$D${last}"
    for k, e in enumerate(expected["employee_id"]):
        ws.cell(k + 1, 7, e)
        ws.cell(k + 1, 8, "=" + rollup_formula(SEED, f"G{k + 1}", ids, comps, totals))
    src = tmp_path / "rollup.xlsx"
    wb.save(src)
    [out] = recalculate([src], tmp_path / "out")
    got = load_workbook(out, data_only=True).active
    for k, want in enumerate(expected["total"]):
        assert got.cell(k + 1, 8).value == want, (expected["employee_id"][k], got.cell(k + 1, 8).value, want)
