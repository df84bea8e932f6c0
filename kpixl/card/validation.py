"""Data validation of a card's input cells (XlsxWriter ``data_validation`` options).

One rule per input column, from the scheme. The item's rule checks its own columns
(:meth:`kpixl.rules.RuleModel.validation`: levels and 是/否 as dropdown lists, numbers
as decimal ranges, a score within the band or level ranges, counts ≥ 0, a reason as
text); the item itself adds its 不适用 dropdown. A target is HR's, not typed on the card.
"""

from __future__ import annotations

from typing import Any

from ..engine.inputs import parse_column
from ..rules.entry import YES_NO, entry_rule
from ..scheme.models import Scheme


def validation_for(scheme: Scheme, column: str) -> dict[str, Any] | None:
    """The validation of one input column (``sales``, ``x.na``, ``x.late``…); None for a target."""
    item_id, fld, rater = parse_column(column)
    item = next(i for _, i in scheme.items() if i.id == item_id)
    name = item.name or item.id
    if fld == "target":
        return None
    if fld == "na":
        return entry_rule({"validate": "list", "source": list(YES_NO)}, "是否不适用",
                          f"{name}：本项不适用于此人时选“是”，否则留空或选“否”。", f"{name}·不适用：只能选“是”或“否”。")
    who = f"（{rater}）" if rater else ""
    return item.rule.validation(fld, item.points, name, who)
