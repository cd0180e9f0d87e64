"""The ticket index (.supportctl/index.sqlite): derived, never stale, deletable, self-healing."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from supportctl.desk import index as index_mod
from supportctl.desk.desk import DamagedFile, Desk
from supportctl.desk.index import Where
from supportctl.services import tickets
from supportctl.services.context import Ctx
from supportctl.services.query import Filters, find

NOW = datetime.fromisoformat("2025-12-01T10:00:00+03:00")


def _ctx(desk: Desk) -> Ctx:
    return Ctx(desk=desk, now=NOW, actor="Рудаков А.")


def _make(desk: Desk, count: int) -> list[str]:
    ctx = _ctx(desk)
    made = []
    for n in range(count):
        t = tickets.create(ctx, tickets.NewTicket(subject=f"Сбой {n}", text="Не запускается", org=f"Org {n % 3}")).ticket
        if n % 2:
            tickets.register(ctx, t.id, 1 + n % 4, f"Спец {n % 2}")
        made.append(t.id)
    return made


def _age_files(desk: Desk, seconds: int = 60) -> None:
    """Files older than the racy window, as in a desk used for a while."""
    past = time.time() - seconds
    for folder in (desk.tickets_dir, desk.journal_dir):  # a ticket's key includes its journal's (search)
        for name in os.listdir(folder):
            os.utime(folder / name, (past, past))


def _served(desk: Desk, where: Where | None = None) -> list:
    return list(desk.iter_tickets(where))


def _from_files(desk: Desk) -> list:
    return list(index_mod.TicketIndex(desk)._from_files())


def test_index_serves_exactly_what_the_files_hold(desk):
    _make(desk, 7)
    assert _served(desk) == _from_files(desk)
    assert (desk.state_dir / index_mod.INDEX_FILE).is_file()
    assert _served(desk) == _from_files(desk)  # second run: from the index


def test_unchanged_files_are_not_parsed_again(desk, monkeypatch):
    _make(desk, 5)
    _age_files(desk)
    _served(desk)
    parsed = []
    real = index_mod._parse_one
    monkeypatch.setattr(index_mod, "_parse_one", lambda d, i, *a: parsed.append(i) or real(d, i, *a))
    _served(desk)
    assert parsed == []
    path = desk.ticket_path("T-0003")
    path.write_text(path.read_text(encoding="utf-8").replace("Сбой 2", "Сбой X"), encoding="utf-8")
    assert [t.subject for t in _served(desk) if t.id == "T-0003"] == ["Сбой X"]
    assert parsed == ["T-0003"]


def test_hand_edit_of_same_size_within_the_same_tick_is_seen(desk):
    """A racy file (modified within RACY_NS of being indexed) is re-read on the next run."""
    _make(desk, 2)
    path = desk.ticket_path("T-0002")
    assert [t.subject for t in _served(desk) if t.id == "T-0002"] == ["Сбой 1"]
    stat = path.stat()
    text = path.read_text(encoding="utf-8").replace("Сбой 1", "Сбой X")
    with open(path, "r+", encoding="utf-8") as f:  # in place: same inode, same size
        f.write(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and even the same mtime
    assert path.stat().st_size == stat.st_size and path.stat().st_ino == stat.st_ino
    assert [t.subject for t in _served(desk) if t.id == "T-0002"] == ["Сбой X"]


def test_a_file_deleted_behind_the_index_is_gone_and_show_says_so(desk, cli):
    _make(desk, 3)
    _served(desk)
    desk.ticket_path("T-0002").unlink()
    assert [t.id for t in _served(desk)] == ["T-0001", "T-0003"]
    result = cli("show", "T-0002")
    assert result.exit_code == 2
    assert "no ticket T-0002" in result.output and "Traceback" not in result.output
    assert "T-0002" not in cli("list").output


def test_the_index_can_be_deleted_or_damaged_at_any_time(desk):
    _make(desk, 4)
    expected = _from_files(desk)
    index_file = desk.state_dir / index_mod.INDEX_FILE
    _served(desk)
    index_file.unlink()
    assert _served(desk) == expected
    index_file.write_bytes(b"this is not a database" * 100)
    assert _served(desk) == expected
    assert index_file.read_bytes()[:16] == b"SQLite format 3\x00"


def test_an_unusable_index_falls_back_to_the_files(desk):
    _make(desk, 3)
    desk.state_dir.mkdir(exist_ok=True)
    for f in desk.state_dir.glob("index.sqlite*"):
        f.unlink()
    (desk.state_dir / index_mod.INDEX_FILE).mkdir()  # cannot be opened as a database
    assert _served(desk) == _from_files(desk)


def test_a_damaged_file_is_reported_until_fixed(desk):
    _make(desk, 2)
    path = desk.ticket_path("T-0001")
    good = path.read_text(encoding="utf-8")
    path.write_text("id: [unclosed\n", encoding="utf-8")
    first = _served(desk)
    assert isinstance(first[0], DamagedFile) and "broken YAML" in first[0].message
    # a damaged file is reported whatever the filter
    assert any(isinstance(x, DamagedFile) for x in _served(desk, Where(statuses=["closed"])))
    path.write_text(good, encoding="utf-8")
    assert [t.id for t in _served(desk)] == ["T-0001", "T-0002"]


@pytest.mark.parametrize("filters", [
    Filters(status=["open"]),
    Filters(status=["new", "open", "waiting"]),
    Filters(org="org 1"),
    Filters(assignee="СПЕЦ 1"),
    Filters(since=datetime.fromisoformat("2025-12-01T09:00:00+03:00"),
            until=datetime.fromisoformat("2025-12-01T10:00:00+03:00")),
    Filters(since=datetime.fromisoformat("2025-12-01T10:00:01+03:00")),
])
def test_narrowing_in_the_index_keeps_every_match(desk, filters):
    _make(desk, 8)
    everything = _from_files(desk)
    found, damaged = find(desk, filters)
    assert damaged == []
    assert {t.id for t in found} == {t.id for t in everything if filters.accepts(t)}


def test_parallel_rebuild_gives_the_same_index(desk, monkeypatch):
    _make(desk, 12)
    expected = _from_files(desk)
    monkeypatch.setattr(index_mod, "PARALLEL_FROM", 2)
    monkeypatch.setattr(index_mod, "CHUNK", 3)
    assert index_mod.TicketIndex(desk).rebuild() == 12
    assert _served(desk) == expected


def test_index_lives_in_the_git_ignored_state_folder(desk):
    _make(desk, 1)
    _served(desk)
    assert (Path(desk.root) / ".gitignore").read_text().count(".supportctl/") >= 1
    assert [p.name for p in desk.state_dir.glob("index.sqlite*")]
