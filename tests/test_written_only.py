"""Issue 11 §6, IS-3: requests of written-only categories are accepted only in writing and only from a
contact with the configured role; `--force` overrides and the journal says so."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import NOW
from mailkit import configure_mail

from supportctl.desk.desk import Desk
from supportctl.domain.ticket import Contact
from supportctl.domain.written import WrittenOnly, refusal
from supportctl.services import mail_intake
from supportctl.services.context import Ctx

RULE = WrittenOnly(("delete-content", "transfer-ownership"), ("email", "portal"), "owner")
OWNER = Contact(name="Иванов Иван Иванович", email="owner@barrier.ru", role="owner")
CLERK = Contact(name="Петрова Анна", email="clerk@barrier.ru")


@pytest.mark.parametrize("category, channel, contact, code", [
    ("delete-content", "email", OWNER, None),
    ("delete-content", "portal", OWNER, None),
    ("delete-content", "phone", OWNER, "channel"),       # not in writing
    ("transfer-ownership", "email", CLERK, "role"),     # in writing, but not the owner
    ("transfer-ownership", "email", None, "role"),      # not a registered contact at all
    ("functional", "phone", CLERK, None),               # other categories: any channel, anyone
    (None, "phone", None, None),
])
def test_is3_refusal_table(category, channel, contact, code):
    found = refusal(RULE, category, channel, contact, "x@y.ru")
    assert (found.code if found else None) == code


def setup_desk(desk, cli) -> None:
    with open(desk.root / "supportctl.yaml", "a", encoding="utf-8") as f:
        f.write("\nwritten_only:\n  categories: [delete-content, transfer-ownership]\n  role: owner\n")
    cli("customer", "add", "АКБ «Барьер»", "--contract", "42", "--from", "2016-01-01", "--to", "2030-12-31",
        "--domain", "barrier.ru")
    cli("customer", "contact", "add", "АКБ «Барьер»", "--name", OWNER.name, "--email", OWNER.email, "--role", "owner")
    cli("customer", "contact", "add", "АКБ «Барьер»", "--name", CLERK.name, "--email", CLERK.email)


def new(cli, *extra: str):
    return cli("new", "-s", "Удалить раздел", "-t", "Удалите раздел новостей", "--org", "АКБ «Барьер»",
               "--category", "delete-content", *extra)


def test_contacts_get_a_role(desk, cli):
    setup_desk(desk, cli)
    data = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert [c.get("role") for c in data["contacts"]] == ["owner", None]
    assert "(role: owner)" in cli("customer", "show", "АКБ «Барьер»").stdout


def test_new_refuses_a_written_only_request_by_phone_or_from_another_contact(desk, cli):
    setup_desk(desk, cli)
    r = new(cli, "--contact", OWNER.name, "--channel", "phone")
    assert r.exit_code == 2
    assert "ticket refused: requests of category 'delete-content' are accepted only in writing (email, portal), " \
           "not by phone (IS-3)" in r.stderr
    r = new(cli, "--contact", CLERK.name, "--email", CLERK.email, "--channel", "email")
    assert r.exit_code == 2 and "only from a contact with the role 'owner'" in r.stderr
    assert Desk(desk.root).ticket_ids() == []
    r = new(cli, "--contact", OWNER.name, "--email", OWNER.email, "--channel", "portal")
    assert r.exit_code == 0, r.stderr


def test_force_accepts_and_the_journal_says_why_it_should_not_have_been(desk, cli):
    setup_desk(desk, cli)
    r = new(cli, "--contact", OWNER.name, "--channel", "phone", "--force")
    assert r.exit_code == 0, r.stderr
    tid = r.stdout.strip()
    entries = json.loads(cli("journal", tid, "--json").stdout)
    override = [e for e in entries if e.get("data", {}).get("override") == "written_only"]
    assert len(override) == 1 and override[0]["data"]["reason"] == "channel"
    assert override[0]["text"].startswith("Принято в обход ограничения: запросы категории «delete-content»")


def test_mail_intake_refuses_with_a_mail_to_the_sender(desk, cli, monkeypatch):
    """Mail is written, so only the role matters; the sender is told why (no rule IDs in the mail)."""
    configure_mail(desk.root)
    setup_desk(desk, cli)
    from supportctl.services import tickets

    real_create = tickets.create

    def with_category(ctx, new, **kw):  # the category a keyword map of mail intake would set
        new.category = "delete-content"
        return real_create(ctx, new, **kw)

    monkeypatch.setattr(tickets, "create", with_category)
    raw = (f"From: {CLERK.name} <{CLERK.email}>\r\nTo: support@desk.example\r\nSubject: Удалить раздел\r\n"
           "Message-ID: <del1@barrier.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nУдалите.\r\n").encode()
    ctx = Ctx(Desk(desk.root), datetime.fromisoformat(NOW), "robot")
    outcome = mail_intake.ingest_bytes(ctx, raw, "test")
    assert outcome.action == "refused" and "IS-3" in outcome.detail
    mails = list((desk.root / "outbox").glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_bytes()
    from email import policy
    from email.parser import BytesParser

    body = BytesParser(policy=policy.default).parsebytes(text).get_body().get_content()
    assert "принимаются только от контактного лица с ролью «owner»" in body and "IS-3" not in body
    assert Desk(desk.root).ticket_ids() == []
