"""Mail that cannot go out says so and never blocks a command (issue 10 #18); the customer has the
ticket's number only once notified (R-6.6, R-7.10: `notified_at`, issue 11 section 5)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest
from conftest import add_barrier
from mailkit import configure_mail, free_port, start_smtp, wait_until

from supportctl.domain.codec import ticket_from_dict, ticket_from_row, ticket_to_dict, ticket_to_row
from supportctl.domain.ticket import Ticket

NOT_NOTIFIED = "the customer was not notified"


@pytest.fixture
def smtp():
    controller, handler = start_smtp()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def silent_server():
    """A 'server' that accepts the connection and never says a word (the greeting never comes)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def new_ticket(cli, email: str | None = "smirnova@barrier.ru", **kw):
    args = ["new", "--subject", "Не формируется отчёт", "--text", "Ошибка 0x17.", "--force"]  # alike on purpose (IS-1)
    if email:
        args += ["--email", email]
    return cli(*args, **kw)


def shown(cli, ticket_id="T-0001"):
    return json.loads(cli("show", ticket_id, "--json").stdout)


def state_file(desk):
    return desk.root / ".supportctl" / "mail" / "outbox.json"


def test_10_18_a_server_that_never_answers_does_not_block_reply_or_register(desk, cli, silent_server):
    """smtp.timeout 30: the commands return at once; the mail waits in outbox/ for the sender."""
    port, accepted = silent_server
    configure_mail(desk.root, port)
    with open(desk.root / "supportctl.yaml", "a", encoding="utf-8") as f:
        f.write("    timeout: 30\n")
    add_barrier(cli)
    started = time.monotonic()
    assert new_ticket(cli).exit_code == 0
    registered = cli("register", "T-0001", "--priority", "2")
    replied = cli("reply", "T-0001", "Пришлите, пожалуйста, журнал ошибок.")
    elapsed = time.monotonic() - started
    assert registered.exit_code == 0 and replied.exit_code == 0 and "replied via email" in replied.stdout
    assert elapsed < 5, f"three commands took {elapsed:.1f} s against a server that never answers"
    assert wait_until(lambda: accepted, 15)  # a background sender did connect, and hangs there, not the command
    queued = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [q["event"] for q in queued] == ["acknowledged", "registered", "reply"]
    assert shown(cli)["notified_at"] is None  # the registration notice has not reached a server


def test_10_18_a_refused_connection_is_warned_by_the_next_command(desk, cli):
    down = free_port()  # nothing listens: connection refused
    configure_mail(desk.root, down)
    add_barrier(cli)
    new_ticket(cli)
    assert wait_until(lambda: state_file(desk).exists() and "last_error" in state_file(desk).read_text(), 30)
    result = cli("list")
    assert result.exit_code == 0
    warning = [line for line in result.stderr.splitlines() if "waits in outbox/" in line]
    assert warning and warning[0].startswith("supportctl: warning: mail to ")
    assert "smirnova@barrier.ru (T-0001 acknowledged)" in warning[0] and "refused" in warning[0].lower()
    assert warning[0].endswith("run supportctl mail send")
    listed = json.loads(cli("mail", "outbox", "--json").stdout)
    assert listed[0]["attempts"] >= 1 and listed[0]["last_attempt"].endswith("+03:00")
    assert "cannot connect" in listed[0]["last_error"]
    view = shown(cli)
    assert view["last_notification"]["state"] == "waiting" and "cannot connect" in view["last_notification"]["error"]
    assert "NOT delivered, waits in outbox/" in cli("show", "T-0001").stdout


def test_10_18_without_an_smtp_host_the_command_says_the_mail_waits(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    result = new_ticket(cli)
    assert f"supportctl: warning: T-0001: {NOT_NOTIFIED} (the mail waits in outbox/: no SMTP server" in result.stderr
    cli("register", "T-0001", "--priority", "3")
    replied = cli("reply", "T-0001", "Ответ.")
    assert "supportctl: warning: mail to smirnova@barrier.ru waits in outbox/: no SMTP server is configured" \
        in replied.stderr
    # a command eleven minutes later reminds of mail nobody tried to send
    later = cli("list", now="2025-12-01T10:11:00+03:00")
    assert ("mail to smirnova@barrier.ru (T-0001 reply) waits in outbox/ since 01.12.2025 10:00: "
            "no SMTP server is configured") in later.stderr


def test_10_18_cron_delivery_warns_of_mail_nobody_tried_and_mail_send_delivers(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port, delivery="cron")
    add_barrier(cli)
    result = new_ticket(cli)
    assert result.stderr == ""  # queued for cron: nothing wrong yet
    assert cli("list", now="2025-12-01T10:05:00+03:00").stderr == ""
    assert "no delivery attempt yet; run supportctl mail send" in cli("list", now="2025-12-01T10:11:00+03:00").stderr
    time.sleep(0.5)
    assert handler.envelopes == []  # no background sender with delivery: cron
    sent = cli("mail", "send", now="2025-12-01T10:12:00+03:00")
    assert sent.exit_code == 0 and "sent 1" in sent.stdout
    assert cli("list", now="2025-12-01T10:13:00+03:00").stderr == ""
    journal = (desk.root / "journal" / "T-0001.yaml").read_text(encoding="utf-8")
    assert "Письмо Заказчику принято почтовым сервером (smirnova@barrier.ru)" in journal


def test_R_7_10_notified_at_is_set_when_the_server_accepts_the_registration_notice(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port)
    add_barrier(cli)
    new_ticket(cli)
    assert shown(cli)["notified_at"] is None  # the acknowledgement is not the registration notice
    result = cli("register", "T-0001", "--priority", "2", now="2025-12-01T10:30:00+03:00")
    assert result.exit_code == 0 and NOT_NOTIFIED not in result.stderr
    handler.last("registered")
    assert wait_until(lambda: shown(cli)["notified_at"] is not None)
    view = shown(cli)
    assert view["last_notification"]["event"] == "registered"
    assert view["last_notification"]["state"] == "delivered"
    assert "notified:   01.12.2025 10:" in cli("show", "T-0001").stdout
    ticket_file = (desk.root / "tickets" / "T-0001.yaml").read_text(encoding="utf-8")
    keys = [line.split(":")[0] for line in ticket_file.splitlines() if line and not line.startswith(" ")]
    assert keys.index("notified_at") == keys.index("registration_due") + 1
    entries = [e for e in json.loads(cli("journal", "T-0001", "--json").stdout) if e["kind"] == "mail"]
    assert any(e["data"].get("delivered") is True and e["data"]["event"] == "registered" for e in entries)


def test_R_7_10_notified_at_is_the_time_the_sender_handed_the_notice_over(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port, delivery="cron")
    add_barrier(cli)
    new_ticket(cli)
    cli("register", "T-0001", "--priority", "2", now="2025-12-01T10:30:00+03:00")
    assert shown(cli)["notified_at"] is None  # queued, not yet handed to a server
    assert cli("mail", "send", now="2025-12-01T10:31:00+03:00").exit_code == 0
    assert shown(cli)["notified_at"] == "2025-12-01T10:31:00+03:00"
    assert shown(cli)["last_notification"]["delivered_at"] == "2025-12-01T10:31:00+03:00"


def test_R_7_10_no_e_mail_address_is_warned_with_what_to_do(desk, cli):
    configure_mail(desk.root)
    new_ticket(cli, email=None)
    result = cli("register", "T-0001", "--priority", "1")
    assert result.exit_code == 0
    assert (f"supportctl: warning: T-0001: {NOT_NOTIFIED} (no e-mail address): tell them the number, "
            "priority and deadline by phone") in result.stderr
    assert shown(cli)["notified_at"] is None
    assert "notified:   no: the customer does not have" in cli("show", "T-0001").stdout


def test_R_7_10_a_desk_without_mail_warns_at_registration(desk, cli):
    new_ticket(cli, email="smirnova@barrier.ru")
    result = cli("register", "T-0001", "--priority", "3")
    assert f"warning: T-0001: {NOT_NOTIFIED} (mail is not configured: mail.from is not set)" in result.stderr
    assert shown(cli)["notified_at"] is None


def test_R_7_10_a_refused_address_is_warned_once_by_the_next_command(desk, cli, smtp):
    handler, port = smtp
    handler.refuse_rcpt.add("gone@barrier.ru")
    configure_mail(desk.root, port)
    new_ticket(cli, email="gone@barrier.ru")
    cli("register", "T-0001", "--priority", "2")
    assert wait_until(lambda: len(list((desk.root / "outbox" / "failed").glob("*.eml"))) == 2)
    journal = desk.root / "journal" / "T-0001.yaml"
    assert wait_until(lambda: journal.read_text(encoding="utf-8").count("Письмо Заказчику не доставлено") == 2)
    first = cli("list").stderr
    assert (f"warning: T-0001: {NOT_NOTIFIED} (the address was refused: recipient refused: gone@barrier.ru: 550"
            in first and "tell them the number, priority and deadline by phone" in first)
    assert NOT_NOTIFIED not in cli("list").stderr  # said once, not at every command
    view = shown(cli)
    assert view["notified_at"] is None and "550" in view["last_notification"]["error"]
    assert view["last_notification"]["state"] == "refused"
    assert "Письмо Заказчику не доставлено (gone@barrier.ru)" in journal.read_text(encoding="utf-8")


def test_R_7_10_external_delivery_counts_the_outbox_as_handed_over(desk, cli):
    """A desk whose outbox/ another program sends: the hand-over is the notification."""
    configure_mail(desk.root, delivery="external")
    add_barrier(cli)
    assert new_ticket(cli).stderr == ""
    result = cli("register", "T-0001", "--priority", "2", now="2025-12-01T10:20:00+03:00")
    assert result.stderr == ""
    view = shown(cli)
    assert view["notified_at"] == "2025-12-01T10:20:00+03:00"
    assert view["last_notification"]["state"] == "handed_over"
    assert cli("list", now="2025-12-02T10:20:00+03:00").stderr == ""  # nothing to warn of
    refused = cli("mail", "send")
    assert refused.exit_code == 2 and "another program sends" in refused.stderr


def test_external_delivery_with_an_smtp_host_is_a_config_error(desk, cli):
    configure_mail(desk.root, 2525, delivery="external")
    result = cli("mail", "send")
    assert result.exit_code != 0 and "mail.delivery is external" in result.stderr


def test_10_18_two_senders_never_send_one_mail_twice(desk, cli, smtp):
    handler, port = smtp
    configure_mail(desk.root, port, delivery="cron")
    add_barrier(cli)
    for n in range(4):
        new_ticket(cli, now=f"2025-12-01T10:0{n}:00+03:00")
    env = {**os.environ, "SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": "2025-12-01T10:10:00+03:00"}
    runs = [subprocess.Popen([sys.executable, "-m", "supportctl", "mail", "send", *extra], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for extra in ([], [], ["--background"])]
    for run in runs:
        run.communicate(timeout=60)
    assert sorted(str(m["X-Supportctl-Ticket"]) for m in handler.messages) == ["T-0001", "T-0002", "T-0003", "T-0004"]
    assert not list((desk.root / "outbox").glob("*.eml"))


def test_notified_at_round_trips_through_the_codec_and_the_index_row():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Moscow")
    ticket = Ticket(id="T-0001", received_at=datetime(2025, 12, 1, 7, 0, tzinfo=timezone.utc),
                    notified_at=datetime(2025, 12, 1, 7, 30, tzinfo=timezone.utc))
    data = ticket_to_dict(ticket, tz)
    assert data["notified_at"] == "2025-12-01T10:30:00+03:00"
    assert list(data).index("notified_at") == list(data).index("registration_due") + 1
    assert ticket_from_dict(data).notified_at == ticket.notified_at
    assert ticket_from_row(ticket_to_row(ticket, tz)).notified_at == ticket.notified_at
    with pytest.raises(ValueError):
        ticket_from_dict({**data, "notified_at": "not a time"})


def test_R_7_10_show_reads_an_older_ticket_s_delivered_registration_notice_from_its_journal(desk, cli):
    """Registered before notified_at existed: the journal's delivered notice is the evidence."""
    configure_mail(desk.root, delivery="external")
    new_ticket(cli)
    cli("register", "T-0001", "--priority", "2", now="2025-12-01T10:20:00+03:00")
    path = desk.root / "tickets" / "T-0001.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("notified_at: '2025-12-01T10:20:00+03:00'",
                                                             "notified_at: null"), encoding="utf-8")
    assert desk.load_ticket("T-0001").notified_at is None
    journal = desk.root / "journal" / "T-0001.yaml"
    journal.write_text(journal.read_text(encoding="utf-8").replace('"delivered": false', '"delivered": true'),
                       encoding="utf-8")
    assert shown(cli)["notified_at"] == "2025-12-01T10:20:00+03:00"


def test_10_18_a_sender_takes_mail_queued_while_it_works_and_leaves_the_queue_to_a_busy_one(desk, cli, smtp,
                                                                                                   monkeypatch):
    """The background sender's protocol: one sender at a time (the other leaves at once), and the one at
    work looks for new mail before it exits, so a mail queued meanwhile is not left behind."""
    from supportctl.desk.files import exclusive_lock
    from supportctl.services import notify
    from supportctl.services.context import Ctx

    handler, port = smtp
    configure_mail(desk.root, port, delivery="cron")
    add_barrier(cli)
    new_ticket(cli)
    ctx = Ctx(desk=type(desk)(desk.root), now=datetime(2025, 12, 1, 7, 5, tzinfo=timezone.utc), actor="cron")
    with exclusive_lock(desk.root / ".supportctl" / "mail" / "send.lock"):  # another sender is at work
        report = notify.send_queued(ctx, wait=False)
    assert report.sent == [] and handler.envelopes == []

    record = notify._record_delivery
    queued_meanwhile = []

    def record_and_queue_another(ctx_, item, error):
        record(ctx_, item, error)
        if not queued_meanwhile:
            queued_meanwhile.append(new_ticket(cli, now="2025-12-01T10:06:00+03:00").stdout.strip())

    monkeypatch.setattr(notify, "_record_delivery", record_and_queue_another)
    report = notify.send_queued(ctx, wait=False)
    assert queued_meanwhile == ["T-0002"]
    assert [q.ticket_id for q in report.sent] == ["T-0001", "T-0002"]
    assert sorted(str(m["X-Supportctl-Ticket"]) for m in handler.messages) == ["T-0001", "T-0002"]


def test_10_18_many_waiting_mails_are_counted_not_listed(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    for n in range(7):
        new_ticket(cli, email=f"user{n}@barrier.ru", now=f"2025-12-01T10:0{n}:00+03:00")  # (auto-reply limit)
    stderr = cli("list", now="2025-12-01T11:00:00+03:00").stderr
    warnings = [line for line in stderr.splitlines() if "outbox" in line]
    assert len(warnings) == 5 and warnings[-1] == ("supportctl: warning: 3 more mails have not gone out; "
                                                   "see supportctl mail outbox")
