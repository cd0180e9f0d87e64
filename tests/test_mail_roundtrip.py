"""The done-when of the mail channel, end to end through the CLI with a real SMTP server on loopback
(R-7.3, R-7.4, R-7.10, R-6.6, R-7.9, R-4.8, R-4.9)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import add_barrier
from mailkit import (auto_reply, body_of, bounce, configure_mail, deliver_to, make_maildir, outlook_mail,
                     start_smtp, wait_until)


@pytest.fixture
def smtp():
    controller, handler = start_smtp()
    yield handler, controller.port
    controller.stop()


def test_mail_round_trip_R_7_3_R_6_6_R_4_8_R_4_9(desk, cli, smtp, tmp_path):
    handler, port = smtp
    configure_mail(desk.root, port)
    add_barrier(cli)
    inbox = make_maildir(tmp_path / "Maildir")

    # A windows-1251 mail from a registered contact, a bounce and an out-of-office reply arrive.
    first = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                         subject="Не формируется отчёт", message_id="<first@barrier.ru>",
                         body="Добрый день!\nНе формируется квартальный отчёт, ошибка 0x17.\n")
    deliver_to(inbox, "first", first)
    deliver_to(inbox, "bounce", bounce("smirnova@barrier.ru"))
    deliver_to(inbox, "oof", auto_reply("smirnova@barrier.ru"))
    result = cli("mail", "ingest", "--maildir", str(inbox), "--json")
    outcomes = json.loads(result.stdout)
    assert [o["action"] for o in outcomes].count("created") == 1
    assert sorted(o["action"] for o in outcomes) == ["created", "ignored", "ignored"]
    assert not list((inbox / "new").iterdir()) and len(list((inbox / "cur").iterdir())) == 3
    assert desk.ticket_ids() == ["T-0001"]

    # the acknowledgement reached the SMTP server, threaded and marked automatic.
    ack = handler.last("acknowledged")
    assert handler.envelopes[0].rcpt_tos == ["smirnova@barrier.ru"]
    assert str(ack["Subject"]) == "[Заявка#T-0001] Не формируется отчёт"
    assert "=?utf-8?" in handler.envelopes[0].content.decode("ascii").split("\r\n\r\n")[0]  # RFC 2047 on the wire
    assert ack["In-Reply-To"] == "<first@barrier.ru>"
    assert "<ticket.T-0001@desk.example>" in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied" and ack["X-Loop"] == "support@desk.example"
    shown = json.loads(cli("show", "T-0001", "--json").stdout)
    assert shown["org"] == "АКБ «Барьер»" and shown["verified"] is True and shown["channel"] == "email"
    assert "квартальный отчёт" in shown["text"]
    assert shown["message_ids"] == ["<first@barrier.ru>"]

    # registration mails number, priority and deadline.
    cli("register", "T-0001", "--priority", "2")
    reg = handler.last("registered")
    due = datetime.fromisoformat(json.loads(cli("show", "T-0001", "--json").stdout)["due"])
    text = body_of(reg)
    assert "T-0001" in text and "Приоритет: 2" in text and due.strftime("%d.%m.%Y %H:%M") in text
    assert reg["Auto-Submitted"] == "auto-generated"

    # on hold; the customer's Outlook reply (RE:, quoting the tag) resumes it.
    cli("hold", "T-0001", "--reason", "need-info", "Пришлите журнал ошибок")
    reply = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                         subject="RE: [Заявка#T-0001] Не формируется отчёт", message_id="<second@barrier.ru>",
                         in_reply_to=reg["Message-ID"],
                         body="Журнал во вложении не прикладываю, ошибка та же: 0x17.\n\n"
                              "-----Original Message-----\nFrom: Техподдержка\nSent: Monday\n> старый текст\n")
    path = tmp_path / "reply.eml"
    path.write_bytes(reply)
    assert "resumed T-0001" in cli("mail", "ingest", str(path), now="2025-12-01T11:00:00+03:00").stdout
    shown = json.loads(cli("show", "T-0001", "--json").stdout)
    assert shown["status"] == "open"
    journal = [json.loads(line[2:]) for line in (desk.root / "journal" / "T-0001.yaml").read_text().splitlines()]
    customer = [e for e in journal if e["kind"] == "customer"]
    assert customer[-1]["text"] == "Журнал во вложении не прикладываю, ошибка та же: 0x17."
    assert customer[-1]["by"] == "Смирнова Ольга Петровна <smirnova@barrier.ru>"

    # A Russian Outlook "Ответ:" without any In-Reply-To finds the ticket by its tag alone.
    answer = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                          subject="Ответ: Заявка#T-0001 Не формируется отчёт", message_id="<third@barrier.ru>",
                          body="Дополнение: ошибка появляется только в декабре.\n")
    assert "added T-0001" in cli("mail", "ingest", "-", input=answer, now="2025-12-01T11:10:00+03:00").stdout

    # completion invites confirmation; the customer's confirmation closes the ticket.
    cli("complete", "T-0001", "Исправлен шаблон отчёта.", now="2025-12-01T12:00:00+03:00")
    done = handler.last("completed")
    assert "Исправлен шаблон отчёта." in body_of(done) and "Подтверждаю" in body_of(done)
    confirm = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                           subject="Ответ: [Заявка#T-0001] Не формируется отчёт", message_id="<fourth@barrier.ru>",
                           in_reply_to=done["Message-ID"], body="Подтверждаю, всё работает. Оценка: 5\n")
    path.write_bytes(confirm)
    assert "closed T-0001" in cli("mail", "ingest", str(path), now="2025-12-01T13:00:00+03:00").stdout
    shown = json.loads(cli("show", "T-0001", "--json").stdout)
    assert shown["status"] == "closed" and shown["rating"] == 5
    assert "T-0001" in body_of(handler.last("closed"))

    # a completed ticket nobody answers closes by itself, and the customer is told.
    second = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", subject="Вопрос по лицензии",
                          message_id="<fifth@barrier.ru>", body="Сколько рабочих мест в лицензии?\n")
    path.write_bytes(second)
    assert "created T-0002" in cli("mail", "ingest", str(path), now="2025-12-01T14:00:00+03:00").stdout
    cli("register", "T-0002", "--priority", "3", now="2025-12-01T14:05:00+03:00")
    cli("complete", "T-0002", "Десять рабочих мест.", now="2025-12-01T15:00:00+03:00")
    cli("autoclose", now="2025-12-02T16:00:00+03:00")
    closed = handler.last("autoclosed")
    assert closed["To"].addresses[0].addr_spec == "smirnova@barrier.ru"
    assert "[Заявка#T-0002]" in str(closed["Subject"]) and "<ticket.T-0002@desk.example>" in closed["References"]

    # The bounce and the auto-reply created nothing and were never answered.
    assert desk.ticket_ids() == ["T-0001", "T-0002"]
    assert all(str(e.rcpt_tos) == "['smirnova@barrier.ru']" for e in handler.envelopes)
    assert handler.events() == ["acknowledged", "registered", "completed", "closed", "acknowledged",
                                "registered", "completed", "autoclosed"]
    assert wait_until(lambda: not list((desk.root / "outbox").glob("*.eml")))  # the sender is done
    assert "the outbox is empty" in cli("mail", "outbox").stdout
