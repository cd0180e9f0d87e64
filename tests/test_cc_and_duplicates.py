"""Issue 12: CC on tickets (the customer's colleagues copied on every mail, their replies threaded) and
the duplicate request refused by `new` (IS-1), one rule shared with mail intake."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import NOW, add_barrier
from mailkit import b64_header, configure_mail, outlook_mail

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


# -- CC: kept from the customer's mail ------------------------------------------------------------

def cc_mail(cc: str, mid="<m1@barrier.ru>", sender="smirnova@barrier.ru", subject=SUBJECT, body=TEXT,
            in_reply_to=None) -> bytes:
    return outlook_mail(sender=sender, name="Смирнова Ольга Петровна", subject=subject, body=body,
                        message_id=mid, in_reply_to=in_reply_to, extra=f"Cc: {cc}\r\n" if cc else "")


@pytest.fixture
def mdesk(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    return desk


def ticket(desk, ticket_id="T-0001"):
    return Desk(desk.root).load_ticket(ticket_id)


def test_a_new_mail_keeps_only_the_customers_own_cc_addresses_issue_12_cc(mdesk, cli):
    cc = (f"{b64_header('Иванов', 'utf-8')} <Ivanov@Barrier.ru>, stranger@gmail.com, support@desk.example, SMIRNOVA@barrier.ru, "
          "petrov@barrier.ru, not-an-address, ivanov@barrier.ru")
    assert ingest(mdesk, cc_mail(cc)).action == "created"
    assert ticket(mdesk).cc == ["ivanov@barrier.ru", "petrov@barrier.ru"]  # lower-cased, once, in order
    shown = json.loads(cli("show", "T-0001", "--json").stdout)
    assert shown["cc"] == ["ivanov@barrier.ru", "petrov@barrier.ru"]
    assert "cc:         ivanov@barrier.ru, petrov@barrier.ru" in cli("show", "T-0001").stdout
    assert journal(mdesk, "T-0001")[0]["data"]["cc"] == ["ivanov@barrier.ru", "petrov@barrier.ru"]


def test_a_listed_contact_of_the_customer_outside_its_domains_is_kept_issue_12_cc(mdesk, cli):
    assert cli("customer", "contact", "add", "АКБ «Барьер»", "--name", "Козлов Пётр",
               "--email", "kozlov@mail.ru").exit_code == 0
    ingest(mdesk, cc_mail("kozlov@mail.ru, other@mail.ru"))
    assert ticket(mdesk).cc == ["kozlov@mail.ru"]


def test_cc_of_a_mail_from_an_unknown_sender_is_not_kept_issue_12_cc(mdesk):
    ingest(mdesk, cc_mail("ivanov@barrier.ru", sender="someone@gmail.com"))
    assert ticket(mdesk).cc == []  # no customer to belong to: no one is copied


def test_a_hostile_cc_list_is_capped_in_number_and_length_issue_12_cc(mdesk):
    long = "a" * 250 + "@barrier.ru"  # beyond the 254 characters of an SMTP path
    many = ", ".join([long] + [f"user{n}@barrier.ru" for n in range(30)])
    assert ingest(mdesk, cc_mail(many)).action == "created"
    assert ticket(mdesk).cc == [f"user{n}@barrier.ru" for n in range(10)]


def test_a_followups_cc_is_added_and_journaled_issue_12_cc(mdesk):
    ingest(mdesk, cc_mail("ivanov@barrier.ru"))
    out = ingest(mdesk, cc_mail("petrov@barrier.ru, ivanov@barrier.ru, x@gmail.com", mid="<m2@barrier.ru>",
                                subject=f"RE: [Заявка#T-0001] {SUBJECT}", body="Добавляю Петрова."),
                 now="2025-12-01T10:30:00+03:00")
    assert (out.action, out.ticket_id) == ("added", "T-0001")
    assert ticket(mdesk).cc == ["ivanov@barrier.ru", "petrov@barrier.ru"]
    edited = [e for e in journal(mdesk, "T-0001") if e["kind"] == "edited"]
    assert [e["data"] for e in edited] == [{"field": "cc", "old": ["ivanov@barrier.ru"],
                                             "new": ["ivanov@barrier.ru", "petrov@barrier.ru"]}]
    assert edited[0]["text"] == "Копия (Cc) изменена: «ivanov@barrier.ru» → «ivanov@barrier.ru, petrov@barrier.ru»"


# -- CC: edit --cc / --no-cc ----------------------------------------------------------------------

def test_edit_cc_adds_and_no_cc_removes_each_journaled_issue_12_cc(desk, cli):
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    result = cli("edit", "T-0001", "--cc", "Partner@Integrator.ru", "--cc", "ivanov@barrier.ru")
    assert result.exit_code == 0, result.stderr
    assert "edited: cc" in result.stdout
    assert ticket(desk).cc == ["partner@integrator.ru", "ivanov@barrier.ru"]
    assert cli("edit", "T-0001", "--cc", "ivanov@barrier.ru").stdout.strip().endswith("unchanged")
    assert cli("edit", "T-0001", "--no-cc", "partner@integrator.ru").exit_code == 0
    assert ticket(desk).cc == ["ivanov@barrier.ru"]
    edited = [e for e in journal(desk, "T-0001") if e["kind"] == "edited"]
    assert [(e["data"]["old"], e["data"]["new"]) for e in edited] == [
        ([], ["partner@integrator.ru"]), (["partner@integrator.ru"], ["partner@integrator.ru", "ivanov@barrier.ru"]),
        (["partner@integrator.ru", "ivanov@barrier.ru"], ["ivanov@barrier.ru"])]
    assert edited[0]["text"] == "Копия (Cc) изменена: «—» → «partner@integrator.ru»"


@pytest.mark.parametrize("args, says", [
    (("--cc", "not an address"), "not an e-mail address"),
    (("--cc", "a\r\nBcc: x@evil.ru"), "line break"),
    (("--cc", "x" * 250 + "@barrier.ru"), "254"),
    (("--cc", "smirnova@barrier.ru"), "the ticket's contact"),
    (("--no-cc", "@@"), "not an e-mail address"),
])
def test_edit_cc_refuses_bad_addresses_with_nothing_written_issue_12_cc(desk, cli, args, says):
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    before = (desk.root / "tickets" / "T-0001.yaml").read_bytes()
    result = cli("edit", "T-0001", "--cc", "ivanov@barrier.ru", *args)
    assert result.exit_code == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert (desk.root / "tickets" / "T-0001.yaml").read_bytes() == before


def test_edit_cc_keeps_at_most_ten_addresses_issue_12_cc(desk, cli):
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    ten = [a for n in range(10) for a in ("--cc", f"u{n}@barrier.ru")]
    assert cli("edit", "T-0001", *ten).exit_code == 0
    result = cli("edit", "T-0001", "--cc", "u10@barrier.ru")
    assert result.exit_code == 2 and "at most 10" in result.stderr


def test_a_hand_edited_cc_is_checked_on_load_issue_12_cc(desk, cli):
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    path = desk.root / "tickets" / "T-0001.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("cc: []", "cc: [' Ivanov@Barrier.ru ']"), encoding="utf-8")
    assert ticket(desk).cc == ["ivanov@barrier.ru"]  # a hand edit's case and spaces are forgiven
    path.write_text(text.replace("cc: []", "cc: [not-an-address]"), encoding="utf-8")
    result = cli("show", "T-0001")
    assert result.exit_code == 2 and "cc" in result.stderr


def test_git_merge_of_cc_is_a_union_issue_12_cc():
    import copy

    from supportctl.domain.merge import merge_tickets
    from supportctl.domain.ticket import Ticket

    base = Ticket(id="T-0001", cc=["a@barrier.ru", "b@barrier.ru"])
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours.cc.append("c@barrier.ru")
    theirs.cc = ["b@barrier.ru", "d@barrier.ru"]  # removed a, added d
    result = merge_tickets(base, ours, theirs)
    assert result.clean and result.ticket.cc == ["b@barrier.ru", "c@barrier.ru", "d@barrier.ru"]


# -- CC: replies from a copied person thread in; only from the customer -----------------------

def test_a_reply_from_a_copied_outsider_threads_into_the_ticket_issue_12_cc(mdesk, cli):
    ingest(mdesk, cc_mail("ivanov@barrier.ru"))
    reply = dict(sender="partner@integrator.ru", subject=f"RE: [Заявка#T-0001] {SUBJECT}", body="Логи приложил.")
    before = ingest(mdesk, cc_mail("", mid="<p1@integrator.ru>", **reply), now="2025-12-01T10:10:00+03:00")
    assert before.action == "created" and before.ticket_id == "T-0002"  # not copied yet: a stranger (foreign)
    assert cli("edit", "T-0001", "--cc", "partner@integrator.ru").exit_code == 0
    after = ingest(mdesk, cc_mail("", mid="<p2@integrator.ru>", **reply), now="2025-12-01T10:20:00+03:00")
    assert (after.action, after.ticket_id) == ("added", "T-0001")
    last = journal(mdesk, "T-0001")[-1]
    assert last["kind"] == "customer" and last["data"]["from"] == "partner@integrator.ru"


def test_a_confirmation_counts_only_from_the_customers_people_R_4_8_issue_12_cc(mdesk, cli):
    ingest(mdesk, cc_mail("ivanov@barrier.ru"))
    cli("edit", "T-0001", "--cc", "partner@integrator.ru")
    cli("register", "T-0001", "--priority", "3")
    cli("complete", "T-0001", "Сделано.")
    thanks = dict(subject=f"RE: [Заявка#T-0001] {SUBJECT}", body="Спасибо, всё работает.\n\n> Сделано.")
    out = ingest(mdesk, cc_mail("", sender="partner@integrator.ru", mid="<p3@integrator.ru>", **thanks),
                 now="2025-12-01T11:00:00+03:00")
    assert (out.action, out.ticket_id) == ("added", "T-0001")
    assert ticket(mdesk).status == "completed"  # an outsider copied on it does not close it
    assert "R-4.8" in journal(mdesk, "T-0001")[-1]["text"]
    out = ingest(mdesk, cc_mail("", sender="ivanov@barrier.ru", mid="<i1@barrier.ru>", **thanks),
                 now="2025-12-01T11:10:00+03:00")
    assert out.action == "closed" and ticket(mdesk).status == "closed"  # the customer's colleague does


# -- CC: every mail to the customer carries them ------------------------------------------------------

@pytest.fixture
def smtp():
    from mailkit import start_smtp

    controller, handler = start_smtp()
    yield handler, controller.port
    controller.stop()


def test_replies_and_notifications_go_to_the_contact_with_cc_over_smtp_issue_12_cc(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port)
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru")
    assert cli("edit", "T-0001", "--cc", "ivanov@barrier.ru", "--cc", "petrov@barrier.ru").exit_code == 0
    assert cli("register", "T-0001", "--priority", "2").exit_code == 0
    assert cli("reply", "T-0001", "Проверьте, пожалуйста, журнал.").exit_code == 0
    for event in ("registered", "reply"):
        mail = handler.last(event)
        assert str(mail["To"]).endswith("<smirnova@barrier.ru>")
        assert [a.addr_spec for a in mail["Cc"].addresses] == ["ivanov@barrier.ru", "petrov@barrier.ru"]
        envelope = next(e for e in handler.envelopes if f"X-Supportctl-Event: {event}".encode() in e.content)
        assert sorted(envelope.rcpt_tos) == ["ivanov@barrier.ru", "petrov@barrier.ru", "smirnova@barrier.ru"]
    queued = [e for e in journal(desk, "T-0001") if e["kind"] == "mail" and e["data"].get("event") == "reply"]
    assert queued[0]["data"]["cc"] == ["ivanov@barrier.ru", "petrov@barrier.ru"]


def test_a_refused_cc_does_not_fail_the_mail_to_the_contact_issue_12_cc(desk, cli, smtp):
    handler, port = smtp
    handler.refuse_rcpt = {"gone@barrier.ru"}
    configure_mail(desk.root, port, delivery="cron")
    add_barrier(cli)
    cli("new", "--subject", SUBJECT, "--text", TEXT, "--email", "smirnova@barrier.ru", "--channel", "phone")
    cli("edit", "T-0001", "--cc", "gone@barrier.ru")
    cli("reply", "T-0001", "Ответ.")
    sent = cli("mail", "send")
    assert sent.exit_code == 0, sent.stderr
    assert handler.envelopes[-1].rcpt_tos == ["smirnova@barrier.ru"]
    assert not list((desk.root / "outbox").glob("*.eml")) and not (desk.root / "outbox" / "failed").exists()


def test_a_contact_copied_by_hand_on_itself_is_not_copied_twice_issue_12_cc():
    from supportctl.mail.compose import Outgoing, compose
    from supportctl.mail.settings import mail_settings

    settings = mail_settings({"mail": {"from": "Desk <support@desk.example>"}})
    out = Outgoing(to_addr="smirnova@barrier.ru", to_name=None, subject="s", body="b", message_id="<x@desk.example>",
                   cc=("SMIRNOVA@barrier.ru", "ivanov@barrier.ru", "bad address"))
    msg = compose(settings, out, datetime(2025, 12, 1, tzinfo=timezone.utc))
    assert str(msg["Cc"]) == "ivanov@barrier.ru"
