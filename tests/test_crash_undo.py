"""Issue 10, items 5 and the crash test: a killed command never undoes someone else's work.

An undo record (desk/undo.py) rolls back only what the killed command itself
wrote: when the ticket or journal changed since (git checkout, pull, sync, a
hand edit), the record is dropped with a warning naming the ticket.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from supportctl.desk.desk import Desk
from supportctl.services.check import check_desk

from tests.test_git_team import NOW, git, isolated_git, ok, sc, team  # noqa: F401 (fixtures)

LATER = "2025-12-01T11:00:00+03:00"
DROPPED = "T-0001: an interrupted command's undo record was dropped: the files changed since (git pull?)"

_KILLED = textwrap.dedent("""
    import os, sys
    from datetime import datetime
    from pathlib import Path
    from supportctl.desk.desk import Desk
    from supportctl.domain import lifecycle

    desk = Desk(Path(sys.argv[1]))
    now = datetime.fromisoformat(sys.argv[2])
    stage = sys.argv[3]
    with desk.lock():
        t = desk.load_ticket("T-0001")
        entries = lifecycle.note(t, "заметка B " + "ж" * 20000, now, "Boris")
        t.priority = 1
        if stage == "recorded":  # killed right after the undo record, before any write
            desk._undo.intend(t.id, ticket=desk.ticket_text(t), journal=b"- {}")
        elif stage == "ticket":  # killed between the ticket and the journal
            desk.save_ticket(t)
        else:  # killed after both writes, before the command ended
            desk.save_change(t, entries)
        os._exit(9)
""")


def _env(clone: Path, now: str = NOW, user: str = "Boris") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTCTL_")}
    return {**env, "SUPPORTCTL_DESK": str(clone), "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": user}


def _killed(clone: Path, tmp_path: Path, stage: str) -> None:
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    done = subprocess.run([sys.executable, str(script), str(clone), LATER, stage], env=_env(clone))
    assert done.returncode == 9
    assert (clone / ".supportctl" / "undo" / "T-0001").exists()


def _shared_ticket(a: Path, b: Path) -> None:
    assert ok(a, "new", "--subject", "Сбой", "--text", "текст", "--channel", "portal", user="Anna") == "T-0001"
    ok(a, "register", "T-0001", "-p", "3", user="Anna")
    ok(a, "sync", user="Anna")
    ok(b, "sync", user="Boris")


def _teammate_changes_priority(a: Path) -> None:
    ok(a, "priority", "T-0001", "2", "--reason", "клиент стоит", now=LATER, user="Anna")
    ok(a, "note", "T-0001", "заметка A", now=LATER, user="Anna")
    ok(a, "sync", user="Anna")


def test_item5_a_pull_after_a_killed_note_is_never_undone(team, tmp_path):
    """The issue's scenario: B killed mid-note, `git checkout -- tickets journal`, A pushes, B pulls."""
    a, b = team
    _shared_ticket(a, b)
    for round_, stage in enumerate(("ticket", "both", "recorded"), 1):
        _killed(b, tmp_path, stage)
        git(b, "checkout", "--", "tickets", "journal")
        _teammate_changes_priority(a)
        git(b, "pull", "-q", "--rebase")
        pulled = (b / "tickets/T-0001.yaml").read_bytes(), (b / "journal/T-0001.yaml").read_bytes()
        r = sc(b, "note", "T-0001", f"после {stage}", now=LATER, user="Boris")  # takes the lock: recovery
        assert r.exit_code == 0, r.output
        assert DROPPED in r.stderr, stage
        assert not (b / ".supportctl" / "undo" / "T-0001").exists()
        ticket = Desk(b).load_ticket("T-0001")
        assert ticket.priority == 2  # A's priority stays
        journal = (b / "journal/T-0001.yaml").read_bytes()
        assert journal.startswith(pulled[1])  # none of A's journal lines was cut off
        assert journal.count("заметка A".encode()) == round_
        assert [p for p in check_desk(Desk(b)) if not p.note] == []
        ok(b, "sync", user="Boris")
        ok(a, "sync", user="Anna")


def test_item5_a_checkout_alone_leaves_nothing_to_undo(team, tmp_path):
    """Back to the committed files, as before the killed command: the record goes without a word."""
    a, b = team
    _shared_ticket(a, b)
    _killed(b, tmp_path, "both")
    git(b, "checkout", "--", "tickets", "journal")
    before = (b / "tickets/T-0001.yaml").read_bytes(), (b / "journal/T-0001.yaml").read_bytes()
    r = sc(b, "check")
    assert r.exit_code == 0 and "warning" not in r.stderr and "repaired" not in r.stdout
    assert ((b / "tickets/T-0001.yaml").read_bytes(), (b / "journal/T-0001.yaml").read_bytes()) == before
    assert not (b / ".supportctl" / "undo" / "T-0001").exists()


def test_item5_an_untouched_killed_command_is_still_rolled_back_and_check_names_it(team, tmp_path):
    a, b = team
    _shared_ticket(a, b)
    before = (b / "tickets/T-0001.yaml").read_bytes(), (b / "journal/T-0001.yaml").read_bytes()
    for stage in ("ticket", "both"):
        _killed(b, tmp_path, stage)
        r = sc(b, "check")
        assert r.exit_code == 0, r.output
        assert "repaired: T-0001: the unfinished change of an interrupted command was rolled back" in r.stdout
        assert ((b / "tickets/T-0001.yaml").read_bytes(), (b / "journal/T-0001.yaml").read_bytes()) == before


def test_item5_a_hand_edit_of_the_journal_after_a_kill_is_kept(team, tmp_path):
    """A line appended by someone else after the kill: the journal is not the killed command's any more."""
    a, b = team
    _shared_ticket(a, b)
    _killed(b, tmp_path, "ticket")
    written = (b / "tickets/T-0001.yaml").read_bytes()
    with open(b / "journal/T-0001.yaml", "ab") as f:
        f.write(b'- {"at": "2025-12-01T10:30:00+03:00", "by": "x", "kind": "note", "text": "by hand"}\n')
    journal = (b / "journal/T-0001.yaml").read_bytes()
    r = sc(b, "check")
    assert DROPPED in r.stderr
    assert (b / "tickets/T-0001.yaml").read_bytes() == written and (b / "journal/T-0001.yaml").read_bytes() == journal


# -- the crash test: kill -9 at random (seeded) moments ------------------------------------------------------


def _start(desk: Desk, *args: str, stdin: bytes | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", *args], env=_env(desk.root, user="Рудаков А."),
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stdin is not None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    return proc


def _run(desk: Desk, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "supportctl", *args], env=_env(desk.root, user="Рудаков А."),
                          capture_output=True, text=True, timeout=120)


def _assert_whole(desk: Desk) -> None:
    """No torn file, no change without its journal entry, nothing half imported; check clean."""
    found = check_desk(desk)  # rolls back first, as every locked command does
    assert [str(p) for p in found if not p.note and not p.path.name.endswith(".tmp")] == []
    for tid in desk.ticket_ids():
        ticket = desk.load_ticket(tid)
        entries, broken = desk.read_journal(tid)
        assert broken == [] and entries and entries[0].kind in ("received", "imported"), tid
        assert ticket.spent_minutes == sum(e.spent_minutes for e in entries), tid
    assert not (desk.state_dir / "undo" / "import").exists()


def test_kill_9_at_random_moments_of_note_import_and_ingest(desk, tmp_path):
    """Done-when of issue 10: each kind of command killed at seeded random moments, then checked."""
    import json

    rng = random.Random(10)
    assert _run(desk, "new", "--subject", "S", "--text", "t", "--channel", "portal").returncode == 0
    big = tmp_path / "big.txt"
    big.write_bytes(("строка заметки " * 70 + "\n").encode() * 6000)  # about 12 MB
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"subject": f"r{n}", "text": "t", "received_at": NOW}) + "\n"
                            for n in range(600)), encoding="utf-8")
    mail = (b"From: a@example.ru\r\nTo: support@example.ru\r\nSubject: mail %d\r\n"
            b"Message-ID: <m%d@example.ru>\r\n\r\n" + "текст ".encode() * 5000 + b"\r\n")
    for round_ in range(6):
        kind = ("note", "import", "ingest")[round_ % 3]
        if kind == "note":
            proc = _start(desk, "note", "T-0001", "--text-file", str(big))
        elif kind == "import":
            proc = _start(desk, "import", str(rows))
        else:
            proc = _start(desk, "mail", "ingest", "-", stdin=mail % (round_, round_))
        if kind == "import":  # a random moment of its writing phase (its first pass only reads)
            count = len(desk.ticket_ids())
            while len(desk.ticket_ids()) == count and proc.poll() is None:
                time.sleep(0.005)
        time.sleep(rng.uniform(0.1, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _assert_whole(desk)
        imported = [t for t in desk.ticket_ids() if desk.load_ticket(t).subject.startswith("r")]
        assert len(imported) % 600 == 0  # an import is there whole or not at all
        notes = [e.text for e in desk.read_journal("T-0001")[0] if e.kind == "note"]
        assert all(len(text) == len(big.read_text().strip()) for text in notes)  # a note is whole or absent


def _wait_for_orphans(group: int, seconds: float = 30) -> None:
    """Until no live process of the killed command's process group is left (its children outlive it;
    a zombie waiting for its new parent to reap it counts as ended)."""
    def alive() -> bool:
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                return True
        return False

    deadline = time.monotonic() + seconds
    while alive():
        assert time.monotonic() < deadline, f"processes of group {group} still running after {seconds} s"
        time.sleep(0.01)


def test_kill_9_at_random_moments_of_sync_never_reverts_a_teammate(team, tmp_path):
    """B has a killed command's undo record, then its sync is killed at random moments: A's work stays."""
    a, b = team
    _shared_ticket(a, b)
    rng = random.Random(5)
    for round_ in range(2):
        _killed(b, tmp_path, "both")
        git(b, "checkout", "--", "tickets", "journal")
        ok(a, "priority", "T-0001", str(1 + round_ % 3), "--reason", f"раунд {round_}", now=LATER, user="Anna")
        ok(a, "sync", user="Anna")
        expected = Desk(a).load_ticket("T-0001").priority
        proc = subprocess.Popen([sys.executable, "-m", "supportctl", "sync"], env=_env(b),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.0, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _wait_for_orphans(proc.pid)  # a git that sync had started runs on: look once it has finished
        if any((b / ".git" / name).exists() for name in ("rebase-merge", "rebase-apply")):
            # What sync's refusal tells the user: --abort, or --quit when git was killed while starting it
            if git(b, "rebase", "--abort", check=False).returncode != 0:
                git(b, "rebase", "--quit")
        git(b, "checkout", "--", "tickets", "journal")  # a torn checkout of git's own is restored by git
        r = sc(b, "sync", user="Boris")
        assert r.exit_code == 0, r.output
        assert [str(p) for p in check_desk(Desk(b)) if not p.note] == []  # takes the lock: recovery
        assert Desk(b).load_ticket("T-0001").priority == expected  # A's change, never an old record's
        assert f"раунд {round_}".encode() in (b / "journal/T-0001.yaml").read_bytes()
