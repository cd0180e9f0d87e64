"""Issue 11 §4: every command shows deadlines computed under the current supportctl.yaml and calendar;
`check` notes a stored deadline that disagrees."""

from __future__ import annotations

import json
import re

import pytest

from supportctl.desk.desk import Desk
from supportctl.services.check import check_desk

MON = "2026-11-30T10:00:00+03:00"  # a working Monday


def edit_config(desk, pattern: str, replacement: str) -> None:
    path = desk.root / "supportctl.yaml"
    text, n = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert n == 1
    path.write_text(text, encoding="utf-8")


def dues(cli, tid: str, now: str = MON) -> dict:
    """The resolution deadline as each command shows it."""
    listed = {t["id"]: t for t in json.loads(cli("list", "--json", now=now).stdout)}[tid]
    shown = json.loads(cli("show", tid, "--json", now=now).stdout)
    table = [line for line in cli("list", now=now).stdout.splitlines() if line.startswith(tid)][0]
    sla = json.loads(cli("sla", tid, "--json", now=now).stdout)
    return {"list --json": listed["due"], "show --json": shown["due"],
            "list": _iso(re.search(r"(\d\d)\.(\d\d)\.(\d{4}) (\d\d:\d\d)", table).groups()),
            "sla": sla["resolution"]["deadline"], "show sla": shown["sla"]["resolution"]["deadline"]}


def _iso(parts: tuple) -> str:
    day, month, year, hhmm = parts
    return f"{year}-{month}-{day}T{hhmm}:00+03:00"


# (settings edit, P, hand-computed deadline): P2 (8 working hours) received Mon 30.11.2026 10:00
CASES = [
    # as configured: Mon 10:00 + 8 h = Mon 18:00
    (None, None, 2, "2026-11-30T18:00:00+03:00"),
    # the case: 30.11 becomes a day off → the clock starts Tue 09:00, + 8 h = Tue 17:00
    (r"extra_holidays: \[\]", 'extra_holidays: ["2026-11-30"]', 2, "2026-12-01T17:00:00+03:00"),
    # a shorter target for P2: Mon 10:00 + 6 h = Mon 16:00
    (r"resolution: \{1: 4h, 2: 8h", "resolution: {1: 4h, 2: 6h", 2, "2026-11-30T16:00:00+03:00"),
    # Monday from 12:00: the clock starts at 12:00, 6 h on Monday, 2 h on Tuesday → Tue 11:00
    (r'mon: "09:00-18:00"', 'mon: "12:00-18:00"', 2, "2026-12-01T11:00:00+03:00"),
    # Monday 09:00-13:00 only: 3 h on Monday, 5 h on Tuesday → Tue 14:00
    (r'mon: "09:00-18:00"', 'mon: "09:00-13:00"', 2, "2026-12-01T14:00:00+03:00"),
]


@pytest.mark.parametrize("pattern, replacement, priority, expected", CASES)
def test_every_command_shows_the_deadline_under_the_current_settings(cli, desk, pattern, replacement, priority,
                                                                     expected):
    tid = cli("new", "-s", "Сбой", "-t", "x", now=MON).stdout.strip()
    assert cli("register", tid, "-p", str(priority), now=MON).exit_code == 0
    before = dues(cli, tid)  # the index is built under the old settings
    if pattern is None:
        assert set(before.values()) == {expected}
        return
    edit_config(desk, pattern, replacement)
    after = dues(cli, tid)
    assert after == {k: expected for k in after}, after
    assert before["list --json"] != expected


def test_check_notes_a_stored_deadline_that_disagrees_until_the_ticket_changes(cli, desk):
    tid = cli("new", "-s", "Сбой", "-t", "x", now=MON).stdout.strip()
    cli("register", tid, "-p", "2", now=MON)
    assert [p for p in check_desk(Desk(desk.root)) if "stored" in p.message] == []
    edit_config(desk, r"extra_holidays: \[\]", 'extra_holidays: ["2026-11-30"]')
    found = [p for p in check_desk(Desk(desk.root)) if "stored" in p.message]
    assert [(p.path.name, p.note) for p in found] == [(f"{tid}.yaml", True)] * 2  # registration_due and due
    assert "stored due 30.11.2026 18:00 differs from 01.12.2026 17:00" in found[1].message
    r = cli("check")
    assert r.exit_code == 0 and "stored due 30.11.2026 18:00" in r.stdout + r.stderr
    cli("note", tid, "смотрим", now=MON)  # the next change stores the deadlines of the current settings
    assert "due: '2026-12-01T17:00:00+03:00'" in (desk.root / "tickets" / f"{tid}.yaml").read_text(encoding="utf-8")
    assert [p for p in check_desk(Desk(desk.root)) if "stored" in p.message] == []


def test_a_broken_sla_section_leaves_the_stored_deadlines_and_check_names_it(cli, desk):
    tid = cli("new", "-s", "Сбой", "-t", "x", now=MON).stdout.strip()
    cli("register", tid, "-p", "2", now=MON)
    edit_config(desk, r"^  at_risk_share: 0.2", "  at_risk_share: 7")
    problems = check_desk(Desk(desk.root))
    assert any("at_risk_share" in p.message for p in problems)
    assert Desk(desk.root).load_ticket(tid).due.isoformat() == "2026-11-30T18:00:00+03:00"
