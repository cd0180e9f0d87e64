"""Concurrent writers and crashes: whole processes racing on one desk (R-7.4 unique IDs, R-4.5 journal).

Each test starts real `python -m supportctl` processes; the desk lock (flock)
serialises them and every command re-reads what it changes under it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from supportctl.desk.desk import DamagedFile, Desk
from supportctl.desk.index import TicketIndex
from supportctl.domain.journal import Entry
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"
LATER = "2025-12-03T10:00:00+03:00"  # completed tickets are past the 24 h of


def _env(desk: Desk, now: str = NOW, user: str = "Рудаков А.") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTCTL_")}
    return {**env, "SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": user}


def _start(desk: Desk, *args: str, now: str = NOW) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "supportctl", *args], env=_env(desk, now),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(desk: Desk, *args: str, now: str = NOW) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "supportctl", *args], env=_env(desk, now),
                          capture_output=True, text=True, timeout=60)


def _journal(desk: Desk, ticket_id: str) -> list[Entry]:
    entries, problems = desk.read_journal(ticket_id)
    assert problems == []
    return entries


def test_twenty_processes_creating_tickets_at_once_get_twenty_ids(desk):
    """R-7.4: every accepted ticket gets a unique identifier, whatever the concurrency."""
    procs = [_start(desk, "new", "--subject", f"Сбой {n}", "--text", "Не запускается", "--channel", "portal")
             for n in range(20)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, [o[1] for o in outs]
    printed = [o[0].strip() for o in outs]
    assert len(set(printed)) == 20
    assert sorted(printed) == desk.ticket_ids()
    subjects = {desk.load_ticket(i).subject for i in printed}
    assert subjects == {f"Сбой {n}" for n in range(20)}
    assert all(len(_journal(desk, i)) == 1 for i in printed)
    assert check_desk(desk) == []


def test_autoclose_from_cron_racing_replies_and_reopens_loses_no_update(desk):
    """R-4.9 vs R-4.8: autoclose re-reads under the lock, so a reopen or reply that wins is kept."""
    ids = []
    for n in range(6):
        tid = _run(desk, "new", "--subject", f"Сбой {n}", "--text", "текст", "--channel", "portal").stdout.strip()
        assert _run(desk, "register", tid, "--priority", "3").returncode == 0
        assert _run(desk, "complete", tid, "Сделано", "--spent", "30m").returncode == 0
        ids.append(tid)
    procs = []
    for tid in ids:
        procs.append(_start(desk, "reply", tid, "Уточнение", "--spent", "45m", "--via", "phone", now=LATER))
        procs.append(_start(desk, "reopen", tid, "--reason", "Ошибка повторилась", now=LATER))
        procs.append(_start(desk, "note", tid, "Проверили логи", now=LATER))
    procs.insert(4, _start(desk, "autoclose", now=LATER))
    procs.insert(11, _start(desk, "autoclose", now=LATER))
    for p in procs:
        p.communicate(timeout=60)
        assert p.returncode in (0, 2)  # 2: a move the lifecycle refuses
    for tid in ids:
        t = desk.load_ticket(tid)
        journal = _journal(desk, tid)
        kinds = [e.kind for e in journal]
        # every command that succeeded left its entry; none wrote over another
        assert t.spent_minutes == sum(e.spent_minutes for e in journal)
        assert kinds.count("note") == 1 and kinds.count("completed") == 1
        assert kinds.count("closed") <= 1 and kinds.count("reopened") <= 1
        if "closed" in kinds and "reopened" in kinds:  # autoclose won, then the reopen reopened the closed ticket
            assert kinds.index("closed") < kinds.index("reopened")
        moves = [k for k in kinds if k in ("completed", "closed", "reopened")]
        assert t.status == {"completed": "completed", "closed": "closed", "reopened": "open"}[moves[-1]]
    assert check_desk(desk) == []


_MUTATOR = textwrap.dedent("""
    import itertools, sys
    from datetime import datetime
    from pathlib import Path
    from supportctl.desk.desk import Desk
    from supportctl.services import tickets
    from supportctl.services.context import Ctx

    desk = Desk(Path(sys.argv[1]))
    ctx = Ctx(desk=desk, now=datetime.fromisoformat(sys.argv[2]), actor="bot")
    ids = desk.ticket_ids()
    print("ready", flush=True)
    for n in itertools.count():
        tid = ids[n % len(ids)]
        if n % 5 == 1:
            tickets.create(ctx, tickets.NewTicket(subject=f"new {n}", text="x" * (n % 7000), channel="portal"))
        elif n % 3:
            tickets.note(ctx, tid, f"note {n} " + "ж" * (n % 5000))
        else:
            tickets.reply(ctx, tid, f"reply {n}", 30, "phone")
""")


def test_sigkill_at_random_moments_leaves_a_consistent_desk(desk, tmp_path):
    """A crash never leaves half a file: atomic ticket writes, whole journal lines."""
    for n in range(4):
        assert _run(desk, "new", "--subject", f"T{n}", "--text", "t", "--channel", "portal").returncode == 0
    script = tmp_path / "mutator.py"
    script.write_text(_MUTATOR)
    rng = random.Random(7)
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, str(script), str(desk.root), NOW], stdout=subprocess.PIPE,
                                env=_env(desk))
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert len(desk.ticket_ids()) >= 4
    desk.recover()  # what the next command does first: roll back a command killed midway
    for tid in desk.ticket_ids():
        ticket = desk.load_ticket(tid)  # parses: never half a YAML file
        journal = _journal(desk, tid)  # every line whole
        assert journal and journal[0].kind == "received"
        assert ticket.spent_minutes == sum(e.spent_minutes for e in journal)  # no change without its entry
    leftovers = [p.name for p in desk.tickets_dir.iterdir() if p.name.endswith(".tmp")]
    # a killed atomic write may leave its temp file, never a torn ticket; check names them
    assert [p for p in check_desk(desk) if not p.path.name.endswith(".tmp")] == []
    assert all(n.startswith(".") for n in leftovers)
    result = _run(desk, "check")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_torn_last_journal_line_is_reported_and_the_next_append_starts_a_fresh_line(desk):
    """Only a power loss can tear a line (one write per append); check names it, appends go on."""
    tid = _run(desk, "new", "--subject", "S", "--text", "t", "--channel", "portal").stdout.strip()
    path = desk.journal_path(tid)
    with open(path, "ab") as f:
        f.write(b'- {"at": "2025-12-01T10:05:00+03:00", "by": "x", "ki')
    problems = check_desk(desk)
    assert len(problems) == 1 and "line 2" in str(problems[0]) and "torn" in str(problems[0])
    assert _run(desk, "note", tid, "после сбоя").returncode == 0
    entries, broken = desk.read_journal(tid)
    assert [e.kind for e in entries] == ["received", "note"] and [p.line for p in broken] == [2]
    shown = _run(desk, "journal", tid)
    assert shown.returncode == 0 and "warning" in shown.stderr and "после сбоя" in shown.stdout


def test_the_index_survives_a_writer_killed_mid_rebuild(desk):
    for n in range(3):
        assert _run(desk, "new", "--subject", f"T{n}", "--text", "t", "--channel", "portal").returncode == 0
    proc = _start(desk, "list")
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert [t.id for t in TicketIndex(desk).tickets() if not isinstance(t, DamagedFile)] == desk.ticket_ids()
    assert _run(desk, "list").returncode == 0


_KILLED_BETWEEN = textwrap.dedent("""
    import os, sys
    from datetime import datetime
    from pathlib import Path
    from supportctl.desk.desk import Desk
    from supportctl.domain import lifecycle
    from supportctl.domain.ticket import Ticket

    desk = Desk(Path(sys.argv[1]))
    now = datetime.fromisoformat(sys.argv[2])
    with desk.lock():
        t = desk.load_ticket("T-0001")
        entries = lifecycle.reply(t, "ответ", 60, "phone", now, "bot")
        desk.save_ticket(t)
        desk.append_journal(t.id, entries[:0])  # the journal append never happens...
        desk.save_ticket(Ticket(id="T-0099", subject="half made", received_at=now))
        os._exit(9)  # ...the process dies holding the lock
""")


def test_a_command_killed_between_ticket_and_journal_is_rolled_back(desk, tmp_path):
    assert _run(desk, "new", "--subject", "S", "--text", "t", "--channel", "portal").returncode == 0
    before = desk.ticket_path("T-0001").read_bytes(), desk.journal_path("T-0001").read_bytes()
    script = tmp_path / "killed.py"
    script.write_text(_KILLED_BETWEEN)
    assert subprocess.run([sys.executable, str(script), str(desk.root), NOW], env=_env(desk)).returncode == 9
    assert desk.load_ticket("T-0001").spent_minutes == 60 and desk.exists("T-0099")  # half done
    assert _run(desk, "note", "T-0001", "дальше").returncode == 0  # the next command rolls it back first
    assert not desk.exists("T-0099")
    assert desk.load_ticket("T-0001").spent_minutes == 0
    assert desk.ticket_path("T-0001").read_bytes() == before[0]
    assert [e.kind for e in _journal(desk, "T-0001")] == ["received", "note"]
    assert desk.journal_path("T-0001").read_bytes().startswith(before[1])
    assert check_desk(desk) == []
