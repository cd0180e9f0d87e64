"""Ticket IDs (R-4.4, R-7.4).

An ID is ``<STATION>-<NUMBER>``, e.g. ``T-0042`` or ``KM-0107``: short enough
to read over the phone and to quote in a subject as ``[Заявка#T-0042]``.
The station is the prefix of one clone of the desk (like OTRS's SystemID);
each clone numbers its own tickets, so clones that create tickets offline
never produce one ID twice when they are merged. Numbers are zero-padded to
four digits and simply grow past 9999.
"""

from __future__ import annotations

import re
from typing import Iterable

from supportctl.errors import InvalidValue, NotFound

# \A…\Z, not ^…$: `$` accepts a trailing newline; [0-9], not \d: no other script's digits in a file name.
STATION_RE = re.compile(r"\A[A-Z]{1,3}\Z")
ID_RE = re.compile(r"\A([A-Z]{1,3})-([0-9]{1,9})\Z")
# Cyrillic letters that look like Latin ones, as people type IDs by hand ("Т-0042"): the CLI
# and the mail channel read them alike.
LOOKALIKE = str.maketrans("АВЕКМНОРСТУХаеорсху", "ABEKMHOPCTYXAEOPCXY")
# Letters that are hard to confuse over the phone or with digits (no I, O, Q).
STATION_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"


def validate_id(text: str) -> str:
    """Normalise and validate an ID before it is ever used in a path."""
    s = str(text).strip().upper().translate(LOOKALIKE)
    if not ID_RE.match(s):
        raise InvalidValue(f"invalid ticket ID {text!r}", "IDs look like T-0042")
    return s


def validate_station(text: str) -> str:
    s = str(text).strip().upper()
    if not STATION_RE.match(s):
        raise InvalidValue(f"invalid station {text!r}", "a station is 1 to 3 Latin letters, e.g. T or KM")
    return s


def format_id(station: str, number: int) -> str:
    return f"{station}-{number:04d}"


def split_id(ticket_id: str) -> tuple[str, int]:
    m = ID_RE.match(ticket_id)
    if not m:
        raise InvalidValue(f"invalid ticket ID {ticket_id!r}", "IDs look like T-0042")
    return m.group(1), int(m.group(2))


# What a person may type for a ticket: "T-0003", "T-3", "t3", "#3", "3".
_GIVEN_RE = re.compile(r"\A#?(?:([A-Z]{1,3})\s*-?\s*)?([0-9]{1,9})\Z")


def resolve_id(text: str, known: Iterable[str]) -> str:
    """The ticket a person means: the ID as given, or the one ticket of ``known`` with that number.

    An unpadded number names a ticket when exactly one of ``known`` has it ("T-3" is T-0003; "3" is
    T-0003 when no other station has a number 3); several → InvalidValue listing them. An ID of
    no known ticket comes back in its canonical form, so "no ticket T-0003" names it as it would be.
    """
    s = str(text).strip().upper().translate(LOOKALIKE)
    m = _GIVEN_RE.match(s)
    if not m:
        raise InvalidValue(f"invalid ticket ID {text!r}", "IDs look like T-0042")
    station, number = m.group(1), int(m.group(2))
    known = [k for k in known if ID_RE.match(k)]
    if station and f"{station}-{m.group(2)}" in known:
        return f"{station}-{m.group(2)}"

    def named(k: str) -> bool:
        st, n = split_id(k)
        return n == number and station in (None, st)

    matches = sorted(filter(named, known))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidValue(f"ticket {str(text).strip()!r} is ambiguous: {', '.join(matches)}", "give the full ID")
    if station:
        return format_id(station, number)
    raise NotFound(f"no ticket numbered {number} in this desk", "see the IDs with: supportctl list")
