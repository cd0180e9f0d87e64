"""`import`: move an existing register into the desk, JSON Lines in the shape of `show --json`.

All or nothing: a first pass parses and checks every line and keeps its files'
bytes in a temporary file; only when every line is good does the second pass
allocate IDs and write them (issue 13). A 100,000-ticket register is never
held in memory whole.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from supportctl.desk import journal as journal_file
from supportctl.desk import undo
from supportctl.desk.files import BulkWriter
from supportctl.domain import ids, messages
from supportctl.domain.codec import entry_from_dict, ticket_from_dict
from supportctl.domain.customers import find_customer, match
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue, Refused
from supportctl.services import deadlines
from supportctl.services.context import Ctx

Lines = Callable[[], Iterable[str]]  # the input, read once
_NOT_IMPORTED = "nothing was imported; fix the line and run again"


@dataclass
class Parsed:
    ticket: Ticket  # id "" when the line brings none
    history: list[Entry]
    marked_unverified: bool = False  # the line says "verified": false (true is never taken on faith)


@dataclass
class Checked:
    count: int = 0
    given_ids: set[str] = field(default_factory=set)


def parse_line(line: str, where: str) -> Parsed:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise TypeError("a line must be a JSON object")
        history = [entry_from_dict(e) for e in data.get("history") or []]
        fields = {k: v for k, v in data.items() if k not in ("history", "sla", "sla_state", "schema")}
        given_id = fields.get("id")
        fields["id"] = ids.validate_id(given_id) if given_id else ""
        ticket = ticket_from_dict(fields)
    except RecursionError:
        raise InvalidValue(f"{where}: nested too deeply", _NOT_IMPORTED) from None
    except (ValueError, KeyError, TypeError, OverflowError, InvalidValue) as exc:  # incl. ticket.problems
        raise InvalidValue(f"{where}: {exc}", _NOT_IMPORTED) from None
    if ticket.received_at is None:
        raise InvalidValue(f"{where}: received_at is required", _NOT_IMPORTED)
    return Parsed(ticket, history, data.get("verified") is False)


class Customers:
    """customers.yaml for many lines: the customer of each organisation (or address) looked up once."""

    def __init__(self, customers: list):
        self.all = customers
        self._found: dict[tuple, list] = {}

    def of(self, org: str | None, email: str | None) -> list:
        """The customers `match` would consider for this sender: the one it finds, or none."""
        key = (org, email)
        if key not in self._found:
            found = find_customer(self.all, org=org, email=email)
            self._found[key] = [found] if found is not None else []
        return self._found[key]


def match_customer(parsed: Parsed, customers: list | Customers, tz, lang: str) -> None:
    """Item 7 of issue 10 / R-7.7: an imported ticket is matched against customers.yaml as `new` matches
    a new one (contacts, contract and plan from there); one the line marks unverified stays so."""
    from supportctl.services.tickets import NewTicket, _fill_customer

    t = parsed.ticket
    if isinstance(customers, Customers):  # `match` finds the same customer among these
        customers = customers.of(t.org, t.contact.email)
    found = match(customers, org=t.org, name=t.contact.name, email=t.contact.email,
                  on=t.received_at.astimezone(tz).date())
    given_reason = t.unverified_reason
    t.contract = t.plan = None
    _fill_customer(t, NewTicket(subject="", text="", org=t.org, contact=t.contact), found, lang)
    if parsed.marked_unverified and t.verified:
        t.verified, t.plan = False, None
        t.unverified_reason = given_reason or messages.unverified_reason("imported_unverified", lang)


def _numbered(lines: Lines, source: str) -> Iterable[tuple[str, str]]:
    try:
        for n, line in enumerate(lines(), 1):
            if line.strip():
                yield line, f"{source}:{n}"
    except UnicodeDecodeError:
        raise InvalidValue(f"{source}: not UTF-8 text", "convert it to UTF-8; nothing was imported") from None


def _count_id(checked: Checked, ticket_id: str, where: str) -> None:
    if ticket_id:
        if ticket_id in checked.given_ids:
            raise InvalidValue(f"{where}: ID {ticket_id} appears twice in the file", _NOT_IMPORTED)
        checked.given_ids.add(ticket_id)
    checked.count += 1


# The ID a ticket without one is written with while it waits for its own (any valid ID: it is cut out).
_PLACEHOLDER = "ZZZ-0"
_RECORD = struct.Struct("<IIII")


@dataclass
class Prepared(Checked):
    """Every line checked, matched and written out as its files' bytes, in a spill file, in order:
    the write pass only allocates IDs and creates files (issue 13: each line is parsed once)."""
    spill: BinaryIO | None = None

    def records(self) -> Iterator[tuple[str, bytes, bytes, bytes]]:
        """(given ID or "", the ticket file's bytes before its ID and after it, the journal's bytes)."""
        spill, record = self.spill, _RECORD
        spill.seek(0)
        for _ in range(self.count):
            sizes = record.unpack(spill.read(record.size))
            given, head, tail, journal = (spill.read(size) for size in sizes)
            yield given.decode("ascii"), head, tail, journal

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()
            self.spill = None


# Lines a worker process prepares at a time; a register of one batch or less is prepared in-process.
BATCH = 200


@dataclass
class _Job:
    """What preparing a line needs, made before the worker processes fork so that each starts with it."""
    desk: object
    customers: Customers
    tz: object
    lang: str
    imported: list[Entry]


_job: _Job | None = None  # the job of a worker process (set before the fork)


def prepare(ctx: Ctx, lines: Lines, source: str) -> Prepared:
    """The one pass over the input, under the desk lock: each line parsed, checked as `new` checks
    (R-7.7 customers, R-6.6 deadlines) and made into its files' bytes; raises on the first bad line,
    having written nothing in the desk. Batches of lines are prepared on every core the process may
    use, and kept in input order. The bytes go to an unnamed temporary file (gone when the process
    is), so a 100,000-ticket register is never held in memory whole."""
    global _job
    desk = ctx.desk
    prepared = Prepared()
    with desk.lock():
        desk.sla  # noqa: B018 (calendars and holidays loaded once, before any fork)
        job = _Job(desk, Customers(desk.customers()), desk.tz, ctx.lang,
                   [Entry(ctx.now, ctx.actor, "imported", messages.text("imported", ctx.lang))])
        desk.state_dir.mkdir(parents=True, exist_ok=True)
        prepared.spill = tempfile.TemporaryFile(dir=desk.state_dir)
        try:
            batches = _batches(_numbered(lines, source))
            first = next(batches, [])
            second = next(batches, None)
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            if second is None or cores < 2:
                for batch in itertools.chain([first], [second] if second else [], batches):
                    _keep(prepared, _prepare_batch(batch, job))
            else:
                _job = job
                try:
                    _prepare_in_parallel(prepared, itertools.chain([first, second], batches), cores)
                finally:
                    _job = None
        except BaseException:
            prepared.close()
            raise
    return prepared


def _batches(numbered: Iterable[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    batch = []
    for item in numbered:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_in_parallel(prepared: Prepared, batches: Iterator[list[tuple[str, str]]], cores: int) -> None:
    """Batches prepared by `cores` forked workers, at most two each in flight; their results kept in
    order, so the first bad line of the input is the one reported, as in one process."""
    import multiprocessing

    pending: deque = deque()
    with multiprocessing.get_context("fork").Pool(cores) as pool:  # left by `with`: the workers end
        while True:
            try:
                batch = next(batches, None)
            except InvalidValue:  # the input stops being UTF-8: a bad line before that is reported first
                while pending:
                    _keep(prepared, pending.popleft().get())
                raise
            if batch is None:
                break
            pending.append(pool.apply_async(_prepare_batch, (batch,)))
            if len(pending) >= 2 * cores:
                _keep(prepared, pending.popleft().get())
        while pending:
            _keep(prepared, pending.popleft().get())


def _prepare_batch(batch: list[tuple[str, str]], job: _Job | None = None):
    """([(where, given ID, the files' bytes), …] up to the first bad line, that line's error or None)."""
    job = job or _job
    done = []
    for line, where in batch:
        try:
            done.append((where, *_prepare_line(line, where, job)))
        except InvalidValue as exc:
            return done, exc
    return done, None


def _prepare_line(line: str, where: str, job: _Job) -> tuple[str, tuple[bytes, bytes, bytes, bytes]]:
    parsed = parse_line(line, where)
    t = parsed.ticket
    match_customer(parsed, job.customers, job.tz, job.lang)
    try:
        deadlines.refresh(job.desk, t)
    except (ValueError, OverflowError) as exc:
        raise InvalidValue(f"{where}: no deadline can be computed: {exc}", _NOT_IMPORTED) from None
    given = t.id
    t.id = given or _PLACEHOLDER
    head, tail = _split_at_id(job.desk.ticket_text(t), t.id)
    return given, (given.encode("ascii"), head.encode("utf-8"), tail.encode("utf-8"),
                   journal_file.whole_text(parsed.history or job.imported, job.tz).encode("utf-8"))


def _keep(prepared: Prepared, result) -> None:
    """A prepared batch into the spill file, each ID checked against those before it; then its error."""
    done, error = result
    spill, record = prepared.spill, _RECORD
    for where, given, parts in done:
        _count_id(prepared, given, where)
        spill.write(record.pack(*map(len, parts)))
        spill.writelines(parts)
    if error is not None:
        raise error


def _split_at_id(text: str, ticket_id: str) -> tuple[str, str]:
    """The ticket file's text before its ID and after it. The writer starts a top-level key at column 0
    and indents every other line (or starts it with "-"), so the first line at column 0 that starts
    with "id: " holds the ticket's ID, written plain as IDs are."""
    at = 0 if text.startswith("id: ") else text.find("\nid: ") + 1
    if not text.startswith(f"id: {ticket_id}\n", at):
        raise RuntimeError(f"the ticket file's layout has no line 'id: {ticket_id}'")
    return text[:at + 4], text[at + 4 + len(ticket_id):]


def import_tickets(ctx: Ctx, prepared: Prepared, progress: Callable[[int], None] | None = None) -> list[str]:
    """The write pass, under the desk lock: allocate missing IDs, write tickets and journals."""
    desk = ctx.desk
    desk.tickets_dir.mkdir(exist_ok=True)
    desk.journal_dir.mkdir(exist_ok=True)
    written: list[str] = []
    with desk.lock():
        taken = set(desk.ticket_ids()) | _journal_ids(desk)
        clash = sorted(prepared.given_ids & taken)
        if clash:
            raise Refused(f"the desk already has ticket {clash[0]}" + (f" and {len(clash) - 1} more" if clash[1:] else ""),
                          "nothing was imported; drop the id field to have new IDs allocated")
        bulk = undo.ImportRecord(desk)
        bulk.begin()  # before the ID counter moves: a killed import is rolled back by the next command
        files = BulkWriter(desk.tickets_dir, desk.journal_dir, fresh=True)  # new IDs only: checked above
        try:
            fresh = iter(desk.allocate_ids(prepared.count - len(prepared.given_ids),
                                           reserved=frozenset(prepared.given_ids), taken=taken))
            for given, head, tail, journal in prepared.records():
                ticket_id = given or next(fresh)
                text = b"".join((head, ticket_id.encode("ascii"), tail))
                bulk.will_write(ticket_id, text, journal)
                written.append(ticket_id)
                name = f"{ticket_id}.yaml"  # a valid ID: checked where the line was read, or allocated
                files.create(desk.tickets_dir, name, text)
                files.create(desk.journal_dir, name, journal)
                if progress:
                    progress(1)
            os.sync()
        except BaseException:
            bulk.abandon()  # all or nothing: what it wrote goes, the ID counter is as before
            raise
        bulk.finish()
    return written


def _journal_ids(desk) -> set[str]:
    """IDs with a journal file, with or without a ticket: an import must not overwrite either."""
    try:
        names = os.listdir(desk.journal_dir)
    except FileNotFoundError:
        return set()
    return {n[:-5] for n in names if n.endswith(".yaml") and ids.ID_RE.match(n[:-5])}
