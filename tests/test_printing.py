"""Sheets people read and print: the master after collect/rate/report, and the 汇总 sheet.

Opened with openpyxl as saved: landscape, repeated label rows, fit to a sensible number
of pages across, the key row hidden, Chinese labels (English when the master says so),
thousands separators, 是/否 flags, labelled parameters, a chart in every report.
"""

from __future__ import annotations

import math
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpixl.card.template import read_template
from kpixl.engine.card import exceeds_why, max_total
from kpixl.master.collect import collect
from kpixl.master.params import PARAMS, RATED
from kpixl.master.rate import rate
from kpixl.master.report import histogram_bins, histogram_counts, report
from kpixl.scheme.models import Flag, RatingBand, Ratings
from kpixl.scheme.sheet.book import write_scheme_sheet
from kpixl.xlsx.lang import label
from kpixl.xlsx.printing import column_width, pages_across, text_width, wrapped_lines, yes_no

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "kam_monthly.xlsx"
RETURNED = ROOT / "examples" / "returned"


# ---- the helpers, by hand --------------------------------------------------------------------


def test_text_width_counts_cjk_double():
    assert text_width("总分") == 4.0  # two CJK characters, 2 each
    assert text_width("abc") == pytest.approx(3.3)  # 1.1 each
    assert text_width(1234567) == pytest.approx(9 * 1.1)  # shown as 1,234,567
    assert text_width("销售\nab") == 4.0  # the longest line


def test_column_width_fits_values_and_a_wrapped_label():
    # values: "1,344,000.00" is 12 characters × 1.1 = 13.2, + 2 → 15.2
    assert column_width("销售任务·实际", [1344000.0]) == pytest.approx(15.2)
    # label only: 新客户(经销商)开发·新增客户(次): 13 CJK (26) + 4 brackets and a · (5 × 1.1 = 5.5)
    # = 31.5 over three lines → 10.5, + 2 → 12.5
    assert column_width("新客户(经销商)开发·新增客户(次)", [3]) == pytest.approx(12.5)
    assert column_width("x" * 200, []) == 40.0  # at most hi
    assert wrapped_lines("一二三四五六七八九十", 7.5) == 4  # 20 units over 6 per line


def test_pages_across_keeps_print_legible():
    # A landscape page holds 140 units at 100 %, 186.7 at the smallest scale (75 %).
    assert pages_across([10] * 18) == 1  # 180 units: one page, shrunk a little
    assert pages_across([10] * 40) == 3  # 400 / 186.7 → 3 pages, not one page at 35 %
    # 2 columns (20 units) repeat on every page: (400 − 20) / (186.7 − 20) = 2.28 → 3
    assert pages_across([10] * 40, repeated=20) == 3
    assert pages_across([10] * 9, landscape=False) == 1 and pages_across([10] * 20, landscape=False) == 2


def test_histogram_bins_by_tenths_of_the_scale():
    assert [b[0] for b in histogram_bins(100)] == ["<60", "60–70", "70–80", "80–90", "90–100", "≥100"]
    assert [b[0] for b in histogram_bins(10)] == ["<6", "6–7", "7–8", "8–9", "9–10", "≥10"]
    # 59.99 → <60; 60 and 69.5 → 60–70; 85 → 80–90; 100 and 135 → ≥100; a blank is not counted
    assert histogram_counts([59.99, 60, 69.5, 85, 100, 135, None], 100) == [1, 2, 0, 1, 0, 2]


def test_max_total_from_the_rules():
    # cs_monthly: every item at most its points, no bonus section → 100, nothing to explain.
    cs = read_template(ROOT / "workbooks" / "cs_monthly.xlsx").scheme
    assert max_total(cs) == pytest.approx(100) and exceeds_why(cs) is None
    # cm_monthly_kpi: 销售 items score up to a capped achievement above 100 % → 114 of 100.
    kpi = read_template(ROOT / "workbooks" / "cm_monthly_kpi.xlsx").scheme
    assert max_total(kpi) == pytest.approx(114) and exceeds_why(kpi) == "超额完成可加分"
    # kam_monthly: 销售任务 adds 1 point per 1 % above target with no limit, and 临时重要工作 adds up to 100.
    kam = read_template(TEMPLATE).scheme
    assert math.isinf(max_total(kam)) and exceeds_why(kam) == "超额完成可加分、含加分项"


def test_the_card_says_why_a_total_may_exceed_its_full_score():
    wb = openpyxl.load_workbook(TEMPLATE)
    texts = [c.value for row in wb["考核表"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "总分（满分100分；超额完成可加分、含加分项，总分可超过100）" in texts
    wb = openpyxl.load_workbook(ROOT / "workbooks" / "cs_monthly.xlsx")
    texts = [c.value for row in wb["考核表"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "总分（满分100分）" in texts


def test_labels_in_english():
    assert label("总分", "en") == "Total" and label("总分", "zh") == "总分"
    assert label("销售任务·实际", "en") == "销售任务 · actual"  # the scheme's name is kept
    assert label("销售任务", "en") == "销售任务"


# ---- the master after collect, rate and report -------------------------------------------------


def _rated_master(folder: Path, lang: str | None = None) -> Path:
    """kam_monthly collected, then given bands, a top-share flag and rating factors, rated and reported."""
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "master.xlsx"
    shutil.copy2(TEMPLATE, master)
    assert collect(master, [RETURNED], lang=lang).written
    scheme = read_template(master).scheme
    bonus = scheme.bonus.model_copy(update={"rating_factor": {"优秀": 1.2, "合格": 1.0, "待改进": 0.8}})
    rated = scheme.model_copy(update={"ratings": Ratings(
        bands=[RatingBand(name="优秀", min=90), RatingBand(name="合格", min=60), RatingBand(name="待改进")],
        flags=[Flag(id="top", name="前三分之一", top=0.34)]), "bonus": bonus})
    wb = openpyxl.load_workbook(master)
    write_scheme_sheet(rated, wb)
    wb.save(master)
    assert rate(master).ok
    report(master)
    return master


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    return _rated_master(tmp_path_factory.mktemp("print"))


KEYED = ("Results", RATED, "考核历史", "Issues", "Log")


def test_keyed_sheets_print_landscape_with_label_rows_and_hidden_keys(master):
    wb = openpyxl.load_workbook(master)
    for title in KEYED:
        ws = wb[title]
        assert ws.page_setup.orientation == "landscape", title
        assert int(ws.page_setup.paperSize) == 9, title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, title
        assert ws.page_setup.fitToHeight == 0 and ws.page_setup.fitToWidth >= 1, title
        assert ws.print_title_rows == "$2:$2", title
        assert ws.row_dimensions[1].hidden, title  # the machine keys: kept, never shown or printed
        assert ws.freeze_panes in ("A3", "B3"), title
    # Results is wider than a page: it prints over pages across, with the id and name on each.
    res = wb["Results"]
    assert res.page_setup.fitToWidth >= 2 and res.print_title_cols == "$A:$B"
    assert wb["Issues"].page_setup.fitToWidth == 1


def test_headers_are_chinese(master):
    wb = openpyxl.load_workbook(master)
    issues, log, history = wb["Issues"], wb["Log"], wb["考核历史"]
    assert [c.value for c in issues[1]][:3] == ["file", "place", "employee_id"]  # keys: read back
    assert [c.value for c in issues[2]] == ["文件", "位置", "工号", "考核项目", "问题代码", "问题", "值", "严重程度",
                                          "状态", "首次发现"]
    assert [c.value for c in log[2]] == ["时间", "操作人", "文件", "文件保存时间", "工号", "期间", "栏目", "原值", "新值", "操作"]
    head = {k.value: v.value for k, v in zip(history[1], history[2])}
    assert head["period"] == "期间" and head["total"] == "总分" and head["score:sales"] == "销售任务·得分"
    assert head["achievement:sales"] == "销售任务·达成率"
    rated = {k.value: v.value for k, v in zip(wb[RATED][1], wb[RATED][2])}
    assert rated["employee_id"] == "工号" and rated["flag.top"] == "前三分之一" and rated["bonus"] == "当月绩效奖金"


def test_money_has_thousands_separators_and_flags_show_yes_no(master):
    wb = openpyxl.load_workbook(master)
    ws = wb[RATED]
    col = {c.value: c.column_letter for c in ws[1]}
    for key in ("bonus.base", "bonus.perf", "bonus"):
        assert ws[f"{col[key]}3"].number_format == "#,##0.00", key
    flag = ws[f"{col['flag.top']}3"]
    assert flag.number_format == yes_no() == '"是";"是";"否"'
    assert flag.value.startswith("=IF(") and flag.value.endswith(",1,0)")
    res = wb["Results"]
    rcol = {c.value: c.column_letter for c in res[1]}
    assert res[f"{rcol['sales']}3"].number_format == "#,##0.00"
    assert res[f"{rcol['sales.target']}3"].number_format == "#,##0.00"
    # The cached results are 1/0 (not TRUE/FALSE): 3 people's totals, one third on top (ROUND(6×0.34)=2 of 6).
    cached = openpyxl.load_workbook(master, data_only=True)[RATED]
    flags = [cached[f"{col['flag.top']}{r}"].value for r in range(3, 9)]
    assert sorted(flags) == [0, 0, 0, 0, 1, 1]


def test_every_parameter_has_its_label(master):
    ws = openpyxl.load_workbook(master)[PARAMS]
    assert ws["A2"].value == "项目" and ws["B2"].value == "值" and ws["A3"].value == "奖金预算"
    assert ws["D2"].value == "考核等级" and ws["E2"].value == "系数"
    assert [ws.cell(r, 4).value for r in range(3, 6)] == ["优秀", "合格", "待改进"]
    assert [ws.cell(r, 5).value for r in range(3, 6)] == [1.2, 1.0, 0.8]
    # No header cell without a label (kam_monthly has no level factors: G2/H2 stay empty and plain).
    for row in ws.iter_rows(min_row=2, max_row=2):
        for c in row:
            if c.fill is not None and c.fill.fill_type == "solid":
                assert c.value not in (None, ""), c.coordinate
    assert ws["G2"].value is None and ws["G2"].fill.fill_type is None


def test_every_report_has_a_chart_and_fitted_item_names(master, tmp_path):
    wb = openpyxl.load_workbook(master)
    reports = [t for t in wb.sheetnames if t.startswith("报告-")]
    assert len(reports) == 3
    with zipfile.ZipFile(master) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 3
    ws = wb[reports[0]]
    names = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    longest = max(text_width(n) for n in ("新客户(经销商)开发", "临时重要工作或其它重大事件"))
    assert ws.column_dimensions["A"].width >= longest  # item names are not clipped
    assert "考核等级" in names and ws.page_setup.fitToWidth == 1


def test_a_report_without_ratings_draws_a_histogram_of_totals(tmp_path):
    """kam_monthly has no ratings: the chart is the totals' histogram, counted by COUNTIFS.

    华东大区's two people total 85 and 83 (the README tour's figures): both in 80–90.
    """
    master = tmp_path / "master.xlsx"
    shutil.copy2(TEMPLATE, master)
    assert collect(master, [RETURNED]).written
    report(master)
    with zipfile.ZipFile(master) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 3
        assert "总分分布" in z.read(charts[0]).decode("utf-8")
    wb = openpyxl.load_workbook(master)
    ws = wb["报告-华东大区"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(rows["总分区间"], 2).value == "人数"
    r = rows["80–90"]
    assert ws.cell(r, 2).value.startswith("=COUNTIFS(") and '">=80"' in ws.cell(r, 2).value
    cached = openpyxl.load_workbook(master, data_only=True)["报告-华东大区"]
    assert [cached.cell(rows[b], 2).value for b, _, _ in histogram_bins(100)] == [0, 0, 0, 2, 0, 0]
    assert cached.cell(r, 3).value == 1.0  # 2 of 2 collected
    # the people the histogram counts: their totals, best first
    first = rows["工号"] + 1
    assert [cached.cell(first + k, 3).value for k in range(2)] == [85, 83]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.fitToWidth == 1


def test_collect_again_reads_the_labelled_issues_and_keeps_them(master, tmp_path):
    """The label row is not taken for a row: collecting the same files again changes nothing."""
    copy = tmp_path / "again.xlsx"
    shutil.copy2(master, copy)
    before = openpyxl.load_workbook(copy)["Issues"].max_row
    again = collect(copy, [RETURNED])
    assert not again.written and len(again.unchanged) == 6
    assert openpyxl.load_workbook(copy)["Issues"].max_row == before


def test_english_headers_are_kept_in_the_master(tmp_path):
    master = _rated_master(tmp_path / "en", lang="en")
    wb = openpyxl.load_workbook(master)
    assert wb.defined_names["kpixl.lang"].attr_text == '"en"'
    assert [c.value for c in wb["Issues"][2]][:3] == ["File", "Place", "Employee ID"]
    # The words in the cells follow the master's language too: severity, status, the Log's action.
    issues = list(wb["Issues"].iter_rows(min_row=3, values_only=True))
    assert issues and {r[7] for r in issues} <= {"error", "warning"} and {r[8] for r in issues} <= {
        "applied", "quarantined: not applied", "to fix in the master"}
    assert {r[9] for r in wb["Log"].iter_rows(min_row=3, values_only=True) if r[6] is None} == {"collected"}
    zh = openpyxl.load_workbook(_rated_master(tmp_path / "zh"))
    zh_issues = list(zh["Issues"].iter_rows(min_row=3, values_only=True))
    assert {(r[7], r[8]) for r in zh_issues} == {(zh_r, zh_s) for zh_r, zh_s in
                                                 (("警告" if r[7] == "warning" else "错误", {
                                                     "applied": "已应用", "quarantined: not applied": "已隔离, 未应用",
                                                     "to fix in the master": "待在主表中修改"}[r[8]]) for r in issues)}
    assert {r[9] for r in zh["Log"].iter_rows(min_row=3, values_only=True) if r[6] is None} == {"收回"}
    rated = {k.value: v.value for k, v in zip(wb[RATED][1], wb[RATED][2])}
    assert rated["total"] == "Total" and rated["rating"] == "Rating"
    col = {c.value: c.column_letter for c in wb[RATED][1]}
    assert wb[RATED][f"{col['flag.top']}3"].number_format == '"Yes";"Yes";"No"'
    assert wb[PARAMS]["A3"].value == "Bonus budget"
    rep = next(t for t in wb.sheetnames if t.startswith("报告-"))
    assert "Item" in [wb[rep].cell(r, 1).value for r in range(1, wb[rep].max_row + 1)]
    # rate again without --lang: the master's setting holds
    rate(master)
    assert {k.value: v.value for k, v in zip(openpyxl.load_workbook(master)[RATED][1],
                                             openpyxl.load_workbook(master)[RATED][2])}["total"] == "Total"


def _labels(path: Path) -> dict[str, list]:
    wb = openpyxl.load_workbook(path)
    return {t: [c.value for c in wb[t][2]] for t in KEYED}


def _formats(path: Path) -> dict[str, list]:
    """Each keyed sheet's number formats of its first data row (a flag's 是/否 is Yes/No in English)."""
    wb = openpyxl.load_workbook(path)
    return {t: [c.number_format for c in wb[t][3]] for t in KEYED}


def _words(path: Path) -> tuple[set, set]:
    wb = openpyxl.load_workbook(path)
    return ({(r[7], r[8]) for r in wb["Issues"].iter_rows(min_row=3, values_only=True)},
            {r[9] for r in wb["Log"].iter_rows(min_row=3, values_only=True)})


def _footers(path: Path) -> dict[str, str | None]:
    wb = openpyxl.load_workbook(path)
    return {t: wb[t].oddFooter.center.text for t in KEYED if t in wb.sheetnames}


def test_a_language_change_relabels_every_keyed_sheet(master, tmp_path):
    """rate --lang en on a Chinese master: Results, 考核历史, Issues, Log (which rate does not write) as an
    English-all-along master has them, words and 是/否 formats too; --lang zh: back to the Chinese master."""
    en = _rated_master(tmp_path / "en", lang="en")
    switched = tmp_path / "switched.xlsx"
    shutil.copy2(master, switched)
    assert _labels(switched)["Issues"][:3] == ["文件", "位置", "工号"]
    rate(switched, lang="en")
    want = _labels(en)
    got = _labels(switched)
    for title in KEYED:
        assert got[title] == want[title], title
    assert got["Results"][0] == "Employee ID" and "Total" in got["Results"]
    assert got["考核历史"][:2] == ["Period", "Employee ID"] and got["Log"][:2] == ["Time", "By"]
    assert _words(switched) == _words(en)
    assert {s for s, _ in _words(switched)[0]} <= {"error", "warning"}
    assert _formats(switched) == _formats(en) != _formats(master)
    assert yes_no("en") in _formats(switched)["考核历史"]
    assert _footers(switched) == _footers(en) != _footers(master)
    # Every label's longest word fits its column (the widths had been fitted to the Chinese labels).
    wb = openpyxl.load_workbook(switched)
    for title in KEYED:
        ws = wb[title]
        for c in ws[2]:
            if c.value:
                width = ws.column_dimensions[c.column_letter].width or 8.43
                assert width >= column_width(c.value, (), lo=0.0), (title, c.value, width)
    assert _footers(en)["Results"] == "&A — Page &P of &N"
    # and back: exactly the master that was Chinese all along
    report(switched, lang="zh")
    assert _labels(switched) == _labels(master)
    assert _footers(switched) == _footers(master)
    assert _words(switched) == _words(master)
    assert _formats(switched) == _formats(master)


def test_collect_in_another_language_relabels_the_rated_sheet(tmp_path):
    """collect --lang zh into an English rated master: 等级与奖金 (which collect does not write) in Chinese, and
    the Log's earlier 操作 words too; every label row then reads as in a master Chinese all along."""
    files = sorted(RETURNED.glob("*.xlsx"))
    zh, en = tmp_path / "zh.xlsx", tmp_path / "en.xlsx"
    for path in (zh, en):
        shutil.copy2(TEMPLATE, path)
    assert collect(zh, [RETURNED]).written and rate(zh).ok
    assert collect(en, files[:-1], lang="en").written and rate(en).ok
    assert _labels(en)[RATED][:2] == ["Employee ID", "Name"]
    assert collect(en, [files[-1]], lang="zh").written  # the last file, still to collect
    assert _labels(en) == _labels(zh)
    issues, actions = _words(en)
    assert {s for s, _ in issues} <= {"错误", "警告"} and actions == {"收回"}


# ---- the 汇总 sheet ----------------------------------------------------------------------------


def test_summary_sheet_prints_like_results(tmp_path):
    from kpixl.card.generate import generate_workbook

    out = generate_workbook(TEMPLATE, None, "2026-11", tmp_path / "cards.xlsx").path
    ws = openpyxl.load_workbook(out)["汇总"]
    assert ws.row_dimensions[1].hidden  # the key row
    assert [c.value for c in ws[2]][:3] == ["工号", "姓名", "部门"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$2:$2"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    col = {c.value: c.column_letter for c in ws[1]}
    assert ws[f"{col['bonus']}3"].number_format == "#,##0.00"
    assert ws.column_dimensions[col["bonus.perf"]].width >= text_width("3,333.00")


def test_collects_cell_words_read_in_either_language():
    """错误 ↔ error…, a file name kept through 替换 (原文件 …) ↔ replaced (was …); other text as it is."""
    from kpixl.master.columns import LOG_COLUMNS, reword, reword_rows

    assert reword("错误", "en") == "error" and reword("error", "zh") == "错误" and reword("错误", "zh") == "错误"
    assert reword("已隔离, 未应用", "en") == "quarantined: not applied"
    assert reword("替换 (原文件 华东/王 (1).xlsx)", "en") == "replaced (was 华东/王 (1).xlsx)"
    assert reword("replaced (was a.xlsx)", "zh") == "替换 (原文件 a.xlsx)"
    assert reword("收回了", "en") == "收回了" and reword(None, "en") is None and reword(3, "zh") == 3
    row = ["t", "by", "收回", None, "K01", "2026-11", "col", "old", "new", "收回"]
    assert reword_rows(LOG_COLUMNS, [row], "en") == [row[:9] + ["collected"]]  # the 操作 cell only


def test_keyed_tables_read_with_or_without_a_label_row():
    """Rows start after the label row in either language; an older master has none (rows from row 2)."""
    from kpixl.master.columns import ISSUE_COLUMNS, data_rows, key_labels

    keys = list(ISSUE_COLUMNS)
    row = ["a.xlsx", "[a.xlsx]王伟-K01!G7", "K01", "sales", "not_a_number", "must be a number", "九十万",
           "error", "quarantined: not applied", "2026-12-01T08:00:00+00:00"]
    assert key_labels(keys)[:3] == ["文件", "位置", "工号"]
    assert data_rows([keys, key_labels(keys), row]) == (keys, [row])
    assert data_rows([keys, key_labels(keys, "en"), row]) == (keys, [row])
    assert data_rows([keys, row]) == (keys, [row])
    assert data_rows([]) == ([], [])


@pytest.mark.parametrize("points, rule, most", [
    (20, {"type": "ratio", "cap": 1.2}, 24.0),  # 20 × 120 %
    (20, {"type": "ratio"}, math.inf),  # no cap: no bound
    (20, {"type": "step", "below": {"every": 0.05, "points": 3}}, 20.0),  # only deductions
    (20, {"type": "step", "above": {"every": 0.01, "points": 1}, "max_bonus": 5}, 25.0),  # 20 + at most 5
    (20, {"type": "step", "above": {"every": 0.01, "points": 1}}, math.inf),
    (10, {"type": "count", "base": "full", "counters": [{"id": "late", "per": -1}]}, 10.0),
    (0, {"type": "count", "counters": [{"id": "new", "per": 2}], "limit": {"max": 6}}, 6.0),  # 0 + at most 6
    (0, {"type": "adjust", "min": -5, "max": 10}, 10.0),
    (20, {"type": "tiers", "bands": [{"min": 0.9, "points": 20}, {"min": 1.1, "points": 25}, {"below": 0.9, "points": 0}]}, 25.0),
    (25, {"type": "rubric", "of": "fraction", "levels": {"A": 1.0, "B": 0.6}}, 25.0),
    (10, {"type": "manual", "max": 12}, 12.0),
    (10, {"type": "binary"}, 10.0),
])
def test_max_score_of_each_rule(points, rule, most):
    from kpixl.scheme.models import Item

    item = Item.model_validate({"id": "x", "points": points, "rule": rule})
    assert item.rule.max_score(item.points) == most


def test_summary_sheet_in_english(tmp_path):
    import dataclasses

    from kpixl.card.generate import generate_workbook

    tpl = dataclasses.replace(read_template(TEMPLATE), lang="en")
    ws = openpyxl.load_workbook(generate_workbook(tpl, None, "2026-11", tmp_path / "cards.xlsx").path)["汇总"]
    labels = {k.value: v.value for k, v in zip(ws[1], ws[2])}
    assert labels["employee_id"] == "Employee ID" and labels["total"] == "Total" and labels["bonus"] == "Bonus"
    assert labels["score:sales_task"] == "销售任务" and labels["roster.姓名"] == "Name"  # the scheme's names stay
