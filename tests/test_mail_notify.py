"""Outgoing mail: the outbox and SMTP delivery, headers, templates (R-6.6, R-6.7, IS-4)."""

from __future__ import annotations

import json

import pytest
from conftest import add_barrier
from mailkit import body_of, configure_mail, free_port, start_smtp, wait_until

from supportctl.desk.config import DeskConfig
from supportctl.desk.desk import Desk
from supportctl.mail.compose import Outgoing, compose, header_safe
from supportctl.mail.settings import mail_settings


@pytest.fixture
def smtp():
    controller, handler = start_smtp()
    yield handler, controller.port
    controller.stop()


def new_ticket(cli, subject="Не формируется отчёт", email="smirnova@barrier.ru"):
    return cli("new", "--subject", subject, "--email", email, "--text", "Ошибка 0x17.").stdout.strip()


def test_without_smtp_mail_waits_and_mail_send_delivers_it_later(desk, cli, smtp):
    handler, port = smtp
    down = free_port()
    configure_mail(desk.root, down, delivery="cron")  # nothing listens there: the server is "down"
    add_barrier(cli)
    ticket_id = new_ticket(cli)
    cli("register", ticket_id, "--priority", "1")
    listed = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [q["event"] for q in listed] == ["acknowledged", "registered"]
    assert [q["attempts"] for q in listed] == [0, 0]  # delivery: cron, the commands only queue
    assert all(q["queued_at"].endswith("+03:00") for q in listed)  # the desk's zone, as every time in JSON
    result = cli("mail", "send")
    assert result.exit_code == 1 and "stays in the outbox" in result.stderr
    listed = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [q["attempts"] for q in listed] == [1, 1] and "cannot connect" in listed[0]["last_error"]
    assert handler.envelopes == []

    config = desk.root / "supportctl.yaml"
    config.write_text(config.read_text().replace(f"port: {down}", f"port: {port}"))
    result = cli("mail", "send")
    assert result.exit_code == 0 and "sent 2" in result.stdout
    assert handler.events() == ["acknowledged", "registered"]  # in the order they were queued
    assert "the outbox is empty" in cli("mail", "outbox").stdout


def test_a_recipient_refused_for_good_leaves_the_queue(desk, cli, smtp):
    handler, port = smtp
    handler.refuse_rcpt.add("gone@barrier.ru")
    configure_mail(desk.root, port)
    add_barrier(cli)
    new_ticket(cli, email="gone@barrier.ru")
    wait_until(lambda: list((desk.root / "outbox" / "failed").glob("*.eml")))
    assert list((desk.root / "outbox" / "failed").glob("*.eml"))
    assert not list((desk.root / "outbox").glob("*.eml"))
    journal = (desk.root / "journal" / "T-0001.yaml").read_text()
    assert '"delivered": false' in journal


def test_mail_send_without_smtp_is_refused(desk, cli):
    configure_mail(desk.root)
    result = cli("mail", "send")
    assert result.exit_code == 2 and "no SMTP server configured" in result.stderr


def test_no_mail_while_mail_from_is_unset(desk, cli):
    add_barrier(cli)
    new_ticket(cli)
    assert not (desk.root / "outbox").exists() or not list((desk.root / "outbox").iterdir())


def test_ticket_fields_cannot_inject_headers(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port)
    refused = cli("new", "--subject", "Отчёт\r\nBcc: victim@evil.example", "--text", "x")
    assert refused.exit_code == 2 and "line break" in refused.stderr  # the CLI refuses it (issue 10)
    ticket_id = new_ticket(cli, subject="Отчёт")
    path = desk.root / "tickets" / f"{ticket_id}.yaml"  # a hand edit or an import brings it in
    path.write_text(path.read_text(encoding="utf-8").replace(
        "subject: Отчёт", 'subject: "Отчёт\\r\\nBcc: victim@evil.example\\r\\nX-Evil: 1"'), encoding="utf-8")
    assert "Bcc: victim" in Desk(desk.root).load_ticket(ticket_id).subject
    assert cli("register", ticket_id, "--priority", "3").exit_code == 0
    msg = handler.last("registered")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert all(e.rcpt_tos == ["smirnova@barrier.ru"] for e in handler.envelopes)
    assert str(msg["Subject"]).startswith(f"[Заявка#{ticket_id}] Отчёт")
    assert header_safe("a\nb\u2028c\x00d") == "a b c d"


def test_cyrillic_headers_are_rfc_2047_encoded():
    settings = mail_settings(DeskConfig({"mail": {"from": "Техподдержка <support@desk.example>"}}))
    from datetime import datetime, timezone

    msg = compose(settings, Outgoing(to_addr="smirnova@barrier.ru", to_name="Смирнова Ольга", subject="[Заявка#T-1] Отчёт",
                                     body="Текст", message_id="<x@desk.example>"), datetime(2025, 12, 1, tzinfo=timezone.utc))
    head = msg.as_bytes().split(b"\r\n\r\n")[0]
    head.decode("ascii")  # nothing but ASCII on the wire
    assert b"=?utf-8?" in head and b"Subject: =?utf-8?" in head


def test_reply_eta_and_english_templates(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port)
    (desk.root / "supportctl.yaml").write_text((desk.root / "supportctl.yaml").read_text()
                                               .replace("language: ru", "language: en"))
    add_barrier(cli)
    ticket_id = new_ticket(cli)
    cli("register", ticket_id, "--priority", "2")
    cli("reply", ticket_id, "Please send the error log.")
    cli("eta", ticket_id, "2025-12-05T12:00", "--text", "A fix needs a product update.")
    assert "Ticket number: T-0001" in body_of(handler.last("acknowledged"))
    reply = handler.last("reply")
    assert body_of(reply).startswith("Please send the error log.") and reply["Auto-Submitted"] is None
    assert "<ticket.T-0001@desk.example>" in reply["References"]
    eta = body_of(handler.last("eta"))
    assert "05.12.2025 12:00" in eta and "A fix needs a product update." in eta


def test_desk_template_overrides_the_built_in_one(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port)
    add_barrier(cli)
    folder = desk.root / "templates" / "ru"
    folder.mkdir(parents=True)
    (folder / "registered.txt").write_text("Subject: Заявка ${id}: приоритет ${priority}\n\nСрок: ${due}. Стоимость $$0.\n",
                                           encoding="utf-8")
    ticket_id = new_ticket(cli)
    cli("register", ticket_id, "--priority", "4")
    msg = handler.last("registered")
    assert str(msg["Subject"]) == f"Заявка {ticket_id}: приоритет 4"
    assert body_of(msg).startswith("Срок: ") and "$0." in body_of(msg)


def test_a_broken_desk_template_is_named_and_the_ticket_is_still_made(desk, cli):
    """The ticket is written before its mail: a mail that cannot be made is journaled and warned of."""
    configure_mail(desk.root)
    add_barrier(cli)
    folder = desk.root / "templates" / "ru"
    folder.mkdir(parents=True)
    (folder / "acknowledged.txt").write_text("Здравствуйте, ${nobody}!", encoding="utf-8")
    result = cli("new", "--subject", "x", "--email", "smirnova@barrier.ru", "--text", "y")
    assert result.exit_code == 0 and result.stdout.strip() == "T-0001"
    assert "acknowledged.txt: unknown placeholder ${nobody}" in result.stderr
    journal = (desk.root / "journal" / "T-0001.yaml").read_text(encoding="utf-8")
    assert "Письмо Заказчику не отправлено: " in journal and "unknown placeholder ${nobody}" in journal


def test_a_display_name_looking_like_an_encoded_word_still_composes():
    from datetime import datetime, timezone

    settings = mail_settings(DeskConfig({"mail": {"from": "support@desk.example"}}))
    msg = compose(settings, Outgoing(to_addr="a@b.ru", to_name="=?wind\x08wsн1251?B?yOz/?=", subject="=?x?Q?y?= тема",
                                     body="т", message_id="<x@desk.example>"), datetime(2025, 12, 1, tzinfo=timezone.utc))
    assert msg.as_bytes().isascii() and msg["To"].addresses[0].addr_spec == "a@b.ru"
