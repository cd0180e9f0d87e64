"""The ticket (R-1.4, R-7.7/R-4.2) and its parts: pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1

PRIORITIES = (1, 2, 3, 4)  # .., 1 is the highest


@dataclass
class Contact:
    """The customer's contact person (R-7.7): ФИО, должность, телефон, e-mail."""

    name: str | None = None
    position: str | None = None
    phone: str | None = None
    email: str | None = None
    role: str | None = None  # a customer's contact: e.g. owner (IS-3, `written_only.role`)

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "position": self.position, "phone": self.phone, "email": self.email}
        if self.role:
            d["role"] = self.role
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Contact":
        d = d or {}
        return cls(**{k: d.get(k) for k in ("name", "position", "phone", "email", "role")})


@dataclass
class Pause:
    """An interval in which the resolution clock stood still (R-7.9).

    ``reason`` is a hold reason while the ticket waited on the customer, or
    ``completed`` for the time between completion and a reopen (R-4.8): the
    clock of a reopened ticket continues from where it stopped.
    """

    start: datetime
    end: datetime | None = None
    reason: str = ""
    until: datetime | None = None  # `hold --until`: the desk resumes the ticket once this has passed
    # a hold that is no customer delay (``sla.pause_reasons``) keeps the clock running; decided
    # at hold time and stored (``clock: running``), so a pause already in a file keeps pausing
    clock_runs: bool = False


@dataclass
class PriorityPeriod:
    """R-6.1: a priority and the instant from which it was in force (``priority_history``)."""

    priority: int
    since: datetime


@dataclass
class Eta:
    """An expected-resolution notice (R-6.7)."""

    date: datetime
    text: str


@dataclass
class Ticket:
    """The current state of one ticket; its history is the journal.

    The order of the fields is the order of the keys in the ticket file:
    stable, one field per line, so git merges changes of different fields.
    """

    id: str
    status: str = "new"
    priority: int | None = None
    subject: str = ""
    text: str = ""
    org: str | None = None
    contact: Contact = field(default_factory=Contact)
    contract: str | None = None
    plan: str | None = None
    verified: bool = True
    unverified_reason: str | None = None
    channel: str = "email"
    category: str | None = None
    product: str | None = None
    assignee: str | None = None
    received_at: datetime | None = None
    registered_at: datetime | None = None
    registration_due: datetime | None = None
    notified_at: datetime | None = None  # the registration notice left for the customer
    due: datetime | None = None
    hold_reason: str | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    merged_into: str | None = None  # `merge DUP --into ID`: closed as a duplicate of that ticket
    rating: int | None = None
    spent_minutes: int = 0
    eta: Eta | None = None
    pauses: list[Pause] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    responded_at: datetime | None = None  # the first answer to the customer (reply or complete)
    first_response_due: datetime | None = None
    priority_history: list[PriorityPeriod] = field(default_factory=list)  # written by register/priority
    cc: list[str] = field(default_factory=list)  # the customer's people copied on its mail (domain/cc.py)
    # keys of the ticket file this version does not know (a hand edit, a newer supportctl): carried from
    # the file through load and save, written after the known keys (the ticket index leaves them out)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Not yet finished for the customer: new, open or waiting."""
        return self.status in ("new", "open", "waiting")

    def open_pause(self) -> Pause | None:
        if self.pauses and self.pauses[-1].end is None:
            return self.pauses[-1]
        return None


# A ticket's total time; far beyond any real one (1,900 years of one-year entries), and a bound
# that keeps sums and reports exact.
MAX_SPENT_MINUTES = 1_000_000_000


def problems(t: Ticket) -> list[str]:
    """What makes a ticket inconsistent, whatever its source: every load (desk files, the index),
    `import` and `check` refuse such a ticket (issue 10, item 15). Empty when it is sound."""
    found: list[str] = []
    if t.status != "new" and t.priority is None and not t.merged_into:  # a duplicate may be merged unregistered
        found.append(f"status {t.status} but no priority (never registered)")
    if t.status == "closed" and t.closed_at is None:
        found.append("status closed but no closed_at")
    if t.merged_into and t.status != "closed":
        found.append(f"merged_into {t.merged_into} but status {t.status} (a merged ticket is closed)")
    if t.merged_into == t.id:
        found.append("merged_into names the ticket itself")
    if t.status == "completed" and t.completed_at is None:
        found.append("status completed but no completed_at")
    if not 0 <= t.spent_minutes <= MAX_SPENT_MINUTES:
        found.append(f"spent_minutes {t.spent_minutes} is out of range (0 to {MAX_SPENT_MINUTES})")
    for n, pause in enumerate(t.pauses, 1):
        if pause.end is not None and pause.end < pause.start:
            found.append(f"pause {n} ends before it starts")
        elif pause.end is None and n != len(t.pauses):
            found.append(f"pause {n} is open but is not the last one (only the last pause may be open)")
    from supportctl.domain import cc  # it builds on Ticket

    found += cc.problems(t.cc)
    return found
