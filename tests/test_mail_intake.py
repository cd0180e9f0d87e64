"""Mail intake rules: idempotency, duplicates (IS-1), senders (R-7.7), closed and completed tickets
(R-4.8, R-4.9), attachments (R-7.6), machines and broken mail; mail waits in outbox/ (no SMTP here)."""

from __future__ import annotations

import json
from datetime import datetime
from email import policy
from email.parser import BytesParser

import pytest
from conftest import NOW, add_barrier
from mailkit import configure_mail, deliver_to, make_maildir, outlook_mail

from supportctl.desk.desk import Desk
from supportctl.services import mail_intake
from supportctl.services.context import Ctx

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
BMP = b"BM" + b"\x00" * 8 + (54).to_bytes(4, "little") + b"\x00" * 100


def ingest(desk, raw: bytes, now: str = NOW) -> mail_intake.Outcome:
    return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(now), "robot"), raw, "test")


def outbox(desk) -> list:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in sorted((desk.root / "outbox").glob("*.eml"))]


def journal(desk, ticket_id: str) -> list[dict]:
    return [json.loads(line[2:]) for line in (desk.root / "journal" / f"{ticket_id}.yaml").read_text().splitlines()]


def ticket(desk, ticket_id: str):
    return Desk(desk.root).load_ticket(ticket_id)


def mail(subject="Не формируется отчёт", body="Ошибка 0x17.", mid="<m1@barrier.ru>",
         sender="smirnova@barrier.ru", **kw) -> bytes:
    return outlook_mail(sender=sender, name="Смирнова Ольга Петровна", subject=subject, body=body,
                        message_id=mid, **kw)


def with_attachments(*files: tuple[str, str, bytes], sender="smirnova@barrier.ru", mid="<att@barrier.ru>") -> bytes:
    import base64

    parts = "".join(f"--B\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n"
                    f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(data).decode()}\r\n"
                    for name, ctype, data in files)
    return (f"From: {sender}\r\nSubject: Screens\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"see attached\r\n{parts}--B--\r\n").encode()


@pytest.fixture
def mdesk(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    return desk


def test_the_same_mail_twice_changes_nothing(mdesk):
    assert ingest(mdesk, mail()).action == "created"
    before = (mdesk.root / "journal" / "T-0001.yaml").read_text()
    again = ingest(mdesk, mail())
    assert (again.action, again.ticket_id) == ("repeat", "T-0001")
    assert (mdesk.root / "journal" / "T-0001.yaml").read_text() == before
    assert mdesk.ticket_ids() == ["T-0001"] and len(outbox(mdesk)) == 1


def test_a_mail_without_message_id_is_known_by_its_content(mdesk):
    raw = b"From: smirnova@barrier.ru\r\nSubject: no id\r\n\r\ntext\r\n"
    first, second = ingest(mdesk, raw), ingest(mdesk, raw)
    assert first.action == "created" and second.action == "repeat"
    assert ticket(mdesk, "T-0001").message_ids[0].startswith("<sha256.")


def test_a_duplicate_within_the_window_is_noted_on_the_first_IS_1(mdesk):
    ingest(mdesk, mail(mid="<a@barrier.ru>"))
    dup = ingest(mdesk, mail(mid="<b@barrier.ru>"), now="2025-12-01T10:30:00+03:00")
    assert (dup.action, dup.ticket_id) == ("duplicate", "T-0001")
    assert "<b@barrier.ru>" in ticket(mdesk, "T-0001").message_ids
    assert any("IS-1" in e["text"] for e in journal(mdesk, "T-0001"))
    later = ingest(mdesk, mail(mid="<c@barrier.ru>"), now="2025-12-01T12:00:00+03:00")
    assert (later.action, later.ticket_id) == ("created", "T-0002")


def test_an_unknown_sender_gets_an_unverified_ticket_R_7_7(mdesk):
    out = ingest(mdesk, mail(sender="stranger@gmail.com", mid="<s@gmail.com>"))
    t = ticket(mdesk, out.ticket_id)
    assert out.action == "created" and not t.verified and t.plan is None
    assert "default level of service" in outbox(mdesk)[0].get_body().get_content() or \
        "уровнем обслуживания по умолчанию" in outbox(mdesk)[0].get_body().get_content()


def test_a_domain_colleague_is_matched_to_the_customer_but_unverified(mdesk):
    out = ingest(mdesk, mail(sender="ivanov@barrier.ru", mid="<i@barrier.ru>"))
    t = ticket(mdesk, out.ticket_id)
    assert t.org == "АКБ «Барьер»" and not t.verified


def test_unknown_sender_refused_when_configured(desk, cli):
    configure_mail(desk.root, unknown_sender="refuse")
    add_barrier(cli)
    out = ingest(desk, mail(sender="stranger@gmail.com", mid="<s@gmail.com>"))
    assert out.action == "refused" and desk.ticket_ids() == []
    [refusal] = outbox(desk)
    assert refusal["To"].addresses[0].addr_spec == "stranger@gmail.com"
    assert refusal["Auto-Submitted"] == "auto-replied" and refusal["In-Reply-To"] == "<s@gmail.com>"
    assert ingest(desk, mail(sender="stranger@gmail.com", mid="<s@gmail.com>")).action == "repeat"
    assert len(outbox(desk)) == 1


def test_a_follow_up_from_outside_the_customer_does_not_touch_the_ticket(mdesk):
    ingest(mdesk, mail())
    out = ingest(mdesk, mail(subject="RE: [Заявка#T-0001] x", sender="evil@other.example", mid="<e@o>", body="Закрывайте"))
    assert (out.action, out.ticket_id) == ("created", "T-0002")
    assert ticket(mdesk, "T-0001").status == "new"
    assert any("evil@other.example" in e["text"] for e in journal(mdesk, "T-0001"))
    assert any("T-0001" in e["text"] for e in journal(mdesk, "T-0002") if e["kind"] == "mail")


def test_foreign_follow_up_quarantined_when_configured(desk, cli):
    configure_mail(desk.root, foreign_sender="quarantine")
    add_barrier(cli)
    ingest(desk, mail())
    out = ingest(desk, mail(subject="RE: [Заявка#T-0001] x", sender="evil@other.example", mid="<e@o>"))
    assert out.action == "quarantined" and desk.ticket_ids() == ["T-0001"]
    kept = list((desk.root / "quarantine").glob("*.eml"))
    assert len(kept) == 1 and "отправителя нет среди контактных лиц АКБ «Барьер»" in kept[0].with_suffix(".txt").read_text()


def complete_ticket(cli, ticket_id="T-0001"):
    cli("register", ticket_id, "--priority", "3")
    cli("complete", ticket_id, "Сделано.")


def test_disagreement_reopens_a_completed_ticket_R_4_8(mdesk, cli):
    ingest(mdesk, mail())
    complete_ticket(cli)
    out = ingest(mdesk, mail(subject="RE: [Заявка#T-0001] x", mid="<r@barrier.ru>",
                             body="Спасибо, но проблема осталась: 0x17.\n\n> Сделано."), now="2025-12-01T11:00:00+03:00")
    assert out.action == "reopened"
    t = ticket(mdesk, "T-0001")
    assert t.status == "open" and t.pauses[-1].reason == "completed"
    assert "проблема осталась" in [e for e in journal(mdesk, "T-0001") if e["kind"] == "reopened"][0]["text"]


def test_unclear_answer_kept_when_configured(desk, cli):
    configure_mail(desk.root, unclear_reply="keep")
    add_barrier(cli)
    ingest(desk, mail())
    complete_ticket(cli)
    out = ingest(desk, mail(subject="RE: Заявка#T-0001", mid="<u@barrier.ru>", body="Посмотрим завтра."))
    assert out.action == "added" and ticket(desk, "T-0001").status == "completed"


@pytest.mark.parametrize("policy_name, action, status", [("new", "created", "closed"), ("refuse", "refused", "closed"),
                                                          ("reopen", "reopened", "open")])
def test_a_mail_about_a_closed_ticket_follows_the_policy(desk, cli, policy_name, action, status):
    configure_mail(desk.root, closed_followup=policy_name)
    add_barrier(cli)
    ingest(desk, mail())
    complete_ticket(cli)
    cli("close", "T-0001")
    out = ingest(desk, mail(subject="Ответ: [Заявка#T-0001] x", mid="<late@barrier.ru>", body="Ошибка вернулась."))
    assert out.action == action and ticket(desk, "T-0001").status == status
    if policy_name == "new":
        assert out.ticket_id == "T-0002" and ticket(desk, "T-0002").related == ["T-0001"]
        assert "T-0002" in ticket(desk, "T-0001").related
        assert "T-0001" in outbox(desk)[-1].get_body().get_content()
    if policy_name == "refuse":
        assert outbox(desk)[-1]["X-Supportctl-Event"] == "closed_followup"


def test_attachments_kept_refused_and_explained_R_7_6(desk, cli):
    configure_mail(desk.root, attachment_limit="1KB")
    add_barrier(cli)
    raw = with_attachments(("экран.png", "image/png", PNG), ("shot.bmp", "image/bmp", BMP),
                           ("../../etc/passwd.png", "image/png", PNG), ("big.zip", "application/zip", b"PK\x03\x04" + b"0" * 2000))
    out = ingest(desk, raw)
    assert out.action == "created"
    t = ticket(desk, "T-0001")
    assert t.attachments == ["экран.png", "passwd.png"]
    assert sorted(p.name for p in (desk.root / "attachments" / "T-0001").iterdir()) == ["passwd.png", "экран.png"]
    refused = [e for e in journal(desk, "T-0001") if e["kind"] == "attachment"][0]
    assert "shot.bmp" in refused["text"] and "big.zip" in refused["text"]
    body = outbox(desk)[0].get_body().get_content()
    assert "shot.bmp" in body and "big.zip" in body


def test_broken_mail_is_set_aside_and_the_run_goes_on(mdesk, cli, tmp_path):
    box = make_maildir(tmp_path / "Maildir")
    deliver_to(box, "a-garbage", b"\x00\x01\x02 not a mail at all")
    deliver_to(box, "b-good", mail())
    result = cli("mail", "ingest", "--maildir", str(box), "--json")
    actions = sorted(o["action"] for o in json.loads(result.stdout))
    assert result.exit_code == 0 and actions == ["created", "rejected"]
    reasons = list((mdesk.root / "quarantine").glob("*.txt"))
    assert len(reasons) == 1 and "not a mail" in reasons[0].read_text()
    assert [p.name.endswith(":2,S") for p in (box / "cur").iterdir()] == [True, True]


def test_mbox_ingest_is_idempotent(mdesk, cli, tmp_path):
    box = tmp_path / "archive.mbox"
    box.write_bytes(b"From a@b Mon Dec  1 10:00:00 2025\n" + mail().replace(b"\r\n", b"\n") +
                    b"\nFrom a@b Mon Dec  1 10:01:00 2025\n" +
                    mail(subject="Второй вопрос", mid="<m2@barrier.ru>").replace(b"\r\n", b"\n") + b"\n")
    first = cli("mail", "ingest", "--mbox", str(box)).stdout
    assert "created T-0001" in first and "created T-0002" in first
    assert cli("mail", "ingest", "--mbox", str(box)).stdout.count("repeat") == 2


def test_auto_replies_are_rate_limited_per_sender(desk, cli):
    configure_mail(desk.root, autoreply_limit="{count: 2, per: 1h}")
    add_barrier(cli)
    for n in range(3):
        ingest(desk, mail(subject=f"Вопрос {n}", mid=f"<q{n}@barrier.ru>"))
    assert desk.ticket_ids() == ["T-0001", "T-0002", "T-0003"]
    assert len(outbox(desk)) == 2
    assert any(e["data"].get("limited") for e in journal(desk, "T-0003") if e["kind"] == "mail")
    ingest(desk, mail(subject="Вопрос 4", mid="<q4@barrier.ru>"), now="2025-12-01T11:30:00+03:00")
    assert len(outbox(desk)) == 3


def test_mangled_mail_never_crashes_the_intake(mdesk):
    """Deterministic byte-level mangling of real-looking mail: every one gets an outcome, none an internal error."""
    import random

    from mailkit import auto_reply, bounce

    intake = mail_intake.Intake(Ctx(Desk(mdesk.root), datetime.fromisoformat(NOW), "robot"))
    seeds = [mail(subject="RE: [Заявка#T-0001] Отчёт"), bounce("a@b.ru"), auto_reply("smirnova@barrier.ru"),
             with_attachments(("a.png", "image/png", PNG))]
    inserts = [b"\r\n", b"=?", b"?=", b"--B\r\n", b"\x00", b":", b"<", b">", "Тема".encode("cp1251"),
               b"Content-Type: multipart/mixed; boundary=B\r\n"]
    rng = random.Random(7)
    actions = set()
    for n in range(150):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 25)):
            pos = rng.randrange(len(raw) or 1)
            op = rng.random()
            if op < 0.4:
                raw[pos:pos + 1] = bytes([rng.randrange(256)])
            elif op < 0.7:
                del raw[pos:pos + rng.randint(1, 20)]
            else:
                raw[pos:pos] = rng.choice(inserts)
        outcome = intake.ingest(bytes(raw), f"mangled-{n}")
        assert "unexpected" not in outcome.detail, outcome
        actions.add(outcome.action)
    assert {"created", "rejected"} <= actions
