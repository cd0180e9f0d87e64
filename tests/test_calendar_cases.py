"""Dated SLA cases: every worked example of docs/sla.md and the edge cases of issue 3.

Each case cites the rule it checks in its id. Deadlines are written as the
ISO instant with its offset, so the zone of the result is checked as well.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from supportctl.domain.calendar import WorkingCalendar
from supportctl.domain.sla import registration_due, resolution_due, sla_config_from_dict
from supportctl.domain.ticket import Pause, Ticket

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_6 = {day: "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}

CONFIG = {
    "timezone": "Europe/Moscow",
    "calendars": {
        "regulation": {"country": "RU", "hours": WEEKDAYS_9_TO_6},
        "short": {"preholiday_short": True},
        "desk": {"extra_holidays": ["2026-12-30"], "extra_workdays": ["2026-01-10"]},
        "lunch": {"hours": {day: ["09:00-13:00", "14:00-18:00"] for day in WEEKDAYS_9_TO_6}},
        "berlin": {"timezone": "Europe/Berlin", "country": "DE", "hours": WEEKDAYS_9_TO_6},
        "berlin_24x7": {"timezone": "Europe/Berlin", "always": True},
        "berlin_nights": {"timezone": "Europe/Berlin", "country": None, "hours": {"sun": "00:00-06:00"}},
    },
    "sla": {
        "policies": {
            "is6": {"calendar": "24x7", "resolution": {1: "4h"}, "categories": {"functional": "24h", "layout": "36h"}},
            "premium": {"calendar": "24x7", "resolution": "3h"},
            "short": {"calendar": "short"},
            "desk": {"calendar": "desk"},
            "lunch": {"calendar": "lunch"},
            "berlin": {"calendar": "berlin"},
            "berlin_24x7": {"calendar": "berlin_24x7", "resolution": {1: "24h", 3: "1d"}},
            "berlin_nights": {"calendar": "berlin_nights", "resolution": {1: "5h", 2: "7h"}},
        }
    },
}
SLA = sla_config_from_dict(CONFIG)


def at(text: str, zone: ZoneInfo = MOSCOW) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def hold(start: str, end: str | None, reason: str = "customer", zone: ZoneInfo = MOSCOW) -> Pause:
    return Pause(at(start, zone), at(end, zone) if end else None, reason)


@dataclass
class Case:
    received: str
    priority: int
    due: str  # ISO with offset, to the minute
    plan: str | None = None
    category: str | None = None
    pauses: list[Pause] = field(default_factory=list)
    first_priority: int | None = None  # set: the priority before a change
    zone: ZoneInfo = MOSCOW


RESOLUTION_CASES = [
    # the worked examples of docs/sla.md
    pytest.param(Case("2025-10-31 17:00", 1, "2025-11-01T12:00+03:00"), id="R-6.2 R-1.5 example: working Saturday 2025-11-01"),
    pytest.param(Case("2025-12-30 15:00", 1, "2026-01-12T10:00+03:00"), id="R-6.2 R-1.5 example: New Year holidays"),
    pytest.param(Case("2025-12-01 14:00", 1, "2025-12-01T18:00+03:00"), id="R-6.2 example: lands at closing, stays 18:00"),
    pytest.param(Case("2025-12-01 17:59", 1, "2025-12-02T12:59+03:00"), id="R-6.2 example: 17:59 carries over"),
    pytest.param(Case("2025-10-29 10:00", 3, "2025-11-06T10:00+03:00"), id="R-6.4 example: 5 working days over Nov 3-4"),
    pytest.param(Case("2025-12-05 18:00", 4, "2025-12-19T18:00+03:00"), id="R-6.5 example: Friday 18:00 + 10 days"),
    pytest.param(Case("2025-12-05 10:00", 2, "2025-12-08T14:00+03:00",
                      pauses=[hold("2025-12-05 15:00", "2025-12-08 11:00")]),
                 id="R-6.3 R-7.9 example: on hold over the weekend"),
    # boundaries of the working day
    pytest.param(Case("2025-12-01 08:59", 1, "2025-12-01T13:00+03:00"), id="R-5.1 08:59 starts at 09:00"),
    pytest.param(Case("2025-12-01 09:00", 1, "2025-12-01T13:00+03:00"), id="R-5.1 09:00 counts"),
    pytest.param(Case("2025-12-01 18:00", 1, "2025-12-02T13:00+03:00"), id="R-5.1 18:00 is after hours"),
    pytest.param(Case("2025-12-05 17:59", 1, "2025-12-08T12:59+03:00"), id="R-5.1 Friday 17:59 over the weekend"),
    pytest.param(Case("2025-12-01 10:00", 2, "2025-12-01T18:00+03:00"), id="R-6.3 8 hours end at closing"),
    pytest.param(Case("2025-12-06 12:00", 2, "2025-12-08T17:00+03:00"), id="R-5.1 received on Saturday"),
    pytest.param(Case("2025-12-01 09:00", 3, "2025-12-05T18:00+03:00"), id="R-6.4 Monday 09:00 + 5 days is Friday 18:00"),
    pytest.param(Case("2025-12-01 10:00", 3, "2025-12-08T10:00+03:00"), id="R-6.4 Monday 10:00 + 5 days is Monday 10:00"),
    # holidays and transfers
    pytest.param(Case("2025-06-12 11:00", 1, "2025-06-16T13:00+03:00"), id="R-1.5 received on a holiday, next day off too"),
    pytest.param(Case("2025-04-30 17:00", 1, "2025-05-05T12:00+03:00"), id="R-1.5 transferred day off 2025-05-02"),
    pytest.param(Case("2026-03-06 17:00", 1, "2026-03-10T12:00+03:00"), id="R-1.5 holiday moved to Monday 2026-03-09"),
    pytest.param(Case("2025-11-01 10:00", 2, "2025-11-01T18:00+03:00"), id="R-1.5 working Saturday 2025-11-01 full day"),
    pytest.param(Case("2025-10-31 10:00", 3, "2025-11-10T10:00+03:00"), id="R-6.4 R-1.5 days count the working Saturday"),
    pytest.param(Case("2024-12-28 17:00", 1, "2025-01-09T12:00+03:00"), id="R-1.5 working Saturday before New Year 2025"),
    pytest.param(Case("2027-02-19 17:00", 1, "2027-02-20T12:00+03:00"), id="R-1.5 decreed working Saturday 2027-02-20"),
    # pauses, priority change, reopen
    pytest.param(Case("2025-12-04 16:00", 1, "2025-12-08T13:00+03:00",
                      pauses=[hold("2025-12-04 17:00", "2025-12-08 10:00")]),
                 id="R-7.9 pause Thursday to Monday"),
    pytest.param(Case("2025-12-05 17:00", 1, "2025-12-08T13:00+03:00",
                      pauses=[hold("2025-12-06 10:00", "2025-12-08 10:00")]),
                 id="R-7.9 pause from the weekend into Monday"),
    pytest.param(Case("2025-12-01 10:00", 1, "2025-12-01T14:00+03:00", first_priority=3),
                 id="R-6.1 priority 3 -> 1 recomputes from receipt"),
    pytest.param(Case("2025-12-05 10:00", 2, "2025-12-08T14:00+03:00", first_priority=4,
                      pauses=[hold("2025-12-05 15:00", "2025-12-08 11:00")]),
                 id="R-6.1 R-7.9 priority 4 -> 2 keeps the pause excluded"),
    pytest.param(Case("2025-12-01 10:00", 2, "2025-12-02T16:00+03:00",
                      pauses=[hold("2025-12-01 12:00", "2025-12-02 10:00", "completed")]),
                 id="R-4.8 reopened: the clock continues where it stopped"),
    # IS-6: round the clock, by category, premium; unknown plan
    pytest.param(Case("2025-12-06 23:00", 4, "2025-12-07T02:00+03:00", plan="premium"),
                 id="IS-6 premium 3h for any type, 24x7"),
    pytest.param(Case("2025-12-05 20:00", 3, "2025-12-06T20:00+03:00", plan="is6", category="functional"),
                 id="IS-6 functional 24h"),
    pytest.param(Case("2025-12-05 20:00", 1, "2025-12-07T08:00+03:00", plan="is6", category="layout"),
                 id="IS-6 layout 36h wins over the priority target"),
    pytest.param(Case("2025-12-31 12:00", 3, "2026-01-01T12:00+03:00", plan="is6", category="functional"),
                 id="IS-6 24x7 works through New Year"),
    pytest.param(Case("2025-12-06 10:00", 1, "2025-12-06T14:00+03:00", plan="is6"),
                 id="IS-6 no category: the priority target, still 24x7"),
    pytest.param(Case("2025-12-01 10:00", 1, "2025-12-01T14:00+03:00", plan="gold"),
                 id="R-1.1 unknown plan gets the default policy"),
    # daylight saving time (Europe/Berlin)
    pytest.param(Case("2025-03-28 14:00", 2, "2025-03-31T13:00+02:00", plan="berlin", zone=BERLIN),
                 id="R-5.1 DST Berlin working hours across spring forward"),
    pytest.param(Case("2025-03-29 12:00", 1, "2025-03-30T13:00+02:00", plan="berlin_24x7", zone=BERLIN),
                 id="R-5.1 DST Berlin 24 real hours over spring forward"),
    pytest.param(Case("2025-03-29 12:00", 3, "2025-03-30T12:00+02:00", plan="berlin_24x7", zone=BERLIN),
                 id="R-6.4 DST Berlin one day is the same clock time"),
    pytest.param(Case("2025-10-25 12:00", 1, "2025-10-26T11:00+01:00", plan="berlin_24x7", zone=BERLIN),
                 id="R-5.1 DST Berlin 24 real hours over fall back"),
    pytest.param(Case("2025-03-30 00:00", 1, "2025-03-30T06:00+02:00", plan="berlin_nights", zone=BERLIN),
                 id="R-5.1 DST night 00-06 lasts 5 hours in spring"),
    pytest.param(Case("2025-03-30 00:00", 2, "2025-04-06T02:00+02:00", plan="berlin_nights", zone=BERLIN),
                 id="R-5.1 DST 7 hours need the next Sunday in spring"),
    pytest.param(Case("2025-10-26 00:00", 2, "2025-10-26T06:00+01:00", plan="berlin_nights", zone=BERLIN),
                 id="R-5.1 DST night 00-06 lasts 7 hours in autumn"),
    # shortened pre-holiday days (Labour Code art. 95)
    pytest.param(Case("2025-11-01 10:00", 2, "2025-11-05T10:00+03:00", plan="short"),
                 id="R-5.1 preholiday_short: Saturday 2025-11-01 ends 17:00"),
    pytest.param(Case("2026-04-30 14:00", 1, "2026-05-04T10:00+03:00", plan="short"),
                 id="R-5.1 preholiday_short: published 2026-04-30"),
    pytest.param(Case("2028-02-22 15:00", 1, "2028-02-24T11:00+03:00", plan="short"),
                 id="R-5.1 preholiday_short: derived 2028-02-22"),
    pytest.param(Case("2028-02-22 15:00", 1, "2028-02-24T10:00+03:00"),
                 id="R-5.1 without preholiday_short 2028-02-22 is a full day"),
    pytest.param(Case("2025-12-08 09:00", 3, "2025-12-12T18:00+03:00", plan="short"),
                 id="R-6.4 preholiday_short: an ordinary week is unchanged"),
    # the desk's own days
    pytest.param(Case("2026-12-29 17:00", 1, "2027-01-11T12:00+03:00", plan="desk"),
                 id="R-1.5 extra_holidays 2026-12-30"),
    pytest.param(Case("2026-12-29 17:00", 1, "2026-12-30T12:00+03:00"),
                 id="R-1.5 without extra_holidays 2026-12-30 works"),
    pytest.param(Case("2026-01-09 12:00", 1, "2026-01-10T13:00+03:00", plan="desk"),
                 id="R-1.5 extra_workdays Saturday 2026-01-10"),
    pytest.param(Case("2026-01-09 12:00", 1, "2026-01-12T13:00+03:00"),
                 id="R-1.5 New Year 2026 holidays end Jan 9"),
    # a lunch break: two periods a day
    pytest.param(Case("2025-12-01 11:00", 1, "2025-12-01T16:00+03:00", plan="lunch"),
                 id="R-5.1 lunch break not counted"),
    pytest.param(Case("2025-12-01 09:00", 1, "2025-12-01T13:00+03:00", plan="lunch"),
                 id="R-5.1 lands on lunch: the earlier closing time"),
]


@pytest.mark.parametrize("case", RESOLUTION_CASES)
def test_resolution_due(case: Case) -> None:
    ticket = Ticket(id="T-1", priority=case.first_priority or case.priority, plan=case.plan,
                    category=case.category, received_at=at(case.received, case.zone), pauses=case.pauses)
    if case.first_priority:
        due_before_change = resolution_due(ticket, SLA)
        ticket.priority = case.priority
        assert resolution_due(ticket, SLA) != due_before_change

    assert resolution_due(ticket, SLA).isoformat(timespec="minutes") == case.due


def test_every_worked_example_of_docs_sla_md_is_a_case_here() -> None:
    """The table of docs/sla.md, "Worked examples", row by row among the regulation's cases above (R-6.2–6.5)."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "sla.md").read_text(encoding="utf-8")
    table = page.split("## Worked examples", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{4}-\d\d-\d\d \d\d:\d\d)[^|]* \| (\d) \| (\d{4}-\d\d-\d\d \d\d:\d\d)", table, re.M)
    assert len(rows) >= 7
    cases = {(c.received, c.priority, c.due) for c in (p.values[0] for p in RESOLUTION_CASES)
             if c.plan is None and c.zone is MOSCOW}
    for received, priority, due in rows:
        assert (received, int(priority), due.replace(" ", "T") + "+03:00") in cases, (received, priority, due)


def test_docs_sla_md_names_the_calendar_data_supportctl_carries() -> None:
    """docs/sla.md, "The calendar": the last decreed year and the published pre-holiday short days are the code's."""
    import re
    from pathlib import Path

    from supportctl.domain.calendar import DECREE_DATA_LAST_YEAR, PREHOLIDAY_DAYS

    page = " ".join((Path(__file__).resolve().parent.parent / "docs" / "sla.md").read_text(encoding="utf-8").split())
    last = DECREE_DATA_LAST_YEAR["RU"]
    assert f"The decree data ends with {last}." in page and f"For {last + 1} and later" in page
    years = sorted(PREHOLIDAY_DAYS["RU"])
    assert f"the published ones for {years[0]}–{years[-1]}" in page
    months = ("January February March April May June July August September October November December").split()
    shown = re.search(r"\(2026: ([^)]*)\)", page).group(1)
    assert shown == ", ".join(f"{d.day} {months[d.month - 1]}" for d in sorted(PREHOLIDAY_DAYS["RU"][2026]))


REGISTRATION_CASES = [
    pytest.param("2025-12-01 16:00", None, "2025-12-02T10:00+03:00", id="R-6.6 3 working hours over the night"),
    pytest.param("2025-12-31 10:00", None, "2026-01-12T12:00+03:00", id="R-6.6 received on a holiday"),
    pytest.param("2025-12-07 23:00", "premium", "2025-12-08T02:00+03:00", id="R-6.6 IS-6 24x7 registration"),
]


@pytest.mark.parametrize("received, plan, due", REGISTRATION_CASES)
def test_registration_due(received: str, plan: str | None, due: str) -> None:
    ticket = Ticket(id="T-1", plan=plan, received_at=at(received))

    assert registration_due(ticket, SLA).isoformat(timespec="minutes") == due


REGULATION = WorkingCalendar(SLA.calendars["regulation"])

WORKING_CASES = [
    pytest.param("2025-12-01 08:59", False, "2025-12-01T09:00+03:00", id="R-5.1 08:59 before opening"),
    pytest.param("2025-12-01 09:00", True, "2025-12-01T09:00+03:00", id="R-5.1 09:00 opening"),
    pytest.param("2025-12-01 17:59", True, "2025-12-01T17:59+03:00", id="R-5.1 17:59 still working"),
    pytest.param("2025-12-05 18:00", False, "2025-12-08T09:00+03:00", id="R-5.1 Friday 18:00 closed till Monday"),
    pytest.param("2025-11-01 08:00", False, "2025-11-01T09:00+03:00", id="R-1.5 working Saturday opens"),
    pytest.param("2025-11-03 10:00", False, "2025-11-05T09:00+03:00", id="R-1.5 transferred day off 2025-11-03"),
    pytest.param("2026-01-01 00:00", False, "2026-01-12T09:00+03:00", id="R-1.5 New Year 2026"),
]


@pytest.mark.parametrize("instant, working, opening", WORKING_CASES)
def test_is_working_and_next_opening(instant: str, working: bool, opening: str) -> None:
    assert REGULATION.is_working(at(instant)) is working
    assert REGULATION.next_opening(at(instant)).isoformat(timespec="minutes") == opening


BETWEEN_CASES = [
    pytest.param("2025-12-05 17:00", "2025-12-08 10:00", 120, id="R-5.1 over a weekend"),
    pytest.param("2025-12-30 15:00", "2026-01-12 10:00", 240, id="R-1.5 over the New Year holidays"),
    pytest.param("2025-12-08 10:00", "2025-12-05 17:00", 0, id="R-5.1 backwards is zero"),
    pytest.param("2025-01-01 00:00", "2026-01-01 00:00", 247 * 9 * 60, id="R-1.5 247 working days in 2025"),
    pytest.param("2024-01-01 00:00", "2025-01-01 00:00", 248 * 9 * 60, id="R-1.5 248 working days in 2024"),
    pytest.param("2026-01-01 00:00", "2028-01-01 00:00", 2 * 247 * 9 * 60, id="R-1.5 247 working days in 2026 and 2027"),
]


@pytest.mark.parametrize("a, b, minutes", BETWEEN_CASES)
def test_between(a: str, b: str, minutes: int) -> None:
    assert REGULATION.between(at(a), at(b)).total_seconds() == minutes * 60


def test_transfers_known_until_the_last_decreed_year() -> None:
    """R-1.5 Reading: transfers are decreed through 2027; later years warn."""
    assert REGULATION.transfers_known(2027)
    assert not REGULATION.transfers_known(2028)
    assert WorkingCalendar(SLA.calendars["24x7"]).transfers_known(2030)
