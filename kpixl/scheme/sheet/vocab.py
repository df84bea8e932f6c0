"""The words of the Scheme sheet: its keys, its columns and the rule types, in Chinese and English.

Shared by the reader and the writer so that both speak exactly the same vocabulary;
the first Chinese word of each entry is what the writer puts in the sheet.
"""

from __future__ import annotations

import re
from typing import Any

from ...xlsx.palette import FONT  # noqa: F401  (the sheet writer's font, named with the words)

SHEET_NAMES = ("Scheme", "考核方案")

# key → (Chinese words, kind). The first word is what the writer puts in the sheet.
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "id": (("方案编号",), "ident"),
    "name": (("方案名称",), "text"),
    "version": (("版本", "版本号"), "int"),
    "period": (("考核周期", "周期"), "choice"),
    "scale": (("满分",), "number"),
    "raters": (("评分人权重",), "raters"),
    "missing_rater": (("缺评处理",), "choice"),
    "total.cap": (("总分上限",), "number"),
    "total.floor": (("总分下限",), "number"),
    "total.round": (("总分小数位",), "int"),
    "ratings": (("评级", "考核等级"), "ratings"),
    "bonus": (("奖金", "绩效奖金"), "yaml"),
    "rollup": (("汇总", "期间汇总"), "rollup"),
    "history": (("历史规则", "奖罚规则"), "yaml"),
    "levels": (("职级规则", "职级晋降"), "yaml"),
    "description": (("方案说明", "说明"), "text"),
}

# column → (Chinese headers, kind, owner, width). Owner: section, item or rule.
COLUMNS: dict[str, tuple[tuple[str, ...], str, str, int]] = {
    "section": (("板块",), "ident", "section", 10),
    "section_name": (("板块名称",), "text", "section", 14),
    "section_weight": (("板块权重",), "number", "section", 9),
    "section_cap": (("板块上限",), "number", "section", 9),
    "section_floor": (("板块下限",), "number", "section", 9),
    "item": (("项目编号",), "ident", "item", 14),
    "name": (("考核项目", "项目名称"), "text", "item", 24),
    "points": (("分值",), "number", "item", 7),
    "rule": (("规则", "规则类型"), "rule", "item", 9),
    "target": (("目标", "目标值"), "target", "item", 12),
    "measure": (("口径",), "choice", "rule", 9),
    "direction": (("方向",), "choice", "rule", 10),
    "cap": (("封顶",), "number", "rule", 8),
    "floor": (("保底",), "number", "rule", 8),
    "zero_below": (("不计分线",), "number", "rule", 9),
    "bands": (("档位",), "bands", "rule", 34),
    "gap": (("缺口",), "choice", "rule", 8),
    "threshold": (("阈值",), "number", "rule", 8),
    "base": (("基数",), "base", "rule", 8),
    "below": (("低于",), "steps", "rule", 10),
    "above": (("超过",), "steps", "rule", 10),
    "stepping": (("步进方式",), "choice", "rule", 9),
    "max_bonus": (("最多加",), "number", "rule", 8),
    "max_deduction": (("最多扣",), "number", "rule", 8),
    "counters": (("计次项",), "counters", "rule", 34),
    "allow_negative": (("可为负",), "bool", "rule", 8),
    "limit": (("扣分范围",), "limit", "rule", 10),
    "levels": (("等级",), "levels", "rule", 30),
    "of": (("等级口径",), "choice", "rule", 9),
    "min": (("最低",), "number", "rule", 7),
    "max": (("最高",), "number", "rule", 7),
    "na": (("不适用",), "choice", "item", 9),
    "na_group": (("平均分组",), "text", "item", 12),
    "rater": (("考核人",), "text", "item", 10),
    "raters": (("评分人",), "raters", "item", 24),
    "missing_rater": (("缺评",), "choice", "item", 9),
    "item_floor": (("单项下限",), "number", "item", 9),
    "cap_points": (("单项上限",), "number", "item", 9),
    "source": (("数据来源",), "text", "item", 12),
    "description": (("评分标准", "考核内容"), "text", "item", 40),
}
REQUIRED = ("section", "item", "points", "rule")
SECTION_FIELDS = {"section_name": "name", "section_weight": "weight", "section_cap": "cap", "section_floor": "floor"}
ITEM_FIELDS = {"item": "id", "item_floor": "floor"}  # the rest keep their names

RULE_WORDS: dict[str, tuple[str, ...]] = {
    "ratio": ("比例", "按比例"), "tiers": ("分档", "档位"), "step": ("步进", "阶梯"),
    "count": ("计次", "按次"), "rubric": ("等级", "定级"), "manual": ("评分", "打分"),
    "binary": ("是否",), "adjust": ("加减分", "加扣分"),
}
PERCENT_PARAMS = {"cap", "floor", "zero_below", "threshold"}  # achievements, shown as % for measure: ratio


def norm(text: Any) -> str:
    """A header or key as compared: trimmed, no trailing colon, English in lower case."""
    t = str(text).strip().rstrip(":：").strip().casefold()
    return re.sub(r"[\s.\-]+", "_", t)


KEY_OF = {norm(w): k for k, (words, _) in KEYS.items() for w in (k, *words)}
COLUMN_OF = {norm(w): c for c, (words, *_) in COLUMNS.items() for w in (c, *words)}
RULE_OF = {norm(w): t for t, words in RULE_WORDS.items() for w in (t, *words)}
RULE_LIST = ", ".join(f"{w[0]} ({t})" for t, w in RULE_WORDS.items())

