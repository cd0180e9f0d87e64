"""Reading a real-world mail: headers, the text of the body, attachments, whatever the client.

Outlook, Thunderbird and the Yandex/Mail.ru webmails send UTF-8, windows-1251
or KOI8-R, declared or not, quoted-printable or base64, and sometimes HTML
only. Nothing here raises on bad input: a broken part becomes a defect, a
wrongly declared charset is guessed, and only a mail with no usable headers
at all is refused (``Unreadable``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from supportctl.mail.htmltext import html_to_text

_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")  # RFC 5322 msg-id: printable ASCII only
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.I)
_CHARSET_ALIASES = {"win-1251": "cp1251", "windows1251": "cp1251", "cp-1251": "cp1251", "x-cp1251": "cp1251",
                    "koi8": "koi8-r", "x-koi8-r": "koi8-r", "unicode-1-1-utf-7": "utf-7"}
_RUSSIAN_LOWER = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/bmp": ".bmp",
               "application/pdf": ".pdf", "application/zip": ".zip", "message/rfc822": ".eml",
               "text/plain": ".txt", "text/html": ".html"}


class Unreadable(Exception):
    """The bytes are not a mail: no header block that names a sender or a subject."""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class Incoming:
    message: EmailMessage
    size: int
    message_id: str          # the mail's own, or one made from a hash of its bytes
    has_message_id: bool
    sender: str              # the From address, lower case; "" when there is none usable
    sender_name: str
    subject: str
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[Attachment] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def parse(raw: bytes) -> Incoming:
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is a last resort for pathological input
        raise Unreadable(f"cannot parse the mail: {exc}") from None
    if not any(header_text(msg, h) for h in ("from", "subject", "message-id", "sender")):
        raise Unreadable("no From, Subject or Message-ID header: not a mail")
    own_id = message_ids(header_text(msg, "message-id"))
    sender_name, sender = _sender(msg)
    body_part, text = _body(msg)
    return Incoming(
        message=msg,
        size=len(raw),
        message_id=own_id[0] if own_id else content_id(raw),
        has_message_id=bool(own_id),
        sender=sender,
        sender_name=sender_name,
        subject=" ".join(header_text(msg, "subject").split()),
        date=_date(header_text(msg, "date")),
        in_reply_to=message_ids(header_text(msg, "in-reply-to")),
        references=message_ids(header_text(msg, "references")),
        text=text,
        attachments=_attachments(msg, body_part),
    )


def content_id(raw: bytes) -> str:
    """A stable stand-in Message-ID for a mail that has none (idempotent ingest)."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@supportctl.invalid>"


def message_ids(text: str) -> list[str]:
    return _MSGID.findall(text or "")


def header_text(msg, name: str) -> str:
    """A header decoded for reading (RFC 2047, raw 8-bit in any Cyrillic charset); "" when absent."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if _has_raw_bytes(raw):
        return _decode_bytes(raw.encode("utf-8", "surrogateescape"), None)
    try:
        value = str(msg[name])
    except Exception:  # a header the modern parser chokes on: decode it the old way
        value = ""
    if not value or "\ufffd" in value:
        try:
            value = str(make_header(decode_header(raw)))
        except Exception:
            value = raw
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", value).strip()


def _raw_header(msg, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _has_raw_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _sender(msg) -> tuple[str, str]:
    value = header_text(msg, "from") or header_text(msg, "sender")
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    for name, addr in pairs:
        addr = addr.strip().lower()
        if _ADDRESS.match(addr):
            return " ".join(name.split()), addr
    return "", ""


def header_date(text: str) -> datetime | None:
    """A Date: header as an aware datetime; None when it is missing, malformed or without a zone."""
    return _date(text)


def _date(text: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        return None
    return dt if dt is not None and dt.tzinfo is not None else None


# -- body ---------------------------------------------------------------

def _leaves(part):
    """Leaf parts in order; an attached mail (message/rfc822) is one leaf, not descended into."""
    if part.get_content_type() == "message/rfc822":
        yield part
        return
    if part.is_multipart():
        for sub in part.get_payload() or []:
            if hasattr(sub, "get_content_type"):
                yield from _leaves(sub)
        return
    yield part


def _is_attachment(part) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(_filename(part))


def _body(msg) -> tuple[object | None, str]:
    plain = html = None
    for part in _leaves(msg):
        if part.get_content_maintype() != "text" or _is_attachment(part):
            continue
        subtype = part.get_content_subtype()
        if subtype == "plain" and plain is None:
            plain = part
        elif subtype == "html" and html is None:
            html = part
    if plain is not None:
        text = part_text(plain)
        if text.strip() or html is None:
            return plain, _normalise(text)
    if html is not None:
        return html, _normalise(html_to_text(part_text(html)))
    return None, ""


def part_text(part) -> str:
    data = _payload(part)
    declared = part.get_content_charset()
    if not declared and part.get_content_subtype() == "html":
        m = _META_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "replace") if m else None
    return _decode_bytes(data, declared)


def _payload(part) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _decode_bytes(data: bytes, declared: str | None) -> str:
    """Declared charset when it decodes; else UTF-8; else the likelier of windows-1251 and KOI8-R."""
    codec = _codec(declared)
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [data.decode(c, "replace") for c in ("cp1251", "koi8-r")]
    return max(candidates, key=lambda t: sum(ch in _RUSSIAN_LOWER for ch in t))


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]", "", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# -- attachments --------------------------------------------------------

def _filename(part) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name and _has_raw_bytes(name):
        name = _decode_bytes(name.encode("utf-8", "surrogateescape"), None)
    if name and "=?" in name:  # RFC 2047 inside a parameter (Outlook, older webmails)
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            pass
    return name or None


def _attachments(msg, body_part) -> list[Attachment]:
    found: list[Attachment] = []
    for n, part in enumerate(_leaves(msg), 1):
        if part is body_part:
            continue
        ctype = part.get_content_type()
        if ctype.startswith("text/") and not _is_attachment(part):
            continue  # the other alternative of the body
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes(policy=policy.default) if hasattr(inner, "as_bytes") else b""
        else:
            data = _payload(part)
        if ctype.startswith("multipart/"):
            continue
        name = _filename(part) or f"attachment-{n}{_EXTENSIONS.get(ctype, '.bin')}"
        found.append(Attachment(name=name, content_type=ctype, data=data))
    return found
