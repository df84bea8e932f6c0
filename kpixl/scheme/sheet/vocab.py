"""The words of the Scheme sheet: its keys, its columns and the rule types, in Chinese and English.

Shared by the reader and the writer so that both speak exactly the same vocabulary;
the first Chinese word of each entry is what the writer puts in the sheet.
"""

from __future__ import annotations

import re
from typing import Any

from ...rules import RULE_TYPES
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
    "pay": (("薪酬", "工资核算"), "yaml"),
    "description": (("方案说明", "说明"), "text"),
}

# column → (Chinese headers, kind, owner, width). Owner: section, item or rule. The rule
# columns come from the rule types (``sheet_params``), between the item's head and tail.
ITEM_HEAD: dict[str, tuple[tuple[str, ...], str, str, int]] = {
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
}
ITEM_TAIL: dict[str, tuple[tuple[str, ...], str, str, int]] = {
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


def _rule_columns() -> dict[str, tuple[tuple[str, ...], str, str, int]]:
    """Every rule type's parameter columns, in registration order, each once."""
    cols: dict[str, tuple[tuple[str, ...], str, str, int]] = {}
    for kind, model in RULE_TYPES.items():
        if set(model.sheet_params) != set(model.model_fields) - {"type"}:
            raise TypeError(f"{kind}: sheet_params must name exactly the rule's parameters")
        for f, param in model.sheet_params.items():
            col = (param.words, param.notation, "rule", param.width)
            if cols.setdefault(f, col) != col:  # one column serves every rule with the parameter
                raise TypeError(f"{kind}.{f}: the column differs from another rule type's {f}")
    return cols


COLUMNS = {**ITEM_HEAD, **_rule_columns(), **ITEM_TAIL}
REQUIRED = ("section", "item", "points", "rule")
SECTION_FIELDS = {"section_name": "name", "section_weight": "weight", "section_cap": "cap", "section_floor": "floor"}
ITEM_FIELDS = {"item": "id", "item_floor": "floor"}  # the rest keep their names

RULE_WORDS: dict[str, tuple[str, ...]] = {t: model.words for t, model in RULE_TYPES.items()}


def norm(text: Any) -> str:
    """A header or key as compared: trimmed, no trailing colon, English in lower case."""
    t = str(text).strip().rstrip(":：").strip().casefold()
    return re.sub(r"[\s.\-]+", "_", t)


KEY_OF = {norm(w): k for k, (words, _) in KEYS.items() for w in (k, *words)}
COLUMN_OF = {norm(w): c for c, (words, *_) in COLUMNS.items() for w in (c, *words)}
RULE_OF = {norm(w): t for t, words in RULE_WORDS.items() for w in (t, *words)}
RULE_LIST = ", ".join(f"{w[0]} ({t})" for t, w in RULE_WORDS.items())

