"""Atomic writes and the desk lock: a crash or a concurrent command never leaves half a file."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from supportctl.errors import Refused

# Desks whose writes are confined to themselves (absolute paths; Desk() adds its root).
_ROOTS: set[str] = set()

# Called with the path of a lock about to be taken, before it is (gitops/autocommit.py takes the
# command's commit turn there, so that turn is always taken before the desk lock: no deadlock).
lock_hooks: list = []

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


def confine(root: Path) -> None:
    """Refuse, from now on, writes under ``root`` that a symbolic link would lead out of it."""
    _ROOTS.add(os.path.abspath(root))


def check_inside(path: Path) -> None:
    """Refused when a component of ``path`` below its desk's root is a symbolic link leading out of
    the desk (git can check such a link out in place of journal/ or a ticket file)."""
    absolute = os.path.abspath(path)
    for root in _ROOTS:
        if absolute.startswith(root + os.sep):
            break
    else:
        return
    real_root = os.path.realpath(root)
    current = root
    for part in absolute[len(root) + 1:].split(os.sep):
        current = os.path.join(current, part)
        if os.path.islink(current):
            target = os.path.realpath(current)
            if target != real_root and not target.startswith(real_root + os.sep):
                raise Refused(f"{current} is a symbolic link to {target}, outside the desk; "
                              "supportctl writes only inside the desk",
                              "replace the link with the real folder or file (supportctl check lists links)")


def ensure_folder(folder: Path) -> None:
    """``mkdir -p`` inside the desk: never through a link that leaves it."""
    check_inside(folder)
    folder.mkdir(parents=True, exist_ok=True)


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder.

    ``durable=False`` skips the fsyncs (bulk import syncs once at the end);
    the rename still guarantees a reader sees the old file or the new one.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    check_inside(path)
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
    except BaseException as exc:
        _abandon(tmp, path, exc)
        raise
    if durable:
        _fsync_dir(path.parent)
    record_written(path)


class BulkWriter:
    """Many new files written atomically into a few folders (import): each a temp file renamed into
    place, as write_atomic does, without its per-file costs. The folders are checked once (a file
    directly in a checked folder cannot lead out of the desk: the temp file is created O_EXCL, which
    never follows a link, and a rename replaces a link instead of following it), the temp name is
    fixed (`.NAME.PID.tmp`, the pattern undo cleans up after a kill) and the mode is the umask's.
    Nothing is synced: the caller syncs once at the end (os.sync).

    ``fresh=True`` (import) creates each file in place instead, O_EXCL: nothing may be at its name yet,
    and no temp file or rename is needed (issue 13: the rename cost more than the rest of the write).
    A reader may then see a file being written, and a kill may leave one cut short; that suits only
    files no other command knows of yet, whose writer's undo log removes them all after a kill
    (undo.ImportRecord: the import's IDs are new and it holds the desk lock)."""

    _FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

    def __init__(self, *folders: Path, fresh: bool = False):
        self._folders = set()
        self._absolute: dict[Path, str] = {}
        for folder in folders:
            ensure_folder(folder)
            self._folders.add(os.path.abspath(folder))
            self._absolute[folder] = os.path.abspath(folder)
        self._suffix = f".{os.getpid()}.tmp"
        self._fresh = fresh

    def write(self, path: Path, data: str | bytes) -> None:
        folder, name = os.path.split(os.path.abspath(path))
        if folder not in self._folders:
            write_atomic(path, data, durable=False)
            return
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if self._fresh:
            self._create(f"{folder}/{name}", path, payload)
            return
        tmp = f"{folder}/.{name}{self._suffix}"
        try:
            fd = os.open(tmp, self._FLAGS, 0o666)  # the kernel applies the umask, as for open()
        except FileExistsError:  # left by a killed process of the same pid
            write_atomic(path, data, durable=False)
            return
        _fill(fd, tmp, path, payload)
        try:
            os.replace(tmp, path)
        except BaseException as exc:
            _abandon(tmp, path, exc)
            raise
        record_written(path)

    def create(self, folder: Path, name: str, payload: bytes) -> None:
        """A new file ``name`` (a plain file name) in one of a fresh writer's folders: what ``write`` does
        for it, without making and taking apart a path per file (import: 200,000 files)."""
        where = self._absolute.get(folder)
        if where is None or not self._fresh:
            raise ValueError(f"{folder}: not a folder this writer creates files in")
        target = f"{where}/{name}"
        self._create(target, target, payload)

    def _create(self, target: str, path: Path | str, payload: bytes) -> None:
        try:
            fd = os.open(target, self._FLAGS, 0o666)  # the kernel applies the umask, as for open()
        except OSError as exc:  # FileExistsError: something (even a link) is at the name; never replaced
            _name_the_file(exc, path)
            raise
        _fill(fd, target, path, payload)  # on failure the file is removed: this writer's own, created just now
        record_written(path)


def _fill(fd: int, name: str, path: Path, payload: bytes) -> None:
    """Write ``payload`` to the new file ``name`` open as ``fd`` and close it; remove it if that fails."""
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except BaseException as exc:
        _abandon(name, path, exc)
        raise


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
    check_inside(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # never through a symlink (git can deliver one) to a file outside the desk: ELOOP instead
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(fd, "a+b") as f:
            size = f.seek(0, os.SEEK_END)
            if size:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    f.write(b"\n")
            f.write((line.encode("utf-8") if isinstance(line, str) else line) + b"\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        _name_the_file(exc, path)
        raise
    record_written(path)


def _abandon(tmp: str, path: Path, exc: BaseException) -> None:
    """After a failed atomic write: remove its temp file and name the target in the error."""
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    _name_the_file(exc, path)


def _name_the_file(exc: BaseException, path: Path) -> None:
    """A write on an open file (a full disk: ENOSPC) raises without a file name; the user needs it."""
    if isinstance(exc, OSError) and exc.filename is None:
        exc.filename = str(path)


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
    for hook in list(lock_hooks):
        hook(path)
    ensure_folder(path.parent)
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
