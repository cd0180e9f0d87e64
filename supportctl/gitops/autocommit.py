"""Auto-commit: a mutating command commits exactly the desk files it wrote.

Turned on by ``git.autocommit: true`` in supportctl.yaml or ``--commit`` on the
command line (``--no-commit`` turns it off for one command). The commit is
built in a temporary index from HEAD plus the written files, so nothing else
that is staged or dirty in the clone goes into it. The message is what the
command printed (``T-0042: registered, priority 1, due 24.11.2026 13:00``),
the author the acting user.

Commands of one clone that run at once take turns: a command that auto-commits holds the desk's
commit turn (an flock on .supportctl/commit-turn) from its first desk lock until its commit is made,
so another command's writes to the same journal never land in its commit under its author.

Only the desk's shared content is committed: tickets/, journal/, attachments/,
customers.yaml and the desk's settings files. The outbox and .supportctl/ are
per clone and never committed.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path

from supportctl.desk.config import CONFIG_FILE
from supportctl.desk import files
from supportctl.desk.files import recording_writes
from supportctl.gitops.runner import Git, GitError, repository

SHARED_FOLDERS = ("tickets", "journal", "attachments")
SHARED_FILES = ("customers.yaml", CONFIG_FILE, ".gitattributes", ".gitignore")
COMMIT_TURN = "commit-turn"  # in .supportctl/: held from a committing command's first desk lock to its commit
NOTED_NO_GIT = "autocommit-no-git"  # in .supportctl/: the "not a git repository" remark was made
_CAPTURE_LIMIT = 16_000
_ID_LINE = re.compile(r"^([A-Z]{1,3}-\d+): \S")
_BARE_ID = re.compile(r"^([A-Z]{1,3}-\d+)$")


class _Tee:
    """stdout that also keeps (the start of) what was printed, for the commit message."""

    def __init__(self, stream):
        self._stream = stream
        self.parts: list[str] = []
        self._size = 0

    def write(self, text):
        written = self._stream.write(text)
        if isinstance(text, str) and self._size < _CAPTURE_LIMIT:
            self.parts.append(text)
            self._size += len(text)
        return written

    def __getattr__(self, name):
        return getattr(self._stream, name)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Watch:
    """Around one command: records what it writes and prints; ``commit()`` after it succeeded."""

    def __init__(self, flag: bool | None, actor: str | None):
        self.flag = flag
        self.actor = actor
        self._stack = contextlib.ExitStack()
        self.written: list[Path] = []
        self._tee: _Tee | None = None
        self._turns: dict[Path, int | None] = {}  # desk root → the fd holding its commit turn (None: no commit)

    def __enter__(self) -> "Watch":
        self.written = self._stack.enter_context(recording_writes())
        self._tee = _Tee(sys.stdout)
        self._stack.enter_context(contextlib.redirect_stdout(self._tee))
        files.lock_hooks.append(self._take_turn)
        self._stack.callback(files.lock_hooks.remove, self._take_turn)
        return self

    def __exit__(self, *exc) -> bool:
        self._stack.close()
        if exc[0] is not None:
            self._release_turns()
        return False

    def _take_turn(self, lock_path: Path) -> None:
        """Before this command first takes a desk's lock: wait for the commits of the commands before it."""
        import fcntl

        state = lock_path.parent
        if lock_path.name != "lock" or state.name != ".supportctl":
            return
        root = state.parent
        if root in self._turns:
            return
        self._turns[root] = None
        if not self._enabled(root):
            return
        files.ensure_folder(state)
        fd = os.open(state / COMMIT_TURN, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._turns[root] = fd

    def _release_turns(self) -> None:
        turns, self._turns = self._turns, {}
        for fd in turns.values():
            if fd is not None:
                os.close(fd)  # the flock goes with the last descriptor

    def commit(self) -> str | None:
        """Commit what was written, when auto-commit is on; the new commit's ID, or None."""
        try:
            return self._commit()
        finally:
            self._release_turns()

    def _commit(self) -> str | None:
        if not self.written:
            return None
        root = desk_root_of(self.written[0])
        if root is None or not self._enabled(root):
            return None
        paths = shared_paths(root, self.written)
        if not paths:
            return None
        git = repository(root)
        if git is None:
            self._say_no_git(root)
            return None
        from supportctl.gitops.merge_driver import ensure_merge_driver

        ensure_merge_driver(git)  # the clone's next pull merges ticket files field by field
        from supportctl import clock
        from supportctl.desk.desk import Desk, acting_user

        desk = Desk(root)
        actor = acting_user(self.actor, dict(os.environ), root)
        message = commit_message(desk, self._tee.text if self._tee else "", paths)
        try:
            with desk.lock():
                return commit_paths(git, paths, message, actor, clock.now().isoformat())
        except GitError as exc:
            raise GitError(f"{message.splitlines()[0]}: done, but not committed: {exc.message}",
                           exc.hint or "commit the desk's files with git") from None

    def _enabled(self, root: Path) -> bool:
        if self.flag is not None:
            return self.flag
        from supportctl.desk.config import DeskConfig

        try:
            return DeskConfig.load(root / CONFIG_FILE).get("git.autocommit", False) is True
        except Exception:  # a broken config is reported by the command itself or by check
            return False

    def _say_no_git(self, root: Path) -> None:
        marker = root / ".supportctl" / NOTED_NO_GIT
        if self.flag is None and marker.exists():
            return
        print(f"supportctl: not committed: the desk {root} is not in a git repository "
              "(auto-commit does nothing until it is; see docs/team.md)", file=sys.stderr)
        with contextlib.suppress(OSError):
            marker.parent.mkdir(exist_ok=True)
            marker.touch()


def desk_root_of(path: Path) -> Path | None:
    for folder in path.parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def shared_paths(root: Path, written: list[Path]) -> list[str]:
    """The written files that belong to the shared desk, relative to its root, each once."""
    seen: dict[str, None] = {}
    for path in written:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        if (rel.parts[0] in SHARED_FOLDERS and len(rel.parts) > 1) or rel.as_posix() in SHARED_FILES:
            seen.setdefault(rel.as_posix(), None)
    return list(seen)


def commit_message(desk, printed: str, paths: list[str]) -> str:
    """What the command printed about tickets (``ID: what``); a new ticket's bare ID becomes its story."""
    lines: list[str] = []
    for line in printed.splitlines():
        line = line.strip()
        if _ID_LINE.match(line):
            lines.append(line)
        elif (m := _BARE_ID.match(line)) and desk.exists(m.group(1)):
            lines.append(_new_ticket_line(desk, m.group(1)))
    if not lines:
        lines = [ln.strip() for ln in printed.splitlines() if ln.strip()][:20]
    if not lines:
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lines = [f"supportctl: {shown}"]
    subject, rest = lines[0], lines[1:]
    return subject + ("\n\n" + "\n".join(rest) if rest else "") + "\n"


def _new_ticket_line(desk, ticket_id: str) -> str:
    try:
        t = desk.load_ticket(ticket_id)
    except Exception:
        return f"{ticket_id}: new ticket"
    who = f" from {t.org}" if t.org else ""
    return f"{ticket_id}: new ticket by {t.channel}{who}: {t.subject or t.text.strip()[:60]}"


def author_email(actor: str, git_name: str | None, git_email: str | None) -> str:
    """git's user.email when the actor is git's user, else name@supportctl."""
    if git_email and git_name == actor:
        return git_email
    local = re.sub(r"[^\w.-]+", ".", actor.strip().lower()).strip(".") or "someone"
    return f"{local}@supportctl"


def commit_paths(git: Git, paths: list[str], message: str, actor: str, when: str) -> str | None:
    """Commit exactly ``paths`` (relative to git.cwd) on top of HEAD; None when they hold no change.

    Built in a temporary index, so the clone's own index and other changes stay as they are.
    """
    busy = in_progress(git)
    if busy:
        raise GitError(f"a {busy} is in progress in this clone",
                       f"{finish_hint(busy)}, then commit the desk's files")
    head = git.head()
    git_name, git_email = git.config("user.name"), git.config("user.email")
    email = author_email(actor, git_name, git_email)
    ident = {"GIT_AUTHOR_NAME": actor, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when}
    if not git_name or not git_email:
        ident |= {"GIT_COMMITTER_NAME": actor, "GIT_COMMITTER_EMAIL": email}
    listing = "\0".join(paths) + "\0"
    with tempfile.TemporaryDirectory(prefix="supportctl-index-") as tmp:
        index = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        git.run("read-tree", head or "--empty", env=index)
        git.run("add", "--pathspec-from-file=-", "--pathspec-file-nul", input=listing, env=index)
        tree = git.out("write-tree", env=index)
    if head and tree == git.out("rev-parse", f"{head}^{{tree}}"):
        return None
    parents = ["-p", head] if head else []
    commit = git.run("commit-tree", tree, *parents, "-F", "-", input=message, env=ident).stdout.strip()
    subject = message.splitlines()[0]
    git.run("update-ref", "-m", f"supportctl: {subject}", "HEAD", commit, *([head] if head else []))
    # The clone's index learns the committed content of these paths, so `git status` shows them clean.
    git.run("add", "--pathspec-from-file=-", "--pathspec-file-nul", input=listing)
    return commit


def in_progress(git: Git) -> str | None:
    """A merge or rebase left waiting for a person, if any."""
    git_dir = Path(git.out("rev-parse", "--absolute-git-dir"))
    for name, what in (("MERGE_HEAD", "merge"), ("rebase-merge", "rebase"), ("rebase-apply", "rebase"),
                       ("CHERRY_PICK_HEAD", "cherry-pick")):
        if (git_dir / name).exists():
            return what
    return None


def finish_hint(busy: str) -> str:
    """How a person ends what in_progress() found; a killed rebase may be too torn for --abort."""
    if busy == "rebase":
        return ("finish it with git rebase --continue or drop it with git rebase --abort "
                "(a rebase killed while starting, which --abort refuses: git rebase --quit)")
    return f"finish it with git {busy} --continue or drop it with git {busy} --abort"
