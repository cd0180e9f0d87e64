"""The desk's canned replies: the files of `replies/`, listed and filled for a ticket (issue 12)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from supportctl.desk.yamlio import read_regular
from supportctl.domain import reply_templates as rt
from supportctl.domain.values import format_local
from supportctl.errors import DeskDamaged, InvalidValue, NotFound
from supportctl.services.context import Ctx

FOLDER = "replies"
MAX_TEMPLATE_BYTES = 1024 ** 2  # a reply is a letter; a larger file is a mistake
MAX_LISTED = 10_000  # `replies` lists at most this many files, in name order


@dataclass
class Listed:
    name: str
    title: str
    problem: str | None = None  # why the file cannot be used (damaged, not UTF-8)


def folder(ctx: Ctx) -> Path:
    return ctx.desk.root / FOLDER


def read(ctx: Ctx, name: str) -> tuple[str, str]:
    """(title, body) of template ``name`` (validated: a file of replies/, never a path elsewhere)."""
    stem = rt.validate_name(name)
    path = folder(ctx) / f"{stem}{rt.SUFFIX}"
    try:
        raw = read_regular(path, MAX_TEMPLATE_BYTES)
    except FileNotFoundError:
        known = [t.name for t in listing(ctx) if t.problem is None]
        hint = f"the desk has: {', '.join(known[:20])}" if known else f"write one as {FOLDER}/{stem}{rt.SUFFIX}"
        raise NotFound(f"no reply template {stem!r} in {FOLDER}/", hint) from None
    try:
        return rt.split_title(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DeskDamaged(f"{path}: not UTF-8 text", "convert it to UTF-8") from None


def listing(ctx: Ctx) -> list[Listed]:
    """Every ``*.md`` of replies/ in name order, each with its title; a damaged file is listed
    with its problem, never stopping the others."""
    try:
        names = sorted(e.name for e in os.scandir(folder(ctx))
                       if e.name.endswith(rt.SUFFIX) and not e.name.startswith("."))[:MAX_LISTED]
    except (FileNotFoundError, NotADirectoryError):
        return []
    found: list[Listed] = []
    for file_name in names:
        stem = file_name[: -len(rt.SUFFIX)]
        try:
            rt.validate_name(stem)
            title, _ = read(ctx, stem)
            found.append(Listed(stem, title))
        except FileNotFoundError:
            continue
        except (DeskDamaged, NotFound) as exc:
            found.append(Listed(stem, "", str(exc)))
        except InvalidValue:
            found.append(Listed(stem, "", f"{FOLDER}/{file_name}: the name cannot be given to --template; "
                                          "rename it (letters, digits, '-', '_')"))
    return found


def values_for(ctx: Ctx, ticket) -> dict[str, str]:
    """The placeholder values of a ticket; a field it does not have is empty."""
    contact = ticket.contact.name or ""
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "contact": contact,
        "first_name": rt.addressed_name(contact) or contact,
        "org": ticket.org or "",
        "priority": str(ticket.priority) if ticket.priority is not None else "",
        "due": format_local(ticket.due, ctx.desk.tz) if ticket.due else "",
        "assignee": ticket.assignee or "",
        "me": ctx.actor,
    }


def filled(ctx: Ctx, ticket_id: str, name: str) -> str:
    """Template ``name`` filled for the ticket (R-7.8); an unknown placeholder is an error naming it."""
    ticket = ctx.desk.load_ticket(ticket_id)
    _, body = read(ctx, name)
    return rt.fill(body, values_for(ctx, ticket))
