"""Reading real-world mail, threading and intent (R-7.4, R-4.8): pure functions, no desk."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from mailkit import auto_reply, b64_header, bounce, outlook_mail

from supportctl.desk.config import DeskConfig
from supportctl.errors import DeskDamaged
from supportctl.mail import classify, threads
from supportctl.mail.htmltext import html_to_text
from supportctl.mail.parse import Unreadable, parse
from supportctl.mail.settings import MailSettings, mail_settings

SETTINGS_NOW = datetime(2025, 12, 1, 7, 0, tzinfo=timezone.utc)
SETTINGS = mail_settings(DeskConfig({"mail": {"from": "Техподдержка <support@desk.example>"}}))


def test_windows_1251_outlook_mail_headers_and_body():
    raw = outlook_mail(sender="Smirnova@Barrier.RU", name="Смирнова Ольга", subject="Не формируется отчёт",
                       body="Добрый день!\nОшибка 0x17.", message_id="<a@b>")
    mail = parse(raw)
    assert (mail.sender, mail.sender_name) == ("smirnova@barrier.ru", "Смирнова Ольга")
    assert mail.subject == "Не формируется отчёт"
    assert mail.text == "Добрый день!\nОшибка 0x17."
    assert mail.message_id == "<a@b>" and mail.has_message_id


def test_undeclared_koi8_r_body_and_raw_8bit_header_are_guessed():
    raw = "From: a@b.ru\nSubject: Сбой печати\n\nПринтер не печатает накладные.\n"
    mail = parse(raw.encode("koi8-r"))
    assert mail.subject == "Сбой печати" and mail.text == "Принтер не печатает накладные."
    mail = parse(raw.encode("cp1251"))
    assert mail.subject == "Сбой печати" and mail.text == "Принтер не печатает накладные."


def test_quoted_printable_utf8_and_wrongly_declared_charset():
    raw = (b"From: a@b.ru\nSubject: =?utf-8?Q?=D0=A2=D0=B5=D1=81=D1=82?=\nContent-Type: text/plain; charset=x-unknown\n"
           b"Content-Transfer-Encoding: quoted-printable\n\n=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82\n")
    mail = parse(raw)
    assert mail.subject == "Тест" and mail.text == "Привет"


def test_html_only_webmail_body_becomes_text():
    html = ("<html><head><style>p{color:red}</style></head><body><div>Добрый&nbsp;день!</div>"
            "<div>Не работает <b>вход</b>.<br>Скриншот ниже.</div><blockquote>старое</blockquote></body></html>")
    raw = (f"From: a@yandex.ru\nSubject: {b64_header('Вход', 'utf-8')}\nMIME-Version: 1.0\n"
           f"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{html}").encode()
    mail = parse(raw)
    assert mail.text.splitlines()[:3] == ["Добрый день!", "Не работает вход.", "Скриншот ниже."]
    assert "> старое" in mail.text and "color" not in mail.text


def test_attachments_with_encoded_names_and_inline_images():
    raw = ("From: a@b.ru\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n"
           "--X\nContent-Type: text/plain; charset=utf-8\n\nтекст\n"
           "--X\nContent-Type: image/png\nContent-Disposition: attachment; "
           f"filename=\"{b64_header('скрин.png', 'windows-1251')}\"\nContent-Transfer-Encoding: base64\n\n"
           "iVBORw0KGgoAAAA=\n--X\nContent-Type: image/jpeg\nContent-ID: <img1>\nContent-Transfer-Encoding: base64\n\n"
           "/9j/4AAQ\n--X--\n").encode()
    mail = parse(raw)
    assert mail.text == "текст"
    assert [(a.name, a.data[:4]) for a in mail.attachments] == [("скрин.png", b"\x89PNG"),
                                                                 ("attachment-3.jpg", b"\xff\xd8\xff\xe0")]


@pytest.mark.parametrize("raw", [b"", b"\x00\x01garbage", b"just some text without headers\n\nbody"])
def test_not_a_mail_is_unreadable(raw):
    with pytest.raises(Unreadable):
        parse(raw)


@pytest.mark.parametrize("raw", [
    b"From: <<<>>>\nSubject: =?bogus?Q?x?=\nContent-Type: multipart/mixed\n\nno boundary",
    b"From: a@b.ru\nSubject: x\nContent-Type: text/plain; charset=\"\nContent-Transfer-Encoding: base64\n\n!!!!",
    b"From: a@b.ru\nSubject: x\nDate: 99 Foo 2025\nMessage-ID: <broken\nContent-Type: message/rfc822\n\n",
])
def test_malformed_mail_parses_without_raising(raw):
    mail = parse(raw)
    assert isinstance(mail.text, str)


@pytest.mark.parametrize("subject, expected", [
    ("RE: [Заявка#T-0042] Отчёт", "T-0042"),
    ("Ответ: Заявка#T-0042 Отчёт", "T-0042"),
    ("НА: Re[2]: Заявка № Т-0042", "T-0042"),   # Cyrillic Т, № for #
    ("FW: заявка #km-7", "KM-0007"),  # an unpadded number names the padded ID (issue 10)
    ("Отчёт за ноябрь", None),
])
def test_ticket_tag_in_subject_R_7_4(subject, expected):
    assert threads.ticket_in_subject(subject, "Заявка") == expected


def test_strip_tag_and_prefixes():
    assert threads.strip_tag("RE: Ответ: [Заявка#T-0042] Не формируется отчёт", "Заявка") == "Не формируется отчёт"
    assert threads.tagged_subject("Заявка", "T-0042", "Fwd: Отчёт") == "[Заявка#T-0042] Отчёт"


def test_our_message_ids_name_the_ticket():
    mid = threads.new_message_id("desk.example", "T-0042", "registered", SETTINGS_NOW)
    assert threads.ticket_in_references(["<x@y>", mid], "desk.example") == "T-0042"
    assert threads.ticket_in_references(["<ticket.T-0042@desk.example>"], "desk.example") == "T-0042"
    assert threads.ticket_in_references(["<ticket.T-0042@evil.example>"], "desk.example") is None


@pytest.mark.parametrize("quote", [
    "-----Original Message-----\nFrom: x",
    "-----Исходное сообщение-----\nОт: x",
    "01.12.2025 10:00, Техподдержка пишет:\n> старое",
    "Пн, 1 дек. 2025 г. в 10:00, Техподдержка <support@desk.example>:\n> старое",
    "От: Техподдержка\nОтправлено: 1 декабря 2025 г. 10:00\nТема: x",
    "On Mon, Dec 1, 2025 at 10:00 AM Support wrote:\n> old",
])
def test_new_text_cuts_the_quoted_history(quote):
    assert threads.new_text(f"Спасибо, работает.\n\n{quote}\n> ещё") == "Спасибо, работает."


def test_new_text_keeps_a_mail_that_is_only_a_quote():
    assert threads.new_text("> только цитата") == "> только цитата"


@pytest.mark.parametrize("raw, machine", [
    (bounce("x@barrier.ru"), True),
    (auto_reply("smirnova@barrier.ru"), True),
    (b"From: a@b.ru\nSubject: News\nPrecedence: bulk\n\nx", True),
    (b"From: a@b.ru\nSubject: x\nX-Loop: support@desk.example\n\nx", True),
    (b"From: support@desk.example\nSubject: x\n\nx", True),
    (b"From: a@b.ru\nSubject: x\nAuto-Submitted: no\n\nx", False),
    (b"From: a@b.ru\nSubject: Automatic reply: x\n\nx", True),
    (b"From: a@b.ru\nSubject: x\n\nx", False),
])
def test_machines_are_recognised_RFC_3834(raw, machine):
    assert (classify.machine_reason(parse(raw), SETTINGS) is not None) is machine


@pytest.mark.parametrize("text, verdict", [
    ("Подтверждаю, спасибо!", "confirm"),
    ("Спасибо, всё работает", "confirm"),
    ("Ок", "confirm"),
    ("Спасибо, но отчёт всё ещё не формируется, проблема осталась", "disagree"),
    ("Не согласна: ошибка 0x17 снова появилась", "disagree"),
    ("Около полудня позвоню", "unclear"),   # "ок" only as a whole word
    ("", "empty"),
])
def test_confirmation_or_disagreement_R_4_8(text, verdict):
    assert classify.verdict(text, SETTINGS) == verdict


def test_rating_in_the_reply_A_2():
    assert classify.rating("Подтверждаю. Оценка: 4/5") == 4
    assert classify.rating("Спасибо") is None


def test_settings_defaults_and_validation():
    s = mail_settings(DeskConfig({}))
    assert not s.enabled and s.closed_followup == "new" and s.tag == "Заявка"
    s = mail_settings(DeskConfig({"mail": {"from": "support@desk.example", "attachment_limit": "2MB",
                                           "duplicate_window": "30m", "smtp": {"host": "mx", "security": "ssl"}}}))
    assert s.attachment_limit == 2 * 1024 ** 2 and s.duplicate_window_minutes == 30
    assert (s.smtp.port, s.domain, s.ticket_reference("T-1")) == (465, "desk.example", "<ticket.T-1@desk.example>")
    for bad in ({"closed_followup": "archive"}, {"from": "not an address"}, {"attachment_limit": "big"},
                {"smtp": {"host": "mx", "security": "tls"}}):
        with pytest.raises(DeskDamaged):
            mail_settings(DeskConfig({"mail": bad}))
    assert isinstance(s, MailSettings)


def test_html_to_text_lists_and_links():
    assert html_to_text("<ul><li>один</li><li>два</li></ul><a href='https://kb.example/1'>статья</a>") == \
        "- один\n- два\nстатья (https://kb.example/1)"

