"""`import`: move an existing register into the desk, JSON Lines in the shape of `show --json`.

All or nothing: every line is validated before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from supportctl.desk import journal as journal_file
from supportctl.domain import ids
from supportctl.domain.codec import entry_from_dict, ticket_from_dict
from supportctl.domain.journal import Entry
from supportctl.domain.lifecycle import STATUSES
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue, Refused
from supportctl.services import deadlines
from supportctl.services.context import Ctx


@dataclass
class Parsed:
    ticket: Ticket
    history: list[Entry]


def parse_lines(lines: Iterable[str], source: str) -> list[Parsed]:
    parsed: list[Parsed] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError("a line must be a JSON object")
            history = [entry_from_dict(e) for e in data.get("history") or []]
            fields = {k: v for k, v in data.items() if k not in ("history", "sla", "sla_state", "schema")}
            given_id = fields.get("id")
            fields["id"] = ids.validate_id(given_id) if given_id else "X-0"
            ticket = ticket_from_dict(fields)
        except (ValueError, KeyError, TypeError, InvalidValue) as exc:
            raise InvalidValue(f"{where}: {exc}", "nothing was imported; fix the line and run again") from None
        if ticket.status not in STATUSES:
            raise InvalidValue(f"{where}: unknown status {ticket.status!r}", "nothing was imported")
        if ticket.priority is not None and ticket.priority not in (1, 2, 3, 4):
            raise InvalidValue(f"{where}: invalid priority {ticket.priority!r}", "nothing was imported")
        if ticket.received_at is None:
            raise InvalidValue(f"{where}: received_at is required", "nothing was imported")
        if given_id:
            if ticket.id in seen:
                raise InvalidValue(f"{where}: ID {ticket.id} appears twice in the file", "nothing was imported")
            seen.add(ticket.id)
        else:
            ticket.id = ""
        parsed.append(Parsed(ticket, history))
    return parsed


def import_tickets(ctx: Ctx, items: list[Parsed], progress: Callable[[int], None] | None = None) -> list[str]:
    desk = ctx.desk
    desk.tickets_dir.mkdir(exist_ok=True)
    desk.journal_dir.mkdir(exist_ok=True)
    written: list[str] = []
    with desk.lock():
        existing = set(desk.ticket_ids())
        clash = [p.ticket.id for p in items if p.ticket.id and p.ticket.id in existing]
        if clash:
            raise Refused(f"the desk already has ticket {clash[0]}" + (f" and {len(clash) - 1} more" if clash[1:] else ""),
                          "nothing was imported; drop the id field to have new IDs allocated")
        given = frozenset(p.ticket.id for p in items if p.ticket.id)
        fresh = iter(desk.allocate_ids(sum(1 for p in items if not p.ticket.id), reserved=given))
        for p in items:
            t = p.ticket
            t.id = t.id or next(fresh)
            deadlines.refresh(desk, t)
            history = p.history or [Entry(ctx.now, ctx.actor, "imported", "Imported.")]
            desk.save_ticket(t, durable=False)
            journal_file.write_whole(desk.journal_path(t.id), history, desk.tz, durable=False)
            written.append(t.id)
            if progress:
                progress(1)
        os.sync()
    return written
