"""Generate a realistic desk of N tickets for benchmarks: `python bench/gen_desk.py N PATH`.

Two shapes (--shape):

- busy (the default, issue 13): a support centre with a backlog. Tickets
  received at random through the year of --now (from 1 January) across 50
  organisations, priorities 1-4 uniform; 30 % open and registered (so
  nearly every one is breached at --now), 70 % completed and closed.
- lifecycle: a few hundred tickets a working day from ~60 customers on
  three plans, received during working hours over the months before --now,
  each played through the whole lifecycle (assign, replies, notes, holds,
  completion, a reopen now and then, close); old tickets are closed,
  recent ones spread over every status.

Either way the tickets go through the real lifecycle functions, their
deadlines are set by the real SLA engine, and they are written in the real
formats (codec + yamlio for the ticket file, journal.format_line for the
journal).

The work is split over processes (--jobs, default: all cores); 100,000
tickets take a minute or two. --jsonl FILE also writes the tickets in the
shape `supportctl import` reads (without IDs), to time an import.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from supportctl.desk import journal as journal_file
from supportctl.desk import yamlio
from supportctl.desk.desk import Desk
from supportctl.domain import ids, lifecycle
from supportctl.domain.codec import entry_to_dict, ticket_to_dict, ticket_to_file
from supportctl.domain.customers import Customer
from supportctl.domain.ticket import Contact, Ticket
from supportctl.services import deadlines

PER_DAY = 250  # tickets a working day (lifecycle shape)
BUSY_ORGS = 50
BUSY_OPEN = 0.30  # share of open (registered) tickets in the busy shape
STATION = "T"
SPECIALISTS = ("Рудаков А.", "Иванова Е.", "Петров С.", "Смирнова О.", "Кузнецов Д.", "Попова М.",
               "Соколов И.", "Лебедева Н.")
PRODUCTS = ("СЭД «Дело»", "АРМ Оператора", "Портал госуслуг", "Модуль отчётности", "Шлюз СМЭВ", "1С:Бухгалтерия")
PROBLEMS = (
    ("Не запускается {p}", "После обновления {p} не запускается, в журнале ошибка 0x80070005. Работа отдела остановлена."),
    ("{p} работает медленно", "Формирование отчётов в {p} занимает более 10 минут, раньше — 30 секунд."),
    ("Вопрос по настройке {p}", "Подскажите, как настроить права доступа для новых сотрудников в {p}."),
    ("Доработка {p}", "Просим добавить выгрузку реестра в формате XLSX в {p}."),
    ("Ошибка печати в {p}", "При печати карточки документа из {p} поля съезжают, прикладываем пример."),
)
REPLIES = ("Проверьте, пожалуйста, версию клиента и перезапустите службу.",
           "Направили инструкцию по настройке, см. раздел 4.2 руководства администратора.",
           "Исправление включено в обновление 5.3.1, установите его по ссылке из письма.")
NOTES = ("Воспроизвели на стенде.", "Запросили логи у заказчика.", "Передано разработчикам.",
         "Провел необходимые работы, нашел и устранил причину сбоя.")


def make_customers(rng: random.Random, count: int = 60) -> list[Customer]:
    plans = ["regulation"] * 6 + ["is6"] * 3 + ["premium"]
    kinds = ("ГБУ", "ФГУП", "АО", "ООО", "МКУ")
    places = ("Центр", "Северный", "Волжский", "Уральский", "Сибирский", "Приморский", "Донской", "Балтийский")
    customers = []
    for n in range(1, count + 1):
        org = f"{rng.choice(kinds)} «{rng.choice(places)} информационный центр №{n}»"
        contacts = [Contact(name=f"{rng.choice(('Орлов', 'Зайцева', 'Волков', 'Белова'))} {chr(1040 + k)}. {chr(1042 + n % 20)}.",
                            position=rng.choice(("инженер", "начальник отдела", "администратор")),
                            phone=f"+7 495 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
                            email=f"it{k}@org{n}.ru") for k in range(3)]
        customers.append(Customer(org=org, contract=f"ГК-{2024 + n % 3}/{n:03d}", plan=rng.choice(plans),
                                  products=rng.sample(PRODUCTS, 2), domains=[f"org{n}.ru"], contacts=contacts))
    return customers


def working_instant(rng: random.Random, day: datetime) -> datetime:
    """A moment of a working day (most tickets arrive 09:00-18:00, some in the evening)."""
    hour = rng.choice((9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 19, 22))
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def received_ticket(rng: random.Random, ticket_id: str, received: datetime,
                    customer: Customer) -> tuple[Ticket, Contact]:
    """A new ticket of one of `customer`'s contacts about one of its products, and that contact."""
    product = rng.choice(customer.products)
    subject, text = rng.choice(PROBLEMS)
    contact = rng.choice(customer.contacts)
    t = Ticket(id=ticket_id, subject=subject.format(p=product), text=text.format(p=product) + "\n",
               org=customer.org, contact=contact, contract=customer.contract, plan=customer.plan,
               channel=rng.choice(("email", "email", "email", "portal", "phone")),
               category=rng.choice((None, None, "functional", "layout")), product=product, received_at=received)
    return t, contact


def play(desk: Desk, rng: random.Random, ticket_id: str, received: datetime, now: datetime,
         customer: Customer) -> tuple[Ticket, list]:
    """One ticket through the lifecycle up to `now`; its age decides how far it got."""
    lang, bot = "ru", "supportctl"
    t, contact = received_ticket(rng, ticket_id, received, customer)
    entries = lifecycle.receive(t, received, bot, lang)
    age = now - received
    # the further back, the further along: most older tickets are closed
    stage_roll = rng.random()
    clock = received

    def step(minutes_low: int, minutes_high: int) -> datetime | None:
        nonlocal clock
        nxt = clock + timedelta(minutes=rng.randint(minutes_low, minutes_high))
        if nxt >= now:
            return None
        clock = nxt
        return clock

    at = step(5, 170)
    if at is None or (age < timedelta(hours=3) and stage_roll < 0.5):
        deadlines.refresh(desk, t)
        return t, entries
    who = rng.choice(SPECIALISTS)
    entries += lifecycle.register(t, rng.choices((1, 2, 3, 4), (1, 3, 10, 4))[0], who, at, bot, lang)
    for _ in range(rng.randint(0, 3)):
        at = step(20, 600)
        if at is None:
            break
        if rng.random() < 0.5:
            entries += lifecycle.note(t, rng.choice(NOTES), at, who)
        else:
            entries += lifecycle.reply(t, rng.choice(REPLIES), rng.choice((None, 45, 90)), "email", at, who)
        if t.status == "open" and rng.random() < 0.15:
            entries += lifecycle.hold(t, rng.choice(lifecycle.HOLD_REASONS), "", at, who, lang)
            at = step(60, 4000)
            if at is None:
                break
            entries += lifecycle.customer_message(t, "Логи приложены.", at, contact.email or "")
    recent = age < timedelta(days=20)
    if recent and stage_roll < 0.35:  # still being worked on
        deadlines.refresh(desk, t)
        return t, entries
    at = step(30, 3000)
    if at is None:
        deadlines.refresh(desk, t)
        return t, entries
    entries += lifecycle.complete(t, rng.choice(REPLIES), 60, at, who, lang)
    if rng.random() < 0.05:
        at = step(60, 600)
        if at is not None:
            entries += lifecycle.reopen(t, "Ошибка повторилась.", at, contact.email or "", lang)
            at = step(60, 2000)
            if at is None:
                deadlines.refresh(desk, t)
                return t, entries
            entries += lifecycle.complete(t, rng.choice(REPLIES), 30, at, who, lang)
    at = step(10, 1440)
    if at is not None:
        rating = rng.choice((None, 4, 5, 5, 3))
        entries += lifecycle.close(t, rating, at, contact.email or bot, lang)
    deadlines.refresh(desk, t)
    return t, entries


def play_busy(desk: Desk, rng: random.Random, ticket_id: str, received: datetime, now: datetime,
              customer: Customer) -> tuple[Ticket, list]:
    """Issue 13's busy desk: registered and left open (30 %), or completed and closed (70 %)."""
    lang, bot = "ru", "supportctl"
    t, contact = received_ticket(rng, ticket_id, received, customer)
    entries = lifecycle.receive(t, received, bot, lang)
    clock = received

    def step(minutes_low: int, minutes_high: int) -> datetime:
        # never past `now`: a ticket received a minute ago is still registered (and closed) before it
        nonlocal clock
        room = (now - clock) / 4
        clock += min(timedelta(minutes=rng.randint(minutes_low, minutes_high)), room)
        return clock

    who = rng.choice(SPECIALISTS)
    entries += lifecycle.register(t, rng.randint(1, 4), who, step(5, 170), bot, lang)
    if rng.random() >= BUSY_OPEN:
        entries += lifecycle.reply(t, rng.choice(REPLIES), None, "email", step(20, 600), who)
        entries += lifecycle.complete(t, rng.choice(REPLIES), 60, step(30, 3000), who, lang)
        entries += lifecycle.close(t, rng.choice((None, 4, 5, 5, 3)), step(10, 1440), contact.email or bot, lang)
    deadlines.refresh(desk, t)
    return t, entries


def _busy_received(rng: random.Random, n: int, total: int, now: datetime) -> datetime:
    """Uniform over [1 January of now's year, now), stratified by n so that IDs grow with time."""
    start = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    span = (now - start).total_seconds()
    return start + timedelta(seconds=int(span * (n + rng.random()) / total))


def _chunk(args: tuple) -> int:
    root, start, stop, total, seed, now_iso, jsonl, shape = args
    desk = Desk(Path(root))
    tz = desk.tz
    now = datetime.fromisoformat(now_iso)
    rng = random.Random(seed * 1_000_003 + start)
    customers = desk.customers()
    busy = shape == "busy"
    if busy:
        customers = customers[:BUSY_ORGS]
    else:
        days = _working_days(now, total)
    lines: list[str] = []
    for n in range(start, stop):
        ticket_id = ids.format_id(STATION, n + 1)
        if busy:
            received = _busy_received(rng, n, total, now).astimezone(tz)
            t, entries = play_busy(desk, rng, ticket_id, received, now, rng.choice(customers))
            if jsonl:
                row = ticket_to_dict(t, tz)
                del row["id"]
                row["history"] = [entry_to_dict(e, tz) for e in entries]
                lines.append(json.dumps(row, ensure_ascii=False))
            else:
                _write(desk, ticket_id, t, entries, tz)
            continue
        # PER_DAY tickets a working day, oldest first: IDs grow with time
        received = working_instant(rng, days[n // PER_DAY]).astimezone(tz)
        if received >= now:
            received = now - timedelta(minutes=rng.randint(1, 120))
        t, entries = play(desk, rng, ticket_id, received, now, rng.choice(customers))
        if jsonl:
            row = ticket_to_dict(t, tz)
            del row["id"]
            row["history"] = [entry_to_dict(e, tz) for e in entries]
            lines.append(json.dumps(row, ensure_ascii=False))
        else:
            _write(desk, ticket_id, t, entries, tz)
    if jsonl:
        with open(jsonl, "a", encoding="utf-8") as f:  # one write per chunk: lines stay whole
            f.write("".join(line + "\n" for line in lines))
    return stop - start


def _write(desk: Desk, ticket_id: str, t: Ticket, entries: list, tz) -> None:
    (desk.tickets_dir / f"{ticket_id}.yaml").write_text(yamlio.dumps(ticket_to_file(t, tz)), encoding="utf-8")
    (desk.journal_dir / f"{ticket_id}.yaml").write_text(
        "".join(journal_file.format_line(e, tz) + "\n" for e in entries), encoding="utf-8")


def _working_days(now: datetime, total: int) -> list[datetime]:
    """The working days (Mon-Fri) up to `now`'s, oldest first, enough for `total` tickets."""
    days: list[datetime] = []
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    while len(days) <= total // PER_DAY:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def generate(root: Path, count: int, *, seed: int = 1, now: datetime, jobs: int | None = None,
             jsonl: Path | None = None, shape: str = "busy") -> None:
    from supportctl.services.setup import init_desk

    root = root.resolve()
    if jsonl is None:
        desk = init_desk(root)
        rng = random.Random(seed)
        desk.save_customers(make_customers(rng))
        desk.set_station(STATION)
        (desk.state_dir / f"seq-{STATION}").write_text(f"{count}\n")
    else:
        jsonl.unlink(missing_ok=True)
        desk = Desk(root)  # an existing desk provides the customers, the calendar and the zone
        if not desk.customers():
            desk.save_customers(make_customers(random.Random(seed)))
    jobs = jobs or os.cpu_count() or 1
    size = max(1, min(5000, count // (jobs * 4) or 1))
    chunks = [(str(root), a, min(count, a + size), count, seed, now.isoformat(), str(jsonl) if jsonl else None,
               shape) for a in range(0, count, size)]
    if jobs == 1:
        done = sum(map(_chunk, chunks))
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = sum(pool.imap_unordered(_chunk, chunks))
    assert done == count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, help="number of tickets, e.g. 1000, 10000, 100000")
    ap.add_argument("path", type=Path, help="folder of the new desk (must not be a desk yet)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", default="2026-11-24T10:00:00+03:00", help="the moment the desk is seen at")
    ap.add_argument("--shape", choices=("busy", "lifecycle"), default="busy", help="see above")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--jsonl", type=Path, default=None,
                    help="write JSON Lines for `supportctl import` instead (PATH must be an existing desk)")
    a = ap.parse_args(argv)
    started = time.perf_counter()
    generate(a.path, a.count, seed=a.seed, now=datetime.fromisoformat(a.now), jobs=a.jobs, jsonl=a.jsonl,
             shape=a.shape)
    what = a.jsonl or a.path
    print(f"{a.count} tickets in {what} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
