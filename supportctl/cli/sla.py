"""SLA commands: sla, overdue, eta, autoclose."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, echo, print_json, print_rows
from supportctl.cli.terminal import WideOption, ticket_style
from supportctl.errors import EXIT_CONDITION

app = typer.Typer()


def _when(value, tz) -> str:
    from supportctl.domain.values import format_local

    return format_local(value, tz) or "—"


@command(app, "sla")
def sla(ticket_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JsonOption) -> None:
    """The SLA timers of a ticket: target, elapsed, remaining, deadline, state, pauses, breaches (R-6)."""
    from supportctl.domain.values import format_minutes
    from supportctl.services.views import sla_of

    ctx = context()
    ticket = ctx.desk.load_ticket(ticket_id)
    data = sla_of(ctx.desk, ticket, ctx.now).to_dict()
    if as_json:
        print_json({"id": ticket.id, **data})
        return
    tz = ctx.desk.tz
    typer.echo(f"{ticket.id}  policy {data['policy']}")
    for name, rule in (("registration", "R-6.6"), ("first_response", "IS-6"), ("resolution", "R-6.2..6.5")):
        if name not in data:  # the policy has no such timer
            continue
        t = data[name]
        if t is None:
            typer.echo(f"{name:13} — (no priority yet)")
            continue
        typer.echo(f"{name:13} {t['state']:9} target {t['target']:<4} elapsed {format_minutes(t['elapsed_minutes']):<8}"
                   f" remaining {format_minutes(t['remaining_minutes']):<8} deadline {_when(t['deadline'], tz)}  ({rule})")
        for p in t["pauses"]:
            echo(f"{'':13} paused {_when(p['start'], tz)} → {_when(p['end'], tz) if p['end'] else 'now'} ({p['reason']})")
        for b in t["breaches"]:
            if b["deadline"] != t["deadline"]:  # the current deadline's breach is the state above
                echo(f"{'':13} breached under priority {b['priority']}: due {_when(b['deadline'], tz)} (R-6.1)")


def _warn_skipped(damaged: list) -> None:
    for d in damaged:  # as `list` does: the other tickets are still watched
        typer.echo(f"supportctl: warning: skipped {d}", err=True)


@command(app, "overdue", bulk=True)
def overdue(
    within: Optional[str] = typer.Option(None, "--within", help="Also list tickets due within this much "
                                         "working time, e.g. 2h."),
    as_json: bool = JsonOption,
    wide: bool = WideOption,
) -> None:
    """Breached tickets, most urgent first. Exit 1 when any is breached (for cron and monitoring)."""
    from datetime import timedelta

    from supportctl.domain.codec import Q_ASSIGNEE, Q_ETA, Q_ID, Q_ORG, Q_PRIORITY, Q_SUBJECT
    from supportctl.domain.values import format_minutes, iso, parse_minutes
    from supportctl.services.sla_watch import overdue as find_overdue

    ctx = context()
    window = timedelta(minutes=parse_minutes(within)) if within else None
    skipped: list = []
    breached, soon = find_overdue(ctx, window, skipped)
    _warn_skipped(skipped)
    tz = ctx.desk.tz
    listed = breached + soon
    if as_json:
        print_json([{
            "id": row[Q_ID], "state": timer.state, "timer": timer.name, "priority": row[Q_PRIORITY],
            "deadline": iso(timer.deadline, tz),
            "remaining_minutes": timer.remaining_minutes,  # as `sla --json` counts them
            "org": row[Q_ORG], "assignee": row[Q_ASSIGNEE], "subject": row[Q_SUBJECT],
            "eta_sent": row[Q_ETA],  # the customer was told an expected resolution date
        } for row, timer in listed])
    elif listed:
        styles = [ticket_style(timer.state, None, row[Q_PRIORITY]) for row, timer in listed]
        cells = [[row[Q_ID], timer.state, timer.name, row[Q_PRIORITY] or "", _when(timer.deadline, tz),
                  format_minutes(timer.remaining_minutes), row[Q_ORG] or "", row[Q_ASSIGNEE] or "",
                  "" if row[Q_ETA] else "none!", row[Q_SUBJECT]] for row, timer in listed]
        del listed[:]
        print_rows(["id", "state", "timer", "p", "deadline", "remaining", "org", "assignee", "eta", "subject"],
                   cells, shrink=("subject", "org", "assignee"), optional=("eta", "timer"), styles=styles)
    else:
        typer.echo("no ticket is overdue", err=True)
    if breached:
        raise typer.Exit(EXIT_CONDITION)


@command(app, "eta")
def eta(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    when: str = typer.Argument(..., metavar="DATE", help="Expected resolution, YYYY-MM-DD[THH:MM]."),
    text: str = typer.Option(..., "--text", help="The problem and why it takes longer (R-6.7)."),
) -> None:
    """Record the expected resolution date; the customer is told (R-6.7)."""
    from supportctl.services import tickets

    ctx = context()
    change = tickets.set_eta(ctx, ticket_id, when, text)
    typer.echo(f"{change.ticket.id}: expected resolution {_when(change.ticket.eta.date, ctx.desk.tz)}")


@command(app, "autoclose")
def autoclose(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be closed."),
    as_json: bool = JsonOption,
) -> None:
    """Close completed tickets the customer has not answered in time (R-4.9); safe from cron."""
    from supportctl.services.sla_watch import autoclose as run_autoclose

    ctx = context()
    skipped: list = []
    closed = run_autoclose(ctx, dry_run, skipped)
    _warn_skipped(skipped)
    if as_json:
        from supportctl.domain.values import iso

        print_json([{"id": t.id, "completed_at": iso(t.completed_at, ctx.desk.tz), "closed": not dry_run}
                    for t in closed])
        return
    verb = "would close" if dry_run else "closed"
    for t in closed:
        typer.echo(f"{t.id}: {verb} (completed {_when(t.completed_at, ctx.desk.tz)})")
