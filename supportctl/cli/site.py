"""`supportctl site OUT_DIR`: the desk as a static web site (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, print_json, visible

app = typer.Typer()


def write_site(ctx, path: Path, customer: str | None = None, base_url: str | None = None):
    """Collect, render and publish the site; the warnings met and what was written (cron uses it too)."""
    from supportctl.reports.site import render, ticket_files
    from supportctl.services.site import check_base_url, collect, publish

    site = collect(ctx, customer, check_base_url(base_url))
    return site, publish(path, site, render(site), ticket_files(site))


@command(app, "site", bulk=True)
def site(
    path: Path = typer.Argument(..., metavar="OUT_DIR", help="The site's folder; created when missing. "
                                "An existing folder must be empty or hold a site written by this command."),
    customer: Optional[str] = typer.Option(None, "--customer", metavar="ORG",
                                           help="Only this customer's cabinet (IS-4): its tickets and what "
                                                "`report customer` shows of their journals; nothing of others."),
    base_url: Optional[str] = typer.Option(None, "--base-url", metavar="URL",
                                           help="The address the site is served at (http or https); used only "
                                                "for each page's canonical link. Links between pages are relative."),
    as_json: bool = JsonOption,
) -> None:
    """Write the desk as a static web site: HTML and one CSS file, readable without JavaScript.

    index.html is the queue as `list` shows it (IS-2: priority, then first in first out), coloured by SLA
    state, with counts and the time it was made, and pages of it filtered by assignee, organisation and
    state (queue/). tickets/ID.html: fields, the three deadlines, the journal in the form of Appendix 1,
    attachments (copied into files/ under generated names), related tickets. customers/: each customer's
    contract, plan, open and recent tickets and SLA compliance this month and last. reports/: the sla,
    workload, time, csat and journal reports of this month and last (with --customer: customer and sla).

    Incremental: a page is written only when its content changed, pages of tickets gone are removed
    (the folder's .supportctl-site.json lists what the site holds; other files are left alone).
    Prints what was written; exit 2 when OUT_DIR is a folder of other files.

    Example: supportctl site /srv/www/desk --base-url https://support.example.ru/desk/
    """
    ctx = context()
    built, published = write_site(ctx, path, customer, base_url)
    for warning in built.warnings:
        typer.echo(visible(f"supportctl: warning: {warning}"), err=True)
    if as_json:
        print_json({"path": str(path), "tickets": len(built.tickets), "customers": len(built.customers),
                    **published.to_dict()})
        return
    typer.echo(visible(f"site {path}: {_count(len(built.tickets), 'ticket')}, "
                       f"{_count(len(built.customers), 'customer')}; {_count(len(published.written), 'file')} "
                       f"written, {published.unchanged} unchanged, {len(published.removed)} removed"))


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")
