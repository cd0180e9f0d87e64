"""What every service is given: the desk, the time, and who acts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportctl.desk.desk import Desk


@dataclass
class Ctx:
    desk: Desk
    now: datetime
    actor: str

    @property
    def lang(self) -> str:
        return self.desk.config.language
