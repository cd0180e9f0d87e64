"""Customer notifications of ticket events, handed to the mail channel (R-6.6, R-7.3, R-4.8, R-4.9, R-6.7)."""

from __future__ import annotations

from supportctl.domain.ticket import Ticket
from supportctl.services.context import Ctx


def ticket_event(ctx: Ctx, event: str, ticket: Ticket, **details: object) -> None:
    """Queue the customer's mail for ``event``; the mail channel implements this."""
    return None
