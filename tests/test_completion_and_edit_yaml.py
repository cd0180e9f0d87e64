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


# -- shell completion ------------------------------------------------------------------------------

SUPPORTCTL = str(Path(sys.executable).parent / "supportctl")  # the installed entry point, as the shell runs it


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None):
    import os
    import subprocess

    base = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTCTL", "_SUPPORTCTL", "COMP_"))}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env={**base, **env}, cwd=cwd)


def _complete_bash(desk_root, line: str, **env):
    """What typer's bash function asks: COMP_WORDS and COMP_CWORD (the last word, '' after a space)."""
    words = line.split(" ")
    result = _run([SUPPORTCTL], {"_SUPPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": line,
                                 "COMP_CWORD": str(len(words) - 1), "SUPPORTCTL_DESK": str(desk_root), **env})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]  # no candidates: one empty line


@pytest.fixture
def filled(desk, cli):
    """A desk with tickets T-0001..T-0012, customers, a reply template and a team."""
    add_barrier(cli)
    cli("customer", "add", "ООО Ромашка", "--contract", "2", "--from", "2016-01-01", "--to", "2030-12-31")
    for n in range(12):
        assert cli("new", "--subject", f"s{n}", "--text", "t", "--channel", "phone").exit_code == 0
    (desk.root / "replies").mkdir()
    (desk.root / "replies" / "restart-service.md").write_text("# Перезапуск\nТекст\n", encoding="utf-8")
    cfg = desk.root / "supportctl.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + '\nteam:\n  "Рудаков А.": {email: r@x.ru}\n', encoding="utf-8")
    return desk


@pytest.mark.parametrize("shell, marks", [
    ("bash", ["_SUPPORTCTL_COMPLETE=complete_bash", "complete -o default -F _supportctl_completion supportctl"]),
    ("zsh", ["#compdef supportctl", "_SUPPORTCTL_COMPLETE=complete_zsh", "compdef _supportctl_completion supportctl"]),
    ("fish", ["complete --command supportctl", "_SUPPORTCTL_COMPLETE=complete_fish"]),
])
def test_completion_prints_the_script_of_each_shell(shell, marks):
    """Issue 12: completion scripts for bash, zsh and fish."""
    result = _run([SUPPORTCTL, "completion", shell], {})
    assert result.returncode == 0, result.stderr
    assert all(m in result.stdout for m in marks)
    assert _run([SUPPORTCTL, "completion"], {"SHELL": f"/usr/bin/{shell}"}).stdout == result.stdout


def test_completion_of_an_unknown_shell_exits_2_in_one_line():
    result = _run([SUPPORTCTL, "completion", "tcsh"], {})
    assert result.returncode == 2
    assert result.stderr == "supportctl: no completion for the shell 'tcsh' (give one of: bash, zsh, fish)\n"


def test_bash_completes_ticket_ids_by_prefix_any_case_and_unpadded(filled):
    """Issue 12: ticket IDs complete, also from an unpadded number (T-3, 3 → T-0003), as `show 3` resolves."""
    assert _complete_bash(filled.root, "supportctl show T-000") == [f"T-000{n}" for n in range(1, 10)]
    assert _complete_bash(filled.root, "supportctl show t-001") == ["T-0010", "T-0011", "T-0012"]
    assert _complete_bash(filled.root, "supportctl show 3") == ["T-0003"]
    assert _complete_bash(filled.root, "supportctl register T-12") == ["T-0012"]
    assert _complete_bash(filled.root, "supportctl link T-0001 T-0002") == ["T-0002"]  # OTHER too
    assert _complete_bash(filled.root, "supportctl show 99") == []
    assert len(_complete_bash(filled.root, "supportctl show ")) == 12


def test_bash_completes_statuses_hold_reasons_templates_customers_and_team(filled):
    root = filled.root
    assert _complete_bash(root, "supportctl list --status ") == ["new", "open", "waiting", "completed", "closed",
                                                               "active"]
    assert _complete_bash(root, "supportctl list --status c") == ["completed", "closed"]
    assert "need-info" in _complete_bash(root, "supportctl hold T-0001 --reason ")
    assert _complete_bash(root, "supportctl hold T-0001 --reason cu") == ["customer-delay"]
    assert _complete_bash(root, "supportctl reopen T-0001 --reason ") == []  # a free text there
    assert _complete_bash(root, "supportctl reply T-0001 --template r") == ["restart-service"]
    # bash inserts a candidate as it is: spaces and quotes of an organisation are escaped
    assert _complete_bash(root, "supportctl list --org ") == ["АКБ\\ «Барьер»", "ООО\\ Ромашка"]
    assert _complete_bash(root, "supportctl customer show о") == ["ООО\\ Ромашка"]
    assert _complete_bash(root, "supportctl customer contact add о") == ["ООО\\ Ромашка"]
    assert _complete_bash(root, "supportctl customer add о") == []  # a new customer's name
    assert _complete_bash(root, "supportctl completion ") == ["bash", "zsh", "fish"]
    assert _complete_bash(root, "supportctl list --assignee ") == ["Рудаков\\ А."]
    assert "show" in _complete_bash(root, "supportctl sh")  # commands, as typer does


def test_zsh_and_fish_get_ids_with_their_status_from_the_index(filled, cli):
    assert cli("register", "T-0011", "--priority", "2").exit_code == 0
    assert cli("list").exit_code == 0  # builds the index
    env = {"SUPPORTCTL_DESK": str(filled.root), "_TYPER_COMPLETE_ARGS": "supportctl show T-001"}
    fish = _run([SUPPORTCTL], {**env, "_SUPPORTCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args"})
    assert fish.stdout.splitlines() == ["T-0010\tnew", "T-0011\topen", "T-0012\tnew"]
    zsh = _run([SUPPORTCTL], {**env, "_SUPPORTCTL_COMPLETE": "complete_zsh"})
    assert zsh.stdout.strip() == "_arguments '*: :((\"T-0010\":\"new\"\n\"T-0011\":\"open\"\n\"T-0012\":\"new\"))'"


def test_completion_only_looks_it_never_writes_or_locks(filled, cli):
    """A completion neither builds nor updates the index, nor takes the lock, nor writes anything."""
    def snapshot():
        return sorted((str(p.relative_to(filled.root)), p.stat().st_mtime_ns, p.stat().st_size)
                      for p in filled.root.rglob("*"))

    before = snapshot()
    assert _complete_bash(filled.root, "supportctl show T-") and _complete_bash(filled.root, "supportctl list --org ")
    assert snapshot() == before
    assert not (filled.root / ".supportctl" / "index.sqlite").exists()
    assert cli("list").exit_code == 0 and cli("new", "--subject", "s", "--text", "t").exit_code == 0
    before = snapshot()  # the index now misses T-0013: it is listed from tickets/, the index left as it is
    assert _complete_bash(filled.root, "supportctl show T-0013") == ["T-0013"]
    assert snapshot() == before


def test_completion_uses_the_desk_given_on_the_command_line(filled, tmp_path):
    from supportctl.services.setup import init_desk

    other = init_desk(tmp_path / "other")
    (other.tickets_dir / "KM-0107.yaml").write_text("not a ticket, only a name\n", encoding="utf-8")
    assert _complete_bash(filled.root, f"supportctl --desk {other.root} show ") == ["KM-0107"]


def test_any_failure_means_no_candidates_never_an_error(filled, tmp_path):
    """No desk, a damaged customers.yaml, a damaged index: nothing offered, exit 0, nothing on stderr."""
    outside = _run([SUPPORTCTL], {"_SUPPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "supportctl show T-",
                                  "COMP_CWORD": "2"}, cwd=tmp_path)
    assert (outside.returncode, outside.stdout.strip(), outside.stderr) == (0, "", "")
    (filled.root / "customers.yaml").write_text("customers: [\n", encoding="utf-8")
    assert _complete_bash(filled.root, "supportctl list --org ") == []
    (filled.root / ".supportctl").mkdir(exist_ok=True)
    (filled.root / ".supportctl" / "index.sqlite").write_bytes(b"not sqlite" * 100)
    assert _complete_bash(filled.root, "supportctl show T-001") == ["T-0010", "T-0011", "T-0012"]  # no status
    (filled.root / "tickets").rename(filled.root / "gone")
    assert _complete_bash(filled.root, "supportctl show T-") == []


def test_real_bash_completes_through_the_sourced_script(filled):
    """Issue 12 under real bash: the script sourced, `complete -p` shows it, the completion function
    called as readline calls it fills COMPREPLY with the desk's IDs."""
    import os
    import shutil

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = ('source <(supportctl completion bash)\n'
              'complete -p supportctl\n'
              'COMP_WORDS=(supportctl show T-001); COMP_CWORD=2\n'
              '_supportctl_completion supportctl\n'
              'printf "<%s>\\n" "${COMPREPLY[@]}"\n')
    env = {"PATH": f"{Path(SUPPORTCTL).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "SUPPORTCTL_DESK": str(filled.root)}
    result = _run([bash, "--norc", "--noprofile", "-c", script], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["complete -o default -F _supportctl_completion supportctl",
                                          "<T-0010>", "<T-0011>", "<T-0012>"]
