"""CSV for people's spreadsheets: UTF-8 with a BOM and CRLF line ends, so Excel reads Cyrillic
(the same form as `report --format csv`)."""

from __future__ import annotations

from typing import Any

import typer

BOM = "\ufeff"


def csv_text(rows: list[dict[str, Any]]) -> str:
    """The rows (dicts of one shape) with a header line; '' without rows."""
    import csv
    import io

    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return BOM + buffer.getvalue()


def print_csv(rows: list[dict[str, Any]]) -> None:
    text = csv_text(rows)
    if text:
        typer.echo(text, nl=False)
