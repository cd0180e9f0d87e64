"""`check`: everything wrong with a desk, each problem named with its file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from supportctl.desk.config import CONFIG_FILE
from supportctl.desk.desk import DamagedFile, Desk
from supportctl.domain import ids
from supportctl.domain.lifecycle import STATUSES
from supportctl.errors import SupportError


@dataclass
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_desk(desk: Desk) -> list[Problem]:
    problems: list[Problem] = []
    for name in (CONFIG_FILE, "customers.yaml"):
        problems += _conflict_markers(desk.root / name)
    try:
        desk.config
        desk.sla
        desk.customers()
    except SupportError as exc:
        problems.append(Problem(desk.root, str(exc)))
    ticket_ids = set(desk.ticket_ids())
    seen: dict[str, Path] = {}
    for item in desk.iter_tickets():
        if isinstance(item, DamagedFile):
            problems += _conflict_markers(item.path) or [Problem(item.path, item.message)]
            continue
        path = desk.ticket_path(item.id)
        if item.id in seen:
            problems.append(Problem(path, f"the ID {item.id} is used twice (also {seen[item.id]})"))
        seen[item.id] = path
        if item.status not in STATUSES:
            problems.append(Problem(path, f"unknown status {item.status!r}"))
        if item.priority is not None and item.priority not in (1, 2, 3, 4):
            problems.append(Problem(path, f"invalid priority {item.priority!r}"))
        if item.status != "new" and item.priority is None:
            problems.append(Problem(path, f"status {item.status} but no priority (never registered)"))
        for other in item.related:
            if other not in ticket_ids:
                problems.append(Problem(path, f"related ticket {other} does not exist"))
    problems += _check_journals(desk, ticket_ids)
    problems += _stray_files(desk)
    return problems


def _check_journals(desk: Desk, ticket_ids: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    try:
        names = sorted(os.listdir(desk.journal_dir))
    except FileNotFoundError:
        return [Problem(desk.journal_dir, "the journal folder is missing")]
    for name in names:
        if not name.endswith(".yaml"):
            continue
        stem = name[:-5]
        path = desk.journal_dir / name
        if not ids.ID_RE.match(stem):
            problems.append(Problem(path, "not named after a ticket ID"))
            continue
        if stem not in ticket_ids:
            problems.append(Problem(path, f"journal of {stem}, but there is no ticket {stem}"))
        _, broken = desk.read_journal(stem)
        problems += [Problem(p.path, f"line {p.line}: {p.message}") for p in broken]
    for ticket_id in ticket_ids:
        if not desk.journal_path(ticket_id).exists():
            problems.append(Problem(desk.journal_path(ticket_id), f"ticket {ticket_id} has no journal"))
    return problems


def _stray_files(desk: Desk) -> list[Problem]:
    try:
        names = os.listdir(desk.tickets_dir)
    except FileNotFoundError:
        return [Problem(desk.tickets_dir, "the tickets folder is missing")]
    return [Problem(desk.tickets_dir / n, "not a ticket file (tickets are named like T-0042.yaml)")
            for n in sorted(names)
            if n != ".gitkeep" and not n.startswith(".") and not (n.endswith(".yaml") and ids.ID_RE.match(n[:-5]))]


def _conflict_markers(path: Path) -> list[Problem]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.startswith((b"<<<<<<< ", b">>>>>>> ")) or line == b"=======":
            return [Problem(path, f"line {n}: leftover merge-conflict marker; resolve the conflict "
                                  "(see README, 'Working as a team')")]
    return []
