"""A ticket's story from git: the commits that touched its files, and the journal entries each brought."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from supportctl.desk import journal as journal_file
from supportctl.desk.desk import Desk
from supportctl.desk.yamlio import read_regular
from supportctl.domain import ids
from supportctl.domain.codec import entry_from_dict, entry_to_dict
from supportctl.domain.journal import Entry, in_time_order
from supportctl.errors import DeskDamaged
from supportctl.gitops.runner import Git

_RECORD, _FIELD = "\x1e", "\x1f"


@dataclass
class Commit:
    sha: str
    author: str
    email: str
    date: str  # ISO 8601, the author's date
    subject: str
    files: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # journal entries this commit added
    patch: str | None = None

    def to_dict(self, tz) -> dict[str, Any]:
        d: dict[str, Any] = {"commit": self.sha, "author": self.author, "email": self.email, "date": self.date,
                             "subject": self.subject, "files": self.files,
                             "entries": [entry_to_dict(e, tz) for e in self.entries]}
        if self.patch is not None:
            d["patch"] = self.patch
        return d


@dataclass
class History:
    ticket_id: str
    commits: list[Commit]  # oldest first
    uncommitted: list[Entry]  # journal entries of the work tree that HEAD does not hold

    def to_dict(self, tz) -> dict[str, Any]:
        return {"id": self.ticket_id, "commits": [c.to_dict(tz) for c in self.commits],
                "uncommitted": [entry_to_dict(e, tz) for e in self.uncommitted]}


def ticket_files(ticket_id: str) -> list[str]:
    """The ticket's paths relative to the desk: its file, its journal, its attachments."""
    return [f"tickets/{ticket_id}.yaml", f"journal/{ticket_id}.yaml", f"attachments/{ticket_id}"]


def ticket_history(git: Git, desk: Desk, ticket_id: str, *, patch: bool = False) -> History:
    ticket_id = ids.validate_id(ticket_id)
    desk.load_ticket(ticket_id)  # NotFound for an unknown ID
    journal = f"journal/{ticket_id}.yaml"
    commits: list[Commit] = []
    if git.head():
        out = git.out("log", "--reverse", "--no-renames", "--relative", "-p", f"--unified={3 if patch else 0}",
                      f"--format={_RECORD}%H{_FIELD}%an{_FIELD}%ae{_FIELD}%aI{_FIELD}%s{_FIELD}",
                      "--", *ticket_files(ticket_id))
        commits = [_parse_commit(record, journal, patch) for record in out.split(_RECORD) if record.strip()]
    return History(ticket_id, commits, _uncommitted(git, desk, ticket_id))


def _parse_commit(record: str, journal: str, patch: bool) -> Commit:
    sha, author, email, date, subject, diff = record.split(_FIELD, 5)
    commit = Commit(sha, author, email, date, subject)
    current = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current = line.split(" b/", 1)[-1]
            commit.files.append(current)
        elif current == journal and line.startswith("+- "):
            entry = _entry(line[3:])
            if entry:
                commit.entries.append(entry)
    if patch:
        commit.patch = diff.strip("\n")
    return commit


def _entry(text: str) -> Entry | None:
    try:
        return entry_from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):  # as desk/journal.py skips it
        return None


def _uncommitted(git: Git, desk: Desk, ticket_id: str) -> list[Entry]:
    path = f"journal/{ticket_id}.yaml"
    committed = set((git.show_file("HEAD", path) or "").splitlines()) if git.head() else set()
    try:
        raw = read_regular(desk.journal_path(ticket_id), journal_file.MAX_JOURNAL_BYTES)
        lines = raw.decode("utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError, DeskDamaged):  # `check` names such a journal
        return []
    found = [_entry(line[2:]) for line in lines if line.startswith("- ") and line not in committed]
    return in_time_order([e for e in found if e])
