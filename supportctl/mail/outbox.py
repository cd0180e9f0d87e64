"""The outbox: every outgoing mail is written here first, and leaves only once a server took it.

``<desk>/outbox/<sequence>-<stamp>-<ticket>-<event>-<random>.eml``; sorted by name
they are in the order they were queued. A mail the server refused for good (5xx) moves to
``outbox/failed/`` so the queue does not retry it forever; delivery attempts
and the last error are kept per clone in ``.supportctl/outbox.json``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from supportctl.desk.files import ensure_folder, exclusive_lock, write_atomic
from supportctl.mail.smtp import DeliveryError, deliver


@dataclass
class Queued:
    path: Path
    queued_at: datetime
    to: str
    subject: str
    ticket_id: str | None
    event: str
    attempts: int = 0
    last_error: str | None = None

    def to_dict(self, tz=None) -> dict:
        """The JSON of `mail outbox` and `mail send`; ``queued_at`` in ``tz`` (the desk's zone) when given."""
        queued_at = self.queued_at.astimezone(tz) if tz else self.queued_at
        return {"file": self.path.name, "queued_at": queued_at.isoformat(timespec="seconds"),
                "to": self.to, "subject": self.subject, "ticket": self.ticket_id, "event": self.event,
                "attempts": self.attempts, "last_error": self.last_error}


@dataclass
class SendReport:
    sent: list[Queued]
    failed: list[tuple[Queued, str]]       # refused for good: moved to outbox/failed/
    waiting: list[tuple[Queued, str]]      # temporary failure: still in the outbox


class Outbox:
    def __init__(self, folder: Path, state_file: Path):
        self.folder = folder
        self.failed_folder = folder / "failed"
        self.state_file = state_file

    def put(self, msg: EmailMessage, ticket_id: str | None, event: str, now: datetime) -> Path:
        """Queue ``msg`` after everything already waiting (the name starts with a sequence number)."""
        stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
        with exclusive_lock(self._lock_path):
            last = max((int(p.name.split("-", 1)[0]) for p in self.paths() if p.name.split("-", 1)[0].isdigit()),
                       default=0)
            parts = [f"{last + 1:06d}", stamp, ticket_id or "desk",
                     re.sub(r"[^a-z0-9_]", "", event.lower()) or "mail", secrets.token_hex(3)]
            path = self.folder / ("-".join(parts) + ".eml")
            write_atomic(path, msg.as_bytes(policy=policy.SMTP))
        return path

    @property
    def _lock_path(self) -> Path:
        return self.state_file.with_name("outbox.lock")

    def paths(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.suffix == ".eml" and p.is_file())
        except FileNotFoundError:
            return []

    def list(self) -> list[Queued]:
        state = self._state()
        return [self._describe(p, state.get(p.name, {})) for p in self.paths()]

    def send(self, smtp, sender: str, paths: list[Path] | None = None) -> SendReport:
        """Deliver the given (default: all) queued mails in order over one connection."""
        # Two `mail send` (or a notification and a cron run) must not both send one file.
        with exclusive_lock(self._lock_path):
            return self._send_locked(smtp, sender, paths)

    def _send_locked(self, smtp, sender: str, paths: list[Path] | None) -> SendReport:
        report = SendReport([], [], [])
        todo = [p for p in (paths if paths is not None else self.paths()) if p.exists()]
        if not todo:
            return report
        state = self._state()
        messages = []
        for path in todo:
            messages.append((path, BytesParser(policy=policy.default).parsebytes(path.read_bytes())))
        results = deliver(smtp, sender, [m for _, m in messages])
        for (path, _msg), error in zip(messages, results):
            info = state.setdefault(path.name, {})
            item = self._describe(path, info)
            if error is None:
                path.unlink(missing_ok=True)
                state.pop(path.name, None)
                report.sent.append(item)
                continue
            info["attempts"] = int(info.get("attempts", 0)) + 1
            info["last_error"] = str(error)
            item.attempts, item.last_error = info["attempts"], info["last_error"]
            if isinstance(error, DeliveryError) and error.permanent:
                ensure_folder(self.failed_folder)  # never through a link out of the desk
                os.replace(path, self.failed_folder / path.name)
                report.failed.append((item, str(error)))
            else:
                report.waiting.append((item, str(error)))
        self._save_state(state)
        return report

    def _describe(self, path: Path, info: dict) -> Queued:
        try:
            with open(path, "rb") as f:
                head = BytesParser(policy=policy.default).parsebytes(f.read(16384), headersonly=True)
            to, subject = str(head.get("to", "")), str(head.get("subject", ""))
            ticket, event = head.get("x-supportctl-ticket"), str(head.get("x-supportctl-event", ""))
        except (OSError, ValueError, IndexError):
            to = subject = event = ""
            ticket = None
        fields = path.name.split("-")
        stamp = fields[1] if len(fields) > 1 else ""
        try:
            queued = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            queued = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return Queued(path, queued, to, subject, str(ticket) if ticket else None, event,
                      int(info.get("attempts", 0)), info.get("last_error"))

    def _state(self) -> dict:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (FileNotFoundError, ValueError):
            return {}

    def _save_state(self, state: dict) -> None:
        live = {p.name for p in self.paths()}
        state = {k: v for k, v in state.items() if k in live}
        write_atomic(self.state_file, json.dumps(state, ensure_ascii=False, indent=1), durable=False)
