"""A ticket and a journal entry as plain data: the ticket file, `show --json` and `import` share it."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from supportctl.domain.journal import Entry
from supportctl.domain.ticket import SCHEMA_VERSION, Contact, Eta, Pause, Ticket
from supportctl.domain.values import iso, load_instant

_INSTANTS = ("received_at", "registered_at", "registration_due", "due", "completed_at", "closed_at")


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
        "due": iso(t.due, tz),
        "hold_reason": t.hold_reason,
        "completed_at": iso(t.completed_at, tz),
        "closed_at": iso(t.closed_at, tz),
        "rating": t.rating,
        "spent_minutes": t.spent_minutes,
        "eta": {"date": iso(t.eta.date, tz), "text": t.eta.text} if t.eta else None,
        "pauses": [{"start": iso(p.start, tz), "end": iso(p.end, tz), "reason": p.reason} for p in t.pauses],
        "related": list(t.related),
        "attachments": list(t.attachments),
        "message_ids": list(t.message_ids),
    }


def ticket_to_file(t: Ticket, tz: tzinfo) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, **ticket_to_dict(t, tz)}


def ticket_from_dict(d: dict[str, Any]) -> Ticket:
    """Raises KeyError/ValueError/TypeError on a malformed mapping; callers name the file."""
    if not isinstance(d, dict):
        raise TypeError("a ticket must be a mapping of fields")
    schema = d.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise ValueError(f"schema version {schema!r} is not supported (this supportctl reads {SCHEMA_VERSION})")
    eta = d.get("eta")
    priority = d.get("priority")
    return Ticket(
        id=str(d["id"]),
        status=str(d.get("status") or "new"),
        priority=int(priority) if priority is not None else None,
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
        rating=int(d["rating"]) if d.get("rating") is not None else None,
        spent_minutes=int(d.get("spent_minutes") or 0),
        eta=Eta(load_instant(eta["date"]), str(eta.get("text") or "")) if eta else None,
        pauses=[Pause(load_instant(p["start"]), load_instant(p.get("end")), str(p.get("reason") or ""))
                for p in d.get("pauses") or []],
        related=[str(x) for x in d.get("related") or []],
        attachments=[str(x) for x in d.get("attachments") or []],
        message_ids=[str(x) for x in d.get("message_ids") or []],
        **{k: load_instant(d.get(k)) for k in _INSTANTS},
    )


def entry_to_dict(e: Entry, tz: tzinfo) -> dict[str, Any]:
    d: dict[str, Any] = {"at": iso(e.at, tz), "by": e.by, "kind": e.kind, "text": e.text,
                         "spent_minutes": e.spent_minutes}
    if e.data:
        d["data"] = e.data
    return d


def entry_from_dict(d: dict[str, Any]) -> Entry:
    return Entry(at=load_instant(d["at"]), by=str(d.get("by") or ""), kind=str(d["kind"]),
                 text=str(d.get("text") or ""), spent_minutes=int(d.get("spent_minutes") or 0),
                 data=dict(d.get("data") or {}))


def _opt(v: Any) -> str | None:
    return None if v in (None, "") else str(v)
