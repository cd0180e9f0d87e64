"""Rendering a report: table (terminal), markdown, csv (UTF-8 with BOM for Excel), json, html.

Every format shows the same rows; human formats format the values by column
kind, JSON keeps them raw (see the README for the fields).
"""

from __future__ import annotations

import html
import json
import math
from datetime import datetime
from typing import Any, Callable

from supportctl.csvsafe import BOM, Number, csv_text  # noqa: F401 (lets Excel read the CSV as UTF-8; importable from here as before)
from supportctl.domain.values import format_local, iso
from supportctl.errors import InvalidValue
from supportctl.reports.model import (
    DATETIME, HOURS, INT, MINUTES, NUMBER, NUMERIC_KINDS, PCT, TEXT, Chart, Column, Report, Section, pick,
)

FORMATS = ("table", "markdown", "csv", "json", "html")
REPORT_MIN_SHRUNK = 12  # a report's text column cut to the terminal keeps this many columns ("2025-W48", dates)


def render(report: Report, fmt: str, width: int | None = None, escape: Callable[[str], str] | None = None) -> str:
    """``width`` and ``escape``: the table format for a terminal (see ``to_table``)."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise InvalidValue(f"invalid --format {fmt!r}", "use " + ", ".join(FORMATS)) from None
    return to_table(report, width, escape) if fmt == "table" else renderer(report)


# ---------------------------------------------------------------- values

def cell_format(column: Column, report: Report, *, machine: bool = False) -> Callable[[Any], str]:
    """How the column's values read, as a function of the value, in the report's language: Russian
    decimal comma and "50,0 %", durations "1 ч 30 мин". ``machine`` (CSV): numbers bare with a dot
    (50.0, 1.5; minutes as an integer), nothing for a missing number, so a spreadsheet computes with
    them. Its kind is looked at once for a whole column (issue 13: a report of 100,000 tickets formats
    half a million cells)."""
    lang, kind = report.lang, column.kind
    if column.blank:
        blank = pick(column.blank, lang)
    else:
        blank = "—" if kind in NUMERIC_KINDS and not machine else ""
    if kind == INT or (kind == MINUTES and machine):
        def shown(value: Any) -> str:
            return str(int(value))
    elif kind == MINUTES:
        def shown(value: Any) -> str:
            return duration(value, lang)
    elif kind == DATETIME:
        tz = report.scope.period.tz

        def shown(value: Any) -> str:
            return format_local(value, tz)
    elif kind not in (PCT, HOURS, NUMBER):
        shown = str
    else:
        decimals, hours, percent = (2 if kind == NUMBER else 1), kind == HOURS, kind == PCT

        def shown(value: Any) -> str:
            figure = value / 60 if hours else value
            if machine:
                return f"{figure:.{decimals}f}"
            return number(figure, decimals, lang, percent=percent)

    def formatted(value: Any) -> str:
        return blank if value is None or value == "" else shown(value)

    return formatted


def number(value: float, decimals: int, lang: str, *, percent: bool = False) -> str:
    """A number as the report's language writes it — "50,0 %" in Russian (decimal comma, no break
    before %), "50.0%" in English. Every human format uses it: table cells, the chart's axis and tooltips."""
    text = f"{value:.{decimals}f}"
    if lang == "en":
        return text + ("%" if percent else "")
    return text.replace(".", ",") + ("\u00a0%" if percent else "")


_UNITS = {"ru": ("ч", "мин"), "en": ("h", "min")}


def duration(minutes: int, lang: str) -> str:
    """'30 мин', '1 ч 05 мин' ('30 min', '1 h 05 min')."""
    hours_unit, minutes_unit = _UNITS["en" if lang == "en" else "ru"]
    sign = "−" if minutes < 0 else ""
    h, m = divmod(abs(int(minutes)), 60)
    return f"{sign}{h} {hours_unit} {m:02d} {minutes_unit}" if h else f"{sign}{m} {minutes_unit}"


def csv_heading(column: Column, lang: str) -> str:
    """A CSV heading names the unit its bare numbers are in, where the heading does not already."""
    return column.title(lang) + (", " + _UNITS["en" if lang == "en" else "ru"][1] if column.kind == MINUTES else "")


def json_value(value: Any, report: Report) -> Any:
    if isinstance(value, datetime):
        return iso(value, report.scope.period.tz)
    return value


def header_lines(report: Report) -> list[str]:
    lang, scope = report.lang, report.scope
    lines = [f"{pick(('Период', 'Period'), lang)}: {scope.period.label()}"]
    if scope.org:
        lines.append(f"{pick(('Организация', 'Organisation'), lang)}: {scope.org}")
    if scope.assignee:
        lines.append(f"{pick(('Ответственный', 'Assignee'), lang)}: {scope.assignee}")
    lines += [report.text(line) for line in report.about]
    generated = format_local(report.generated_at, scope.period.tz)
    lines.append(f"{pick(('Сформирован', 'Generated'), lang)}: {generated}")
    return lines


def _formatted(section: Section, report: Report, *, machine: bool = False) -> list[list[str]]:
    formats = [cell_format(c, report, machine=machine) for c in section.columns]
    keys = [c.key for c in section.columns]
    rows = section.rows
    if rows and hasattr(rows[0], "values_of"):  # rows of their own type (a section's rows are of one type)
        return [[f(v) for f, v in zip(formats, row.values_of(keys))] for row in rows]
    return [[f(row.get(k)) for f, k in zip(formats, keys)] for row in rows]


# ---------------------------------------------------------------- formats

def to_table(report: Report, width: int | None = None, escape: Callable[[str], str] | None = None) -> str:
    """With ``width``, each table fits it: text columns of one line are cut with "…", cells of
    several lines (the register, A-1) wrapped. ``escape`` is applied to every cell before it is
    measured (the terminal's escaping of control characters); it must leave lines joined by line
    breaks unchanged when it leaves each of them unchanged, as ``cli.common.visible`` does."""
    from supportctl.texttable import grid_table, simple_table, wrap

    out = [report.text(report.title), *header_lines(report)]
    if escape is not None:
        out = [escape(line) for line in out]
    if width is not None:
        out = [part for line in out for part in wrap(line, width)]
    for section in report.sections:
        out.append("")
        if section.title:
            title = report.text(section.title)
            out += [title, "=" * len(title)]
        rows = _formatted(section, report)
        if not rows:
            out.append(report.text(section.empty))
            continue
        headers = [c.title(report.lang) for c in section.columns]
        if escape is not None:
            # only text can hold what ``escape`` changes: the other kinds are formatted here, of digits
            for i, c in enumerate(section.columns):
                # a column whose lines all pass unchanged (the usual case) is not escaped cell by cell
                joined = "\n".join(row[i] for row in rows) if c.kind == TEXT else None
                if joined is not None and escape(joined) != joined:
                    for row in rows:
                        row[i] = escape(row[i])
            headers = [escape(h) for h in headers]
        colalign = ["right" if c.kind in NUMERIC_KINDS else "left" for c in section.columns]
        if any("\n" in v for row in rows for v in row):
            out.append(grid_table(rows, headers, colalign, max_width=width))
        else:
            text_columns = [i for i, c in enumerate(section.columns) if c.kind == TEXT]
            out.append(simple_table(rows, headers, colalign, max_width=width, shrink=text_columns,
                                    min_shrunk=REPORT_MIN_SHRUNK))
        rows = None  # a section's formatted cells go before the next is formatted and the text joined
    return "\n".join(out) + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]!|~"})


def _md_cell(text: str) -> str:
    """One table cell (or header line, which starts with the tool's own words) as literal text:
    markdown's inline punctuation backslash-escaped, so a subject's ``![x](http://…)`` is no remote
    image and ``[a](b)`` no link; & and < as entities, line breaks as <br>."""
    return html.escape(text, quote=False).translate(_MD_SPECIAL).replace("\n", "<br>")


def to_markdown(report: Report) -> str:
    out = [f"# {report.text(report.title)}", ""]
    out += [f"- {_md_cell(line)}" for line in header_lines(report)]
    for section in report.sections:
        out.append("")
        if section.title:
            out += [f"## {report.text(section.title)}", ""]
        rows = _formatted(section, report)
        if not rows:
            out.append(report.text(section.empty))
            continue
        out.append("| " + " | ".join(_md_cell(c.title(report.lang)) for c in section.columns) + " |")
        out.append("|" + "|".join("---:" if c.kind in NUMERIC_KINDS else "---" for c in section.columns) + "|")
        out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def to_csv(report: Report) -> str:
    """One table per section; with several sections each is preceded by its title and a blank line.
    Text cells are neutralised against formula injection (supportctl/csvsafe.py); numbers stay bare."""
    rows: list[list[str]] = []
    several = len(report.sections) > 1
    for n, section in enumerate(report.sections):
        if several:
            if n:
                rows.append([])
            rows.append([report.text(section.title or report.title)])
        rows.append([csv_heading(c, report.lang) for c in section.columns])
        numeric = [c.kind in NUMERIC_KINDS and not c.blank for c in section.columns]
        rows += [[Number(v) if bare and _is_number(v) else v for v, bare in zip(row, numeric)]
                 for row in _formatted(section, report, machine=True)]
    return csv_text(rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_json(report: Report) -> str:
    data: dict[str, Any] = {
        "report": report.name,
        "title": report.text(report.title),
        "lang": report.lang,
        "generated_at": iso(report.generated_at, report.scope.period.tz),
        **report.scope.to_dict(),
        **{k: json_value(v() if callable(v) else v, report) for k, v in report.extra.items()},
        "sections": {
            s.key: [{c.key: json_value(row.get(c.key), report) for c in (*s.json_only, *s.columns)}
                    for row in s.rows]
            for s in report.sections
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2em;color:#222;font-size:14px}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}
.meta{color:#555;margin:0 0 1em;padding:0;list-style:none}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #bbb;padding:4px 8px;vertical-align:top;text-align:left;white-space:pre-line}
td.wrap{overflow-wrap:anywhere}th{background:#eef1f5}tr:nth-child(even) td{background:#fafafa}
td.num,th.num{text-align:right}td.num{white-space:nowrap}
.empty{color:#777;font-style:italic}
svg{max-width:100%;height:auto}
svg text{font-family:inherit;font-size:11px;fill:#333}
@media print{
body{margin:0;font-size:PRINT_SIZE;print-color-adjust:exact;-webkit-print-color-adjust:exact}
th,td{padding:2px 4px}
thead{display:table-header-group}
tr,svg{break-inside:avoid}
h1,h2{break-after:avoid}
}
""".strip()

# A table whose columns need more characters side by side than A4 portrait holds at 9 pt (inside 12 mm
# margins) prints the whole report landscape, at 8 pt. A guess of ~0.5 em a character: the browser
# test (tests/test_reports_browser.py) checks that what is printed fits.
_PORTRAIT_CHARS = 100
_WRAP_AT = 40  # a longer line of text wraps inside its cell


def _needs_landscape(report: Report, tables: list[tuple[Section, list[list[str]]]]) -> bool:
    for section, rows in tables:
        if not rows:
            continue
        width = 0
        for i, column in enumerate(section.columns):
            heading = max((len(word) for word in column.title(report.lang).split()), default=0)
            body = max((len(line) for row in rows for line in row[i].split("\n")), default=0)
            width += max(heading, min(body, _WRAP_AT)) + 2  # + padding and border
        if width > _PORTRAIT_CHARS:
            return True
    return False


def _page_css(report: Report, tables: list[tuple[Section, list[list[str]]]]) -> str:
    landscape = _needs_landscape(report, tables)
    page = "@page{size:A4 %s;margin:12mm}" % ("landscape" if landscape else "portrait")
    return page + "\n" + _CSS.replace("PRINT_SIZE", "8pt" if landscape else "9pt")


_SERIES_COLOURS = ("#3c78b4", "#e08a2c", "#5a9e4b")


def to_html(report: Report) -> str:
    """One self-contained page that prints on A4: landscape when a table is wide, headings of a table
    repeated on every page it spans, no row split between pages."""
    e = html.escape
    lang = report.lang
    title = report.text(report.title)
    tables = [(section, _formatted(section, report)) for section in report.sections]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        f'<head><meta charset="utf-8"><title>{e(title)}</title><style>{_page_css(report, tables)}</style></head>',
        "<body>",
        f"<h1>{e(title)}</h1>",
        '<ul class="meta">' + "".join(f"<li>{e(line)}</li>" for line in header_lines(report)) + "</ul>",
    ]
    if report.chart and report.chart.labels:
        out.append(svg_bar_chart(report.chart, lang))
    for section, rows in tables:
        if section.title:
            out.append(f"<h2>{e(report.text(section.title))}</h2>")
        out.append(html_table(report, section, rows))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def html_table(report: Report, section: Section, rows: list[list[str]] | None = None) -> str:
    """One section as an HTML table (every text escaped), or its "nothing" line; the static site
    (reports/site.py) shows sections of reports with it too."""
    e = html.escape
    rows = _formatted(section, report) if rows is None else rows
    if not rows:
        return f'<p class="empty">{e(report.text(section.empty))}</p>'
    classes = [' class="num"' if c.kind in NUMERIC_KINDS else ' class="wrap"' if _long_words(rows, i) else ""
               for i, c in enumerate(section.columns)]
    out = ["<table><thead><tr>" + "".join(
        f"<th{cls}>{e(c.title(report.lang))}</th>" for c, cls in zip(section.columns, classes)) + "</tr></thead><tbody>"]
    out += ["<tr>" + "".join(f"<td{cls}>{e(v)}</td>" for v, cls in zip(row, classes)) + "</tr>"
            for row in rows]
    out.append("</tbody></table>")
    return "\n".join(out)


_LONG_WORD = 16  # a word of a cell longer than this (an address, a contract number) may break anywhere


def _long_words(rows: list[list[str]], i: int) -> bool:
    """Whether column ``i`` has a word so long that its cells must break inside words to fit the page;
    shorter ones (dates, IDs, "26.10–01.11") are never cut."""
    return any(len(word) > _LONG_WORD for row in rows for word in row[i].split())


_CHAR_PX = 7.0  # a generous width of one character of the chart's 11px text, so no label is clipped


def _text_px(text: str) -> float:
    return len(text) * _CHAR_PX


_PLOT_PX = 900  # bars of more labels than fit this width get thinner (a year of weeks)
_TURN_UP_TO = 12  # up to this many labels too wide for their bars are turned; more are thinned out


def svg_bar_chart(chart: Chart, lang: str) -> str:
    """Grouped bars of percentages (0..100) per label; a missing value draws a grey dash. The picture is as
    wide as its title, legend and labels need (it scales down to the page), its bars thinner when there are
    many labels; labels wider than their group of bars are turned 45° when few, else only every n-th is
    written. Numbers are written as the tables write them (`number`)."""
    e = html.escape
    title = pick(chart.title, lang)
    ticks = [(pct, number(pct, 0, lang, percent=True)) for pct in (0, 25, 50, 75, 100)]
    series, count = len(chart.series), len(chart.labels)
    bar, gap, top, plot_h = 18.0, 14.0, 40, 160
    if count * (bar * series + gap) > _PLOT_PX:
        gap = _PLOT_PX / count / 4
        bar = 3 * gap / series
    group = bar * series + gap
    label_px = max(_text_px(label) for label in chart.labels)
    turned, step = False, 1
    if label_px > group - 4:
        if count <= _TURN_UP_TO:
            turned = True
        else:
            step = math.ceil((label_px + 8) / group)
    # room for the axis' numbers, and for the first label reaching left below the axis
    reach = label_px * 0.71 if turned else label_px / 2
    left = max(44.0, max(_text_px(text) for _, text in ticks) + 12, reach - group / 2 + 8)
    legend, x = [], left
    for n, (name, _values) in enumerate(chart.series):
        legend.append((x, pick(name, lang), _SERIES_COLOURS[n % 3]))
        x += 14 + _text_px(pick(name, lang)) + 20
    plot_right = left + group * count
    last_centre = left + group * ((count - 1) // step * step) + group / 2
    width = round(max(plot_right + 10, x, left + _text_px(title) * 1.1 + 10,
                      last_centre + (0 if turned else label_px / 2) + 10))
    bottom = (label_px * 0.71 + 20) if turned else 30
    height = round(top + plot_h + bottom + 8)
    base = top + plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Arial,sans-serif" font-size="11">'
             f'<title>{e(title)}</title>',
             f'<text x="{left}" y="14" style="font-weight:bold">{e(title)}</text>']
    for lx, name, colour in legend:
        parts.append(f'<rect x="{lx:.1f}" y="22" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14:.1f}" y="31">{e(name)}</text>')
    for pct, text in ticks:
        y = base - pct * plot_h / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{plot_right:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{e(text)}</text>')
    for i, label in enumerate(chart.labels):
        x0 = left + i * group + gap / 2
        for n, (name, values) in enumerate(chart.series):
            value = values[i]
            x = x0 + n * bar
            shown = "—" if value is None else number(value, 1, lang, percent=True)
            tip = e(f"{label}: {pick(name, lang)} {shown}")
            if value is None:
                parts.append(f'<line x1="{x + bar * 0.2:.1f}" y1="{base - 4}" x2="{x + bar * 0.7:.1f}" '
                             f'y2="{base - 4}" stroke="#999"><title>{tip}</title></line>')
                continue
            h = value * plot_h / 100
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" '
                         f'fill="{_SERIES_COLOURS[n % 3]}"><title>{tip}</title></rect>')
        if i % step:
            continue
        centre = x0 + bar * series / 2
        if turned:
            parts.append(f'<text x="{centre:.1f}" y="{base + 14}" text-anchor="end" '
                         f'transform="rotate(-45 {centre:.1f} {base + 14})">{e(label)}</text>')
        else:
            parts.append(f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_RENDERERS = {"table": to_table, "markdown": to_markdown, "csv": to_csv, "json": to_json, "html": to_html}
