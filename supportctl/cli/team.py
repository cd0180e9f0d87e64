"""Team commands over git: history, sync, and the merge driver for ticket files."""

from __future__ import annotations

import typer

from supportctl.cli.common import JsonOption, command, desk, echo, print_json
from supportctl.errors import EXIT_CONDITION

app = typer.Typer()


@command(app, "history")
def history(ticket_id: str = typer.Argument(..., metavar="ID"),
            patch: bool = typer.Option(False, "--patch", "-p", help="Show each commit's changes."),
            as_json: bool = JsonOption) -> None:
    """The ticket's story from git: each commit touching its files (author, date) with the journal entries it added."""
    from supportctl.domain.values import format_local
    from supportctl.gitops.history import ticket_history
    from supportctl.gitops.runner import require_repository

    d = desk()
    story = ticket_history(require_repository(d.root), d, ticket_id, patch=patch)
    if as_json:
        print_json(story.to_dict(d.tz))
        return
    tz = d.tz
    for c in story.commits:
        echo(f"{c.sha[:10]}  {format_local(c.date, tz)}  {c.author} <{c.email}>  {c.subject}")
        for e in c.entries:
            echo(f"    {format_local(e.at, tz, 'journal')} \\ {e.text}  ({e.by}, {e.kind})")
        if c.patch:
            echo("\n".join("    " + line for line in c.patch.splitlines()))
    if story.uncommitted:
        typer.echo("not committed:")
        for e in story.uncommitted:
            echo(f"    {format_local(e.at, tz, 'journal')} \\ {e.text}  ({e.by}, {e.kind})")
    if not story.commits and not story.uncommitted:
        typer.echo(f"{story.ticket_id}: no commits yet")


@command(app, "sync")
def sync(as_json: bool = JsonOption) -> None:
    """Pull the team's changes (rebase), check the desk, push; print what came in."""
    from supportctl.gitops.sync import sync as run_sync

    report = run_sync(desk())
    if as_json:
        print_json(report.to_dict())
        return
    for t in report.new_tickets:
        typer.echo(f"{t['id']}: new ({t['status']}) {t['subject'] or ''}".rstrip())
    for t in report.status_changes:
        typer.echo(f"{t['id']}: {t['from']} → {t['to']}")
    if report.changed:
        typer.echo("changed: " + ", ".join(report.changed))
    for note in report.notes:
        typer.echo(f"supportctl: {note}", err=True)
    typer.echo(f"synced with {report.upstream}: {report.received} commit(s) in, {report.sent} out")


@command(app, "merge-ticket", hidden=True)
def merge_ticket(base: str = typer.Argument(..., metavar="BASE"), ours: str = typer.Argument(..., metavar="OURS"),
                 theirs: str = typer.Argument(..., metavar="THEIRS"),
                 path: str = typer.Argument(None, metavar="[PATH]")) -> None:
    """git's merge driver for ticket files (%O %A %B %P): merges field by field into OURS; exit 1 on a conflict."""
    from pathlib import Path

    from supportctl.gitops.merge_driver import merge_ticket_files

    outcome = merge_ticket_files(Path(base), Path(ours), Path(theirs), path)
    if outcome.clean:
        return
    where = path or ours
    if outcome.by_fields:
        typer.echo(f"supportctl: {where}: changed on both sides: {', '.join(outcome.conflicts)}", err=True)
    raise typer.Exit(EXIT_CONDITION)
