"""`report customer ORG`: one customer's tickets, statuses and correspondence (IS-4).

Fit to send to that customer: only its own tickets, and of their journals only
what the customer was told or wrote (R-4.6) — no internal notes, no assignment
changes, no links (a link names another ticket, maybe another customer's).
"""

from __future__ import annotations

from supportctl.domain.customers import find_customer
from supportctl.domain.messages import status_name
from supportctl.reports.model import DATETIME, INT, TEXT, Column, Report, Section, Source, by_arrival
from supportctl.reports.period import Scope

TITLE = ("Обращения Заказчика", "Customer's tickets")

# journal kinds the customer has seen: the receipt and registration notices, the
# answers, the customer's own messages, the expected-resolution notices, completion
# and closing, and a reopen at the customer's request
VISIBLE_KINDS = ("received", "registered", "reply", "customer", "eta", "completed", "closed", "reopened")

TICKET_COLUMNS = [
    Column("id", ("Заявка", "Ticket")),
    Column("received_at", ("Поступила", "Received"), DATETIME),
    Column("subject", ("Тема", "Subject")),
    Column("priority", ("Приоритет", "Priority"), INT),
    Column("status", ("Статус", "Status")),
    Column("due", ("Срок исполнения", "Due"), DATETIME),
    Column("completed_at", ("Завершена", "Completed"), DATETIME),
    Column("closed_at", ("Закрыта", "Closed"), DATETIME),
    Column("rating", ("Оценка", "Rating"), INT),
]
MESSAGE_COLUMNS = [
    Column("id", ("Заявка", "Ticket")),
    Column("at", ("Дата", "Date"), DATETIME),
    Column("from", ("От кого", "From")),
    Column("text", ("Сообщение", "Message"), TEXT),
]
SUPPORT = ("Техподдержка", "Support")


def _sender(entry, ticket) -> str:
    return str(entry.data.get("from") or ticket.contact.name or entry.by)


def visible_kind(entry) -> str | None:
    """The kind under which the customer saw a journal entry, or None for an internal one (a note, an
    assignment, a link): the one filter of what a customer may read (this report, the site's cabinet)."""
    kind = entry.kind
    if kind == "merged_copy" and isinstance(entry.data, dict):  # a merged duplicate's entry (issue 12)
        kind = str(entry.data.get("kind"))
    return kind if kind in VISIBLE_KINDS else None


def build(source: Source, scope: Scope) -> Report:
    # the service has spelt scope.org as the register does, and refused an organisation it does not know
    known = find_customer(source.customers(), org=scope.org)
    org = scope.org
    tickets = by_arrival(source.tickets(scope, received_in=scope.period))
    en = scope.lang == "en"
    ticket_rows, message_rows = [], []
    for t in tickets:
        ticket_rows.append({"id": t.id, "received_at": t.received_at, "subject": t.subject, "priority": t.priority,
                            "status": status_name(t.status, scope.lang), "status_code": t.status, "due": t.due,
                            "completed_at": t.completed_at, "closed_at": t.closed_at, "rating": t.rating})
        for e in source.journal(t.id):
            kind = visible_kind(e)
            if kind is not None:
                message_rows.append({"id": t.id, "at": e.at, "kind": kind, "text": e.text.strip(),
                                     "from": _sender(e, t) if kind == "customer" else SUPPORT[en]})
    about = []
    if known and known.contract:
        about.append((f"№ контракта: {known.contract}", f"Contract: {known.contract}"))
    sections = [
        Section("tickets", ("Заявки", "Tickets"), TICKET_COLUMNS, ticket_rows,
                json_only=[Column("status_code", ("", ""))]),
        Section("correspondence", ("Переписка", "Correspondence"), MESSAGE_COLUMNS, message_rows,
                json_only=[Column("kind", ("", ""))]),
    ]
    return Report("customer", TITLE, scope, source.now, sections, about=about,
                  extra={"customer": {"org": org, "contract": known.contract if known else None}})
