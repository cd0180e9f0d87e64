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


def test_edit_mails_nothing_to_the_customer_issue_12(cli, desk):
    """Issue 12: a correction is the desk's own business: with mail on, `edit` queues no mail (a
    reply of the same ticket does, so the outbox is watched)."""
    from mailkit import configure_mail

    configure_mail(desk.root)  # no SMTP server: every mail waits in outbox/
    add_barrier(cli)
    tid = _new(cli)
    assert cli("register", tid, "--priority", "3").exit_code == 0
    outbox = desk.root / "outbox"
    before = sorted(outbox.glob("*.eml"))
    assert before  # the registration notice: mail is on
    result = cli("edit", tid, "--subject", "Не работает АБС", "--text", "Исправленный текст.",
                 "--phone", "+7 495 000-00-00", "--cc", "petrov@barrier.ru")
    assert result.exit_code == 0, result.output
    assert sorted(outbox.glob("*.eml")) == before
    assert cli("reply", tid, "Проверьте, пожалуйста.").exit_code == 0
    assert len(list(outbox.glob("*.eml"))) == len(before) + 1


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


def test_the_organisation_changes_through_verify_org_moving_plan_and_deadlines_issue_12(cli):
    """Issue 12: `edit` has no organisation; `verify --org` moves the ticket to another customer, whose
    plan then sets the deadlines (here premium: the first answer in 3 h around the clock, IS-6)."""
    add_barrier(cli)
    cli("customer", "add", "ООО Вектор", "--contract", "П-1", "--from", "2025-01-01", "--to", "2026-12-31",
        "--plan", "premium")
    cli("customer", "contact", "add", "ООО Вектор", "--name", "Козлов Д.С.", "--email", "kozlov@vektor.ru")
    tid = _new(cli)
    assert cli("register", tid, "--priority", "2").exit_code == 0
    before = json.loads(cli("show", tid, "--json").stdout)
    assert (before["org"], before["due"], before["first_response_due"]) == (
        "АКБ «Барьер»", "2025-12-01T18:00:00+03:00", None)
    assert cli("edit", tid, "--org", "ООО Вектор").exit_code == 2  # no such option of edit
    moved = cli("verify", tid, "--org", "ООО Вектор", "--contact", "Козлов Д.С.", "--email", "kozlov@vektor.ru",
                now="2025-12-01T10:30:00+03:00")
    assert moved.exit_code == 0 and moved.stdout.startswith(f"{tid}: verified: ООО Вектор, contract П-1, plan premium")
    after = json.loads(cli("show", tid, "--json").stdout)
    assert (after["org"], after["plan"], after["verified"]) == ("ООО Вектор", "premium", True)
    assert after["due"] is None and after["first_response_due"] == "2025-12-01T13:00:00+03:00"
    assert _journal(cli, tid)[-1]["kind"] == "verified"


# -- customers ------------------------------------------------------------------------------------

HAND_WRITTEN = """\
# Our customers. Kept by hand too.
customers:
  - org: АКБ «Барьер»  # the bank
    contract: "0373100000116000042"
    valid_from: 2025-01-01
    valid_to: 2025-12-31
    plan: null
    manager: Иванов И. И.   # our account manager, unknown to supportctl
    domains: [barrier.ru]
    contacts:
      # the chief accountant
      - name: Смирнова Ольга Петровна
        email: smirnova@barrier.ru
        telegram: "@smirnova"
      - name: Петров Пётр
        email: petrov@barrier.ru
  - org: ООО «Ромашка»
    contract: "7"
    valid_from: 2025-01-01
    valid_to: 2026-12-31
    contacts: []
"""


def _hand_written(desk):
    desk.customers_path.write_text(HAND_WRITTEN, encoding="utf-8")


def _text(desk) -> str:
    return desk.customers_path.read_text(encoding="utf-8")


def _kept_by_hand(text: str) -> None:
    for line in ("# Our customers. Kept by hand too.", "# the bank", "manager: Иванов И. И.",
                 "# our account manager, unknown to supportctl", "# the chief accountant", 'telegram: "@smirnova"'):
        assert line in text, line


def test_customer_edit_renewal_keeps_the_old_period_and_comments(cli, desk):
    """Issue 12: a renewal (--to) moves the old period to `contracts:`; hand-written lines survive."""
    _hand_written(desk)
    result = cli("customer", "edit", "АКБ «Барьер»", "--to", "2026-12-31", "--plan", "gold")
    assert result.exit_code == 0, result.output
    assert "renewed" in result.stdout
    _kept_by_hand(_text(desk))
    c = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert (c["valid_from"], c["valid_to"], c["plan"]) == ("2026-01-01", "2026-12-31", "gold")
    assert c["contracts"] == [{"contract": "0373100000116000042", "valid_from": "2025-01-01",
                               "valid_to": "2025-12-31", "plan": None}]
    # a new contract number is a renewal too; both earlier periods stay, in order
    assert cli("customer", "edit", "АКБ «Барьер»", "--contract", "NEW-1", "--to", "2027-12-31").exit_code == 0
    c = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert [p["valid_to"] for p in c["contracts"]] == ["2025-12-31", "2026-12-31"]
    assert (c["contract"], c["valid_from"]) == ("NEW-1", "2027-01-01")
    _kept_by_hand(_text(desk))


def test_old_ticket_is_verified_against_the_contract_of_its_day(cli, desk):
    """Issue 12 / R-7.7: after a renewal, a ticket received in the old period matches the old contract and plan."""
    _hand_written(desk)
    assert cli("customer", "edit", "АКБ «Барьер»", "--contract", "2026-NEW", "--from", "2026-01-01",
               "--to", "2026-12-31", "--plan", "gold").exit_code == 0
    old = cli("new", "--subject", "s", "--text", "t", "--email", "smirnova@barrier.ru", "--channel", "phone",
              "--received", "2025-11-28T10:00:00+03:00", now="2026-02-02T10:00:00+03:00").stdout.strip()
    new = cli("new", "--subject", "s", "--text", "t2", "--email", "smirnova@barrier.ru", "--channel", "phone",
              now="2026-02-02T10:00:00+03:00").stdout.strip()
    for tid, contract, plan in ((old, "0373100000116000042", None), (new, "2026-NEW", "gold")):
        t = json.loads(cli("show", tid, "--json", now="2026-02-02T10:00:00+03:00").stdout)
        assert (t["verified"], t["contract"], t["plan"]) == (True, contract, plan), tid


def test_customer_edit_correction_and_domains_replace(cli, desk):
    """An earlier --to corrects the current period (no history); --domain replaces the list."""
    _hand_written(desk)
    result = cli("customer", "edit", "АКБ «Барьер»", "--to", "2025-11-30", "--domain", "barrier.ru",
                 "--domain", "@Barrier.com")
    assert result.exit_code == 0, result.output
    c = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert c["valid_to"] == "2025-11-30" and "contracts" not in c
    assert c["domains"] == ["barrier.ru", "barrier.com"]
    _kept_by_hand(_text(desk))
    bad = cli("customer", "edit", "АКБ «Барьер»", "--from", "2026-01-01")
    assert bad.exit_code == 2 and "before it starts" in bad.stderr
    assert cli("customer", "edit", "АКБ «Барьер»").exit_code == 2
    assert cli("customer", "edit", "Нет такой", "--plan", "x").exit_code == 2


def test_contact_edit_and_remove_keep_comments(cli, desk):
    _hand_written(desk)
    result = cli("customer", "contact", "edit", "АКБ «Барьер»", "Смирнова Ольга Петровна",
                 "--email", "o.smirnova@barrier.ru", "--position", "Главный бухгалтер")
    assert result.exit_code == 0, result.output
    text = _text(desk)
    _kept_by_hand(text)
    assert "o.smirnova@barrier.ru" in text and "smirnova@barrier.ru\n" not in text.replace("o.smirnova", "")
    c = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert c["contacts"][0]["position"] == "Главный бухгалтер"
    assert cli("customer", "contact", "edit", "АКБ «Барьер»", "o.smirnova@barrier.ru", "--role", "owner").exit_code == 0
    assert json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)["contacts"][0]["role"] == "owner"
    assert cli("customer", "contact", "edit", "АКБ «Барьер»", "o.smirnova@barrier.ru", "--role", "").exit_code == 0
    assert "role" not in json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)["contacts"][0]
    _kept_by_hand(_text(desk))
    # an address another contact has is refused
    taken = cli("customer", "contact", "edit", "АКБ «Барьер»", "o.smirnova@barrier.ru", "--email", "petrov@barrier.ru")
    assert taken.exit_code == 2
    assert cli("customer", "contact", "remove", "АКБ «Барьер»", "Петров Пётр").exit_code == 0
    c = json.loads(cli("customer", "show", "АКБ «Барьер»", "--json").stdout)
    assert [k["name"] for k in c["contacts"]] == ["Смирнова Ольга Петровна"]
    _kept_by_hand(_text(desk))
    assert cli("customer", "contact", "remove", "АКБ «Барьер»", "Петров Пётр").exit_code == 2


def test_customer_remove_refused_with_tickets_not_closed(cli, desk):
    """Issue 12: `customer remove` is refused while the customer has tickets that are not closed."""
    _hand_written(desk)
    tid = _new(cli)
    refused = cli("customer", "remove", "АКБ «Барьер»")
    assert refused.exit_code == 2 and tid in refused.stderr and "--force" in refused.stderr
    assert "АКБ «Барьер»" in _text(desk)
    assert cli("customer", "remove", "ООО «Ромашка»").exit_code == 0  # no tickets
    assert cli("customer", "remove", "АКБ «Барьер»", "--force").exit_code == 0
    text = _text(desk)
    assert "Барьер" not in text and "# Our customers. Kept by hand too." in text
    assert json.loads(cli("customer", "list", "--json").stdout) == []


def test_an_end_given_to_an_open_ended_contract_is_a_correction(cli, desk):
    """No history period without an end: it would keep matching tickets after the new end."""
    desk.customers_path.write_text("customers:\n- org: Ромашка\n  contract: '1'\n  valid_from: 2025-01-01\n",
                                   encoding="utf-8")
    assert cli("customer", "edit", "Ромашка", "--to", "2025-12-31").exit_code == 0
    c = json.loads(cli("customer", "show", "Ромашка", "--json").stdout)
    assert (c["valid_from"], c["valid_to"]) == ("2025-01-01", "2025-12-31") and "contracts" not in c
