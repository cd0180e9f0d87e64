"""Fixes found in review: each test failed before its fix (rule IDs where one applies)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.domain import ids
from supportctl.errors import InvalidValue
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"


@pytest.fixture
def run(desk):
    def invoke(*args: str, input: str | bytes | None = None, env: dict | None = None):
        base = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
        result = CliRunner().invoke(app, list(args), env={**base, **(env or {})}, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result
    return invoke


def _new(run, *extra: str) -> str:
    result = run("new", "--subject", "Сбой", "--text", "Не запускается", "--channel", "portal", *extra)
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]


# -- B17: IDs (R-7.4) ---------------------------------------------------------

def test_r74_ids_and_stations_match_whole_with_ascii_digits():
    assert ids.ID_RE.match("T-0001\n") is None and ids.STATION_RE.match("T\n") is None
    for other_digits in ("T-٠٠٠١", "T-０００１"):
        assert ids.ID_RE.match(other_digits) is None
        with pytest.raises(InvalidValue):
            ids.validate_id(other_digits)


def test_r74_cyrillic_lookalike_letters_in_an_id_read_as_latin(run, desk):
    desk.set_station("TK")
    first = _new(run)
    assert first == "TK-0001"
    shown = run("show", "тк-0001", "--json")  # Cyrillic т and к, typed in lower case
    assert shown.exit_code == 0, shown.output
    assert '"id": "TK-0001"' in shown.output
    assert ids.validate_id("КМ-0107") == "KM-0107"


# -- B7: IDs typed in lower case are normalised before they reach a file (R-4.3) ---------------

def test_r43_split_and_link_store_normalised_related_ids(run, desk):
    first = _new(run)
    assert run("register", first.lower(), "--priority", "3").exit_code == 0
    split = run("split", first.lower(), "--subject", "Вторая проблема", "--text", "Отдельно")
    assert split.exit_code == 0, split.output
    second = split.output.split()[-1]
    assert desk.load_ticket(second).related == [first]
    third = _new(run)
    assert run("link", third.lower(), second.lower()).exit_code == 0
    assert desk.load_ticket(third).related == [second]
    assert first.lower() not in (desk.root / "tickets" / f"{second}.yaml").read_text()


# -- B1: nothing half-written (R-4.5: every change has its journal entry) ------------------------

def _registered(run) -> str:
    first = _new(run)
    assert run("register", first, "--priority", "3").exit_code == 0
    return first


def test_r45_stdin_that_is_not_utf8_is_one_line_and_changes_nothing(run, desk):
    first = _registered(run)
    before = (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes())
    result = run("reply", first, "--via", "phone", input="Ответ ".encode() + b"\xff")
    assert result.exit_code == 2
    assert "stdin is not UTF-8 text" in result.output and "Traceback" not in result.output
    assert (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes()) == before


def test_r45_a_command_failing_under_the_lock_rolls_its_writes_back(run, desk):
    first = _registered(run)
    before = (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes())
    ticket = desk.load_ticket(first)
    ticket.spent_minutes += 30
    with pytest.raises(RuntimeError), desk.lock():
        desk.save_ticket(ticket)
        raise RuntimeError("killed midway")
    assert (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes()) == before
    assert not list((desk.state_dir / "undo").iterdir())


def test_r45_a_journal_text_that_cannot_be_encoded_fails_before_the_ticket_is_written(run, desk):
    from supportctl.services import tickets
    from supportctl.services.context import Ctx
    from datetime import datetime

    first = _registered(run)
    before = (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes())
    ctx = Ctx(desk=desk, now=datetime.fromisoformat(NOW), actor="Рудаков А.")
    with pytest.raises(UnicodeEncodeError):
        tickets.reply(ctx, first, "Ответ \udcff", 30, "phone")
    assert (desk.ticket_path(first).read_bytes(), desk.journal_path(first).read_bytes()) == before


# -- B2/B3: a hand-edited ticket file is checked once, in the codec -------------------------------

@pytest.mark.parametrize("edit, field", [
    (("contact:", "contact: Иванов\nold_contact:"), "contact"),
    (("priority: 3", "priority: 7"), "priority 7"),
    (("status: open", "status: bogus"), "status 'bogus'"),
    (("priority: 3", "priority: '3'"), "priority '3'"),
    (("related: []", "related: T-0001"), "related"),
])
def test_r62_a_hand_edited_ticket_with_a_wrong_value_is_named_not_a_traceback(run, desk, edit, field):
    first = _registered(run)
    second = _registered(run)
    path = desk.ticket_path(first)
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    shown = run("show", first)
    assert shown.exit_code == 2 and shown.output.count("\n") == 1
    assert "invalid ticket" in shown.output and field in shown.output
    listed = run("list", "--json")
    assert listed.exit_code == 0 and f"skipped {path}" in listed.stderr
    assert [t["id"] for t in json.loads(listed.stdout)] == [second]
    report = run("report", "sla", "--from", "2025-12-01", "--to", "2025-12-31")
    assert report.exit_code == 0 and "skipped" in report.stderr
    assert any(field in str(p) for p in check_desk(desk))


# -- B4: dates at the calendar's edge; the last-resort handler -------------------------------

@pytest.mark.parametrize("args, env", [
    (("report", "sla", "--to", "9999-12-31"), {}),
    (("list",), {"SUPPORTCTL_NOW": "9999-12-31T23:00+00:00"}),
    (("new", "--subject", "s", "--text", "t", "--channel", "portal", "--received", "9999-12-31T20:00+03:00"), {}),
    (("new", "--subject", "s", "--text", "t", "--channel", "portal", "--received", "0001-01-01"), {}),
])
def test_r72_dates_out_of_the_calendars_range_are_refused_in_one_line(run, desk, args, env):
    result = run(*args, env=env)
    assert result.exit_code == 2, result.output
    assert "out of range" in result.stderr and result.stderr.count("\n") == 1
    assert desk.ticket_ids() == []


def test_an_unexpected_exception_is_one_line_exit_3_and_a_traceback_with_debug(run, desk, monkeypatch):
    from supportctl.services import query

    def broken(*a, **k):
        raise ZeroDivisionError("division\nby zero")

    monkeypatch.setattr(query, "find_queue", broken)  # what `list` reads by (issue 13)
    result = run("list")
    assert result.exit_code == 3
    assert result.stderr == ("supportctl: internal error: ZeroDivisionError: division by zero "
                             "(this is a bug; set SUPPORTCTL_DEBUG=1 for the traceback)\n")
    debug = CliRunner().invoke(app, ["list"], env={"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_DEBUG": "1"})
    assert isinstance(debug.exception, ZeroDivisionError)
    assert run("show", "--help").exit_code == 0  # typer's own exits pass through


# -- B16: overdue and autoclose warn of the files they skip (R-6.2, R-4.9) ------------------------

@pytest.mark.parametrize("command", [("overdue",), ("autoclose", "--dry-run"), ("autoclose",)])
def test_r62_overdue_and_autoclose_name_the_damaged_files_they_skip(run, desk, command):
    first = _new(run)
    path = desk.ticket_path(first)
    path.write_text(path.read_text(encoding="utf-8").replace("status: new", "status: bogus"), encoding="utf-8")
    result = run(*command)
    assert result.exit_code in (0, 1)
    assert f"supportctl: warning: skipped {path}" in result.stderr


# -- File modes: a shared desk (cron user + team group) stays readable and writable by the group ---

def test_atomic_writes_give_new_files_the_umask_mode_and_keep_an_existing_files_mode(tmp_path):
    import os
    import stat

    from supportctl.desk.files import write_atomic

    old = os.umask(0o002)
    try:
        new = tmp_path / "new.yaml"
        write_atomic(new, "a")
        assert stat.S_IMODE(new.stat().st_mode) == 0o664
        os.chmod(new, 0o640)
        write_atomic(new, "b")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640 and new.read_text() == "b"
        os.umask(0o077)
        write_atomic(tmp_path / "private.yaml", "c")
        assert stat.S_IMODE((tmp_path / "private.yaml").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# -- B15: the settings are read strictly (R-7.5 channels, R-7.7 contracts) ------------------------

@pytest.mark.parametrize("line, key", [
    ("channels: email", "channels"),
    ('require_contract: "false"', "require_contract"),
    ("language: de", "language"),
])
def test_r75_a_setting_of_the_wrong_type_is_named(run, desk, line, key):
    cfg = desk.root / "supportctl.yaml"
    kept = [x for x in cfg.read_text(encoding="utf-8").split("\n") if not x.startswith(f"{key}:")]  # no key twice
    cfg.write_text("\n".join(kept) + f"\n{line}\n", encoding="utf-8")
    result = run("new", "--subject", "s", "--text", "t", "--channel", "email")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"supportctl.yaml: {key}: expected" in result.stderr
    assert desk.ticket_ids() == []


# -- B5/B6: import is all or nothing and never overwrites a journal (R-4.5) -----------------------

GOOD = {"subject": "a", "text": "b", "received_at": "2025-12-01T10:00:00+03:00"}


def _import(run, tmp_path, *rows: dict):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return run("import", str(src))


def test_r45_import_refuses_an_id_whose_orphan_journal_exists(run, desk, tmp_path):
    orphan = desk.journal_dir / "T-0099.yaml"
    orphan.write_text('- {"at": "2025-11-01T10:00:00+03:00", "by": "x", "kind": "received", "text": ""}\n')
    before = orphan.read_bytes()
    result = _import(run, tmp_path, {**GOOD, "id": "T-0099"})
    assert result.exit_code == 2 and "T-0099" in result.stderr
    assert orphan.read_bytes() == before and desk.ticket_ids() == []


def test_r61_import_refuses_a_registered_status_without_a_priority(run, desk, tmp_path):
    result = _import(run, tmp_path, GOOD, {**GOOD, "status": "open"})
    assert result.exit_code == 2 and "in.jsonl:2: status open but no priority" in result.stderr
    assert desk.ticket_ids() == []


def test_r45_import_failing_in_its_second_pass_removes_what_it_wrote(run, desk, tmp_path, monkeypatch):
    from supportctl.desk import files

    real, calls = files.BulkWriter.create, []

    def fail_on_third(writer, folder, name, data):  # the third journal (issue 13: the import's bulk writer)
        calls.append(name)
        if len(calls) == 6:
            assert folder.name == "journal"
            raise OSError(28, "No space left on device")
        return real(writer, folder, name, data)

    monkeypatch.setattr(files.BulkWriter, "create", fail_on_third)
    result = _import(run, tmp_path, GOOD, GOOD, GOOD)
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert desk.ticket_ids() == [] and [p.name for p in desk.journal_dir.glob("*.yaml")] == []


def test_r66_import_computes_the_deadlines_in_its_first_pass(run, desk, tmp_path):
    result = _import(run, tmp_path, GOOD, {**GOOD, "received_at": "9999-12-31T20:00:00+03:00"})
    # since issue 10 item 12 the year itself is refused where it is read, before any deadline
    assert result.exit_code == 2 and "in.jsonl:2: received_at: the year 9999 is out of range" in result.stderr, \
        result.output
    assert desk.ticket_ids() == []


# -- B8: writes never follow a symlink out of the desk ----------------------------------------

def test_a_journal_symlinked_out_of_the_desk_is_not_written_through(run, desk, tmp_path):
    first = _registered(run)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    journal = desk.journal_path(first)
    journal.unlink()
    journal.symlink_to(outside)
    before = desk.ticket_path(first).read_bytes()
    result = run("note", first, "заметка")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert outside.read_text() == "secret\n"
    assert desk.ticket_path(first).read_bytes() == before  # the ticket write is rolled back too
    assert any(str(journal) in str(p) and "symbolic link" in str(p) for p in check_desk(desk))


def test_attachments_are_not_copied_through_a_symlinked_folder(run, desk, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    desk.state_dir.mkdir(exist_ok=True)
    (desk.state_dir / "station").write_text("T\n")
    (desk.attachments_dir).mkdir(exist_ok=True)
    (desk.attachments_dir / "T-0001").symlink_to(outside)
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    result = run("new", "--subject", "s", "--text", "t", "--channel", "portal", "--attach", str(shot))
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert list(outside.iterdir()) == [] and desk.ticket_ids() == []
    assert any("symbolic link" in str(p) for p in check_desk(desk))
