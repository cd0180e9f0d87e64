"""Issue 10: files people edit by hand survive the tool (item 8), writes stay inside the desk (item 10),
attachments are whole regular files within the limit or nothing (item 14), autocommit commits each
command's own files under its own author."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supportctl.desk.desk import Desk
from supportctl.errors import Refused


def ticket_files(root: Path) -> set[str]:
    return {p.name for p in (root / "tickets").iterdir() if p.name != ".gitkeep"}


# -- item 10: a symbolic link never carries a write out of the desk --------------------------------

@pytest.mark.parametrize("folder", ["journal", "tickets"])
def test_new_refuses_a_desk_folder_linked_outside_issue10_item10(cli, desk, tmp_path, folder):
    outside = tmp_path / "outside"
    outside.mkdir()
    real = desk.root / folder
    for p in real.iterdir():
        p.unlink()
    real.rmdir()
    real.symlink_to(outside)
    r = cli("new", "--subject", "x", "--text", "y")
    assert r.exit_code == 2
    assert "symbolic link" in r.stderr and str(real) in r.stderr and "outside the desk" in r.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("folder", ["attachments", "outbox", "quarantine", ".supportctl/undo"])
def test_no_write_or_folder_through_a_link_out_of_the_desk_issue10_item10(desk, tmp_path, folder):
    from supportctl.desk.files import append_line, ensure_folder, write_atomic

    outside = tmp_path / "outside"
    outside.mkdir()
    link = desk.root / folder
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    for write in (lambda: write_atomic(link / "f", "x"), lambda: append_line(link / "f", "x"),
                  lambda: ensure_folder(link / "T-0001"), lambda: write_atomic(link / "T-0001" / "f", "x")):
        with pytest.raises(Refused, match="outside the desk"):
            write()
    assert list(outside.iterdir()) == []


def test_a_ticket_file_linked_outside_is_refused_and_a_link_inside_allowed_issue10_item10(desk, tmp_path):
    from supportctl.desk.files import append_line, write_atomic

    outside = tmp_path / "secret"
    outside.write_text("keep")
    (desk.root / "journal" / "T-0001.yaml").symlink_to(outside)
    with pytest.raises(Refused, match="T-0001.yaml is a symbolic link"):
        append_line(desk.root / "journal" / "T-0001.yaml", "x")
    assert outside.read_text() == "keep"
    (desk.root / "inner").mkdir()
    (desk.root / "alias").symlink_to(desk.root / "inner")
    write_atomic(desk.root / "alias" / "f", "ok")  # a link that stays inside the desk leads nowhere else
    assert (desk.root / "inner" / "f").read_text() == "ok"


# -- item 14: attachments --------------------------------------------------------------------------

@pytest.fixture
def capped_file_size():
    """Files this process writes stop at 64 MB (EFBIG instead of SIGXFSZ), so a regression that copies
    /dev/zero fails the test instead of filling the disk."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 ** 2, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def test_attach_refuses_a_device_a_fifo_and_a_folder_issue10_item14(cli, desk, tmp_path, capped_file_size):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for source in ("/dev/zero", str(fifo), str(tmp_path)):
        r = cli("new", "--subject", "x", "--text", "y", "--attach", source)
        assert r.exit_code == 2 and "not a regular file" in r.stderr, (source, r.stderr)
    assert ticket_files(desk.root) == set()
    assert not (desk.root / "attachments").exists() or list((desk.root / "attachments").iterdir()) == []


def test_attach_refuses_a_file_over_the_limit_and_leaves_nothing_issue10_item14(cli, desk, tmp_path):
    config = desk.root / "supportctl.yaml"
    config.write_text(config.read_text() + "\nmail:\n  attachment_limit: 1KB\n")
    small, big = tmp_path / "a.png", tmp_path / "b.png"
    small.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 2000)
    r = cli("new", "--subject", "x", "--text", "y", "--attach", str(small), "--attach", str(big))
    assert r.exit_code == 2 and "larger than the limit" in r.stderr
    assert ticket_files(desk.root) == set()
    assert not (desk.root / "attachments").exists() or list((desk.root / "attachments").iterdir()) == []
    tid = cli("new", "--subject", "x", "--text", "y", "--attach", str(small)).stdout.strip()
    assert (desk.root / "attachments" / tid / "a.png").read_bytes() == small.read_bytes()


def test_a_file_growing_past_the_limit_while_copied_is_cut_off_issue10_item14(desk, tmp_path, monkeypatch):
    """The size is counted while copying too: a file that grows after fstat is stopped at limit+1 bytes."""
    from supportctl.services import tickets

    monkeypatch.setattr(tickets, "attachment_limit", lambda d: 1000)
    source = tmp_path / "grows.txt"
    source.write_bytes(b"x" * 10)
    real_open = tickets._open_attachment

    def growing(path, limit):
        f = real_open(path, limit)
        with open(path, "ab") as more:
            more.write(b"y" * 5000)
        return f

    monkeypatch.setattr(tickets, "_open_attachment", growing)
    with desk.lock(), pytest.raises(Refused, match="larger than the limit"):
        tickets.store_attachments(desk, "T-0001", [source])
    assert not (desk.root / "attachments" / "T-0001").exists()
    assert not (desk.state_dir / tickets.STAGING).exists()


def test_a_killed_copy_is_cleaned_by_the_next_command_issue10_item14(desk, tmp_path):
    """What a killed command left (a partial copy, files placed for a ticket never written) goes away."""
    from supportctl.services import tickets

    staging = desk.state_dir / tickets.STAGING
    staging.mkdir(parents=True)
    (staging / "0.part").write_bytes(b"\0" * 4096)
    orphan = desk.root / "attachments" / "T-0009"
    orphan.mkdir(parents=True)
    (orphan / "shot.png").write_bytes(b"x")
    (staging / "placed").write_text("T-0009\nshot.png\n")
    source = tmp_path / "log.txt"
    source.write_text("log")
    with desk.lock():
        assert tickets.store_attachments(desk, "T-0010", [source]) == ["log.txt"]
    assert not orphan.exists()
    assert (desk.root / "attachments" / "T-0010" / "log.txt").read_text() == "log"
    assert sorted(p.name for p in staging.iterdir()) == ["placed"]


def test_new_attach_dev_zero_killed_leaves_no_partial_copy_issue10_item14(desk, tmp_path):
    """The issue's case, as a real process: a huge regular file being attached, killed mid-copy."""
    big = tmp_path / "big.log"
    with open(big, "wb") as f:
        f.truncate(9 * 1024 ** 2)  # within the default 10 MB limit, sparse
    env = {**os.environ, "SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": "2025-12-01T10:00:00+03:00",
           "SUPPORTCTL_USER": "x"}
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", "new", "-s", "x", "-t", "y", "--attach", str(big)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (desk.state_dir / "attach-staging").exists() \
            and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = subprocess.run([sys.executable, "-m", "supportctl", "new", "-s", "x", "-t", "y"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    attached = desk.root / "attachments"
    whole = [p for p in attached.rglob("*") if p.is_file()] if attached.exists() else []
    for p in whole:  # only a complete copy of a ticket that was written may stay
        assert p.stat().st_size == big.stat().st_size and (desk.root / "tickets" / f"{p.parent.name}.yaml").exists()
    assert not (desk.state_dir / "attach-staging").exists() or \
        [p.name for p in (desk.state_dir / "attach-staging").iterdir()] in ([], ["placed"])


# -- item 8: hand-edited files survive the tool ----------------------------------------------------

HAND_EDITED = """\
# Наши заказчики. Менеджер — см. manager.
customers:
  # крупный банк
  - org: АКБ «Барьер»
    contract: "0373100000116000042"   # госконтракт
    valid_from: 2016-01-01
    valid_to: 2030-12-31
    manager: Петров
    notes: |
      звонить до 18:00
    contacts:
      - name: Смирнова Ольга Петровна
        email: smirnova@barrier.ru
        telegram: "@smirnova"
"""


def test_customer_commands_keep_comments_order_and_unknown_keys_issue10_item8(cli, desk):
    path = desk.root / "customers.yaml"
    path.write_text(HAND_EDITED, encoding="utf-8")
    assert cli("customer", "contact", "add", "АКБ «Барьер»", "--name", "Иванов И.", "--email",
               "iv@barrier.ru").exit_code == 0
    r = cli("customer", "add", "ООО «Ромашка»", "--contract", "R-1", "--from", "2020-01-01", "--to", "2030-01-01",
            "--domain", "romashka.ru")
    assert r.exit_code == 0, r.stderr
    assert cli("customer", "contact", "add", "ООО «Ромашка»", "--name", "Ким", "--email", "kim@romashka.ru"
               ).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HAND_EDITED.rsplit("\n", 1)[0])  # every hand-written line as it was, in order
    assert "  - name: Иванов И." in text and "iv@barrier.ru" in text
    customers = {c.org: c for c in desk.customers()}
    assert [k.email for k in customers["АКБ «Барьер»"].contacts] == ["smirnova@barrier.ru", "iv@barrier.ru"]
    assert [k.email for k in customers["ООО «Ромашка»"].contacts] == ["kim@romashka.ru"]
    assert customers["ООО «Ромашка»"].domains == ["romashka.ru"]
    assert str(customers["ООО «Ромашка»"].valid_from) == "2020-01-01"


def test_customer_add_refuses_a_file_it_cannot_edit_and_leaves_it_issue10_item8(cli, desk):
    path = desk.root / "customers.yaml"
    broken = HAND_EDITED + "  - org: x\n    org: y\n"  # a duplicate key
    path.write_text(broken, encoding="utf-8")
    r = cli("customer", "add", "Z", "--contract", "1", "--from", "2020-01-01", "--to", "2030-01-01")
    assert r.exit_code == 2 and "customers.yaml" in r.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_unknown_keys_of_a_ticket_file_survive_a_note_issue10_item8(cli, desk):
    tid = cli("new", "--subject", "x", "--text", "y").stdout.strip()
    path = desk.root / "tickets" / f"{tid}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nowner_notes:\n  - звонил дважды\nsla_override: 3\n",
                    encoding="utf-8")
    assert cli("note", tid, "проверили").exit_code == 0
    from supportctl.desk import yamlio

    data = yamlio.load(path)
    assert data["owner_notes"] == ["звонил дважды"] and data["sla_override"] == 3
    assert list(data)[-2:] == ["owner_notes", "sla_override"]  # after the known keys
    assert desk.load_ticket(tid).extra == {"owner_notes": ["звонил дважды"], "sla_override": 3}
    assert "owner_notes" not in json.loads(cli("show", tid, "--json").stdout)


def test_check_lists_unknown_keys_as_notes_issue10_item8(cli, desk):
    tid = cli("new", "--subject", "x", "--text", "y").stdout.strip()
    path = desk.root / "tickets" / f"{tid}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nstatuss: closed\n", encoding="utf-8")
    (desk.root / "customers.yaml").write_text(HAND_EDITED, encoding="utf-8")
    r = cli("check")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert f"{tid}.yaml: note: unknown key(s) statuss" in r.stdout
    assert "customer АКБ «Барьер»: unknown key(s) manager, notes" in r.stdout
    assert "contact smirnova@barrier.ru: unknown key(s) telegram" in r.stdout


def test_the_file_keys_are_the_keys_the_codec_writes_issue10_item8():
    from datetime import timezone

    from supportctl.domain.codec import FILE_KEYS, ticket_to_file
    from supportctl.domain.ticket import Ticket

    assert set(ticket_to_file(Ticket(id="T-0001"), timezone.utc)) == FILE_KEYS


# -- autocommit under concurrency ------------------------------------------------------------------

_SLOW_COMMIT = """
import os, sys, time
from supportctl.gitops import autocommit
commit = autocommit.Watch.commit
def slow(self):
    time.sleep(float(os.environ["COMMIT_DELAY"]))  # between the command's writes and its commit
    return commit(self)
autocommit.Watch.commit = slow
from supportctl.cli.app import main
sys.argv = ["supportctl", *sys.argv[1:]]
main()
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def test_autocommit_commits_each_commands_own_notes_under_its_own_author_issue10(tmp_path, monkeypatch):
    """A writes a note and is slow to commit; B notes the same ticket meanwhile. Each commit holds
    exactly its command's journal line, authored by that command's user."""
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[init]\n\tdefaultBranch = main\n[user]\n\tname = Clone Owner\n\temail = owner@example.ru\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "desk"
    desk = __import__("supportctl.services.setup", fromlist=["init_desk"]).init_desk(root)
    cfg = root / "supportctl.yaml"  # switched on in place: a second `git:` key is refused (item 9)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("  autocommit: false", "  autocommit: true"),
                   encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "desk")
    env = {**os.environ, "SUPPORTCTL_DESK": str(root), "SUPPORTCTL_NOW": "2025-12-01T10:00:00+03:00"}

    def run(user: str, delay: float, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", _SLOW_COMMIT, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**env, "SUPPORTCTL_USER": user, "COMMIT_DELAY": str(delay)})

    first = run("Anna", 0, "new", "-s", "x", "-t", "y")
    assert first.wait() == 0, first.stderr.read()
    tid = first.stdout.read().strip()
    journal = root / "journal" / f"{tid}.yaml"
    a = run("Anna", 2.0, "note", tid, "note by Anna")
    deadline = time.monotonic() + 30
    while "note by Anna" not in journal.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.02)
    b = run("Boris", 0, "note", tid, "note by Boris")
    assert b.wait(60) == 0 and a.wait(60) == 0, (a.stderr.read(), b.stderr.read())
    log = _git(root, "log", "--format=%H %an", "-3").split("\n")
    commits = [line.split(" ", 1) for line in log if line][:2]
    for sha, author in commits:
        added = [ln for ln in _git(root, "show", "--format=", sha, "--", f"journal/{tid}.yaml").splitlines()
                 if ln.startswith("+") and not ln.startswith("+++")]
        assert len(added) == 1 and f"note by {author}" in added[0], (author, added)
    assert {author for _, author in commits} == {"Anna", "Boris"}
    assert _git(root, "status", "--porcelain", "--", "journal", "tickets") == ""
