"""Ticket commands: new, register, assign, priority, note, reply, hold, resume, complete, close,
reopen, link, split, merge (each appends to the journal and prints what it did)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import command, context, read_text, visible
from supportctl.domain.messages import HOLD_REASONS
from supportctl.errors import InvalidValue

app = typer.Typer()

TEXT_FILE = typer.Option(None, "--text-file", metavar="FILE", help="Read the text from this file (UTF-8).")
EDIT = typer.Option(False, "--edit", "-e", help="Write the text in $VISUAL/$EDITOR (starting from any text given); "
                                                "also without this when no text is given on a terminal.")
ATTACH = typer.Option([], "--attach", metavar="FILE",
                      help="Attach a file of any type, within mail.attachment_limit (all of them within "
                           "mail.message_limit); repeatable.")


def _done(change, what: str, *warnings: str | None) -> None:
    for line in [*change.notes, *warnings]:
        if line:
            typer.echo(f"supportctl: {line}", err=True)
    typer.echo(f"{change.ticket.id}: {what}")


def _due(ctx, change) -> str:
    """', due 02.12.2026 16:00': the resolution deadline after a change that moved it."""
    from supportctl.domain.values import format_local

    t = change.ticket
    due = f", due {format_local(t.due, ctx.desk.tz)}" if t.due else ""
    return due + _first_response_due(ctx, t)


def _first_response_due(ctx, t) -> str:
    """', first response due 02.12.2026 10:00' while the first-response timer (IS-6) runs."""
    from supportctl.domain.values import format_local

    if t.first_response_due is None or t.responded_at is not None or t.completed_at is not None:
        return ""
    return f", first response due {format_local(t.first_response_due, ctx.desk.tz)}"


@command(app, "new")
def new(
    subject: str = typer.Option("", "--subject", "-s", help="Subject line of the request."),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Text of the request (R-7.2); else stdin."),
    text_file: Optional[Path] = TEXT_FILE,
    org: Optional[str] = typer.Option(None, "--org", help="Customer organisation (R-7.7)."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Contact person's full name."),
    position: Optional[str] = typer.Option(None, "--position", help="Contact's position."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Contact's phone."),
    email: Optional[str] = typer.Option(None, "--email", help="Contact's e-mail."),
    channel: str = typer.Option("email", "--channel", help="How it arrived; official channels only (R-7.5)."),
    category: Optional[str] = typer.Option(None, "--category", help="Category, e.g. functional or layout (IS-6)."),
    product: Optional[str] = typer.Option(None, "--product", help="The product concerned (R-1.3)."),
    received: Optional[str] = typer.Option(None, "--received", help="When it arrived (ISO 8601); default now."),
    related: list[str] = typer.Option([], "--related", metavar="ID", help="A related ticket ID (R-4.3); repeatable."),
    attach: list[Path] = typer.Option([], "--attach", metavar="FILE", help="Attach a file (R-7.6: JPG/GIF/PNG, BMP only in ZIP/RAR)."),
    force: bool = typer.Option(False, "--force", help="Accept an unverified customer even with require_contract, "
                               "a written-only request (IS-3) as it came (journaled), or a repeat of a ticket "
                               "received within mail.duplicate_window (IS-1)."),
    edit: bool = EDIT,
) -> None:
    """Record a new ticket (status new) and print its ID alone on stdout.

    The same contact with the same subject and text as a ticket received within mail.duplicate_window
    (default 1h) is refused with exit 2, naming that ticket (IS-1); --force records it anyway."""
    from supportctl.cli import editor
    from supportctl.domain.ids import validate_id
    from supportctl.domain.ticket import Contact
    from supportctl.domain.values import parse_instant
    from supportctl.services import tickets

    ctx = context()
    about = [f"Subject: {subject or '—'}", f"Contact: {', '.join(v for v in (contact, email, org) if v) or '—'}",
             "Status: new (not yet recorded)", "Deadline: — (set by register)"]
    body = editor.text_for(ctx, None, text, text_file, edit, what="ticket text",
                           optional=text is None and text_file is None,
                           purpose="Write the text of the new request", about=about)
    fields = tickets.NewTicket(
        subject=subject, text=body, org=org,
        contact=Contact(name=contact, position=position, phone=phone, email=email),
        channel=channel, category=category, product=product,
        received_at=parse_instant(received, ctx.desk.tz) if received else None,
        related=[validate_id(r) for r in related], attachments=list(attach),
    )
    change = tickets.create(ctx, fields, force=force, refuse_duplicate=True)
    for line in change.notes:
        typer.echo(f"supportctl: {line}", err=True)
    if not change.ticket.verified:
        typer.echo(f"supportctl: {change.ticket.id} is unverified: {change.ticket.unverified_reason}", err=True)
    typer.echo(change.ticket.id)


def _stdin_if_piped() -> str:
    return read_text(None, None, required=False)


def _optional_text(text: str | None, text_file: Path | None) -> str:
    """Details that may be left out: the argument, --text-file, piped stdin, or nothing."""
    if (text is not None and text != "-") or text_file is not None:
        return read_text(text, text_file)
    return _stdin_if_piped()


@command(app, "register")
def register(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    priority: str = typer.Option(..., "--priority", "-p", help="1 (highest) to 4 (R-6.1..R-6.5)."),
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="The specialist responsible."),
) -> None:
    """Register a new ticket: set its priority and deadline; the customer is told (R-6.6)."""
    from supportctl.domain.values import format_local, parse_priority
    from supportctl.services import tickets
    from supportctl.services.deadlines import calendar_warning, late_registration

    ctx = context()
    change = tickets.register(ctx, ticket_id, parse_priority(priority), assignee)
    due = format_local(change.ticket.due, ctx.desk.tz) or "—"
    _done(change, f"registered, priority {change.ticket.priority}, due {due}{_first_response_due(ctx, change.ticket)}",
          late_registration(ctx.desk, change.ticket, ctx.now), calendar_warning(ctx.desk, change.ticket))


@command(app, "assign")
def assign(ticket_id: str = typer.Argument(..., metavar="ID"),
           assignee: str = typer.Argument(..., metavar="NAME")) -> None:
    """Make NAME the specialist responsible for the ticket."""
    from supportctl.services import tickets

    _done(tickets.assign(context(), ticket_id, assignee), f"assigned to {assignee}")


@command(app, "priority")
def priority(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    new_priority: str = typer.Argument(..., metavar="N"),
    reason: str = typer.Option(..., "--reason", help="Why the priority changes (recorded, R-6.1)."),
) -> None:
    """Change the priority; the deadline is recomputed from the receipt, a breach that happened stays (R-6.1)."""
    from supportctl.domain.values import parse_priority
    from supportctl.services import tickets
    from supportctl.services.deadlines import calendar_warning, priority_warnings

    ctx = context()
    wanted = parse_priority(new_priority)
    change = tickets.change_priority(ctx, ticket_id, wanted, reason)
    old = change.entries[-1].data.get("old")
    _done(change, f"priority {change.ticket.priority}{_due(ctx, change)}",
          *priority_warnings(ctx.desk, old, change.ticket, ctx.now), calendar_warning(ctx.desk, change.ticket))


@command(app, "note")
def note(ticket_id: str = typer.Argument(..., metavar="ID"),
         text: Optional[str] = typer.Argument(None, help="The note; '-' or nothing reads stdin."),
         text_file: Optional[Path] = TEXT_FILE, edit: bool = EDIT,
         attach: list[Path] = ATTACH) -> None:
    """Add an internal progress entry to the journal (R-4.5)."""
    from supportctl.cli import editor
    from supportctl.domain import lifecycle
    from supportctl.services import tickets

    ctx = context()
    body = editor.text_for(ctx, ticket_id, text, text_file, edit, what="note",
                           check=lambda t: lifecycle.check_action(t, "note"),
                           purpose=f"Write the internal note on {ticket_id} (the customer does not see it)")
    _done(tickets.note(ctx, ticket_id, body, list(attach)), "noted" + _attached(attach))


def _attached(attach: list[Path]) -> str:
    return f", {len(attach)} file(s) attached" if attach else ""


@command(app, "reply")
def reply(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    text: Optional[str] = typer.Argument(None, help="The answer; '-' or nothing reads stdin."),
    text_file: Optional[Path] = TEXT_FILE,
    spent: Optional[str] = typer.Option(None, "--spent", help="Time spent, e.g. 45m or 1h30m (at least 30m, R-5.2)."),
    via: str = typer.Option("email", "--via", help="email, phone, remote or other (R-4.7)."),
    template: Optional[str] = typer.Option(None, "--template", metavar="NAME",
                                           help="Answer from the desk's replies/NAME.md, filled for the ticket "
                                                "(supportctl replies lists them); with --edit, edit it first."),
    edit: bool = EDIT,
    attach: list[Path] = ATTACH,
) -> None:
    """Answer the customer (R-4.6, R-4.7); by e-mail the answer is mailed (IS-4)."""
    from supportctl.cli import editor
    from supportctl.domain import lifecycle
    from supportctl.domain.values import format_minutes, parse_minutes
    from supportctl.services import reply_templates, tickets

    ctx = context()
    initial = None
    if template is not None:
        if (text is not None and text != "-") or text_file is not None:
            raise InvalidValue("--template and a text are given together", "give one of them")
        initial = reply_templates.filled(ctx, ticket_id, template)
    body = editor.text_for(ctx, ticket_id, text, text_file, edit, what="reply", initial=initial,
                           check=_tried(lambda t: lifecycle.reply(t, "…", None, via, ctx.now, ctx.actor)),
                           purpose=f"Write the answer to the customer of {ticket_id}")
    change = tickets.reply(ctx, ticket_id, body, parse_minutes(spent) if spent else None, via, list(attach))
    _done(change, f"replied via {via}, {format_minutes(change.entries[-1].spent_minutes)} accounted"
          + _attached(attach))


def _tried(step):
    """A check before the editor opens: the lifecycle step on a copy of the ticket, with a stand-in
    text, so its rules (the status, --via, the hold reason) refuse now and stay in one place."""
    import copy

    return lambda ticket: step(copy.deepcopy(ticket))


@command(app, "hold")
def hold(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    text: Optional[str] = typer.Argument(None, help="Details for the journal; '-' reads stdin."),
    text_file: Optional[Path] = TEXT_FILE,
    reason: str = typer.Option(..., "--reason", help=", ".join(HOLD_REASONS) + " (R-7.9)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE|DATETIME",
                                        help="Resume by itself once this has passed (supportctl cron); "
                                             "YYYY-MM-DD is the close of that working day."),
    edit: bool = EDIT,
) -> None:
    """Put the ticket on hold; its SLA clocks pause when the reason is a customer delay (R-7.9)."""
    from supportctl.cli import editor
    from supportctl.domain import lifecycle
    from supportctl.services import tickets

    ctx = context()
    details = editor.text_for(ctx, ticket_id, text, text_file, edit, what="details", optional=True,
                              check=_tried(lambda t: lifecycle.hold(t, reason, "", ctx.now, ctx.actor)),
                              purpose=f"Write why {ticket_id} waits ({reason}), for the journal")
    change = tickets.hold(ctx, ticket_id, reason, details, until)
    pause = change.ticket.open_pause()
    if pause and pause.until:
        from supportctl.domain.values import format_local

        resumes = f", resumes {format_local(pause.until, ctx.desk.tz)}"
    else:
        resumes = ""
    if pause and pause.clock_runs:
        _done(change, f"waiting ({reason}), the SLA clock keeps running ({reason} is not a customer delay)"
                      f"{resumes}")
    else:
        _done(change, f"waiting ({reason}), SLA clock paused{resumes}")


@command(app, "resume")
def resume(ticket_id: str = typer.Argument(..., metavar="ID"),
           text: Optional[str] = typer.Argument(None, help="Details for the journal; '-' reads stdin."),
           text_file: Optional[Path] = TEXT_FILE) -> None:
    """Resume work on a waiting ticket; its clock runs again."""
    from supportctl.services import tickets

    ctx = context()
    change = tickets.resume(ctx, ticket_id, _optional_text(text, text_file))
    _done(change, f"open, SLA clock running{_due(ctx, change)}")


@command(app, "complete")
def complete(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    text: Optional[str] = typer.Argument(None, help="The exhaustive answer; '-' or nothing reads stdin."),
    text_file: Optional[Path] = TEXT_FILE,
    spent: Optional[str] = typer.Option(None, "--spent", help="Time spent, e.g. 1h."),
    edit: bool = EDIT,
    attach: list[Path] = ATTACH,
) -> None:
    """Mark the ticket completed: the answer is delivered; awaiting confirmation (R-4.8)."""
    from supportctl.cli import editor
    from supportctl.domain import lifecycle
    from supportctl.domain.values import parse_minutes
    from supportctl.services import tickets

    ctx = context()
    body = editor.text_for(ctx, ticket_id, text, text_file, edit, what="answer",
                           check=_tried(lambda t: lifecycle.complete(t, "…", None, ctx.now, ctx.actor)),
                           purpose=f"Write the exhaustive answer that completes {ticket_id}")
    change = tickets.complete(ctx, ticket_id, body, parse_minutes(spent) if spent else None, list(attach))
    _done(change, "completed, awaiting the customer's confirmation" + _attached(attach))


@command(app, "close")
def close(ticket_id: str = typer.Argument(..., metavar="ID"),
          rating: Optional[str] = typer.Option(None, "--rating", help="The customer's rating 1..5 (A-2).")) -> None:
    """Close a completed ticket: the customer confirmed (R-4.9)."""
    from supportctl.domain.values import parse_rating
    from supportctl.services import tickets

    change = tickets.close(context(), ticket_id, parse_rating(rating) if rating is not None else None)
    _done(change, "closed" + (f", rated {change.ticket.rating}" if change.ticket.rating else ""))


@command(app, "reopen")
def reopen(ticket_id: str = typer.Argument(..., metavar="ID"),
           reason: str = typer.Option(..., "--reason", help="The customer's reasons (R-4.8).")) -> None:
    """Reopen a completed ticket (the customer disagrees with reasons, R-4.8) or a closed one (closed by
    mistake, or the problem came back); the SLA clock continues where it stopped."""
    from supportctl.services import tickets

    ctx = context()
    change = tickets.reopen(ctx, ticket_id, reason)
    _done(change, f"reopened, SLA clock continues{_due(ctx, change)}")


@command(app, "edit")
def edit(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="The corrected subject."),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="The corrected text of the request."),
    text_file: Optional[Path] = TEXT_FILE,
    category: Optional[str] = typer.Option(None, "--category", help="Category ('' clears it)."),
    product: Optional[str] = typer.Option(None, "--product", help="Product ('' clears it)."),
    contact: Optional[str] = typer.Option(None, "--contact", help="Contact person's full name."),
    position: Optional[str] = typer.Option(None, "--position", help="Contact's position ('' clears it)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Contact's phone ('' clears it)."),
    email: Optional[str] = typer.Option(None, "--email", help="Contact's e-mail."),
    cc: list[str] = typer.Option([], "--cc", metavar="ADDR",
                                 help="Copy ADDR on every mail to the customer about the ticket; repeatable "
                                      "(at most 10 addresses)."),
    no_cc: list[str] = typer.Option([], "--no-cc", metavar="ADDR", help="Stop copying ADDR; repeatable."),
    edit_form: bool = typer.Option(False, "--edit", "-e", help="Edit the fields as YAML in $VISUAL/$EDITOR "
                                   "(with any field options already in it); also without this when no field "
                                   "option is given on a terminal."),
    yaml_file: Optional[Path] = typer.Option(None, "--yaml-file", metavar="FILE",
                                             help="Take the fields from this YAML form (as the editor shows "
                                                  "it, e.g. one kept after an error); with -e, start from it."),
) -> None:
    """Correct fields typed wrong; each change is journaled old → new, the customer is not mailed.

    --cc/--no-cc change who is copied (Cc:) on the ticket's mail; mail from them threads into the ticket.

    With no field option on a terminal, or with --edit, the editor ($VISUAL, else $EDITOR, else vi)
    opens on the editable fields as YAML; what was changed there is applied. Saving the form
    unchanged or empty does nothing (exit 1, as git does with an unedited commit message); a form
    that is not YAML or has an unknown key exits 2 naming its line and keeps the file.
    Status, priority, timestamps and the journal have their own commands. The customer match is kept:
    after changing --contact or --email run `supportctl verify ID` to match the customer again;
    the organisation changes with `verify --org`.

    Example: supportctl edit T-0001 --subject "Не работает АБС"
    """
    from supportctl.cli import edit_form as form
    from supportctl.cli.editor import wanted
    from supportctl.errors import InvalidValue
    from supportctl.services import tickets

    if text is not None and text_file is not None:
        raise InvalidValue("give --text or --text-file, not both")
    given = {"subject": subject, "text": read_text(text, text_file, "ticket text") if text is not None
             or text_file is not None else None, "category": category, "product": product,
             "contact.name": contact, "contact.position": position, "contact.phone": phone,
             "contact.email": email}
    changes = {k: v for k, v in given.items() if v is not None}
    ctx = context()
    if wanted(edit_form, bool(changes) or yaml_file is not None or bool(cc) or bool(no_cc)):
        start = form.read_form_file(yaml_file) if yaml_file is not None else None
        change = form.edit_in_editor(ctx, ticket_id, changes, start,
                                     lambda c: tickets.edit(ctx, ticket_id, c, cc, no_cc))
    else:
        if yaml_file is not None:
            changes = form.from_file(ctx, ticket_id, yaml_file, changes)
        if not changes and yaml_file is None and not cc and not no_cc:
            raise InvalidValue("nothing to edit", "give one or more of --subject, --text, --text-file, --category, "
                               "--product, --contact, --position, --phone, --email, --cc, --no-cc, or --edit")
        change = tickets.edit(ctx, ticket_id, changes, cc, no_cc)
    fields = [e.data["field"] for e in change.entries]
    if {"contact.name", "contact.email"} & set(fields):
        typer.echo(f"supportctl: the customer match is unchanged; to match again: supportctl verify "
                   f"{change.ticket.id}", err=True)
    _done(change, "edited: " + ", ".join(dict.fromkeys(fields)) if fields else "unchanged")


@command(app, "verify")
def verify(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    org: Optional[str] = typer.Option(None, "--org", help="The customer it belongs to, if not the one recorded."),
    contact: Optional[str] = typer.Option(None, "--contact", help="The contact's full name, if not the one recorded."),
    email: Optional[str] = typer.Option(None, "--email", help="The contact's e-mail, if not the one recorded."),
) -> None:
    """Match the ticket to customers.yaml again, e.g. after registering its customer (R-7.7)."""
    from supportctl.services import tickets

    ctx = context()
    change = tickets.verify(ctx, ticket_id, org, contact, email)
    t = change.ticket
    if t.verified:
        _done(change, f"verified: {t.org}, contract {t.contract or '—'}, plan {t.plan or 'default'}{_due(ctx, change)}")
    else:
        _done(change, f"still unverified: {t.unverified_reason}")


@command(app, "link")
def link(ticket_id: str = typer.Argument(..., metavar="ID"),
         other: str = typer.Argument(..., metavar="OTHER")) -> None:
    """Link two related tickets (both journals record it)."""
    from supportctl.domain.ids import validate_id
    from supportctl.services import tickets

    ctx = context()
    other = validate_id(other)
    ticket = ctx.desk.load_ticket(ticket_id)
    if other in ticket.related:  # linking twice would journal it twice
        typer.echo(f"{ticket.id}: already linked to {other}")
        return
    _done(tickets.link(ctx, ticket_id, other), f"linked to {other}")


@command(app, "split")
def split(
    ticket_id: str = typer.Argument(..., metavar="ID"),
    subject: str = typer.Option(..., "--subject", "-s", help="Subject of the new problem."),
    text: str = typer.Option(..., "--text", "-t", help="Text of the new problem."),
) -> None:
    """Make a new problem found in ID a new ticket linked to it (R-4.3); prints the new ID."""
    from supportctl.services import tickets

    change = tickets.split(context(), ticket_id, subject, text)
    typer.echo(change.ticket.id)


@command(app, "replies")
def replies(as_json: bool = typer.Option(False, "--json", help="Print JSON: name, title, problem.")) -> None:
    """List the desk's reply templates (replies/NAME.md) with their first line, for reply --template."""
    from supportctl.cli.common import echo, print_json
    from supportctl.services import reply_templates

    found = reply_templates.listing(context())
    if as_json:
        print_json([{"name": t.name, "title": t.title, "problem": t.problem} for t in found])
        return
    if not found:  # stdout stays empty for scripts, as `list` does
        typer.echo("no reply templates: write one as replies/NAME.md (docs/tickets.md)", err=True)
        return
    width = max((len(t.name) for t in found if not t.problem), default=0)
    for t in found:
        if t.problem:
            typer.echo(visible(f"supportctl: warning: {t.problem}"), err=True)
        else:
            echo(f"{t.name:<{width}}  {t.title}".rstrip())


@command(app, "merge")
def merge(
    ticket_id: str = typer.Argument(..., metavar="DUP", help="The duplicate: closed, its content moved."),
    other: str = typer.Option(..., "--into", metavar="ID", help="The ticket that goes on."),
    force: bool = typer.Option(False, "--force", help="Merge tickets of different organisations too."),
) -> None:
    """Merge a duplicate ticket DUP into ID (a customer who wrote a new mail instead of replying).

    DUP's text and journal become entries of ID marked [from DUP] (copied entries bill no time: it stays
    under DUP), its attachments move under ID and its mail Message-IDs go to ID, so later mails of DUP's
    thread land in ID. DUP is closed with merged_into: ID; its clocks stop, it counts in no SLA, CSAT,
    workload or journal report, `list` hides it unless --all, and `show DUP` points to ID. The customer
    is not mailed. Refused: DUP and ID the same, either merged already, DUP or ID closed (reopen it first),
    or tickets of different organisations without --force.

    Example:

        supportctl merge T-0002 --into T-0001
    """
    from supportctl.services import merge_tickets

    ctx = context()
    change = merge_tickets.merge(ctx, ticket_id, other, force=force)
    for line in change.notes:
        typer.echo(visible(f"supportctl: {line}"), err=True)
    typer.echo(f"{ticket_id}: merged into {change.ticket.id} and closed")
