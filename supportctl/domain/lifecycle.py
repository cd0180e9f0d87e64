"""The ticket lifecycle (R-4.5–4.9, R-6.1, R-7.9): statuses, moves, and what each move does.

    new ──register──▶ open ◀──resume── waiting
                       │ ──hold──────▶   │
                       ├──complete──▶ completed ◀──complete──┘
                       ◀──reopen──────   │
                                         └──close──▶ closed

Each operation checks the move, changes the ticket and returns the journal
entries to append. Deadlines are not computed here (see sla.py); the
service that calls an operation refreshes them.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from supportctl.domain import messages
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Eta, Pause, PriorityPeriod, Ticket
from supportctl.errors import InvalidValue, Refused

STATUSES = ("new", "open", "waiting", "completed", "closed")

# (status, move) → new status
TRANSITIONS: dict[tuple[str, str], str] = {
    ("new", "register"): "open",
    ("open", "hold"): "waiting",
    ("waiting", "resume"): "open",
    ("open", "complete"): "completed",
    ("waiting", "complete"): "completed",
    ("completed", "close"): "closed",
    ("completed", "reopen"): "open",
}

# Actions that keep the status, and the statuses they are allowed in.
ACTIONS: dict[str, tuple[str, ...]] = {
    "note": STATUSES,
    "link": STATUSES,
    "split": ("new", "open", "waiting", "completed"),
    "assign": ("new", "open", "waiting", "completed"),
    "reply": ("new", "open", "waiting", "completed"),
    "priority": ("open", "waiting"),
    "eta": ("open", "waiting"),
    "verify": ("new", "open", "waiting", "completed"),
    "customer": STATUSES,
    "edit": STATUSES,
}

HOLD_REASONS = tuple(messages.HOLD_REASONS)
ANSWER_CHANNELS = ("email", "phone", "remote", "other")

# what an action is called in "cannot … T-0007" when its name is not a verb
ACTION_PHRASES = {"eta": "set the expected resolution of", "customer": "add a customer's message to",
                  "priority": "change the priority of"}

MIN_ANSWER_MINUTES = 30


def allowed_moves(status: str) -> list[str]:
    return [move for (src, move) in TRANSITIONS if src == status]


def check_move(ticket: Ticket, move: str) -> str:
    """The status after ``move``, or Refused naming the moves that are allowed."""
    target = TRANSITIONS.get((ticket.status, move))
    if target is None:
        moves = ", ".join(allowed_moves(ticket.status)) or "none (the ticket is closed)"
        raise Refused(f"cannot {move} {ticket.id}: it is {ticket.status}",
                      f"from {ticket.status} the allowed moves are: {moves}")
    return target


def check_action(ticket: Ticket, action: str) -> None:
    if ticket.status not in ACTIONS[action]:
        allowed = ", ".join(ACTIONS[action])
        raise Refused(f"cannot {ACTION_PHRASES.get(action, action)} {ticket.id}: it is {ticket.status}",
                      f"{action} is allowed when the ticket is {allowed}")


def receive(ticket: Ticket, at: datetime, by: str, lang: str = "ru") -> list[Entry]:
    data = {"subject": ticket.subject}
    return [Entry(at, by, "received", messages.text("received", lang, channel=messages.channel_text(ticket.channel, lang)), data=data)]


def register(ticket: Ticket, priority: int, assignee: str | None, at: datetime, by: str,
             lang: str = "ru") -> list[Entry]:
    """R-6.1, R-6.6: priority set at registration; the customer is then told number, priority, due."""
    ticket.status = check_move(ticket, "register")
    ticket.priority = priority
    ticket.registered_at = at
    ticket.priority_history = [PriorityPeriod(priority, at)]
    if assignee:
        ticket.assignee = assignee
        text = messages.text("registered_assigned", lang, priority=priority, assignee=assignee)
    else:
        text = messages.text("registered", lang, priority=priority)
    return [Entry(at, by, "registered", text, data={"priority": priority, "assignee": assignee})]


def assign(ticket: Ticket, assignee: str, at: datetime, by: str, lang: str = "ru") -> list[Entry]:
    check_action(ticket, "assign")
    ticket.assignee = assignee
    return [Entry(at, by, "assigned", messages.text("assigned", lang, assignee=assignee),
                  data={"assignee": assignee})]


def change_priority(ticket: Ticket, priority: int, reason: str, at: datetime, by: str,
                    lang: str = "ru") -> list[Entry]:
    """R-6.1: the priority may change while the ticket is worked on; the change is recorded."""
    check_action(ticket, "priority")
    if not reason.strip():
        raise InvalidValue("a priority change needs a reason", "give --reason TEXT (R-6.1)")
    old, ticket.priority = ticket.priority, priority
    if not ticket.priority_history and old is not None:  # registered before the history was kept
        ticket.priority_history.append(PriorityPeriod(old, ticket.registered_at or ticket.received_at or at))
    ticket.priority_history.append(PriorityPeriod(priority, at))
    return [Entry(at, by, "priority", messages.text("priority", lang, old=old, new=priority, reason=reason),
                  data={"old": old, "new": priority})]


def note(ticket: Ticket, text: str, at: datetime, by: str) -> list[Entry]:
    check_action(ticket, "note")
    _require_text(text, "note")
    return [Entry(at, by, "note", text)]


def accountable_minutes(spent: int | None) -> int:
    """R-5.2: one answer to the customer accounts for at least 30 minutes."""
    return max(MIN_ANSWER_MINUTES, spent or 0)


def reply(ticket: Ticket, text: str, spent: int | None, via: str, at: datetime, by: str) -> list[Entry]:
    """R-4.6, R-4.7: an answer to the customer, by the channel that works best."""
    check_action(ticket, "reply")
    if via not in ANSWER_CHANNELS:
        raise InvalidValue(f"invalid --via {via!r}", "use " + ", ".join(ANSWER_CHANNELS) + " (R-4.7)")
    _require_text(text, "reply")
    minutes = accountable_minutes(spent)
    ticket.spent_minutes += minutes
    if ticket.responded_at is None:  # stops the first-response timer (IS-6)
        ticket.responded_at = at
    return [Entry(at, by, "reply", text, spent_minutes=minutes, data={"via": via})]


def hold(ticket: Ticket, reason: str, text: str, at: datetime, by: str, lang: str = "ru",
         until: datetime | None = None, until_shown: str = "", stops_clock: bool = True) -> list[Entry]:
    """R-7.9: put on hold with a reason; the clocks pause when the reason is a customer delay
    (``stops_clock``, from ``sla.pause_reasons``), else the pause is recorded as ``clock_runs``.
    With ``until`` the desk resumes the ticket by itself once that time has passed (``resume_expired``)."""
    if reason not in HOLD_REASONS:
        raise InvalidValue(f"invalid hold reason {reason!r}", "one of: " + ", ".join(HOLD_REASONS))
    if until is not None and until <= at:
        raise InvalidValue(f"--until {until_shown or until.isoformat()} is not in the future",
                           "give a later date, YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    ticket.status = check_move(ticket, "hold")
    ticket.hold_reason = reason
    ticket.pauses.append(Pause(start=at, reason=reason, until=until, clock_runs=not stops_clock))
    line = messages.text("hold", lang, reason=messages.hold_reason_text(reason, lang))
    data = {"reason": reason}
    if not stops_clock:
        data["clock"] = "running"
    if until is not None:
        data["until"] = until.isoformat(timespec="seconds")
    return [Entry(at, by, "hold", f"{line} {text}".strip(), data=data)]


def hold_expired(ticket: Ticket, now: datetime) -> datetime | None:
    """When the ticket's hold ended by its ``--until``, if it is waiting and that time has passed."""
    pause = ticket.open_pause()
    if ticket.status == "waiting" and pause is not None and pause.until is not None and pause.until <= now:
        return pause.until
    return None


def resume_expired(ticket: Ticket, now: datetime, by: str, shown: str, lang: str = "ru") -> list[Entry]:
    """A hold past its ``--until`` resumes as of that time: the clock runs again from then, not from
    whenever the desk noticed (cron)."""
    until = hold_expired(ticket, now)
    if until is None:
        raise Refused(f"{ticket.id} has no hold that ended")
    return resume(ticket, messages.text("resume_until", lang, until=shown), until, by, lang)


def resume(ticket: Ticket, text: str, at: datetime, by: str, lang: str = "ru") -> list[Entry]:
    ticket.status = check_move(ticket, "resume")
    _end_pause(ticket, at)
    ticket.hold_reason = None
    return [Entry(at, by, "resume", text or messages.text("resume", lang))]


def complete(ticket: Ticket, text: str, spent: int | None, at: datetime, by: str,
             lang: str = "ru") -> list[Entry]:
    """R-4.8: an exhaustive answer delivered; completed until the customer confirms."""
    ticket.status = check_move(ticket, "complete")
    _end_pause(ticket, at)
    ticket.hold_reason = None
    ticket.completed_at = at
    if ticket.responded_at is None:
        ticket.responded_at = at
    minutes = accountable_minutes(spent) if text else (spent or 0)
    ticket.spent_minutes += minutes
    return [Entry(at, by, "completed", text or messages.text("completed", lang), spent_minutes=minutes)]


def close(ticket: Ticket, rating: int | None, at: datetime, by: str, lang: str = "ru",
          why: str | None = None) -> list[Entry]:
    """R-4.9: closed when the customer confirms (or automatically, see autoclose)."""
    ticket.status = check_move(ticket, "close")
    ticket.closed_at = at
    if rating is not None:
        ticket.rating = rating
    text = messages.text("closed_rated", lang, rating=rating) if rating else messages.text("closed", lang)
    if why:
        text = f"{text} {why}"
    return [Entry(at, by, "closed", text, data={"rating": rating} if rating else {})]


def reopen(ticket: Ticket, reason: str, at: datetime, by: str, lang: str = "ru") -> list[Entry]:
    """R-4.8: the customer disagrees with reasons; the resolution clock continues where it stopped."""
    if not reason.strip():
        raise InvalidValue("reopening needs the customer's reason", "give --reason TEXT (R-4.8)")
    ticket.status = check_move(ticket, "reopen")
    if ticket.completed_at:
        ticket.pauses.append(Pause(start=ticket.completed_at, end=at, reason="completed"))
    ticket.completed_at = None
    return [Entry(at, by, "reopened", messages.text("reopened", lang, reason=reason))]


def reopen_closed(ticket: Ticket, reason: str, at: datetime, by: str, lang: str = "ru") -> list[Entry]:
    """A closed ticket reopens (a close by mistake, the problem came back, or a customer's mail under
    mail.closed_followup: reopen): the close is undone, then it reopens as from completed, so the
    clock continues where it stopped. The rating is cleared from the ticket and kept in the entry."""
    if ticket.status != "closed":
        raise Refused(f"cannot reopen {ticket.id} as closed: it is {ticket.status}")
    if ticket.merged_into:
        raise Refused(f"{ticket.id} is a duplicate merged into {ticket.merged_into}; it is not reopened",
                      f"reopen {ticket.merged_into} instead")
    undone = {"closed_at": ticket.closed_at.isoformat(timespec="seconds") if ticket.closed_at else None,
              "rating": ticket.rating}
    ticket.status, ticket.closed_at, ticket.rating = "completed", None, None
    entries = reopen(ticket, reason, at, by, lang)
    entries[-1].data = {**(entries[-1].data or {}), "reopened_from": "closed", **undone}
    return entries


def link(ticket: Ticket, other: str, at: datetime, by: str, lang: str = "ru",
         key: str = "linked") -> list[Entry]:
    check_action(ticket, "link")
    if other == ticket.id:
        raise InvalidValue(f"cannot link {ticket.id} to itself")
    if other not in ticket.related:
        ticket.related.append(other)
    return [Entry(at, by, "linked", messages.text(key, lang, other=other), data={"other": other})]


def set_eta(ticket: Ticket, eta_at: datetime, text: str, shown: str, at: datetime, by: str,
            lang: str = "ru") -> list[Entry]:
    """R-6.7: the customer is told the expected resolution date and why; ``eta_at`` in the desk's zone,
    ``shown`` as people read it (a date alone when it was given as one)."""
    check_action(ticket, "eta")
    _require_text(text, "expected-resolution notice")
    if eta_at <= at:
        raise InvalidValue(f"the expected resolution {shown} is not in the future",
                           "give a later date, YYYY-MM-DD or YYYY-MM-DDTHH:MM (R-6.7)")
    ticket.eta = Eta(date=eta_at, text=text)
    return [Entry(at, by, "eta", messages.text("eta", lang, date=shown, text=text),
                  data={"date": eta_at.isoformat(timespec="seconds")})]


# what `supportctl edit` may change: the fields typed in, never status, priority, timestamps or the journal
EDITABLE = ("subject", "text", "category", "product", "contact.name", "contact.position", "contact.phone",
            "contact.email")


def edit(ticket: Ticket, changes: dict[str, str | None], at: datetime, by: str,
         lang: str = "ru") -> list[Entry]:
    """Correct fields typed wrong: one journal entry per field that really changes (old → new).
    An empty value clears an optional field; the subject and text cannot be emptied."""
    check_action(ticket, "edit")
    entries: list[Entry] = []
    for name, value in changes.items():
        if name not in EDITABLE:
            raise InvalidValue(f"{name} cannot be edited", "editable: " + ", ".join(EDITABLE))
        value = value.strip() if isinstance(value, str) else value
        if name == "text":
            _require_text(value or "", "ticket")
        elif name == "subject":
            if not value:
                raise InvalidValue("the subject cannot be empty", "give --subject TEXT")
        elif not value:
            value = None
        if name == "contact.email" and value and "@" not in value:
            raise InvalidValue(f"invalid e-mail {value!r}", "give --email name@example.ru")
        owner, attr = (ticket.contact, name.partition(".")[2]) if "." in name else (ticket, name)
        old = getattr(owner, attr)
        if old == value:
            continue
        setattr(owner, attr, value)
        entries.append(Entry(at, by, "edited", messages.edited_text(name, old, value, lang),
                             data={"field": name, "old": old, "new": value}))
    return entries


def end_of_working_day(day: date, periods: tuple[tuple[int, int], ...], zone: tzinfo) -> datetime:
    """R-6.7: an expected resolution given as a date means the close of that working day: the end of
    the day's last working period (a day off: of a working day's), 18:00 for a calendar without closing."""
    closing = periods[-1][1] if periods else 0
    if not 0 < closing < 24 * 60:
        closing = 18 * 60
    return datetime.combine(day, time(closing // 60, closing % 60), tzinfo=zone)


def customer_message(ticket: Ticket, text: str, at: datetime, by: str, data: dict | None = None) -> list[Entry]:
    """R-4.6: the customer's answers are documented; a waiting ticket resumes (R-7.9)."""
    entries = [Entry(at, by, "customer", text, data=data or {})]
    if ticket.status == "waiting":
        entries += resume(ticket, "", at, by)
    return entries


def _end_pause(ticket: Ticket, at: datetime) -> None:
    pause = ticket.open_pause()
    if pause:
        pause.end = at


def _require_text(text: str, what: str) -> None:
    if not text or not text.strip():
        raise InvalidValue(f"the {what} has no text", "give the text as an argument or on stdin")
