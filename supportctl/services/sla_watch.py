"""Watching the deadlines: overdue tickets (R-6.2–6.6) and auto-closing completed ones (R-4.9)."""

from __future__ import annotations

from datetime import timedelta

from supportctl.domain import lifecycle, messages
from supportctl.domain.ticket import Ticket
from supportctl.errors import Refused
from supportctl.services import tickets as ticket_service
from supportctl.services.context import Ctx
from supportctl.services.query import Filters, find

ACTIVE = ["new", "open", "waiting"]


def overdue(ctx: Ctx, within: timedelta | None = None,
            skipped: list | None = None) -> tuple[list[tuple], list[tuple]]:
    """Breached timers, and (with ``within``) those due within that much working time; most urgent first,
    each as (queue row, ClockState) (codec.ticket_to_queue_row, domain/sla.py; issue 13: told from the
    clocks the index stores). Damaged ticket files are added to ``skipped`` (the CLI warns of them)."""
    from supportctl.services.query import find_queue

    breached: list[tuple] = []
    soon: list[tuple] = []
    items, damaged = find_queue(ctx.desk, Filters(status=ACTIVE), ctx.now)
    if skipped is not None:
        skipped += damaged
    limit = None if within is None else within // _MICROSECOND
    for row, states in items:
        for state in states:  # each running timer of the ticket
            if state.stopped:
                continue
            if state.state == "breached":
                breached.append((row, state))
            elif limit is not None and state.state != "paused" and state.remaining_us <= limit:
                soon.append((row, state))
    key = lambda item: (item[1].remaining_us, item[0][2] or 0)  # noqa: E731  (remaining, then priority)
    return sorted(breached, key=key), sorted(soon, key=key)


_MICROSECOND = timedelta(microseconds=1)


def due_for_autoclose(ctx: Ctx, skipped: list | None = None) -> list[Ticket]:
    tickets, damaged = find(ctx.desk, Filters(status=["completed"]))
    if skipped is not None:
        skipped += damaged
    return [t for t in tickets if t.completed_at and ctx.desk.sla.autoclose_at(t.completed_at) <= ctx.now]


def autoclose(ctx: Ctx, dry_run: bool = False, skipped: list | None = None) -> list[Ticket]:
    """R-4.9: close completed tickets the customer has not answered within `autoclose_after`.

    Each ticket is re-read under the desk lock, so a reply or reopen that
    came in meanwhile wins; running it twice closes nothing twice.
    """
    candidates = due_for_autoclose(ctx, skipped)
    if dry_run:
        return candidates
    target = ctx.desk.sla.autoclose_after
    after = messages.duration_text(target.amount, target.unit, ctx.lang)
    closed: list[Ticket] = []

    def close_if_still_due(t: Ticket):
        if t.status != "completed" or not t.completed_at or ctx.desk.sla.autoclose_at(t.completed_at) > ctx.now:
            raise Refused(f"{t.id} changed meanwhile")
        return lifecycle.close(t, None, ctx.now, ctx.actor, ctx.lang,
                               why=messages.text("autoclosed", ctx.lang, after=after))

    for t in candidates:
        try:
            closed.append(ticket_service.mutate(ctx, t.id, close_if_still_due, "autoclosed").ticket)
        except Refused:
            continue
    return closed
