"""Plain-text tables in tabulate's "simple" and "grid" formats, without its per-cell type detection,
padded by the width a terminal shows (Cyrillic 1 column, East Asian wide characters 2, combining
marks 0), and fitted to a given width when asked.

tabulate guesses every cell's type even with number parsing off; over a few
thousand rows (`list`, the breach list of `report sla`) that guessing costs
more than the rest of the command. The output is the same as
``tabulate(rows, headers, disable_numparse=True, colalign=...)`` for rows
without line breaks (tested), with numbers aligned right.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

GAP = "  "
MIN_PADDING = 2  # tabulate's extra width of a header
ELLIPSIS = "…"
MIN_SHRUNK = 6  # a truncated column keeps at least this many columns (or its header's width)
GRID_MIN = 10  # a wrapped column keeps at least this many (or its header's longest word)

# SGR colour codes and other CSI/OSC sequences: no width, never cut in the middle
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# Text made only of characters one column wide (Latin, Cyrillic, Greek, punctuation, ␛ and the like)
# is measured by len(): the per-character lookup would dominate `list` over thousands of tickets.
_NARROW = re.compile("[\x20-\x7e\xa0-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e"
                     "\u2100-\u218f\u2190-\u21ff\u2400-\u2426]*")


@lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    """Columns a terminal gives one character: 0 for combining marks and format characters, 2 for
    East Asian wide and full-width ones, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if _NARROW.fullmatch(text):
        return len(text)
    return sum(map(char_width, text))


def _tokens(text: str):
    """(piece, width): escape sequences whole with width 0, other characters one by one."""
    pos = 0
    for m in _ANSI.finditer(text) if "\x1b" in text else ():
        for ch in text[pos:m.start()]:
            yield ch, char_width(ch)
        yield m.group(), 0
        pos = m.end()
    for ch in text[pos:]:
        yield ch, char_width(ch)


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending with "…" when cut; an escape sequence stays whole
    (and a cut coloured text ends with a reset)."""
    if display_width(text) <= width:
        return text
    out, used, limit = [], 0, max(width - 1, 0)
    for piece, w in _tokens(text):
        if used + w > limit:
            if w == 0 and piece.startswith("\x1b"):
                continue
            break
        out.append(piece)
        used += w
    return "".join(out) + ELLIPSIS + ("\x1b[0m" if "\x1b" in text else "")


def pad(text: str, width: int, align: str = "left") -> str:
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == "right" else text + fill


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: each line of ``text`` broken at spaces, a word longer
    than the width broken where it reaches it."""
    width = max(width, 1)
    out: list[str] = []
    for line in text.split("\n"):
        if display_width(line) <= width:
            out.append(line)
            continue
        current, used = "", 0
        for word in line.split(" "):
            w = display_width(word)
            if current and used + 1 + w <= width:
                current, used = f"{current} {word}", used + 1 + w
                continue
            if current or used:
                out.append(current)
            current, used = "", 0
            while w > width:  # a word longer than the line: break it where it reaches the edge
                head, head_w = "", 0
                for piece, pw in _tokens(word):
                    if head_w + pw > width and head:
                        break
                    head, head_w = head + piece, head_w + pw
                out.append(head)
                word = word[len(head):]
                w = display_width(word)
            current, used = word, w
        out.append(current)
    return out


def fit_widths(widths: Sequence[int], budget: int, shrinkable: Sequence[int], minimums: Sequence[int]) -> list[int]:
    """Column widths cut down until they add up to ``budget``: the widest shrinkable column first,
    none below its minimum (so a table may stay wider than the budget when it cannot be helped)."""
    result = list(widths)
    excess = sum(result) - budget
    while excess > 0:
        candidates = [i for i in shrinkable if result[i] > minimums[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: result[i])
        others = [result[i] for i in candidates if i != widest]
        # down to the next widest one (or the minimum) at once, by at most the excess
        step = min(excess, result[widest] - max([minimums[widest], *others]) or 1)
        result[widest] -= step
        excess -= step
    return result


def _style(line: str, style: str | None) -> str:
    return f"\x1b[{style}m{line}\x1b[0m" if style else line


def simple_table(rows: Sequence[Sequence[object]], headers: Sequence[str],
                 colalign: Sequence[str] | None = None, *, max_width: int | None = None,
                 shrink: Sequence[int] = (), optional: Sequence[int] = (), min_shrunk: int = MIN_SHRUNK,
                 styles: Sequence[str | None] | None = None) -> str:
    """``max_width``: a table wider than that loses the headers' extra padding, wraps its headers
    at spaces, truncates the columns in ``shrink`` with "…" (the widest first, none below
    ``min_shrunk``), and when that is not enough leaves out the columns in ``optional``, in that
    order. ``styles``: per row, the SGR codes ("31", "1;33") its line is shown in, added after
    padding so colour never moves a column."""
    return "\n".join(simple_table_lines(rows, headers, colalign, max_width=max_width, shrink=shrink,
                                         optional=optional, min_shrunk=min_shrunk, styles=styles))


def simple_table_lines(rows: Sequence[Sequence[object]], headers: Sequence[str],
                       colalign: Sequence[str] | None = None, *, max_width: int | None = None,
                       shrink: Sequence[int] = (), optional: Sequence[int] = (), min_shrunk: int = MIN_SHRUNK,
                       styles: Sequence[str | None] | None = None,
                       escape: Callable[[str], str] | None = None) -> Iterator[str]:
    """``simple_table``, a line at a time: the widths come from one pass over the cells, then each row
    is formatted as it is printed (issue 13: no second copy of a table of 100,000 rows). ``escape``: applied
    to each cell (as text) before it is measured, in the columns that need it; it must leave text made only
    of the characters ``_NARROW`` knows unchanged, and lines joined by line breaks unchanged when it leaves
    each of them unchanged (``cli.common.visible`` does both)."""
    cells = [list(map(str, row)) if None not in row else ["" if v is None else str(v) for v in row]
             for row in rows]
    headers = list(headers)
    colalign = list(colalign) if colalign is not None else [
        "right" if _numeric(rows, i) else "left" for i in range(len(headers))]
    header_widths = [display_width(h) for h in headers]
    columns = list(zip(*cells)) if cells else [() for _ in headers]
    narrow = [_is_narrow(column) for column in columns]
    if escape is not None:
        for i, column in enumerate(columns):
            if narrow[i]:  # no control character among them: nothing to escape
                continue
            joined = "\n".join(column)
            if escape(joined) != joined:
                for row in cells:
                    row[i] = escape(row[i])
                columns[i] = tuple(row[i] for row in cells)
                narrow[i] = _is_narrow(columns[i])
    data_widths = [(max(map(len, column)) if is_narrow else max(map(display_width, column))) if column else 0
                   for column, is_narrow in zip(columns, narrow)]
    del columns
    widths = [max(hw + MIN_PADDING, dw) for hw, dw in zip(header_widths, data_widths)]
    head_lines = [[h] for h in headers]
    keep = list(range(len(headers)))
    cut = False
    if max_width is not None and sum(widths) + len(GAP) * (len(widths) - 1) > max_width:
        words = [max([0, *map(display_width, h.split())]) for h in headers]
        dropping = [i for i in optional if i in keep]
        while True:
            natural = [max(header_widths[i], data_widths[i]) for i in keep]
            minimums = [min(w, max(words[i], min_shrunk)) if i in shrink else max(words[i], data_widths[i])
                        for w, i in zip(natural, keep)]
            budget = max_width - len(GAP) * (len(keep) - 1)
            fitted = fit_widths(natural, budget, range(len(keep)), minimums)
            if sum(fitted) <= budget or not dropping:
                break
            keep.remove(dropping.pop(0))
        widths = fitted
        head_lines = [wrap(headers[i], w) for i, w in zip(keep, widths)]
        colalign = [colalign[i] for i in keep]
        narrow = [narrow[i] for i in keep]
        cut = True

    def line(values: Sequence[str]) -> str:
        return GAP.join(pad(v, w, a) for v, w, a in zip(values, widths, colalign)).rstrip()

    height = max([1, *map(len, head_lines)])
    yield from (line([h[n] if n < len(h) else "" for h in head_lines]) for n in range(height))
    yield GAP.join("-" * w for w in widths)
    # a narrow column (display width = len) is padded by %-formatting, a wide one by ``pad`` first
    template = GAP.join((f"%-{w}s" if a == "left" else f"%{w}s") if n else "%s"
                        for w, a, n in zip(widths, colalign, narrow))
    if not cut and all(narrow):  # the usual table into a pipe: one formatting per row
        for number, row in enumerate(cells):
            text = (template % tuple(row)).rstrip()
            yield _style(text, styles[number]) if styles is not None else text
        return
    arguments = [(i, w, a, n) for i, w, a, n in zip(keep, widths, colalign, narrow)]
    for number, row in enumerate(cells):
        values = []
        for i, w, a, n in arguments:
            v = truncate(row[i], w) if cut else row[i]
            values.append(v if n else pad(v, w, a))
        text = (template % tuple(values)).rstrip()
        yield _style(text, styles[number]) if styles is not None else text


def _is_narrow(column: Sequence[str]) -> bool:
    """Every cell of the column is as wide as its length (one regex pass over all of them)."""
    text = "".join(column)
    return "\x1b" not in text and _NARROW.fullmatch(text) is not None


def grid_table(rows: Sequence[Sequence[str]], headers: Sequence[str], colalign: Sequence[str],
               max_width: int | None = None) -> str:
    """tabulate's "grid" format for cells of several lines; with ``max_width`` the widest columns
    are narrowed and their text wrapped at spaces until the table fits."""
    cells = [[str(v).strip() for v in row] for row in rows]  # as tabulate does
    header_widths = [max(map(display_width, h.split("\n"))) for h in headers]
    widths = [max([hw + MIN_PADDING, *(display_width(part) for row in cells for part in row[i].split("\n"))])
              for i, hw in enumerate(header_widths)]
    heads = [h.split("\n") for h in headers]
    lines = [[v.split("\n") for v in row] for row in cells]
    budget = None if max_width is None else max_width - 3 * len(headers) - 1  # "| ", " | ", " |"
    if budget is not None and sum(widths) > budget:
        # a header wraps at no cost: a column needs its data's width and its header's longest word
        words = [max(display_width(w) for w in h.split()) if h.split() else 0 for h in headers]
        needs = [max([word, *(display_width(part) for row in cells for part in row[i].split("\n"))])
                 for i, word in enumerate(words)]
        minimums = [min(need, max(min(word, 2 * GRID_MIN), GRID_MIN)) for need, word in zip(needs, words)]
        widths = fit_widths(needs, budget, range(len(widths)), minimums)
        heads = [wrap(h, w) for h, w in zip(headers, widths)]
        lines = [[wrap(v, w) for v, w in zip(row, widths)] for row in cells]

    def rule(ch: str) -> str:
        return "+" + "+".join(ch * (w + 2) for w in widths) + "+"

    def block(parts: Sequence[list[str]]) -> list[str]:
        height = max(len(p) for p in parts)
        return ["| " + " | ".join(pad(p[n] if n < len(p) else "", w, a)
                                  for p, w, a in zip(parts, widths, colalign)) + " |"
                for n in range(height)]

    out = [rule("-"), *block(heads), rule("=")]
    for row in lines:
        out += [*block(row), rule("-")]
    return "\n".join(out)


def _numeric(rows: Sequence[Sequence[object]], column: int) -> bool:
    """Every cell of the column that is not empty is a number, and one is; a column of text is told by
    its first cell (issue 13: not by a list of 100,000 of them)."""
    found = False
    for row in rows:
        v = row[column]
        if v is None or v == "":
            continue
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return False
        found = True
    return found
