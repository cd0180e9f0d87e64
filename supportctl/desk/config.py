"""supportctl.yaml: the desk's settings, with the regulation's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportctl.desk import yamlio
from supportctl.errors import DeskDamaged

CONFIG_FILE = "supportctl.yaml"
DEFAULT_CHANNELS = ("email", "portal", "phone")  # anything else is refused
LANGUAGES = ("ru", "en")
ESCALATION_STATES = ("at_risk", "breached")  # the timer states `escalate` mails about


@dataclass
class DeskConfig:
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "DeskConfig":
        data = yamlio.load(path) or {}
        if not isinstance(data, dict):
            raise DeskDamaged(f"{path}: the settings must be a mapping of keys")
        cfg = cls(data)
        cfg.tz  # fail early on a bad zone
        cfg._check()
        return cfg

    def _check(self) -> None:
        """A value of the wrong type is named, not read loosely (a scalar split into letters,
        the string "false" taken as true, an unknown language silently Russian)."""
        def bad(key: str, what: str) -> DeskDamaged:
            return DeskDamaged(f"{CONFIG_FILE}: {key}: expected {what}, not {self.get(key)!r}",
                               f"fix {key} in {CONFIG_FILE}")

        channels = self.get("channels", DEFAULT_CHANNELS)
        if not isinstance(channels, (list, tuple)) or not channels \
                or not all(isinstance(c, str) and c.strip() for c in channels):
            raise bad("channels", "a list of channel names, e.g. [email, portal, phone]")
        if not isinstance(self.get("require_contract", False), bool):
            raise bad("require_contract", "true or false (unquoted)")
        if self.get("language", "ru") not in LANGUAGES:
            raise bad("language", " or ".join(LANGUAGES))
        if not isinstance(self.get("timezone", "Europe/Moscow"), str):
            raise bad("timezone", "a zone name, e.g. Europe/Moscow")
        self._check_escalation(bad)
        self.written_only  # noqa: B018  (checked here, named on error)

    def _check_escalation(self, bad) -> None:
        """``team:`` (people's addresses) and ``escalation:`` (leads, states mailed; R-6.6, R-6.7)."""
        team = self.get("team", {})
        if not isinstance(team, dict) or not all(
                isinstance(v, dict) and isinstance(v.get("email", ""), str) for v in team.values()):
            raise bad("team", 'a mapping of names to {email: ADDRESS}, e.g. "Рудаков А.": {email: r@x.ru}')
        leads = self.get("escalation.leads", [])
        if not isinstance(leads, list) or not all(isinstance(a, str) for a in leads):
            raise bad("escalation.leads", "a list of e-mail addresses")
        states = self.get("escalation.states", list(ESCALATION_STATES))
        if not isinstance(states, list) or not all(s in ESCALATION_STATES for s in states):
            raise bad("escalation.states", "a list of " + " and ".join(ESCALATION_STATES))

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return default if node is None else node

    @cached_property
    def tz(self) -> ZoneInfo:
        name = self.get("timezone", "Europe/Moscow")
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise DeskDamaged(f"{CONFIG_FILE}: unknown timezone {name!r}", "use e.g. Europe/Moscow") from None

    @property
    def language(self) -> str:
        return self.get("language", "ru")

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.get("channels", DEFAULT_CHANNELS))

    @property
    def require_contract(self) -> bool:
        return self.get("require_contract", False)

    @property
    def id_prefix(self) -> str:
        return str(self.get("ids.prefix", "T"))

    def team_email(self, name: str | None) -> str | None:
        """The address of a person of the team (``team: {NAME: {email: …}}``), None when unknown."""
        entry = self.get("team", {}).get(name or "") if name else None
        email = entry.get("email") if isinstance(entry, dict) else None
        return str(email).strip() or None if email else None

    @property
    def escalation_leads(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.get("escalation.leads", []) if a.strip())

    @property
    def escalation_states(self) -> tuple[str, ...]:
        return tuple(self.get("escalation.states", list(ESCALATION_STATES)))

    @property
    def written_only(self):
        """IS-3: ``written_only: {categories: [...], channels: [email, portal], role: owner}``."""
        from supportctl.domain.written import WRITTEN_CHANNELS, WrittenOnly

        raw = self.get("written_only", {})
        lists = {key: raw.get(key, default) if isinstance(raw, dict) else None
                 for key, default in (("categories", []), ("channels", list(WRITTEN_CHANNELS)))}
        role = raw.get("role") if isinstance(raw, dict) else None
        for key, value in lists.items():
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise DeskDamaged(f"{CONFIG_FILE}: written_only.{key}: expected a list of names, not {value!r}",
                                  f"fix written_only in {CONFIG_FILE}")
        if role is not None and not isinstance(role, str):
            raise DeskDamaged(f"{CONFIG_FILE}: written_only.role: expected a role name like owner, not {role!r}",
                              f"fix written_only in {CONFIG_FILE}")
        return WrittenOnly(tuple(lists["categories"]), tuple(lists["channels"]), role or None)
