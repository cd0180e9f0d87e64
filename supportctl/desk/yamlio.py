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


def dumps(data: Any) -> str:
    return yaml.dump(data, Dumper=_DeskDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def dumps_spaced(mapping: dict[str, Any]) -> str:
    """A mapping with a blank line between its top-level keys.

    git's merge conflicts on changes to adjacent lines; with an unchanged line
    between any two fields, two clones that change different fields merge cleanly.
    The dumper indents every continuation line and never writes block scalars,
    so a line at column 0 that is not a list item starts a top-level key.
    """
    lines = dumps(mapping).split("\n")
    out = lines[:1]
    for line in lines[1:]:
        if line and not line[0].isspace() and not line.startswith("-"):
            out.append("")
        out.append(line)
    return "\n".join(out)
