"""Issue 12: CC on tickets (the customer's colleagues copied on every mail, their replies threaded) and
the duplicate request refused by `new` (IS-1), one rule shared with mail intake."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import NOW, add_barrier
from mailkit import configure_mail, outlook_mail

from supportctl.desk.desk import Desk
from supportctl.domain import duplicates
from supportctl.services import mail_intake
from supportctl.services.context import Ctx

SUBJECT, TEXT = "Не формируется отчёт", "Ошибка 0x17 при формировании."


def ingest(desk, raw: bytes, now: str = NOW) -> mail_intake.Outcome:
    return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(now), "robot"), raw, "test")


def journal(desk, ticket_id: str) -> list[dict]:
    return [json.loads(line[2:]) for line in (desk.root / "journal" / f"{ticket_id}.yaml").read_text().splitlines()]


# -- IS-1: one duplicate rule, in the domain -------------------------------------------------------

def test_duplicate_rule_same_contact_subject_and_text_within_the_window_IS_1():
    at = datetime(2025, 12, 1, 7, 0, tzinfo=timezone.utc)
    first = duplicates.request("T-0001", duplicates.contact_key("Smirnova@Barrier.ru"), at, "Отчёт", "Ошибка  0x17")
    window = timedelta(hours=1)

    def new(contact="smirnova@barrier.ru", minutes=30, subject="отчёт ", text="ошибка 0x17"):
        return duplicates.request("", duplicates.contact_key(contact), at + timedelta(minutes=minutes), subject, text)

    assert duplicates.duplicate_of(new(), [first], window) == "T-0001"  # case and spacing aside
    assert duplicates.duplicate_of(new(minutes=61), [first], window) is None
    assert duplicates.duplicate_of(new(contact="ivanov@barrier.ru"), [first], window) is None
    assert duplicates.duplicate_of(new(text="Ошибка 0x18"), [first], window) is None
    assert duplicates.duplicate_of(new(subject="Другое"), [first], window) is None
    later = duplicates.request("T-0002", first.contact, at + timedelta(minutes=20), "отчёт", "ошибка 0x17")
    assert duplicates.duplicate_of(new(), [later, first], window) == "T-0002"  # the most recent one
    assert duplicates.request("", duplicates.contact_key(None, None), at, "a", "b") is None  # no contact: never


def test_new_repeating_a_ticket_within_the_window_is_refused_naming_it_IS_1(desk, cli):
    add_barrier(cli)
    args = ("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    assert cli(*args).stdout.strip() == "T-0001"
    again = cli(*args[:3], "--text", " " + TEXT.upper() + " ", *args[5:], now="2025-12-01T10:40:00+03:00")
    assert again.exit_code == 2
    assert "T-0001" in again.stderr and "IS-1" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr and again.stdout == ""
    assert Desk(desk.root).ticket_ids() == ["T-0001"]  # nothing written
    assert len(journal(desk, "T-0001")) == 1

    forced = cli(*args, "--force", now="2025-12-01T10:40:00+03:00")
    assert forced.exit_code == 0 and forced.stdout.strip() == "T-0002"
    later = cli(*args, now="2025-12-01T11:41:00+03:00")  # beyond the hour after T-0002
    assert later.exit_code == 0 and later.stdout.strip() == "T-0003"


def test_new_other_text_or_contact_is_no_duplicate_IS_1(desk, cli):
    add_barrier(cli)
    assert cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru").exit_code == 0
    assert cli("new", "--subject", SUBJECT, "--text", TEXT + " И ещё.", "--email", "smirnova@barrier.ru").exit_code == 0
    assert cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "ivanov@barrier.ru").exit_code == 0
    assert cli("new", "--subject", SUBJECT, "--text", TEXT).exit_code == 0  # no contact: nothing to compare
    assert cli("new", "--subject", SUBJECT, "--text", TEXT).exit_code == 0
    assert Desk(desk.root).ticket_ids() == ["T-0001", "T-0002", "T-0003", "T-0004", "T-0005"]


def test_new_by_phone_from_a_named_contact_repeating_is_refused_IS_1(desk, cli):
    add_barrier(cli)
    args = ("new", "--subject", SUBJECT, "--text", TEXT, "--org", "АКБ «Барьер»",
            "--contact", "Смирнова Ольга Петровна", "--channel", "phone")
    assert cli(*args).exit_code == 0
    again = cli(*args, now="2025-12-01T10:05:00+03:00")
    assert again.exit_code == 2 and "T-0001" in again.stderr


def test_new_repeating_a_mailed_request_is_refused_and_the_window_is_the_mail_setting_IS_1(desk, cli):
    configure_mail(desk.root, duplicate_window="10m")
    add_barrier(cli)
    raw = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", subject=SUBJECT,
                       body=TEXT, message_id="<m1@barrier.ru>")
    assert ingest(desk, raw).action == "created"
    args = ("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    refused = cli(*args, now="2025-12-01T10:09:00+03:00")
    assert refused.exit_code == 2 and "T-0001" in refused.stderr
    assert cli(*args, now="2025-12-01T10:11:00+03:00").exit_code == 0


def test_intake_still_files_a_duplicate_mail_on_the_first_ticket_IS_1(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    assert cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru").exit_code == 0
    raw = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", subject=SUBJECT,
                       body=TEXT, message_id="<m2@barrier.ru>")
    out = ingest(desk, raw, now="2025-12-01T10:20:00+03:00")
    assert (out.action, out.ticket_id) == ("duplicate", "T-0001")
