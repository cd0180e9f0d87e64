"""Pictures of the sample desk's HTML reports for docs/reports.md: `python tools/report_pictures.py`.

Each report of this repository's sample desk (at the moment of the README's tour) is printed on A4 by
headless Chromium, exactly as the browser tests print it (tests/browserkit.py), and the first page, cut
below its last line, becomes docs/img/report-NAME.png at --dpi (96). pngquant, when installed
(`apt-get install pngquant`), shrinks each to a 32-colour palette; the PNG sizes are printed.
Needs chromium and poppler-utils (`apt-get install chromium poppler-utils`).
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

import browserkit  # noqa: E402  (the test helpers: one way of printing for the tests and the pictures)

MARGIN_PT = 14  # white kept below the last line of the cut page


def picture(pdf: Path, png: Path, dpi: int) -> None:
    first = browserkit.pdf_pages(pdf)[0]
    bottom = min(first.height, max(w.y1 for w in first.words) + MARGIN_PT)
    height = round(bottom * dpi / 72)
    stem = png.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", "1", "-l", "1", "-r", str(dpi),
                    "-x", "0", "-y", "0", "-W", str(round(first.width * dpi / 72)), "-H", str(height),
                    str(pdf), str(stem)], check=True, timeout=120)
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(png), "32",
                        str(png)], check=False, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    parser.add_argument("--dpi", type=int, default=96)
    args = parser.parse_args()
    if reason := browserkit.missing():
        print(f"report_pictures: {reason}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-pictures-") as work:
        work = Path(work)
        desk = browserkit.copy_sample_desk(work / "desk")
        for name, report_args, _landscape in browserkit.SAMPLE_REPORTS:
            page = browserkit.report_html(desk, report_args, work / f"{name}.html")
            png = args.out / f"report-{name}.png"
            picture(browserkit.print_pdf(page, work / f"{name}.pdf"), png, args.dpi)
            print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: {png.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
