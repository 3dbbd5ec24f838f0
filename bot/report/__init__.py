"""Reports people look at: the workbook (workbook.py, its cells and its Outcomes sheet) and chart images (charts.py)."""
