"""Who is copied on a ticket's mail (issue 12, CC): the ``cc`` list of a ticket.

A mail's ``Cc:`` comes from strangers, so only addresses of the ticket's own customer are kept (one of
its contacts in customers.yaml, or an address in one of its domains), never the desk's own addresses
or the contact's own, at most MAX_CC of them, each a plain address of at most MAX_ADDRESS_CHARS,
lower-cased. A person adds or removes addresses with `edit --cc/--no-cc`; each change is journaled.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime

from supportctl.domain import messages
from supportctl.domain.customers import Customer
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue

MAX_CC = 10  # addresses copied on one ticket
MAX_ADDRESS_CHARS = 254  # RFC 5321: the longest address a server accepts in a path
MAX_CANDIDATES = 100  # addresses of one mail's Cc: looked at; the rest of a long list is ignored

_ADDRESS = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                      r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


def normalise(address: object) -> str | None:
    """The address lower-cased, or None when it is no plain address within MAX_ADDRESS_CHARS."""
    text = str(address or "").strip().strip("<>").strip().lower()
    if not text or len(text) > MAX_ADDRESS_CHARS or not _ADDRESS.match(text):
        return None
    return text


def of_customer(address: str, customer: Customer | None) -> bool:
    """The address speaks for ``customer``: one of its contacts', or in one of its domains."""
    if customer is None:
        return False
    return customer.find_contact(email=address) is not None or address.rpartition("@")[2] in customer.domains


def from_mail(addresses: Iterable[str], ticket: Ticket, customer: Customer | None,
              ours: Collection[str] = (), our_domain: str | None = None) -> list[str]:
    """The addresses of a mail's Cc: the ticket keeps, in their order: its customer's, not yet on the
    ticket, not the contact's nor the desk's (``ours``, or in ``our_domain``), within MAX_CC in all."""
    contact = (ticket.contact.email or "").strip().lower()
    room = MAX_CC - len(ticket.cc)
    kept: list[str] = []
    for n, raw in enumerate(addresses):
        if n == MAX_CANDIDATES or len(kept) >= room:
            break
        address = normalise(raw)
        if (address is None or address == contact or address in ours or address in ticket.cc or address in kept
                or (our_domain and address.rpartition("@")[2] == our_domain)
                or not of_customer(address, customer)):
            continue
        kept.append(address)
    return kept


def change(ticket: Ticket, add: Iterable[str], remove: Iterable[str], at: datetime, by: str,
           lang: str = "ru") -> list[Entry]:
    """`edit --cc/--no-cc`: one ``edited`` entry (old → new list) per address that changes the list.
    An address of a person is trusted here (a partner the customer asked to copy); it must still be a
    plain address, not the contact's own, and the list stays within MAX_CC."""
    entries: list[Entry] = []
    contact = (ticket.contact.email or "").strip().lower()
    for raw in remove:
        address = normalise(raw)
        if address is None:
            raise InvalidValue(f"--no-cc: {str(raw)[:80]!r} is not an e-mail address", "give name@example.ru")
        if address in ticket.cc:
            entries.append(_set(ticket, [a for a in ticket.cc if a != address], at, by, lang))
    for raw in add:
        address = normalise(raw)
        if address is None:
            raise InvalidValue(f"--cc: {str(raw)[:80]!r} is not an e-mail address "
                               f"(at most {MAX_ADDRESS_CHARS} characters)", "give name@example.ru")
        if address == contact:
            raise InvalidValue(f"--cc: {address} is the ticket's contact; mail goes to it anyway")
        if address in ticket.cc:
            continue
        if len(ticket.cc) >= MAX_CC:
            raise InvalidValue(f"--cc: a ticket copies at most {MAX_CC} addresses",
                               "remove one first with --no-cc ADDR")
        entries.append(_set(ticket, [*ticket.cc, address], at, by, lang))
    return entries


def _set(ticket: Ticket, new: list[str], at: datetime, by: str, lang: str) -> Entry:
    old, ticket.cc = list(ticket.cc), new
    return Entry(at, by, "edited", messages.edited_text("cc", ", ".join(old), ", ".join(new), lang),
                 data={"field": "cc", "old": old, "new": list(new)})


def problems(cc: list[str]) -> list[str]:
    """What is wrong with a ticket file's ``cc`` (a hand edit): for domain.ticket.problems."""
    found: list[str] = []
    if len(cc) > MAX_CC:
        found.append(f"cc holds {len(cc)} addresses (at most {MAX_CC})")
    for address in cc:
        if normalise(address) != address:
            found.append(f"cc: {str(address)[:80]!r} is not a lower-case e-mail address")
            break
    return found
