"""The public shape of a ticket with its SLA state (show, list, reports read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportctl.desk.desk import Desk
from supportctl.domain.codec import entry_to_dict, ticket_to_dict
from supportctl.domain.journal import in_time_order
from supportctl.domain.ticket import Ticket
from supportctl.domain.values import iso


def sla_of(desk: Desk, ticket: Ticket, now: datetime):
    from supportctl.domain.sla import ticket_sla

    return ticket_sla(ticket, desk.sla, now)


def current_timer(desk: Desk, ticket: Ticket, now: datetime):
    """The timer lists show: the most urgent running one, else the last to stop (None without receipt)."""
    current = sla_of(desk, ticket, now).current
    return current[1] if current else None


DUE_FIELDS = {"registration": "registration_due", "first_response": "first_response_due", "resolution": "due"}


def queue_state(ticket: Ticket, sla) -> tuple[str | None, datetime | None, set[str]]:
    """What `list` (and the static site's queue) shows of a ticket with its ``sla`` (``sla_of``): the
    state of the current timer, the deadline that runs now (its due column), and the states of every
    running timer (--overdue and --at-risk match any of them)."""
    current = sla.current
    if current is None:
        return None, ticket.due or ticket.registration_due, set()
    name, timer = current
    running = {other.state for _, other in sla.timers if other.stopped_at is None} or {timer.state}
    return timer.state, getattr(ticket, DUE_FIELDS[name]) or ticket.due or ticket.registration_due, running


def ticket_view(desk: Desk, ticket: Ticket, now: datetime, *, history: bool = False) -> dict[str, Any]:
    data = ticket_to_dict(ticket, desk.tz)
    sla = sla_of(desk, ticket, now)
    data["sla_state"] = sla.current[1].state if sla.current else None
    data["sla"] = sla.to_dict()
    if history:
        from supportctl.services.notify import last_notification

        entries, _problems = desk.read_journal(ticket.id)
        ordered = in_time_order(entries)
        data["last_notification"] = last_notification(desk, ticket.id, ordered)
        if data["notified_at"] is None:
            # a ticket registered before notified_at existed: its journal holds the delivery
            data["notified_at"] = next((iso(e.at, desk.tz) for e in ordered if e.kind == "mail"
                                        and isinstance(e.data, dict) and e.data.get("event") == "registered"
                                        and e.data.get("delivered") is True), None)
        data["history"] = [entry_to_dict(e, desk.tz) for e in ordered]
    return data
