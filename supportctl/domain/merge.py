"""Three-way merge of one ticket, field by field: what git's merge driver for ticket files decides.

Two clones that work on one ticket offline both change it; a text merge
conflicts whenever both touched the same line, even where the meaning is
plain. Here each field merges by what it holds:

- any field: changed on one side → that side; the same change on both → it;
  different changes on both → a conflict a person resolves;
- ``spent_minutes`` is a running total (R-5.2): both sides' additions count;
- ``related``, ``attachments``, ``message_ids``, ``cc``: both sides' additions, ours
  first; an item one side removed stays removed;
- ``pauses`` (R-7.9): both sides' pauses by (start, reason), an open pause
  that one side closed is closed, in time order;
- the lifecycle (status and what a move sets with it): a status that changed
  on one side brings that side's hold reason, completion, close, merge (``merged_into``) and rating;
  different statuses on both sides are a conflict of all of them, pauses too;
- the stored deadlines ``registration_due``, ``due`` and ``first_response_due``
  are derived: they never conflict; where both moved differently the earlier
  stands until the next command on the ticket recomputes them;
- ``responded_at`` (the first answer, IS-6): the earlier of both sides';
- ``priority_history`` (R-6.1): both sides' entries, in time order.

A merge without a common ancestor (both clones created the same ID) is not a
merge of one ticket: the caller leaves it to git's text merge.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from supportctl.domain.ticket import Contact, Pause, Ticket

LIFECYCLE = ("status", "hold_reason", "completed_at", "closed_at", "merged_into", "rating")
DEADLINES = ("registration_due", "due", "first_response_due")
RUNNING_TOTALS = ("spent_minutes",)
SETS = ("related", "attachments", "message_ids", "cc")


@dataclass
class TicketMerge:
    """The merged ticket; a conflicting field holds our value, and ``conflicts`` names it."""

    ticket: Ticket
    conflicts: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.conflicts


class _Unresolved(Exception):
    pass


def merge_tickets(base: Ticket, ours: Ticket, theirs: Ticket) -> TicketMerge:
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    lifecycle_side = _lifecycle_side(base, ours, theirs)
    status_conflict = lifecycle_side is None and ours.status != theirs.status
    for f in fields(Ticket):
        name = f.name
        b, o, t = getattr(base, name), getattr(ours, name), getattr(theirs, name)
        if name in LIFECYCLE and lifecycle_side is not None:
            merged[name] = getattr(lifecycle_side, name)
            continue
        try:
            merged[name] = _merge_field(name, b, o, t, status_conflict=status_conflict)
        except _Unresolved:
            merged[name] = o
            conflicts.append(name)
    return TicketMerge(Ticket(**merged), tuple(conflicts))


def _lifecycle_side(base: Ticket, ours: Ticket, theirs: Ticket) -> Ticket | None:
    """The side whose status move decides the lifecycle fields, or None when both or neither moved."""
    if ours.status == theirs.status:
        return None
    if ours.status == base.status:
        return theirs
    if theirs.status == base.status:
        return ours
    return None  # both moved, differently


def _merge_field(name: str, b: Any, o: Any, t: Any, *, status_conflict: bool) -> Any:
    if name in RUNNING_TOTALS:
        return max(0, o + t - b)
    if name in SETS:
        return merge_lists(b, o, t)
    if status_conflict and (name in LIFECYCLE or name == "pauses") and o != t:
        raise _Unresolved  # a person picks one side's lifecycle as a whole
    if name == "pauses":
        return merge_pauses(b, o, t)
    if name == "contact":
        return Contact(**{f.name: _three_way(getattr(b, f.name), getattr(o, f.name), getattr(t, f.name))
                          for f in fields(Contact)})
    if name in DEADLINES:
        return _deadline(b, o, t)
    if name == "responded_at":
        return min((x for x in (o, t) if x is not None), default=None)
    if name == "priority_history":
        return sorted({(h.priority, h.since): h for h in [*o, *t]}.values(), key=lambda h: h.since)
    return _three_way(b, o, t)


def _three_way(b: Any, o: Any, t: Any) -> Any:
    if o == t or t == b:
        return o
    if o == b:
        return t
    raise _Unresolved


def _deadline(b, o, t):
    if o == t or t == b:
        return o
    if o == b or o is None:
        return t
    return o if t is None else min(o, t)


def merge_lists(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    """Both sides' items, ours in their order, then theirs' additions; an item one side removed is gone."""
    had, mine, other = set(base), set(ours), set(theirs)
    keep = [x for x in ours if x not in had or x in other]
    keep += [x for x in theirs if x not in mine and x not in had]
    return list(dict.fromkeys(keep))


def merge_pauses(base: list[Pause], ours: list[Pause], theirs: list[Pause]) -> list[Pause]:
    """Both sides' pauses by (start, reason), in time order; a pause one side closed is closed,
    one side removed is gone.

    Closed differently on both sides, it ended at the earlier end (the clock ran again from then).
    Only the last pause may be open: an earlier open one (both sides held the ticket) ends where
    the next begins, so the clock stays stopped throughout.
    """
    def key(p: Pause) -> tuple:
        return p.start, p.reason

    had, mine, other = ({key(p) for p in side} for side in (base, ours, theirs))
    by_key: dict[tuple, Pause] = {}
    for p in [*ours, *theirs]:
        if key(p) in had and not (key(p) in mine and key(p) in other):
            continue  # one side removed it
        seen = by_key.get(key(p))
        if seen is None:
            by_key[key(p)] = replace(p)
        elif seen.end is None or (p.end is not None and p.end < seen.end):
            seen.end = p.end
    out = sorted(by_key.values(), key=lambda p: p.start)
    for p, after in zip(out, out[1:]):
        if p.end is None:
            p.end = after.start
    return out
