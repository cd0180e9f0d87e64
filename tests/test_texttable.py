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
