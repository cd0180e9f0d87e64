"""Commands that show: show, journal, list, search."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, context, echo, print_json, print_rows, print_table, visible
from supportctl.cli.terminal import WideOption, ticket_style

app = typer.Typer()


@command(app, "show")
def show(ticket_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JsonOption) -> None:
    """Show a ticket: fields, contact, SLA, links, attachments and its journal."""
    from supportctl.domain.values import format_local
    from supportctl.services.views import ticket_view

    ctx = context()
    view = ticket_view(ctx.desk, ctx.desk.load_ticket(ticket_id), ctx.now, history=True)
    if as_json:
        print_json(view)
        return
    tz = ctx.desk.tz
    registration = view["sla"]["registration"]

    def when(iso_text: str | None) -> str:
        return format_local(iso_text, tz) or "—"

    c = view["contact"]
    lines = [
        f"{view['id']}  {view['subject']}",
        f"status:     {view['status']}" + (f" ({view['hold_reason']})" if view["hold_reason"] else "")
        + (f": merged into {view['merged_into']}, see supportctl show {view['merged_into']}"
           if view["merged_into"] else ""),
        f"priority:   {view['priority'] or '— (not registered)'}",
        f"org:        {view['org'] or '—'}" + ("" if view["verified"] else f"  [unverified: {view['unverified_reason']}]"),
        f"contact:    {', '.join(x for x in (c['name'], c['position'], c['phone'], c['email']) if x) or '—'}",
        *([f"cc:         {', '.join(view['cc'])}"] if view.get("cc") else []),
        f"contract:   {view['contract'] or '—'}" + (f"  plan: {view['plan']}" if view["plan"] else ""),
        f"channel:    {view['channel']}" + (f"  category: {view['category']}" if view["category"] else "")
        + (f"  product: {view['product']}" if view["product"] else ""),
        f"assignee:   {view['assignee'] or '—'}",
        f"received:   {when(view['received_at'])}",
        f"registered: {when(view['registered_at'])}",
        f"registration due: {when(view['registration_due'])}  {registration['state'] if registration else '—'}",
        "notified:   " + (when(view["notified_at"]) if view["notified_at"] else
                           "no: the customer does not have the ticket's number and deadline yet (R-7.10)"
                           if view["registered_at"] else "—"),
        f"due:        {when(view['due'])}  sla: {view['sla_state'] or '—'}",
    ]
    first = view["sla"].get("first_response")
    if first:
        lines.append(f"first response due: {when(first['deadline'])}  {first['state']}")
    if view["eta"]:
        lines.append(f"eta:        {when(view['eta']['date'])}  {view['eta']['text']}")
    if view["completed_at"]:
        lines.append(f"completed:  {when(view['completed_at'])}")
    if view["closed_at"]:
        lines.append(f"closed:     {when(view['closed_at'])}" + (f"  rating: {view['rating']}" if view["rating"] else ""))
    mail = view.get("last_notification")
    if mail:
        states = {"delivered": f"delivered {when(mail['delivered_at'])}", "handed_over": "handed over in outbox/",
                  "waiting": "NOT delivered, waits in outbox/", "refused": "NOT delivered, refused for good",
                  "not_sent": "NOT sent"}
        lines.append(f"last mail:  {mail['event']} to {mail['to'] or '—'}, queued {when(mail['queued_at'])}, "
                     f"{states.get(mail['state'], mail['state'])}" + (f": {mail['error']}" if mail["error"] else ""))
    lines.append(f"spent:      {view['spent_minutes']} min")
    if view["related"]:
        lines.append(f"related:    {', '.join(view['related'])}")
    if view["attachments"]:
        from supportctl.cli.attachments import human_size
        from supportctl.services.attachments import listing

        lines.append("attached:   " + ", ".join(f"{s.name} ({human_size(s.size)})"
                                                for s in listing(ctx.desk, view["id"])))
    lines += ["", view["text"].rstrip(), "", "journal:"]
    lines += [f"  {format_local(e['at'], tz, 'journal')} \\ {e['text']}  ({e['by']}, {e['kind']})"
              for e in view["history"]]
    echo("\n".join(lines))


@command(app, "journal")
def journal(ticket_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JsonOption) -> None:
    """Print the ticket's journal in time order (DD.MM.YY HH:MM \\ text, A-1)."""
    from supportctl.domain.codec import entry_to_dict
    from supportctl.domain.journal import in_time_order
    from supportctl.domain.values import format_local

    ctx = context()
    ctx.desk.load_ticket(ticket_id)
    entries, problems = ctx.desk.read_journal(ticket_id)
    for p in problems:
        typer.echo(visible(f"supportctl: warning: {p}"), err=True)
    rows = [entry_to_dict(e, ctx.desk.tz) for e in in_time_order(entries)]
    if as_json:
        print_json(rows)
        return
    for e in rows:
        spent = f" [{e['spent_minutes']} min]" if e["spent_minutes"] else ""
        echo(f"{format_local(e['at'], ctx.desk.tz, 'journal')} \\ {e['text']}{spent}  ({e['by']}, {e['kind']})")


@command(app, "list", bulk=True)
def list_tickets(
    status: list[str] = typer.Option([], "--status", metavar="STATUS", help="new, open, waiting, completed, closed; "
                                     "'active' = new+open+waiting. Repeatable. Default: all but closed."),
    all_tickets: bool = typer.Option(False, "--all", help="Closed tickets too, merged duplicates included."),
    priority: list[str] = typer.Option([], "--priority", "-p", metavar="N", help="1..4; repeatable."),
    org: Optional[str] = typer.Option(None, "--org", help="Only this organisation."),
    assignee: Optional[str] = typer.Option(None, "--assignee", help="Only this specialist."),
    channel: Optional[str] = typer.Option(None, "--channel", help="Only this channel."),
    since: Optional[str] = typer.Option(None, "--since", help="Received on or after (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Received on or before (YYYY-MM-DD)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only tickets past their deadline."),
    at_risk: bool = typer.Option(False, "--at-risk", help="Only tickets close to their deadline."),
    grep: Optional[str] = typer.Option(None, "--grep", metavar="TEXT",
                                       help="Only tickets that `search TEXT` finds."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    as_json: bool = JsonOption,
    wide: bool = WideOption,
) -> None:
    """List the tickets not yet closed (or as filtered) by priority, then first in first out (IS-2, R-4.5).

    The due column is the deadline that runs now: registration (R-6.6, 3 working hours) for new
    tickets, resolution (R-6.2-6.5) once registered, or first response (IS-6) when it is the more
    urgent running timer; --overdue and --at-risk match any running timer.
    """
    from supportctl.domain.lifecycle import STATUSES
    from supportctl.domain.values import format_local, parse_instant, parse_priority
    from supportctl.errors import InvalidValue
    from supportctl.domain.codec import (
        Q_DUE, Q_FIRST_RESPONSE_DUE, Q_ID, Q_ORG, Q_PRIORITY, Q_REGISTRATION_DUE, Q_STATUS, Q_SUBJECT, Q_ASSIGNEE,
        Q_VERIFIED,
    )
    from supportctl.domain.sla import current_of
    from supportctl.services.query import Filters, find, find_queue
    from supportctl.services.views import ticket_view

    DUE_COLUMNS = {"registration": Q_REGISTRATION_DUE, "first_response": Q_FIRST_RESPONSE_DUE, "resolution": Q_DUE}

    if fmt not in ("table", "csv", "json"):
        raise InvalidValue(f"invalid --format {fmt!r}", "use table, csv or json")
    if as_json and fmt != "json" and fmt != "table":
        raise InvalidValue(f"--json and --format {fmt} contradict each other", "give one of them")
    statuses: list[str] = []
    for s in status:
        if s == "active":
            statuses += ["new", "open", "waiting"]
        elif s in STATUSES:
            statuses.append(s)
        else:
            raise InvalidValue(f"invalid status {s!r}", "use " + ", ".join(STATUSES) + " or active")
    if not statuses and not all_tickets:
        statuses = [s for s in STATUSES if s != "closed"]
    ctx = context()
    tz = ctx.desk.tz
    filters = Filters(
        status=statuses or None, priority=[parse_priority(p) for p in priority] or None, org=org,
        assignee=assignee, channel=channel,
        since=parse_instant(since, tz) if since else None,
        until=parse_instant(until, tz, end_of_day=True) if until else None, grep=grep, merged=all_tickets,
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise InvalidValue(f"--since {since} is after --until {until}", "give the first day, then the last day")
    items, damaged = find_queue(ctx.desk, filters, ctx.now)
    for d in damaged:
        typer.echo(visible(f"supportctl: warning: skipped {d}"), err=True)
    wanted = ({"breached"} if overdue else set()) | ({"at_risk"} if at_risk else set())
    listed = []  # (queue row, state of the current timer, the due column as ISO text)
    for row, states in items:
        current = current_of([(s.name, s.stopped, s.state, s.deadline_us, s) for s in states])
        if current is None:
            if not wanted:
                listed.append((row, None, row[Q_DUE] or row[Q_REGISTRATION_DUE]))
            continue
        running = {s.state for s in states if not s.stopped} or {current.state}
        if not wanted or wanted & running:
            listed.append((row, current.state,
                           row[DUE_COLUMNS[current.name]] or row[Q_DUE] or row[Q_REGISTRATION_DUE]))
    if not listed and not (as_json or fmt == "json"):
        typer.echo("no tickets", err=True)  # stdout stays empty for scripts
        return
    if as_json or fmt == "json":
        full = {t.id: t for t in find(ctx.desk, filters)[0]} if listed else {}
        print_json([ticket_view(ctx.desk, full[row[Q_ID]], ctx.now) for row, _, _ in listed])
        return
    keys = ["id", "p", "status", "sla", "due", "org", "subject", "assignee", "verified"]
    cells = [[row[Q_ID], row[Q_PRIORITY] or "", row[Q_STATUS], state or "", format_local(due, tz),
              row[Q_ORG] or "", row[Q_SUBJECT], row[Q_ASSIGNEE] or "", "" if row[Q_VERIFIED] else "unverified"]
             for row, state, due in listed]
    if fmt == "csv":
        from supportctl import csvsafe

        typer.echo(csvsafe.csv_text([keys, *cells]), nl=False)
    else:
        styles = [ticket_style(state, row[Q_STATUS], row[Q_PRIORITY]) for row, state, _ in listed]
        del listed
        print_rows(keys, cells, shrink=("subject", "org", "assignee"), optional=("verified", "sla"), styles=styles)


@command(app, "search", bulk=True)
def search(
    query: list[str] = typer.Argument(..., metavar="QUERY",
                                      help='Words (any form: принтер finds принтера), "a phrase", -excluded '
                                           "(after -- or inside one quoted argument)."),
    all_tickets: bool = typer.Option(False, "--all", help="Closed tickets too."),
    org: Optional[str] = typer.Option(None, "--org", help="Only this organisation."),
    limit: int = typer.Option(20, "--limit", min=1, metavar="N", help="At most this many hits."),
    as_json: bool = JsonOption,
    wide: bool = WideOption,
) -> None:
    """Find tickets by words in their subject, text and journal (mail included), best match first."""
    from supportctl.domain.lifecycle import STATUSES
    from supportctl.services.query import search as run

    ctx = context()
    statuses = None if all_tickets else [s for s in STATUSES if s != "closed"]
    hits = run(ctx.desk, " ".join(query), statuses=statuses, org=org, limit=limit)
    if as_json:
        print_json([{"id": t.id, "status": t.status, "priority": t.priority, "org": t.org,
                     "subject": t.subject, "snippet": snip} for t, snip in hits])
        return
    if not hits:
        typer.echo("no tickets", err=True)
        return
    print_table([{"id": t.id, "status": t.status, "subject": t.subject, "match": snip} for t, snip in hits],
                shrink=("subject", "match"), styles=[ticket_style(None, t.status, t.priority) for t, _ in hits])
