"""Every shipped template's year master (kpixl year, docs/year.md), recalculated by LibreOffice.

tests/test_template_masters.py runs every template through one collected month and
tests/test_template_years.py through several; here each template's period masters are
rolled up into a **year master** by :func:`kpixl.year.build_year`, and LibreOffice's
recalculation of its ``年度汇总`` must equal the engine on every result cell.

A period master is the template workbook itself with a record store written into it
(``year_kit.period_master``: what ``kpixl collect`` leaves; collecting returned files is
covered by the tests above). Monthly templates get three months, the yearly ones
(cm_grade_review, cs_deqinnengji's year-end) one year; cs_deqinnengji rolls up its three
components. The seed templates S10–S13 (wealth_ladder, night_rewards, cm_grade_review,
cs_pay) have months that differ, with the annual figures worked by hand below. One
LibreOffice call recalculates every year master.

wealth_ladder's A1–D4 ladder is judged on yearly rows, which the year master gives: its
``职级建议`` for one year alone, then with the 2025 year master given as ``earlier``
(``往年年度``), where 连续两年优秀 takes the 快速晋升 two steps. cm_grade_review's
qualifications read card inputs (sales, complaint_rate, growth on last year's sales): the year
copies them from the period masters and proposes as the period master does.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

import kpixl
from kpixl.cli.commands import main
from kpixl.errors import InputError
from kpixl.libreoffice import recalculate
from kpixl.scheme import scheme_from_dict
from kpixl.year import build_year
from kpixl.year.verify import compare_year
from year_kit import period_master

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = ROOT / "workbooks"
EXAMPLES = ROOT / "examples" / "schemes"
TEMPLATES = sorted(p.stem for p in WORKBOOKS.glob("*.xlsx") if p.stem != "udf_examples")
MONTHS = ["2026-01", "2026-02", "2026-03"]

#: Inputs changed from the template's example (examples/schemes/<name>.inputs.csv), per period and
#: person; ``None`` for a person: not collected that period. The periods of each template are the keys.
CHANGED: dict[str, dict[str, dict[str, dict | None]]] = {
    # W01 王伟 (A3, 销售目标 300,000, 新增客户目标 10; 品德14 能力13 学识9 as in the example):
    #   2026-01 the example: 49.5 + 16.5 + 14 + 13 + 9 = 102;
    #   2026-02 300,000 → 100% → 45; 10 → 15; 45 + 15 + 36 = 96;
    #   2026-03 150,000 → 50% → 22.5; 5 → 7.5; 22.5 + 7.5 + 36 = 66.
    "wealth_ladder": {"2026-01": {}, "2026-02": {"W01": {"sales": 300000, "new_clients": 10}},
                      "2026-03": {"W01": {"sales": 150000, "new_clients": 5}}},
    # N01 王伟 (业绩目标 100,000): 2026-09 100,000 → 60, .96 → 20, 19 → 99; 2026-10 110,000 → 66, .97 → 20,
    #   19 → 105; 2026-11 the example 111. N02 李芳 is not collected in October.
    "night_rewards": {"2026-09": {"N01": {"sales": 100000, "satisfaction": 0.96}},
                      "2026-10": {"N01": {"sales": 110000, "satisfaction": 0.97}, "N02": None},
                      "2026-11": {}},
    # P05 陈静 (月度绩效奖金 1,800): 2026-01 the example .855 → 36 + 28 + 29 = 93;
    #   2026-02 .95 → 40 + 28 + 29 = 97; 2026-03 .76/.95 = 80% → 32 + 28 + 29 = 89.
    "cs_pay": {"2026-01": {}, "2026-02": {"P05": {"satisfaction": 0.95}}, "2026-03": {"P05": {"satisfaction": 0.76}}},
    # A yearly card: the year master of one yearly period.
    "cm_grade_review": {"2026": {}},
}


def example_inputs(name: str) -> list[dict]:
    df = pd.read_csv(EXAMPLES / f"{name}.inputs.csv", dtype={"employee_id": str})
    df = df.drop(columns=["姓名"], errors="ignore").astype(object)
    return df.where(df.notna(), None).to_dict("records")


def inputs_of(name: str, changes: dict[str, dict | None]) -> list[dict]:
    out = []
    for rec in example_inputs(name):
        eid = rec["employee_id"]
        if eid in changes and changes[eid] is None:
            continue
        out.append({**rec, **(changes.get(eid) or {})})
    return out


def build(name: str, d: Path, verify: bool = False):
    """The template's period masters and its year master (not verified: one LibreOffice call does all)."""
    d.mkdir(parents=True, exist_ok=True)
    s = kpixl.load_scheme(EXAMPLES / f"{name}.yaml")
    roster = pd.read_csv(EXAMPLES / f"{name}.roster.csv", dtype={"employee_id": str})
    tpl = WORKBOOKS / f"{name}.xlsx"
    if s.rollup is not None:  # cs_deqinnengji: 周检和月检 20% + 月考核 30% + 年终 50%
        plan = {"checks": ["2026Q1", "2026Q2"], "monthly": MONTHS[:2], "year_end": ["2026"]}
        comps = {c: [period_master(d / f"{c}-{p}.xlsx", s, roster, p, example_inputs(name), template=tpl)
                     for p in ps] for c, ps in plan.items()}
        return build_year(d / "year.xlsx", components=comps, verify=verify)
    periods = CHANGED.get(name) or ({"2026": {}} if s.period == "year" else {m: {} for m in MONTHS})
    masters = [period_master(d / f"{p}.xlsx", s, roster, p, inputs_of(name, ch), template=tpl)
               for p, ch in periods.items()]
    return build_year(d / "year.xlsx", masters, verify=verify)


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    """name → (Year, the year master as LibreOffice recalculated it)."""
    tmp = tmp_path_factory.mktemp("years")
    built = {name: build(name, tmp / name) for name in TEMPLATES}
    recalced = recalculate([y.path for y in built.values()], tmp / "recalc")
    return {name: (y, r) for (name, y), r in zip(built.items(), recalced)}


def row(year, eid: str) -> dict:
    return year.results().set_index("employee_id").loc[eid].to_dict()


@pytest.mark.parametrize("name", TEMPLATES)
def test_year_master_agrees_with_the_engine(years, name):
    year, recalced = years[name]
    assert not year.problems, (name, year.problems)
    v = compare_year(recalced, year)
    assert v.ok, f"{name}: {v.summary()}"
    # every result cell of every person was compared (none skipped for a missing column): 年度汇总,
    # and the year's 工资核算 when the template has pay
    cells = [len(t) * (len(t.columns) - 1) for t in (year.results(), year.pay) if t is not None]
    assert v.compared == sum(cells) > 0, name
    assert (year.pay is not None) == (name in ("cs_pay", "night_rewards")), name


def test_wealth_ladder_year_is_the_mean_of_its_months(years):
    y, _ = years["wealth_ladder"]
    w01 = row(y, "W01")
    # W01: (102 + 96 + 66)/3 = 264/3 = 88 → 良好 (80 ≤ 88 < 90); the month's 优秀 does not carry over.
    assert (w01["count:periods"], w01["total"], w01["rating"]) == (3, 88, "良好")
    # Annual bonus on the annual total: 月度绩效奖金 2,000 × 0.88 × A3's 1.2 = 2,112;
    # 各期绩效奖金合计 2,000 × 1.2 × (1.02 + 0.96 + 0.66) = 2,448 + 2,304 + 1,584 = 6,336.
    assert w01["bonus"] == 2112 and w01["paid"] == pytest.approx(6336, abs=1e-9)
    # W02 李芳 (A1) 109 every month: 109 优秀, 2,000 × 1.09 × 1.0 = 2,180 a year, 3 × 2,180 = 6,540 paid.
    w02 = row(y, "W02")
    assert (w02["total"], w02["rating"], w02["bonus"], w02["paid"]) == (109, "优秀", 2180, 6540)


def ladder_year(d: Path, year: str, changed: dict, earlier=()):
    """wealth_ladder's year master of ``year`` from its months (``changed``: as :data:`CHANGED`).

    年度销售额 (levels.qualify) is no card item: HR gives it on the roster of the year's latest
    master — here W01's months summed, 330,000 + 300,000 + 150,000 = 780,000.
    """
    s = kpixl.load_scheme(EXAMPLES / "wealth_ladder.yaml")
    roster = pd.read_csv(EXAMPLES / "wealth_ladder.roster.csv", dtype={"employee_id": str})
    sales = {"W01": 780000, "W02": 720000, "W03": 600000, "W04": 150000, "W05": 3000000}
    roster = roster.assign(年度销售额=roster["employee_id"].map(sales))
    d.mkdir(parents=True, exist_ok=True)
    masters = [period_master(d / f"{p.replace('2026', year)}.xlsx", s, roster, p.replace("2026", year),
                             inputs_of("wealth_ladder", ch)) for p, ch in changed.items()]
    return build_year(d / f"{year}年度.xlsx", masters, earlier=earlier)


def proposals(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)["职级建议"]
    return {r[0]: r[1:4] for r in ws.iter_rows(min_row=3, values_only=True)}


def test_wealth_ladder_year_master_proposes_levels_with_the_fast_track(tmp_path):
    y = ladder_year(tmp_path, "2026", CHANGED["wealth_ladder"])
    assert not [w for w in y.warnings if w.code == "missing_column"], y.warnings
    # One year alone: only the one-year rules can fire.
    assert proposals(y.path) == {
        "W01": ("A3", "A3", "keep"),    # 88 良好: no rule fires
        "W02": ("A1", "A2", "promote"),  # 109 优秀: 年度优秀 one step A1 → A2 (A2 has no threshold)
        "W03": ("B2", "B2", "keep"),    # 55 不合格 one year: 连续两年不合格 needs two
        "W04": ("业务推广专员", "业务推广专员", "keep"),  # 50.5 不合格, one year
        "W05": ("D4", "D4", "keep"),    # 100 优秀 at the top of the ladder
    }
    # 2025's year master (each month the example: W01 102, W02 109, W05 100 优秀; W03 55, W04 50.5 不合格)
    # given as --earlier: its annual ratings are copied onto 往年年度 and the rules over two years fire.
    y2025 = ladder_year(tmp_path / "2025", "2025", {m: {} for m in MONTHS})
    y = ladder_year(tmp_path / "again", "2026", CHANGED["wealth_ladder"], earlier=[y2025.path])
    want = {
        "W01": ("A3", "A3", "keep"),    # 2025 优秀, 2026 良好: not two 优秀 years
        "W02": ("A1", "A3", "promote"),  # 2025、2026 优秀 → 连续两年优秀(快速晋升) two steps A1 → A3
        "W03": ("B2", "B1", "demote"),  # 2025、2026 不合格 → 连续两年不合格 one step down B2 → B1
        # 2025、2026 不合格 at the bottom of the ladder: nowhere to go down, a case for review
        "W04": ("业务推广专员", "业务推广专员", "review"),
        "W05": ("D4", "D4", "keep"),    # 优秀 twice at the top
    }
    assert proposals(y.path) == want
    copied = list(openpyxl.load_workbook(y.path)["往年年度"].iter_rows(min_row=3, values_only=True))
    assert ("W02", "2025", 109, "优秀", "2025年度.xlsx") in [r[:5] for r in copied]
    # A rebuild with nothing named keeps the earlier years it copied; the command takes --earlier too.
    assert proposals(build_year(y.path).path) == want
    assert main(["year", str(y.path), "--earlier", str(y2025.path), "--quiet"]) == 0
    assert proposals(y.path) == want
    # The ribbon button, pressed in a period master of a scheme with a ladder, asks for the earlier
    # year masters too (optional) and proposes the same.
    from kpixl.macros import dispatch
    from kpixl.macros.host import FileHost

    months = sorted(p for p in (tmp_path / "again").glob("2026-*.xlsx") if ".bak" not in p.name)
    host = FileHost(months[0], {"out": str(tmp_path / "按钮年度.xlsx"), "component": "",
                                "masters": [str(p) for p in months], "earlier": [str(y2025.path)]})
    said = dispatch("year", host)
    assert said.ok, said.text
    assert proposals(tmp_path / "按钮年度.xlsx") == want
    # An earlier year master that is not earlier (the 2026 one itself) is refused, nothing written.
    before = y.path.read_bytes()
    with pytest.raises(InputError) as e:
        build_year(y.path, earlier=[y.path])
    assert [p.code for p in e.value.problems] == ["bad_period"] and y.path.read_bytes() == before


def test_monthly_card_inputs_made_annual_for_the_levels(tmp_path):
    """A monthly card's inputs read by levels.qualify: the months' sum (sales) and mean (new clients)."""
    d = yaml.safe_load((EXAMPLES / "wealth_ladder.yaml").read_text(encoding="utf-8"))
    d["levels"]["qualify"] = {"A2": {"年度业务销售额": {"measure": {"column": "sales"}, "min": 780000},
                                     "月均新增客户": {"measure": {"column": "new_clients"}, "min": 11}}}
    d["levels"]["annual"] = {"sales": "sum", "new_clients": "mean"}
    s = scheme_from_dict(d)
    roster = pd.read_csv(EXAMPLES / "wealth_ladder.roster.csv", dtype={"employee_id": str})
    # W02 李芳 (A1; targets 200,000 and 8, both capped at 120%: 109 优秀 every month as in the example).
    w02 = {"2026-01": {"sales": 240000, "new_clients": 10}, "2026-02": {"sales": 300000, "new_clients": 12},
           "2026-03": {"sales": 250000, "new_clients": 11}}

    def year(where: Path, months: dict):
        where.mkdir()
        masters = [period_master(where / f"{p}.xlsx", s, roster, p, inputs_of("wealth_ladder", {"W02": ch}))
                   for p, ch in months.items()]
        return build_year(where / "year.xlsx", masters)

    y = year(tmp_path / "all", w02)
    assert not y.warnings, y.warnings
    # 年度业务销售额 = 240,000 + 300,000 + 250,000 = 790,000 ≥ 780,000; 月均新增客户 = (10 + 12 + 11)/3 = 11 ≥ 11:
    # 109 优秀 → 年度优秀 A1 → A2.
    assert proposals(y.path)["W02"] == ("A1", "A2", "promote")
    ws = openpyxl.load_workbook(y.path)["职级建议"]
    assert [c.value for c in ws[2]][5:] == ["理财产品销售额·年度合计", "新增有效客户·年度平均"]
    assert {r[0]: r[5:] for r in ws.iter_rows(min_row=3, values_only=True)}["W02"] == (790000, 11)
    # February re-collected with W02's sales 300,000 → 310,000 (still capped: 109): the rebuild logs it on 变更
    # and sums 240,000 + 310,000 + 250,000 = 800,000. Then March's master is lost: its copied inputs are kept.
    period_master(tmp_path / "all" / "2026-02.xlsx", s, roster, "2026-02",
                  inputs_of("wealth_ladder", {"W02": {**w02["2026-02"], "sales": 310000}}))
    y = build_year(y.path)
    assert [(c["what"], c["old"], c["new"]) for c in y.changes if c["employee_id"] == "W02"] == [
        ("理财产品销售额", 300000, 310000)]
    (tmp_path / "all" / "2026-03.xlsx").unlink()
    y = build_year(y.path)
    assert [w.code for w in y.warnings] == ["year_source_lost"]
    assert proposals(y.path)["W02"] == ("A1", "A2", "promote")
    ws = openpyxl.load_workbook(y.path)["职级建议"]
    assert {r[0]: r[5:] for r in ws.iter_rows(min_row=3, values_only=True)}["W02"] == (800000, 11)
    # W02 not collected in March: the sum counts the months present, 240,000 + 300,000 = 540,000 < 780,000,
    # and the mean too, (10 + 12)/2 = 11 ≥ 11; the year is still (109 + 109)/2 = 109 优秀 — the threshold stops it.
    y = year(tmp_path / "two", {**w02, "2026-03": None})
    assert proposals(y.path)["W02"] == ("A1", "A1", "keep")
    ws = openpyxl.load_workbook(y.path)["职级建议"]
    row_ = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}["W02"]
    assert row_[5:] == (540000, 11) and "年度业务销售额 540,000 未达 A2 门槛 780,000" in row_[4]


def test_card_inputs_are_copied_as_data(tmp_path):
    """A formula typed where a card input belongs is copied onto 期间成绩 as text, and counts as blank."""
    d = yaml.safe_load((EXAMPLES / "wealth_ladder.yaml").read_text(encoding="utf-8"))
    d["levels"]["qualify"] = {"A2": {"年度业务销售额": {"measure": {"column": "sales"}, "min": 780000}}}
    d["levels"]["annual"] = {"sales": "sum"}
    s = scheme_from_dict(d)
    roster = pd.read_csv(EXAMPLES / "wealth_ladder.roster.csv", dtype={"employee_id": str})
    masters = [period_master(tmp_path / f"{p}.xlsx", s, roster, p, inputs_of("wealth_ladder", {"W03": ch}))
               for p, ch in {"2026-01": {"sales": "=HYPERLINK(\"http://x\",1)"}, "2026-02": {}}.items()]
    y = build_year(tmp_path / "year.xlsx", masters)
    assert any(w.code == "not_a_number" and w.employee == "W03" for w in y.warnings)
    wb = openpyxl.load_workbook(y.path)
    ws = wb["期间成绩"]
    col = [c.value for c in ws[1]].index("input:sales") + 1
    cells = {(ws.cell(r, 1).value, ws.cell(r, 4).value): ws.cell(r, col) for r in range(3, ws.max_row + 1)}
    assert cells[("W03", "2026-01")].value == '=HYPERLINK("http://x",1)' and cells[("W03", "2026-01")].data_type == "s"
    # W03's annual sales: February's 200,000 alone (the text is no number).
    assert {r[0]: r[5] for r in wb["职级建议"].iter_rows(min_row=3, values_only=True)}["W03"] == 200000


def test_night_rewards_year_averages_the_months_present(years):
    y, _ = years["night_rewards"]
    # N01: (99 + 105 + 111)/3 = 315/3 = 105 优秀, above 100 (年度总分超过100分).
    n01 = row(y, "N01")
    assert (n01["count:periods"], n01["total"], n01["rating"], n01["flag.over_scale"]) == (3, 105, "优秀", True)
    # N02 not collected in October: the two months present, (91 + 91)/2 = 91, and the note says so.
    n02 = row(y, "N02")
    assert (n02["count:periods"], n02["total"]) == (2, 91)
    notes = dict(zip(y.figures.people.ids, y.figures.notes))
    assert "缺 2026-10" in notes["N02"]
    assert any(w.code == "year_missing_periods" and w.employee == "N02" for w in y.warnings)


def test_cs_pay_year_bonus_on_the_annual_total(years):
    y, _ = years["cs_pay"]
    # P05: (93 + 97 + 89)/3 = 279/3 = 93 优秀; 1,800 × 0.93 = 1,674;
    # paid 1,800 × (0.93 + 0.97 + 0.89) = 1,674 + 1,746 + 1,602 = 5,022.
    p05 = row(y, "P05")
    assert (p05["total"], p05["rating"], p05["bonus"]) == (93, "优秀", 1674)
    assert p05["paid"] == pytest.approx(5022, abs=1e-9)
    # P03 58 every month: below 60 no bonus, in the year as in each month.
    p03 = row(y, "P03")
    assert (p03["total"], p03["rating"], p03["bonus"], p03["paid"]) == (58, "不合格", 0, 0)


def test_cm_grade_review_year_of_one_yearly_period(years):
    y, _ = years["cm_grade_review"]
    assert y.period == "2026"
    # One period: the year is the card. G03 张娜 44 不合格 (20 + 8 + 16 + 0 + 0, tests/test_seeds.py);
    # G01 王伟 48 + 24 + 20 + 10 + 10 = 112 优秀, above 100.
    g03, g01 = row(y, "G03"), row(y, "G01")
    assert (g03["count:periods"], g03["total"], g03["rating"]) == (1, 44, "不合格")
    assert (g01["total"], g01["rating"], g01["flag.over_scale"]) == (112, "优秀", True)


def test_cm_grade_review_year_masters_propose_as_the_period_master(tmp_path):
    s = kpixl.load_scheme(EXAMPLES / "cm_grade_review.yaml")
    roster = pd.read_csv(EXAMPLES / "cm_grade_review.roster.csv", dtype={"employee_id": str})
    y2026 = example_inputs("cm_grade_review")
    # 2025 as in tests/test_template_years.py: G03 42.22 不合格 again; the others' sales below 2026's.
    y2025 = [{**r, "sales": sa, "new_clients": n, "satisfaction": sat, "complaint_rate": c, "key_clients.n": k}
             for r, sa, n, sat, c, k in zip(y2026, [5500000, 2000000, 1400000, 1300000, 7000000], [18, 10, 6, 8, 25],
                                            [0.9, 0.85, 0.7, 0.8, 0.95], [0.01, 0.02, 0.04, 0.01, 0], [1, 0, 0, 0, 2])]
    m25 = period_master(tmp_path / "2025.xlsx", s, roster, "2025", y2025, template=WORKBOOKS / "cm_grade_review.xlsx")
    m26 = period_master(tmp_path / "2026.xlsx", s, roster, "2026", y2026, template=WORKBOOKS / "cm_grade_review.xlsx")
    earlier = build_year(tmp_path / "2025年度.xlsx", [m25])
    y = build_year(tmp_path / "2026年度.xlsx", [m26], earlier=[earlier.path])
    # As the period master with both years collected proposes (tests/test_template_years.py), e.g.
    # G01 中级 → 高级: 优秀; 入职 2016-04-01 → 10 full years ≥ 6; 6,000,000 ≥ 5,000,000; and
    # 6,000,000 / (6,000,000 + 2,400,000 + 1,500,000 + 1,500,000 + 7,200,000) = 32.3% ≥ 15% of the year's sales.
    # G02 初级 → 中级: 优秀; 入职 2022-07-01 → 4 full years ≥ 3; 2,400,000 ≥ 2,000,000; growth on 2025's
    # sales (from 往年年度) 2,400,000 / 2,000,000 − 1 = 20% ≥ 10%; 投诉率 2% ≤ 2%.
    # G04 初级 stays: 入职 2024-02-01 → 2 years < 3, and 1,500,000 < 2,000,000.
    # G03 不合格 in 2025 and 2026 → 连续两年业绩不达标: 中级 → 初级.
    assert proposals(y.path) == {"G01": ("中级", "高级", "promote"), "G02": ("初级", "中级", "promote"),
                                 "G03": ("中级", "初级", "demote"), "G04": ("初级", "初级", "keep"),
                                 "G05": ("高级", "高级", "keep")}
    assert not [w for w in y.warnings if w.code == "missing_column"], y.warnings
    wb = openpyxl.load_workbook(y.path)
    # What the proposals read is on the sheets, as data: the card inputs beside each period's figures …
    copied = {r[0]: r for r in wb["期间成绩"].iter_rows(min_row=3, values_only=True)}
    head = [c.value for c in wb["期间成绩"][1]]
    assert head[-2:] == ["input:sales", "input:complaint_rate"] and copied["G02"][-2:] == (2400000, 0.02)
    # … the annual values beside each proposal (a yearly card: the year's one period) …
    levels = {r[0]: r[5:] for r in wb["职级建议"].iter_rows(min_row=3, values_only=True)}
    assert [c.value for c in wb["职级建议"][2]][5:] == ["业务销售额·年度", "客户投诉率·年度"]
    assert levels["G02"] == (2400000, 0.02)
    # … and last year's, copied from the 2025 year master's 职级建议 onto 往年年度.
    before = {r[0]: r[6:] for r in wb["往年年度"].iter_rows(min_row=3, values_only=True)}
    assert before["G02"] == (2000000, 0.02) and before["G03"] == (1400000, 0.04)
    # A rebuild with nothing named proposes the same from what the year kept.
    assert proposals(build_year(y.path).path) == proposals(y.path)
