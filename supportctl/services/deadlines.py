"""Keeps a ticket's stored deadlines (registration_due, due) in step with its SLA policy."""

from __future__ import annotations

from supportctl.desk.desk import Desk
from supportctl.domain.ticket import Ticket


def refresh(desk: Desk, ticket: Ticket) -> None:
    """R-6.6: registration sets `due`; a priority change, pause or reopen moves it."""
    from supportctl.domain.sla import registration_due, resolution_due

    ticket.registration_due = registration_due(ticket, desk.sla)
    ticket.due = resolution_due(ticket, desk.sla) if ticket.priority is not None else None


def calendar_warning(desk: Desk, ticket: Ticket) -> str | None:
    """A deadline in a year whose transfers of days off are not decreed yet may move (CALENDAR.md)."""
    if ticket.due is None:
        return None
    calendar = desk.sla.calendar(desk.sla.policy_for(ticket.plan).calendar)
    year = ticket.due.astimezone(desk.tz).year
    if calendar.transfers_known(year):
        return None
    return (f"warning: {ticket.id} is due in {year}, whose transferred days off are not known yet; "
            "add them as extra_holidays/extra_workdays when they are decreed")
