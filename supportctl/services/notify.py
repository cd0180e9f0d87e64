"""Customer notifications of ticket events, handed to the mail channel (R-6.6, R-7.3, R-4.8, R-4.9, R-6.7).

Every mail is composed from the desk's template in the desk's language and
written to outbox/; a command never waits on the network. Delivery happens
outside the command (``mail.delivery``): by default the command starts
`supportctl mail send` detached once it is done (``background``); `mail send`
from cron retries what is left. A mail leaves the outbox only once the server
took it; the sender journals it (and sets the ticket's ``notified_at`` for the
registration notice, R-7.10) under the desk lock. What has not gone out is
recorded per mail in the outbox, so the next command warns of it.
Nothing is mailed while ``mail.from`` is not set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supportctl.domain import messages
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.services.context import Ctx

# RFC 3834: answers to a mail are auto-replied; notices a person's action triggers are auto-generated;
# a specialist's own answer is a person's mail.
AUTO_SUBMITTED = {
    "acknowledged": "auto-replied", "refused": "auto-replied", "closed_followup": "auto-replied",
    "registered": "auto-generated", "completed": "auto-generated", "closed": "auto-generated",
    "autoclosed": "auto-generated", "eta": "auto-generated",
}
TICKET_EVENTS = ("acknowledged", "registered", "reply", "completed", "closed", "autoclosed", "eta",
                 "closed_followup")


# events a person asks for by name (reply --via email, eta): when no mail goes, they are told why
REQUESTED = ("reply", "eta")
# the notices that give the customer the ticket's number; what a person must do instead
NUMBER_NOTICES = {"registered": "tell them the number, priority and deadline by phone",
                  "acknowledged": "tell them the number by phone"}
REGISTRATION_NOTICE = "registered"  # its hand-over sets the ticket's notified_at
STALE_MINUTES = 10  # a queued mail no sender has tried for this long is warned of
MAX_WARNINGS = 5  # lines about waiting mail per command; the rest is counted


@dataclass
class Sent:
    path: Path | None       # in the outbox (None once delivered)
    message_id: str
    delivered: bool
    error: str | None = None
    failed: bool = False    # not even queued: the mail could not be made (e.g. a broken desk template)
    handed_over: bool = False  # left to another program that sends outbox/ (mail.delivery: external)


@dataclass
class Notified:
    sent: Sent | None
    note: str | None = None  # for the person who acted (stderr): why the customer got no mail


def ticket_event(ctx: Ctx, event: str, ticket: Ticket, **details: object) -> Sent | None:
    """Mail the ticket's contact about ``event``; None when there is nothing to mail or no one to mail it to."""
    return deliver(ctx, event, ticket, **details).sent


def deliver(ctx: Ctx, event: str, ticket: Ticket, **details: object) -> Notified:
    """``ticket_event`` with a note when the customer got nothing: the ticket has already changed, so a
    mail that cannot be made is journaled («Письмо Заказчику не отправлено: …») instead of failing."""
    from supportctl.errors import SupportError
    from supportctl.mail.compose import valid_address

    address = (ticket.contact.email or "").strip()
    try:
        settings = _settings(ctx)
        if not settings.enabled:
            # a desk without mail still owes the customer the number (the acknowledgement is
            # only due where mail is on, R-7.3)
            if event == REGISTRATION_NOTICE:
                return Notified(None, _not_notified(ticket.id, event, "mail is not configured: mail.from is not set"))
            return Notified(None, "no mail sent: mail.from is not set" if event in REQUESTED else None)
        if event not in TICKET_EVENTS:
            return Notified(None)
        if not valid_address(address):
            why = f"{address!r} is not a valid e-mail address" if address else "the ticket has no e-mail address"
            if event in NUMBER_NOTICES:
                return Notified(None, _not_notified(ticket.id, event, "no e-mail address" if not address else why))
            return Notified(None, f"no mail sent: {why}" if event in REQUESTED else None)
        if not _within_rate_limit(ctx, settings, event, address, ticket.id):
            if event in NUMBER_NOTICES:
                return Notified(None, _not_notified(ticket.id, event, "the auto-reply limit is reached"))
            return Notified(None, "no mail sent: the auto-reply limit is reached" if event in REQUESTED else None)
        sent = _mail_ticket(ctx, event, ticket, settings, address, details)
        if sent.error and event in NUMBER_NOTICES:
            return Notified(sent, _not_notified(ticket.id, event, f"the mail waits in outbox/: {sent.error}"))
        if sent.error:
            return Notified(sent, f"warning: mail to {address} waits in outbox/: {sent.error}")
        return Notified(sent)
    except (SupportError, OSError, ValueError) as exc:
        error = str(exc)
        entry = Entry(ctx.now, ctx.actor, "mail", _mail_text("mail_failed", ctx.lang, error=error),
                      data={"event": event, "to": address, "failed": True, "error": error})
        _journal(ctx, ticket.id, entry)
        if event in NUMBER_NOTICES:
            return Notified(Sent(None, "", False, error, failed=True), _not_notified(ticket.id, event, error))
        return Notified(Sent(None, "", False, error, failed=True), f"the customer was not mailed: {error}")


def _attached(ctx: Ctx, ticket: Ticket, settings, names) -> tuple[tuple[str, bytes], ...]:
    """The files the desk attached to this answer, as (name, content), for the mail (issue 12)."""
    from supportctl.services import attachments

    return tuple((name, attachments.read(ctx.desk, ticket.id, name, settings.attachment_limit))
                 for name in names or ())


def _not_notified(ticket_id: str, event: str, why: str) -> str:
    """The R-7.10 warning: the ticket is not accepted until the customer has its number."""
    return f"warning: {ticket_id}: the customer was not notified ({why}): {NUMBER_NOTICES[event]}"


def _mail_ticket(ctx: Ctx, event: str, ticket: Ticket, settings, address: str, details: dict) -> Sent:
    from supportctl.mail.compose import Outgoing
    from supportctl.mail.threads import new_message_id, tagged_subject

    rendered = _render(ctx, event, settings, _ticket_values(ctx, ticket, settings, details))
    inbound = [m for m in ticket.message_ids if not _is_ours(m, settings)]
    out = Outgoing(
        to_addr=address, to_name=ticket.contact.name,
        subject=rendered.subject or tagged_subject(settings.tag, ticket.id, ticket.subject),
        body=rendered.body,
        message_id=new_message_id(settings.domain, ticket.id, event, ctx.now),
        in_reply_to=inbound[-1] if inbound else None,
        references=(settings.ticket_reference(ticket.id), *inbound[-8:]),
        auto=AUTO_SUBMITTED.get(event), ticket_id=ticket.id, event=event,
        attachments=_attached(ctx, ticket, settings, details.get("attachments")),
        cc=tuple(ticket.cc),
    )
    sent = send(ctx, out)
    key = "mail_sent" if sent.delivered else "mail_queued"
    data = {"event": event, "to": address, "message_id": out.message_id, "delivered": sent.delivered}
    if out.cc:
        data["cc"] = list(out.cc)
    if out.attachments:
        data["files"] = [name for name, _ in out.attachments]
    entry = Entry(ctx.now, ctx.actor, "mail", _mail_text(key, ctx.lang, to=address, subject=out.subject), data=data)
    if sent.handed_over and event == REGISTRATION_NOTICE:
        _set_notified(ctx, ticket.id, ctx.now, entry)
    else:
        _journal(ctx, ticket.id, entry)
    return sent


def _set_notified(ctx: Ctx, ticket_id: str, at, entry: Entry) -> None:
    """R-7.10: the registration notice left us; the first hand-over counts."""
    with ctx.desk.lock():
        ticket = ctx.desk.load_ticket(ticket_id)
        if ticket.notified_at is None:
            ticket.notified_at = at
            ctx.desk.save_change(ticket, [entry])
        else:
            ctx.desk.append_journal(ticket_id, [entry])


def _journal(ctx: Ctx, ticket_id: str, entry: Entry) -> None:
    with ctx.desk.lock():
        ctx.desk.append_journal(ticket_id, [entry])


def refuse(ctx: Ctx, *, to_addr: str, to_name: str | None, subject: str, reason: str,
           in_reply_to: str | None) -> Sent | None:
    """A refusal to a sender with no ticket (R-7.5, R-7.7): auto-replied, rate limited."""
    from supportctl.mail.compose import Outgoing, valid_address
    from supportctl.mail.threads import new_message_id

    settings = _settings(ctx)
    if not settings.enabled or not valid_address(to_addr):
        return None
    if not _within_rate_limit(ctx, settings, "refused", to_addr, None):
        return None
    values = {**_common_values(ctx, settings), "subject": subject, "reason": reason, "id": "",
              "contact_name": to_name or _mail_text("dear", ctx.lang), "greeting": _greeting(to_name, ctx.lang)}
    rendered = _render(ctx, "refused", settings, values)
    out = Outgoing(to_addr=to_addr, to_name=to_name, subject=rendered.subject or f"Re: {subject}",
                   body=rendered.body, message_id=new_message_id(settings.domain, None, "refused", ctx.now),
                   in_reply_to=in_reply_to, references=(in_reply_to,) if in_reply_to else (),
                   auto="auto-replied", event="refused")
    return send(ctx, out)


def send(ctx: Ctx, out) -> Sent:
    """Queue in outbox/ and return at once; delivery follows ``mail.delivery`` (see the module's doc)."""
    from supportctl.mail.compose import compose

    settings = _settings(ctx)
    msg = compose(settings, out, ctx.now)
    path = outbox(ctx.desk).put(msg, out.ticket_id, out.event, ctx.now)
    if settings.delivery == "external":
        return Sent(path, out.message_id, False, handed_over=True)
    if settings.smtp is None:
        return Sent(path, out.message_id, False,
                    "no SMTP server is configured (mail.smtp.host in supportctl.yaml); then run supportctl mail send")
    if settings.delivery == "background":
        _PENDING.add(ctx.desk.root)
    return Sent(path, out.message_id, False)


def outbox(desk):
    from supportctl.mail.outbox import Outbox

    return Outbox(desk.outbox_dir, desk.state_dir / "mail" / "outbox.json")


def send_queued(ctx: Ctx, *, wait: bool = True):
    """`mail send`: hand everything waiting in outbox/ to the server, oldest first, and journal each
    answer on its ticket. Mails queued while it works are sent too. ``wait=False`` (the background
    sender): when another sender is at work, leave to it (it looks for new mail once it lets go)."""
    from supportctl.errors import Refused
    from supportctl.mail.outbox import SendReport

    settings = _settings(ctx)
    if settings.delivery == "external":
        raise Refused("mail.delivery is external: another program sends the mail in outbox/",
                      "set mail.delivery to background or cron, and mail.smtp.host, to send from here")
    if settings.smtp is None or settings.sender is None:
        raise Refused("no SMTP server configured: the mails stay in outbox/",
                      "set mail.from and mail.smtp.host in supportctl.yaml")
    box = outbox(ctx.desk)
    total = SendReport([], [], [])
    tried: set[str] = set()

    def record(item, error: str | None) -> None:
        _record_delivery(ctx, item, error)

    while True:
        todo = [p for p in box.paths() if p.name not in tried]
        if not todo:
            return total
        report = box.send(settings.smtp, settings.sender.addr_spec, todo, now=_clock_now(), record=record,
                          wait=wait)
        if report is None:
            return total
        tried.update(p.name for p in todo)
        total.sent += report.sent
        total.failed += report.failed
        total.waiting += report.waiting


def _record_delivery(ctx: Ctx, item, error: str | None) -> None:
    """The server's answer on the ticket's journal: accepted, or refused for good (a temporary failure
    is only counted in the outbox). The registration notice's acceptance sets ``notified_at``."""
    from supportctl.errors import SupportError

    if not item.ticket_id or item.event not in TICKET_EVENTS or (error is not None and not item.failed):
        return  # mail to others than the customer (e.g. an escalation) is journaled by what sends it
    try:
        if not ctx.desk.exists(item.ticket_id):
            return
        lang = ctx.lang
        if error is None:
            text = _mail_text("mail_delivered", lang, to=item.to, subject=item.subject)
            data = {"event": item.event, "to": item.to, "message_id": item.message_id, "delivered": True}
        else:
            text = _mail_text("mail_refused", lang, to=item.to, error=error)
            data = {"event": item.event, "to": item.to, "message_id": item.message_id, "delivered": False,
                    "failed": True, "error": error}
        at = _clock_now()
        entry = Entry(at, ctx.actor, "mail", text, data=data)
        if error is None and item.event == REGISTRATION_NOTICE:
            _set_notified(ctx, item.ticket_id, at, entry)
        else:
            _journal(ctx, item.ticket_id, entry)
    except (SupportError, OSError, ValueError):
        pass  # a damaged ticket file must not stop the queue; `check` names it, the mail went all the same


def _clock_now():
    from supportctl import clock

    return clock.now()


# -- delivery outside the command -------------------------------------------

_PENDING: set[Path] = set()  # desks whose queued mail a background sender should take once the command ends


def start_background_senders() -> list[str]:
    """Start `supportctl mail send` detached for each desk that queued mail in this command (the CLI
    calls it once the command is done); problems for the person, one line each."""
    import subprocess
    import sys

    problems = []
    while _PENDING:
        root = _PENDING.pop()
        try:
            subprocess.Popen([sys.executable, "-m", "supportctl", "--desk", str(root), "mail", "send", "--background"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=str(root), close_fds=True, start_new_session=True)
        except OSError as exc:
            problems.append(f"warning: mail waits in outbox/: the sender could not be started ({exc.strerror or exc}); "
                            "run supportctl mail send")
    return problems


def outbox_warnings(desk, now) -> list[str]:
    """What has not gone out, for the person at the next command: mails waiting after a failed attempt,
    mails no sender tried for STALE_MINUTES, and (once) mails refused for good."""
    from datetime import timedelta

    from supportctl.domain.values import format_local

    box = outbox(desk)
    if not box.folder.is_dir():
        return []
    settings = _desk_settings(desk)
    if settings.delivery == "external":
        return []
    hint = "run supportctl mail send" if settings.smtp else "set mail.smtp.host, then run supportctl mail send"

    def about(item) -> str:
        return f" ({item.ticket_id} {item.event})" if item.ticket_id else ""

    lines: list[str] = []  # said once: the refusals for good
    for item in box.refused_unwarned():
        if item.event in NUMBER_NOTICES and item.ticket_id:
            lines.append(_not_notified(item.ticket_id, item.event, f"the address was refused: {item.last_error}"))
        else:
            lines.append(f"warning: mail to {item.to}{about(item)} was refused for good ({item.last_error}); "
                         f"it is in outbox/failed/")
    failed, failed_count = box.waiting_after_failure(limit=MAX_WARNINGS)
    waiting = [f"warning: mail to {item.to}{about(item)} waits in outbox/: {item.last_error}; {hint}"
               for item in failed]
    untried, untried_count = box.untried_since(now - timedelta(minutes=STALE_MINUTES), limit=MAX_WARNINGS)
    why = "no delivery attempt yet" if settings.smtp else "no SMTP server is configured"
    waiting += [f"warning: mail to {item.to}{about(item)} waits in outbox/ since "
                f"{format_local(item.queued_at, desk.tz)}: {why}; {hint}" for item in untried]
    total = failed_count + untried_count
    if total > MAX_WARNINGS:
        waiting = waiting[:MAX_WARNINGS - 1] + [
            f"warning: {total - MAX_WARNINGS + 1} more mails have not gone out; see supportctl mail outbox"]
    return lines + waiting


def last_notification(desk, ticket_id: str, entries) -> dict | None:
    """The customer's last mail about the ticket (`show`): ``event``, ``to``, ``queued_at`` and ``state``:
    ``delivered`` (``delivered_at``: the server took it), ``waiting`` (in this clone's outbox, or another
    clone's; ``error`` of the last attempt), ``handed_over`` (to the program that sends outbox/),
    ``refused`` (for good, ``error``) or ``not_sent`` (it could not be made, ``error``)."""
    from supportctl.domain.values import iso

    mails = [e for e in entries if e.kind == "mail" and isinstance(e.data, dict) and e.data.get("event")
             and not e.data.get("limited")]
    notices, seen = [], set()
    for e in mails:
        message_id = e.data.get("message_id")
        if not message_id:
            if e.data.get("failed"):
                notices.append(e)
        elif message_id not in seen:
            seen.add(message_id)
            notices.append(e)
    if not notices:
        return None
    last = notices[-1]
    message_id = last.data.get("message_id")
    out = {"event": last.data.get("event"), "to": last.data.get("to"), "queued_at": iso(last.at, desk.tz),
           "state": "waiting", "delivered_at": None, "error": None}
    if not message_id:
        out.update(state="not_sent", error=last.data.get("error"))
        return out
    for e in mails:
        if e.data.get("message_id") != message_id:
            continue
        if e.data.get("delivered") is True:
            out.update(state="delivered", delivered_at=iso(e.at, desk.tz), error=None)
        elif e.data.get("failed"):
            out.update(state="refused", error=e.data.get("error"))
    if out["state"] == "waiting":
        from supportctl.errors import SupportError

        try:
            if _desk_settings(desk).delivery == "external":
                out["state"] = "handed_over"
        except SupportError:  # a broken mail section: `check` names it, `show` still shows the ticket
            pass
        item = outbox(desk).find(message_id)
        if item is not None:
            out["error"] = item.last_error
            if item.failed:
                out["state"] = "refused"
    return out


# -- helpers --------------------------------------------------------------

def _settings(ctx: Ctx):
    return _desk_settings(ctx.desk)


def _desk_settings(desk):
    from supportctl.mail.settings import mail_settings

    return mail_settings(desk.config)


def _render(ctx: Ctx, event: str, settings, values: dict):
    from supportctl.mail import templates

    return templates.render(event, ctx.lang, ctx.desk.root, values)


def _within_rate_limit(ctx: Ctx, settings, event: str, address: str, ticket_id: str | None) -> bool:
    from supportctl.mail.state import MailState

    if AUTO_SUBMITTED.get(event) != "auto-replied":
        return True
    if MailState(ctx.desk.state_dir).allow_autoreply(address, ctx.now, settings.autoreply_limit,
                                                     settings.autoreply_window_minutes):
        return True
    if ticket_id:
        _journal(ctx, ticket_id, Entry(ctx.now, ctx.actor, "mail", _mail_text("mail_limited", ctx.lang, to=address),
                                       data={"event": event, "to": address, "limited": True}))
    return False


def _is_ours(message_id: str, settings) -> bool:
    from supportctl.mail.threads import is_our_message_id

    return is_our_message_id(message_id, settings.domain)


def _mail_text(key: str, lang: str, **values) -> str:
    from supportctl.mail.texts import text

    return text(key, lang, **values)


def _when(ctx: Ctx, dt) -> str:
    """«01.12.2026 14:01 (МСК)»: the desk's time and the zone's name (templates put no brackets around it)."""
    from supportctl.domain.values import format_local
    from supportctl.mail.texts import zone_label

    if dt is None:
        return "—"
    return f"{format_local(dt, ctx.desk.tz)} ({zone_label(dt.astimezone(ctx.desk.tz), ctx.lang)})"


def _greeting(name: str | None, lang: str) -> str:
    from supportctl.mail.texts import greeting

    return greeting(name, lang)


def _common_values(ctx: Ctx, settings) -> dict:
    signature = settings.sender.display_name or settings.sender.addr_spec
    return {"tag": settings.tag, "signature": signature, "notes": "", "text": "", "reason": ""}


def _ticket_values(ctx: Ctx, ticket: Ticket, settings, details: dict) -> dict:
    from supportctl.mail.threads import strip_tag

    lang = ctx.lang
    notes: list[str] = []
    if details.get("previous"):
        notes.append(_mail_text("followup_of_closed", lang, other=details["previous"]))
    if not ticket.verified and details.get("from_mail"):
        from supportctl.mail.texts import unverified_note

        code, values = details.get("unverified") or ("unknown_customer", {})
        notes.append(unverified_note(code, values, lang))
    refused = details.get("refused_attachments") or []
    if refused:
        notes.append(_mail_text("refused_attachments", lang) + "\n" + "\n".join(f"- {why}" for why in refused))
    try:
        after = ctx.desk.sla.autoclose_after
        autoclose_after = messages.duration_text(after.amount, after.unit, lang)
    except Exception:  # a broken sla section must not stop a notification; `check` reports it
        autoclose_after = messages.duration_text(24, "h", lang)
    name = ticket.contact.name or details.get("sender_name")
    return {
        **_common_values(ctx, settings),
        "id": ticket.id,
        "subject": strip_tag(ticket.subject, settings.tag),
        "contact_name": name or _mail_text("dear", lang),
        "greeting": _greeting(name, lang),
        "org": ticket.org or "",
        "priority": ticket.priority or "—",
        "priority_text": _mail_text(f"priority_{ticket.priority}", lang) if ticket.priority else "",
        "status": messages.status_name(ticket.status, lang),
        "registration_due": _when(ctx, ticket.registration_due),
        "due": _when(ctx, ticket.due),
        "first_response_due": _when(ctx, ticket.first_response_due),  # IS-6, for templates that promise it
        # set_eta passes the date as it told the journal (a date alone when given as one)
        "eta_date": details.get("eta_shown") or (_when(ctx, ticket.eta.date) if ticket.eta else "—"),
        "autoclose_after": autoclose_after,
        "text": str(details.get("text") or "").strip(),
        "notes": ("\n" + "\n\n".join(notes) + "\n") if notes else "",
    }
