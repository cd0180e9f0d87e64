"""Output that fits a person's terminal: its width, and colours (issue 12).

Only a terminal gets either: output into a pipe or a file keeps every character and no escape
codes, so scripts read full data. JSON and CSV never pass here.
"""

from __future__ import annotations

import os
import sys

import typer

from supportctl.cli.common import STATE

COLOR_MODES = ("auto", "always", "never")
NARROWEST = 20  # a COLUMNS or terminal narrower than this is taken as this

RED, YELLOW, DIM, BOLD = "31", "33", "2", "1"


def _set_wide(value: bool) -> bool:
    STATE.wide = bool(value)
    return value


WideOption = typer.Option(False, "--wide", callback=_set_wide,
                          help="Show every column in full; by default a table is cut to the terminal's width "
                               "(long subjects and organisations end with …). Output that is not a terminal "
                               "is never cut.")


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def width() -> int | None:
    """Columns to fit tables into; None: do not cut (--wide, or stdout is no terminal)."""
    if STATE.wide or not stdout_is_terminal():
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), NARROWEST)
    try:
        return max(os.get_terminal_size(sys.stdout.fileno()).columns, NARROWEST)
    except (AttributeError, ValueError, OSError):
        return 80


def colour() -> bool:
    """Colours: --color always/never; on auto only on a terminal, unless NO_COLOR is set (to
    anything but "") or TERM is dumb."""
    mode = STATE.color or "auto"
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stdout_is_terminal()


def check_mode(value: str | None) -> str | None:
    if value is not None and value not in COLOR_MODES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(COLOR_MODES)}")
    return value


def ticket_style(sla_state: str | None, status: str | None, priority: int | None) -> str | None:
    """A ticket's row: breached red, at risk yellow, paused or waiting dim; priority 1 bold."""
    codes = []
    if sla_state == "breached":
        codes.append(RED)
    elif sla_state == "at_risk":
        codes.append(YELLOW)
    elif sla_state == "paused" or status == "waiting":
        codes.append(DIM)
    if priority == 1:
        codes.append(BOLD)
    return ";".join(codes) or None


def print_fitted(text: str, coloured: bool | None = None) -> None:
    """A rendered table or report (or lines of it, ended with a line break): colour codes reach the
    terminal (or a pipe with --color always). ``coloured``: ``colour()``, when the caller knows it."""
    typer.echo(text, color=True if (colour() if coloured is None else coloured) else None)
