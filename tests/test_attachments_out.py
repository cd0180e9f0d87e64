"""Issue 12, attachments both ways: the desk attaches files to reply/note/complete, mails them as MIME
attachments (RFC 2231 names), lists them and copies them out of the desk safely."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage

import pytest
import yaml
from conftest import add_barrier
from mailkit import MaildirDelivery, body_of, configure_mail, send_over_smtp, start_smtp, wait_until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
BMP = b"BM" + b"\x00" * 8 + (54).to_bytes(4, "little") + b"\x00" * 40  # refuses it from customers only
LOG = "журнал ошибок сервера 2026-11-30.log"


@pytest.fixture
def smtp():
    controller, handler = start_smtp()
    yield handler, controller.port
    controller.stop()


def _ticket(cli):
    add_barrier(cli)
    assert cli("new", "--subject", "Не формируется отчёт", "--text", "Ошибка 0x17.",
               "--email", "smirnova@barrier.ru").exit_code == 0
    assert cli("register", "T-0001", "--priority", "2").exit_code == 0


def _files(tmp_path):
    log = tmp_path / LOG
    log.write_text("ERROR 0x17 at 10:00\n", encoding="utf-8")
    shot = tmp_path / "screen.bmp"
    shot.write_bytes(BMP)
    return log, shot


def _listed(cli, ticket_id="T-0001"):
    result = cli("attachments", ticket_id, "--json")
    assert result.exit_code == 0, result.stderr
    return {a["name"]: a for a in json.loads(result.stdout)}


def test_reply_with_attachments_goes_out_as_mime_with_rfc2231_names(desk, cli, smtp, tmp_path):
    handler, port = smtp
    configure_mail(desk.root, port)
    _ticket(cli)
    log, shot = _files(tmp_path)
    result = cli("reply", "T-0001", "Журнал во вложении.", "--attach", str(log), "--attach", str(shot))
    assert result.exit_code == 0, result.stderr
    assert "2 file(s) attached" in result.stdout

    mail = handler.last("reply")
    got = {part.get_filename(): part.get_payload(decode=True) for part in mail.iter_attachments()}
    assert got == {LOG: b"ERROR 0x17 at 10:00\n", "screen.bmp": BMP}  # any type from the desk; name intact
    raw = next(e.content for e in handler.envelopes if b"X-Supportctl-Event: reply" in e.content)
    assert b"filename*" in raw and "журнал".encode() not in raw  # RFC 2231 on the wire, never raw UTF-8
    assert "Журнал во вложении." in mail.get_body(("plain",)).get_content()

    stored = desk.root / "attachments" / "T-0001"
    assert (stored / LOG).read_text(encoding="utf-8") == "ERROR 0x17 at 10:00\n"
    listed = _listed(cli)
    assert listed[LOG]["size"] == 20 and listed[LOG]["type"] == "other"
    assert listed["screen.bmp"]["type"] == "bmp" and listed["screen.bmp"]["kind"] == "reply"
    journal = [json.loads(line[2:]) for line in (desk.root / "journal" / "T-0001.yaml").read_text().splitlines()]
    replied = [e for e in journal if e["kind"] == "reply"][-1]
    assert replied["data"]["attachments"] == [LOG, "screen.bmp"]
    assert listed[LOG]["entry"] == journal.index(replied) + 1
    mailed = [e for e in journal if e["kind"] == "mail" and e["data"].get("event") == "reply"][0]
    assert mailed["data"]["files"] == [LOG, "screen.bmp"]

    shown = cli("show", "T-0001").stdout
    assert f"{LOG} (20 B)" in shown and "screen.bmp (54 B)" in shown


def test_completion_carries_attachments_and_a_customer_file_arrives_intact(desk, cli, smtp, tmp_path):
    """Both ways over the real SMTP server: the completion mail's attachment, sent back by the customer
    with a Cyrillic name (RFC 2231, as the stdlib and mail clients write it), is stored under that name."""
    handler, port = smtp
    configure_mail(desk.root, port)
    _ticket(cli)
    log, _ = _files(tmp_path)
    assert cli("complete", "T-0001", "Исправлено, журнал прилагаю.", "--attach", str(log)).exit_code == 0
    done = handler.last("completed")
    assert [p.get_filename() for p in done.iter_attachments()] == [LOG]

    back = EmailMessage(policy=policy.SMTP)
    back["From"] = "Смирнова Ольга Петровна <smirnova@barrier.ru>"
    back["To"] = "support@desk.example"
    back["Subject"] = "RE: " + str(done["Subject"])
    back["Message-ID"] = "<back@barrier.ru>"
    back["In-Reply-To"] = done["Message-ID"]
    back.set_content("Не помогло, снимок экрана во вложении.")
    back.add_attachment(PNG, maintype="image", subtype="png", filename="снимок экрана №2.png")
    for part in done.iter_attachments():  # and the desk's own log sent back
        back.add_attachment(part.get_payload(decode=True), maintype="text", subtype="plain",
                            filename=part.get_filename())
    eml = tmp_path / "back.eml"
    eml.write_bytes(back.as_bytes())
    assert cli("mail", "ingest", str(eml), now="2025-12-01T12:00:00+03:00").exit_code == 0

    listed = _listed(cli)
    assert listed["снимок экрана №2.png"]["type"] == "png" and listed["снимок экрана №2.png"]["kind"] == "customer"
    assert listed[LOG]["kind"] == "completed"
    again = [name for name in listed if name != LOG and name.endswith(".log")]
    assert again == ["журнал ошибок сервера 2026-11-30-2.log"]  # the same name twice is kept apart


def _customer_mail(subject: str, body: str, message_id: str, in_reply_to: str | None = None) -> EmailMessage:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = "Смирнова Ольга Петровна <smirnova@barrier.ru>"
    mail["To"] = "support@desk.example"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    mail.set_content(body)
    return mail


def test_attachments_both_ways_over_real_smtp_servers_issue_12(desk, cli, smtp, tmp_path):
    """Issue 12, "Done when": the customer's mail client sends a screenshot over SMTP to the desk's
    mail server, which delivers it to the Maildir that intake reads; the desk's reply carries a log
    out through its own SMTP server; the customer sends that log back the same way. Every file
    arrives byte for byte under its Cyrillic name, whether the client wrote it per RFC 2231 (as the
    stdlib and Thunderbird do) or as an RFC 2047 word in quotes (as Outlook does)."""
    handler, port = smtp  # the desk's outgoing server
    inbound = MaildirDelivery(tmp_path / "Maildir")  # the desk's incoming server and mailbox
    mx, mx_handler = start_smtp(inbound)
    try:
        configure_mail(desk.root, port)
        add_barrier(cli)

        first = _customer_mail("Не формируется отчёт", "Ошибка 0x17, снимок экрана во вложении.",
                               "<first@barrier.ru>")
        first.add_attachment(PNG, maintype="image", subtype="png", filename="снимок экрана №1.png")
        zipped = b"PK\x03\x04" + b"\x00" * 26
        first.add_attachment(zipped, maintype="application", subtype="zip")
        outlook_name = '"=?utf-8?B?0LbRg9GA0L3QsNC7LnppcA==?="'  # «журнал.zip»
        zip_part = list(first.iter_attachments())[-1]
        zip_part.replace_header("Content-Disposition", f"attachment; filename={outlook_name}")
        send_over_smtp(mx.port, first)
        assert wait_until(lambda: len(inbound.delivered) == 1)

        ingested = cli("mail", "ingest", "--maildir", str(inbound.maildir), "--json")
        assert ingested.exit_code == 0, ingested.stderr
        assert [o["action"] for o in json.loads(ingested.stdout)] == ["created"]
        listed = _listed(cli)
        assert {name: (a["type"], a["kind"]) for name, a in listed.items()} == {
            "снимок экрана №1.png": ("png", "received"), "журнал.zip": ("zip", "received")}
        stored = desk.root / "attachments" / "T-0001"
        assert (stored / "снимок экрана №1.png").read_bytes() == PNG
        assert (stored / "журнал.zip").read_bytes() == zipped

        assert cli("register", "T-0001", "--priority", "2").exit_code == 0
        log, _ = _files(tmp_path)
        replied = cli("reply", "T-0001", "Журнал сервера во вложении.", "--attach", str(log))
        assert replied.exit_code == 0, replied.stderr
        answer = handler.last("reply")
        assert [(p.get_filename(), p.get_payload(decode=True)) for p in answer.iter_attachments()] == [
            (LOG, b"ERROR 0x17 at 10:00\n")]
        assert "Журнал сервера во вложении." in body_of(answer)

        back = _customer_mail("RE: " + str(answer["Subject"]), "Журнал возвращаю с пометками.",
                              "<back@barrier.ru>", in_reply_to=answer["Message-ID"])
        for part in answer.iter_attachments():
            back.add_attachment(part.get_payload(decode=True) + b"checked\n", maintype="text", subtype="plain",
                                filename=part.get_filename())
        send_over_smtp(mx.port, back)
        assert wait_until(lambda: len(inbound.delivered) == 2)
        again = cli("mail", "ingest", "--maildir", str(inbound.maildir), "--json",
                    now="2025-12-01T12:00:00+03:00")
        assert [o["action"] for o in json.loads(again.stdout)] == ["added"], again.stdout
        returned = "журнал ошибок сервера 2026-11-30-2.log"
        assert _listed(cli)[returned]["kind"] == "customer"
        assert (stored / returned).read_bytes() == b"ERROR 0x17 at 10:00\nchecked\n"
        assert (stored / LOG).read_bytes() == b"ERROR 0x17 at 10:00\n"  # the desk's own copy untouched
    finally:
        mx.stop()


def test_note_attaches_without_mail_and_a_missing_file_changes_nothing(desk, cli, tmp_path):
    _ticket(cli)
    log, _ = _files(tmp_path)
    assert cli("note", "T-0001", "Журнал клиента", "--attach", str(log)).exit_code == 0
    assert _listed(cli)[LOG]["kind"] == "note"
    before = (desk.root / "journal" / "T-0001.yaml").read_text()
    missing = cli("note", "T-0001", "ещё", "--attach", str(tmp_path / "nope.log"))
    assert missing.exit_code == 2 and "nope.log" in missing.stderr
    assert (desk.root / "journal" / "T-0001.yaml").read_text() == before
    assert list(_listed(cli)) == [LOG]


def test_what_the_desk_sends_is_any_type_but_within_attachment_limit(desk, cli, tmp_path):
    """Issue 12: R-7.6's types bind customers only; mail.attachment_limit binds the desk too."""
    configure_mail(desk.root, attachment_limit="1KB")  # no SMTP server: mail waits in outbox/
    _ticket(cli)
    big = tmp_path / "dump.bin"
    big.write_bytes(b"\x00" * 2000)
    journal = desk.root / "journal" / "T-0001.yaml"
    before, outbox = journal.read_bytes(), sorted((desk.root / "outbox").glob("*.eml"))
    for command in ("reply", "note", "complete"):
        refused = cli(command, "T-0001", "Дамп во вложении.", "--attach", str(big))
        assert refused.exit_code == 2 and "larger than the limit" in refused.stderr, command
    assert journal.read_bytes() == before and sorted((desk.root / "outbox").glob("*.eml")) == outbox
    assert not (desk.root / "attachments" / "T-0001").exists()
    _, shot = _files(tmp_path)  # a bare BMP, which refuses from a customer
    assert cli("reply", "T-0001", "Снимок во вложении.", "--attach", str(shot)).exit_code == 0
    assert list(_listed(cli)) == ["screen.bmp"]


def test_the_files_of_one_answer_together_stay_within_message_limit(desk, cli, tmp_path):
    """Each file within attachment_limit is not enough: one mail carries them all, and a mail server
    refuses a mail over its size; mail.message_limit is that size."""
    configure_mail(desk.root, attachment_limit="1KB", message_limit="2KB")
    _ticket(cli)
    parts = [tmp_path / f"part{n}.log" for n in range(3)]
    for part in parts:
        part.write_bytes(b"x" * 900)
    journal = desk.root / "journal" / "T-0001.yaml"
    before, outbox = journal.read_bytes(), sorted((desk.root / "outbox").glob("*.eml"))
    attach = [a for part in parts for a in ("--attach", str(part))]
    for command in ("reply", "note", "complete"):
        refused = cli(command, "T-0001", "Три журнала.", *attach)
        assert refused.exit_code == 2 and "together" in refused.stderr and "message_limit" in refused.stderr
    assert journal.read_bytes() == before and sorted((desk.root / "outbox").glob("*.eml")) == outbox
    assert cli("reply", "T-0001", "Два журнала.", *attach[:4]).exit_code == 0
    assert sorted(_listed(cli)) == ["part0.log", "part1.log"]


def test_save_copies_out_and_never_overwrites_without_force(desk, cli, tmp_path):
    _ticket(cli)
    log, shot = _files(tmp_path)
    cli("note", "T-0001", "Файлы", "--attach", str(log), "--attach", str(shot))
    out = tmp_path / "out"
    out.mkdir()
    saved = cli("attachments", "T-0001", "--save", LOG, "-o", str(out))
    assert saved.exit_code == 0 and (out / LOG).read_text(encoding="utf-8") == "ERROR 0x17 at 10:00\n"

    (out / LOG).write_text("my own notes", encoding="utf-8")
    refused = cli("attachments", "T-0001", "--all", "-o", str(out))
    assert refused.exit_code == 2 and "exists" in refused.stderr and "--force" in refused.stderr
    assert (out / LOG).read_text(encoding="utf-8") == "my own notes"
    assert not (out / "screen.bmp").exists()  # nothing half-done: checked before anything is written

    forced = cli("attachments", "T-0001", "--all", "-o", str(out), "--force")
    assert forced.exit_code == 0 and (out / LOG).read_text(encoding="utf-8") == "ERROR 0x17 at 10:00\n"
    assert (out / "screen.bmp").read_bytes() == BMP
    assert sorted(p.name for p in out.iterdir()) == sorted([LOG, "screen.bmp"])  # no temp files left

    unknown = cli("attachments", "T-0001", "--save", "other.txt", "-o", str(out))
    assert unknown.exit_code == 2 and "no attachment 'other.txt'" in unknown.stderr


@pytest.mark.parametrize("hostile", ["../../escaped.txt", "/tmp/escaped.txt", ".hidden", "a/../../escaped.txt"])
def test_save_refuses_a_hostile_name_from_the_ticket_file(desk, cli, tmp_path, hostile):
    """The ticket file comes through git and hand edits: a name in it never leads outside -o DIR."""
    _ticket(cli)
    path = desk.root / "tickets" / "T-0001.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["attachments"] = [hostile]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (desk.root / "attachments" / "T-0001").mkdir(parents=True, exist_ok=True)
    (desk.root / "escaped.txt").write_text("secret", encoding="utf-8")
    out = tmp_path / "out" / "inner"
    out.mkdir(parents=True)
    for args in (["--save", hostile], ["--all"]):
        result = cli("attachments", "T-0001", *args, "-o", str(out))
        assert result.exit_code == 2 and "not saved" in result.stderr, result.stderr
    assert not list(out.iterdir()) and not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "out" / "escaped.txt").exists()
    assert _listed(cli)[hostile]["type"] == "invalid name"
