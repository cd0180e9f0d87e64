"""Plain-text tables in tabulate's "simple" format, without its per-cell type detection.

tabulate guesses every cell's type even with number parsing off; over a few
thousand rows (`list`, the breach list of `report sla`) that guessing costs
more than the rest of the command. The output is the same as
``tabulate(rows, headers, disable_numparse=True, colalign=...)`` for rows
without line breaks (tested), with numbers aligned right.
"""

from __future__ import annotations

from collections.abc import Sequence

GAP = "  "
MIN_PADDING = 2  # tabulate's extra width of a header


def simple_table(rows: Sequence[Sequence[object]], headers: Sequence[str],
                 colalign: Sequence[str] | None = None) -> str:
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if colalign is None:
        colalign = ["right" if _numeric(rows, i) else "left" for i in range(len(headers))]
    widths = [max([len(h) + MIN_PADDING, *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return GAP.join(v.rjust(w) if a == "right" else v.ljust(w)
                        for v, w, a in zip(values, widths, colalign)).rstrip()

    return "\n".join([line(headers), GAP.join("-" * w for w in widths), *(line(row) for row in cells)])


def _numeric(rows: Sequence[Sequence[object]], column: int) -> bool:
    values = [row[column] for row in rows if row[column] not in (None, "")]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
