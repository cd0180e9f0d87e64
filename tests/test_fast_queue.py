"""Issue 13: `list` and `overdue` answer from the clocks the index stores (domain/sla.py ticket_clocks),
and agree with the full ``ticket_sla`` (R-6.1-6.6, IS-6, R-7.9) for every ticket and every now."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.domain.sla import (
    clock_paused_us, clock_states, current_of, paused_us, sla_config_from_dict, states_of, ticket_clocks, ticket_sla,
)
from supportctl.domain.ticket import Pause, PriorityPeriod, Ticket

MSK = ZoneInfo("Europe/Moscow")
CONFIGS = {
    "regulation": sla_config_from_dict({}),
    "first_response": sla_config_from_dict({"sla": {"at_risk_share": 0.5, "policies": {"regulation": {
        "first_response": {1: "1h", 2: "2h", "default": "1d"}, "categories": {"layout": "36h"}}}}}),
    "nights": sla_config_from_dict({
        "calendars": {"nights": {"hours": {"sat": "20:00-24:00", "sun": ["00:00-06:00", "22:00-24:00"]},
                                 "country": None}},
        "sla": {"default_policy": "n", "policies": {"n": {"calendar": "nights", "first_response": "90m"}}}}),
}
START = datetime(2026, 2, 2, 9, 0, tzinfo=MSK)  # a Monday, working from 9:00
minutes = st.integers(min_value=0, max_value=60 * 24 * 40)


def at(m: int) -> datetime:
    return START + timedelta(minutes=m)


@st.composite
def tickets(draw) -> Ticket:
    """Tickets of every shape the clocks meet: unregistered (R-6.6), registered, answered (IS-6), waiting
    (open or closed pauses, holds that keep the clock running, R-7.9), completed, closed, merged, with
    priority changes (R-6.1), with and without a category target."""
    t = Ticket(id="T-000001", status="new")
    if draw(st.integers(0, 9)) == 0:
        return t  # no receipt: no timers
    received = draw(minutes)
    t.received_at = at(received)
    t.category = draw(st.sampled_from([None, None, "layout"]))
    steps = sorted(draw(st.lists(minutes, min_size=0, max_size=8)))
    steps = [received + s // 4 for s in steps]
    i = 0

    def step() -> datetime | None:
        nonlocal i
        if i >= len(steps):
            return None
        i += 1
        return at(steps[i - 1])

    if draw(st.booleans()):
        t.registered_at = step()
        if t.registered_at:
            t.status = "open"
            t.priority = draw(st.integers(1, 4))
            t.priority_history = [PriorityPeriod(t.priority, t.registered_at)]
            if draw(st.booleans()):
                since = step()
                if since:
                    t.priority = draw(st.integers(1, 4))
                    t.priority_history.append(PriorityPeriod(t.priority, since))
    for _ in range(draw(st.integers(0, 2))):
        start = step()
        if start is None:
            break
        end = step() if draw(st.booleans()) else None
        t.pauses.append(Pause(start, end, "waiting-customer", clock_runs=draw(st.integers(0, 4)) == 0))
        if end is None:
            t.status = "waiting"
            break
    if draw(st.booleans()):
        t.responded_at = step()
    if t.priority is not None and t.status != "waiting" and draw(st.booleans()):
        t.completed_at = step()
        if t.completed_at:
            t.status = "completed"
            if draw(st.booleans()):
                t.closed_at = step()
                if t.closed_at:
                    t.status = "closed"
                    t.merged_into = draw(st.sampled_from([None, "T-000002"]))
    return t


@settings(max_examples=400, deadline=None)
@given(tickets(), st.sampled_from(sorted(CONFIGS)), st.lists(minutes, min_size=1, max_size=6))
def test_clock_states_are_ticket_sla_at_any_now_R_6(ticket, config_name, nows):
    """The stored clocks give each timer's state, deadline, remaining and elapsed time, stop and breaches
    (R-6.1), and the time the resolution clock stood still (R-7.9), exactly as ticket_sla, for every now at
    or after their instant; before it, or while a clock pause is open, they say they cannot."""
    config = CONFIGS[config_name]
    clocks = ticket_clocks(ticket, config)
    for m in nows:
        for now in (at(m), at(m) + timedelta(microseconds=1), at(m) - timedelta(microseconds=1)):
            states = clock_states(clocks, config, now)
            sla = ticket_sla(ticket, config, now)
            full = states_of(sla, config)
            if states is None:
                assert clocks is None or now < config.calendar(clocks[1]).from_us(clocks[0])
                continue
            assert states == full
            assert clock_paused_us(clocks) == paused_us(ticket, sla, config, now)
            for state, (_name, timer) in zip(states, sla.timers):
                assert (state.elapsed_minutes, state.deadline) == (timer.to_dict()["elapsed_minutes"], timer.deadline)
            assert current_of([(s.name, s.stopped, s.state, s.deadline_us, s) for s in states]) == \
                current_of([(s.name, s.stopped, s.state, s.deadline_us, s) for s in full])


@pytest.mark.parametrize("offset", [0, 1, 60, 179, 180, 181, 60 * 24 * 3])
def test_an_open_registered_ticket_is_told_by_its_clocks_at_each_edge_R_6_6_R_6_2(offset):
    """At the deadline itself a timer is not yet breached; a microsecond later it is (R-6.2); the at-risk
    edge (the last fifth of the target) agrees with ticket_sla too."""
    config = CONFIGS["regulation"]
    t = Ticket(id="T-000001", status="open", priority=1, received_at=START, registered_at=START)
    t.priority_history = [PriorityPeriod(1, START)]
    clocks = ticket_clocks(t, config)
    assert clocks is not None
    deadline = ticket_sla(t, config, START).resolution.deadline
    for now in (START + timedelta(minutes=offset), deadline, deadline + timedelta(microseconds=1),
                deadline - timedelta(minutes=48), deadline - timedelta(minutes=48, microseconds=1)):
        assert clock_states(clocks, config, now) == states_of(ticket_sla(t, config, now), config)


def test_clocks_stored_by_one_process_hold_in_another_whose_calendar_began_elsewhere_R_5_1():
    """The index is written and read by different processes, whose calendars start their working-time
    odometer at the first year each used: the stored clocks must not depend on it."""
    t = Ticket(id="T-000001", status="open", priority=3, received_at=START, registered_at=START,
               priority_history=[PriorityPeriod(3, START)])
    writer = sla_config_from_dict({})
    writer.calendar("regulation").reading(writer.calendar("regulation").to_us(datetime(2024, 3, 1, tzinfo=MSK)))
    clocks = ticket_clocks(t, writer)
    for year in (2023, 2026, 2028):
        reader = sla_config_from_dict({})
        now = datetime(year, 6, 1, 12, tzinfo=MSK) if year != 2026 else START + timedelta(days=3, hours=2)
        reader.calendar("regulation").reading(reader.calendar("regulation").to_us(now))  # begins at now's year
        expected = states_of(ticket_sla(t, sla_config_from_dict({}), now), reader)
        assert clock_states(clocks, reader, now) == (expected if now >= START else None)


def test_an_open_pause_is_left_to_ticket_sla_R_7_9():
    config = CONFIGS["regulation"]
    t = Ticket(id="T-000001", status="waiting", priority=3, received_at=START, registered_at=START,
               pauses=[Pause(at(60), None, "waiting-customer")])
    assert ticket_clocks(t, config) is None
    t.pauses = [Pause(at(60), None, "needs-development", clock_runs=True)]
    assert ticket_clocks(t, config) is not None  # a hold that keeps the clock running changes nothing


# -- the commands: the same output from the stored clocks as from the full computation ------------------

def _busy_desk(cli) -> None:
    """Tickets in every state the queue shows: new (R-6.6 running), registered at each priority, answered
    (IS-6 policy), waiting on the customer (R-7.9, an open pause), on a running hold, resumed, with a lowered
    priority (R-6.1), completed, closed, merged."""
    config = cli.desk_root / "supportctl.yaml"
    text = config.read_text(encoding="utf-8")
    old = "      resolution: {1: 4h, 2: 8h, 3: 5d, 4: 10d}\n"
    assert old in text
    config.write_text(text.replace(old, old + "      first_response: {1: 1h, 2: 2h, default: 1d}\n", 1),
                      encoding="utf-8")

    def new(subject: str, now: str) -> str:
        result = cli("new", "--subject", subject, "--text", "Текст", "--org", "ООО Ромашка", now=now)
        assert result.exit_code == 0, result.output
        return re.findall(r"^T-\d+", result.output, re.M)[-1]

    day = "2025-12-0{}T{}:00+03:00"
    tickets = [new(f"Заявка {n}", day.format(1 + n % 4, f"{9 + n % 8:02d}:{(7 * n) % 60:02d}")) for n in range(14)]
    for n, t in enumerate(tickets[2:], start=2):
        at = day.format(5, f"{9 + n % 8:02d}:00")
        assert cli("register", t, "--priority", str(1 + n % 4), now=at).exit_code == 0
    later = "2025-12-08T11:00:00+03:00"
    cli("reply", tickets[3], "Смотрим.", now=later)
    cli("hold", tickets[4], "Ждём журнал.", "--reason", "customer-delay", now=later)
    cli("hold", tickets[5], "Доработка.", "--reason", "needs-development", now=later)
    cli("hold", tickets[6], "Ждём журнал.", "--reason", "customer-delay", now=later)
    cli("resume", tickets[6], "Журнал пришёл.", now="2025-12-09T10:00:00+03:00")
    cli("priority", tickets[7], "4", "--reason", "Обходной путь", now=later)
    cli("complete", tickets[8], "Готово.", now=later)
    cli("complete", tickets[9], "Готово.", now=later)
    cli("close", tickets[9], now="2025-12-10T10:00:00+03:00")
    cli("merge", tickets[10], "--into", tickets[11], now=later)


@pytest.fixture
def busy(cli, desk):
    cli.desk_root = desk.root
    _busy_desk(cli)
    return cli


COMMANDS = [("overdue",), ("overdue", "--json"), ("overdue", "--within", "8h"), ("overdue", "--within", "5d", "--json"),
            ("list",), ("list", "--all"), ("list", "--overdue"), ("list", "--at-risk"), ("list", "--json"),
            ("list", "--format", "csv"), ("list", "--status", "waiting"), ("list", "-p", "4", "--all"),
            ("list", "--since", "2025-12-02", "--until", "2025-12-03")]
NOWS = ["2025-12-01T12:00:00+03:00", "2025-12-05T12:00:00+03:00", "2025-12-08T11:30:00+03:00",
        "2025-12-09T17:59:00+03:00", "2025-12-15T10:00:00+03:00", "2026-03-01T10:00:00+03:00"]


@pytest.mark.parametrize("now", NOWS)
def test_list_and_overdue_from_stored_clocks_equal_the_full_sla_R_6(busy, monkeypatch, now):
    """Issue 13: every command and format prints the same with the clocks the index stores as with
    ticket_sla computed for every ticket (the clocks made to say they cannot tell)."""
    from supportctl.services import query

    fast = {args: busy(*args, now=now) for args in COMMANDS}
    monkeypatch.setattr(query, "clock_states", lambda *a: None, raising=False)
    import supportctl.domain.sla as sla

    monkeypatch.setattr(sla, "clock_states", lambda *a: None)
    for args, result in fast.items():
        full = busy(*args, now=now)
        assert (result.exit_code, result.output) == (full.exit_code, full.output), args
    assert "breached" in fast[("overdue",)].output or now == NOWS[0]


def test_the_index_holds_clocks_for_the_tickets_and_none_while_waiting_R_7_9(busy, desk):
    """The queue row of a waiting ticket (open pause) has no clocks (its state moves with now); an open
    registered one has them; a closed one too, every timer stopped (`report sla` counts them)."""
    import marshal
    import sqlite3

    from supportctl.desk.index import INDEX_FILE
    from supportctl.domain.codec import Q_CLOCKS, Q_STATUS, Q_SUBJECT

    busy("list", "--all")  # `list` alone would leave the closed ticket's row pending (issue 13)
    db = sqlite3.connect(desk.state_dir / INDEX_FILE)
    rows = {row[Q_SUBJECT]: row for row in (marshal.loads(q) for (q,) in db.execute("SELECT queue FROM tickets"))}
    db.close()
    assert rows["Заявка 4"][Q_STATUS] == "waiting" and rows["Заявка 4"][Q_CLOCKS] is None
    assert rows["Заявка 5"][Q_STATUS] == "waiting" and rows["Заявка 5"][Q_CLOCKS] is not None  # the clock runs
    assert rows["Заявка 2"][Q_STATUS] == "open" and rows["Заявка 2"][Q_CLOCKS] is not None
    assert rows["Заявка 0"][Q_STATUS] == "new" and rows["Заявка 0"][Q_CLOCKS] is not None
    closed = rows["Заявка 9"]
    assert closed[Q_STATUS] == "closed" and closed[Q_CLOCKS] is not None
    assert [(timer[0], timer[1]) for timer in closed[Q_CLOCKS][2]] == [
        ("registration", "missed"), ("first_response", "missed"), ("resolution", "missed")]


def test_without_a_usable_index_list_and_overdue_print_the_same(busy, desk, monkeypatch):
    """A read-only clone: the queue rows are made from the files, with the same output."""
    import sqlite3

    from supportctl.desk.index import TicketIndex

    now = NOWS[3]
    before = {args: busy(*args, now=now).output for args in COMMANDS}

    def no_index(self, journals=True, statuses=None):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(TicketIndex, "_sync", no_index)
    for args, output in before.items():
        assert busy(*args, now=now).output == output, args


@pytest.mark.parametrize("now", NOWS[2:4])
def test_rows_the_index_narrowed_exactly_are_not_filtered_again(busy, monkeypatch, now):
    """Issue 13: with filters the index's narrowing applies exactly (statuses, merged duplicates left
    out), its rows are not passed through ``accepts_row`` again; every command prints the same as with
    each row filtered again."""
    from supportctl.services.query import Filters

    assert Filters(status=["open"], merged=False).narrowed_exactly() and Filters().narrowed_exactly()
    assert not Filters(status=["open"], org="ООО Ромашка").narrowed_exactly()
    commands = [*COMMANDS, ("list", "--status", "open"), ("list", "--status", "closed", "--all"),
                ("list", "--status", "active", "--all"), ("report", "sla", "--all"),
                ("report", "sla", "--all", "--format", "csv")]
    fast = {args: busy(*args, now=now) for args in commands}
    monkeypatch.setattr(Filters, "narrowed_exactly", lambda self: False)
    for args, result in fast.items():
        full = busy(*args, now=now)
        assert (result.exit_code, result.output) == (full.exit_code, full.output), args
    assert "T-" in fast[("list", "--status", "closed", "--all")].output
