"""Handing mail to an SMTP server (smtplib): plain, STARTTLS or SSL, with a login whose
password comes from an environment variable, never from the desk's files."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage


class DeliveryError(Exception):
    """The server did not take a mail; ``permanent`` for a 5xx refusal, else try again later."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def deliver(smtp, sender: str, messages: list[EmailMessage]) -> list[DeliveryError | None]:
    """Send each message over one connection; per message, None when accepted or the error."""
    try:
        server = _connect(smtp)
    except DeliveryError as exc:
        return [exc] * len(messages)
    results: list[DeliveryError | None] = []
    try:
        for msg in messages:
            results.append(_send_one(server, sender, msg))
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return results


def _connect(smtp) -> smtplib.SMTP:
    password = None
    if smtp.user:
        password = os.environ.get(smtp.password_env or "")
        if password is None:
            raise DeliveryError(f"mail.smtp.user is set but the environment variable "
                                f"{smtp.password_env or '(mail.smtp.password_env)'} holding the password is not")
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            if smtp.security == "starttls":
                server.starttls(context=context)
        if smtp.user:
            server.login(smtp.user, password)
        return server
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login as {smtp.user} refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot connect to {smtp.host}:{smtp.port} ({smtp.security}): {exc}") from None


def _send_one(server: smtplib.SMTP, sender: str, msg: EmailMessage) -> DeliveryError | None:
    try:
        refused = server.send_message(msg, from_addr=sender)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items())
        return DeliveryError(f"recipient refused: {detail}", permanent=all(500 <= c < 600 for c in codes))
    except smtplib.SMTPResponseException as exc:
        return DeliveryError(f"server said {exc.smtp_code} {_text(exc.smtp_error)}",
                             permanent=500 <= exc.smtp_code < 600)
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryError(f"delivery interrupted: {exc}")
    if refused and _main_recipients(msg) <= {str(r).lower() for r in refused}:
        return DeliveryError("some recipients refused: " + ", ".join(refused), permanent=True)
    return None  # only some of the copied (Cc:) addresses refused: the mail reached the one it was for


def _main_recipients(msg: EmailMessage) -> set[str]:
    return {a.addr_spec.lower() for a in getattr(msg.get("to"), "addresses", ())}


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
