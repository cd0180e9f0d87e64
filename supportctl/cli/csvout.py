"""CSV for people's spreadsheets: UTF-8 with a BOM and CRLF line ends, so Excel reads Cyrillic
(the same form and writer as `report --format csv`)."""

from __future__ import annotations

from typing import Any

import typer


def csv_text(rows: list[dict[str, Any]]) -> str:
    """The rows (dicts of one shape) with a header line; '' without rows. Text cells that a spreadsheet
    would run as formulas are neutralised (supportctl/csvsafe.py)."""
    from supportctl import csvsafe

    if not rows:
        return ""
    keys = list(rows[0])
    return csvsafe.csv_text([keys, *([row[k] for k in keys] for row in rows)])


def print_csv(rows: list[dict[str, Any]]) -> None:
    text = csv_text(rows)
    if text:
        typer.echo(text, nl=False)
