"""What a report is before it is rendered: titled sections of typed columns, an optional chart.

Rows hold raw values (numbers, datetimes, None); the column's kind says how a
person sees them, and the column's key is the JSON field, so every format
shows the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Protocol

from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.reports.period import Period, Scope

# kinds of column values
TEXT = "text"  # a string; may hold several lines
INT = "int"
PCT = "pct"  # a percentage 0..100 (float) or None when there is nothing to count
HOURS = "hours"  # minutes (int), shown as hours with one decimal
MINUTES = "minutes"  # minutes (int), shown as 1h30m
DATETIME = "datetime"  # an aware datetime, shown by values.format_local (DD.MM.YYYY HH:MM, desk's zone)
NUMBER = "number"  # a float, shown with two decimals
NUMERIC_KINDS = (INT, PCT, HOURS, MINUTES, NUMBER)

# journal kinds of the mail channel's own bookkeeping (a notice queued, a message filed): they stay in
# the ticket's journal but are not progress of the work nor correspondence (IS-4) — the
# correspondence itself is recorded as reply/customer entries
CHANNEL_KINDS = frozenset({"mail"})


@dataclass(frozen=True)
class Column:
    key: str
    heading: tuple[str, str]  # (Russian, English)
    kind: str = TEXT
    blank: tuple[str, str] | None = None  # what people read for a missing value (JSON keeps null)

    def title(self, lang: str) -> str:
        return pick(self.heading, lang)


# one label per missing organisation or assignee, in every report
NO_ORG = ("— не указана —", "— not given —")
UNASSIGNED = ("— не назначен —", "— unassigned —")
ORG = Column("org", ("Организация", "Organisation"), blank=NO_ORG)
ASSIGNEE = Column("assignee", ("Ответственный", "Assignee"), blank=UNASSIGNED)


def blank_last(name: str) -> tuple[bool, str]:
    """Sort key of group names: alphabetical, the group without a name last."""
    return not name, name.casefold()


@dataclass
class Section:
    key: str  # the field of the JSON "sections" object
    title: tuple[str, str] | None  # None: the report's only section, under the report's title
    columns: list[Column]
    rows: list[dict[str, Any]]
    empty: tuple[str, str] = ("Нет данных за период.", "Nothing in the period.")
    json_only: list[Column] = field(default_factory=list)  # fields JSON adds to each row


@dataclass
class Chart:
    """Bars of percentages per label (the HTML SLA report: compliance per week)."""

    title: tuple[str, str]
    labels: list[str]
    series: list[tuple[tuple[str, str], list[float | None]]]


@dataclass
class Report:
    name: str  # journal, sla, workload, time, csat, customer
    title: tuple[str, str]
    scope: Scope
    generated_at: datetime
    sections: list[Section]
    chart: Chart | None = None
    about: list[tuple[str, str]] = field(default_factory=list)  # extra header lines (ru, en)
    extra: dict[str, Any] = field(default_factory=dict)  # further top-level JSON fields

    @property
    def lang(self) -> str:
        return self.scope.lang

    def text(self, pair: tuple[str, str]) -> str:
        return pick(pair, self.lang)


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def by_arrival(tickets: list[Ticket]) -> list[Ticket]:
    """Tickets in the order they were received (the register's order), then by ID."""
    return sorted(tickets, key=lambda t: (t.received_at.timestamp() if t.received_at else 0, t.id))


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


class Source(Protocol):
    """What reports read of a desk (services.reporting.DeskSource); reading never changes it."""

    tz: tzinfo
    now: datetime

    @property
    def sla(self): ...  # domain.sla.SlaConfig

    def tickets(self, scope: Scope, received_in: Period | None = None, *, merged: bool = False) -> list[Ticket]:
        """Tickets of the scope's org and assignee, received in ``received_in`` when given; the duplicates
        merged into other tickets only with ``merged``."""

    def each_ticket(self, scope: Scope, received_in: Period | None = None, *,
                    merged: bool = False) -> Iterator[Ticket]:
        """``tickets`` one at a time, in no set order."""

    def each_timed(self, scope: Scope, received_in: Period | None = None, *,
                   merged: bool = False) -> Iterator[tuple[tuple, tuple, int]]:
        """``each_ticket`` as (queue row, timers as of ``now``, working time the resolution clock stood
        still in microseconds) (domain/codec.py ticket_to_queue_row; domain/sla.py ClockState, paused_us)."""

    def journal(self, ticket_id: str) -> list[Entry]:
        """The ticket's journal in time order."""

    def customers(self) -> list: ...  # domain.customers.Customer
