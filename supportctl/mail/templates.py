"""Notification templates: supportctl/templates/<lang>/<event>.txt, overridden per desk by
<desk>/templates/<lang>/<event>.txt.

A template is plain text with ``${name}`` placeholders (string.Template: no
expressions, so a desk's template cannot reach into the program). An optional
first line ``Subject: ...`` followed by a blank line sets the subject; without
it the subject is ``[<tag>#<ID>] <ticket subject>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from supportctl.errors import DeskDamaged

EVENTS = ("acknowledged", "registered", "reply", "completed", "closed", "autoclosed", "eta", "refused",
          "closed_followup")


@dataclass
class Rendered:
    subject: str | None
    body: str


def source(event: str, lang: str, desk_root: Path | None) -> tuple[str, str]:
    """The template text and where it came from: the desk's file first, then the built-in one."""
    for language in dict.fromkeys((lang, "ru")):
        if desk_root is not None:
            path = desk_root / "templates" / language / f"{event}.txt"
            if path.is_file():
                try:
                    return path.read_text(encoding="utf-8"), str(path)
                except UnicodeDecodeError:
                    raise DeskDamaged(f"{path}: not UTF-8 text", "save the template as UTF-8") from None
        builtin = resources.files("supportctl") / "templates" / language / f"{event}.txt"
        if builtin.is_file():
            return builtin.read_text(encoding="utf-8"), f"supportctl/templates/{language}/{event}.txt"
    raise DeskDamaged(f"no mail template for event {event!r}", "one of: " + ", ".join(EVENTS))


def render(event: str, lang: str, desk_root: Path | None, values: dict[str, object]) -> Rendered:
    text, where = source(event, lang, desk_root)
    try:
        body = Template(text).substitute({k: "" if v is None else str(v) for k, v in values.items()})
    except KeyError as exc:
        raise DeskDamaged(f"{where}: unknown placeholder ${{{exc.args[0]}}}",
                          "known: " + ", ".join(sorted(values))) from None
    except ValueError as exc:
        raise DeskDamaged(f"{where}: {exc}", "write a literal $ as $$") from None
    subject = None
    m = re.match(r"Subject:[ \t]*(.*)\r?\n(?:[ \t]*\r?\n)?", body)
    if m:
        subject, body = m.group(1).strip(), body[m.end():]
    body = re.sub(r"\n{3,}", "\n\n", body.replace("\r\n", "\n")).strip("\n") + "\n"
    return Rendered(subject, body)
