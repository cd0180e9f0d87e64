"""`report sla`: SLA compliance of the tickets received in the period (R-6.2-6.6).

Every figure comes from ``domain.sla.ticket_sla`` — the function behind `sla ID` —
so the report agrees with it ticket by ticket; the desk's tickets are told from the clocks the
index stores (``Source.each_timed``, domain/sla.py clock_states: the same figures without
computing every timer again, issue 13). For each timer:

- in time: ``met``; late: ``missed`` (stopped after the deadline) or ``breached``
  (still running past it); the percentage is in time / (in time + late), so a
  ticket whose deadline has not come yet counts for neither.
- registration time (R-6.6): the working time from receipt to registration;
  first response (IS-6): from receipt to the first reply or completion; resolution time
  (R-6.2-6.5): from receipt to completion; both with pauses excluded. The first-response
  columns appear only when some ticket's policy has that timer.
- late is late whatever the priority is now (R-6.1): a deadline that passed while it was in
  force stays a breach after the priority was lowered; the breaches list the priority each
  deadline belonged to.
  Median and 90th percentile (nearest rank) over the tickets that got there.
- paused: the working time the resolution clock stood still (R-7.9, R-4.8).
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from operator import itemgetter
from typing import NamedTuple

from supportctl.domain.codec import Q_ASSIGNEE, Q_ID, Q_ORG, Q_PRIORITY, Q_RECEIVED
from supportctl.reports.model import (
    ASSIGNEE, DATETIME, HOURS, INT, ORG, PCT, Chart, Column, Report, Section, Source, blank_last, percent, pick,
)
from supportctl.reports.period import Scope, weeks_of

TITLE = ("Соблюдение сроков (SLA)", "SLA compliance")
LATE = ("missed", "breached")
STOPPED = ("met", "missed")  # the states of a timer that has stopped
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Figures(NamedTuple):  # a named tuple: one per ticket, built 5x quicker than a frozen dataclass
    """One ticket's SLA outcome as the report counts it: each timer's state and elapsed minutes."""

    id: str
    org: str | None
    priority: int | None
    registration_state: str | None
    registration_minutes: int | None
    resolution_state: str | None
    resolution_minutes: int | None
    paused_minutes: int
    first_response_state: str | None = None
    first_response_minutes: int | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "org": self.org,
            "priority": self.priority,
            "registration_state": self.registration_state,
            "registration_minutes": self.registration_minutes,
            "first_response_state": self.first_response_state,
            "first_response_minutes": self.first_response_minutes,
            "resolution_state": self.resolution_state,
            "resolution_minutes": self.resolution_minutes,
            "paused_minutes": self.paused_minutes,
        }


def figures_of(row: tuple, states: tuple, paused_us: int) -> Figures:
    """The figures of a ticket from its queue row, its timers as of now and its paused working time
    (``Source.each_timed``)."""
    reg = res = first = _NO_TIMER
    for timer in states:
        name, figures = timer.name, (timer.state, int((timer.duration_us - timer.remaining_us) / _US_PER_MINUTE))
        if name == "registration":
            reg = figures
        elif name == "resolution":
            res = figures
        else:
            first = figures
    return Figures(row[Q_ID], row[Q_ORG], row[Q_PRIORITY], *reg, *res, int(paused_us / _US_PER_MINUTE), *first)


_NO_TIMER = (None, None)
_US_PER_MINUTE = 60_000_000


COLUMNS = [
    Column("received", ("Поступило", "Received"), INT),
    Column("registered_in_time", ("Рег. в срок", "Reg. in time"), INT),
    Column("registered_late", ("Рег. поздно", "Reg. late"), INT),
    Column("registered_pct", ("Рег. %", "Reg. %"), PCT),
    Column("resolved_in_time", ("Реш. в срок", "Res. in time"), INT),
    Column("resolved_late", ("Реш. поздно", "Res. late"), INT),
    Column("resolved_pct", ("Реш. %", "Res. %"), PCT),
    Column("registration_median_minutes", ("Рег. медиана, ч", "Reg. median, h"), HOURS),
    Column("registration_p90_minutes", ("Рег. 90\u00a0%, ч", "Reg. p90, h"), HOURS),
    Column("resolution_median_minutes", ("Реш. медиана, ч", "Res. median, h"), HOURS),
    Column("resolution_p90_minutes", ("Реш. 90\u00a0%, ч", "Res. p90, h"), HOURS),
    Column("paused_minutes", ("Пауза, ч", "Paused, h"), HOURS),
]

BREACH_COLUMNS = [
    Column("id", ("Заявка", "Ticket")),
    ORG,
    Column("priority", ("Приоритет", "Priority"), INT),
    ASSIGNEE,
    Column("timer", ("Срок", "Deadline of")),
    Column("deadline", ("Крайний срок", "Deadline"), DATETIME),
    Column("stopped_at", ("Выполнено", "Done at"), DATETIME),
    Column("state", ("Нарушение", "Breach")),
    Column("over_minutes", ("Превышение, раб. ч", "Over by, work h"), HOURS),
]
FIRST_RESPONSE_COLUMNS = [
    Column("first_response_in_time", ("Отв. в срок", "Resp. in time"), INT),
    Column("first_response_late", ("Отв. поздно", "Resp. late"), INT),
    Column("first_response_pct", ("Отв. %", "Resp. %"), PCT),
    Column("first_response_median_minutes", ("Отв. медиана, ч", "Resp. median, h"), HOURS),
    Column("first_response_p90_minutes", ("Отв. 90\u00a0%, ч", "Resp. p90, h"), HOURS),
]
TIMER_NAMES = {"registration": ("регистрация (R-6.6)", "registration (R-6.6)"),
               "first_response": ("первый ответ (IS-6)", "first response (IS-6)"),
               "resolution": ("решение (R-6.2–6.5)", "resolution (R-6.2–6.5)")}
STATE_NAMES = {"missed": ("выполнено с опозданием", "done late"), "breached": ("просрочено", "overdue")}


def summarise(items: list[Figures], first_response: bool = False) -> dict:
    """The figures of one group of tickets (see the module docstring); with ``first_response``
    also those of the first-response timer."""
    tally = Tally()
    for f in items:
        tally.add(f)
    return tally.summary(first_response)


class Tally:
    """``summarise`` of a group kept as it is read: counts, and the times of the stopped timers in
    compact arrays (issue 13: no ticket kept for its group)."""

    __slots__ = ("received", "paused", "timers")

    def __init__(self) -> None:
        self.received = self.paused = 0
        # registration, resolution, first response: [in time, late, times of the stopped ones]
        self.timers = [[0, 0, array("q")] for _ in range(3)]

    def add(self, f) -> None:
        """Count one ticket's figures (a ``Figures`` or anything with its fields)."""
        self.received += 1
        self.paused += f.paused_minutes
        registration, resolution, first_response = self.timers
        for timer, state, minutes in ((registration, f.registration_state, f.registration_minutes),
                                      (resolution, f.resolution_state, f.resolution_minutes),
                                      (first_response, f.first_response_state, f.first_response_minutes)):
            if state is None:
                continue
            if state == "met":
                timer[0] += 1
            elif state in LATE:
                timer[1] += 1
            if state in STOPPED:
                timer[2].append(minutes)

    def merge(self, other: "Tally") -> None:
        """Count the tickets ``other`` counted too."""
        self.received += other.received
        self.paused += other.paused
        for mine, theirs in zip(self.timers, other.timers):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
            mine[2].extend(theirs[2])

    def summary(self, first_response: bool = False) -> dict:
        (reg_in, reg_late, reg_times), (res_in, res_late, res_times), (fr_in, fr_late, fr_times) = (
            (in_time, late, sorted(times)) for in_time, late, times in self.timers)
        first: dict = {}
        if first_response:
            first = {"first_response_in_time": fr_in, "first_response_late": fr_late,
                     "first_response_pct": percent(fr_in, fr_in + fr_late),
                     "first_response_median_minutes": median(fr_times),
                     "first_response_p90_minutes": nearest_rank(fr_times, 90)}
        return {
            "received": self.received,
            "registered_in_time": reg_in,
            "registered_late": reg_late,
            "registered_pct": percent(reg_in, reg_in + reg_late),
            "resolved_in_time": res_in,
            "resolved_late": res_late,
            "resolved_pct": percent(res_in, res_in + res_late),
            "registration_median_minutes": median(reg_times),
            "registration_p90_minutes": nearest_rank(reg_times, 90),
            "resolution_median_minutes": median(res_times),
            "resolution_p90_minutes": nearest_rank(res_times, 90),
            "paused_minutes": self.paused,
            **first,
        }


def median(values: list[int]) -> int | None:
    """The middle value, or the mean of the two middle ones rounded half to even (as
    ``round(statistics.median(values))``, without importing statistics at each run)."""
    if not values:
        return None
    ordered = sorted(values)  # the callers' lists are sorted already: a linear pass
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return round((ordered[half - 1] + ordered[half]) / 2)


def nearest_rank(sorted_values: list[int], pct: int) -> int | None:
    """The smallest value with at least ``pct``% of the values at or below it."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)]


BREACH_KEYS = ("id", "org", "priority", "assignee", "timer_code", "timer", "deadline", "stopped_at", "state_code",
               "state", "over_minutes")


class BreachRow(tuple):
    """A row of the breaches section: the values of BREACH_KEYS, read like a dict's (``get``, ``[]``);
    a tuple, as a report of 100,000 tickets may list tens of thousands (issue 13)."""

    __slots__ = ()
    _INDEX = {key: i for i, key in enumerate(BREACH_KEYS)}

    def get(self, key: str, default=None):
        i = self._INDEX.get(key)
        return default if i is None else tuple.__getitem__(self, i)

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._INDEX[key]) if isinstance(key, str) else tuple.__getitem__(self, key)

    def values_of(self, keys: list[str]) -> tuple:
        """The values under ``keys``, in their order (how the renderer reads a row)."""
        picker = _PICKERS.get(tuple(keys))
        if picker is None:
            indices = [self._INDEX[k] for k in keys]
            picker = itemgetter(*indices) if len(indices) > 1 else lambda row: tuple(row[i] for i in indices)
            _PICKERS[tuple(keys)] = picker
        return picker(tuple(self))


_PICKERS: dict[tuple[str, ...], itemgetter] = {}
_DEADLINE, _ID = BREACH_KEYS.index("deadline"), BREACH_KEYS.index("id")


def _by_deadline(row: BreachRow) -> tuple:
    """The breaches' order: by deadline, then ticket."""
    return tuple.__getitem__(row, _DEADLINE), tuple.__getitem__(row, _ID)


def breaches(row: tuple, states: tuple, lang: str | None = None) -> list[BreachRow]:
    """One row per deadline of the ticket (its queue row and timers) that passed while in force (R-6.1),
    with the priority it belonged to; how much it was overrun is known for the deadline in force now (blank
    for earlier ones). ``lang``: the timer and state named in that language (else as (ru, en) pairs)."""
    rows = []
    for timer in states:
        if timer.state not in LATE:
            continue
        remaining = timer.remaining_us
        over = int(-remaining / _US_PER_MINUTE) if remaining < 0 else 0
        timer_name, state_name = TIMER_NAMES[timer.name], STATE_NAMES[timer.state]
        if lang is not None:
            timer_name, state_name = pick(timer_name, lang), pick(state_name, lang)
        from_us = timer.calendar.from_us
        stopped_at = None if timer.stopped_us is None else from_us(timer.stopped_us)
        for deadline, priority in timer.breaches:
            rows.append(BreachRow((row[Q_ID], row[Q_ORG], row[Q_PRIORITY] if priority is None else priority,
                                   row[Q_ASSIGNEE], timer.name, timer_name, from_us(deadline), stopped_at,
                                   timer.state, state_name, over if deadline == timer.deadline_us else None)))
    return rows


_HOUR_US = 3_600_000_000


def _weeks(tz):
    """A function of an instant in epoch microseconds: the Monday of its week in ``tz``. Remembered per
    hour (UTC) that lies within one day in ``tz``; an hour a day begins in (a zone half an hour off)
    is converted instant by instant."""
    mondays: dict[int, date | None] = {}

    def monday(us: int) -> date:
        day = (_EPOCH + timedelta(microseconds=us)).astimezone(tz).date()
        return day - timedelta(days=day.weekday())

    def week_of(us: int) -> date:
        hour = us // _HOUR_US
        found = mondays.get(hour, False)
        if found is False:
            start, end = monday(hour * _HOUR_US), monday(hour * _HOUR_US + _HOUR_US - 1)
            found = mondays[hour] = start if start == end else None
        return monday(us) if found is None else found

    return week_of


def build(source: Source, scope: Scope) -> Report:
    lang, tz = scope.lang, source.tz
    # one ticket at a time: its figures are counted in its cell (week, priority, organisation) and its breaches
    # kept, the ticket and its timers are not (issue 13: 100,000 tickets in little memory); the cells are
    # added up into the groups at the end, one count per ticket instead of one per group
    cells: dict[tuple, Tally] = {}
    breach_rows: list[BreachRow] = []
    first = False  # does any ticket's policy have a first-response timer? else no such columns (absent, not zero)
    org_first: dict[str, str] = {}  # the first ticket ID of each organisation: ties of the sort keep ID order
    week_of = _weeks(tz)
    for row, states, paused in source.each_timed(scope, received_in=scope.period):
        received, org = row[Q_RECEIVED], row[Q_ORG] or ""
        key = (None if received is None else week_of(received), row[Q_PRIORITY], org)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = Tally()
        cell.add(figures_of(row, states, paused))
        if org not in org_first or row[Q_ID] < org_first[org]:
            org_first[org] = row[Q_ID]
        first = first or any(timer.name == "first_response" for timer in states)
        if any(timer.state in LATE for timer in states):
            breach_rows += breaches(row, states, lang)
    breach_rows.sort(key=_by_deadline)
    total = Tally()
    by_week: dict[date, Tally] = defaultdict(Tally)
    by_priority: dict[int | None, Tally] = defaultdict(Tally)
    by_org: dict[str, Tally] = defaultdict(Tally)
    for (week, priority, org), cell in cells.items():
        total.merge(cell)
        if week is not None:
            by_week[week].merge(cell)
        by_priority[priority].merge(cell)
        by_org[org].merge(cell)

    def tickets() -> list[dict]:  # for JSON only: read again then, rather than kept for every format
        items = [((row[Q_RECEIVED] or 0, row[Q_ID]), figures_of(row, states, paused))
                 for row, states, paused in source.each_timed(scope, received_in=scope.period)]
        items.sort(key=lambda item: item[0])  # by arrival (the register's order), then by ID
        return [f.to_dict() for _key, f in items]

    columns = [*COLUMNS[:7], *FIRST_RESPONSE_COLUMNS[:3], *COLUMNS[7:9], *FIRST_RESPONSE_COLUMNS[3:],
               *COLUMNS[9:]] if first else COLUMNS
    weeks = weeks_of(scope.period, list(by_week), today=source.now.astimezone(tz).date())
    week_rows = [{"week": f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
                  "days": f"{monday:%d.%m}–{sunday:%d.%m}", **(by_week.get(monday) or Tally()).summary(first)}
                 for monday, sunday in weeks]
    priority_rows = [{"priority": p, **by_priority[p].summary(first)}
                     for p in sorted(by_priority, key=lambda p: (p is None, p or 0))]
    org_rows = [{"org": org or None, **by_org[org].summary(first)}
                for org in sorted(by_org, key=lambda org: (blank_last(org), org_first[org]))]

    sections = [
        Section("total", ("Итого за период", "Period total"), columns, [total.summary(first)]),
        Section("by_week", ("По неделям", "By week"),
                [Column("week", ("Неделя", "Week")), Column("days", ("Дни", "Days")), *columns], week_rows),
        Section("by_priority", ("По приоритетам", "By priority"),
                [Column("priority", ("Приоритет", "Priority"), INT), *columns], priority_rows),
        Section("by_customer", ("По заказчикам", "By customer"),
                [ORG, *columns], org_rows),
        Section("breaches", ("Нарушения сроков", "Breaches"), BREACH_COLUMNS, breach_rows,
                empty=("Нарушений нет.", "No breaches."),
                json_only=[Column("timer_code", ("", "")), Column("state_code", ("", ""))]),
    ]
    chart = Chart(("Соблюдение сроков по неделям", "SLA compliance per week"),
                  [row["days"].split("–")[0] for row in week_rows],
                  [(("регистрация в срок, %", "registered in time, %"), [r["registered_pct"] for r in week_rows]),
                   (("решение в срок, %", "resolved in time, %"), [r["resolved_pct"] for r in week_rows])]
                  + ([(("первый ответ в срок, %", "first response in time, %"),
                       [r["first_response_pct"] for r in week_rows])] if first else []))
    about = [("Рег. — регистрация (3 раб. ч, R-6.6), Реш. — решение (R-6.2–6.5); % = в срок / (в срок + поздно); "
              "поздно — выполнено после срока или просрочено; ч — рабочие часы (R-5.1); 90\u00a0% — 90-й процентиль.",
              "Reg. — registration (3 working h, R-6.6), Res. — resolution (R-6.2–6.5); % = in time / "
              "(in time + late); late — done after the deadline or overdue; h — working hours (R-5.1); "
              "p90 — the 90th percentile.")]
    if first:
        about.append(("Отв. — первый ответ заказчику (IS-6): от поступления до первого ответа или выполнения.",
                      "Resp. — first response to the customer (IS-6): from receipt to the first reply or completion."))
    about.append(("Нарушение остаётся нарушением и после понижения приоритета (R-6.1): в списке нарушений — "
                  "приоритет, при котором срок был пропущен.",
                  "A breach stays a breach after the priority is lowered (R-6.1): the breaches list the "
                  "priority each missed deadline belonged to."))
    return Report("sla", TITLE, scope, source.now, sections, chart=chart, about=about,
                  extra={"tickets": tickets})
