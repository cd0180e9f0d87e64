"""The README's tour runs as written, and prints what its `#>` lines say."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE_DESK = ("tickets", "journal", "customers.yaml", "supportctl.yaml", "replies")
NOW = "2026-11-30T10:00:00+03:00"  # the moment the tour names


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


def commands(block: list[str]) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) pairs; continuation lines joined."""
    result: list[tuple[str, list[str]]] = []
    pending = ""
    for line in block:
        if line.startswith("#>"):
            result[-1][1].append(line[2:].strip())
            continue
        pending += re.sub(r"\s+#\s.*$", "", line)
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        result.append((pending.strip(), []))
        pending = ""
    return result


def test_the_tour_runs_as_written(tmp_path):
    tool = Path(sys.executable).parent / "supportctl"
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
    env.pop("SUPPORTCTL_DESK", None)
    (tmp_path / "helpdesk").mkdir()  # the tour's `supportctl init helpdesk && cd helpdesk`
    (tmp_path / "helpdesk" / "screen.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    steps = commands(code_block_after("Set up a desk and its customers")) + \
        commands(code_block_after("A ticket's life (R-4.5"))
    script = ["set -e"]
    for n, (command, _) in enumerate(steps):
        script += [f"echo '@@{n}'", command]
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outputs = re.split(r"^@@\d+\n", run.stdout, flags=re.M)[1:]
    for (command, expected), printed in zip(steps, outputs):
        if expected:
            assert printed.splitlines() == expected, command


def test_a_day_at_the_desk_runs_on_the_sample_desk(tmp_path):
    """Issue 12, "Done when": the README tour shows a day — fix a subject, answer from a template with a
    log attached, merge a duplicate, search (a match found only through the Russian stemmer)."""
    for name in SAMPLE_DESK:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    tool = Path(sys.executable).parent / "supportctl"
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
    env.pop("SUPPORTCTL_DESK", None)
    env.pop("COLUMNS", None)
    steps = commands(code_block_after("## A day at the desk"))
    assert any(c.startswith("supportctl merge ") for c, _ in steps)
    script = ["set -e"]
    for n, (command, _) in enumerate(steps):
        script += [f"echo '@@{n}'", command]
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outputs = re.split(r"^@@\d+\n", run.stdout, flags=re.M)[1:]
    assert len(outputs) == len(steps)
    for (command, expected), printed in zip(steps, outputs):
        if expected:
            assert printed.splitlines() == expected, command
    assert "талонов" not in (tmp_path / "tickets" / "T-0002.yaml").read_text()
    journal = (tmp_path / "journal" / "T-0003.yaml").read_text(encoding="utf-8")
    assert "Медленно открывается расписание врачей" in journal and "app.log" in journal
