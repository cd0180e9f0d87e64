"""A ticket's attachments: what is stored (name, size, type from the content, the journal entry that
brought it) and copies of them taken out of the desk (issue 12, attachments both ways)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from supportctl.domain import attachments as rules
from supportctl.domain import ids
from supportctl.errors import InvalidValue, NotFound, Refused

_HEAD = 64


@dataclass
class Stored:
    name: str
    size: int | None  # None: the file is missing or is not a regular file
    type: str  # rules.sniff of its first bytes; "missing" when it cannot be read
    entry: int | None  # the 1-based number of the journal entry that brought it
    kind: str | None
    at: str | None
    by: str | None

    def to_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "type": self.type,
                "entry": self.entry, "kind": self.kind, "at": self.at, "by": self.by}


def valid_name(name: str) -> bool:
    """A name from the ticket file that stays inside its folder (hand edits and git bring any text)."""
    return (isinstance(name, str) and name not in ("", ".", "..") and name == rules.safe_name(name)
            and "/" not in name and "\\" not in name and "\x00" not in name)


def listing(desk, ticket_id: str) -> list[Stored]:
    ticket_id = ids.validate_id(ticket_id)
    ticket = desk.load_ticket(ticket_id)
    entries, _problems = desk.read_journal(ticket_id)
    brought: dict[str, tuple[int, object]] = {}
    for n, entry in enumerate(entries, 1):
        names = (entry.data or {}).get("attachments") if isinstance(entry.data, dict) else None
        if isinstance(names, list):
            for name in names:
                if isinstance(name, str):
                    brought.setdefault(name, (n, entry))
    found: list[Stored] = []
    for name in ticket.attachments:
        size, kind = _probe(desk.attachments_dir / ticket_id, name)
        n, entry = brought.get(name, (None, None))
        found.append(Stored(str(name), size, kind, n, getattr(entry, "kind", None),
                            entry.at.isoformat() if entry is not None else None,
                            getattr(entry, "by", None)))
    return found


def _probe(folder: Path, name: str) -> tuple[int | None, str]:
    if not valid_name(name) or folder.is_symlink():
        return None, "invalid name"
    try:
        fd = _open_regular(folder / name)
    except OSError:
        return None, "missing"
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        return size, rules.sniff(f.read(_HEAD))


def _open_regular(path: Path) -> int:
    """A regular file opened for reading, never through a symbolic link, never blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError("not a regular file")
    return fd


def read(desk, ticket_id: str, name: str, limit: int) -> bytes:
    """The content of one stored attachment (for a mail), at most ``limit`` bytes."""
    folder = desk.attachments_dir / ticket_id
    if not valid_name(name) or folder.is_symlink():
        raise Refused(f"{ticket_id}: attachment name {name!r} is not a plain file name",
                      "fix the attachments list in the ticket file")
    try:
        with os.fdopen(_open_regular(folder / name), "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise NotFound(f"{ticket_id}: attachment {name} cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Refused(f"{ticket_id}: attachment {name} is larger than the limit of {limit} bytes")
    return data


def save(desk, ticket_id: str, names: list[str] | None, out_dir: Path, force: bool = False) -> list[Path]:
    """Copy the named attachments (None: all) into ``out_dir``; never outside it, never over an existing
    file unless ``force``. Every name is checked before anything is written."""
    ticket_id = ids.validate_id(ticket_id)
    ticket = desk.load_ticket(ticket_id)
    stored = [str(n) for n in ticket.attachments]
    wanted = stored if names is None else list(dict.fromkeys(names))
    if not wanted:
        raise NotFound(f"{ticket_id} has no attachments")
    for name in wanted:
        if name not in stored:
            raise NotFound(f"{ticket_id} has no attachment {name!r}",
                           f"see them with: supportctl attachments {ticket_id}")
        if not valid_name(name):
            raise Refused(f"{ticket_id}: attachment name {name!r} would leave the output folder; not saved",
                          "fix the attachments list in the ticket file")
    if not out_dir.is_dir():
        raise InvalidValue(f"{out_dir} is not a folder", "create it first, or give another -o DIR")
    folder = desk.attachments_dir / ticket_id
    if folder.is_symlink():
        raise Refused(f"{folder} is a symbolic link; attachments are read only inside the desk")
    targets = [out_dir / name for name in wanted]
    if not force:
        there = [str(t) for t in targets if os.path.lexists(t)]
        if there:
            raise Refused(f"{there[0]} exists; nothing saved", "pass --force to overwrite, or give another -o DIR")
    saved: list[Path] = []
    for name, target in zip(wanted, targets):
        if target.parent.resolve() != out_dir.resolve():
            raise Refused(f"{target} is outside {out_dir}; not saved")
        try:
            source = os.fdopen(_open_regular(folder / name), "rb")
        except OSError as exc:
            raise NotFound(f"{ticket_id}: attachment {name} cannot be read: {exc.strerror or exc}") from None
        temp = out_dir / f".{name[:200]}.{os.getpid()}.part"
        try:
            with source, open(temp, "xb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            if force:
                os.replace(temp, target)
            else:
                os.link(temp, target)  # fails, instead of overwriting, on a file made meanwhile
                os.unlink(temp)
        except FileExistsError:
            raise Refused(f"{target} exists; not saved", "pass --force to overwrite") from None
        finally:
            if temp.exists():
                temp.unlink()
        saved.append(target)
    return saved
