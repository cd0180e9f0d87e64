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
    import sqlite3

    from supportctl.desk.index import Where

    tickets: list[Ticket] = []
    damaged: list[DamagedFile] = []

    narrow = Where(statuses=filters.status, received_since=filters.since, received_until=filters.until,
                   org=filters.org, assignee=filters.assignee, merged=filters.merged)
    if filters.grep is not None:  # the search narrows in the same pass over the index (one sync)
        from supportctl.domain.search import parse_query

        narrow.match = parse_query(filters.grep).fts()
    try:
        for item in desk.iter_tickets(narrow):
            if isinstance(item, DamagedFile):
                damaged.append(item)
            elif filters.accepts(item):
                tickets.append(item)
    except (sqlite3.Error, OSError) as exc:
        if narrow.match is None:
            raise
        raise _no_index(exc) from None
    tickets.sort(key=queue_order)
    return tickets, damaged


def search(desk: Desk, text: str, *, statuses: list[str] | None = None, org: str | None = None,
           limit: int | None = None):
    """The tickets whose subject, text or journal match `text` (domain/search.py), best first, with
    snippets."""
    import sqlite3

    from supportctl.desk.index import TicketIndex
    from supportctl.domain.search import parse_query

    query = parse_query(text)
    index = TicketIndex(desk)
    try:
        return index.search(query, statuses=statuses, org=org, limit=limit)
    except (sqlite3.Error, OSError) as exc:
        raise _no_index(exc) from None


def _no_index(exc: Exception) -> Exception:
    from supportctl.desk.index import INDEX_FILE
    from supportctl.errors import DeskDamaged

    return DeskDamaged(f"cannot search: the index .supportctl/{INDEX_FILE} cannot be used ({exc})",
                       "make .supportctl/ writable, or run in a clone you can write to")
