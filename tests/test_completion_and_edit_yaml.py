"""Issue 12: `edit ID` opening the editor on a YAML form of the editable fields, and shell completion
(bash, zsh, fish) of ticket IDs, statuses, hold reasons, templates and customers."""

from __future__ import annotations

import json
import re
import shlex
import sys
import tempfile
from pathlib import Path

import pytest

from supportctl.cli import edit_form
from supportctl.cli import editor as editor_module
from tests.conftest import add_barrier


def _new(cli, subject="Не работет АБС", text="Не открывается АБС с утра.\nОшибка 42.") -> str:
    result = cli("new", "--subject", subject, "--text", text, "--email", "smirnova@barrier.ru",
                 "--contact", "Смирнова Ольга Петровна", "--channel", "phone")
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def _shown(cli, tid):
    return json.loads(cli("show", tid, "--json").stdout)


def _edited(cli, tid):
    return [e for e in json.loads(cli("journal", tid, "--json").stdout) if e["kind"] == "edited"]


@pytest.fixture
def editor(tmp_path, monkeypatch):
    """editor(code) → sets $EDITOR to a Python script that saves what it was shown to shown.txt and
    then runs ``code`` with ``text`` (the file's content) and ``path`` in scope; temp files go to tmp_path."""
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def make(code: str) -> Path:
        shown = tmp_path / "shown.txt"
        script = tmp_path / "fake_editor.py"
        script.write_text(
            "import sys, subprocess\nfrom pathlib import Path\n"
            "path = Path(sys.argv[-1])\ntext = path.read_text(encoding='utf-8')\n"
            f"Path({str(shown)!r}).write_text(text, encoding='utf-8')\n" + code + "\n", encoding="utf-8")
        monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
        return shown

    return make


def _kept(stderr: str) -> Path:
    return Path(re.search(r"kept in (\S+\.yaml)", stderr).group(1))


# -- the form -------------------------------------------------------------------------------------


def test_edit_e_shows_the_editable_fields_as_yaml_and_applies_what_changed(cli, editor):
    """Issue 12: `edit ID -e` opens the editor on a YAML of the editable fields; each change is one
    journal entry; status, priority and timestamps are not in the form; a phone of digits stays text."""
    add_barrier(cli)
    tid = _new(cli)
    shown = editor("path.write_text(text.replace('работет', 'работает').replace('  phone: +7 495 123-45-67', "
                   "'  phone: 84951234567'), encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 0, result.output
    form = shown.read_text(encoding="utf-8")
    assert form.startswith("subject: Не работет АБС\ntext: |-\n  Не открывается АБС с утра.\n  Ошибка 42.\n")
    assert "\ncontact:\n  name: Смирнова Ольга Петровна\n" in form
    assert not re.search(r"^(status|priority|received|due):", form, re.M)
    assert f"# {tid}: Не работет АБС" in form  # the ticket shown as comments, as for `note -e`
    t = _shown(cli, tid)
    assert t["subject"] == "Не работает АБС" and t["contact"]["phone"] == "84951234567"
    assert [e["data"]["field"] for e in _edited(cli, tid)] == ["subject", "contact.phone"]
    assert result.stdout.strip() == f"{tid}: edited: subject, contact.phone"


def test_no_field_option_on_a_terminal_opens_the_editor(cli, editor, monkeypatch):
    """Issue 12: with no field option and a terminal, `edit ID` opens the editor."""
    tid = _new(cli)
    monkeypatch.setattr(editor_module, "stdin_is_terminal", lambda: True)
    editor("path.write_text(text.replace('product:', 'product: АБС', 1), encoding='utf-8')")
    result = cli("edit", tid)
    assert result.exit_code == 0, result.output
    assert _shown(cli, tid)["product"] == "АБС"


def test_edit_e_with_a_field_option_starts_from_it(cli, editor):
    """Issue 12: `--edit` with a field option starts the editor from that value."""
    tid = _new(cli)
    shown = editor("pass")  # saved as shown: the option's value is the change
    result = cli("edit", tid, "-e", "--category", "functional")
    assert result.exit_code == 0, result.output
    assert "\ncategory: functional\n" in shown.read_text(encoding="utf-8")
    assert _shown(cli, tid)["category"] == "functional"


def test_an_empty_value_clears_and_a_left_out_field_stays(cli, editor):
    tid = _new(cli)
    editor("import re\npath.write_text(re.sub(r'(?m)^  name: .*$', '  name:', text)"
           ".replace('subject: Не работет АБС\\n', ''), encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 0, result.output
    t = _shown(cli, tid)
    assert t["contact"]["name"] is None and t["subject"] == "Не работет АБС"


def test_unchanged_form_does_nothing_exit_1_as_git_with_an_unedited_message(cli, editor, tmp_path):
    tid = _new(cli)
    editor("pass")
    ticket_file = next((tmp_path / "desk" / "tickets").glob("*.yaml"))
    before = ticket_file.read_bytes()
    result = cli("edit", tid, "-e")
    assert result.exit_code == 1
    assert result.stderr == "supportctl: nothing changed, nothing done\n"
    assert _edited(cli, tid) == [] and ticket_file.read_bytes() == before
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing to keep


def test_empty_form_aborts_exit_1(cli, editor, tmp_path):
    """Issue 12: an empty result aborts with exit 1 `supportctl: nothing written, nothing done`."""
    tid = _new(cli)
    editor("path.write_text('\\n'.join(l for l in text.split('\\n') if l.startswith('#')), encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 1
    assert result.stderr == "supportctl: nothing written, nothing done\n"
    assert _edited(cli, tid) == [] and list((tmp_path / "tmp").iterdir()) == []


def test_editor_failing_does_nothing(cli, editor, tmp_path):
    tid = _new(cli)
    editor("path.write_text('subject: other\\n', encoding='utf-8'); sys.exit(3)")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 1 and "exited with status 3; nothing done" in result.stderr
    assert _shown(cli, tid)["subject"] == "Не работет АБС" and list((tmp_path / "tmp").iterdir()) == []


def test_unknown_key_exits_2_naming_the_line_and_keeps_the_form(cli, editor):
    """Issue 12: an unknown key → exit 2 naming the line, nothing written; the form is kept and
    `edit ID -e --yaml-file KEPT` goes on from it."""
    tid = _new(cli)
    editor("path.write_text(text.replace('работет', 'работает').replace('product:', 'status: closed\\nproduct:'),"
           " encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("supportctl: line 6 of the edited form: unknown key 'status'; editable here: subject, ")
    assert "\n" not in line and f"(go on from it: supportctl edit {tid} -e --yaml-file " in line
    t = _shown(cli, tid)
    assert t["subject"] == "Не работет АБС" and t["status"] == "new" and _edited(cli, tid) == []
    kept = _kept(result.stderr)
    assert "subject: Не работает АБС\n" in kept.read_text(encoding="utf-8")
    shown = editor("path.write_text(text.replace('status: closed\\n', ''), encoding='utf-8')")
    again = cli("edit", tid, "-e", "--yaml-file", str(kept))
    assert again.exit_code == 0, again.output
    assert shown.read_text(encoding="utf-8").count("# Correct the fields") == 1  # comments not doubled
    assert _shown(cli, tid)["subject"] == "Не работает АБС"
    assert not kept.exists() or kept.read_text(encoding="utf-8")  # the kept file is the user's to remove


@pytest.mark.parametrize("form, line, what", [
    ("subject: [unclosed\n", 2, "not YAML"),
    ("subject: a\ntext: b\n  - c: d\n", 3, "not YAML"),
    ("- subject\n", 1, "expected 'key: value' lines"),
    ("contact: Смирнова\n", 1, "contact: expected 'key: value' lines"),
    ("subject: a\nsubject: b\n", 2, "'subject' is given twice"),
    ("contact:\n  role: boss\n", 2, "unknown key 'contact.role'"),
    ("text:\n  nested: map\n", 2, "text: expected one value"),
])
def test_bad_forms_name_their_line(form, line, what):
    from supportctl.domain.lifecycle import EDITABLE

    with pytest.raises(edit_form.FormError) as err:
        edit_form.parse_form(form, EDITABLE)
    assert err.value.line == line and what in str(err.value)


def test_form_round_trip_keeps_values_as_written():
    from supportctl.domain.lifecycle import EDITABLE

    values = {"subject": "123", "text": "a\n  b\n\nc", "category": None, "product": "yes",
              "contact.name": "Иванов: И. И.", "contact.position": "# not a comment", "contact.phone": "+7 1",
              "contact.email": "null"}
    assert edit_form.parse_form(edit_form.form_text(values), EDITABLE) == values
    assert edit_form.changed(values, {**values, "category": "  ", "subject": " 123 "}) == {}


def test_invalid_value_after_the_editor_keeps_the_form(cli, editor):
    tid = _new(cli)
    editor("path.write_text(text.replace('smirnova@barrier.ru', 'smirnova'), encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 2 and "invalid e-mail 'smirnova'" in result.stderr
    assert "  email: smirnova\n" in _kept(result.stderr).read_text(encoding="utf-8")
    assert _shown(cli, tid)["contact"]["email"] == "smirnova@barrier.ru"


def test_a_change_made_while_the_editor_is_open_is_not_undone(cli, editor, desk):
    """Only the fields changed in the form are applied: another edit meanwhile stays."""
    tid = _new(cli)
    other = [sys.executable, "-m", "supportctl", "--desk", str(desk.root), "edit", tid, "--product", "АБС"]
    editor(f"subprocess.run({other!r}, check=True, env={{**__import__('os').environ, "
           "'SUPPORTCTL_NOW': '2025-12-01T10:00:00+03:00'})\n"
           "path.write_text(text.replace('работет', 'работает'), encoding='utf-8')")
    result = cli("edit", tid, "-e")
    assert result.exit_code == 0, result.output
    t = _shown(cli, tid)
    assert t["subject"] == "Не работает АБС" and t["product"] == "АБС"


def test_yaml_file_without_the_editor(cli, tmp_path):
    tid = _new(cli)
    f = tmp_path / "form.yaml"
    f.write_text("# a comment\nproduct: АБС\ncontact:\n  position: Главный бухгалтер\n", encoding="utf-8")
    result = cli("edit", tid, "--yaml-file", str(f))
    assert result.exit_code == 0, result.output
    assert [e["data"]["field"] for e in _edited(cli, tid)] == ["product", "contact.position"]
    f.write_text("product: АБС\npriority: 1\n", encoding="utf-8")
    bad = cli("edit", tid, "--yaml-file", str(f))
    assert bad.exit_code == 2 and bad.stderr.startswith(f"supportctl: {f} line 2: unknown key 'priority'")


def test_without_options_and_terminal_it_still_says_nothing_to_edit(cli):
    tid = _new(cli)
    result = cli("edit", tid)
    assert result.exit_code == 2 and "nothing to edit" in result.stderr
