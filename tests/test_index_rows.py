"""The ticket index's row form (codec.ticket_to_row/ticket_from_row) gives back the ticket the file holds."""

from __future__ import annotations

import marshal
from dataclasses import fields
from datetime import datetime
from zoneinfo import ZoneInfo

from supportctl.domain.codec import ticket_from_dict, ticket_from_row, ticket_to_dict, ticket_to_row
from supportctl.domain.ticket import Contact, Eta, Pause, Ticket

MSK = ZoneInfo("Europe/Moscow")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _every_field_set() -> Ticket:
    """Every field differs from its default and from its neighbours, so a field out of place shows."""
    return Ticket(
        id="T-0042", status="waiting", priority=2, subject="Сбой печати", text="Не печатает\nсовсем",
        org="АКБ «Барьер»", contact=Contact("Смирнова О. П.", "бухгалтер", "+7 495 123-45-67", "o@barrier.ru"),
        contract="ГК-1", plan="premium", verified=False, unverified_reason="unknown sender", channel="phone",
        category="bug", product="Учёт", assignee="Рудаков А.",
        received_at=_at("2025-12-01T10:00:00+03:00"), registered_at=_at("2025-12-01T07:30:00+00:00"),
        registration_due=_at("2025-12-01T13:00:00+03:00"), due=_at("2025-12-03T13:00:00+03:00"),
        hold_reason="customer", completed_at=_at("2025-12-02T11:00:00+03:00"),
        closed_at=_at("2025-12-02T12:00:00+03:00"), rating=4, spent_minutes=95,
        eta=Eta(_at("2025-12-05T18:00:00+03:00"), "ждём поставщика"),
        pauses=[Pause(_at("2025-12-01T12:00:00+03:00"), _at("2025-12-01T14:00:00+03:00"), "customer"),
                Pause(_at("2025-12-02T09:00:00+03:00"), None, "customer")],
        related=["T-0001", "T-0002"], attachments=["a.png"], message_ids=["<m1@x>", "<m2@x>"],
    )


def test_row_round_trip_equals_the_file_round_trip():
    """IS-3: `list` and the reports (served from the index) see the ticket `show` reads from its file."""
    ticket = _every_field_set()
    via_file = ticket_from_dict(ticket_to_dict(ticket, MSK))
    row = marshal.loads(marshal.dumps(ticket_to_row(ticket, MSK)))  # as the index stores it
    assert len(row) == len([f for f in fields(Ticket) if f.name != "extra"])  # unknown file keys stay in the file
    assert ticket_from_row(row) == via_file
    assert ticket_to_dict(ticket_from_row(row), MSK) == ticket_to_dict(ticket, MSK)


def test_row_round_trip_of_a_bare_ticket():
    ticket = Ticket(id="T-0001")
    assert ticket_from_row(marshal.loads(marshal.dumps(ticket_to_row(ticket, MSK)))) == \
        ticket_from_dict(ticket_to_dict(ticket, MSK))
