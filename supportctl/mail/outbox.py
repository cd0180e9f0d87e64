"""The outbox: every outgoing mail is written here first, and leaves only once a server took it.

``<desk>/outbox/<sequence>-<stamp>-<ticket>-<event>-<random>.eml``; sorted by name
they are in the order they were queued. A mail the server refused for good (5xx) moves to
``outbox/failed/`` so the queue does not retry it forever; delivery attempts,
the time of the last one and its error are kept per clone in ``.supportctl/mail/outbox.json``
(a refused mail's record stays while its file is in failed/), so any later command can warn.

Two locks: a short one to number a new mail (``put``), and the sender's (``send``), held for a whole
SMTP session; queuing never waits on a slow server.
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
from typing import Callable

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
    last_attempt: datetime | None = None
    message_id: str | None = None
    failed: bool = False  # refused for good: in outbox/failed/

    def to_dict(self, tz=None) -> dict:
        """The JSON of `mail outbox` and `mail send`; ``queued_at`` in ``tz`` (the desk's zone) when given."""
        queued_at = self.queued_at.astimezone(tz) if tz else self.queued_at
        return {"file": self.path.name, "queued_at": queued_at.isoformat(timespec="seconds"),
                "to": self.to, "subject": self.subject, "ticket": self.ticket_id, "event": self.event,
                "attempts": self.attempts, "last_error": self.last_error}

    def state_dict(self, tz=None) -> dict:
        """``to_dict`` with the time of the last attempt (``mail outbox --json``)."""
        last = self.last_attempt.astimezone(tz) if (tz and self.last_attempt) else self.last_attempt
        return {**self.to_dict(tz), "last_attempt": last.isoformat(timespec="seconds") if last else None}


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
            names = self.paths() + self.failed_paths()
            last = max((int(p.name.split("-", 1)[0]) for p in names if p.name.split("-", 1)[0].isdigit()),
                       default=0)
            parts = [f"{last + 1:06d}", stamp, ticket_id or "desk",
                     re.sub(r"[^a-z0-9_]", "", event.lower()) or "mail", secrets.token_hex(3)]
            path = self.folder / ("-".join(parts) + ".eml")
            write_atomic(path, msg.as_bytes(policy=policy.SMTP))
        return path

    @property
    def _lock_path(self) -> Path:
        return self.state_file.with_name("outbox.lock")

    @property
    def _send_lock_path(self) -> Path:
        return self.state_file.with_name("send.lock")

    def paths(self) -> list[Path]:
        return _emls(self.folder)

    def failed_paths(self) -> list[Path]:
        return _emls(self.failed_folder)

    def list(self) -> list[Queued]:
        state = self._state()
        return [self._describe(p, state.get(p.name, {})) for p in self.paths()]

    def waiting_after_failure(self, limit: int) -> tuple[list[Queued], int]:
        """Up to ``limit`` mails that wait after a failed attempt, oldest first, and how many there are;
        read without a lock (the state file is replaced atomically)."""
        state = self._state()
        found = [p for p in self.paths() if p.name in state and state[p.name].get("last_error")]
        return [self._describe(p, state[p.name]) for p in found[:limit]], len(found)

    def untried_since(self, before: datetime, limit: int) -> tuple[list[Queued], int]:
        """Up to ``limit`` mails queued before ``before`` that no sender has tried, and how many there are
        (the queue time is in the name, so only those are read)."""
        state = self._state()
        found = []
        for path in self.paths():
            fields = path.name.split("-")
            try:
                queued = datetime.strptime(fields[1], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
            except (IndexError, ValueError):
                continue
            if queued <= before and not _count(state.get(path.name, {}).get("attempts")):
                found.append(path)
        return [self._describe(p, state.get(p.name, {})) for p in found[:limit]], len(found)

    def refused_unwarned(self) -> list[Queued]:
        """The mails refused for good that no command has warned of yet in this clone; they count as
        warned now (only those are read: outbox/failed/ may grow long)."""
        path = self.state_file.with_name("warned.json")
        try:
            warned = set(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            warned = set()
        failed = self.failed_paths()
        fresh = [p for p in failed if p.name not in warned]
        if not fresh:
            return []
        state = self._state()
        try:
            live = {p.name for p in failed}
            write_atomic(path, json.dumps(sorted((warned & live) | {p.name for p in fresh})), durable=False)
        except OSError:  # a read-only clone: warned again next time, which is better than never
            pass
        return [self._describe(p, state.get(p.name, {}), failed=True) for p in fresh]

    def find(self, message_id: str) -> Queued | None:
        """The queued or refused mail with this Message-ID (None once delivered or never queued here)."""
        state = self._state()
        for path, failed in [(p, False) for p in self.paths()] + [(p, True) for p in self.failed_paths()]:
            item = self._describe(path, state.get(path.name, {}), failed=failed)
            if item.message_id == message_id:
                return item
        return None

    def send(self, smtp, sender: str, paths: list[Path] | None = None, *, now: datetime | None = None,
             record: Callable[[Queued, str | None], None] | None = None, wait: bool = True) -> SendReport | None:
        """Deliver the given (default: all) queued mails in order over one connection.

        ``record(item, error)`` is called for each mail once the server answered, before its file is
        removed (accepted) or moved to failed/ (refused for good): a crash in between sends it again
        rather than losing the record. ``wait=False``: None at once when another sender is at work.
        """
        # Two `mail send` (or a background sender and a cron run) must not both send one file.
        with exclusive_lock(self._send_lock_path, wait=wait) as held:
            if not held:
                return None
            return self._send_locked(smtp, sender, paths, now or datetime.now(timezone.utc), record)

    def _send_locked(self, smtp, sender: str, paths: list[Path] | None, now: datetime, record) -> SendReport:
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
            info["attempts"] = int(info.get("attempts", 0)) + 1
            info["last_attempt"] = now.astimezone(timezone.utc).isoformat(timespec="seconds")
            info["last_error"] = None if error is None else str(error)
            item = self._describe(path, info)
            permanent = isinstance(error, DeliveryError) and error.permanent
            item.failed = permanent
            if record is not None:
                record(item, None if error is None else str(error))
            if error is None:
                path.unlink(missing_ok=True)
                state.pop(path.name, None)
                report.sent.append(item)
            elif permanent:
                ensure_folder(self.failed_folder)  # never through a link out of the desk
                os.replace(path, self.failed_folder / path.name)
                report.failed.append((item, str(error)))
            else:
                report.waiting.append((item, str(error)))
        self._save_state(state)
        return report

    def _describe(self, path: Path, info: dict, failed: bool = False) -> Queued:
        try:
            with open(path, "rb") as f:
                head = BytesParser(policy=policy.default).parsebytes(f.read(16384), headersonly=True)
            to = ", ".join(a.addr_spec for a in getattr(head.get("to"), "addresses", ())) or str(head.get("to", ""))
            subject = str(head.get("subject", ""))
            ticket, event = head.get("x-supportctl-ticket"), str(head.get("x-supportctl-event", ""))
            message_id = str(head.get("message-id", "")).strip() or None
        except (OSError, ValueError, IndexError):
            to = subject = event = ""
            ticket = message_id = None
        fields = path.name.split("-")
        stamp = fields[1] if len(fields) > 1 else ""
        try:
            queued = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            queued = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        try:
            last_attempt = datetime.fromisoformat(str(info["last_attempt"])) if info.get("last_attempt") else None
        except ValueError:
            last_attempt = None
        error = info.get("last_error")
        return Queued(path, queued, to, subject, str(ticket) if ticket else None, event,
                      _count(info.get("attempts")), str(error) if error else None, last_attempt, message_id, failed)

    def _state(self) -> dict:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a lost or damaged record only costs the count of attempts
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def _save_state(self, state: dict) -> None:
        live = {p.name for p in self.paths() + self.failed_paths()}
        state = {k: v for k, v in state.items() if k in live}
        write_atomic(self.state_file, json.dumps(state, ensure_ascii=False, indent=1), durable=False)


def _emls(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".eml" and p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _count(value) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0
