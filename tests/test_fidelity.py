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


def recalculated(s: kpixl.Scheme, inputs: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """The scored workbook's results as LibreOffice recalculates them (row 1 keys, people from row 3)."""
    path = tmp_path / "scored.xlsx"
    write_workbook(prepare(s, inputs), path)
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
