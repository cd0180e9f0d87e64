"""Atomic writes and the desk lock: a crash or a concurrent command never leaves half a file."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Lists that collect the paths written while they are active (auto-commit commits exactly those).
_recorders: list[list[Path]] = []


def record_written(path: Path) -> None:
    """Note a file this process wrote (done by the writers below; call it for any other write)."""
    for written in _recorders:
        written.append(Path(os.path.abspath(path)))


@contextmanager
def recording_writes() -> Iterator[list[Path]]:
    """Collect every path written inside the block, in order (duplicates included)."""
    written: list[Path] = []
    _recorders.append(written)
    try:
        yield written
    finally:
        _recorders.remove(written)


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder.

    ``durable=False`` skips the fsyncs (bulk import syncs once at the end);
    the rename still guarantees a reader sees the old file or the new one.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp's 0600 would lock the team out of a shared desk
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(path.parent)
    record_written(path)


def _mode_for(path: Path) -> int:
    """The file's own mode when it is replaced; else what open() would give a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def append_line(path: Path, line: str | bytes) -> None:
    """Append one whole line; a torn line left by a crash is closed off first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # never through a symlink (git can deliver one) to a file outside the desk: ELOOP instead
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "a+b") as f:
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((line.encode("utf-8") if isinstance(line, str) else line) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    record_written(path)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def exclusive_lock(path: Path, wait: bool = True) -> Iterator[bool]:
    """An flock on ``path``: released by the kernel even if the process is killed.
    ``wait=False``: yields False at once, without the lock, when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
