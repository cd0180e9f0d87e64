"""Desk commands: init, check, import, station."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, desk, print_json
from supportctl.errors import EXIT_CONDITION

app = typer.Typer()


@command(app, "init")
def init(path: Path = typer.Argument(Path("."), help="Folder of the new desk (created if missing).")) -> None:
    """Create a desk: supportctl.yaml, customers.yaml, tickets/, journal/, .gitattributes, .gitignore."""
    from supportctl.services.setup import init_desk

    path.mkdir(parents=True, exist_ok=True)
    created = init_desk(path)
    typer.echo(f"created a desk in {created.root} (ticket IDs {created.station()}-0001, …)")


@command(app, "check")
def check(as_json: bool = JsonOption) -> None:
    """Validate the whole desk; name every problem with its file. Exit 1 when any."""
    from supportctl.services.check import check_desk

    found = check_desk(desk())
    problems = [p for p in found if not p.note]
    if as_json:
        print_json([{"path": str(p.path), "problem": p.message} | ({"note": True} if p.note else {})
                    for p in found])
    else:
        for p in found:
            typer.echo(f"{p.path}: note: {p.message}" if p.note else str(p))
        typer.echo(f"{len(problems)} problem(s)" if problems else "the desk is consistent", err=bool(problems))
    if problems:
        raise typer.Exit(EXIT_CONDITION)


@command(app, "import")
def import_(file: Path = typer.Argument(..., help="JSON Lines in the shape of `show --json`; '-' for stdin.")) -> None:
    """Import tickets from JSON Lines; all or nothing."""
    import sys

    from supportctl.services.importer import import_tickets, prepare

    if str(file) == "-":
        source, text = "stdin", sys.stdin  # read once, line by line

        def lines():
            return text
    else:
        source = str(file)

        def lines():
            with open(file, encoding="utf-8") as f:
                yield from f
    ctx = context()
    with ctx.desk.lock():  # one lock over both passes: what was checked is what is written
        prepared = prepare(ctx, lines, source)
        try:
            if sys.stderr.isatty() and prepared.count > 100:
                with typer.progressbar(length=prepared.count, label="importing", file=sys.stderr) as bar:
                    written = import_tickets(ctx, prepared, bar.update)
            else:
                written = import_tickets(ctx, prepared)
        finally:
            prepared.close()
    if not written:
        typer.echo("imported no tickets")
    elif len(written) == 1:
        typer.echo(f"imported 1 ticket: {written[0]}")
    else:
        typer.echo(f"imported {len(written)} tickets: {written[0]} … {written[-1]}")


@command(app, "station")
def station(code: Optional[str] = typer.Argument(None, metavar="[CODE]",
                                          help="Set this clone's ID prefix (1-3 letters)."),
            force: bool = typer.Option(False, "--force", help="Take a station that tickets already use."),
            as_json: bool = JsonOption) -> None:
    """Show or set this clone's station: the prefix of the ticket IDs it allocates."""
    from supportctl.domain import ids
    from supportctl.errors import Refused

    d = desk()
    if code:
        with d.lock():
            code = ids.validate_station(code)
            used = sorted(t for t in d.ticket_ids() if ids.split_id(t)[0] == code)
            if used and code != d.station() and not force:
                shown = ", ".join(used[:3]) + (", …" if len(used) > 3 else "")
                raise Refused(f"tickets {shown} already use station {code}; another clone may be numbering "
                              "with it, and both would make the same IDs",
                              "pick a station no ticket uses, or pass --force if this clone takes over")
            d.set_station(code)
    current = d.station()
    if as_json:
        print_json({"station": current})
    else:
        typer.echo(current or "none yet (the first new ticket picks one)")
