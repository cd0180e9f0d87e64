"""Pictures of the sample desk's static site for the docs: `python tools/site_pictures.py`.

Writes the site of this repository's sample desk (at the moment of the README's tour) as
tests/test_site_browser.py does, and photographs it with headless Chromium: docs/img/site-index.png (the
queue, 1280 px), site-ticket.png (a ticket's page) and site-index-phone.png (the queue on a 390-px phone).
pngquant, when installed, shrinks each to a 32-colour palette; the PNG sizes are printed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import browserkit  # noqa: E402
from test_site_browser import make_site  # noqa: E402

PICTURES = [("index", "index.html", 1280, 700), ("ticket", "tickets/T-0003.html", 1280, 900),
            ("index-phone", "index.html", 390, 844)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    args = parser.parse_args()
    if browserkit.CHROMIUM is None:
        print("site_pictures: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="site-pictures-") as work:
        site = make_site(Path(work))
        for name, page, width, height in PICTURES:
            png = args.out / f"site-{name}.png"
            browserkit.screenshot(site / page, png, width, height)
            if shutil.which("pngquant"):
                subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(png), "32",
                                str(png)], check=False, timeout=120)
            print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: {png.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
