"""Crash safety for a command's pair of writes: the ticket file, then its journal.

Each write is atomic by itself (desk/files.py), but a process killed between
the two would leave a changed ticket without its journal entry (or a new
ticket without a journal). So, under the desk lock, before the first write of
a ticket in a command, its previous state is saved in `.supportctl/undo/<ID>`:
the old ticket file (or none) and the journal's length. A command that ends
normally drops its undo records; one that fails rolls them back at once. Records still there when
the next command takes the lock belong to a killed process (the lock is
released only when it is dead), and are rolled back: the ticket file and the
journal are as before that command, as if it had never run.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from supportctl.desk.files import write_atomic
from supportctl.errors import SupportError

UNDO_DIR = "undo"


def folder(state_dir: Path) -> Path:
    return state_dir / UNDO_DIR


def record(desk, ticket_id: str) -> Path:
    """Save what the ticket and its journal are now; durable before the ticket is written."""
    ticket_path, journal_path = desk.ticket_path(ticket_id), desk.journal_path(ticket_id)
    try:
        old = base64.b64encode(ticket_path.read_bytes()).decode("ascii")
    except FileNotFoundError:
        old = None
    try:
        journal_size = journal_path.stat().st_size
    except FileNotFoundError:
        journal_size = None
    path = folder(desk.state_dir) / ticket_id
    write_atomic(path, json.dumps({"ticket": old, "journal_size": journal_size}))
    return path


def roll_back_all(desk) -> list[str]:
    """Undo the half-done commands of killed processes; call holding the desk lock. The IDs undone."""
    try:
        names = sorted(os.listdir(folder(desk.state_dir)))
    except FileNotFoundError:
        return []
    return roll_back(desk, [folder(desk.state_dir) / name for name in names])


def roll_back(desk, records) -> list[str]:
    """Put the tickets and journals of these undo records back as they were; the IDs undone."""
    undone = []
    for path in records:
        name = path.name
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            ticket_path, journal_path = desk.ticket_path(name), desk.journal_path(name)
        except (OSError, ValueError, KeyError, TypeError, SupportError):
            # a temp file of a record being written when its process died: the ticket was not touched yet
            path.unlink(missing_ok=True)
            continue
        if saved["ticket"] is None:
            ticket_path.unlink(missing_ok=True)
        else:
            write_atomic(ticket_path, base64.b64decode(saved["ticket"]))
        if saved["journal_size"] is None:
            journal_path.unlink(missing_ok=True)
        elif journal_path.exists() and journal_path.stat().st_size > saved["journal_size"]:
            fd = os.open(journal_path, os.O_RDWR | os.O_NOFOLLOW)  # a symlink is not followed out of the desk
            try:
                os.ftruncate(fd, saved["journal_size"])
                os.fsync(fd)
            finally:
                os.close(fd)
        path.unlink()
        undone.append(name)
    return undone


def drop(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
