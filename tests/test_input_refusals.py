"""Issue 10, "Smaller, same spirit": what the CLI refuses or reads differently, each in one place.

- texts from stdin or --text-file lose their trailing newline (cli/common.read_text);
- one-line values (e-mail, names, assignee, organisation…) with a line break or control character,
  and required ones left empty, are refused with exit 2 (domain/values.single_line, cli/common);
- `list --since` after `--until` is refused, as the reports refuse --from after --to;
- an unpadded ticket number names the one ticket that has it (domain/ids.resolve_id), in every
  command and in a mail subject; an ambiguous one is refused with the candidates;
- `check` advises the sum for a `spent_minutes` conflict (R-5.2), never one version.
"""

from __future__ import annotations

import json

import pytest
from conftest import add_barrier

from supportctl.desk.desk import Desk
from supportctl.domain import ids, values
from supportctl.errors import InvalidValue, NotFound
from supportctl.mail import threads


def new_ticket(cli, *extra: str) -> str:
    r = cli("new", "--subject", "Отчёт", "--text", "Ошибка 0x17.", *extra)
    assert r.exit_code == 0, r.stderr
    return r.stdout.strip()


def journal_texts(desk, tid: str) -> list[str]:
    lines = (desk.root / "journal" / f"{tid}.yaml").read_text(encoding="utf-8").splitlines()
    return [json.loads(line[2:])["text"] for line in lines]


# -- trailing whitespace of texts ------------------------------------------

def test_a_note_from_stdin_loses_its_trailing_newline(cli, desk):
    tid = new_ticket(cli)
    assert cli("note", tid, input="Позвонил заказчику.\n\n").exit_code == 0
    assert journal_texts(desk, tid)[-1] == "Позвонил заказчику."


def test_a_note_from_a_text_file_loses_its_trailing_newline(cli, desk, tmp_path):
    tid = new_ticket(cli)
    f = tmp_path / "note.txt"
    f.write_text("Строка один\nСтрока два\n", encoding="utf-8")
    assert cli("note", tid, "--text-file", str(f)).exit_code == 0
    assert journal_texts(desk, tid)[-1] == "Строка один\nСтрока два"


def test_a_new_ticket_text_from_stdin_loses_its_trailing_newline(cli, desk):
    tid = cli("new", "--subject", "x", input="Текст заявки\n").stdout.strip()
    assert Desk(desk.root).load_ticket(tid).text == "Текст заявки"


def test_a_reason_loses_its_trailing_whitespace(cli, desk):
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "3")
    assert cli("priority", tid, "2", "--reason", "Срочно\n").exit_code == 0
    assert not journal_texts(desk, tid)[-1].endswith("\n")


# -- one-line values and empties ---------------------------------------------

@pytest.mark.parametrize("args", [
    ("new", "--subject", "x", "--text", "y", "--email", "a@b\nc"),
    ("new", "--subject", "x", "--text", "y", "--contact", "Иванов\nИван"),
    ("new", "--subject", "x\ny", "--text", "y"),
    ("new", "--subject", "x", "--text", "y", "--org", "Рога\rи копыта"),
    ("new", "--subject", "x", "--text", "y", "--phone", "+7\x1b[31m"),
    ("customer", "add", "", "--contract", "1", "--from", "2025-01-01", "--to", "2026-01-01"),
    ("customer", "add", "Рога\nи копыта", "--contract", "1", "--from", "2025-01-01", "--to", "2026-01-01"),
    ("customer", "add", "Рога", "--contract", " ", "--from", "2025-01-01", "--to", "2026-01-01"),
    ("customer", "add", "Рога", "--contract", "1", "--from", "2025-01-01", "--to", "2026-01-01", "--domain", ""),
    ("customer", "contact", "add", "АКБ «Барьер»", "--name", "Иванов\nИван", "--email", "i@barrier.ru"),
    ("customer", "contact", "add", "АКБ «Барьер»", "--name", "", "--email", "i@barrier.ru"),
    ("customer", "contact", "add", "АКБ «Барьер»", "--name", "Иванов", "--email", "i@barrier.ru\u2028x"),
])
def test_a_value_on_more_than_one_line_or_empty_is_refused(cli, desk, args):
    add_barrier(cli)
    before = (desk.root / "customers.yaml").read_text(encoding="utf-8")
    r = cli(*args)
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("supportctl: ")
    assert "Traceback" not in r.stderr
    assert desk.ticket_ids() == [] and (desk.root / "customers.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("assignee", ["", "  ", "Петров\nП."])
def test_assign_refuses_an_empty_or_broken_name(cli, desk, assignee):
    tid = new_ticket(cli)
    r = cli("assign", tid, assignee)
    assert r.exit_code == 2 and "NAME" in r.stderr
    assert Desk(desk.root).load_ticket(tid).assignee is None


def test_the_acting_user_is_one_line(cli, desk):
    r = cli("--as", "Рудаков\nПетров", "new", "--subject", "x", "--text", "y")
    assert r.exit_code == 2 and "--as" in r.stderr and desk.ticket_ids() == []


def test_the_error_names_the_option(cli):
    r = cli("new", "--subject", "x", "--text", "y", "--email", "a@b\nc")
    assert "--email" in r.stderr and "line break" in r.stderr


def test_a_multi_line_text_is_still_welcome(cli, desk):
    tid = new_ticket(cli)
    assert cli("note", tid, "первая\nвторая").exit_code == 0


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b", "a\x7fb", "a\u2029b"])
def test_single_line_refuses_control_characters(value):
    with pytest.raises(InvalidValue):
        values.single_line(value, "--x")


def test_single_line_keeps_emoji_and_tabs_out_of_trouble():
    assert values.single_line("Ольга 👩‍💻", "--name") == "Ольга 👩‍💻"
    with pytest.raises(InvalidValue):
        values.single_line(" ", "--name", required=True)


# -- list --since / --until ----------------------------------------------------

def test_list_refuses_since_after_until(cli):
    r = cli("list", "--since", "2025-12-05", "--until", "2025-12-01")
    assert r.exit_code == 2 and "--since 2025-12-05 is after --until 2025-12-01" in r.stderr
    assert cli("list", "--since", "2025-12-01", "--until", "2025-12-01").exit_code == 0


# -- unpadded ticket numbers ---------------------------------------------------

@pytest.mark.parametrize("given", ["T-0003", "T-3", "t-3", "Т-3", "3", "#3", "0003", "T3"])
def test_resolve_id_accepts_an_unpadded_number(given):
    assert ids.resolve_id(given, ["T-0001", "T-0002", "T-0003", "T-0012"]) == "T-0003"


def test_resolve_id_refuses_an_ambiguous_number_listing_the_candidates():
    with pytest.raises(InvalidValue, match="T-0003, KM-0003|KM-0003, T-0003"):
        ids.resolve_id("3", ["T-0003", "KM-0003"])
    assert ids.resolve_id("KM-3", ["T-0003", "KM-0003"]) == "KM-0003"


def test_resolve_id_of_no_ticket():
    assert ids.resolve_id("T-7", ["T-0003"]) == "T-0007"  # then "no ticket T-0007"
    with pytest.raises(NotFound):
        ids.resolve_id("7", ["T-0003"])
    with pytest.raises(InvalidValue):
        ids.resolve_id("T-", ["T-0003"])


@pytest.mark.parametrize("given", ["T-3", "3", "T-0003", "т-3"])
def test_show_finds_a_ticket_by_its_unpadded_number(cli, given):
    for _ in range(3):
        new_ticket(cli)
    r = cli("show", given, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["id"] == "T-0003"


def test_every_command_resolves_the_number(cli, desk):
    new_ticket(cli)
    assert cli("register", "1", "--priority", "3").exit_code == 0
    assert cli("assign", "T-1", "Петров П.").exit_code == 0
    assert cli("note", "1", "Позвонил.").exit_code == 0
    assert json.loads(cli("journal", "T-1", "--json").stdout)
    t = Desk(desk.root).load_ticket("T-0001")
    assert (t.status, t.assignee) == ("open", "Петров П.")
    assert cli("new", "--subject", "y", "--text", "z", "--related", "1").exit_code == 0
    assert Desk(desk.root).load_ticket("T-0002").related == ["T-0001"]


def test_an_ambiguous_number_is_refused_with_the_candidates(cli, desk):
    new_ticket(cli)
    (desk.root / "tickets" / "KM-0001.yaml").write_text(
        (desk.root / "tickets" / "T-0001.yaml").read_text(encoding="utf-8").replace("id: T-0001", "id: KM-0001"),
        encoding="utf-8")
    r = cli("show", "1")
    assert r.exit_code == 2 and "KM-0001" in r.stderr and "T-0001" in r.stderr


def test_an_unknown_number_is_not_found(cli):
    new_ticket(cli)
    r = cli("show", "T-9")
    assert r.exit_code == 2 and "no ticket T-0009" in r.stderr


@pytest.mark.parametrize("subject", ["Заявка #T-3", "RE: [Заявка#T-0003] x", "Re: Заявка № Т-03"])
def test_a_mail_subject_names_the_ticket_by_its_unpadded_number(subject):
    assert threads.ticket_in_subject(subject, "Заявка") == "T-0003"


# -- a spent_minutes conflict ----------------------------------------------------

def test_check_advises_the_sum_of_a_spent_minutes_conflict_R_5_2(cli, desk):
    tid = new_ticket(cli)
    path = desk.root / "tickets" / f"{tid}.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "spent_minutes: 0", "<<<<<<< HEAD\nspent_minutes: 30\n=======\nspent_minutes: 45\n>>>>>>> theirs")
    path.write_text(text, encoding="utf-8")
    r = cli("check")
    assert r.exit_code == 1 and "spent_minutes is a running total" in r.stdout and "sum" in r.stdout
    assert "keep one version," not in r.stdout


def test_check_still_advises_one_version_of_an_ordinary_field(cli, desk):
    tid = new_ticket(cli)
    path = desk.root / "tickets" / f"{tid}.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "assignee: null", "<<<<<<< HEAD\nassignee: Рудаков А.\n=======\nassignee: Петров П.\n>>>>>>> theirs")
    path.write_text(text, encoding="utf-8")
    assert "keep one version" in cli("check").stdout


def test_a_follow_up_mail_with_an_unpadded_tag_reaches_the_ticket(desk, cli):
    from mailkit import configure_mail
    from test_mail_intake import ingest, mail

    configure_mail(desk.root)
    add_barrier(cli)
    for n in range(3):
        ingest(desk, mail(mid=f"<m{n}@barrier.ru>", subject=f"Вопрос {n}", body=f"Текст {n}"))
    out = ingest(desk, mail(subject="Заявка #T-3", mid="<f@barrier.ru>", body="Дополнение."))
    assert (out.action, out.ticket_id) == ("added", "T-0003")


def test_the_acting_user_from_the_environment_is_one_line(cli, desk):
    r = cli("new", "--subject", "x", "--text", "y", user="Рудаков\nПетров")
    assert r.exit_code == 2 and "SUPPORTCTL_USER" in r.stderr and desk.ticket_ids() == []
