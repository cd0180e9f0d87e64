"""Parsing and formatting of the values users type: durations, instants, priorities."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, tzinfo

from supportctl.errors import InvalidValue

_DURATION = re.compile(r"^\s*(?:(\d{1,12})\s*d)?\s*(?:(\d{1,12})\s*h)?\s*(?:(\d{1,12})\s*m(?:in)?)?\s*$", re.I)

# The longest duration a person may give or a journal entry may hold (--spent, --within): one year.
# Longer is a typo, and unbounded numbers overflow date arithmetic.
MAX_MINUTES = 366 * 24 * 60


def parse_minutes(text: str) -> int:
    """'90m', '1h30m', '2h', '1d' (24 h) or a bare number of minutes → minutes, at most MAX_MINUTES."""
    s = str(text).strip()
    if s.isdecimal() and len(s) <= 12:
        minutes = int(s)
    else:
        m = _DURATION.match(s)
        if not s or not m or not any(m.groups()):
            raise InvalidValue(f"invalid duration {str(text)[:40]!r}", "use minutes or e.g. 45m, 1h30m, 2h")
        d, h, mins = (int(g) if g else 0 for g in m.groups())
        minutes = d * 1440 + h * 60 + mins
    if minutes > MAX_MINUTES:
        raise InvalidValue(f"duration {str(text).strip()[:40]!r} is too long",
                           f"give at most {MAX_MINUTES // 1440} days ({MAX_MINUTES} minutes)")
    return minutes


def format_minutes(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(int(minutes)), 60)
    return f"{sign}{h}h{m:02d}m" if h else f"{sign}{m}m"


def parse_priority(value: object) -> int:
    try:
        p = int(str(value).strip())
    except ValueError:
        p = 0
    if p not in (1, 2, 3, 4):
        raise InvalidValue(f"invalid priority {value!r}", "priorities are 1 (highest) to 4 (R-6.1)")
    return p


def parse_rating(value: object) -> int:
    try:
        r = int(str(value).strip())
    except ValueError:
        r = 0
    if r not in range(1, 6):
        raise InvalidValue(f"invalid rating {value!r}", "ratings are 1 to 5 (A-2)")
    return r


# The years a date a person gives may name: the calendar's arithmetic (time zones, working days
# ahead, a period's end + 1 day) overflows at year 9999, and no help desk plans past 2200.
YEARS = range(1970, 2201)


def check_year(value: date, text: object) -> None:
    if value.year not in YEARS:
        raise InvalidValue(f"date {str(text).strip()!r} is out of range",
                           f"give a year from {YEARS[0]} to {YEARS[-1]}")


def parse_instant(text: str, tz: tzinfo, *, end_of_day: bool = False) -> datetime:
    """ISO 8601 date or date-time; without an offset it is read in the desk's zone."""
    s = str(text).strip()
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            t = time(23, 59, 59) if end_of_day else time(0, 0)
            dt = datetime.combine(d, t, tzinfo=tz)
        else:
            dt = datetime.fromisoformat(s.replace(" ", "T", 1))
    except ValueError:
        raise InvalidValue(f"invalid date {text!r}",
                           "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[+03:00]") from None
    check_year(dt, text)
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def parse_date(text: str) -> date:
    try:
        d = date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidValue(f"invalid date {text!r}", "use YYYY-MM-DD") from None
    check_year(d, text)
    return d


def iso(dt: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 with offset in the desk's zone, to the second."""
    return dt.astimezone(tz).isoformat(timespec="seconds") if dt else None


def load_instant(value: object) -> datetime | None:
    """An instant read back from a file: an ISO string (or a datetime the YAML loader made)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return dt


_LOCAL_STYLES = {
    "datetime": "%d.%m.%Y %H:%M",  # 30.11.2026 14:00: what people read everywhere
    "date": "%d.%m.%Y",  # 30.11.2026
    "journal": "%d.%m.%y %H:%M",  # 30.11.26 14:00: the journal form's lines only
}


def format_local(dt: datetime | str | None, tz: tzinfo, style: str = "datetime") -> str:
    """An instant (or its ISO text) for people, in the desk's zone; '' for None.

    One style everywhere ("datetime", "date"); "journal" is the two-digit year of
    the form of Appendix 1, for lines of the shape ``DD.MM.YY HH:MM \\ text``.
    """
    if dt is None or dt == "":
        return ""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    dt = dt.astimezone(tz)
    if style == "datetime":  # strftime's "%d.%m.%Y %H:%M" spelt out, 3x quicker (issue 13: reports of 100,000 rows)
        return "%02d.%02d.%d %02d:%02d" % (dt.day, dt.month, dt.year, dt.hour, dt.minute)
    return dt.strftime(_LOCAL_STYLES[style])


def single_line(value: str, what: str, *, required: bool = False) -> str:
    """A name, e-mail, phone, organisation…: one line without control characters; not blank if required.

    A line break would split the value in the journal, a file name or a mail header.
    """
    text = str(value)
    if required and not text.strip():
        raise InvalidValue(f"{what} is empty", f"give a value for {what}")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise InvalidValue(f"{what} {text!r} has a line break or control character ({bad!r})",
                           "give it on one line")
    return text
