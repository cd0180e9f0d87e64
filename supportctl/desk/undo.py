"""Crash safety for a command's writes: all of them, or none, and never anyone else's.

Each write is atomic by itself (desk/files.py), but a process killed between
two of them would leave a changed ticket without its journal entry (or a new
ticket without a journal). So, under the desk lock, before each write of a
ticket or its journal, `.supportctl/undo/<ID>` says what the files were
before the command (the old ticket file, the journal's length and a hash of
it) and what the command is about to leave there (the hash of each ticket
version it writes, and hashes of the journal bytes it appends, cut at page
boundaries, where a killed write can stop). A command that ends normally drops
its records; one that fails rolls them back at once. Records still there when
the next command takes the lock belong to a killed process (the lock is
released only when it is dead), and are rolled back: the ticket file and the
journal are as before that command, as if it had never run.

A rollback happens only when the files are exactly as the killed process left
them. If they changed since (a `git checkout`, `pull` or `sync`, a hand edit),
the record is dropped with a warning naming the ticket: a teammate's change is
never undone, and no journal line that is not the killed command's own is cut.

`import` writes thousands of new tickets; its one record (`undo/import`, with
`import.log`) holds the ID counters as they were and, line by line before each
ticket is written, the hashes of its ticket and journal file. The next command
removes those files (when still as written) and restores the counters.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from supportctl.desk.files import write_atomic
from supportctl.errors import SupportError

UNDO_DIR = "undo"
IMPORT = "import"
IMPORT_LOG = "import.log"
PAGE = 4096  # a write killed midway stops at a page boundary of the file


def folder(state_dir: Path) -> Path:
    return state_dir / UNDO_DIR


def warn(message: str) -> None:
    """A repair or a dropped record, told to the person at the terminal."""
    print(f"supportctl: warning: {message}", file=sys.stderr)


@dataclass
class Repair:
    """What recovery did about one record: rolled back, or dropped because the files changed since."""

    ticket_id: str | None  # None: the interrupted import
    message: str

    def __str__(self) -> str:
        return self.message


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file; None when there is none. A link or a folder is refused (OSError)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "a symbolic link; the desk's files are written only inside it", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    with open(path, "rb") as f:
        return f.read()


class Session:
    """The undo records of one locked section: ``intend`` before every ticket or journal write."""

    def __init__(self, desk):
        self.desk = desk
        self.records: dict[str, dict] = {}
        self.paths: dict[str, Path] = {}

    def intend(self, ticket_id: str, *, ticket: str | bytes | None = None, journal: bytes = b"") -> None:
        """Before writing ``ticket`` as the ticket file and/or appending ``journal`` lines (as
        files.append_line writes them): durable, so a kill after it is rolled back."""
        desk = self.desk
        rec = self.records.get(ticket_id)
        if rec is None:
            old = _read_regular(desk.ticket_path(ticket_id))
            journal_now = _read_regular(desk.journal_path(ticket_id))
            rec = {"ticket": None if old is None else base64.b64encode(old).decode("ascii"),
                   "journal_size": None if journal_now is None else len(journal_now),
                   "journal_head": _digest(journal_now or b""),
                   "tickets": [], "appended": 0, "chunks": [], "last_byte_newline": True}
            if journal_now:
                rec["last_byte_newline"] = journal_now.endswith(b"\n")
            self.records[ticket_id] = rec
        if ticket is not None:
            rec["tickets"].append(_digest(ticket.encode("utf-8") if isinstance(ticket, str) else ticket))
        if journal:
            base = rec["journal_size"] or 0
            lead = b"" if rec["last_byte_newline"] or rec["appended"] else b"\n"  # append_line closes a torn line
            data = lead + journal + b"\n"
            start = base + rec["appended"]
            cut = 0
            while cut < len(data):  # chunks end at page boundaries of the file and at the append's end
                end = min(len(data), cut + PAGE - (start + cut) % PAGE)
                rec["chunks"].append([rec["appended"] + end, _digest(data[cut:end])])
                cut = end
            rec["appended"] += len(data)
        path = folder(desk.state_dir) / ticket_id
        write_atomic(path, json.dumps(rec))
        self.paths[ticket_id] = path

    def drop(self) -> None:
        for path in self.paths.values():
            path.unlink(missing_ok=True)
        self.records.clear()
        self.paths.clear()

    def roll_back(self) -> list[Repair]:
        """A command that failed: undo its own writes now."""
        repairs = [_roll_back_one(self.desk, tid, rec) for tid, rec in self.records.items()]
        self.drop()
        return [r for r in repairs if r]


def roll_back_all(desk) -> list[Repair]:
    """Undo the half-done commands of killed processes; call holding the desk lock. What was done."""
    where = folder(desk.state_dir)
    try:
        names = sorted(os.listdir(where))
    except FileNotFoundError:
        return []
    repairs: list[Repair] = []
    for name in names:
        path = where / name
        if name == IMPORT_LOG:
            if not (where / IMPORT).exists():
                path.unlink(missing_ok=True)  # the import had finished: its record went first
            continue
        if name == IMPORT:
            repairs += _roll_back_import(desk, path, where / IMPORT_LOG)
            continue
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            desk.ticket_path(name)
            rec["tickets"], rec["chunks"]  # noqa: B018 — a record of this version
        except (OSError, ValueError, KeyError, TypeError, SupportError):
            # a temp file of a record being written when its process died: the ticket was not touched yet
            path.unlink(missing_ok=True)
            continue
        repair = _roll_back_one(desk, name, rec)
        path.unlink(missing_ok=True)
        if repair:
            warn(repair.message)
            repairs.append(repair)
    return repairs


def _roll_back_one(desk, ticket_id: str, rec: dict) -> Repair | None:
    ticket_path, journal_path = desk.ticket_path(ticket_id), desk.journal_path(ticket_id)
    old = None if rec["ticket"] is None else base64.b64decode(rec["ticket"])
    base = rec["journal_size"]
    try:
        ticket_now = _read_regular(ticket_path)
        journal_now = _read_regular(journal_path)
    except (OSError, ValueError):
        ticket_now = journal_now = b""
        ours = False
    else:
        ours = _ticket_is_ours(ticket_now, old, rec) and _journal_is_ours(journal_now, base, rec)
    _remove_temps(ticket_path)
    if not ours:
        return Repair(ticket_id, f"{ticket_id}: an interrupted command's undo record was dropped: "
                                 "the files changed since (git pull?)")
    changed = False
    if ticket_now != old:
        if old is None:
            ticket_path.unlink(missing_ok=True)
        else:
            write_atomic(ticket_path, old)
        changed = True
    if journal_now is not None and base is None:
        journal_path.unlink(missing_ok=True)
        changed = True
    elif journal_now is not None and len(journal_now) > base:
        fd = os.open(journal_path, os.O_RDWR | os.O_NOFOLLOW)  # a symlink is not followed out of the desk
        try:
            os.ftruncate(fd, base)
            os.fsync(fd)
        finally:
            os.close(fd)
        changed = True
    if not changed:
        return None  # killed before its first write: nothing to undo
    return Repair(ticket_id, f"{ticket_id}: the unfinished change of an interrupted command was rolled back")


def _remove_temps(path: Path) -> None:
    """The temp file of an atomic write (files.write_atomic) that a kill stopped before its rename."""
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        temp.unlink(missing_ok=True)


def _ticket_is_ours(now: bytes | None, old: bytes | None, rec: dict) -> bool:
    if now is None:
        return old is None
    return now == old or _digest(now) in rec["tickets"]


def _journal_is_ours(now: bytes | None, base: int | None, rec: dict) -> bool:
    """As before the command, or that plus a prefix of what it appended, cut where a killed write stops."""
    if now is None:
        return base is None
    start = base or 0
    if len(now) < start or _digest(now[:start]) != rec["journal_head"]:
        return False
    tail = len(now) - start
    done = 0
    for end, digest in rec["chunks"]:
        if done == tail:
            break
        if end > tail or _digest(now[start + done:start + end]) != digest:
            return False
        done = end
    return done == tail


# -- import ---------------------------------------------------------------------------------------


class ImportRecord:
    """The undo record of one import: the ID counters before it, then each ticket it writes."""

    def __init__(self, desk):
        self.desk = desk
        self.path = folder(desk.state_dir) / IMPORT
        self.log_path = folder(desk.state_dir) / IMPORT_LOG
        self._log = None

    def begin(self) -> None:
        """Before the import allocates IDs: the counters as they are (durable)."""
        counters = {}
        for path in sorted(self.desk.state_dir.glob("seq-*")):
            try:
                counters[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        self.log_path.unlink(missing_ok=True)
        write_atomic(self.path, json.dumps({"counters": counters}))
        self._log = open(self.log_path, "ab")

    def will_write(self, ticket_id: str, ticket: bytes, journal: bytes) -> None:
        """Before the ticket's two files are written (no fsync: a killed process's writes are kept)."""
        self._log.write(f"{ticket_id} {_digest(ticket)} {_digest(journal)}\n".encode("ascii"))
        self._log.flush()

    def finish(self) -> None:
        """The import is whole (and synced): drop the record, then its log."""
        if self._log:
            self._log.close()
            self._log = None
        self.path.unlink(missing_ok=True)
        self.log_path.unlink(missing_ok=True)

    def abandon(self) -> list[Repair]:
        """The import failed in this process: remove what it wrote, now."""
        if self._log:
            self._log.close()
            self._log = None
        return _roll_back_import(self.desk, self.path, self.log_path, quiet=True)


def _roll_back_import(desk, path: Path, log_path: Path, quiet: bool = False) -> list[Repair]:
    try:
        counters = json.loads(path.read_text(encoding="utf-8"))["counters"]
        if not isinstance(counters, dict):
            raise TypeError("counters")
    except (OSError, ValueError, KeyError, TypeError):
        counters = None  # never written whole: the import had not started writing
    removed, kept = 0, []
    try:
        lines = log_path.read_bytes().split(b"\n")
    except FileNotFoundError:
        lines = []
    entries = []
    for line in lines:
        parts = line.decode("ascii", "replace").split(" ")
        if len(parts) != 3:
            continue  # the torn last line of a killed process: its files were not written yet
        ticket_id, ticket_digest, journal_digest = parts
        try:
            entries.append((ticket_id, [(desk.ticket_path(ticket_id), ticket_digest),
                                        (desk.journal_path(ticket_id), journal_digest)]))
        except SupportError:
            continue
    last = entries[-1][1] if entries else None
    for ticket_id, files in entries:
        ours = True
        for file, digest in files:
            try:
                data = _read_regular(file)
            except (OSError, ValueError):
                ours = False
                continue
            # The import creates its files in place (files.BulkWriter(fresh=True)) one ticket after
            # another, each logged first: only the last logged ticket's files can be cut short by a kill,
            # and they are the import's whatever they hold.
            if data is not None and _digest(data) != digest and files is not last:
                ours = False
        if not ours:
            kept.append(ticket_id)
            continue
        for file, _ in files:
            if file.exists():
                file.unlink()
                removed += 1 if file.parent == desk.tickets_dir else 0
    for file, _ in last or ():
        _remove_temps(file)
    if counters is not None:
        for name, text in counters.items():
            if name.startswith("seq-") and "/" not in name:
                write_atomic(desk.state_dir / name, text)
        for extra in desk.state_dir.glob("seq-*"):
            if extra.name not in counters:
                extra.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    log_path.unlink(missing_ok=True)
    if quiet:
        return []
    message = f"an interrupted import was rolled back: {removed} ticket(s) it had written were removed"
    if kept:
        message += (f"; {len(kept)} changed since were kept ({', '.join(kept[:5])}{', …' if len(kept) > 5 else ''})")
    message += "; run the import again"
    warn(message)
    return [Repair(None, message)]
