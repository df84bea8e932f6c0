"""The base of every scheme model, and the roster-column reference ``{column: …}``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Column", "Model", "ident"]


class Model(BaseModel):
    # NaN and infinity are never a sensible weight, cap or target: reject them.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        # An empty cell and a blank string mean "not given", in a sheet as in YAML.
        return None if isinstance(v, str) and not v.strip() else v


def ident(v: str, what: str) -> str:
    """``v`` when it is one word (an id naming input columns); else ValueError saying why."""
    if not isinstance(v, str) or not v.isidentifier():
        raise ValueError(
            f"{what} {v!r} must be one word of letters, digits or _ (no spaces, dots, @ or -): "
            "it names input columns such as new_sales.target"
        )
    return v


class Column(Model):
    """A per-person value read from a roster column: ``{column: 销量目标}``."""

    column: str = Field(min_length=1)
