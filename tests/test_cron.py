"""Issue 11 §5: `hold --until` resumes by itself (R-7.9), and `supportctl cron` runs every periodic job."""

from __future__ import annotations

import json

import pytest

MON = "2025-12-01T{}:00+03:00"  # a working Monday
TUE = "2025-12-02T{}:00+03:00"


def p2_on_hold(cli, until: str) -> str:
    """P2 (8 working hours) received Mon 10:00, on hold from 12:00 (2 h used, 6 h left)."""
    tid = cli("new", "-s", "Логи", "-t", "нужны логи", now=MON.format("10:00")).stdout.strip()
    cli("register", tid, "-p", "2", now=MON.format("10:00"))
    r = cli("hold", tid, "--reason", "need-info", "--until", until, "ждём логи", now=MON.format("12:00"))
    assert r.exit_code == 0, r.stderr
    return tid


@pytest.mark.parametrize("until, cron_at, resumed_at, due", [
    # the clock runs again from the --until time, not from when cron noticed it
    ("2025-12-01T15:00", MON.format("16:30"), "2025-12-01T15:00:00+03:00", "2025-12-02T12:00:00+03:00"),
    # a date alone: the close of that working day (18:00), 6 h left → Tue 15:00
    ("2025-12-01", TUE.format("09:05"), "2025-12-01T18:00:00+03:00", "2025-12-02T15:00:00+03:00"),
])
def test_hold_until_resumes_as_of_that_time(cli, until, cron_at, resumed_at, due):
    tid = p2_on_hold(cli, until)
    shown = json.loads(cli("show", tid, "--json", now=MON.format("12:01")).stdout)
    assert shown["pauses"][-1]["until"] == resumed_at
    r = cli("cron", now=cron_at)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [f"{tid}: resumed (hold ended)"]
    data = json.loads(cli("show", tid, "--json", now=cron_at).stdout)
    assert data["status"] == "open" and data["hold_reason"] is None
    assert data["pauses"][-1]["end"] == resumed_at
    assert data["due"] == due
    entries = json.loads(cli("journal", tid, "--json", now=cron_at).stdout)
    assert entries[-1]["kind"] == "resume" and entries[-1]["at"] == resumed_at
    assert "Срок ожидания" in entries[-1]["text"]
    assert cli("cron", now=cron_at).stdout == ""  # nothing twice


def test_a_hold_before_its_until_stays(cli):
    tid = p2_on_hold(cli, "2025-12-01T15:00")
    assert cli("cron", now=MON.format("14:59")).stdout == ""
    assert json.loads(cli("show", tid, "--json", now=MON.format("14:59")).stdout)["status"] == "waiting"


def test_hold_until_in_the_past_is_refused(cli):
    tid = cli("new", "-s", "x", "-t", "y", now=MON.format("10:00")).stdout.strip()
    cli("register", tid, "-p", "2", now=MON.format("10:00"))
    r = cli("hold", tid, "--reason", "need-info", "--until", "2025-12-01T09:00", now=MON.format("12:00"))
    assert r.exit_code == 2 and "not in the future" in r.stderr
    assert json.loads(cli("show", tid, "--json").stdout)["status"] == "open"


def test_a_customer_answer_before_until_resumes_and_cron_leaves_it(cli):
    tid = p2_on_hold(cli, "2025-12-01T15:00")
    cli("resume", tid, now=MON.format("13:00"))
    assert cli("cron", now=MON.format("16:00")).stdout == ""


def test_cron_runs_resume_autoclose_escalate_in_order_one_line_each(cli, desk):
    """One entry point: resume, then autoclose (R-4.9), then escalate; mail send only with SMTP."""
    held = p2_on_hold(cli, "2025-12-01T15:00")
    done = cli("new", "-s", "Готово", "-t", "z", now=MON.format("10:00")).stdout.strip()
    cli("register", done, "-p", "3", now=MON.format("10:00"))
    cli("complete", done, "решено", now=MON.format("11:00"))
    late = cli("new", "-s", "Срочно", "-t", "z", now=MON.format("10:00")).stdout.strip()
    cli("register", late, "-p", "1", now=MON.format("10:00"))
    r = cli("cron", "--dry-run", now=TUE.format("11:30"))
    assert r.exit_code == 0
    assert r.stdout.splitlines()[:2] == [f"{held}: would resume (hold ended)",
                                         f"{done}: would close (completed 01.12.2025 11:00)"]
    r = cli("cron", now=TUE.format("11:30"))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"{held}: resumed (hold ended)"
    assert lines[1] == f"{done}: closed (completed 01.12.2025 11:00)"
    # no team, no leads, no mail configured: the escalations are printed, not sent
    assert all(line.startswith("would escalate (mail.from is not set)") for line in lines[2:])
    assert any(f"{late}: resolution breached" in line for line in lines[2:])
    assert not (desk.root / "outbox").exists() or not list((desk.root / "outbox").glob("*.eml"))
