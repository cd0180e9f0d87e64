"""YAML for humans and git: safe loading only, Cyrillic as is, keys in the order given.

libyaml's C loader and dumper are used when PyYAML was built with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from supportctl.errors import DeskDamaged

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def loads(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DeskDamaged(f"{where}: broken YAML: {problem}", "fix the file by hand or restore it with git") from None


def load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeskDamaged(f"{path}: not UTF-8 text", "restore the file with git") from None
    return loads(text, str(path))


def dumps(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
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
