"""`merge DUP --into ID`: one locked section that writes both tickets, all or nothing (issue 12)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from supportctl.desk.journal import MAX_JOURNAL_BYTES
from supportctl.domain import ids, merged_tickets
from supportctl.domain.journal import in_time_order
from supportctl.errors import Refused
from supportctl.services import deadlines
from supportctl.services.attachments import valid_name
from supportctl.services.context import Ctx
from supportctl.services.tickets import Change, store_attachments


def merge(ctx: Ctx, dup_id: str, target_id: str, *, force: bool = False) -> Change:
    """DUP's text, journal, attachments and Message-IDs go to ID; DUP is closed with merged_into.

    Both tickets and journals are written under one undo session (desk/undo.py): a failure or a kill
    leaves neither changed. The attachments are copied under ID first (store_attachments: whole or not
    at all, removed again when ID was never written); DUP's own files are removed only once both
    tickets are written, so a kill leaves at worst an unreferenced copy, never a lost file.
    """
    desk = ctx.desk
    dup_id, target_id = ids.validate_id(dup_id), ids.validate_id(target_id)
    notes: list[str] = []
    with desk.lock():
        dup, target = desk.load_ticket(dup_id), desk.load_ticket(target_id)
        why = merged_tickets.refusal(dup, target, force=force)
        if why is not None:
            raise why
        _check_journal_room(desk, dup_id, target_id)
        entries, problems = desk.read_journal(dup_id)
        notes += [f"warning: {p} (not copied)" for p in problems]
        present, missing = _dup_files(desk, dup)
        notes += [f"warning: attachment {name} of {dup_id} is missing or not a regular file; not moved"
                  for name in missing]
        stored = store_attachments(desk, target_id, [desk.attachments_dir / dup_id / n for n in present])
        renamed = dict(zip(present, stored))
        dup_entries, target_entries = merged_tickets.merge(dup, target, in_time_order(entries), renamed,
                                                       ctx.now, ctx.actor, ctx.lang)
        deadlines.refresh(desk, target)
        deadlines.refresh(desk, dup)
        desk.save_change(target, target_entries)
        desk.save_change(dup, dup_entries)
    for name in present:  # both tickets are written: DUP's copies are no longer anyone's
        try:
            (desk.attachments_dir / dup_id / name).unlink()
        except OSError:
            notes.append(f"warning: could not remove {desk.attachments_dir / dup_id / name}; it is a copy, "
                         "remove it by hand")
    try:
        (desk.attachments_dir / dup_id).rmdir()  # only when empty
    except OSError:
        pass
    return Change(target, target_entries, notes)


def _check_journal_room(desk, dup_id: str, target_id: str) -> None:
    """ID's journal stays within what a reader takes (desk/journal.MAX_JOURNAL_BYTES) with DUP's added."""
    sizes = []
    for ticket_id in (dup_id, target_id):
        try:
            sizes.append(os.stat(desk.journal_path(ticket_id)).st_size)
        except OSError:
            sizes.append(0)
    if sum(sizes) > MAX_JOURNAL_BYTES * 9 // 10:  # room for the marks the copies get
        raise Refused(f"the journals of {dup_id} and {target_id} together are too large to merge "
                      f"(at most {MAX_JOURNAL_BYTES // 1024 ** 2} MiB)", "link them instead: supportctl link")


def _dup_files(desk, dup) -> tuple[list[str], list[str]]:
    """DUP's attachment names that are regular files inside its folder (moved), and the rest (not)."""
    folder: Path = desk.attachments_dir / dup.id
    if desk.attachments_dir.is_symlink() or folder.is_symlink():
        raise Refused(f"{folder} is a symbolic link; attachments are read only inside the desk",
                      "remove the link (supportctl check lists them)")
    present, missing = [], []
    for name in dict.fromkeys(dup.attachments):
        try:
            ok = valid_name(name) and stat.S_ISREG(os.lstat(folder / name).st_mode)
        except OSError:
            ok = False
        (present if ok else missing).append(name)
    return present, missing
