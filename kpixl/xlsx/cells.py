"""Cell values and references, one way each (references parsed by openpyxl's own helpers)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string


def cell_value(v: Any) -> Any:
    """A table value as a cell value: NumPy scalars unwrapped, NaN/NA/NaT as None."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def split_ref(ref: str) -> tuple[str, int]:
    """``"$AB$12"`` → ``("AB", 12)``.

    Raises:
        ValueError: ``ref`` is not a single cell reference.
    """
    return coordinate_from_string(ref.replace("$", ""))


def cell_order(ref: str) -> tuple[int, int]:
    """A cell's (row, column), both 1-based: sorts cells row by row."""
    col, row = split_ref(ref)
    return row, column_index_from_string(col)
