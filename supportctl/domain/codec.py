"""A ticket and a journal entry as plain data: the ticket file, `show --json` and `import` share it."""

from __future__ import annotations

import reprlib
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from supportctl.domain.ids import ID_RE
from supportctl.domain.journal import Entry
from supportctl.domain.lifecycle import STATUSES
from supportctl.domain.ticket import PRIORITIES, SCHEMA_VERSION, Contact, Eta, Pause, PriorityPeriod, Ticket, problems
from supportctl.domain.values import MAX_MINUTES, YEARS, iso, load_instant

_INSTANTS = ("received_at", "registered_at", "registration_due", "notified_at", "due", "completed_at", "closed_at")


def ticket_to_dict(t: Ticket, tz: tzinfo) -> dict[str, Any]:
    """The public shape of a ticket, keys in a stable order (documented in the README)."""
    return {
        "id": t.id,
        "status": t.status,
        "priority": t.priority,
        "subject": t.subject,
        "text": t.text,
        "org": t.org,
        "contact": t.contact.to_dict(),
        "cc": list(t.cc),
        "contract": t.contract,
        "plan": t.plan,
        "verified": t.verified,
        "unverified_reason": t.unverified_reason,
        "channel": t.channel,
        "category": t.category,
        "product": t.product,
        "assignee": t.assignee,
        "received_at": iso(t.received_at, tz),
        "registered_at": iso(t.registered_at, tz),
        "registration_due": iso(t.registration_due, tz),
        "notified_at": iso(t.notified_at, tz),
        "due": iso(t.due, tz),
        "hold_reason": t.hold_reason,
        "completed_at": iso(t.completed_at, tz),
        "closed_at": iso(t.closed_at, tz),
        "merged_into": t.merged_into,
        "rating": t.rating,
        "spent_minutes": t.spent_minutes,
        "eta": {"date": iso(t.eta.date, tz), "text": t.eta.text} if t.eta else None,
        "pauses": [_pause_to_dict(p, tz) for p in t.pauses],
        "related": list(t.related),
        "attachments": list(t.attachments),
        "message_ids": list(t.message_ids),
        "responded_at": iso(t.responded_at, tz),
        "first_response_due": iso(t.first_response_due, tz),
        "priority_history": [{"priority": h.priority, "since": iso(h.since, tz)} for h in t.priority_history],
    }


def _pause_to_dict(p: Pause, tz: tzinfo) -> dict[str, Any]:
    d = {"start": iso(p.start, tz), "end": iso(p.end, tz), "reason": p.reason}
    if p.until:
        d["until"] = iso(p.until, tz)
    if p.clock_runs:  # only then: pauses written before R-7.9's pause_reasons keep their shape
        d["clock"] = "running"
    return d


def ticket_to_file(t: Ticket, tz: tzinfo) -> dict[str, Any]:
    """The ticket file's mapping: the known keys in order, then the keys it does not know, unchanged."""
    known = {"schema": SCHEMA_VERSION, **ticket_to_dict(t, tz)}
    for key in OPTIONAL_FILE_KEYS:  # written only when set: files of tickets without them keep their shape
        if known[key] is None:
            del known[key]
    return {**known, **{k: v for k, v in t.extra.items() if k not in known}}


# the keys of a ticket file, as ticket_to_file writes them (a test holds the two together)
FILE_KEYS = frozenset((
    "schema", "id", "status", "priority", "subject", "text", "org", "contact", "cc", "contract", "plan", "verified",
    "unverified_reason", "channel", "category", "product", "assignee", "received_at", "registered_at",
    "registration_due", "notified_at", "due", "hold_reason", "completed_at", "closed_at", "rating", "spent_minutes", "eta",
    "pauses", "related", "attachments", "message_ids", "responded_at", "first_response_due", "priority_history",
))
OPTIONAL_FILE_KEYS = ("merged_into",)  # in the file only when set (the JSON of show/list always has them)


def ticket_from_dict(d: dict[str, Any]) -> Ticket:
    """Raises KeyError/ValueError/TypeError on a malformed mapping; callers name the file.

    The one check of a ticket's shape and values (files, the index, `import` and `check` rely
    on it): the rest of the code may take a Ticket's fields at their word.
    """
    if not isinstance(d, dict):
        raise TypeError("a ticket must be a mapping of fields")
    schema = d.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise ValueError(f"schema version {shown(schema)} is not supported (this supportctl reads {SCHEMA_VERSION})")
    _check_shape(d)
    eta = d.get("eta")
    priority = d.get("priority")
    ticket = Ticket(
        id=str(d["id"]),
        status=str(d.get("status") or "new"),
        priority=priority,
        subject=str(d.get("subject") or ""),
        text=str(d.get("text") or ""),
        org=_opt(d.get("org")),
        contact=Contact.from_dict(d.get("contact")),
        contract=_opt(d.get("contract")),
        plan=_opt(d.get("plan")),
        verified=bool(d.get("verified", True)),
        unverified_reason=_opt(d.get("unverified_reason")),
        channel=str(d.get("channel") or "email"),
        category=_opt(d.get("category")),
        product=_opt(d.get("product")),
        assignee=_opt(d.get("assignee")),
        hold_reason=_opt(d.get("hold_reason")),
        rating=d.get("rating"),
        spent_minutes=int(d.get("spent_minutes") or 0),
        eta=Eta(_instant(eta["date"], "eta.date"), str(eta.get("text") or "")) if eta else None,
        pauses=[Pause(_instant(p["start"], "pauses.start"), _instant(p.get("end"), "pauses.end"),
                      str(p.get("reason") or ""), _instant(p.get("until"), "pauses.until"),
                      p.get("clock") == "running")
                for p in d.get("pauses") or []],
        related=[str(x) for x in d.get("related") or []],
        attachments=[str(x) for x in d.get("attachments") or []],
        message_ids=[str(x) for x in d.get("message_ids") or []],
        responded_at=_instant(d.get("responded_at"), "responded_at"),
        first_response_due=_instant(d.get("first_response_due"), "first_response_due"),
        priority_history=[PriorityPeriod(h["priority"], _instant(h["since"], "priority_history.since"))
                          for h in d.get("priority_history") or []],
        merged_into=_merged_into(d.get("merged_into")),
        cc=[str(x).strip().lower() for x in d.get("cc") or []],
        extra={k: v for k, v in d.items() if k not in FILE_KEYS and k not in OPTIONAL_FILE_KEYS},
        **{k: _instant(d.get(k), k) for k in _INSTANTS},
    )
    found = problems(ticket)
    if found:
        raise ValueError("; ".join(found))
    return ticket


def _merged_into(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ValueError(f"merged_into: expected a ticket ID, not {shown(value)}")
    return value


def _instant(value: Any, key: str) -> datetime | None:
    """An instant of a file or an import line, within the years the calendar can compute with."""
    try:
        dt = load_instant(value)
    except ValueError:
        raise ValueError(f"{key}: not a date and time with a UTC offset: {shown(value)}") from None
    if dt is not None and dt.year not in YEARS:
        raise ValueError(f"{key}: the year {dt.year} is out of range ({YEARS[0]} to {YEARS[-1]})")
    return dt


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxlevel = 3


def shown(value: Any) -> str:
    """A bounded repr for error messages: never the whole of a large or deeply nested value."""
    return _SHOWN.repr(value)


_SCALARS = ("id", "subject", "text", "org", "contract", "plan", "unverified_reason", "channel", "category",
            "product", "assignee", "hold_reason", *_INSTANTS)
_LISTS = ("related", "attachments", "message_ids", "pauses", "cc")


def _check_shape(d: dict[str, Any]) -> None:
    """ValueError naming the field whose value a hand edit (or an import line) got wrong."""
    def wrong(key: str, what: str) -> ValueError:
        return ValueError(f"{key}: {what}, not {shown(d[key])}")

    for key in _SCALARS:
        if isinstance(d.get(key), (dict, list, bool)):
            raise wrong(key, "expected a single value")
    if d.get("status") not in (None, "", *STATUSES):
        raise ValueError(f"unknown status {shown(d['status'])} (one of {', '.join(STATUSES)})")
    for key, allowed in (("priority", PRIORITIES), ("rating", range(1, 6))):
        value = d.get(key)
        if value is not None and (type(value) is not int or value not in allowed):
            raise ValueError(f"invalid {key} {shown(value)} ({allowed[0]} to {allowed[-1]}, or none)")
    spent = d.get("spent_minutes")
    if spent is not None and (type(spent) is not int or spent < 0):
        raise wrong("spent_minutes", "expected a whole number of minutes")
    if not isinstance(d.get("verified", True), bool):
        raise wrong("verified", "expected true or false")
    contact = d.get("contact")
    if contact is not None and not (isinstance(contact, dict)
                                    and all(not isinstance(v, (dict, list)) for v in contact.values())):
        raise wrong("contact", "expected name, position, phone and email fields")
    for key in _LISTS:
        value = d.get(key)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(x, dict) if key == "pauses" else
                                              not isinstance(x, (dict, list)) for x in value)):
            raise wrong(key, "expected a list" + (" of start/end/reason fields" if key == "pauses" else " of values"))
    eta = d.get("eta")
    if eta is not None and not (isinstance(eta, dict) and "date" in eta):
        raise wrong("eta", "expected date and text fields")
    for key in ("responded_at", "first_response_due"):
        if isinstance(d.get(key), (dict, list, bool)):
            raise wrong(key, "expected a single value")
    for p in d.get("pauses") or []:
        if p.get("clock") not in (None, "running", "stopped"):
            raise ValueError(f"pauses: clock: expected running or stopped, not {p['clock']!r}")
    history = d.get("priority_history")
    if history is not None and not (
            isinstance(history, list)
            and all(isinstance(h, dict) and type(h.get("priority")) is int and h["priority"] in PRIORITIES
                    and h.get("since") is not None and not isinstance(h["since"], (dict, list, bool))
                    for h in history)):
        raise wrong("priority_history", "expected a list of priority (1 to 4) and since fields")


def ticket_to_row(t: Ticket, tz: tzinfo) -> tuple:
    """The ticket as a flat tuple in field order (the ticket index stores it): nested parts are
    tuples, instants ISO strings as in the file, so `ticket_from_row` needs no key lookups or checks."""
    return (
        t.id, t.status, t.priority, t.subject, t.text, t.org,
        (t.contact.name, t.contact.position, t.contact.phone, t.contact.email),
        t.contract, t.plan, t.verified, t.unverified_reason, t.channel, t.category, t.product, t.assignee,
        iso(t.received_at, tz), iso(t.registered_at, tz), iso(t.registration_due, tz), iso(t.notified_at, tz),
        iso(t.due, tz),
        t.hold_reason, iso(t.completed_at, tz), iso(t.closed_at, tz), t.merged_into, t.rating, t.spent_minutes,
        (iso(t.eta.date, tz), t.eta.text) if t.eta else None,
        tuple((iso(p.start, tz), iso(p.end, tz), p.reason, iso(p.until, tz), p.clock_runs) for p in t.pauses),
        tuple(t.related), tuple(t.attachments), tuple(t.message_ids),
        iso(t.responded_at, tz), iso(t.first_response_due, tz),
        tuple((h.priority, iso(h.since, tz)) for h in t.priority_history),
        tuple(t.cc),
    )


def ticket_from_row(row: tuple) -> Ticket:
    """The ticket `ticket_to_row` made: equal to ``ticket_from_dict(ticket_to_dict(t, tz))``."""
    (id_, status, priority, subject, text, org, contact, contract, plan, verified, unverified_reason, channel,
     category, product, assignee, received_at, registered_at, registration_due, notified_at, due, hold_reason,
     completed_at, closed_at, merged_into, rating, spent_minutes, eta, pauses, related, attachments, message_ids,
     responded_at, first_response_due, priority_history, cc) = row
    instant = datetime.fromisoformat
    return Ticket(
        id_, status, priority, subject, text, org, Contact(*contact), contract, plan, verified, unverified_reason,
        channel, category, product, assignee,
        received_at and instant(received_at), registered_at and instant(registered_at),
        registration_due and instant(registration_due), notified_at and instant(notified_at), due and instant(due),
        hold_reason,
        completed_at and instant(completed_at), closed_at and instant(closed_at), merged_into, rating, spent_minutes,
        Eta(instant(eta[0]), eta[1]) if eta else None,
        [Pause(instant(start), end and instant(end), reason, until and instant(until), runs)
         for start, end, reason, until, runs in pauses],
        list(related), list(attachments), list(message_ids),
        responded_at and instant(responded_at), first_response_due and instant(first_response_due),
        [PriorityPeriod(priority, instant(since)) for priority, since in priority_history],
        list(cc),
    )


def entry_to_dict(e: Entry, tz: tzinfo) -> dict[str, Any]:
    d: dict[str, Any] = {"at": iso(e.at, tz), "by": e.by, "kind": e.kind, "text": e.text,
                         "spent_minutes": e.spent_minutes}
    if e.data:
        d["data"] = e.data
    return d


def entry_from_dict(d: dict[str, Any]) -> Entry:
    """Raises KeyError/ValueError/TypeError on a malformed entry (a journal line, an import's history)."""
    if not isinstance(d, dict):
        raise TypeError("an entry must be a mapping of fields")
    at = _instant(d["at"], "at")
    if at is None:
        raise ValueError("at: no time given")
    spent = d.get("spent_minutes") or 0
    if type(spent) is not int or not 0 <= spent <= MAX_MINUTES:
        raise ValueError(f"spent_minutes: expected a whole number of minutes from 0 to {MAX_MINUTES}, "
                         f"not {shown(spent)}")
    data = d.get("data") or {}
    if not isinstance(data, dict):
        raise TypeError(f"data: expected a mapping, not {shown(data)}")
    return Entry(at=at, by=str(d.get("by") or ""), kind=str(d["kind"]),
                 text=str(d.get("text") or ""), spent_minutes=spent, data=dict(data))


def _opt(v: Any) -> str | None:
    return None if v in (None, "") else str(v)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(dt: datetime | None) -> int | None:
    """An instant as epoch microseconds (exact, unlike a float timestamp)."""
    return None if dt is None else (dt - _EPOCH) // _MICROSECOND


# the fields of a queue row, by position
(Q_ID, Q_STATUS, Q_PRIORITY, Q_RECEIVED, Q_ORG, Q_ASSIGNEE, Q_CHANNEL, Q_MERGED_INTO, Q_SUBJECT, Q_VERIFIED,
 Q_ETA, Q_REGISTRATION_DUE, Q_FIRST_RESPONSE_DUE, Q_DUE, Q_CLOCKS) = range(15)


def ticket_to_queue_row(t: Ticket, tz: tzinfo, sla_config) -> tuple:
    """What `list` and `overdue` print and filter a ticket by, and its SLA clocks (``sla.ticket_clocks``,
    which `report sla` counts too; None when they cannot tell, or without SLA settings): the index stores it
    beside the full row, so that those commands build no Ticket (issue 13). Received as epoch microseconds;
    deadlines as ISO."""
    clocks = None
    if sla_config is not None:
        from supportctl.domain.sla import ticket_clocks

        try:
            clocks = ticket_clocks(t, sla_config)
        except ValueError:  # settings that cannot time this ticket: the full computation says why
            clocks = None
    return (t.id, t.status, t.priority, epoch_us(t.received_at), t.org, t.assignee, t.channel, t.merged_into,
            t.subject, t.verified, t.eta is not None, iso(t.registration_due, tz), iso(t.first_response_due, tz),
            iso(t.due, tz), clocks)
