"""The attachments command: list a ticket's files, or copy them out of the desk."""

from __future__ import annotations

from pathlib import Path

import typer

from supportctl.cli.common import JsonOption, command, context, echo, print_json, print_table
from supportctl.cli.terminal import WideOption

app = typer.Typer()


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@command(app, "attachments")
def attachments(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    save: list[str] = typer.Option([], "--save", metavar="NAME", help="Copy this attachment out; repeatable."),
    save_all: bool = typer.Option(False, "--all", help="Copy every attachment out."),
    out_dir: Path = typer.Option(Path("."), "-o", "--output", metavar="DIR", help="Where to copy; default: here."),
    force: bool = typer.Option(False, "--force", help="Overwrite files of the same name in DIR."),
    as_json: bool = JsonOption,
    wide: bool = WideOption,
) -> None:
    """List the ticket's attachments (name, size, type from the content, the journal entry that brought
    it), or copy them out with --save NAME / --all."""
    from supportctl.domain.values import format_local
    from supportctl.errors import InvalidValue
    from supportctl.services import attachments as service

    ctx = context()
    if save or save_all:
        if save and save_all:
            raise InvalidValue("give --save NAME or --all, not both")
        for path in service.save(ctx.desk, ticket_id, None if save_all else list(save), out_dir, force):
            echo(str(path))
        return
    found = service.listing(ctx.desk, ticket_id)
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    if not found:
        echo(f"{ticket_id}: no attachments")
        return
    print_table([{"name": s.name, "size": human_size(s.size), "type": s.type,
                  "entry": f"#{s.entry} {s.kind}" if s.entry else "—",
                  "when": format_local(s.at, ctx.desk.tz) or "—", "by": s.by or "—"} for s in found],
                shrink=("name", "by"))
