"""The ribbon's buttons, as data.

The add-in's ribbon XML and its single VBA callback are generated from this registry
(README § The Excel add-in), so a new button is a new :class:`Button` here and a function in
:mod:`kpixl.macros.buttons` — never new VBA. Each button's ``id`` is the ribbon
control's ``tag``; the callback passes it to :func:`kpixl.macros.dispatch`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

__all__ = ["BUTTONS", "Button", "button", "resolve"]

#: Ribbon group labels (Chinese, as HR reads them).
SCORECARDS = "考核表"
RESULTS = "结果"
HELP = "帮助"


@dataclass(frozen=True)
class Button:
    """One ribbon button.

    Attributes:
        id: The ribbon control's ``tag`` and the dispatcher's key (``generate``).
        label: The label shown on the ribbon, in Chinese (``生成考核表``).
        label_en: The English label (``Generate``), for an English ribbon and the logs.
        image_mso: An Office built-in icon (``imageMso``), e.g. ``TableInsert``.
        group: The ribbon group's label, in Chinese.
        func: ``module:function`` the dispatcher runs with the host (``kpixl.macros.buttons:generate``).
        help: The screentip: what the button does, and the ``kpixl`` command that does the same.
    """

    id: str
    label: str
    label_en: str
    image_mso: str
    group: str
    func: str
    help: str


def _b(id: str, label: str, label_en: str, image_mso: str, group: str, help: str) -> Button:  # noqa: A002
    return Button(id, label, label_en, image_mso, group, f"kpixl.macros.buttons:{id}", help)


#: The buttons in ribbon order.
BUTTONS: tuple[Button, ...] = (
    _b("generate", "生成考核表", "Generate", "TableInsert", SCORECARDS,
       "为花名册中每人生成一张考核表和汇总表 / one scorecard sheet per roster row and a summary "
       "(kpixl generate)"),
    _b("distribute", "分发", "Distribute", "FileSendAsAttachment", SCORECARDS,
       "每位经理一个工作簿, 只含其下属, 附清单 / one workbook per manager with only their people, "
       "and a manifest (kpixl distribute)"),
    _b("collect", "收回", "Collect", "ImportExcel", SCORECARDS,
       "读取收回的考核表, 校验并汇总到结果表 / read the returned workbooks, check them and "
       "consolidate the Results sheet (kpixl collect)"),
    _b("validate", "校验", "Validate", "DataValidation", RESULTS,
       "检查考核方案和花名册, 列出全部问题及单元格 / check the scheme and the roster; every problem "
       "with its cell (kpixl check)"),
    _b("rate", "评级与奖金", "Rate & Bonus", "CalculateNow", RESULTS,
       "评定等级(含强制分布)并计算绩效奖金 / ratings (forced distribution) and bonuses (kpixl rate)"),
    _b("report", "报告", "Report", "ChartInsert", RESULTS,
       "生成考核结果报告 / the appraisal report (kpixl report)"),
    _b("year", "年度汇总", "Year", "DateAndTimeInsert", RESULTS,
       "由各期主表生成或重建年度(季度)汇总: 复制各期成绩, 加权汇总、年度等级与奖金 / build or rebuild "
       "the year master from the period masters (kpixl year)"),
    _b("help", "帮助", "Help", "Help", HELP,
       "版本、按钮说明和文档 / version, what each button does, where the documentation is"),
)

_BY_ID = {b.id: b for b in BUTTONS}


@dataclass(frozen=True)
class Said:
    """What a button shows when its work ran but found problems (the press is not ``ok``).

    A button returns plain text when all went well, ``None`` on a cancel, and ``Said``
    when the message reports problems (a collect with quarantined sheets): ``kpixl macro``
    then exits 2, as the command does.
    """

    text: str
    ok: bool


def button(tag: str) -> Button:
    """The button with this ribbon ``tag``.

    Raises:
        KeyError: No such button; the message lists the known tags.
    """
    try:
        return _BY_ID[tag]
    except KeyError:
        raise KeyError(f"no ribbon button {tag!r}; known: {', '.join(_BY_ID)}") from None


def resolve(func: str) -> Callable:
    """The callable named by ``module:function`` (a :attr:`Button.func`)."""
    module, _, name = func.partition(":")
    if not module or not name:
        raise ValueError(f"{func!r} is not 'module:function'")
    return getattr(importlib.import_module(module), name)
