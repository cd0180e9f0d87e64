"""`mail ingest`: every mail becomes a new ticket, a follow-up of one, or is set aside with a reason.

The rules, in order (README, "E-mail"):

1. a mail whose Message-ID a ticket already holds, or that was set aside
   before, changes nothing (idempotent; a mail without a Message-ID is known
   by a hash of its bytes);
2. a machine (bounce, Auto-Submitted, Precedence bulk/list/junk, our own
   X-Loop or address) gets no ticket and no answer;
3. a mail naming a ticket (``Заявка#ID`` in the subject, one of our
   Message-IDs in In-Reply-To/References, or a Message-ID the ticket holds)
   is a follow-up, if its sender belongs to the ticket's customer or is copied on
   the ticket (its ``cc``; a confirmation or dispute, R-4.8, counts only from the
   customer's own people);
4. anything else is a new ticket, unless the same sender sent the same
   subject and text within ``mail.duplicate_window`` (IS-1).

One intake runs at a time (a lock in .supportctl/mail/); each ticket change
goes through the ticket services, under the desk lock.
"""

from __future__ import annotations

import hashlib
import mailbox
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from supportctl.desk.files import exclusive_lock, write_atomic
from supportctl.domain import attachments as attachment_rules
from supportctl.domain import cc as cc_rules
from supportctl.domain import duplicates, lifecycle
from supportctl.domain.customers import find_customer, match
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Contact, Ticket
from supportctl.errors import SupportError
from supportctl.mail import classify, limits, threads
from supportctl.mail.parse import Incoming, OverLimit, Unreadable, content_id, parse
from supportctl.mail.settings import MailSettings, mail_settings
from supportctl.mail.state import MailState
from supportctl.mail.texts import attachment_refusal, customer_reason
from supportctl.mail.texts import text as mail_text
from supportctl.services import notify, tickets
from supportctl.services.context import Ctx

QUARANTINE_DIR = "quarantine"


@dataclass
class Outcome:
    source: str
    action: str  # created added resumed closed reopened duplicate repeat ignored refused quarantined rejected
    ticket_id: str | None = None
    detail: str = ""
    message_id: str | None = None

    def to_dict(self) -> dict:
        return {"source": self.source, "action": self.action, "ticket": self.ticket_id, "detail": self.detail,
                "message_id": self.message_id}

    def __str__(self) -> str:
        return " ".join(x for x in (f"{self.source}:", self.action, self.ticket_id or "",
                                    f"({self.detail})" if self.detail else "") if x)


MAX_MERGED_LOOKUPS = 50  # related tickets read to find a merged duplicate's sender (a bound per mail)


@dataclass
class _Known:
    """What the intake knows of the desk's tickets, read once per run."""

    by_message_id: dict[str, str] = field(default_factory=dict)
    recent: list[duplicates.Request] = field(default_factory=list)  # the mailed requests, for IS-1

    def add(self, ticket: Ticket, tag: str) -> None:
        for mid in ticket.message_ids:
            self.by_message_id[mid] = ticket.id
        if ticket.channel == "email" and ticket.contact.email:
            fingerprint = duplicates.of_ticket(ticket, threads.strip_tag(ticket.subject, tag))
            if fingerprint is not None:
                self.recent.append(fingerprint)


class Intake:
    """One run of `mail ingest` over one or many mails."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.settings: MailSettings = mail_settings(ctx.desk.config)  # a broken section stops the run here
        self.state = MailState(ctx.desk.state_dir)
        self._known: _Known | None = None
        self._seen: dict[str, str] | None = None

    @property
    def known(self) -> _Known:
        if self._known is None:
            self._known = _Known()
            for ticket in self.ctx.desk.iter_tickets():
                if isinstance(ticket, Ticket):
                    self._known.add(ticket, self.settings.tag)
        return self._known

    # -- one mail -------------------------------------------------------------

    def ingest(self, raw: bytes, source: str, received_at: datetime | None = None) -> Outcome:
        """Never raises for a bad mail: what cannot be handled is quarantined with the reason.

        The one place where a mail's failure is caught (issue 10, item 1): whatever the bytes, the mail
        ends as a ticket, a follow-up, an ignored machine mail or a quarantined file, and the run goes on.
        Only a failure to write the quarantine itself (a full disk) stops the run, leaving the mail where it was.
        """
        mail: Incoming | None = None
        try:
            mail = parse(raw)
            return self._ingest(mail, raw, source, received_at or self.ctx.now)
        except OverLimit as exc:
            return self._quarantine(raw, source, str(exc))
        except (Unreadable, SupportError) as exc:
            return self._quarantine(raw, source, str(exc), action="rejected", mail=mail)
        except Exception as exc:  # noqa: BLE001 - one odd mail must not stop the run; it is kept with the reason
            return self._quarantine(raw, source, f"unexpected {type(exc).__name__}: {str(exc)[:500]}",
                                    action="rejected", mail=mail)

    def _ingest(self, mail: Incoming, raw: bytes, source: str, received_at: datetime) -> Outcome:
        mid = mail.message_id
        if mid in self.known.by_message_id:
            return Outcome(source, "repeat", self.known.by_message_id[mid], "already ingested", mid)
        if mid in self._seen_ids():
            return Outcome(source, "repeat", None, f"already ingested: {self._seen_ids()[mid]}", mid)
        why = classify.machine_reason(mail, self.settings)
        if why:
            self._remember(mid, "ignored")
            return Outcome(source, "ignored", None, why, mid)
        if not mail.sender:
            return self._quarantine(raw, source, "no usable sender address in From", mail=mail)
        ticket = self._referenced_ticket(mail)
        if ticket is not None:
            return self._followup(mail, raw, source, ticket, received_at)
        return self._new(mail, source, received_at)

    # -- follow-ups -----------------------------------------------------------

    def _referenced_ticket(self, mail: Incoming) -> Ticket | None:
        desk = self.ctx.desk
        candidates = [threads.ticket_in_subject(mail.subject, self.settings.tag),
                      threads.ticket_in_references(mail.thread_ids, self.settings.domain),
                      *(self.known.by_message_id.get(m) for m in mail.thread_ids)]
        for ticket_id in candidates:
            if ticket_id and desk.exists(ticket_id):
                ticket = desk.load_ticket(ticket_id)
                if ticket.merged_into:  # a merged duplicate's thread goes on in the ticket it went into
                    going_on = self._going_on(ticket.id)
                    if going_on != ticket.id:
                        return desk.load_ticket(going_on)
                return ticket
        return None

    def _sender_of_a_merged_duplicate(self, ticket: Ticket, sender: str) -> bool:
        """The sender belongs to a duplicate merged into ``ticket`` (`merge --force` across organisations):
        its thread goes on in ``ticket``, so its customer is no stranger there."""
        for other in ticket.related[:MAX_MERGED_LOOKUPS]:
            try:
                dup = self.ctx.desk.load_ticket(other)
            except SupportError:
                continue
            if dup.merged_into == ticket.id and not self._not_belonging(dup, sender):
                return True
        return False

    def _going_on(self, ticket_id: str) -> str:
        """The ticket a merged duplicate went into (through a chain of merges), or ``ticket_id``."""
        from supportctl.domain.merged_tickets import final_target

        def merged_into_of(other: str) -> str | None:
            try:
                return self.ctx.desk.load_ticket(other).merged_into
            except SupportError:
                return None

        return final_target(ticket_id, merged_into_of)

    def _followup(self, mail: Incoming, raw: bytes, source: str, ticket: Ticket, received_at: datetime) -> Outcome:
        lang = self.ctx.lang
        where = self._not_belonging(ticket, mail.sender)
        if where and self._sender_of_a_merged_duplicate(ticket, mail.sender):
            where = None
        if where:
            note = mail_text("foreign", lang, sender=mail.sender, where=where)
            self._journal(ticket.id, "mail", note, {"message_id": mail.message_id, "from": mail.sender})
            if self.settings.foreign_sender == "quarantine":
                return self._quarantine(raw, source, note, mail=mail, ticket_id=ticket.id)
            notice = mail_text("foreign_new", lang, other=ticket.id, sender=mail.sender)
            return self._new(mail, source, received_at, extra_entry=notice)
        if ticket.status == "closed":
            return self._closed_followup(mail, source, ticket, received_at)
        body = threads.new_text(mail.text)
        saved, refused = self._prepare_attachments(mail)
        data = self._mail_data(mail, refused)
        verdict = classify.verdict(body, self.settings) if ticket.status == "completed" else None
        if verdict == "unclear" and self.settings.unclear_reply == "reopen":
            verdict = "disagree"
        # only the customer confirms or disputes; a copied outsider's mail is just a message
        outsider = verdict is not None and self._not_belonging(ticket, mail.sender, cc=False) is not None

        def operation(t: Ticket) -> list[Entry]:
            now, who = self.ctx.now, self._who(mail)
            entries = self._receive_into(t, mail, body, saved, refused, data)
            if outsider:
                entries.append(Entry(now, self.ctx.actor, "note", mail_text("cc_no_verdict", lang, sender=mail.sender)))
            elif verdict == "confirm" and t.status == "completed":
                entries.append(Entry(now, who, "note", mail_text("confirmed", lang)))
                entries += lifecycle.close(t, classify.rating(body), now, who, lang)
            elif verdict == "disagree" and t.status == "completed":
                entries += lifecycle.reopen(t, _first_lines(body), now, who, lang)
            elif verdict == "unclear":
                entries.append(Entry(now, self.ctx.actor, "note", mail_text("unclear", lang)))
            return entries

        before = ticket.status
        change = tickets.mutate(self.ctx, ticket.id, operation,
                                "closed" if verdict == "confirm" and not outsider else None)
        self._cleanup(saved)
        self.known.by_message_id[mail.message_id] = ticket.id
        after = change.ticket.status
        action = {("waiting", "open"): "resumed", ("completed", "closed"): "closed",
                  ("completed", "open"): "reopened"}.get((before, after), "added")
        return Outcome(source, action, ticket.id, _refused_detail(refused), mail.message_id)

    def _closed_followup(self, mail: Incoming, source: str, ticket: Ticket, received_at: datetime) -> Outcome:
        policy = self.settings.closed_followup
        lang = self.ctx.lang
        if policy == "new":
            outcome = self._new(mail, source, received_at, previous=ticket.id)
            if outcome.action == "created":
                self._journal(ticket.id, "mail", mail_text("continued_in", lang, other=outcome.ticket_id),
                              {"message_id": mail.message_id, "other": outcome.ticket_id})
            return outcome
        body = threads.new_text(mail.text)
        saved, refused = self._prepare_attachments(mail)
        data = {**self._mail_data(mail, refused), "closed_followup": policy}

        def operation(t: Ticket) -> list[Entry]:
            entries = self._receive_into(t, mail, body, saved, refused, data)
            entries.insert(0, Entry(self.ctx.now, self.ctx.actor, "note",
                                    mail_text(f"closed_followup_{policy}", lang)))
            if policy == "reopen" and t.status == "closed":
                entries += lifecycle.reopen_closed(t, _first_lines(body), self.ctx.now, self._who(mail), lang)
            return entries

        change = tickets.mutate(self.ctx, ticket.id, operation, "closed_followup" if policy == "refuse" else None)
        self._cleanup(saved)
        self.known.by_message_id[mail.message_id] = ticket.id
        if policy == "refuse":
            return Outcome(source, "refused", ticket.id, "the ticket is closed", mail.message_id)
        return Outcome(source, "reopened" if change.ticket.status == "open" else "added", ticket.id, "",
                       mail.message_id)

    def _receive_into(self, t: Ticket, mail: Incoming, body: str, saved: list[Path], refused: list[str],
                      data: dict) -> list[Entry]:
        """The customer's message in the journal (R-4.6), its ID and attachments on the ticket."""
        if mail.message_id not in t.message_ids:
            t.message_ids.append(mail.message_id)
        names = tickets.store_attachments(self.ctx.desk, t.id, saved)
        t.attachments.extend(names)
        if names:
            data = {**data, "attachments": names}
        entries = lifecycle.customer_message(t, body or mail.subject, self.ctx.now, self._who(mail), data)
        if mail.cc:  # the customer's people copied on its mail are copied on the ticket's from now on
            entries += cc_rules.change(t, tickets.copied_from_mail(self.ctx.desk, t, mail.cc), [], self.ctx.now,
                                       self._who(mail), self.ctx.lang)
        if refused:
            entries.append(Entry(self.ctx.now, self.ctx.actor, "attachment",
                                 mail_text("attachments_refused", self.ctx.lang, list="; ".join(refused)),
                                 data={"refused": refused}))
        entries += self._cut_entries(mail)
        return entries

    def _cut_entries(self, mail: Incoming) -> list[Entry]:
        """What a size cap left out of the mail, said in the journal."""
        return [Entry(self.ctx.now, self.ctx.actor, "mail", mail_text(key, self.ctx.lang, **values),
                      data={"cut": key, **values}) for key, values in mail.cuts]

    def _not_belonging(self, ticket: Ticket, sender: str, cc: bool = True) -> str | None:
        """Why ``sender`` may not speak for the ticket's customer, or None when it may (with ``cc``, an
        address copied on the ticket may: its mail threads into the ticket like the contact's)."""
        if ticket.contact.email and ticket.contact.email.lower() == sender:
            return None
        if cc and sender in ticket.cc:
            return None
        customer = find_customer(self.ctx.desk.customers(), org=ticket.org) if ticket.org else None
        if customer is not None:
            if customer.find_contact(email=sender) or sender.rpartition("@")[2] in customer.domains:
                return None
            return mail_text("foreign_not_contact", self.ctx.lang, org=customer.org)
        if ticket.contact.email:
            return mail_text("foreign_other_contact", self.ctx.lang, email=ticket.contact.email)
        return mail_text("foreign_no_contact", self.ctx.lang)

    # -- new tickets ----------------------------------------------------------

    def _new(self, mail: Incoming, source: str, received_at: datetime, previous: str | None = None,
             extra_entry: str | None = None) -> Outcome:
        ctx, lang = self.ctx, self.ctx.lang
        subject = threads.strip_tag(mail.subject, self.settings.tag)
        duplicate = self._duplicate_of(mail, subject, received_at)
        if duplicate:
            def note_duplicate(t: Ticket) -> list[Entry]:
                t.message_ids.append(mail.message_id)
                return [Entry(ctx.now, ctx.actor, "mail", mail_text("duplicate", lang, sender=mail.sender),
                              data={"message_id": mail.message_id})]

            tickets.mutate(ctx, duplicate, note_duplicate)
            self.known.by_message_id[mail.message_id] = duplicate
            return Outcome(source, "duplicate", duplicate, "same sender, subject and text (IS-1)", mail.message_id)
        # by mail the address identifies the contact; a display name proves nothing
        found = match(ctx.desk.customers(), org=None, name=None, email=mail.sender,
                      on=received_at.astimezone(ctx.desk.tz).date())
        if not found.verified and (self.settings.unknown_sender == "refuse" or ctx.desk.config.require_contract):
            return self._refuse(mail, source, customer_reason(found.code, found.values, lang),
                                found.reason("en"))
        saved, refused = self._prepare_attachments(mail)
        notice: dict = {"from_mail": True, "sender_name": mail.sender_name}
        if not found.verified:
            notice["unverified"] = (found.code, found.values)
        if refused:
            notice["refused_attachments"] = refused
        if previous:
            notice["previous"] = previous
        new = tickets.NewTicket(
            subject=subject or _first_lines(mail.text, 1, 120) or "—", text=mail.text,
            contact=Contact(email=mail.sender), channel="email", cc=list(mail.cc),
            category=classify.category_of(mail.subject, mail.text, self.settings),
            received_at=received_at, related=[previous] if previous else [], attachments=saved,
            message_id=mail.message_id, notice=notice)
        try:  # what the desk refuses now (an unofficial channel...) is quarantined by ingest()
            change = tickets.create(ctx, new)
        except tickets.WrittenOnlyRefused as exc:  # IS-3: the sender is told why
            return self._refuse(mail, source, exc.refusal.text(lang, rule_id=False), str(exc))
        finally:
            self._cleanup(saved)
        ticket = change.ticket
        entries = [Entry(ctx.now, ctx.actor, "mail", extra_entry or f"{self._who(mail)}: {mail.subject}",
                         data=self._mail_data(mail, refused))]
        if refused:
            entries.append(Entry(ctx.now, ctx.actor, "attachment",
                                 mail_text("attachments_refused", lang, list="; ".join(refused)),
                                 data={"refused": refused}))
        entries += self._cut_entries(mail)
        with ctx.desk.lock():
            if not ticket.contact.name and mail.sender_name:
                ticket = ctx.desk.load_ticket(ticket.id)
                ticket.contact.name = mail.sender_name
                ctx.desk.save_ticket(ticket)
            ctx.desk.append_journal(ticket.id, entries)
        self.known.add(ticket, self.settings.tag)
        detail = "; ".join(x for x in ("unverified sender" if not ticket.verified else "",
                                       _refused_detail(refused)) if x)
        return Outcome(source, "created", ticket.id, detail, mail.message_id)

    def _duplicate_of(self, mail: Incoming, subject: str, received_at: datetime) -> str | None:
        new = duplicates.request("", duplicates.contact_key(mail.sender), received_at, subject, mail.text)
        window = timedelta(minutes=self.settings.duplicate_window_minutes)
        found = duplicates.duplicate_of(new, self.known.recent, window) if new else None
        return self._going_on(found) if found else None

    def _refuse(self, mail: Incoming, source: str, reason: str, detail: str) -> Outcome:
        """Refuse a new ticket: ``reason`` in the customer's words for the mail, ``detail`` for the run's report."""
        notify.refuse(self.ctx, to_addr=mail.sender, to_name=mail.sender_name or None, subject=mail.subject,
                      reason=reason, in_reply_to=mail.message_id)
        self._remember(mail.message_id, "refused")
        return Outcome(source, "refused", None, detail, mail.message_id)

    # -- attachments (R-7.6) ----------------------------------------------------

    def _prepare_attachments(self, mail: Incoming) -> tuple[list[Path], list[str]]:
        """The accepted attachments written to a temporary folder, and why the others were refused."""
        saved: list[Path] = []
        refused: list[str] = []
        total = 0
        folder: Path | None = None
        for n, part in enumerate(mail.attachments):
            if len(saved) == limits.MAX_ATTACHMENTS:
                refused.append(mail_text("too_many_attachments", self.ctx.lang, count=len(mail.attachments) - n,
                                         limit=limits.MAX_ATTACHMENTS))
                break
            name = attachment_rules.safe_name(part.name)
            size = len(part.data)
            if size > self.settings.attachment_limit or total + size > self.settings.message_limit:
                limit = self.settings.attachment_limit if size > self.settings.attachment_limit \
                    else self.settings.message_limit
                refused.append(mail_text("oversize", self.ctx.lang, name=name, limit=_size(limit, self.ctx.lang)))
                continue
            why = attachment_refusal(name, part.data[:64], self.ctx.lang)
            if why:
                refused.append(why)
                continue
            total += size
            if folder is None:
                folder = Path(tempfile.mkdtemp(prefix="supportctl-mail-"))
            path = folder / str(n) / name
            path.parent.mkdir()
            path.write_bytes(part.data)
            saved.append(path)
        return saved, refused

    @staticmethod
    def _cleanup(saved: list[Path]) -> None:
        import shutil

        if saved:
            shutil.rmtree(saved[0].parent.parent, ignore_errors=True)

    # -- set aside -----------------------------------------------------------------

    def _quarantine(self, raw: bytes, source: str, reason: str, *, action: str = "quarantined",
                    mail: Incoming | None = None, ticket_id: str | None = None) -> Outcome:
        """Keep the mail as it came, with the reason beside it, in <desk>/quarantine/."""
        mid = mail.message_id if mail else content_id(raw)
        name = hashlib.sha256(mid.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        folder = self.ctx.desk.root / QUARANTINE_DIR
        stamp = self.ctx.now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
        existing = sorted(folder.glob(f"*-{name}.eml")) if folder.is_dir() else []
        path = existing[0] if existing else folder / f"{stamp}-{name}.eml"
        write_atomic(path, raw)
        write_atomic(path.with_suffix(".txt"), f"source: {source}\nmessage-id: {mid}\n"
                     f"from: {mail.sender if mail else ''}\nticket: {ticket_id or ''}\nreason: {reason}\n")
        self._remember(mid, action)
        return Outcome(source, action, ticket_id, f"{reason}; kept as {QUARANTINE_DIR}/{path.name}", mid)

    # -- small helpers ---------------------------------------------------------------

    def _seen_ids(self) -> dict[str, str]:
        if self._seen is None:
            self._seen = self.state.seen()
        return self._seen

    def _remember(self, mid: str, action: str) -> None:
        self.state.remember(mid, self.ctx.now, action)
        self._seen_ids()[mid] = action

    def _who(self, mail: Incoming) -> str:
        return f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender

    def _mail_data(self, mail: Incoming, refused: list[str]) -> dict:
        data = {"message_id": mail.message_id, "from": mail.sender, "subject": mail.subject}
        if refused:
            data["refused"] = refused
        return data

    def _journal(self, ticket_id: str, kind: str, text: str, data: dict) -> None:
        self._journal_entries(ticket_id, [Entry(self.ctx.now, self.ctx.actor, kind, text, data=data)])

    def _journal_entries(self, ticket_id: str, entries: list[Entry]) -> None:
        with self.ctx.desk.lock():
            self.ctx.desk.append_journal(ticket_id, entries)


# -- sources -------------------------------------------------------------------------


def run(ctx: Ctx, mails: Iterator[tuple[bytes, str, datetime | None, object]], done=None,
        keep_dates: bool = False, warnings: list[str] | None = None) -> list[Outcome]:
    """Ingest each (raw, source, received_at, token); ``done(token)`` after each (Maildir: new/ → cur/).
    ``keep_dates``: received when the mail's Date: says (see ``kept_date``); its warnings go to ``warnings``."""
    intake = Intake(ctx)
    outcomes: list[Outcome] = []
    with exclusive_lock(ctx.desk.state_dir / "mail" / "intake.lock"):
        for raw, source, received_at, token in mails:
            if keep_dates:
                received_at, why = kept_date(_header_date(raw), received_at or ctx.now, ctx.now)
                if why and warnings is not None:
                    warnings.append(f"{source}: {why}; received at the arrival time "
                                    f"{received_at.astimezone(ctx.desk.tz).isoformat(timespec='minutes')}")
            outcomes.append(intake.ingest(raw, source, received_at))
            if done is not None:
                done(token)
    return outcomes


def ingest_bytes(ctx: Ctx, raw: bytes, source: str = "stdin") -> Outcome:
    return run(ctx, iter([(raw, source, None, None)]))[0]


# `--keep-dates` (a migration keeps the real times, issue 11 §7): a Date: before this is not believed
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
_HEADER_LIMIT = 65536  # the Date: is looked for in this much of the mail's head


def kept_date(date: datetime | None, arrival: datetime, now: datetime) -> tuple[datetime, str | None]:
    """The received time a migrated mail keeps: its Date: when that is sane (not after ``now``, not
    before EARLIEST_DATE), else ``arrival`` with the reason."""
    if date is None:
        return arrival, "no usable Date: header"
    if date > now:
        return arrival, f"its Date: {date.isoformat()} is in the future"
    if date < EARLIEST_DATE:
        return arrival, f"its Date: {date.isoformat()} is before {EARLIEST_DATE.year}"
    return date, None


def _header_date(raw: bytes) -> datetime | None:
    from email import policy
    from email.parser import BytesHeaderParser

    from supportctl.mail.parse import header_date

    try:
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:_HEADER_LIMIT])
        return header_date(str(head.get("Date") or ""))
    except Exception:  # noqa: BLE001 - a header the parser chokes on is simply no date
        return None


def ingest_maildir(ctx: Ctx, folder: Path, keep_dates: bool = False, warnings: list[str] | None = None) -> list[Outcome]:
    """The mails in new/, oldest first; each moves to cur/ (flag S) once handled, as a mail client does."""
    new, cur = folder / "new", folder / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise SupportError(f"{folder} is not a Maildir (no new/ and cur/)", "give the folder that holds new/ cur/ tmp/")
    entries = sorted((e for e in os.scandir(new) if e.is_file() and not e.name.startswith(".")),
                     key=lambda e: (e.stat().st_mtime, e.name))

    def mails():
        for e in entries:
            try:
                raw = Path(e.path).read_bytes()
            except FileNotFoundError:  # another reader took it
                continue
            delivered = datetime.fromtimestamp(e.stat().st_mtime, timezone.utc)
            yield raw, f"{folder.name}/new/{e.name}", min(delivered, ctx.now), e

    def to_cur(e) -> None:
        base = e.name.split(":2,")[0]
        try:
            os.replace(e.path, cur / f"{base}:2,S")
        except FileNotFoundError:
            pass

    return run(ctx, mails(), to_cur, keep_dates, warnings)


def ingest_mbox(ctx: Ctx, path: Path, keep_dates: bool = False, warnings: list[str] | None = None) -> list[Outcome]:
    """Every mail of an mbox file; the file is left as it is (ingesting it again changes nothing).
    With ``keep_dates`` the arrival time (when a Date: is not believed) is the mbox's "From " line."""
    if not path.is_file():
        raise SupportError(f"no mbox file {path}")
    box = mailbox.mbox(path, create=False)

    def mails():
        for n, key in enumerate(box.keys(), 1):
            arrival = _from_line_date(box, key, ctx.now) if keep_dates else None
            yield box.get_bytes(key), f"{path.name}#{n}", arrival, None

    try:
        return run(ctx, mails(), None, keep_dates, warnings)
    finally:
        box.close()


def _from_line_date(box: mailbox.mbox, key, now: datetime) -> datetime | None:
    """When the mbox's "From sender Mon Dec  1 10:00:00 2025" line says the mail arrived (UTC, as MTAs
    write it); None when it says nothing usable or a time after ``now``."""
    try:
        with box.get_file(key, from_=True) as f:
            line = f.readline(1000).decode("ascii", "replace")
        when = datetime.strptime(" ".join(line.split()[-5:]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
    except (ValueError, OSError, KeyError):
        return None
    return when if EARLIEST_DATE <= when <= now else None


def _first_lines(text: str, count: int = 3, limit: int = 500) -> str:
    lines = [line.strip() for line in text.split("\n") if line.strip() and not line.lstrip().startswith(">")]
    joined = " ".join(lines[:count])
    return joined if len(joined) <= limit else joined[:limit - 1] + "…"


def _refused_detail(refused: list[str]) -> str:
    return f"{len(refused)} attachment(s) refused" if refused else ""


def _size(n: int, lang: str = "ru") -> str:
    *units, byte = mail_text("size_units", lang).split()
    for unit, factor in zip(units, (1024 ** 3, 1024 ** 2, 1024)):
        if n >= factor:
            return f"{n / factor:g} {unit}".replace(".", "," if lang == "ru" else ".")
    return f"{n} {byte}"
