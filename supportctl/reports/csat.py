"""`report csat`: the customers' ratings 1-5 (A-2) of the tickets closed in the period."""

from __future__ import annotations

from collections import defaultdict

from supportctl.domain.ticket import Ticket
from supportctl.reports.model import (
    ASSIGNEE, INT, NUMBER, ORG, PCT, Column, Report, Section, Source, blank_last, percent,
)
from supportctl.reports.period import Scope

TITLE = ("Оценки Заказчиков", "Customer satisfaction")
RATINGS = (1, 2, 3, 4, 5)

FIGURES = [
    Column("closed", ("Закрыто", "Closed"), INT),
    Column("rated", ("Оценено", "Rated"), INT),
    *(Column(f"r{n}", (f"«{n}»", f"«{n}»"), INT) for n in RATINGS),
    Column("average", ("Средняя", "Average"), NUMBER),
    Column("good_pct", ("% «4–5»", "% 4–5"), PCT),
]


def figures(tickets: list[Ticket]) -> dict:
    ratings = [t.rating for t in tickets if t.rating in RATINGS]
    row = {"closed": len(tickets), "rated": len(ratings)}
    row.update({f"r{n}": ratings.count(n) for n in RATINGS})
    row["average"] = round(sum(ratings) / len(ratings), 2) if ratings else None
    row["good_pct"] = percent(sum(1 for r in ratings if r >= 4), len(ratings))
    return row


def _grouped(tickets: list[Ticket], key) -> list[tuple[str, list[Ticket]]]:
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for t in tickets:
        groups[key(t) or ""].append(t)
    return sorted(groups.items(), key=lambda kv: blank_last(kv[0]))


def build(source: Source, scope: Scope) -> Report:
    closed = [t for t in source.tickets(scope) if t.status == "closed" and scope.period.contains(t.closed_at)]
    sections = [
        Section("total", ("Итого за период", "Period total"), FIGURES, [figures(closed)]),
        Section("by_customer", ("По заказчикам", "By customer"),
                [ORG, *FIGURES],
                [{"org": org or None, **figures(ts)} for org, ts in _grouped(closed, lambda t: t.org)]),
        Section("by_assignee", ("По специалистам", "By assignee"),
                [ASSIGNEE, *FIGURES],
                [{"assignee": who or None, **figures(ts)} for who, ts in _grouped(closed, lambda t: t.assignee)]),
    ]
    about = [("Оценки 1–5 (A-2) заявок, закрытых за период.", "Ratings 1–5 (A-2) of the tickets closed in the period.")]
    return Report("csat", TITLE, scope, source.now, sections, about=about)
