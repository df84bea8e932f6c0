"""The master workbook HR keeps: collected records, collect, rate, report."""
