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
        return cfg

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
        lang = str(self.get("language", "ru"))
        return lang if lang in ("ru", "en") else "ru"

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.get("channels", DEFAULT_CHANNELS))

    @property
    def require_contract(self) -> bool:
        return bool(self.get("require_contract", False))

    @property
    def id_prefix(self) -> str:
        return str(self.get("ids.prefix", "T"))
