"""The live results sheet: layout keys, and group sizes that COUNTIF would get wrong."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kpixl.engine.score import compute, prepare
from kpixl.libreoffice import recalculate
from kpixl.scheme import scheme_from_dict
from kpixl.results.sheet import layout_results, write_results
from kpixl.results.verify import compare, read_results

SCHEME = {
    "id": "grp", "name": "分组强制分布", "sections": [{"id": "s", "weight": 1, "items": [
        {"id": "score", "name": "评分", "points": 100, "rule": {"type": "manual"}}]}],
    "ratings": {"distribution": {"group_by": "序列", "quotas": [
        {"name": "优秀", "share": 0.5}, {"name": "合格", "share": 0.5}]}},
}


def test_keys_separate_inputs_from_scores():
    prepared = prepare(scheme_from_dict(SCHEME), pd.DataFrame({"employee_id": ["1"], "score": [80], "序列": ["A"]}))
    keys = list(layout_results(prepared).cols)
    assert keys.index("score") < keys.index("score:score") < keys.index("score:s") < keys.index("total")


@pytest.mark.engine
def test_group_labels_with_wildcards_and_digits(tmp_path: Path):
    # COUNTIF(range,"A*") would count A1 too (a wildcard), and COUNTIF(range,1) would count
    # the text "1": group sizes come from SUMPRODUCT(--(G=g)), as the rank formula compares.
    # Groups: "A*" has 2 people, "A1" has 2, "1" has 2 → in each, 1 优秀 (ROUND(2×0.5)=1) and 1 合格.
    df = pd.DataFrame({
        "employee_id": ["e1", "e2", "e3", "e4", "e5", "e6"],
        "score": [90, 80, 70, 60, 50, 40],
        "序列": ["A*", "A*", "A1", "A1", "1", "1"],
    })
    scheme = scheme_from_dict(SCHEME)
    prepared = prepare(scheme, df)
    assert not prepared.problems
    results = compute(prepared)
    assert list(results["rating"]) == ["优秀", "合格"] * 3
    wb = Workbook()
    write_results(prepared, wb.active)
    wb.active.title = "Results"
    src = tmp_path / "grp.xlsx"
    wb.save(src)
    [out] = recalculate([src], tmp_path / "out")
    v = compare(read_results(out), results, scheme)
    assert v.ok, v.summary()


def test_scored_workbook_carries_its_scheme(tmp_path: Path):
    # The written workbook is itself a scheme source: its Scheme sheet loads back equal.
    import kpixl
    from kpixl.demo import demo_files
    from kpixl.results.scored import write_workbook

    scheme_path, roster, inputs = demo_files()
    prepared = prepare(scheme_path, inputs, roster)
    out = tmp_path / "demo.xlsx"
    write_workbook(prepared, out)
    assert kpixl.load_scheme(out) == kpixl.load_scheme(scheme_path)
    assert kpixl.score(out, inputs, roster).equals(compute(prepared))
