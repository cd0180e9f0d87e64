"""Customer notifications of ticket events, handed to the mail channel (R-6.6, R-7.3, R-4.8, R-4.9, R-6.7).

Every mail is composed from the desk's template in the desk's language,
written to outbox/ first, then handed to the SMTP server when one is
configured; it leaves the outbox only once the server took it (`mail send`
retries the rest). Nothing is mailed while ``mail.from`` is not set.

The mail is composed and sent outside the desk lock (an SMTP server may be
slow); the journal line recording it is appended under the lock, so the
undo of another, killed command can never cut it off.
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


@dataclass
class Sent:
    path: Path | None       # in the outbox (None once delivered)
    message_id: str
    delivered: bool
    error: str | None = None
    failed: bool = False    # not even queued: the mail could not be made (e.g. a broken desk template)


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
            return Notified(None, "no mail sent: mail.from is not set" if event in REQUESTED else None)
        if event not in TICKET_EVENTS:
            return Notified(None)
        if not valid_address(address):
            why = f"{address!r} is not a valid e-mail address" if address else "the ticket has no e-mail address"
            return Notified(None, f"no mail sent: {why}" if event in REQUESTED else None)
        if not _within_rate_limit(ctx, settings, event, address, ticket.id):
            return Notified(None, "no mail sent: the auto-reply limit is reached" if event in REQUESTED else None)
        return Notified(_mail_ticket(ctx, event, ticket, settings, address, details))
    except (SupportError, OSError, ValueError) as exc:
        error = str(exc)
        entry = Entry(ctx.now, ctx.actor, "mail", _mail_text("mail_failed", ctx.lang, error=error),
                      data={"event": event, "to": address, "failed": True, "error": error})
        _journal(ctx, ticket.id, entry)
        return Notified(Sent(None, "", False, error, failed=True), f"the customer was not mailed: {error}")


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
    )
    sent = send(ctx, out)
    key = "mail_sent" if sent.delivered else "mail_queued"
    entry = Entry(ctx.now, ctx.actor, "mail", _mail_text(key, ctx.lang, to=address, subject=out.subject),
                  data={"event": event, "to": address, "message_id": out.message_id, "delivered": sent.delivered})
    _journal(ctx, ticket.id, entry)
    return sent


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
    """Queue in outbox/, then deliver at once when SMTP is configured."""
    from supportctl.mail.compose import compose

    settings = _settings(ctx)
    msg = compose(settings, out, ctx.now)
    box = outbox(ctx.desk)
    path = box.put(msg, out.ticket_id, out.event, ctx.now)
    if settings.smtp is None:
        return Sent(path, out.message_id, False)
    report = box.send(settings.smtp, settings.sender.addr_spec)  # the whole queue, oldest first
    if not path.exists() and not (box.failed_folder / path.name).exists():
        return Sent(None, out.message_id, True)
    problems = [error for queued, error in report.waiting + report.failed if queued.path.name == path.name]
    return Sent(path if path.exists() else None, out.message_id, False, problems[0] if problems else None)


def outbox(desk):
    from supportctl.mail.outbox import Outbox

    return Outbox(desk.outbox_dir, desk.state_dir / "mail" / "outbox.json")


def send_queued(ctx: Ctx):
    """`mail send`: hand everything waiting in outbox/ to the server, oldest first."""
    from supportctl.errors import Refused

    settings = _settings(ctx)
    if settings.smtp is None or settings.sender is None:
        raise Refused("no SMTP server configured: the mails stay in outbox/",
                      "set mail.from and mail.smtp.host in supportctl.yaml")
    return outbox(ctx.desk).send(settings.smtp, settings.sender.addr_spec)


# -- helpers --------------------------------------------------------------

def _settings(ctx: Ctx):
    from supportctl.mail.settings import mail_settings

    return mail_settings(ctx.desk.config)


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
