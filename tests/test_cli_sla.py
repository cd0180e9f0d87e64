"""SLA commands through the CLI (issue #3): sla, overdue, eta, autoclose."""

from __future__ import annotations

import json

from tests.conftest import add_barrier

MON_10 = "2025-12-01T10:00:00+03:00"


def registered(cli, priority: str = "1", now: str = MON_10) -> str:
    add_barrier(cli)
    tid = cli("new", "--subject", "Сбой", "--text", "Не работает", "--org", "АКБ «Барьер»",
              "--contact", "Смирнова Ольга Петровна", now=now).stdout.strip()
    cli("register", tid, "--priority", priority, now=now)
    return tid


def test_sla_json_has_both_timers_R_6_6_and_R_6_2(cli):
    tid = registered(cli)
    data = json.loads(cli("sla", tid, "--json", now="2025-12-01T13:00:00+03:00").stdout)
    assert data["id"] == tid and data["policy"] == "regulation"
    reg, res = data["registration"], data["resolution"]
    assert (reg["target"], reg["state"], reg["deadline"]) == ("3h", "met", "2025-12-01T13:00:00+03:00")
    assert (res["target"], res["deadline"]) == ("4h", "2025-12-01T14:00:00+03:00")
    assert (res["elapsed_minutes"], res["remaining_minutes"], res["state"]) == (180, 60, "on_track")


def test_at_risk_when_less_than_a_fifth_is_left(cli):
    tid = registered(cli)
    assert json.loads(cli("sla", tid, "--json", now="2025-12-01T13:15:00+03:00").stdout)["resolution"]["state"] \
        == "at_risk"
    listed = json.loads(cli("list", "--at-risk", "--json", now="2025-12-01T13:15:00+03:00").stdout)
    assert [t["id"] for t in listed] == [tid]


def test_overdue_exit_codes_for_cron_R_6_2(cli):
    tid = registered(cli)
    ok = cli("overdue", now="2025-12-01T13:00:00+03:00")
    assert ok.exit_code == 0 and ok.stdout == ""
    soon = cli("overdue", "--within", "2h", "--json", now="2025-12-01T13:00:00+03:00")
    assert soon.exit_code == 0 and [r["id"] for r in json.loads(soon.stdout)] == [tid]
    late = cli("overdue", "--json", now="2025-12-01T15:00:00+03:00")
    assert late.exit_code == 1
    [row] = json.loads(late.stdout)
    assert (row["id"], row["state"], row["timer"], row["remaining_minutes"]) == (tid, "breached", "resolution", -60)


def test_unregistered_ticket_is_overdue_after_3_working_hours_R_6_6(cli):
    tid = cli("new", "--subject", "x", "--text", "y", now="2025-12-05T17:00:00+03:00").stdout.strip()  # Friday
    assert cli("overdue", now="2025-12-08T10:59:00+03:00").exit_code == 0  # 1 h Fri + 1 h 59 Mon
    r = cli("overdue", "--json", now="2025-12-08T11:01:00+03:00")
    assert r.exit_code == 1 and json.loads(r.stdout)[0]["timer"] == "registration"
    assert json.loads(r.stdout)[0]["id"] == tid


def test_waiting_pauses_the_clock_over_a_weekend_R_7_9(cli):
    tid = registered(cli, "2", now="2025-12-05T10:00:00+03:00")
    cli("hold", tid, "--reason", "need-info", now="2025-12-05T15:00:00+03:00")
    paused = json.loads(cli("sla", tid, "--json", now="2025-12-08T10:00:00+03:00").stdout)["resolution"]
    assert paused["state"] == "paused" and paused["elapsed_minutes"] == 300
    cli("resume", tid, now="2025-12-08T11:00:00+03:00")
    assert json.loads(cli("show", tid, "--json").stdout)["due"] == "2025-12-08T14:00:00+03:00"


def test_eta_records_the_expected_date_R_6_7(cli):
    tid = registered(cli, "2")
    r = cli("eta", tid, "2025-12-10T12:00", "--text", "Требуется обновление продукта")
    assert r.exit_code == 0 and r.stdout == f"{tid}: expected resolution 10.12.2025 12:00\n"
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["eta"] == {"date": "2025-12-10T12:00:00+03:00", "text": "Требуется обновление продукта"}
    assert shown["history"][-1]["kind"] == "eta"


def test_autoclose_after_24_hours_is_idempotent_R_4_9(cli):
    tid = registered(cli, "2")
    cli("complete", tid, "Готово", now="2025-12-01T12:00:00+03:00")
    early = cli("autoclose", now="2025-12-02T11:59:00+03:00")
    assert early.stdout == ""
    dry = cli("autoclose", "--dry-run", "--json", now="2025-12-02T12:00:00+03:00")
    assert json.loads(dry.stdout) == [{"id": tid, "completed_at": "2025-12-01T12:00:00+03:00", "closed": False}]
    assert json.loads(cli("show", tid, "--json").stdout)["status"] == "completed"
    first = cli("autoclose", now="2025-12-02T12:00:00+03:00")
    assert first.stdout == f"{tid}: closed (completed 01.12.2025 12:00)\n"
    assert cli("autoclose", now="2025-12-02T12:05:00+03:00").stdout == ""
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["status"] == "closed" and "не ответил" in shown["history"][-1]["text"]
    assert [e["kind"] for e in shown["history"]].count("closed") == 1


def test_a_reopened_ticket_is_not_autoclosed_R_4_8(cli):
    tid = registered(cli, "2")
    cli("complete", tid, "Готово", now="2025-12-01T12:00:00+03:00")
    cli("reopen", tid, "--reason", "не помогло", now="2025-12-01T18:30:00+03:00")
    assert cli("autoclose", now="2025-12-03T12:00:00+03:00").stdout == ""
    assert json.loads(cli("show", tid, "--json").stdout)["status"] == "open"


def test_register_warns_when_the_deadline_year_has_no_decree_data_yet(cli):
    tid = cli("new", "--subject", "x", "--text", "y", now="2028-03-01T10:00:00+03:00").stdout.strip()
    r = cli("register", tid, "-p", "4", now="2028-03-01T10:00:00+03:00")
    assert r.exit_code == 0
    assert "is due in 2028, whose transferred days off are not known yet" in r.stderr
    tid = cli("new", "--subject", "x", "--text", "y").stdout.strip()
    assert "not known yet" not in cli("register", tid, "-p", "4").stderr  # (R-7.10 warns: no mail here)
