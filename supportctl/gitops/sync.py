"""`sync`: pull with rebase, re-check the desk, push; report what came in.

Journal files union-merge (``.gitattributes``) during the rebase as in a merge;
ticket files merge field by field (merge_driver.py, defined in the clone here
first), so only a field changed differently on both sides stops the sync. Then the rebase is aborted: the clone is
exactly as before, and the message names the tickets and fields to resolve.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any

from supportctl.desk import yamlio
from supportctl.desk.desk import Desk
from supportctl.domain import ids
from supportctl.errors import DeskDamaged, Refused
from supportctl.gitops.autocommit import finish_hint, in_progress
from supportctl.gitops.merge_driver import ensure_merge_driver
from supportctl.gitops.runner import Git, first_line, require_repository

PUSH_ATTEMPTS = 3


@dataclass
class SyncReport:
    upstream: str
    received: int = 0  # commits that came in
    sent: int = 0  # commits pushed
    new_tickets: list[dict[str, Any]] = field(default_factory=list)  # {id, status, subject}
    status_changes: list[dict[str, Any]] = field(default_factory=list)  # {id, from, to}
    changed: list[str] = field(default_factory=list)  # other tickets changed upstream
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"upstream": self.upstream, "received": self.received, "sent": self.sent,
                "new_tickets": self.new_tickets, "status_changes": self.status_changes,
                "changed": self.changed, "notes": self.notes}


def sync(desk: Desk) -> SyncReport:
    git = require_repository(desk.root)
    ensure_merge_driver(git)  # before the rebase merges ticket files
    busy = in_progress(git)
    if busy:
        raise Refused(f"a {busy} is in progress in this clone", f"{finish_hint(busy)}, then sync")
    upstream = _upstream(git)
    dirty = git.run("status", "--porcelain", "--untracked-files=no").stdout.rstrip("\n")
    if dirty:
        files = ", ".join(line[3:] for line in dirty.splitlines()[:5])
        raise Refused(f"uncommitted changes: {files}",
                      "commit them (or set git.autocommit: true) and sync again; nothing was changed")
    report = SyncReport(upstream)
    for attempt in range(PUSH_ATTEMPTS):
        remote = upstream.split("/", 1)[0]
        git.run("fetch", "--quiet", remote)
        old = git.head()
        base = git.out("merge-base", old, upstream) if old else None
        report.received += int(git.out("rev-list", "--count", f"{old}..{upstream}")) if old else 0
        if base != git.out("rev-parse", upstream):
            _describe_incoming(git, base, upstream, report)
            _rebase(git, upstream)
        _recheck(desk)
        ahead = int(git.out("rev-list", "--count", f"{upstream}..HEAD"))
        if not ahead:
            return report
        branch = upstream.split("/", 1)[1]
        pushed = git.run("push", "--quiet", remote, f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            report.sent += ahead
            return report
        if "rejected" not in pushed.stderr and "fetch first" not in pushed.stderr:
            raise Refused(f"push to {upstream} failed: {first_line(pushed.stderr)}",
                          "your commits are safe in this clone; sync again later")
        report.notes.append("someone pushed meanwhile; pulled again")
    raise Refused(f"{upstream} keeps changing; not pushed", "your commits are safe in this clone; sync again")


def _upstream(git: Git) -> str:
    proc = git.run("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", check=False)
    if proc.returncode != 0 or "/" not in proc.stdout:
        raise Refused("this clone's branch has no upstream to sync with",
                      "clone the team's desk, or set it once: git push -u origin main")
    return proc.stdout.strip()


def _rebase(git: Git, upstream: str) -> None:
    proc = git.run("rebase", "--no-autostash", upstream, check=False)
    if proc.returncode == 0:
        return
    conflicts = git.out("diff", "--name-only", "--diff-filter=U", "--relative").splitlines()
    details = _name_conflicts(git, conflicts) if conflicts else [first_line(proc.stderr or proc.stdout)]
    if in_progress(git):
        git.run("rebase", "--abort")
    raise Refused("sync stopped, a person must decide: " + "; ".join(details),
                  "nothing was lost, this clone is as before. Resolve as docs/team.md ('What to do on a conflict') shows: "
                  "git pull --rebase, edit the file, supportctl check, git add, git rebase --continue, "
                  "supportctl sync")


def _name_conflicts(git: Git, paths: list[str]) -> list[str]:
    from supportctl.services.check import ticket_conflicts  # the same naming as `check`

    details: list[str] = []
    for rel in paths:
        name = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
        if rel.startswith("tickets/") and ids.ID_RE.match(name):
            fields = [f for p in ticket_conflicts(git.cwd / rel) for f in p.fields]
            details.append(f"{name} changed on both sides (field {', '.join(fields) or '?'})")
        else:
            details.append(f"{rel} changed on both sides")
    return details


def _recheck(desk: Desk) -> None:
    from supportctl.services.check import check_desk

    problems = [p for p in check_desk(Desk(desk.root)) if not p.note]
    if problems:
        raise DeskDamaged(f"after the merge the desk has {len(problems)} problem(s), e.g. {problems[0]}; not pushed",
                          "run supportctl check, fix and commit, then sync again")


def _describe_incoming(git: Git, base: str | None, upstream: str, report: SyncReport) -> None:
    """New tickets and status changes between the common base and what came in."""
    args = ["diff", "--name-status", "--no-renames", "--relative", *( [base] if base else [_empty_tree(git)]),
            upstream, "--", "tickets/"]
    changes = [line.split("\t", 1) for line in git.out(*args).splitlines() if "\t" in line]
    wanted = [(kind, path) for kind, path in changes if path.endswith(".yaml")]
    specs = [f"{upstream}:./{path}" for _, path in wanted] + [f"{base}:./{path}" for kind, path in wanted
                                                              if kind == "M" and base]
    blobs = _cat_files(git, specs)
    for kind, path in wanted:
        ticket_id = path.rsplit("/", 1)[-1][:-5]
        after = _fields(blobs.get(f"{upstream}:./{path}"), path)
        if kind == "A":
            report.new_tickets.append({"id": ticket_id, "status": after.get("status"),
                                       "subject": after.get("subject")})
        elif kind == "M":
            before = _fields(blobs.get(f"{base}:./{path}"), path)
            if before.get("status") != after.get("status"):
                report.status_changes.append({"id": ticket_id, "from": before.get("status"),
                                              "to": after.get("status")})
            else:
                report.changed.append(ticket_id)


def _empty_tree(git: Git) -> str:
    return git.out("hash-object", "-t", "tree", "/dev/null")


def _fields(data: bytes | None, path: str) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        loaded = yamlio.loads(data.decode("utf-8"), path)
    except (DeskDamaged, UnicodeDecodeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _cat_files(git: Git, specs: list[str]) -> dict[str, bytes | None]:
    """Many blobs in one `git cat-file --batch`."""
    if not specs:
        return {}
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=git.cwd, input=("\n".join(specs) + "\n").encode(),
                          capture_output=True, check=False)
    out, pos, found = proc.stdout, 0, {}
    for spec in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[spec] = out[pos:pos + size]
            pos += size + 1
        else:
            found[spec] = None
    return found
