"""Issue 10, items 6 and 7: `import` is all or nothing even when killed, and trusts no `verified`.

Item 6: a real `python -m supportctl import` of 2,000 lines is killed with
SIGKILL at several moments; the next command (here `check`) leaves the desk as
before the import (no ticket, no journal, the ID counter as it was) or, if it
had finished, as after it, and names what it repaired.
Item 7 (R-7.7): imported tickets are matched against customers.yaml as `new` does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from supportctl.desk.desk import Desk
from tests.conftest import NOW, add_barrier

ROWS = 2000


def _env(desk: Desk) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTCTL_")}
    return {**env, "SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}


def _rows(tmp_path, n: int = ROWS):
    src = tmp_path / "register.jsonl"
    src.write_text("".join(json.dumps({"subject": f"Импорт {i}", "text": "t", "received_at": NOW}, ensure_ascii=False)
                           + "\n" for i in range(n)), encoding="utf-8")
    return src


def _state(desk: Desk):
    counters = {p.name: p.read_text() for p in desk.state_dir.glob("seq-*")}
    return sorted(os.listdir(desk.tickets_dir)), sorted(os.listdir(desk.journal_dir)), counters


def _count(desk: Desk) -> int:
    return sum(1 for n in os.listdir(desk.tickets_dir) if n.endswith(".yaml"))


@pytest.mark.parametrize("kill_at", [1, 600, 1500, ROWS])
def test_item6_an_import_killed_at_any_moment_is_rolled_back_whole(cli, desk, tmp_path, kill_at):
    assert cli("new", "--subject", "до импорта", "--text", "t", "--channel", "portal").exit_code == 0
    before = _state(desk)
    src = _rows(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", "import", str(src)], env=_env(desk),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(desk) < 1 + kill_at and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    interrupted = (desk.state_dir / "undo" / "import").exists()
    if not interrupted:  # it had finished: all of it is there
        assert _count(desk) == 1 + ROWS
        return
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert "repaired: an interrupted import was rolled back" in result.stdout  # check notices it
    assert "run the import again" in result.stderr
    assert _state(desk) == before  # no ticket, no journal, the ID counter as before
    again = cli("import", str(src))  # and running it again imports each line once
    assert again.exit_code == 0, again.output
    assert again.stdout == f"imported {ROWS} tickets: T-0002 … T-{ROWS + 1:04d}\n"
    assert _count(desk) == 1 + ROWS and cli("check").exit_code == 0


def test_item6_the_next_command_of_any_kind_rolls_back_a_killed_import(cli, desk, tmp_path):
    src = _rows(tmp_path, 3000)
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", "import", str(src)], env=_env(desk),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while _count(desk) < 100 and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if not (desk.state_dir / "undo" / "import").exists():
        pytest.skip("the import finished before the kill")
    result = cli("new", "--subject", "после", "--text", "t", "--channel", "portal")
    assert result.exit_code == 0 and result.stdout.strip() == "T-0001"  # the ID sequence did not jump
    assert "an interrupted import was rolled back" in result.stderr
    assert desk.ticket_ids() == ["T-0001"]


def test_item6_a_failed_import_keeps_the_id_counter(cli, desk, tmp_path, monkeypatch):
    from supportctl.desk import files

    assert cli("new", "--subject", "s", "--text", "t", "--channel", "portal").exit_code == 0
    before = _state(desk)
    calls = []
    real = files.BulkWriter.create

    def fail_late(*args, **kwargs):  # the 5th file written by the import (issue 13: its bulk writer)
        calls.append(1)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(files.BulkWriter, "create", fail_late)
    assert cli("import", str(_rows(tmp_path, 10))).exit_code == 2
    assert _state(desk) == before
    assert not any((desk.state_dir / "undo").iterdir())


# -- item 7: verified only by customers.yaml --------------------------------------------------------------


def _import(cli, tmp_path, *rows: dict):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"subject": "s", "text": "t", "received_at": NOW, **r}, ensure_ascii=False)
                           + "\n" for r in rows), encoding="utf-8")
    result = cli("import", str(src))
    assert result.exit_code == 0, result.output
    return result


def test_item7_import_matches_customers_as_new_does(cli, desk, tmp_path):
    add_barrier(cli)
    _import(cli, tmp_path,
            {"org": "ООО «Неизвестно»", "verified": True},  # an unknown organisation, claimed verified
            {"org": "ООО «Неизвестно»"},  # no key at all
            {"contact": {"email": "smirnova@barrier.ru"}},  # a registered contact: filled from customers.yaml
            {"contact": {"email": "smirnova@barrier.ru"}, "verified": False, "plan": "premium"},
            {"org": "АКБ «Барьер»", "contact": {"name": "Посторонний"}, "verified": True})
    t1, t2, t3, t4, t5 = (desk.load_ticket(f"T-{n:04d}") for n in range(1, 6))
    for t in (t1, t2):
        assert not t.verified and t.unverified_reason == "организации ООО «Неизвестно» нет среди Заказчиков"
        assert t.contract is None and t.plan is None
    assert t3.verified and t3.unverified_reason is None
    assert (t3.org, t3.contract) == ("АКБ «Барьер»", "0373100000116000042")
    assert (t3.contact.name, t3.contact.phone) == ("Смирнова Ольга Петровна", "+7 495 123-45-67")
    assert not t4.verified and t4.plan is None  # an explicit false is kept; the line's plan is not taken
    assert t4.unverified_reason == "не подтверждён в импортированном реестре" and t4.contract == "0373100000116000042"
    assert not t5.verified and "Посторонний нет среди контактных лиц" in t5.unverified_reason


def test_item7_the_same_match_as_new_for_the_same_sender(cli, desk, tmp_path):
    add_barrier(cli)
    made = cli("new", "--subject", "s", "--text", "t", "--channel", "portal", "--email", "smirnova@barrier.ru")
    assert made.exit_code == 0, made.output
    _import(cli, tmp_path, {"contact": {"email": "smirnova@barrier.ru"}, "channel": "portal"})
    new, imported = desk.load_ticket("T-0001"), desk.load_ticket("T-0002")
    fields = ("org", "contact", "contract", "plan", "verified", "unverified_reason")
    assert {f: getattr(new, f) for f in fields} == {f: getattr(imported, f) for f in fields}


def test_item6_a_ticket_cut_short_by_a_kill_is_removed_with_the_rest(cli, desk):
    """Issue 13: the import creates its files in place (no temp file and rename), so a kill can leave the
    last logged ticket's file cut short; the next locking command removes it with the rest of the import.
    A file of an earlier ticket that no longer holds what the import wrote was changed since: kept."""
    from supportctl.desk import files, undo

    assert cli("new", "--subject", "до импорта", "--text", "t", "--channel", "portal").exit_code == 0
    before = _state(desk)
    record = undo.ImportRecord(desk)
    record.begin()
    new_ids = desk.allocate_ids(3)
    writer = files.BulkWriter(desk.tickets_dir, desk.journal_dir, fresh=True)
    for n, tid in enumerate(new_ids):
        ticket, journal = f"id: {tid}\nsubject: {n}\n".encode(), b"- {}\n"
        record.will_write(tid, ticket, journal)
        writer.write(desk.ticket_path(tid), ticket[:5] if n == 2 else ticket)  # the kill: mid-write
        if n < 2:
            writer.write(desk.journal_path(tid), journal)
    desk.ticket_path(new_ids[0]).write_text("edited by hand since\n")
    result = cli("new", "--subject", "после", "--text", "t", "--channel", "portal")  # the next locking command
    assert result.exit_code == 0, result.output
    assert "1 changed since were kept (T-0002)" in result.stderr
    assert new_ids == ["T-0002", "T-0003", "T-0004"]
    assert desk.ticket_path("T-0002").read_text() == "edited by hand since\n"
    assert not desk.ticket_path("T-0004").exists() and not desk.journal_path("T-0004").exists()  # cut short: gone
    assert result.stdout.strip() == "T-0003" and desk.load_ticket("T-0003").subject == "после"  # the counter went back
    assert sorted(os.listdir(desk.tickets_dir)) == sorted([*before[0], "T-0002.yaml", "T-0003.yaml"])


def test_the_fresh_bulk_writer_creates_in_place_and_never_replaces(tmp_path):
    from supportctl.desk import files

    folder, outside = tmp_path / "tickets", tmp_path / "outside.txt"
    outside.write_text("keep")
    writer = files.BulkWriter(folder, fresh=True)
    old = os.umask(0o027)
    try:
        writer.write(folder / "T-0001.yaml", "id: T-0001\n")
    finally:
        os.umask(old)
    assert (folder / "T-0001.yaml").read_text() == "id: T-0001\n"
    assert oct(os.stat(folder / "T-0001.yaml").st_mode & 0o777) == oct(0o640)
    (folder / "T-0002.yaml").symlink_to(outside)
    with pytest.raises(FileExistsError) as caught:
        writer.write(folder / "T-0002.yaml", "two\n")
    assert caught.value.filename == str(folder / "T-0002.yaml")
    with pytest.raises(FileExistsError):
        writer.write(folder / "T-0001.yaml", "again\n")
    assert outside.read_text() == "keep" and (folder / "T-0001.yaml").read_text() == "id: T-0001\n"
    assert sorted(os.listdir(folder)) == ["T-0001.yaml", "T-0002.yaml"]  # no temp file
    # create(), the import's way to the same writes (issue 13): a new name, never through a link
    writer.create(folder, "T-0003.yaml", b"id: T-0003\n")
    assert (folder / "T-0003.yaml").read_bytes() == b"id: T-0003\n"
    with pytest.raises(FileExistsError) as caught:
        writer.create(folder, "T-0002.yaml", b"two\n")
    assert caught.value.filename == str(folder / "T-0002.yaml")
    with pytest.raises(ValueError):
        writer.create(tmp_path, "T-0004.yaml", b"elsewhere\n")  # not a folder the writer checked
    assert outside.read_text() == "keep" and not (tmp_path / "T-0004.yaml").exists()
