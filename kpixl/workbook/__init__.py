"""Workbooks: the Scheme sheet, the live results sheet, templates (openpyxl)."""
