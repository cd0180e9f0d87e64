"""Issue 12: replies from templates (R-7.8, canned responses) and composing in $VISUAL/$EDITOR."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from supportctl.domain import reply_templates as rt
from supportctl.errors import InvalidValue
from tests.conftest import add_barrier

REPO = Path(__file__).resolve().parent.parent


def new_ticket(cli) -> str:
    r = cli("new", "--subject", "Не запускается АРМ", "--text", "После обновления АРМ не стартует.",
            "--org", "АКБ «Барьер»", "--contact", "Смирнова Ольга Петровна", "--force")  # alike on purpose (IS-1)
    assert r.exit_code == 0, r.output
    return r.stdout.strip()


def journal_texts(desk, tid: str, kind: str) -> list[str]:
    entries, _ = desk.read_journal(tid)
    return [e.text for e in entries if e.kind == kind]


def write_template(desk, name: str, text: str) -> None:
    folder = desk.root / "replies"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def editor_script(tmp_path, monkeypatch):
    """make(writes) → sets $EDITOR to a Python script that saves what it was shown to shown.txt, then
    replaces the file with ``writes`` (None: leaves it as it was, like quitting without a change)."""
    monkeypatch.delenv("VISUAL", raising=False)

    def make(writes: str | None, *, args: str = "", exit_code: int = 0) -> Path:
        shown = tmp_path / "shown.txt"
        script = tmp_path / "fake_editor.py"
        script.write_text(
            "import sys\n"
            "from pathlib import Path\n"
            f"path = Path(sys.argv[-1])\n"
            f"Path({str(shown)!r}).write_text(path.read_text(encoding='utf-8') + '\\nARGS ' + repr(sys.argv[1:-1]), "
            "encoding='utf-8')\n"
            f"writes = {writes!r}\n"
            "if writes is not None:\n"
            "    path.write_text(writes, encoding='utf-8')\n"
            f"sys.exit({exit_code})\n", encoding="utf-8")
        monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {args}".strip())
        return shown

    return make


# -- templates: pure filling ------------------------------------------------------------------


def test_fill_replaces_placeholders_and_keeps_doubled_braces_R_7_8():
    values = {p: p.upper() for p in rt.PLACEHOLDERS}
    assert rt.fill("{first_name}, заявка {id}: {{не поле}} }}", values) == "FIRST_NAME, заявка ID: {не поле} }"


def test_fill_names_every_unknown_placeholder_issue_12():
    values = {p: "" for p in rt.PLACEHOLDERS}
    with pytest.raises(InvalidValue) as caught:
        rt.fill("{name} и {ticket} и {name}", values)
    assert "{name}, {ticket}" in str(caught.value) and "{first_name}" in str(caught.value)


def test_fill_refuses_a_lone_brace_and_format_tricks():
    values = {p: "x" for p in rt.PLACEHOLDERS}
    with pytest.raises(InvalidValue, match="line 2"):
        rt.fill("строка\n{ без пары", values)
    with pytest.raises(InvalidValue, match="unknown"):
        rt.fill("{id.__class__}", values)
    with pytest.raises(InvalidValue, match="unknown"):
        rt.fill("{id!r}", values)


@pytest.mark.parametrize("name", ["../secret", "a/b", "..", ".hidden", "", "a\\b", "x" * 200])
def test_template_names_are_file_names_of_replies_only(name):
    with pytest.raises(InvalidValue):
        rt.validate_name(name)


def test_addressed_name_is_name_and_patronymic_as_the_notifications_greet():
    from supportctl.mail.texts import greeting

    assert rt.addressed_name("Смирнова Ольга Петровна") == "Ольга Петровна"
    assert rt.addressed_name("О. П. Смирнова") is None
    assert greeting("Смирнова Ольга Петровна") == "Здравствуйте, Ольга Петровна!"


# -- templates: the CLI ------------------------------------------------------------------------


def test_reply_from_template_fills_it_for_the_ticket_R_7_8(cli, desk):
    add_barrier(cli)
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "2", "--assignee", "Рудаков А.", now="2025-12-01T11:00:00+03:00")
    write_template(desk, "restart", "# Перезапуск\nЗдравствуйте, {first_name}!\n"
                                    "{id} «{subject}» ({org}, {contact}), приоритет {priority}, срок {due}, "
                                    "{assignee}.\n{me}\n")
    r = cli("reply", tid, "--template", "restart", "--spent", "30m", user="Петров П.",
            now="2025-12-01T12:00:00+03:00")
    assert r.exit_code == 0, r.output
    assert journal_texts(desk, tid, "reply") == [
        "Здравствуйте, Ольга Петровна!\nT-0001 «Не запускается АРМ» (АКБ «Барьер», Смирнова Ольга Петровна), "
        "приоритет 2, срок 01.12.2025 18:00, Рудаков А..\nПетров П."]


def test_template_with_an_unknown_placeholder_is_exit_2_and_nothing_journaled(cli, desk):
    add_barrier(cli)
    tid = new_ticket(cli)
    write_template(desk, "bad", "Здравствуйте, {имя}! {id}\n")
    r = cli("reply", tid, "--template", "bad")
    assert r.exit_code == 2
    assert "{имя}" in r.stderr and r.stderr.count("\n") == 1
    assert journal_texts(desk, tid, "reply") == []


def test_template_name_outside_replies_and_missing_template_are_refused(cli, desk, tmp_path):
    add_barrier(cli)
    tid = new_ticket(cli)
    (desk.root / "secret.md").write_text("не для клиента", encoding="utf-8")
    write_template(desk, "need-logs", "Пришлите журналы по {id}")
    r = cli("reply", tid, "--template", "../secret")
    assert r.exit_code == 2 and "invalid template name" in r.stderr
    r = cli("reply", tid, "--template", "nope")
    assert r.exit_code == 2 and "need-logs" in r.stderr
    (desk.root / "replies" / "link.md").symlink_to(desk.root / "secret.md")
    r = cli("reply", tid, "--template", "link")
    assert r.exit_code == 2 and "symbolic link" in r.stderr
    r = cli("reply", tid, "текст", "--template", "need-logs")
    assert r.exit_code == 2
    assert journal_texts(desk, tid, "reply") == []


def test_replies_lists_templates_with_their_first_line(cli, desk):
    write_template(desk, "b-second", "Без заголовка: первая строка\nвторая")
    write_template(desk, "a-first", "# Перезапуск службы\nЗдравствуйте!")
    (desk.root / "replies" / "notes.txt").write_text("не шаблон", encoding="utf-8")
    (desk.root / "replies" / "broken.md").write_bytes(b"\xff\xfe not utf-8")
    r = cli("replies")
    assert r.exit_code == 0
    assert r.stdout == "a-first   Перезапуск службы\nb-second  Без заголовка: первая строка\n"
    assert "broken.md" in r.stderr and "UTF-8" in r.stderr
    data = json.loads(cli("replies", "--json").stdout)
    assert [(t["name"], t["title"], t["problem"] is None) for t in data] == [
        ("a-first", "Перезапуск службы", True), ("b-second", "Без заголовка: первая строка", True),
        ("broken", "", False)]


def test_replies_without_templates_says_so_on_stderr(cli, desk):
    r = cli("replies")
    assert r.exit_code == 0 and r.stdout == "" and "no reply templates" in r.stderr and "replies/" in r.stderr
    assert json.loads(cli("replies", "--json").stdout) == []


def test_the_sample_desk_has_three_russian_templates_that_fill():
    from supportctl.domain.reply_templates import PLACEHOLDERS, fill, split_title

    files = sorted((REPO / "replies").glob("*.md"))
    assert len(files) >= 3
    for f in files:
        title, body = split_title(f.read_text(encoding="utf-8"))
        assert title and any("а" <= c <= "я" for c in title.lower())
        fill(body, {p: "x" for p in PLACEHOLDERS})  # no unknown placeholder


# -- the editor --------------------------------------------------------------------------------


def test_editor_text_is_journaled_without_comment_lines(cli, desk, editor_script):
    add_barrier(cli)
    tid = new_ticket(cli)
    cli("note", tid, "первая заметка")
    shown = editor_script("# мой комментарий\nСняли дамп,\nразбираем.\n\n# ещё\n")
    r = cli("note", tid, "--edit")
    assert r.exit_code == 0, r.output
    assert journal_texts(desk, tid, "note")[-1] == "Сняли дамп,\nразбираем."
    seen = shown.read_text(encoding="utf-8")
    # the comments show the ticket: subject, contact, status, deadline, the last journal entries
    for part in ("# T-0001: Не запускается АРМ", "# Contact: Смирнова Ольга Петровна", "# Status: new",
                 "# Deadline:", "первая заметка"):
        assert part in seen


def test_the_editor_shows_the_last_three_journal_entries_only(cli, desk, editor_script):
    add_barrier(cli)
    tid = new_ticket(cli)  # its first entry: received
    for n in (1, 2, 3):
        cli("note", tid, f"заметка номер {n}")
    shown = editor_script("ещё одна")
    assert cli("note", tid, "-e").exit_code == 0
    seen = shown.read_text(encoding="utf-8")
    listed = [line for line in seen.splitlines() if line.startswith("#   ")]
    assert len(listed) == 3 and all("заметка номер" in line for line in listed), listed
    assert "(Рудаков А., received)" not in seen


def test_empty_editor_result_aborts_with_exit_1_and_nothing_journaled(cli, desk, editor_script):
    add_barrier(cli)
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "3")
    before = (desk.root / "journal" / f"{tid}.yaml").read_bytes()
    editor_script(None)  # only the comments are there: nothing written
    for args in (("note", tid, "-e"), ("reply", tid, "--edit"), ("complete", tid, "--edit"),
                 ("hold", tid, "--reason", "need-info", "--edit")):
        r = cli(*args)
        assert r.exit_code == 1, (args, r.output)
        assert r.stderr == "supportctl: nothing written, nothing done\n"
    assert (desk.root / "journal" / f"{tid}.yaml").read_bytes() == before
    r = cli("new", "--subject", "Тема", "--org", "АКБ «Барьер»", "--contact", "Смирнова Ольга Петровна", "-e")
    assert r.exit_code == 1 and not (desk.root / "tickets" / "T-0002.yaml").exists()


def test_editor_failing_aborts_with_exit_1(cli, desk, editor_script):
    add_barrier(cli)
    tid = new_ticket(cli)
    editor_script("текст", exit_code=3)
    r = cli("note", tid, "--edit")
    assert r.exit_code == 1 and "exited with status 3" in r.stderr
    assert journal_texts(desk, tid, "note") == []


def test_editor_command_with_arguments_and_visual_first(cli, desk, editor_script, monkeypatch, tmp_path):
    add_barrier(cli)
    tid = new_ticket(cli)
    shown = editor_script("Ответ из редактора", args="--wait --new-window")
    r = cli("reply", tid, "-e", "--spent", "30m")
    assert r.exit_code == 0, r.output
    assert "ARGS ['--wait', '--new-window']" in shown.read_text(encoding="utf-8")
    assert journal_texts(desk, tid, "reply") == ["Ответ из редактора"]
    # $VISUAL comes before $EDITOR (git's order)
    monkeypatch.setenv("VISUAL", os.environ["EDITOR"] + " --visual")
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    assert cli("note", tid, "-e").exit_code == 0
    assert "--visual" in shown.read_text(encoding="utf-8")


def test_without_visual_or_editor_vi_is_opened_as_git_does(cli, desk, monkeypatch, tmp_path):
    """git's order ends in vi: with $VISUAL and $EDITOR unset (or empty), `vi` found on PATH is run."""
    add_barrier(cli)
    tid = new_ticket(cli)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    vi = bin_dir / "vi"
    vi.write_text('#!/bin/sh\nprintf "Написано в vi\\n" > "$1"\n', encoding="utf-8")
    vi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("VISUAL", "  ")
    r = cli("note", tid, "-e")
    assert r.exit_code == 0, r.output
    assert journal_texts(desk, tid, "note") == ["Написано в vi"]


def test_missing_editor_is_one_line_exit_2(cli, desk, monkeypatch):
    add_barrier(cli)
    tid = new_ticket(cli)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --wait")
    r = cli("note", tid, "--edit")
    assert r.exit_code == 2 and "cannot start the editor" in r.stderr and r.stderr.count("\n") == 1


def test_edit_starts_from_the_given_text_and_the_filled_template(cli, desk, editor_script):
    add_barrier(cli)
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "3")
    shown = editor_script("Исправленный текст")
    assert cli("complete", tid, "Черновик ответа", "--edit").exit_code == 0
    assert shown.read_text(encoding="utf-8").startswith("Черновик ответа\n")
    journal = (desk.root / "journal" / f"{tid}.yaml").read_text(encoding="utf-8")
    assert "Исправленный текст" in journal and "Черновик" not in journal
    tid2 = new_ticket(cli)
    write_template(desk, "need-logs", "# Журналы\nПришлите журналы по {id}.")
    shown = editor_script(None)  # saved as it was: the filled template without the comments
    r = cli("reply", tid2, "--template", "need-logs", "--edit")
    assert r.exit_code == 0, r.output
    assert shown.read_text(encoding="utf-8").startswith(f"Пришлите журналы по {tid2}.\n")
    assert journal_texts(desk, tid2, "reply") == [f"Пришлите журналы по {tid2}."]


def test_no_text_on_a_terminal_opens_the_editor(cli, desk, editor_script, monkeypatch):
    from supportctl.cli import editor

    add_barrier(cli)
    tid = new_ticket(cli)
    cli("register", tid, "--priority", "3")
    editor_script("Ждём журналы сервера")
    monkeypatch.setattr(editor, "stdin_is_terminal", lambda: True)
    r = cli("hold", tid, "--reason", "need-info")
    assert r.exit_code == 0, r.output
    assert "Ждём журналы сервера" in (desk.root / "journal" / f"{tid}.yaml").read_text(encoding="utf-8")
    editor_script("Текст новой заявки")
    r = cli("new", "--subject", "Тема", "--org", "АКБ «Барьер»", "--contact", "Смирнова Ольга Петровна")
    assert r.exit_code == 0, r.output
    assert "Текст новой заявки" in (desk.root / "tickets" / f"{r.stdout.strip()}.yaml").read_text(encoding="utf-8")


def test_piped_text_never_opens_the_editor(cli, desk, monkeypatch):
    add_barrier(cli)
    tid = new_ticket(cli)
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    assert cli("note", tid, input="из канала\n").exit_code == 0
    assert journal_texts(desk, tid, "note") == ["из канала"]


def test_a_refused_move_is_refused_before_the_editor_opens(cli, desk, editor_script):
    """Nobody writes a long answer only to learn that the ticket cannot take it."""
    add_barrier(cli)
    tid = new_ticket(cli)  # new: not yet registered
    shown = editor_script("Длинный ответ")
    for args in (("complete", tid, "-e"), ("hold", tid, "--reason", "need-info", "-e"),
                 ("reply", tid, "-e", "--via", "pigeon")):
        r = cli(*args)
        assert r.exit_code == 2, (args, r.output)
    assert not shown.exists()
