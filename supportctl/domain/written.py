"""IS-3: some requests (deleting content, transferring ownership) are accepted only in writing and only
from an authorised contact. Which categories, which channels count as written, and which contact role
is authorised come from ``written_only`` in supportctl.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from supportctl.domain.ticket import Contact

WRITTEN_CHANNELS = ("email", "portal")

_REASONS = {
    # for the specialists (the refusal, the journal line of an override)
    "channel": {"ru": "запросы категории «{category}» принимаются только в письменном виде ({channels}), "
                      "а не {channel} (IS-3)",
                "en": "requests of category {category!r} are accepted only in writing ({channels}), "
                      "not by {channel} (IS-3)"},
    "role": {"ru": "запросы категории «{category}» принимаются только от контактного лица с ролью «{role}» "
                   "({who} — {actual}) (IS-3)",
             "en": "requests of category {category!r} are accepted only from a contact with the role "
                   "{role!r} ({who} is {actual}) (IS-3)"},
}


@dataclass(frozen=True)
class WrittenOnly:
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = WRITTEN_CHANNELS
    role: str | None = None


@dataclass(frozen=True)
class Refusal:
    code: str  # "channel" or "role"
    values: dict

    def text(self, lang: str = "ru", rule_id: bool = True) -> str:
        """The reason; without ``rule_id`` for the customer's mail (no rule IDs there)."""
        template = _REASONS[self.code].get(lang) or _REASONS[self.code]["ru"]
        line = template.format(**self.values)
        return line if rule_id else line.removesuffix(" (IS-3)")


def refusal(rule: WrittenOnly, category: str | None, channel: str, contact: Contact | None,
            email: str | None = None) -> Refusal | None:
    """Why a request may not be accepted as it came (IS-3); None when it may. ``contact`` is the
    registered contact of the customer the request came from (None: not a registered contact)."""
    if not category or category not in rule.categories:
        return None
    if channel not in rule.channels:
        return Refusal("channel", {"category": category, "channels": ", ".join(rule.channels), "channel": channel})
    if rule.role and (contact is None or (contact.role or "") != rule.role):
        who = (contact.name or contact.email) if contact else (email or "—")
        actual = (contact.role or "—") if contact else "—"
        return Refusal("role", {"category": category, "role": rule.role, "who": who, "actual": actual})
    return None
