"""`report journal`: the register of tickets in the form of Appendix 1 (A-1), column for column."""

from __future__ import annotations

from datetime import tzinfo

from supportctl.domain.journal import Entry
from supportctl.domain.messages import status_name
from supportctl.domain.values import format_local
from supportctl.domain.ticket import Ticket
from supportctl.reports.model import (
    CHANNEL_KINDS, DATETIME, INT, ORG, TEXT, Column, Report, Section, Source, by_arrival,
)
from supportctl.reports.period import Scope

TITLE = ("Журнал обращений", "Register of tickets")

COLUMNS = [
    Column("priority", ("Приоритет", "Priority"), INT),
    ORG,
    Column("request", ("Текст обращения", "Request text")),
    Column("status", ("Статус заявки (Открыта/Закрыта)", "Status (Open/Closed)")),
    Column("contacts", ("Контакты (1. ФИО 2. Должность 3. Контактный телефон 4. Адрес электронной почты "
                        "5. № Гос. Контракта)",
                        "Contacts (1. Full name 2. Position 3. Phone 4. E-mail 5. State contract No.)")),
    Column("progress", ("Дата\\Ход решения", "Date\\Progress")),
]
JSON_ONLY = [Column("id", ("", "")), Column("received_at", ("", ""), DATETIME),
             Column("status_code", ("", ""), TEXT)]


def progress_line(entry: Entry, tz: tzinfo) -> str:
    """'21.11.16 16:39 \\ Передано в ТП. …' (A-1): one line per entry, its text on that line."""
    return f"{format_local(entry.at, tz, 'journal')} \\ {' '.join(entry.text.split())}"


def request_text(ticket: Ticket, lang: str) -> str:
    """The ticket's number (R-7.4), its subject, and the text of the request."""
    head = ("Ticket#" if lang == "en" else "Заявка#") + ticket.id + (f". {ticket.subject}" if ticket.subject else "")
    body = ticket.text.strip()
    return f"{head}\n{body}" if body and body != ticket.subject else head


def contacts_cell(ticket: Ticket) -> str:
    c = ticket.contact
    values = (c.name, c.position, c.phone, c.email, ticket.contract)
    return "\n".join(f"{n}. {v or '—'}" for n, v in enumerate(values, 1))


def build(source: Source, scope: Scope) -> Report:
    tickets = by_arrival(source.tickets(scope, received_in=scope.period))
    rows = [{
        "id": t.id,
        "received_at": t.received_at,
        "status_code": t.status,
        "priority": t.priority,
        "org": t.org,
        "request": request_text(t, scope.lang),
        "status": status_name(t.status, scope.lang),
        "contacts": contacts_cell(t),
        "progress": "\n".join(progress_line(e, source.tz) for e in source.journal(t.id)
                               if e.kind not in CHANNEL_KINDS),
    } for t in tickets]
    section = Section("tickets", None, COLUMNS, rows, json_only=JSON_ONLY)
    return Report("journal", TITLE, scope, source.now, [section])
