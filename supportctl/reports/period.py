"""The period and filters every report takes: --from/--to in the desk's zone, --org, --assignee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from supportctl.domain.values import parse_date
from supportctl.errors import InvalidValue


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` in the desk's zone, as the half-open instants [start, end)."""

    first: date | None  # None: since the beginning
    last: date | None  # None: up to now
    tz: tzinfo

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.first, time(0), tzinfo=self.tz) if self.first else None

    @property
    def end(self) -> datetime | None:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=self.tz) if self.last else None

    def contains(self, at: datetime | None) -> bool:
        if at is None:
            return False
        return (self.first is None or at >= self.start) and (self.last is None or at < self.end)

    def may_overlap(self, first: datetime | None, last: datetime | None) -> bool:
        """Whether an activity from ``first`` (None: unknown) to ``last`` (None: still going) can touch it."""
        if self.last is not None and first is not None and first >= self.end:
            return False
        return not (self.first is not None and last is not None and last < self.start)

    def to_dict(self) -> dict[str, str | None]:
        return {"from": self.first.isoformat() if self.first else None,
                "to": self.last.isoformat() if self.last else None}

    def label(self) -> str:
        """'01.11.2026 – 30.11.2026'; an open side is '…'."""
        def day(d: date | None) -> str:
            return d.strftime("%d.%m.%Y") if d else "…"

        return f"{day(self.first)} – {day(self.last)}"


def period_from_options(first: str | None, last: str | None, now: datetime, tz: tzinfo, *,
                        all_time: bool = False, week: bool = False, last_week: bool = False,
                        month: str | None = None) -> Period:
    """The period of a report, in the desk's zone; by default the current month of ``now``.

    --from/--to: dates; only --from: up to today; only --to: from the first day of that month.
    --week: the current ISO week (Monday to Sunday); --last-week: the one before;
    --month YYYY-MM: that calendar month; --all: the whole history. One way at a time.
    """
    given = [name for name, on in (("--from/--to", first or last), ("--all", all_time), ("--week", week),
                                   ("--last-week", last_week), ("--month", month)) if on]
    if len(given) > 1:
        raise InvalidValue(f"{given[0]} cannot be combined with {given[1]}", "give one period")
    today = now.astimezone(tz).date()
    if all_time:
        return Period(None, None, tz)
    if week or last_week:
        monday = today - timedelta(days=today.weekday() + (7 if last_week else 0))
        return Period(monday, monday + timedelta(days=6), tz)
    if month is not None:
        first_day = _parse_month(month)
        return Period(first_day, _month_end(first_day), tz)
    start = parse_date(first) if first else None
    end = parse_date(last) if last else None
    if start is None and end is None:
        start = today.replace(day=1)
        end = _month_end(today)
    elif end is None:
        end = max(today, start)
    elif start is None:
        start = end.replace(day=1)
    if start > end:
        raise InvalidValue(f"--from {start.isoformat()} is after --to {end.isoformat()}",
                           "give the first day, then the last day of the period")
    return Period(start, end, tz)


def _parse_month(text: str) -> date:
    try:
        year, number = text.strip().split("-")
        if len(year) != 4 or len(number) != 2:
            raise ValueError
        return date(int(year), int(number), 1)
    except ValueError:
        raise InvalidValue(f"invalid --month {text!r}", "use YYYY-MM, e.g. 2026-11") from None


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What one run of a report looks at."""

    period: Period
    org: str | None = None
    assignee: str | None = None
    lang: str = "ru"

    def to_dict(self) -> dict[str, object]:
        return {"period": self.period.to_dict(), "org": self.org, "assignee": self.assignee}


def weeks_of(period: Period, days: list[date], today: date | None = None) -> list[tuple[date, date]]:
    """ISO weeks (Monday, Sunday) in order: every week of a bounded period that has begun by
    ``today`` (later ones cannot hold anything yet); of the whole history (--all) only the weeks of
    ``days``, so years of sparse history do not make pages of empty weeks."""
    if period.first and period.last:
        monday, last = period.first - timedelta(days=period.first.weekday()), period.last
        if today is not None:
            last = min(last, max(today, period.first))
        mondays = {d - timedelta(days=d.weekday()) for d in days}  # a ticket dated ahead keeps its week
        while monday <= last:
            mondays.add(monday)
            monday += timedelta(days=7)
        mondays = sorted(mondays)
    else:
        mondays = sorted({d - timedelta(days=d.weekday()) for d in days})
    return [(m, m + timedelta(days=6)) for m in mondays]
