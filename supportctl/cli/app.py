"""The supportctl command line: global options, and the command modules put together."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl import __version__
from supportctl.cli import coercion, common, customers, desk, mail, reports, sla, team, tickets, views
from supportctl.cli import attachments, completion, escalation, examples, site, terminal

coercion.install()  # no pydantic for string parameters: start-up time (README, Performance)

app = typer.Typer(
    name="supportctl",
    help="A help desk for small technical support teams that lives in a git repository.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=common.OneLineUsageErrors,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"supportctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    desk_path: Optional[str] = typer.Option(None, "--desk", metavar="PATH", envvar="SUPPORTCTL_DESK",
                                            help="The desk folder; default: SUPPORTCTL_DESK, "
                                                 "else the nearest parent holding supportctl.yaml."),
    actor: Optional[str] = typer.Option(None, "--as", metavar="NAME",
                                        help="Who acts; default: SUPPORTCTL_USER, git user.name, login."),
    commit: Optional[bool] = typer.Option(None, "--commit/--no-commit",
                                          help="Commit the files the command changes to git; "
                                               "default: git.autocommit in supportctl.yaml."),
    color: Optional[str] = typer.Option(None, "--color", metavar="WHEN", callback=terminal.check_mode,
                                        help="Colour tables: auto (on a terminal, unless NO_COLOR is set), "
                                             "always or never. JSON, CSV and files are never coloured."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    common.STATE.desk_path = desk_path
    common.STATE.actor = actor
    common.STATE.commit = commit
    common.STATE.color = color
    common.STATE.wide = False  # each command's --wide sets it


for module in (desk, tickets, views, sla, team, escalation, attachments, site):
    for info in module.app.registered_commands:
        app.registered_commands.append(info)
app.registered_commands += completion.app.registered_commands
app.add_typer(customers.app, name="customer")
app.add_typer(reports.app, name="report")
app.add_typer(mail.app, name="mail")
examples.install(app)  # one example per --help, usage lines with ID (issue 14)


def main() -> None:
    if completion.requested():  # the shell asking for candidates at a Tab
        completion.answer(app)
    app()
