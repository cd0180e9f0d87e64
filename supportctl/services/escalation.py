"""Escalations (R-6.6, R-6.7, R-7.10): the assignee and the desk's leads are told by mail when a
deadline of a ticket is at risk or has passed, once per timer and state.

"Already told" is read from the ticket's journal (an ``escalated`` entry names the timer and the
state), not from a file of this clone: journals union-merge in git, so a second run, another
clone's run after a merge, or a re-run after a crash finds the entry and mails nothing again.
The entry is appended before the mails are queued, under the desk lock: a crash between the two
loses those mails rather than sending them twice (`escalate --dry-run` still lists nothing for
it; the journal says who should have been told).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from supportctl.domain import messages
from supportctl.domain.journal import Entry
from supportctl.domain.sla import Timer
from supportctl.domain.ticket import Ticket
from supportctl.domain.values import format_local, format_minutes, iso
from supportctl.errors import SupportError
from supportctl.services.context import Ctx
from supportctl.services.query import Filters, find

ACTIVE = ["new", "open", "waiting"]
EVENT = "escalation"


@dataclass
class Escalation:
    ticket: Ticket
    timer_name: str
    timer: Timer
    to: list[str]
    sent: bool = False  # journaled and queued in the outbox
    invalid: list[str] = field(default_factory=list)  # configured addresses that are not addresses

    @property
    def state(self) -> str:
        return self.timer.state

    @property
    def eta_sent(self) -> bool:
        """R-6.7: the customer has been told an expected resolution date."""
        return self.ticket.eta is not None

    def to_dict(self, tz) -> dict:
        return {"id": self.ticket.id, "timer": self.timer_name, "state": self.state,
                "deadline": iso(self.timer.deadline, tz), "priority": self.ticket.priority,
                "assignee": self.ticket.assignee, "eta_sent": self.eta_sent, "to": list(self.to),
                "sent": self.sent}


def timers(sla) -> Iterator[tuple[str, Timer]]:
    """Every timer of a ``TicketSla`` by name, whatever timers the policy runs."""
    for name in type(sla)._fields:
        timer = getattr(sla, name)
        if isinstance(timer, Timer):
            yield name, timer


def escalated_before(ctx: Ctx, ticket_id: str) -> set[tuple[str, str]]:
    """The (timer, state) pairs the ticket's journal records as escalated already."""
    from supportctl.desk.journal import MAX_JOURNAL_BYTES
    from supportctl.desk.yamlio import read_regular

    try:
        if b'"escalated"' not in read_regular(ctx.desk.journal_path(ticket_id), MAX_JOURNAL_BYTES):
            return set()
    except FileNotFoundError:
        return set()
    except SupportError:
        pass  # read_journal below names what is wrong with the file
    entries, _problems = ctx.desk.read_journal(ticket_id)
    return {(str(e.data.get("timer")), str(e.data.get("state"))) for e in entries if e.kind == "escalated"}


def due(ctx: Ctx, skipped: list | None = None) -> list[Escalation]:
    """The escalations not sent yet: each running timer in a state the desk mails about."""
    from supportctl.mail.compose import valid_address
    from supportctl.services.views import sla_of

    config = ctx.desk.config
    states = config.escalation_states
    tickets, damaged = find(ctx.desk, Filters(status=ACTIVE))
    if skipped is not None:
        skipped += damaged
    found: list[Escalation] = []
    for t in tickets:
        hot = [(name, timer) for name, timer in timers(sla_of(ctx.desk, t, ctx.now))
               if timer.state in states and timer.stopped_at is None]
        if not hot:
            continue
        done = escalated_before(ctx, t.id)
        for name, timer in hot:
            if (name, timer.state) in done:
                continue
            wanted = [a for a in (config.team_email(t.assignee), *config.escalation_leads) if a]
            to = list(dict.fromkeys(a for a in wanted if valid_address(a)))
            found.append(Escalation(t, name, timer, to, invalid=[a for a in wanted if not valid_address(a)]))
    found.sort(key=lambda e: (e.timer.remaining, e.ticket.priority or 0, e.ticket.id))
    return found


def escalate(ctx: Ctx, dry_run: bool = False, skipped: list | None = None, send: bool = True) -> list[Escalation]:
    """Mail and journal every escalation due; with ``dry_run``, or with nobody to mail or mail not
    configured (``mail.from``), only list them (nothing is journaled, so they go once it can).
    The mails are queued in the outbox and, with ``send`` and SMTP configured, delivered at once."""
    from supportctl.mail.settings import mail_settings
    from supportctl.services import notify

    found = due(ctx, skipped)
    settings = mail_settings(ctx.desk.config)
    if dry_run or not settings.enabled:
        return found
    queued = False
    for esc in found:
        if not esc.to:
            continue
        mails = [_mail(ctx, settings, esc, addr) for addr in esc.to]  # composed first: a bad one fails alone
        with ctx.desk.lock():
            if (esc.timer_name, esc.state) in escalated_before(ctx, esc.ticket.id):
                continue  # another run got here first
            ctx.desk.append_journal(esc.ticket.id, [_entry(ctx, esc, [m["Message-ID"] for m in mails])])
        # queued only once the entry is committed (the lock's undo record dropped): a crash in between
        # leaves the entry and no mail, never a mail the journal does not know (at most once)
        box = notify.outbox(ctx.desk)
        for msg in mails:
            box.put(msg, esc.ticket.id, EVENT, ctx.now)
        esc.sent = queued = True
    if queued and send and settings.smtp is not None:
        notify.send_queued(ctx)  # what the server does not take stays queued for `mail send`
    return found


def _entry(ctx: Ctx, esc: Escalation, message_ids: list[str]) -> Entry:
    text = messages.text("escalated", ctx.lang, timer=messages.timer_name(esc.timer_name, ctx.lang),
                         state=messages.timer_state(esc.state, ctx.lang),
                         deadline=format_local(esc.timer.deadline, ctx.desk.tz), to=", ".join(esc.to))
    return Entry(ctx.now, ctx.actor, "escalated", text,
                 data={"timer": esc.timer_name, "state": esc.state, "deadline": iso(esc.timer.deadline, ctx.desk.tz),
                       "to": list(esc.to), "eta_sent": esc.eta_sent, "message_ids": message_ids})


def _mail(ctx: Ctx, settings, esc: Escalation, addr: str):
    from supportctl.mail.compose import Outgoing, compose
    from supportctl.mail.texts import text
    from supportctl.mail.threads import new_message_id

    lang, t = ctx.lang, esc.ticket
    values = {
        "id": t.id, "subject": t.subject, "org": t.org or "—", "priority": t.priority or "—",
        "assignee": t.assignee or "—", "timer": messages.timer_name(esc.timer_name, lang),
        "state": messages.timer_state(esc.state, lang),
        "deadline": format_local(esc.timer.deadline, ctx.desk.tz),
        "remaining": format_minutes(esc.timer.to_dict()["remaining_minutes"]),
    }
    lines = [text("escalation_body", lang, **values)]
    if not esc.eta_sent:
        lines.append(text("escalation_no_eta", lang, id=t.id))
    out = Outgoing(to_addr=addr, to_name=None, subject=text("escalation_subject", lang, **values),
                   body="\n\n".join(lines) + "\n", message_id=new_message_id(settings.domain, t.id, EVENT, ctx.now),
                   references=(settings.ticket_reference(t.id),), auto="auto-generated", ticket_id=t.id,
                   event=EVENT)
    return compose(settings, out, ctx.now)


def describe(esc: Escalation, tz) -> str:
    """One line for the person running it (or cron's mail)."""
    who = ", ".join(esc.to) if esc.to else "nobody (no team address for the assignee, no escalation.leads)"
    flag = "" if esc.eta_sent else "; no expected-resolution notice (R-6.7)"
    return (f"{esc.ticket.id}: {esc.timer_name} {esc.state}, deadline {format_local(esc.timer.deadline, tz)}"
            f" → {who}{flag}")
