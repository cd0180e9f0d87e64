"""HTML reports in a real browser (issue 14, "Reports that print and render"): headless Chromium prints each
report of the sample desk on A4 — landscape where a table is wide — and the PDF's words show that nothing
overflows the page and every table row is there, on one page, under its repeated headings; the chart's labels
are not clipped; numbers are the desk's language in the chart as in the tables.

The browser tests skip when chromium or poppler-utils is missing; .ci/run installs both."""

from __future__ import annotations

import json
import re
import shutil
import struct
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import browserkit
import pagekit
from browserkit import MM, SAMPLE_REPORTS, Tables, copy_sample_desk, report_html, squeeze
from supportctl.domain.ticket import Contact
from supportctl.reports.model import Chart
from supportctl.reports.render import number, svg_bar_chart
from supportctl.services import tickets
from supportctl.services.context import Ctx
from supportctl.services.setup import init_desk

A4 = (210 * MM, 297 * MM)
MARGIN = 12 * MM  # the reports' @page margin

browser = pytest.mark.skipif(browserkit.missing() is not None, reason=browserkit.missing() or "")


def assert_prints_whole(page: Path, pdf: Path, landscape: bool) -> list[browserkit.PdfPage]:
    """The printed page is A4 in the expected orientation, every word inside the margins, and every row
    of every table is on one page (all its cells, in order) below that table's headings."""
    pages = browserkit.pdf_pages(browserkit.print_pdf(page, pdf))
    assert pages
    size = tuple(reversed(A4)) if landscape else A4
    for n, sheet in enumerate(pages, 1):
        assert (sheet.width, sheet.height) == pytest.approx(size, abs=1), f"page {n} is not A4 as expected"
        for word in sheet.words:
            assert MARGIN - 2 <= word.x0 and word.x1 <= sheet.width - MARGIN + 2, \
                f"page {n}: {word.text!r} at {word.x0:.0f}–{word.x1:.0f} pt leaves the page's {sheet.width:.0f} pt"
    texts = [sheet.text for sheet in pages]
    tables = Tables(page.read_text(encoding="utf-8")).tables
    assert tables
    for table in tables:
        head = squeeze("".join(table["head"]))
        for row in table["rows"]:
            line = squeeze("".join(row))
            on = [n for n, text in enumerate(texts) if line in text]
            assert on, f"row {row!r} is missing from the PDF or split across pages"
            assert any(head in texts[n] for n in on), f"row {row!r} is printed without its headings"
    return pages


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return copy_sample_desk(tmp_path_factory.mktemp("sample") / "desk")


@browser
@pytest.mark.parametrize("name,args,landscape", SAMPLE_REPORTS, ids=[r[0] for r in SAMPLE_REPORTS])
def test_each_report_of_the_sample_desk_prints_on_a4_without_losing_a_column(sample, tmp_path, name, args,
                                                                             landscape):
    """Issue 14: the wide tables (SLA: 19 columns; the A-1 register) are printed landscape and still fit;
    every row of every table is in the PDF's text; the browser's picture of the page is a real PNG."""
    page = report_html(sample, args, tmp_path / f"{name}.html")
    assert_prints_whole(page, tmp_path / f"{name}.pdf", landscape)
    png = browserkit.screenshot(page, tmp_path / f"{name}.png", 1100, 900)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1100, 900)


@browser
def test_the_english_sla_report_prints_as_well(sample, tmp_path):
    page = report_html(sample, ["sla", "--month", "2026-11"], tmp_path / "sla-en.html", lang="en")
    assert_prints_whole(page, tmp_path / "sla-en.pdf", True)


def long_register(root: Path, count: int = 40) -> Path:
    """A desk whose register runs over several pages: tall rows of several lines each."""
    desk = init_desk(root)
    start = datetime.fromisoformat("2026-11-02T09:00:00+03:00")
    for n in range(count):
        when = start + timedelta(hours=5 * n)
        ctx = Ctx(desk, when, "Рудаков А.")
        text = "\n".join(f"Строка {k} описания проблемы номер {n}: не печатаются талоны в регистратуре."
                         for k in range(1 + n % 7))
        if n == 3:  # one word longer than the page is wide: a pasted log line, a link
            text += "\nhttps://example.ru/" + "путь/" * 40 + "?" + "&".join(f"p{k}=значение" for k in range(30))
        fields = tickets.NewTicket(subject=f"Обращение номер {n}", text=text, org="ООО «Вектор»",
                                   contact=Contact(f"Козлов {n}", "Директор", "+7 912 555-01-02",
                                                   f"kozlov{n}@vektor-shop.ru"), received_at=when)
        ticket_id = tickets.create(ctx, fields).ticket.id
        tickets.register(Ctx(desk, when + timedelta(minutes=30), "Рудаков А."), ticket_id, 1 + n % 4, "Петров П.")
    return desk.root


@browser
def test_a_register_of_several_pages_repeats_its_headings_and_splits_no_row(tmp_path):
    """Issue 14: table headings on every page, no row split between two pages (each row's cells are all on
    one page, under the headings); a word longer than the page breaks inside its cell instead of leaving it."""
    desk = long_register(tmp_path / "desk")
    page = report_html(desk, ["journal", "--month", "2026-11"], tmp_path / "journal.html")
    pages = assert_prints_whole(page, tmp_path / "journal.pdf", True)
    assert len(pages) >= 3
    head = squeeze("".join(Tables(page.read_text(encoding="utf-8")).tables[0]["head"]))
    assert all(head in sheet.text for sheet in pages)


# Runs in the page: every text of every chart inside its picture, and no two upright texts on each other.
CHART_PROBE = """
const out = [];
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')];
  const rects = texts.map(t => t.getBoundingClientRect());
  texts.forEach((t, i) => {
    const r = rects[i];
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
      out.push('clipped: ' + t.textContent);
  });
  texts.forEach((t, i) => texts.forEach((u, j) => {
    if (j <= i || t.hasAttribute('transform') || u.hasAttribute('transform')) return;
    const a = rects[i], b = rects[j];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      out.push('overlap: ' + t.textContent + ' / ' + u.textContent);
  }));
  if (box.right > document.documentElement.clientWidth + 0.5) out.push('wider than the page');
}
document.title = JSON.stringify(out);
"""


@browser
def test_the_sla_chart_shows_every_label_whole(sample, tmp_path):
    """Issue 14: "chart labels not clipped" — the legend's third series was cut off at the picture's edge."""
    for lang in ("ru", "en"):
        page = report_html(sample, ["sla", "--month", "2026-11"], tmp_path / f"sla-{lang}.html", lang=lang)
        assert json.loads(browserkit.evaluate(page, CHART_PROBE, tmp_path)) == []


@browser
def test_long_labels_and_many_weeks_are_neither_clipped_nor_piled(tmp_path):
    """Labels wider than their bars are turned; a year of weeks gets thinner bars and every n-th label."""
    weeks = [f"{d:02d}.{m:02d}" for m in range(1, 13) for d in (5, 12, 19, 26)]
    charts = [
        Chart(("Очень длинное название графика соблюдения сроков", "t"), ["Первая метка длинная", "Вторая",
              "Третья очень длинная метка"], [(("регистрация в срок, %", "r"), [10.0, None, 100.0]),
                                              (("решение в срок, %", "s"), [50.0, 75.5, 0.0]),
                                              (("первый ответ в срок, %", "f"), [None, 99.9, 100.0])]),
        Chart(("Год", "Year"), weeks, [(("регистрация в срок, %", "r"), [100.0] * len(weeks)),
                                       (("решение в срок, %", "s"), [33.3] * len(weeks))]),
    ]
    page = tmp_path / "charts.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><style>svg{max-width:100%;height:auto}"
                    "</style></head><body>" + "".join(svg_bar_chart(c, "ru") for c in charts) + "</body></html>",
                    encoding="utf-8")
    assert json.loads(browserkit.evaluate(page, CHART_PROBE, tmp_path)) == []
    turned, year = svg_bar_chart(charts[0], "ru"), svg_bar_chart(charts[1], "ru")
    assert "transform=" in turned and "transform=" not in year
    assert int(re.search(r'width="(\d+)"', year).group(1)) <= 1000  # thinner bars, not a 3,000 px strip
    assert ">05.01</text>" in year and ">12.01</text>" not in year and year.count("<rect") == 2 + 2 * 48


def test_chart_numbers_are_written_as_the_tables_write_them():
    """Issue 14: the SVG tooltips said `50.0%` beside `50,0 %` in the Russian tables; the axis too."""
    chart = Chart(("Соблюдение", "Compliance"), ["23.11"], [(("в срок, %", "in time, %"), [50.0])])
    ru, en = svg_bar_chart(chart, "ru"), svg_bar_chart(chart, "en")
    assert "23.11: в срок, % 50,0\u00a0%</title>" in ru and "50.0%" not in ru
    assert ">100\u00a0%</text>" in ru and ">100%</text>" not in ru
    assert "23.11: in time, % 50.0%</title>" in en and ">100%</text>" in en
    assert number(50, 1, "ru", percent=True) == "50,0\u00a0%" and number(1.5, 2, "en") == "1.50"


def visible_text(page: str) -> str:
    """What a reader sees of a report: its text, the charts' labels and tooltips; no styles or attributes."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_number_of_every_report_is_in_the_desks_language(sample, tmp_path, lang):
    """Issue 14, numbers in the desk's language everywhere: Russian `50,0 %`, `1,50` (a no-break space before
    `%`), English `50.0%`, `1.50` — in each report's HTML (tables, chart, tooltips), Markdown and table, on
    the sample desk (ru) and on a copy of it whose supportctl.yaml says `language: en`."""
    from typer.testing import CliRunner

    from supportctl.cli.app import app

    desk = sample
    if lang == "en":
        desk = copy_sample_desk(tmp_path / "desk")
        settings = desk / "supportctl.yaml"
        text = settings.read_text(encoding="utf-8")
        assert "\nlanguage: ru\n" in text
        settings.write_text(text.replace("\nlanguage: ru\n", "\nlanguage: en\n"), encoding="utf-8")
    env = {"SUPPORTCTL_DESK": str(desk), "SUPPORTCTL_NOW": browserkit.NOW, "SUPPORTCTL_USER": "Рудаков А."}
    seen = ""
    for name, args, _ in SAMPLE_REPORTS:
        for fmt in ("html", "markdown", "table"):
            result = CliRunner().invoke(app, ["report", *args, "--format", fmt], env=env)
            assert result.exit_code == 0, result.output
            # rule IDs and their ranges (R-6.2–6.5) are names, not numbers
            text = re.sub(r"\b(?:R|IS|MF|A)-\d+(?:\.\d+)?(?:[–-]\d+(?:\.\d+)?)?", "", visible_text(result.stdout))
            seen += text
            if lang == "ru":
                # dates are DD.MM, so a decimal point shows as one decimal or a one-digit whole part
                wrong = re.findall(r"(?<![\d.])\d+\.\d(?![\d.])|(?<![\d.])\d\.\d\d(?![\d.])|\d%|\d\.\d+\s?%", text)
            else:
                wrong = re.findall(r"\d,\d{1,2}(?!\d)|\d[\s\u00a0]%", text)
            assert not wrong, f"report {name} --format {fmt} --lang {lang}: {sorted(set(wrong))}"
    assert ("50,0\u00a0%" if lang == "ru" else "50.0%") in seen or ("100,0\u00a0%" if lang == "ru" else "100.0%") in seen


def test_wide_reports_ask_for_landscape_and_the_others_for_portrait(sample, tmp_path):
    """The page's orientation follows the width of its widest table (@page)."""
    for name, args, landscape in SAMPLE_REPORTS:
        page = report_html(sample, args, tmp_path / f"{name}.html").read_text(encoding="utf-8")
        assert ("@page{size:A4 landscape" in page) is landscape, name
        assert "thead{display:table-header-group}" in page and "tr,svg{break-inside:avoid}" in page


@browser
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils (pdfinfo) is not installed")
def test_the_reports_page_prints_the_sla_report_as_it_says(tmp_path):
    """docs/reports.md's three commands, run as written on the sample desk: the SLA report prints on the
    two landscape A4 pages its comment says."""
    page = (browserkit.REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    block = page.split("With Debian's `chromium` package:\n\n", 1)[1].split("\n\n", 1)[0]
    lines = [line[4:] for line in block.splitlines()]
    said = lines[-1].split("# ", 1)[1]
    desk = pagekit.copy_sample_desk(tmp_path / "desk")
    ran = pagekit.run_steps(pagekit.steps(lines), desk, pagekit.tool_env(HOME=str(tmp_path)), tmp_path)
    assert [r.code for r in ran] == [0, 0, 0], [r.stderr for r in ran]
    printed = [re.sub(r"\s+", " ", line) for line in ran[-1].stdout.splitlines()]
    assert printed == said.split(", ")


def test_the_docs_keep_a_picture_of_each_report():
    """Issue 14: docs/img has the sample desk's reports as tools/report_pictures.py prints them, small."""
    pictures = [browserkit.REPO / "docs" / "img" / f"report-{name}.png" for name, _, _ in SAMPLE_REPORTS]
    for png in pictures:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    assert sum(png.stat().st_size for png in pictures) < 400_000
    page = (browserkit.REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    shown = [png.name for png in pictures if f"](img/{png.name})" not in page]
    assert not shown, f"docs/reports.md does not show {shown}"
