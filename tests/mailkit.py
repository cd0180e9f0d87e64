"""Helpers of the mail tests: a real SMTP server on loopback, Maildirs, and mails as real clients write them."""

from __future__ import annotations

import base64
import socket
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

DESK_FROM = "Техподдержка <support@desk.example>"


class Collector:
    """An aiosmtpd handler that keeps every mail it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse_rcpt: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        return [BytesParser(policy=policy.default).parsebytes(e.content) for e in self.envelopes]

    def events(self) -> list[str]:
        return [str(m["X-Supportctl-Event"]) for m in self.messages]

    def last(self, event: str, timeout: float = 30.0):
        """The last mail of ``event``, waiting for the background sender (mail.delivery: background)."""
        wait_until(lambda: any(m["X-Supportctl-Event"] == event for m in self.messages), timeout)
        found = [m for m in self.messages if m["X-Supportctl-Event"] == event]
        assert found, f"no {event} mail among {self.events()}"
        return found[-1]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        """The events once ``count`` mails arrived (or the timeout passed)."""
        wait_until(lambda: len(self.envelopes) >= count, timeout)
        return self.events()


class MaildirDelivery:
    """An aiosmtpd handler that delivers each mail into a Maildir as an MTA's local delivery does: the
    bytes as they came over SMTP, after a Return-Path and a Delivered-To line, written in tmp/ and moved
    to new/."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = make_maildir(maildir)
        self.delivered: list[Path] = []

    async def handle_DATA(self, server, session, envelope):
        trace = f"Return-Path: <{envelope.mail_from}>\r\nDelivered-To: {envelope.rcpt_tos[0]}\r\n"
        name = f"{time.time_ns()}.{len(self.delivered)}.desk"
        (self.maildir / "tmp" / name).write_bytes(trace.encode("ascii") + envelope.original_content)
        (self.maildir / "tmp" / name).rename(self.maildir / "new" / name)
        self.delivered.append(self.maildir / "new" / name)
        return "250 OK"


def send_over_smtp(port: int, message) -> None:
    """Send ``message`` as a mail client does: SMTP to the server on loopback."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


def wait_until(predicate, timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until true: commands deliver mail in a detached process after they return."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(handler=None):
    from aiosmtpd.controller import Controller

    handler = Collector() if handler is None else handler
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, handler


def configure_mail(root: Path, port: int | None = None, **extra: str) -> None:
    lines = ["", "mail:", f'  from: "{DESK_FROM}"']
    if port is not None:
        lines += ["  smtp:", "    host: 127.0.0.1", f"    port: {port}", "    security: none"]
    for key, value in extra.items():
        lines.append(f"  {key}: {value}")
    with open(root / "supportctl.yaml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def make_maildir(folder: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return folder


def deliver_to(maildir: Path, name: str, raw: bytes) -> Path:
    path = maildir / "new" / f"{time.time_ns()}.{name}.host"
    path.write_bytes(raw)
    return path


def b64_header(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def outlook_mail(*, sender: str, name: str, subject: str, body: str, message_id: str, charset: str = "windows-1251",
                 in_reply_to: str | None = None, extra: str = "") -> bytes:
    """A plain-text mail as Outlook writes it in a Russian locale: 8-bit windows-1251, RFC 2047 headers."""
    head = (f"From: {b64_header(name, charset)} <{sender}>\r\n"
            f"To: support@desk.example\r\n"
            f"Subject: {b64_header(subject, charset)}\r\n"
            f"Date: Mon, 1 Dec 2025 09:55:00 +0300\r\n"
            f"Message-ID: {message_id}\r\n"
            + (f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else "")
            + extra +
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=\"{charset}\"\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode("ascii") + body.replace("\n", "\r\n").encode(charset)


def bounce(to: str) -> bytes:
    return (f"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.barrier.ru>\r\n"
            f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <bounce-1@mx.barrier.ru>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
            f"--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
            f"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.barrier.ru\r\n\r\n"
            f"Final-Recipient: rfc822; nobody@barrier.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            f"--b--\r\n").encode("ascii")


def auto_reply(sender: str) -> bytes:
    return outlook_mail(sender=sender, name="Смирнова Ольга", subject="Автоматический ответ: Отпуск",
                        body="Я в отпуске до 10 декабря.", message_id="<oof-1@barrier.ru>",
                        extra="Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n")


def body_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()
