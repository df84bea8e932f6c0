"""Cell values and references, one way each (references parsed by openpyxl's own helpers)."""

from __future__ import annotations

import math
import re
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


#: What XML cannot hold: control characters (openpyxl's set), U+FFFE/U+FFFF, and the lone surrogates
#: a file name that is not valid UTF-8 decodes to (``os.fsdecode``).
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def storable(v: str) -> str:
    """``v`` with every character XML cannot hold shown as ``\\x07`` / ``\\udcff`` (a file name may have them)."""
    if not UNSTORABLE.search(v):
        return v
    return UNSTORABLE.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                          else f"\\u{ord(m.group(0)):04x}", v)
