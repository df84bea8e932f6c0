"""The ``Scheme`` sheet (考核方案): read, write and its vocabulary."""

from .book import read_scheme_sheet, read_scheme_values, write_scheme_sheet

__all__ = ["read_scheme_sheet", "read_scheme_values", "write_scheme_sheet"]
