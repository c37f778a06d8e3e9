"""The compliance report as CSV, safe to open in a spreadsheet."""

import csv
import io

from memory.staff.selectors import ComplianceReport

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading
    apostrophe (CSV injection)."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def compliance_csv(report: ComplianceReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "key", "subkey", "count"])
    writer.writerow(["period", report.since.isoformat(), report.until.isoformat(), ""])
    for row in report.rows():
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()
