"""What the ticket commands do: each re-reads under the desk lock, changes, writes, journals."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from supportctl.desk.files import ensure_folder, record_written, write_atomic
from supportctl.domain import attachments, ids, lifecycle, messages
from supportctl.domain.customers import match
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Contact, Ticket
from supportctl.domain.values import format_local, parse_date, parse_instant
from supportctl.errors import InvalidValue, NotFound, Refused, SupportError
from supportctl.services import deadlines, notify
from supportctl.services.context import Ctx


@dataclass
class NewTicket:
    """The fields of R-7.7 / R-4.2 as given by a person, a mail or an import."""

    subject: str
    text: str
    org: str | None = None
    contact: Contact = field(default_factory=Contact)
    channel: str = "email"
    category: str | None = None
    product: str | None = None
    received_at: datetime | None = None
    related: list[str] = field(default_factory=list)
    split_from: str | None = None  # the ticket in which this new problem was found (one of related)
    attachments: list[Path] = field(default_factory=list)
    message_id: str | None = None
    notice: dict = field(default_factory=dict)  # extra details for the acknowledgement (mail intake)
    cc: list[str] = field(default_factory=list)  # a mail's Cc:; only the customer's own are kept (domain/cc.py)


@dataclass
class Change:
    ticket: Ticket
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)  # one-line remarks for the person (e.g. a new station)


def check_channel(ctx: Ctx, channel: str) -> None:
    """R-7.5: requests from unofficial channels are not registered."""
    official = ctx.desk.config.channels
    if channel not in official:
        raise Refused(f"channel {channel!r} is not an official channel of this desk (R-7.5)",
                      "official channels: " + ", ".join(official))


def check_attachments(paths: list[Path], limit: int | None = None) -> None:
    """R-7.6, before anything is written: regular files within the size limit, of an accepted type."""
    for path in paths:
        with _open_attachment(path, limit) as f:
            head = f.read(64)
        why = attachments.refusal(path.name, head)
        if why:
            raise Refused(why, "pack BMP screenshots in a ZIP or RAR archive")


def _open_attachment(path: Path, limit: int | None):
    """The file opened for reading: a regular file (a device, FIFO or folder is refused before a byte is
    read, and opening never blocks) of at most ``limit`` bytes."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InvalidValue(f"cannot read attachment {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused(f"attachment {path} is not a regular file", "attach a file, not a device, pipe or folder")
    if limit is not None and info.st_size > limit:
        os.close(fd)
        raise Refused(f"attachment {path} is larger than the limit of {limit} bytes ({info.st_size} bytes)",
                      "send a smaller file, or raise mail.attachment_limit in supportctl.yaml")
    return os.fdopen(fd, "rb")


def create(ctx: Ctx, new: NewTicket, *, force: bool = False, refuse_duplicate: bool = False) -> Change:
    """A new ticket, status new (R-7.4: it gets its unique ID here). ``refuse_duplicate`` (`new`): a
    repeat of a ticket received within ``mail.duplicate_window`` is refused unless ``force`` (IS-1)."""
    desk = ctx.desk
    check_channel(ctx, new.channel)
    if not new.subject.strip() and not new.text.strip():
        raise InvalidValue("the ticket has neither subject nor text", "give --subject and --text (R-7.2)")
    check_attachments(new.attachments, attachment_limit(desk))
    new.related = [ids.validate_id(other) for other in new.related]
    received = new.received_at or ctx.now
    found = match(desk.customers(), org=new.org, name=new.contact.name, email=new.contact.email,
                  on=received.astimezone(desk.tz).date())
    if not found.verified and desk.config.require_contract and not force:
        raise Refused(f"ticket refused: {found.reason('en')}",
                      "register the customer with `supportctl customer`, or pass --force")
    written = None if new.split_from else written_only_refusal(ctx, new, found)
    if written is not None and not force:
        raise WrittenOnlyRefused(written, f"ticket refused: {written.text('en')}",
                                 "ask for it in writing from the authorised contact, or pass --force")
    ticket = Ticket(id="", subject=new.subject.strip(), text=new.text, channel=new.channel,
                    category=new.category, product=new.product, received_at=received)
    _fill_customer(ticket, new, found, ctx.lang)
    if new.cc:
        ticket.cc = copied_from_mail(desk, ticket, new.cc, found.customer)
    notes: list[str] = []
    with desk.lock():
        for other in new.related:
            if not desk.exists(other):
                raise NotFound(f"no ticket {other} to relate to", "see the IDs with: supportctl list")
        if refuse_duplicate and not force:
            _refuse_duplicate(desk, ticket)
        station_is_new = desk.station() is None
        ticket.id = desk.allocate_id()
        if station_is_new:
            notes.append(f"this clone numbers its tickets {ticket.id.split('-')[0]}-…; "
                         "change it with: supportctl station CODE")
        if new.message_id:
            ticket.message_ids.append(new.message_id)
        entries = lifecycle.receive(ticket, received, ctx.actor, ctx.lang)
        if written is not None:  # accepted with --force: the journal keeps why it should not have been
            entries.append(Entry(ctx.now, ctx.actor, "note",
                                 messages.text("written_override", ctx.lang, reason=written.text(ctx.lang)),
                                 data={"override": "written_only", "reason": written.code}))
        for name in store_attachments(desk, ticket.id, new.attachments):
            ticket.attachments.append(name)
        if ticket.cc:
            entries[0].data = {**(entries[0].data or {}), "cc": list(ticket.cc)}
        if ticket.attachments:  # `supportctl attachments` tells which entry brought each file
            entries[0].data = {**(entries[0].data or {}), "attachments": list(ticket.attachments)}
        for other in new.related:
            key = "split_from" if other == new.split_from else "linked"
            entries += lifecycle.link(ticket, other, ctx.now, ctx.actor, ctx.lang, key=key)
        deadlines.refresh(desk, ticket)
        desk.save_change(ticket, entries)
        for other in new.related:
            _link_back(ctx, other, ticket.id, "split" if other == new.split_from else "linked")
    if ticket.channel == "email":
        notes += _notified(notify.deliver(ctx, "acknowledged", ticket, **new.notice))
    return Change(ticket, entries, notes)


def copied_from_mail(desk, ticket: Ticket, addresses: list[str], customer=None) -> list[str]:
    """The addresses of a mail's Cc: to add to ``ticket``'s: its customer's (``customer``, else the one
    of the ticket's organisation), not the desk's own (mail.from, mail.domain)."""
    from supportctl.domain import cc
    from supportctl.domain.customers import find_customer
    from supportctl.mail.settings import mail_settings

    if customer is None and ticket.org:
        customer = find_customer(desk.customers(), org=ticket.org)
    settings = mail_settings(desk.config)
    ours = {settings.loop_id, *([settings.sender.addr_spec.lower()] if settings.sender else [])}
    return cc.from_mail(addresses, ticket, customer, ours, settings.domain)


def _refuse_duplicate(desk, ticket: Ticket) -> None:
    """IS-1: Refused naming the first ticket when ``ticket`` repeats one received within the window."""
    from datetime import timedelta

    from supportctl.desk.desk import DamagedFile
    from supportctl.desk.index import Where
    from supportctl.domain import duplicates
    from supportctl.mail.settings import mail_settings

    new = duplicates.of_ticket(ticket)
    if new is None:
        return
    window = timedelta(minutes=mail_settings(desk.config).duplicate_window_minutes)
    near = Where(received_since=new.received_at - window, received_until=new.received_at + window)
    earlier = (duplicates.of_ticket(t) for t in desk.iter_tickets(near) if not isinstance(t, DamagedFile))
    first = duplicates.duplicate_of(new, (r for r in earlier if r is not None), window)
    if first is not None:
        raise Refused(f"{first} has the same contact, subject and text, received within mail.duplicate_window "
                      f"(IS-1): no new ticket recorded",
                      f"add to it with: supportctl note {first}; or pass --force to record a new ticket anyway")


class WrittenOnlyRefused(Refused):
    """IS-3: a request of a written-only category from another channel or an unauthorised contact."""

    def __init__(self, refusal, message: str, hint: str | None = None):
        super().__init__(message, hint)
        self.refusal = refusal


def written_only_refusal(ctx: Ctx, new: NewTicket, found):
    """Why IS-3 refuses this request (a ``written.Refusal``), or None."""
    from supportctl.domain.written import refusal

    return refusal(ctx.desk.config.written_only, new.category, new.channel, found.contact, new.contact.email)


def _fill_customer(ticket: Ticket, new: NewTicket, found, lang: str) -> None:
    ticket.org = found.customer.org if found.customer else new.org
    given = new.contact
    known = found.contact or Contact()
    ticket.contact = Contact(name=given.name or known.name, position=given.position or known.position,
                             phone=given.phone or known.phone, email=given.email or known.email)
    if found.customer and found.verified:
        period = found.period or found.customer.current_period()  # an old ticket: the contract of its day
        ticket.contract, ticket.plan = period.contract, period.plan
    elif found.customer:
        ticket.contract = found.customer.contract
    ticket.verified = found.verified
    ticket.unverified_reason = found.reason(lang)


def verify(ctx: Ctx, ticket_id: str, org: str | None = None, name: str | None = None,
           email: str | None = None) -> Change:
    """R-7.7: match a ticket to customers.yaml again, once its customer or contact is registered
    (the organisation and contact may be named anew); the plan it gets moves its deadlines."""
    customers = ctx.desk.customers()

    def operation(t: Ticket) -> list[Entry]:
        lifecycle.check_action(t, "verify")
        given = NewTicket(subject="", text="", org=org or t.org,
                          contact=Contact(name=name or t.contact.name, position=t.contact.position,
                                          phone=t.contact.phone, email=email or t.contact.email))
        found = match(customers, org=given.org, name=given.contact.name, email=given.contact.email,
                      on=t.received_at.astimezone(ctx.desk.tz).date())
        t.contract = t.plan = None
        _fill_customer(t, given, found, ctx.lang)
        if t.verified:
            line = messages.text("verified", ctx.lang, org=t.org, name=t.contact.name, contract=t.contract or "—")
        else:
            line = messages.text("still_unverified", ctx.lang, reason=t.unverified_reason)
        return [Entry(ctx.now, ctx.actor, "verified", line, data={"verified": t.verified, "plan": t.plan})]

    return mutate(ctx, ticket_id, operation)


STAGING = "attach-staging"  # in .supportctl/: copies being made, and what the last store placed


def attachment_limit(desk) -> int:
    from supportctl.mail.settings import mail_settings

    return mail_settings(desk.config).attachment_limit


def store_attachments(desk, ticket_id: str, paths: list[Path]) -> list[str]:
    """Copy files under attachments/<ID>/ with safe, unique names; the names stored. Call under the lock.

    All or nothing: each file is copied (regular files only, at most mail.attachment_limit bytes, counted
    while copying too) to .supportctl/attach-staging/ first and moved into place only when every copy
    is whole. What a killed command left there is removed by the next call; files it had already moved
    in are removed too when its ticket was never written.
    """
    names: list[str] = []
    staging = desk.state_dir / STAGING
    _clear_staging(desk, staging)
    if not paths:
        return names
    limit = attachment_limit(desk)
    folder = desk.attachments_dir / ticket_id
    if desk.attachments_dir.is_symlink() or folder.is_symlink():
        raise Refused(f"{folder} is a symbolic link; attachments are stored only inside the desk",
                      "remove the link (supportctl check lists them)")
    ensure_folder(staging)
    try:
        copies = [_copy_limited(path, staging / f"{n}.part", limit) for n, path in enumerate(paths)]
        try:
            taken = set(os.listdir(folder))  # dangling links included; read once, so many same names stay linear
        except FileNotFoundError:
            taken = set()
        names = attachments.unique_names([path.name for path in paths], taken)
        write_atomic(staging / "placed", "\n".join([ticket_id, *names]) + "\n")
        ensure_folder(folder)
        for copy, name in zip(copies, names):
            os.replace(copy, folder / name)
            record_written(folder / name)
    except BaseException:
        _clear_staging(desk, staging, failed=True)
        raise
    return names


def _copy_limited(source: Path, target: Path, limit: int) -> Path:
    """``source`` copied to ``target``, refused as soon as it gives more than ``limit`` bytes."""
    with _open_attachment(source, limit) as f, open(target, "wb") as out:
        copied = 0
        while chunk := f.read(min(1 << 20, limit + 1 - copied)):
            copied += len(chunk)
            if copied > limit:
                raise Refused(f"attachment {source} is larger than the limit of {limit} bytes",
                              "send a smaller file, or raise mail.attachment_limit in supportctl.yaml")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return target


def _clear_staging(desk, staging: Path, failed: bool = False) -> None:
    """Remove partial copies; with ``failed`` (or when the ticket of the last placement was never written:
    its command was killed) also the files that placement moved into attachments/."""
    try:
        placed = (staging / "placed").read_text(encoding="utf-8").split()
    except (FileNotFoundError, NotADirectoryError):
        placed = []
    if placed and ids.ID_RE.match(placed[0]):
        kept: set[str] = set()
        if not failed:
            try:
                kept = set(desk.load_ticket(placed[0]).attachments)
            except NotFound:
                pass
            except SupportError:  # a damaged ticket: leave its files for a person to judge
                kept = set(placed[1:])
        folder = desk.attachments_dir / placed[0]
        if not folder.is_symlink():
            for name in placed[1:]:
                if name not in kept and name not in (".", "..") and "/" not in name:
                    (folder / name).unlink(missing_ok=True)
            try:
                folder.rmdir()  # only when empty: the ticket's earlier attachments stay
            except OSError:
                pass
    if staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging, ignore_errors=True)


def _link_back(ctx: Ctx, other: str, ticket_id: str, key: str = "linked") -> None:
    t = ctx.desk.load_ticket(other)
    if ticket_id not in t.related:
        entries = lifecycle.link(t, ticket_id, ctx.now, ctx.actor, ctx.lang, key=key)
        ctx.desk.save_change(t, entries)


def mutate(ctx: Ctx, ticket_id: str, operation: Callable[[Ticket], list[Entry]],
           event: str | None = None, **event_ctx) -> Change:
    """Load under the lock, apply one lifecycle operation, refresh deadlines, write, journal, notify."""
    ticket_id = ids.validate_id(ticket_id)
    with ctx.desk.lock():
        ticket = ctx.desk.load_ticket(ticket_id)
        entries = operation(ticket)
        deadlines.refresh(ctx.desk, ticket)
        ctx.desk.save_change(ticket, entries)
    notes = _notified(notify.deliver(ctx, event, ticket, **event_ctx)) if event else []
    return Change(ticket, entries, notes)


def _notified(notified) -> list[str]:
    """Why the customer got no mail, for the person who acted (the CLI prints it as a warning)."""
    return [notified.note] if notified.note else []


def register(ctx: Ctx, ticket_id: str, priority: int, assignee: str | None) -> Change:
    return mutate(ctx, ticket_id, lambda t: lifecycle.register(t, priority, assignee, ctx.now, ctx.actor, ctx.lang),
                  "registered")


def assign(ctx: Ctx, ticket_id: str, assignee: str) -> Change:
    return mutate(ctx, ticket_id, lambda t: lifecycle.assign(t, assignee, ctx.now, ctx.actor, ctx.lang))


def change_priority(ctx: Ctx, ticket_id: str, priority: int, reason: str) -> Change:
    return mutate(ctx, ticket_id,
                  lambda t: lifecycle.change_priority(t, priority, reason, ctx.now, ctx.actor, ctx.lang))


def note(ctx: Ctx, ticket_id: str, text: str, attach: list[Path] | None = None) -> Change:
    return mutate(ctx, ticket_id, _attaching(ctx, lambda t: lifecycle.note(t, text, ctx.now, ctx.actor),
                                             attach, []))


def reply(ctx: Ctx, ticket_id: str, text: str, spent: int | None, via: str,
          attach: list[Path] | None = None) -> Change:
    names: list[str] = []
    return mutate(ctx, ticket_id,
                  _attaching(ctx, lambda t: lifecycle.reply(t, text, spent, via, ctx.now, ctx.actor), attach, names),
                  "reply" if via == "email" else None, text=text, attachments=names)


def _attaching(ctx: Ctx, operation: Callable[[Ticket], list[Entry]], paths: list[Path] | None,
               names: list[str]) -> Callable[[Ticket], list[Entry]]:
    """``operation`` that also stores the desk's files under the ticket (any type: R-7.6 is for what
    customers send; each within mail.attachment_limit, together within mail.message_limit, as one mail
    carries them), named in its first journal entry and in ``names``."""
    if paths:
        from supportctl.mail.settings import mail_settings

        settings = mail_settings(ctx.desk.config)
        total = 0
        for path in paths:  # before the lock: a missing or oversized file is refused with nothing done
            with _open_attachment(path, settings.attachment_limit) as f:
                total += os.fstat(f.fileno()).st_size
        if total > settings.message_limit:
            raise Refused(f"the attachments together are larger than the limit of a mail, {settings.message_limit} "
                          f"bytes ({total} bytes)",
                          "send fewer or smaller files, or raise mail.message_limit in supportctl.yaml")

    def attached(t: Ticket) -> list[Entry]:
        entries = operation(t)  # the rules first: a refused action stores nothing
        if paths:
            stored = store_attachments(ctx.desk, t.id, list(paths))
            t.attachments.extend(stored)
            names.extend(stored)
            entries[0].data = {**(entries[0].data or {}), "attachments": stored}
        return entries

    return attached


def hold(ctx: Ctx, ticket_id: str, reason: str, text: str, until: str | None = None) -> Change:
    """R-7.9; ``until`` (YYYY-MM-DD: the close of that working day, or YYYY-MM-DDTHH:MM): when the
    desk resumes the ticket by itself (`supportctl cron`)."""
    until_at, shown = _local_instant(ctx, until) if until else (None, "")
    stops_clock = reason in ctx.desk.sla.pause_reasons  # decided now and stored on the pause
    return mutate(ctx, ticket_id, lambda t: lifecycle.hold(t, reason, text, ctx.now, ctx.actor, ctx.lang,
                                                           until=until_at, until_shown=shown,
                                                           stops_clock=stops_clock))


def resume_expired_holds(ctx: Ctx, dry_run: bool = False, skipped: list | None = None) -> list[Ticket]:
    """Resume every waiting ticket whose `hold --until` has passed; re-checked under the lock."""
    from supportctl.services.query import Filters, find

    waiting, damaged = find(ctx.desk, Filters(status=["waiting"]))
    if skipped is not None:
        skipped += damaged
    due = [t for t in waiting if lifecycle.hold_expired(t, ctx.now)]
    if dry_run:
        return due
    resumed: list[Ticket] = []
    for t in due:
        def operation(ticket: Ticket) -> list[Entry]:
            until = lifecycle.hold_expired(ticket, ctx.now)
            if until is None:
                raise Refused(f"{ticket.id} changed meanwhile")
            shown = format_local(until, ctx.desk.tz)
            return lifecycle.resume_expired(ticket, ctx.now, ctx.actor, shown, ctx.lang)
        try:
            resumed.append(mutate(ctx, t.id, operation).ticket)
        except Refused:
            continue
    return resumed


def resume(ctx: Ctx, ticket_id: str, text: str) -> Change:
    return mutate(ctx, ticket_id, lambda t: lifecycle.resume(t, text, ctx.now, ctx.actor, ctx.lang))


def complete(ctx: Ctx, ticket_id: str, text: str, spent: int | None, attach: list[Path] | None = None) -> Change:
    names: list[str] = []
    operation = _attaching(ctx, lambda t: lifecycle.complete(t, text, spent, ctx.now, ctx.actor, ctx.lang),
                           attach, names)
    return mutate(ctx, ticket_id, operation, "completed", text=text, attachments=names)


def close(ctx: Ctx, ticket_id: str, rating: int | None) -> Change:
    return mutate(ctx, ticket_id, lambda t: lifecycle.close(t, rating, ctx.now, ctx.actor, ctx.lang), "closed")


def reopen(ctx: Ctx, ticket_id: str, reason: str) -> Change:
    """R-4.8 from completed; from closed too (the close is undone, its rating kept in the journal)."""
    def operation(t: Ticket) -> list[Entry]:
        move = lifecycle.reopen_closed if t.status == "closed" else lifecycle.reopen
        return move(t, reason, ctx.now, ctx.actor, ctx.lang)
    return mutate(ctx, ticket_id, operation)


def link(ctx: Ctx, ticket_id: str, other: str) -> Change:
    ticket_id, other = ids.validate_id(ticket_id), ids.validate_id(other)
    if not ctx.desk.exists(other):
        raise NotFound(f"no ticket {other} in this desk", "see the IDs with: supportctl list")
    change = mutate(ctx, ticket_id, lambda t: lifecycle.link(t, other, ctx.now, ctx.actor, ctx.lang))
    with ctx.desk.lock():
        _link_back(ctx, other, ticket_id)
    return change


def split(ctx: Ctx, ticket_id: str, subject: str, text: str) -> Change:
    """R-4.3: one ticket, one problem; a new problem becomes a new ticket linked to the first."""
    ticket_id = ids.validate_id(ticket_id)
    first = ctx.desk.load_ticket(ticket_id)
    lifecycle.check_action(first, "split")
    new = NewTicket(subject=subject, text=text, org=first.org, contact=first.contact, channel=first.channel,
                    category=first.category, product=first.product, related=[ticket_id], split_from=ticket_id)
    return create(ctx, new, force=True)


def edit(ctx: Ctx, ticket_id: str, changes: dict[str, str | None], cc_add: list[str] | None = None,
         cc_remove: list[str] | None = None) -> Change:
    """Correct what was typed wrong (lifecycle.EDITABLE): journaled old → new, the customer is not mailed.
    The customer match is left as it was: after a contact's name or e-mail changes, `verify` matches again.
    ``cc_add``/``cc_remove``: the addresses copied on the ticket's mail (domain/cc.py)."""
    from supportctl.domain import cc

    def operation(t: Ticket) -> list[Entry]:
        entries = lifecycle.edit(t, changes, ctx.now, ctx.actor, ctx.lang)
        return entries + cc.change(t, cc_add or [], cc_remove or [], ctx.now, ctx.actor, ctx.lang)

    return mutate(ctx, ticket_id, operation)


def set_eta(ctx: Ctx, ticket_id: str, when: str, text: str) -> Change:
    """R-6.7: tell the customer the expected resolution date and why. A date alone means the close
    of that working day in the regulation's calendar (18:00), and is shown as a date alone."""
    date_only = len(when.strip()) == 10  # YYYY-MM-DD
    eta_at, shown = _local_instant(ctx, when)
    return mutate(ctx, ticket_id, lambda t: lifecycle.set_eta(t, eta_at, text, shown, ctx.now, ctx.actor, ctx.lang),
                  "eta", text=text, eta_shown=shown if date_only else None)


def _local_instant(ctx: Ctx, when: str) -> tuple[datetime, str]:
    """YYYY-MM-DDTHH:MM in the desk's zone, or YYYY-MM-DD: the close of that working day in the
    regulation's calendar (18:00); and the instant as people read it (a date alone when given as one)."""
    tz = ctx.desk.tz
    if len(when.strip()) == 10:  # YYYY-MM-DD
        day = parse_date(when)
        sla = ctx.desk.sla
        calendar = sla.calendar(sla.policy_for(None).calendar)
        periods = () if calendar.spec.always else (calendar.day_periods(day) or calendar.spec.workday_hours)
        at = lifecycle.end_of_working_day(day, periods, calendar.zone).astimezone(tz)
        return at, format_local(at, tz, "date")
    at = parse_instant(when, tz).astimezone(tz)
    return at, format_local(at, tz)
