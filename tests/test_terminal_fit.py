"""Fit the terminal (issue 12, "Fit the terminal"; issue 14: `report journal` wraps to the width).

Colours only on a terminal (breached red, at_risk yellow, paused/waiting dim, priority 1 bold),
NO_COLOR and --color never|auto|always respected, never in pipes, files, JSON or CSV; tables cut to
the terminal's width by display width, --wide shows all. The terminal cases run the installed CLI
under a real pseudo-terminal, as a person sees it.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import re
import struct
import subprocess
import sys
import termios

import pytest
from tabulate import tabulate

from supportctl.texttable import display_width, grid_table, simple_table, truncate, wrap
from tests.conftest import add_barrier

MON_10 = "2025-12-01T10:00:00+03:00"
LATE = "2025-12-01T15:00:00+03:00"  # a priority 1 ticket registered at 10:00 is breached
SGR = re.compile(r"\x1b\[[0-9;]*m")
LONG_SUBJECT = "Не печатаются талоны в регистратуре второго корпуса после обновления драйвера принтера"
LONG_ORG = "Государственное бюджетное учреждение «Городская поликлиника № 3 Департамента здравоохранения»"


# ---------------------------------------------------------------- widths (pure)

def test_display_width_counts_columns_not_characters():
    assert display_width("Не работает АБС") == 15  # Cyrillic: one column each
    assert display_width("漢字") == 4  # East Asian wide: two
    assert display_width("e\u0301") == 1  # a combining accent: none
    assert display_width("\x1b[1;31mТест\x1b[0m") == 4  # colour codes: none


def test_truncate_ends_with_ellipsis_within_the_width():
    assert truncate("Не работает АБС", 8) == "Не рабо…"
    assert truncate("short", 8) == "short"
    assert truncate("漢字漢字漢字", 5) == "漢字…"  # a wide character never half-shown
    assert display_width(truncate("漢字漢字漢字", 6)) <= 6
    assert truncate("e\u0301e\u0301e\u0301e\u0301", 3) == "e\u0301e\u0301…"  # the accent stays with its letter


def test_truncate_never_splits_an_escape_sequence():
    text = "\x1b[31mбукв\x1b[0m" * 5
    cut = truncate(text, 7)
    assert display_width(cut) == 7 and cut.endswith("\x1b[0m")
    assert "\x1b[" not in SGR.sub("", cut)  # every escape in it is whole


def test_wrap_breaks_at_spaces_and_long_words_at_the_edge():
    assert wrap("Передано в ТП. Назначен ответственный", 14) == ["Передано в ТП.", "Назначен", "ответственный"]
    assert wrap("smirnova@barrier.ru", 8) == ["smirnova", "@barrier", ".ru"]
    assert all(display_width(line) <= 5 for line in wrap("漢字漢字漢字 ab", 5))


def test_table_fits_by_truncating_the_shrinkable_columns():
    rows = [["T-0001", 1, LONG_SUBJECT, LONG_ORG], ["T-0002", "", "x", "y"]]
    text = simple_table(rows, ["id", "p", "subject", "org"], max_width=60, shrink=[2, 3])
    lines = text.splitlines()
    assert all(display_width(line) <= 60 for line in lines)
    assert lines[2].startswith("T-0001  1  Не печатаются") and "…" in lines[2]
    assert simple_table(rows, ["id", "p", "subject", "org"], max_width=None, shrink=[2, 3]).count(LONG_ORG) == 1


def test_optional_columns_go_when_truncating_is_not_enough():
    rows = [["T-0001", "on_track", LONG_SUBJECT, "unverified"]]
    text = simple_table(rows, ["id", "sla", "subject", "verified"], max_width=30, shrink=[2], optional=[3])
    assert "verified" not in text and all(display_width(line) <= 30 for line in text.splitlines())


def test_colour_never_moves_a_column():
    rows = [["T-0001", "breached", "Сбой АБС"], ["T-0002", "on_track", "漢字"]]
    plain = simple_table(rows, ["id", "sla", "subject"])
    coloured = simple_table(rows, ["id", "sla", "subject"], styles=["31;1", None])
    assert coloured != plain and SGR.sub("", coloured) == plain
    assert coloured.splitlines()[2].startswith("\x1b[31;1mT-0001") and coloured.splitlines()[2].endswith("\x1b[0m")


def test_padding_by_display_width_aligns_wide_characters():
    lines = simple_table([["漢字", "a"], ["ab", "b"]], ["x", "y"]).splitlines()
    assert display_width(lines[2][:lines[2].rindex("a")]) == display_width(lines[3][:lines[3].rindex("b")]) == 6


def test_grid_without_a_width_is_tabulate_grid():
    """`report journal` in a pipe is what it was (tabulate's grid) when it is not fitted."""
    rng = random.Random(12)
    alphabet = "абв abc «»\n"
    for _ in range(200):
        n = rng.randint(1, 5)
        headers = ["".join(rng.choice("Заголовок ") for _ in range(rng.randint(1, 9))).strip() or "h" for _ in range(n)]
        rows = [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))).strip("\n ") for _ in range(n)]
                for _ in range(rng.randint(1, 4))]
        if not any("\n" in v for row in rows for v in row):
            rows[0][0] += "\nz"
        rows = [row for row in rows if any(row)]  # tabulate prints an all-empty row as no line at all
        align = [rng.choice(["left", "right"]) for _ in range(n)]
        assert grid_table(rows, headers, align) == tabulate(rows, headers=headers, tablefmt="grid",
                                                            disable_numparse=True, colalign=align)


def test_grid_wraps_to_the_width_keeping_every_word_issue_14():
    text = "21.11.16 16:39 \\ Передано в ТП. Назначен ответственный Рудаков А.\n21.11.16 17:30 \\ Готово."
    out = grid_table([["1", "АКБ «Барьер»", text]], ["Приоритет", "Организация", "Дата\\Ход решения"],
                     ["right", "left", "left"], max_width=50)
    assert all(display_width(line) <= 50 for line in out.splitlines())
    assert " ".join(out.replace("|", " ").split()).count("Назначен ответственный") == 1


# ---------------------------------------------------------------- the CLI, not a terminal

def breached_ticket(cli) -> str:
    add_barrier(cli)
    tid = cli("new", "--subject", LONG_SUBJECT, "--text", "Не работает", "--org", "АКБ «Барьер»",
              "--contact", "Смирнова Ольга Петровна", now=MON_10).stdout.strip()
    cli("register", tid, "--priority", "1", now=MON_10)
    return tid


def test_color_always_colours_a_breached_priority_1_ticket_red_and_bold(cli):
    tid = breached_ticket(cli)
    out = cli("--color", "always", "list", now=LATE).stdout
    [row] = [line for line in out.splitlines() if tid in line]
    assert row.startswith("\x1b[31;1m") and row.endswith("\x1b[0m")
    assert "\x1b" not in out.splitlines()[0]  # the header is not coloured


def test_at_risk_yellow_and_waiting_dim(cli):
    tid = breached_ticket(cli)
    assert "\x1b[33;1m" in cli("--color", "always", "list", now="2025-12-01T13:15:00+03:00").stdout
    cli("hold", tid, "--reason", "need-info", now="2025-12-01T11:00:00+03:00")
    assert "\x1b[2;1m" in cli("--color", "always", "list", now="2025-12-01T12:00:00+03:00").stdout


def test_no_colour_without_a_terminal_never_or_in_json_and_csv(cli):
    breached_ticket(cli)
    assert "\x1b" not in cli("list", now=LATE).stdout  # auto: not a terminal
    assert "\x1b" not in cli("--color", "never", "list", now=LATE).stdout
    assert "\x1b" not in cli("--color", "always", "list", "--json", now=LATE).stdout
    assert "\x1b" not in cli("--color", "always", "list", "--format", "csv", now=LATE).stdout
    assert "\x1b" not in cli("--color", "always", "overdue", "--json", now=LATE).stdout
    assert "\x1b[31;1m" in cli("--color", "always", "overdue", now=LATE).stdout


def test_a_pipe_gets_every_character_of_the_subject(cli):
    """Before issue 12 `list` cut subjects at 50 characters, `overdue` at 40, wherever it printed."""
    breached_ticket(cli)
    assert LONG_SUBJECT in cli("list", now=LATE).stdout
    assert LONG_SUBJECT in cli("overdue", now=LATE).stdout


def test_bad_color_value_is_exit_2(cli):
    r = cli("--color", "sometimes", "list")
    assert r.exit_code == 2 and "auto, always, never" in r.output


def test_control_characters_in_data_are_shown_not_obeyed_with_colour(cli, desk):
    """visible() escaping still applies to data; only the tool's own codes reach the terminal."""
    tid = breached_ticket(cli)
    path = desk.root / "tickets" / f"{tid}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(LONG_SUBJECT, "\"Сбой \\e[2J\""), encoding="utf-8")
    out = cli("--color", "always", "list", now=LATE).stdout
    assert "\x1b[2J" not in out and "␛[2J" in out
    assert SGR.sub("", out).count("\x1b") == 0


# ---------------------------------------------------------------- under a pseudo-terminal

def on_terminal(args: list[str], env: dict[str, str], columns: int = 80) -> str:
    """Run the installed CLI with stdout on a pseudo-terminal of ``columns`` columns; what it shows."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR")}
    full_env.update({"TERM": "xterm-256color", **env})
    proc = subprocess.Popen([sys.executable, "-m", "supportctl", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=subprocess.DEVNULL, env=full_env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.fixture
def terminal_desk(cli, desk):
    add_barrier(cli)
    cli("customer", "add", LONG_ORG, "--contract", "1", "--from", "2020-01-01", "--to", "2030-12-31")
    tid = breached_ticket(cli)
    other = cli("new", "--subject", "漢字のテスト " + LONG_SUBJECT, "--text", "y", "--org", LONG_ORG,
                now=MON_10).stdout.strip()
    return tid, other, {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": LATE, "SUPPORTCTL_USER": "Рудаков А."}


def test_list_on_an_80_column_terminal_fits_and_is_coloured(terminal_desk):
    tid, other, env = terminal_desk
    out = on_terminal(["list"], env, columns=80)
    lines = out.splitlines()
    assert any(tid in line for line in lines) and any(other in line for line in lines)
    assert all(display_width(line) <= 80 for line in lines), out
    assert "\x1b[31;1m" in out and "…" in out
    assert LONG_SUBJECT not in SGR.sub("", out)


def test_terminal_size_without_columns_and_columns_override(terminal_desk):
    _, _, env = terminal_desk
    assert all(display_width(line) <= 100 for line in on_terminal(["list"], env, columns=100).splitlines())
    out = on_terminal(["list"], {**env, "COLUMNS": "72"}, columns=200)
    assert all(display_width(line) <= 72 for line in out.splitlines()) and "…" in out, out


def test_wide_shows_all_on_a_terminal(terminal_desk):
    _, _, env = terminal_desk
    out = SGR.sub("", on_terminal(["list", "--wide"], env, columns=80))
    assert LONG_SUBJECT in out and LONG_ORG in out


def test_no_color_and_color_never_on_a_terminal(terminal_desk):
    _, _, env = terminal_desk
    assert "\x1b" not in on_terminal(["list"], {**env, "NO_COLOR": "1"})
    assert "\x1b" not in on_terminal(["--color", "never", "list"], env)
    assert "\x1b[31;1m" in on_terminal(["--color", "always", "list"], {**env, "NO_COLOR": "1"})
    assert "\x1b[31;1m" in on_terminal(["list"], {**env, "NO_COLOR": ""})  # empty: not set (no-color.org)


def test_json_on_a_terminal_is_exact(terminal_desk):
    _, _, env = terminal_desk
    out = on_terminal(["--color", "always", "list", "--json"], env, columns=40)
    assert "\x1b" not in out and LONG_SUBJECT in json.loads(out)[0]["subject"] + json.loads(out)[1]["subject"]


def test_report_journal_wraps_to_the_terminal_issue_14(terminal_desk):
    _, _, env = terminal_desk
    out = on_terminal(["report", "journal", "--all"], env, columns=100)
    assert all(display_width(line) <= 100 for line in out.splitlines()), out
    assert out.count("+") > 10 and "Смирнова" in out
    wide = on_terminal(["report", "journal", "--all", "--wide"], env, columns=100)
    assert max(display_width(line) for line in wide.splitlines()) > 100


def test_report_journal_in_a_pipe_is_not_wrapped(cli, terminal_desk):
    out = cli("report", "journal", "--all", now=LATE).stdout
    assert max(display_width(line) for line in out.splitlines()) > 150
    assert LONG_SUBJECT in out


def test_headers_wrap_at_spaces_before_numbers_are_touched():
    """Reports' numeric columns with long headers (report sla) get narrower by wrapping the header."""
    rows = [[6, 4, "100,0 %"], [12, 10, "83,3 %"]]
    headers = ["Поступило", "Рег. в срок", "Рег. медиана, ч"]
    out = simple_table(rows, headers, ["right"] * 3, max_width=30)
    lines = out.splitlines()
    assert all(display_width(line) <= 30 for line in lines), out
    assert "100,0 %" in out and "83,3 %" in out and "…" not in out
    assert lines[0].startswith("Поступило") and not lines[1].startswith("-")  # a header of two lines
    assert " ".join(" ".join(lines[:3]).split()).count("медиана, ч") == 1


def test_report_sla_on_a_terminal_keeps_week_labels_whole(cli, terminal_desk):
    _, _, env = terminal_desk
    out = SGR.sub("", on_terminal(["report", "sla", "--all"], env, columns=120))
    assert "2025-W49" in out and "100,0" in out
    head = out[:out.index("Сформирован")]  # the explanations above the tables wrap to the width too
    assert all(display_width(line) <= 120 for line in head.splitlines()) and "R-6.6" in head
