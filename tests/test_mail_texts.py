"""What customers and specialists read: Russian that reads as a support centre writes it (English with
`language: en`), reasons by code (R-7.7), no rule IDs or file names in mail, ETA dates (R-6.7),
notifications that fail or are not sent."""

from __future__ import annotations

import json
from datetime import date, datetime
from email import policy
from email.parser import BytesParser

from conftest import NOW, add_barrier
from mailkit import configure_mail, outlook_mail

from supportctl.desk.desk import Desk
from supportctl.domain import messages
from supportctl.domain.customers import Customer, match
from supportctl.domain.ticket import Contact
from supportctl.mail.texts import greeting
from supportctl.services import mail_intake
from supportctl.services.context import Ctx

BMP = b"BM" + b"\x00" * 8 + (54).to_bytes(4, "little") + b"\x00" * 100


def ingest(desk, raw: bytes, now: str = NOW):
    return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(now), "robot"), raw, "test")


def outbox(desk) -> list[str]:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()).get_body().get_content()
            for p in sorted((desk.root / "outbox").glob("*.eml"))]


def journal(desk, ticket_id: str) -> list[dict]:
    return [json.loads(line[2:]) for line in
            (desk.root / "journal" / f"{ticket_id}.yaml").read_text(encoding="utf-8").splitlines()]


def mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", **kw) -> bytes:
    kw.setdefault("subject", "Не формируется отчёт")
    kw.setdefault("body", "Ошибка 0x17.")
    kw.setdefault("message_id", "<m1@barrier.ru>")
    return outlook_mail(sender=sender, name=name, **kw)


# -- reasons are codes, rendered where they are shown ---------------------------------------

def test_match_gives_a_reason_code_and_values_R_7_7():
    old = Customer(org="ООО «Ромашка»", contract="17-1", valid_to=date(2026, 6, 30),
                   contacts=[Contact(name="Иванов Иван Иванович", email="ivanov@romashka.ru")])
    day = date(2026, 12, 1)
    unknown = match([old], org=None, name=None, email="vasya@mail.ru", on=day)
    assert (unknown.code, unknown.reason()) == ("unknown_customer", "адрес vasya@mail.ru не относится ни к одному Заказчику")
    assert "customers.yaml" not in unknown.reason("en")
    stranger = match([old], org="ООО «Ромашка»", name="Петров П.П.", email=None, on=day)
    assert stranger.reason() == "Петров П.П. нет среди контактных лиц Заказчика ООО «Ромашка»"
    expired = match([old], org=None, name=None, email="ivanov@romashka.ru", on=day)
    assert (expired.code, expired.values["date"]) == ("contract_expired", date(2026, 6, 30))
    assert expired.reason() == "срок действия договора № 17-1 с ООО «Ромашка» истёк 30.06.2026"
    assert expired.reason("en") == "the contract № 17-1 of ООО «Ромашка» expired on 2026-06-30"
    assert match([old], org=None, name=None, email="ivanov@romashka.ru", on=date(2026, 6, 30)).verified


def test_the_acknowledgement_says_why_for_each_reason_R_7_7(desk, cli):
    configure_mail(desk.root)
    cli("customer", "add", "ООО Старый", "--contract", "17-1", "--from", "2017-01-01", "--to", "2025-06-30",
        "--domain", "old.ru")
    cli("customer", "contact", "add", "ООО Старый", "--name", "Иванов Иван Иванович", "--email", "i@old.ru")
    ingest(desk, mail(sender="i@old.ru", name="Иванов Иван Иванович"))
    ingest(desk, mail(sender="vasya@mail.ru", name="Вася", message_id="<v@mail.ru>", subject="Другое"))
    expired, unknown = outbox(desk)
    assert ("Срок действия договора № 17-1 истёк 30.06.2025, поэтому заявка принята с уровнем обслуживания "
            "по умолчанию.") in expired
    assert "не найден" not in expired and "Здравствуйте, Иван Иванович!" in expired
    assert ("Ваш адрес не найден среди контактных лиц Заказчиков, поэтому заявка принята с уровнем "
            "обслуживания по умолчанию.") in unknown
    assert "customers.yaml" not in unknown and "Здравствуйте!" in unknown
    assert Desk(desk.root).load_ticket("T-0001").unverified_reason == \
        "срок действия договора № 17-1 с ООО Старый истёк 30.06.2025"


def test_a_refusal_gives_the_reason_in_the_customers_words_R_7_7(desk, cli):
    configure_mail(desk.root, unknown_sender="refuse")
    out = ingest(desk, mail(sender="vasya@mail.ru", name="Вася"))
    [body] = outbox(desk)
    assert out.action == "refused"
    assert "Причина: ваш адрес не найден среди контактных лиц Заказчиков." in body
    assert "customers.yaml" not in body and "vasya@mail.ru is not" not in body


# -- Russian inside Russian lines ------------------------------------------------------------------

def test_durations_channels_and_import_in_the_desk_language():
    assert messages.duration_text(24, "h") == "24 ч" and messages.duration_text(30, "m") == "30 мин"
    assert messages.duration_text(24, "h", "en") == "24 hours" and messages.duration_text(1, "h", "en") == "1 hour"
    assert messages.text("received", "ru", channel=messages.channel_text("email")) == \
        "Заявка получена по электронной почте."
    assert messages.channel_text("portal") == "через портал" and messages.channel_text("phone", "en") == "by phone"
    assert messages.text("imported") == "Заявка импортирована." and messages.text("imported", "en") == "Imported."


def test_autoclose_line_says_24_ch_R_4_9(desk, cli):
    tid = cli("new", "--subject", "x", "--text", "y", "--channel", "phone").stdout.strip()
    cli("register", tid, "-p", "3")
    cli("complete", tid, "Готово.")
    assert cli("autoclose", now="2025-12-03T10:00:00+03:00").exit_code == 0
    lines = [e["text"] for e in journal(desk, tid)]
    assert lines[0] == "Заявка получена по телефону."
    assert any("не ответил в течение 24 ч после завершения" in line for line in lines)
    assert not any("24h" in line for line in lines)


def test_refused_attachments_foreign_senders_and_closed_mail_in_russian_R_7_6(desk, cli):
    import base64

    configure_mail(desk.root, closed_followup="reopen")
    add_barrier(cli)
    raw = ("From: smirnova@barrier.ru\r\nSubject: Screens\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "see\r\n--B\r\nContent-Type: image/bmp\r\nContent-Disposition: attachment; filename=\"shot.bmp\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(BMP).decode()}\r\n--B--\r\n").encode()
    ingest(desk, raw)
    [ack] = outbox(desk)
    assert "shot.bmp: изображения BMP принимаются только упакованными в архив ZIP или RAR" in ack
    assert "R-7" not in ack and "BMP images" not in ack
    ingest(desk, mail(subject="RE: [Заявка#T-0001] x", sender="evil@other.example", message_id="<e@o>"))
    foreign = [e["text"] for e in journal(desk, "T-0001") if "evil@other.example" in e["text"]]
    assert foreign == ["Письмо от evil@other.example по этой заявке отложено: отправителя нет среди "
                       "контактных лиц АКБ «Барьер»."]
    cli("register", "T-0001", "-p", "3")
    cli("complete", "T-0001", "Готово.")
    cli("close", "T-0001")
    ingest(desk, mail(subject="RE: [Заявка#T-0001] x", message_id="<late@b>", body="Ошибка вернулась."))
    texts = [e["text"] for e in journal(desk, "T-0001")]
    assert "Письмо по закрытой заявке: по правилам стола заявка возвращена в работу." in texts
    assert not any("(reopen)" in t for t in texts)


# -- the customer's mail ----------------------------------------------------------------------------

def test_greeting_by_first_name_and_patronymic():
    assert greeting("Иванов Иван Иванович") == "Здравствуйте, Иван Иванович!"
    assert greeting("Салтыков-Щедрин Михаил Евграфович") == "Здравствуйте, Михаил Евграфович!"
    for odd in ("Иванов И.И.", "Иванов И. И.", "Иван", "", None, "ООО «Ромашка» отдел ИТ"):
        assert greeting(odd) == "Здравствуйте!", odd
    assert greeting("Ivan Ivanov", "en") == "Hello Ivan Ivanov," and greeting(None, "en") == "Hello,"


def test_registration_mail_priority_zone_and_no_nested_brackets_R_6_6(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    tid = cli("new", "--subject", "x", "--text", "y", "--email", "smirnova@barrier.ru",
              "--contact", "Смирнова Ольга Петровна").stdout.strip()
    cli("register", tid, "-p", "1")
    assert cli("eta", tid, "2025-12-10T14:00", "--text", "Нужно обновление.").exit_code == 0
    ack, registered, eta = outbox(desk)
    assert "Здравствуйте, Ольга Петровна!" in registered
    assert "Приоритет: 1 (аварийный: продукт не работает)" in registered
    assert "Срок исполнения: 01.12.2025 14:00 (МСК)" in registered and "UTC" not in registered
    assert "Не позднее 01.12.2025 13:00 (МСК)" in ack
    assert "(МСК))" not in eta and "в установленный срок — 01.12.2025 14:00 (МСК)." in eta
    assert "Ожидаемый срок решения: 10.12.2025 14:00 (МСК)." in eta


# -- the expected resolution ----------------------------------------------------------------

def test_a_date_alone_means_the_close_of_that_working_day_R_6_7(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    tid = cli("new", "--subject", "x", "--text", "y", "--email", "smirnova@barrier.ru").stdout.strip()
    cli("register", tid, "-p", "1")
    r = cli("eta", tid, "2025-12-10", "--text", "Нужно обновление.")
    assert r.exit_code == 0 and "10.12.2025 18:00" in r.stdout
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["eta"]["date"] == "2025-12-10T18:00:00+03:00"
    entry = journal(desk, tid)[-2]
    assert entry["kind"] == "eta" and entry["text"] == "Ожидаемый срок решения 10.12.2025: Нужно обновление."
    assert entry["data"]["date"] == "2025-12-10T18:00:00+03:00"
    body = outbox(desk)[-1]
    assert "Ожидаемый срок решения: 10.12.2025." in body and "00:00" not in body


def test_an_eta_in_another_zone_is_kept_in_the_desks_and_the_past_is_refused_R_6_7(desk, cli):
    tid = cli("new", "--subject", "x", "--text", "y", "--channel", "phone").stdout.strip()
    cli("register", tid, "-p", "3")
    cli("eta", tid, "2025-12-10T17:00+05:00", "--text", "Ждём поставщика.")
    [entry] = [e for e in journal(desk, tid) if e["kind"] == "eta"]
    assert entry["data"]["date"] == "2025-12-10T15:00:00+03:00" and "10.12.2025 15:00" in entry["text"]
    past = cli("eta", tid, "2025-11-30", "--text", "x")
    assert past.exit_code == 2 and "not in the future" in past.stderr
    cli("complete", tid, "Готово.")
    refused = cli("eta", tid, "2025-12-20", "--text", "x")
    assert refused.exit_code == 2 and f"cannot set the expected resolution of {tid}" in refused.stderr


# -- notifications that do not go ------------------------------------------------------------------

def test_a_failed_registration_mail_is_journaled_and_the_command_succeeds(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    tid = cli("new", "--subject", "x", "--text", "y", "--email", "smirnova@barrier.ru").stdout.strip()
    folder = desk.root / "templates" / "ru"
    folder.mkdir(parents=True)
    (folder / "registered.txt").write_text("Заявка ${id}: ${bogus}\n", encoding="utf-8")
    r = cli("register", tid, "-p", "2")
    assert r.exit_code == 0 and "registered.txt: unknown placeholder ${bogus}" in r.stderr
    assert json.loads(cli("show", tid, "--json").stdout)["status"] == "open"
    failed = journal(desk, tid)[-1]
    assert failed["kind"] == "mail" and failed["text"].startswith("Письмо Заказчику не отправлено: ")
    assert failed["data"]["failed"] is True


def test_a_reply_that_was_not_mailed_says_why(desk, cli):
    tid = cli("new", "--subject", "x", "--text", "y", "--email", "smirnova@barrier.ru").stdout.strip()
    r = cli("reply", tid, "ok", "--via", "email")
    assert r.exit_code == 0 and "no mail sent: mail.from is not set" in r.stderr
    configure_mail(desk.root)
    phone = cli("new", "--subject", "x", "--text", "y", "--channel", "phone").stdout.strip()
    r = cli("reply", phone, "ok", "--via", "email")
    assert "no mail sent: the ticket has no e-mail address" in r.stderr
    assert "no mail sent" not in cli("reply", phone, "ok", "--via", "phone").stderr
    r = cli("reply", tid, "ok", "--via", "email")
    assert r.exit_code == 0 and "no mail sent" not in r.stderr


def test_every_mail_record_is_a_mail_entry(desk, cli):
    """The journal keeps the mail records as kind "mail", which the A-1 register and reports leave out."""
    configure_mail(desk.root)
    add_barrier(cli)
    tid = cli("new", "--subject", "x", "--text", "y", "--email", "smirnova@barrier.ru").stdout.strip()
    cli("register", tid, "-p", "3")
    records = [e for e in journal(desk, tid) if "Письмо Заказчику" in e["text"]]
    assert len(records) == 2 and {e["kind"] for e in records} == {"mail"}
