"""The shipped templates (workbooks/) and the default card layout (docs/templates.md).

Every template opens, holds the three sheets, its Scheme sheet reads back equal to the
example YAML, its card holds exactly the placeholders the scheme needs (every input
once, no unknown id) and no developer's words (种子, 决定, YAML keys), its roster is an
Excel table of the example people; the gallery pictures exist and are not blank, and one
template renders through LibreOffice with its Chinese text in a CJK font.
"""

from __future__ import annotations

import filecmp
import importlib.machinery
import importlib.util
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook

import kpixl
from kpixl.engine.inputs import parse_column
from kpixl.scheme.io import scheme_to_dict
from kpixl.card.layout import describe, input_columns, placeholders, scheme_columns, write_card_sheet
from kpixl.scheme.sheet.book import read_scheme_sheet

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = ROOT / "examples" / "schemes"
WORKBOOKS = ROOT / "workbooks"
GALLERY = ROOT / "docs" / "gallery"
NAMES = sorted(p.stem for p in SCHEMES.glob("*.yaml"))
SHEETS = {"考核表", "Roster", "Scheme"}
PERSON = {"employee_id", "姓名", "部门", "岗位", "经理"}


def _scheme(name: str):
    return kpixl.load_scheme(SCHEMES / f"{name}.yaml")


def _card(wb):
    return wb["考核表"]


def test_seventeen_templates_shipped():
    assert len(NAMES) == 17
    # udf_examples.xlsx is finance's function examples, not a scorecard template.
    assert sorted(p.stem for p in WORKBOOKS.glob("*.xlsx") if p.stem != "udf_examples") == NAMES
    shipped = kpixl.templates()
    assert sorted(shipped) == NAMES
    for name, path in shipped.items():  # the package copy is the workbooks/ file
        assert filecmp.cmp(path, WORKBOOKS / f"{name}.xlsx", shallow=False), name


@pytest.mark.parametrize("name", NAMES)
def test_template_sheets_and_scheme(name):
    wb = openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")
    assert set(wb.sheetnames) == SHEETS
    assert wb.sheetnames[0] == "考核表"
    got = read_scheme_sheet(WORKBOOKS / f"{name}.xlsx")
    assert scheme_to_dict(got) == scheme_to_dict(_scheme(name))


@pytest.mark.parametrize("name", NAMES)
def test_card_is_current(name):
    """The committed card is what write_card_sheet writes today (scripts/build-templates)."""
    wb = openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")
    fresh = write_card_sheet(_scheme(name), Workbook())
    card = _card(wb)
    assert [[c.value for c in r] for r in card.iter_rows()] == [[c.value for c in r] for r in fresh.iter_rows()]
    assert sorted(map(str, card.merged_cells.ranges)) == sorted(map(str, fresh.merged_cells.ranges))


def _check_placeholders(scheme, found: list[str], roster_columns: set[str]) -> None:
    counts = Counter(found)
    ins = [p[3:] for p in found if p.startswith("in:")]
    # every input the scheme needs exactly once, and no other
    assert sorted(ins) == sorted(input_columns(scheme))
    assert all(n == 1 for p, n in counts.items() if p.startswith(("in:", "score:"))), counts
    ids = {i.id: i for _, i in scheme.items()}
    for col in ins:  # each names an item, one of its fields, one of its raters
        item_id, fld, rater = parse_column(col)
        assert item_id in ids, col
        item = ids[item_id]
        counters = {c.id for c in getattr(item.rule, "counters", ())}
        assert fld in {None, "target", "score", "na", "reason"} | counters, col
        raters = scheme.raters_of(item)
        if raters and fld in (None, "score"):  # one input per rater
            assert rater in raters, col
        else:  # one input for the item
            assert rater is None, col
    scores = sorted(p[6:] for p in found if p.startswith("score:"))
    assert scores == sorted([*ids, *(s.id for s in scheme.sections)])
    assert counts["total"] == 1
    assert counts["rating"] == (1 if scheme.ratings is not None and scheme.ratings.bands else 0)
    assert counts["bonus"] == (1 if scheme.bonus is not None else 0)
    fixed = {"period", "scheme.name", "scheme.id", "scheme.version", "total", "rating", "bonus"}
    other = {p for p in counts if not p.startswith(("in:", "score:")) and p not in fixed}
    assert other <= roster_columns, other - roster_columns
    assert {"姓名", "employee_id", "岗位", "部门"} <= other and {"period", "scheme.name"} <= set(counts)


@pytest.mark.parametrize("name", NAMES)
def test_card_placeholders(name):
    scheme = _scheme(name)
    wb = openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")
    header = [c.value for c in next(wb["Roster"].iter_rows(max_row=1))]
    found = placeholders(_card(wb))
    _check_placeholders(scheme, found, set(header))
    # every item column of the example inputs has its input cell
    inputs = pd.read_csv(SCHEMES / f"{name}.inputs.csv", nrows=0).columns
    ids = {i.id for _, i in scheme.items()}
    item_cols = {c for c in inputs if parse_column(c)[0] in ids and parse_column(c)[1] != "na_group"}
    assert item_cols <= {p[3:] for p in found if p.startswith("in:")}


# Words of kpixl's developers, not of a company's 方案说明: the seed documents, the decisions
# taken while modelling them, YAML keys (bonus.floor, allow_negative …). They belong in the
# YAML comments and examples/README.md; the card goes to managers.
DEVELOPER_WORDS = re.compile(r"种子|seed|kpixl|决定|YAML|模板所定|不可辨|allow_negative|beyond|\b[a-z_]+\.[a-z_]+\b")


@pytest.mark.parametrize("name", NAMES)
def test_card_speaks_to_raters(name):
    card = _card(openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx"))
    found = []
    for row in card.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                text = re.sub(r"\{\{[^}]*\}\}", "", cell.value)  # placeholders name columns
                found += [(cell.coordinate, m.group()) for m in DEVELOPER_WORDS.finditer(text)]
    assert found == []


@pytest.mark.parametrize("name", NAMES)
def test_the_bonus_is_named_by_the_schemes_period(name):
    """A yearly card pays a 年度绩效奖金, a monthly one a 当月绩效奖金: never "当月" on a yearly card."""
    import kpixl
    from kpixl.bonus import BONUS_LABELS

    scheme = kpixl.load_scheme(WORKBOOKS / f"{name}.xlsx")
    texts = [c.value for row in _card(openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")).iter_rows() for c in row
             if isinstance(c.value, str)]
    wrong = [t for t in texts for kind, label in BONUS_LABELS.items() if kind != scheme.period and label in t
             and not (scheme.period == "year" and kind == "half")]  # 半年度绩效奖金 holds 年度绩效奖金
    assert wrong == []
    if scheme.bonus is not None:
        assert any(t.startswith(BONUS_LABELS[scheme.period]) for t in texts), texts


def test_developer_words_are_caught():
    # the kam_monthly note as it was, and tobacco's V3 line
    assert DEVELOPER_WORDS.search("决定: 岗位工作两行(种子未印分值)各25分; 奖金不为负(bonus.floor 0)")
    assert DEVELOPER_WORDS.search("抽查考核(评分标准种子不可辨), 考核人评0–1分")
    assert DEVELOPER_WORDS.search("扣至负数(allow_negative)")
    assert not DEVELOPER_WORDS.search("各项得分直接相加；总分低于0时，当月绩效奖金为0。（示例数值，请按公司制度修改）")


@pytest.mark.parametrize("name", NAMES)
def test_roster_table(name):
    wb = openpyxl.load_workbook(WORKBOOKS / f"{name}.xlsx")
    ws = wb["Roster"]
    assert list(ws.tables) == ["Roster"]
    table = ws.tables["Roster"]
    rows = list(ws.iter_rows(values_only=True))
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}{len(rows)}"
    header = list(rows[0])
    assert PERSON <= set(header)
    assert set(scheme_columns(_scheme(name))) <= set(header)
    example = pd.read_csv(SCHEMES / f"{name}.roster.csv", dtype=str)
    assert PERSON <= set(example.columns)  # the example rosters carry 岗位 and 经理 too
    got = pd.DataFrame(rows[1:], columns=header)
    assert [str(v) for v in got["employee_id"]] == example["employee_id"].tolist()
    assert got["姓名"].tolist() == example["姓名"].tolist()
    assert got["经理"].tolist() == example["经理"].tolist()


@pytest.mark.parametrize("name", NAMES)
def test_template_generates(name, tmp_path):
    """kpixl's generator accepts every template's card: no missing or unknown placeholder."""
    from kpixl.card import generate

    got = generate.generate_workbook(WORKBOOKS / f"{name}.xlsx", period="2026-11", out=tmp_path / "g.xlsx",
                                     inputs=SCHEMES / f"{name}.inputs.csv")
    example = pd.read_csv(SCHEMES / f"{name}.roster.csv", dtype=str)
    assert [s.employee_id for s in got.sheets] == example["employee_id"].tolist()


def test_card_print_setup():
    wb = openpyxl.load_workbook(WORKBOOKS / "post_model.xlsx")
    ws = _card(wb)
    assert ws.page_setup.orientation == "portrait" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows and ws.freeze_panes
    fonts = {c.font.name for r in ws.iter_rows() for c in r if c.value is not None}
    assert fonts == {"Microsoft YaHei"}  # every font named: LibreOffice falls back badly otherwise
    # multi-rater items: a column per rater, headed by who rates and the weight
    texts = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert "自评\n30%" in texts and "上级评\n70%" in texts
    for word in ("被考核人签字：", "考核人签字：", "复核人签字：", "序号", "考核内容/评分标准", "得分"):
        assert word in texts


def test_describe_in_chinese():
    s = _scheme("kam_monthly")
    assert describe(s.item("sales")) == "完成率达100%得30分, 每低5%扣3分, 每超1%加2分, 低于50%不得分"
    assert describe(s.item("discipline")).startswith("基础分10分, ")
    cm = _scheme("cm_monthly_kpi")
    assert describe(cm.item("new_sales")) == "完成率×20分, 封顶120%"
    assert "良 80%–90%" in describe(cm.item("delegated"))


def test_card_for_synthetic_schemes():
    """Any valid scheme gets a card with exactly the placeholders it needs."""
    base = {"id": "x", "name": "测试", "raters": {"self": 0.4, "manager": 0.6},
            "ratings": {"bands": [{"name": "优秀", "min": 90}, {"name": "合格"}]},
            "bonus": {"base": {"column": "奖金"}, "rating_factor": {"优秀": 1.2}},
            "sections": [
                {"id": "a", "name": "业绩", "weight": 1, "items": [
                    {"id": "r", "points": 40, "rule": {"type": "ratio", "cap": 1.2}, "target": {"column": "目标"},
                     "na": "full", "raters": {"hr": 0.5, "manager": 0.5}},
                    {"id": "t", "points": 30, "rule": {"type": "tiers", "gap": "lower", "bands": [
                        {"min": 0.9, "points": [25, 30]}, {"min": 0, "points": 10}]}, "target": 100},
                    {"id": "m", "points": 20, "rule": {"type": "manual"}},
                    {"id": "v", "points": 10, "rule": {"type": "rubric", "levels": {"A": 10, "B": [4, 6]}}}]},
                {"id": "b", "items": [
                    {"id": "c", "points": 0, "rule": {"type": "count", "counters": [
                        {"id": "late", "name": "迟到", "per": -1}, {"id": "gift", "per": 2}]}},
                    {"id": "j", "points": 0, "rule": {"type": "adjust"}, "na": "zero"},
                    {"id": "y", "points": 5, "rule": {"type": "binary"}, "raters": {"self": 0.5, "peer": 0.5}}]}]}
    from kpixl.scheme.validate import scheme_from_dict
    scheme = scheme_from_dict(base)
    ws = write_card_sheet(scheme, Workbook())
    found = placeholders(ws)
    _check_placeholders(scheme, found, {"姓名", "employee_id", "岗位", "部门", "奖金"})
    assert "v.score@self" in input_columns(scheme) and "t.score" in input_columns(scheme)
    assert found.count("rating") == 1 and found.count("bonus") == 1


# ---- rendering ---------------------------------------------------------------------------

def _png_gray(path: Path) -> np.ndarray:
    """Decode an 8-bit, non-interlaced PNG (what pdftoppm writes) to gray levels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = head
    assert depth == 8 and interlace == 0
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = np.zeros((h, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    px = out.reshape(h, w, bpp)
    return px[..., :3].mean(axis=2) if bpp >= 3 else px[..., 0].astype(float)


def _dark_share(png: Path) -> float:
    gray = _png_gray(png)
    return float((gray < 96).mean())


@pytest.mark.parametrize("name", NAMES)
def test_gallery_pictures(name):
    pdf, png = GALLERY / f"{name}.pdf", GALLERY / f"{name}.png"
    assert pdf.is_file() and png.is_file()
    share = _dark_share(png)
    assert 0.005 < share < 0.5, share  # text and borders, not a blank or black page
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f"docs/gallery/{name}.png" in readme


def _script(name: str):
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(ROOT / "scripts" / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


@pytest.mark.engine
def test_render_template_through_libreoffice(tmp_path):
    """One template through LibreOffice: a page with dark pixels and a CJK font, no boxes."""
    gallery = _script("render-gallery")
    png = gallery.render(["cs_center_manager"], template_only=True, outdir=tmp_path)[0]
    assert png.is_file() and 0.005 < _dark_share(png) < 0.5
    pdf = tmp_path / "cs_center_manager.pdf"
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"WenQuanYi|CJK|Droid ?Sans ?Fallback|AR ?PL|YaHei|SimSun|Source ?Han", fonts), fonts
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "考核内容/评分标准" in text and "{{scheme.name}}" in text
