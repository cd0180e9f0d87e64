"""The quick paths of list, overdue and the reports: the cyclic collector paused while they run
and given back as found (CliRunner runs them inside this process); figures as the plain ways give."""

from __future__ import annotations

import gc

from supportctl.services import query


def test_list_pauses_the_collector_only_while_it_runs(cli, monkeypatch):
    cli("new", "--subject", "Сбой печати", "--text", "Не печатает", "--org", "Org")
    seen = []
    real_find = query.find_queue  # issue 13: list reads queue rows
    monkeypatch.setattr(query, "find_queue", lambda *a, **k: seen.append(gc.isenabled()) or real_find(*a, **k))
    assert gc.isenabled()
    result = cli("list")
    assert result.exit_code == 0 and "Сбой печати" in result.output
    assert seen == [False]
    assert gc.isenabled()


def test_a_failing_bulk_command_gives_the_collector_back(cli):
    assert cli("report", "sla", "--from", "2025-12-31", "--to", "2025-12-01").exit_code == 2
    assert cli("list", "--status", "nonsense").exit_code == 2
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled(cli):
    gc.disable()
    try:
        assert cli("overdue").exit_code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_report_median_is_statistics_median_rounded():
    import random
    import statistics

    from supportctl.reports.sla_compliance import median

    rng = random.Random(7)
    for n in range(1, 60):
        values = [rng.randint(0, 5000) for _ in range(n)]
        assert median(values) == round(statistics.median(values))
    assert median([1, 2]) == 2 and median([2, 3]) == 2 and median([]) is None  # half to even
