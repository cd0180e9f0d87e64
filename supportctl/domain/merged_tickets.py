"""Merging a duplicate ticket into the one that goes on (`merge DUP --into ID`, issue 12; IS-1).

A customer who writes a new mail instead of replying makes a second ticket
for one problem. Merging it moves what it holds into the ticket that goes on:
its text and journal (as entries of that ticket, marked as coming from the
duplicate), its attachments and its mail Message-IDs (so later mails of its
thread land there). The duplicate is closed with ``merged_into``; its clocks
stop at the merge and it counts in no SLA or CSAT figure. The customer is not
mailed.

What may be merged: two different tickets of one organisation (another only
with ``force``); the duplicate neither closed nor merged already; the ticket
that goes on neither closed (reopen it first) nor merged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from supportctl.domain import messages
from supportctl.domain.customers import org_key
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Ticket
from supportctl.errors import InvalidValue, Refused

MAX_CHAIN = 16  # merged_into followed at most this far (a hand edit may make a loop)


def refusal(dup: Ticket, target: Ticket, *, force: bool = False) -> Refused | InvalidValue | None:
    """Why ``dup`` may not be merged into ``target``, or None."""
    if dup.id == target.id:
        return InvalidValue(f"cannot merge {dup.id} into itself", "name the ticket that goes on after --into")
    if dup.merged_into:
        return Refused(f"{dup.id} is merged into {dup.merged_into} already")
    if dup.status == "closed":
        return Refused(f"{dup.id} is closed; a closed ticket is not merged",
                       f"reopen it first: supportctl reopen {dup.id} --reason TEXT")
    if target.merged_into:
        return Refused(f"{target.id} is merged into {target.merged_into}",
                       f"merge into that one: supportctl merge {dup.id} --into {target.merged_into}")
    if target.status == "closed":
        return Refused(f"{target.id} is closed; merging would add work to a finished ticket",
                       f"reopen it first: supportctl reopen {target.id} --reason TEXT")
    if org_key(dup.org or "") != org_key(target.org or "") and not force:
        return Refused(f"{dup.id} is of {dup.org or 'no organisation'}, {target.id} of "
                       f"{target.org or 'no organisation'}: tickets of different customers are not merged",
                       "pass --force if it really is one request")
    return None


def merge(dup: Ticket, target: Ticket, dup_entries: list[Entry], renamed: dict[str, str], at: datetime,
          by: str, lang: str = "ru") -> tuple[list[Entry], list[Entry]]:
    """Move what ``dup`` holds into ``target`` and close ``dup``: the journal entries of each.

    ``dup_entries`` is the duplicate's journal (in time order); ``renamed`` the name each of its
    attachments has under ``target`` (the caller copies the files and checks ``refusal`` first).
    """
    mark = messages.pick(messages._TEXTS, "merged_mark", lang, dup=dup.id)
    copies = [Entry(dup.received_at or at, by, "merged_copy", f"{mark} {dup.subject}\n{dup.text}".rstrip(),
                    data={"merged_from": dup.id, "kind": "text"})]
    for e in dup_entries:
        data: dict = {"merged_from": dup.id, "kind": e.kind}
        if e.spent_minutes:
            data["spent_minutes"] = e.spent_minutes  # billed under the duplicate, where it was journaled
        names = e.data.get("attachments") if isinstance(e.data, dict) else None
        if isinstance(names, list):
            data["attachments"] = [renamed[n] for n in names if isinstance(n, str) and n in renamed]
        for key in ("message_id", "from"):  # a mail's identity and sender (the customer report names it)
            if isinstance(e.data, dict) and isinstance(e.data.get(key), str):
                data[key] = e.data[key]
        copies.append(replace(e, kind="merged_copy", text=f"{mark} {e.text}".rstrip(), spent_minutes=0, data=data))
    for mid in dup.message_ids:
        if mid not in target.message_ids:
            target.message_ids.append(mid)
    target.attachments += [n for n in renamed.values() if n not in target.attachments]
    if dup.id not in target.related:
        target.related.append(dup.id)
    header = Entry(at, by, "merged", messages.text("merged_in", lang, dup=dup.id, subject=dup.subject),
                   data={"merged_from": dup.id, **({"attachments": list(renamed.values())} if renamed else {})})

    dup.message_ids = []
    dup.attachments = []
    pause = dup.open_pause()
    if pause:
        pause.end = at
    dup.status, dup.hold_reason, dup.closed_at, dup.merged_into = "closed", None, at, target.id
    if target.id not in dup.related:
        dup.related.append(target.id)
    closed = Entry(at, by, "merged", messages.text("merged_into", lang, target=target.id),
                   data={"target": target.id})
    return [closed], [*copies, header]


def final_target(ticket_id: str, merged_into_of) -> str:
    """The ticket a chain of merges ends at (``merged_into_of(id)`` → its merged_into, or None);
    ``ticket_id`` itself when it is not merged. A loop or a chain longer than MAX_CHAIN ends where it stops."""
    seen = {ticket_id}
    current = ticket_id
    for _ in range(MAX_CHAIN):
        nxt = merged_into_of(current)
        if not nxt or nxt in seen:
            break
        seen.add(nxt)
        current = nxt
    return current
