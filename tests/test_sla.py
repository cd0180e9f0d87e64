"""SLA timers, states, policies and configuration (R-6.1-6.6, R-4.8, R-4.9, R-7.9, IS-6)."""

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from supportctl.domain.calendar import NINE_TO_SIX, WorkingCalendar, calendar_spec_from_config
from supportctl.domain.sla import (
    Target,
    compute_timer,
    parse_target,
    registration_due,
    resolution_due,
    sla_config_from_dict,
    ticket_sla,
)
from supportctl.domain.ticket import Pause, Ticket

MOSCOW = ZoneInfo("Europe/Moscow")
TEMPLATE = Path(__file__).resolve().parents[1] / "supportctl" / "data" / "supportctl.yaml"
REGULATION = WorkingCalendar()
SLA = sla_config_from_dict({})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def p2_timer(now: str, pauses=(), stopped_at: str | None = None):
    """A priority-2 ticket (8 working hours, R-6.3) received Monday 2025-12-01 10:00."""
    return compute_timer(REGULATION, at("2025-12-01 10:00"), "8h", list(pauses),
                         at(stopped_at) if stopped_at else None, at(now))


# ---------------------------------------------------------------- timers and states

def test_on_track_counts_elapsed_and_remaining_working_time():
    """R-6.3: 8 working hours from 10:00 end at 18:00."""
    timer = p2_timer("2025-12-01 12:00")
    assert (timer.state, timer.elapsed, timer.remaining) == ("on_track", hours(2), hours(6))
    assert timer.deadline == at("2025-12-01 18:00")
    assert timer.target == "8h" and timer.target_duration == hours(8)


@pytest.mark.parametrize("now, state", [
    ("2025-12-01 16:24", "on_track"),  # 1h36m left: exactly 20 %, not less
    ("2025-12-01 16:25", "at_risk"),
    ("2025-12-01 18:00", "at_risk"),  # at the deadline itself nothing is left, not yet past it
    ("2025-12-01 18:01", "breached"),
])
def test_at_risk_below_the_share_then_breached_past_the_deadline(now, state):
    """Issue 3: at_risk below 20 % of the target left (at_risk_share), breached past the deadline."""
    assert p2_timer(now).state == state


def test_breached_remaining_is_negative_working_time():
    timer = p2_timer("2025-12-02 10:30")
    assert timer.state == "breached"
    assert timer.remaining == -hours(1.5)


@pytest.mark.parametrize("stopped_at, state", [
    ("2025-12-01 17:00", "met"),
    ("2025-12-01 18:00", "met"),
    ("2025-12-02 09:30", "missed"),
])
def test_a_stopped_clock_is_met_or_missed(stopped_at, state):
    """R-4.8: the resolution clock stops at completion."""
    timer = p2_timer("2025-12-03 12:00", stopped_at=stopped_at)
    assert timer.state == state
    assert timer.stopped_at == at(stopped_at)


def test_elapsed_stops_at_the_stop():
    timer = p2_timer("2025-12-03 12:00", stopped_at="2025-12-01 15:00")
    assert (timer.elapsed, timer.remaining) == (hours(5), hours(3))


def test_paused_while_waiting_and_the_deadline_is_as_if_resumed_now():
    """R-7.9: the clock stands still while the ticket waits on the customer."""
    timer = p2_timer("2025-12-01 15:00", pauses=[Pause(at("2025-12-01 12:00"), None, "customer")])
    assert timer.state == "paused"
    assert timer.elapsed == hours(2)
    assert timer.deadline == at("2025-12-02 12:00")


def test_a_pause_does_not_hide_a_breach():
    timer = compute_timer(REGULATION, at("2025-12-01 10:00"), "4h",
                          [Pause(at("2025-12-01 15:00"), None, "customer")], None, at("2025-12-01 16:00"))
    assert timer.state == "breached"
    assert timer.deadline == at("2025-12-01 14:00")


def test_closed_pauses_are_excluded_from_elapsed():
    pauses = [Pause(at("2025-12-01 11:00"), at("2025-12-01 13:00"), "customer"),
              Pause(at("2025-12-01 14:00"), at("2025-12-01 15:00"), "customer")]
    timer = p2_timer("2025-12-01 16:00", pauses=pauses)
    assert timer.elapsed == hours(3)
    assert timer.deadline == at("2025-12-02 12:00")


def test_overlapping_pauses_count_once():
    pauses = [Pause(at("2025-12-01 11:00"), at("2025-12-01 13:00"), "customer"),
              Pause(at("2025-12-01 12:00"), at("2025-12-01 14:00"), "customer")]
    assert p2_timer("2025-12-01 16:00", pauses=pauses).elapsed == hours(3)


def test_clock_started_after_hours_starts_at_the_next_opening():
    """R-5.1: received Saturday, the clock starts Monday 09:00."""
    timer = compute_timer(REGULATION, at("2025-12-06 12:00"), "8h", [], None, at("2025-12-06 13:00"))
    assert timer.started_at == at("2025-12-08 09:00")
    assert timer.elapsed == timedelta(0)
    assert timer.state == "on_track"


def test_timer_instants_are_in_the_calendar_zone():
    received = datetime(2025, 12, 1, 7, 0, tzinfo=timezone.utc)  # 10:00 in Moscow
    timer = compute_timer(REGULATION, received, "4h", [], received + hours(1), received + hours(2))
    assert timer.started_at.isoformat() == "2025-12-01T10:00:00+03:00"
    assert timer.deadline.isoformat() == "2025-12-01T14:00:00+03:00"
    assert timer.stopped_at.isoformat() == "2025-12-01T11:00:00+03:00"


def test_day_targets_fix_their_working_time_at_the_clock_start():
    """R-6.4: 5 working days = 45 working hours under 09:00-18:00."""
    timer = compute_timer(REGULATION, at("2025-12-01 10:00"), "5d", [], None, at("2025-12-01 10:00"))
    assert timer.target_duration == hours(45)
    assert timer.deadline == at("2025-12-08 10:00")


def test_timer_to_dict_is_json_with_offsets_and_minutes():
    timer = p2_timer("2025-12-01 12:00:30",
                     pauses=[Pause(at("2025-12-01 10:30"), at("2025-12-01 11:00"), "customer")])
    d = timer.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d == {
        "target": "8h", "target_minutes": 480,
        "started_at": "2025-12-01T10:00:00+03:00", "deadline": "2025-12-02T09:30:00+03:00",
        "elapsed_minutes": 90, "remaining_minutes": 389, "state": "on_track", "stopped_at": None,
        "pauses": [{"start": "2025-12-01T10:30:00+03:00", "end": "2025-12-01T11:00:00+03:00",
                    "reason": "customer"}],
        "breaches": [],
    }


# ---------------------------------------------------------------- tickets

def test_ticket_sla_has_both_timers():
    """R-6.6 registration within 3 working hours; R-6.2 resolution within 4."""
    ticket = Ticket(id="T-1", priority=1, received_at=at("2025-12-01 10:00"),
                    registered_at=at("2025-12-01 11:00"))
    sla = ticket_sla(ticket, SLA, at("2025-12-01 12:00"))
    assert sla.policy == "regulation"
    assert (sla.registration.state, sla.registration.deadline) == ("met", at("2025-12-01 13:00"))
    assert (sla.resolution.state, sla.resolution.deadline) == ("on_track", at("2025-12-01 14:00"))
    assert json.loads(json.dumps(sla.to_dict()))["resolution"]["target"] == "4h"


def test_no_resolution_timer_before_a_priority():
    """R-6.1: the priority is assigned at registration."""
    ticket = Ticket(id="T-1", received_at=at("2025-12-01 10:00"))
    assert ticket_sla(ticket, SLA, at("2025-12-01 12:00")).resolution is None
    assert resolution_due(ticket, SLA) is None
    assert registration_due(ticket, SLA) == at("2025-12-01 13:00")


def test_no_timers_without_a_receipt_time():
    ticket = Ticket(id="T-1", priority=1)
    sla = ticket_sla(ticket, SLA, at("2025-12-01 12:00"))
    assert (sla.registration, sla.resolution) == (None, None)
    assert registration_due(ticket, SLA) is None


def test_due_ignores_an_open_pause_until_resumed():
    """R-7.9: on hold `due` stays; on resume it moves by the working time waited."""
    ticket = Ticket(id="T-1", priority=2, received_at=at("2025-12-01 10:00"),
                    pauses=[Pause(at("2025-12-01 12:00"), None, "customer")])
    assert resolution_due(ticket, SLA) == at("2025-12-01 18:00")
    ticket.pauses[-1].end = at("2025-12-01 15:00")
    assert resolution_due(ticket, SLA) == at("2025-12-02 12:00")


def test_reopened_ticket_continues_where_it_stopped():
    """R-4.8: completion to reopen is a pause with reason "completed"."""
    ticket = Ticket(id="T-1", priority=2, received_at=at("2025-12-01 10:00"),
                    pauses=[Pause(at("2025-12-01 12:00"), at("2025-12-03 12:00"), "completed")])
    sla = ticket_sla(ticket, SLA, at("2025-12-03 13:00"))
    assert (sla.resolution.elapsed, sla.resolution.state) == (hours(3), "on_track")
    assert sla.resolution.deadline == at("2025-12-03 18:00")


# ---------------------------------------------------------------- targets

@pytest.mark.parametrize("text, target", [
    ("90m", Target(90, "m")), ("4h", Target(4, "h")), (" 5D ", Target(5, "d")), ("10d", Target(10, "d")),
])
def test_parse_target(text, target):
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["", "0h", "4", "4w", "-1h", "1.5h", "h", 4, None])
def test_parse_target_rejects(text):
    with pytest.raises(ValueError, match="invalid target"):
        parse_target(text)


# ---------------------------------------------------------------- configuration

def test_defaults_are_the_regulation():
    """R-6.2-6.6, R-4.9 and R-5.1 when supportctl.yaml says nothing."""
    policy = SLA.policy_for(None)
    assert policy.calendar == "regulation"
    assert str(policy.registration) == "3h"
    assert [str(policy.resolution_target(p)) for p in (1, 2, 3, 4)] == ["4h", "8h", "5d", "10d"]
    assert SLA.at_risk_share == 0.2
    assert str(SLA.autoclose_after) == "24h" and SLA.autoclose_calendar == "24x7"
    spec = SLA.calendars["regulation"]
    assert (spec.timezone, spec.country, spec.hours[0], spec.hours[5]) == ("Europe/Moscow", "RU", NINE_TO_SIX, ())


def test_the_shipped_template_expresses_is6():
    """IS-6: 24x7, functional 24h, layout 36h; premium plan 3h for any type. Issue 11 §3: these are
    first-response targets (a reaction, not a resolution), and these policies have no resolution timer."""
    sla = sla_config_from_dict(yaml.safe_load(TEMPLATE.read_text(encoding="utf-8")))
    is6, premium = sla.policy_for("is6"), sla.policy_for("premium")
    assert (is6.calendar, premium.calendar) == ("24x7", "24x7")
    assert str(is6.first_response_target(3, "functional")) == "24h"
    assert str(is6.first_response_target(3, "layout")) == "36h"
    assert str(is6.first_response_target(None, None)) == "24h"
    assert {str(premium.first_response_target(p, "layout")) for p in (1, 2, 3, 4, None)} == {"3h"}
    assert not is6.has_resolution and not premium.has_resolution
    assert sla.policy_for("regulation").first_response_target(1) is None
    assert sla.policy_for("regulation") == sla.policy_for(None)


def test_a_named_policy_takes_what_it_does_not_set_from_the_regulation():
    sla = sla_config_from_dict({"sla": {"policies": {"is6": {"calendar": "24x7", "categories": {"layout": "36h"}}}}})
    is6 = sla.policy_for("is6")
    assert str(is6.registration) == "3h"
    assert str(is6.resolution_target(2, "layout")) == "36h"
    assert str(is6.resolution_target(2, "other")) == "8h"
    assert str(is6.resolution_target(2)) == "8h"


def test_unknown_plan_gets_the_default_policy():
    sla = sla_config_from_dict({"sla": {"default_policy": "gold", "policies": {"gold": {"resolution": "2h"}}}})
    assert sla.policy_for("silver").name == "gold"
    assert sla.policy_for(None).name == "gold"


def test_calendars_are_cached_and_take_the_desk_zone():
    sla = sla_config_from_dict({"timezone": "Europe/Berlin", "calendars": {"office": {"country": None}}})
    assert sla.calendar("office") is sla.calendar("office")
    assert sla.calendars["office"].timezone == "Europe/Berlin"
    assert sla.calendars["24x7"].timezone == "Europe/Berlin"
    with pytest.raises(ValueError, match="no calendar 'nowhere'"):
        sla.calendar("nowhere")


def test_autoclose_counts_calendar_time_by_default():
    """R-4.9: 24 hours after completion."""
    assert SLA.autoclose_at(at("2025-12-05 17:00")) == at("2025-12-06 17:00")


def test_autoclose_can_count_working_time():
    sla = sla_config_from_dict({"sla": {"autoclose_calendar": "regulation"}})
    assert sla.autoclose_at(at("2025-12-05 17:00")) == at("2025-12-10 14:00")


@pytest.mark.parametrize("cfg, message", [
    ({"sla": {"colour": 1}}, "sla: unknown key 'colour'"),
    ({"sla": {"policies": {"is6": {"categories": {"layout": "36x"}}}}}, "sla.policies.is6.categories.layout"),
    ({"sla": {"policies": {"is6": {"calendar": "mars"}}}}, "sla.policies.is6.calendar: no calendar 'mars'"),
    ({"sla": {"policies": {"is6": {"resolution": {5: "1h"}}}}}, "unknown priority 5"),
    ({"sla": {"policies": {"is6": {"priority": 1}}}}, "sla.policies.is6: unknown key 'priority'"),
    ({"sla": {"default_policy": "gold"}}, "sla.default_policy: no policy 'gold'"),
    ({"sla": {"at_risk_share": 2}}, "sla.at_risk_share"),
    ({"sla": {"autoclose_after": "soon"}}, "sla.autoclose_after"),
    ({"sla": {"autoclose_calendar": "mars"}}, "sla.autoclose_calendar"),
    ({"sla": {"policies": []}}, "sla.policies: expected a mapping"),
    ({"calendars": {"office": {"hours": {"mon": "25:00-26:00"}}}}, r"calendar 'office': hours.mon: '25:00-26:00'"),
])
def test_bad_sla_config_names_the_key(cfg, message):
    with pytest.raises(ValueError, match=message):
        sla_config_from_dict(cfg)


# ---------------------------------------------------------------- calendar configuration

def test_calendar_config_with_a_lunch_break_and_yaml_dates():
    spec = calendar_spec_from_config("office", {
        "hours": {"mon": ["14:00-18:00", "09:00-13:00"], "sat": None},
        "extra_holidays": [date(2026, 12, 30)], "extra_workdays": ["2026-01-10"],
    })
    assert spec.hours[0] == ((540, 780), (840, 1080))
    assert spec.hours[1:] == ((),) * 6
    assert spec.extra_holidays == {date(2026, 12, 30)} and spec.extra_workdays == {date(2026, 1, 10)}
    assert spec.workday_hours == ((540, 780), (840, 1080))


def test_24x7_always_works():
    spec = calendar_spec_from_config("24x7", {})
    calendar = WorkingCalendar(spec)
    assert spec.always
    assert calendar.is_working(at("2026-01-01 03:00"))
    assert calendar.add(at("2025-12-31 23:00"), hours(3)) == at("2026-01-01 02:00")


@pytest.mark.parametrize("name, d, message", [
    ("office", {"hours": {"mon": "9-18"}}, "hours.mon: '9-18' is not a period"),
    ("office", {"hours": {"mon": "18:00-09:00"}}, "hours.mon: period 18:00-09:00 must open before it closes"),
    ("office", {"hours": {"mon": ["09:00-13:00", "12:00-18:00"]}}, "overlaps"),
    ("office", {"hours": {"monday": "09:00-18:00"}}, "unknown weekday 'monday'"),
    ("office", {"hours": {"sat": None}}, "at least one weekday"),
    ("office", {"hours": "09:00-18:00"}, "hours must map mon..sun"),
    ("office", {"timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
    ("office", {"country": "XX"}, "no country 'XX'"),
    ("office", {"extra_holidays": ["30.12.2026"]}, r"extra_holidays: '30.12.2026' is not a YYYY-MM-DD date"),
    ("office", {"extra_holidays": "2026-12-30"}, "extra_holidays: expected a list"),
    ("office", {"extra_holidays": ["2026-12-30"], "extra_workdays": ["2026-12-30"]}, "both in extra_holidays"),
    ("office", {"preholiday_short": "yes"}, "preholiday_short: expected true or false"),
    ("office", {"workdays": []}, "unknown key 'workdays'"),
    ("24x7", {"hours": {"mon": "09:00-18:00"}}, "works every minute"),
])
def test_bad_calendar_config_names_the_key(name, d, message):
    with pytest.raises(ValueError, match=rf"calendar '{name}': .*{message}"):
        calendar_spec_from_config(name, d)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        REGULATION.add(datetime(2025, 12, 1, 10), hours(1))


def test_negative_durations_are_refused():
    with pytest.raises(ValueError, match="negative"):
        REGULATION.add(at("2025-12-01 10:00"), -hours(1))
    with pytest.raises(ValueError, match="negative"):
        REGULATION.add_days(at("2025-12-01 10:00"), -1)


def test_met_or_missed_compares_real_time_in_the_repeated_dst_hour_R_6_6():
    """Registered 01:59 EDT, due 01:38 EST (the clocks went back in between): 39 minutes early, met."""
    cfg = sla_config_from_dict({"timezone": "America/New_York",
                                "sla": {"policies": {"regulation": {"calendar": "24x7", "registration": "3h"}}}})
    utc = timezone.utc
    t = Ticket(id="T-0001", received_at=datetime(2025, 11, 2, 3, 38, tzinfo=utc),
               registered_at=datetime(2025, 11, 2, 5, 59, tzinfo=utc))
    reg = ticket_sla(t, cfg, datetime(2025, 11, 2, 12, 0, tzinfo=utc)).registration
    assert reg.deadline.isoformat() == "2025-11-02T01:38:00-05:00"
    assert reg.stopped_at.isoformat() == "2025-11-02T01:59:00-04:00"
    assert reg.state == "met"
