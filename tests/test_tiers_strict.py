"""Strict band ends (``above``/``below``) beside the inclusive ``min``/``max`` of ``tiers``.

The seeds write strict thresholds (投诉率低于2%, 完成率高于90%): a band ``{above: 0.9}``
holds x > 0.9, ``{below: 0.02}`` x < 0.02. Achievements are compared rounded to 9 places.
The LibreOffice agreement of the same bands is tests/test_agreement.py
(``test_strict_bands_agree_worked``, and the tiers strategy draws strict ends).
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest

from kpixl.errors import InputError
from kpixl.rules import Tiers
from kpixl.rules.base import ItemData, ItemRefs
from kpixl.rules.tiers import Segment
from kpixl.scheme import notation as nt
from kpixl.scheme import scheme_from_dict
from kpixl.scheme.sheet.book import read_scheme_sheet, write_scheme_sheet


def tiers(*bands: dict, **rule) -> Tiers:
    return Tiers.model_validate({"type": "tiers", "bands": list(bands), **rule})


def scores(rule: Tiers, *values: float) -> list[float]:
    """The points of ``measure: value`` values, read to 9 places as the engine reads them."""
    x = rule.achievement(np.array(values), None)
    return rule.evaluate(ItemData(points=20, value=np.array(values), x=x)).tolist()


# ---- segments: open and closed ends exactly --------------------------------------------------


def test_above_is_strict_and_min_inclusive():
    # {above: 0.9, points: 20}: 90.0001% (0.900001) → 20; exactly 90% → the next band (10).
    rule = tiers({"above": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"points": 0})
    x = rule.achievement(np.array([90.0001, 90.0, 90.00000001, 85.0, 84.99]), np.array([100.0] * 5))
    # 90.00000001 / 100 = 0.9000000001 → ROUND(…, 9) = 0.9 → not above.
    assert x.tolist() == [0.900001, 0.9, 0.9, 0.85, 0.8499]
    assert rule.evaluate(ItemData(points=20, value=x, x=x)).tolist() == [20, 10, 10, 10, 0]
    assert rule.segments() == [Segment(0.85, False, 2), Segment(0.9, True, 1), Segment(None, False, 0)]


@pytest.mark.parametrize("bands, gap, segments, problem", [
    # {above: 0.9} + {max: 0.85} leave (0.85, 0.9]: 0.9 itself is in the gap.
    ([{"above": 0.9, "points": 20}, {"max": 0.85, "points": 0}], "error",
     [Segment(0.85, True, 1), Segment(0.9, True, None), Segment(None, False, 0)],
     "no band holds achievements between 85% and 90% (90% included)"),
    # {above: 0.9} + {max: 0.9}: no gap.
    ([{"above": 0.9, "points": 20}, {"max": 0.9, "points": 0}], "error",
     [Segment(0.9, True, 1), Segment(None, False, 0)], None),
    # {min: 0.9} + {below: 0.9}: no gap.
    ([{"min": 0.9, "points": 20}, {"below": 0.9, "points": 0}], "error",
     [Segment(0.9, False, 1), Segment(None, False, 0)], None),
    # {above: 0.9} + {below: 0.9}: exactly the point 0.9.
    ([{"above": 0.9, "points": 20}, {"below": 0.9, "points": 0}], "error",
     [Segment(0.9, False, 1), Segment(0.9, True, None), Segment(None, False, 0)],
     "no band holds achievements at exactly 90%"),
    # …which gap: lower gives to the band below.
    ([{"above": 0.9, "points": 20}, {"below": 0.9, "points": 0}], "lower",
     [Segment(0.9, True, 1), Segment(None, False, 0)], None),
    # [0.85, 0.9) left by {min: 0.9} + {below: 0.85}: 85% included.
    ([{"min": 0.9, "points": 20}, {"below": 0.85, "points": 0}], "error",
     [Segment(0.85, False, 1), Segment(0.9, False, None), Segment(None, False, 0)],
     "no band holds achievements between 85% and 90% (85% included)"),
])
def test_gaps_of_strict_ends(bands, gap, segments, problem):
    rule = tiers(*bands, gap=gap)
    assert rule.segments() == segments
    found = rule.scheme_problems(20)
    if problem is None:
        assert found == []
    else:
        assert [(p, c) for p, c, _ in found] == [("bands", "band_gap")]
        assert found[0][2].startswith(problem + "; ")


def test_point_gap_with_gap_zero_scores_zero_only_there():
    rule = tiers({"above": 0.9, "points": 20}, {"below": 0.9, "points": 10}, gap="zero", measure="value")
    assert scores(rule, 0.89, 0.9, 0.9000000001, 0.91) == [10, 0, 0, 20]


def test_both_forms_on_one_side_is_a_scheme_problem():
    rule = tiers({"min": 0.9, "above": 0.9, "points": 20}, {"max": 0.5, "below": 0.4, "points": 0}, gap="zero")
    assert [(p, c) for p, c, _ in rule.scheme_problems(20)] == [
        ("bands[0]", "strict_and_inclusive"), ("bands[1]", "strict_and_inclusive")]
    with pytest.raises(InputError) as e:
        scheme_from_dict({"id": "x", "name": "x", "sections": [{"id": "s", "items": [
            {"id": "t", "points": 20, "target": 100, "rule": {"type": "tiers", "bands": [
                {"min": 0.9, "above": 0.9, "points": 20}, {"points": 0}]}}]}]})
    assert e.value.keys() == [("sections[0].items[0].rule.bands[0]", "strict_and_inclusive")]


@pytest.mark.parametrize("band", [{"above": 0.9, "below": 0.9}, {"min": 0.9, "below": 0.9},
                                  {"above": 0.9, "max": 0.9}, {"above": 0.9, "below": 0.8}])
def test_a_band_with_no_room_is_refused(band):
    with pytest.raises(ValueError, match="leave no achievement in the band"):
        tiers({**band, "points": 1})


# ---- the formula: same segments, strict ends → <= where the band stops short ----------------


def test_formula_texts():
    refs = ItemRefs(points=20, primary="B2", target="C2")
    inclusive = tiers({"min": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"points": 0})
    strict = tiers({"above": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"points": 0})
    # Existing schemes keep their formula: x < 0.9 falls below ≥90%.
    assert inclusive.formula(refs) == "IF(ROUND(B2/C2,9)<0.85,0,IF(ROUND(B2/C2,9)<0.9,10,20))"
    # >90%: x ≤ 0.9 falls below it (the same as NOT x > 0.9).
    assert strict.formula(refs) == "IF(ROUND(B2/C2,9)<0.85,0,IF(ROUND(B2/C2,9)<=0.9,10,20))"
    seed = tiers({"below": 0.02, "points": 5}, {"points": 0}, measure="value")
    assert seed.formula(ItemRefs(points=5, primary="B2")) == "IF(ROUND(B2,9)<0.02,5,0)"
    point = tiers({"above": 0.9, "points": 20}, {"below": 0.9, "points": 10}, gap="zero", measure="value")
    assert point.formula(ItemRefs(points=20, primary="B2")) == "IF(ROUND(B2,9)<0.9,10,IF(ROUND(B2,9)<=0.9,0,20))"


# ---- words: card description, band labels, score ranges -----------------------------------


def test_description_and_labels_say_strict_ends():
    rule = tiers({"above": 0.9, "points": 20}, {"min": 0.6, "below": 0.7, "points": [6, 8]},
                 {"min": 0.7, "max": 0.9, "points": 10}, {"below": 0.6, "points": 0})
    assert rule.describe(20) == "完成率: 高于90% 20分; ≥60%且低于70% 6–8分(评分); 70%–90% 10分; 低于60% 0分"
    assert [rule.band_label(i) for i in range(4)] == [">90%", "≥60% and <70%", "70%–90%", "<60%"]


def test_score_range_validation_uses_the_strict_band():
    # 60% ≤ x < 70%: the rater enters 6–8. x = 0.7 is the next band (no score asked).
    rule = tiers({"min": 0.7, "points": 10}, {"min": 0.6, "below": 0.7, "points": [6, 8]}, {"points": 0},
                 measure="value")
    x = np.array([0.65, 0.7, 0.6, 0.65])
    data = ItemData(points=10, value=x, x=x, score=np.array([7, np.nan, np.nan, 9]))
    found = [(i.rows.tolist(), i.field, i.code, i.messages) for i in rule.check(data)]
    # Row 2 (60%) has no score; row 3 (65%) scores 9 > 8; row 1 (70%) needs none.
    assert found == [([2], "score", "missing_score", ["no score: enter a score from 6 to 8 (achievement ≥0.6 and <0.7)"]),
                     ([3], "score", "score_outside_band", ["score must be from 6 to 8 (achievement ≥0.6 and <0.7)"])]
    assert scores(rule, 0.7, 0.6999999999) == [10, 10]  # 0.6999999999 reads as 0.7


# ---- the Scheme sheet notation ----------------------------------------------------------------


@pytest.mark.parametrize("text, bands", [
    (">0.9:20; ≥0.85:10; <0.6:0", [{"above": 0.9, "points": 20}, {"min": 0.85, "points": 10},
                                   {"below": 0.6, "points": 0}]),
    ("＞90%:20; ＜2%:5; ＞＝85%:10; ⩽3%:1; <=2:3; >=1:2; ⩾0:1; ≤0:0",
     [{"above": 0.9, "points": 20}, {"below": 0.02, "points": 5}, {"min": 0.85, "points": 10},
      {"max": 0.03, "points": 1}, {"max": 2, "points": 3}, {"min": 1, "points": 2}, {"min": 0, "points": 1},
      {"max": 0, "points": 0}]),
    (">60%&≤70%:5; ≥60% & <70%:6~8", [{"above": 0.6, "max": 0.7, "points": 5},
                                      {"min": 0.6, "below": 0.7, "points": [6, 8]}]),
])
def test_strict_notation_reads(text, bands):
    assert nt.parse_bands(text) == bands


@pytest.mark.parametrize("bands", [
    [{"above": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"below": 0.6, "points": 0}],
    [{"above": 0.6, "below": 0.7, "points": [6, 8]}, {"min": 0.6, "max": 0.7, "points": 5}, {"points": 0}],
    [{"max": 0.03, "points": 5}, {"above": 0.03, "points": 0}],
])
@pytest.mark.parametrize("percent", [False, True])
def test_strict_notation_round_trips(bands, percent):
    text = nt.format_bands(bands, percent=percent)
    assert ">" in text or "<" in text
    assert nt.parse_bands(text) == bands
    assert nt.format_structured("bands", bands, percent=percent) == text


def test_strict_notation_written_and_malformed():
    assert nt.format_bands([{"above": 0.9, "points": 20}, {"below": 0.02, "points": 5}], percent=True) \
        == ">90%:20; <2%:5"
    for bad in (">:1", ">0.9&>0.8:1", "<0.9&<0.8:1", ">0.9&0.8:1"):
        with pytest.raises(nt.NotationError):
            nt.parse_bands(bad)


def test_strict_bands_through_the_scheme_sheet():
    scheme = scheme_from_dict({"id": "strict", "name": "strict", "sections": [{"id": "s", "items": [
        {"id": "done", "points": 20, "target": 100, "rule": {"type": "tiers", "bands": [
            {"above": 0.9, "points": 20}, {"min": 0.85, "points": 10}, {"points": 0}]}},
        {"id": "complaints", "points": 5, "rule": {"type": "tiers", "measure": "value", "bands": [
            {"below": 0.02, "points": 5}, {"points": 0}]}}]}]})
    wb = openpyxl.Workbook()
    write_scheme_sheet(scheme, wb)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    wb = openpyxl.load_workbook(buf)
    texts = [c.value for row in wb["Scheme"].iter_rows() for c in row if isinstance(c.value, str)]
    assert ">90%:20; ≥85%:10; 其他:0" in texts
    assert any(t.startswith("<") and t.endswith(":5; 其他:0") for t in texts)
    assert read_scheme_sheet(wb) == scheme
