"""Which ticket a mail belongs to, and the text it adds (R-7.4, R-4.4).

A customer keeps ``Заявка#<ID>`` in the subject; mail clients keep our
Message-IDs in In-Reply-To/References. Every mail we send about a ticket has
a Message-ID of the form ``<ticket.<ID>.<event>.<stamp>.<random>@<domain>>`` and
names the stable reference ``<ticket.<ID>@<domain>>`` (as Request Tracker
does), so the ticket is found from the IDs alone, without any lookup table.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

from supportctl.domain.ids import ID_RE, LOOKALIKE

# Reply and forward prefixes of Outlook (en/ru/de/...), Thunderbird and the webmails, repeated or numbered.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|antw|rif|ответ|отв|на|пересл|переслать|пер|фв)"
    r"\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*)+", re.I)


def strip_prefixes(subject: str) -> str:
    return _PREFIX.sub("", subject or "").strip()


def tag_pattern(tag: str) -> re.Pattern:
    """``[Заявка#T-0042]``, ``Заявка #T-0042``, ``Заявка № Т-0042``; the configured tag and the defaults."""
    tags = "|".join(re.escape(t) for t in dict.fromkeys((tag, "Заявка", "Ticket")))
    return re.compile(rf"(?:{tags})\s*[#№]\s*([A-Za-zА-Яа-я]{{1,3}})\s*-\s*(\d{{1,9}})", re.I)


def ticket_in_subject(subject: str, tag: str) -> str | None:
    m = tag_pattern(tag).search(subject or "")
    if not m:
        return None
    candidate = f"{m.group(1).translate(LOOKALIKE).upper()}-{int(m.group(2)):04d}"  # "T-3" is T-0003
    return candidate if ID_RE.match(candidate) else None


def strip_tag(subject: str, tag: str) -> str:
    """The customer's subject without our ``[Заявка#ID]`` and reply prefixes."""
    text = strip_prefixes(subject)
    text = re.sub(r"\[\s*" + tag_pattern(tag).pattern + r"\s*\]", " ", text, flags=re.I)
    text = tag_pattern(tag).sub(" ", text)
    return strip_prefixes(" ".join(text.split()))


def tagged_subject(tag: str, ticket_id: str, subject: str) -> str:
    return f"[{tag}#{ticket_id}] {strip_tag(subject, tag)}".strip()


def new_message_id(domain: str, ticket_id: str | None, event: str, now: datetime) -> str:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
    event = re.sub(r"[^a-z0-9-]", "", event.lower()) or "mail"
    local = f"ticket.{ticket_id}.{event}" if ticket_id else f"desk.{event}"
    return f"<{local}.{stamp}.{secrets.token_hex(4)}@{domain}>"


def ticket_in_references(ids: list[str], domain: str) -> str | None:
    """The ticket named by one of our own Message-IDs in In-Reply-To/References."""
    pattern = re.compile(r"^<ticket\.([A-Z]{1,3}-\d{1,9})(?:\.[^@>]*)?@" + re.escape(domain) + ">$", re.I)
    for mid in ids:
        m = pattern.match(mid)
        if m:
            return m.group(1).upper()
    return None


def is_our_message_id(mid: str, domain: str) -> bool:
    return bool(re.match(r"^<(?:ticket|desk)\.[^@>]+@" + re.escape(domain) + ">$", mid or "", re.I))


# -- the new text of a reply ----------------------------------------------

_QUOTE_HEADERS = (
    re.compile(r"^-{2,}\s*(original message|исходное сообщение|оригинальное сообщение)\s*-{2,}\s*$", re.I),
    re.compile(r"^.{0,200}(wrote|пишет|написал|написала|написал\(а\)|schrieb)\s*:\s*$", re.I),
    re.compile(r"^.{0,200}<[^<>\s@]+@[^<>\s]+>\s*:\s*$"),  # "24.11.2026, 10:00, Иван <ivan@x.ru>:" (Yandex, Gmail)
    re.compile(r"^_{20,}\s*$"),  # Outlook's rule above "From: ... Sent: ..."
)
_QUOTE_HEADER_CHARS = 400  # a quote header is one short line; longer lines are never matched (linear time)
_OUTLOOK_FROM = re.compile(r"^\*?(from|от|отправитель)\s*:\*?\s", re.I)
_OUTLOOK_SENT = re.compile(r"^\*?(sent|date|отправлено|дата)\s*:\*?\s", re.I)


def new_text(text: str) -> str:
    """The part of a reply above the quoted history; the whole text when nothing is above it."""
    lines = text.split("\n")
    cut = len(lines)
    for n, line in enumerate(lines):
        if len(line) > _QUOTE_HEADER_CHARS:
            continue
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_HEADERS):
            cut = n
            break
        if _OUTLOOK_FROM.match(stripped) and any(_OUTLOOK_SENT.match(x[:_QUOTE_HEADER_CHARS].strip())
                                                for x in lines[n + 1:n + 4]):
            cut = n
            break
    head = [line for line in lines[:cut]]
    while head and (not head[-1].strip() or head[-1].lstrip().startswith(">")):
        head.pop()
    result = "\n".join(head).strip("\n")
    return result if result.strip() else text.strip("\n")
