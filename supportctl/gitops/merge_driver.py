"""git's merge driver for ticket files: ``supportctl merge-ticket %O %A %B %P``.

``.gitattributes`` names it for ``tickets/*.yaml`` (``merge=supportctl-ticket``);
what the name runs is set in each clone's git config, which git does not clone:
`init`, `sync` and auto-commit set it when it is missing (`ensure_merge_driver`).
A clone without it merges ticket files as text, as before.

The driver merges the three versions field by field (domain/merge.py) and
writes the result over OURS: exit 0 when clean; exit 1 with git's conflict
markers around the fields changed differently on both sides, which `check`
names. Versions it cannot read as tickets (broken YAML, leftover markers, no
common ancestor because both clones created the ID) go to git's text merge.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from supportctl.desk import yamlio
from supportctl.desk.config import CONFIG_FILE, DeskConfig
from supportctl.domain.codec import ticket_from_dict, ticket_to_file
from supportctl.domain.merge import TicketMerge, merge_tickets
from supportctl.domain.ticket import Ticket
from supportctl.errors import SupportError
from supportctl.gitops.runner import Git, repository

DRIVER = "supportctl-ticket"
ARGUMENTS = "merge-ticket %O %A %B %P"
MARKER = 7


@dataclass
class MergeOutcome:
    conflicts: tuple[str, ...] = ()  # the fields left between conflict markers
    by_fields: bool = True  # False: the versions were not all tickets, merged as text
    text_regions: int = 0  # conflict regions of the text merge

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.text_regions


def merge_ticket_files(base: Path, ours: Path, theirs: Path, path: str | None = None,
                       cwd: Path | None = None) -> MergeOutcome:
    """Merge the three versions of a ticket file into ``ours`` (git's %O %A %B; %P is ``path``)."""
    cwd = cwd or Path.cwd()
    zone = _desk_zone(cwd, path)
    sides = [_ticket(p) for p in (base, ours, theirs)]
    if zone is None or None in sides:
        return _text_merge(cwd, base, ours, theirs)
    b, o, t = sides
    result = merge_tickets(b, o, t)
    ours.write_text(render(result, o, t, zone), encoding="utf-8")
    return MergeOutcome(result.conflicts)


def render(result: TicketMerge, ours: Ticket, theirs: Ticket, zone) -> str:
    """The merged ticket file; each run of conflicting fields between git's markers, ours first."""
    merged = ticket_to_file(result.ticket, zone)
    if result.clean:
        return yamlio.dumps_spaced(merged)
    sides = ticket_to_file(ours, zone), ticket_to_file(theirs, zone)
    chunks: list[str] = []
    region: tuple[list[str], list[str]] | None = None
    for key, value in merged.items():
        if key not in result.conflicts:
            if region:
                chunks.append(_region(*region))
                region = None
            chunks.append(yamlio.dumps({key: value}))
            continue
        region = region or ([], [])
        for side, into in zip(sides, region):
            into.append(yamlio.dumps({key: side[key]}))
    if region:
        chunks.append(_region(*region))
    return "\n".join(chunks)  # the layout of yamlio.dumps_spaced: a blank line between fields


def _region(ours: list[str], theirs: list[str]) -> str:
    return ("<" * MARKER + " ours\n" + "\n".join(ours) + "=" * MARKER + "\n" + "\n".join(theirs)
            + ">" * MARKER + " theirs\n")


def _ticket(path: Path) -> Ticket | None:
    try:
        text = yamlio.read_regular(path).decode("utf-8")  # bounded, like every desk file
        if not text.strip():
            return None  # no common ancestor: both sides added the file
        return ticket_from_dict(yamlio.loads(text, str(path)))
    except (OSError, UnicodeDecodeError, SupportError, KeyError, ValueError, TypeError, OverflowError):
        return None


def _desk_zone(cwd: Path, path: str | None):
    """The time zone of the desk the ticket file belongs to (its instants are written in it)."""
    candidates = [(cwd / path).parent.parent] if path else []
    candidates += [cwd, *cwd.parents]
    for folder in candidates:
        if (folder / CONFIG_FILE).is_file():
            try:
                return DeskConfig.load(folder / CONFIG_FILE).tz
            except SupportError:
                return None
    return None


def _text_merge(cwd: Path, base: Path, ours: Path, theirs: Path) -> MergeOutcome:
    proc = Git(cwd).run("merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
                        str(ours), str(base), str(theirs), check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        raise SupportError(f"git merge-file failed: {proc.stderr.strip() or proc.returncode}")
    return MergeOutcome(by_fields=False, text_regions=proc.returncode)


# -- the clone's git config ------------------------------------------------------

def driver_command() -> str:
    """The command that runs this installation of supportctl (git runs it through the shell)."""
    script = Path(sys.executable).parent / "supportctl"
    program = [str(script)] if script.is_file() else [sys.executable, "-m", "supportctl"]
    return " ".join(shlex.quote(p) for p in program) + " " + ARGUMENTS


def ensure_merge_driver(git: Git) -> bool:
    """Define the ticket merge driver in this clone's git config when it is missing or its program
    is gone (a removed virtualenv); True when it was (re)defined now. One `git config` read otherwise."""
    current = git.config(f"merge.{DRIVER}.driver")
    if current and not _program_gone(current):
        return False
    # Best effort (git's config may be locked for a moment): without the driver, git merges as text.
    return (git.ok("config", f"merge.{DRIVER}.name", "supportctl: ticket files merged field by field")
            and git.ok("config", f"merge.{DRIVER}.driver", driver_command()))


def configure_clone(folder: Path) -> None:
    """`ensure_merge_driver` when ``folder`` is in a git work tree; nothing otherwise."""
    git = repository(folder)
    if git is not None:
        ensure_merge_driver(git)


def _program_gone(command: str) -> bool:
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    return os.path.isabs(program) and not os.path.exists(program)
