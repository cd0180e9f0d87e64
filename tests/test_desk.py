"""The desk on disk (issue #2): init, finding the desk, who acts, IDs, check, import."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.desk.desk import Desk, acting_user, locate
from supportctl.domain import ids
from tests.conftest import add_barrier


def test_init_creates_the_desk_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["init", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    root = tmp_path / "d"
    for name in ("supportctl.yaml", "customers.yaml", "tickets", "journal", ".gitattributes", ".gitignore"):
        assert (root / name).exists(), name
    assert "journal/*.yaml merge=union" in (root / ".gitattributes").read_text()
    assert ".supportctl/" in (root / ".gitignore").read_text()
    before = (root / "supportctl.yaml").read_text()
    r = runner.invoke(app, ["init", str(root)])
    assert r.exit_code == 2 and "already a desk" in r.stderr
    assert (root / "supportctl.yaml").read_text() == before


def test_desk_is_found_like_git_finds_a_repo(desk, tmp_path):
    sub = desk.root / "tickets"
    assert locate(None, sub, {}) == desk.root
    assert locate(str(desk.root), tmp_path, {}) == desk.root
    assert locate(None, tmp_path, {"SUPPORTCTL_DESK": str(desk.root)}) == desk.root


def test_acting_user_precedence():
    assert acting_user("Иванов", {"SUPPORTCTL_USER": "Петров"}) == "Иванов"
    assert acting_user(None, {"SUPPORTCTL_USER": "Петров"}) == "Петров"
    assert acting_user(None, {}) != ""


def test_ids_are_validated_before_use_in_a_path_R_4_4():
    for bad in ("../T-0001", "/etc/passwd", "T-0001\0", "T-", "t_0001", "ABCD-1"):
        try:
            ids.validate_id(bad)
        except Exception as exc:  # noqa: BLE001 - the type is asserted below
            assert type(exc).__name__ == "InvalidValue"
        else:
            raise AssertionError(f"{bad!r} accepted")
    assert ids.validate_id(" t-0042 ") == "T-0042"


def test_a_clone_without_station_picks_one_unused_R_7_4(desk):
    desk.station_path.unlink()
    station, fresh = desk.ensure_station()
    assert fresh and ids.STATION_RE.match(station) and station != "T"
    assert desk.ensure_station() == (station, False)


def test_ids_keep_growing_even_when_the_counter_is_lost(cli, desk):
    for _ in range(3):
        cli("new", "--subject", "x", "--text", "y")
    (desk.state_dir / "seq-T").unlink()
    assert cli("new", "--subject", "x", "--text", "y").stdout.strip() == "T-0004"


def test_check_finds_problems_and_exits_1(cli, desk):
    tid = cli("new", "--subject", "x", "--text", "y").stdout.strip()
    assert cli("check").exit_code == 0
    (desk.root / "journal" / "T-0777.yaml").write_text("", encoding="utf-8")
    with open(desk.root / "journal" / f"{tid}.yaml", "a", encoding="utf-8") as f:
        f.write('- {"at": "2025-12-01T1')  # a torn line
    (desk.root / "tickets" / "notes.txt").write_text("x")
    r = cli("check")
    assert r.exit_code == 1
    assert "T-0777.yaml: journal of T-0777, but there is no ticket T-0777" in r.stdout
    assert f"{tid}.yaml: line 2: torn or broken entry" in r.stdout
    assert "notes.txt: not a ticket file" in r.stdout
    problems = json.loads(cli("check", "--json").stdout)
    assert len(problems) == 3


def test_check_names_leftover_conflict_markers(cli, desk):
    tid = cli("new", "--subject", "x", "--text", "y").stdout.strip()
    path = desk.root / "tickets" / f"{tid}.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "assignee: null", "<<<<<<< HEAD\nassignee: Рудаков А.\n=======\nassignee: Петров П.\n>>>>>>> theirs")
    path.write_text(text, encoding="utf-8")
    r = cli("check")
    assert r.exit_code == 1 and "leftover merge-conflict marker" in r.stdout


def test_import_takes_what_show_json_prints(cli, desk, tmp_path):
    add_barrier(cli)
    tid = cli("new", "--subject", "Сбой", "--text", "текст", "--org", "АКБ «Барьер»").stdout.strip()
    cli("register", tid, "-p", "2", "-a", "Рудаков А.")
    exported = json.loads(cli("show", tid, "--json").stdout)
    other = tmp_path / "other"
    runner = CliRunner()
    runner.invoke(app, ["init", str(other)])
    lines = tmp_path / "in.jsonl"
    without_id = {k: v for k, v in exported.items() if k not in ("id", "history")}
    lines.write_text(json.dumps(exported, ensure_ascii=False) + "\n" + json.dumps(without_id, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    env = {"SUPPORTCTL_DESK": str(other), "SUPPORTCTL_NOW": "2025-12-02T10:00:00+03:00", "SUPPORTCTL_USER": "x"}
    r = runner.invoke(app, ["import", str(lines)], env=env)
    assert r.exit_code == 0, r.output
    assert r.stdout == "imported 2 tickets: T-0001 … T-0002\n"
    again = json.loads(runner.invoke(app, ["show", tid, "--json"], env=env).stdout)
    assert {k: again[k] for k in ("status", "priority", "due", "contact", "org")} == \
        {k: exported[k] for k in ("status", "priority", "due", "contact", "org")}
    assert [e["kind"] for e in again["history"]] == ["received", "registered"]


def test_import_is_all_or_nothing(cli, desk, tmp_path):
    lines = tmp_path / "in.jsonl"
    good = {"subject": "a", "text": "b", "received_at": "2025-12-01T10:00:00+03:00"}
    bad = {"subject": "a", "text": "b", "received_at": "2025-12-01T10:00:00+03:00", "status": "done"}
    lines.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    r = cli("import", str(lines))
    assert r.exit_code == 2 and "in.jsonl:2: unknown status 'done'" in r.stderr
    assert Desk(desk.root).ticket_ids() == []


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    from typer.main import get_command

    repo = Path(__file__).resolve().parent.parent  # the README and the pages of docs/ (being split out of it)
    readme = "\n".join(p.read_text(encoding="utf-8") for p in [repo / "README.md", *sorted(repo.glob("docs/**/*.md"))])

    root = get_command(app)
    missing = []
    for name, cmd in root.commands.items():
        subs = getattr(cmd, "commands", None)
        names = [f"{name} {sub}" for sub in subs] if subs else [name]
        missing += [n for n in names if f"supportctl {n}" not in readme]
    assert not missing, f"undocumented commands: {missing}"


def test_the_desk_lock_taken_again_inside_a_locked_section_does_not_hang(desk):
    import signal

    def hung(*_):
        raise AssertionError("the nested desk lock waited for itself")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        with desk.lock():
            with Desk(desk.root).lock():  # another Desk object of the same desk, as notify and autocommit make
                desk.set_station("AB")
        with desk.lock():  # and it is free again afterwards
            pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert desk.station() == "AB"
