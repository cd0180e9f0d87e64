"""Mail commands: ingest (a file, stdin, a Maildir or an mbox), send (the outbox), outbox (what waits)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, echo, print_json, print_table
from supportctl.cli.terminal import WideOption
from supportctl.errors import EXIT_CONDITION

app = typer.Typer(help="The e-mail channel: intake of mail, notifications, the outbox.", no_args_is_help=True)


@command(app, "ingest")
def ingest(
    file: Optional[str] = typer.Argument(None, metavar="[FILE|-]", help="One mail (RFC 5322); '-' or nothing: stdin."),
    maildir: Optional[Path] = typer.Option(None, "--maildir", metavar="DIR",
                                           help="Ingest every mail in DIR/new and move it to DIR/cur."),
    mbox: Optional[Path] = typer.Option(None, "--mbox", metavar="FILE", help="Ingest every mail of an mbox file."),
    keep_dates: bool = typer.Option(False, "--keep-dates",
                                    help="With --mbox/--maildir (a migration): received when the mail's Date: "
                                         "says; a date in the future or before 2000 gives the arrival time."),
    as_json: bool = JsonOption,
) -> None:
    """Turn mail into tickets and follow-ups; idempotent (the same mail twice changes nothing)."""
    import sys

    from supportctl.errors import InvalidValue
    from supportctl.services import mail_intake

    if sum(x is not None for x in (file, maildir, mbox)) > 1:
        raise InvalidValue("give one of FILE, --maildir or --mbox")
    if keep_dates and maildir is None and mbox is None:
        raise InvalidValue("--keep-dates goes with --mbox or --maildir", "a single mail is received now")
    ctx = context()
    warnings: list[str] = []
    if maildir is not None:
        outcomes = mail_intake.ingest_maildir(ctx, maildir, keep_dates, warnings)
    elif mbox is not None:
        outcomes = mail_intake.ingest_mbox(ctx, mbox, keep_dates, warnings)
    elif file in (None, "-"):
        if file is None and sys.stdin.isatty():
            raise InvalidValue("no mail given", "pipe a mail to `supportctl mail ingest`, or give FILE, --maildir, --mbox")
        outcomes = [mail_intake.ingest_bytes(ctx, sys.stdin.buffer.read(), "stdin")]
    else:
        path = Path(file)
        outcomes = [mail_intake.ingest_bytes(ctx, path.read_bytes(), path.name)]
    for line in warnings:
        typer.echo(f"supportctl: warning: {line}", err=True)
    if as_json:
        print_json([o.to_dict() for o in outcomes])
    else:
        for outcome in outcomes:
            echo(str(outcome))


@command(app, "send")
def send(as_json: bool = JsonOption,
         background: bool = typer.Option(False, "--background", hidden=True,
                                         help="The detached sender a command starts: quiet, leaves the "
                                              "queue to a sender already at work.")) -> None:
    """Deliver the mails waiting in outbox/ over SMTP; exit 1 when some could not be delivered."""
    from supportctl.cli.common import STATE
    from supportctl.services import notify

    ctx = context()
    STATE.outbox_quiet = True
    report = notify.send_queued(ctx, wait=not background)
    if background:
        return
    tz = ctx.desk.tz
    if as_json:
        print_json({"sent": [q.to_dict(tz) for q in report.sent],
                    "failed": [{**q.to_dict(tz), "error": e} for q, e in report.failed],
                    "waiting": [{**q.to_dict(tz), "error": e} for q, e in report.waiting]})
    else:
        for q, error in report.failed:
            typer.echo(f"supportctl: {q.path.name} refused for good, moved to outbox/failed/: {error}", err=True)
        for q, error in report.waiting:
            typer.echo(f"supportctl: {q.path.name} not delivered, stays in the outbox: {error}", err=True)
        typer.echo(f"sent {len(report.sent)}, failed {len(report.failed)}, waiting {len(report.waiting)}")
    if report.failed or report.waiting:
        raise typer.Exit(EXIT_CONDITION)


@command(app, "outbox")
def outbox(as_json: bool = JsonOption, wide: bool = WideOption) -> None:
    """List the mails waiting in outbox/ to be delivered."""
    from supportctl.domain.values import format_local
    from supportctl.services import notify

    from supportctl.cli.common import STATE

    ctx = context()
    STATE.outbox_quiet = True
    queued = notify.outbox(ctx.desk).list()
    if as_json:
        print_json([q.state_dict(ctx.desk.tz) for q in queued])
        return
    if not queued:
        typer.echo("the outbox is empty")
        return
    rows = [{"file": q.path.name, "queued": format_local(q.queued_at, ctx.desk.tz),
             "ticket": q.ticket_id or "", "event": q.event, "to": q.to, "subject": q.subject,
             "attempts": q.attempts, "last error": q.last_error or ""} for q in queued]
    print_table(rows, shrink=("subject", "last error", "to"))
