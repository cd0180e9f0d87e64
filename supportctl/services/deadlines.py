"""Keeps a ticket's stored deadlines (registration_due, due) in step with its SLA policy."""

from __future__ import annotations

from supportctl.desk.desk import Desk
from supportctl.domain.ticket import Ticket


def refresh(desk: Desk, ticket: Ticket) -> None:
    """R-6.6: registration sets `due`; a priority change, pause or reopen moves it."""
    from supportctl.domain.sla import registration_due, resolution_due

    ticket.registration_due = registration_due(ticket, desk.sla)
    ticket.due = resolution_due(ticket, desk.sla) if ticket.priority is not None else None
