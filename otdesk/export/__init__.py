"""Documents made from visits: the superbill PDF (ReportLab, imported at the first document)."""
