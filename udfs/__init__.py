"""kpixl worksheet functions (installed as ``kpixl.udfs``).

The ``KPI_*`` functions are thin xlwings wrappers over :mod:`kpixl.rules`,
:mod:`kpixl.engine`, :mod:`kpixl.rating` and :mod:`kpixl.bonus` — no scoring logic
lives here. Importing this package registers every function: the add-in's UDF
wrappers are generated from it (``xlwings.generate_vba_wrapper`` over ``kpixl.udfs``).
On a machine without Excel the functions are plain Python functions.

They need the kpixl add-in in desktop Excel; the scorecards kpixl distributes never
use them (native formulas only).
"""

from .functions import (
    KPI_BONUS, KPI_CHECK, KPI_COUNT, KPI_DISTRIBUTE, KPI_RATERS, KPI_RATING, KPI_RATIO, KPI_RUBRIC,
    KPI_STEP, KPI_TIER, KPI_TOTAL, KPI_WEIGHTED,
)

__all__ = [
    "KPI_BONUS", "KPI_CHECK", "KPI_COUNT", "KPI_DISTRIBUTE", "KPI_RATERS", "KPI_RATING", "KPI_RATIO",
    "KPI_RUBRIC", "KPI_STEP", "KPI_TIER", "KPI_TOTAL", "KPI_WEIGHTED",
]
