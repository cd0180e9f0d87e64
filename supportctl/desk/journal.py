"""Journal files: journal/<ID>.yaml, append-only, one entry per line.

Each line is ``- {json}``: the file is a YAML list a person can read (Cyrillic
as is), each entry is whole on its line so git's union merge of two clones'
appends cannot interleave two entries, and a torn last line is easy to find.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from supportctl.desk.files import append_line
from supportctl.domain.codec import entry_from_dict, entry_to_dict
from supportctl.domain.journal import Entry


@dataclass
class JournalProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def format_line(entry: Entry, tz: tzinfo) -> str:
    return "- " + json.dumps(entry_to_dict(entry, tz), ensure_ascii=False, separators=(", ", ": "))


def encode(entries: list[Entry], tz: tzinfo) -> bytes:
    """The lines `append` writes, as UTF-8 (raises UnicodeEncodeError on a text that is not)."""
    return "\n".join(format_line(e, tz) for e in entries).encode("utf-8")


def append(path: Path, entries: list[Entry], tz: tzinfo) -> None:
    append_encoded(path, encode(entries, tz))


def append_encoded(path: Path, lines: bytes) -> None:
    if lines:
        append_line(path, lines)


def read(path: Path) -> tuple[list[Entry], list[JournalProblem]]:
    """The entries in file order, and the lines that are not whole entries."""
    entries: list[Entry] = []
    problems: list[JournalProblem] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return entries, problems
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
            if not text.startswith("- "):
                raise ValueError("not a journal entry line")
            entries.append(entry_from_dict(json.loads(text[2:])))
        except (ValueError, KeyError, TypeError) as exc:
            kind = "merge-conflict marker" if line[:7] in (b"<<<<<<<", b"=======", b">>>>>>>") else "torn or broken entry"
            problems.append(JournalProblem(path, n, f"{kind}: {exc}"))
    return entries, problems


def write_whole(path: Path, entries: list[Entry], tz: tzinfo, *, durable: bool = True) -> None:
    """A journal written in one go (import); its lines are those `append` would write."""
    from supportctl.desk.files import write_atomic

    write_atomic(path, whole_text(entries, tz), durable=durable)


def whole_text(entries: list[Entry], tz: tzinfo) -> str:
    """The text of a journal of these entries, as `write_whole` writes it."""
    return "".join(format_line(e, tz) + "\n" for e in entries)
