"""YAML for humans and git: safe loading only, Cyrillic as is, keys in the order given.

libyaml's C loader and dumper are used when PyYAML was built with them.

Desk files come through git and hand edits, so reading them is bounded
(docs/desk.md, "What supportctl promises"): only regular files are read, never
through a symbolic link, never more than MAX_FILE_BYTES; an alias (``*name``)
is refused, so a kilobyte cannot expand into gigabytes; a key given twice in
one mapping is refused (last-one-wins would let an appended ``status: closed``
silently close a ticket). libyaml itself limits nesting to 1000 levels.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from supportctl.domain.codec import shown
from supportctl.errors import DeskDamaged

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_FILE_BYTES = 16 * 1024 ** 2  # a ticket, customers.yaml, supportctl.yaml; a journal line


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _DeskLoader(_Loader):
    """The C loader, refusing aliases and duplicate keys (the checks cost a few per cent)."""

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "an anchor and alias (&name, *name) are not allowed in desk files; write each value out",
                node.start_mark)
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep)
        if len(mapping) < len(node.value):
            seen = set()
            for key_node, _ in node.value:
                key = self.constructed_objects.get(key_node, key_node.value)
                try:
                    twice = key in seen
                    seen.add(key)
                except TypeError:
                    continue
                if twice:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {shown(key)} is given twice in one mapping; keep one",
                        key_node.start_mark)
        return mapping


    def resolve(self, kind, value, implicit):
        """The tag of a node without one. With no path resolvers (none are registered), a quoted
        scalar is a string and a plain one's tag depends on its text alone: remembered per text."""
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            if not implicit[0]:
                return _STR
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)
                if len(_PLAIN_TAGS) < 4096 and len(value) < 64:  # keys and words, not every text
                    _PLAIN_TAGS[value] = tag
            return tag
        return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)

    def construct_document(self, node):
        """The common case built straight from the node tree (the constructor's generic machinery is
        most of the cost of reading a ticket); anything unusual (an alias, a merge key, a duplicate or
        unhashable key, another tag) goes the generic way, which raises the same errors as always."""
        try:
            return _build(self, node, set())
        except (_Unusual, RecursionError):  # the generic way does not recurse per level
            self.constructed_objects.clear()
            return super().construct_document(node)


_PLAIN_TAGS: dict[str, str] = {}


class _Unusual(Exception):
    pass


_SCALARS = {tag: _DeskLoader.yaml_constructors[tag] for tag in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp")}


def _build(loader, node, seen: set[int]) -> Any:
    if id(node) in seen:  # an alias: the same node twice
        raise _Unusual
    seen.add(id(node))
    cls, tag = type(node), node.tag
    if cls is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        construct = _SCALARS.get(tag)
        if construct is None:
            raise _Unusual
        return construct(loader, node)
    if cls is yaml.SequenceNode and tag == _SEQ:
        return [_build(loader, item, seen) for item in node.value]
    if cls is yaml.MappingNode and tag == _MAP:
        mapping = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode:  # a list or mapping as a key: unhashable
                raise _Unusual
            key = _build(loader, key_node, seen)  # a merge key (<<) has its own tag: unusual
            if key in mapping:
                raise _Unusual
            mapping[key] = _build(loader, value_node, seen)
        return mapping
    raise _Unusual


_DeskLoader.add_constructor("tag:yaml.org,2002:map", _DeskLoader.construct_yaml_map)


def loads(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_DeskLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DeskDamaged(f"{where}: broken YAML: {problem}", "fix the file by hand or restore it with git") from None
    except (ValueError, OverflowError) as exc:  # a timestamp like 2026-02-30 fails in the constructor
        raise DeskDamaged(f"{source}: broken YAML: {exc}", "fix the file by hand or restore it with git") from None


def loads_own(text: str, source: str) -> Any:
    """`loads` for a file the desk writes (a ticket): its own layout is read by a strict reader
    (desk/ownyaml.py, the same result several times faster), anything else by libyaml."""
    from supportctl.desk import ownyaml

    try:
        return ownyaml.loads(text)
    except ownyaml.Unsure:
        return loads(text, source)


def load(path: Path) -> Any:
    raw = read_regular(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DeskDamaged(f"{path}: not UTF-8 text", "restore the file with git") from None
    return loads(text, str(path))


def read_regular(path: Path, limit: int = MAX_FILE_BYTES, with_stat: bool = False):
    """The bytes of a desk file: a regular file, not a symbolic link, at most ``limit`` bytes.

    FileNotFoundError when there is none; DeskDamaged for anything else that is
    not a readable file (a link to /dev/zero, a FIFO, a folder), without ever
    blocking on it. With ``with_stat``, (bytes, the open file's stat).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):
            raise DeskDamaged(f"{path}: a symbolic link; desk files must be regular files",
                              "replace it with the file itself or remove it") from None
        raise DeskDamaged(f"{path}: cannot be read: {exc.strerror}", "fix the file or remove it") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DeskDamaged(f"{path}: not a regular file ({_kind(st.st_mode)})",
                              "remove it or replace it with the file itself")
        if st.st_size > limit:
            raise DeskDamaged(f"{path}: larger than the limit of {limit // 1024 ** 2} MiB",
                              "restore the file with git or shorten it")
        chunks, size = [], 0
        while size <= limit:  # the file may grow after fstat: never read more than the limit
            chunk = os.read(fd, min(limit + 1 - size, 1024 ** 2) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise DeskDamaged(f"{path}: larger than the limit of {limit // 1024 ** 2} MiB",
                              "restore the file with git or shorten it")
        data = b"".join(chunks)
    except BlockingIOError:
        raise DeskDamaged(f"{path}: cannot be read without waiting", "remove it") from None
    finally:
        os.close(fd)
    return (data, st) if with_stat else data


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


class _DeskDumper(_Dumper):
    """The C dumper, given the node tree of plain data directly (the representer's generic machinery
    was most of the cost of writing a ticket: issue 13, import) and resolving each word once; the
    nodes are those SafeRepresenter makes, so the text is the same to the byte. Anything else
    (a float, a date, an object given twice) goes the generic way."""

    def represent(self, data):
        try:
            node = _node(data, set())
        except _Unusual:
            node = self.represent_data(data)
        self.serialize(node)
        self.represented_objects = {}
        self.object_keeper = []
        self.alias_key = None

    resolve = _DeskLoader.resolve


_NULL_NODE = ("tag:yaml.org,2002:null", "null")
_INT, _BOOL = "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool"


def _node(data: Any, seen: set[int]) -> yaml.Node:
    """SafeRepresenter's node of ``data`` (default style, block collections, keys in order)."""
    kind = type(data)
    if kind is str:
        return yaml.ScalarNode(_STR, data)
    if data is None:
        return yaml.ScalarNode(*_NULL_NODE)
    if kind is bool:
        return yaml.ScalarNode(_BOOL, "true" if data else "false")
    if kind is int:
        return yaml.ScalarNode(_INT, str(data))
    if kind is dict or kind is list:
        if id(data) in seen:  # the same object twice: the representer writes an alias
            raise _Unusual
        seen.add(id(data))
        if kind is dict:
            return yaml.MappingNode(_MAP, [(_node(k, seen), _node(v, seen)) for k, v in data.items()],
                                    flow_style=False)
        return yaml.SequenceNode(_SEQ, [_node(item, seen) for item in data], flow_style=False)
    raise _Unusual


WIDTH = 100


def dumps(data: Any) -> str:
    """The YAML of ``data``, as libyaml's emitter writes it. A mapping's entries whose every line is
    surely written one way (issue 13: import writes 100,000 tickets) are written here; the others,
    each as a mapping of its own, by libyaml, which writes each top-level entry the same alone."""
    if type(data) is not dict or _shares_objects(data, set()):
        return _generic_dumps(data)
    parts = []
    for key, value in data.items():
        text = _entry(key, value)
        parts.append(text if text is not None else _generic_dumps({key: value}))
    return "".join(parts)


def _generic_dumps(data: Any) -> str:
    return yaml.dump(data, Dumper=_DeskDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=WIDTH)


def _shares_objects(data: Any, seen: set[int]) -> bool:
    """Whether a list or mapping appears twice (the emitter writes an alias for the second)."""
    for value in data.values() if type(data) is dict else data:
        if type(value) in (dict, list):
            if id(value) in seen:
                return True
            seen.add(id(value))
            if _shares_objects(value, seen):
                return True
    return False


def _entry(key: Any, value: Any) -> str | None:
    """``key: value`` as libyaml writes it in a block mapping at column 0, or None when unsure.
    Its first line starts with the key, at column 0; every other line is indented or a list item."""
    if type(key) is str and (type(value) is str or value is None):  # (not an int: 1 and True are one key)
        text = _STRING_ENTRIES.get((key, value))
        if text is not None:
            return text
    head = _HEADS.get(key) if type(key) is str else None
    if head is None:
        head = _scalar(key, 0, None) if type(key) is str else None
        if head is None or head[:1] in ("'", "") or head[0].isspace() or len(key) > 128:
            return None  # only plain keys (a space of another kind first: libyaml's to say, as dumps_spaced's)
        if len(_HEADS) < 256:
            _HEADS[key] = head
    text = _scalar(value, len(head) + 2, 2)
    if text is not None:
        text = f"{head}: {text}\n"
        if (type(value) is str and len(value) <= 128) or value is None:
            if len(_STRING_ENTRIES) >= 16384:
                _STRING_ENTRIES.clear()
            _STRING_ENTRIES[key, value] = text
        return text
    kind = type(value)
    if kind is dict:
        lines = _pairs(value, 2)
        return None if lines is None else f"{head}:\n{lines}"
    if kind is list:
        out = [f"{head}:\n"]
        for item in value:
            if type(item) is dict:
                lines = _pairs(item, 2)
                if lines is None:
                    return None
                out.append("- " + lines[2:])  # the first key on the dash's line
            else:
                text = _scalar(item, 2, 2)
                if text is None:
                    return None
                out.append(f"- {text}\n")
        return "".join(out)
    return None


_HEADS: dict[str, str] = {}  # the plain keys seen (a ticket file's 36)
_STRING_ENTRIES: dict[tuple, str] = {}  # entries with a string or null value written (the same recur)


def _pairs(mapping: dict, indent: int) -> str | None:
    """A non-empty mapping of scalars at ``indent``, or None."""
    if not mapping:
        return None
    out, pad = [], " " * indent
    for key, value in mapping.items():
        head = _scalar(key, indent, None) if type(key) is str else None
        if head is None or head[:1] in ("'", "") or len(key) > 128:
            return None
        text = _scalar(value, indent + len(head) + 2, indent + 2)
        if text is None:
            return None
        out.append(f"{pad}{head}: {text}\n")
    return "".join(out)


# characters libyaml's emitter writes as they are, on one line (no break, tab, BOM or 4-byte character)
_WRITTEN_AS_IS = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_FIRST_BLOCK_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")


def _scalar(value: Any, column: int, indent: int | None) -> str | None:
    """A scalar written from ``column`` as libyaml writes it, or None when not sure: null, true and
    false, ints, and strings without special characters: plain when nothing stops that style, else
    single-quoted when it would read back as another type, something surely stops the plain style,
    or it has line breaks (but no space next to one: then libyaml chooses double quotes). A long one
    is folded at ``indent`` (None: a key, never folded, at most WIDTH wide)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        if not value:
            return "''"
        style = _STYLES.get(value)
        if style is None:
            style = _style(value)
            if len(value) <= 128:
                if len(_STYLES) >= 16384:
                    _STYLES.clear()
                _STYLES[value] = style
        if style is _PLAIN or style is _QUOTED:
            quoted = style is _QUOTED
            if column + len(value) + (2 + value.count("'") if quoted else 0) <= WIDTH:  # never folded
                return "'" + value.replace("'", "''") + "'" if quoted else value
            if indent is None:
                return None
            return _written(value, column, indent, quoted)
        if style is _LINES and indent is not None:
            return _written(value, column, indent, True)
        return None
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is list and not value:
        return "[]"
    if kind is dict and not value:
        return "{}"
    return None


# How _scalar writes a string, whatever its column: remembered per string (a desk's words recur in every ticket).
_PLAIN, _QUOTED, _LINES, _LIBYAMLS = "plain", "quoted", "lines", "libyaml's"
_STYLES: dict[str, str] = {}
# An instant as the desk writes one: YAML 1.1 reads it as a timestamp (ASCII digits only, as its resolver).
_INSTANT = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}")


def _style(value: str) -> str:
    """_PLAIN or _QUOTED (on one line unless folded), _LINES (single-quoted over lines) or _LIBYAMLS
    (left to libyaml) for a non-empty string."""
    if not _WRITTEN_AS_IS.fullmatch(value):
        if "\n" not in value or " \n" in value or "\n " in value \
                or not _WRITTEN_AS_IS.fullmatch(value.replace("\n", "")):
            return _LIBYAMLS
        return _LINES
    first, last = value[0], value[-1]
    if (first in _FIRST_BLOCK_INDICATORS or first == " " or last == " " or last == ":" or ": " in value
            or " #" in value or value.startswith(("---", "...", "- ", "? ", ": ")) or value in ("-", "?")):
        return _QUOTED  # the plain style is surely not allowed; single quotes are (no break, no tab)
    if first in "-?:":
        return _LIBYAMLS  # plain or not depends on the next character's class: libyaml's to say
    if _INSTANT.fullmatch(value):
        return _QUOTED  # plain, it would read back as a date (the resolver's answer, without asking it)
    return _QUOTED if _plain_tag(value) != _STR else _PLAIN


_TOKENS = re.compile("[^ \n']+| +|\n+|'")


def _written(value: str, column: int, indent: int, quoted: bool) -> str:
    """libyaml's write_plain / write_single_quoted, a run of characters at a time: past WIDTH, a single
    space (not the first or last character, in quotes) becomes a line break and ``indent`` spaces;
    a line break is written twice (once when quoted and more follow), the next line indented."""
    out = ["'"] if quoted else []
    col = column + 1 if quoted else column
    pad = " " * indent
    end = len(value)
    breaks = False
    for m in _TOKENS.finditer(value):
        token = m.group()
        first = token[0]
        if first == " ":
            at = m.start()
            if (len(token) == 1 and col > WIDTH and m.end() != end
                    and (not quoted or (at != 0 and at != end - 1))):
                out.append("\n" + pad)
                col = indent
            else:
                out.append(token)
                col += len(token)
        elif first == "\n":
            if not breaks:
                out.append("\n")
            out.append(token)
            col = 0
            breaks = True
            continue
        else:
            if breaks:
                out.append(pad)
                col = indent
            if first == "'" and quoted:
                token = "''"
            out.append(token)
            col += len(token)
        breaks = False
    if breaks:
        out.append(pad)
    if quoted:
        out.append("'")
    return "".join(out)


def _plain_tag(value: str) -> str:
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = yaml.resolver.BaseResolver.resolve(_DeskDumper, yaml.ScalarNode, value, (True, False))
        if len(_PLAIN_TAGS) < 4096 and len(value) < 64:
            _PLAIN_TAGS[value] = tag
    return tag


def dumps_spaced(mapping: dict[str, Any]) -> str:
    """A mapping with a blank line between its top-level keys.

    git's merge conflicts on changes to adjacent lines; with an unchanged line
    between any two fields, two clones that change different fields merge cleanly.
    The dumper indents every continuation line and never writes block scalars,
    so a line at column 0 that is not a list item starts a top-level key.
    """
    if type(mapping) is dict and not _shares_objects(mapping, set()):
        parts = [_entry(key, value) for key, value in mapping.items()]
        if None not in parts:  # each part a key's line at column 0, then lines indented or list items
            return "\n".join(parts)
    lines = dumps(mapping).split("\n")
    out = lines[:1]
    for line in lines[1:]:
        if line and not line[0].isspace() and not line.startswith("-"):
            out.append("")
        out.append(line)
    return "\n".join(out)
