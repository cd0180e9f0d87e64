"""The fast plain-text table prints what tabulate's "simple" format prints."""

from __future__ import annotations

import random
import string

from tabulate import tabulate

from supportctl.texttable import simple_table

ALPHABET = string.ascii_letters + "абвгдеёжзАБВ «»№-.:"


def random_table(rng: random.Random):
    kinds = [rng.choice(["str", "int", "mixed"]) for _ in range(rng.randint(1, 6))]
    headers = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))).strip() or "h" for _ in kinds]
    rows = []
    for _ in range(rng.randint(1, 8)):
        row: list[object] = []
        for kind in kinds:
            if kind == "str":
                row.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))).strip())
            elif kind == "int":
                row.append(rng.choice([rng.randint(-5, 5000), ""]))
            else:
                row.append(rng.choice([rng.randint(0, 9), "x" * rng.randint(0, 5)]))
        rows.append(row)
    return headers, rows, ["right" if kind == "int" else "left" for kind in kinds]


def test_same_as_tabulate_simple_for_given_alignment():
    rng = random.Random(7)
    for _ in range(500):
        headers, rows, colalign = random_table(rng)
        assert simple_table(rows, headers, colalign) == tabulate(
            rows, headers=headers, disable_numparse=True, colalign=colalign)


def test_numbers_align_right_by_default():
    assert simple_table([["T-0001", 1], ["T-0002", ""]], ["id", "p"]).splitlines() == [
        "id        p", "------  ---", "T-0001    1", "T-0002"]


def test_escape_in_the_table_is_escaping_every_cell_first_issue_13():
    """Issue 13: ``simple_table_lines`` escapes (``visible``) only the columns that hold anything to
    escape; the table is the one of every cell escaped before, at any width, with numbers still aligned."""
    from supportctl.cli.common import visible
    from supportctl.texttable import simple_table_lines

    rng = random.Random(13)
    hostile = ALPHABET + "\x1b[31m\r\n\t\x7f\x9b\u202e\u2066\u0301漢"
    for _ in range(200):
        headers, rows, _ = random_table(rng)
        for row in rows:
            for i, v in enumerate(row):
                if isinstance(v, str) and rng.random() < 0.3:
                    row[i] = v + "".join(rng.choice(hostile) for _ in range(rng.randint(1, 4)))
        width = rng.choice([None, 20, 40])
        escaped = [[visible(v) if isinstance(v, str) else v for v in row] for row in rows]
        assert list(simple_table_lines([list(r) for r in rows], headers, max_width=width, escape=visible)) == \
            list(simple_table_lines(escaped, headers, max_width=width))
