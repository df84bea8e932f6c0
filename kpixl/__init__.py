"""kpixl — spreadsheet-native appraisal (考核) and bonus for customer/account managers.

The public API is small::

    import kpixl
    scheme = kpixl.load_scheme("scheme.yaml")          # or a workbook's Scheme sheet
    results = kpixl.score(scheme, "inputs.csv", roster="roster.csv")

Everything else lives in submodules: :mod:`kpixl.scheme` (models, load/dump),
:mod:`kpixl.rules` (the eight rule types, each with its Python evaluator and Excel
formula builder), :mod:`kpixl.engine`, :mod:`kpixl.rating`, :mod:`kpixl.bonus`,
:mod:`kpixl.workbook`.
"""

from .engine import evaluate, roll_up, score
from .errors import FileProblem, InputError, KpixlError, Problem
from .scheme import Scheme, dump_json, dump_yaml, load_scheme, save_scheme
from .card.templates import templates

__version__ = "0.1.0"

__all__ = [
    "FileProblem", "InputError", "KpixlError", "Problem", "Scheme", "dump_json", "dump_yaml",
    "evaluate", "load_scheme", "roll_up", "save_scheme", "score", "templates",
]
