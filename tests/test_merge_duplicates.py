"""Issue 12, "Merge duplicates": `supportctl merge DUP --into ID` (IS-1: one request, one ticket)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest
import yaml
from conftest import NOW, add_barrier
from mailkit import configure_mail, outlook_mail

from supportctl.desk.desk import Desk
from supportctl.domain.codec import ticket_from_dict, ticket_from_row, ticket_to_dict, ticket_to_file, ticket_to_row
from supportctl.domain.merge import merge_tickets
from supportctl.domain.ticket import Ticket, problems
from supportctl.services import mail_intake
from supportctl.services.check import check_desk
from supportctl.services.context import Ctx

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
LATER = "2025-12-01T11:00:00+03:00"
MERGE_AT = "2025-12-01T12:00:00+03:00"


def new(cli, subject="Не печатает принтер", text="Принтер в бухгалтерии не печатает.", *extra,
        org="АКБ «Барьер»", now=NOW) -> str:
    r = cli("new", "--subject", subject, "--text", text, "--org", org, "--contact", "Смирнова Ольга Петровна",
            *extra, now=now)
    assert r.exit_code == 0, r.output
    return r.stdout.strip()


def files(desk, ticket_id: str) -> tuple[bytes, bytes]:
    return ((desk.root / "tickets" / f"{ticket_id}.yaml").read_bytes(),
            (desk.root / "journal" / f"{ticket_id}.yaml").read_bytes())


def journal(cli, ticket_id: str) -> list[dict]:
    return json.loads(cli("journal", ticket_id, "--json").stdout)


@pytest.fixture
def pair(cli, desk, tmp_path):
    """T-0001 the ticket that goes on; T-0002 its duplicate, with an attachment and a note."""
    add_barrier(cli)
    shot = tmp_path / "экран.png"
    shot.write_bytes(PNG)
    first = new(cli)
    dup = new(cli, "Снова принтер", "Принтер всё ещё не печатает.", "--attach", str(shot), now=LATER)
    assert cli("note", dup, "звонила, уточнила модель", now="2025-12-01T11:30:00+03:00").exit_code == 0
    return first, dup


def test_merge_moves_text_journal_attachments_and_closes_the_duplicate(cli, desk, pair):
    first, dup = pair
    dup_mids = json.loads(cli("show", dup, "--json").stdout)["message_ids"]
    r = cli("merge", dup, "--into", first, now=MERGE_AT)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"{dup}: merged into {first} and closed"

    d = json.loads(cli("show", dup, "--json").stdout)
    assert d["status"] == "closed" and d["merged_into"] == first
    assert d["closed_at"].startswith("2025-12-01T12:00") and d["attachments"] == [] and d["message_ids"] == []
    assert journal(cli, dup)[-1]["kind"] == "merged" and first in journal(cli, dup)[-1]["text"]
    assert f"merged into {first}, see supportctl show {first}" in cli("show", dup).stdout

    t = json.loads(cli("show", first, "--json").stdout)
    assert t["merged_into"] is None and t["status"] == "new"
    assert t["attachments"] == ["экран.png"] and dup in t["related"]
    assert all(m in t["message_ids"] for m in dup_mids)
    assert (desk.root / "attachments" / first / "экран.png").read_bytes() == PNG
    assert not (desk.root / "attachments" / dup).exists()  # moved, not copied
    copies = [e for e in journal(cli, first) if e["kind"] == "merged_copy"]
    assert [c["data"]["kind"] for c in copies] == ["text", "received", "note"]
    assert all(c["data"]["merged_from"] == dup and c["text"].startswith(f"[из {dup}]") for c in copies)
    assert "Принтер всё ещё не печатает." in copies[0]["text"]
    assert copies[2]["at"].startswith("2025-12-01T11:30")  # each entry keeps its time
    assert journal(cli, first)[-1]["kind"] == "merged"
    # `attachments` tells which entry brought the file: the copy of the duplicate's receipt
    listed = json.loads(cli("attachments", first, "--json").stdout)
    assert listed[0]["name"] == "экран.png" and listed[0]["kind"] == "merged_copy"
    # the customer is not mailed, and the desk stays consistent (no out-of-order note for the copies)
    assert not (desk.root / "outbox").exists() or not list((desk.root / "outbox").glob("*.eml"))
    assert [str(p) for p in check_desk(Desk(desk.root))] == []


def test_list_hides_merged_tickets_unless_all(cli, pair):
    first, dup = pair
    cli("merge", dup, "--into", first, now=MERGE_AT)
    ids_default = [t["id"] for t in json.loads(cli("list", "--json").stdout)]
    ids_closed = [t["id"] for t in json.loads(cli("list", "--status", "closed", "--json").stdout)]
    ids_all = [t["id"] for t in json.loads(cli("list", "--all", "--json").stdout)]
    assert ids_default == [first] and ids_closed == [] and sorted(ids_all) == [first, dup]
    assert [t["merged_into"] for t in json.loads(cli("list", "--all", "--json").stdout) if t["id"] == dup] == [first]


def test_an_unpadded_number_names_the_tickets(cli, pair):
    r = cli("merge", "2", "--into", "1", now=MERGE_AT)
    assert r.exit_code == 0, r.output
    assert json.loads(cli("show", "T-0002", "--json").stdout)["merged_into"] == "T-0001"


@pytest.mark.parametrize("case", ["self", "missing_dup", "missing_target", "dup_merged", "target_merged",
                                  "target_closed", "dup_closed"])
def test_refusals_change_nothing(cli, desk, pair, case):
    first, dup = pair
    if case in ("dup_merged", "target_merged"):
        third = new(cli, "Третья", "Ещё раз.", now=LATER)
        cli("merge", third if case == "target_merged" else dup, "--into", first, now=LATER)
        args = (dup, first) if case == "dup_merged" else (dup, third)
    elif case in ("target_closed", "dup_closed"):
        closing = first if case == "target_closed" else dup
        cli("register", closing, "--priority", "3", now=LATER)
        cli("complete", closing, "Готово", "--spent", "30m", now=LATER)
        cli("close", closing, now=LATER)
        args = (dup, first)
    else:
        args = {"self": (dup, dup), "missing_dup": ("T-0099", first), "missing_target": (dup, "T-0099")}[case]
    before = {i: files(desk, i) for i in (first, dup)}
    r = cli("merge", args[0], "--into", args[1], now=MERGE_AT)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.output, r.output
    if case in ("target_closed", "dup_closed"):
        assert "reopen" in r.stderr  # the hint says how to go on
    if case == "target_merged":
        assert "merge into that one" in r.stderr
    assert {i: files(desk, i) for i in (first, dup)} == before


def test_merge_across_organisations_needs_force(cli, desk, pair):
    first, _ = pair
    cli("customer", "add", "ООО «Ромашка»", "--contract", "R-1", "--from", "2016-01-01", "--to", "2030-12-31")
    other = new(cli, "Не печатает", "Принтер", org="ООО «Ромашка»", now=LATER)
    before = files(desk, other), files(desk, first)
    r = cli("merge", other, "--into", first, now=MERGE_AT)
    assert r.exit_code == 2 and "different customers" in r.stderr and "--force" in r.stderr
    assert (files(desk, other), files(desk, first)) == before
    r = cli("merge", other, "--into", first, "--force", now=MERGE_AT)
    assert r.exit_code == 0, r.output
    assert json.loads(cli("show", other, "--json").stdout)["merged_into"] == first


def test_org_names_compare_as_the_customer_register_does(cli, pair):
    """The same organisation spelt with other case or spaces is not "another organisation"."""
    first, _ = pair
    cli("customer", "add", "ООО «Ромашка»", "--contract", "R-1", "--from", "2016-01-01", "--to", "2030-12-31")
    a = new(cli, "A", "a", org="ООО «Ромашка»", now=LATER)
    b = new(cli, "B", "b", org="ооо  «ромашка»", now=LATER)
    assert cli("merge", b, "--into", a, now=MERGE_AT).exit_code == 0


def test_a_merged_duplicate_counts_in_no_sla_csat_or_workload_report_and_its_clock_stops(cli, desk, pair):
    first, dup = pair
    cli("register", dup, "--priority", "1", "--assignee", "Рудаков А.", now=LATER)
    cli("merge", dup, "--into", first, now=MERGE_AT)
    much_later = "2025-12-20T12:00:00+03:00"
    timers = json.loads(cli("show", dup, "--json", now=much_later).stdout)["sla"]
    assert timers["resolution"]["stopped_at"].startswith("2025-12-01T12:00")
    assert timers["resolution"]["state"] != "breached"  # it stopped at the merge, within 4 working hours
    for report in ("sla", "workload", "csat", "journal"):
        r = cli("report", report, "--from", "2025-12-01", "--to", "2025-12-31", "--json", now=much_later)
        assert r.exit_code == 0, r.output
        assert f'"{dup}"' not in r.stdout, report  # no row of its own (ID's journal names it in its text)
    sla = cli("report", "sla", "--from", "2025-12-01", "--to", "2025-12-31", "--json", now=much_later).stdout
    assert f'"{first}"' in sla


def test_the_time_of_the_duplicate_stays_billed_once(cli, desk, pair):
    first, dup = pair
    cli("register", dup, "--priority", "3", now=LATER)
    cli("reply", dup, "Проверьте очередь печати", "--spent", "45m", "--via", "phone", now=LATER)
    cli("merge", dup, "--into", first, now=MERGE_AT)
    copies = [e for e in journal(cli, first) if e["kind"] == "merged_copy"]
    assert sum(e["spent_minutes"] for e in copies) == 0
    assert [e["data"].get("spent_minutes") for e in copies if e["data"]["kind"] == "reply"] == [45]
    r = cli("report", "time", "--from", "2025-12-01", "--to", "2025-12-31", "--json",
            now="2025-12-20T12:00:00+03:00")
    assert r.exit_code == 0, r.output
    assert r.stdout.count(dup) >= 1 and "45" in r.stdout


def test_later_mail_of_the_duplicates_thread_lands_in_the_ticket_it_went_into(cli, desk):
    configure_mail(desk.root)
    add_barrier(cli)
    first = new(cli)

    def ingest(raw: bytes, now: str) -> mail_intake.Outcome:
        return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(now), "robot"), raw, "test")

    out = ingest(outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                              subject="Принтер опять", body="Напишу отдельно.", message_id="<dup@barrier.ru>"),
                 LATER)
    assert out.action == "created"
    dup = out.ticket_id
    assert cli("merge", dup, "--into", first, now=MERGE_AT).exit_code == 0
    # a reply to the customer's own first mail (In-Reply-To: the Message-ID the duplicate had)
    out = ingest(outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                              subject="RE: Принтер опять", body="Модель HP 1020.", message_id="<r1@barrier.ru>",
                              in_reply_to="<dup@barrier.ru>"), "2025-12-01T13:00:00+03:00")
    assert (out.action, out.ticket_id) == ("added", first)
    # a reply keeping the duplicate's number in the subject
    out = ingest(outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                              subject=f"RE: [Заявка#{dup}] Принтер опять", body="И ещё картридж.",
                              message_id="<r2@barrier.ru>"), "2025-12-01T13:10:00+03:00")
    assert (out.action, out.ticket_id) == ("added", first)
    # the duplicate's own first mail, delivered again: already known (in the ticket it went into)
    out = ingest(outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                              subject="Принтер опять", body="Напишу отдельно.", message_id="<dup@barrier.ru>"),
                 "2025-12-01T13:20:00+03:00")
    assert (out.action, out.ticket_id) == ("repeat", first)
    texts = [e["text"] for e in journal(cli, first)]
    assert any("Модель HP 1020." in t for t in texts) and any("И ещё картридж." in t for t in texts)
    assert json.loads(cli("show", dup, "--json").stdout)["status"] == "closed"


# -- the field: file, JSON, index row, consistency, git merge driver ----------------------------------


def _closed_dup() -> Ticket:
    at = datetime(2025, 12, 1, 9, tzinfo=timezone.utc)
    return Ticket(id="T-0002", status="closed", subject="s", received_at=at, closed_at=at, merged_into="T-0001")


def test_merged_into_in_the_file_only_when_set_and_round_trips():
    plain = ticket_to_file(Ticket(id="T-0001"), timezone.utc)
    assert "merged_into" not in plain and ticket_to_dict(Ticket(id="T-0001"), timezone.utc)["merged_into"] is None
    dup = _closed_dup()
    data = ticket_to_file(dup, timezone.utc)
    assert data["merged_into"] == "T-0001" and list(data).index("merged_into") == list(data).index("closed_at") + 1
    back = ticket_from_dict(yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)))
    assert back.merged_into == "T-0001" and back.extra == {}
    assert ticket_from_row(ticket_to_row(dup, timezone.utc)) == back


@pytest.mark.parametrize("value", [["T-0001"], "../x", 7, "T-1 ; drop"])
def test_a_hand_edited_merged_into_must_be_a_ticket_id(value):
    data = ticket_to_file(_closed_dup(), timezone.utc)
    data["merged_into"] = value
    with pytest.raises(ValueError, match="merged_into"):
        ticket_from_dict(data)


def test_a_merged_ticket_is_closed_and_may_be_unregistered():
    assert problems(_closed_dup()) == []  # closed without a priority: a duplicate merged while new
    open_dup = _closed_dup()
    open_dup.status = "open"
    open_dup.priority = 3
    assert any("merged_into" in p for p in problems(open_dup))


def test_git_merge_driver_takes_the_merge_with_its_close():
    at = datetime(2025, 12, 1, 9, tzinfo=timezone.utc)
    base = Ticket(id="T-0002", status="open", priority=3, subject="s", received_at=at, registered_at=at)
    ours = Ticket(**{**base.__dict__, "status": "closed", "closed_at": at, "merged_into": "T-0001",
                     "message_ids": []})
    theirs = Ticket(**{**base.__dict__, "assignee": "Гусев Б."})
    result = merge_tickets(base, ours, theirs)
    assert result.clean and result.ticket.merged_into == "T-0001" and result.ticket.status == "closed"
    assert result.ticket.assignee == "Гусев Б."


def test_check_names_a_merge_into_a_ticket_that_does_not_exist(cli, desk, pair):
    first, dup = pair
    cli("merge", dup, "--into", first, now=MERGE_AT)
    path = desk.root / "tickets" / f"{dup}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(f"merged_into: {first}", "merged_into: T-0077"),
                    encoding="utf-8")
    assert any("T-0077, which does not exist" in str(p) for p in check_desk(Desk(desk.root)))


# -- all or nothing -------------------------------------------------------------------------------------

_KILLED = textwrap.dedent("""
    import os, sys
    from datetime import datetime
    from pathlib import Path
    from supportctl.desk.desk import Desk
    from supportctl.services import merge_tickets
    from supportctl.services.context import Ctx

    desk = Desk(Path(sys.argv[1]))
    original, calls = Desk.save_change, []

    def save_change(self, ticket, entries):
        calls.append(ticket.id)
        original(self, ticket, entries)
        if len(calls) == 1:  # killed after the ticket that goes on is written, before the duplicate
            os._exit(9)

    Desk.save_change = save_change
    merge_tickets.merge(Ctx(desk, datetime.fromisoformat(sys.argv[2]), "Boris"), "T-0002", "T-0001")
""")


def test_a_merge_killed_halfway_is_rolled_back_whole(cli, desk, pair, tmp_path):
    first, dup = pair
    before = {i: files(desk, i) for i in (first, dup)}
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTCTL_")}
    done = subprocess.run([sys.executable, str(script), str(desk.root), MERGE_AT], env=env)
    assert done.returncode == 9
    assert files(desk, first) != before[first]  # it did get halfway
    Desk(desk.root).recover()
    assert {i: files(desk, i) for i in (first, dup)} == before
    assert (desk.root / "attachments" / dup / "экран.png").read_bytes() == PNG  # the original is untouched
    # merged again: the copy the killed run left is cleared, the file is not stored twice
    assert cli("merge", dup, "--into", first, now=MERGE_AT).exit_code == 0
    assert sorted(p.name for p in (desk.root / "attachments" / first).iterdir()) == ["экран.png"]


def test_a_failed_write_leaves_both_tickets_as_they_were(cli, desk, pair, monkeypatch):
    first, dup = pair
    before = {i: files(desk, i) for i in (first, dup)}
    original, calls = Desk.save_change, []

    def save_change(self, ticket, entries):
        calls.append(ticket.id)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        original(self, ticket, entries)

    monkeypatch.setattr(Desk, "save_change", save_change)
    r = cli("merge", dup, "--into", first, now=MERGE_AT)
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert {i: files(desk, i) for i in (first, dup)} == before
    assert (desk.root / "attachments" / dup / "экран.png").exists()


def test_a_symlinked_attachment_of_the_duplicate_is_not_followed(cli, desk, pair, tmp_path):
    first, dup = pair
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG + b"secret")
    target = desk.root / "attachments" / dup / "экран.png"
    target.unlink()
    target.symlink_to(secret)
    r = cli("merge", dup, "--into", first, now=MERGE_AT)
    assert r.exit_code == 0 and "not moved" in r.stderr
    assert not (desk.root / "attachments" / first).exists()
    assert json.loads(cli("show", first, "--json").stdout)["attachments"] == []


# -- what else sees a merge -------------------------------------------------------------------------------


def test_a_merged_duplicate_is_not_reopened(cli, pair):
    first, dup = pair
    cli("merge", dup, "--into", first, now=MERGE_AT)
    r = cli("reopen", dup, "--reason", "ошибка", now=MERGE_AT)
    assert r.exit_code == 2 and f"reopen {first} instead" in r.stderr


def test_the_customer_report_shows_the_duplicates_mail_under_the_ticket_it_went_into(cli, desk):
    configure_mail(desk.root)
    add_barrier(cli)
    first = new(cli)
    out = mail_intake.ingest_bytes(
        Ctx(Desk(desk.root), datetime.fromisoformat(LATER), "robot"),
        outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", subject="Принтер опять",
                     body="Напишу отдельно.", message_id="<dup@barrier.ru>"), "test")
    dup = out.ticket_id
    cli("merge", dup, "--into", first, now=MERGE_AT)
    r = cli("report", "customer", "АКБ «Барьер»", "--from", "2025-12-01", "--to", "2025-12-31",
            "--json", now=MERGE_AT)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)["sections"]
    assert [row["id"] for row in report["tickets"]] == [first]
    rows = report["correspondence"]
    assert {row["id"] for row in rows} == {first}
    assert [row["text"] for row in rows if row["kind"] == "received"] == [
        "Заявка получена по электронной почте.", f"[из {dup}] Заявка получена по электронной почте."]


def test_journal_lines_in_english_by_configuration(cli, desk, pair):
    first, dup = pair
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("language: ru", "language: en"), encoding="utf-8")
    cli("merge", dup, "--into", first, now=MERGE_AT)
    assert journal(cli, dup)[-1]["text"] == f"Closed as a duplicate of ticket {first}."
    entries = journal(cli, first)
    assert entries[-1]["text"].startswith(f"Duplicate ticket {dup} \"Снова принтер\" merged in")
    assert all(e["text"].startswith(f"[from {dup}]") for e in entries if e["kind"] == "merged_copy")


def test_after_a_forced_merge_across_organisations_the_duplicates_customer_still_reaches_the_ticket(cli, desk):
    configure_mail(desk.root)
    add_barrier(cli)
    cli("customer", "add", "ООО «Ромашка»", "--contract", "R-1", "--from", "2016-01-01", "--to", "2030-12-31",
        "--domain", "romashka.ru")
    first = new(cli)

    def ingest(raw: bytes, now: str) -> mail_intake.Outcome:
        return mail_intake.ingest_bytes(Ctx(Desk(desk.root), datetime.fromisoformat(now), "robot"), raw, "test")

    out = ingest(outlook_mail(sender="it@romashka.ru", name="Иванов", subject="Принтер", body="Не печатает.",
                              message_id="<rom@romashka.ru>"), LATER)
    dup = out.ticket_id
    assert cli("merge", dup, "--into", first, "--force", now=MERGE_AT).exit_code == 0
    out = ingest(outlook_mail(sender="it@romashka.ru", name="Иванов", subject="RE: Принтер", body="Модель HP.",
                              message_id="<rom2@romashka.ru>", in_reply_to="<rom@romashka.ru>"),
                 "2025-12-01T13:00:00+03:00")
    assert (out.action, out.ticket_id) == ("added", first)
    # a stranger replying in that thread is still one
    out = ingest(outlook_mail(sender="x@other.example", name="X", subject="RE: Принтер", body="я тоже",
                              message_id="<x1@other.example>", in_reply_to="<rom@romashka.ru>"),
                 "2025-12-01T13:10:00+03:00")
    assert out.ticket_id != first or out.action != "added"
