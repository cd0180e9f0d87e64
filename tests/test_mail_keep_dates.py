"""Issue 11 §7: `mail ingest --mbox/--maildir --keep-dates` keeps the real received times of a migration:
the mail's Date: when sane, else the arrival time (the mbox "From " line, the Maildir delivery), warned."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest
from mailkit import configure_mail, deliver_to, make_maildir

NOW = "2026-11-30T10:00:00+03:00"


def raw_mail(n: int, date: str | None) -> bytes:
    head = f"From: Смирнова <smirnova@barrier.ru>\nTo: support@desk.example\nSubject: Вопрос {n}\n"
    if date is not None:
        head += f"Date: {date}\n"
    return (head + f"Message-ID: <m{n}@barrier.ru>\nContent-Type: text/plain; charset=utf-8\n\nТекст {n}\n").encode()


# (Date: header, mbox "From " line time (UTC), hand-computed received_at, warned)
CASES = [
    ("Mon, 16 Nov 2026 10:00:00 +0300", "Mon Nov 16 07:05:00 2026", "2026-11-16T10:00:00+03:00", False),
    ("Fri, 13 Nov 2026 16:20:00 +0000", "Fri Nov 13 16:21:00 2026", "2026-11-13T19:20:00+03:00", False),
    # in the future: the arrival time of the From line (UTC → Moscow)
    ("Mon, 4 Jan 2027 10:00:00 +0300", "Mon Nov 16 08:30:00 2026", "2026-11-16T11:30:00+03:00", True),
    # before 2000: a client with a dead clock battery
    ("Thu, 1 Jan 1980 00:00:00 +0000", "Tue Nov 17 06:00:00 2026", "2026-11-17T09:00:00+03:00", True),
    # no Date: at all
    (None, "Wed Nov 18 12:00:00 2026", "2026-11-18T15:00:00+03:00", True),
    # a Date: without a zone, and a From line without a usable time: the import time
    ("Mon, 16 Nov 2026 10:00:00", "somewhere", NOW, True),
]


def write_mbox(path, cases) -> None:
    parts = []
    for n, (date, from_time, _, _) in enumerate(cases, 1):
        parts.append(f"From smirnova@barrier.ru {from_time}\n".encode() + raw_mail(n, date) + b"\n")
    path.write_bytes(b"".join(parts))


def received(cli, ids) -> list[str]:
    tickets = {t["id"]: t for t in json.loads(cli("list", "--json", now=NOW).stdout)}
    return [tickets[i]["received_at"] for i in ids]


def test_keep_dates_takes_the_mail_date_or_the_arrival_time_with_a_warning(desk, cli, tmp_path):
    configure_mail(desk.root)
    box = tmp_path / "archive.mbox"
    write_mbox(box, CASES)
    r = cli("mail", "ingest", "--mbox", str(box), "--keep-dates", "--json", now=NOW)
    assert r.exit_code == 0, r.stderr
    ids = [o["ticket"] for o in json.loads(r.stdout)]
    assert received(cli, ids) == [c[2] for c in CASES]
    warned = [line for line in r.stderr.splitlines() if "warning" in line]
    assert [f"archive.mbox#{n}:" in " ".join(warned) for n in range(1, len(CASES) + 1)] == [c[3] for c in CASES]
    assert "in the future" in warned[0] and "before 2000" in warned[1] and "no usable Date:" in warned[2]
    # the SLA clock starts at the kept time: registered within 3 working hours of Mon 16.11 10:00
    sla = json.loads(cli("sla", ids[0], "--json", now=NOW).stdout)
    assert sla["registration"]["deadline"] == "2026-11-16T13:00:00+03:00"


def test_without_keep_dates_every_mail_is_received_at_the_import(desk, cli, tmp_path):
    configure_mail(desk.root)
    box = tmp_path / "archive.mbox"
    write_mbox(box, CASES[:2])
    r = cli("mail", "ingest", "--mbox", str(box), "--json", now=NOW)
    assert received(cli, [o["ticket"] for o in json.loads(r.stdout)]) == [NOW, NOW]


def test_keep_dates_in_a_maildir_falls_back_to_the_delivery_time(desk, cli, tmp_path):
    configure_mail(desk.root)
    maildir = make_maildir(tmp_path / "Maildir")
    good = deliver_to(maildir, "a", raw_mail(1, "Mon, 16 Nov 2026 10:00:00 +0300"))
    future = deliver_to(maildir, "b", raw_mail(2, "Mon, 4 Jan 2027 10:00:00 +0300"))
    delivered = datetime(2026, 11, 20, 9, 15, tzinfo=timezone.utc).timestamp()
    os.utime(good, (delivered - 60, delivered - 60))
    os.utime(future, (delivered, delivered))
    r = cli("mail", "ingest", "--maildir", str(maildir), "--keep-dates", "--json", now=NOW)
    ids = [o["ticket"] for o in json.loads(r.stdout)]
    assert received(cli, ids) == ["2026-11-16T10:00:00+03:00", "2026-11-20T12:15:00+03:00"]
    assert "in the future" in r.stderr and "Maildir/new/" in r.stderr


def test_keep_dates_needs_mbox_or_maildir(desk, cli):
    r = cli("mail", "ingest", "--keep-dates", input="x", now=NOW)
    assert r.exit_code == 2 and "--keep-dates goes with --mbox or --maildir" in r.stderr


@pytest.mark.parametrize("date, expected_kept", [
    (datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc), True),    # exactly now: kept
    (datetime(2026, 11, 30, 7, 0, 1, tzinfo=timezone.utc), False),  # a second after now
    (datetime(2000, 1, 1, tzinfo=timezone.utc), True),
    (datetime(1999, 12, 31, 23, 59, tzinfo=timezone.utc), False),
])
def test_kept_date_bounds(date, expected_kept):
    from supportctl.services.mail_intake import kept_date

    now = datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
    arrival = datetime(2026, 11, 29, tzinfo=timezone.utc)
    kept, why = kept_date(date, arrival, now)
    assert (kept == date and why is None) if expected_kept else (kept == arrival and why)
