"""Issue 10, items 12, 13 and 15: every number and date is bounded where it is read and refused
where it is given; one validation of a ticket's consistency serves every load, `import` and `check`."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.domain.codec import entry_from_dict, ticket_from_dict
from supportctl.domain.sla import sla_config_from_dict
from supportctl.domain.ticket import Pause, Ticket, problems
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"
MSK = timezone(timedelta(hours=3))


@pytest.fixture
def run(desk):
    def invoke(*args: str, input: str | None = None):
        env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
        result = CliRunner().invoke(app, list(args), env=env, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code != 3, result.output
        return result
    return invoke


@pytest.fixture
def three(run):
    for n in range(3):
        assert run("new", "--subject", f"Сбой {n}", "--text", "Не запускается", "--channel", "portal").exit_code == 0
    assert run("register", "T-0002", "--priority", "3").exit_code == 0
    return ["T-0001", "T-0002", "T-0003"]


# -- item 12: dates and numbers read from files -------------------------------------------------

def test_item12_a_received_at_in_year_9999_is_a_damaged_file_not_a_crash(desk, run, three):
    path = desk.ticket_path("T-0002")
    text = path.read_text(encoding="utf-8")
    start = text.index("received_at: ")
    end = text.index("\n", start)
    path.write_text(text[:start] + "received_at: 9999-12-31T23:59:59-23:59" + text[end:], encoding="utf-8")
    for command in (["list"], ["overdue"], ["report", "sla"]):
        result = run(*command)
        assert result.exit_code in (0, 1), (command, result.output)
        assert "year 9999 is out of range" in result.stderr, (command, result.stderr)
    checked = run("check")
    assert checked.exit_code == 1 and "T-0002.yaml" in checked.output


BAD_LINES = {
    "year 9999": '- {"at": "9999-12-31T23:59:59-23:59", "by": "x", "kind": "note", "text": "t", "spent_minutes": 0}',
    "1e400": '- {"at": "2025-12-01T11:00:00+03:00", "by": "x", "kind": "note", "text": "t", "spent_minutes": 1e400}',
    "negative": '- {"at": "2025-12-01T11:00:00+03:00", "by": "x", "kind": "note", "text": "t", "spent_minutes": -5}',
    "nesting": "- " + "[" * 100_000,
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_item12_a_journal_line_journal_cannot_read_is_skipped_and_flagged_by_check(desk, run, three, case):
    with open(desk.journal_path("T-0002"), "a", encoding="utf-8") as f:
        f.write(BAD_LINES[case] + "\n")
    for command in (["journal", "T-0002"], ["show", "T-0002"], ["report", "time"], ["report", "sla"]):
        result = run(*command)
        assert result.exit_code in (0, 1), (command, result.output)
    problems_found = [p for p in check_desk(desk) if "T-0002" in str(p.path)]
    assert any("line " in p.message for p in problems_found), problems_found


@pytest.mark.parametrize("args", [
    ("overdue", "--within", "99999999999d"),
    ("reply", "T-0002", "ответ", "--spent", "99999999999999999999999d"),
    ("reply", "T-0002", "ответ", "--spent", "367d"),
    ("complete", "T-0002", "готово", "--spent", "9" * 5000),
])
def test_item12_an_unbounded_duration_is_refused_where_it_is_given(desk, run, three, args):
    before = desk.ticket_path("T-0002").read_bytes()
    result = run(*args)
    assert result.exit_code == 2 and "too long" in result.stderr or "invalid duration" in result.stderr, result.output
    assert desk.ticket_path("T-0002").read_bytes() == before


def test_item12_a_year_of_minutes_is_still_accepted(desk, run, three):
    assert run("reply", "T-0002", "ответ", "--spent", "2h").exit_code == 0
    assert run("overdue", "--within", "366d").exit_code in (0, 1)


def test_item12_entry_bounds_in_the_codec():
    good = {"at": "2025-12-01T11:00:00+03:00", "kind": "note", "spent_minutes": 30}
    assert entry_from_dict(good).spent_minutes == 30
    for bad in ({**good, "at": "1900-01-01T00:00:00+03:00"}, {**good, "spent_minutes": 10 ** 30},
                {**good, "spent_minutes": float("inf")}, {**good, "spent_minutes": True}, {**good, "data": [1]}):
        with pytest.raises((ValueError, TypeError)):
            entry_from_dict(bad)


# -- item 13: SLA targets ------------------------------------------------------------------------

def test_item13_a_target_beyond_a_year_is_a_config_error_not_minutes_of_work(desk, run, three):
    cfg = desk.root / "supportctl.yaml"
    text = cfg.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"sla.policies.regulation.resolution.2: target 99999999d is longer"):
        sla_config_from_dict({"sla": {"policies": {"regulation": {"resolution": {2: "99999999d"}}}}})
    assert text.count("resolution: {1: 4h, 2: 8h, 3: 5d, 4: 10d}") == 1
    cfg.write_text(text.replace("resolution: {1: 4h, 2: 8h, 3: 5d, 4: 10d}", "resolution: {1: 4h, 2: 99999999d, 3: 5d, 4: 10d}"),
                   encoding="utf-8")
    started = time.monotonic()
    for command in (["list"], ["sla", "T-0002"], ["note", "T-0002", "x"]):
        result = run(*command)
        assert result.exit_code == 2 and "longer than a year" in result.stderr, (command, result.output)
    assert time.monotonic() - started < 10


def test_item13_a_year_of_working_days_is_accepted():
    config = sla_config_from_dict({"sla": {"policies": {"regulation": {"resolution": {2: "250d"}}}}})
    assert str(config.policies["regulation"].resolution_target(2)) == "250d"


# -- item 15: one validation ----------------------------------------------------------------------

AT = datetime(2025, 12, 1, 10, 0, tzinfo=MSK)
INCONSISTENT = {
    "closed without closed_at": Ticket("T-0001", status="closed", priority=2, received_at=AT, completed_at=AT),
    "pause ending before it starts": Ticket("T-0001", status="open", priority=2, received_at=AT,
                                            pauses=[Pause(AT, AT - timedelta(hours=1), "x")]),
    "two open pauses": Ticket("T-0001", status="waiting", priority=2, received_at=AT,
                              pauses=[Pause(AT, None, "x"), Pause(AT + timedelta(hours=1), None, "y")]),
    "negative spent_minutes": Ticket("T-0001", status="open", priority=2, received_at=AT, spent_minutes=-30),
    "open without priority": Ticket("T-0001", status="open", received_at=AT),
    "completed without completed_at": Ticket("T-0001", status="completed", priority=2, received_at=AT),
}


def test_item15_the_domain_validation_names_each_inconsistency():
    assert problems(Ticket("T-0001", status="open", priority=2, received_at=AT)) == []
    for name, ticket in INCONSISTENT.items():
        assert problems(ticket), name


def _line(ticket: Ticket) -> str:
    from supportctl.domain.codec import ticket_to_dict
    d = ticket_to_dict(ticket, MSK)
    d.pop("id")
    return json.dumps(d, ensure_ascii=False)


@pytest.mark.parametrize("name", INCONSISTENT)
def test_item15_import_refuses_an_inconsistent_ticket(desk, run, tmp_path, name):
    source = tmp_path / "in.jsonl"
    source.write_text(_line(INCONSISTENT[name]) + "\n", encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 2 and "in.jsonl:1:" in result.stderr, result.output
    assert desk.ticket_ids() == []


@pytest.mark.parametrize("name", INCONSISTENT)
def test_item15_a_hand_edited_inconsistent_file_is_skipped_by_readers_and_named_by_check(desk, run, three, name):
    from supportctl.desk import yamlio
    from supportctl.domain.codec import ticket_to_file
    ticket = INCONSISTENT[name]
    ticket.id = "T-0002"
    with pytest.raises(ValueError):
        ticket_from_dict(ticket_to_file(ticket, MSK))
    desk.ticket_path("T-0002").write_text(yamlio.dumps_spaced(ticket_to_file(ticket, MSK)), encoding="utf-8")
    listed = run("list")
    assert "T-0002" in listed.stderr and "T-0002" not in listed.stdout
    checked = run("check")
    assert checked.exit_code == 1 and "T-0002.yaml" in checked.output


def test_item15_a_closed_ticket_without_closed_at_was_reported_breached_before(desk, run, three):
    """The SLA of such a ticket ran on; now the file is refused instead."""
    path = desk.ticket_path("T-0002")
    text = path.read_text(encoding="utf-8").replace("status: open", "status: closed")
    path.write_text(text, encoding="utf-8")
    result = run("sla", "T-0002")
    assert result.exit_code == 2 and "closed_at" in result.stderr
