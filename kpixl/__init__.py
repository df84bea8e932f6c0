"""kpixl — spreadsheet-native appraisal (考核) and bonus for customer/account managers.

The public API is small::

    import kpixl
    scheme = kpixl.load_scheme("scheme.yaml")          # or a workbook's Scheme sheet
    results = kpixl.score(scheme, "inputs.csv", roster="roster.csv")

Everything else lives in submodules (docs/architecture.md): :mod:`kpixl.scheme`,
:mod:`kpixl.rules`, :mod:`kpixl.engine`, :mod:`kpixl.rating`, :mod:`kpixl.bonus`,
:mod:`kpixl.card`, :mod:`kpixl.master`, :mod:`kpixl.results`.

The names below are imported on first use (PEP 562), so ``kpixl --help`` and a ribbon
button do not pay for pandas and NumPy before they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import FileProblem, InputError, KpixlError, Problem

__version__ = "0.1.0"

#: Public name → the module that defines it (imported when the name is first used).
_LAZY = {
    "evaluate": "kpixl.engine", "roll_up": "kpixl.engine", "score": "kpixl.engine",
    "Scheme": "kpixl.scheme", "dump_json": "kpixl.scheme", "dump_yaml": "kpixl.scheme",
    "load_scheme": "kpixl.scheme", "save_scheme": "kpixl.scheme",
    "templates": "kpixl.card.templates",
}

__all__ = [
    "FileProblem", "InputError", "KpixlError", "Problem", "Scheme", "dump_json", "dump_yaml",
    "evaluate", "load_scheme", "roll_up", "save_scheme", "score", "templates",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .card.templates import templates
    from .engine import evaluate, roll_up, score
    from .scheme import Scheme, dump_json, dump_yaml, load_scheme, save_scheme


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kpixl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
