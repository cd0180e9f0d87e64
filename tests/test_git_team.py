"""Team work through git (issue #6): auto-commit, clean merges, check, sync and history.

Real repositories built with the `git` command: a bare remote and two clones,
each with its own user and station (R-4.4: IDs never collide between clones).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.desk.desk import Desk
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"  # a Monday, working time in Moscow


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check)


@pytest.fixture(autouse=True)
def isolated_git(tmp_path, monkeypatch):
    """No global or system git config of the machine running the tests."""
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("SUPPORTCTL_NOW", "SUPPORTCTL_USER", "SUPPORTCTL_DESK"):
        monkeypatch.delenv(name, raising=False)


def sc(clone: Path, *args: str, now: str = NOW, user: str | None = None, input: str | None = None):
    env = {"SUPPORTCTL_DESK": str(clone), "SUPPORTCTL_NOW": now}
    if user:
        env["SUPPORTCTL_USER"] = user
    return CliRunner().invoke(app, list(args), env=env, input=input, catch_exceptions=False)


def ok(clone: Path, *args: str, **kw) -> str:
    r = sc(clone, *args, **kw)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r.stdout.strip()


def clone_of(remote: Path, path: Path, user: str) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True, capture_output=True)
    git(path, "config", "user.name", user)
    git(path, "config", "user.email", f"{user.lower()}@example.ru")
    return path


@pytest.fixture
def team(tmp_path):
    """A bare remote with a desk (auto-commit on), clone A (station T) and clone B (station B)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = clone_of(remote, tmp_path / "a", "Anna")
    ok(a, "init", str(a))
    cfg = a / "supportctl.yaml"  # the template's git section, switched on (a key given twice is refused)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("  autocommit: false", "  autocommit: true"),
                   encoding="utf-8")
    git(a, "add", ".")
    git(a, "commit", "-q", "-m", "a new desk")
    git(a, "push", "-q", "-u", "origin", "main")
    b = clone_of(remote, tmp_path / "b", "Boris")
    ok(b, "station", "B")
    return a, b


def files_of(repo: Path, rev: str = "HEAD") -> set[str]:
    return set(git(repo, "show", "--name-only", "--format=", rev).stdout.split())


# -- auto-commit -------------------------------------------------------------

def test_autocommit_commits_exactly_what_the_command_wrote(tmp_path):
    repo = tmp_path / "desk"
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "config", "user.name", "Rudakov")
    git(repo, "config", "user.email", "rudakov@example.ru")
    ok(repo, "init", str(repo))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "desk")
    tid = ok(repo, "new", "-s", "Сбой", "-t", "не запускается", user="Rudakov")
    (repo / "staged.txt").write_text("someone's work in progress\n")
    git(repo, "add", "staged.txt")
    (repo / "customers.yaml").write_text("# edited by hand, not saved by supportctl\ncustomers: []\n")

    assert ok(repo, "--commit", "register", tid, "-p", "1", user="Rudakov").startswith(f"{tid}: registered")

    assert files_of(repo) == {f"tickets/{tid}.yaml", f"journal/{tid}.yaml"}
    log = git(repo, "log", "-1", "--format=%an|%ae|%aI|%s").stdout.strip()
    assert log == f"Rudakov|rudakov@example.ru|2025-12-01T10:00:00+03:00|{tid}: registered, priority 1, due 01.12.2025 14:00"
    status = git(repo, "status", "--porcelain").stdout
    assert "A  staged.txt" in status and " M customers.yaml" in status  # left as they were
    assert "tickets/" not in status and "journal/" not in status  # committed and clean


def test_autocommit_message_and_author_of_a_new_ticket_with_an_attachment(team, tmp_path):
    a, _ = team
    shot = tmp_path / "screen.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    tid = ok(a, "new", "-s", "Не печатает", "-t", "x", "--attach", str(shot), user="Смирнова О.")
    assert files_of(a) == {f"tickets/{tid}.yaml", f"journal/{tid}.yaml", f"attachments/{tid}/screen.png"}
    author, subject = git(a, "log", "-1", "--format=%an <%ae>|%s").stdout.strip().split("|")
    assert author == "Смирнова О <смирнова.о@supportctl>"  # git drops a trailing dot from names
    assert subject == f"{tid}: new ticket by email: Не печатает"


def test_no_commit_for_a_read_only_command_or_with_no_commit(team):
    a, _ = team
    tid = ok(a, "new", "-s", "x", "-t", "y")
    head = git(a, "rev-parse", "HEAD").stdout
    ok(a, "show", tid)
    ok(a, "--no-commit", "note", tid, "не в git")
    assert git(a, "rev-parse", "HEAD").stdout == head
    assert git(a, "status", "--porcelain").stdout.strip() == f"M journal/{tid}.yaml"


def test_autocommit_outside_git_says_so_once_and_does_nothing(tmp_path):
    desk = tmp_path / "desk"
    ok(desk, "init", str(desk))
    cfg = desk / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("  autocommit: false", "  autocommit: true"),
                   encoding="utf-8")
    first = sc(desk, "new", "-s", "x", "-t", "y")
    assert first.exit_code == 0 and "not in a git repository" in first.stderr
    second = sc(desk, "note", "T-0001", "ещё")
    assert second.exit_code == 0 and "git" not in second.stderr
    assert not (desk / ".git").exists()


# -- merges ------------------------------------------------------------------

def offline_work(a: Path, b: Path) -> str:
    """Both clones work on T-0001 and create tickets without seeing each other."""
    tid = ok(a, "new", "-s", "Общая", "-t", "x", user="Anna")
    ok(a, "register", tid, "-p", "3", user="Anna")
    ok(a, "sync")
    ok(b, "sync")
    ok(a, "note", tid, "A смотрит логи", now="2025-12-01T11:00:00+03:00", user="Anna")
    ok(a, "hold", tid, "--reason", "need-info", "ждём логи", now="2025-12-01T11:30:00+03:00", user="Anna")
    ok(a, "new", "-s", "Ещё от A", "-t", "y", now="2025-12-01T11:40:00+03:00", user="Anna")
    ok(b, "assign", tid, "Boris", now="2025-12-01T10:30:00+03:00", user="Boris")
    ok(b, "note", tid, "B позвонил заказчику", now="2025-12-01T10:45:00+03:00", user="Boris")
    ok(b, "new", "-s", "От B", "-t", "z", now="2025-12-01T10:50:00+03:00", user="Boris")
    ok(a, "sync")
    return tid


def assert_merged(b: Path, tid: str) -> None:
    desk = Desk(b)
    ticket = desk.load_ticket(tid)
    assert (ticket.status, ticket.hold_reason, ticket.assignee) == ("waiting", "need-info", "Boris")
    texts = [e.text for e in desk.read_journal(tid)[0]]
    assert "A смотрит логи" in texts and "B позвонил заказчику" in texts
    assert len(texts) == len(set(texts)) == 6  # received, registered, 2 from A (note, hold), 2 from B
    assert desk.ticket_ids() == ["B-0001", "T-0001", "T-0002"]
    assert [p for p in check_desk(desk) if not p.note] == []
    assert git(b, "status", "--porcelain").stdout == ""


def test_two_clones_merge_different_fields_journals_and_new_tickets_with_git_merge(team):
    a, b = team
    tid = offline_work(a, b)
    merged = git(b, "pull", "--no-rebase", "-q", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert_merged(b, tid)
    assert len(git(b, "log", "-1", "--format=%P").stdout.split()) == 2  # a real merge commit


def test_two_clones_merge_with_sync_rebase_and_report_what_came_in(team):
    a, b = team
    tid = offline_work(a, b)
    r = sc(b, "sync", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["new_tickets"] == [{"id": "T-0002", "status": "new", "subject": "Ещё от A"}]
    assert report["status_changes"] == [{"id": tid, "from": "open", "to": "waiting"}]
    assert (report["received"], report["sent"]) == (2 + 1, 3)
    assert_merged(b, tid)
    assert git(b, "rev-parse", "HEAD").stdout == git(b, "rev-parse", "origin/main").stdout  # pushed
    assert len(git(b, "log", "-1", "--format=%P").stdout.split()) == 1  # rebased, no merge commit
    ok(a, "sync")
    assert_merged(a, tid)


def test_journal_after_merge_is_out_of_order_in_the_file_but_shown_in_time_order(team):
    a, b = team
    tid = offline_work(a, b)
    ok(b, "sync")
    r = sc(b, "check")
    assert r.exit_code == 0 and "note: entries are out of time order" in r.stdout
    lines = ok(b, "journal", tid).splitlines()
    assert lines[2].startswith("01.12.25 10:30") and lines[-1].startswith("01.12.25 11:30")


def test_same_field_in_two_clones_sync_refuses_and_keeps_everything(team):
    a, b = team
    tid = ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "sync")
    ok(b, "sync")
    ok(a, "assign", tid, "Anna")
    ok(a, "sync")
    ok(b, "assign", tid, "Boris")
    before = git(b, "rev-parse", "HEAD").stdout
    r = sc(b, "sync")
    assert r.exit_code == 2
    assert f"{tid} changed on both sides (field assignee)" in r.stderr and "nothing was lost" in r.stderr
    assert git(b, "rev-parse", "HEAD").stdout == before
    assert git(b, "status", "--porcelain").stdout == ""
    assert not (b / ".git" / "rebase-merge").exists()

    # By hand, git stops on the conflict and `check` names the field and both values.
    assert git(b, "pull", "--no-rebase", "-q", check=False).returncode != 0
    r = sc(b, "check")
    assert r.exit_code == 1
    assert f"{tid}.yaml: line" in r.stdout and "field assignee changed on both sides" in r.stdout
    assert "'assignee: Boris'" in r.stdout and "'assignee: Anna'" in r.stdout
    r = sc(b, "--commit", "new", "-s", "z", "-t", "z")  # auto-commit does not commit into a merge
    assert r.exit_code == 2 and "done, but not committed: a merge is in progress" in r.stderr


def test_sync_killed_while_starting_its_rebase_is_recovered_as_the_refusal_says(team):
    """A sync killed as git began its rebase leaves .git/rebase-merge that `git rebase --abort` refuses."""
    a, b = team
    ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "sync")
    (b / ".git" / "rebase-merge").mkdir()  # the torn start: git wrote the folder and nothing in it
    r = sc(b, "sync")
    assert r.exit_code == 2 and "a rebase is in progress in this clone" in r.stderr
    assert "git rebase --abort" in r.stderr and "git rebase --quit" in r.stderr
    assert git(b, "rebase", "--abort", check=False).returncode != 0
    git(b, "rebase", "--quit")
    ok(b, "sync")
    assert (b / "tickets").exists() and files_of(b) == files_of(a)


def test_check_finds_one_id_used_by_two_clones(team):
    a, b = team
    ok(b, "station", "T")  # a mistake: both clones number T-…
    ok(a, "new", "-s", "от A", "-t", "x", user="Anna")
    ok(a, "sync")
    ok(b, "new", "-s", "от B", "-t", "y", user="Boris")
    git(b, "pull", "--no-rebase", "-q", check=False)
    messages = [p.message for p in check_desk(Desk(b))]
    assert any("the ID T-0001 is used twice: its journal records 2 receipts" in m for m in messages)
    assert any("field subject, text changed on both sides" in m for m in messages)


def test_check_finds_a_journal_whose_ticket_is_gone_and_a_padded_duplicate_id(team):
    a, _ = team
    tid = ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "new", "-s", "x2", "-t", "y2")
    git(a, "rm", "-q", f"tickets/{tid}.yaml")
    (a / "tickets" / "T-2.yaml").write_text("schema: 1\n\nid: T-2\n")  # T-2 and T-0002 are one ID
    messages = [str(p) for p in check_desk(Desk(a))]
    assert any(f"journal of {tid}, but there is no ticket {tid}" in m for m in messages)
    assert any(m.startswith(str(a / "tickets" / "T-2.yaml")) and "the ID T-2 is used twice" in m for m in messages)


# -- sync refusals -----------------------------------------------------------

def test_sync_needs_an_upstream_and_committed_work(tmp_path, team):
    a, _ = team
    lone = tmp_path / "lone"
    git(tmp_path, "init", "-q", str(lone))
    ok(lone, "init", str(lone))
    r = sc(lone, "sync")
    assert r.exit_code == 2 and "no upstream" in r.stderr
    tid = ok(a, "new", "-s", "x", "-t", "y")
    ok(a, "--no-commit", "note", tid, "ещё не в git")
    r = sc(a, "sync")
    assert r.exit_code == 2 and f"uncommitted changes: journal/{tid}.yaml" in r.stderr
    r = sc(tmp_path / "lone", "history", "T-0001")
    assert r.exit_code == 2 and "no ticket T-0001" in r.stderr


# -- history -----------------------------------------------------------------

def test_history_shows_commits_with_their_journal_entries_and_what_is_not_committed(team):
    a, _ = team
    tid = ok(a, "new", "-s", "Сбой", "-t", "y", user="Anna")
    ok(a, "register", tid, "-p", "2", now="2025-12-01T10:05:00+03:00", user="Anna")
    ok(a, "--no-commit", "note", tid, "черновик", now="2025-12-01T10:10:00+03:00", user="Anna")
    story = json.loads(ok(a, "history", tid, "--json"))
    assert [c["subject"] for c in story["commits"]] == [f"{tid}: new ticket by email: Сбой",
                                                      f"{tid}: registered, priority 2, due 01.12.2025 18:00"]
    assert story["commits"][1]["author"] == "Anna" and story["commits"][1]["date"] == "2025-12-01T10:05:00+03:00"
    assert [e["kind"] for e in story["commits"][1]["entries"]] == ["registered"]
    assert story["commits"][1]["files"] == [f"journal/{tid}.yaml", f"tickets/{tid}.yaml"]
    assert [e["text"] for e in story["uncommitted"]] == ["черновик"]
    text = ok(a, "history", tid, "--patch")
    assert "+status: open" in text and "-status: new" in text and "not committed:" in text


# -- the ticket file layout ----------------------------------------------------

@pytest.mark.parametrize("ours, theirs", [
    (("hold", "--reason", "need-info", "ждём"), ("priority", "2", "--reason", "всё стоит")),
    (("assign", "Anna"), ("reply", "ответ", "--via", "phone")),
    (("priority", "1", "--reason", "авария"), ("assign", "Boris")),
])
def test_different_fields_of_one_ticket_merge_without_conflict(tmp_path, ours, theirs):
    """git conflicts on changes to adjacent lines: the ticket file keeps a blank line between fields."""
    import shutil

    base = tmp_path / "base"
    ok(base, "init", str(base))
    tid = ok(base, "new", "-s", "x", "-t", "многострочный\nтекст")
    ok(base, "register", tid, "-p", "3")
    a, b = shutil.copytree(base, tmp_path / "a"), shutil.copytree(base, tmp_path / "b")
    ok(a, *ours[:1], tid, *ours[1:], now="2025-12-01T11:00:00+03:00")
    ok(b, *theirs[:1], tid, *theirs[1:], now="2025-12-01T12:00:00+03:00")
    from supportctl.domain.codec import ticket_to_dict

    def fields(desk_root):
        desk = Desk(desk_root)
        return ticket_to_dict(desk.load_ticket(tid), desk.tz)

    old, mine, other = fields(base), fields(a), fields(b)
    assert {k for k in mine if mine[k] != old[k]} & {k for k in other if other[k] != old[k]} == set()
    path = f"tickets/{tid}.yaml"
    merged = subprocess.run(["git", "merge-file", "-p", str(a / path), str(base / path), str(b / path)],
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout
    (a / path).write_text(merged.stdout, encoding="utf-8")
    assert fields(a) == {k: other[k] if other[k] != old[k] else mine[k] for k in old}


def test_spaced_layout_round_trips_any_text():
    import random

    from supportctl.desk import yamlio

    rng = random.Random(6)
    alphabet = "ab -:#\n\t'\"|>ёЯ\\{}[],&*!%@`?\u2028 "
    for _ in range(500):
        data = {f"k{i}": "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for i in range(3)}
        data["items"] = [data["k0"], {"x": data["k1"]}]
        text = yamlio.dumps_spaced(data)
        assert yamlio.loads(text, "t") == data
        assert "\n\nk1:" in text and "\n\nitems:" in text
