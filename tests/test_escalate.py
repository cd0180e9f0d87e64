"""Issue 11 §5: escalations (R-6.6, R-6.7) mailed through a real SMTP server, exactly once per timer and
state across runs, a re-run, and a second clone after a git merge; `overdue` flags a missing R-6.7 notice."""

from __future__ import annotations

import json

import pytest
from mailkit import body_of, configure_mail, start_smtp
from test_git_team import git, isolated_git, ok, team  # noqa: F401  (the two-clone fixtures)

from supportctl.desk.desk import Desk

MON = "2025-12-01T{}:00+03:00"  # a working Monday; P1 received 10:00 is due 14:00, at risk from 13:12


def team_yaml(root, leads=("lead@support.example",), assignee_email="rudakov@support.example") -> None:
    lines = ["", "team:"]
    lines.append(f'  "Рудаков А.": {{email: {assignee_email}}}' if assignee_email else '  "Другой": {email: x@y.ru}')
    lines += ["escalation:", f"  leads: [{', '.join(leads)}]"]
    with open(root / "supportctl.yaml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def escalation_mails(handler) -> list[tuple[str, str]]:
    """(recipient, subject) of every escalation mail the server took."""
    return sorted((str(m["To"]), str(m["Subject"])) for m in handler.messages
                  if m["X-Supportctl-Event"] == "escalation")


def p1_ticket(cli) -> str:
    tid = cli("new", "-s", "Не работает вход", "-t", "ошибка 500", now=MON.format("10:00")).stdout.strip()
    assert cli("register", tid, "-p", "1", "--assignee", "Рудаков А.", now=MON.format("10:05")).exit_code == 0
    return tid


@pytest.fixture
def mailed_desk(desk):
    controller, handler = start_smtp()
    configure_mail(desk.root, controller.port)
    team_yaml(desk.root)
    yield desk, handler
    controller.stop()


def test_escalate_mails_assignee_and_leads_once_per_state(cli, mailed_desk):
    desk, handler = mailed_desk
    tid = p1_ticket(cli)
    assert cli("escalate", now=MON.format("13:00")).stdout == ""  # 1 h of 4 h left: on track
    r = cli("escalate", now=MON.format("13:30"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"escalated {tid}: resolution at_risk, deadline 01.12.2025 14:00")
    assert "no expected-resolution notice (R-6.7)" in r.stdout
    mails = escalation_mails(handler)
    assert [to for to, _ in mails] == ["lead@support.example", "rudakov@support.example"]
    assert all(subject == f"[{tid}] срок решения: под угрозой нарушения (срок 01.12.2025 14:00)"
               for _, subject in mails)
    body = body_of(handler.messages[-1])
    assert "Ответственный: Рудаков А." in body and f"supportctl eta {tid}" in body  # in the mail
    # a second run, and a third at the same state: nothing more
    assert cli("escalate", now=MON.format("13:35")).stdout == ""
    assert cli("escalate", now=MON.format("13:59")).stdout == ""
    assert len(escalation_mails(handler)) == 2
    # breached: one more mail each
    r = cli("escalate", "--json", now=MON.format("14:30"))
    data = json.loads(r.stdout)
    assert [(d["id"], d["timer"], d["state"], d["eta_sent"], d["sent"]) for d in data] == \
        [(tid, "resolution", "breached", False, True)]
    assert data[0]["to"] == ["rudakov@support.example", "lead@support.example"]
    assert cli("escalate", now=MON.format("15:00")).stdout == ""
    subjects = [s for _, s in escalation_mails(handler)]
    assert len(subjects) == 4
    assert subjects.count(f"[{tid}] срок решения: нарушен (срок 01.12.2025 14:00)") == 2
    entries = [e for e in Desk(desk.root).read_journal(tid)[0] if e.kind == "escalated"]
    assert [(e.data["timer"], e.data["state"]) for e in entries] == [("resolution", "at_risk"),
                                                                     ("resolution", "breached")]
    assert entries[0].text.startswith("Эскалация: срок решения — под угрозой нарушения, срок 01.12.2025 14:00")


def test_registration_timer_escalates_to_the_leads_when_nobody_is_assigned(cli, mailed_desk):
    """R-6.6: an unregistered ticket's 3-hour registration clock escalates too; with no assignee
    (no team address) only the leads are mailed."""
    desk, handler = mailed_desk
    tid = cli("new", "-s", "Вопрос", "-t", "текст", now=MON.format("10:00")).stdout.strip()
    r = cli("escalate", "--json", now=MON.format("12:40"))  # 20 min of 3 h left
    data = json.loads(r.stdout)
    assert [(d["id"], d["timer"], d["state"], d["to"]) for d in data] == \
        [(tid, "registration", "at_risk", ["lead@support.example"])]
    assert [to for to, _ in escalation_mails(handler)] == ["lead@support.example"]


def test_dry_run_mails_and_journals_nothing(cli, mailed_desk):
    desk, handler = mailed_desk
    tid = p1_ticket(cli)
    r = cli("escalate", "--dry-run", now=MON.format("13:30"))
    assert r.stdout.startswith(f"would escalate {tid}: resolution at_risk")
    assert escalation_mails(handler) == []
    assert not [e for e in Desk(desk.root).read_journal(tid)[0] if e.kind == "escalated"]
    assert cli("escalate", now=MON.format("13:30")).stdout.startswith("escalated")


def test_without_addresses_it_prints_what_it_would_send_and_exits_0(cli, desk):
    """No team address and no leads (or no mail.from): printed, not journaled, exit 0."""
    configure_mail(desk.root)
    tid = p1_ticket(cli)
    r = cli("escalate", now=MON.format("14:30"))
    assert r.exit_code == 0
    assert r.stdout.startswith(f"would escalate (nobody to mail) {tid}: resolution breached")
    assert not [e for e in Desk(desk.root).read_journal(tid)[0] if e.kind == "escalated"]


def test_with_mail_not_configured_it_prints_and_exits_0(cli, desk):
    team_yaml(desk.root)
    tid = p1_ticket(cli)
    r = cli("escalate", now=MON.format("14:30"))
    assert r.exit_code == 0
    assert f"{tid}: resolution breached" in r.stdout and "mail.from is not set" in r.stdout
    assert "rudakov@support.example, lead@support.example" in r.stdout


def test_an_eta_notice_clears_the_r67_flag(cli, mailed_desk):
    desk, handler = mailed_desk
    tid = p1_ticket(cli)
    cli("eta", tid, "2025-12-02", "--text", "нужна доработка", now=MON.format("13:00"))
    data = json.loads(cli("escalate", "--json", now=MON.format("13:30")).stdout)
    assert data[0]["eta_sent"] is True
    assert "supportctl eta" not in body_of([m for m in handler.messages if m["X-Supportctl-Event"] == "escalation"][0])


def test_overdue_flags_a_ticket_without_an_eta_notice(cli):
    """R-6.7: `overdue --json` has eta_sent, the table a mark."""
    tid = p1_ticket(cli)
    other = p1_ticket(cli)
    cli("eta", other, "2025-12-02", "--text", "нужна доработка", now=MON.format("13:00"))
    r = cli("overdue", "--json", now=MON.format("14:30"))
    assert r.exit_code == 1
    assert {d["id"]: d["eta_sent"] for d in json.loads(r.stdout)} == {tid: False, other: True}
    table = cli("overdue", now=MON.format("14:30")).stdout
    assert "eta" in table.splitlines()[0]
    marked = [line.split()[0] for line in table.splitlines() if "none!" in line]
    assert marked == [tid]


def test_two_clones_each_mail_sent_once_after_a_merge(team):  # noqa: F811
    """Issue 11 §5: clone A escalates and syncs; clone B, after the merge, mails nothing for the same
    timer and state, then escalates the breach once, which A (after its sync) does not repeat."""
    a, b = team
    controller, handler = start_smtp()
    try:
        configure_mail(a, controller.port)
        team_yaml(a)
        git(a, "commit", "-q", "-am", "mail and escalation settings")
        tid = ok(a, "new", "-s", "Авария", "-t", "всё лежит", now=MON.format("10:00"), user="Anna")
        ok(a, "register", tid, "-p", "1", "--assignee", "Рудаков А.", now=MON.format("10:05"), user="Anna")
        ok(a, "sync", now=MON.format("10:06"))
        ok(b, "sync", now=MON.format("10:06"))
        assert ok(a, "escalate", now=MON.format("13:30"), user="cron").startswith("escalated")
        assert len(escalation_mails(handler)) == 2
        ok(a, "sync", now=MON.format("13:31"))
        ok(b, "sync", now=MON.format("13:32"))
        assert ok(b, "escalate", now=MON.format("13:40"), user="cron") == ""
        assert ok(b, "escalate", now=MON.format("14:30"), user="cron").startswith(f"escalated {tid}: resolution breached")
        assert len(escalation_mails(handler)) == 4
        ok(b, "sync", now=MON.format("14:31"))
        ok(a, "sync", now=MON.format("14:32"))
        assert ok(a, "escalate", now=MON.format("14:40"), user="cron") == ""
        assert ok(a, "cron", now=MON.format("14:45"), user="cron") == ""
        mails = escalation_mails(handler)
        assert len(mails) == len(set(mails)) == 4
        entries = [e for e in Desk(a).read_journal(tid)[0] if e.kind == "escalated"]
        assert [(e.data["state"], e.by) for e in entries] == [("at_risk", "cron"), ("breached", "cron")]
    finally:
        controller.stop()


def test_cron_delivers_queued_escalations_once_after_the_server_was_down(cli, desk):
    """A run while the server is down queues and journals; the next `cron` delivers each mail once."""
    controller, handler = start_smtp()
    port = controller.port
    controller.stop()
    configure_mail(desk.root, port)
    team_yaml(desk.root)
    tid = p1_ticket(cli)
    r = cli("cron", now=MON.format("13:30"))
    assert r.exit_code == 0, r.stderr
    assert f"escalated {tid}: resolution at_risk" in r.stdout
    assert "not delivered" in r.stderr
    from aiosmtpd.controller import Controller
    from mailkit import Collector

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        r = cli("cron", now=MON.format("13:40"))
        assert r.exit_code == 0, r.stderr
        assert r.stdout.count("mail sent to") == 2
        assert cli("cron", now=MON.format("13:50")).stdout == ""
        assert len(escalation_mails(handler)) == 2
    finally:
        controller.stop()


def test_a_rerun_after_a_crash_between_journal_and_outbox_mails_nothing_twice(cli, mailed_desk, monkeypatch):
    """The `escalated` entry is written first: a run killed before the mails were queued leaves the
    entry, and the re-run mails nothing (at most once; the journal names who should have been told)."""
    desk, handler = mailed_desk
    tid = p1_ticket(cli)
    from supportctl.mail.outbox import Outbox

    real_put = Outbox.put

    def crash(self, *a, **kw):
        raise KeyboardInterrupt  # the process dies here

    monkeypatch.setattr(Outbox, "put", crash)
    assert cli("escalate", now=MON.format("13:30")).exit_code != 0
    monkeypatch.setattr(Outbox, "put", real_put)
    entries = [e for e in Desk(desk.root).read_journal(tid)[0] if e.kind == "escalated"]
    assert [e.data["to"] for e in entries] == [["rudakov@support.example", "lead@support.example"]]
    assert cli("escalate", now=MON.format("13:31")).stdout == ""
    assert escalation_mails(handler) == []


def test_escalation_mail_in_english(cli, desk):
    controller, handler = start_smtp()
    try:
        configure_mail(desk.root, controller.port)
        team_yaml(desk.root)
        path = desk.root / "supportctl.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("language: ru", "language: en"), encoding="utf-8")
        tid = p1_ticket(cli)
        assert cli("escalate", now=MON.format("14:30")).exit_code == 0
        subjects = {s for _, s in escalation_mails(handler)}
        assert subjects == {f"[{tid}] resolution: breached (deadline 01.12.2025 14:00)"}
        body = body_of(handler.messages[-1])
        assert "Assignee: Рудаков А." in body and "has not been told an expected resolution date (R-6.7)" in body
        entry = [e for e in Desk(desk.root).read_journal(tid)[0] if e.kind == "escalated"][0]
        assert entry.text.startswith("Escalated: resolution is breached, deadline 01.12.2025 14:00")
    finally:
        controller.stop()
