"""`import`: move an existing register into the desk, JSON Lines in the shape of `show --json`.

All or nothing: a first pass validates every line and keeps only the IDs it
brings; the second parses again and writes, so a 100,000-ticket register is
never held in memory whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from supportctl.desk import journal as journal_file
from supportctl.desk import undo
from supportctl.desk.files import BulkWriter
from supportctl.domain import ids, messages
from supportctl.domain.codec import entry_from_dict, ticket_from_dict
from supportctl.domain.customers import find_customer, match
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue, Refused
from supportctl.services import deadlines
from supportctl.services.context import Ctx

Lines = Callable[[], Iterable[str]]  # opens the input afresh for each pass
_NOT_IMPORTED = "nothing was imported; fix the line and run again"


@dataclass
class Parsed:
    ticket: Ticket  # id "" when the line brings none
    history: list[Entry]
    marked_unverified: bool = False  # the line says "verified": false (true is never taken on faith)


@dataclass
class Checked:
    count: int = 0
    given_ids: set[str] = field(default_factory=set)


def parse_line(line: str, where: str) -> Parsed:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise TypeError("a line must be a JSON object")
        history = [entry_from_dict(e) for e in data.get("history") or []]
        fields = {k: v for k, v in data.items() if k not in ("history", "sla", "sla_state", "schema")}
        given_id = fields.get("id")
        fields["id"] = ids.validate_id(given_id) if given_id else ""
        ticket = ticket_from_dict(fields)
    except RecursionError:
        raise InvalidValue(f"{where}: nested too deeply", _NOT_IMPORTED) from None
    except (ValueError, KeyError, TypeError, OverflowError, InvalidValue) as exc:  # incl. ticket.problems
        raise InvalidValue(f"{where}: {exc}", _NOT_IMPORTED) from None
    if ticket.received_at is None:
        raise InvalidValue(f"{where}: received_at is required", _NOT_IMPORTED)
    return Parsed(ticket, history, data.get("verified") is False)


class Customers:
    """customers.yaml for many lines: the customer of each organisation (or address) looked up once."""

    def __init__(self, customers: list):
        self.all = customers
        self._found: dict[tuple, list] = {}

    def of(self, org: str | None, email: str | None) -> list:
        """The customers `match` would consider for this sender: the one it finds, or none."""
        key = (org, email)
        if key not in self._found:
            found = find_customer(self.all, org=org, email=email)
            self._found[key] = [found] if found is not None else []
        return self._found[key]


def match_customer(parsed: Parsed, customers: list | Customers, tz, lang: str) -> None:
    """Item 7 of issue 10 / R-7.7: an imported ticket is matched against customers.yaml as `new` matches
    a new one (contacts, contract and plan from there); one the line marks unverified stays so."""
    from supportctl.services.tickets import NewTicket, _fill_customer

    t = parsed.ticket
    if isinstance(customers, Customers):  # `match` finds the same customer among these
        customers = customers.of(t.org, t.contact.email)
    found = match(customers, org=t.org, name=t.contact.name, email=t.contact.email,
                  on=t.received_at.astimezone(tz).date())
    given_reason = t.unverified_reason
    t.contract = t.plan = None
    _fill_customer(t, NewTicket(subject="", text="", org=t.org, contact=t.contact), found, lang)
    if parsed.marked_unverified and t.verified:
        t.verified, t.plan = False, None
        t.unverified_reason = given_reason or messages.unverified_reason("imported_unverified", lang)


def _numbered(lines: Lines, source: str) -> Iterable[tuple[str, str]]:
    try:
        for n, line in enumerate(lines(), 1):
            if line.strip():
                yield line, f"{source}:{n}"
    except UnicodeDecodeError:
        raise InvalidValue(f"{source}: not UTF-8 text", "convert it to UTF-8; nothing was imported") from None


def check_lines(lines: Lines, source: str, desk=None) -> Checked:
    """The first pass: every line valid, no ID twice, and (given the desk) its deadlines computable;
    raises on the first bad line."""
    checked = Checked()
    customers = Customers(desk.customers() if desk is not None else [])
    for line, where in _numbered(lines, source):
        parsed = parse_line(line, where)
        ticket = parsed.ticket
        if desk is not None:
            match_customer(parsed, customers, desk.tz, desk.config.language)
            try:
                deadlines.refresh(desk, ticket)
            except (ValueError, OverflowError) as exc:
                raise InvalidValue(f"{where}: no deadline can be computed: {exc}", _NOT_IMPORTED) from None
        ticket_id = ticket.id
        if ticket_id:
            if ticket_id in checked.given_ids:
                raise InvalidValue(f"{where}: ID {ticket_id} appears twice in the file", _NOT_IMPORTED)
            checked.given_ids.add(ticket_id)
        checked.count += 1
    return checked


def import_tickets(ctx: Ctx, lines: Lines, source: str, checked: Checked,
                   progress: Callable[[int], None] | None = None) -> list[str]:
    """The second pass, under the desk lock: allocate missing IDs, write tickets and journals."""
    desk = ctx.desk
    desk.tickets_dir.mkdir(exist_ok=True)
    desk.journal_dir.mkdir(exist_ok=True)
    written: list[str] = []
    customers = Customers(desk.customers())
    with desk.lock():
        clash = sorted(checked.given_ids & (set(desk.ticket_ids()) | _journal_ids(desk)))
        if clash:
            raise Refused(f"the desk already has ticket {clash[0]}" + (f" and {len(clash) - 1} more" if clash[1:] else ""),
                          "nothing was imported; drop the id field to have new IDs allocated")
        bulk = undo.ImportRecord(desk)
        bulk.begin()  # before the ID counter moves: a killed import is rolled back by the next command
        files = BulkWriter(desk.tickets_dir, desk.journal_dir)
        try:
            fresh = iter(desk.allocate_ids(checked.count - len(checked.given_ids),
                                           reserved=frozenset(checked.given_ids)))
            for line, where in _numbered(lines, source):
                parsed = parse_line(line, where)
                t = parsed.ticket
                t.id = t.id or next(fresh)
                match_customer(parsed, customers, desk.tz, ctx.lang)
                deadlines.refresh(desk, t)
                history = parsed.history or [Entry(ctx.now, ctx.actor, "imported", messages.text("imported", ctx.lang))]
                text = desk.ticket_text(t)
                journal = journal_file.whole_text(history, desk.tz)
                bulk.will_write(t.id, text, journal)
                written.append(t.id)
                files.write(desk.ticket_path(t.id), text)
                files.write(desk.journal_path(t.id), journal)
                if progress:
                    progress(1)
            os.sync()
        except BaseException:
            bulk.abandon()  # all or nothing: what it wrote goes, the ID counter is as before
            raise
        bulk.finish()
    return written


def _journal_ids(desk) -> set[str]:
    """IDs with a journal file, with or without a ticket: an import must not overwrite either."""
    try:
        names = os.listdir(desk.journal_dir)
    except FileNotFoundError:
        return set()
    return {n[:-5] for n in names if n.endswith(".yaml") and ids.ID_RE.match(n[:-5])}
