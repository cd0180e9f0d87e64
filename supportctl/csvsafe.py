"""The one CSV writer of the tool (`list --format csv`, `report … --format csv`): UTF-8 with a BOM and
CRLF line ends, so Excel opens it by double-click and reads Cyrillic — and so every text cell is
neutralised against formula injection first.

A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before them) as a formula; a subject
or an organisation name from a stranger's mail must never do that. Such a text cell gets a leading
apostrophe (the OWASP rule), which the spreadsheet shows as text. Numbers the tool itself writes as
numbers (ints and floats, and the numeric columns of reports, a negative value included) stay bare so
that sums still work.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Number(str):
    """A cell the tool computed as a number and formatted itself (a report's minutes, percentages):
    written bare, even when negative."""


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'``; anything else as is."""
    if isinstance(value, str) and not isinstance(value, Number) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows (header included) as CSV text with its BOM, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return BOM + buffer.getvalue()
