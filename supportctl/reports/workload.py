"""`report workload`: per assignee, the tickets in hand now and the work of the period.

Open, waiting, at risk and breached are as of now (the SLA state of `list`:
resolution once registered, else registration); received and completed count
the tickets received / completed in the period.
"""

from __future__ import annotations

from collections import defaultdict

from supportctl.domain.sla import ticket_sla
from supportctl.domain.ticket import Ticket
from supportctl.reports.model import ASSIGNEE, INT, UNASSIGNED, Column, Report, Section, Source, blank_last, pick
from supportctl.reports.period import Scope

TITLE = ("Загрузка специалистов", "Workload")

COUNTS = [
    Column("open", ("Открыто", "Open"), INT),
    Column("waiting", ("Ожидание", "Waiting"), INT),
    Column("at_risk", ("Под угрозой", "At risk"), INT),
    Column("breached", ("Просрочено", "Breached"), INT),
    Column("received", ("Поступило за период", "Received in period"), INT),
    Column("completed", ("Завершено за период", "Completed in period"), INT),
]


def _counts(tickets: list[Ticket], source: Source, scope: Scope) -> dict[str, int]:
    row = dict.fromkeys((c.key for c in COUNTS), 0)
    for t in tickets:
        if t.is_open:
            row["waiting" if t.status == "waiting" else "open"] += 1
            current = ticket_sla(t, source.sla, source.now).current
            if current is not None and current[1].state in ("at_risk", "breached"):
                row[current[1].state] += 1
        row["received"] += scope.period.contains(t.received_at)
        row["completed"] += t.status in ("completed", "closed") and scope.period.contains(t.completed_at)
    return row


def build(source: Source, scope: Scope) -> Report:
    by_assignee: dict[str, list[Ticket]] = defaultdict(list)
    for t in source.tickets(scope):
        if t.is_open or scope.period.contains(t.received_at) or scope.period.contains(t.completed_at):
            by_assignee[t.assignee or ""].append(t)
    names = sorted(by_assignee, key=blank_last)
    rows = [{"assignee": name or None, "assignee_label": name or pick(UNASSIGNED, scope.lang),
             **_counts(by_assignee[name], source, scope)} for name in names]
    total = {c.key: sum(r[c.key] for r in rows) for c in COUNTS}
    sections = [
        Section("by_assignee", ("По специалистам", "By assignee"),
                [ASSIGNEE, *COUNTS], rows, json_only=[Column("assignee_label", ("", ""))]),
        Section("total", ("Итого", "Total"), COUNTS, [total]),
    ]
    return Report("workload", TITLE, scope, source.now, sections)
