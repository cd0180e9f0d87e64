"""Per-clone memory of the mail channel, in the desk's git-ignored .supportctl/mail/.

What must survive a fresh clone lives in the tracked tickets instead: every
Message-ID that reached a ticket is in its ``message_ids``. Here are only the
auto-reply counts of the rate limit and the Message-IDs of mails that reached
no ticket (bounces, refusals, quarantine), so re-ingesting them is quiet.
Losing this folder costs at most one repeated refusal per such mail.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from supportctl.desk.files import append_line, exclusive_lock, write_atomic


class MailState:
    def __init__(self, state_dir: Path):
        self.folder = state_dir / "mail"

    # -- the auto-reply rate limit ----------------------------------------

    def allow_autoreply(self, address: str, now: datetime, limit: int, window_minutes: int) -> bool:
        """Count one auto-reply to ``address`` unless ``limit`` were sent within the window."""
        path = self.folder / "autoreplies.json"
        with exclusive_lock(self.folder / "autoreplies.lock"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                data = {}
            since = now - timedelta(minutes=window_minutes)
            pruned: dict[str, list[str]] = {}
            for addr, stamps in (data.items() if isinstance(data, dict) else []):
                recent = [s for s in stamps if _parse(s) and _parse(s) > since]
                if recent:
                    pruned[addr] = recent
            key = address.lower()
            allowed = len(pruned.get(key, [])) < limit
            if allowed:
                pruned.setdefault(key, []).append(now.isoformat())
            write_atomic(path, json.dumps(pruned, indent=1), durable=False)
        return allowed

    # -- mails that reached no ticket ---------------------------------------

    def seen(self) -> dict[str, str]:
        """Message-ID → what was done with it."""
        found: dict[str, str] = {}
        try:
            lines = (self.folder / "seen.tsv").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return found
        for line in lines:
            parts = line.split("\t")
            if len(parts) >= 3:
                found[parts[0]] = parts[2]
        return found

    def remember(self, message_id: str, now: datetime, outcome: str) -> None:
        fields = (message_id, now.isoformat(), outcome)
        append_line(self.folder / "seen.tsv", "\t".join(" ".join(f.split()) for f in fields))


def _parse(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
