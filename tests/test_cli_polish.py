"""The CLI speaks one way: date styles, minutes, text input, CSV, messages (R-6.6, A-1)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from supportctl.domain.values import format_local

MSK = ZoneInfo("Europe/Moscow")


def _new(cli, subject="Не работает АБС", now=None):
    args = ("new", "--subject", subject, "--text", "АБС не запускается")
    result = cli(*args, now=now) if now else cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_format_local_styles():
    dt = datetime(2026, 11, 30, 11, 0, tzinfo=ZoneInfo("UTC"))
    assert format_local(dt, MSK, "datetime") == "30.11.2026 14:00"
    assert format_local(dt, MSK, "date") == "30.11.2026"
    assert format_local(dt, MSK, "journal") == "30.11.26 14:00"
    assert format_local("2026-11-30T14:00:00+03:00", MSK) == "30.11.2026 14:00"
    assert format_local(None, MSK) == ""


def test_full_year_everywhere_but_journal_lines_a1(cli):
    """A-1: journal lines keep DD.MM.YY HH:MM; every other date shows the full year."""
    t = _new(cli)
    reg = cli("register", t, "--priority", "1")
    assert "due 01.12.2025 14:00" in reg.stdout
    listed = cli("list").stdout
    assert "01.12.2025 14:00" in listed and "01.12.25" not in listed
    journal = cli("journal", t).stdout
    assert re.match(r"^01\.12\.25 10:00 \\ ", journal)
    shown = cli("show", t).stdout
    assert "received:   01.12.2025 10:00" in shown
    assert "  01.12.25 10:00 \\ " in shown
    assert "deadline 01.12.2025 14:00" in cli("sla", t).stdout


def test_overdue_and_sla_agree_on_remaining_minutes(cli):
    """R-6.6: a breached registration clock 30.5 minutes late reads the same in both commands."""
    import json

    t = _new(cli)  # received 10:00, registration due 13:00
    later = "2025-12-01T13:30:30+03:00"
    over = json.loads(cli("overdue", "--json", now=later).stdout)
    sla = json.loads(cli("sla", t, "--json", now=later).stdout)
    assert over[0]["remaining_minutes"] == sla["registration"]["remaining_minutes"] == -30


def test_text_taking_commands_accept_text_file(cli, tmp_path):
    """note, reply, hold, resume, complete: argument, --text-file or stdin alike (R-4.5, R-4.6)."""
    t = _new(cli)
    cli("register", t, "--priority", "2")
    body = tmp_path / "text.txt"
    for n, command in enumerate((["note"], ["reply", "--spent", "30m"], ["hold", "--reason", "need-info"],
                                 ["resume"], ["complete"])):
        body.write_text(f"из файла {n}", encoding="utf-8")
        result = cli(command[0], t, *command[1:], "--text-file", str(body))
        assert result.exit_code == 0, result.output
    journal = cli("journal", t).stdout
    for n in range(5):
        assert f"из файла {n}" in journal
    assert cli("note", t, input="из stdin").exit_code == 0
    assert "из stdin" in cli("journal", t).stdout


def test_a_text_given_twice_is_refused_and_nothing_written(cli, desk, tmp_path):
    """The argument and --text-file together: one would be dropped unseen, so neither is taken."""
    t = _new(cli)
    cli("register", t, "--priority", "2")
    body = tmp_path / "text.txt"
    body.write_text("из файла", encoding="utf-8")
    before = (desk.root / "journal" / f"{t}.yaml").read_bytes()
    for command in (["note", t], ["reply", t], ["hold", t, "--reason", "need-info"], ["complete", t]):
        result = cli(*command, "из аргумента", "--text-file", str(body))
        assert result.exit_code == 2 and "given twice" in result.stderr, (command, result.output)
    assert (desk.root / "journal" / f"{t}.yaml").read_bytes() == before
    result = cli("new", "--subject", "s", "--text", "t", "--text-file", str(body))
    assert result.exit_code == 2 and "given twice" in result.stderr


def test_hold_without_details_still_works(cli):
    t = _new(cli)
    cli("register", t, "--priority", "2")
    result = cli("hold", t, "--reason", "need-info")
    assert result.exit_code == 0, result.output
    assert "waiting (need-info)" in result.stdout


def test_list_csv_opens_in_excel_with_cyrillic(cli):
    """UTF-8 with BOM and CRLF, as `report --format csv`."""
    _new(cli)
    result = cli("list", "--format", "csv")
    out = result.stdout_bytes
    assert out.startswith("\ufeffid,".encode("utf-8"))
    assert out.count(b"\r\n") == 2 and b"\n" not in out.replace(b"\r\n", b"")
    assert "Не работает АБС" in out.decode("utf-8")


def test_list_refuses_json_with_csv(cli):
    _new(cli)
    result = cli("list", "--json", "--format", "csv")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--json and --format csv contradict each other" in result.stderr


def test_report_takes_json_as_format_json(cli):
    """Every command that shows takes --json (README); for reports it is --format json."""
    import json

    _new(cli)
    as_flag = cli("report", "journal", "--json")
    assert as_flag.exit_code == 0, as_flag.output
    assert json.loads(as_flag.stdout) == json.loads(cli("report", "journal", "--format", "json").stdout)
    both = cli("report", "sla", "--json", "--format", "csv")
    assert both.exit_code == 2 and "contradict" in both.stderr


def test_priority_resume_reopen_print_the_new_due_R_6_1(cli):
    t = _new(cli)
    cli("register", t, "--priority", "1")
    assert cli("priority", t, "2", "--reason", "работает частично").stdout == f"{t}: priority 2, due 01.12.2025 18:00\n"
    cli("hold", t, "--reason", "need-info", now="2025-12-01T11:00:00+03:00")
    resumed = cli("resume", t, now="2025-12-01T12:00:00+03:00").stdout
    assert resumed == f"{t}: open, SLA clock running, due 02.12.2025 10:00\n"
    cli("complete", t, "готово", now="2025-12-01T13:00:00+03:00")
    reopened = cli("reopen", t, "--reason", "повторилось", now="2025-12-01T14:00:00+03:00").stdout
    assert reopened == f"{t}: reopened, SLA clock continues, due 02.12.2025 11:00\n"


def test_register_warns_when_late_R_6_6(cli):
    t = _new(cli)  # received 10:00, registration due 13:00
    late = cli("register", t, "--priority", "3", now="2025-12-01T14:20:00+03:00")
    assert late.exit_code == 0
    assert "supportctl: warning: registered 1h20m after the 3-hour registration deadline" in late.stderr
    in_time = cli("register", _new(cli), "--priority", "3", now="2025-12-01T10:30:00+03:00")
    assert "registration deadline" not in in_time.stderr  # (the customer-not-notified warning is R-7.10's)


def test_lowering_a_breached_priority_warns(cli):
    t = _new(cli)
    cli("register", t, "--priority", "1")  # due 14:00
    lowered = cli("priority", t, "3", "--reason", "не срочно", now="2025-12-01T15:00:00+03:00")
    assert lowered.exit_code == 0
    assert f"{t} was breached at 01.12.2025 14:00 under priority 1" in lowered.stderr
    raised = cli("priority", t, "1", "--reason", "срочно", now="2025-12-01T15:30:00+03:00")
    # issue 11 §1: raised back to 1 after 14:00 it is breached at once (the old warning said nothing)
    assert f"{t} is breached at once: under priority 1 it was due 01.12.2025 14:00" in raised.stderr
    assert "was breached at" not in raised.stderr


def test_show_prints_the_registration_deadline_R_6_6(cli):
    t = _new(cli)
    assert "registration due: 01.12.2025 13:00  on_track" in cli("show", t).stdout
    cli("register", t, "--priority", "2", now="2025-12-01T11:00:00+03:00")
    assert "registration due: 01.12.2025 13:00  met" in cli("show", t).stdout
    assert "registration (R-6.6, 3 working hours) for new tickets" in " ".join(cli("list", "--help").stdout.split())


def test_link_twice_journals_once_R_4_3(cli):
    first, second = _new(cli), _new(cli, "Не печатается отчёт")
    assert cli("link", second, first).stdout == f"{second}: linked to {first}\n"
    before = cli("journal", second).stdout
    again = cli("link", second, first)
    assert again.exit_code == 0 and again.stdout == f"{second}: already linked to {first}\n"
    assert cli("journal", second).stdout == before


def test_empty_list_says_so_on_stderr(cli):
    result = cli("list")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == "no tickets\n"
    assert cli("list", "--json").stdout.strip() == "[]"


def test_import_of_one_ticket_reads_naturally(cli, tmp_path):
    import json

    t = _new(cli)
    line = json.loads(cli("show", t, "--json").stdout)
    del line["id"], line["history"]
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = cli("import", str(source))
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 1 ticket: T-0002\n"


def test_station_in_use_by_tickets_is_refused(cli, desk):
    """Two clones numbering with one station would both make T-0002."""
    t = _new(cli)
    assert t == "T-0001" and cli("station", "T").exit_code == 0  # this clone's own station
    desk.station_path.unlink()  # a fresh clone of the same desk
    taken = cli("station", "t")
    assert taken.exit_code == 2
    assert "tickets T-0001 already use station T; another clone may be numbering with it" in taken.stderr
    assert cli("station").stdout.startswith("none yet")
    assert cli("station", "KM").stdout == "KM\n"
    assert cli("station", "T", "--force").stdout == "T\n"


def test_repeatable_options_show_a_placeholder_not_a_type(cli):
    for command, shown in ((["new"], ("--related ID", "--attach FILE")),
                           (["list"], ("--status STATUS", "--priority N")),
                           (["customer", "add"], ("--domain DOMAIN", "--product PRODUCT")),
                           (["search"], ("--limit N",))):
        text = cli(*command, "--help").stdout
        assert "<list[" not in text and "<int" not in text
        for placeholder in shown:
            assert placeholder in text


def test_usage_errors_are_one_line_naming_the_command_and_its_help(cli):
    """An unknown option, a missing argument, a value Typer cannot read, an unknown command: one line on
    stderr with exit 2, as every other error, instead of click's four-line usage block."""
    cases = {
        ("list", "--bogus"): "supportctl list: No such option: --bogus",
        ("show",): "supportctl show: Missing argument 'ID'",
        ("search", "x", "--limit", "abc"): "supportctl search: Invalid value for '--limit'",
        ("report", "nosuch"): "supportctl report: No such command 'nosuch'",
        ("--bogus",): "supportctl: No such option: --bogus",
    }
    for args, start in cases.items():
        result = cli(*args)
        assert result.exit_code == 2, args
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(start), (args, result.stderr)
        where = start.split(":")[0]
        assert lines[0].endswith(f"; see '{where} --help'")


def test_a_group_without_its_command_still_prints_its_help(cli):
    result = cli("report")
    assert result.exit_code == 2
    assert "Usage: supportctl report" in result.output and "sla" in result.output
