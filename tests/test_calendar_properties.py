"""Property tests of the working-time algebra (issue 3; rules R-1.5, R-5.1, R-6.2-6.5)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.domain.calendar import WorkingCalendar, calendar_spec_from_config
from supportctl.domain.sla import compute_timer, parse_target
from supportctl.domain.ticket import Pause

WEEKDAYS_9_TO_6 = {day: "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}
CALENDARS = {
    "regulation": WorkingCalendar(calendar_spec_from_config("regulation", {})),
    "short": WorkingCalendar(calendar_spec_from_config("short", {"preholiday_short": True})),
    "lunch": WorkingCalendar(calendar_spec_from_config(
        "lunch", {"hours": {day: ["09:00-13:00", "14:00-18:00"] for day in WEEKDAYS_9_TO_6}})),
    "berlin": WorkingCalendar(calendar_spec_from_config(
        "berlin", {"timezone": "Europe/Berlin", "country": "DE", "hours": WEEKDAYS_9_TO_6})),
    "berlin_nights": WorkingCalendar(calendar_spec_from_config(
        "berlin_nights", {"timezone": "Europe/Berlin", "country": None,
                          "hours": {"sat": "20:00-24:00", "sun": ["00:00-06:00", "22:00-24:00"]}})),
    "24x7": WorkingCalendar(calendar_spec_from_config("24x7", {"timezone": "Europe/Berlin"})),
}
REGULATION = CALENDARS["regulation"]
MICROSECOND = timedelta(microseconds=1)

calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)
instants = st.datetimes(
    min_value=datetime(2023, 6, 1), max_value=datetime(2029, 1, 1),
    timezones=st.sampled_from([ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")]),
    allow_imaginary=False,
)
durations = st.timedeltas(min_value=MICROSECOND, max_value=timedelta(hours=400))
day_counts = st.integers(min_value=1, max_value=30)


def is_closing_time(calendar: WorkingCalendar, t: datetime) -> bool:
    return calendar.is_working(t - MICROSECOND) and not calendar.is_working(t)


@settings(deadline=None)
@given(calendars, instants, durations)
def test_adding_then_measuring_gives_back_the_duration(calendar, start, duration):
    """R-5.1: between(start, add(start, d)) == d."""
    assert calendar.between(start, calendar.add(start, duration)) == duration


@settings(deadline=None)
@given(calendars, instants, instants, durations)
def test_add_is_monotonic_in_the_start(calendar, a, b, duration):
    early, late = sorted((a, b))
    assert calendar.add(early, duration) <= calendar.add(late, duration)


@settings(deadline=None)
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_in_the_duration(calendar, start, d1, d2):
    shorter, longer = sorted((d1, d2))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(deadline=None)
@given(calendars, instants, durations)
def test_a_result_is_working_time_or_a_closing_time(calendar, start, duration):
    """The boundary rule: never a later opening, never inside non-working time."""
    result = calendar.add(start, duration)
    assert calendar.is_working(result) or is_closing_time(calendar, result)
    assert result.tzinfo is calendar.zone


@settings(deadline=None)
@given(calendars, instants)
def test_next_opening_is_working_and_skips_no_work(calendar, t):
    opening = calendar.next_opening(t)
    assert opening >= t
    assert calendar.is_working(opening)
    assert calendar.between(t, opening) == timedelta(0)


@settings(deadline=None)
@given(calendars, instants, instants, instants)
def test_between_adds_up(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)


@settings(deadline=None)
@given(calendars, instants, day_counts)
def test_days_duration_measures_add_days(calendar, start, n):
    """R-6.4, R-6.5: the deadline of n working days is days_duration of working time away."""
    due = calendar.add_days(start, n)
    assert calendar.between(start, due) == calendar.days_duration(start, n)
    assert calendar.is_working(due) or is_closing_time(calendar, due)


@settings(deadline=None)
@given(calendars, instants, day_counts)
def test_add_days_is_monotonic_in_days(calendar, start, n):
    assert calendar.add_days(start, n) <= calendar.add_days(start, n + 1)


@settings(deadline=None)
@given(instants, day_counts)
def test_regulation_working_days_are_nine_hours(start, n):
    """R-1.5, R-6.4: under 09:00-18:00, N working days are N x 9 h of working time."""
    assert REGULATION.days_duration(start, n) == n * timedelta(hours=9)


@settings(deadline=None)
@given(
    calendars, instants, st.sampled_from(["30m", "3h", "8h", "36h", "1d", "5d", "10d"]),
    st.lists(st.tuples(instants, st.timedeltas(min_value=MICROSECOND, max_value=timedelta(days=5))), max_size=3),
)
def test_timer_at_its_deadline_has_nothing_left(calendar, start, target, holds):
    """R-7.9: the deadline is where the working time outside pauses reaches the target."""
    pauses = [Pause(s, s + length, "customer") for s, length in holds]
    timer = compute_timer(calendar, start, parse_target(target), pauses, None, start, 0.2)
    at_deadline = compute_timer(calendar, start, parse_target(target), pauses, None, timer.deadline, 0.2)
    assert at_deadline.remaining == timedelta(0)
    assert at_deadline.state in ("at_risk", "on_track")
