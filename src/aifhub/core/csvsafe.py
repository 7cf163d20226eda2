"""CSV exports that a spreadsheet cannot execute (formula injection, OWASP's rule)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

# A cell starting with one of these is read as a formula by Excel, LibreOffice, Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading single quote when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every text cell is neutralised; use it for every CSV export."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, neutralising formula-like text cells."""
        self._writer.writerow([safe_cell(v) for v in row])


def writer(out: TextIO) -> SafeWriter:
    """A formula-safe CSV writer on a text stream."""
    return SafeWriter(out)
