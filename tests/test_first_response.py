"""Issue 11 §3: first response, the timer IS-6 promises (a reaction within 24 h functional / 36 h
layout / 3 h Premium, around the clock): from receipt to the first reply (any --via) or completion.

Deadlines hand-computed: on 24x7 a target is wall-clock time; on the regulation's calendar
(09:00–18:00 Moscow, weekends, 31.12 and 01.01–09.01.2026 off) working time.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, add_barrier
from mailkit import configure_mail, outlook_mail

from supportctl.desk.desk import Desk
from supportctl.domain import lifecycle
from supportctl.domain.sla import first_response_due, sla_config_from_dict, ticket_sla
from supportctl.domain.ticket import Ticket
from supportctl.services import mail_intake
from supportctl.services.context import Ctx

MSK = ZoneInfo("Europe/Moscow")
CONFIG = {"sla": {"policies": {
    "is6": {"calendar": "24x7", "first_response": {"default": "24h", "categories": {"functional": "24h",
                                                                                   "layout": "36h"}},
            "resolution": "none"},
    "premium": {"calendar": "24x7", "first_response": "3h", "resolution": "none"},
    "office": {"calendar": "regulation", "first_response": {1: "2h", 2: "4h", "categories": {"layout": "1d"}}},
}}}
SLA = sla_config_from_dict(CONFIG)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def ticket(received: str, plan: str | None, priority: int | None = None, category: str | None = None) -> Ticket:
    t = Ticket(id="T-0001", received_at=at(received), plan=plan, category=category)
    if priority is not None:
        lifecycle.register(t, priority, None, at(received), "a")
    return t


DEADLINES = [
    # 24x7: IS-6
    pytest.param("2025-12-06 23:00", "premium", 4, None, "2025-12-07 02:00", id="premium 3h any type, Sat night"),
    pytest.param("2025-12-05 20:00", "is6", 3, "functional", "2025-12-06 20:00", id="is6 functional 24h"),
    pytest.param("2025-12-05 20:00", "is6", 1, "layout", "2025-12-07 08:00", id="is6 layout 36h over a weekend"),
    pytest.param("2025-12-31 12:00", "is6", None, None, "2026-01-01 12:00",
                 id="is6 default 24h, unregistered, over New Year"),
    # the regulation's calendar
    pytest.param("2025-12-05 17:00", "office", 1, None, "2025-12-08 10:00", id="P1 2 working h from Fri 17:00"),
    pytest.param("2025-12-05 17:00", "office", 2, None, "2025-12-08 12:00", id="P2 4 working h from Fri 17:00"),
    pytest.param("2025-12-30 17:00", "office", 1, None, "2026-01-12 10:00", id="P1 over the New Year holidays"),
    pytest.param("2025-12-05 10:00", "office", 1, "layout", "2025-12-08 10:00", id="category layout 1 working day"),
    pytest.param("2025-12-06 12:00", "office", 2, None, "2025-12-08 13:00", id="received Saturday: from Mon 09:00"),
]


@pytest.mark.parametrize("received, plan, priority, category, due", DEADLINES)
def test_first_response_deadlines(received, plan, priority, category, due):
    t = ticket(received, plan, priority, category)
    timer = ticket_sla(t, SLA, at(received)).first_response
    assert timer.deadline == at(due)
    assert first_response_due(t, SLA) == at(due)
    assert timer.state == "on_track"


# (what happens to a premium ticket received Mon 10:00, due 13:00; now; state; deadline)
STOPS = [
    pytest.param([("reply_phone", "2025-12-01 12:00")], "2025-12-01 15:00", "met", "2025-12-01 13:00",
                 id="a reply by phone stops it in time"),
    pytest.param([("reply_email", "2025-12-01 14:00"), ("reply_email", "2025-12-01 14:30")],
                 "2025-12-01 15:00", "missed", "2025-12-01 13:00", id="the first reply counts, late"),
    pytest.param([("complete", "2025-12-01 12:30")], "2025-12-01 15:00", "met", "2025-12-01 13:00",
                 id="completion without a reply stops it"),
    pytest.param([("hold_customer", "2025-12-01 11:00"), ("resume", "2025-12-01 12:00")], "2025-12-01 13:30",
                 "at_risk", "2025-12-01 14:00", id="a customer delay pauses it like the others"),
    pytest.param([("hold_dev", "2025-12-01 11:00"), ("resume", "2025-12-01 12:00")], "2025-12-01 13:30",
                 "breached", "2025-12-01 13:00", id="needs-development does not pause it"),
    pytest.param([("hold_customer", "2025-12-01 11:00")], "2025-12-01 20:00", "paused", "2025-12-01 22:00",
                 id="still waiting on the customer"),
]


@pytest.mark.parametrize("steps, now, state, deadline", STOPS)
def test_first_response_stops_at_the_first_reply_or_completion(steps, now, state, deadline):
    t = ticket("2025-12-01 10:00", "premium", 2)
    for step, when in steps:
        if step.startswith("reply"):
            lifecycle.reply(t, "ответ", None, step.removeprefix("reply_"), at(when), "a")
        elif step == "complete":
            lifecycle.complete(t, "", None, at(when), "a")
        elif step.startswith("hold"):
            customer = step == "hold_customer"
            lifecycle.hold(t, "need-info" if customer else "needs-development", "", at(when), "a",
                           stops_clock=customer)
        else:
            lifecycle.resume(t, "", at(when), "a")
    timer = ticket_sla(t, SLA, at(now)).first_response
    assert (timer.state, timer.deadline) == (state, at(deadline))


def test_a_timer_the_policy_leaves_out_is_absent_not_zero():
    regulation = ticket_sla(ticket("2025-12-01 10:00", None, 1), SLA, at("2025-12-01 11:00")).to_dict()
    assert list(regulation) == ["policy", "registration", "resolution"]
    premium = ticket_sla(ticket("2025-12-01 10:00", "premium", 1), SLA, at("2025-12-01 11:00")).to_dict()
    assert list(premium) == ["policy", "registration", "first_response"]
    assert premium["first_response"]["breaches"] == []
    both = ticket_sla(ticket("2025-12-01 10:00", "office"), SLA, at("2025-12-01 11:00")).to_dict()
    assert list(both) == ["policy", "registration", "first_response", "resolution"]
    assert both["first_response"] is None and both["resolution"] is None  # by priority: none until registered


def test_a_raised_priority_breaches_the_first_response_at_once_too():
    t = ticket("2025-12-01 10:00", "office", 2)  # first response due 14:00
    lifecycle.change_priority(t, 1, "x", at("2025-12-01 12:30"), "a")  # P1: due 12:00 from receipt
    timer = ticket_sla(t, SLA, at("2025-12-01 12:30")).first_response
    assert (timer.state, timer.breaches) == ("breached", ((at("2025-12-01 12:00"), 1),))


@pytest.mark.parametrize("value, message", [
    ({"5": "1h"}, "unknown key '5'"),
    ({"categories": {"layout": "36x"}}, "first_response.categories.layout"),
    ("soon", "first_response"),
])
def test_a_bad_first_response_setting_is_named(value, message):
    with pytest.raises(ValueError, match=message):
        sla_config_from_dict({"sla": {"policies": {"x": {"first_response": value}}}})


# ---------------------------------------------------------------- through the CLI

@pytest.fixture
def premium(cli, desk):
    """New tickets of a customer on the shipped premium plan (first response 3 h, 24x7)."""
    cli("customer", "add", "ООО Вектор", "--contract", "П-1", "--from", "2025-01-01", "--to", "2026-12-31",
        "--plan", "premium")
    cli("customer", "contact", "add", "ООО Вектор", "--name", "Козлов Д.С.", "--email", "kozlov@vektor.ru")

    def new(now: str = NOW) -> str:
        return cli("new", "--subject", "Сбой", "--text", "Не работает", "--org", "ООО Вектор",
                   "--contact", "Козлов Д.С.", "--email", "kozlov@vektor.ru", "--force",  # alike on purpose (IS-1)
                   now=now).stdout.strip()
    return new


def test_sla_list_overdue_and_report_show_the_first_response(cli, premium):
    late, answered = premium(), premium()  # received Mon 10:00, first response due 13:00
    r = cli("register", late, "--priority", "2")
    assert r.stdout == f"{late}: registered, priority 2, due —, first response due 01.12.2025 13:00\n"
    cli("register", answered, "--priority", "2")
    cli("reply", answered, "Смотрим", "--via", "phone", now="2025-12-01T11:00:00+03:00")
    data = json.loads(cli("sla", late, "--json", now="2025-12-01T12:30:00+03:00").stdout)
    assert list(data) == ["id", "policy", "registration", "first_response"]
    assert (data["first_response"]["state"], data["first_response"]["deadline"]) == \
        ("at_risk", "2025-12-01T13:00:00+03:00")
    text = cli("sla", late, now="2025-12-01T12:30:00+03:00").stdout
    assert "first_response at_risk" in text and "resolution" not in text
    at_risk = cli("list", "--at-risk", "--json", now="2025-12-01T12:30:00+03:00")
    assert [t["id"] for t in json.loads(at_risk.stdout)] == [late]
    table = cli("list", now="2025-12-01T12:30:00+03:00").stdout
    assert late in table.splitlines()[2] and "01.12.2025 13:00" in table.splitlines()[2]
    od = cli("overdue", "--json", now="2025-12-01T14:00:00+03:00")
    assert od.exit_code == 1
    assert [(r["id"], r["timer"], r["deadline"]) for r in json.loads(od.stdout)] == \
        [(late, "first_response", "2025-12-01T13:00:00+03:00")]
    assert [t["id"] for t in json.loads(cli("list", "--overdue", "--json", now="2025-12-01T14:00:00+03:00").stdout)] \
        == [late]
    report = json.loads(cli("report", "sla", "--from", "2025-12-01", "--to", "2025-12-07", "--format", "json",
                            now="2025-12-02T10:00:00+03:00").stdout)
    total = report["sections"]["total"][0]
    assert (total["first_response_in_time"], total["first_response_late"], total["first_response_pct"]) == (1, 1, 50)
    assert total["first_response_median_minutes"] == 60  # only the stopped one: 10:00 -> 11:00
    assert (total["resolved_in_time"], total["resolved_late"]) == (0, 0)
    assert [(b["id"], b["timer_code"]) for b in report["sections"]["breaches"]] == [(late, "first_response")]
    table = cli("report", "sla", "--from", "2025-12-01", "--to", "2025-12-07", "--lang", "en",
                now="2025-12-02T10:00:00+03:00").stdout
    assert "Resp. in time" in table


def test_a_report_without_first_response_timers_has_no_such_columns(cli):
    tid = cli("new", "--subject", "a", "--text", "b").stdout.strip()
    cli("register", tid, "--priority", "1")
    report = json.loads(cli("report", "sla", "--from", "2025-12-01", "--to", "2025-12-07", "--format", "json",
                            now="2025-12-02T10:00:00+03:00").stdout)
    assert "first_response_in_time" not in report["sections"]["total"][0]


# ---------------------------------------------------------------- mail intake sets the category

def _ingest(desk, raw: bytes):
    return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(NOW), "robot"), raw, "test")


@pytest.mark.parametrize("subject, body, category", [
    ("Поехала вёрстка на главной", "Текст", "layout"),
    ("Сбой", "После обновления ВЕРСТКА страницы поехала", "layout"),
    ("Не работает функционал выгрузки", "…", "functional"),
    ("Вопрос", "Просто вопрос", "other"),
])
def test_mail_intake_sets_the_category_the_mail_names(desk, cli, subject, body, category):
    configure_mail(desk.root, categories="{вёрстк: layout, функционал: functional}", default_category="other")
    add_barrier(cli)
    raw = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова О. П.", subject=subject, body=body,
                       message_id="<c1@barrier.ru>")
    outcome = _ingest(desk, raw)
    assert outcome.action == "created"
    assert Desk(desk.root).load_ticket(outcome.ticket_id).category == category


def test_without_a_keyword_map_mail_has_no_category(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    raw = outlook_mail(sender="smirnova@barrier.ru", name="С", subject="вёрстка", body="x", message_id="<c2@b.ru>")
    assert Desk(desk.root).load_ticket(_ingest(desk, raw).ticket_id).category is None


def test_a_bad_keyword_map_is_named(desk, cli):
    configure_mail(desk.root, categories="[вёрстк]")
    add_barrier(cli)
    r = cli("mail", "ingest", "--help")
    assert r.exit_code == 0
    from supportctl.errors import DeskDamaged
    from supportctl.mail.settings import mail_settings

    with pytest.raises(DeskDamaged, match="mail.categories"):
        mail_settings(Desk(desk.root).config)

