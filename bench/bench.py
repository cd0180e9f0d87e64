"""Time the work a busy desk does, against references in the same run: `python bench/bench.py`.

Each row of the table is one thing a user does, timed as a whole process.
Ours and its reference run alternately (ours, reference, ours, …), --runs
times each after one warm-up of each, so a machine whose speed drifts (a
shared one drifts 2× from hour to hour) slows both alike; the table gives
medians, peak resident memory, and the ratio of the medians.

The desk is gen_desk.py's busy shape (issue 13): SIZE tickets received
through 2026 across 50 organisations, 30 % open and registered, nearly all
breached at NOW, 70 % closed. taskwarrior (when `task` is installed) gets
SIZE tasks of the same shape: 30 % pending, each due 1-14 days after entry.

Rows, and what each is compared with:
- start-up (`--version`, `show ID`): an empty two-command Typer app;
- `overdue`, `list --status open`, `report sla --all`, `search`: `task overdue`;
- the first `list` after a fresh clone (no index, every file parsed): the
  same `list` run warm (after an untimed run that proved every file true);
  the first `report sla --all` after that first `list` (it builds the closed
  tickets the `list` left pending): the same report run warm; after a `git
  pull` that rewrote 100 ticket files: the same `list` run warm;
- `import` of SIZE tickets (JSON Lines) into an empty desk: `task import`
  of SIZE tasks into empty data.

`--json FILE` also writes every figure; `--markdown` prints the table as
docs/performance.md shows it.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-24T10:00:00+03:00"  # issue 13: nearly every open ticket is breached
PULLED = 100  # ticket files a `git pull` rewrites
RACY_S = 2.1  # supportctl re-reads a file changed less than 2 s before it was read (index.RACY_NS)

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


@dataclass
class Side:
    """A command, where it runs, and what to do before each run (not timed)."""

    argv: list[str]
    cwd: Path
    prepare: Callable[[], None] | None = None
    samples: list[tuple[float, float]] = field(default_factory=list)

    def run(self, env: dict[str, str]) -> None:
        if self.prepare:
            self.prepare()
            # what the preparation wrote or deleted (a whole desk, before an import) reaches the disk
            # now, not in the kernel's writeback during the timed run that follows
            os.sync()
        self.samples.append(run_once(self.argv, self.cwd, env))

    @property
    def median(self) -> float:
        return statistics.median(s[0] for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s[1] for s in self.samples)


@dataclass
class Row:
    label: str
    ours: Side
    ref: Side | None
    ref_label: str
    target: float | None = None  # the ceiling for ours / reference
    mem_target: float | None = None  # … for ours' peak memory / reference's
    absolute: float | None = None  # … for ours alone, in seconds
    mem_mib: float | None = None  # … for ours' peak memory, in MiB

    def to_dict(self) -> dict:
        d = {"what": self.label, "seconds": self.ours.median, "peak_mib": self.ours.peak_mib,
             "runs": len(self.ours.samples)}
        if self.ref:
            d |= {"reference": self.ref_label, "reference_seconds": self.ref.median,
                  "reference_peak_mib": self.ref.peak_mib, "ratio": self.ratio}
        d |= {"target_ratio": self.target, "target_memory_ratio": self.mem_target,
              "target_seconds": self.absolute, "target_peak_mib": self.mem_mib, "holds": self.holds}
        return d

    @property
    def ratio(self) -> float | None:
        return self.ours.median / self.ref.median if self.ref else None

    @property
    def holds(self) -> bool | None:
        checks = []
        if self.target is not None and self.ref:
            checks.append(self.ratio <= self.target)
        if self.mem_target is not None and self.ref:
            checks.append(self.ours.peak_mib <= self.mem_target * self.ref.peak_mib)
        if self.absolute is not None:
            checks.append(self.ours.median <= self.absolute)
        if self.mem_mib is not None:
            checks.append(self.ours.peak_mib <= self.mem_mib)
        return all(checks) if checks else None

    def target_text(self) -> str:
        parts = []
        if self.target is not None:
            parts.append(f"≤ {self.target:g}×")
        if self.mem_target is not None:
            parts.append(f"memory ≤ {self.mem_target:g}×")
        if self.absolute is not None:
            parts.append(f"≤ {self.absolute:g} s")
        if self.mem_mib is not None:
            parts.append(f"≤ {self.mem_mib:g} MiB")
        return ", ".join(parts)


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


def alternate(row: Row, env: dict[str, str], runs: int, warm: bool = True) -> Row:
    sides = [row.ours] + ([row.ref] if row.ref else [])
    if warm:
        for side in sides:
            side.run(env)
            side.samples.clear()
    for _ in range(runs):
        for side in sides:
            side.run(env)
    return row


def ensure_desk(work: Path, size: int) -> Path:
    root = work / f"desk-{size}"
    if not (root / "supportctl.yaml").exists():
        if root.exists():
            shutil.rmtree(root)
        print(f"generating a desk of {size} tickets in {root} …", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "gen_desk.py"), str(size), str(root), "--now", NOW], check=True)
    return root


def ensure_jsonl(work: Path, size: int, supportctl: str, env: dict[str, str]) -> Path:
    """SIZE tickets as `supportctl import` reads them (gen_desk --jsonl, into an empty desk's config)."""
    jsonl = work / f"import-{size}.jsonl"
    if not jsonl.exists():
        empty = work / "import-template"
        if not (empty / "supportctl.yaml").exists():
            subprocess.run([supportctl, "init", str(empty)], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"writing {size} tickets for import to {jsonl} …", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "gen_desk.py"), str(size), str(empty), "--now", NOW,
                        "--jsonl", str(jsonl)], check=True)
    return jsonl


def taskwarrior_tasks(size: int) -> list[dict]:
    """SIZE tasks entered through 2026, 30 % pending, each due 1-14 days after entry, 70 % completed."""
    rng = random.Random(size)
    now = datetime.fromisoformat(NOW).astimezone(timezone.utc)
    start = datetime.fromisoformat(NOW).replace(month=1, day=1, hour=0, minute=0, second=0).astimezone(timezone.utc)
    span = int((now - start).total_seconds())
    stamp = "%Y%m%dT%H%M%SZ"
    tasks = []
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
        tasks.append(task)
    return tasks


def taskrc(folder: Path) -> Path:
    rc = folder / "taskrc"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    rc.write_text(f"data.location={folder / 'data'}\nconfirmation=off\nverbose=nothing\ngc=off\n"
                  "recurrence=off\nhooks=off\n")
    return rc


def ensure_taskwarrior(work: Path, size: int) -> tuple[Path, Path] | None:
    """(taskrc of data holding SIZE tasks, the JSON file they were imported from)."""
    if not shutil.which("task"):
        return None
    folder = work / f"task-{size}"
    rc, tasks = folder / "taskrc", folder / "tasks.json"
    if (folder / "done").exists():
        return rc, tasks
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with open(tasks, "w") as f:
        for task in taskwarrior_tasks(size):
            f.write(json.dumps(task) + "\n")
    print(f"importing {size} tasks into taskwarrior …", file=sys.stderr)
    subprocess.run(["task", f"rc:{taskrc(folder)}", "import", str(tasks)], check=True, stdout=subprocess.DEVNULL)
    (folder / "done").touch()
    return rc, tasks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "supportctl-bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--supportctl", default=shutil.which("supportctl") or str(Path(sys.executable).with_name("supportctl")))
    ap.add_argument("--skip", default="", help="comma-separated rows to leave out: startup, queries, first, import")
    ap.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)
    skip = set(filter(None, a.skip.split(",")))
    a.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "bench"}
    env.pop("SUPPORTCTL_DESK", None)
    a.supportctl = os.path.abspath(shutil.which(a.supportctl) or a.supportctl)  # runs in other folders
    sc = [a.supportctl]
    rows: list[tuple[int, Row]] = []

    def done(size: int, row: Row) -> None:
        rows.append((size, row))
        print(f"{size:>7} {row.label:<42} {row.ours.median:7.3f} s {row.ours.peak_mib:5.0f} MiB"
              + (f"  {row.ratio:5.2f}× {row.ref_label}" if row.ref else ""), file=sys.stderr)

    empty = a.work / "empty_app.py"
    empty.write_text(EMPTY_APP)
    for size in [int(s) for s in a.sizes.split(",")]:
        desk = ensure_desk(a.work, size)
        tw = ensure_taskwarrior(a.work, size)
        task_overdue = Side(["task", f"rc:{tw[0]}", "overdue"], a.work) if tw else None
        some_id = sorted(n for n in os.listdir(desk / "tickets") if n.endswith(".yaml"))[size // 2][:-5]

        if "startup" not in skip and size == int(a.sizes.split(",")[0]):
            done(size, alternate(Row("start-up: --version", Side(sc + ["--version"], desk),
                                     Side([sys.executable, str(empty), "two"], a.work), "empty Typer app",
                                     target=1.3), env, a.runs))
            done(size, alternate(Row("start-up: show ID", Side(sc + ["show", some_id], desk),
                                     Side([sys.executable, str(empty), "one", some_id], a.work),
                                     "empty Typer app, one argument", target=1.3), env, a.runs))
        if "queries" not in skip:
            fast = 1.0 if size < 100_000 else 0.5
            queries = [
                ("overdue", ["overdue"], dict(target=fast, mem_target=0.5)),
                ("list --status open", ["list", "--status", "open"], dict(target=fast, mem_target=0.5)),
                ("report sla --all", ["report", "sla", "--all"],
                 dict(target=1.0, mem_mib=150) if size >= 100_000 else {}),
                ("search (a word in any form, an exclusion)",
                 ["search", "--all", "--limit", "20", "ошибки -запускается"], dict(absolute=0.5)),
            ]
            for label, args, targets in queries:
                ref = Side(list(task_overdue.argv), a.work) if task_overdue else None
                if ref is None:
                    targets = {k: v for k, v in targets.items() if k in ("absolute", "mem_mib")}
                done(size, alternate(Row(label, Side(sc + args, desk), ref, "task overdue", **targets), env, a.runs))
        if "first" not in skip:
            listing = sc + ["list", "--status", "open"]
            index_files = lambda: [f.unlink() for f in (desk / ".supportctl").glob("index.sqlite*")]  # noqa: E731
            names = sorted(n for n in os.listdir(desk / "tickets") if n.endswith(".yaml"))
            rng = random.Random(size)

            def pull() -> None:  # git writes a changed file anew: new inode, size may stay, new mtime
                for name in rng.sample(names, PULLED):
                    path = desk / "tickets" / name
                    data = path.read_bytes()
                    path.unlink()
                    path.write_bytes(data)

            def settle() -> None:  # warm: a run has proved every file true since the last change
                time.sleep(RACY_S)  # files changed within the last 2 s are re-read until they are older
                # the first run re-reads what changed, the second finds every key true and remembers it
                for _ in range(2):
                    subprocess.run(listing, cwd=desk, env=env, check=False, stdout=subprocess.DEVNULL)

            done(size, alternate(Row("first list after a fresh clone (no index)", Side(listing, desk, index_files),
                                     Side(listing, desk, settle), "the same list warm", absolute=5.0),
                                 env, a.runs, warm=False))
            report = sc + ["report", "sla", "--all"]

            def first_list_only() -> None:  # the first list leaves the closed tickets for the first report
                index_files()
                subprocess.run(listing, cwd=desk, env=env, check=False, stdout=subprocess.DEVNULL)

            done(size, alternate(Row("then the first report sla --all (builds the closed)",
                                     Side(report, desk, first_list_only), Side(report, desk, settle),
                                     "the same report warm"), env, a.runs, warm=False))
            done(size, alternate(Row(f"list after a pull that changed {PULLED} tickets", Side(listing, desk, pull),
                                     Side(listing, desk, settle), "the same list warm", target=1.2), env, a.runs))
        if "import" not in skip:
            jsonl = ensure_jsonl(a.work, size, a.supportctl, env)
            target_desk = a.work / f"import-desk-{size}"

            def fresh_desk() -> None:
                shutil.rmtree(target_desk, ignore_errors=True)
                subprocess.run([a.supportctl, "init", str(target_desk)], env=env, check=True,
                               stdout=subprocess.DEVNULL)

            ref = None
            if tw:
                task_folder = a.work / f"task-import-{size}"

                def fresh_task() -> None:
                    shutil.rmtree(task_folder, ignore_errors=True)
                    task_folder.mkdir(parents=True)
                    taskrc(task_folder)

                ref = Side(["task", f"rc:{task_folder / 'taskrc'}", "import", str(tw[1])], a.work, fresh_task)
            done(size, alternate(Row(f"import of {size:,} tickets (JSON Lines)",
                                     Side(sc + ["--desk", str(target_desk), "import", str(jsonl)], a.work, fresh_desk),
                                     ref, "task import", target=2.0 if ref else None), env, a.runs, warm=False))

    if a.markdown:
        print("| tickets | what | supportctl | reference | ratio | target | holds |")
        print("|---:|---|---:|---|---:|---|---|")
        for size, row in rows:
            ref = f"{row.ref_label} {row.ref.median:.2f} s, {row.ref.peak_mib:.0f} MiB" if row.ref else "—"
            ratio = f"{row.ratio:.2f}×" if row.ref else "—"
            holds = {True: "yes", False: "**no**", None: "—"}[row.holds]
            print(f"| {size:,} | {row.label} | {row.ours.median:.2f} s, {row.ours.peak_mib:.0f} MiB | {ref} | "
                  f"{ratio} | {row.target_text() or '—'} | {holds} |")
    if a.json:
        a.json.write_text(json.dumps({"now": NOW, "python": sys.version.split()[0], "cores": os.cpu_count(),
                                      "runs": a.runs, "rows": [{"tickets": s, **r.to_dict()} for s, r in rows]},
                                     indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
