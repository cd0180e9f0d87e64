"""Finding tickets: the filters of `list`, in the order of IS-2 (priority, then first in first out)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from supportctl.desk.desk import DamagedFile, Desk
from supportctl.domain.codec import Q_ASSIGNEE, Q_CHANNEL, Q_MERGED_INTO, Q_ORG, Q_PRIORITY, Q_RECEIVED, Q_STATUS
from supportctl.domain.customers import org_key
from supportctl.domain.ticket import Ticket

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
        return self.matches(t.merged_into, t.status, t.priority, t.org, t.assignee, t.channel, t.received_at)

    def narrowed_exactly(self) -> bool:
        """Whether the index's narrowing (``_narrowing``) keeps only what ``accepts`` keeps: it narrows by
        status and by merged_into IS NULL alone, which ``matches`` asks no more of."""
        return not (self.priority or self.org or self.assignee or self.channel or self.since or self.until
                    or self.grep is not None)

    def accepts_row(self, row: tuple) -> bool:
        """``accepts`` for a queue row (codec.ticket_to_queue_row)."""
        received = row[Q_RECEIVED]
        if received is not None and (self.since or self.until):
            received = _EPOCH + timedelta(microseconds=received)
        return self.matches(row[Q_MERGED_INTO], row[Q_STATUS], row[Q_PRIORITY], row[Q_ORG], row[Q_ASSIGNEE],
                            row[Q_CHANNEL], received)

    def matches(self, merged_into: str | None, status: str, priority: int | None, org: str | None,
                assignee: str | None, channel: str, received_at: datetime | None) -> bool:
        if not self.merged and merged_into:
            return False
        if self.status and status not in self.status:
            return False
        if self.priority and priority not in self.priority:
            return False
        if self.org and org_key(org or "") != org_key(self.org):
            return False
        if self.assignee and (assignee or "").casefold() != self.assignee.casefold():
            return False
        if self.channel and channel != self.channel:
            return False
        if self.since and (received_at is None or received_at < self.since):
            return False
        if self.until and (received_at is None or received_at > self.until):
            return False
        return True


def queue_order(t: Ticket) -> tuple:
    """IS-2 and R-4.5: unregistered first (R-6.6 runs), then by priority, then by arrival."""
    return (0 if t.priority is None else t.priority, t.received_at.timestamp() if t.received_at else 0, t.id)


def queue_row_order(row: tuple) -> tuple:
    """``queue_order`` of a queue row (received in exact microseconds: the same order)."""
    return (row[2] or 0, row[3] or 0, row[0])


def find_queue(desk: Desk, filters: Filters, now: datetime) -> tuple[list[tuple], list[DamagedFile]]:
    """``find`` as queue rows, each with its timers as of ``now`` (issue 13): (row, states), in queue order.

    The states come from the clocks the index stores (domain/sla.py clock_states); a ticket they cannot
    tell (an open pause, ``now`` before its last event) is computed in full."""
    damaged: list[DamagedFile] = []
    items = [(row, states) for row, states, _paused in each_timed(desk, filters, now, damaged)]
    items.sort(key=lambda item: queue_row_order(item[0]))
    damaged.sort(key=lambda d: d.path.name)  # in ID order, as `find` gives them
    return items, damaged


def each_timed(desk: Desk, filters: Filters, now: datetime, damaged: list[DamagedFile], *,
               paused: bool = False) -> Iterator[tuple[tuple, tuple, int | None]]:
    """The tickets ``find`` gives as (queue row, its timers as of ``now``, None) in no set order, told from
    the clocks the index stores where they can tell; with ``paused``, the working time the resolution clock
    stood still (domain/sla.py paused_us) in place of None. The damaged files are added to ``damaged``."""
    import sqlite3

    from supportctl.desk.index import TicketIndex
    from supportctl.domain.codec import Q_CLOCKS, Q_ID
    from supportctl.domain.sla import clock_paused_us, clock_states, timed_in_full

    narrow = _narrowing(filters)
    index = TicketIndex(desk)
    sla = None
    accepts = filters.accepts_row
    # rows from the index passed its narrowing; one read from its file (no index) did not
    exact = filters.narrowed_exactly()
    try:
        for item in index.queue(narrow):
            if isinstance(item, DamagedFile):
                damaged.append(item)
                continue
            row, ticket = item
            if not (exact and ticket is None) and not accepts(row):
                continue
            if sla is None:
                sla = desk.sla  # a broken configuration fails here, as the full computation would
            clocks = row[Q_CLOCKS]
            states = clock_states(clocks, sla, now)
            if states is not None:
                yield row, states, clock_paused_us(clocks) if paused else None
                continue
            states, paused_us = timed_in_full(ticket or index.ticket(row[Q_ID]), sla, now)
            yield row, states, paused_us if paused else None
    except (sqlite3.Error, OSError) as exc:
        if narrow.match is None:
            raise
        raise _no_index(exc) from None


def find(desk: Desk, filters: Filters) -> tuple[list[Ticket], list[DamagedFile]]:
    damaged: list[DamagedFile] = []
    tickets = list(each(desk, filters, damaged))
    tickets.sort(key=queue_order)
    return tickets, damaged


def each(desk: Desk, filters: Filters, damaged: list[DamagedFile]) -> Iterator[Ticket]:
    """The tickets ``find`` gives, one at a time in ID order (a report of 100,000 holds none of them);
    the damaged files are added to ``damaged``."""
    import sqlite3

    narrow = _narrowing(filters)
    try:
        for item in desk.iter_tickets(narrow):
            if isinstance(item, DamagedFile):
                damaged.append(item)
            elif filters.accepts(item):
                yield item
    except (sqlite3.Error, OSError) as exc:
        if narrow.match is None:
            raise
        raise _no_index(exc) from None


def _narrowing(filters: Filters):
    from supportctl.desk.index import Where

    narrow = Where(statuses=filters.status, received_since=filters.since, received_until=filters.until,
                   org=filters.org, assignee=filters.assignee, merged=filters.merged)
    if filters.grep is not None:  # the search narrows in the same pass over the index (one sync)
        from supportctl.domain.search import parse_query

        narrow.match = parse_query(filters.grep).fts()
    return narrow


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
