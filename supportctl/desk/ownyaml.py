"""A strict reader for the YAML the desk's own writer emits (issue 13: the first build of the index).

libyaml's loader costs most of reading a ticket file; the files supportctl writes (yamlio.dumps,
dumps_spaced) use a small part of YAML: block mappings with plain keys, indentless block sequences,
plain, single- and double-quoted scalars (folded over lines), `[]` and `{}`. This reader takes
exactly that and raises Unsure on anything else (a comment, a tab, an anchor, a flow collection,
a block scalar, an odd indentation, a duplicate key, a value resolving to a float or a date...),
and the caller reads the file with libyaml instead. Whenever it does not raise, its result is the
one libyaml's loader (yamlio.loads) gives, types and key order included: tests/test_fast_build.py
holds the two together on generated and mutated files.

Only libyaml's *reading* rules matter here (how it folds lines, unescapes, resolves plain words);
what the writer emits decides only how often this reader is sure.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

import yaml


class Unsure(Exception):
    """The text uses YAML this reader does not take: read it with libyaml."""


# anything but a line feed and the characters libyaml reads as they are (no tab, CR, NEL, U+2028/9,
# BOM or control character): such a file goes to libyaml whole
_ODD = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: |$)")
# in a plain scalar: a `: ` or ` #` (they end it), a `:` or space at the end of a line
_PLAIN_STOP = re.compile(r": | #|:$| $")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_DQ_SPECIAL = re.compile(r'["\\]')
_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c", "r": "\r",
            "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
            "P": "\u2029"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9A-Fa-f]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
MAX_DEPTH = 32

_STR, _NULL, _BOOL, _INT = ("tag:yaml.org,2002:" + t for t in ("str", "null", "bool", "int"))
_resolver = yaml.resolver.Resolver()
_BOOLS = yaml.constructor.SafeConstructor.bool_values
_plain_values: dict[str, Any] = {}


def loads(text: str) -> Any:
    """The data of a YAML document in the writer's layout; Unsure when it is not sure of it."""
    start = len(text) - len(text.lstrip("\n"))
    if not text.endswith("\n") or _ODD.search(text):
        raise Unsure
    entries = _ENTRY.findall(text, start)
    # found one after the other, the entries tile the text when their lengths add up to it
    if len("".join(chain.from_iterable(entries))) + 2 * len(entries) != len(text) - start:
        raise Unsure
    result: dict[str, Any] = {}
    known = _plain_values
    for key, raw, block in entries:
        raw = raw[1:]  # after its space
        # the usual `key: value` on a line of its own, else (nested lines, a continued or unusual
        # scalar) the general reader
        if block and block.strip("\n"):
            value = _simple_block(block) if not raw else _GENERAL
        elif raw in known:  # a word seen before (null, true, a name)
            value = known[raw]
        else:
            value = _one_line(raw) if raw else _GENERAL
        if value is _GENERAL:
            value = _entry_value(f"{key}:{' ' if raw else ''}{raw}\n{block}".split("\n"))
        key = known[key] if key in known else plain_value(key)
        if type(key) is not str or key in result:
            raise Unsure  # a duplicate: libyaml's path reports it
        result[key] = value
    if not result:
        raise Unsure
    return result


_K = "[A-Za-z_][A-Za-z0-9_]*"
_MAP_BLOCK = re.compile(f"(?:  {_K}: [^\n]+\n)+\n*")
_MAP_PAIR = re.compile(f"^  ({_K}): ([^\n]+)$", re.MULTILINE)
_MAPS_BLOCK = re.compile(f"(?:- {_K}: [^\n]+\n(?:  {_K}: [^\n]+\n)*)+\n*")
_MAPS_PAIR = re.compile(f"^(-| ) ({_K}): ([^\n]+)$", re.MULTILINE)
_SEQ_BLOCK = re.compile("(?:- [^\n]+\n)+\n*")
_SEQ_ITEM = re.compile("^- ([^\n]+)$", re.MULTILINE)


def _simple_block(block: str) -> Any:
    """The lines under a `key:` when they are what the writer puts there for a mapping of one-line
    values (contact), a list of one-line values (related) or of such mappings (priority_history);
    else _GENERAL. On none of these lines can a value continue: each next line is a sibling."""
    if _MAP_BLOCK.fullmatch(block):
        return _pairs(_MAP_PAIR.findall(block))
    if _MAPS_BLOCK.fullmatch(block):
        items: list = []
        for dash, key, raw in _MAPS_PAIR.findall(block):
            if dash == "-":
                items.append([])
            items[-1].append((key, raw))
        result = [_pairs(pairs) for pairs in items]
        return _GENERAL if _GENERAL in result else result
    if _SEQ_BLOCK.fullmatch(block):
        values = []
        for raw in _SEQ_ITEM.findall(block):
            if _KEY.match(raw):
                return _GENERAL  # a mapping
            value = _one_line(raw)
            if value is _GENERAL:
                return _GENERAL
            values.append(value)
        return values
    return _GENERAL


def _pairs(pairs: list[tuple[str, str]]) -> Any:
    result: dict[str, Any] = {}
    for key, raw in pairs:
        value = _one_line(raw)
        if value is _GENERAL:
            return _GENERAL
        key = plain_value(key)
        if type(key) is not str or key in result:
            raise Unsure
        result[key] = value
    return result


def _entry_value(lines: list[str]) -> Any:
    reader = _Reader(lines)
    try:
        parsed, i = reader.mapping(0, 0, 0)
    except RecursionError:
        raise Unsure from None
    if reader.skip_blank(i) != len(lines) or len(parsed) != 1:
        raise Unsure
    return parsed.popitem()[1]


# a top-level entry: its key line, then the lines that belong to it (indented, `- ` items, blank)
_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):( [^\n]*)?\n((?:[ -][^\n]*\n|\n)*)")
_GENERAL = object()


def _one_line(value: str) -> Any:
    """The value of a `key: value` line followed by no continuation, or _GENERAL."""
    first = value[:1]
    if first == "'":
        if len(value) < 2 or value[-1] != "'":
            raise Unsure  # a quote not closed on its line, with no line to continue on
        inner = value[1:-1]
        if "'" not in inner:
            return inner
        unquoted = inner.replace("''", "'")
        if unquoted.replace("'", "''") != inner:
            raise Unsure  # a lone quote inside
        return unquoted
    if value == "[]":
        return []
    if value == "{}":
        return {}
    if not first or first == '"':
        return _GENERAL
    if first in _INDICATORS or first == " " or _PLAIN_STOP.search(value):
        raise Unsure
    return plain_value(value)


def plain_value(text: str) -> Any:
    """A plain scalar as libyaml's loader resolves and builds it: str, None, bool or a decimal int."""
    try:
        return _plain_values[text]
    except KeyError:
        pass
    tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        value: Any = text
    elif tag == _NULL:
        value = None
    elif tag == _BOOL:
        value = _BOOLS[text.lower()]
    elif tag == _INT and _DECIMAL.fullmatch(text):
        value = int(text)
    else:
        raise Unsure  # a float, a date, an octal or sexagesimal int, a merge key: libyaml's to build
    if len(text) < 64 and len(_plain_values) < 4096:
        _plain_values[text] = value
    return value


def _column(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_item(line: str, column: int) -> bool:
    return line.startswith("-", column) and (len(line) == column + 1 or line[column + 1] == " ")


class _Reader:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.n = len(lines)

    def skip_blank(self, i: int) -> int:
        lines, n = self.lines, self.n
        while i < n and not lines[i].strip(" "):
            i += 1
        return i

    def mapping(self, i: int, column: int, depth: int) -> tuple[dict, int]:
        """The block mapping whose first key is at lines[i][column:] (a `- ` may precede it)."""
        if depth > MAX_DEPTH:
            raise Unsure
        lines, result = self.lines, {}
        while True:
            line = lines[i]
            m = _KEY.match(line, column)
            if m is None:
                raise Unsure
            key = plain_value(m.group(1))
            if type(key) is not str or key in result:
                raise Unsure  # a duplicate: libyaml's path reports it
            if m.end() < len(line):
                value, i = self.inline(line, m.end(), i, column, depth)
            else:
                value, i = self.nested(i + 1, column, depth)
            result[key] = value
            i = self.skip_blank(i)
            if i == self.n:
                return result, i
            at = _column(lines[i])
            if at < column:
                return result, i
            if at > column:
                raise Unsure

    def sequence(self, i: int, column: int, depth: int) -> tuple[list, int]:
        """The block sequence whose first `- ` is at lines[i][column]."""
        if depth > MAX_DEPTH:
            raise Unsure
        lines, items = self.lines, []
        while True:
            line = lines[i]
            start = column + 2
            if len(line) <= start or line[start] == " " or _is_item(line, start):
                raise Unsure  # `-` alone, `-  x`, `- - x`
            if _KEY.match(line, start):
                value, i = self.mapping(i, start, depth + 1)
            else:
                value, i = self.inline(line, start, i, column, depth)
            items.append(value)
            i = self.skip_blank(i)
            if i == self.n:
                return items, i
            line = lines[i]
            at = _column(line)
            if at < column or (at == column and not _is_item(line, column)):
                return items, i  # the parent's next key (after an indentless sequence) or its end
            if at > column:
                raise Unsure

    def nested(self, i: int, column: int, depth: int) -> tuple[Any, int]:
        """The value of a key at ``column`` whose line ends after the colon."""
        j = self.skip_blank(i)
        if j == self.n:
            return None, j
        line = self.lines[j]
        at = _column(line)
        if at == column and _is_item(line, at):
            return self.sequence(j, at, depth + 1)  # indentless, as the writer puts lists
        if at <= column:
            return None, j
        if _is_item(line, at):
            return self.sequence(j, at, depth + 1)
        return self.mapping(j, at, depth + 1)

    def inline(self, line: str, start: int, i: int, column: int, depth: int) -> tuple[Any, int]:
        """The scalar (or `[]`, `{}`) at line[start:], continued on lines indented more than ``column``."""
        first = line[start]
        if first == "'":
            return self.quoted(line, start + 1, i, column, False)
        if first == '"':
            return self.quoted(line, start + 1, i, column, True)
        rest = line[start:]
        if rest == "[]":
            return [], i + 1
        if rest == "{}":
            return {}, i + 1
        if first in _INDICATORS or first == " ":
            raise Unsure
        return self.plain(rest, i, column)

    def plain(self, text: str, i: int, column: int) -> tuple[Any, int]:
        if _PLAIN_STOP.search(text):
            raise Unsure
        lines, parts, j = self.lines, [text], i + 1
        while True:
            k = self.skip_blank(j)
            if k == self.n:
                break
            line = lines[k]
            at = _column(line)
            if at <= column:
                break
            part = line[at:]
            if part[0] in _INDICATORS or _PLAIN_STOP.search(part):
                raise Unsure
            parts.append("\n" * (k - j) if k > j else " ")
            parts.append(part)
            j = k + 1
        return plain_value("".join(parts) if len(parts) > 1 else text), j

    def quoted(self, line: str, pos: int, i: int, column: int, double: bool) -> tuple[str, int]:
        """A single- or double-quoted scalar from line[pos:] (after its opening quote), folded as libyaml
        folds it: a line break becomes a space, each blank line a line feed, the spaces around a break
        go; in double quotes a backslash escapes, and one at the end of a line joins the next."""
        out: list[str] = []
        special = _DQ_SPECIAL if double else None
        while True:
            joined = False  # the line ended in an escaped line break
            while True:
                if double:
                    m = special.search(line, pos)
                    at = m.start() if m else -1
                else:
                    at = line.find("'", pos)
                if at < 0:
                    out.append(line[pos:].rstrip(" "))  # the spaces before a line break go
                    break
                out.append(line[pos:at])
                if not double:
                    if line.startswith("''", at):
                        out.append("'")
                        pos = at + 2
                        continue
                    if at + 1 != len(line):
                        raise Unsure  # something after the closing quote
                    return "".join(out), i + 1
                if line[at] == '"':
                    if at + 1 != len(line):
                        raise Unsure
                    return "".join(out), i + 1
                code = line[at + 1:at + 2]
                if not code:
                    joined = True
                    break
                if code in _ESCAPES:
                    out.append(_ESCAPES[code])
                    pos = at + 2
                    continue
                digits = _HEX_DIGITS.get(code)
                if digits is None:
                    raise Unsure
                hex_ = line[at + 2:at + 2 + digits]
                if len(hex_) != digits or not _HEX.fullmatch(hex_):
                    raise Unsure
                point = int(hex_, 16)
                if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                    raise Unsure
                out.append(chr(point))
                pos = at + 2 + digits
            j = i + 1
            k = self.skip_blank(j)
            if k == self.n:
                raise Unsure  # no closing quote
            line = self.lines[k]
            pos = _column(line)
            if pos <= column:
                raise Unsure
            if joined:
                out.append("\n" * (k - j))
            else:
                out.append("\n" * (k - j) if k > j else " ")
            i = k
