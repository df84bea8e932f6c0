"""The eight rule types, each one module with both renderings (see :mod:`.base`)."""

from typing import Annotated, Union

from pydantic import Field

from .adjust import Adjust
from .base import ItemData, ItemRefs, Issue, RuleModel
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
    "Adjust", "Band", "Binary", "Count", "Counter", "ItemData", "ItemRefs", "Issue",
    "Limit", "Manual", "Ratio", "Rubric", "Rule", "RULE_TYPES", "RuleModel", "Step",
    "Steps", "Tiers", "level_key",
]
