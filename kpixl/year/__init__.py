"""The year (or quarter) master: period masters of one programme copied in and rolled up live.

:func:`build_year` is what ``kpixl year`` and the ribbon's *Year* button run (docs/year.md).
"""

from .build import Year, build_year

__all__ = ["Year", "build_year"]
