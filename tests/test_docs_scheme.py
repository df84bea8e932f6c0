"""docs/scheme.md is executed: every YAML example in it validates (or is refused as it says).

Each fenced ``yaml`` block is preceded by a marker comment saying what it is:

* ``<!-- scheme -->`` — a complete scheme;
* ``<!-- items -->`` — a list of items, put into a one-section scheme;
* ``<!-- merge -->`` — top-level fields, added to (or replacing those of) a minimal scheme;
* ``<!-- invalid: CODE -->`` — a merge the scheme check must refuse with problem CODE.

A ``<!-- sheet -->`` marker precedes a Markdown table of a Scheme sheet (column letters
as its header), read as cell values; ``<!-- inputs -->`` a CSV scored with the first
complete scheme. A YAML block without a marker fails the test, so no example goes unrun.
"""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import kpixl
from kpixl.errors import InputError
from kpixl.scheme.sheet import read_scheme_values
from kpixl.scheme.validate import scheme_from_dict

DOC = Path(__file__).resolve().parents[1] / "docs" / "scheme.md"
TEXT = DOC.read_text(encoding="utf-8")

MINIMAL = {
    "id": "doc",
    "name": "docs/scheme.md example",
    "sections": [{"id": "main", "items": [{"id": "score", "points": 100, "rule": {"type": "manual"}}]}],
}

BLOCK = re.compile(r"(?:<!--\s*([^>]*?)\s*-->\n)?```(\w*)\n(.*?)```", re.S)


def blocks(lang: str) -> list[tuple[str, str, int]]:
    """(marker, body, line) of every fenced block in the given language."""
    return [(m.group(1) or "", m.group(3), TEXT.count("\n", 0, m.start()) + 1)
            for m in BLOCK.finditer(TEXT) if m.group(2) == lang]


YAML = blocks("yaml")


def build(marker: str, body: str) -> dict:
    data = yaml.safe_load(body)
    kind = marker.split(":")[0].strip()
    if kind == "scheme":
        return data
    scheme = copy.deepcopy(MINIMAL)
    if kind == "items":
        assert isinstance(data, list), "an items block is a YAML list of items"
        scheme["sections"] = [{"id": "examples", "items": data}]
        return scheme
    assert kind in ("merge", "invalid"), f"unknown marker {marker!r}"
    assert isinstance(data, dict)
    scheme.update(data)
    return scheme


def test_every_yaml_block_is_marked():
    assert len(YAML) >= 15
    unmarked = [line for marker, _, line in YAML if not marker]
    assert not unmarked, f"docs/scheme.md: YAML blocks with no <!-- scheme|items|merge|invalid: CODE --> marker at lines {unmarked}"


@pytest.mark.parametrize("marker,body,line", YAML, ids=[f"line{line}-{m.split(':')[0]}" for m, _, line in YAML])
def test_yaml_example(marker: str, body: str, line: int):
    data = build(marker, body)
    if marker.startswith("invalid"):
        code = marker.split(":", 1)[1].strip()
        with pytest.raises(InputError) as err:
            scheme_from_dict(data, source=f"scheme.md:{line}")
        assert code in {p.code for p in err.value.problems}
        return
    scheme = scheme_from_dict(data, source=f"scheme.md:{line}")
    # Round trip: what was validated dumps and validates again, equal.
    assert scheme_from_dict(scheme.model_dump(mode="json", exclude_none=True)) == scheme


def test_the_rule_sections_cover_every_rule_type():
    for t in ("ratio", "tiers", "step", "count", "rubric", "manual", "binary", "adjust"):
        assert f"### `{t}`" in TEXT
        assert any(f"type: {t}" in body for _, body, _ in YAML)


def test_model_fields_are_documented():
    """Every field of the scheme models and the rule models is named on the page."""
    from kpixl.rules import RULE_TYPES
    from kpixl.scheme import models

    classes = [models.Scheme, models.Section, models.Item, models.Total, models.RatingBand, models.Quota,
               models.Distribution, models.Flag, models.CurveSegment, models.LevelFactor, models.Commission,
               models.Bonus, models.Component, models.Rollup, models.Condition, models.HistoryRule,
               models.Levels, models.LevelRule, models.Threshold, models.SalaryStep, models.Measure,
               models.Rank, models.Growth, models.Tenure, models.Share, *RULE_TYPES.values()]
    def named(field: str) -> bool:  # `field`, `field: …`, `{field: …}` or `…, field: …`
        return re.search(r"[`{ ,]" + re.escape(field) + r"[`:]", TEXT) is not None

    missing = sorted({f"{c.__name__}.{f}" for c in classes for f in c.model_fields if not named(f)})
    assert not missing, f"fields not documented in docs/scheme.md: {missing}"


def _sheet_rows() -> list[list]:
    m = re.search(r"<!-- sheet -->\n((?:\|.*\|\n)+)", TEXT)
    assert m, "docs/scheme.md has no <!-- sheet --> table"
    lines = m.group(1).splitlines()[2:]  # past the column letters and the |---| line
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append([_cell(c) for c in cells])
    return rows


def _cell(text: str):
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def test_scheme_sheet_example_reads():
    scheme = read_scheme_values(_sheet_rows(), source="docs/scheme.md")
    assert scheme.id == "kam-sheet" and scheme.version == 2 and scheme.period == "month"
    assert [s.id for s in scheme.sections] == ["business", "behaviour"]
    assert [s.weight for s in scheme.sections] == [0.8, 0.2]
    sales = scheme.item("sales")
    assert sales.rule.type == "step" and sales.rule.below.every == 0.05 and sales.rule.below.points == 3
    assert sales.target.column == "销售目标"
    assert [b.min for b in scheme.item("completion").rule.bands] == [0.9, 0.8, 0]
    assert [c.id for c in scheme.item("attendance").rule.counters] == ["late", "absent"]
    assert scheme.ratings.bands[-1].name == "不合格"
    assert scheme.bonus.base.column == "月度绩效奖金"


def test_inputs_example_scores_with_the_whole_scheme():
    whole = next(body for marker, body, _ in YAML if marker == "scheme")
    scheme = scheme_from_dict(yaml.safe_load(whole))
    (csv,) = [body for marker, body, _ in blocks("csv") if marker == "inputs"]
    inputs = pd.read_csv(io.StringIO(csv), dtype=str)
    results = kpixl.score(scheme, inputs)
    got = results.set_index("employee_id")
    # E1001: 95/100 × 20 = 19; initiative 0.3 × 20 + 0.7 × 15 = 16.5 of 25.
    assert got.loc["E1001", "new_sales"] == pytest.approx(19)
    assert got.loc["E1001", "initiative"] == pytest.approx(16.5)
    # E1002: 130/120 = 108.3% × 20; initiative 0.3 × 25 + 0.7 × 20 = 21.5.
    assert got.loc["E1002", "new_sales"] == pytest.approx(20 * 130 / 120)
    assert got.loc["E1002", "total"] == pytest.approx(round(0.4 * (20 * 130 / 120) / 20 * 100 + 0.6 * 21.5 / 25 * 100, 2))
