"""Reports people look at: chart images (charts.py); the workbook is bot/spreadsheet.py for now."""
