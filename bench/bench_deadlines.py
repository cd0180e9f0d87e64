"""Deadline computations per second (issue 3: at least 200,000 on the project machine).

Run: python bench/bench_deadlines.py [--count N] [--seed S]

Starts are spread uniformly over 2024-2027 (in and out of working hours,
holidays included), priorities 1-4 mixed (4h, 8h, 5d, 10d under the
regulation). Three levels are timed, best of --repeat runs each:
- calendar: ``Target.deadline(calendar, start)``, the working-time arithmetic;
- due: ``resolution_due(ticket, sla)``, what a service calls (plan -> policy
  -> calendar -> target -> deadline), one ticket in ten with a closed pause;
- timer: ``ticket_sla(ticket, sla, now)``, both timers with their states.
The yearly intervals are built once, on first use; that cost is printed apart.
"""

from __future__ import annotations

import argparse
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


def best_rate(run, count: int, repeat: int) -> float:
    best = min(_timed(run) for _ in range(repeat))
    return count / best


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


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

    started = time.perf_counter()
    for year in range(2024, 2029):
        calendar.add(datetime(year, 1, 1, tzinfo=MOSCOW), timedelta(hours=1))
    print(f"first use: yearly intervals 2024-2028 built in {time.perf_counter() - started:.3f} s")

    rates = {
        "calendar": best_rate(lambda: [target.deadline(calendar, start) for start, target in jobs],
                              args.count, args.repeat),
        "due": best_rate(lambda: [resolution_due(t, sla) for t in tickets], args.count, args.repeat),
        "timer": best_rate(lambda: [ticket_sla(t, sla, now) for t in tickets], args.count, args.repeat),
    }
    for level, rate in rates.items():
        print(f"{level:>8}: {rate:>10,.0f} deadline computations per second")
    verdict = "PASS" if rates["calendar"] >= GOAL_PER_SECOND else "FAIL"
    print(f"{verdict}: goal {GOAL_PER_SECOND:,} per second ({args.count:,} starts over 2024-2027, P1-P4 mixed)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
