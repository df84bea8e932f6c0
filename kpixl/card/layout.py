"""The default card layout (考核表): one person's scorecard with placeholders.

:func:`write_card_sheet` lays out any valid scheme in the familiar Chinese form, using
only the placeholders of ``docs/templates.md``:

* a header block — title ``{{scheme.name}}``, 被考核人 ``{{姓名}}``, 工号
  ``{{employee_id}}``, 岗位 ``{{岗位}}``, 部门 ``{{部门}}``, 考核期间 ``{{period}}``;
* the item table, two header rows::

      序号 | 考核项目 | 考核内容/评分标准 | 分值 | 目标 | 实际/评分               | 得分 | 考核人/数据来源
                                                  | 填报项 | 自评30% | 上级70% |

  One block of rows per item: a row per thing someone fills in (实际完成 / 评分 /
  等级 / 是/否, 档内评分, one row per counter, 不适用, 事由), named in the 填报项
  column; 序号, 考核项目, 考核内容, 分值, 目标 (``{{in:x.target}}``), 得分
  (``{{score:x}}``) and 考核人 are merged over the block. A multi-rater input has one
  cell per rater column; every single input spans the rater columns.
* per section a header row (一、业务指标 权重40%) and a 小计 row (``{{score:section}}``);
* 总分 ``{{total}}``, 考核等级 ``{{rating}}`` (absolute bands only), 当月绩效奖金
  ``{{bonus}}`` (when the scheme has a bonus), a 备注 line with the bonus rule in words;
* the signature block: 被考核人 / 考核人 / 复核人 签字、日期.

Every input the scheme needs (:func:`input_columns`) appears exactly once as
``{{in:<column>}}``. Fonts are named (Microsoft YaHei), widths and row heights set
(LibreOffice does not auto-fit), A4 portrait fit to width, print titles.
"""

from __future__ import annotations

import math
import re

from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..xlsx.palette import HEAD, INPUT_TEMPLATE, RESULT, SECTION, fill
from .. import xlmath
from ..bonus import bonus_label
from ..rules import CardRow
from ..scheme.models import Column, Item, Scheme
from ..results.sheet import FONT
from ..engine.card import exceeds_why

__all__ = ["write_card_sheet", "describe", "input_columns", "placeholders", "rater_label",
           "scheme_columns", "PLACEHOLDER"]

#: A placeholder in cell text: ``{{姓名}}``, ``{{in:sales.target}}``.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

_RATER_LABELS = {
    "self": "自评", "manager": "上级评", "supervisor": "主管评", "hr": "人力资源部评",
    "finance": "财务部评", "admin": "行政部评", "company": "公司评定", "peer": "同事评",
    "customer": "客户评", "leader": "领导评",
}
_PERIOD = {"month": "月度", "quarter": "季度", "half": "半年度", "year": "年度"}
_NUMERALS = "一二三四五六七八九十"

_INPUT_FILL = fill(INPUT_TEMPLATE)
_SCORE_FILL = fill(RESULT)
_HEAD_FILL = fill(HEAD)
_SECTION_FILL = fill(SECTION)
_SIDE = Side(style="thin", color="000000")
_BOX = Border(left=_SIDE, right=_SIDE, top=_SIDE, bottom=_SIDE)


# ---- what the scheme needs -----------------------------------------------------------------


def input_columns(scheme: Scheme) -> list[str]:
    """Every inputs-table column the scheme's card needs, in card order.

    The same set as the live results sheet's input columns: the primary input (per
    rater for multi-rater items), ``.score`` for range bands/levels, ``.target`` when
    the rule needs one, a column per counter, ``.na`` when the item has an N/A policy,
    ``.reason`` for ``adjust`` items.
    """
    out: list[str] = []
    for _, item in scheme.items():
        out += [col for _, _, cols in _item_rows(scheme, item) for col in cols if col]
        if item.rule.needs_target():
            out.append(f"{item.id}.target")
    return out


def scheme_columns(scheme: Scheme) -> list[str]:
    """The roster columns the scheme names (targets, bonus base, level, groups…).

    Kept for callers of the card layout; :meth:`Scheme.roster_columns` is the answer.
    """
    return list(scheme.roster_columns())


def placeholders(ws: Worksheet) -> list[str]:
    """Every placeholder in a sheet's cell texts, in reading order (repeats kept)."""
    found: list[str] = []
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                found += PLACEHOLDER.findall(c.value)
    return found


def rater_label(rater: str) -> str:
    """``self`` → 自评, ``manager`` → 上级评; an unknown id is shown as written."""
    return _RATER_LABELS.get(rater, rater)


def _raters(scheme: Scheme) -> dict[str, float | None]:
    """All raters of multi-rater items, in order; the weight when every item agrees."""
    seen: dict[str, set] = {}
    for _, item in scheme.items():
        for r, w in (scheme.raters_of(item) or {}).items():
            seen.setdefault(r, set()).add(w)
    return {r: (next(iter(ws)) if len(ws) == 1 else None) for r, ws in seen.items()}


def _item_rows(scheme: Scheme, item: Item) -> list[tuple[str, bool, list[str | None]]]:
    """The fill-in rows of an item: ``(label, per_rater, columns)``.

    ``per_rater`` rows hold one column per rater of the item (``x@self``…); the others
    hold one column spanning the rater columns.
    """
    raters = list(scheme.raters_of(item) or {})
    rows: list[tuple[str, bool, list[str | None]]] = []

    def add(row: CardRow) -> None:
        col = item.id if row.field is None else f"{item.id}.{row.field}"
        if raters and row.per_rater:
            rows.append((row.label, True, [f"{col}@{r}" for r in raters]))
        else:
            rows.append((row.label, False, [col]))

    own = item.rule.card_rows()  # the rule names its inputs; the item adds its 不适用
    for row in own:
        if not row.after_na:
            add(row)
    if item.na is not None:
        rows.append(("不适用(是/否)", False, [f"{item.id}.na"]))
    for row in own:
        if row.after_na:
            add(row)
    return rows


# ---- describe(item) ------------------------------------------------------------------------

def _n(x: float) -> str:
    return xlmath.num(x)


def _p(x: float) -> str:
    return f"{x * 100:.10g}%"


def describe(item: Item) -> str:
    """A readable summary of the item's rule in Chinese (完成率×20分, 封顶120%).

    The rule says its own part (:meth:`kpixl.rules.RuleModel.describe`); the item adds
    what a not-applicable entry scores.
    """
    text = item.rule.describe(item.points)
    na = {"zero": "不适用计0分", "full": "不适用计满分", "average": "不适用取平均分",
          "exclude": "不适用不计入"}.get(item.na or "")
    return f"{text}; {na}" if na else text


def _bonus_words(scheme: Scheme) -> str:
    b = scheme.bonus
    if b is None:
        return ""
    base = b.base.column if isinstance(b.base, Column) else f"{_n(b.base)}元"
    segs, lo = [], None
    for seg in b.curve:
        rng = (f"总分<{_n(seg.below)}" if lo is None else f"{_n(lo)}≤总分<{_n(seg.below)}") \
            if seg.below is not None else (f"总分≥{_n(lo)}" if lo is not None else "")
        if seg.factor == "score":
            how = f"{base}×总分/{_n(scheme.scale)}"
        elif seg.factor == 0:
            how = "无绩效奖金"
        elif seg.factor == 1:
            how = f"{base}全额"
        else:
            how = f"{base}×{_n(seg.factor)}"
        segs.append(f"{rng} {how}".strip())
        lo = seg.below
    words = [f"{bonus_label(scheme.period)}：" + "，".join(segs)] if not (isinstance(b.base, (int, float)) and b.base == 0) else []
    if b.rating_factor:
        words.append("考核等级系数 " + ", ".join(f"{k}×{_n(v)}" for k, v in b.rating_factor.items()))
    if b.level_factor is not None:
        words.append(f"{b.level_factor.column}系数 " + ", ".join(f"{k}×{_n(v)}" for k, v in b.level_factor.factors.items()))
    if b.commission is not None:
        amt = b.commission.amount
        amount = f"{{{{{amt.column}}}}}" if isinstance(amt, Column) else _n(amt)
        name = amt.column if isinstance(amt, Column) else "提成基数"
        words.append(f"提成 = {name}({amount}) × {_n(b.commission.rate)}")
    if b.budget is not None:
        words.append(f"奖金总额超过预算{_n(b.budget)}元时按比例缩减")
    return "; ".join(words)


# ---- the sheet -------------------------------------------------------------------------------

def _text_width(text: str) -> float:
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in str(text))


def _lines(text: str, width: float) -> int:
    return sum(max(1, math.ceil(_text_width(part) / max(width - 1.5, 1))) for part in str(text).split("\n"))


class _Card:
    def __init__(self, scheme: Scheme, ws: Worksheet):
        self.s, self.ws = scheme, ws
        self.raters = _raters(scheme)
        cols = ["seq", "name", "desc", "points", "target", "what"]
        cols += [f"r:{r}" for r in self.raters] or ["value"]
        cols += ["score", "who"]
        self.col = {k: i + 1 for i, k in enumerate(cols)}
        self.last = len(cols)
        labels = [label for _, item in scheme.items() for label, _, _ in _item_rows(scheme, item)]
        what = min(max([_text_width(x) / 2 + 2 for x in labels] + [10.0]), 16.0)
        widths = {"seq": 5, "name": 15, "desc": 32 if self.raters else 34, "points": 6.5, "target": 10,
                  "what": what, "value": 14, "score": 10.5, "who": 11}
        self.width = {k: widths.get(k, 9.5) for k in cols}
        for k, i in self.col.items():
            ws.column_dimensions[get_column_letter(i)].width = self.width[k]
        self.row = 0
        self.font = Font(name=FONT, size=10)
        self.bold = Font(name=FONT, size=10, bold=True)

    def c(self, key: str) -> int:
        return self.col[key]

    def put(self, row: int, col: int, value, *, span: tuple[int, int] = (1, 1), font=None, fill=None,
            align: str = "center", border: bool = True, fmt: str | None = None):
        ws = self.ws
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = font or self.font
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if fill is not None:
            cell.fill = fill
        if fmt:
            cell.number_format = fmt
        rows, cols = span
        if border:
            for r in range(row, row + rows):
                for k in range(col, col + cols):
                    ws.cell(row=r, column=k).border = _BOX
        if rows > 1 or cols > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1, end_column=col + cols - 1)
        return cell

    def height(self, row: int, lines: int, per: float = 14.0, pad: float = 6.0) -> None:
        self.ws.row_dimensions[row].height = max(self.ws.row_dimensions[row].height or 0, lines * per + pad)

    # -- blocks --

    def header(self) -> None:
        s, last = self.s, self.last
        self.put(1, 1, "{{scheme.name}}", span=(1, last), font=Font(name=FONT, size=16, bold=True), border=False)
        self.height(1, 1, per=26)
        c = self.c
        blocks2 = [(1, c("desc") - 1, "被考核人：{{姓名}}"), (c("desc"), c("desc"), "工号：{{employee_id}}"),
                   (c("points"), c("what"), "岗位：{{岗位}}"), (c("what") + 1, last, "部门：{{部门}}")]
        blocks3 = [(1, c("desc"), "考核期间：{{period}}"),
                   (c("points"), last, f"{_PERIOD[s.period]}考核 · 满分{_n(s.scale)}分 · 方案 {{{{scheme.id}}}} 第{{{{scheme.version}}}}版")]
        for r, blocks in ((2, blocks2), (3, blocks3)):
            for a, b, text in blocks:
                self.put(r, a, text, span=(1, b - a + 1), align="left", border=False)
            self.height(r, 1, per=16)
        self.row = 4

    def table_head(self) -> None:
        r, c = self.row, self.c
        head = Font(name=FONT, size=10, bold=True)
        for key, text in (("seq", "序号"), ("name", "考核项目"), ("desc", "考核内容/评分标准"),
                          ("points", "分值"), ("target", "目标"), ("score", "得分"), ("who", "考核人/数据来源")):
            self.put(r, c(key), text, span=(2, 1), font=head, fill=_HEAD_FILL)
        first, lastc = c("what"), c("what") + max(len(self.raters), 1)
        self.put(r, first, "实际/评分", span=(1, lastc - first + 1), font=head, fill=_HEAD_FILL)
        self.put(r + 1, first, "填报项", font=head, fill=_HEAD_FILL)
        if self.raters:
            for rater, w in self.raters.items():
                label = rater_label(rater) + (f"\n{_p(w)}" if w is not None else "")
                self.put(r + 1, c(f"r:{rater}"), label, font=head, fill=_HEAD_FILL)
        else:
            self.put(r + 1, c("value"), "填写", font=head, fill=_HEAD_FILL)
        self.height(r, 1, per=16)
        sub = [rater_label(x) + (f"\n{_p(w)}" if w is not None else "") for x, w in self.raters.items()]
        self.height(r + 1, max([_lines(x, 9.5) for x in sub] + [1]), per=14)
        self.head_rows = (r, r + 1)
        self.row = r + 2

    def section(self, k: int, sec) -> None:
        c, r = self.c, self.row
        bits = [f"满分{_n(sec.full)}分"] if sec.full else ["加扣分项"]
        if sec.weight is not None:
            bits.insert(0, f"权重{_p(sec.weight)}")
        if sec.cap is not None:
            bits.append(f"上限{_n(sec.cap)}分")
        if sec.floor is not None:
            bits.append(f"下限{_n(sec.floor)}分" if sec.floor >= 0 else f"最多扣{_n(-sec.floor)}分")
        num = _NUMERALS[k] if k < len(_NUMERALS) else str(k + 1)
        self.put(r, 1, f"{num}、{sec.name or sec.id}（{'，'.join(bits)}）", span=(1, self.last),
                 font=self.bold, fill=_SECTION_FILL, align="left")
        self.height(r, 1, per=16)
        self.row += 1
        for n, item in enumerate(sec.items, 1):
            self.item(n, item)
        r = self.row
        label = "小计" if sec.weight is None else f"小计（按权重{_p(sec.weight)}折算为{_n(sec.weight * self.s.scale)}分制）"
        self.put(r, 1, label, span=(1, c("score") - 1), font=self.bold, align="right")
        self.put(r, c("score"), f"{{{{score:{sec.id}}}}}", font=self.bold, fill=_SCORE_FILL, fmt="0.00")
        self.put(r, c("who"), None)
        self.height(r, 1, per=16)
        self.row += 1

    def item(self, n: int, item: Item) -> None:
        c, r0 = self.c, self.row
        rows = _item_rows(self.s, item) or [("—", False, [])]
        k = len(rows)
        desc = item.description or describe(item)
        who = []
        raters = self.s.raters_of(item)
        if raters:
            pass  # the rater columns say who rates
        elif item.rater:
            who.append(rater_label(item.rater).removesuffix("评"))
        if item.source and item.source not in who:
            who.append(item.source)
        target = f"{{{{in:{item.id}.target}}}}" if item.rule.needs_target() else None
        span = (k, 1)
        self.put(r0, c("seq"), n, span=span)
        self.put(r0, c("name"), item.name or item.id, span=span, align="left")
        self.put(r0, c("desc"), desc, span=span, align="left")
        self.put(r0, c("points"), item.points, span=span, fmt='General;-General;"—"')
        self.put(r0, c("target"), target, span=span)  # HR's data, locked: not shaded as an input
        self.put(r0, c("score"), f"{{{{score:{item.id}}}}}", span=span, fill=_SCORE_FILL, fmt="0.00")
        self.put(r0, c("who"), "\n".join(who) or None, span=span)
        first, ncols = c("what"), max(len(self.raters), 1)
        for j, (label, per_rater, cols) in enumerate(rows):
            r = r0 + j
            self.put(r, first, label, align="left")
            if per_rater:
                mine = dict(zip(self.s.raters_of(item), cols))
                for rater in self.raters:
                    col = mine.get(rater)
                    self.put(r, c(f"r:{rater}"), f"{{{{in:{col}}}}}" if col else "—",
                             fill=_INPUT_FILL if col else None)
            elif cols:
                wide = label == "事由"
                self.put(r, first + 1, f"{{{{in:{cols[0]}}}}}", span=(1, ncols), fill=_INPUT_FILL,
                         align="left" if wide else "center")
            else:
                self.put(r, first + 1, None, span=(1, ncols))
            lines = max(_lines(label, self.width["what"]), 2 if label == "事由" else 1)
            self.height(r, lines, per=14)
        # the merged cells must show all their text: spread the needed height over the block
        need = max(_lines(desc, self.width["desc"]), _lines(item.name or item.id, self.width["name"]),
                   _lines("\n".join(who), self.width["who"]) if who else 1)
        have = sum(self.ws.row_dimensions[r0 + j].height for j in range(k))
        want = need * 13.5 + 6
        if want > have:
            extra = (want - have) / k
            for j in range(k):
                self.ws.row_dimensions[r0 + j].height += extra
        self.row += k

    def totals(self) -> None:
        s, c = self.s, self.c
        why = exceeds_why(s)  # bonus points or above-target steps: a total above the scale is no mistake
        note = f"；{why}，总分可超过{_n(s.scale)}" if why else ""
        rows = [(f"总分（满分{_n(s.scale)}分{note}）", "{{total}}", "0.00")]
        r = s.ratings
        if r is not None and r.bands:
            legend = "，".join(f"{b.name}≥{_n(b.min)}" if b.min is not None else f"{b.name}" for b in r.bands)
            rows.append((f"考核等级（{legend}）", "{{rating}}", None))
        if s.bonus is not None:
            rows.append((f"{bonus_label(s.period)}（元）", "{{bonus}}", "#,##0.00"))
        for label, ph, fmt in rows:
            self.put(self.row, 1, label, span=(1, c("score") - 1), font=self.bold, align="right")
            self.put(self.row, c("score"), ph, font=self.bold, fill=_SCORE_FILL, fmt=fmt)
            self.put(self.row, c("who"), None)
            self.height(self.row, _lines(label, sum(self.width.values()) * 0.6), per=16)
            self.row += 1
        notes = []
        if s.bonus is not None:
            notes.append(_bonus_words(s))
        if r is not None and r.distribution is not None:
            quotas = "，".join(f"{q.name}{_p(q.share)}" for q in r.distribution.quotas)
            by = f"按{r.distribution.group_by}分组" if r.distribution.group_by else ""
            notes.append(f"考核等级按强制分布{by}排名确定（{quotas}），见汇总表")
        if s.description:
            notes.append(s.description)
        if notes:
            text = "备注：" + "；".join(n for n in notes if n)
            self.put(self.row, 1, text, span=(1, self.last), align="left")
            self.height(self.row, _lines(text, sum(self.width.values()) - 2), per=14)
            self.row += 1

    def signatures(self) -> None:
        self.row += 1
        third = self.last // 3
        spans = [(1, third), (third + 1, 2 * third), (2 * third + 1, self.last)]
        for who_, (a, b) in zip(("被考核人", "考核人", "复核人"), spans):
            self.put(self.row, a, f"{who_}签字：", span=(1, b - a + 1), align="left", border=False)
            self.put(self.row + 1, a, "日期：", span=(1, b - a + 1), align="left", border=False)
        self.height(self.row, 1, per=14, pad=18)
        self.height(self.row + 1, 1, per=14, pad=10)
        self.row += 2

    def page(self) -> None:
        ws = self.ws
        ws.page_setup.orientation = "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        a, b = self.head_rows
        ws.print_title_rows = f"{a}:{b}"
        ws.print_area = f"A1:{get_column_letter(self.last)}{self.row}"
        ws.freeze_panes = f"A{b + 1}"
        ws.oddFooter.center.text = "&A — 第 &P 页 / 共 &N 页"
        ws.oddFooter.center.font = FONT
        ws.sheet_view.showGridLines = False


def write_card_sheet(scheme: Scheme, workbook: Workbook, title: str = "考核表") -> Worksheet:
    """Write the default card layout of a scheme as a new sheet of ``workbook``.

    Args:
        scheme: Any valid scheme.
        workbook: An open openpyxl workbook; an existing sheet called ``title`` is replaced
            in place.
        title: The sheet name: ``考核表`` (default) or ``Card``.

    Returns:
        The card sheet, holding the placeholders of ``docs/templates.md``: every input
        of :func:`input_columns` exactly once, ``{{score:<id>}}`` per item and section,
        ``{{total}}``, ``{{rating}}`` (absolute bands), ``{{bonus}}`` (with a bonus).
    """
    index = None
    if title in workbook.sheetnames:
        index = workbook.sheetnames.index(title)
        workbook.remove(workbook[title])
    ws = workbook.create_sheet(title, index)
    card = _Card(scheme, ws)
    card.header()
    card.table_head()
    for k, sec in enumerate(scheme.sections):
        card.section(k, sec)
    card.totals()
    card.signatures()
    card.page()
    return ws
