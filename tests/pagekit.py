"""Running the shell examples of the README and docs/ pages: each command, then the `#>` lines it must print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DESK = ("tickets", "journal", "customers.yaml", "supportctl.yaml", "replies")
SAMPLE_NOW = "2026-11-30T10:00:00+03:00"  # the moment the README tour and the docs examples name


def steps(block: list[str]) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) pairs of a code block; continuation lines joined, comments dropped."""
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
        if pending.strip():  # a line of comment alone is no command
            result.append((pending.strip(), []))
        pending = ""
    return result


def copy_sample_desk(dest: Path) -> Path:
    """This repository's sample desk, copied into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_DESK:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, dest / name)
    return dest


def tool_env(**extra: str) -> dict[str, str]:
    """The environment of a page's reader: the installed `supportctl` on PATH, the pages' clock and user."""
    tool = Path(sys.executable).parent / "supportctl"
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "SUPPORTCTL_NOW": SAMPLE_NOW, "SUPPORTCTL_USER": "Рудаков А.", **extra}
    env.pop("SUPPORTCTL_DESK", None)
    return env


@dataclass
class Ran:
    command: str
    expected: list[str]
    stdout: str
    stderr: str
    code: int


def run_steps(block_steps: list[tuple[str, list[str]]], cwd: Path, env: dict[str, str], scratch: Path) -> list[Ran]:
    """Run the commands as one bash script (variables carry over), each one's output, errors and exit code."""
    script = []
    for k, (command, _) in enumerate(block_steps):
        script += [f"echo '@@{k}'", f"{{ {command}\n}} 2>'{scratch}/stderr{k}'", 'echo "@@rc $?"']
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=120)
    printed = re.split(r"^@@\d+\n", run.stdout, flags=re.M)[1:]
    assert len(printed) == len(block_steps), run.stderr
    result = []
    for k, ((command, expected), out) in enumerate(zip(block_steps, printed)):
        out, _, code = out.rpartition("@@rc ")
        result.append(Ran(command, expected, out, (scratch / f"stderr{k}").read_text(), int(code)))
    return result


def check(ran: list[Ran], where: str = "") -> None:
    """Every command printed its `#>` lines; one whose expected output is an error line
    (`supportctl: …`) failed with it on stderr, every other one succeeded."""
    for r in ran:
        if r.expected and r.expected[0].startswith("supportctl: "):
            assert r.code != 0, f"{where}{r.command}"
            assert r.stderr.splitlines() == r.expected, f"{where}{r.command}"
            continue
        assert r.code == 0, f"{where}{r.command}: {r.stderr}"
        if r.expected:
            assert r.stdout.splitlines() == r.expected, f"{where}{r.command}"
