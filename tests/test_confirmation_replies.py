"""Issue 10 item 3 (R-4.8, R-4.9): a customer's answer to a completed ticket closes it only when it
clearly confirms (or rates, A-2); a negation, a "but", a lasting problem, a question or a deferral
never reads as a confirmation. Pure domain calls, then the whole way through mail intake."""

from __future__ import annotations

import pytest
from conftest import add_barrier
from mailkit import configure_mail
from test_mail_intake import complete_ticket, ingest, journal, mail, mdesk, ticket  # noqa: F401 (fixture)

from supportctl.domain import replies
from supportctl.mail.settings import DEFAULT_CONFIRM, DEFAULT_DISAGREE

C, D, U, E = replies.CONFIRM, replies.DISAGREE, replies.UNCLEAR, replies.EMPTY

REPLIES = [
    # the replies of issue 10 item 3: none may close
    ("Не закрывайте заявку, пожалуйста, проверим завтра.", U),
    ("Нет, не всё работает", U),
    ("Спасибо, но ошибка не исчезла", D),
    ("Thanks, but it's not working", D),
    ("Спасибо за ответ, проверим завтра", U),
    # clear confirmations
    ("Подтверждаю, спасибо!", C),
    ("Спасибо, всё работает", C),
    ("Ок", C),
    ("Добрый день!\nПроблема решена, спасибо большое.", C),
    ("Заявку можно закрыть.", C),
    ("Всё ОК, можно закрывать", C),
    ("Проверили — заработало. Благодарю!", C),
    ("Спасибо, вопросов нет.", C),
    ("Ещё раз спасибо, всё работает!", C),
    ("Оценка: 5", C),
    ("Оценка 4/5", C),
    ("Thanks, works now!", C),
    ("Confirmed, please close the ticket.", C),
    ("Issue resolved, thank you so much.", C),
    ("OK, thanks", C),
    ("Thanks again, we tested it and everything works.", C),
    ("Спасибо!\n\nС уважением, Иван Петров\nООО «А-Мега», а/я 15\nНе отвечайте на это письмо", C),
    ("Спасибо, всё работает.\n> Если нет — ответьте, что именно не так", C),
    ("Works now, thank you! Details: https://example.com/report?id=5", C),
    # negations
    ("Спасибо, но закрывать пока не надо", U),
    ("Не подтверждаю", U),
    ("Спасибо, ничего не изменилось", U),
    ("No, please don't close it yet", U),
    ("Thanks, doesn’t work for me", D),
    ("Thank you, it isnt fixed", U),
    ("Ok, that didn't help", D),
    ("Спасибо, работает неправильно", U),
    # contrasts
    ("Спасибо, однако отчёт пустой", U),
    ("Спасибо, а что с выгрузкой в 1С", U),
    ("Всё работает, кроме печати", U),
    ("Thanks, though the export is empty", U),
    ("Thanks. However, the report is empty.", U),
    # a lasting or returning problem
    ("Спасибо, ошибка всё ещё появляется", U),
    ("Спасибо, отчёт по-прежнему пустой", U),
    ("Благодарю, до сих пор висит", U),
    ("Thanks, still the same error", D),
    ("Thanks, it happened again this morning", U),
    ("Спасибо, проблема осталась", D),
    # questions
    ("Спасибо! А когда будет обновление?", U),
    ("Ок, а это точно поможет?", U),
    ("Thanks, should we restart the server?", U),
    # deferrals
    ("Спасибо, посмотрим в понедельник", U),
    ("Спасибо, протестируем и отпишемся", U),
    ("Спасибо, пока работает", U),
    ("Thanks, we'll check later", U),
    ("Thank you, will test tomorrow and let you know", U),
    ("Thanks, looks good so far", U),
    # neither confirmation nor disagreement, and nothing at all
    ("Около полудня позвоню", U),
    ("Посмотрим завтра.", U),
    ("", E),
    ("\n> Сделано.\n", E),
]


@pytest.mark.parametrize("text, verdict", REPLIES)
def test_only_a_clear_confirmation_closes_issue_10_item_3_R_4_8(text, verdict):
    assert replies.read_reply(text, DEFAULT_CONFIRM, DEFAULT_DISAGREE).verdict == verdict


def test_the_table_is_large_and_mixed():
    assert len(REPLIES) >= 40
    assert sum(v == C for _, v in REPLIES) >= 15 and sum(v != C for _, v in REPLIES) >= 25


@pytest.mark.parametrize("text", ["Не закрывайте", "НЕ ЗАКРЫВАЙТЕ", "Спасибо, НО всё ещё ошибка", "спасибо, всё ещё"])
def test_case_and_yo_do_not_matter(text):
    assert replies.read_reply(text, DEFAULT_CONFIRM, DEFAULT_DISAGREE).verdict != C


def test_the_veto_is_named():
    reading = replies.read_reply("Спасибо, проверим завтра", DEFAULT_CONFIRM, DEFAULT_DISAGREE)
    assert reading == replies.Reading(U, "проверим")


def test_a_rating_in_the_quoted_notification_is_not_the_customers():
    text = "Посмотрим.\n> (можно поставить оценку от 1 до 5, например: «Оценка: 5»)"
    assert replies.rating(text) is None
    assert replies.read_reply(text, DEFAULT_CONFIRM, DEFAULT_DISAGREE).verdict == U


def test_a_long_reply_is_read_in_bounded_time():
    text = "Спасибо " * 200_000 + " но не работает"
    assert replies.read_reply(text, DEFAULT_CONFIRM, DEFAULT_DISAGREE).verdict == C  # past READ_LIMIT


# -- through mail intake --------------------------------------------------

def reply_to_completed(desk, cli, body: str, now="2025-12-01T11:00:00+03:00"):
    ingest(desk, mail())
    complete_ticket(cli)
    return ingest(desk, mail(subject="RE: [Заявка#T-0001] Не формируется отчёт", mid="<r@barrier.ru>",
                             body=body + "\n\n> Работы по заявке T-0001 завершены."), now=now)


@pytest.fixture
def keep_desk(desk, cli):
    configure_mail(desk.root, unclear_reply="keep")
    add_barrier(cli)
    return desk


@pytest.mark.parametrize("body", ["Не закрывайте заявку, пожалуйста, проверим завтра.",
                                  "Спасибо за ответ, проверим завтра", "Нет, не всё работает"])
def test_a_reply_that_does_not_confirm_keeps_the_ticket_and_is_journalled_issue_10_item_3(keep_desk, cli, body):
    out = reply_to_completed(keep_desk, cli, body)
    assert out.action == "added" and ticket(keep_desk, "T-0001").status == "completed"
    entries = journal(keep_desk, "T-0001")
    assert [e["text"] for e in entries if e["kind"] == "customer"][-1] == body
    assert not any(e["kind"] == "closed" for e in entries)


@pytest.mark.parametrize("body", ["Спасибо, но ошибка не исчезла", "Thanks, but it's not working"])
def test_a_disagreement_reopens_issue_10_item_3_R_4_8(keep_desk, cli, body):
    out = reply_to_completed(keep_desk, cli, body)
    assert out.action == "reopened" and ticket(keep_desk, "T-0001").status == "open"


def test_the_default_policy_reopens_an_unclear_reply_never_closes(mdesk, cli):
    out = reply_to_completed(mdesk, cli, "Не закрывайте заявку, пожалуйста, проверим завтра.")
    assert out.action == "reopened" and ticket(mdesk, "T-0001").status == "open"


def test_a_clear_confirmation_with_a_rating_closes_R_4_9_A_2(mdesk, cli):
    out = reply_to_completed(mdesk, cli, "Спасибо, всё работает! Оценка: 5")
    t = ticket(mdesk, "T-0001")
    assert out.action == "closed" and t.status == "closed" and t.rating == 5


def test_a_rating_alone_closes_A_2(mdesk, cli):
    out = reply_to_completed(mdesk, cli, "Оценка 4")
    assert out.action == "closed" and ticket(mdesk, "T-0001").rating == 4
