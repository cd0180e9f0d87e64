"""The ticket commands through the CLI (issue #2): lifecycle, journal, output, bad input."""

from __future__ import annotations

import json

import yaml

from tests.conftest import add_barrier


def new_ticket(cli, *extra: str, now: str = "2025-12-01T10:00:00+03:00") -> str:
    # --force: these tickets are alike on purpose; a repeat within the hour would be refused (IS-1)
    result = cli("new", "--subject", "Не запускается АРМ", "--text", "После обновления АРМ не стартует.",
                 "--org", "АКБ «Барьер»", "--contact", "Смирнова Ольга Петровна", "--force", *extra, now=now)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_new_prints_the_id_alone_and_writes_ticket_and_journal_R_7_4(cli, desk):
    add_barrier(cli)
    ticket_id = new_ticket(cli)
    assert ticket_id == "T-0001"
    data = yaml.safe_load((desk.root / "tickets" / "T-0001.yaml").read_text(encoding="utf-8"))
    assert data["schema"] == 1 and data["status"] == "new"
    assert data["received_at"] == "2025-12-01T10:00:00+03:00"
    # a known contact fills in the rest
    assert data["contact"]["email"] == "smirnova@barrier.ru" and data["contract"] == "0373100000116000042"
    assert data["verified"] is True
    # Cyrillic stays readable in the file
    assert "Не запускается АРМ" in (desk.root / "tickets" / "T-0001.yaml").read_text(encoding="utf-8")
    journal = (desk.root / "journal" / "T-0001.yaml").read_text(encoding="utf-8")
    assert journal.startswith('- {"at": "2025-12-01T10:00:00+03:00", "by": "Рудаков А.", "kind": "received"')


def test_full_lifecycle_through_the_cli_R_4_5_to_4_9(cli, desk):
    add_barrier(cli)
    tid = new_ticket(cli)
    r = cli("register", tid, "--priority", "2", "--assignee", "Рудаков А.", now="2025-12-01T11:00:00+03:00")
    assert r.stdout == "T-0001: registered, priority 2, due 01.12.2025 18:00\n"
    assert cli("hold", tid, "--reason", "need-info", "нужны логи", now="2025-12-01T12:00:00+03:00").exit_code == 0
    assert cli("resume", tid, now="2025-12-02T10:00:00+03:00").exit_code == 0
    r = cli("reply", tid, "Проверьте настройки", "--spent", "10m", "--via", "phone", now="2025-12-02T10:30:00+03:00")
    assert r.stdout == "T-0001: replied via phone, 30m accounted\n"
    assert cli("complete", tid, "Устранили причину сбоя", "--spent", "1h", now="2025-12-02T11:00:00+03:00").exit_code == 0
    assert cli("reopen", tid, "--reason", "ошибка повторилась", now="2025-12-02T12:00:00+03:00").exit_code == 0
    assert cli("complete", tid, "Исправлено", now="2025-12-02T13:00:00+03:00").exit_code == 0
    assert cli("close", tid, "--rating", "5", now="2025-12-02T14:00:00+03:00").exit_code == 0
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["status"] == "closed" and shown["rating"] == 5
    assert shown["spent_minutes"] == 30 + 60 + 30
    assert [p["reason"] for p in shown["pauses"]] == ["need-info", "completed"]
    kinds = [e["kind"] for e in json.loads(cli("journal", tid, "--json").stdout)]
    assert kinds == ["received", "registered", "hold", "resume", "reply", "completed", "reopened",
                     "completed", "closed"]


def test_refused_move_names_the_allowed_moves_and_writes_nothing(cli, desk):
    tid = new_ticket(cli)
    before = (desk.root / "tickets" / f"{tid}.yaml").read_bytes()
    r = cli("complete", tid, "готово")
    assert r.exit_code == 2
    assert r.stderr == "supportctl: cannot complete T-0001: it is new (from new the allowed moves are: register)\n"
    assert (desk.root / "tickets" / f"{tid}.yaml").read_bytes() == before


def test_bad_input_is_one_line_and_exit_2(cli, desk):
    tid = new_ticket(cli)
    cases = [
        (("show", "T-9999"), "no ticket T-9999 in this desk"),
        (("show", "../etc/passwd"), "invalid ticket ID '../etc/passwd'"),
        (("register", tid, "--priority", "7"), "invalid priority '7'"),
        (("reply", tid, "x", "--spent", "soon"), "invalid duration 'soon'"),
        (("list", "--since", "вчера"), "invalid date 'вчера'"),
        (("list", "--status", "done"), "invalid status 'done'"),
        (("new", "--subject", "x", "--text", "y", "--channel", "telegram"), "not an official channel"),
        (("hold", tid, "--reason", "lunch"), "invalid hold reason"),
    ]
    for args, message in cases:
        r = cli(*args)
        assert r.exit_code == 2, args
        assert message in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
        assert "Traceback" not in r.output


def test_outside_a_desk_is_one_clear_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from supportctl.cli.app import app

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["list"], env={"SUPPORTCTL_DESK": ""})
    assert r.exit_code == 2
    assert r.stderr.startswith("supportctl: not inside a desk")


def test_broken_yaml_names_file_and_line_and_others_still_list(cli, desk):
    a = new_ticket(cli)
    b = new_ticket(cli)
    (desk.root / "tickets" / f"{b}.yaml").write_text("id: T-0002\nstatus: [open\n", encoding="utf-8")
    r = cli("show", b)
    assert r.exit_code == 2 and "T-0002.yaml:" in r.stderr and "broken YAML" in r.stderr
    listed = cli("list", "--json")
    assert listed.exit_code == 0
    assert [t["id"] for t in json.loads(listed.stdout)] == [a]
    assert "skipped" in listed.stderr and "T-0002.yaml" in listed.stderr


def test_python_tags_in_yaml_are_refused_not_executed(cli, desk):
    tid = new_ticket(cli)
    (desk.root / "tickets" / f"{tid}.yaml").write_text(
        "!!python/object/apply:os.system ['touch pwned']\n", encoding="utf-8")
    r = cli("show", tid)
    assert r.exit_code == 2 and "broken YAML" in r.stderr
    assert not (desk.root / "pwned").exists()


def test_list_orders_by_priority_then_arrival_IS_2(cli):
    first = new_ticket(cli, now="2025-12-01T09:00:00+03:00")
    second = new_ticket(cli, now="2025-12-01T09:30:00+03:00")
    third = new_ticket(cli, now="2025-12-01T10:00:00+03:00")
    unregistered = new_ticket(cli, now="2025-12-01T10:30:00+03:00")
    cli("register", first, "-p", "3")
    cli("register", second, "-p", "1")
    cli("register", third, "-p", "3")
    ids = [t["id"] for t in json.loads(cli("list", "--json").stdout)]
    assert ids == [unregistered, second, first, third]
    assert [t["id"] for t in json.loads(cli("list", "--json", "--priority", "3").stdout)] == [first, third]
    csv_out = cli("list", "--format", "csv", "--status", "new").stdout.splitlines()
    assert csv_out[0].startswith("\ufeffid,p,status,sla,due") and csv_out[1].startswith(unregistered)


def test_unverified_customer_is_flagged_or_refused_R_7_7(cli, desk):
    tid = new_ticket(cli)  # no customers.yaml entry
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["verified"] is False and shown["unverified_reason"] == "организации АКБ «Барьер» нет среди Заказчиков"
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("require_contract: false", "require_contract: true"),
                   encoding="utf-8")
    r = cli("new", "--subject", "x", "--text", "y", "--org", "ООО Ромашка")
    assert r.exit_code == 2 and "ticket refused" in r.stderr
    assert cli("new", "--subject", "x", "--text", "y", "--org", "ООО Ромашка", "--force").exit_code == 0


def test_expired_contract_is_unverified_R_1_1(cli):
    cli("customer", "add", "ООО Старый", "--contract", "17-1", "--from", "2017-01-01", "--to", "2018-12-31")
    cli("customer", "contact", "add", "ООО Старый", "--name", "Иванов И.И.", "--email", "i@old.ru")
    r = cli("new", "--subject", "x", "--text", "y", "--org", "ООО Старый", "--contact", "Иванов И.И.")
    shown = json.loads(cli("show", r.stdout.strip(), "--json").stdout)
    assert shown["verified"] is False and shown["unverified_reason"] == "срок действия договора № 17-1 с ООО Старый истёк 31.12.2018"


def test_attachments_are_checked_by_content_R_7_6(cli, desk, tmp_path):
    png = tmp_path / "screen.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    bmp = tmp_path / "screen2.png"  # a BMP under a PNG name
    bmp.write_bytes(b"BM" + b"\0" * 8 + (54).to_bytes(4, "little") + b"\0" * 40)
    r = cli("new", "--subject", "x", "--text", "y", "--attach", str(bmp))
    assert r.exit_code == 2 and "BMP images are accepted only packed" in r.stderr
    assert desk.ticket_ids() == []
    tid = cli("new", "--subject", "x", "--text", "y", "--attach", str(png)).stdout.strip()
    assert (desk.root / "attachments" / tid / "screen.png").read_bytes() == png.read_bytes()
    assert json.loads(cli("show", tid, "--json").stdout)["attachments"] == ["screen.png"]


def test_split_and_link_relate_both_tickets_R_4_3(cli):
    a = new_ticket(cli)
    b = cli("split", a, "--subject", "Вторая проблема", "--text", "Отчёт не печатается").stdout.strip()
    first, second = (json.loads(cli("show", t, "--json").stdout) for t in (a, b))
    assert first["related"] == [b] and second["related"] == [a]
    assert first["history"][-1]["text"] == f"Новая проблема выделена в заявку {b}."
    assert f"Выделена из заявки {a}." in [e["text"] for e in second["history"]]
    c = new_ticket(cli)
    assert cli("link", c, a).exit_code == 0
    assert json.loads(cli("show", a, "--json").stdout)["related"] == [b, c]


def test_text_from_stdin(cli):
    r = cli("new", "--subject", "Из почты", input="Текст из stdin\n")
    tid = r.stdout.strip()
    assert cli("show", tid, "--json").stdout.count("Текст из stdin") == 1
    assert cli("note", tid, input="заметка\n").exit_code == 0


def test_priority_change_moves_the_due_R_6_1(cli):
    tid = new_ticket(cli)
    cli("register", tid, "-p", "3", now="2025-12-01T10:00:00+03:00")
    assert json.loads(cli("show", tid, "--json").stdout)["due"] == "2025-12-08T10:00:00+03:00"
    r = cli("priority", tid, "1", "--reason", "всё встало", now="2025-12-01T11:00:00+03:00")
    assert r.exit_code == 0
    assert json.loads(cli("show", tid, "--json").stdout)["due"] == "2025-12-01T14:00:00+03:00"


def test_customer_commands_R_1_1(cli):
    add_barrier(cli)
    listed = json.loads(cli("customer", "list", "--json").stdout)
    assert listed[0]["org"] == "АКБ «Барьер»" and listed[0]["domains"] == ["barrier.ru"]
    shown = cli("customer", "show", "акб «барьер»")
    assert "Смирнова Ольга Петровна" in shown.stdout
    r = cli("customer", "add", "X", "--contract", "1", "--from", "2026-01-01", "--to", "2025-01-01")
    assert r.exit_code == 2 and "ends" in r.stderr
    assert cli("customer", "show", "Нет такого").exit_code == 2


def test_attachment_names_stay_unique_and_safe_R_7_6(desk, tmp_path):
    from supportctl.services.tickets import store_attachments

    files = []
    for i, name in enumerate(("README", "README", "README", "../shot.png", "shot.png")):
        folder = tmp_path / f"src{i}"
        folder.mkdir()
        path = folder / name.replace("../", "")
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]))
        files.append(path)
    names = store_attachments(desk, "T-0001", files)
    assert names == ["README", "README-2", "README-3", "shot.png", "shot-2.png"]
    assert sorted(p.name for p in (desk.root / "attachments" / "T-0001").iterdir()) == sorted(names)


def test_list_leaves_closed_tickets_out_unless_asked(cli):
    done = new_ticket(cli)
    cli("register", done, "-p", "3")
    cli("complete", done, "готово")
    cli("close", done)
    waiting = new_ticket(cli)
    assert [t["id"] for t in json.loads(cli("list", "--json").stdout)] == [waiting]
    assert [t["id"] for t in json.loads(cli("list", "--all", "--json").stdout)] == [waiting, done]
    assert [t["id"] for t in json.loads(cli("list", "--status", "closed", "--json").stdout)] == [done]


def test_list_org_matches_like_customers_do_case_quotes_spaces(cli):
    add_barrier(cli)
    tid = new_ticket(cli)
    for spelling in ('акб "барьер"', "АКБ  «Барьер»", "акб «БАРЬЕР»"):
        assert [t["id"] for t in json.loads(cli("list", "--org", spelling, "--json").stdout)] == [tid], spelling


def test_verify_matches_a_ticket_once_its_customer_is_registered_R_7_7(cli, desk):
    cli("customer", "add", "ООО Вектор", "--contract", "П-1", "--from", "2025-01-01", "--to", "2026-12-31",
        "--plan", "premium")
    tid = cli("new", "--subject", "Сбой", "--text", "Не работает", "--org", "ООО Вектор",
              "--contact", "Козлов Д.С.", "--email", "kozlov@vektor.ru").stdout.strip()
    cli("register", tid, "-p", "2")
    before = json.loads(cli("show", tid, "--json").stdout)
    assert before["verified"] is False and before["plan"] is None
    r = cli("verify", tid)
    assert r.exit_code == 0 and "still unverified" in r.stdout
    cli("customer", "contact", "add", "ООО Вектор", "--name", "Козлов Д.С.", "--email", "kozlov@vektor.ru")
    r = cli("verify", tid, now="2025-12-01T10:30:00+03:00")
    # issue 11 §3: premium promises the first response in 3 h around the clock (IS-6), no resolution time
    assert r.stdout.startswith(f"{tid}: verified: ООО Вектор, contract П-1, plan premium, "
                               "first response due 01.12.2025 13:00")
    after = json.loads(cli("show", tid, "--json").stdout)
    assert (after["verified"], after["contract"], after["plan"]) == (True, "П-1", "premium")
    assert after["first_response_due"] == "2025-12-01T13:00:00+03:00" and after["due"] is None
    assert after["history"][-1]["kind"] == "verified"


def test_the_answer_channel_is_recorded_R_4_7(cli):
    tid = new_ticket(cli)
    assert cli("reply", tid, "Подключились удалённо, исправили", "--via", "remote").exit_code == 0
    assert json.loads(cli("journal", tid, "--json").stdout)[-1]["data"] == {"via": "remote"}
    r = cli("reply", tid, "x", "--via", "pigeon")
    assert r.exit_code == 2 and "invalid --via 'pigeon'" in r.stderr


def test_every_ticket_records_its_channel_and_the_desk_decides_which_are_official_MF_1(cli, desk):
    assert json.loads(cli("show", new_ticket(cli, "--channel", "phone"), "--json").stdout)["channel"] == "phone"
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("channels: [email, portal, phone]",
                                                           "channels: [email, portal, phone, chat]"),
                   encoding="utf-8")
    assert json.loads(cli("show", new_ticket(cli, "--channel", "chat"), "--json").stdout)["channel"] == "chat"
