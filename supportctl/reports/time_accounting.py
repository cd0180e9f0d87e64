"""`report time`: the time accounted in the period, per customer and contract and per specialist.

What a contract manager bills: the ``spent_minutes`` of the journal entries
made in the period. An answer to the customer accounts for at least 30
minutes (R-5.2); that is enforced when it is recorded and again here, for
journals that were imported. --assignee selects the specialist who made the
entry (the person who spent the time), not the ticket's current assignee.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from supportctl.domain.journal import Entry
from supportctl.domain.lifecycle import accountable_minutes
from supportctl.domain.ticket import Ticket
from supportctl.reports.model import (
    DATETIME, INT, MINUTES, NUMBER, ORG, TEXT, Column, Report, Section, Source, blank_last,
)
from supportctl.reports.period import Scope

TITLE = ("Учёт трудозатрат", "Time accounted")


@dataclass(frozen=True)
class Work:
    ticket: Ticket
    entry: Entry
    minutes: int


def accounted(entry: Entry) -> int:
    return accountable_minutes(entry.spent_minutes) if entry.kind == "reply" else entry.spent_minutes


def work_in_period(source: Source, scope: Scope) -> list[Work]:
    period, who = scope.period, (scope.assignee or "").casefold()
    work = []
    # a merged duplicate too: the time journaled under it is billed there (its copies in the other ticket carry none)
    for t in source.tickets(Scope(period, org=scope.org, lang=scope.lang), merged=True):
        # a ticket with time of its own, that can have had entries in the period (closed is final)
        if t.spent_minutes <= 0 or not period.may_overlap(t.received_at, t.closed_at):
            continue
        for e in source.journal(t.id):
            minutes = accounted(e)
            if minutes > 0 and period.contains(e.at) and (not who or e.by.casefold() == who):
                work.append(Work(t, e, minutes))
    work.sort(key=lambda w: (w.entry.at, w.ticket.id))
    return work


TOTALS = [
    Column("tickets", ("Заявок", "Tickets"), INT),
    Column("entries", ("Записей", "Entries"), INT),
    Column("minutes", ("Минут", "Minutes"), INT),
    Column("hours", ("Часов", "Hours"), NUMBER),
]


def _totals(items: list[Work]) -> dict:
    minutes = sum(w.minutes for w in items)
    return {"tickets": len({w.ticket.id for w in items}), "entries": len(items), "minutes": minutes,
            "hours": round(minutes / 60, 2)}


def build(source: Source, scope: Scope) -> Report:
    work = work_in_period(source, scope)
    by_contract: dict[tuple[str, str], list[Work]] = defaultdict(list)
    by_person: dict[str, list[Work]] = defaultdict(list)
    for w in work:
        by_contract[(w.ticket.org or "", w.ticket.contract or "")].append(w)
        by_person[w.entry.by].append(w)
    contract_rows = [{"org": org or None, "contract": contract or None, **_totals(by_contract[(org, contract)])}
                     for org, contract in sorted(by_contract, key=lambda k: (*blank_last(k[0]), k[1]))]
    person_rows = [{"assignee": name, **_totals(by_person[name])} for name in sorted(by_person, key=str.casefold)]
    detail = [{"at": w.entry.at, "id": w.ticket.id, "org": w.ticket.org, "contract": w.ticket.contract,
               "by": w.entry.by, "kind": w.entry.kind, "minutes": w.minutes,
               "text": _summary(w.entry.text)} for w in work]
    sections = [
        Section("by_customer", ("По заказчикам и контрактам", "By customer and contract"),
                [ORG, Column("contract", ("№ контракта", "Contract")), *TOTALS], contract_rows),
        Section("by_assignee", ("По специалистам", "By specialist"),
                [Column("assignee", ("Специалист", "Specialist")), *TOTALS], person_rows),
        Section("total", ("Итого", "Total"), TOTALS, [_totals(work)]),
        Section("entries", ("Записи", "Entries"), [
            Column("at", ("Дата", "Date"), DATETIME), Column("id", ("Заявка", "Ticket")),
            ORG, Column("contract", ("№ контракта", "Contract")),
            Column("by", ("Специалист", "Specialist")), Column("minutes", ("Учтено", "Accounted"), MINUTES),
            Column("text", ("Содержание", "What"), TEXT)], detail, json_only=[Column("kind", ("", ""))]),
    ]
    about = [("Ответ Заказчику учитывается не менее чем в 30 минут (R-5.2).",
              "An answer to the customer accounts for at least 30 minutes (R-5.2).")]
    return Report("time", TITLE, scope, source.now, sections, about=about)


def _summary(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
