"""Canned replies (issue 12, R-7.8): a template's name, its title, and filling its placeholders.

A template is a text with ``{name}`` placeholders from PLACEHOLDERS; ``{{`` and ``}}`` are literal
braces. A first line starting with ``#`` is the template's title (what `supportctl replies` shows),
not part of the reply. Pure: the desk reads the files, the service gathers the values.
"""

from __future__ import annotations

import re

from supportctl.errors import InvalidValue

PLACEHOLDERS = ("id", "subject", "contact", "first_name", "org", "priority", "due", "assignee", "me")

SUFFIX = ".md"

# a file name of the replies/ folder: letters, digits, '-', '_' and inner dots; no path, no hidden file
_NAME = re.compile(r"[^\W][\w.-]{0,99}")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,100})\}|[{}]")


def validate_name(name: str) -> str:
    """The template's name without ``.md``: ``restart-service`` or ``restart-service.md``."""
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    if not _NAME.fullmatch(stem) or ".." in stem:
        raise InvalidValue(f"invalid template name {name[:60]!r}",
                           "give a file name of the desk's replies/ folder, e.g. restart-service "
                           "(letters, digits, '-', '_'; no path)")
    return stem


def split_title(template: str) -> tuple[str, str]:
    """(title, body): the title is a first line ``# …``, else the first line that is not blank."""
    text = template.lstrip("\ufeff")
    first, _, rest = text.partition("\n")
    if first.startswith("#"):
        return first.lstrip("#").strip(), rest.strip("\n").rstrip()
    shown = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return shown, text.strip("\n").rstrip()


def fill(body: str, values: dict[str, str]) -> str:
    """The body with its placeholders replaced by ``values``; every unknown placeholder and stray
    brace is named in one InvalidValue, so nothing half-filled is ever sent."""
    unknown: list[str] = []
    stray: list[int] = []

    def replace(m: re.Match) -> str:
        token = m.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if m.group(1) is None:
            stray.append(body.count("\n", 0, m.start()) + 1)
            return token
        name = m.group(1).strip()
        if name not in values:
            if token not in unknown:
                unknown.append(token)
            return token
        return values[name]

    filled = _TOKEN.sub(replace, body)
    if unknown:
        raise InvalidValue(f"unknown placeholder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                           "in the template",
                           f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}; write {{{{ and }}}} "
                           "for literal braces")
    if stray:
        raise InvalidValue(f"a lone brace on line {stray[0]} of the template",
                           "write {{ and }} for literal braces, {name} for a placeholder")
    return filled


def addressed_name(full_name: str | None) -> str | None:
    """«Иван Иванович» from «Иванов Иван Иванович» (surname, name, patronymic), as a Russian letter
    addresses a person; None for any other shape of name (initials, a name alone), where a guess
    could go wrong."""
    words = (full_name or "").split()
    if len(words) == 3 and all(w.replace("-", "").isalpha() and w[:1].isupper() and len(w) > 1 for w in words):
        return f"{words[1]} {words[2]}"
    return None
