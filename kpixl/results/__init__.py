"""The live results sheet and the workbooks built on it (scored workbook, verification)."""
