"""Running the `git` command: one place for the subprocess call, its environment and its errors."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from supportctl.errors import SupportError

# Cyrillic paths as they are, no pager, never a prompt for credentials (cron has no one to answer).
_FIXED_ARGS = ("-c", "core.quotePath=false", "-c", "color.ui=false")
_FIXED_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


class GitError(SupportError):
    """git is missing, or a git command failed; the message quotes git."""


@dataclass
class Git:
    """git run in one folder (the desk's root, which may lie below the repository's top)."""

    cwd: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **_FIXED_ENV, **self.env, **(env or {})}
        for attempt in range(20):
            try:
                proc = subprocess.run(["git", *_FIXED_ARGS, *args], cwd=self.cwd, env=full_env, input=input,
                                      capture_output=True, text=True, encoding="utf-8", errors="replace")
            except FileNotFoundError:
                raise GitError("git is not installed (no `git` command on PATH)",
                               "install git to use the team features") from None
            # Another git (or supportctl) in this clone holds the index briefly: wait for it.
            if proc.returncode != 0 and "index.lock" in proc.stderr and attempt < 19:
                time.sleep(0.1 * (attempt + 1))
                continue
            break
        if check and proc.returncode != 0:
            raise GitError(f"git {args[0]} failed: {first_line(proc.stderr or proc.stdout)}")
        return proc

    def out(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self.run(*args, env=env).stdout.strip()

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def config(self, key: str) -> str | None:
        proc = self.run("config", "--get", key, check=False)
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def head(self) -> str | None:
        proc = self.run("rev-parse", "--verify", "-q", "HEAD", check=False)
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def show_file(self, rev: str, path: str) -> str | None:
        """A file's text at ``rev`` (path relative to the desk), or None when it is not there."""
        proc = self.run("show", f"{rev}:./{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None


def first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    # git's useful line is usually the one that starts with fatal:/error:
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[0] if lines else "no message"


def repository(folder: Path) -> Git | None:
    """git for ``folder`` when it lies in a work tree, else None (also when git is not installed)."""
    git = Git(folder)
    try:
        proc = git.run("rev-parse", "--is-inside-work-tree", check=False)
    except GitError:
        return None
    return git if proc.returncode == 0 and proc.stdout.strip() == "true" else None


def require_repository(folder: Path) -> Git:
    git = repository(folder)
    if git is None:
        raise GitError(f"the desk {folder} is not in a git repository",
                       "see docs/team.md: git init, or clone the team's desk")
    return git
