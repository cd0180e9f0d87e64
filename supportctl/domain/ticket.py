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

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "position": self.position, "phone": self.phone, "email": self.email}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Contact":
        d = d or {}
        return cls(**{k: d.get(k) for k in ("name", "position", "phone", "email")})


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
    rating: int | None = None
    spent_minutes: int = 0
    eta: Eta | None = None
    pauses: list[Pause] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Not yet finished for the customer: new, open or waiting."""
        return self.status in ("new", "open", "waiting")

    def open_pause(self) -> Pause | None:
        if self.pauses and self.pauses[-1].end is None:
            return self.pauses[-1]
        return None
