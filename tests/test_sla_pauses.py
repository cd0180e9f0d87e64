"""Issue 11 §2: only the customer's delay pauses the clock (R-7.9, `sla.pause_reasons`).

Hand-computed on the regulation's calendar: P1 (4 working hours) received Mon 2025-12-01 10:00 is
due 14:00; a hold from 11:00 to 12:00 that pauses moves it to 15:00, one that does not leaves 14:00.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from supportctl.domain import lifecycle
from supportctl.domain.codec import ticket_from_dict, ticket_from_row, ticket_to_dict, ticket_to_row
from supportctl.domain.sla import DEFAULT_PAUSE_REASONS, sla_config_from_dict, ticket_sla
from supportctl.domain.ticket import Pause, Ticket

MSK = ZoneInfo("Europe/Moscow")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def test_by_default_every_reason_but_needs_development_pauses():
    assert "needs-development" not in DEFAULT_PAUSE_REASONS
    assert set(DEFAULT_PAUSE_REASONS) == set(lifecycle.HOLD_REASONS) - {"needs-development"}
    assert sla_config_from_dict({}).pause_reasons == DEFAULT_PAUSE_REASONS


@pytest.mark.parametrize("value, message", [
    ("need-info", "expected a list of hold reasons"),
    (["need-info", "lunch"], "unknown hold reason 'lunch'"),
])
def test_a_bad_pause_reasons_setting_is_named(value, message):
    with pytest.raises(ValueError, match=f"sla.pause_reasons: {message}"):
        sla_config_from_dict({"sla": {"pause_reasons": value}})


# (hold reason, pause_reasons setting or None for the default, deadline, state at 14:30 while held)
CASES = [
    pytest.param("need-info", None, "2025-12-01 15:00", "breached", id="customer delay pauses: due 15:00"),
    pytest.param("needs-development", None, "2025-12-01 14:00", "breached",
                 id="vendor's development does not pause: due 14:00, breached at 14:30"),
    pytest.param("need-info", ["needs-development"], "2025-12-01 14:00", "breached",
                 id="a desk may decide otherwise: need-info keeps running"),
    pytest.param("needs-development", ["needs-development"], "2025-12-01 15:00", "breached",
                 id="...and needs-development pauses"),
]


@pytest.mark.parametrize("reason, setting, due, state", CASES)
def test_pauses_by_reason_R_7_9(reason, setting, due, state):
    sla = sla_config_from_dict({"sla": {"pause_reasons": setting}} if setting is not None else {})
    t = Ticket(id="T-0001", received_at=at("2025-12-01 10:00"))
    lifecycle.register(t, 1, None, at("2025-12-01 10:00"), "a")
    lifecycle.hold(t, reason, "", at("2025-12-01 11:00"), "a", stops_clock=reason in sla.pause_reasons)
    lifecycle.resume(t, "", at("2025-12-01 12:00"), "a")
    timer = ticket_sla(t, sla, at("2025-12-01 15:30")).resolution
    assert timer.deadline == at(due)
    assert timer.state == state


def test_a_running_hold_is_not_paused_and_shows_no_pause():
    t = Ticket(id="T-0001", received_at=at("2025-12-01 10:00"))
    lifecycle.register(t, 1, None, at("2025-12-01 10:00"), "a")
    lifecycle.hold(t, "needs-development", "", at("2025-12-01 11:00"), "a", stops_clock=False)
    timer = ticket_sla(t, sla_config_from_dict({}), at("2025-12-01 13:30")).resolution
    assert (timer.state, timer.pauses, timer.deadline) == ("at_risk", (), at("2025-12-01 14:00"))


def test_the_decision_is_stored_on_the_pause_and_an_old_pause_keeps_pausing():
    """The file says `clock: running` for a hold that does not pause; a pause without the field
    (written before pause_reasons existed) pauses as it always did, even for needs-development."""
    t = Ticket(id="T-0001", received_at=at("2025-12-01 10:00"), priority=1, status="open",
               pauses=[Pause(at("2025-12-01 11:00"), at("2025-12-01 12:00"), "needs-development", clock_runs=True)])
    d = ticket_to_dict(t, MSK)
    assert d["pauses"][0]["clock"] == "running"
    assert ticket_from_dict(yaml.safe_load(yaml.safe_dump(d))) == t
    assert ticket_from_row(ticket_to_row(t, MSK)) == t
    del d["pauses"][0]["clock"]
    old = ticket_from_dict(d)
    assert old.pauses[0].clock_runs is False
    assert ticket_sla(old, sla_config_from_dict({}), at("2025-12-01 13:00")).resolution.deadline == at("2025-12-01 15:00")
    assert ticket_sla(t, sla_config_from_dict({}), at("2025-12-01 13:00")).resolution.deadline == at("2025-12-01 14:00")
    with pytest.raises(ValueError, match="clock"):
        ticket_from_dict({**d, "pauses": [{"start": d["pauses"][0]["start"], "clock": "sometimes"}]})


def test_hold_says_the_clock_keeps_running_and_overdue_sees_it(cli):
    """The issue's example: `hold --reason needs-development` on a P1 left it paused, never in overdue."""
    tid = cli("new", "--subject", "Сбой", "--text", "x").stdout.strip()
    cli("register", tid, "--priority", "1")
    r = cli("hold", tid, "--reason", "needs-development", now="2025-12-01T11:00:00+03:00")
    assert r.exit_code == 0
    assert r.stdout == (f"{tid}: waiting (needs-development), the SLA clock keeps running "
                        "(needs-development is not a customer delay)\n")
    view = json.loads(cli("show", tid, "--json").stdout)
    assert view["status"] == "waiting" and view["pauses"][0]["clock"] == "running"
    assert view["due"] == "2025-12-01T14:00:00+03:00"
    late = cli("overdue", "--json", now="2025-12-01T14:30:00+03:00")
    assert late.exit_code == 1 and json.loads(late.stdout)[0]["id"] == tid
    assert json.loads(cli("journal", tid, "--json").stdout)[-1]["data"] == {"reason": "needs-development",
                                                                             "clock": "running"}
    other = cli("new", "--subject", "a", "--text", "b").stdout.strip()
    cli("register", other, "--priority", "2")
    paused = cli("hold", other, "--reason", "need-info")
    assert "SLA clock paused" in paused.stdout
