"""The README's tour runs as written, and prints what its `#>` lines say."""

from __future__ import annotations

from pagekit import ROOT, check, copy_sample_desk, run_steps, steps, tool_env

README = ROOT / "README.md"


def code_block_after(marker: str) -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    block: list[str] = []
    for line in lines[start + 1:]:
        if line.startswith("    "):
            block.append(line[4:])
        elif block and line.strip():
            break
    return block


def test_the_tour_runs_as_written(tmp_path):
    (tmp_path / "helpdesk").mkdir()  # the tour's `supportctl init helpdesk && cd helpdesk`
    (tmp_path / "helpdesk" / "screen.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    tour = steps(code_block_after("Set up a desk and its customers")) + \
        steps(code_block_after("A ticket's life (R-4.5"))
    look_block = code_block_after("Then look at what you have")
    look = steps(look_block)
    ran = run_steps(tour + look, tmp_path, tool_env(), tmp_path)
    check(ran)
    # the journal's line the README shows beside `journal T-0001` is one that command prints
    shown = next(line for line in look_block if line.startswith("supportctl journal ")).split("# ", 1)[1]
    journal = next(r for r in ran[len(tour):] if r.command.startswith("supportctl journal "))
    assert any(line.startswith(shown.strip()) for line in journal.stdout.splitlines()), journal.stdout
    assert (tmp_path / "helpdesk" / "sla.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_a_day_at_the_desk_runs_on_the_sample_desk(tmp_path):
    """Issue 12, "Done when": the README tour shows a day — fix a subject, answer from a template with a
    log attached, merge a duplicate, search (a match found only through the Russian stemmer)."""
    desk = copy_sample_desk(tmp_path / "desk")
    env = tool_env()
    env.pop("COLUMNS", None)
    day = steps(code_block_after("## A day at the desk"))
    assert any(c.startswith("supportctl merge ") for c, _ in day)
    check(run_steps(day, desk, env, tmp_path))
    assert "талонов" not in (desk / "tickets" / "T-0002.yaml").read_text()
    journal = (desk / "journal" / "T-0003.yaml").read_text(encoding="utf-8")
    assert "Медленно открывается расписание врачей" in journal and "app.log" in journal
