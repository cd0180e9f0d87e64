"""Issue 10, items 9 and 11 and check's small items: a hostile or hand-broken desk file is that
file's problem, never the run's. Readers skip it with a one-line warning, in bounded time and
memory; `check` names each one and exits 1."""

from __future__ import annotations

import errno
import os
import resource
import time

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.desk import files, yamlio
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"


@pytest.fixture
def run(desk):
    def invoke(*args: str, input: str | None = None):
        env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
        result = CliRunner().invoke(app, list(args), env=env, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result
    return invoke


@pytest.fixture
def three(run):
    for n in range(3):
        assert run("new", "--subject", f"Сбой {n}", "--text", "Не запускается", "--channel", "portal").exit_code == 0
    return ["T-0001", "T-0002", "T-0003"]


def _reading_commands_survive(run, bad: str, good: list[str]) -> None:
    """list, overdue and report skip the bad file with one warning line; show of another works;
    check names the file and exits 1."""
    listed = run("list")
    assert listed.exit_code == 0, listed.output
    assert all(t in listed.stdout for t in good)
    assert bad in listed.stderr and listed.stderr.count("\n") == 1, listed.stderr
    assert run("show", good[0]).exit_code == 0
    assert run("overdue").exit_code in (0, 1)
    checked = run("check")
    assert checked.exit_code == 1 and f"{bad}.yaml" in checked.output, checked.output


# -- item 9: duplicate keys ------------------------------------------------------------------

def test_item9_an_appended_duplicate_status_is_refused_with_file_and_line(desk, run, three):
    path = desk.ticket_path("T-0002")
    lines = path.read_text(encoding="utf-8").count("\n")
    with open(path, "a", encoding="utf-8") as f:
        f.write("status: closed\n")
    listed = run("list")
    assert f"{path}:{lines + 1}: " in listed.stderr and "'status' is given twice" in listed.stderr
    assert "T-0002" not in listed.stdout
    shown = run("show", "T-0002")
    assert shown.exit_code == 2 and "given twice" in shown.stderr
    _reading_commands_survive(run, "T-0002", ["T-0001", "T-0003"])


def test_item9_duplicate_keys_in_nested_mappings_and_in_customers_are_refused(desk, run, three):
    with pytest.raises(Exception, match="'email' is given twice"):
        yamlio.loads("contact:\n  email: a@b.ru\n  name: x\n  email: evil@x.ru\n", "t.yaml")
    (desk.root / "customers.yaml").write_text("customers: []\ncustomers: []\n", encoding="utf-8")
    result = run("customer", "list")
    assert result.exit_code == 2 and "customers.yaml:2" in result.stderr and "twice" in result.stderr


# -- item 11: aliases, links, folders, FIFOs, giant files ---------------------------------------

ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 10))


def test_item11_an_alias_bomb_is_refused_fast_in_little_memory(desk, run, three):
    path = desk.ticket_path("T-0002")
    path.write_text(ALIAS_BOMB + "schema: 1\nid: T-0002\nsubject: *a9\n", encoding="utf-8")
    assert len(ALIAS_BOMB) < 1500
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    listed = run("list")
    assert time.monotonic() - started < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: not gigabytes
    assert "alias" in listed.stderr and len(listed.stderr) < 500, listed.stderr[:500]
    _reading_commands_survive(run, "T-0002", ["T-0001", "T-0003"])


def test_item11_an_alias_is_refused_in_every_desk_yaml_file(desk, run, three):
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text("x: &a 1\n" + cfg.read_text(encoding="utf-8") + "\ny: *a\n", encoding="utf-8")
    result = run("list")
    assert result.exit_code == 2 and "alias" in result.stderr


def test_item11_a_ticket_linked_to_dev_zero_is_skipped(desk, run, three):
    path = desk.ticket_path("T-0002")
    path.unlink()
    os.symlink("/dev/zero", path)
    started = time.monotonic()
    _reading_commands_survive(run, "T-0002", ["T-0001", "T-0003"])
    assert time.monotonic() - started < 20
    assert "symbolic link" in run("show", "T-0002").stderr


def test_item11_a_folder_named_like_a_ticket_is_skipped(desk, run, three):
    path = desk.ticket_path("T-0002")
    path.unlink()
    path.mkdir()
    _reading_commands_survive(run, "T-0002", ["T-0001", "T-0003"])


def test_item11_a_fifo_named_like_a_ticket_does_not_hang(desk, run, three):
    path = desk.ticket_path("T-0002")
    path.unlink()
    os.mkfifo(path)
    started = time.monotonic()
    _reading_commands_survive(run, "T-0002", ["T-0001", "T-0003"])
    assert time.monotonic() - started < 20


def test_item11_a_fifo_or_link_as_a_journal_does_not_hang_journal_or_check(desk, run, three):
    path = desk.journal_path("T-0002")
    path.unlink()
    os.mkfifo(path)
    result = run("journal", "T-0002")
    assert result.exit_code in (0, 1, 2) and "named pipe" in result.output
    assert any("T-0002" in str(p.path) and "named pipe" in p.message for p in check_desk(desk))
    path.unlink()
    os.symlink("/dev/zero", path)
    assert any("T-0002" in str(p.path) and "symbolic link" in p.message for p in check_desk(desk))


def test_item11_a_file_over_the_size_cap_is_refused_unread(desk, run, three, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr(yamlio.read_regular, "__defaults__", (4096, False))
    path = desk.ticket_path("T-0002")
    path.write_text(path.read_text(encoding="utf-8") + "#" * 5000 + "\n", encoding="utf-8")
    listed = run("list")
    assert "larger than the limit" in listed.stderr and "T-0002" not in listed.stdout


def test_item11_error_messages_never_carry_a_whole_value(desk, run, three):
    path = desk.ticket_path("T-0002")
    text = path.read_text(encoding="utf-8").replace("subject: Сбой 1", "subject: [" + "x, " * 100_000 + "x]")
    path.write_text(text, encoding="utf-8")
    listed = run("list")
    assert "subject: expected a single value" in listed.stderr and len(listed.stderr) < 600


# -- check's small items ----------------------------------------------------------------------

def test_check_names_a_damaged_file_once(desk, run, three):
    path = desk.ticket_path("T-0003")
    path.write_text(path.read_text(encoding="utf-8").replace("priority: null", "priority: 9"), encoding="utf-8")
    out = run("check").output
    assert out.count(str(path)) == 1, out


def test_check_reads_a_read_only_clone_without_the_lock(desk, run, three, monkeypatch):
    assert run("note", "T-0001", "заметка").exit_code == 0  # leaves .supportctl/undo/ behind, empty
    assert (desk.state_dir / "undo").is_dir()

    def no_lock(path):
        raise PermissionError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr("supportctl.desk.desk.exclusive_lock", no_lock)
    result = run("check")
    assert result.exit_code == 0, result.output


def test_a_full_disk_error_names_the_file(desk, run, three, monkeypatch):
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    result = run("note", "T-0001", "заметка")
    monkeypatch.setattr(files.os, "fsync", real_fsync)
    assert result.exit_code != 0 and "No space left on device" in result.stderr
    assert str(desk.root) in result.stderr, result.stderr


def test_item11_sibling_a_fifo_as_the_holiday_cache_does_not_hang(desk, run, three):
    from supportctl.domain import calendar

    calendar.use_holiday_store(None)  # this process's cache object: read the file afresh
    cache = desk.state_dir / "holidays.json"
    cache.unlink(missing_ok=True)
    os.mkfifo(cache)
    started = time.monotonic()
    assert run("list").exit_code == 0
    assert time.monotonic() - started < 20


def test_item11_sibling_history_skips_a_journal_that_is_a_link(desk, run, three):
    from supportctl.gitops.history import _uncommitted

    path = desk.journal_path("T-0002")
    path.unlink()
    os.symlink("/dev/zero", path)

    class NoGit:
        def head(self):
            return None

    assert _uncommitted(NoGit(), desk, "T-0002") == []
