"""Issue 12: `reopen` also from closed — a close by mistake, or the problem came back (R-4.8, R-4.9)."""

from __future__ import annotations

import json

from tests.conftest import add_barrier
from tests.test_cli_tickets import new_ticket


def test_a_closed_ticket_reopens_its_rating_kept_in_the_journal_and_the_clock_continues(cli):
    add_barrier(cli)
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "2", "--assignee", "Рудаков А.", now="2025-12-01T11:00:00+03:00")
    cli("complete", tid, "Устранили причину сбоя", "--spent", "1h", now="2025-12-01T12:00:00+03:00")
    assert cli("close", tid, "--rating", "4", now="2025-12-01T13:00:00+03:00").exit_code == 0
    due_before = json.loads(cli("show", tid, "--json").stdout)["due"]
    r = cli("reopen", tid, "--reason", "ошибка вернулась", now="2025-12-02T12:00:00+03:00")
    assert r.exit_code == 0, r.stderr
    shown = json.loads(cli("show", tid, "--json").stdout)
    assert shown["status"] == "open" and shown["rating"] is None and shown["closed_at"] is None
    # the time from completion to the reopen is a pause: 12:00 on the 1st to 12:00 on the 2nd
    assert shown["pauses"][-1]["reason"] == "completed"
    assert shown["pauses"][-1]["start"].startswith("2025-12-01T12:00")
    assert shown["pauses"][-1]["end"].startswith("2025-12-02T12:00")
    assert shown["due"] > due_before  # the clock continues where it stopped, so the deadline moves on
    entry = json.loads(cli("journal", tid, "--json").stdout)[-1]
    assert entry["kind"] == "reopened"
    assert entry["data"]["reopened_from"] == "closed" and entry["data"]["rating"] == 4
    assert entry["data"]["closed_at"].startswith("2025-12-01T13:00")


def test_reopen_of_a_new_ticket_is_still_refused(cli):
    tid = new_ticket(cli)
    r = cli("reopen", tid, "--reason", "x")
    assert r.exit_code == 2 and "reopen" in r.stderr
