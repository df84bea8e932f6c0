"""The year master (kpixl year, docs/year.md): a full year of 40 people worked by hand.

Seed 001 客户服务经理 德勤能绩: 周检和月检 20% (here four quarterly checks), 月考核 30%
(twelve monthly masters), 年终考核 50% (one), the forced distribution by 人员类别 on the
annual total, 年终仍超过100分者按优秀员工奖励 (the ``年度总分超过100分`` column), and for this
test a bonus (年终奖金基数 × total/100, nothing below 60, 优秀 ×1.2, 较差 ×0.5).

Every build here is recalculated by LibreOffice and compared with the engine (verify).
"""

from __future__ import annotations

import random
import shutil

import openpyxl
import pandas as pd
import pytest

from kpixl.errors import InputError
from kpixl.scheme.models import Bonus
from kpixl.year import build_year
from kpixl.year.build import CHANGES, SOURCES
from kpixl.year.sheet import COPIED, YEAR
from year_kit import SCHEMES, card_for, deqin_roster, period_master, scheme

pytestmark = pytest.mark.engine

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
QUARTERS = [f"2026Q{q}" for q in range(1, 5)]


def deqin_with_bonus():
    s = scheme("cs_deqinnengji")
    bonus = Bonus(base={"column": "年终奖金基数"}, curve=[{"below": 60, "factor": 0}, {"factor": "score"}],
                  rating_factor={"优秀": 1.2, "较差": 0.5}, round=2)
    return s.model_copy(update={"bonus": bonus})


def month_total(eid: str, period: str, rnd: random.Random) -> int | None:
    """The hand-worked people's monthly 月考核 totals (None: not collected that month); others random 60–95."""
    if eid == "Y01":
        return 84 if period == "2026-03" else 90
    if eid == "Y03":
        return 100
    if eid == "Y05":
        return None if period in ("2026-04", "2026-05") else 80
    if eid == "Y07":
        return 90
    if eid == "Y40" and period in ("2026-07", "2026-08", "2026-09"):
        return None
    return rnd.randint(60, 95)


def check_total(eid: str, period: str, rnd: random.Random) -> int | None:
    return {"Y01": {"2026Q1": 88, "2026Q2": 92, "2026Q3": 90, "2026Q4": 94}.get(period), "Y03": 100,
            "Y05": None if period == "2026Q2" else 70, "Y07": 90}.get(eid, rnd.randint(60, 95))


def year_end_card(eid: str, rnd: random.Random) -> dict | None:
    return {"Y01": card_for("Y01", 96, award=6), "Y03": card_for("Y03", 100, award=10), "Y05": card_for("Y05", 90),
            "Y07": None}.get(eid, card_for(eid, rnd.randint(60, 95)))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """17 period masters of 40 people: 4 quarterly checks, 12 monthly, 1 year-end."""
    d = tmp_path_factory.mktemp("year")
    s, people = deqin_with_bonus(), deqin_roster(40)
    ids = people["employee_id"].tolist()
    rnd = random.Random(2026)
    tpl = d / "template.xlsx"
    period_master(tpl, s, people, "2026-01", [card_for("Y01", 90)])
    masters: dict[str, list] = {"checks": [], "monthly": [], "year_end": []}
    for q in QUARTERS:
        cards = [card_for(e, t) for e in ids if (t := check_total(e, q, rnd)) is not None]
        masters["checks"].append(period_master(d / f"周检-{q}.xlsx", s, people, q, cards, template=tpl))
    for m in MONTHS:
        cards = [card_for(e, t, award=5 if (e == "Y03" and m == "2026-01") else None)
                 for e in ids if (t := month_total(e, m, rnd)) is not None]
        masters["monthly"].append(period_master(d / f"月考核-{m}.xlsx", s, people, m, cards, template=tpl))
    cards = [c for e in ids if (c := year_end_card(e, rnd)) is not None]
    masters["year_end"].append(period_master(d / "年终-2026.xlsx", s, people, "2026", cards, template=tpl))
    out = d / "年度汇总-2026.xlsx"
    first = build_year(out, components=masters, verify=True)
    return {"dir": d, "scheme": s, "roster": people, "masters": masters, "out": out, "first": first,
            "first_bytes": out.read_bytes(), "template": tpl}


def row(year, eid: str) -> dict:
    res = year.results().set_index("employee_id")
    return res.loc[eid].to_dict()


def test_a_full_year_rolls_up_rates_and_pays_as_worked_by_hand(world):
    y = world["first"]
    assert y.verification.ok, y.verification.summary()  # LibreOffice's recalculation equals the engine
    assert not y.problems and y.period == "2026" and y.figures.people.n == 40
    # Y01: checks (88+92+90+94)/4 = 91; monthly (11×90 + 84)/12 = 1074/12 = 89.5; year-end 96 + 嘉奖6 = 102.
    # Total 0.2×91 + 0.3×89.5 + 0.5×102 = 18.2 + 26.85 + 51 = 96.05.
    y01 = row(y, "Y01")
    assert (y01["component:checks"], y01["component:monthly"], y01["component:year_end"]) == (91, 89.5, 102)
    assert y01["count:monthly"] == 12 and y01["count:checks"] == 4 and y01["count:year_end"] == 1
    assert y01["total"] == 96.05
    # Y03: checks 100; monthly (100+5 + 11×100)/12 = 1205/12; year-end 100 + 10 = 110.
    # 0.2×100 + 0.3×1205/12 + 0.5×110 = 20 + 30.125 + 55 = 105.125 → ROUND(…, 2) = 105.13 (half away from 0).
    y03 = row(y, "Y03")
    assert y03["total"] == 105.13 and y03["flag.over_scale"]  # 年终仍超过100分者按优秀员工奖励
    assert not y01["flag.over_scale"]
    # Everyone else's periods are 60–95, so in the 20 一线员工 (Y01, Y03, Y05 … Y39): Y03 ranks 1, Y01 ranks 2.
    # 优秀 takes ranks ≤ ROUND(20×0.05) = 1, 良好 ≤ ROUND(20×0.25) = 5.
    assert (y03["rank"], y03["rating"]) == (1, "优秀") and (y01["rank"], y01["rating"]) == (2, "良好")
    # Bonus: 年终奖金基数 × total/100 × rating factor. Y03: 8000 × 1.0513 × 1.2 = 10,092.48; Y01: 8000 × 0.9605 = 7,684.
    assert y03["bonus"] == 10092.48 and y01["bonus"] == 7684.0


def test_missing_periods_follow_the_stated_policy_and_are_shown(world):
    y = world["first"]
    # Y05 has no 月考核 for 2026-04 and 2026-05 and no 周检 for 2026Q2: the periods present are averaged.
    # monthly 10 × 80 / 10 = 80; checks 3 × 70 / 3 = 70; year-end 90 → 0.2×70 + 0.3×80 + 0.5×90 = 14 + 24 + 45 = 83.
    y05 = row(y, "Y05")
    assert (y05["count:monthly"], y05["component:monthly"], y05["count:checks"]) == (10, 80, 3)
    assert y05["total"] == 83
    # Y07 has no 年终 at all: it counts 0 — 0.2×90 + 0.3×90 + 0 = 45 — and the note says so.
    y07 = row(y, "Y07")
    assert y07["count:year_end"] == 0 and y07["total"] == 45
    # 45 is the lowest 一线员工 total: rank 20 > ROUND(20×0.95) = 19 → 较差; below 60 the bonus is 0.
    assert (y07["rank"], y07["rating"], y07["bonus"]) == (20, "较差", 0)
    notes = dict(zip(y.figures.people.ids, y.figures.notes))
    assert notes["Y05"] == "周检月检 缺 2026Q2 (按已有3期平均); 月考核 缺 2026-04、2026-05 (按已有10期平均)"
    assert notes["Y07"] == "年终考核 无成绩, 按0分计"
    assert "月考核 缺 2026-07、2026-08、2026-09" in notes["Y40"]
    codes = {(p.code, p.employee) for p in y.warnings}
    assert {("year_missing_periods", "Y05"), ("year_missing_component", "Y07"),
            ("year_missing_periods", "Y40")} <= codes
    wb = openpyxl.load_workbook(world["out"])
    ws = wb[YEAR]
    keys = [c.value for c in ws[1]]
    assert ws.cell(2, keys.index("note") + 1).value == "备注(缺期按已有期数计)"
    policy = " ".join(str(c.value) for c in wb["说明"]["A"] if c.value)
    assert "缺期政策" in policy and "按0分计" in policy


def test_copied_rows_are_data_with_their_provenance(world):
    wb = openpyxl.load_workbook(world["out"])
    ws = wb[COPIED]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)  # no formula on the copied sheet
    # 40 × 4 checks − 1 (Y05 Q2) + 40 × 12 monthly − 2 (Y05) − 3 (Y40) + 39 year-end = 159 + 475 + 39
    assert len(rows) == 159 + 475 + 39
    from kpixl.year.sources import sha256

    y01 = [r for r in rows if r[0] == "Y01" and r[2] == "monthly" and r[3] == "2026-03"]
    assert len(y01) == 1
    eid, name, comp, period, total, rating, bonus, file, sha, when = y01[0]
    assert (total, file, when) == (84, "月考核-2026-03.xlsx", "2026-12-01 09:00:00")
    assert sha == sha256(world["dir"] / "月考核-2026-03.xlsx")
    # Readers that trust the sheet's stated dimension (openpyxl read-only, pandas) see every row too.
    assert len(pd.read_excel(world["out"], sheet_name=COPIED, header=1, engine="openpyxl")) == len(rows)
    assert len(pd.read_excel(world["out"], sheet_name=YEAR, header=1, engine="openpyxl")) == 40
    # The year's formulas read each person's own rows.
    ws = wb[YEAR]
    keys = [c.value for c in ws[1]]
    f = ws.cell(3, keys.index("component:monthly") + 1).value
    assert f.startswith("=AVERAGE('期间成绩'!$E$")


def rebuilt(world, tmp_path):
    """A copy of the year and its masters in tmp_path (each test changes its own)."""
    d = tmp_path / "w"
    shutil.copytree(world["dir"], d)
    return d, d / world["out"].name


def test_a_late_correction_is_taken_and_finance_edits_are_kept(world, tmp_path):
    d, out = rebuilt(world, tmp_path)
    s, people = world["scheme"], world["roster"]
    # Finance edits the year: 优秀 factor 1.2 → 1.5 on 奖金参数, Y03's base 8,000 → 12,000 on 年度汇总.
    wb = openpyxl.load_workbook(out)
    ws = wb["奖金参数"]
    for r in range(3, 10):
        if ws.cell(r, 4).value == "优秀":
            ws.cell(r, 5).value = 1.5
    ys = wb[YEAR]
    keys = [c.value for c in ys[1]]
    ids = [ys.cell(r, 1).value for r in range(1, ys.max_row + 1)]
    ys.cell(ids.index("Y03") + 1, keys.index("bonus.base") + 1).value = 12000
    wb.save(out)
    # A late correction: Y01's June 月考核 90 → 96 (the master re-collected).
    june = d / "月考核-2026-06.xlsx"
    old = openpyxl.load_workbook(june, read_only=True)
    store = [r for r in old["_collected"].iter_rows(values_only=True)]
    old.close()
    head = store[0]
    cards = []
    for r in store[1:]:
        rec = dict(zip(head, r))
        eid = rec["employee_id"]
        cards.append(card_for(eid, 96) if eid == "Y01" else {k: rec[k] for k in
                     ("employee_id", "virtue", "diligence", "ability", "results", "award", "award.reason")})
    period_master(june, s, people, "2026-06", cards, template=d / "template.xlsx")
    y = build_year(out, verify=True)  # no masters named: every master the year was built from is read again
    assert y.verification.ok, y.verification.summary()
    # Y01 monthly (10×90 + 84 + 96)/12 = 1080/12 = 90 → 0.2×91 + 0.3×90 + 0.5×102 = 18.2 + 27 + 51 = 96.2;
    # bonus 8000 × 0.962 = 7,696.
    y01 = row(y, "Y01")
    assert (y01["component:monthly"], y01["total"], y01["bonus"]) == (90, 96.2, 7696.0)
    # Y03 keeps finance's base and factor: 12,000 × 1.0513 × 1.5 = 18,923.4.
    assert row(y, "Y03")["bonus"] == 18923.4
    assert any("优秀" in k for k in y.kept) and any("Y03" in k for k in y.kept)
    # The change is said: person, period, old → new, which file — on the terminal and on 变更. The
    # period's own bonus moved with it: 8000 × 90/100 = 7,200 → 8000 × 96/100 = 7,680.
    ch = [c for c in y.changes if c["employee_id"] == "Y01"]
    assert [(c["period"], c["what"], c["old"], c["new"], c["file"]) for c in ch] == [
        ("2026-06", "总分", 90, 96, "月考核-2026-06.xlsx"), ("2026-06", "绩效奖金", 7200, 7680, "月考核-2026-06.xlsx")]
    assert "月考核 2026-06 Y01 员工01 总分: 90 → 96 (月考核-2026-06.xlsx" in y.summary()
    assert any(p.code == "year_source_changed" for p in y.warnings)
    log = list(openpyxl.load_workbook(out)[CHANGES].iter_rows(min_row=3, values_only=True))
    assert any(r[1] == "Y01" and r[4] == "2026-06" and r[6] == 90 and r[7] == 96 for r in log)


def test_a_lost_or_edited_master_never_changes_the_year_silently(world, tmp_path):
    d, out = rebuilt(world, tmp_path)
    before = {k: v for k, v in row(world["first"], "Y01").items()}
    (d / "周检-2026Q4.xlsx").unlink()  # lost after the year was built
    y = build_year(out)
    # The year keeps what it copied: Y01's checks are still (88+92+90+94)/4 = 91 and the total 96.05.
    assert row(y, "Y01")["component:checks"] == 91 and row(y, "Y01")["total"] == before["total"]
    assert [p.code for p in y.warnings if p.code == "year_source_lost"] == ["year_source_lost"]
    sources = list(openpyxl.load_workbook(out)[SOURCES].iter_rows(min_row=3, values_only=True))
    lost = [r for r in sources if r[2] == "周检-2026Q4.xlsx"]
    assert len(lost) == 1 and lost[0][7].startswith("缺失: 保留")
    assert [c["what"] for c in y.changes] == ["来源缺失"]
    # The year file itself is what changes only when kpixl year runs: an edit of a period
    # master leaves the year's bytes as they were until the rebuild.
    assert world["out"].read_bytes() == world["first_bytes"]


def test_a_master_of_another_scheme_is_refused_and_nothing_is_written(world, tmp_path):
    d, out = rebuilt(world, tmp_path)
    other = scheme("kam_monthly")
    ro = pd.read_csv(SCHEMES / "kam_monthly.roster.csv", dtype=str)
    inputs = pd.read_csv(SCHEMES / "kam_monthly.inputs.csv").to_dict("records")
    kam = period_master(d / "kam-2026-04.xlsx", other, ro, "2026-04", inputs)
    before = out.read_bytes()
    with pytest.raises(InputError) as e:
        build_year(out, components={"monthly": [kam]})
    (p,) = e.value.problems
    assert p.code == "year_other_scheme" and p.where == str(kam) and "kam-monthly" in p.message
    assert out.read_bytes() == before
    # A fresh year from masters of two schemes: refused too, no file made.
    fresh = d / "fresh.xlsx"
    with pytest.raises(InputError):
        build_year(fresh, components={"monthly": [world["masters"]["monthly"][0], kam]})
    assert not fresh.exists()


def test_a_period_given_twice_and_a_missing_component_are_placed_problems(world, tmp_path):
    d, _ = rebuilt(world, tmp_path)
    jan = d / "月考核-2026-01.xlsx"
    twin = d / "copy-of-jan.xlsx"
    shutil.copy2(jan, twin)
    with pytest.raises(InputError) as e:
        build_year(d / "y.xlsx", components={"monthly": [jan, twin]})
    assert [p.code for p in e.value.problems] == ["year_same_period"]
    with pytest.raises(InputError) as e:
        build_year(d / "y.xlsx", [jan])  # three components: which one is it?
    assert [p.code for p in e.value.problems] == ["year_component"]
    assert "-c COMPONENT" in e.value.problems[0].message
    with pytest.raises(InputError) as e:
        build_year(d / "y.xlsx", components={"weekly": [jan]})
    assert [p.code for p in e.value.problems] == ["year_component"]
    assert not (d / "y.xlsx").exists()


# ---- seed 003: a 12-month sheet (月份1–12, 当月绩效奖金, 得分) -----------------------------------


def test_a_twelve_month_sheet_without_rollup_is_the_mean_of_its_months(tmp_path):
    """大客户经理 (kam_monthly has no ``rollup``): the year is the mean of the months present, its bonus
    the scheme's curve on that mean, and 各期绩效奖金合计 the sum of the twelve 当月绩效奖金."""
    import kpixl

    s = scheme("kam_monthly")
    ro = pd.read_csv(SCHEMES / "kam_monthly.roster.csv", dtype=str)
    inputs = pd.read_csv(SCHEMES / "kam_monthly.inputs.csv", dtype=object).to_dict("records")
    month = kpixl.score(s, pd.DataFrame(inputs), roster=ro).set_index("employee_id")
    tpl = period_master(tmp_path / "tpl.xlsx", s, ro, "2026-01", inputs[:1])
    masters = [period_master(tmp_path / f"{m}.xlsx", s, ro, m,
                             [r for r in inputs if not (r["employee_id"] == "K02" and m == "2026-12")], template=tpl)
               for m in MONTHS]
    y = build_year(tmp_path / "year.xlsx", masters, verify=True)
    assert y.ok, (y.problems, y.verification.summary())
    k01, k02 = row(y, "K01"), row(y, "K02")
    t1, b1 = month["total"]["K01"], month["bonus"]["K01"]
    # Twelve equal months: the mean is the month's total; the annual bonus is 3000 × total/100 (当月绩效奖金 =
    # 考核分数/100 × 月度绩效奖金, on the annual total), rounded to 0.01; paid is 12 × the month's bonus.
    assert k01["count:periods"] == 12 and k01["total"] == t1
    assert k01["bonus"] == round(3000 * t1 / 100 + 1e-9, 2) and k01["paid"] == pytest.approx(12 * b1, abs=1e-6)
    # K02 was not collected in December: 11 months averaged, 11 bonuses summed.
    assert k02["count:periods"] == 11 and k02["total"] == month["total"]["K02"]
    assert k02["paid"] == pytest.approx(11 * month["bonus"]["K02"], abs=1e-6)


# ---- the command and the ribbon button ------------------------------------------------------------


def test_the_command_and_the_button_say_the_same(world, tmp_path, capfd):
    from kpixl.cli.commands import main
    from kpixl.macros import dispatch
    from kpixl.macros.host import FileHost

    d, out = rebuilt(world, tmp_path)
    capfd.readouterr()
    rc = main(["year", str(out), "--quiet"])
    _, err = capfd.readouterr()
    assert rc == 0 and "40 people from 17 period masters" in err
    # Pressed in the year master, the button rebuilds it (closed while rewritten, then opened again).
    host = FileHost(out)
    said = dispatch("year", host)
    assert said.ok and "40 people from 17 period masters" in said.text
    assert host.events == ["save", "close", "reopen"]
    # Pressed in a period master: the year to write, the component and the masters are asked for.
    jan = d / "月考核-2026-01.xlsx"
    host = FileHost(jan, {"out": str(d / "q1.xlsx"), "component": "monthly",
                          "masters": [str(jan), str(d / "月考核-2026-02.xlsx"), str(d / "月考核-2026-03.xlsx")]})
    said = dispatch("year", host)
    assert "q1.xlsx: 2026 of cs-deqinnengji, 40 people from 3 period masters" in said.text
    rc = main(["year", str(d / "q1-cli.xlsx"), "-c", "monthly", str(jan), str(d / "月考核-2026-02.xlsx"),
               str(d / "月考核-2026-03.xlsx"), "--period", "2026Q1", "--quiet"])
    _, err = capfd.readouterr()
    assert rc == 0 and "2026Q1 of cs-deqinnengji" in err
    # Another scheme's master: exit 2, the problem with its place.
    other = period_master(d / "kam.xlsx", scheme("kam_monthly"), pd.read_csv(SCHEMES / "kam_monthly.roster.csv",
                          dtype=str), "2026-04", pd.read_csv(SCHEMES / "kam_monthly.inputs.csv").to_dict("records"))
    rc = main(["year", str(out), "-c", "monthly", str(other), "--quiet"])
    _, err = capfd.readouterr()
    assert rc == 2 and "kam.xlsx" in err and "this master is of the scheme kam-monthly" in err


def test_bulk_rows_are_values_and_text_is_never_a_formula(tmp_path):
    import datetime as dt

    from kpixl.xlsx.bulk import Bulk, append_rows

    wb = openpyxl.Workbook()
    wb.active.title = "期间成绩"
    wb.active.append(["key"])
    wb.active.append(["标签"])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    rows = [["=1+1", 1.5, True, None, dt.datetime(2026, 12, 1, 9, 0)],
            ['=HYPERLINK("http://x","点我")', 3, False, " 前后空格 ", "bell\x07"]]
    append_rows(path, {"期间成绩": Bulk(3, rows, 5)})
    ws = openpyxl.load_workbook(path)["期间成绩"]
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert got == [["=1+1", 1.5, True, None, "2026-12-01 09:00:00"],
                   ['=HYPERLINK("http://x","点我")', 3, False, " 前后空格 ", "bell\\x07"]]
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert ws.max_row == 4


def test_a_cached_text_starting_with_hash_is_text_and_an_error_code_an_error(tmp_path):
    """Only Excel's error codes are written as errors (t="e"): a text result such as "#1 组" must stay text,
    or Excel reports the file as damaged."""
    import zipfile

    from kpixl.xlsx.bulk import Bulk, Formula, append_rows

    wb = openpyxl.Workbook()
    wb.active.title = "s"
    wb.active.append(["k"])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    append_rows(path, {"s": Bulk(2, [[Formula('"#1 组"', "#1 组")], [Formula("1/0", "#DIV/0!")]], 1)})
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A2" t="str"><f>"#1 组"</f><v>#1 组</v></c>' in xml
    assert '<c r="A3" t="e"><f>1/0</f><v>#DIV/0!</v></c>' in xml
    ws = openpyxl.load_workbook(path, data_only=True)["s"]
    assert (ws["A2"].value, ws["A3"].value) == ("#1 组", "#DIV/0!")


def test_bulk_rows_written_a_column_at_a_time_are_the_bytes_row_xml_writes():
    """append_rows formats a column of one type with one template; on columns of one type, mixed columns
    (blanks, NaN, formulas, bools, NumPy numbers, dates, huge ints), styled or not, it must write exactly
    what row_xml writes row by row — and number the shared strings in the same (row) order."""
    import datetime as dt

    import numpy as np

    from kpixl.xlsx import bulk

    rnd = random.Random(7)
    pools = {
        "text": lambda: rnd.choice(["a", "b", "=1+1", " x ", "甲", "a&b<c>"]),
        "number": lambda: rnd.choice([0.0, -0.0, 1, 2.5, 85.0, 1e15, 1e16, 0.1 + 0.2, -3, 10**20]),
        "mixed": lambda: rnd.choice([None, float("nan"), float("inf"), "t", 3.0, True, False, np.float64(1.5),
                                     np.int64(7), dt.datetime(2026, 1, 2, 3, 4, 5), bulk.Formula("A1+1", 2.0),
                                     bulk.Formula('IF(A1>0,"是","否")', "是"), bulk.Formula("B1", None)]),
    }
    for trial in range(30):
        kinds = [rnd.choice(list(pools)) for _ in range(rnd.randint(1, 6))]
        rows = [[pools[k]() for k in kinds] for _ in range(rnd.randint(1, 40))]
        letters = [chr(ord("A") + j) for j in range(len(kinds))]
        styles = {c: str(j) for j, c in enumerate(letters) if rnd.random() < 0.5}
        by_row, by_column = bulk.Strings(3), bulk.Strings(3)
        want = "".join(bulk.row_xml(5 + k, r, letters, styles, by_row) for k, r in enumerate(rows))
        assert bulk._body(5, rows, letters, styles, by_column) == want, (trial, kinds)
        assert (by_column.index, by_column.refs) == (by_row.index, by_row.refs), trial


def test_level_proposals_follow_the_annual_rating(tmp_path):
    """With ``levels:`` the year proposes each person's level from the annual rating (values with reasons)."""
    from kpixl.scheme.models import Component, Levels, Rollup

    s = scheme("cs_deqinnengji").model_copy(update={
        "rollup": Rollup(components=[Component(id="monthly", weight=1, aggregate="mean")], round=2),
        "levels": Levels(column="职级", ladder=["初级", "中级", "高级"],
                         promote=[{"name": "年度优秀", "when": {"rating_in": ["优秀"]}, "years": 1}],
                         demote=[{"name": "年度较差", "when": {"rating_in": ["较差"]}, "years": 1}])})
    people = deqin_roster(20).assign(人员类别="一线员工", 职级="中级")
    ids = people["employee_id"].tolist()
    # Y01 scores 99 both months, Y20 50, everyone else 70 + their number: Y01 ranks 1 of 20 → 优秀
    # (rank ≤ ROUND(20×0.05) = 1), Y20 ranks 20 → 较差 (rank > ROUND(20×0.95) = 19).
    totals = {e: 99 if e == "Y01" else 50 if e == "Y20" else 70 + k for k, e in enumerate(ids)}
    tpl = period_master(tmp_path / "tpl.xlsx", s, people, "2026-01", [card_for("Y01", 90)])
    masters = [period_master(tmp_path / f"{m}.xlsx", s, people, m, [card_for(e, t) for e, t in totals.items()],
                             template=tpl) for m in ("2026-01", "2026-02")]
    y = build_year(tmp_path / "year.xlsx", masters)
    assert row(y, "Y01")["rating"] == "优秀" and row(y, "Y20")["rating"] == "较差"
    ws = openpyxl.load_workbook(tmp_path / "year.xlsx")["职级建议"]
    got = {r[0]: r[1:4] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert got["Y01"] == ("中级", "高级", "promote") and got["Y20"] == ("中级", "初级", "demote")
    assert got["Y02"] == ("中级", "中级", "keep")


def test_a_master_tampered_with_after_the_build_is_reported_on_rebuild(world, tmp_path):
    d, out = rebuilt(world, tmp_path)
    # Someone unhides _collected in the March 月考核 master and types Y05's 绩 (results) 30 → 20.
    path = d / "月考核-2026-03.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["_collected"]
    head = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, head.index("employee_id") + 1).value == "Y05":
            ws.cell(r, head.index("results") + 1).value = 20
    wb.save(path)
    y = build_year(out)
    # Y05's March total 80 → 70, so monthly (9×80 + 70)/10 = 79 and 0.2×70 + 0.3×79 + 0.5×90 = 14 + 23.7 + 45 = 82.7.
    (c,) = [c for c in y.changes if c["employee_id"] == "Y05" and c["what"] == "总分"]
    assert (c["period"], c["old"], c["new"], c["file"], c["note"]) == ("2026-03", 80, 70, "月考核-2026-03.xlsx",
                                                                        "来源文件已修改")
    assert row(y, "Y05")["total"] == 82.7
    (w,) = [p for p in y.warnings if p.code == "year_source_changed"]
    assert "月考核-2026-03.xlsx" in w.message


def test_the_pattern_reader_reads_what_the_element_reader_reads(world):
    """kpixl.xlsx.scan scans sheet XML with one pattern; on kpixl's masters, the year master and files
    LibreOffice saved it must give exactly what kpixl.xlsx.reader gives (and fall back where it cannot)."""
    import zipfile
    from pathlib import Path

    from kpixl.xlsx import scan as values

    root = Path(__file__).resolve().parents[1]
    files = [world["out"], world["masters"]["monthly"][0], *sorted((root / "examples" / "returned").glob("*.xlsx"))]
    for f in files:
        with zipfile.ZipFile(f) as z:
            fast = values._fast(Path(f), z, None, {})
        slow = values._slow(Path(f), None)
        assert fast is not None, f
        assert fast.sheetnames == slow.sheetnames and fast.names == slow.names, f
        for t in slow.sheetnames:
            assert list(fast[t].iter_rows()) == list(slow[t].iter_rows()), (f, t)
    # A cell the pattern does not know (attributes in another order) sends the file to the element reader.
    assert values._scan('<sheetData><row r="1"><c t="n" r="A1"><v>1</v></c></row></sheetData>', [], set()) is None


# ---- randomised agreement: every aggregate, bands and distribution, ties, budget ------------------


def _random_year(rnd: random.Random, s, people: pd.DataFrame) -> pd.DataFrame:
    """Copied rows for ``people``: a (mean, 4 periods), b (last, 3), c (sum, 2); ~20 % missing, many ties."""
    rows = []
    for comp, periods in (("a", ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]), ("b", MONTHS[:3]), ("c", MONTHS[3:5])):
        for p in periods:
            for e in people["employee_id"]:
                if rnd.random() < 0.2:
                    continue
                rows.append({"employee_id": e, "姓名": e, "component": comp, "period": p,
                             "total": float(rnd.choice([55, 60, 72.5, 80, 80, 90, 99.99, 101])), "rating": None,
                             "bonus": float(rnd.choice([0, 1000, 1234.56])), "file": f"{comp}-{p}.xlsx",
                             "sha256": "0" * 64, "collected_at": "2026-12-01 09:00:00"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_years_recalculate_to_the_engine(tmp_path, seed):
    """Random years — every aggregate (mean, last, sum), people missing periods or whole components,
    tied totals — written by the year's sheet writers and recalculated by LibreOffice, equal the engine
    (bands in one, the forced distribution by group with tie order, flags and a binding budget in the other)."""
    from openpyxl import Workbook

    from kpixl import libreoffice
    from kpixl.master.book import Master
    from kpixl.master.params import Params, write_params
    from kpixl.results.verify import read_results
    from kpixl.scheme.models import Component, Ratings, Rollup
    from kpixl.year.figures import year_figures
    from kpixl.year.sheet import write_copied, write_year
    from kpixl.results.verify import agree

    rnd = random.Random(seed)
    base = deqin_with_bonus()
    rollup = Rollup(components=[Component(id="a", weight=0.25, aggregate="mean"),
                                Component(id="b", weight=0.25, aggregate="last"),
                                Component(id="c", weight=0.5, aggregate="sum")], round=2)
    bands = Ratings(bands=[{"name": "优秀", "min": 120}, {"name": "良好", "min": 100}, {"name": "合格", "min": 80},
                           {"name": "待改进"}], flags=[{"id": "top", "top": 0.1}])
    people = deqin_roster(30)
    people["入职日期"] = [f"2015-0{1 + k % 3}-01" for k in range(30)]  # tie-break ties: then the employee id
    cases = {"bands": base.model_copy(update={"rollup": rollup, "ratings": bands,
                                              "bonus": base.bonus.model_copy(update={"rating_factor": {"优秀": 1.5}})}),
             "distribution": base.model_copy(update={"rollup": rollup,
                                                     "bonus": base.bonus.model_copy(update={"budget": 50000.0})})}
    written, engine = [], {}
    for name, s in cases.items():
        rows = _random_year(rnd, s, people)
        order = {c: k for k, c in enumerate("abc")}
        ids = [e for e in people["employee_id"] if e in set(rows["employee_id"])]
        rows = rows.assign(_p=rows["employee_id"].map({e: k for k, e in enumerate(ids)}),
                           _c=rows["component"].map(order)).sort_values(["_p", "_c", "period"], kind="stable") \
            .drop(columns=["_p", "_c"]).reset_index(drop=True)
        wb = Workbook()
        wb.remove(wb.active)
        path = tmp_path / f"{name}.xlsx"
        m = Master(path, wb, None)
        params = write_params(m, Params(s.bonus.budget, dict(s.bonus.rating_factor or {}) or None, None))
        fig = year_figures(s, rows, ids, people, policy=params.policy(s.bonus))
        _, year_rows = write_year(m.sheet("年度汇总", 0), s, fig, rows, people, params)
        bulk = {"年度汇总": year_rows, "期间成绩": write_copied(m.sheet("期间成绩"), rows)}
        m.bulk.update(bulk)  # as build_year saves: the rows in the same pass as the cached results
        m.save()
        written.append(path)
        engine[name] = fig.frame()
        if name == "distribution":  # the budget binds: Σ bonus ≤ 50,000 (rounded to the cent each)
            assert fig.values["bonus"].sum() <= 50000 + 0.005 * len(ids)
    got = libreoffice.recalculate(written, tmp_path / "out")
    compared = 0
    for path, (name, want) in zip(got, engine.items()):
        have = read_results(path, "年度汇总").set_index("employee_id")
        for _, row in want.iterrows():
            for key, value in row.items():
                if key == "employee_id":
                    continue
                compared += 1
                assert agree(have.at[row["employee_id"], key], value), (name, row["employee_id"], key,
                                                                        have.at[row["employee_id"], key], value)
    assert compared > 2 * 30 * 12


def test_the_last_value_is_the_latest_period_not_the_last_text():
    """levels.annual: last takes the period that ends latest: 2026H2 after 2026Q1 (as text it sorts first),
    and a year-end card (2026) after its December."""
    from kpixl.year.annual import _aggregate

    rows = pd.DataFrame({"employee_id": ["E1"] * 3 + ["E2"] * 2, "period": ["2026-11", "2026", "2026-12", "2026H2", "2026Q1"],
                         "input:x": [100, 150, 120, 20, 10]})
    assert _aggregate(rows, "input:x", "last").to_dict() == {"E1": 150.0, "E2": 20.0}
    assert _aggregate(rows, "input:x", "sum").to_dict() == {"E1": 370.0, "E2": 30.0}
