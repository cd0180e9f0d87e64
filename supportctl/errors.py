"""The errors a user can cause, and the exit codes they map to (docs/json.md, "Exit codes")."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CONDITION = 1  # a condition the caller asked about: overdue tickets, desk problems
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3  # a bug, not the input: still one line (SUPPORTCTL_DEBUG=1 for the traceback)


class SupportError(Exception):
    """A user's mistake or a refused action: one line on stderr, exit 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(SupportError):
    """An unknown ticket, customer or desk."""


class InvalidValue(SupportError):
    """A value that does not parse: an ID, a priority, a date, a duration."""


class Refused(SupportError):
    """A move the lifecycle or the desk's rules do not allow."""


class DeskDamaged(SupportError):
    """A file of the desk cannot be read (hand-broken YAML, torn journal)."""
