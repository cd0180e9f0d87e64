"""Issue 13, `import` of 100,000 tickets: what its faster paths keep (behaviour, not timing) —
files written whole with the mode a new file gets, customers matched exactly as line by line."""

from __future__ import annotations

import json
import os
import stat
from datetime import date

import pytest

from supportctl.desk import files
from supportctl.domain.customers import Customer, match
from supportctl.domain.ticket import Contact
from supportctl.services import importer


def test_the_bulk_writer_writes_whole_files_with_a_new_files_mode(tmp_path):
    folder = tmp_path / "tickets"
    writer = files.BulkWriter(folder)
    old = os.umask(0o027)
    try:
        with files.recording_writes() as written:
            writer.write(folder / "T-0001.yaml", "id: T-0001\n")
            writer.write(folder / "T-0002.yaml", "текст\n".encode("utf-8"))
    finally:
        os.umask(old)
    assert (folder / "T-0001.yaml").read_text() == "id: T-0001\n"
    assert (folder / "T-0002.yaml").read_text(encoding="utf-8") == "текст\n"
    assert stat.S_IMODE((folder / "T-0001.yaml").stat().st_mode) == 0o640
    assert sorted(os.listdir(folder)) == ["T-0001.yaml", "T-0002.yaml"]  # no temp file left
    assert [p.name for p in written] == ["T-0001.yaml", "T-0002.yaml"]  # auto-commit sees them


def test_the_bulk_writer_never_writes_through_a_link(tmp_path):
    """A link planted at the temp name (or the target) is replaced, never followed."""
    folder, outside = tmp_path / "tickets", tmp_path / "outside.txt"
    outside.write_text("keep")
    writer = files.BulkWriter(folder)
    (folder / f".T-0001.yaml.{os.getpid()}.tmp").symlink_to(outside)
    (folder / "T-0002.yaml").symlink_to(outside)
    writer.write(folder / "T-0001.yaml", "one\n")
    writer.write(folder / "T-0002.yaml", "two\n")
    assert outside.read_text() == "keep"
    assert (folder / "T-0001.yaml").read_text() == "one\n"
    assert not (folder / "T-0002.yaml").is_symlink() and (folder / "T-0002.yaml").read_text() == "two\n"


def test_the_bulk_writer_refuses_a_folder_that_leads_out_of_the_desk(tmp_path):
    from supportctl.errors import Refused

    desk_root, outside = tmp_path / "desk", tmp_path / "elsewhere"
    desk_root.mkdir()
    outside.mkdir()
    (desk_root / "journal").symlink_to(outside)
    files.confine(desk_root)
    with pytest.raises(Refused, match="outside the desk"):
        files.BulkWriter(desk_root / "journal")


CUSTOMERS = [
    Customer(org="ООО «Ромашка»", contract="К-1", plan="premium", domains=["romashka.ru"],
             contacts=[Contact(name="Иванов И.", email="ivanov@romashka.ru")], valid_from=date(2020, 1, 1)),
    Customer(org="АО «Ромашка»", contract="К-2", plan="regulation", domains=["ao-romashka.ru"],
             contacts=[Contact(name="Петров П.", email="petrov@ao-romashka.ru")], valid_to=date(2025, 1, 1)),
    Customer(org="ООО «Ромашка»", contract="К-3", plan="is6", domains=["other.ru"]),  # the same name again
]


@pytest.mark.parametrize("org,name,email", [
    ("ООО «Ромашка»", "Иванов И.", "ivanov@romashka.ru"),
    ('ооо  "ромашка"', "Иванов И.", None),  # another spelling of the same organisation
    ("АО «Ромашка»", "Петров П.", "petrov@ao-romashka.ru"),  # contract expired
    ("ООО «Лютик»", "Сидоров С.", "s@lutik.ru"),  # unknown
    (None, None, "ivanov@romashka.ru"),  # by address
    (None, None, "someone@ao-romashka.ru"),  # by domain
    (None, "Некто", "x@nowhere.ru"),
])
def test_customers_are_matched_as_line_by_line(org, name, email):
    """Issue 13: the import looks each organisation up once; what `match` says is unchanged (R-7.7)."""
    lookup = importer.Customers(CUSTOMERS)
    on = date(2026, 3, 1)
    for _ in range(2):  # the second time from what was looked up
        assert match(lookup.of(org, email), org=org, name=name, email=email, on=on) == \
            match(CUSTOMERS, org=org, name=name, email=email, on=on)


def test_an_import_of_many_lines_matches_and_writes_each(cli, desk, tmp_path):
    from supportctl.desk.yamlio import loads

    desk.save_customers(CUSTOMERS[:2])
    rows = [{"subject": f"Сбой {n}", "text": "Не работает: 'совсем'\n\nстрока", "received_at": "2026-03-02T10:00:00+03:00",
             "org": ("ООО «Ромашка»", "АО «Ромашка»", "ООО «Лютик»")[n % 3],
             "contact": {"name": ("Иванов И.", "Петров П.", "Сидоров С.")[n % 3]}} for n in range(9)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = cli("import", str(src))
    assert result.exit_code == 0, result.output
    tickets = {t.id: t for t in desk.iter_tickets()}
    assert len(tickets) == 9
    for n, t in enumerate(tickets.values()):
        assert t.subject == f"Сбой {n}"
        assert (t.verified, t.plan) == ((True, "premium"), (False, None), (False, None))[n % 3]
        path = desk.ticket_path(t.id)
        assert path.read_text(encoding="utf-8") == desk.ticket_text(desk.load_ticket(t.id))  # the writer's layout
        assert loads(path.read_text(encoding="utf-8"), str(path))["id"] == t.id
    assert not [p for p in desk.tickets_dir.iterdir() if p.name.endswith(".tmp")]
    assert not any((desk.state_dir / "undo").iterdir())


def _rows_file(tmp_path, rows, name="in.jsonl"):
    src = tmp_path / name
    src.write_text("".join(json.dumps({"subject": "s", "text": "t", "received_at": "2026-03-02T10:00:00+03:00", **r},
                                      ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return src


def _files(desk):
    return {p.relative_to(desk.root).as_posix(): p.read_bytes()
            for folder in (desk.tickets_dir, desk.journal_dir) for p in sorted(folder.glob("*.yaml"))}


def test_batches_prepared_in_worker_processes_write_what_one_process_writes(cli, desk, tmp_path, monkeypatch):
    """Issue 13: lines are prepared in parallel batches; the files, their IDs and their order are those
    of the one-process import (given IDs kept, the others numbered in input order around them)."""
    from supportctl.desk.desk import Desk

    desk.save_customers(CUSTOMERS[:1])
    rows = [{"subject": f"Сбой {n}", "org": "ООО «Ромашка»" if n % 2 else None,
             **({"id": f"T-{n + 1:04d}"} if n % 4 == 1 else {}), **({"priority": 2, "status": "open"} if n % 3 else {})}
            for n in range(23)]
    src = _rows_file(tmp_path, rows)
    result = cli("import", str(src))  # 23 lines: one batch, prepared in this process
    assert result.exit_code == 0, result.output
    one_process = _files(desk)
    assert len(one_process) == 46
    for path in [*desk.tickets_dir.glob("*.yaml"), *desk.journal_dir.glob("*.yaml")]:
        path.unlink()
    (desk.state_dir / f"seq-{desk.station()}").unlink()
    monkeypatch.setattr(importer, "BATCH", 2)  # 12 batches over the workers
    parallel, real = [], importer._prepare_in_parallel
    monkeypatch.setattr(importer, "_prepare_in_parallel", lambda *a: parallel.append(1) or real(*a))
    result = cli("import", str(src))
    assert result.exit_code == 0, result.output
    assert parallel == ([1] if len(os.sched_getaffinity(0)) > 1 else [])
    assert _files(Desk(desk.root)) == one_process
    tickets = sorted(Desk(desk.root).iter_tickets(), key=lambda t: int(t.subject.split()[1]))
    # the given IDs are T-(line); the others are numbered around them, in input order
    assert [t.id for t in tickets] == [f"T-{n:04d}" for n in range(1, 24)]


@pytest.mark.parametrize("bad,duplicate,reported", [
    (15, 7, 7),  # the ID seen twice comes first, in another batch than the bad line
    (5, 12, 5),  # the bad line comes first; a later batch's error is not the one reported
    (6, 6, 6),
])
def test_the_first_bad_line_is_reported_when_batches_run_in_parallel(cli, desk, tmp_path, monkeypatch,
                                                                      bad, duplicate, reported):
    monkeypatch.setattr(importer, "BATCH", 2)
    rows = [{"subject": f"s{n}"} for n in range(1, 21)]
    rows[2]["id"] = "T-0042"
    rows[duplicate - 1]["id"] = "T-0042"
    rows[bad - 1]["status"] = "done"
    result = cli("import", str(_rows_file(tmp_path, rows)))
    assert result.exit_code == 2
    assert f"in.jsonl:{reported}: " in result.stderr and result.stderr.count("in.jsonl:") == 1
    assert desk.ticket_ids() == [] and list(desk.journal_dir.glob("*.yaml")) == []
    assert list(desk.state_dir.glob("undo/*")) == [] and not (desk.state_dir / f"seq-{desk.station()}").exists()


def test_an_import_from_stdin_reads_it_once(cli, desk):
    lines = "".join(json.dumps({"subject": f"s{n}", "text": "t", "received_at": "2026-03-02T10:00:00+03:00"}) + "\n"
                    for n in range(3))
    result = cli("import", "-", input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 3 tickets: T-0001 … T-0003\n"


@pytest.mark.parametrize("bad", [3, None])
def test_a_bad_line_before_text_that_is_not_utf8_is_reported_first(cli, desk, tmp_path, monkeypatch, bad):
    monkeypatch.setattr(importer, "BATCH", 2)
    # lines long enough that the undecodable one is read well after the bad one (text is read in chunks)
    rows = [{"subject": f"s{n}", "text": "т" * 2000, **({"status": "done"} if n == bad else {})} for n in range(1, 21)]
    src = _rows_file(tmp_path, rows)
    src.write_bytes(src.read_bytes() + b'{"subject": "\xff"}\n')
    result = cli("import", str(src))
    assert result.exit_code == 2
    assert ("in.jsonl:3: unknown status 'done'" if bad else "in.jsonl: not UTF-8 text") in result.stderr
    assert desk.ticket_ids() == []


def test_new_ids_skip_every_id_whose_file_the_listing_found(cli, desk, tmp_path, monkeypatch):
    """Issue 13: an import allocates its IDs from the listing of tickets/ and journal/ made under its lock
    (no lookup of each candidate's files): a ticket's ID, an orphan journal's and a dangling link's are skipped."""
    from pathlib import Path

    assert cli("new", "--subject", "s", "--text", "t", "--channel", "portal").exit_code == 0  # T-0001
    (desk.state_dir / f"seq-{desk.station()}").write_text("0\n", encoding="utf-8")  # numbering starts over
    desk.journal_path("T-0002").write_text("", encoding="utf-8")
    desk.ticket_path("T-0003").symlink_to(tmp_path / "nowhere.yaml")
    looked_up = []
    real = Path.exists
    monkeypatch.setattr(Path, "exists", lambda p, *a: looked_up.append(p.name) or real(p, *a))
    result = cli("import", str(_rows_file(tmp_path, [{}, {}])))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "imported 2 tickets: T-0004 … T-0005"
    assert not {"T-0004.yaml", "T-0005.yaml"} & set(looked_up)
