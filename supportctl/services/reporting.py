"""Reading a desk for the reports, and building one; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from importlib import import_module

from supportctl.desk.desk import Desk
from supportctl.domain.customers import find_customer
from supportctl.domain.journal import Entry, in_time_order
from supportctl.domain.ticket import Ticket
from supportctl.errors import NotFound
from supportctl.reports.model import Report
from supportctl.reports.period import Period, Scope
from supportctl.services.context import Ctx
from supportctl.services.query import Filters, each, each_timed, find

_MODULES = {"sla": "sla_compliance", "time": "time_accounting"}  # report name -> module of supportctl.reports, where they differ


class DeskSource:
    """The desk as reports read it; unreadable files become warnings, not failures."""

    def __init__(self, desk: Desk, now: datetime):
        self.desk = desk
        self.now = now
        self.tz = desk.tz
        self.warnings: list[str] = []
        self._skipped: set[str] = set()

    @property
    def sla(self):
        return self.desk.sla

    def tickets(self, scope: Scope, received_in: Period | None = None, *, merged: bool = False) -> list[Ticket]:
        """``merged``: the duplicates merged into other tickets too; every report but time accounting
        leaves them out (issue 12: their content, mail and clocks went to the ticket they were merged into)."""
        tickets, damaged = find(self.desk, self.filters(scope, received_in, merged=merged))
        self._skip(damaged)
        return tickets

    @staticmethod
    def filters(scope: Scope, received_in: Period | None = None, *, merged: bool = False) -> Filters:
        filters = Filters(org=scope.org, assignee=scope.assignee,  # org matched by org_key, as customers are
                          merged=merged)
        if received_in is not None:
            filters.since = received_in.start
            filters.until = received_in.end - timedelta(microseconds=1) if received_in.end else None
        return filters

    def _skip(self, damaged: list) -> None:
        self.warnings += [f"skipped {d}" for d in damaged if str(d) not in self._skipped]
        self._skipped.update(str(d) for d in damaged)

    def each_ticket(self, scope: Scope, received_in: Period | None = None, *,
                    merged: bool = False) -> Iterator[Ticket]:
        """``tickets`` one at a time, in ID order: for a report that aggregates as it reads (issue 13)."""
        damaged: list = []
        try:
            yield from each(self.desk, self.filters(scope, received_in, merged=merged), damaged)
        finally:
            self._skip(damaged)

    def each_timed(self, scope: Scope, received_in: Period | None = None, *,
                   merged: bool = False) -> Iterator[tuple[tuple, tuple, int]]:
        """The tickets of ``each_ticket`` as (queue row, timers as of now, working time the resolution clock
        stood still) (codec.ticket_to_queue_row; domain/sla.py ClockState, paused_us), in no set order: told
        from the clocks the index stores, no Ticket built for most (issue 13)."""
        damaged: list = []
        try:
            yield from each_timed(self.desk, self.filters(scope, received_in, merged=merged), self.now, damaged,
                                  paused=True)
        finally:
            self._skip(damaged)

    def journal(self, ticket_id: str) -> list[Entry]:
        entries, problems = self.desk.read_journal(ticket_id)
        self.warnings += [str(p) for p in problems]
        return in_time_order(entries)

    def customers(self):
        return self.desk.customers()


def known_org(source: DeskSource, scope: Scope) -> Scope:
    """The scope with --org spelt as the customer register spells it (or as its tickets do);
    an organisation that is neither a customer nor on any ticket is refused, in every report."""
    if not scope.org:
        return scope
    customer = find_customer(source.customers(), org=scope.org)
    if customer is not None:
        return replace(scope, org=customer.org)
    tickets = source.tickets(Scope(Period(None, None, source.tz), org=scope.org))
    if not tickets:
        raise NotFound(f"no customer or ticket of {scope.org!r}", "see the customers with: supportctl customer list")
    return replace(scope, org=tickets[0].org)


def build(ctx: Ctx, name: str, scope: Scope, **options) -> tuple[Report, list[str]]:
    """The report ``name`` of the desk as of ``ctx.now``, and the warnings met while reading."""
    source = DeskSource(ctx.desk, ctx.now)
    scope = known_org(source, scope)
    return build_from(source, name, scope, **options), source.warnings


def build_from(source: DeskSource, name: str, scope: Scope, **options) -> Report:
    """The report ``name`` over a source already made (the static site reads the desk once for all)."""
    module = import_module(f"supportctl.reports.{_MODULES.get(name, name)}")
    return module.build(source, scope, **options)
