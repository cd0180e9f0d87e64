"""Time `supportctl site` (issue 15: a 10,000-ticket desk's first run in under 10 s).

Run: python bench/bench_site.py [--count 10000] [--repeat 3] [--shape busy|lifecycle] [--keep DIR]

Makes a desk of --count tickets with bench/gen_desk.py (in a temporary folder, or DIR with --keep,
reused when it is already there), builds its ticket index once (an untimed `supportctl list --all`,
as any desk in use has one), then --repeat times: the site into an empty folder (the first run: every
page written), and again into the same folder after one ticket was changed (the second run: only the
pages whose content changed are written). Each run is the real command in its own process, start-up
included, at the desk's --now. Prints every time and the medians, wall-clock and CPU (user + system:
steadier than the wall clock on a machine shared with other work).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_desk  # noqa: E402

GOAL_SECONDS = 10.0
NOW = "2026-11-24T10:00:00+03:00"


def supportctl(desk: Path, *args: str) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one run of the command."""
    env = dict(os.environ, SUPPORTCTL_DESK=str(desk), SUPPORTCTL_NOW=NOW, SUPPORTCTL_USER="bench")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "supportctl", "--no-commit", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shape", choices=("busy", "lifecycle"), default="busy",
                    help="gen_desk.py's shapes: busy (a year of a centre with a backlog), lifecycle (every ticket "
                         "in the last weeks: the reports of two months hold them all)")
    ap.add_argument("--keep", type=Path, default=None, help="make (or reuse) the desk here")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        desk = a.keep or Path(tmp) / "desk"
        if not (desk / "supportctl.yaml").exists():
            gen_desk.generate(desk, a.count, now=datetime.fromisoformat(NOW), shape=a.shape)
        supportctl(desk, "list", "--all")
        changed = sorted((desk / "tickets").iterdir())[a.count // 2].stem
        firsts, seconds = [], []
        for n in range(a.repeat):
            out = Path(tmp) / "site"
            shutil.rmtree(out, ignore_errors=True)
            firsts.append(supportctl(desk, "site", str(out)))
            supportctl(desk, "note", changed, f"bench note {n}")
            seconds.append(supportctl(desk, "site", str(out)))
            print(f"run {n + 1}: first {firsts[-1][0]:.2f} s ({firsts[-1][1]:.2f} s CPU), second (one ticket "
                  f"changed) {seconds[-1][0]:.2f} s ({seconds[-1][1]:.2f} s CPU)", file=sys.stderr)
        first, second = (statistics.median(w for w, _ in firsts), statistics.median(w for w, _ in seconds))
        cpu_first, cpu_second = (statistics.median(c for _, c in firsts), statistics.median(c for _, c in seconds))
        print(f"site of {a.count} tickets ({a.shape}): first run {first:.2f} s (goal < {GOAL_SECONDS:.0f} s; "
              f"CPU {cpu_first:.2f} s), second run {second:.2f} s (CPU {cpu_second:.2f} s); medians of {a.repeat}")
        return 0 if first < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
