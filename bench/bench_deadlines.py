"""Deadline computations per second (issue 3: at least 200,000 on the project machine).

Run: python bench/bench_deadlines.py [--count N] [--seed S]

Starts are spread uniformly over 2024-2027 (in and out of working hours,
holidays included), priorities 1-4 mixed (4h, 8h, 5d, 10d under the
regulation). Three levels are timed, best of --repeat runs each:
- calendar: ``Target.deadline(calendar, start)``, the working-time arithmetic;
- due: ``resolution_due(ticket, sla)``, what a service calls (plan -> policy
  -> calendar -> target -> deadline), one ticket in seven with a closed pause;
- timer: ``ticket_sla(ticket, sla, now)``, both timers with their states, over
  the same tickets given a life: every one registered 1-180 minutes after
  receipt, half of them completed, one in twenty-five reopened; then apart
  over the typical ones (registered, no pauses) and over the paused or
  reopened ones. The results are kept, as a listing keeps them.
The yearly intervals are built once, on first use; that cost is printed apart.
As in ``timeit``, the garbage collector is paused while a run is timed: its
passes over the benchmark's own 200,000 tickets would otherwise cost about a
third of the timer rows, a cost of the process rather than of the arithmetic.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supportctl.domain.sla import resolution_due, sla_config_from_dict, ticket_sla  # noqa: E402
from supportctl.domain.ticket import Pause, Ticket  # noqa: E402

GOAL_PER_SECOND = 200_000
TIMER_GOAL_PER_SECOND = 150_000  # issue 7: list, overdue and report sla over 100,000 tickets
MOSCOW = ZoneInfo("Europe/Moscow")
SPREAD_START = datetime(2024, 1, 1, tzinfo=MOSCOW)
SPREAD_SECONDS = int((datetime(2028, 1, 1, tzinfo=MOSCOW) - SPREAD_START).total_seconds())


def random_tickets(count: int, rng: random.Random) -> list[Ticket]:
    tickets = []
    for number in range(count):
        received = SPREAD_START + timedelta(seconds=rng.randrange(SPREAD_SECONDS))
        pauses = []
        if rng.random() < 0.1:
            pause_start = received + timedelta(hours=rng.randrange(1, 48))
            pauses.append(Pause(pause_start, pause_start + timedelta(hours=rng.randrange(1, 72)), "customer"))
        tickets.append(Ticket(id=f"T-{number}", priority=rng.randint(1, 4), received_at=received, pauses=pauses))
    return tickets


def give_lives(tickets: list[Ticket], rng: random.Random) -> None:
    """Registration, completion and reopening, drawn from their own stream (the starts stay the same)."""
    for t in tickets:
        t.registered_at = t.received_at + timedelta(minutes=rng.randrange(1, 181))
        if rng.random() < 0.5:
            t.completed_at = t.received_at + timedelta(hours=rng.randrange(2, 240))
            if rng.random() < 0.08:  # reopened, then completed again
                reopened = t.completed_at + timedelta(hours=rng.randrange(1, 24))
                t.pauses.append(Pause(t.completed_at, reopened, "completed"))
                t.completed_at = reopened + timedelta(hours=rng.randrange(1, 48))


def best_rate(run, count: int, repeat: int) -> float:
    best = min(_timed(run) for _ in range(repeat))
    return count / best


def _timed(run) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started
    finally:
        gc.enable()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sla = sla_config_from_dict({})
    policy = sla.policy_for(None)
    calendar = sla.calendar(policy.calendar)
    tickets = random_tickets(args.count, random.Random(args.seed))
    jobs = [(t.received_at, policy.resolution_target(t.priority)) for t in tickets]
    now = datetime(2026, 6, 1, 12, 0, tzinfo=MOSCOW)

    give_lives(tickets, random.Random(args.seed + 1))
    typical = [t for t in tickets if not t.pauses]
    paused = [t for t in tickets if t.pauses]

    first_use = _timed(lambda: [calendar.add(datetime(year, 1, 1, tzinfo=MOSCOW), timedelta(hours=1))
                                for year in range(2024, 2029)])
    print(f"first use: yearly intervals 2024-2028 built in {first_use:.3f} s")

    rates = {
        "calendar": best_rate(lambda: [target.deadline(calendar, start) for start, target in jobs],
                              args.count, args.repeat),
        "due": best_rate(lambda: [resolution_due(t, sla) for t in tickets], args.count, args.repeat),
        "timer": best_rate(lambda: [ticket_sla(t, sla, now) for t in tickets], args.count, args.repeat),
        "typical": best_rate(lambda: [ticket_sla(t, sla, now) for t in typical], len(typical), args.repeat),
        "paused": best_rate(lambda: [ticket_sla(t, sla, now) for t in paused], len(paused), args.repeat),
    }
    for level, rate in rates.items():
        unit = "deadline computations" if level in ("calendar", "due") else "tickets' two timers"
        print(f"{level:>8}: {rate:>10,.0f} {unit} per second")
    print(f"({len(typical):,} typical tickets, {len(paused):,} paused or reopened)")
    passed = rates["calendar"] >= GOAL_PER_SECOND and rates["timer"] >= TIMER_GOAL_PER_SECOND
    print(f"{'PASS' if passed else 'FAIL'}: goals {GOAL_PER_SECOND:,} deadlines and {TIMER_GOAL_PER_SECOND:,} "
          f"ticket timers per second ({args.count:,} starts over 2024-2027, P1-P4 mixed)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
