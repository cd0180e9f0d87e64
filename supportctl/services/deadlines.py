"""Keeps a ticket's stored deadlines (registration_due, due) in step with its SLA policy."""

from __future__ import annotations

from supportctl.desk.desk import Desk
from supportctl.domain.ticket import Ticket


def refresh(desk: Desk, ticket: Ticket) -> None:
    """R-6.6: registration sets `due`; a priority change, pause or reopen moves it."""
    from supportctl.domain.sla import set_stored_deadlines

    set_stored_deadlines(ticket, desk.sla)


def calendar_warning(desk: Desk, ticket: Ticket) -> str | None:
    """A deadline in a year whose transfers of days off are not decreed yet may move (docs/sla.md)."""
    if ticket.due is None:
        return None
    calendar = desk.sla.calendar(desk.sla.policy_for(ticket.plan).calendar)
    year = ticket.due.astimezone(desk.tz).year
    if calendar.transfers_known(year):
        return None
    return (f"warning: {ticket.id} is due in {year}, whose transferred days off are not known yet; "
            "add them as extra_holidays/extra_workdays when they are decreed")


def _target_words(target: str) -> str:
    """'3h' → '3-hour', '90m' → '90-minute', '5d' → '5-day'."""
    unit = {"m": "minute", "h": "hour", "d": "day"}.get(target[-1:], "")
    return f"{target[:-1]}-{unit}" if unit else target


def late_registration(desk: Desk, ticket: Ticket, now) -> str | None:
    """R-6.6: how late a registration came, in working time; None when in time."""
    from supportctl.domain.values import format_minutes
    from supportctl.services.views import sla_of

    timer = sla_of(desk, ticket, now).registration
    if timer is None or timer.state != "missed":
        return None
    late = -timer.to_dict()["remaining_minutes"]
    return (f"warning: registered {format_minutes(late)} after the {_target_words(timer.target)} "
            "registration deadline (R-6.6)")


def priority_warnings(desk: Desk, old_priority: int | None, ticket: Ticket, now) -> list[str]:
    """R-6.1 after a priority change: a raised priority whose deadline (counted from receipt) has
    already passed is breached at once; a lowered one moves the deadline, never a breach that happened."""
    from supportctl.domain.values import format_local
    from supportctl.services.views import sla_of

    if old_priority is None or ticket.priority is None or ticket.priority == old_priority:
        return []
    warnings = []
    sla = sla_of(desk, ticket, now)
    for name in ("first_response", "resolution"):
        timer = getattr(sla, name)
        if timer is None or timer.stopped_at is not None:
            continue
        label = "" if name == "resolution" else " (first response)"
        breaches = timer.breaches
        if ticket.priority < old_priority and timer.deadline < now:
            warnings.append(f"warning: {ticket.id} is breached at once{label}: under priority "
                            f"{ticket.priority} it was due {format_local(timer.deadline, desk.tz)}")
        elif ticket.priority > old_priority:
            for deadline, priority in breaches:
                if priority != ticket.priority:
                    warnings.append(f"warning: {ticket.id} was breached{label} at {format_local(deadline, desk.tz)} "
                                    f"under priority {priority}; the breach stays on record whatever the "
                                    "priority is now (R-6.1)")
    return warnings
