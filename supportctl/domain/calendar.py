"""The working calendar: which instants are working time, and arithmetic on it.

The regulation counts every promise in working time: 09:00-18:00 Moscow time
on working days (R-1.5, R-5.1). This module answers, for any configured
calendar, "is this instant working time?", "when does work resume?", "what
instant is this much working time later?" and "how much working time lies
between these instants?". It is pure: no files, no clock, no printing.

Rules
-----
- Working time is the union of the working periods of the working days. A
  period is half-open, [opening, closing): 09:00 is working, 18:00 is not.
- The working periods of a date, first rule that applies wins:
  1. ``always`` (the built-in ``24x7`` calendar): 00:00-24:00 every day;
  2. the desk's ``extra_holidays``: no periods;
  3. the desk's ``extra_workdays``: the weekday's hours, or ``workday_hours``
     when that weekday has none (a Saturday made working);
  4. public holidays and transferred days off of ``country`` (``holidays``
     package, expand=True and observed=True): no periods;
  5. decree working Saturdays (``weekend_workdays``, e.g. 2025-11-01, R-1.5
     *Reading*): as rule 3;
  6. otherwise the weekday's hours.
  With ``preholiday_short`` a working day before a public holiday ends one
  hour earlier (Labour Code art. 95): the published days for 2024-2027 are
  data below; other years derive them as working days whose next date is a
  public holiday (a transferred day off is not a holiday, a weekend is not).
- A working day is a date with at least one working period.
- A clock started outside working time starts at the next opening.
- ``add(start, d)`` is the earliest instant by which ``d`` of working time has
  passed since ``start``. So a result on the boundary between two periods is
  the closing time of the earlier one: Friday 18:00, never Monday 09:00; and
  ``add(start, 0)`` and ``add_days(start, 0)`` are ``start`` itself.
- ``add_days(start, n)``: n working days end at the same wall-clock time on
  the n-th working day after the clock start's date (Mon 10:00 + 5 = next
  Mon 10:00), counted in working time and then added as above. Hence: Mon
  09:00 + 5 is Fri 18:00 (the boundary rule); a clock started Fri 18:00 starts
  Mon 09:00, and + 10 is Fri 18:00 two weeks later. When that wall-clock time
  is not working time on the n-th day (a shortened day, other hours on that
  weekday) the working time counts up to that time of day: the result is that
  day's closing time, or the previous closing time.
- Instants in and out are timezone-aware datetimes; results are in the
  calendar's zone. Periods are wall-clock times; durations are real elapsed
  time, so across a daylight-saving change a working hour is still an hour
  (a 00:00-06:00 period lasts 5 h on the spring-forward night, 7 h on the
  fall-back night). A wall-clock time that does not exist on the n-th day
  (the spring-forward gap) is the instant the clocks jump; a repeated one is
  its first occurrence.
- Russian transfers are decreed a year ahead: ``transfers_known(year)`` is
  False after the last year with decree data, so callers can warn.

Working intervals are built lazily, a local year at a time, into sorted
arrays of epoch microseconds with the cumulative working time before each
interval; every operation is a bisection, O(log n).

The cumulative working time is an odometer that runs only in working time:
``reading(at)`` is the working microseconds from a fixed origin of the
calendar (the start of the first year it built) to the epoch microsecond
``at``, negative before that origin. Readings never change as more years are
covered, so a caller doing many operations on the same instants (the SLA
timers) converts each instant once and works on integers:
``between(a, b) == reading(b) - reading(a)`` and ``add(a, d)`` is
``instant_at(reading(a) + d)`` (``start_clock``, ``reading_after_days``: the
clock start and working days on the same scale).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Period = tuple[int, int]  # (opening, closing) in minutes after local midnight; closing may be 1440

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NINE_TO_SIX: tuple[Period, ...] = ((9 * 60, 18 * 60),)
WHOLE_DAY: tuple[Period, ...] = ((0, 24 * 60),)
REGULATION_HOURS: tuple[tuple[Period, ...], ...] = (NINE_TO_SIX,) * 5 + ((), ())
ALWAYS_CALENDAR_NAME = "24x7"

# The last year whose transfers of days off have been decreed (docs/sla.md).
DECREE_DATA_LAST_YEAR = {"RU": 2027}

# Shortened pre-holiday days from the published production calendars (docs/sla.md).
PREHOLIDAY_DAYS = {
    "RU": {
        2024: frozenset(date(2024, m, d) for m, d in ((2, 22), (3, 7), (5, 8), (6, 11), (11, 2))),
        2025: frozenset(date(2025, m, d) for m, d in ((3, 7), (4, 30), (6, 11), (11, 1))),
        2026: frozenset(date(2026, m, d) for m, d in ((4, 30), (5, 8), (6, 11), (11, 3))),
        2027: frozenset(date(2027, m, d) for m, d in ((2, 20), (4, 30), (6, 11), (11, 3))),
    }
}
PREHOLIDAY_CUT_MINUTES = 60

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)
_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_LAST_YEAR = 9998  # datetime stops at 9999; keep a year of margin for zone offsets


@dataclass(frozen=True)
class CalendarSpec:
    """What a working calendar is made of; see the module docstring for the rules."""

    timezone: str = "Europe/Moscow"
    hours: tuple[tuple[Period, ...], ...] = REGULATION_HOURS  # Monday .. Sunday
    workday_hours: tuple[Period, ...] = NINE_TO_SIX  # a weekend day made working
    country: str | None = "RU"
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    preholiday_short: bool = False
    always: bool = False

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError(f"hours must give 7 weekdays, got {len(self.hours)}")
        for day_hours in (*self.hours, self.workday_hours):
            _check_periods(day_hours)
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise ValueError(f"dates both in extra_holidays and extra_workdays: {_date_list(both)}")
        if not self.always and not any(self.hours):
            raise ValueError("a calendar needs working hours on at least one weekday")


# ---------------------------------------------------------------- configuration

_CONFIG_KEYS = ("timezone", "country", "hours", "workday_hours", "extra_holidays",
                "extra_workdays", "preholiday_short", "always")
_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def calendar_spec_from_config(name: str, d: dict[str, Any] | None) -> CalendarSpec:
    """Parse one entry of the ``calendars:`` section of supportctl.yaml.

    ``hours`` maps mon..sun to "HH:MM-HH:MM", a list of them (a lunch break),
    or null; a weekday it does not list does not work. The calendar named
    ``24x7`` always works.
    """
    d = dict(d or {})
    where = f"calendar {name!r}"
    unknown = sorted(set(d) - set(_CONFIG_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_CONFIG_KEYS)})")
    always = _parse_bool(d.get("always", name == ALWAYS_CALENDAR_NAME), f"{where}: always")
    if always and ("hours" in d or "workday_hours" in d):
        raise ValueError(f"{where}: works every minute, so it takes no hours")
    kwargs: dict[str, Any] = {
        "timezone": _parse_timezone(d.get("timezone", "Europe/Moscow"), where),
        "country": None if always else _parse_country(d.get("country", "RU"), where),
        "extra_holidays": _parse_dates(d.get("extra_holidays"), f"{where}: extra_holidays"),
        "extra_workdays": _parse_dates(d.get("extra_workdays"), f"{where}: extra_workdays"),
        "preholiday_short": _parse_bool(d.get("preholiday_short", False), f"{where}: preholiday_short"),
        "always": always,
    }
    if "hours" in d:
        kwargs["hours"] = _parse_week(d["hours"], where)
    if "workday_hours" in d:
        kwargs["workday_hours"] = _parse_periods(d["workday_hours"], f"{where}: workday_hours")
    elif "hours" in d:
        kwargs["workday_hours"] = next((h for h in kwargs["hours"] if h), NINE_TO_SIX)
    try:
        return CalendarSpec(**kwargs)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _parse_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: expected true or false, got {value!r}")
    return value


def _parse_timezone(value: Any, where: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{where}: unknown timezone {value!r}") from None
    return str(value)


def _parse_country(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if _cached_dates("country", str(value), 0, lambda: _known_country(str(value))) is None:
        raise ValueError(f"{where}: the holidays package has no country {value!r}")
    return str(value)


def _parse_dates(value: Any, where: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of YYYY-MM-DD dates, got {value!r}")
    return frozenset(_parse_date(item, where) for item in value)


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def _parse_week(value: Any, where: str) -> tuple[tuple[Period, ...], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: hours must map mon..sun to periods, got {value!r}")
    unknown = sorted(str(k) for k in value if str(k).lower() not in WEEKDAYS)
    if unknown:
        raise ValueError(f"{where}: hours: unknown weekday {unknown[0]!r} (use {', '.join(WEEKDAYS)})")
    by_day = {str(k).lower(): v for k, v in value.items()}
    return tuple(_parse_periods(by_day.get(day), f"{where}: hours.{day}") for day in WEEKDAYS)


def _parse_periods(value: Any, where: str) -> tuple[Period, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    periods = tuple(sorted(_parse_period(item, where) for item in items))
    try:
        _check_periods(periods)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    return periods


def _parse_period(value: Any, where: str) -> Period:
    match = _PERIOD_RE.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{where}: {value!r} is not a period like '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"{where}: {value!r} is not a valid time of day")
    return (h1 * 60 + m1, h2 * 60 + m2)


def _check_periods(periods: tuple[Period, ...]) -> None:
    previous_closing = 0
    for opening, closing in periods:
        if not 0 <= opening < closing <= 24 * 60:
            raise ValueError(f"period {_period_text((opening, closing))} must open before it closes")
        if opening < previous_closing:
            raise ValueError(f"period {_period_text((opening, closing))} overlaps the one before it")
        previous_closing = closing


def _period_text(period: Period) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in period)


def _date_list(days: frozenset[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(days))


ALWAYS = CalendarSpec(country=None, always=True)


# ---------------------------------------------------------------- public holidays
#
# The `holidays` package imports all of its ~250 countries on first use: ~70 ms
# of every process that computes a deadline. A holiday store, when the desk
# layer plugs one in with use_holiday_store (supportctl/desk/holiday_cache.py),
# keeps the date sets below per (kind, country, year) across processes; without
# one they come from `holidays`. The dates are facts about the world, so the
# store changes how fast they come, never what they are.

HOLIDAY_CACHE: Any = None  # the plugged store: .get(key) -> list[int] | None, .put(key, list[int]); ordinals


def use_holiday_store(store: Any) -> None:
    """Plug in (or, with None, take out) the store that remembers holiday dates across processes."""
    global HOLIDAY_CACHE
    HOLIDAY_CACHE = store


def _cached_dates(kind: str, country: str, year: int, compute) -> frozenset[date] | None:
    key = f"{kind}/{country}/{year}"
    cache = HOLIDAY_CACHE
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return frozenset(map(date.fromordinal, hit))
    days = compute()
    if cache is not None and days is not None:
        cache.put(key, sorted(d.toordinal() for d in days))
    return days


def _country_holidays(country: str, **kwargs):
    import holidays

    return holidays.country_holidays(country, **kwargs)


def _known_country(country: str) -> frozenset[date] | None:
    try:
        _country_holidays(country)
    except NotImplementedError:
        return None
    return frozenset()


@lru_cache(maxsize=None)
def _days_off(country: str, year: int) -> frozenset[date]:
    """Public holidays and transferred days off of a year."""
    def compute():
        calendar = _country_holidays(country, years=year, expand=True, observed=True)
        return frozenset(d for d in calendar if d.year == year)
    return _cached_dates("days_off", country, year, compute)


@lru_cache(maxsize=None)
def _decree_workdays(country: str, year: int) -> frozenset[date]:
    """Weekend days made working days by decree."""
    def compute():
        calendar = _country_holidays(country, years=year, expand=True, observed=True)
        return frozenset(d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year)
    return _cached_dates("decree_workdays", country, year, compute)


@lru_cache(maxsize=None)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """The holidays themselves: no observed days, no transferred days off."""
    return _cached_dates("public", country, year, lambda: _compute_public_holidays(country, year))


def _compute_public_holidays(country: str, year: int) -> frozenset[date]:
    calendar = _country_holidays(country, years=year, expand=True, observed=False)
    if not getattr(calendar, "has_substituted_holidays", False):
        return frozenset(d for d in calendar if d.year == year)
    substituted = calendar.tr(calendar.substituted_label).split("%s")[0]
    return frozenset(
        d for d in calendar
        if d.year == year and not all(name.startswith(substituted) for name in calendar.get_list(d))
    )


# ---------------------------------------------------------------- the calendar

@dataclass(frozen=True)
class _Interval:
    start: int  # epoch microseconds
    end: int
    utc_offset: int  # microseconds, constant over the interval
    ordinal: int  # the local date it belongs to


class WorkingCalendar:
    """Working-time arithmetic over a :class:`CalendarSpec` (rules: module docstring)."""

    def __init__(self, spec: CalendarSpec = CalendarSpec()) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self._year_intervals: dict[int, list[_Interval]] = {}
        self._first_year = self._last_year = 0
        self._origin_year = 0  # the odometer reads 0 at the start of the first year built
        self._covered_from = self._covered_until = 0  # epoch µs of the covered local years
        # per working interval, sorted
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._wall_starts: list[int] = []  # start as local wall-clock µs
        self._worked_before: list[int] = []  # working µs since _covered_from
        self._worked_after: list[int] = []
        self._day_index: list[int] = []
        # per working day
        self._day_wall_midnight: list[int] = []
        self._day_first_interval: list[int] = []
        self._day_stop_interval: list[int] = []

    # ------------------------------------------------------------ public API

    def is_working(self, t: datetime) -> bool:
        at = self.to_us(t)
        self._cover(at)
        i = bisect_right(self._starts, at) - 1
        return i >= 0 and at < self._ends[i]

    def next_opening(self, t: datetime) -> datetime:
        """``t`` itself (in the calendar's zone) if working, else the next opening."""
        return self.from_us(self.start_clock(self.to_us(t))[0])

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start``."""
        if duration < _ZERO:
            raise ValueError(f"cannot add a negative working time {duration}")
        at = self.to_us(start)
        if not duration:
            return start.astimezone(self.zone)
        return self.from_us(self.instant_at(self.reading(at) + duration // _MICROSECOND))

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; zero if ``b`` is not after ``a``."""
        a_us, b_us = self.to_us(a), self.to_us(b)
        if b_us <= a_us:
            return _ZERO
        return timedelta(microseconds=self.reading(b_us) - self.reading(a_us))

    def add_days(self, start: datetime, n: int) -> datetime:
        """``start`` plus ``n`` working days."""
        at = self.to_us(start)
        if n == 0:
            return start.astimezone(self.zone)
        return self.from_us(self.instant_at(self._worked_after_days(at, n)[1]))

    def days_duration(self, start: datetime, n: int) -> timedelta:
        """The working time from the clock start to ``add_days(start, n)``."""
        worked_at_start, worked_at_end = self._worked_after_days(self.to_us(start), n)
        return timedelta(microseconds=worked_at_end - worked_at_start)

    def transfers_known(self, year: int) -> bool:
        """False for a year whose transfers of days off have not been decreed yet."""
        if self.spec.always or self.spec.country is None:
            return True
        return year <= DECREE_DATA_LAST_YEAR.get(self.spec.country, year)

    def day_periods(self, day: date) -> tuple[Period, ...]:
        """The working periods of a local date (rules: module docstring)."""
        spec = self.spec
        if spec.always:
            return WHOLE_DAY
        if day in spec.extra_holidays:
            return ()
        periods = self._base_periods(day)
        if periods and spec.preholiday_short and self._is_preholiday(day):
            return _shortened(periods, PREHOLIDAY_CUT_MINUTES)
        return periods

    # ------------------------------------------------------------ the odometer (module docstring)

    def reading(self, at: int) -> int:
        """The odometer at the epoch microsecond ``at``."""
        if not self._covered_from <= at < self._covered_until:
            self._cover(at)
        i = bisect_right(self._starts, at) - 1
        if i < 0:
            return self._worked_before[0] if self._worked_before else 0
        reading, closing_reading = self._worked_before[i] + at - self._starts[i], self._worked_after[i]
        return reading if reading < closing_reading else closing_reading

    def start_clock(self, at: int) -> tuple[int, int, int]:
        """Where a clock started at ``at`` starts counting (``at`` if working, else the next opening),
        the reading there, and the closing time of that working interval (the reading runs
        one for one with the clock up to it)."""
        if not self._covered_from <= at < self._covered_until:
            self._cover(at)
        i = bisect_right(self._starts, at) - 1
        if i < 0 or at >= self._ends[i]:
            while i + 1 >= len(self._starts):
                self._extend_forward()
            i += 1
            at = self._starts[i]
        return at, self._worked_before[i] + at - self._starts[i], self._ends[i]

    def instant_at(self, reading: int) -> int:
        """The earliest epoch microsecond at which the odometer shows ``reading``.

        ``reading`` must lie after the reading at some instant already used.
        """
        while not self._worked_after or reading > self._worked_after[-1]:
            self._extend_forward()
        i = bisect_left(self._worked_after, reading)
        return self._starts[i] + reading - self._worked_before[i]

    def reading_after_days(self, clock_start: int, n: int) -> int:
        """The reading ``n`` working days after a clock start (a working instant, see ``start_clock``)."""
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days {n}")
        i = bisect_right(self._starts, clock_start) - 1
        day = self._day_index[i]
        time_of_day = self._wall_starts[i] + clock_start - self._starts[i] - self._day_wall_midnight[day]
        while day + n >= len(self._day_wall_midnight):
            self._extend_forward()
        return self._worked_at_wall_time(day + n, time_of_day)

    # ------------------------------------------------------------ day rules

    def _base_periods(self, day: date) -> tuple[Period, ...]:
        """A date's periods without the desk's extra holidays and pre-holiday cut."""
        spec = self.spec
        weekday_hours = spec.hours[day.weekday()]
        if day in spec.extra_workdays:
            return weekday_hours or spec.workday_hours
        if spec.country is None:
            return weekday_hours
        if day in _days_off(spec.country, day.year):
            return ()
        if day in _decree_workdays(spec.country, day.year):
            return weekday_hours or spec.workday_hours
        return weekday_hours

    def _is_preholiday(self, day: date) -> bool:
        country = self.spec.country
        if country is None:
            return False
        published = PREHOLIDAY_DAYS.get(country, {}).get(day.year)
        if published is not None:
            return day in published
        next_day = day + timedelta(days=1)
        return next_day in _public_holidays(country, next_day.year)

    # ------------------------------------------------------------ intervals

    def _build_year(self, year: int) -> list[_Interval]:
        intervals: list[_Interval] = []
        day = date(year, 1, 1)
        while day.year == year:
            for opening, closing in self.day_periods(day):
                start, end = self._wall_to_us(day, opening), self._wall_to_us(day, closing)
                intervals.extend(self._split_at_offset_changes(start, end, day.toordinal()))
            day += timedelta(days=1)
        return intervals

    def _split_at_offset_changes(self, start: int, end: int, ordinal: int) -> list[_Interval]:
        """Cut [start, end) where the zone's UTC offset changes (DST), dropping empty parts."""
        pieces = []
        while start < end:
            offset = self._offset_at(start)
            piece_end = end if self._offset_at(end - 1) == offset else self._offset_change_after(start, end)
            pieces.append(_Interval(start, piece_end, offset, ordinal))
            start = piece_end
        return pieces

    def _offset_change_after(self, start: int, end: int) -> int:
        """The first instant in (start, end) whose offset differs from start's; offsets change on whole seconds."""
        offset = self._offset_at(start)
        low, high = start // _US_PER_SECOND, -(-end // _US_PER_SECOND)
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset_at(middle * _US_PER_SECOND) == offset:
                low = middle
            else:
                high = middle
        return high * _US_PER_SECOND

    def _offset_at(self, at: int) -> int:
        offset = datetime.fromtimestamp(at // _US_PER_SECOND, self.zone).utcoffset()
        return offset // _MICROSECOND

    def _wall_to_us(self, day: date, minute: int) -> int:
        day += timedelta(days=minute // (24 * 60))
        minute %= 24 * 60
        wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.zone)
        return (wall - _EPOCH) // _MICROSECOND

    def _cover(self, at: int) -> None:
        """Make sure the arrays cover the local year of ``at``."""
        if self._covered_from <= at < self._covered_until:
            return
        year = self.from_us(at).year
        if year > _LAST_YEAR:
            raise ValueError(f"{self.from_us(at)} is past the last year a calendar can cover")
        if not self._year_intervals:
            self._origin_year = year
            self._cover_years(year, year)
        else:
            self._cover_years(min(year, self._first_year), max(year, self._last_year))

    def _extend_forward(self) -> None:
        year = self._last_year + 1
        if year > _LAST_YEAR:
            raise ValueError("working time runs past the last year a datetime can hold")
        self._cover_years(self._first_year, year)
        if not self._year_intervals[year]:
            raise ValueError(f"the calendar has no working time in {year}")

    def _cover_years(self, first: int, last: int) -> None:
        for year in range(first, last + 1):
            if year not in self._year_intervals:
                self._year_intervals[year] = self._build_year(year)
        self._first_year, self._last_year = first, last
        self._covered_from = self._wall_to_us(date(first, 1, 1), 0)
        self._covered_until = self._wall_to_us(date(last + 1, 1, 1), 0)
        self._rebuild_arrays()

    def _rebuild_arrays(self) -> None:
        intervals = [i for year in range(self._first_year, self._last_year + 1) for i in self._year_intervals[year]]
        self._starts = [i.start for i in intervals]
        self._ends = [i.end for i in intervals]
        self._wall_starts = [i.start + i.utc_offset for i in intervals]
        self._worked_before, self._worked_after, self._day_index = [], [], []
        self._day_wall_midnight, self._day_first_interval, self._day_stop_interval = [], [], []
        worked = -sum(i.end - i.start for year in range(self._first_year, self._origin_year)
                      for i in self._year_intervals[year])
        for index, interval in enumerate(intervals):
            if not self._day_wall_midnight or self._day_wall_midnight[-1] != _wall_midnight(interval.ordinal):
                self._day_wall_midnight.append(_wall_midnight(interval.ordinal))
                self._day_first_interval.append(index)
                self._day_stop_interval.append(index)
            self._day_stop_interval[-1] = index + 1
            self._day_index.append(len(self._day_wall_midnight) - 1)
            self._worked_before.append(worked)
            worked += interval.end - interval.start
            self._worked_after.append(worked)

    # ------------------------------------------------------------ arithmetic on the arrays

    def _worked_after_days(self, at: int, n: int) -> tuple[int, int]:
        """Odometer readings at the clock start and ``n`` working days later."""
        clock_start, reading, _closing = self.start_clock(at)
        return reading, self.reading_after_days(clock_start, n)

    def _worked_at_wall_time(self, day: int, time_of_day: int) -> int:
        """The odometer reading at a wall-clock time of a working day."""
        wall = self._day_wall_midnight[day] + time_of_day
        first = self._day_first_interval[day]
        worked = self._worked_before[first]
        for j in range(first, self._day_stop_interval[day]):
            into = wall - self._wall_starts[j]
            if into < 0:
                break
            if into < self._ends[j] - self._starts[j]:
                return self._worked_before[j] + into
            worked = self._worked_after[j]
        return worked

    # ------------------------------------------------------------ conversions

    def to_us(self, t: datetime) -> int:
        """An aware datetime as epoch microseconds."""
        try:
            since = t - _EPOCH
        except TypeError:
            raise ValueError(f"instant {t!r} must be a timezone-aware datetime") from None
        return (since.days * 86_400 + since.seconds) * _US_PER_SECOND + since.microseconds

    def from_us(self, at: int) -> datetime:
        """Epoch microseconds as a datetime in the calendar's zone."""
        seconds, micro = divmod(at, _US_PER_SECOND)
        t = datetime.fromtimestamp(seconds, self.zone)
        return t.replace(microsecond=micro) if micro else t


def _wall_midnight(ordinal: int) -> int:
    """Local midnight of a date on the wall-clock µs scale (wall = epoch + UTC offset)."""
    return (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY


def _shortened(periods: tuple[Period, ...], minutes: int) -> tuple[Period, ...]:
    """Periods with ``minutes`` taken off the end of the day."""
    kept: list[Period] = []
    for opening, closing in reversed(periods):
        cut = min(minutes, closing - opening)
        minutes -= cut
        if closing - cut > opening:
            kept.append((opening, closing - cut))
    return tuple(reversed(kept))
