"""`check`: everything wrong with a desk, each problem named with its file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from supportctl.desk.config import CONFIG_FILE
from supportctl.desk import yamlio
from supportctl.desk.desk import DamagedFile, Desk
from supportctl.desk.yamlio import read_regular
from supportctl.domain import ids
from supportctl.errors import SupportError


@dataclass
class Problem:
    path: Path
    message: str
    note: bool = False  # a remark that does not make the desk inconsistent (exit 0)
    fields: tuple[str, ...] = ()  # of a ticket file's merge conflict

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_desk(desk: Desk) -> list[Problem]:
    problems: list[Problem] = []
    try:
        repairs = desk.recover()  # a command or an import killed midway is rolled back first (desk/undo.py)
    except OSError as exc:  # a read-only clone: read it as it is
        repairs = []
        problems.append(Problem(desk.state_dir, f"a killed command's changes could not be rolled back "
                                                f"({exc.strerror or exc}); run any supportctl command where "
                                                "the desk is writable"))
    for repair in repairs:
        where = desk.ticket_path(repair.ticket_id) if repair.ticket_id else desk.state_dir
        problems.append(Problem(where, f"repaired: {repair.message}", note=True))
    for name in (CONFIG_FILE, "customers.yaml"):
        problems += _conflict_markers(desk.root / name)
    try:
        desk.config
        desk.sla
        desk.customers()
    except SupportError as exc:
        problems.append(Problem(desk.root, str(exc)))
    ticket_ids = set(desk.ticket_ids())
    seen: dict[tuple[str, int], Path] = {}
    for item in desk.iter_tickets():
        if isinstance(item, DamagedFile):
            problems += ticket_conflicts(item.path) or [Problem(item.path, _without_path(item.path, item.message))]
            continue
        path = desk.ticket_path(item.id)
        problems += ticket_conflicts(path)
        number = ids.split_id(item.id)  # T-42 and T-0042 are one ID
        if number in seen:
            problems.append(Problem(path, f"the ID {item.id} is used twice (also {seen[number]})"))
        seen[number] = path
        for other in item.related:
            if other not in ticket_ids:
                problems.append(Problem(path, f"related ticket {other} does not exist"))
        if item.merged_into and item.merged_into not in ticket_ids:
            problems.append(Problem(path, f"merged into ticket {item.merged_into}, which does not exist"))
        problems += _stale_deadlines(desk, item, path)
    problems += _check_journals(desk, ticket_ids)
    problems += _stray_files(desk)
    problems += _symlinks(desk)
    problems += unknown_keys(desk)
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
        entries, broken = desk.read_journal(stem)
        problems += [Problem(p.path, f"line {p.line}: {p.message}" if p.line else p.message) for p in broken]
        problems += _journal_story(path, stem, entries)
    for ticket_id in ticket_ids:
        if not desk.journal_path(ticket_id).exists():
            problems.append(Problem(desk.journal_path(ticket_id), f"ticket {ticket_id} has no journal"))
    return problems


def _journal_story(path: Path, ticket_id: str, entries: list) -> list[Problem]:
    """Two tickets merged under one ID, and entries a merge put out of time order."""
    problems: list[Problem] = []
    received = [e for e in entries if e.kind == "received"]
    if len(received) > 1:
        who = "; ".join(f"{e.by} at {e.at.isoformat(timespec='minutes')}" for e in received)
        problems.append(Problem(path, f"the ID {ticket_id} is used twice: its journal records "
                                      f"{len(received)} receipts ({who}); give one ticket a new ID "
                                      "(see docs/team.md)"))
    own = [e for e in entries if e.kind != "merged_copy"]  # a merged duplicate's entries keep their times
    if any(b.at < a.at for a, b in zip(own, own[1:])):
        problems.append(Problem(path, "entries are out of time order (a merge appended them so); "
                                      "they are shown in time order", note=True))
    return problems


def ticket_conflicts(path: Path) -> list[Problem]:
    """Merge-conflict regions in a ticket file, each named by the fields it holds."""
    try:
        data = read_regular(path)
    except (OSError, SupportError):  # not readable: reported as a damaged file
        return []
    if b"<<<<<<<" not in data and b"=======" not in data:
        return []
    lines = data.decode("utf-8", errors="replace").split("\n")
    problems: list[Problem] = []
    field = None  # the top-level key of the line above
    region: list[int] = []
    sides: list[list[str]] = [[], []]
    for n, line in enumerate(lines, 1):
        if line.startswith("<<<<<<<"):
            region, sides, in_base = [n], [[], []], False
            start_field, labels = field, [line[8:].strip() or "ours", "theirs"]
            continue
        if region:
            if line.startswith("|||||||"):  # diff3 style: the common ancestor follows, not shown
                in_base = True
            elif line.startswith("=======") and len(region) == 1:
                region.append(n)
                in_base = False
            elif line.startswith(">>>>>>>"):
                labels[1] = line[8:].strip() or "theirs"
                problems.append(_conflict_problem(path, region[0], start_field, sides, labels))
                region = []
            elif not in_base:
                sides[len(region) - 1].append(line)
            continue
        if (m := _KEY.match(line)):
            field = m.group(1)
    if region:
        problems.append(Problem(path, f"line {region[0]}: unfinished merge-conflict region; resolve it "
                                      "(see docs/team.md)"))
    return problems or _conflict_markers(path)


_KEY = re.compile(r"^([A-Za-z_][\w]*):")


def _without_path(path: Path, message: str) -> str:
    """A damaged file's message without its own path in front (the problem line names the file)."""
    m = re.match(re.escape(str(path)) + r"(?::(\d+))?: ", message)
    if not m:
        return message
    return (f"line {m.group(1)}: " if m.group(1) else "") + message[m.end():]


def _conflict_problem(path: Path, line: int, field_above: str | None, sides: list[list[str]],
                      labels: list[str]) -> Problem:
    fields: list[str] = []
    for side in sides:
        if side and not _KEY.match(side[0]) and field_above and field_above not in fields:
            fields.append(field_above)  # the region starts inside the field above it
        for text in side:
            if (m := _KEY.match(text)) and m.group(1) not in fields:
                fields.append(m.group(1))
    named = ", ".join(fields) or "?"

    def shown(text: str, limit: int) -> str:
        return text if len(text) <= limit else text[:limit - 3] + "..."

    versions = " vs ".join(f"{shown(label, 40)}: {shown(' / '.join(x.strip() for x in side if x.strip()), 60)!r}"
                           for label, side in zip(labels, sides))
    from supportctl.domain.merge import RUNNING_TOTALS

    # A running total keeps both sides' additions (R-5.2): one version would lose the other's time.
    totals = [f for f in fields if f in RUNNING_TOTALS]
    advice = (f"{', '.join(totals)} is a running total: set it to the sum of both sides' additions (the total of "
              "the spent_minutes in the ticket's journal), never one version; "
              + ("keep one version of the others, " if len(totals) < len(fields) else "")
              if totals else "keep one version, ")
    return Problem(path, f"line {line}: leftover merge-conflict marker: field {named} changed on both sides: {versions}; "
                         f"{advice}delete the marker lines (see docs/team.md)",
                   fields=tuple(fields))


def _stray_files(desk: Desk) -> list[Problem]:
    try:
        names = os.listdir(desk.tickets_dir)
    except FileNotFoundError:
        return [Problem(desk.tickets_dir, "the tickets folder is missing")]
    return [Problem(desk.tickets_dir / n, "not a ticket file (tickets are named like T-0042.yaml)")
            for n in sorted(names)
            if n != ".gitkeep" and not n.startswith(".") and not (n.endswith(".yaml") and ids.ID_RE.match(n[:-5]))]


def _symlinks(desk: Desk) -> list[Problem]:
    """Git can check out a symlink; a write through one would land outside the desk (writes refuse them)."""
    problems: list[Problem] = []
    for top in (desk.tickets_dir, desk.journal_dir, desk.attachments_dir):
        if top.is_symlink():
            problems.append(Problem(top, f"a symbolic link (to {os.readlink(top)}); the desk's folders must be real"))
            continue
        for root, dirs, files in os.walk(top):
            for name in sorted(dirs + files):
                path = Path(root) / name
                if path.is_symlink():
                    problems.append(Problem(path, f"a symbolic link (to {os.readlink(path)}); "
                                                  "replace it with the file itself or remove it"))
    return problems


_TOP_KEY = re.compile(rb"^([^\s#:'\"-][^:\n]*):(?:[ \t]|$)", re.M)


def unknown_keys(desk: Desk) -> list[Problem]:
    """Keys of ticket files and customers.yaml this version does not know (a typo, a newer supportctl,
    a team's own notes): kept when the tool writes the file, listed here as notes, not errors."""
    from supportctl.domain.codec import FILE_KEYS, OPTIONAL_FILE_KEYS
    from supportctl.domain.customers import Customer
    from supportctl.domain.ticket import Contact

    found: list[Problem] = []

    def note(path: Path, where: str, keys) -> None:
        if keys:
            found.append(Problem(path, f"{where}unknown key(s) {', '.join(sorted(map(str, keys)))}; "
                                       "supportctl keeps them but does not use them", note=True))

    for ticket_id in desk.ticket_ids():
        path = desk.ticket_path(ticket_id)
        try:
            head = yamlio.read_regular(path)  # the top-level keys are read as text: no YAML parse per ticket
        except (OSError, SupportError):
            continue  # not a readable ticket file: check_desk names it
        note(path, "", {m.decode("utf-8", "replace") for m in _TOP_KEY.findall(head)}
             - FILE_KEYS - set(OPTIONAL_FILE_KEYS))
    try:
        customers = (yamlio.load(desk.customers_path) or {}).get("customers") or []
    except (OSError, SupportError, AttributeError):
        return found  # a missing or broken customers.yaml is reported by check_desk itself
    customer_keys = set(Customer(org="").to_dict())
    contact_keys = set(Contact().to_dict())
    for item in customers if isinstance(customers, list) else []:
        if not isinstance(item, dict):
            continue
        org = item.get("org")
        note(desk.customers_path, f"customer {org}: ", set(item) - customer_keys)
        for contact in item.get("contacts") or []:
            if isinstance(contact, dict):
                who = contact.get("email") or contact.get("name")
                note(desk.customers_path, f"customer {org}, contact {who}: ", set(contact) - contact_keys)
    return found


def _conflict_markers(path: Path) -> list[Problem]:
    try:
        data = read_regular(path)
    except (OSError, SupportError):  # not readable: reported when the file is loaded
        return []
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.startswith((b"<<<<<<< ", b">>>>>>> ")) or line == b"=======":
            return [Problem(path, f"line {n}: leftover merge-conflict marker; resolve the conflict "
                                  "(see docs/team.md)")]
    return []


_STORED_DEADLINE = re.compile(r"^(registration_due|due): *'?([^'\n]*)'?\s*$", re.M)


def _stale_deadlines(desk: Desk, ticket, path: Path) -> list[Problem]:
    """Issue 11 §4: a deadline stored in the file that the current supportctl.yaml and calendar data
    no longer give (``ticket`` comes with them recomputed). Every command already shows the new one;
    the file keeps the old until the ticket next changes, so it is a note."""
    from supportctl.domain.values import format_local, load_instant

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    problems = []
    for name, raw in _STORED_DEADLINE.findall(text):
        try:
            stored = None if raw.strip() in ("", "null", "~") else load_instant(raw.strip())
        except ValueError:
            continue
        current = getattr(ticket, name)
        if stored != current:
            problems.append(Problem(path, f"stored {name} {format_local(stored, desk.tz) or 'none'} differs from "
                                          f"{format_local(current, desk.tz) or 'none'} under the current settings "
                                          "and calendar (the next change of the ticket stores it)", note=True))
    return problems
