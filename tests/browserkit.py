"""Headless Chromium and poppler for the report tests and tools/report_pictures.py: print a page to PDF,
photograph it, run a script in it, and read back the words of a PDF with their places on the page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from supportctl.cli.app import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
MM = 72 / 25.4  # PDF points in a millimetre
REPO = Path(__file__).resolve().parent.parent  # the sample desk is this repository's own
NOW = "2026-11-30T10:00:00+03:00"  # the moment of the sample desk (README's tour)
SAMPLE_FILES = ("supportctl.yaml", "customers.yaml", "tickets", "journal", "replies")
# (picture name, report arguments, printed landscape?)
SAMPLE_REPORTS = [
    ("journal", ["journal", "--month", "2026-11"], True),
    ("sla", ["sla", "--month", "2026-11"], True),
    ("workload", ["workload", "--month", "2026-11"], False),
    ("time", ["time", "--month", "2026-11"], True),
    ("csat", ["csat", "--all"], False),
    ("customer", ["customer", "ГБУ «Городская поликлиника № 3»", "--month", "2026-11"], True),
]


def missing() -> str | None:
    """Why the browser checks cannot run here, or None."""
    if not CHROMIUM:
        return "chromium is not installed (.ci/run installs it: apt-get install chromium poppler-utils)"
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        return "poppler-utils (pdftotext) is not installed"
    return None


def chromium(page: Path, *args: str, timeout: int = 120) -> str:
    """Run the browser once on a local file, with a fresh profile; its stdout."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                             capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if run.returncode:
        raise RuntimeError(f"chromium failed ({run.returncode}): {run.stderr[-2000:]}")
    return run.stdout


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print as the browser's "Save as PDF" does, without its header and footer lines."""
    chromium(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    if not pdf.exists():
        raise RuntimeError(f"chromium wrote no {pdf}")
    return pdf


def screenshot(page: Path, png: Path, width: int, height: int) -> Path:
    chromium(page, f"--screenshot={png}", f"--window-size={width},{height}")
    return png


def evaluate(page: Path, script: str, tmp: Path) -> str:
    """Run ``script`` in a copy of the page once it has loaded; the script writes its answer to
    ``document.title``, which comes back. The report itself carries no script."""
    copy = tmp / f"{page.stem}.probe.html"
    probe = f"<script>addEventListener('load', () => {{ {script} }});</script>"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = chromium(copy, "--dump-dom", "--virtual-time-budget=5000")
    found = re.search(r"<title>(.*?)</title>", dom, re.S)
    return html.unescape(found.group(1)) if found else ""


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class PdfPage:
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        """The page's words in the order they were drawn, with no spaces (cells wrap anywhere)."""
        return "".join(w.text for w in self.words)


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>')


def pdf_pages(pdf: Path) -> list[PdfPage]:
    """Every page's size and words in content-stream order (pdftotext -raw -bbox), in points."""
    out = subprocess.run(["pdftotext", "-raw", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return [PdfPage(float(w), float(h), [Word(html.unescape(t), float(a), float(b), float(c), float(d))
                                         for a, b, c, d, t in _WORD.findall(body)])
            for w, h, body in _PAGE.findall(out)]


class Tables(HTMLParser):
    """The tables of a report page: for each, its heading cells and rows of cell texts."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"head": [], "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if table["head"]:
                table["rows"].append(self._row)
            else:
                table["head"] = self._row
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def squeeze(text: str) -> str:
    """Text as it comes out of a PDF's words: no whitespace (lines wrap), no soft hyphens."""
    return re.sub(r"\s+", "", text).replace("\u00ad", "")


def copy_sample_desk(target: Path) -> Path:
    """The sample desk of this repository, copied so that reading it leaves nothing behind."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def report_html(desk: Path, args: list[str], target: Path, lang: str | None = None) -> Path:
    """`supportctl report ARGS --format html` of ``desk`` at the sample desk's moment, into ``target``."""
    env = {"SUPPORTCTL_DESK": str(desk), "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "Рудаков А."}
    extra = ["--lang", lang] if lang else []
    result = CliRunner().invoke(app, ["report", *args, "--format", "html", *extra, "--output", str(target)],
                                env=env, catch_exceptions=False)
    if result.exit_code:
        raise RuntimeError(f"report {' '.join(args)} failed: {result.output}")
    return target
