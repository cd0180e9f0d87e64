"""Issue 13: `report sla` counts the clocks the index stores (domain/sla.py ticket_clocks, clock_states) and
prints, in every format, what the full ``ticket_sla`` of every ticket gives (R-6.1-6.6, IS-6, R-7.9): on the
desk of every ticket state, and on desks made by bench/gen_desk.py, at nows before, at and after their last
events, over the whole history and over months."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

from supportctl.reports.render import FORMATS
from test_fast_queue import NOWS, _busy_desk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


def _full(monkeypatch) -> None:
    """The clocks made to say they cannot tell: every ticket computed by ticket_sla."""
    import supportctl.domain.sla as sla

    monkeypatch.setattr(sla, "clock_states", lambda *a: None)


def _both(cli, monkeypatch, runs: list[tuple[str, tuple]]) -> None:
    fast = {run: cli(*run[1], now=run[0]) for run in runs}
    _full(monkeypatch)
    for run, result in fast.items():
        full = cli(*run[1], now=run[0])
        assert result.exit_code == full.exit_code == 0, (run, result.output, full.output)
        assert result.output == full.output, run


@pytest.fixture
def busy(cli, desk):
    cli.desk_root = desk.root
    _busy_desk(cli)
    return cli


@pytest.mark.parametrize("now", NOWS)
def test_report_sla_from_stored_clocks_equals_the_full_sla_R_6(busy, monkeypatch, now):
    """Registered in time and late (R-6.6), answered (IS-6), waiting (an open pause, R-7.9), resumed, with a
    lowered priority (R-6.1), completed, closed, merged: the same figures, breaches and per-ticket JSON."""
    runs = [(now, ("report", "sla", "--all", "--format", fmt)) for fmt in FORMATS]
    runs += [(now, ("report", "sla", *scope, "--json")) for scope in (
        ("--month", "2025-12"), ("--month", "2026-02"), ("--from", "2025-12-02", "--to", "2025-12-03"),
        ("--all", "--org", "ооо ромашка"), ("--all", "--assignee", "Рудаков А."), ("--all", "--lang", "en"))]
    _both(busy, monkeypatch, runs)


def _generated(tmp_path, monkeypatch, shape: str, count: int, now: str):
    """A desk of bench/gen_desk.py and a CLI runner for it."""
    from typer.testing import CliRunner

    from gen_desk import generate
    from supportctl.cli.app import app

    root = tmp_path / shape
    generate(root, count, now=datetime.fromisoformat(now), jobs=1, shape=shape)
    monkeypatch.delenv("SUPPORTCTL_NOW", raising=False)

    def run(*args: str, now: str):
        env = {"SUPPORTCTL_DESK": str(root), "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": "Рудаков А."}
        return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)

    return run


@pytest.mark.parametrize("shape, count, made_at, nows, months", [
    # issue 13's busy desk: registered and open (nearly all breached at the last now), or closed
    ("busy", 240, "2026-03-20T10:00:00+03:00",
     ["2026-02-10T12:00:00+03:00", "2026-03-20T10:00:00+03:00", "2026-11-24T10:00:00+03:00"],
     ["2026-01", "2026-03"]),
    # the whole lifecycle: holds on the customer and on development, reopens, every status
    ("lifecycle", 400, "2026-03-04T16:00:00+03:00",
     ["2026-03-03T13:00:00+03:00", "2026-03-04T16:00:00+03:00", "2026-03-05T09:30:00+03:00",
      "2026-04-01T10:00:00+03:00"],
     ["2026-02", "2026-03"]),
])
def test_report_sla_on_generated_desks_equals_the_full_sla_R_6(tmp_path, monkeypatch, shape, count, made_at, nows,
                                                              months):
    cli = _generated(tmp_path, monkeypatch, shape, count, made_at)
    runs = []
    for now in nows:
        runs += [(now, ("report", "sla", "--all", "--format", fmt)) for fmt in ("table", "json")]
        runs += [(now, ("report", "sla", "--month", month, "--json")) for month in months]
    runs.append((nows[-1], ("report", "sla", "--all", "--format", "csv")))
    _both(cli, monkeypatch, runs)


def test_the_site_counts_the_tickets_it_read_as_the_report_does_from_the_index(tmp_path, monkeypatch):
    """The static site's SLA reports (services/site.py: the tickets read once, computed in full) equal
    `report sla` of the same months told from the stored clocks."""
    from supportctl.cli.common import context
    from supportctl.reports.period import Scope
    from supportctl.reports.render import render
    from supportctl.services import reporting, site

    now = "2026-03-05T09:30:00+03:00"
    _generated(tmp_path, monkeypatch, "lifecycle", 300, "2026-03-04T16:00:00+03:00")
    monkeypatch.setenv("SUPPORTCTL_DESK", str(tmp_path / "lifecycle"))
    monkeypatch.setenv("SUPPORTCTL_NOW", now)
    ctx = context()
    collected = site.collect(ctx)
    reports = [(period, report) for name, period, report in collected.reports if name == "sla"]
    assert len(reports) == 2
    breaches = 0
    for period, from_site in reports:
        from_index, _warnings = reporting.build(ctx, "sla", Scope(period, lang=ctx.lang))
        assert render(from_index, "json") == render(from_site, "json")
        breaches += len(from_index.sections[-1].rows)
    assert breaches  # there are breaches to compare


def test_a_report_table_measures_text_cells_as_the_terminal_shows_them_issue10_item17(cli, desk):
    """Only text cells are escaped before the table is measured (numbers and dates are written here, of
    digits): an organisation with control characters prints exactly as one spelt with their visible signs."""
    tid = cli("new", "--subject", "Счёт", "--text", "x", "--org", "Org").stdout.strip()
    cli("register", tid, "--priority", "1", now="2025-12-01T10:30:00+03:00")
    outputs = []
    for org in ("␛[1mOrg\\x9b<U+202E>", "\x1b[1mOrg\x9b\u202e"):
        ticket = desk.load_ticket(tid)
        ticket.org = org
        desk.save_ticket(ticket)
        result = cli("report", "sla", "--all", now="2025-12-03T10:00:00+03:00")
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert "\x1b" not in outputs[1] and "\x9b" not in outputs[1] and "\u202e" not in outputs[1]
    assert outputs[0].count("␛[1mOrg\\x9b<U+202E>") == 2  # by customer, and the breach
    assert outputs[1] == outputs[0]
