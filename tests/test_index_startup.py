"""Start-up stays light: what `--help`, `--version` and `show ID` import (README, Performance),
and the holiday dates remembered in .supportctl/holidays.json."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from supportctl.desk.holiday_cache import HolidayCache
from supportctl.domain import calendar

HEAVY = ("yaml", "holidays", "pydantic", "sqlite3", "email", "tabulate", "dateutil")


def _imported(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    code = ("import sys, runpy; sys.argv = ['supportctl', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('supportctl', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                         env={**os.environ, **(env or {})})
    line = [x for x in out.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return {m.split(".")[0] for m in line.split()[1:]}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["show", "--help"]])
def test_help_and_version_import_nothing_heavy(args):
    assert not set(HEAVY) & _imported(args)


def test_show_imports_neither_holidays_nor_pydantic_once_the_dates_are_remembered(desk, cli):
    tid = cli("new", "--subject", "s", "--text", "t", "--channel", "portal").output.split()[-1]
    cli("register", tid, "--priority", "2")
    env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": "2025-12-01T10:00:00+03:00"}
    _imported(["show", tid], env)  # the first run fills .supportctl/holidays.json
    assert (desk.state_dir / "holidays.json").is_file()
    modules = _imported(["show", tid], env)
    assert "supportctl" in modules and not {"holidays", "pydantic", "tabulate", "email"} & modules


def test_remembered_holidays_are_the_holidays_packages(tmp_path, monkeypatch):
    def fresh():
        for f in (calendar._days_off, calendar._decree_workdays, calendar._public_holidays):
            f.cache_clear()

    def dates():
        return [(calendar._days_off("RU", y), calendar._decree_workdays("RU", y), calendar._public_holidays("RU", y))
                for y in (2024, 2025, 2026)]

    monkeypatch.setattr(calendar, "HOLIDAY_CACHE", None)
    fresh()
    direct = dates()
    for _ in range(2):  # the first pass fills the file, the second reads it back
        monkeypatch.setattr(calendar, "HOLIDAY_CACHE", HolidayCache(tmp_path))
        fresh()
        assert dates() == direct
    assert date_in(direct[1][0], "2025-01-07")  # Christmas, a day off
    assert (tmp_path / "holidays.json").is_file()
    fresh()


def test_a_stale_or_broken_cache_file_is_ignored(tmp_path):
    (tmp_path / "holidays.json").write_text('{"stamp": "another holidays", "dates": {"days_off/RU/2025": [1]}}')
    assert HolidayCache(tmp_path).get("days_off/RU/2025") is None
    (tmp_path / "holidays.json").write_text("{not json")
    assert HolidayCache(tmp_path).get("days_off/RU/2025") is None


def date_in(days, iso: str) -> bool:
    from datetime import date

    return date.fromisoformat(iso) in days


@pytest.mark.parametrize("limit", [[], ["--limit", "3"]])
def test_an_int_option_does_not_import_pydantic(desk, cli, limit):
    """`search` has an int option (--limit): its default or a plain number passes without Typer's
    pydantic coercion (~0.2 s of start-up on this machine); a bad one is still refused by Typer."""
    env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": "2025-12-01T10:00:00+03:00"}
    modules = _imported(["search", "принтер", *limit], env)
    assert "supportctl" in modules and "pydantic" not in modules


@pytest.mark.parametrize("value", ["0", "abc", "1.5"])
def test_an_int_option_out_of_bounds_or_not_a_number_is_refused(cli, value):
    result = cli("search", "принтер", "--limit", value)
    assert result.exit_code == 2 and "--limit" in result.output
