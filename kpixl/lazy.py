"""NumPy imported on first use, for modules that need it only inside their functions.

The rule modules and :mod:`kpixl.xlmath` are imported by the scheme models, so by every
command that reads a scheme; importing NumPy with them costs ≈45 ms (a quarter of
``kpixl check``) although checking a scheme never computes. They write
``from ..lazy import np`` and use ``np.where`` as usual: the first attribute looked up
imports NumPy, and every attribute is then kept on the stand-in, so later look-ups cost
what a module's do.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


class LazyModule:
    """A stand-in for a module that imports it when one of its attributes is first used.

    Args:
        name: The module's dotted name (``"numpy"``).
    """

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        # Called only for attributes not yet kept: import (once; then from sys.modules) and keep.
        value = getattr(importlib.import_module(self.__name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


if TYPE_CHECKING:  # type checkers see the real module
    import numpy as np
else:
    np = LazyModule("numpy")
