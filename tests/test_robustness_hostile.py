"""Hostile input: every case is one clear error line (exit 2) or handled; never a traceback,
never a write outside the desk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.services.check import check_desk

NOW = "2025-12-01T10:00:00+03:00"


def _tree(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its size (the desk's own state folder aside)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            out[str(p)] = p.stat().st_size
    return out


@pytest.fixture
def run(desk):
    def invoke(*args: str, input: str | None = None):
        env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
        result = CliRunner().invoke(app, list(args), env=env, input=input)
        # a SupportError becomes one stderr line and exit 2; anything else would be a bug
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result
    return invoke


@pytest.fixture
def one(run):
    return run("new", "--subject", "Сбой", "--text", "Не запускается", "--channel", "portal").output.split()[-1]


@pytest.mark.parametrize("bad_id", [
    "../../etc/passwd", "../T-0001", "/etc/passwd", "/tmp/T-0001", "T-0001\x00", "T-0001/../../x",
    "T-00001" + "1" * 20, "..", "", "T-0001 ; rm -rf /",
])
@pytest.mark.parametrize("command", [
    ("show",), ("journal",), ("note", "{id}", "текст"), ("assign", "{id}", "Петров"),
    ("register", "{id}", "--priority", "2"), ("reopen", "{id}", "--reason", "r"),
])
def test_ids_with_paths_or_nul_are_refused_before_any_file_is_touched(desk, run, one, tmp_path, bad_id, command):
    before = _tree(tmp_path)
    args = [a.replace("{id}", bad_id) for a in command] if "{id}" in command else [*command, bad_id]
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.count("\n") <= 2 and "supportctl:" in result.output
    after = _tree(tmp_path)
    changed = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert all(Path(p).is_relative_to(desk.state_dir) for p in changed)  # the index at most


def test_related_ids_and_link_targets_are_validated_too(desk, run, one):
    assert run("new", "--subject", "s", "--text", "t", "--channel", "portal", "--related", "../x").exit_code == 2
    assert run("link", one, "/etc/passwd").exit_code == 2
    assert desk.ticket_ids() == [one]


def test_yaml_with_python_tags_is_never_executed(desk, run, one, tmp_path):
    marker = tmp_path / "pwned"
    path = desk.ticket_path(one)
    path.write_text(path.read_text(encoding="utf-8")
                    + f'evil: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    shown = run("show", one)
    assert shown.exit_code == 2 and "broken YAML" in shown.output
    listed = run("list")
    assert listed.exit_code == 0 and f"skipped {path}" in listed.output
    assert not marker.exists()
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + f'x: !!python/object/new:os.system ["touch {marker}"]\n',
                   encoding="utf-8")
    assert run("list").exit_code == 2
    assert not marker.exists()


def test_invalid_utf8_in_desk_files_is_a_clear_error(desk, run, one):
    ticket = desk.ticket_path(one)
    good = ticket.read_bytes()
    ticket.write_bytes(good.replace("Сбой".encode(), b"\xff\xfe\xc3\x28"))
    shown = run("show", one)
    assert shown.exit_code == 2 and "not UTF-8" in shown.output
    assert "not UTF-8" in run("list").output
    ticket.write_bytes(good)
    journal = desk.journal_path(one)
    journal.write_bytes(journal.read_bytes() + b"- {\"at\": \"\xff\xfe\"}\n")
    shown = run("journal", one)
    assert shown.exit_code == 0 and "warning" in shown.output
    assert any("line 2" in str(p) for p in check_desk(desk))
    (desk.root / "customers.yaml").write_bytes(b"customers:\n- org: \xff\n")
    result = run("new", "--subject", "s", "--text", "t", "--channel", "portal")
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_a_text_file_that_is_not_utf8_is_refused(desk, run, tmp_path):
    bad = tmp_path / "letter.txt"
    bad.write_bytes(b"\xcf\xf0\xe8\xe2\xe5\xf2")  # cp1251
    result = run("new", "--subject", "s", "--text-file", str(bad), "--channel", "portal")
    assert result.exit_code == 2 and "UTF-8" in result.output
    assert desk.ticket_ids() == []


def test_ten_megabyte_texts_are_stored_shown_and_listed(desk, run, tmp_path):
    big = "Журнал ошибок: сбой модуля 0x80070005.\n" * 260_000  # ~10 MB of UTF-8
    text_file = tmp_path / "big.txt"
    text_file.write_text(big, encoding="utf-8")
    assert len(big.encode()) > 10_000_000
    tid = run("new", "--subject", "Большой лог", "--text-file", str(text_file), "--channel", "portal").output.split()[-1]
    assert run("note", tid, input=big).exit_code == 0
    assert desk.load_ticket(tid).text == big.rstrip()  # a text's trailing newline is dropped (issue 10)
    assert run("list").output.count(tid) == 1
    assert run("list").output.count(tid) == 1  # from the index
    assert len(run("show", tid, "--json").output) > 20_000_000
    assert check_desk(desk) == []


def test_nul_and_control_characters_in_texts_round_trip(desk, run):
    text = "строка\x00с нулём\x07\x1b[31mкрасный\x1b[0m\u2028конец"
    assert run("new", "--subject", "s\x00", "--text", text, "--channel", "portal").exit_code == 2  # one line (issue 10)
    tid = run("new", "--subject", "s", "--text", text, "--channel", "portal")
    assert tid.exit_code == 0
    ticket = desk.load_ticket(tid.output.split()[-1])
    assert ticket.text == text and ticket.subject == "s"


def test_a_ticket_file_deleted_behind_the_index_is_not_a_traceback(desk, run, one):
    assert one in run("list").output  # indexed
    desk.ticket_path(one).unlink()
    assert one not in run("list").output
    for args in (("show", one), ("note", one, "x"), ("complete", one, "done")):
        result = run(*args)
        assert result.exit_code == 2 and f"no ticket {one}" in result.output
    assert not desk.ticket_path(one).exists()
