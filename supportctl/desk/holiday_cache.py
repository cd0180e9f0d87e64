"""Public-holiday dates remembered across runs in `.supportctl/holidays.json`.

The `holidays` package imports every one of its ~250 countries the first time
it is asked about one, which costs a deadline-computing command ~70 ms; the
calendar needs only a few date sets per year (domain/calendar.py,
HOLIDAY_CACHE). Like the ticket index the file is derived and per clone:
stamped with the installed `holidays` package (its path and modification
time, found without importing it) so an upgrade recomputes, deletable at any
time, and a file that cannot be read or written is simply not used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from supportctl.desk.files import write_atomic
from supportctl.desk.yamlio import read_regular
from supportctl.errors import SupportError

CACHE_FILE = "holidays.json"


def package_stamp() -> str | None:
    """The installed `holidays` package: its path, size and modification time (None without it)."""
    return _package_stamp()


def _package_stamp() -> str | None:
    from importlib.util import find_spec

    try:
        spec = find_spec("holidays")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        st = os.stat(spec.origin)
    except OSError:
        return None
    return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"


class HolidayCache:
    def __init__(self, state_dir: Path):
        self.path = state_dir / CACHE_FILE
        self._stamp: str | None = None
        self._dates: dict[str, list[int]] | None = None

    def _load(self) -> dict[str, list[int]]:
        if self._dates is None:
            self._stamp = _package_stamp()
            self._dates = {}
            try:
                data = json.loads(read_regular(self.path).decode("utf-8"))  # never a FIFO or /dev/zero
                if data.get("stamp") == self._stamp and isinstance(data.get("dates"), dict):
                    self._dates = data["dates"]
            except (OSError, ValueError, AttributeError, RecursionError, SupportError):
                pass
        return self._dates

    def get(self, key: str) -> list[int] | None:
        hit = self._load().get(key)
        return hit if isinstance(hit, list) and all(isinstance(n, int) for n in hit) else None

    def put(self, key: str, ordinals: list[int]) -> None:
        dates = self._load()
        dates[key] = ordinals
        if self._stamp is None:
            return
        try:
            write_atomic(self.path, json.dumps({"stamp": self._stamp, "dates": dates}), durable=False)
        except OSError:
            pass


def install(state_dir: Path) -> None:
    """Put the cache of this desk in front of the `holidays` package for this process."""
    from supportctl.domain import calendar

    current = calendar.HOLIDAY_CACHE
    if not (isinstance(current, HolidayCache) and current.path.parent == state_dir):
        calendar.use_holiday_store(HolidayCache(state_dir))
