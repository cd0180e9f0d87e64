"""The ticket index: every ticket file, parsed once, in `.supportctl/index.sqlite`.

`list`, `overdue` and the reports read every ticket; parsing 100,000 YAML
files takes a minute. The index keeps each ticket as parsed data, keyed by
its file's size, modification time (ns) and inode, so a run parses only the
files that changed since the last one and answers the rest from the index.

- Never authoritative: every run stats every ticket file, and any file whose
  key (size, mtime, inode, ctime) differs (a hand edit, a `git pull`, a
  checkout, another command) is re-read. A file modified within the last
  RACY_NS is not trusted to its key (a same-size edit in the same clock tick
  would keep it) and is re-read on the next run as well. Files gone from
  `tickets/` leave the index. Rows come from ticket files alone, so `list`,
  `overdue` and the reports stat only those; journals feed only the search
  table, and `search` stats them too (issue 13: half the stats). A run whose
  folder listings and stats equal, block by block of BLOCK names, those stored
  by the last run that proved their keys true compares nothing else, and only
  the keys of the blocks that differ otherwise (``_as_listed``); a busy desk's
  stats are split with a forked process.
- Deletable at any time, rebuilt automatically; a damaged or foreign index
  file is dropped and rebuilt; an index that cannot be written (read-only
  clone, full disk) falls back to reading the files.
- A damaged ticket file is indexed as its error message, so it is reported
  like before without being re-parsed until it changes.
- A rebuild of many files parses them on all cores (fork), in chunks that go
  straight into the index, so memory stays flat.
- Queries narrow by status, arrival time, organisation and assignee in SQL
  before any ticket is built; callers still apply their own filters.
- Shows and mutations never use the index: they read the file under the lock.
- `search` and `list --grep` match in an FTS5 table of each ticket's subject, text and journal
  entries as word stems (domain/search.py); a ticket's key includes its journal file's size and time,
  so an appended journal line re-indexes that ticket's search row alone (from its stored row and the
  journal, the ticket file is not parsed again). At most search.MAX_INDEXED_CHARS characters of a
  ticket are indexed.
- The search rows are filled by the first sync that reads journals (`search`, `list --grep`,
  `rebuild`), not by `list` or `overdue`: a ticket (re)parsed by those gets the journal key UNSEARCHED,
  which no journal on disk has, so the next search sync finds it stale and fills its search row then
  (issue 13: the first `list` after a clone or an import does not read 100,000 journals).
- Rows are deferred the same way: a sync for some statuses only (`list`, `overdue`) stores a file
  whose status, read from its first lines (_scanned_status), is not among them as a "pending" row:
  its id and status alone (data, error and queue NULL), without building the ticket. Every sync
  first completes the pending rows of the statuses it is asked for (all of them when it is asked
  for every status or reads journals), so no reader ever sees one (issue 13: the first `list`
  after an import of 100,000 tickets builds only the open ones). What changes: a damaged file
  whose first lines read a status the command does not ask for is reported only by the first
  command that asks for that status (`check`, the reports, `list --all`...).
"""

from __future__ import annotations

import gc
import marshal
import os
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from hashlib import blake2b
from operator import attrgetter
from datetime import datetime
from pathlib import Path
from typing import Any

from supportctl import __version__
from supportctl.desk import yamlio
from supportctl.desk.desk import DamagedFile, Desk
from supportctl.domain import ids
from supportctl.domain.codec import ticket_from_row, ticket_to_queue_row, ticket_to_row
from supportctl.domain.customers import org_key
from supportctl.domain.lifecycle import STATUSES
from supportctl.domain.search import Query
from supportctl.domain.ticket import SCHEMA_VERSION, Ticket
from supportctl.errors import DeskDamaged, NotFound

INDEX_FILE = "index.sqlite"
# Bump when what a row holds changes, or what makes a ticket valid (5: codec checks types and values;
# 7: ticket problems, bounded instants; 8: pause until, config hash; 9: first-response deadline, priority
# history, running holds; 10: notified_at; 11: full-text search table, journal in the key; 12: ctimes in
# the key; 13: merged_into; 14: cc; 15: the queue row with SLA clocks; 16: clocks of closed tickets too, with what `report sla`
# counts; 17: pending rows, a status read from the first lines); a different supportctl version rebuilds too.
FORMAT = f"17/schema{SCHEMA_VERSION}/{__version__}"
RACY_NS = 2_000_000_000  # coarser than any file system's timestamp granularity
PARALLEL_FROM = 1500  # files to parse before a pool of processes pays for itself
DEFER_FROM = 1500  # files to read from which a sync for some statuses leaves the others pending
CHUNK = 500
BUSY_TIMEOUT_MS = 30_000  # how long a run waits for another one's write to the index

_SCHEMA = """
CREATE TABLE tickets (
    id TEXT NOT NULL UNIQUE,
    status TEXT,          -- NULL for a damaged file
    received REAL,        -- epoch seconds
    org_key TEXT,         -- customers.org_key of the organisation
    assignee_key TEXT,    -- casefolded
    data BLOB,            -- marshal of codec.ticket_to_row (NULL with error NULL: a pending row, not built yet)
    error TEXT,           -- why the file is damaged (no semicolons in this schema: run statement by statement)
    merged_into TEXT,     -- the ticket a merged duplicate went into (`list` hides those without --all)
    queue BLOB            -- marshal of codec.ticket_to_queue_row: what `list` and `overdue` read (issue 13)
);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_pending ON tickets(status) WHERE data IS NULL AND error IS NULL;
CREATE VIRTUAL TABLE search USING fts5(subject, body, text UNINDEXED, tokenize='unicode61');
CREATE TABLE meta (key TEXT PRIMARY KEY, value);
"""
# meta 'keys': marshal of {id: (size, mtime_ns, inode)} of every indexed file, written in
# the same transaction as the rows: one blob loads 4x faster than 100,000 rows.

# size, mtime_ns, inode, ctime_ns of the ticket file; size, mtime_ns, ctime_ns of its journal. The ctime
# cannot be set back by a program: an edit in place that keeps the size and restores the mtime moves it.
Key = tuple[int, int, int, int, int, int, int]
TICKET_PART = 4  # key[:TICKET_PART] is the ticket file's, the rest its journal's
NO_JOURNAL = (-1, -1, -1)
UNSEARCHED = (-3, -3, -3)  # parsed without its search row: the next search sync fills it
# meta rows: the fingerprint (_fingerprint) of a folder's names as listed and each one's stat fields,
# when a sync last found every key true
LISTING_TICKETS, LISTING_JOURNALS = "listing tickets", "listing journals"
TICKET_FIELDS = attrgetter("st_size", "st_mtime_ns", "st_ino", "st_ctime_ns")  # a key's ticket part
JOURNAL_FIELDS = attrgetter("st_size", "st_mtime_ns", "st_ctime_ns")  # its journal part
BLOCK = 256  # names per block of a folder's fingerprint: a change re-checks only the blocks it touched
SPLIT_FROM = 40_000  # stats from which a forked process doing half of them pays for itself (fork: ~5-15 ms)


@dataclass
class Where:
    """What the index narrows by before building tickets: a superset of what the caller keeps."""

    statuses: Collection[str] | None = None
    received_since: datetime | None = None
    received_until: datetime | None = None
    org: str | None = None
    assignee: str | None = None
    merged: bool = True  # False: not the duplicates merged into another ticket
    match: str | None = None  # an FTS5 query (`list --grep`): only the tickets it finds; needs the index

    def sql(self) -> tuple[str, list]:
        clauses, args = [], []
        if self.match is not None:
            clauses.append("rowid IN (SELECT rowid FROM search WHERE search MATCH ?)")
            args.append(self.match)
        if self.statuses:
            statuses = sorted(set(self.statuses))
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            args += statuses
        if self.received_since is not None:
            clauses.append("received >= ?")
            args.append(self.received_since.timestamp() - 1)
        if self.received_until is not None:
            clauses.append("received <= ?")
            args.append(self.received_until.timestamp() + 1)
        if self.org:
            clauses.append("org_key = ?")
            args.append(org_key(self.org))
        if self.assignee:
            clauses.append("assignee_key = ?")
            args.append(self.assignee.casefold())
        if not self.merged:
            clauses.append("merged_into IS NULL")
        if not clauses:
            return "", []
        # damaged files are always reported, whatever the filter
        return f"WHERE error IS NOT NULL OR ({' AND '.join(clauses)})", args


class TicketIndex:
    def __init__(self, desk: Desk):
        self.desk = desk
        self.path = desk.state_dir / INDEX_FILE
        self._reading: sqlite3.Connection | None = None  # the index `queue` reads, while it does

    def tickets(self, where: Where | None = None) -> Iterator[Ticket | DamagedFile]:
        """The tickets (and damaged files) in ID order, brought up to date with the files first."""
        where = where or Where()
        try:
            # rows come from ticket files alone; a search reads journals too
            db = self._sync(journals=where.match is not None, statuses=where.statuses)
        except (sqlite3.Error, OSError):
            if where.match is not None:
                raise  # no search without the index: the caller says so
            yield from self._from_files()
            return
        try:
            clause, args = where.sql()
            rows = db.execute(f"SELECT id, data, error FROM tickets {clause} ORDER BY id", args)
            for ticket_id, data, error in rows:
                if error is not None:
                    yield DamagedFile(self.desk.tickets_dir / f"{ticket_id}.yaml", error)
                elif data is None:  # made pending by another run since our sync: its file
                    yield from self._from_file(ticket_id)
                else:
                    yield ticket_from_row(marshal.loads(data))
        finally:
            db.close()

    def queue(self, where: Where | None = None) -> Iterator[tuple[tuple, Ticket | None] | DamagedFile]:
        """What `list` and `overdue` read of each ticket (codec.ticket_to_queue_row), with the Ticket when
        it is at hand (read from its file: no index), and the damaged files, in no set order; brought up to
        date first like ``tickets``. While it runs, ``ticket(id)`` reads a full row from the same index."""
        where = where or Where()
        try:
            db = self._sync(journals=where.match is not None, statuses=where.statuses)
        except (sqlite3.Error, OSError):
            if where.match is not None:
                raise
            tz, sla = self.desk.tz, self.desk._sla_or_none
            for item in self._from_files():
                yield item if isinstance(item, DamagedFile) else (ticket_to_queue_row(item, tz, sla), item)
            return
        self._reading = db
        try:
            clause, args = where.sql()
            loads, folder = marshal.loads, self.desk.tickets_dir
            # in no order: the caller sorts (a sort by ID here costs a temporary B-tree)
            for ticket_id, row, error in db.execute(f"SELECT id, queue, error FROM tickets {clause}", args):
                if error is not None:
                    yield DamagedFile(folder / f"{ticket_id}.yaml", error)
                elif row is None:  # made pending by another run since our sync: its file
                    for item in self._from_file(ticket_id):
                        yield item if isinstance(item, DamagedFile) else (
                            ticket_to_queue_row(item, self.desk.tz, self.desk._sla_or_none), item)
                else:
                    yield loads(row), None
        finally:
            self._reading = None
            db.close()

    def ticket(self, ticket_id: str) -> Ticket:
        """One ticket from the index ``queue`` is reading (its file when the index has gone meanwhile)."""
        if self._reading is not None:
            row = self._reading.execute("SELECT data FROM tickets WHERE id = ? AND data IS NOT NULL",
                                        (ticket_id,)).fetchone()
            if row is not None:
                return ticket_from_row(marshal.loads(row[0]))
        return self.desk.load_ticket(ticket_id)

    def rebuild(self) -> int:
        """Drop the index and parse every file again; the number of tickets indexed."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        db = self._sync()
        try:
            return db.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            db.close()

    # -- keeping it up to date ------------------------------------------

    def _sync(self, journals: bool = True, statuses: Collection[str] | None = None) -> sqlite3.Connection:
        """The index, brought up to date with the ticket files, and with the journals too unless
        ``journals`` is false (then a journal changed since its ticket was indexed keeps its old
        key and is seen by the next full sync, `search`'s). With ``statuses`` (and no journals), the
        rows of those statuses are complete and the files read now of any other status may be left
        pending; otherwise every row is complete."""
        wanted = frozenset(statuses) if statuses and not journals else None
        db = self._open()
        try:
            with _no_gc():
                pending = self._pending(db, wanted)
                changed = None if pending else self._as_listed(db, journals)
                if changed is not None and not any(blocks for _, _, blocks in changed):
                    return db  # every folder lists and stats as when every key was last proved true
                known_blob, known = self._keys_blob(db)
                on_disk = self._restated(known, changed) if changed is not None and known else None
                if on_disk is None:
                    listings: dict[str, tuple[list, list]] = {}
                    # a first build reads every file and keys it from the open file: no stat beforehand
                    on_disk = self._stat_files(known, journals, listings) if known else self._listed()
                    changed = [(key, _fingerprint(*listing), _blocks(*listing)) for key, listing in listings.items()]
                if on_disk != known or pending:  # one comparison in C for the usual run where nothing changed
                    gone = known.keys() - on_disk.keys()
                    stale = sorted({i for i, key in on_disk.items() if key is None or known.get(i) != key}
                                   | (pending & on_disk.keys()))
                    # few files (a pull, a hand edit): built whole, so a damaged one is named at once
                    defer = wanted if len(stale) >= DEFER_FROM else None
                    self._update(db, gone, stale, on_disk, journals, defer, pending, (known_blob, known, changed))
                elif changed:
                    self._remember(db, known_blob, [(key, _proved(key, fingerprint, blocks, known))
                                                    for key, fingerprint, blocks in changed])
        except BaseException:
            db.close()
            raise
        return db

    def _as_listed(self, db: sqlite3.Connection, journals: bool) -> list[Proof] | None:
        """For each folder, the blocks of its names whose files stat otherwise than when a sync last proved
        their keys true (``_remember``): none, and every key is still true, with nothing compared key by
        key (issue 13: the same stats, without a Python step per file); only the files of those blocks
        need their keys compared. None when a folder has no fingerprint or lists other names."""
        wanted = (LISTING_TICKETS, LISTING_JOURNALS) if journals else (LISTING_TICKETS,)
        stored = dict(db.execute(f"SELECT key, value FROM meta WHERE key IN ({','.join('?' * len(wanted))})",
                                 wanted).fetchall())
        if len(stored) != len(wanted):
            return None
        folders = ((LISTING_TICKETS, self.desk.tickets_dir, TICKET_FIELDS),
                   (LISTING_JOURNALS, self.desk.journal_dir, JOURNAL_FIELDS))[:len(wanted)]
        try:
            fingerprints = [marshal.loads(stored[key]) for key, _, _ in folders]
        except (ValueError, EOFError, TypeError):  # not one this version wrote: prove it key by key
            return None
        if not all(isinstance(f, tuple) and len(f) == 3 and isinstance(f[0], int)
                   and all(isinstance(d, tuple) and len(d) == -(-f[0] // BLOCK)
                           and all(isinstance(b, bytes) for b in d) for d in f[1:]) for f in fingerprints):
            return None
        changes = _still_listed([(folder, fields, *fingerprint)
                                 for (_, folder, fields), fingerprint in zip(folders, fingerprints)])
        if changes is None:
            return None
        return [(key, fingerprint, blocks) for (key, _, _), fingerprint, blocks in zip(folders, fingerprints, changes)]

    @staticmethod
    def _restated(known: dict[str, Key], changed: list[Proof]) -> dict[str, Key] | None:
        """The keys on disk: ``known``, with the files of the changed blocks keyed from their new stats;
        None when a block names a ticket file the keys do not hold (then every file is compared)."""
        on_disk = dict(known)
        for key, _, blocks in changed:
            for names, stats in blocks.values():
                for name, stat in zip(names, stats):
                    ticket_id = name[:-5]
                    if name[-5:] != ".yaml":
                        continue
                    old = on_disk.get(ticket_id)
                    if key == LISTING_TICKETS:
                        if old is None:
                            if ids.ID_RE.match(ticket_id):
                                return None
                            continue
                        on_disk[ticket_id] = stat + old[TICKET_PART:]
                    elif old is not None:
                        on_disk[ticket_id] = old[:TICKET_PART] + stat
        return on_disk

    @staticmethod
    def _remember(db: sqlite3.Connection, known_blob: bytes | None, fingerprints: list[tuple[str, tuple]]) -> None:
        """Store the folders' fingerprints a sync that found every key true made (``_proved``), for
        ``_as_listed``; only while the keys are still the ones it compared with (another run may have
        changed them since)."""
        if known_blob is None:
            return
        # a command that only reads never waits for another one's write for this: the next run tries again
        db.execute("PRAGMA busy_timeout = 0")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # busy or read-only
            return
        finally:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            if db.execute("SELECT value = ? FROM meta WHERE key = 'keys'", (known_blob,)).fetchone() == (1,):
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                               [(key, marshal.dumps(fingerprint)) for key, fingerprint in fingerprints])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _pending(db: sqlite3.Connection, wanted: frozenset[str] | None) -> set[str]:
        """The pending rows to complete before reading the rows of these statuses (None: all)."""
        sql = "SELECT id FROM tickets WHERE data IS NULL AND error IS NULL"
        if wanted is None:
            return {i for i, in db.execute(sql)}
        return {i for i, in db.execute(f"{sql} AND status IN ({','.join('?' * len(wanted))})", sorted(wanted))}

    @staticmethod
    def _keys_blob(db: sqlite3.Connection) -> tuple[bytes | None, dict[str, Key]]:
        row = db.execute("SELECT value FROM meta WHERE key = 'keys'").fetchone()
        return (row[0], marshal.loads(row[0])) if row else (None, {})

    def _open(self) -> sqlite3.Connection:
        self.desk.state_dir.mkdir(exist_ok=True)
        for attempt in (1, 2):
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                if self._format(db) != self.format:  # a new supportctl, or new settings (deadlines)
                    self._create(db, self.format)
                return db
            except sqlite3.DatabaseError:
                db.close()
                if attempt == 2:
                    raise
                # not a database, or one of another shape: it is derived, start again
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        raise AssertionError("unreachable")

    @staticmethod
    def _format(db: sqlite3.Connection) -> str | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.OperationalError:  # no such table: a new file
            return None
        return row[0] if row else None

    @property
    def format(self) -> str:
        """FORMAT and what the stored deadlines were computed under (rows hold them, issue 11 §4)."""
        return f"{FORMAT}/{self.desk.deadline_basis}"

    @staticmethod
    def _create(db: sqlite3.Connection, format: str = FORMAT) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DROP TABLE IF EXISTS tickets")
            db.execute("DROP TABLE IF EXISTS meta")
            db.execute("DROP TABLE IF EXISTS search")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('format', ?)", (format,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _listed(self) -> dict[str, None]:
        """The IDs of the ticket files, none of them keyed."""
        try:
            names = os.listdir(self.desk.tickets_dir)
        except FileNotFoundError:
            return {}
        match = ids.ID_RE.match
        return {name[:-5]: None for name in names if name[-5:] == ".yaml" and match(name[:-5])}

    def _stat_files(self, known: dict[str, Key], journals: bool = True,
                    listings: dict[str, tuple[list, list]] | None = None) -> dict[str, Key]:
        """The key of every ticket file (the hot loop of every run: 100,000 stats), with its journal's
        stated too, or (``journals`` false) as known. The folders' listings with their stats are added
        to ``listings`` (for ``_remember``) when every entry could be stated."""
        tickets = _listing(self.desk.tickets_dir, TICKET_FIELDS)
        if tickets is None:  # a folder missing, an entry that cannot be stated: file by file
            return self._stat_each(known, journals)
        journal_listing = _listing(self.desk.journal_dir, JOURNAL_FIELDS) if journals else None
        if journals and journal_listing is None:
            return self._stat_each(known, journals)
        journal_of = dict(zip(*journal_listing)) if journal_listing is not None else {}
        match = ids.ID_RE.match
        keys: dict[str, Key] = {}
        for name, key in zip(*tickets):
            ticket_id = name[:-5]
            if name[-5:] != ".yaml" or (ticket_id not in known and not match(ticket_id)):
                continue
            if journals:
                keys[ticket_id] = key + journal_of.get(name, NO_JOURNAL)
            else:
                keys[ticket_id] = key + (known[ticket_id][TICKET_PART:] if ticket_id in known else NO_JOURNAL)
        if listings is not None:
            listings[LISTING_TICKETS] = tickets
            if journal_listing is not None:
                listings[LISTING_JOURNALS] = journal_listing
        return keys

    def _stat_each(self, known: dict[str, Key], journals: bool) -> dict[str, Key]:
        """``_stat_files`` a file at a time, skipping what cannot be stated (deleted since the listing)."""
        folder = f"{self.desk.tickets_dir}/"
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return {}
        match = ids.ID_RE.match
        keys: dict[str, Key] = {}
        try:
            journal_names = set(os.listdir(self.desk.journal_dir)) if journals else set()
        except (FileNotFoundError, NotADirectoryError):
            journal_names = set()
        journal_folder = f"{self.desk.journal_dir}/"
        # relative to the open folder the kernel resolves one path component, not the whole path
        folder_fd = os.open(folder, os.O_RDONLY) if os.stat in os.supports_dir_fd else None
        try:
            for name in names:
                ticket_id = name[:-5]
                if name[-5:] != ".yaml" or (ticket_id not in known and not match(ticket_id)):
                    continue
                try:
                    st = os.stat(name, dir_fd=folder_fd) if folder_fd is not None else os.stat(folder + name)
                except FileNotFoundError:  # deleted since the listing
                    continue
                if journals:
                    journal = _journal_key(journal_folder + name) if name in journal_names else NO_JOURNAL
                else:
                    journal = known[ticket_id][TICKET_PART:] if ticket_id in known else NO_JOURNAL
                keys[ticket_id] = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns) + journal
        finally:
            if folder_fd is not None:
                os.close(folder_fd)
        return keys

    def _update(self, db: sqlite3.Connection, gone: set[str], stale: list[str], on_disk: dict[str, Key | None],
                journals: bool, wanted: frozenset[str] | None = None, pending: Collection[str] = (),
                proofs: tuple[bytes | None, dict[str, Key] | None, list[Proof] | None] = (None, None, None)) -> None:
        """Re-read the stale files and drop the gone ones; ``proofs``: the keys the caller compared with (as
        stored, and loaded) and what its folders listed and stated (``_as_listed``, ``_blocks``), to
        fingerprint them anew."""
        db.execute("BEGIN IMMEDIATE")
        try:
            known_blob, known, changed = proofs
            # the keys as committed by now (another run may have changed them): the caller's when the same
            row = db.execute("SELECT value FROM meta WHERE key = 'keys'").fetchone()
            blob = row[0] if row else None
            if known is not None and blob == known_blob:
                keys = known
            else:
                keys = marshal.loads(blob) if blob is not None else {}
            for ticket_id in gone:
                keys.pop(ticket_id, None)
            _unsearch(db, gone)
            db.executemany("DELETE FROM tickets WHERE id = ?", [(i,) for i in gone])
            work: list[tuple] = []
            # a ticket whose file is as indexed and whose journal is not: its search row alone, from its row
            only_journal = {i for i in stale if journals and i in keys and i not in pending and on_disk[i]
                            and keys[i][:TICKET_PART] == on_disk[i][:TICKET_PART]}
            rows_of = self._stored_texts(db, sorted(only_journal))
            for ticket_id in stale:
                if ticket_id in only_journal:
                    work.append((ticket_id, keys[ticket_id][:TICKET_PART], rows_of.get(ticket_id)))
                else:
                    work.append((ticket_id, journals))
            for rows in _parse_all(self.desk, work, wanted):
                for ticket_id, key, row, _ in rows:
                    if row is None:  # deleted while we read
                        keys.pop(ticket_id, None)
                    else:
                        keys[ticket_id] = key
                _unsearch(db, [r[0] for r in rows])
                db.executemany("DELETE FROM tickets WHERE id = ?", [(r[0],) for r in rows if r[2] is None])
                db.executemany("INSERT OR REPLACE INTO tickets VALUES (?,?,?,?,?,?,?,?,?)",
                               [r[2] for r in rows if r[2]])  # False: the row stays as it is
                searched = [r for r in rows if r[3] is not None]
                if searched:
                    rowids = dict(db.execute(
                        f"SELECT id, rowid FROM tickets WHERE id IN ({','.join('?' * len(searched))})",
                        [r[0] for r in searched]))
                    db.executemany("INSERT INTO search (rowid, subject, body, text) VALUES (?,?,?,?)",
                                   [(rowids[r[0]], *r[3]) for r in searched])
            db.execute("INSERT OR REPLACE INTO meta VALUES ('keys', ?)", (marshal.dumps(keys),))
            # the keys change: the fingerprints taken when the old ones were all true prove nothing now; the
            # folders as this run stated them do, block by block, where the new keys hold what it stated
            db.execute("DELETE FROM meta WHERE key IN (?, ?)", (LISTING_TICKETS, LISTING_JOURNALS))
            if changed and blob is not None and blob == known_blob:
                db.executemany("INSERT INTO meta VALUES (?, ?)",
                               [(key, marshal.dumps(_proved(key, fingerprint, blocks, keys)))
                                for key, fingerprint, blocks in changed if journals or key == LISTING_TICKETS])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _stored_texts(db: sqlite3.Connection, ticket_ids: list[str]) -> dict[str, tuple[str, str] | None]:
        """(subject, text) of these tickets as their rows hold them; None for a damaged file's row."""
        found: dict[str, tuple[str, str] | None] = {}
        for i in range(0, len(ticket_ids), CHUNK):
            part = ticket_ids[i:i + CHUNK]
            for ticket_id, data in db.execute(
                    f"SELECT id, data FROM tickets WHERE id IN ({','.join('?' * len(part))})", part):
                if data is None:
                    found[ticket_id] = None
                else:
                    ticket = ticket_from_row(marshal.loads(data))
                    found[ticket_id] = (ticket.subject, ticket.text)
        return found

    def search(self, query: Query, *, statuses: Collection[str] | None = None, org: str | None = None,
               limit: int | None = None) -> list[tuple[Ticket, str]]:
        """The tickets that match, best first (bm25, a subject match weighing more), each with a snippet."""
        from supportctl.domain.search import snippet

        wanted = query.stems
        return [(ticket_from_row(marshal.loads(data)), snippet(text, wanted) or "")
                for data, text in self._match(query, "t.data, search.text", statuses, org, limit)]

    def _match(self, query: Query, columns: str, statuses: Collection[str] | None, org: str | None,
               limit: int | None) -> list[tuple]:
        db = self._sync()  # no index (read-only clone): the caller's error; search needs one
        try:
            clauses, args = ["search MATCH ?"], [query.fts()]
            if statuses:
                statuses = sorted(set(statuses))
                clauses.append(f"t.status IN ({','.join('?' * len(statuses))})")
                args += statuses
            if org:
                clauses.append("t.org_key = ?")
                args.append(org_key(org))
            sql = (f"SELECT {columns} FROM search JOIN tickets t ON t.rowid = search.rowid "
                   f"WHERE {' AND '.join(clauses)} ORDER BY bm25(search, 10.0, 1.0), t.id")
            if limit is not None:
                sql += " LIMIT ?"
                args.append(limit)
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def _from_files(self) -> Iterator[Ticket | DamagedFile]:
        for ticket_id in self.desk.ticket_ids():
            yield from self._from_file(ticket_id)

    def _from_file(self, ticket_id: str) -> Iterator[Ticket | DamagedFile]:
        try:
            yield self.desk.load_ticket(ticket_id)
        except DeskDamaged as exc:
            yield DamagedFile(self.desk.ticket_path(ticket_id), str(exc))
        except NotFound:  # deleted since the listing
            pass


def _listing(folder: Path, fields: attrgetter) -> tuple[list[str], list[tuple]] | None:
    """The names in ``folder`` in the order the file system lists them, and ``fields`` of each one's
    stat (symbolic links followed); None when the folder or one of its entries cannot be stated."""
    try:
        names = os.listdir(folder)
        return names, _stats(folder, names, fields)
    except OSError:
        return None


def _stats(folder: Path, names: list[str], fields: attrgetter) -> list[tuple]:
    if os.stat not in os.supports_dir_fd:
        return list(map(fields, map(os.stat, [f"{folder}/{name}" for name in names])))
    # relative to the open folder the kernel resolves one path component, not the whole path
    folder_fd = os.open(folder, os.O_RDONLY)
    try:
        return list(map(fields, map(partial(os.stat, dir_fd=folder_fd), names)))
    finally:
        os.close(folder_fd)


def _digest(values: list) -> bytes:
    """A digest of a list of names or of stat fields: marshal's version 2 writes values alone (no
    references, which depend on which objects happen to be shared), so equal lists give equal digests."""
    return blake2b(marshal.dumps(values, 2), digest_size=32).digest()


def _block_digests(values: list) -> tuple[bytes, ...]:
    return tuple(_digest(values[i:i + BLOCK]) for i in range(0, len(values), BLOCK))


def _fingerprint(names: list[str], stats: list[tuple]) -> tuple[int, tuple[bytes, ...], tuple[bytes, ...]]:
    """What ``_still_listed`` compares a folder with: how many names, and the digests of each block of
    BLOCK names and of their stats (a change re-checks the blocks it touched, not the whole folder)."""
    return len(names), _block_digests(names), _block_digests(stats)


def _blocks(names: list[str], stats: list[tuple]) -> dict[int, tuple[list[str], list[tuple]]]:
    """Every block of a folder as listed and stated: {block: (names, stats)}."""
    return {b: (names[i:i + BLOCK], stats[i:i + BLOCK]) for b, i in enumerate(range(0, len(names), BLOCK))}


def _proved(folder_key: str, fingerprint: tuple, blocks: dict[int, tuple[list[str], list[tuple]]],
            keys: dict[str, Key]) -> tuple:
    """``fingerprint`` with the stats digest of each of ``blocks`` (stated now) made anew: the digest of
    its stats where ``keys`` hold every one of them, else one that nothing has (a file re-read as racy, or
    changed while it was read: the next run compares that block's keys again)."""
    count, names_digests, stats_digests = fingerprint
    stats_digests = list(stats_digests)
    ticket_part = folder_key == LISTING_TICKETS
    for b, (names, stats) in blocks.items():
        held = True
        for name, stat in zip(names, stats):
            if name[-5:] != ".yaml":
                continue
            key = keys.get(name[:-5])
            if key is None:
                if ticket_part and ids.ID_RE.match(name[:-5]):
                    held = False  # a ticket file the keys do not hold (gone while it was read)
                    break
                continue
            if (key[:TICKET_PART] if ticket_part else key[TICKET_PART:]) != stat:
                held = False
                break
        stats_digests[b] = _digest(stats) if held else b""
    return count, names_digests, tuple(stats_digests)


Fingerprinted = tuple[Path, attrgetter, int, tuple[bytes, ...], tuple[bytes, ...]]  # a folder, its fields, its _fingerprint
Changes = dict[int, tuple[list[str], list[tuple]]]  # the blocks that stat otherwise: {block: (names, stats)}
Proof = tuple[str, tuple, Changes]  # a folder's meta key, its fingerprint, and its changed blocks


def _still_listed(folders: list[Fingerprinted]) -> list[Changes] | None:
    """For each folder, the blocks of names whose files stat otherwise than when its fingerprint was
    taken (``_fingerprint``); None when a folder lists other names (or cannot be listed or stated). With
    many names the work is split with a forked process, which stats the other folders (`search`: the
    journals) or the second half of the blocks of the only one: os.stat and the listing are mostly kernel
    time, and they run on both cores."""
    listed = []
    for path, _fields, count, names_digests, _ in folders:
        try:
            names = os.listdir(path)
        except OSError:
            return None
        if len(names) != count or _block_digests(names) != names_digests:
            return None
        listed.append(names)
    jobs = [(path, fields, names, digests, range(len(digests)))
            for (path, fields, _, _, digests), names in zip(folders, listed)]
    if sum(map(len, listed)) < SPLIT_FROM or not hasattr(os, "fork") or _cores() < 2:
        found = [_changed_blocks(*job) for job in jobs]
        return None if None in found else found
    if len(jobs) > 1:
        mine, theirs = _forked(lambda: [_changed_blocks(*jobs[0])], lambda: [_changed_blocks(*j) for j in jobs[1:]])
        found = None if theirs is None else mine + theirs
        return None if found is None or None in found else found
    path, fields, names, digests, blocks = jobs[0]
    cut = len(blocks) // 2
    mine, theirs = _forked(lambda: _changed_blocks(path, fields, names, digests, blocks[:cut]),
                           lambda: _changed_blocks(path, fields, names, digests, blocks[cut:]))
    return None if mine is None or theirs is None else [{**mine, **theirs}]


def _changed_blocks(folder: Path, fields: attrgetter, names: list[str], digests: tuple[bytes, ...],
                    blocks: range) -> Changes | None:
    """The ``blocks`` of ``names`` whose stats differ from ``digests``, with their stats; None when a
    file cannot be stated (deleted since the listing, a dangling link)."""
    changed: Changes = {}
    for b in blocks:
        part = names[b * BLOCK:(b + 1) * BLOCK]
        try:
            stats = _stats(folder, part, fields)
        except OSError:
            return None
        if _digest(stats) != digests[b]:
            changed[b] = (part, stats)
    return changed


def _forked(mine: Callable[[], Any], theirs: Callable[[], Any]) -> tuple[Any, Any]:
    """(``mine()``, ``theirs()``), ``theirs`` run in a forked process meanwhile (here when it cannot fork)
    and sent back marshalled; its answer is None when the child failed."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return mine(), theirs()
    if pid == 0:  # the child: it never runs the parent's cleanup (os._exit)
        try:
            os.close(reader)
            answer = marshal.dumps(theirs())
            with os.fdopen(writer, "wb") as out:
                out.write(answer)
        finally:
            os._exit(0)
    os.close(writer)
    try:
        with os.fdopen(reader, "rb") as answer:
            held = mine()
            data = answer.read()
    finally:
        os.waitpid(pid, 0)
    try:
        return held, marshal.loads(data)
    except (EOFError, ValueError, TypeError):  # nothing: the child failed, so nothing is proven
        return held, None


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _journal_key(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return NO_JOURNAL
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _unsearch(db: sqlite3.Connection, ticket_ids: Collection[str]) -> None:
    """Drop the search rows of these tickets (before their rows in `tickets` go)."""
    ticket_ids = list(ticket_ids)
    for i in range(0, len(ticket_ids), CHUNK):
        part = ticket_ids[i:i + CHUNK]
        db.execute(f"DELETE FROM search WHERE rowid IN (SELECT rowid FROM tickets WHERE id IN "
                   f"({','.join('?' * len(part))}))", part)


# -- parsing, possibly in worker processes --------------------------------

_DESK: Desk | None = None  # the desk a forked worker parses for


def _parse_all(desk: Desk, stale: list[tuple], wanted: frozenset[str] | None = None) -> Iterator[list[tuple]]:
    """Index rows for the work of ``stale``, a chunk at a time: (id, with its search row or not) to
    parse a ticket file, (id, its key's ticket part, its stored (subject, text)) for a search row alone;
    a file read now whose status is not ``wanted`` (None: all are) may get a pending row."""
    chunks = [(wanted, stale[i:i + CHUNK]) for i in range(0, len(stale), CHUNK)]
    cores = _cores()
    if len(stale) >= PARALLEL_FROM and cores > 1:
        desk._sla_or_none  # noqa: B018  (computed once, before the workers fork)
        pool = _pool(desk, cores)
        if pool is not None:
            with pool:
                yield from pool.imap_unordered(_parse_chunk, chunks)
            return
    for _, chunk in chunks:
        yield [_parse_one(desk, *work, wanted) if len(work) == 2 else _search_one(desk, *work) for work in chunk]


def _pool(desk: Desk, cores: int):
    global _DESK
    try:
        import multiprocessing

        _DESK = desk
        return multiprocessing.get_context("fork").Pool(cores)
    except (OSError, ValueError, ImportError):  # no fork, no semaphores: parse here
        return None


def _parse_chunk(job: tuple[frozenset[str] | None, list[tuple]]) -> list[tuple]:
    assert _DESK is not None
    wanted, chunk = job
    with _no_gc():
        return [_parse_one(_DESK, *work, wanted) if len(work) == 2 else _search_one(_DESK, *work) for work in chunk]


def _parse_one(desk: Desk, ticket_id: str, search: bool = True, wanted: frozenset[str] | None = None
               ) -> tuple[str, Key | None, tuple | None, tuple | None]:
    """(id, key, row, search row), or (id, None, None, None) for a file gone meanwhile; without
    ``search``, no search row and the journal key UNSEARCHED (the journal is not even stated).
    A file whose status _scanned_status reads and is not in ``wanted`` gets a pending row.

    The key comes from the open file (and the journal's from before it is read), so it never claims
    newer content than was read.
    """
    path = desk.tickets_dir / f"{ticket_id}.yaml"
    refused = None
    try:
        raw, st = yamlio.read_regular(path, with_stat=True)
    except FileNotFoundError:
        return ticket_id, None, None, None
    except DeskDamaged as exc:  # a link, a folder, a FIFO, too large: indexed as damaged, never read
        refused = exc
        try:
            st = os.stat(path)
        except FileNotFoundError:  # a dangling link: not a ticket file, as _stat_files has it
            return ticket_id, None, None, None
        except OSError:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return ticket_id, None, None, None
    journal_path = f"{desk.journal_dir}/{ticket_id}.yaml"
    now = time.time_ns()
    racy = now - st.st_mtime_ns < RACY_NS
    key = (st.st_size, -1 if racy else st.st_mtime_ns, st.st_ino, st.st_ctime_ns) + (
        _stated_journal(journal_path, now) if search else UNSEARCHED)
    if wanted is not None and refused is None and not search:
        status = _scanned_status(raw)
        if status is not None and status not in wanted:
            return ticket_id, key, (ticket_id, status, None, None, None, None, None, None, None), None
    try:
        if refused is not None:
            raise refused
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DeskDamaged(f"{path}: not UTF-8 text", "restore the file with git") from None
        ticket = desk.parse_ticket_text(text, path)
        data = ticket_to_row(ticket, desk.tz)
    except DeskDamaged as exc:
        return ticket_id, key, (ticket_id, None, None, None, None, None, str(exc), None, None), None
    return ticket_id, key, (ticket_id, ticket.status,
                            ticket.received_at.timestamp() if ticket.received_at else None,
                            org_key(ticket.org) if ticket.org else None,
                            ticket.assignee.casefold() if ticket.assignee else None,
                            marshal.dumps(data), None, ticket.merged_into,
                            marshal.dumps(ticket_to_queue_row(ticket, desk.tz, desk._sla_or_none))), \
        _search_row(ticket.subject, ticket.text, Path(journal_path)) if search else None


# The first lines supportctl writes (codec.ticket_to_file, blank lines between them or not); the next
# line that is not blank must begin a key at column 0, so the status is a plain word alone
_HEAD = re.compile(rb"schema: [0-9]+\n+id: [-A-Za-z0-9]+\n+status: ([a-z]+)\n(?=\n*[A-Za-z_])")
# a line that could start another top-level key `status`, or one this check cannot vouch for
_ODD_LINE = re.compile(rb"\n(?:status\b|(?![A-Za-z_ \n]|- |\Z))")
_OTHER_BREAKS = (b"\r", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # YAML reads these as line breaks too


def _scanned_status(raw: bytes) -> str | None:
    """The status of a ticket file read from its first lines alone, or None when that reading might
    differ from the full parse's. It is the status the ticket has *if* the file is valid: the
    top-level mapping starts at column 0, so its keys are the lines that start there; when every
    other such line starts a plain key other than `status` (or a `- ` item of an indentless
    sequence), no later key replaces this one."""
    head = _HEAD.match(raw)
    if head is None or head.group(1).decode() not in STATUSES:
        return None
    if _ODD_LINE.search(raw, head.end() - 1) or any(b in raw for b in _OTHER_BREAKS):
        return None
    return head.group(1).decode()


def _stated_journal(path: str, now: int) -> tuple[int, int, int]:
    """The journal's part of a key, stated before it is read; a racy mtime never matches."""
    size, mtime, ctime = _journal_key(path)
    return size, -2 if now - mtime < RACY_NS else mtime, ctime


def _search_one(desk: Desk, ticket_id: str, ticket_key: tuple, texts: tuple[str, str] | None) -> tuple:
    """(id, key, False, search row) for a ticket whose row stays and whose journal changed; no search
    row for a damaged file (``texts`` None)."""
    journal_path = desk.journal_dir / f"{ticket_id}.yaml"
    key = tuple(ticket_key) + _stated_journal(str(journal_path), time.time_ns())
    return ticket_id, key, False, _search_row(*texts, journal_path) if texts is not None else None


def _search_row(subject: str, ticket_text: str, journal_path: Path) -> tuple[str, str, str]:
    """(stemmed subject, stemmed body, the text snippets are cut from), at most MAX_INDEXED_CHARS."""
    from supportctl.desk import journal as journal_file
    from supportctl.domain.search import MAX_INDEXED_CHARS, indexed_text

    parts, size = [subject, ticket_text], len(subject) + len(ticket_text)
    entries, _ = journal_file.read(journal_path)  # broken lines are `check`'s to report
    for entry in entries:
        if size >= MAX_INDEXED_CHARS:
            break
        if entry.text:
            parts.append(entry.text)
            size += len(entry.text) + 1
    text = "\n".join(parts)[:MAX_INDEXED_CHARS]
    return indexed_text(text[:len(subject)]), indexed_text(text[len(subject):]), text


@contextmanager
def _no_gc():
    """Bulk building of many small objects: the cyclic collector only slows it (nothing here cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
