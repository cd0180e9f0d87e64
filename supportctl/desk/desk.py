"""The desk on disk: where its files are, and reading and writing tickets, journals, customers."""

from __future__ import annotations

import getpass
import os
import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from supportctl.desk import journal as journal_file
from supportctl.desk import yamlio
from supportctl.desk.config import CONFIG_FILE, DeskConfig
from supportctl.desk.files import confine, exclusive_lock, write_atomic
from supportctl.domain import ids
from supportctl.domain.codec import ticket_from_dict, ticket_to_file
from supportctl.domain.customers import Customer
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.domain.ticket import problems as ticket_problems
from supportctl.errors import DeskDamaged, NotFound, Refused, SupportError

ENV_DESK = "SUPPORTCTL_DESK"
ENV_USER = "SUPPORTCTL_USER"
STATE_DIR = ".supportctl"  # per clone, git-ignored: lock, station, index
_HELD: set[Path] = set()  # desk locks this process holds (an flock taken twice by one process would hang)


@dataclass
class DamagedFile:
    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


def locate(explicit: str | os.PathLike | None, cwd: Path, environ: dict[str, str]) -> Path:
    """--desk, else SUPPORTCTL_DESK, else the nearest parent holding supportctl.yaml (like git)."""
    given = explicit or environ.get(ENV_DESK)
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise NotFound(f"{root} is not a desk (no {CONFIG_FILE})", "create one with: supportctl init PATH")
        return root
    for folder in (cwd.resolve(), *cwd.resolve().parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise NotFound(f"not inside a desk (no {CONFIG_FILE} in {cwd} or its parents)",
                   "cd into a desk, pass --desk PATH, set SUPPORTCTL_DESK, or run supportctl init")


def acting_user(explicit: str | None, environ: dict[str, str], root: Path | None = None) -> str:
    """--as, else SUPPORTCTL_USER, else git's user.name, else the login name."""
    if explicit:
        return explicit
    if environ.get(ENV_USER):
        from supportctl.domain.values import single_line

        return single_line(environ[ENV_USER], ENV_USER)  # it signs journal lines and commits
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                             cwd=root, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class Desk:
    def __init__(self, root: Path):
        self.root = root
        confine(root)
        self.tickets_dir = root / "tickets"
        self.journal_dir = root / "journal"
        self.attachments_dir = root / "attachments"
        self.outbox_dir = root / "outbox"
        self.state_dir = root / STATE_DIR
        self.customers_path = root / "customers.yaml"
        self._undo = None  # under the lock: the undo.Session of the command's writes

    @cached_property
    def config(self) -> DeskConfig:
        return DeskConfig.load(self.root / CONFIG_FILE)

    @property
    def tz(self):
        return self.config.tz

    @cached_property
    def sla(self):
        """The SLA policies and calendars of supportctl.yaml (R-5.1, R-6)."""
        from supportctl.desk.holiday_cache import install
        from supportctl.domain.sla import sla_config_from_dict

        install(self.state_dir)  # holiday dates without importing `holidays` each run
        try:
            return sla_config_from_dict(self.config.raw)
        except ValueError as exc:
            raise DeskDamaged(f"{CONFIG_FILE}: {exc}", "fix the calendars/sla settings") from None

    # -- tickets ---------------------------------------------------------

    def ticket_path(self, ticket_id: str) -> Path:
        return self.tickets_dir / f"{ids.validate_id(ticket_id)}.yaml"

    def journal_path(self, ticket_id: str) -> Path:
        return self.journal_dir / f"{ids.validate_id(ticket_id)}.yaml"

    def exists(self, ticket_id: str) -> bool:
        return self.ticket_path(ticket_id).is_file()

    def resolve_id(self, given: str) -> str:
        """The ticket a person names: an exact ID, or an unpadded number naming one ticket (ids.resolve_id)."""
        s = str(given).strip().upper().translate(ids.LOOKALIKE)
        if ids.ID_RE.match(s) and self.exists(s):
            return s
        return ids.resolve_id(given, self.ticket_ids())

    def load_ticket(self, ticket_id: str) -> Ticket:
        path = self.ticket_path(ticket_id)
        try:
            return self.parse_ticket_text(yamlio.read_regular(path).decode("utf-8"), path)
        except FileNotFoundError:
            raise NotFound(f"no ticket {ids.validate_id(ticket_id)} in this desk",
                           "see the IDs with: supportctl list") from None
        except UnicodeDecodeError:
            raise DeskDamaged(f"{path}: not UTF-8 text", "restore the file with git") from None

    def parse_ticket_text(self, text: str, path: Path) -> Ticket:
        """The ticket of a file's text; DeskDamaged when its YAML, its fields or their consistency
        (domain.ticket.problems, checked by ticket_from_dict) are wrong."""
        data = yamlio.loads_own(text, str(path))
        try:
            ticket = ticket_from_dict(data)
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            raise DeskDamaged(f"{path}: invalid ticket: {exc}", "fix the file by hand or restore it with git") \
                from None
        if ticket.id != path.stem:
            raise DeskDamaged(f"{path}: holds ticket {ticket.id}, not {path.stem}", "rename the file or fix its id")
        self.refresh_deadlines(ticket)
        return ticket

    def refresh_deadlines(self, ticket: Ticket) -> None:
        """The stored deadlines as the current supportctl.yaml and calendar data make them (issue 11 §4):
        every reader sees these, whatever the file says; the next write of the ticket stores them.
        Left as stored while the SLA settings cannot be read (`check` names that)."""
        from supportctl.domain.sla import set_stored_deadlines

        sla = self._sla_or_none
        if sla is None:
            return
        try:
            set_stored_deadlines(ticket, sla)
        except ValueError:  # e.g. a policy without a target for this priority: as stored
            pass

    @cached_property
    def _sla_or_none(self):
        try:
            return self.sla
        except SupportError:
            return None

    @cached_property
    def deadline_basis(self) -> str:
        """A hash of what deadlines are computed from: supportctl.yaml's content and the installed
        calendar data (the `holidays` package). The ticket index is rebuilt when it changes."""
        import hashlib

        from supportctl.desk.holiday_cache import package_stamp

        digest = hashlib.sha256()
        try:
            digest.update(yamlio.read_regular(self.root / CONFIG_FILE))
        except (OSError, SupportError):
            pass
        digest.update(b"\0" + (package_stamp() or "").encode("utf-8", "surrogateescape"))
        return digest.hexdigest()[:16]

    def ticket_text(self, ticket: Ticket) -> str:
        """The ticket file's text, as `save_ticket` writes it."""
        return yamlio.dumps_spaced(ticket_to_file(ticket, self.tz))

    def save_ticket(self, ticket: Ticket, *, durable: bool = True) -> Path:
        found = ticket_problems(ticket)
        if found:  # never write a file every reader would refuse
            raise Refused(f"{ticket.id}: not saved: {'; '.join(found)}")
        text = self.ticket_text(ticket)
        if len(text) > yamlio.MAX_FILE_BYTES // 4:  # a character is at most 4 bytes: len() is a quick bound
            if len(text.encode("utf-8")) > yamlio.MAX_FILE_BYTES:
                raise Refused(f"{ticket.id}: not saved: the ticket file would be larger than "
                              f"{yamlio.MAX_FILE_BYTES // 1024 ** 2} MiB", "shorten its text")
        path = self.ticket_path(ticket.id)
        if self._undo is not None and durable:
            self._undo.intend(ticket.id, ticket=text)  # a kill before the journal is undone
        write_atomic(path, text, durable=durable)
        return path

    def save_change(self, ticket: Ticket, entries: list[Entry]) -> None:
        """The ticket file, then its journal entries; the entries are encoded first, so a text that
        cannot be written fails before either file is touched."""
        encoded = journal_file.encode(entries, self.tz)
        path = self.ticket_path(ticket.id)
        text = self.ticket_text(ticket)
        if self._undo is not None:
            self._undo.intend(ticket.id, ticket=text, journal=encoded)  # one record for both writes
        write_atomic(path, text)
        journal_file.append_encoded(self.journal_path(ticket.id), encoded)

    def ticket_ids(self) -> list[str]:
        try:
            names = os.listdir(self.tickets_dir)
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".yaml") and ids.ID_RE.match(n[:-5]))

    def iter_tickets(self, where=None) -> Iterator[Ticket | DamagedFile]:
        """Every ticket in ID order; a damaged file is yielded as such so the others still list.

        Served from the ticket index (desk/index.py), which re-reads every file
        changed since the last run. ``where`` (an ``index.Where``) narrows the
        tickets before they are built; it may let through more than it names,
        never fewer, so callers still apply their own filters.
        """
        from supportctl.desk.index import TicketIndex

        return TicketIndex(self).tickets(where)

    # -- journal ---------------------------------------------------------

    def append_journal(self, ticket_id: str, entries: list[Entry]) -> Path:
        path = self.journal_path(ticket_id)
        encoded = journal_file.encode(entries, self.tz)
        if self._undo is not None and encoded:
            self._undo.intend(ticket_id, journal=encoded)
        journal_file.append_encoded(path, encoded)
        return path

    def read_journal(self, ticket_id: str):
        return journal_file.read(self.journal_path(ticket_id))

    # -- customers -------------------------------------------------------

    def customers(self) -> list[Customer]:
        if not self.customers_path.is_file():
            return []
        data = yamlio.load(self.customers_path) or {}
        items = data.get("customers", []) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise DeskDamaged(f"{self.customers_path}: expected a 'customers:' list")
        try:
            return [Customer.from_dict(c) for c in items]
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise DeskDamaged(f"{self.customers_path}: invalid customer: {exc}") from None

    def save_customers(self, customers: list[Customer]) -> None:
        header = "# Customers of the desk (R-1.1, R-7.7). Edit by hand or with `supportctl customer`.\n"
        write_atomic(self.customers_path, header + yamlio.dumps({"customers": [c.to_dict() for c in customers]}))

    # -- locking and IDs -------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Every mutation holds this; each command re-reads what it changes under it.

        A command killed while holding it is rolled back when the lock is next
        taken (desk/undo.py): its ticket and journal writes are all or nothing.
        """
        from supportctl.desk import undo

        path = self.state_dir / "lock"
        if path in _HELD:  # taken again inside a locked section of this process: the outer one holds it
            yield
            return
        with exclusive_lock(path):
            _HELD.add(path)
            try:
                undo.roll_back_all(self)
                self._undo = undo.Session(self)
                try:
                    yield
                except BaseException:
                    session, self._undo = self._undo, None
                    session.roll_back()  # a failed command leaves nothing half-done
                    raise
                session, self._undo = self._undo, None
                session.drop()
            finally:
                _HELD.discard(path)

    def recover(self) -> list:
        """Roll back what killed commands left half-done (any locked command does it first);
        the undo.Repair of each record found."""
        from supportctl.desk import undo

        try:
            if not os.listdir(undo.folder(self.state_dir)):
                return []  # nothing to undo: no lock taken, so a read-only clone reads on
        except FileNotFoundError:
            return []
        with exclusive_lock(self.state_dir / "lock"):
            return undo.roll_back_all(self)

    @property
    def station_path(self) -> Path:
        return self.state_dir / "station"

    def station(self) -> str | None:
        try:
            return ids.validate_station(self.station_path.read_text().strip())
        except (OSError, SupportError):
            return None

    def set_station(self, station: str) -> str:
        station = ids.validate_station(station)
        write_atomic(self.station_path, station + "\n")
        return station

    def ensure_station(self) -> tuple[str, bool]:
        """This clone's ID prefix, and whether it was just chosen.

        A clone without one takes a random two-letter station that no ticket
        of the desk uses yet, so clones that work offline do not collide.
        """
        current = self.station()
        if current:
            return current, False
        used = {ids.split_id(t)[0] for t in self.ticket_ids()}
        rng = random.SystemRandom()
        while True:
            candidate = rng.choice(ids.STATION_ALPHABET) + rng.choice(ids.STATION_ALPHABET)
            if candidate not in used:
                return self.set_station(candidate), True

    def allocate_id(self) -> str:
        """The next free ID of this clone's station; call under the desk lock."""
        return self.allocate_ids(1)[0]

    def allocate_ids(self, count: int, reserved: frozenset[str] = frozenset(),
                     taken: set[str] | None = None) -> list[str]:
        """``count`` free IDs, skipping ``reserved`` ones (say, IDs an import brings); under the lock.
        ``taken``: the IDs with a ticket or journal file, listed under this lock (an import's), so that
        no candidate needs its files looked up."""
        station, _ = self.ensure_station()
        counter = self.state_dir / f"seq-{station}"
        try:
            last = int(counter.read_text().strip())
        except (FileNotFoundError, ValueError):
            last = max((n for s, n in map(ids.split_id, self.ticket_ids()) if s == station), default=0)
        allocated: list[str] = []
        number = last
        while len(allocated) < count:
            number += 1
            candidate = ids.format_id(station, number)
            if candidate in reserved:
                continue
            if taken is not None:
                if candidate not in taken:
                    allocated.append(candidate)
            elif not self.ticket_path(candidate).exists() and not self.journal_path(candidate).exists():
                allocated.append(candidate)
        write_atomic(counter, f"{number}\n")
        return allocated
