"""The one clock: the current time, or SUPPORTCTL_NOW when set (tests, cron simulations)."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from supportctl.domain.values import check_year
from supportctl.errors import InvalidValue

ENV_NOW = "SUPPORTCTL_NOW"


def now(environ: dict[str, str] | None = None) -> datetime:
    """An aware datetime: SUPPORTCTL_NOW (ISO 8601 with offset) or the system clock in UTC."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_NOW)
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"{ENV_NOW}={value!r} is not an ISO 8601 time",
                           "use e.g. 2026-11-24T10:00:00+03:00") from None
    if parsed.tzinfo is None:
        raise InvalidValue(f"{ENV_NOW}={value!r} has no UTC offset", "add one, e.g. +03:00")
    check_year(parsed, f"{ENV_NOW}={value}")
    return parsed
