"""Time supportctl's main commands as whole processes against references: `python bench/bench.py`.

For each desk size (bench/gen_desk.py makes the desks once, under --work)
every command runs once to warm the caches and the ticket index, then
--runs times; the median wall time and the peak resident memory are
printed, with the ratio to a reference measured in the same session
(absolute times on shared machines drift by 2x from hour to hour):

- start-up (`--version`, `--help`, `show ID`) against an empty two-command
  Typer app: its `--help` (Typer's default help pulls in rich), its command
  without arguments (bare Typer start-up, the strictest reference), and its
  command taking one argument (Typer 0.29 then imports pydantic to coerce it);
- `list --status open`, `overdue`, `report sla` and `search --all` against taskwarrior's
  `task overdue` over the same number of tasks, 30 % pending and nearly all of those overdue,
  like gen_desk's busy desk (when `task` is installed).

Then the first run after a fresh clone (no index: every file parsed) and
after a `git pull` that changed 1% of the tickets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-24T10:00:00+03:00"  # issue 13: nearly every open ticket is breached

EMPTY_APP = '''
import typer

app = typer.Typer()


@app.command()
def one(x: str):
    print(x)


@app.command()
def two():
    pass


app()
'''


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process; it must succeed (exit 0 or 1)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err.strip()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def measure(argv: list[str], cwd: Path, env: dict[str, str], runs: int) -> dict:
    run_once(argv, cwd, env)  # warm: page cache, index
    samples = [run_once(argv, cwd, env) for _ in range(runs)]
    return {"median": statistics.median(s[0] for s in samples), "peak_mib": max(s[1] for s in samples)}


def ensure_desk(work: Path, size: int) -> Path:
    root = work / f"desk-{size}"
    if not (root / "supportctl.yaml").exists():
        if root.exists():
            shutil.rmtree(root)
        print(f"generating a desk of {size} tickets in {root} …", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "gen_desk.py"), str(size), str(root), "--now", NOW], check=True)
    return root


def ensure_taskwarrior(work: Path, size: int) -> Path | None:
    """taskwarrior data shaped like gen_desk's busy desk: SIZE tasks entered through 2026, 30 % pending,
    each with a due date 1-14 days after entry (so nearly every pending one is overdue), 70 % completed."""
    if not shutil.which("task"):
        return None
    folder = work / f"task-{size}"
    rc = folder / "taskrc"
    if (folder / "done").exists():
        return rc
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    rc.write_text(f"data.location={folder / 'data'}\nconfirmation=off\nverbose=nothing\ngc=off\n"
                  "recurrence=off\nhooks=off\n")
    rng = random.Random(size)
    now = datetime.fromisoformat(NOW).astimezone(timezone.utc)
    start = datetime.fromisoformat(NOW).replace(month=1, day=1, hour=0, minute=0, second=0).astimezone(timezone.utc)
    span = int((now - start).total_seconds())
    stamp = "%Y%m%dT%H%M%SZ"
    with open(folder / "tasks.json", "w") as f:
        for n in range(size):
            entry = start + timedelta(seconds=rng.randrange(span))
            due = entry + timedelta(days=rng.randint(1, 14))
            task = {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "description": f"Заявка {n}: не запускается модуль", "status": "pending",
                    "entry": entry.strftime(stamp), "due": due.strftime(stamp),
                    "project": f"org{rng.randint(1, 50)}", "priority": rng.choice("HML")}
            if rng.random() >= 0.30:
                end = min(now, entry + timedelta(minutes=rng.randint(60, 4000)))
                task.update(status="completed", end=end.strftime(stamp))
            f.write(json.dumps(task) + "\n")
    print(f"importing {size} tasks into taskwarrior …", file=sys.stderr)
    subprocess.run(["task", "import", str(folder / "tasks.json")], env={**os.environ, "TASKRC": str(rc)},
                   check=True, stdout=subprocess.DEVNULL)
    (folder / "done").touch()
    return rc


def first_run(cmd: list[str], desk: Path, env: dict[str, str]) -> dict:
    """A fresh clone (no index) and a `git pull` that rewrote 1% of the ticket files."""
    for f in (desk / ".supportctl").glob("index.sqlite*"):
        f.unlink()
    clone, clone_rss = run_once(cmd, desk, env)
    names = sorted(os.listdir(desk / "tickets"))
    for name in names[:: 100]:
        path = desk / "tickets" / name
        if name.endswith(".yaml"):
            path.write_bytes(path.read_bytes())  # new inode and mtime, as git checkout writes
    time.sleep(0.01)
    pull, _ = run_once(cmd, desk, env)
    return {"fresh_clone": clone, "fresh_clone_peak_mib": clone_rss, "after_pull_1pct": pull}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "supportctl-bench")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--supportctl", default=shutil.which("supportctl") or str(Path(sys.executable).with_name("supportctl")))
    ap.add_argument("--no-first-run", action="store_true", help="skip the fresh-clone measurement")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",")]
    env = {**os.environ, "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "bench"}
    env.pop("SUPPORTCTL_DESK", None)
    sc = [a.supportctl]
    results: dict = {"now": NOW, "python": sys.version.split()[0], "cores": os.cpu_count(), "sizes": {}}

    empty = a.work / "empty_app.py"
    empty.write_text(EMPTY_APP)
    ref_help = measure([sys.executable, str(empty), "--help"], a.work, env, a.runs)
    ref_arg = measure([sys.executable, str(empty), "one", "T-0001"], a.work, env, a.runs)
    ref_bare = measure([sys.executable, str(empty), "two"], a.work, env, a.runs)
    results["reference"] = {"typer_empty_help": ref_help, "typer_empty_arg": ref_arg, "typer_empty_bare": ref_bare}
    print(f"{'reference: empty Typer app --help':<44} {ref_help['median']:7.3f} s {ref_help['peak_mib']:6.0f} MiB")
    print(f"{'reference: empty Typer app one ARG':<44} {ref_arg['median']:7.3f} s {ref_arg['peak_mib']:6.0f} MiB")
    print(f"{'reference: empty Typer app two (no args)':<44} {ref_bare['median']:7.3f} s {ref_bare['peak_mib']:6.0f} MiB")

    def show(label: str, m: dict, ref: dict | None, ref_name: str = "") -> None:
        ratio = f"{m['median'] / ref['median']:5.2f}x {ref_name}" if ref else ""
        if ref in (ref_help, ref_arg):
            ratio += f", {m['median'] / ref_bare['median']:5.2f}x typer two"
        print(f"{label:<44} {m['median']:7.3f} s {m['peak_mib']:6.0f} MiB  {ratio}")

    for size in sizes:
        desk = ensure_desk(a.work, size)
        row: dict = {}
        print(f"\n-- {size} tickets --")
        tw_rc = ensure_taskwarrior(a.work, size) if size >= 10000 else None
        tw = None
        if tw_rc:
            tw = measure(["task", f"rc:{tw_rc}", "overdue"], a.work, env, a.runs)
            row["task_overdue"] = tw
            show("reference: task overdue", tw, None)
        some_id = sorted(n for n in os.listdir(desk / "tickets") if n.endswith(".yaml"))[size // 2][:-5]
        commands = {
            "--version": (sc + ["--version"], ref_help, "typer --help"),
            "--help": (sc + ["--help"], ref_help, "typer --help"),
            "show ID": (sc + ["show", some_id], ref_arg, "typer one ARG"),
            "list --status open": (sc + ["list", "--status", "open"], tw, "task overdue"),
            "overdue": (sc + ["overdue"], tw, "task overdue"),
            "report sla": (sc + ["report", "sla"], tw, "task overdue"),
            # issue 12: a word in any form ("ошибки" finds "ошибка"), an exclusion, closed tickets too
            "search --all": (sc + ["search", "--all", "--limit", "20", "ошибки -запускается"], tw, "task overdue"),
        }
        for label, (cmd, ref, ref_name) in commands.items():
            try:
                m = measure(cmd, desk, env, a.runs)
            except RuntimeError as exc:
                print(f"{label:<44} failed: {exc}")
                continue
            row[label] = m
            show(label, m, ref, ref_name)
        if not a.no_first_run:
            fr = first_run(sc + ["list", "--status", "open"], desk, env)
            row["first_run"] = fr
            print(f"{'list after a fresh clone (index rebuilt)':<44} {fr['fresh_clone']:7.3f} s "
                  f"{fr['fresh_clone_peak_mib']:6.0f} MiB")
            print(f"{'list after a pull that changed 1% of files':<44} {fr['after_pull_1pct']:7.3f} s")
        results["sizes"][size] = row
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
