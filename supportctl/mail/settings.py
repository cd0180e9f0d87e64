"""The `mail:` section of supportctl.yaml, read once and checked, with the defaults documented there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from supportctl.domain.values import parse_minutes
from supportctl.errors import DeskDamaged, SupportError

DEFAULT_TAG = "Заявка"

# how a customer's answer to a completed ticket is read (first lines, quotes stripped).
DEFAULT_CONFIRM = [
    "спасибо", "благодарю", "подтверждаю", "закрывайте", "можно закрыть", "можно закрывать", "закрыть заявку",
    "проблема решена", "вопрос решен", "вопрос решён", "всё работает", "все работает", "заработало",
    "thank", "confirm", "please close", "works now", "resolved", "ок", "ok",
]
DEFAULT_DISAGREE = [
    "не согласен", "не согласна", "не согласны", "не решен", "не решён", "не решена", "не устранен",
    "не устранён", "не работает", "не заработало", "не помогло", "проблема осталась", "ошибка осталась",
    "не исчез", "не пропал", "не получается", "не получилось", "снова", "опять", "повторяется", "возобновите",
    "disagree", "not fixed", "not resolved", "still", "doesn't work", "does not work", "didn't help",
    "not working", "isn't working", "is not working", "reopen",
]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)I?B?\s*$", re.I)
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


@dataclass
class Smtp:
    host: str
    port: int
    security: str  # none | starttls | ssl
    user: str | None
    password_env: str | None
    timeout: float = 30.0


@dataclass
class MailSettings:
    sender: Address | None  # mail.from; None: the mail channel is off (nothing is composed)
    domain: str
    tag: str = DEFAULT_TAG
    smtp: Smtp | None = None
    # background: a command that queued mail starts `mail send` detached; cron: only `mail send` delivers;
    # external: another program takes the mail from outbox/ (no SMTP here), so a queued mail counts as sent
    delivery: str = "background"
    closed_followup: str = "new"
    unknown_sender: str = "accept"
    foreign_sender: str = "new"
    unclear_reply: str = "reopen"
    attachment_limit: int = 10 * 1024 ** 2
    message_limit: int = 25 * 1024 ** 2
    duplicate_window_minutes: int = 60
    autoreply_limit: int = 5
    autoreply_window_minutes: int = 60
    confirm_words: list[str] = field(default_factory=lambda: list(DEFAULT_CONFIRM))
    disagree_words: list[str] = field(default_factory=lambda: list(DEFAULT_DISAGREE))
    # IS-6: what the customer's mail says its category is: keyword (any part of a word) -> category
    categories: dict[str, str] = field(default_factory=dict)
    default_category: str | None = None

    @property
    def enabled(self) -> bool:
        return self.sender is not None

    @property
    def loop_id(self) -> str:
        """Our X-Loop value: a mail carrying it came from this desk."""
        return self.sender.addr_spec.lower() if self.sender else f"supportctl@{self.domain}"

    def ticket_reference(self, ticket_id: str) -> str:
        """The stable per-ticket Message-ID every mail about the ticket names in References."""
        return f"<ticket.{ticket_id}@{self.domain}>"


def mail_settings(config) -> MailSettings:
    """From a DeskConfig; a wrong value is a damaged desk file, named with its key."""
    raw = config.get("mail", {}) or {}
    if not isinstance(raw, dict):
        raise DeskDamaged("supportctl.yaml: `mail` must be a mapping of keys")
    sender = _address(raw.get("from"))
    domain = str(raw.get("domain") or (sender.domain if sender else "supportctl.invalid")).strip().lower()
    if not re.fullmatch(r"[a-z0-9.-]+", domain or ""):
        _bad("mail.domain", domain, "a host name such as support.example.ru")
    s = MailSettings(sender=sender, domain=domain)
    s.tag = _clean(raw.get("tag")) or DEFAULT_TAG
    s.smtp = _smtp(raw.get("smtp"))
    s.delivery = _choice(raw, "delivery", ("background", "cron", "external"), s.delivery)
    if s.delivery == "external" and s.smtp is not None:
        raise DeskDamaged("supportctl.yaml: mail.delivery is external (another program sends outbox/) "
                          "but mail.smtp.host is set", "remove one of them")
    s.closed_followup = _choice(raw, "closed_followup", ("new", "reopen", "refuse"), s.closed_followup)
    s.unknown_sender = _choice(raw, "unknown_sender", ("accept", "refuse"), s.unknown_sender)
    s.foreign_sender = _choice(raw, "foreign_sender", ("new", "quarantine"), s.foreign_sender)
    s.unclear_reply = _choice(raw, "unclear_reply", ("reopen", "keep"), s.unclear_reply)
    s.attachment_limit = _size(raw, "attachment_limit", s.attachment_limit)
    s.message_limit = _size(raw, "message_limit", s.message_limit)
    s.duplicate_window_minutes = _minutes(raw, "duplicate_window", s.duplicate_window_minutes)
    limit = raw.get("autoreply_limit") or {}
    if not isinstance(limit, dict):
        _bad("mail.autoreply_limit", limit, "a mapping: {count: 5, per: 1h}")
    s.autoreply_limit = _int(limit.get("count", s.autoreply_limit), "mail.autoreply_limit.count")
    s.autoreply_window_minutes = _minutes(limit, "per", s.autoreply_window_minutes, "mail.autoreply_limit.")
    s.confirm_words = _words(raw, "confirm_words", s.confirm_words)
    s.disagree_words = _words(raw, "disagree_words", s.disagree_words)
    s.categories = _categories(raw.get("categories"))
    s.default_category = _clean(raw.get("default_category"))
    return s


def fold(text: str) -> str:
    """Case and ё folded, as keywords and mails are compared."""
    return text.casefold().replace("ё", "е")


def _categories(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
                                              for k, v in value.items()):
        _bad("mail.categories", value, "a mapping of keyword to category, e.g. {вёрстк: layout}")
    return {fold(k.strip()): v.strip() for k, v in value.items()}


def _smtp(raw: Any) -> Smtp | None:
    if not raw:
        return None
    if not isinstance(raw, dict):
        _bad("mail.smtp", raw, "a mapping with host, port, security, user, password_env")
    host = _clean(raw.get("host"))
    if not host:
        return None
    security = _choice(raw, "security", ("none", "starttls", "ssl"), "starttls", "mail.smtp.")
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    port = _int(raw.get("port") or default_port, "mail.smtp.port")
    return Smtp(host=host, port=port, security=security, user=_clean(raw.get("user")),
                password_env=_clean(raw.get("password_env")),
                timeout=float(_int(raw.get("timeout") or 30, "mail.smtp.timeout")))


def _address(value: Any) -> Address | None:
    text = _clean(value)
    if not text:
        return None
    name, addr = parseaddr(text)
    if not re.fullmatch(r"[^@\s<>]+@[A-Za-z0-9.-]+", addr or ""):
        _bad("mail.from", text, 'an address such as "Техподдержка <support@example.ru>"')
    user, _, domain = addr.rpartition("@")
    return Address(display_name=_clean(name) or "", username=user, domain=domain)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()
    return text or None


def _choice(raw: dict, key: str, allowed: tuple[str, ...], default: str, prefix: str = "mail.") -> str:
    value = raw.get(key)
    if value is None:
        return default
    if str(value) not in allowed:
        _bad(prefix + key, value, "one of: " + ", ".join(allowed))
    return str(value)


def _size(raw: dict, key: str, default: int) -> int:
    value = raw.get(key)
    if value is None:
        return default
    m = _SIZE.match(str(value))
    if not m:
        _bad("mail." + key, value, "bytes or e.g. 512KB, 10MB")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _minutes(raw: dict, key: str, default: int, prefix: str = "mail.") -> int:
    value = raw.get(key)
    if value is None:
        return default
    try:
        return parse_minutes(str(value))
    except SupportError:
        _bad(prefix + key, value, "a duration such as 30m, 1h, 1d")
    raise AssertionError  # unreachable


def _int(value: Any, key: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = -1
    if n < 0:
        _bad(key, value, "a whole number")
    return n


def _words(raw: dict, key: str, default: list[str]) -> list[str]:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, list):
        _bad("mail." + key, value, "a list of words or phrases")
    return [str(w).lower().strip() for w in value if str(w).strip()]


def _bad(key: str, value: Any, expected: str) -> None:
    raise DeskDamaged(f"supportctl.yaml: invalid {key}: {value!r}", f"expected {expected}")
