"""An outgoing mail: headers that thread in every client, Cyrillic encoded per RFC 2047, and
nothing from a ticket field that could start a header of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from supportctl.mail.parse import message_ids
from supportctl.mail.settings import MailSettings

ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_REFERENCES = 10  # RFC 5322 allows trimming the middle of a long chain


def header_safe(value: object, limit: int = 300) -> str:
    """One line: no CR, LF or other control characters (no header injection), trimmed."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+", " ", str(value or ""))
    # a literal "=?...?=" is read as an encoded word by clients (and trips the stdlib's folding)
    text = " ".join(text.replace("=?", "= ?").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def valid_address(addr: str | None) -> bool:
    return bool(addr) and bool(ADDRESS_RE.match(addr))


@dataclass
class Outgoing:
    to_addr: str
    to_name: str | None
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto: str | None = None  # Auto-Submitted: auto-replied | auto-generated; None for a person's answer
    ticket_id: str | None = None
    event: str = ""
    attachments: tuple[tuple[str, bytes], ...] = ()  # (file name, content), sent as MIME attachments
    cc: tuple[str, ...] = ()  # the ticket's copied addresses (Cc:, and so RCPT TO as well)


def compose(settings: MailSettings, out: Outgoing, now: datetime) -> EmailMessage:
    if settings.sender is None:
        raise ValueError("mail.from is not configured")
    if not valid_address(out.to_addr):
        raise ValueError(f"invalid recipient address {out.to_addr!r}")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = settings.sender
    user, _, domain = out.to_addr.rpartition("@")
    msg["To"] = Address(display_name=header_safe(out.to_name, 120), username=user, domain=domain)
    copied = [a for a in dict.fromkeys(out.cc) if valid_address(a) and a.lower() != out.to_addr.lower()]
    if copied:
        msg["Cc"] = [Address(username=a.rpartition("@")[0], domain=a.rpartition("@")[2]) for a in copied]
    msg["Subject"] = header_safe(out.subject, 250)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = out.message_id
    if out.in_reply_to and message_ids(out.in_reply_to):
        msg["In-Reply-To"] = message_ids(out.in_reply_to)[0]
    refs = [r for ref in out.references for r in message_ids(ref)]
    refs = list(dict.fromkeys(refs))
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
    if refs:
        msg["References"] = " ".join(refs)
    if out.auto:
        msg["Auto-Submitted"] = out.auto
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange/Outlook: no out-of-office replies to this
    msg["X-Loop"] = settings.loop_id
    if out.ticket_id:
        msg["X-Supportctl-Ticket"] = header_safe(out.ticket_id, 20)
    if out.event:
        msg["X-Supportctl-Event"] = header_safe(out.event, 40)
    msg.set_content(out.body, charset="utf-8", cte="base64")
    for name, data in out.attachments:
        # a non-ASCII name goes out as RFC 2231 filename*=utf-8''… (split in parts when long)
        maintype, subtype = _content_type(name)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_safe(name, 240))
    try:
        msg.as_bytes()
    except (UnicodeError, ValueError):  # a display name the stdlib cannot fold: the address alone
        msg.replace_header("To", Address(username=user, domain=domain))
    return msg


def _content_type(name: str) -> tuple[str, str]:
    import mimetypes

    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if not guessed or encoding or "/" not in guessed:
        return "application", "octet-stream"
    maintype, subtype = guessed.split("/", 1)
    return maintype, subtype
