"""SLA policies and timers: pure domain, the clock is passed in.

A ticket runs up to three timers: registration (R-6.6, received ->
registered, 3 working hours), first response (IS-6, received -> the first
reply or completion) and resolution (R-6.2-6.5, received -> completed), the
last two by priority or by category; a timer the policy leaves out is absent.
All start at receipt; a clock started outside working time starts at the
next opening (see ``supportctl.domain.calendar``).

- A target is "90m", "4h" (working time) or "5d" (working days: the same
  clock time on the 5th following working day, ``WorkingCalendar.add_days``).
  The working duration of a day target is fixed at the clock start.
- The first-response and resolution clocks stand still during pauses: while
  the ticket waits on the customer (R-7.9; a hold recorded with
  ``clock_runs`` is no customer delay and does not pause) and between
  completion and a reopen (R-4.8). The
  deadline is the instant where the working time outside pauses reaches the
  target. An open pause counts up to ``now``: the deadline shown while
  waiting is the one if work resumed now. The stored ``due``
  (``resolution_due``) assumes no further pauses: an open pause counts as
  ended at its start, so ``due`` moves when the ticket resumes.
- A priority change recomputes the deadline from the receipt with the new
  target; the paused time stays excluded. A deadline that passed while it
  was in force (``priority_history``) stays a breach (R-6.1): ``breaches``.
- States, first that applies: ``met`` / ``missed`` once stopped (no breach /
  a breach); ``breached`` when a deadline in force has passed (a pause
  cannot hide a breach); ``paused`` during an open pause;
  ``at_risk`` when less than ``at_risk_share`` of the target's working time
  is left; else ``on_track``. ``remaining`` is negative once breached.
- A named policy (IS-6) overrides the calendar and targets by priority and by
  category; a category target wins over a priority target. A customer's plan
  names its policy; an unknown or missing plan gets the default policy.
- Instants are compared in real time, also inside the hour a daylight-saving
  change repeats (01:59 before the change comes before 01:38 after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from supportctl.domain.calendar import (
    ALWAYS,
    ALWAYS_CALENDAR_NAME,
    CalendarSpec,
    WorkingCalendar,
    calendar_spec_from_config,
)
from supportctl.domain.lifecycle import HOLD_REASONS
from supportctl.domain.ticket import PRIORITIES, Pause, PriorityPeriod, Ticket

STATES = ("on_track", "at_risk", "breached", "met", "missed", "paused")
DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_CALENDAR = "regulation"
DEFAULT_POLICY = "regulation"
DEFAULT_AT_RISK_SHARE = 0.2
DEFAULT_AUTOCLOSE_AFTER = "24h"  # calendar time unless autoclose_calendar names a calendar
REGISTRATION_TARGET = "3h"
RESOLUTION_TARGETS = {1: "4h", 2: "8h", 3: "5d", 4: "10d"}
TIMER_NAMES = ("registration", "first_response", "resolution")
# only a wait on the customer stops the clock; the vendor's own development does not
DEFAULT_PAUSE_REASONS = tuple(r for r in HOLD_REASONS if r != "needs-development")

_TARGET_RE = re.compile(r"^\s*(\d+)\s*([mhd])\s*$", re.IGNORECASE)
_MINUTES_PER_UNIT = {"m": 1, "h": 60}
_US_PER_MINUTE = 60_000_000
_MICROSECOND = timedelta(microseconds=1)


# ---------------------------------------------------------------- targets

@dataclass(frozen=True)
class Target:
    """A promised duration: ``amount`` minutes, hours of working time, or working days."""

    amount: int
    unit: str  # "m", "h" or "d"
    _hours_or_minutes: timedelta | None = field(init=False, repr=False, compare=False)
    _us: int | None = field(init=False, repr=False, compare=False)  # the same in microseconds
    _text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        minutes = _MINUTES_PER_UNIT.get(self.unit)
        object.__setattr__(self, "_hours_or_minutes", timedelta(minutes=self.amount * minutes) if minutes else None)
        object.__setattr__(self, "_us", self.amount * minutes * _US_PER_MINUTE if minutes else None)
        object.__setattr__(self, "_text", f"{self.amount}{self.unit}")

    def __str__(self) -> str:
        return self._text

    def working_us(self, calendar: WorkingCalendar, clock_start: int, start_reading: int) -> int:
        """``working_duration`` in microseconds, for a clock start and its odometer reading."""
        if self._us is None:
            return calendar.reading_after_days(clock_start, self.amount) - start_reading
        return self._us

    def deadline(self, calendar: WorkingCalendar, start: datetime) -> datetime:
        """The deadline of a clock started at ``start`` that never pauses."""
        if self._hours_or_minutes is None:
            return calendar.add_days(start, self.amount)
        return calendar.add(start, self._hours_or_minutes)


def parse_target(text: str) -> Target:
    """ "90m", "4h", "5d" -> Target; ValueError otherwise."""
    match = _TARGET_RE.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid target {text!r}: use a positive number with m, h or d, like 90m, 4h or 5d")
    return Target(int(match.group(1)), match.group(2).lower())


# ---------------------------------------------------------------- timers
#
# The timers are computed on the calendar's odometer (epoch microseconds and
# working-time readings, see ``supportctl.domain.calendar``): each instant of
# a ticket is converted once, every step is integer arithmetic or a bisection.
# Lists of 100,000 tickets read little more than the state, so the datetime
# and timedelta fields of a Timer are built only when read.

class Timer:
    """One SLA clock of a ticket; instants in the calendar's zone. Immutable."""

    __slots__ = ("_calendar", "_target", "_state", "_duration", "_started", "_deadline", "_elapsed",
                 "_stopped_at", "_pauses", "_breaches")

    def __init__(self, calendar: WorkingCalendar, target: Target, state: str, duration: int, started: int,
                 deadline: int, elapsed: int, stopped_at: datetime | None, pauses, breaches=()) -> None:
        self._calendar = calendar
        self._target = target
        self._state = state
        self._duration, self._started, self._deadline, self._elapsed = duration, started, deadline, elapsed
        self._stopped_at = stopped_at
        self._pauses = pauses
        self._breaches = breaches  # ((deadline in epoch microseconds, priority or None), ...) in time order

    @property
    def target(self) -> str:
        return str(self._target)

    @property
    def target_duration(self) -> timedelta:
        """The target as working time."""
        return timedelta(microseconds=self._duration)

    @property
    def started_at(self) -> datetime:
        """When the clock started counting: receipt, or the next opening after it."""
        return self._calendar.from_us(self._started)

    @property
    def deadline(self) -> datetime:
        return self._calendar.from_us(self._deadline)

    @property
    def elapsed(self) -> timedelta:
        """Working time counted so far, pauses excluded."""
        return timedelta(microseconds=self._elapsed)

    @property
    def remaining(self) -> timedelta:
        """``target_duration - elapsed``; negative once breached."""
        return timedelta(microseconds=self._duration - self._elapsed)

    @property
    def state(self) -> str:
        return self._state

    @property
    def stopped_at(self) -> datetime | None:
        return self._stopped_at.astimezone(self._calendar.zone) if self._stopped_at else None

    @property
    def pauses(self) -> tuple[Pause, ...]:
        return tuple(_in_zone(p, self._calendar.zone) for p in self._pauses)

    @property
    def breaches(self) -> tuple[tuple[datetime, int | None], ...]:
        """R-6.1: each deadline in force that passed before the clock stopped (or before a new priority
        replaced it), with the priority it belonged to; kept whatever the priority is now."""
        return tuple((self._calendar.from_us(deadline), priority) for deadline, priority in self._breaches)

    _FIELDS = ("target", "target_duration", "started_at", "deadline", "elapsed", "remaining", "state",
               "stopped_at", "pauses", "breaches")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, Timer) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Timer({', '.join(f'{name}={value!r}' for name, value in zip(self._FIELDS, self._values()))})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "target_minutes": _minutes(self._duration),
            "started_at": self.started_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "elapsed_minutes": _minutes(self._elapsed),
            "remaining_minutes": _minutes(self._duration - self._elapsed),
            "state": self._state,
            "stopped_at": self.stopped_at.isoformat() if self._stopped_at else None,
            "pauses": [
                {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None, "reason": p.reason}
                for p in self.pauses
            ],
            "breaches": [{"deadline": deadline.isoformat(), "priority": priority}
                         for deadline, priority in self.breaches],
        }


def compute_timer(
    calendar: WorkingCalendar,
    start: datetime,
    target: Target | str,
    pauses: list[Pause] | tuple[Pause, ...],
    stopped_at: datetime | None,
    now: datetime,
    at_risk_share: float = DEFAULT_AT_RISK_SHARE,
) -> Timer:
    """The timer of a clock started at ``start`` (rules: module docstring)."""
    target = parse_target(target) if isinstance(target, str) else target
    return _run(calendar, calendar.start_clock(calendar.to_us(start)), target, pauses, stopped_at, now,
                calendar.to_us(now), at_risk_share)


def _run(calendar: WorkingCalendar, clock: tuple[int, int, int], target: Target, pauses,
         stopped_at: datetime | None, now: datetime, now_us: int, at_risk_share: float,
         priority: int | None = None, earlier: list[tuple[Target | None, int | None, int]] | None = None) -> Timer:
    """``compute_timer`` on the odometer: ``clock`` from ``start_clock``, ``now`` in microseconds.

    ``priority`` is the one ``target`` belongs to; ``earlier`` the targets that were in force
    before it (R-6.1): (target, priority, until when in epoch microseconds), oldest first.

    Up to the closing time of the clock start's working interval the reading is linear, which
    spares the bisections for most registrations and many short targets."""
    clock_start, start_reading, closing = clock
    duration = target._us
    if duration is None:
        duration = target.working_us(calendar, clock_start, start_reading)
    spans = _pause_spans(calendar, pauses, open_until=now_us) if pauses else None
    if spans:
        deadline = _deadline_with_pauses(calendar, clock_start, start_reading, duration, spans)
    elif clock_start + duration <= closing:
        deadline = clock_start + duration
    else:
        deadline = calendar.instant_at(start_reading + duration)
    stopped = None if stopped_at is None else calendar.to_us(stopped_at)
    horizon = now_us if stopped is None or now_us < stopped else stopped
    if horizon <= clock_start:
        elapsed = 0
    elif horizon <= closing:
        elapsed = horizon - clock_start
    else:
        elapsed = calendar.reading(horizon) - start_reading
    if spans:
        elapsed -= _paused_work(calendar, clock_start, horizon, spans)
    late_now = stopped > deadline if stopped is not None else now_us > deadline
    breaches: tuple = ((deadline, priority),) if late_now else ()
    if earlier:
        found = _earlier_breaches(calendar, clock_start, start_reading, spans, earlier,
                                  now_us if stopped is None else min(now_us, stopped))
        breaches = tuple(b for b in found if b not in breaches) + breaches
    if stopped is not None:
        state = "missed" if breaches else "met"
    elif breaches:
        state = "breached"
    elif pauses and any(p.end is None and p.start <= now for p in pauses):
        state = "paused"
    elif duration - elapsed < _at_risk_below(duration, at_risk_share):
        state = "at_risk"
    else:
        state = "on_track"
    return Timer(calendar, target, state, duration, clock_start, deadline, elapsed, stopped_at, pauses, breaches)


def _earlier_breaches(calendar: WorkingCalendar, clock_start: int, start_reading: int, spans, earlier,
                      horizon: int) -> tuple:
    """R-6.1: the deadlines of earlier priorities (counted from receipt, like every target) that passed
    while they were in force: before the next priority replaced them, the clock stopped, or now."""
    found = []
    for target, priority, until in earlier:
        if target is None:
            continue
        duration = target.working_us(calendar, clock_start, start_reading)
        if spans:
            deadline = _deadline_with_pauses(calendar, clock_start, start_reading, duration, spans)
        else:
            deadline = calendar.instant_at(start_reading + duration)
        if deadline < min(until, horizon) and (deadline, priority) not in found:
            found.append((deadline, priority))
    return tuple(found)


def deadline_of(calendar: WorkingCalendar, start: datetime, target: Target,
                pauses: list[Pause] | tuple[Pause, ...] = ()) -> datetime:
    """The deadline of a clock started at ``start``; open pauses count as ended at their start."""
    spans = _pause_spans(calendar, pauses, open_until=None) if pauses else None
    if not spans:
        return target.deadline(calendar, start)
    clock_start, start_reading, _closing = calendar.start_clock(calendar.to_us(start))
    duration = target.working_us(calendar, clock_start, start_reading)
    return calendar.from_us(_deadline_with_pauses(calendar, clock_start, start_reading, duration, spans))


def _pause_spans(calendar: WorkingCalendar, pauses, open_until: int | None) -> list[tuple[int, int]]:
    """Pauses as sorted, merged, non-empty (start, end) spans in epoch microseconds;
    an open one ends at ``open_until``."""
    to_us = calendar.to_us
    spans = []
    for p in pauses:
        start = to_us(p.start)
        if p.end is not None:
            end = to_us(p.end)
        else:
            end = start if open_until is None or open_until < start else open_until
        spans.append((start, end))
    if len(spans) == 1:
        return spans if spans[0][1] > spans[0][0] else []
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _deadline_with_pauses(calendar: WorkingCalendar, clock_start: int, start_reading: int, duration: int,
                          spans: list[tuple[int, int]]) -> int:
    """Where the working time outside ``spans`` since ``clock_start`` reaches ``duration`` (> 0)."""
    counting_from, counted_reading, left = clock_start, start_reading, duration
    for pause_start, pause_end in spans:
        if pause_end <= counting_from:
            continue
        if pause_start > counting_from:
            worked = calendar.reading(pause_start) - counted_reading
            if worked >= left:
                break
            left -= worked
        counting_from, counted_reading = pause_end, calendar.reading(pause_end)
    return calendar.instant_at(counted_reading + left)


def _paused_work(calendar: WorkingCalendar, clock_start: int, horizon: int, spans: list[tuple[int, int]]) -> int:
    """The working time in ``spans`` between ``clock_start`` and ``horizon``."""
    paused = 0
    for pause_start, pause_end in spans:
        start, end = max(pause_start, clock_start), min(pause_end, horizon)
        if end > start:
            paused += calendar.reading(end) - calendar.reading(start)
    return paused


@lru_cache(maxsize=1024)
def _at_risk_below(duration: int, at_risk_share: float) -> int:
    """The remaining microseconds below which a timer is at risk (timedelta's rounding of the share)."""
    return timedelta(microseconds=duration) * at_risk_share // _MICROSECOND


def _in_zone(pause: Pause, zone) -> Pause:
    return Pause(pause.start.astimezone(zone), pause.end.astimezone(zone) if pause.end else None, pause.reason)


def _minutes(duration: int) -> int:
    """Microseconds as whole minutes, truncated toward zero (as ``int(timedelta / minute)``)."""
    return int(duration / _US_PER_MINUTE)


# ---------------------------------------------------------------- policies and configuration

@dataclass(frozen=True)
class Policy:
    """The calendar and targets of a service level (R-6, IS-6)."""

    name: str
    calendar: str
    registration: Target
    by_priority: dict[int, Target]  # empty: no resolution timer (``resolution: none``) but by category
    by_category: dict[str, Target] = field(default_factory=dict)
    # IS-6: the first answer to the customer; a category target wins, then the priority's, then ``default``
    first_response_by_priority: dict[int, Target] = field(default_factory=dict)
    first_response_by_category: dict[str, Target] = field(default_factory=dict)
    first_response_default: Target | None = None
    # the timers this policy leaves out (``TicketSla.absent``), computed once
    absent: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        absent = () if self.has_first_response else ("first_response",)
        object.__setattr__(self, "absent", absent + (() if self.has_resolution else ("resolution",)))

    def resolution_target(self, priority: int, category: str | None = None) -> Target | None:
        """None when the policy has no resolution target for the ticket (``resolution: none``)."""
        if category is not None and category in self.by_category:
            return self.by_category[category]
        return self.by_priority.get(priority)

    def first_response_target(self, priority: int | None, category: str | None = None) -> Target | None:
        if category is not None and category in self.first_response_by_category:
            return self.first_response_by_category[category]
        if priority is not None and priority in self.first_response_by_priority:
            return self.first_response_by_priority[priority]
        return self.first_response_default

    @property
    def has_resolution(self) -> bool:
        return bool(self.by_priority or self.by_category)

    @property
    def has_first_response(self) -> bool:
        return bool(self.first_response_by_priority or self.first_response_by_category
                    or self.first_response_default)


REGULATION_POLICY = Policy(
    name=DEFAULT_POLICY,
    calendar=DEFAULT_CALENDAR,
    registration=parse_target(REGISTRATION_TARGET),
    by_priority={p: parse_target(t) for p, t in RESOLUTION_TARGETS.items()},
)


@dataclass
class SlaConfig:
    """The ``calendars:`` and ``sla:`` sections of supportctl.yaml, parsed."""

    calendars: dict[str, CalendarSpec]
    policies: dict[str, Policy]
    default_policy: str = DEFAULT_POLICY
    at_risk_share: float = DEFAULT_AT_RISK_SHARE
    autoclose_after: Target = parse_target(DEFAULT_AUTOCLOSE_AFTER)
    autoclose_calendar: str = ALWAYS_CALENDAR_NAME  # 24x7: calendar time
    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS  # the hold reasons that stop the clock
    _working_calendars: dict[str, WorkingCalendar] = field(default_factory=dict, init=False, repr=False,
                                                           compare=False)
    _terms: dict[tuple, tuple[Policy, WorkingCalendar, Target | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _now: tuple[datetime | None, int] = field(default=(None, 0), init=False, repr=False, compare=False)
    _readings: dict[tuple[str, int], int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def policy_for(self, plan: str | None) -> Policy:
        """The policy a customer's plan names; the default one for no or an unknown plan."""
        return self.policies.get(plan or "", self.policies[self.default_policy])

    def calendar(self, name: str) -> WorkingCalendar:
        if name not in self._working_calendars:
            try:
                self._working_calendars[name] = WorkingCalendar(self.calendars[name])
            except KeyError:
                raise ValueError(f"no calendar {name!r}; known: {', '.join(sorted(self.calendars))}") from None
        return self._working_calendars[name]

    def terms(self, plan: str | None, priority: int | None,
              category: str | None) -> tuple[Policy, WorkingCalendar, Target | None]:
        """The policy, its calendar and the resolution target (None without priority) of a ticket."""
        key = (plan, priority, category)
        terms = self._terms.get(key)
        if terms is None:
            policy = self.policy_for(plan)
            target = None if priority is None else policy.resolution_target(priority, category)
            terms = self._terms[key] = (policy, self.calendar(policy.calendar), target)
        return terms

    def epoch_us(self, now: datetime, calendar: WorkingCalendar) -> int:
        """``now`` in epoch microseconds; remembered, as a listing passes the same ``now`` for every ticket."""
        if now is not self._now[0]:
            self._now = (now, calendar.to_us(now))
        return self._now[1]

    def reading_at(self, calendar_name: str, now_us: int) -> int:
        """The odometer of a calendar at ``now_us``; remembered, as a listing asks it for every ticket."""
        key = (calendar_name, now_us)
        reading = self._readings.get(key)
        if reading is None:
            reading = self._readings[key] = self.calendar(calendar_name).reading(now_us)
        return reading

    def autoclose_at(self, completed_at: datetime) -> datetime:
        """R-4.9: when a completed ticket without a customer answer closes by itself."""
        return self.autoclose_after.deadline(self.calendar(self.autoclose_calendar), completed_at)


_SLA_KEYS = ("default_policy", "at_risk_share", "autoclose_after", "autoclose_calendar", "policies",
             "pause_reasons")
_POLICY_KEYS = ("calendar", "registration", "resolution", "categories", "first_response")


def sla_config_from_dict(cfg: dict[str, Any] | None) -> SlaConfig:
    """Build the SLA configuration from supportctl.yaml; absent keys take the regulation's defaults.

    Calendars without a ``timezone`` take the desk's top-level ``timezone``.
    """
    cfg = cfg or {}
    desk_zone = cfg.get("timezone") or DEFAULT_TIMEZONE
    calendars = _calendars_from_config(_mapping(cfg.get("calendars"), "calendars"), desk_zone)
    sla = _mapping(cfg.get("sla"), "sla")
    _reject_unknown(sla, _SLA_KEYS, "sla")
    policies = {DEFAULT_POLICY: REGULATION_POLICY}
    for name, d in _mapping(sla.get("policies"), "sla.policies").items():
        policies[str(name)] = _policy_from_config(str(name), d)
    config = SlaConfig(
        calendars=calendars,
        policies=policies,
        default_policy=str(sla.get("default_policy") or DEFAULT_POLICY),
        at_risk_share=_share(sla.get("at_risk_share", DEFAULT_AT_RISK_SHARE)),
        autoclose_after=_target(sla.get("autoclose_after") or DEFAULT_AUTOCLOSE_AFTER, "sla.autoclose_after"),
        autoclose_calendar=str(sla.get("autoclose_calendar") or ALWAYS_CALENDAR_NAME),
        pause_reasons=_pause_reasons(sla.get("pause_reasons", DEFAULT_PAUSE_REASONS)),
    )
    _check_references(config)
    return config


def _calendars_from_config(section: dict[str, Any], desk_zone: str) -> dict[str, CalendarSpec]:
    calendars = {
        DEFAULT_CALENDAR: CalendarSpec(),
        ALWAYS_CALENDAR_NAME: replace(ALWAYS, timezone=desk_zone),
    }
    for name, d in section.items():
        d = _mapping(d, f"calendars.{name}")
        calendars[str(name)] = calendar_spec_from_config(str(name), {"timezone": desk_zone, **d})
    return calendars


def _policy_from_config(name: str, d: Any) -> Policy:
    """A named policy; what it does not set comes from the regulation (R-6.2-6.6)."""
    where = f"sla.policies.{name}"
    d = _mapping(d, where)
    _reject_unknown(d, _POLICY_KEYS, where)
    resolution = d.get("resolution")
    first_response = d.get("first_response")
    fr_priorities, fr_categories, fr_default = _first_response_targets(first_response, f"{where}.first_response")
    return Policy(
        name=name,
        calendar=str(d.get("calendar") or DEFAULT_CALENDAR),
        registration=_target(d.get("registration") or REGISTRATION_TARGET, f"{where}.registration"),
        by_priority={} if _is_none(resolution) else _priority_targets(resolution, f"{where}.resolution"),
        by_category={
            str(category): _target(text, f"{where}.categories.{category}")
            for category, text in _mapping(d.get("categories"), f"{where}.categories").items()
        },
        first_response_by_priority=fr_priorities,
        first_response_by_category=fr_categories,
        first_response_default=fr_default,
    )


def _is_none(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "none"


def _first_response_targets(value: Any, where: str) -> tuple[dict[int, Target], dict[str, Target], Target | None]:
    """``first_response``: absent or ``none`` (no such timer), one target, or a mapping of priorities
    (1..4), ``categories`` (category -> target) and ``default``. Nothing comes from the regulation."""
    if value is None or _is_none(value):
        return {}, {}, None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return {}, {}, _target(value, where)
    by_priority: dict[int, Target] = {}
    by_category: dict[str, Target] = {}
    default = None
    for key, text in _mapping(value, where).items():
        if key == "categories":
            by_category = {str(category): _target(t, f"{where}.categories.{category}")
                           for category, t in _mapping(text, f"{where}.categories").items()}
        elif key == "default":
            default = _target(text, f"{where}.default")
        else:
            priority = str(key).lower().removeprefix("p")
            if not priority.isdigit() or int(priority) not in PRIORITIES:
                raise ValueError(f"{where}: unknown key {key!r} (use 1..4, categories or default)")
            by_priority[int(priority)] = _target(text, f"{where}.{key}")
    return by_priority, by_category, default


def _pause_reasons(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, str) for r in value):
        raise ValueError(f"sla.pause_reasons: expected a list of hold reasons, got {value!r}")
    for reason in value:
        if reason not in HOLD_REASONS:
            raise ValueError(f"sla.pause_reasons: unknown hold reason {reason!r} "
                             f"(known: {', '.join(HOLD_REASONS)})")
    return tuple(value)


def _priority_targets(value: Any, where: str) -> dict[int, Target]:
    """A mapping priority -> target over the regulation's, or one target for every priority."""
    targets = dict(REGULATION_POLICY.by_priority)
    if isinstance(value, str):
        return {p: _target(value, where) for p in PRIORITIES}
    for key, text in _mapping(value, where).items():
        priority = str(key).lower().removeprefix("p")
        if not priority.isdigit() or int(priority) not in PRIORITIES:
            raise ValueError(f"{where}: unknown priority {key!r} (use 1..4)")
        targets[int(priority)] = _target(text, f"{where}.{key}")
    return targets


def _check_references(config: SlaConfig) -> None:
    if config.default_policy not in config.policies:
        raise ValueError(f"sla.default_policy: no policy {config.default_policy!r}; "
                         f"known: {', '.join(sorted(config.policies))}")
    if config.autoclose_calendar not in config.calendars:
        raise ValueError(f"sla.autoclose_calendar: no calendar {config.autoclose_calendar!r}")
    for policy in config.policies.values():
        if policy.calendar not in config.calendars:
            raise ValueError(f"sla.policies.{policy.name}.calendar: no calendar {policy.calendar!r}; "
                             f"known: {', '.join(sorted(config.calendars))}")


# The longest target a configuration may set: a year of working time. Longer is a typo, and each
# deadline's calendar walk grows with it (99999999d took minutes for every `list`).
MAX_TARGET = {"d": 250, "h": 2000, "m": 120_000}


def _target(value: Any, where: str) -> Target:
    try:
        target = parse_target(str(value)[:40])
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    if target.amount > MAX_TARGET[target.unit]:
        raise ValueError(f"{where}: target {target} is longer than a year of working time "
                         f"(at most {MAX_TARGET['d']}d, {MAX_TARGET['h']}h or {MAX_TARGET['m']}m)")
    return target


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"sla.at_risk_share: expected a share from 0 to 1 like 0.2, got {value!r}")
    return float(value)


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a mapping, got {value!r}")
    return value


def _reject_unknown(d: dict[Any, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in d if k not in known)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})")


# ---------------------------------------------------------------- tickets

_URGENCY = {"breached": 0, "at_risk": 1, "on_track": 2, "paused": 3}


class TicketSla(NamedTuple):  # a named tuple: immutable and quicker to build than a frozen dataclass
    """The timers of a ticket (R-6.6 registration, IS-6 first response, R-6.2-6.5 resolution)."""

    policy: str
    registration: Timer | None  # None without a receipt time
    resolution: Timer | None  # None while the ticket has no priority, or the policy has no such target
    first_response: Timer | None = None  # None when the policy has no such target (or none for the ticket yet)
    absent: tuple[str, ...] = ()  # the timers the policy leaves out: not shown at all, never as zero

    @property
    def timers(self) -> list[tuple[str, Timer]]:
        """The timers the ticket runs, by name, in the order registration, first_response, resolution."""
        return [(name, timer) for name, timer in (("registration", self.registration),
                                                  ("first_response", self.first_response),
                                                  ("resolution", self.resolution)) if timer is not None]

    @property
    def current(self) -> tuple[str, Timer] | None:
        """The clock that matters now (``current_of``)."""
        return current_of([(name, timer._stopped_at is not None, timer._state, timer._deadline, (name, timer))
                           for name, timer in (("registration", self.registration),
                                               ("first_response", self.first_response),
                                               ("resolution", self.resolution)) if timer is not None])

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"policy": self.policy}
        for name in TIMER_NAMES:
            if name not in self.absent:
                timer = getattr(self, name)
                d[name] = timer.to_dict() if timer else None
        return d


def current_of(timers: list[tuple[str, bool, str, int, Any]]) -> Any:
    """The clock that matters now: the most urgent running one (breached, at risk, on track,
    paused; then the earliest deadline); once all stopped, resolution, else first response,
    else registration. ``timers``: (name, stopped, state, deadline in epoch microseconds, what to
    return) in the order registration, first response, resolution; None without timers."""
    best = None
    for _name, stopped, state, deadline, value in timers:
        if stopped:
            continue
        key = (_URGENCY.get(state, 4), deadline)
        if best is None or key < best[0]:
            best = (key, value)
    if best is not None:
        return best[1]
    return timers[-1][4] if timers else None  # the order puts resolution last


def clock_pauses(pauses: list[Pause]) -> list[Pause]:
    """R-7.9: the pauses that stop the clocks (a hold recorded with ``clock: running`` does not)."""
    for p in pauses:
        if p.clock_runs:
            return [p for p in pauses if not p.clock_runs]
    return pauses


def _earlier_targets(history: list[PriorityPeriod], target_of, calendar: WorkingCalendar,
                     current: Target | None) -> list[tuple[Target | None, int | None, int]] | None:
    """R-6.1: the targets in force before the current priority's, as ``_run`` takes them; None when the
    deadline never changed. Consecutive priorities with the same target are one deadline in force."""
    periods: list[list] = []
    for entry in history:
        target = target_of(entry.priority)
        if periods and periods[-1][0] == target:
            continue
        if periods:
            periods[-1][2] = calendar.to_us(entry.since)
        periods.append([target, entry.priority, None])
    if periods and periods[-1][0] == current:
        periods.pop()
    elif periods:
        # a hand-edited history that does not end with the current priority: that one is still in force
        periods[-1][2] = calendar.to_us(history[-1].since)
    return [tuple(p) for p in periods] or None


def ticket_sla(ticket: Ticket, sla_config: SlaConfig, now: datetime) -> TicketSla:
    if ticket.received_at is None:
        policy = sla_config.policy_for(ticket.plan)
        return TicketSla(policy.name, None, None, None, policy.absent)
    policy, calendar, resolution_target = sla_config.terms(ticket.plan, ticket.priority, ticket.category)
    now_us = sla_config.epoch_us(now, calendar)
    share = sla_config.at_risk_share
    clock = calendar.start_clock(calendar.to_us(ticket.received_at))  # every timer starts at receipt
    # a duplicate merged into another ticket (issue 12): its clocks stop at the merge, the other runs on
    merged = ticket.closed_at if ticket.merged_into else None
    registration = _run(calendar, clock, policy.registration, (), _first(ticket.registered_at, merged),
                        now, now_us, share)
    pauses = clock_pauses(ticket.pauses) if ticket.pauses else ticket.pauses
    history = ticket.priority_history if len(ticket.priority_history) > 1 else None
    category = ticket.category
    resolution = None
    if resolution_target is not None:
        earlier = history and _earlier_targets(history, lambda p: policy.resolution_target(p, category),
                                               calendar, resolution_target)
        resolution = _run(calendar, clock, resolution_target, pauses, _first(ticket.completed_at, merged),
                          now, now_us, share, ticket.priority, earlier)
    first_response = None
    if "first_response" not in policy.absent:
        target = policy.first_response_target(ticket.priority, category)
        if target is not None:
            earlier = history and _earlier_targets(history, lambda p: policy.first_response_target(p, category),
                                                   calendar, target)
            first_response = _run(calendar, clock, target, pauses,
                                  _first(ticket.responded_at or ticket.completed_at, merged),
                                  now, now_us, share, ticket.priority, earlier)
    return TicketSla(policy.name, registration, resolution, first_response, policy.absent)


def _first(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two stops; None when neither happened."""
    return b if a is None else a if b is None else min(a, b)


def registration_due(ticket: Ticket, sla_config: SlaConfig) -> datetime | None:
    """R-6.6: when the ticket must be registered; None without a receipt time."""
    if ticket.received_at is None:
        return None
    policy = sla_config.policy_for(ticket.plan)
    return deadline_of(sla_config.calendar(policy.calendar), ticket.received_at, policy.registration)


def resolution_due(ticket: Ticket, sla_config: SlaConfig) -> datetime | None:
    """R-6.2-6.5: the resolution deadline assuming no further pauses; None without priority or receipt,
    or when the policy has no resolution target."""
    if ticket.priority is None:
        return None
    return _due_from_receipt(ticket, sla_config, lambda p: p.resolution_target(ticket.priority, ticket.category))


def first_response_due(ticket: Ticket, sla_config: SlaConfig) -> datetime | None:
    """IS-6: the first-response deadline assuming no further pauses; None without receipt or target."""
    return _due_from_receipt(ticket, sla_config,
                             lambda p: p.first_response_target(ticket.priority, ticket.category))


def _due_from_receipt(ticket: Ticket, sla_config: SlaConfig, target_of) -> datetime | None:
    """A timer's deadline counted from receipt through the pauses that stop the clock; None without
    receipt or when the ticket's policy has no target for it (``target_of(policy)``)."""
    if ticket.received_at is None:
        return None
    policy = sla_config.policy_for(ticket.plan)
    target = target_of(policy)
    if target is None:
        return None
    return deadline_of(sla_config.calendar(policy.calendar), ticket.received_at, target,
                       clock_pauses(ticket.pauses))


def set_stored_deadlines(ticket: Ticket, sla_config: SlaConfig) -> None:
    """The deadlines a ticket file stores (`registration_due`, `due`, `first_response_due`), as the SLA
    settings make them now: written with every change, refreshed on every read."""
    ticket.registration_due = registration_due(ticket, sla_config)
    ticket.due = resolution_due(ticket, sla_config)
    ticket.first_response_due = first_response_due(ticket, sla_config)


# ---------------------------------------------------------------- states told by comparisons (issue 13)
#
# `list`, `overdue` and `report sla` read every ticket. Once ``now`` has passed every instant a ticket's
# timers depend on (the clock start, pause starts and ends, stops, priority changes) and no clock pause is
# open, nothing in ``_run`` changes with now but the working time counted since that instant: a stopped
# timer keeps its state, elapsed time and breaches; a running one is breached when it already was there (an
# earlier priority's deadline passed, R-6.1) or once now is past its deadline (that deadline then joins its
# breaches); else its remaining time falls by the working time since that instant, and it is at risk below
# the same share. The time the resolution clock stood still no longer grows either. ``ticket_clocks``
# samples ``ticket_sla`` at that instant (the index stores the result); ``clock_states`` answers for any
# later now.

ALWAYS_VALID = -(2 ** 62)  # the clocks of a ticket without receipt (no timers) hold at any now


class ClockState(NamedTuple):
    """One timer of a ticket as of now, told from stored clocks or taken from a ``Timer``."""

    name: str  # registration, first_response or resolution
    state: str
    stopped: bool
    deadline_us: int  # epoch microseconds
    remaining_us: int  # working time left (negative once breached)
    calendar: WorkingCalendar
    duration_us: int = 0  # the target as working time: elapsed = duration_us - remaining_us
    stopped_us: int | None = None  # when the clock stopped, epoch microseconds
    breaches: tuple = ()  # ``Timer.breaches`` in epoch microseconds: ((deadline, priority or None), ...)

    @property
    def deadline(self) -> datetime:
        return self.calendar.from_us(self.deadline_us)

    @property
    def remaining_minutes(self) -> int:
        """As ``Timer.to_dict()["remaining_minutes"]``."""
        return _minutes(self.remaining_us)

    @property
    def elapsed_minutes(self) -> int:
        """As ``Timer.to_dict()["elapsed_minutes"]``."""
        return _minutes(self.duration_us - self.remaining_us)


def paused_us(ticket: Ticket, sla: TicketSla, sla_config: SlaConfig, now: datetime) -> int:
    """The working time the resolution clock stood still up to ``now`` (or its stop), in microseconds
    (R-7.9, R-4.8): what `report sla` counts as paused."""
    res = sla.resolution
    if res is None or not ticket.pauses:
        return 0
    calendar = sla_config.calendar(sla_config.policies[sla.policy].calendar)
    horizon = min(now, res.stopped_at) if res._stopped_at is not None else now
    return (calendar.between(res.started_at, horizon) - res.elapsed) // _MICROSECOND


def timed_in_full(ticket: Ticket, sla_config: SlaConfig, now: datetime) -> tuple[tuple[ClockState, ...], int]:
    """The ticket's timers as of ``now`` and ``paused_us``, computed in full: what ``clock_states`` and
    ``clock_paused_us`` tell from stored clocks, for a ticket whose clocks cannot tell."""
    sla = ticket_sla(ticket, sla_config, now)
    return states_of(sla, sla_config), paused_us(ticket, sla, sla_config, now)


def ticket_clocks(ticket: Ticket, sla_config: SlaConfig) -> tuple | None:
    """(valid from, in epoch microseconds; the policy's calendar; one tuple per timer (name, state if
    stopped else None, deadline, working time left at valid from, at-risk threshold, target duration, stop
    in epoch microseconds or None, breaches at valid from, the priority its own deadline belongs to);
    ``paused_us`` from valid from on), plain data for the index; None while a clock pause is open (the
    state moves with now then: ask ``ticket_sla``)."""
    pauses = clock_pauses(ticket.pauses) if ticket.pauses else ticket.pauses
    if any(p.end is None for p in pauses):
        return None
    policy = sla_config.policy_for(ticket.plan)
    if ticket.received_at is None:
        return ALWAYS_VALID, policy.calendar, (), 0
    _policy, calendar, _target = sla_config.terms(ticket.plan, ticket.priority, ticket.category)
    to_us = calendar.to_us
    instants = [ticket.registered_at, ticket.responded_at, ticket.completed_at, ticket.closed_at,
                *(p.start for p in pauses), *(p.end for p in pauses), *(h.since for h in ticket.priority_history)]
    valid_from = max([calendar.start_clock(to_us(ticket.received_at))[0],
                      *(to_us(t) for t in instants if t is not None)])
    sampled_at = calendar.from_us(valid_from)
    sla = ticket_sla(ticket, sla_config, sampled_at)
    clocks = []
    for name, timer in (("registration", sla.registration), ("first_response", sla.first_response),
                        ("resolution", sla.resolution)):
        if timer is None:
            continue
        stopped = timer._stopped_at is not None
        clocks.append((name, timer._state if stopped else None, timer._deadline, timer._duration - timer._elapsed,
                       0 if stopped else _at_risk_below(timer._duration, sla_config.at_risk_share),
                       timer._duration, to_us(timer._stopped_at) if stopped else None, timer._breaches,
                       None if name == "registration" else ticket.priority))
    return valid_from, policy.calendar, tuple(clocks), paused_us(ticket, sla, sla_config, sampled_at)


def clock_states(clocks: tuple | None, sla_config: SlaConfig, now: datetime) -> tuple[ClockState, ...] | None:
    """The timers of a ticket as of ``now`` from its ``ticket_clocks``, as ``ticket_sla`` would give
    them; None when the clocks cannot tell (an open pause, or ``now`` before their instant)."""
    if clocks is None:
        return None
    valid_from, calendar_name, timers, _paused = clocks
    if not timers:
        return ()
    calendar = sla_config.calendar(calendar_name)
    now_us = sla_config.epoch_us(now, calendar)
    if now_us < valid_from:
        return None
    worked = None
    states = []
    new = tuple.__new__  # a ClockState built without its keyword-taking __new__: 100,000 tickets a report
    for name, stopped_state, deadline, remaining, below, duration, stopped_us, breaches, priority in timers:
        if stopped_state is not None:
            states.append(new(ClockState, (name, stopped_state, True, deadline, remaining, calendar, duration,
                                           stopped_us, breaches)))
            continue
        if worked is None:
            # the working time since that instant (readings have a per-process origin: only differences are stored)
            worked = sla_config.reading_at(calendar_name, now_us) - calendar.reading(valid_from)
        remaining -= worked
        if now_us > deadline and (deadline, priority) not in breaches:
            breaches = (*breaches, (deadline, priority))
        state = "breached" if breaches else "at_risk" if remaining < below else "on_track"
        states.append(new(ClockState, (name, state, False, deadline, remaining, calendar, duration, None, breaches)))
    return tuple(states)


def clock_paused_us(clocks: tuple) -> int:
    """``paused_us`` of a ticket at any now ``clock_states`` answers for."""
    return clocks[3]


def states_of(sla: TicketSla, sla_config: SlaConfig) -> tuple[ClockState, ...]:
    """The timers of a computed ``TicketSla`` as ``ClockState``s."""
    calendar = sla_config.calendar(sla_config.policies[sla.policy].calendar)
    to_us = calendar.to_us
    return tuple(ClockState(name, t._state, t._stopped_at is not None, t._deadline, t._duration - t._elapsed,
                            calendar, t._duration, None if t._stopped_at is None else to_us(t._stopped_at),
                            t._breaches) for name, t in sla.timers)
