"""`supportctl report …`: journal, sla, workload, time, csat, customer ORG."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import command, context, visible
from supportctl.cli.terminal import WideOption

app = typer.Typer(help="Reports: the register (A-1), SLA compliance, workload, time, ratings, one customer.",
                  no_args_is_help=True)

FROM = typer.Option(None, "--from", metavar="DATE", help="First day, YYYY-MM-DD in the desk's zone; "
                    "default: the 1st of the current month.")
TO = typer.Option(None, "--to", metavar="DATE", help="Last day (inclusive); default: the end of the "
                  "current month, or today when only --from is given.")
ALL = typer.Option(False, "--all", help="The whole history instead of a period.")
WEEK = typer.Option(False, "--week", help="The current ISO week, Monday to Sunday, in the desk's zone.")
LAST_WEEK = typer.Option(False, "--last-week", help="The ISO week before the current one.")
MONTH = typer.Option(None, "--month", metavar="YYYY-MM", help="That calendar month.")
ORG = typer.Option(None, "--org", help="Only this organisation.")
ASSIGNEE = typer.Option(None, "--assignee", help="Only this specialist.")


def _json_flag(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta["supportctl.report_json"] = True
    return value


def _format(ctx: typer.Context, value: str) -> str:
    """--json is --format json; given with another --format they contradict each other."""
    if ctx.meta.get("supportctl.report_json"):
        if value not in ("table", "json"):
            raise typer.BadParameter(f"--json and --format {value} contradict each other; give one of them")
        return "json"
    return value


JSON = typer.Option(False, "--json", is_eager=True, callback=_json_flag, help="The same as --format json.")
FORMAT = typer.Option("table", "--format", "-f", callback=_format,
                      help="table, markdown, csv (UTF-8 with BOM), json or html.")
LANG = typer.Option(None, "--lang", help="ru or en; default: the desk's language (ru).")
OUTPUT = typer.Option(None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")


def _run(name: str, first: str | None, last: str | None, all_time: bool, org: str | None,
         assignee: str | None, fmt: str, lang: str | None, output: Path | None, *, week: bool = False,
         last_week: bool = False, month: str | None = None, **options) -> None:
    from supportctl.errors import InvalidValue
    from supportctl.reports.period import Scope, period_from_options
    from supportctl.reports.render import FORMATS, render
    from supportctl.services import reporting

    if fmt not in FORMATS:
        raise InvalidValue(f"invalid --format {fmt!r}", "use " + ", ".join(FORMATS))
    if lang not in (None, "ru", "en"):
        raise InvalidValue(f"invalid --lang {lang!r}", "use ru or en")
    ctx = context()
    period = period_from_options(first, last, ctx.now, ctx.desk.tz, all_time=all_time, week=week,
                                 last_week=last_week, month=month)
    scope = Scope(period, org=org, assignee=assignee, lang=lang or ctx.lang)
    report, warnings = reporting.build(ctx, name, scope, **options)
    for warning in warnings:
        typer.echo(f"supportctl: warning: {warning}", err=True)
    if output is None and fmt == "table":
        from supportctl.cli import terminal

        text = render(report, fmt, terminal.width(), visible)
    else:
        text = render(report, fmt)
    if output is None:
        if fmt in ("table", "markdown"):  # for a person's terminal; csv, json, html go out exact
            typer.echo(visible(text), nl=False)
        else:
            typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")


# The reports over a period share every option; each is registered under its name.
PERIOD_REPORTS = {
    "journal": "The register of tickets received in the period, in the form of Appendix 1 (A-1).",
    "sla": "SLA compliance of the tickets received in the period: by week, priority and customer (R-6).",
    "workload": "Per assignee: open, waiting, at risk and breached now; received and completed in the period.",
    "time": "Time accounted in the period per customer/contract and per specialist (R-5.2).",
    "csat": "Ratings 1-5 of the tickets closed in the period (A-2): per customer and per assignee.",
}


def _period_report(name: str, doc: str) -> None:
    def report(first: Optional[str] = FROM, last: Optional[str] = TO, all_time: bool = ALL,
               week: bool = WEEK, last_week: bool = LAST_WEEK, month: Optional[str] = MONTH,
               org: Optional[str] = ORG, assignee: Optional[str] = ASSIGNEE, fmt: str = FORMAT,
               as_json: bool = JSON, lang: Optional[str] = LANG, output: Optional[Path] = OUTPUT,
               wide: bool = WideOption) -> None:
        _run(name, first, last, all_time, org, assignee, fmt, lang, output, week=week, last_week=last_week,
             month=month)

    report.__name__, report.__doc__ = f"report_{name}", doc
    command(app, name, bulk=True)(report)


for _name, _doc in PERIOD_REPORTS.items():
    _period_report(_name, _doc)


@command(app, "customer", bulk=True)
def customer(customer_org: str = typer.Argument(..., metavar="ORG"),
             first: Optional[str] = FROM, last: Optional[str] = TO, all_time: bool = ALL,
             week: bool = WEEK, last_week: bool = LAST_WEEK, month: Optional[str] = MONTH,
             assignee: Optional[str] = ASSIGNEE, fmt: str = FORMAT, as_json: bool = JSON,
             lang: Optional[str] = LANG, output: Optional[Path] = OUTPUT, wide: bool = WideOption) -> None:
    """One customer's tickets, statuses and correspondence (IS-4), fit to send to that customer."""
    _run("customer", first, last, all_time, customer_org, assignee, fmt, lang, output, week=week, last_week=last_week,
         month=month)
