"""The eight rule types, each one module with all its renderings (see :mod:`.base`).

A rule module owns its evaluator and Excel formula, its card description and fill-in
rows, the validation of its input cells, and its Scheme-sheet words and parameter
columns. A new rule type is one module plus its place in ``Rule`` and ``RULE_TYPES``.
"""

from typing import Annotated, Union

from pydantic import Field

from .adjust import Adjust
from .base import CardRow, ItemData, ItemRefs, Issue, RuleModel, SheetParam
from .binary import Binary
from .count import Count, Counter, Limit
from .manual import Manual
from .ratio import Ratio
from .rubric import Rubric, level_key
from .step import Step, Steps
from .tiers import Band, Tiers

Rule = Annotated[
    Union[Ratio, Tiers, Step, Count, Rubric, Manual, Binary, Adjust],
    Field(discriminator="type"),
]

RULE_TYPES: dict[str, type[RuleModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (Ratio, Tiers, Step, Count, Rubric, Manual, Binary, Adjust)
}

__all__ = [
    "Adjust", "Band", "Binary", "CardRow", "Count", "Counter", "ItemData", "ItemRefs", "Issue",
    "Limit", "Manual", "Ratio", "Rubric", "Rule", "RULE_TYPES", "RuleModel", "SheetParam", "Step",
    "Steps", "Tiers", "level_key",
]
