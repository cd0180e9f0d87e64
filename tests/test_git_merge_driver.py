"""The merge driver for ticket files (issue #6): two clones merge with no conflict in the normal
course of work — both reply (R-5.2 running total), both link, hold and assign — and a real
conflict (two different status moves, R-4.5–4.9) is marked field by field and named by `check`.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

from test_git_team import clone_of, git, isolated_git, ok, sc, team  # noqa: F401 (fixtures)
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.desk import yamlio
from supportctl.desk.desk import Desk
from supportctl.domain.codec import ticket_from_dict, ticket_to_file
from supportctl.domain.merge import merge_lists, merge_pauses, merge_tickets
from supportctl.domain.ticket import Contact, Pause, Ticket
from supportctl.gitops.merge_driver import DRIVER, driver_command, ensure_merge_driver, merge_ticket_files
from supportctl.gitops.runner import Git
from supportctl.services.check import check_desk, ticket_conflicts
from supportctl.services.setup import init_desk

MSK = timezone(timedelta(hours=3))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 12, 1, hour, minute, tzinfo=MSK)


def base_ticket() -> Ticket:
    return Ticket(id="T-0001", status="open", priority=3, subject="Сбой", text="не запускается",
                  contact=Contact(name="Смирнова", phone="+7 495 1"), received_at=at(9), registered_at=at(9, 30),
                  registration_due=at(13), due=at(17), spent_minutes=30, related=["T-0002"],
                  message_ids=["<a@x>"])


def sides() -> tuple[Ticket, Ticket, Ticket]:
    base = base_ticket()
    return base, copy.deepcopy(base), copy.deepcopy(base)


# -- the rules, on tickets -------------------------------------------------------

def test_a_field_changed_on_one_side_or_alike_on_both_is_taken():
    base, ours, theirs = sides()
    ours.assignee = "Anna"
    theirs.priority, theirs.product = 2, "1С"
    ours.product = "1С"
    result = merge_tickets(base, ours, theirs)
    assert result.clean
    t = result.ticket
    assert (t.assignee, t.priority, t.product, t.subject) == ("Anna", 2, "1С", "Сбой")


def test_a_field_changed_differently_on_both_sides_conflicts_and_holds_ours():
    base, ours, theirs = sides()
    ours.assignee, theirs.assignee = "Anna", "Boris"
    ours.category = "bug"
    result = merge_tickets(base, ours, theirs)
    assert result.conflicts == ("assignee",)
    assert (result.ticket.assignee, result.ticket.category) == ("Anna", "bug")


def test_spent_minutes_is_a_running_total_both_sides_add_to_R_5_2():
    base, ours, theirs = sides()
    ours.spent_minutes += 30  # a reply: at least 30 minutes
    theirs.spent_minutes += 45
    theirs.spent_minutes += 30
    assert merge_tickets(base, ours, theirs).ticket.spent_minutes == 30 + 30 + 75


def test_contact_merges_by_its_parts():
    base, ours, theirs = sides()
    ours.contact.phone = "+7 495 2"
    theirs.contact.email = "s@barrier.ru"
    assert merge_tickets(base, ours, theirs).ticket.contact == Contact("Смирнова", None, "+7 495 2", "s@barrier.ru")
    theirs.contact.phone = "+7 495 3"
    assert merge_tickets(base, ours, theirs).conflicts == ("contact",)


def test_lists_join_ours_first_and_an_item_one_side_removed_stays_removed():
    assert merge_lists(["a", "b"], ["a", "b", "c"], ["a", "b", "d", "c"]) == ["a", "b", "c", "d"]
    assert merge_lists(["a", "b"], ["b"], ["a", "b", "x"]) == ["b", "x"]
    base, ours, theirs = sides()
    ours.message_ids.append("<reply-a@desk>")
    theirs.message_ids.append("<reply-b@desk>")
    ours.attachments.append("log.txt")
    theirs.related.append("T-0005")
    t = merge_tickets(base, ours, theirs).ticket
    assert t.message_ids == ["<a@x>", "<reply-a@desk>", "<reply-b@desk>"]
    assert (t.attachments, t.related) == (["log.txt"], ["T-0002", "T-0005"])


def test_pauses_join_in_time_order_and_a_closed_pause_wins_R_7_9():
    held = Pause(at(10), None, "need-info")
    closed = Pause(at(10), at(11), "need-info")
    earlier = Pause(at(8), at(9), "completed")
    assert merge_pauses([held], [held], [closed, Pause(at(12), None, "need-access")]) == \
        [closed, Pause(at(12), None, "need-access")]
    assert merge_pauses([], [held], [earlier]) == [earlier, held]
    # closed differently on both sides: the clock ran again from the earlier end
    assert merge_pauses([held], [Pause(at(10), at(12), "need-info")], [closed]) == [closed]
    # both held offline: one stretch of stopped clock, only the last pause open
    assert merge_pauses([], [held], [Pause(at(10, 30), None, "need-access")]) == \
        [Pause(at(10), at(10, 30), "need-info"), Pause(at(10, 30), None, "need-access")]
    assert merge_pauses([earlier], [], [earlier, held]) == [held]  # ours removed it


def test_a_status_move_on_one_side_brings_its_lifecycle_fields():
    base, ours, theirs = sides()
    ours.status, ours.hold_reason = "waiting", "need-info"  # hold
    ours.pauses.append(Pause(at(11), None, "need-info"))
    theirs.assignee, theirs.spent_minutes = "Boris", 60  # assign, reply
    t = merge_tickets(base, ours, theirs).ticket
    assert (t.status, t.hold_reason, t.assignee, t.spent_minutes) == ("waiting", "need-info", "Boris", 60)
    assert t.open_pause() == Pause(at(11), None, "need-info")

    base, ours, theirs = sides()
    theirs.status, theirs.completed_at, theirs.spent_minutes = "completed", at(12), 60  # complete
    ours.hold_reason = "stale"  # not a move: loses to the side that moved
    t = merge_tickets(base, ours, theirs).ticket
    assert (t.status, t.completed_at, t.hold_reason) == ("completed", at(12), None)


def test_different_status_moves_on_both_sides_conflict_with_what_they_set():
    base, ours, theirs = sides()
    ours.status, ours.hold_reason = "waiting", "need-info"
    ours.pauses.append(Pause(at(11), None, "need-info"))
    theirs.status, theirs.completed_at = "completed", at(12)
    theirs.assignee = "Boris"
    result = merge_tickets(base, ours, theirs)
    assert result.conflicts == ("status", "hold_reason", "completed_at", "pauses")
    assert result.ticket.assignee == "Boris"


def test_the_same_move_on_both_sides_merges_and_its_fields_merge_one_by_one():
    base, ours, theirs = sides()
    for side in (ours, theirs):
        side.status, side.completed_at = "completed", at(12)
    ours.spent_minutes, theirs.spent_minutes = 60, 90
    result = merge_tickets(base, ours, theirs)
    assert result.clean and result.ticket.status == "completed" and result.ticket.spent_minutes == 120
    theirs.completed_at = at(13)
    assert merge_tickets(base, ours, theirs).conflicts == ("completed_at",)


def test_stored_deadlines_never_conflict_the_earlier_stands_R_6_6():
    base, ours, theirs = sides()
    ours.due, theirs.due = at(18), at(16)
    theirs.registration_due = at(12)
    result = merge_tickets(base, ours, theirs)
    assert result.clean and (result.ticket.due, result.ticket.registration_due) == (at(16), at(12))


# -- the driver on files ---------------------------------------------------------------

def write(path: Path, t: Ticket, tz) -> Path:
    path.write_text(yamlio.dumps_spaced(ticket_to_file(t, tz)), encoding="utf-8")
    return path


def three_files(tmp_path: Path, base: Ticket, ours: Ticket, theirs: Ticket) -> tuple[Path, Path, Path, Desk]:
    desk = init_desk(tmp_path / "desk")
    files = [write(tmp_path / name, t, desk.tz) for name, t in (("O", base), ("A", ours), ("B", theirs))]
    return *files, desk


def test_a_clean_merge_writes_the_usual_ticket_file(tmp_path):
    base, ours, theirs = sides()
    ours.spent_minutes, theirs.spent_minutes, theirs.assignee = 60, 60, "Boris"
    o, a, b, desk = three_files(tmp_path, base, ours, theirs)
    outcome = merge_ticket_files(o, a, b, "tickets/T-0001.yaml", cwd=desk.root)
    assert outcome.clean and outcome.by_fields
    merged = ticket_from_dict(yamlio.load(a))
    assert (merged.spent_minutes, merged.assignee) == (90, "Boris")
    assert a.read_text(encoding="utf-8") == yamlio.dumps_spaced(ticket_to_file(merged, desk.tz))


def test_a_conflict_marks_only_the_conflicting_fields_and_check_names_them(tmp_path):
    base, ours, theirs = sides()
    ours.status, ours.hold_reason = "waiting", "need-info"
    theirs.status, theirs.completed_at = "completed", at(12)
    ours.spent_minutes, theirs.spent_minutes = 60, 60
    o, a, b, desk = three_files(tmp_path, base, ours, theirs)
    assert merge_ticket_files(o, a, b, "tickets/T-0001.yaml", cwd=desk.root).conflicts == \
        ("status", "hold_reason", "completed_at")
    text = a.read_text(encoding="utf-8")
    assert text.count("<<<<<<< ours") == 2 and "spent_minutes: 90" in text
    assert "<<<<<<< ours\nstatus: waiting\n=======\nstatus: completed\n>>>>>>> theirs\n" in text
    named = [p.fields for p in ticket_conflicts(a)]
    assert named == [("status",), ("hold_reason", "completed_at")]
    # keeping our side of each region gives a valid ticket
    lines, keep = [], True
    for line in text.split("\n"):
        if line.startswith(("<<<<<<<", ">>>>>>>")) or line == "=======":
            keep = not line.startswith("=======")
            continue
        if keep:
            lines.append(line)
    resolved = ticket_from_dict(yamlio.loads("\n".join(lines), "resolved"))
    assert (resolved.status, resolved.hold_reason, resolved.completed_at) == ("waiting", "need-info", None)


def test_versions_that_are_not_tickets_merge_as_text(tmp_path, monkeypatch):
    base, ours, theirs = sides()
    theirs.assignee = "Boris"
    o, a, b, desk = three_files(tmp_path, base, ours, theirs)
    monkeypatch.chdir(desk.root)
    a.write_text(a.read_text(encoding="utf-8").replace("subject: Сбой", "subject: [broken"), encoding="utf-8")
    outcome = merge_ticket_files(o, a, b, "tickets/T-0001.yaml", cwd=desk.root)
    assert not outcome.by_fields and outcome.clean
    assert "subject: [broken" in a.read_text() and "assignee: Boris" in a.read_text()
    o.write_text("")  # no common ancestor: both clones created the ID
    theirs.subject = "другой"
    write(b, theirs, desk.tz)
    r = CliRunner().invoke(app, ["merge-ticket", str(o), str(a), str(b), "tickets/T-0001.yaml"],
                           catch_exceptions=False)
    assert r.exit_code == 1 and "<<<<<<< ours" in a.read_text()


def test_the_command_exits_1_naming_the_fields(tmp_path, monkeypatch):
    base, ours, theirs = sides()
    ours.assignee, theirs.assignee = "Anna", "Boris"
    o, a, b, desk = three_files(tmp_path, base, ours, theirs)
    monkeypatch.chdir(desk.root)
    r = CliRunner().invoke(app, ["merge-ticket", str(o), str(a), str(b), "tickets/T-0001.yaml"],
                           catch_exceptions=False)
    assert r.exit_code == 1 and "tickets/T-0001.yaml: changed on both sides: assignee" in r.stderr
    assert "merge-ticket" not in CliRunner().invoke(app, ["--help"]).stdout


# -- real repositories -----------------------------------------------------------------

def offline_replies(a: Path, b: Path) -> str:
    tid = ok(a, "new", "-s", "Общая", "-t", "x", user="Anna")
    other = ok(a, "new", "-s", "Другая", "-t", "y", user="Anna")
    ok(a, "register", tid, "-p", "3", user="Anna")
    ok(a, "sync")
    ok(b, "sync")
    ok(a, "reply", tid, "A: перезапустите службу", "--spent", "40", "--via", "phone",
       now="2025-12-01T11:00:00+03:00", user="Anna")
    ok(a, "link", tid, other, now="2025-12-01T11:10:00+03:00", user="Anna")
    ok(b, "reply", tid, "B: пришлите журнал", "--via", "phone", now="2025-12-01T10:30:00+03:00", user="Boris")
    ok(b, "hold", tid, "--reason", "need-info", "ждём журнал", now="2025-12-01T10:40:00+03:00", user="Boris")
    ok(a, "sync")
    return tid


def assert_both_replies(clone: Path, tid: str) -> None:
    desk = Desk(clone)
    t = desk.load_ticket(tid)
    assert t.spent_minutes == 40 + 30  # each reply accounts for at least 30 minutes
    assert (t.status, t.hold_reason, t.related) == ("waiting", "need-info", ["T-0002"])
    replies = [e.text for e in desk.read_journal(tid)[0] if e.kind == "reply"]
    assert sorted(replies) == ["A: перезапустите службу", "B: пришлите журнал"]
    assert [p for p in check_desk(desk) if not p.note] == []
    assert git(clone, "status", "--porcelain").stdout == ""


def test_both_clones_reply_to_one_ticket_and_git_pull_merges_without_conflict(team):
    a, b = team
    tid = offline_replies(a, b)
    assert git(b, "config", f"merge.{DRIVER}.driver").stdout.strip() == driver_command()
    merged = git(b, "pull", "--no-rebase", "-q", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert_both_replies(b, tid)


def test_both_clones_reply_to_one_ticket_and_sync_rebases_without_conflict(team):
    a, b = team
    tid = offline_replies(a, b)
    r = sc(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert_both_replies(b, tid)
    ok(a, "sync")
    assert_both_replies(a, tid)


def test_different_status_moves_stop_sync_and_check_names_the_status(team):
    a, b = team
    tid = ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "register", tid, "-p", "2")
    ok(a, "sync")
    ok(b, "sync")
    ok(a, "complete", tid, "исправлено", now="2025-12-01T11:00:00+03:00")
    ok(a, "sync")
    ok(b, "hold", tid, "--reason", "need-info", "ждём", now="2025-12-01T11:30:00+03:00")
    r = sc(b, "sync")
    assert r.exit_code == 2 and f"{tid} changed on both sides (field status" in r.stderr
    assert git(b, "pull", "--no-rebase", "-q", check=False).returncode != 0
    r = sc(b, "check")
    assert r.exit_code == 1 and "field status changed on both sides" in r.stdout
    assert "'status: waiting'" in r.stdout and "'status: completed'" in r.stdout


def test_a_clone_without_the_driver_merges_ticket_files_as_text_as_before(team):
    a, b = team
    tid = ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "register", tid, "-p", "3")
    ok(a, "sync")
    ok(b, "sync")

    def pull_without_driver():
        git(b, "config", "--remove-section", f"merge.{DRIVER}")  # b's auto-commit defined it
        return git(b, "pull", "--no-rebase", "-q", check=False).returncode

    ok(a, "reply", tid, "ответ A", "--via", "phone")
    ok(a, "sync")
    ok(b, "assign", tid, "Boris")
    assert pull_without_driver() == 0  # different fields: git's text merge, the blank-line layout
    t = Desk(b).load_ticket(tid)
    assert (t.spent_minutes, t.assignee) == (30, "Boris")

    ok(b, "sync")
    ok(a, "sync")
    ok(a, "reply", tid, "ещё A", "--via", "phone")
    ok(a, "sync")
    ok(b, "reply", tid, "ответ B", "--spent", "45", "--via", "phone")
    assert pull_without_driver() != 0  # both raised the running total: a text conflict, as before
    assert [p.fields for p in ticket_conflicts(b / "tickets" / f"{tid}.yaml")] == [("spent_minutes",)]


def test_init_sync_and_autocommit_define_the_driver_in_a_clone(tmp_path, team):
    a, b = team
    assert git(a, "config", f"merge.{DRIVER}.driver").stdout.strip() == driver_command()  # init
    c = clone_of(tmp_path / "remote.git", tmp_path / "c", "Vera")
    assert git(c, "config", "--get", f"merge.{DRIVER}.driver", check=False).returncode == 1  # git clones no config
    ok(c, "sync")
    assert git(c, "config", f"merge.{DRIVER}.driver").stdout.strip() == driver_command()
    git(c, "config", f"merge.{DRIVER}.driver", "/gone/venv/bin/supportctl merge-ticket %O %A %B %P")
    ok(c, "new", "-s", "x", "-t", "y")  # auto-commit repairs a driver whose program is gone
    assert git(c, "config", f"merge.{DRIVER}.driver").stdout.strip() == driver_command()
    git(c, "config", f"merge.{DRIVER}.driver", "supportctl merge-ticket %O %A %B %P")  # set by hand: kept
    assert ensure_merge_driver(Git(c)) is False
    assert "tickets/*.yaml merge=supportctl-ticket" in (a / ".gitattributes").read_text()
