"""Issue 11 §1: a breach, once it happened, stays (R-6.1, R-6.2–6.5).

Hand-computed on the regulation's calendar (09:00–18:00 Moscow, Mon 2025-12-01 is a working day):
P1 = 4 working hours, P2 = 8, P3 = 5 working days, every target counted from receipt.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from supportctl.domain import lifecycle
from supportctl.domain.codec import ticket_from_dict, ticket_from_row, ticket_to_dict, ticket_to_row
from supportctl.domain.sla import sla_config_from_dict, ticket_sla
from supportctl.domain.ticket import PriorityPeriod, Ticket

MSK = ZoneInfo("Europe/Moscow")
SLA = sla_config_from_dict({})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def iso(text: str) -> str:
    return at(text).isoformat()


def worked(steps: list[tuple[str, int]], received: str = "2025-12-01 10:00") -> Ticket:
    """A ticket registered at receipt with the first priority, then changed at each later step."""
    t = Ticket(id="T-0001", received_at=at(received))
    (first_at, first), *changes = steps
    lifecycle.register(t, first, None, at(first_at), "a")
    for when, priority in changes:
        lifecycle.change_priority(t, priority, "why", at(when), "a")
    return t


# (priority steps, now, completed at, expected state, deadline now in force, expected breaches)
CASES = [
    pytest.param([("2025-12-01 10:00", 1), ("2025-12-01 15:00", 3)], "2025-12-02 10:00", None,
                 "breached", "2025-12-08 10:00", [("2025-12-01 14:00", 1)],
                 id="P1 lowered to P3 after its 14:00 deadline: the breach stays"),
    pytest.param([("2025-12-01 10:00", 1), ("2025-12-01 15:00", 3)], "2025-12-03 10:00", "2025-12-02 11:00",
                 "missed", "2025-12-08 10:00", [("2025-12-01 14:00", 1)],
                 id="...and once completed in time for P3 it is missed, not met"),
    pytest.param([("2025-12-01 10:00", 1), ("2025-12-01 13:00", 3)], "2025-12-03 10:00", "2025-12-02 11:00",
                 "met", "2025-12-08 10:00", [],
                 id="P1 lowered at 13:00, before its deadline: nothing passed while in force"),
    pytest.param([("2025-12-01 10:00", 3), ("2025-12-01 15:00", 1)], "2025-12-01 15:00", None,
                 "breached", "2025-12-01 14:00", [("2025-12-01 14:00", 1)],
                 id="P3 raised to P1 at 15:00: due 14:00 from receipt, breached at once"),
    pytest.param([("2025-12-01 10:00", 3), ("2025-12-01 11:00", 1)], "2025-12-01 13:30", None,
                 "at_risk", "2025-12-01 14:00", [],
                 id="P3 raised to P1 at 11:00: due 14:00, not yet passed"),
    pytest.param([("2025-12-01 10:00", 3), ("2025-12-02 10:00", 2)], "2025-12-02 10:00", None,
                 "breached", "2025-12-01 18:00", [("2025-12-01 18:00", 2)],
                 id="P3 raised to P2 next day: 8 working hours from receipt ended Mon 18:00, before the change"),
    pytest.param([("2025-12-01 10:00", 1), ("2025-12-01 12:00", 3), ("2025-12-01 15:00", 1)],
                 "2025-12-01 16:00", None, "breached", "2025-12-01 14:00", [("2025-12-01 14:00", 1)],
                 id="P1 lowered before 14:00, raised back at 15:00: breached at once, listed once"),
    pytest.param([("2025-12-01 10:00", 2), ("2025-12-01 17:00", 1), ("2025-12-01 17:30", 4)],
                 "2025-12-02 10:00", None, "breached", "2025-12-15 10:00", [("2025-12-01 14:00", 1)],
                 id="P2 raised to P1 at 17:00 (already past 14:00), then lowered to P4: the P1 breach stays"),
    pytest.param([("2025-12-01 10:00", 1), ("2025-12-01 15:00", 2), ("2025-12-02 10:00", 3)],
                 "2025-12-02 11:00", None, "breached", "2025-12-08 10:00",
                 [("2025-12-01 14:00", 1), ("2025-12-01 18:00", 2)],
                 id="two deadlines passed in force, each kept with its priority"),
]


@pytest.mark.parametrize("steps, now, completed, state, deadline, breaches", CASES)
def test_breaches_are_kept_whatever_the_priority_is_now_R_6_1(steps, now, completed, state, deadline, breaches):
    t = worked(steps)
    if completed:
        lifecycle.complete(t, "готово", None, at(completed), "a")
    timer = ticket_sla(t, SLA, at(now)).resolution
    assert timer.state == state
    assert timer.deadline == at(deadline)
    assert [(d, p) for d, p in timer.breaches] == [(at(d), p) for d, p in breaches]
    assert timer.to_dict()["breaches"] == [{"deadline": iso(d), "priority": p} for d, p in breaches]


def test_a_ticket_without_history_keeps_its_current_priority_all_along():
    """Tickets written before priority_history behave as before: the current priority from receipt."""
    t = Ticket(id="T-0001", received_at=at("2025-12-01 10:00"), registered_at=at("2025-12-01 10:00"),
               priority=3, status="open")
    timer = ticket_sla(t, SLA, at("2025-12-02 10:00")).resolution
    assert (timer.state, timer.breaches) == ("on_track", ())
    t.priority = 1
    assert ticket_sla(t, SLA, at("2025-12-01 15:00")).resolution.breaches == ((at("2025-12-01 14:00"), 1),)


def test_a_change_on_a_ticket_without_history_records_the_old_priority_first():
    t = Ticket(id="T-0001", received_at=at("2025-12-01 10:00"), registered_at=at("2025-12-01 10:05"),
               priority=1, status="open")
    lifecycle.change_priority(t, 3, "не срочно", at("2025-12-01 15:00"), "a")
    assert t.priority_history == [PriorityPeriod(1, at("2025-12-01 10:05")), PriorityPeriod(3, at("2025-12-01 15:00"))]
    timer = ticket_sla(t, SLA, at("2025-12-01 16:00")).resolution
    assert (timer.state, timer.breaches) == ("breached", ((at("2025-12-01 14:00"), 1),))


def test_the_history_goes_through_the_file_and_the_index_row():
    t = worked([("2025-12-01 10:00", 1), ("2025-12-01 15:00", 3)])
    d = ticket_to_dict(t, MSK)
    assert d["priority_history"] == [{"priority": 1, "since": iso("2025-12-01 10:00")},
                                     {"priority": 3, "since": iso("2025-12-01 15:00")}]
    assert ticket_from_dict(yaml.safe_load(yaml.safe_dump(d))) == t
    assert ticket_from_row(ticket_to_row(t, MSK)) == t


@pytest.mark.parametrize("bad", [[{"priority": 7, "since": "2025-12-01T10:00:00+03:00"}], [{"priority": 1}],
                                 "1", [3]])
def test_a_damaged_history_is_named(bad):
    with pytest.raises(ValueError, match="priority_history"):
        ticket_from_dict({"id": "T-0001", "priority_history": bad})


def test_a_category_target_ignores_priority_changes():
    """IS-6 style: a category target wins over the priority, so a priority change moves no deadline."""
    sla = sla_config_from_dict({"sla": {"policies": {"p": {"categories": {"layout": "36h"}, "calendar": "24x7"}}}})
    t = worked([("2025-12-01 10:00", 1), ("2025-12-01 15:00", 3)])
    t.plan, t.category = "p", "layout"
    timer = ticket_sla(t, sla, at("2025-12-02 10:00")).resolution
    assert (timer.state, timer.breaches, timer.deadline) == ("on_track", (), at("2025-12-02 22:00"))


# ---------------------------------------------------------------- through the CLI

def _registered(cli, priority: str, now: str = "2025-12-01T10:00:00+03:00") -> str:
    tid = cli("new", "--subject", "Сбой", "--text", "Не работает", now=now).stdout.strip()
    cli("register", tid, "--priority", priority, now=now)
    return tid


def test_sla_report_and_overdue_keep_a_breach_hidden_by_a_lower_priority_R_6_1(cli):
    """The issue's example: P1 registered Mon 10:00 (due 14:00), lowered to P3 at 15:00."""
    tid = _registered(cli, "1")
    r = cli("priority", tid, "3", "--reason", "не срочно", now="2025-12-01T15:00:00+03:00")
    assert f"{tid} was breached at 01.12.2025 14:00 under priority 1" in r.stderr
    res = json.loads(cli("sla", tid, "--json", now="2025-12-02T10:00:00+03:00").stdout)["resolution"]
    assert res["state"] == "breached" and res["deadline"] == "2025-12-08T10:00:00+03:00"
    assert res["breaches"] == [{"deadline": "2025-12-01T14:00:00+03:00", "priority": 1}]
    text = cli("sla", tid, now="2025-12-02T10:00:00+03:00").stdout
    assert "breached under priority 1: due 01.12.2025 14:00" in text
    od = cli("overdue", "--json", now="2025-12-02T10:00:00+03:00")
    assert od.exit_code == 1 and [(r["id"], r["timer"]) for r in json.loads(od.stdout)] == [(tid, "resolution")]
    cli("complete", tid, "Исправлено", now="2025-12-02T11:00:00+03:00")
    assert json.loads(cli("sla", tid, "--json", now="2025-12-03T10:00:00+03:00").stdout)["resolution"]["state"] \
        == "missed"
    report = json.loads(cli("report", "sla", "--from", "2025-12-01", "--to", "2025-12-07", "--json",
                            now="2025-12-08T10:00:00+03:00").stdout)
    total = report["sections"]["total"][0]
    assert (total["resolved_in_time"], total["resolved_late"]) == (0, 1)
    [row] = report["sections"]["breaches"]
    assert (row["id"], row["priority"], row["deadline"], row["timer_code"]) == \
        (tid, 1, "2025-12-01T14:00:00+03:00", "resolution")


def test_raising_the_priority_past_its_deadline_warns_breached_at_once(cli):
    tid = _registered(cli, "3")
    r = cli("priority", tid, "1", "--reason", "всё встало", now="2025-12-01T15:00:00+03:00")
    assert r.exit_code == 0
    assert f"supportctl: warning: {tid} is breached at once: under priority 1 it was due 01.12.2025 14:00" \
        in r.stderr
    calm = cli("priority", _registered(cli, "3"), "1", "--reason", "x", now="2025-12-01T11:00:00+03:00")
    assert "breached" not in calm.stderr


def test_a_target_is_counted_from_receipt_not_from_the_change(cli):
    """README: raised Tue 10:00 to P2, the 8 working hours run from Mon 10:00 receipt: due Mon 18:00."""
    tid = _registered(cli, "3")
    r = cli("priority", tid, "2", "--reason", "x", now="2025-12-02T10:00:00+03:00")
    assert "is breached at once: under priority 2 it was due 01.12.2025 18:00" in r.stderr
    assert json.loads(cli("show", tid, "--json").stdout)["due"] == "2025-12-01T18:00:00+03:00"


def test_two_clones_merge_their_priority_changes_and_first_answers():
    """The merge driver: both sides' history entries in time order; the earlier first answer."""
    from supportctl.domain.merge import merge_tickets

    base = worked([("2025-12-01 10:00", 2)])
    ours, theirs = worked([("2025-12-01 10:00", 2)]), worked([("2025-12-01 10:00", 2)])
    lifecycle.change_priority(ours, 1, "x", at("2025-12-01 15:00"), "a")
    lifecycle.reply(ours, "ответ", None, "email", at("2025-12-01 12:00"), "a")
    lifecycle.reply(theirs, "ответ", None, "phone", at("2025-12-01 11:00"), "b")
    merged = merge_tickets(base, ours, theirs)
    assert merged.clean
    assert merged.ticket.priority_history == ours.priority_history
    assert merged.ticket.responded_at == at("2025-12-01 11:00")
