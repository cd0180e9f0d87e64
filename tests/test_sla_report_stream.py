"""Issue 13: `report sla` reads one ticket at a time; its figures are those of the whole list (R-6.2-6.6)."""

from __future__ import annotations

import math
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.reports.sla_compliance import LATE, STOPPED, BreachRow, Tally, median, nearest_rank, summarise

states = st.sampled_from([None, "met", "missed", "breached", "on_track", "at_risk", "paused"])
figures = st.builds(
    lambda rs, rm, ss, sm, fs, fm, p: SimpleNamespace(
        registration_state=rs, registration_minutes=None if rs is None else rm,
        resolution_state=ss, resolution_minutes=None if ss is None else sm,
        first_response_state=fs, first_response_minutes=None if fs is None else fm, paused_minutes=p),
    states, st.integers(0, 10**6), states, st.integers(0, 10**6), states, st.integers(0, 10**6),
    st.integers(0, 10**4))


def _plainly(items: list, timer: str) -> tuple:
    """A timer's in time, late, median and 90th percentile, counted over the whole list."""
    stopped = sorted(getattr(f, f"{timer}_minutes") for f in items if getattr(f, f"{timer}_state") in STOPPED)
    in_time = sum(getattr(f, f"{timer}_state") == "met" for f in items)
    late = sum(getattr(f, f"{timer}_state") in LATE for f in items)
    p90 = stopped[max(0, math.ceil(0.9 * len(stopped)) - 1)] if stopped else None
    return in_time, late, median(stopped), p90


@settings(max_examples=200, deadline=None)
@given(st.lists(figures, max_size=40), st.booleans())
def test_counting_as_read_gives_the_figures_of_the_whole_list(items, first):
    tally = Tally()
    for f in items:
        tally.add(f)
    got = tally.summary(first)
    assert got == summarise(items, first)
    assert got["received"] == len(items)
    assert got["paused_minutes"] == sum(f.paused_minutes for f in items)
    for timer, prefix in (("registration", "registered"), ("resolution", "resolved")):
        in_time, late, med, p90 = _plainly(items, timer)
        assert (got[f"{prefix}_in_time"], got[f"{prefix}_late"]) == (in_time, late)
        assert (got[f"{timer}_median_minutes"], got[f"{timer}_p90_minutes"]) == (med, p90)
    assert ("first_response_in_time" in got) == first
    if first:
        in_time, late, med, p90 = _plainly(items, "first_response")
        assert (got["first_response_in_time"], got["first_response_late"],
                got["first_response_median_minutes"], got["first_response_p90_minutes"]) == (in_time, late, med, p90)
    assert nearest_rank([], 90) is None


def test_a_breach_row_reads_like_the_dict_it_replaces():
    row = BreachRow(("T-0001", "Org", 1, None, "resolution", "решение", "d", None, "breached", "просрочено", 5))
    assert row["id"] == row.get("id") == "T-0001" and row["over_minutes"] == 5
    assert row.get("nonsense") is None and row.get("nonsense", 1) == 1
    assert row[0] == "T-0001"


def test_the_table_reads_each_ticket_once_and_json_reads_the_list_again(cli, monkeypatch):
    """The table never holds the list of tickets (DeskSource.tickets), nor builds a Ticket whose clocks the
    index stores; JSON's per-ticket list reads them again, in arrival order, with the same figures."""
    from supportctl.desk.index import TicketIndex
    from supportctl.services.reporting import DeskSource

    for n in range(3):
        cli("new", "--subject", f"Заявка {n}", "--text", "x", "--org", "Org", now=f"2025-12-01T1{n}:00:00+03:00")
    cli("register", "T-0002", "--priority", "1", now="2025-12-01T13:00:00+03:00")
    calls, reads, built = [], [], []
    real, real_timed, real_ticket = DeskSource.tickets, DeskSource.each_timed, TicketIndex.ticket
    monkeypatch.setattr(DeskSource, "tickets", lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    monkeypatch.setattr(DeskSource, "each_timed", lambda self, *a, **k: reads.append(a) or real_timed(self, *a, **k))
    monkeypatch.setattr(TicketIndex, "ticket", lambda self, i: built.append(i) or real_ticket(self, i))
    now = "2025-12-03T10:00:00+03:00"
    table = cli("report", "sla", "--all", now=now)
    assert table.exit_code == 0 and "T-0002" in table.output and calls == [] and built == []
    assert len(reads) == 1
    import json

    data = json.loads(cli("report", "sla", "--all", "--json", now=now).output)
    assert len(reads) == 3 and calls == [] and built == []
    assert [t["id"] for t in data["tickets"]] == ["T-0001", "T-0002", "T-0003"]
    assert data["tickets"][1]["resolution_state"] == "breached"


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["Europe/Moscow", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu", "Europe/Berlin"]),
       st.lists(st.integers(1_735_000_000_000_000, 1_800_000_000_000_000), min_size=1, max_size=300))
def test_the_week_of_a_receipt_is_that_of_its_day_in_the_desks_zone(zone, instants):
    """The report's week of each ticket (remembered per hour) is the ISO week of its day in the desk's zone,
    also around midnight in zones half an hour or 45 minutes off and at daylight-saving changes."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from supportctl.reports.sla_compliance import _weeks

    tz = ZoneInfo(zone)
    week_of = _weeks(tz)
    near = [i - i % 3_600_000_000 + d for i in instants for d in (0, 1_799_999_999, 1_800_000_000, 3_599_999_999)]
    for us in instants + near:
        day = (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)).astimezone(tz).date()
        assert week_of(us) == day - timedelta(days=day.weekday())
