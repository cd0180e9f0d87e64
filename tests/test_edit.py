"""Issue 12, "Edit what was typed wrong": `supportctl edit` and the customer edits of customers.yaml."""

from __future__ import annotations

import json

from tests.conftest import add_barrier


def _new(cli, subject="Не работет АБС", text="Не открывается АБС с утра.") -> str:
    result = cli("new", "--subject", subject, "--text", text, "--email", "smirnova@barrier.ru",
                 "--contact", "Смирнова Ольга Петровна", "--channel", "phone")
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def _journal(cli, tid):
    return json.loads(cli("journal", tid, "--json").stdout)


def test_edit_subject_journals_old_and_new_in_russian(cli):
    """Issue 12: a typo in a subject is fixed; one journal entry «old» → «new»; nothing mailed."""
    add_barrier(cli)
    tid = _new(cli)
    result = cli("edit", tid, "--subject", "Не работает АБС")
    assert result.exit_code == 0, result.output
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["subject"] == "Не работает АБС"
    edited = [e for e in _journal(cli, tid) if e["kind"] == "edited"]
    assert [e["text"] for e in edited] == ["Тема изменена: «Не работет АБС» → «Не работает АБС»"]
    assert edited[0]["data"] == {"field": "subject", "old": "Не работет АБС", "new": "Не работает АБС"}


def test_edit_several_fields_one_entry_each_and_unchanged_ones_skipped(cli, tmp_path):
    add_barrier(cli)
    tid = _new(cli)
    f = tmp_path / "text.txt"
    f.write_text("Не открывается АБС с утра, ошибка 42.\n", encoding="utf-8")
    before = len(_journal(cli, tid))
    result = cli("edit", tid, "--text-file", str(f), "--product", "АБС", "--phone", "+7 495 000-00-00",
                 "--subject", "Не работет АБС")  # the subject is the same: no entry
    assert result.exit_code == 0, result.output
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["text"] == "Не открывается АБС с утра, ошибка 42."
    assert shown["product"] == "АБС" and shown["contact"]["phone"] == "+7 495 000-00-00"
    journal = _journal(cli, tid)
    fields = [e["data"]["field"] for e in journal[before:]]
    assert fields == ["text", "product", "contact.phone"]
    assert "Продукт изменён: «—» → «АБС»" in [e["text"] for e in journal]


def test_edit_in_english_by_configuration(cli, desk):
    cfg = desk.root / "supportctl.yaml"
    text = cfg.read_text(encoding="utf-8")
    assert "language:" in text
    cfg.write_text(text.replace("language: ru", "language: en"), encoding="utf-8")
    tid = _new(cli)
    assert cli("edit", tid, "--category", "functional").exit_code == 0
    texts = [e["text"] for e in _journal(cli, tid) if e["kind"] == "edited"]
    assert texts == ["Category changed: “—” → “functional”"]


def test_edit_without_a_field_is_exit_2_naming_the_options(cli):
    tid = _new(cli)
    result = cli("edit", tid)
    assert result.exit_code == 2
    assert "--subject" in result.stderr and "--email" in result.stderr


def test_edit_refuses_empty_subject_and_bad_email_and_writes_nothing(cli):
    tid = _new(cli)
    before = _journal(cli, tid)
    assert cli("edit", tid, "--subject", " ").exit_code == 2
    assert cli("edit", tid, "--product", "X", "--email", "nobody").exit_code == 2
    assert _journal(cli, tid) == before
    assert json.loads(cli("show", tid, "--json").stdout)["product"] is None


def test_edit_contact_keeps_the_match_and_says_how_to_verify(cli):
    """Changing the contact does not re-match silently: the hint names `verify`."""
    tid = _new(cli)  # no customers: unverified
    result = cli("edit", tid, "--email", "smirnova@barrier.ru", "--contact", "Смирнова О. П.")
    assert result.exit_code == 0, result.output
    assert f"supportctl verify {tid}" in result.stderr
    assert json.loads(cli("show", tid, "--json").stdout)["verified"] is False
