"""IS-1: a second copy of a request is no new ticket.

A request duplicates an earlier ticket when it comes from the same contact with the same subject
and text (case and spacing aside) within the desk's ``mail.duplicate_window`` of that ticket's
receipt. Mail intake and `new` both ask this module; what they do with a duplicate is theirs
(intake files the mail on the first ticket, `new` refuses unless --force).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportctl.domain.customers import org_key
from supportctl.domain.ticket import Ticket


@dataclass(frozen=True)
class Request:
    """What IS-1 compares of a request: who sent it, when, and a fingerprint of its subject and text."""

    ticket_id: str
    contact: str
    received_at: datetime
    subject: str
    digest: str


def contact_key(email: str | None, name: str | None = None, org: str | None = None) -> str | None:
    """The contact as IS-1 compares it: the e-mail address, else the name within the organisation;
    None when the request names no one (then it is never a duplicate)."""
    if email and email.strip():
        return "mail:" + email.strip().lower()
    if name and name.strip():
        return "name:" + org_key(org or "") + "/" + " ".join(name.casefold().split())
    return None


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def digest(text: str) -> str:
    return hashlib.sha256(norm(text).encode("utf-8", "surrogateescape")).hexdigest()


def request(ticket_id: str, contact: str | None, received_at: datetime | None, subject: str,
            text: str) -> Request | None:
    """The request's fingerprint; None when it names no contact or has no time of receipt."""
    if contact is None or received_at is None:
        return None
    return Request(ticket_id, contact, received_at, norm(subject), digest(text))


def of_ticket(ticket: Ticket, subject: str | None = None) -> Request | None:
    """A ticket's fingerprint (``subject``: the subject as compared, when the caller strips a mail tag)."""
    return request(ticket.id, contact_key(ticket.contact.email, ticket.contact.name, ticket.org),
                   ticket.received_at, ticket.subject if subject is None else subject, ticket.text)


def duplicate_of(new: Request, earlier: Iterable[Request], window: timedelta) -> str | None:
    """The ID of the most recent earlier request that ``new`` repeats within ``window``, or None."""
    found: Request | None = None
    for other in earlier:
        if (other.ticket_id != new.ticket_id and (other.contact, other.subject, other.digest)
                == (new.contact, new.subject, new.digest)
                and abs(new.received_at - other.received_at) <= window
                and (found is None or other.received_at >= found.received_at)):
            found = other
    return found.ticket_id if found else None
