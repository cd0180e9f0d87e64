"""Journal entries: every action on a ticket, in order (R-4.5, R-4.6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What an entry records. Customer-visible ones (reply, customer) are the
# correspondence of IS-4; the rest is the specialists' progress (R-4.5).
KINDS = (
    "received", "registered", "assigned", "priority", "note", "reply", "customer",
    "hold", "resume", "completed", "closed", "reopened", "linked", "split", "eta",
    "attachment", "imported", "mail", "verified",
    "edited",  # a field typed wrong was corrected (`supportctl edit`): data has field, old, new
    "escalated",  # the assignee and leads were told of a deadline at risk or passed
    "merged",  # `merge DUP --into ID`: DUP closed as a duplicate (data: target), or ID took DUP in (data: merged_from)
    "merged_copy",  # an entry of DUP's journal copied into ID's: data has merged_from and the entry's own kind
)


@dataclass
class Entry:
    at: datetime
    by: str
    kind: str
    text: str = ""
    spent_minutes: int = 0
    data: dict[str, Any] = field(default_factory=dict)


def in_time_order(entries: list[Entry]) -> list[Entry]:
    """Entries sorted by time; a merge may have put them out of order in the file."""
    return sorted(entries, key=lambda e: e.at)
