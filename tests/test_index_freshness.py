"""Issue 13 (first part): the first build of the index is fast, and a run proves freshness cheaply
without ever serving a hand edit stale."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime

import pytest
import yaml

from supportctl.desk import index as index_mod
from supportctl.desk import yamlio
from supportctl.desk.desk import Desk
from supportctl.domain.search import parse_query
from supportctl.errors import DeskDamaged
from supportctl.services import tickets
from supportctl.services.context import Ctx


class _Generic(yamlio._DeskLoader):
    """The loader without issue 13's shortcuts: the generic resolver and constructor."""

    resolve = yaml.resolver.BaseResolver.resolve

    def construct_document(self, node):
        return yaml.constructor.BaseConstructor.construct_document(self, node)


def _outcome(text: str, loader) -> tuple:
    try:
        return "ok", repr(yaml.load(text, Loader=loader))
    except Exception as exc:  # noqa: BLE001 - the very error is what is compared
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("text", [
    "schema: 1\nid: T-0001\npriority: 2\nrelated: []\ncontact: {name: A, email: null}\nok: true\n",
    "received_at: '2026-01-01T02:01:36+03:00'\nd: 2026-01-02\nt: 2026-01-02T10:00:00+03:00\n",
    "a: &x 1\nb: *x\n",                # an alias of a scalar: refused
    "a: &x [1]\nb: *x\n",              # an alias of a list: refused
    "a: 1\na: 2\n",                    # a key twice: refused
    "1: a\ntrue: b\n",                 # 1 and true are the same key in Python
    "<<: {a: 1}\nb: 2\n",              # a merge key
    "? [1]\n: 2\n",                    # an unhashable key
    "d: 2026-02-30\n",                 # an impossible date
    "x: !!binary aGk=\ny: !!set {a, b}\nz: !!str 1\n",
    "x: 0x1f\ny: 1_000\nz: .inf\nw: ~\n",
    "a: yes\nb: yes\nc: 'yes'\nd: 12:30\ne: Null\nf: ''\ng: ! 1\nh: 1.5\ni: -\n",  # plain scalars resolved

    "- a\n- [b, {c: d}]\n",
    "",
    "[" * 900 + "]" * 900,             # deeper than Python's recursion: the generic way
])
def test_direct_construction_is_the_generic_one_issue_13(text):
    """Issue 13 item 2: tickets are built straight from libyaml's nodes; every value and every
    refusal (aliases, duplicate keys, bad dates) is exactly what the generic constructor gives."""
    assert _outcome(text, yamlio._DeskLoader) == _outcome(text, _Generic)


def test_refusals_still_name_the_problem_issue_13():
    with pytest.raises(DeskDamaged, match="anchor and alias"):
        yamlio.loads("a: &x 1\nb: *x\n", "f.yaml")
    with pytest.raises(DeskDamaged, match="given twice"):
        yamlio.loads("a: 1\na: 2\n", "f.yaml")


# -- freshness: each way a file can change, and what catches it (docs/performance.md, "The ticket index") ------------

NOW = datetime.fromisoformat("2025-12-01T10:00:00+03:00")


@pytest.fixture(params=["stats in one process", "half the stats in a forked process"])
def split(request, monkeypatch):
    """A busy desk's run stats half the files in a forked process (index._still_listed): both ways."""
    if request.param != "stats in one process":
        monkeypatch.setattr(index_mod, "SPLIT_FROM", 0)


def _ctx(desk: Desk) -> Ctx:
    return Ctx(desk=desk, now=NOW, actor="Рудаков А.")


def _settled(desk: Desk, count: int = 3) -> None:
    """A desk used for a while: files older than the racy window, indexed, nothing stale."""
    for n in range(count):
        tickets.create(_ctx(desk), tickets.NewTicket(subject=f"Сбой {n}", text="Не запускается", org="Org"))
    _age(desk)
    _subjects(desk)
    _search(desk, "сбой")
    # nothing changed since: these runs find every key true and remember the folders' listings, so the
    # cases below are caught by the runs that compare the listings alone (index._as_listed)
    _subjects(desk)
    _search(desk, "сбой")
    assert _remembered(desk) == {index_mod.LISTING_TICKETS, index_mod.LISTING_JOURNALS}


def _remembered(desk: Desk) -> set[str]:
    db = sqlite3.connect(desk.state_dir / index_mod.INDEX_FILE)
    try:
        return {key for (key,) in db.execute("SELECT key FROM meta WHERE key LIKE 'listing %'")}
    finally:
        db.close()


def _age(desk: Desk, seconds: int = 60) -> None:
    past = time.time() - seconds
    for folder in (desk.tickets_dir, desk.journal_dir):
        for name in os.listdir(folder):
            os.utime(folder / name, (past, past))


def _subjects(desk: Desk) -> dict[str, str]:
    return {t.id: t.subject for t in index_mod.TicketIndex(desk).tickets()}


def _search(desk: Desk, words: str) -> list[str]:
    return [t.id for t, _ in index_mod.TicketIndex(desk).search(parse_query(words))]


def _edit_in_place(path, old: str, new: str, *, keep_mtime: bool = False) -> None:
    """What an editor that writes in place does (nano, VS Code, `>>`): same inode, the folder's mtime kept."""
    st = path.stat()
    text = path.read_text(encoding="utf-8").replace(old, new)
    with open(path, "r+", encoding="utf-8") as f:
        f.write(text)
        f.truncate()
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ino == st.st_ino


def _counting_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = index_mod._parse_one
    monkeypatch.setattr(index_mod, "_parse_one", lambda d, i, *a: parsed.append(i) or real(d, i, *a))
    return parsed


def _counting_stats(monkeypatch, folder) -> list[str]:
    """The paths in ``folder`` stated from now on (os.stat patched: it is then stated by full path)."""
    stated: list[str] = []
    real = os.stat

    def counting(path, *args, **kwargs):
        if str(path).startswith(f"{folder}/"):
            stated.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    return stated


def test_nothing_changed_nothing_parsed_and_list_stats_no_journal_issue_13(desk, monkeypatch):
    """Issue 13 item 3: a settled desk is answered from the index; `list`/`overdue` stat ticket files
    only (rows come from them alone), half the stats of a run."""
    _settled(desk)
    parsed = _counting_parses(monkeypatch)
    journal_stats = _counting_stats(monkeypatch, desk.journal_dir)
    assert _subjects(desk) == {"T-0001": "Сбой 0", "T-0002": "Сбой 1", "T-0003": "Сбой 2"}
    assert parsed == [] and journal_stats == []
    assert _search(desk, "сбой") == ["T-0001", "T-0002", "T-0003"]
    assert parsed == [] and sorted(p for p in journal_stats if p.endswith(".yaml")) == [
        f"{desk.journal_dir}/T-000{n}.yaml" for n in (1, 2, 3)]  # search stats the journals


def test_own_atomic_write_is_seen_issue_13(split, desk):
    """supportctl writes a ticket to a temporary name and renames it: a new inode, a new mtime."""
    _settled(desk)
    tickets.register(_ctx(desk), "T-0002", 2, "Иванова Е.")
    assert next(t for t in index_mod.TicketIndex(desk).tickets() if t.id == "T-0002").assignee == "Иванова Е."


def test_git_checkout_rewrite_with_same_size_and_mtime_is_seen_issue_13(split, desk):
    """git checkout/pull/reset unlink and re-create a file. Even with size and mtime the same the ctime
    differs; the inode alone does not prove it: a freed inode number is often reused at once (this test
    failed before the ctime was in the key)."""
    _settled(desk)
    path = desk.ticket_path("T-0001")
    st = path.stat()
    text = path.read_text(encoding="utf-8").replace("Сбой 0", "Сбой Z")
    path.unlink()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert _subjects(desk)["T-0001"] == "Сбой Z"


def test_edit_in_place_changing_the_size_is_seen_issue_13(split, desk):
    _settled(desk)
    _edit_in_place(desk.ticket_path("T-0002"), "Сбой 1", "Сбой сто один")
    assert _subjects(desk)["T-0002"] == "Сбой сто один"


def test_edit_in_place_keeping_size_and_mtime_is_seen_by_ctime_issue_13(split, desk):
    """An edit in place of the same size whose mtime is then set back (touch -r, cp -p over the file):
    only the ctime moves, and the ctime is in the key."""
    _settled(desk)
    time.sleep(0.05)  # past the file system's timestamp tick
    _edit_in_place(desk.ticket_path("T-0003"), "Сбой 2", "Сбой 7", keep_mtime=True)
    assert _subjects(desk)["T-0003"] == "Сбой 7"


def test_edit_in_place_in_the_same_tick_as_indexing_is_seen_issue_13(split, desk):
    """A file modified within RACY_NS of being indexed is never trusted to its key: re-read next run."""
    tickets.create(_ctx(desk), tickets.NewTicket(subject="Сбой 0", text="Не запускается", org="Org"))
    assert _subjects(desk)["T-0001"] == "Сбой 0"  # indexed at once: racy
    _edit_in_place(desk.ticket_path("T-0001"), "Сбой 0", "Сбой 9", keep_mtime=True)
    assert _subjects(desk)["T-0001"] == "Сбой 9"


def test_created_and_deleted_files_are_seen_issue_13(split, desk):
    _settled(desk)
    desk.ticket_path("T-0002").unlink()
    tickets.create(_ctx(desk), tickets.NewTicket(subject="Новая", text="Текст", org="Org"))
    assert _subjects(desk) == {"T-0001": "Сбой 0", "T-0003": "Сбой 2", "T-0004": "Новая"}
    assert _search(desk, "сбой") == ["T-0001", "T-0003"]


def test_journal_changes_behind_a_list_are_found_by_search_issue_13(split, desk, monkeypatch):
    """`list` does not stat journals; a journal appended (a note) or edited in place by hand while only
    `list` ran is still seen by the next `search`, because its ticket's stored journal key is old."""
    _settled(desk)
    tickets.note(_ctx(desk), "T-0001", "Заменили блок питания")  # supportctl's own append
    _edit_in_place(desk.journal_path("T-0002"), "Заявка", "Обращение")  # a hand edit of a journal, in place
    _subjects(desk)  # a list in between
    _subjects(desk)
    assert _search(desk, "блок питания") == ["T-0001"]
    assert _search(desk, "обращение") == ["T-0002"]


def test_bench_generates_the_busy_desk_of_issue_13(tmp_path):
    """Issue 13 item 1: received through 2026 across at most 50 organisations, priorities 1-4, about
    30 % open and registered, the rest completed and closed, all before now (2026-11-24 10:00 MSK)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("gen_desk", Path(__file__).parents[1] / "bench" / "gen_desk.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    now = datetime.fromisoformat("2026-11-24T10:00:00+03:00")
    gen.generate(tmp_path / "busy", 300, now=now, jobs=1)
    found = list(Desk(tmp_path / "busy").iter_tickets())
    assert len(found) == 300
    opened = [t for t in found if t.status == "open"]
    closed = [t for t in found if t.status == "closed"]
    assert len(opened) + len(closed) == 300 and 0.22 < len(opened) / 300 < 0.38
    assert all(t.registered_at and t.priority in (1, 2, 3, 4) for t in found)
    assert {t.priority for t in found} == {1, 2, 3, 4}
    assert all(t.completed_at and t.completed_at <= t.closed_at < now for t in closed)
    assert all(datetime(2026, 1, 1, tzinfo=now.tzinfo) <= t.received_at < now for t in found)
    assert len({t.org for t in found}) <= 50
    breached = [t for t in opened if (t.due and t.due < now)
                or (t.first_response_due and not t.responded_at and t.first_response_due < now)]
    assert len(breached) > 0.9 * len(opened)  # nearly every open ticket is late (resolution or first answer)


def test_a_read_never_waits_on_another_runs_write_to_remember_the_listing_issue_13(desk):
    """Remembering the listing is the only write of a run that changed nothing: while another run
    writes the index it is left for the next run, and the answer does not wait."""
    _settled(desk)
    tickets.note(_ctx(desk), "T-0001", "Заменили блок питания")
    _search(desk, "сбой")  # the keys change; the journal just written is racy: its block is not proved
    _age(desk)
    _search(desk, "сбой")
    _search(desk, "сбой")
    assert _remembered(desk) == {index_mod.LISTING_TICKETS, index_mod.LISTING_JOURNALS}
    _age(desk, 120)
    _search(desk, "сбой")  # every journal and ticket re-keyed, the folders fingerprinted with the new keys
    assert _remembered(desk) == {index_mod.LISTING_TICKETS, index_mod.LISTING_JOURNALS}
    db = sqlite3.connect(desk.state_dir / index_mod.INDEX_FILE)
    with db:
        db.execute("DELETE FROM meta WHERE key LIKE 'listing %'")  # not taken yet (an index of an older run)
    db.close()
    other = sqlite3.connect(desk.state_dir / index_mod.INDEX_FILE, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another run writing
    try:
        assert _subjects(desk) == {"T-0001": "Сбой 0", "T-0002": "Сбой 1", "T-0003": "Сбой 2"}
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _remembered(desk) == set()
    _subjects(desk)
    assert _remembered(desk) == {index_mod.LISTING_TICKETS}


def _comparing_every_key(monkeypatch) -> list[int]:
    """Counts the runs that compare every file's key (index._stat_files: no fingerprint could tell)."""
    runs: list[int] = []
    real = index_mod.TicketIndex._stat_files
    monkeypatch.setattr(index_mod.TicketIndex, "_stat_files", lambda self, *a, **k: runs.append(1) or real(self, *a, **k))
    return runs


def _age_file(path, seconds: int = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_change_rechecks_only_its_block_and_the_next_run_is_warm_issue_13(desk, monkeypatch, split):
    """A pull or a hand edit of one file: the run after it compares the keys of that file's block of the
    fingerprint alone, re-reads that file, and fingerprints the block anew with the new key, so the run
    after that compares nothing (docs/performance.md, "How each way a file can change is caught")."""
    monkeypatch.setattr(index_mod, "BLOCK", 2)
    _settled(desk, 6)
    parsed = _counting_parses(monkeypatch)
    compared = _comparing_every_key(monkeypatch)
    _edit_in_place(desk.ticket_path("T-0004"), "Сбой 3", "Авария 3")
    _age_file(desk.ticket_path("T-0004"))  # older than the racy window
    assert _subjects(desk)["T-0004"] == "Авария 3"
    assert parsed == ["T-0004"] and compared == []
    parsed.clear()
    assert _subjects(desk)["T-0004"] == "Авария 3"
    assert parsed == [] and compared == []
    assert _remembered(desk) == {index_mod.LISTING_TICKETS}  # `list` re-keyed a ticket: a search proves journals anew


def test_a_racy_change_is_read_again_until_it_is_old_and_then_fingerprinted_issue_13(desk, monkeypatch, split):
    """A file changed within the racy window is keyed as racy: its block is not proved, so the next run
    compares that block's keys again and re-reads the file; once it is old, its block is proved again."""
    monkeypatch.setattr(index_mod, "BLOCK", 2)
    _settled(desk, 6)
    parsed = _counting_parses(monkeypatch)
    compared = _comparing_every_key(monkeypatch)
    _edit_in_place(desk.ticket_path("T-0002"), "Сбой 1", "Авария 1")  # now: racy
    assert _subjects(desk)["T-0002"] == "Авария 1" and parsed == ["T-0002"]
    parsed.clear()
    assert _subjects(desk)["T-0002"] == "Авария 1" and parsed == ["T-0002"]  # still racy: read again
    parsed.clear()
    _age_file(desk.ticket_path("T-0002"))
    assert _subjects(desk)["T-0002"] == "Авария 1" and parsed == ["T-0002"]
    parsed.clear()
    assert _subjects(desk)["T-0002"] == "Авария 1" and parsed == [] and compared == []


def test_a_file_added_or_removed_compares_every_key_issue_13(desk, monkeypatch, split):
    """Other names in a folder: the fingerprint cannot say which file is new, so every key is compared."""
    monkeypatch.setattr(index_mod, "BLOCK", 2)
    _settled(desk, 6)
    compared = _comparing_every_key(monkeypatch)
    tickets.create(_ctx(desk), tickets.NewTicket(subject="Сбой 6", text="Не запускается", org="Org"))
    assert "T-0007" in _subjects(desk) and compared == [1]
    desk.ticket_path("T-0003").unlink()
    assert "T-0003" not in _subjects(desk) and compared == [1, 1]
