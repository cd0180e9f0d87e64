"""Journal files: journal/<ID>.yaml, append-only, one entry per line.

Each line is ``- {json}``: the file is a YAML list a person can read (Cyrillic
as is), each entry is whole on its line so git's union merge of two clones'
appends cannot interleave two entries, and a torn last line is easy to find.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
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


def holding(directory: Path, names: dict[str, str], kind: str) -> set[str]:
    """The values of ``names`` (file name -> key) whose journal file in ``directory`` may hold an entry
    of ``kind``: a bytes search, no parsing, so a report reads only the journals that matter. Never
    leaves out a file with such an entry (may keep one that merely quotes it); a missing file has none.
    Files are opened relative to the directory, by os-level calls: a third of Path.read_bytes' time."""
    found: set[str] = set()
    pattern = _kind_pattern(kind)
    try:
        directory_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:
        return found
    try:
        for name, key in names.items():
            try:
                fd = os.open(name, os.O_RDONLY, dir_fd=directory_fd)
            except FileNotFoundError:
                continue
            try:
                data = os.read(fd, _CHUNK)
                while len(data) % _CHUNK == 0 and (more := os.read(fd, _CHUNK)):
                    data += more
            finally:
                os.close(fd)
            if pattern.search(data):
                found.add(key)
    finally:
        os.close(directory_fd)
    return found


_CHUNK = 1 << 16


@lru_cache(maxsize=None)
def _kind_pattern(kind: str) -> re.Pattern[bytes]:
    return re.compile(rb'"kind"\s*:\s*' + re.escape(json.dumps(kind).encode()))


def write_whole(path: Path, entries: list[Entry], tz: tzinfo, *, durable: bool = True) -> None:
    """A journal written in one go (import); its lines are those `append` would write."""
    from supportctl.desk.files import write_atomic

    write_atomic(path, "".join(format_line(e, tz) + "\n" for e in entries), durable=durable)
