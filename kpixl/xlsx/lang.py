"""The language of the headers kpixl writes on sheets people read: Chinese first, English on request.

Machine keys (``employee_id``, ``score:sales``, ``total``…) never change: kpixl reads them
back. What changes is the row people read. ``zh`` (the default) shows the Chinese
labels; ``en`` shows English ones: :func:`label` translates kpixl's own words and leaves
the scheme's names (items, sections, roster columns) as the scheme spells them.

A master carries its language in the defined name ``kpixl.lang``
(:class:`kpixl.master.book.Master`), so every later run and ribbon button keeps it;
``kpixl collect|rate|report --lang en`` sets it, ``kpixl generate|distribute --lang en``
writes the 汇总 sheet in English. Changing a master's language relabels every keyed sheet
kpixl owns there, not only those the command writes, and converts the words of its
Issues and Log cells (:mod:`kpixl.master.relabel`).
"""

from __future__ import annotations

__all__ = ["DEFAULT", "LANGS", "NAME", "check_lang", "label", "labels", "workbook_lang"]

LANGS = ("zh", "en")
DEFAULT = "zh"
#: The workbook-scoped defined name holding a master's language.
NAME = "kpixl.lang"

#: Whole labels kpixl writes (Chinese → English).
_WORDS = {
    "工号": "Employee ID", "姓名": "Name", "部门": "Department", "岗位": "Position", "经理": "Manager",
    "考核表": "Sheet", "总分": "Total", "并列次序": "Tie order", "名次": "Rank", "考核等级": "Rating",
    "奖金基数": "Bonus base", "提成基数": "Commission base", "绩效奖金(预算调整前)": "Bonus before budget",
    "当月绩效奖金": "Bonus", "本季度绩效奖金": "Bonus", "半年度绩效奖金": "Bonus", "年度绩效奖金": "Bonus",
    "期间": "Period", "现职级": "Current level", "建议职级": "Proposed level",
    "建议": "Move", "文件": "File", "位置": "Place", "考核项目": "Item", "问题代码": "Code", "问题": "Problem",
    "值": "Value", "严重程度": "Severity", "状态": "Status", "首次发现": "First seen", "时间": "Time",
    "操作人": "By", "文件保存时间": "File saved", "栏目": "Column", "原值": "Old", "新值": "New", "操作": "Action",
    "扣薪比例": "Salary deduction", "处理措施": "Actions", "需复核": "To review", "原因": "Reasons",
    "工资增减比例": "Salary change",
    "项目": "Parameter", "说明": "Note", "系数": "Factor", "职级": "Level", "人数": "People", "占比": "Share",
    "满分": "Full score", "平均得分": "Average", "得分率": "Score rate", "总分区间": "Total range",
    "应考核人数": "People", "已收集": "Collected", "未收集": "Not collected", "平均总分": "Average total",
    "未收集名单": "Not collected yet", "（无）": "(none)", "奖金预算": "Bonus budget",
    # the pay (工资核算) and its approval step (奖罚审批)
    "应发合计": "Gross pay", "当月工资(计提基数)": "Monthly wage (base of shares)", "项目代码": "Line code",
    "工资项目": "Pay line", "依据": "Grounds", "提交金额": "Amount proposed", "审批": "Approval",
    "审批人": "Approved by", "日期": "Date", "备注": "Note", "待审批": "Pending",
}
#: Beginnings of labels kpixl builds (``应发合计 (不低于0)``), translated with the rest kept.
_BEGINNINGS = (
    ("应发合计 (不低于", "Gross pay (at least "), ("当月工资(计提基数: ", "Monthly wage (base: "),
)
#: Middles of labels kpixl builds around a scheme's name (``工作失误·比例(填5%–20%)``).
_MIDDLES = (
    ("·比例(填", " · share (type "), ("·计提基数(", " · wage base ("),
)
#: Endings kpixl adds to a scheme's names (``销售任务·实际``).
_ENDINGS = (
    ("·得分(不适用者暂按本表同组均分, 以人力汇总为准)", " · score (N/A: this sheet's group mean until HR's summary)"),
    ("·得分(原始)", " · raw score"), ("·得分", " · score"), ("·实际", " · actual"), ("·加扣分", " · points"),
    ("·评分", " · rating"), ("(等级)", " (level)"), ("(是/否)", " (yes/no)"), ("·目标", " · target"),
    ("(次)", " (times)"), ("·不适用", " · N/A"), ("·分组", " · group"), ("·原因", " · reason"),
    ("·达成率", " · achievement"), ("·计入(已批准)", " · counted (approved)"),
    ("·比例(历史规则)", " · share (history rules)"), ("·事由", " · reasons"), ("·完成率", " · achievement"),
)


def check_lang(lang: str | None) -> str:
    """``lang`` if it is one of :data:`LANGS`, else the default (``None`` → ``zh``).

    Raises:
        ValueError: ``lang`` is given and is not ``zh`` or ``en``.
    """
    if lang is None or lang == "":
        return DEFAULT
    lang = str(lang).strip().lower()
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: use zh (中文) or en (English)")
    return lang


def workbook_lang(wb) -> str:
    """The language an openpyxl workbook carries in :data:`NAME` (``zh`` when none or unknown)."""
    d = wb.defined_names.get(NAME)
    text = (d.attr_text or "").strip().strip('"') if d is not None else ""
    return text if text in LANGS else DEFAULT


def label(text: str, lang: str = DEFAULT) -> str:
    """A label in ``lang``: kpixl's own words translated, the scheme's names kept."""
    if lang != "en" or not isinstance(text, str):
        return text
    if text in _WORDS:
        return _WORDS[text]
    for zh, en in _ENDINGS:
        if text.endswith(zh):
            return text[: -len(zh)] + en
    for zh, en in _BEGINNINGS:
        if text.startswith(zh):
            return en + text[len(zh):]
    for zh, en in _MIDDLES:
        if zh in text:
            return text.replace(zh, en, 1)
    return text


def labels(texts, lang: str = DEFAULT) -> list[str]:
    """:func:`label` of each text."""
    return [label(t, lang) for t in texts]
