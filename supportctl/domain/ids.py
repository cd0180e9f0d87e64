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

from supportctl.errors import InvalidValue

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
