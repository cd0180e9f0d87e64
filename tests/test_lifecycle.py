"""The lifecycle as a table of moves (R-4.5–4.9, R-6.1, R-7.9)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from supportctl.domain import lifecycle
from supportctl.domain.ticket import Pause, Ticket
from supportctl.errors import InvalidValue, Refused

T0 = datetime(2025, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=3)))


def ticket_in(status: str) -> Ticket:
    t = Ticket(id="T-0001", status=status, received_at=T0)
    if status != "new":
        t.priority, t.registered_at = 2, T0
    if status == "waiting":
        t.pauses.append(Pause(start=T0, reason="need-info"))
    if status in ("completed", "closed"):
        t.completed_at = T0
    return t


MOVES = {
    "register": lambda t: lifecycle.register(t, 1, None, T0, "a"),
    "hold": lambda t: lifecycle.hold(t, "need-info", "", T0, "a"),
    "resume": lambda t: lifecycle.resume(t, "", T0, "a"),
    "complete": lambda t: lifecycle.complete(t, "done", None, T0, "a"),
    "close": lambda t: lifecycle.close(t, None, T0, "a"),
    "reopen": lambda t: lifecycle.reopen(t, "still broken", T0, "a"),
}

ALLOWED = {
    ("new", "register"): "open",
    ("open", "hold"): "waiting",
    ("waiting", "resume"): "open",
    ("open", "complete"): "completed",
    ("waiting", "complete"): "completed",
    ("completed", "close"): "closed",
    ("completed", "reopen"): "open",
}


@pytest.mark.parametrize("status", lifecycle.STATUSES)
@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_from_every_status_R_4_5_to_4_9(status, move):
    t = ticket_in(status)
    expected = ALLOWED.get((status, move))
    if expected:
        entries = MOVES[move](t)
        assert t.status == expected
        assert entries and entries[0].by == "a"
    else:
        with pytest.raises(Refused) as err:
            MOVES[move](t)
        assert f"from {status} the allowed moves are" in str(err.value)
        assert t.status == status


def test_hold_pauses_and_resume_ends_the_pause_R_7_9():
    t = ticket_in("open")
    lifecycle.hold(t, "cannot-reproduce", "нет доступа", T0, "a")
    assert t.open_pause() and t.hold_reason == "cannot-reproduce"
    later = T0 + timedelta(hours=2)
    lifecycle.resume(t, "", later, "a")
    assert t.pauses[-1].end == later and t.open_pause() is None and t.hold_reason is None


def test_hold_needs_a_reason_of_R_7_9():
    with pytest.raises(InvalidValue, match="hold reason"):
        lifecycle.hold(ticket_in("open"), "lunch", "", T0, "a")


def test_reopen_continues_the_clock_where_it_stopped_R_4_8():
    t = ticket_in("open")
    lifecycle.complete(t, "готово", None, T0, "a")
    reopened = T0 + timedelta(hours=5)
    lifecycle.reopen(t, "ошибка осталась", reopened, "a")
    assert t.completed_at is None
    assert (t.pauses[-1].start, t.pauses[-1].end, t.pauses[-1].reason) == (T0, reopened, "completed")


def test_reply_accounts_at_least_30_minutes_R_5_2():
    t = ticket_in("open")
    short = lifecycle.reply(t, "ответ", 10, "email", T0, "a")
    long = lifecycle.reply(t, "ответ", 45, "phone", T0, "a")
    assert short[0].spent_minutes == 30 and long[0].spent_minutes == 45
    assert t.spent_minutes == 75


def test_priority_change_needs_reason_and_is_recorded_R_6_1():
    t = ticket_in("open")
    with pytest.raises(InvalidValue):
        lifecycle.change_priority(t, 1, " ", T0, "a")
    [entry] = lifecycle.change_priority(t, 1, "всё стоит", T0, "a")
    assert t.priority == 1 and entry.data == {"old": 2, "new": 1}


def test_priority_of_an_unregistered_ticket_is_refused_R_6_1():
    with pytest.raises(Refused, match="allowed when the ticket is open, waiting"):
        lifecycle.change_priority(ticket_in("new"), 1, "x", T0, "a")
