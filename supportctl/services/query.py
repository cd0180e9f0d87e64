"""Finding tickets: the filters of `list`, in the order of IS-2 (priority, then first in first out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportctl.desk.desk import DamagedFile, Desk
from supportctl.domain.customers import org_key
from supportctl.domain.ticket import Ticket


@dataclass
class Filters:
    status: list[str] | None = None
    priority: list[int] | None = None
    org: str | None = None
    assignee: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    grep: str | None = None  # a search query (`list --grep`): only the tickets it finds
    merged: bool = True  # duplicates merged into another ticket too (`list` shows them only with --all)

    def accepts(self, t: Ticket) -> bool:
        if not self.merged and t.merged_into:
            return False
        if self.status and t.status not in self.status:
            return False
        if self.priority and t.priority not in self.priority:
            return False
        if self.org and org_key(t.org or "") != org_key(self.org):
            return False
        if self.assignee and (t.assignee or "").casefold() != self.assignee.casefold():
            return False
        if self.channel and t.channel != self.channel:
            return False
        if self.since and (t.received_at is None or t.received_at < self.since):
            return False
        if self.until and (t.received_at is None or t.received_at > self.until):
            return False
        return True


def queue_order(t: Ticket) -> tuple:
    """IS-2 and R-4.5: unregistered first (R-6.6 runs), then by priority, then by arrival."""
    return (0 if t.priority is None else t.priority, t.received_at.timestamp() if t.received_at else 0, t.id)


def find(desk: Desk, filters: Filters) -> tuple[list[Ticket], list[DamagedFile]]:
    tickets: list[Ticket] = []
    damaged: list[DamagedFile] = []
    from supportctl.desk.index import Where

    narrow = Where(statuses=filters.status, received_since=filters.since, received_until=filters.until,
                   org=filters.org, assignee=filters.assignee, merged=filters.merged)
    found = None
    if filters.grep is not None:
        found = search(desk, filters.grep, statuses=filters.status, org=filters.org, ids_only=True)
    for item in desk.iter_tickets(narrow):
        if isinstance(item, DamagedFile):
            damaged.append(item)
        elif (found is None or item.id in found) and filters.accepts(item):
            tickets.append(item)
    tickets.sort(key=queue_order)
    return tickets, damaged


def search(desk: Desk, text: str, *, statuses: list[str] | None = None, org: str | None = None,
           limit: int | None = None, ids_only: bool = False):
    """The tickets whose subject, text or journal match `text` (domain/search.py), best first, with
    snippets; with `ids_only` the set of their IDs."""
    import sqlite3

    from supportctl.desk.index import TicketIndex
    from supportctl.domain.search import parse_query
    from supportctl.errors import DeskDamaged

    query = parse_query(text)
    index = TicketIndex(desk)
    try:
        if ids_only:
            return index.matching_ids(query, statuses=statuses, org=org)
        return index.search(query, statuses=statuses, org=org, limit=limit)
    except (sqlite3.Error, OSError) as exc:
        raise DeskDamaged(f"cannot search: the index {index.path} cannot be used ({exc})",
                          "make .supportctl/ writable, or run in a clone you can write to") from None
