"""Commands for cron: escalate, and cron itself (every periodic job in one run)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, print_json
from supportctl.errors import EXIT_CONDITION

app = typer.Typer()


def _warn_skipped(damaged: list) -> None:
    for d in damaged:
        typer.echo(f"supportctl: warning: skipped {d}", err=True)


@command(app, "escalate", bulk=True)
def escalate(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be mailed."),
    as_json: bool = JsonOption,
) -> None:
    """Mail the assignee and escalation.leads once per timer that became at risk or breached
    (R-6.6, R-6.7); journaled, so no run, clone or re-run mails it twice. Safe from cron."""
    from supportctl.services.escalation import escalate as run_escalate

    ctx = context()
    skipped: list = []
    found = run_escalate(ctx, dry_run, skipped)
    _warn_skipped(skipped)
    if as_json:
        print_json([e.to_dict(ctx.desk.tz) for e in found])
        return
    for line in _escalation_lines(ctx, found, dry_run):
        _echo(line)


def _echo(line: str) -> None:
    """Warnings to stderr, actions to stdout (cron mails either to its owner)."""
    typer.echo(line, err=line.startswith("supportctl: "))


def _escalation_lines(ctx, found, dry_run: bool) -> list[str]:
    from supportctl.mail.settings import mail_settings
    from supportctl.services.escalation import describe

    configured = mail_settings(ctx.desk.config).enabled
    lines = []
    for e in found:
        if e.sent:
            verb = "escalated"
        elif dry_run:
            verb = "would escalate"
        elif not configured:
            verb = "would escalate (mail.from is not set)"
        else:
            verb = "would escalate (nobody to mail)"
        lines.append(f"{verb} {describe(e, ctx.desk.tz)}")
        for addr in e.invalid:
            lines.append(f"supportctl: warning: {addr!r} is not an e-mail address (team/escalation in supportctl.yaml)")
    return lines


@command(app, "cron", bulk=True)
def cron(dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be done."),
         site_dir: Optional[Path] = typer.Option(None, "--site", metavar="OUT_DIR",
                                                 help="Last, write the static site into OUT_DIR "
                                                      "(as `supportctl site OUT_DIR` does).")) -> None:
    """Every periodic job, in order: resume holds past their --until, autoclose, escalate, `mail send`
    when SMTP is configured, and the static site with --site. One line per action; exit 1 when a step
    failed (the others still run)."""
    from supportctl.errors import SupportError
    from supportctl.mail.settings import mail_settings
    from supportctl.services import notify
    from supportctl.services.escalation import escalate as run_escalate
    from supportctl.services.sla_watch import autoclose
    from supportctl.services.tickets import resume_expired_holds
    from supportctl.domain.values import format_local

    ctx = context()
    tz = ctx.desk.tz
    failed = False
    skipped: list = []

    def step(name: str, run) -> None:
        nonlocal failed
        try:
            for line in run():
                _echo(line)
        except (SupportError, OSError) as exc:
            failed = True
            typer.echo(f"supportctl: cron: {name} failed: {exc}", err=True)

    def holds():
        verb = "would resume" if dry_run else "resumed"
        for t in resume_expired_holds(ctx, dry_run, skipped):
            yield f"{t.id}: {verb} (hold ended)"

    def closing():
        verb = "would close" if dry_run else "closed"
        for t in autoclose(ctx, dry_run):
            yield f"{t.id}: {verb} (completed {format_local(t.completed_at, tz)})"

    def escalations():
        return _escalation_lines(ctx, run_escalate(ctx, dry_run, send=False), dry_run)

    def sending():
        settings = mail_settings(ctx.desk.config)
        if dry_run or settings.smtp is None or settings.sender is None or not notify.outbox(ctx.desk).paths():
            return
        report = notify.send_queued(ctx)
        for q in report.sent:
            yield f"mail sent to {q.to}: {q.subject}"
        for q, error in report.failed + report.waiting:
            yield f"supportctl: warning: mail to {q.to} not delivered: {error}"

    step("resume", holds)
    step("autoclose", closing)
    step("escalate", escalations)
    def publishing():
        if dry_run:
            yield f"would write the site {site_dir}"
            return
        from supportctl.cli.site import write_site

        built, published = write_site(ctx, site_dir)
        for warning in built.warnings:
            yield f"supportctl: warning: {warning}"
        yield (f"site {site_dir}: {len(published.written)} files written, {published.unchanged} unchanged, "
               f"{len(published.removed)} removed")

    step("mail send", sending)
    if site_dir is not None:
        step("site", publishing)
    _warn_skipped(list(dict.fromkeys(map(str, skipped))))
    if failed:
        raise typer.Exit(EXIT_CONDITION)
