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
from supportctl.desk.yamlio import MAX_FILE_BYTES, read_regular
from supportctl.domain.codec import entry_from_dict, entry_to_dict
from supportctl.domain.journal import Entry
from supportctl.errors import DeskDamaged, InvalidValue

# A journal is read whole: at most MAX_JOURNAL_BYTES, each line at most MAX_FILE_BYTES (a text longer
# than that is refused when it is given). A longer or non-regular file is reported, not read.
MAX_JOURNAL_BYTES = 256 * 1024 ** 2


@dataclass
class JournalProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # json.dumps makes one a call


def format_line(entry: Entry, tz: tzinfo) -> str:
    return "- " + _ENCODER.encode(entry_to_dict(entry, tz))


def encode(entries: list[Entry], tz: tzinfo) -> bytes:
    """The lines `append` writes, as UTF-8 (raises UnicodeEncodeError on a text that is not,
    InvalidValue on a line `read` would refuse as too long)."""
    lines = [format_line(e, tz).encode("utf-8") for e in entries]
    if any(len(line) > MAX_FILE_BYTES for line in lines):
        raise InvalidValue(f"the text is too long for the journal (at most {MAX_FILE_BYTES // 1024 ** 2} MiB)",
                           "shorten it or attach it as a file")
    return b"\n".join(lines)


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
        raw = read_regular(path, MAX_JOURNAL_BYTES)
    except FileNotFoundError:
        return entries, problems
    except DeskDamaged as exc:
        return entries, [JournalProblem(path, 0, exc.message.removeprefix(f"{path}: "))]
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            if len(line) > MAX_FILE_BYTES:
                raise ValueError(f"longer than {MAX_FILE_BYTES // 1024 ** 2} MiB")
            text = line.decode("utf-8")
            if not text.startswith("- "):
                raise ValueError("not a journal entry line")
            entries.append(entry_from_dict(json.loads(text[2:])))
        except RecursionError:
            problems.append(JournalProblem(path, n, "torn or broken entry: nested too deeply"))
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            kind = "merge-conflict marker" if line[:7] in (b"<<<<<<<", b"=======", b">>>>>>>") else "torn or broken entry"
            problems.append(JournalProblem(path, n, f"{kind}: {_short(exc)}"))
    return entries, problems


def _short(exc: Exception) -> str:
    text = str(exc) if not isinstance(exc, KeyError) else f"no {exc} field"
    return text if len(text) <= 200 else text[:197] + "..."


def write_whole(path: Path, entries: list[Entry], tz: tzinfo, *, durable: bool = True) -> None:
    """A journal written in one go (import); its lines are those `append` would write."""
    from supportctl.desk.files import write_atomic

    write_atomic(path, whole_text(entries, tz), durable=durable)


def whole_text(entries: list[Entry], tz: tzinfo) -> str:
    """The text of a journal of these entries, as `write_whole` writes it."""
    return "".join(format_line(e, tz) + "\n" for e in entries)
