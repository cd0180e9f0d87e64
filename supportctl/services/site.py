"""The static site (issue 15): what `supportctl site` shows, read from the desk once, and how it is written.

``collect`` reads every ticket from the ticket index and every journal once, and builds what the pages
show: the queue as `list` orders it, each ticket with its SLA timers, journal, attachments and related
tickets, each customer with its SLA figures, and the reports of the current and the previous month
(built by the report modules over the same reading). A cabinet (``customer``) holds one customer's
tickets only, their journals filtered by ``reports.customer.visible_kind`` (what `report customer` shows).

``publish`` writes the rendered pages into the site's folder incrementally: a manifest in that folder
names every page it wrote with the hash of its bytes; a page is written (atomically) only when its bytes
differ, and the pages of the last run that are no longer part of the site are removed. Files the
manifest does not name are never touched.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

from supportctl import __version__
from supportctl.desk.desk import DamagedFile
from supportctl.domain.customers import Customer, find_customer, org_key
from supportctl.domain.journal import Entry, in_time_order
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue, Refused
from supportctl.reports.model import CHANNEL_KINDS, Report, Section
from supportctl.reports.period import Period, Scope, period_from_options
from supportctl.services.context import Ctx
from supportctl.services.query import queue_order
from supportctl.services.reporting import DeskSource, build_from, known_org
from supportctl.services.views import queue_state, sla_of

MANIFEST = ".supportctl-site.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest of 100,000 tickets' pages is ~10 MB
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024  # a larger attachment is named on its ticket's page, not copied
STAFF_REPORTS = ("sla", "workload", "time", "csat", "journal")
CABINET_REPORTS = ("customer", "sla")  # what a customer may read of the reports: its own tickets only
# the only file names the site writes or removes: folders and names of letters, digits, "-", "_", "."
PAGE_PATH = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,120}(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,120}){0,3}\Z")
# copies of attachments keep an extension only for types a browser shows without running anything
SAFE_EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "pdf": ".pdf"}


@dataclass
class Attachment:
    name: str  # as stored with the ticket: shown as text, never used as a file name
    path: str | None  # the copy's path in the site; None when it cannot be copied
    data: bytes | None = None
    why: str | None = None  # why it is not copied


@dataclass
class TicketData:
    ticket: Ticket
    sla: object  # domain.sla.TicketSla
    state: str | None  # the current timer's state, as `list` shows it
    due: datetime | None  # the deadline that runs now
    running: set[str]  # the states of the running timers
    entries: list[Entry] = field(default_factory=list)  # the journal the page shows, in time order
    attachments: list[Attachment] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (relation, ID of a ticket of the site)


@dataclass
class CustomerData:
    slug: str  # its page's file name (without .html)
    org: str
    customer: Customer | None  # None: an organisation only named on tickets
    open: list[TicketData]
    recent: list[TicketData]  # finished, received in the current or the previous month
    sla: list[tuple[Report, Section]]  # its SLA figures: current month, then previous


@dataclass
class Site:
    now: datetime
    tz: object
    lang: str
    base_url: str | None
    cabinet: CustomerData | None  # --customer: the one customer the site is for
    queue: list[TicketData]  # the tickets `list` shows, in its order
    tickets: dict[str, TicketData]  # every ticket with a page
    customers: list[CustomerData]
    warnings: list[str] = field(default_factory=list)
    source: "SiteSource" = None  # the reading the reports share
    periods: list[Period] = field(default_factory=list)  # the current month, then the previous one

    @functools.cached_property
    def reports(self) -> list[tuple[str, Period, Report]]:
        """(name, month, report): every report of the current month, then of the previous one."""
        return _build_reports(self)


class SiteSource(DeskSource):
    """The desk as the reports read it, from one reading: every report of the site filters the same
    tickets in memory instead of syncing the index again."""

    def __init__(self, desk, now: datetime, tickets: list[Ticket], journals: dict[str, list[Entry]]):
        super().__init__(desk, now)
        self._by_org: dict[str, list[Ticket]] = defaultdict(list)
        self._all = tickets
        for t in tickets:
            self._by_org[org_key(t.org or "")].append(t)
        self.read_journals = journals
        self._customers: list[Customer] | None = None

    def tickets(self, scope: Scope, received_in: Period | None = None, *, merged: bool = False) -> list[Ticket]:
        filters = self.filters(scope, received_in, merged=merged)
        pool = self._by_org.get(org_key(scope.org), []) if scope.org else self._all
        return [t for t in pool if filters.accepts(t)]

    def each_ticket(self, scope: Scope, received_in: Period | None = None, *,
                    merged: bool = False) -> Iterator[Ticket]:
        return iter(self.tickets(scope, received_in, merged=merged))

    def each_timed(self, scope: Scope, received_in: Period | None = None, *,
                   merged: bool = False) -> Iterator[tuple[tuple, tuple, int]]:
        """``DeskSource.each_timed`` of the tickets read, computed in full."""
        from supportctl.domain.codec import ticket_to_queue_row
        from supportctl.domain.sla import timed_in_full

        sla, now, tz = self.sla, self.now, self.tz
        for t in self.tickets(scope, received_in, merged=merged):
            yield (ticket_to_queue_row(t, tz, None), *timed_in_full(t, sla, now))

    def journal(self, ticket_id: str) -> list[Entry]:
        found = self.read_journals.get(ticket_id)
        if found is None:
            found = self.read_journals[ticket_id] = super().journal(ticket_id)
        return found

    def customers(self) -> list[Customer]:
        if self._customers is None:
            self._customers = self.desk.customers()
        return self._customers


def months(now: datetime, tz) -> list[Period]:
    """The current calendar month of ``now`` in the desk's zone, then the previous one."""
    current = period_from_options(None, None, now, tz)
    before = current.first - timedelta(days=1)
    return [current, period_from_options(None, None, now, tz, month=f"{before.year:04d}-{before.month:02d}")]


_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


@functools.lru_cache(maxsize=4096)
def slug(name: str) -> str:
    """A file name for an organisation or a person, from its org key only: Latin letters, digits and
    "-" (Russian transliterated), cut to 40 characters, and a hash of the key so that two names that
    read the same here still get two pages: 'akb-barer-3f2a9c1d'."""
    key = org_key(name or "")
    text = "".join(_TRANSLIT.get(c, c) for c in key)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{text}-{digest}" if text else digest


def collect(ctx: Ctx, customer: str | None = None, base_url: str | None = None) -> Site:
    """What the site shows, as of ``ctx.now``; ``customer``: only that customer's cabinet. The tickets'
    journals and attachments are read when their pages are made (``complete``), the reports when first
    asked for (``Site.reports``), so that both can run at once (``publish``)."""
    desk, now, tz, lang = ctx.desk, ctx.now, ctx.desk.tz, ctx.lang
    warnings: list[str] = []
    tickets: list[Ticket] = []
    for item in desk.iter_tickets():
        if isinstance(item, DamagedFile):
            warnings.append(f"skipped {item}")
        else:
            tickets.append(item)
    tickets.sort(key=queue_order)
    source = SiteSource(desk, now, tickets, {})
    cabinet_org = None
    if customer is not None:
        cabinet_org = known_org(source, Scope(Period(None, None, tz), org=customer)).org
        key = org_key(cabinet_org)
        # its own tickets, the merged duplicates left out, as `report customer` lists them
        tickets = [t for t in tickets if org_key(t.org or "") == key and not t.merged_into]
        source = SiteSource(desk, now, tickets, {})

    data: dict[str, TicketData] = {}
    for t in tickets:
        sla = sla_of(desk, t, now)
        state, due, running = queue_state(t, sla)
        data[t.id] = TicketData(t, sla, state, due, running)
    _relate(data)
    queue = [d for d in data.values() if d.ticket.status != "closed" and not d.ticket.merged_into]

    periods = months(now, tz)
    register = source.customers()
    orgs: dict[str, str] = {}
    if cabinet_org is not None:
        orgs[org_key(cabinet_org)] = cabinet_org
    else:
        for c in register:
            orgs.setdefault(org_key(c.org), c.org)
        for t in tickets:
            if t.org and org_key(t.org):
                orgs.setdefault(org_key(t.org), t.org)
    by_org: dict[str, list[TicketData]] = defaultdict(list)
    for d in data.values():
        if not d.ticket.merged_into:
            by_org[org_key(d.ticket.org or "")].append(d)
    customers = []
    for key, org in sorted(orgs.items(), key=lambda item: item[1].casefold()):
        own = by_org.get(key, [])
        recent = [d for d in own if not d.ticket.is_open
                  and (periods[1].contains(d.ticket.received_at) or periods[0].contains(d.ticket.received_at))]
        recent.sort(key=lambda d: (d.ticket.received_at.timestamp() if d.ticket.received_at else 0, d.ticket.id),
                    reverse=True)
        customers.append(CustomerData(slug(org), org, find_customer(register, org=org),
                                      [d for d in own if d.ticket.is_open], recent, []))
    site = Site(now, tz, lang, base_url, customers[0] if cabinet_org is not None else None, queue, data,
                customers, warnings)
    site.source, site.periods = source, periods
    return site


def _build_reports(site: Site) -> list[tuple[str, Period, Report]]:
    """The reports of the current and the previous month, and each customer's rows of the SLA ones."""
    cabinet = site.cabinet.org if site.cabinet is not None else None
    names = CABINET_REPORTS if cabinet is not None else STAFF_REPORTS
    reports = [(name, p, build_from(site.source, name, Scope(p, org=cabinet, lang=site.lang)))
               for p in site.periods for name in names]
    for c in site.customers:
        c.sla = [(report, _customer_rows(report, org_key(c.org))) for name, _, report in reports if name == "sla"]
    site.warnings += site.source.warnings
    return reports


def _customer_rows(report: Report, key: str) -> Section:
    """The rows of one organisation in the SLA report's section by customer (its figures, as the
    desk-wide report counts them: one report for every customer page)."""
    section = next(s for s in report.sections if s.key == "by_customer")
    rows = [row for row in section.rows if org_key(row.get("org") or "") == key]
    return replace(section, rows=rows)


def _relate(data: dict[str, TicketData]) -> None:
    """The tickets of the site each ticket relates to: the one it was merged into, the duplicates merged
    into it, linked and split ones, and those filed from the same mail thread (a Message-ID in common)."""
    merged_in: dict[str, list[str]] = defaultdict(list)
    thread: dict[str, list[str]] = defaultdict(list)
    for d in data.values():
        t = d.ticket
        if t.merged_into:
            merged_in[t.merged_into].append(t.id)
        for mid in dict.fromkeys(t.message_ids):
            thread[mid].append(t.id)
    for d in data.values():
        t = d.ticket
        related: dict[str, str] = {}
        if t.merged_into:
            related[t.merged_into] = "merged_into"
        for other in merged_in.get(t.id, []):
            related.setdefault(other, "merged_here")
        for other in t.related:
            related.setdefault(other, "linked")
        for mid in dict.fromkeys(t.message_ids):
            for other in thread[mid]:
                related.setdefault(other, "thread")
        related.pop(t.id, None)
        d.related = [(how, other) for other, how in related.items() if other in data]  # never a ticket off the site


def complete(site: Site, d: TicketData) -> None:
    """Read what a ticket's page shows besides the ticket: its journal (in a cabinet only what
    `report customer` shows of it) and its attachments."""
    from supportctl.reports.customer import visible_kind

    t = d.ticket
    entries = site.source.read_journals.get(t.id)  # the reports may have read it already
    if entries is None:
        entries, problems = site.source.desk.read_journal(t.id)
        site.warnings += [str(p) for p in problems]
        entries = in_time_order(entries)
    if site.cabinet is not None:
        d.entries = [e for e in entries if visible_kind(e) is not None]
    else:
        d.entries = [e for e in entries if e.kind not in CHANNEL_KINDS]
    if t.attachments:
        d.attachments = _attachments(site.source.desk, t, d.entries if site.cabinet is not None else None,
                                     site.warnings)


def _attachments(desk, ticket: Ticket, shown: list[Entry] | None, warnings: list[str]) -> list[Attachment]:
    """The ticket's attachments, each read for its copy in the site under a generated name
    (``files/<ID>/<n>.<ext>``, the extension only for images and PDF). ``shown``: in a cabinet, only the
    attachments brought by the entries the customer sees."""
    from supportctl.domain.attachments import sniff
    from supportctl.services import attachments as stored
    from supportctl.errors import SupportError

    allowed = None
    if shown is not None:
        allowed = {name for e in shown if isinstance(e.data, dict) and isinstance(e.data.get("attachments"), list)
                   for name in e.data["attachments"] if isinstance(name, str)}
    found = []
    for n, name in enumerate(dict.fromkeys(str(a) for a in ticket.attachments), 1):
        if allowed is not None and name not in allowed:
            continue
        try:
            content = stored.read(desk, ticket.id, name, MAX_ATTACHMENT_BYTES)
        except SupportError as exc:
            warnings.append(str(exc))
            found.append(Attachment(name, None, why=exc.message))
            continue
        extension = SAFE_EXTENSIONS.get(sniff(content[:64]), ".bin")
        found.append(Attachment(name, f"files/{ticket.id}/{n}{extension}", content))
    return found


# ---------------------------------------------------------------- writing


@dataclass
class Published:
    written: list[str]
    unchanged: int
    removed: list[str]

    def to_dict(self) -> dict:
        return {"written": len(self.written), "unchanged": self.unchanged, "removed": len(self.removed)}


def _read_manifest(out: Path) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]] | None:
    """The pages of the last run with their hashes, and for each ticket the key of what its page was
    made from with the files made for it; None when the folder holds no site."""
    path = out / MANIFEST
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Refused(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
        pages = {p: h for p, h in data["pages"].items() if isinstance(p, str) and isinstance(h, str)
                 and PAGE_PATH.match(p)}
        made = {}
        for ticket_id, (key, paths) in (data.get("tickets") or {}).items():
            if isinstance(key, str) and isinstance(paths, list) and all(p in pages for p in paths):
                made[ticket_id] = (key, paths)
        return pages, made
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
        return {}, {}  # a damaged manifest: every page is made again; pages of gone tickets stay


SITE_FORMAT = 1  # bump when the pages change for the same desk: every ticket's page is made again


def ticket_key(site: Site, d: TicketData) -> str:
    """What a ticket's page is made from: its ticket and journal files (size, times, inode), its
    attachments' files, its timers' states and deadlines now, the tickets it relates to with their
    subjects, and the site's own settings. The page is made again only when this changes."""
    desk, t = site.source.desk, d.ticket

    def stat(path: Path) -> tuple:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return ()
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino

    parts = [SITE_FORMAT, __version__, site.lang, str(site.tz), site.base_url,
             site.cabinet.org if site.cabinet else None, stat(desk.ticket_path(t.id)), stat(desk.journal_path(t.id)),
             [(name, stat(desk.attachments_dir / t.id / name)) for name in map(str, t.attachments)
              if "/" not in name and name not in (".", "..")],
             [(name, timer.state, timer.deadline.isoformat(), timer.stopped_at.isoformat() if timer.stopped_at
               else None) for name, timer in d.sla.timers],
             [(how, other, site.tickets[other].ticket.subject) for how, other in d.related]]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


class _Writer:
    """Writes pages into the site's folder, each only when its bytes differ from the last run's. The
    files are written by a thread of their own, so that the disk's waits overlap with making the next
    pages (measured at 10,000 tickets: forked workers cost more than they saved, their copies of the
    tickets' memory included)."""

    QUEUED = 256  # pages waiting for the writing thread, at most

    def __init__(self, out: Path, known: dict[str, str]):
        self.out = out
        self.known = known
        self.hashes: dict[str, str] = {}
        self.written: list[str] = []
        self._queue: queue.Queue = queue.Queue(self.QUEUED)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="site-writer", daemon=True)
        self._thread.start()

    def put(self, path: str, content: bytes) -> None:
        if not PAGE_PATH.match(path) or ".." in path.split("/"):
            raise ValueError(f"unsafe site path {path!r}")  # a bug: names come from IDs and slugs only
        if self._failed is not None:
            self.close()
        digest = hashlib.sha256(content).hexdigest()
        self.hashes[path] = digest
        target = self.out / path
        if self.known.get(path) == digest and target.is_file() and not target.is_symlink():
            return
        self._queue.put((target, content))
        self.written.append(path)

    def keep(self, path: str) -> bool:
        """Keep the last run's file ``path`` as it is, when it is still there."""
        target = self.out / path
        if path not in self.known or not target.is_file() or target.is_symlink():
            return False
        self.hashes[path] = self.known[path]
        return True

    def _write(self) -> None:
        from supportctl.desk.files import BulkWriter

        writers: dict[Path, BulkWriter] = {}  # each folder checked once, not once a page
        while (item := self._queue.get()) is not None:
            if self._failed is None:
                try:
                    folder = item[0].parent
                    writer = writers.get(folder) or writers.setdefault(folder, BulkWriter(folder))
                    writer.write(item[0], item[1])  # not synced: durable once, by the manifest written last
                except BaseException as exc:  # raised again in the command's thread
                    self._failed = exc

    def close(self) -> None:
        """Wait until every page is written; the first failure to write one is raised here."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._failed is not None:
            raise self._failed


def publish(out: Path, site: Site, pages: Iterable[tuple[str, bytes]],
            render_ticket: Callable[[TicketData], Iterable[tuple[str, bytes]]]) -> Published:
    """Write the site into the folder ``out``: ``pages`` (site path, bytes), then what ``render_ticket``
    makes of each ticket of ``site`` (its page and attachments). A page is written, atomically, only when
    its bytes differ from what the last run wrote; then the pages of the last run that are gone are
    removed and the manifest is written. A folder that exists, is not empty and holds no site is
    refused (it is someone's files)."""
    from supportctl.desk.files import check_inside, confine, write_atomic

    if out.exists() and not out.is_dir():
        raise InvalidValue(f"{out} is not a folder", "give the folder of the site (it is created when missing)")
    last = _read_manifest(out) if out.is_dir() else None
    if last is None and out.is_dir() and any(os.scandir(out)):
        raise Refused(f"{out} is not empty and holds no site made by supportctl (no {MANIFEST})",
                      "give an empty or new folder for the site")
    out.mkdir(parents=True, exist_ok=True)
    confine(out)  # never write through a symbolic link leading out of the site's folder
    known, made = last or ({}, {})
    writer = _Writer(out, known)
    keys: dict[str, tuple[str, list[str]]] = {}
    try:
        for path, content in pages:  # the reports first: the ticket pages take the journals they read
            writer.put(path, content)
        for d in site.tickets.values():
            key = ticket_key(site, d)
            before = made.get(d.ticket.id)
            if before is not None and before[0] == key and all(writer.keep(path) for path in before[1]):
                keys[d.ticket.id] = before  # nothing it shows has changed: not even made
                continue
            complete(site, d)
            files = list(render_ticket(d))
            for path, content in files:
                writer.put(path, content)
            keys[d.ticket.id] = (key, [path for path, _ in files])
            d.entries, d.attachments = [], []  # a page at a time in memory
            site.source.read_journals.pop(d.ticket.id, None)
    finally:
        writer.close()
    removed = []
    for path in sorted(set(writer.known) - set(writer.hashes)):
        target = out / path
        try:
            check_inside(target)  # never through a symbolic link out of the site's folder
            if not target.is_symlink() and target.is_file():
                target.unlink()
                removed.append(path)
            parent = target.parent
            while parent != out and not parent.is_symlink() and parent.is_dir() and not any(os.scandir(parent)):
                parent.rmdir()
                parent = parent.parent
        except (OSError, Refused):
            pass
    site.warnings[:] = list(dict.fromkeys(site.warnings))
    manifest = json.dumps({"format": 1, "pages": dict(sorted(writer.hashes.items())),
                           "tickets": dict(sorted(keys.items()))}, indent=0)
    write_atomic(out / MANIFEST, manifest)
    return Published(writer.written, len(writer.hashes) - len(writer.written), removed)


def check_base_url(url: str | None) -> str | None:
    """--base-url: an http(s) address the site is served at, used only for canonical links."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or c in "\"'<>`\\" for c in url):
        raise InvalidValue(f"invalid --base-url {url!r}", "give the site's address, e.g. https://support.example.ru/desk/")
    return url if url.endswith("/") else url + "/"
