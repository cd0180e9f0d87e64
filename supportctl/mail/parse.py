"""Reading a real-world mail: headers, the text of the body, attachments, whatever the client.

Outlook, Thunderbird and the Yandex/Mail.ru webmails send UTF-8, windows-1251
or KOI8-R, declared or not, quoted-printable or base64, and sometimes HTML
only. Nothing here raises on bad input: a broken part becomes a defect, a
wrongly declared charset is guessed, and only a mail with no usable headers
at all is refused (``Unreadable``).
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.feedparser import BufferedSubFile, BytesFeedParser
from email.utils import getaddresses, parsedate_to_datetime

from supportctl.mail import limits
from supportctl.mail.htmltext import html_to_text

_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")  # RFC 5322 msg-id: printable ASCII only
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.I)
_CHARSET_ALIASES = {"win-1251": "cp1251", "windows1251": "cp1251", "cp-1251": "cp1251", "x-cp1251": "cp1251",
                    "koi8": "koi8-r", "x-koi8-r": "koi8-r", "unicode-1-1-utf-7": "utf-7"}
# Codecs Python knows that are no charset of text: bytes-to-bytes (zlib, base64, hex, rot13...) are refused
# by the lookup below; these decode text but a sender must not pick them for a body.
_NOT_CHARSETS = {"undefined", "punycode", "idna", "unicode-escape", "raw-unicode-escape"}
_MIME_FIELD = re.compile(rb"^(content-type|content-disposition)[ \t]*:", re.I | re.M)
_BOUNDARY = re.compile(rb"boundary\s*=", re.I)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")
_NAME_PARAM = re.compile(r"""(?<![\w-])(?:file)?name(\*)?(?:\*0\*?)?\s*=\s*("[^"]*"|[^;\s]*)""", re.I)
_LONG_HEADER = 2000  # longer headers are decoded by decode_words, in linear time
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# An attached mail written back as it came: with the default policy a long header is re-folded, which
# parses it again and fails on a hostile one (`Sender: <70 × x>:;B`, issue 10 item 1).
_AS_RECEIVED = policy.default.clone(refold_source="none")
_RUSSIAN_LOWER = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/bmp": ".bmp",
               "application/pdf": ".pdf", "application/zip": ".zip", "message/rfc822": ".eml",
               "text/plain": ".txt", "text/html": ".html"}


class Unreadable(Exception):
    """The bytes are not a mail: no header block that names a sender or a subject."""


class OverLimit(Unreadable):
    """The mail is beyond one of the caps of ``limits`` (kept in quarantine with the cap named)."""


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
    cuts: list[tuple[str, dict]] = field(default_factory=list)  # what a cap left out: (text key, values)
    cc: list[str] = field(default_factory=list)  # the Cc: addresses as written (lower case), at most MAX_CC_READ

    def header(self, name: str) -> str:
        return header_text(self.message, name)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def parse(raw: bytes) -> Incoming:
    """The mail, or ``Unreadable``/``OverLimit``; other exceptions are the caller's to keep the mail aside."""
    _check_raw(raw)
    try:
        msg = _parse_bytes(raw)
    except RecursionError:
        raise OverLimit(f"parts nested deeper than {limits.MAX_DEPTH}") from None
    _check_structure(msg)
    if not any(header_text(msg, h) for h in ("from", "subject", "message-id", "sender")):
        raise Unreadable("no From, Subject or Message-ID header: not a mail")
    own_id = message_ids(header_text(msg, "message-id"))
    sender_name, sender = _sender(msg)
    cuts: list[tuple[str, dict]] = []
    body_part, text = _body(msg, cuts)
    subject = " ".join(header_text(msg, "subject").split())
    if len(subject) > limits.MAX_SUBJECT_CHARS:
        cuts.append(("cut_subject", {"length": len(subject), "limit": limits.MAX_SUBJECT_CHARS}))
        subject = subject[:limits.MAX_SUBJECT_CHARS - 1] + "…"
    return Incoming(
        message=msg,
        size=len(raw),
        message_id=own_id[0] if own_id else content_id(raw),
        has_message_id=bool(own_id),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        date=_date(header_text(msg, "date")),
        in_reply_to=message_ids(header_text(msg, "in-reply-to")),
        references=message_ids(header_text(msg, "references")),
        text=text,
        attachments=_attachments(msg, body_part),
        cuts=cuts,
        cc=_copied(msg),
    )


def _check_raw(raw: bytes) -> None:
    """The caps that must hold before the MIME parser runs (its work grows with them)."""
    end = _HEADER_END.search(raw, 0, limits.MAX_HEADER_BYTES + 4)
    if end is None and len(raw) > limits.MAX_HEADER_BYTES or end is not None and end.start() > limits.MAX_HEADER_BYTES:
        raise OverLimit(f"the header block is larger than {limits.MAX_HEADER_BYTES // 1024} KiB")
    containers = len(_BOUNDARY.findall(raw))
    if containers > limits.MAX_MULTIPARTS:
        raise OverLimit(f"more than {limits.MAX_MULTIPARTS} multipart containers")
    # the parser checks each line starting with "--" against the boundary of every open container
    if containers and containers * (raw.count(b"\n--") + raw.count(b"\r--")) > limits.MAX_DELIMITER_WORK:
        raise OverLimit(f"too many lines starting with \"--\" for {containers} multipart containers")
    # the stdlib parses these fields (again at every look, ~0.4 ms a parameter): bound their size and count
    params = 0
    for m in _MIME_FIELD.finditer(raw):
        stop = _field_end(raw, m.start())
        if stop - m.start() > limits.MAX_FIELD_BYTES:
            raise OverLimit(f"a {m.group(1).decode('ascii', 'replace')} header longer than "
                            f"{limits.MAX_FIELD_BYTES // 1024} KiB")
        params += raw.count(b";", m.start(), stop)
        if params > limits.MAX_MIME_PARAMS:
            raise OverLimit(f"more than {limits.MAX_MIME_PARAMS} parameters in Content-Type and "
                            f"Content-Disposition headers")


def _field_end(raw: bytes, start: int) -> int:
    """Where the header field starting at ``start`` ends (its continuation lines included)."""
    pos = start
    while True:
        nl = raw.find(b"\n", pos)
        if nl < 0:
            return len(raw)
        if raw[nl + 1:nl + 2] not in (b" ", b"\t") or nl - start > limits.MAX_FIELD_BYTES:
            return nl
        pos = nl + 1


class _Lines(BufferedSubFile):
    """The parser's line source, skipping its boundary checks for lines no boundary can match.

    The stdlib checks every line against every open multipart's boundary (its work is lines × depth);
    a boundary line starts with "--", the end of a delivery-status block is an empty line.
    """

    def readline(self):
        lines = self._lines
        if lines and self._eofstack and not lines[0].startswith(("-", "\r", "\n")):
            return lines.popleft()
        return super().readline()


def _parse_bytes(raw: bytes) -> EmailMessage:
    parser = BytesFeedParser(policy=policy.default)
    if isinstance(getattr(parser, "_input", None), BufferedSubFile) and hasattr(parser._input, "_eofstack"):
        parser._input = _Lines()  # read lazily by the parser's generator: safe to swap before the first feed
    parser.feed(raw)
    return parser.close()


def _check_structure(msg) -> None:
    """At most MAX_PARTS parts nested at most MAX_DEPTH deep, counted without recursion; no header field
    longer than MAX_FIELD_BYTES but the few of the mail itself that ``header_text`` decodes in linear time."""
    count = 0
    stack = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        count += 1
        for key, value in part.raw_items():
            if len(value) > limits.MAX_FIELD_BYTES and (part is not msg or key.lower() not in limits.LONG_FIELDS):
                raise OverLimit(f"a {key[:40]} header longer than {limits.MAX_FIELD_BYTES // 1024} KiB")
        if count > limits.MAX_PARTS:
            raise OverLimit(f"more than {limits.MAX_PARTS} MIME parts")
        if depth > limits.MAX_DEPTH:
            raise OverLimit(f"parts nested deeper than {limits.MAX_DEPTH}")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((sub, depth + 1) for sub in payload if hasattr(sub, "get_content_type"))


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
    if len(raw) > _LONG_HEADER:
        return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", decode_words(raw)).strip()
    try:
        value = str(msg[name])
    except Exception:  # a header the modern parser chokes on: decode it the old way
        value = ""
    if not value or "\ufffd" in value or _ENCODED_WORD.search(value):  # a charset it did not know
        value = decode_words(raw)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", value).strip()


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded in one pass (the stdlib's decoders are quadratic in their number).

    Adjacent words in one charset are joined before decoding (a letter may be split between two);
    a charset that is unknown or no text encoding is guessed like an undeclared body.
    """
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    out: list[str] = []
    pending: list[bytes] = []
    charset: str | None = None

    def flush() -> None:
        if pending:
            out.append(_decode_bytes(b"".join(pending), charset))
            pending.clear()

    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos:m.start()]
        word_charset = m.group(1).split("*", 1)[0].lower()  # RFC 2231 adds a language after "*"
        if between.strip() or word_charset != charset:
            flush()
            if between.strip() or not out:
                out.append(between)
        charset = word_charset
        pending.append(_word_bytes(m.group(2), m.group(3)))
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "qQ":
        return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
    data = text.encode("ascii", "replace")
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return data


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


MAX_CC_READ = 100  # Cc: addresses read from one mail (the field itself is within limits.MAX_FIELD_BYTES)


def _copied(msg) -> list[str]:
    try:
        pairs = getaddresses([header_text(msg, "cc")])
    except Exception:  # noqa: BLE001 - a Cc: the parser chokes on copies no one
        return []
    return [addr.strip().lower() for _name, addr in pairs[:MAX_CC_READ] if addr.strip()]


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
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:  # a parameter in a charset that is no text encoding: the raw header decides
        disposition = (_raw_header(part, "content-disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or bool(_filename(part))


def _body(msg, cuts: list) -> tuple[object | None, str]:
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
        markup = part_text(html)
        if len(markup) > limits.MAX_HTML_CHARS:
            cuts.append(("cut_html", {"length": len(markup), "limit": limits.MAX_HTML_CHARS}))
            markup = markup[:limits.MAX_HTML_CHARS]
        return html, _normalise(html_to_text(markup))
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
        except (UnicodeError, LookupError):  # a wrong declaration, or a codec that refuses this text
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
        info = codecs.lookup(name)
    except LookupError:
        return None
    # bytes-to-bytes codecs (zlib, base64, rot13...) are no text encodings: str.decode refuses them
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]", "", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# -- attachments --------------------------------------------------------

def _filename(part) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # an RFC 2231 charset that is no text encoding ('undefined'): decode it ourselves
        name = _rfc2231_filename(part)
    if name and _has_raw_bytes(name):
        name = _decode_bytes(name.encode("utf-8", "surrogateescape"), None)
    if name and "=?" in name:  # RFC 2047 inside a parameter (Outlook, older webmails)
        name = decode_words(name)
    return name or None


def _rfc2231_filename(part) -> str | None:
    """The file name read from the raw headers, for when the header parser itself fails on them."""
    for header in ("content-disposition", "content-type"):
        m = _NAME_PARAM.search(_raw_header(part, header) or "")
        if m:
            value = m.group(2).strip('"')
            if m.group(1):  # charset'language'%XX
                charset, _, rest = value.partition("'")
                return _decode_bytes(urllib.parse.unquote_to_bytes(rest.partition("'")[2]), charset)
            return value
    return None


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
            data = inner.as_bytes(policy=_AS_RECEIVED) if hasattr(inner, "as_bytes") else b""
        else:
            data = _payload(part)
        if ctype.startswith("multipart/"):
            continue
        name = _filename(part) or f"attachment-{n}{_EXTENSIONS.get(ctype, '.bin')}"
        found.append(Attachment(name=name, content_type=ctype, data=data))
    return found
