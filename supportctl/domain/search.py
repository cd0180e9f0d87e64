"""Full-text search: words to stems, a query to an FTS5 expression, a snippet with the match marked.

Both sides go through the same `stems`: a text is indexed as its words' Snowball stems (Russian for
words with Cyrillic letters, English for the others), casefolded, with `ё` as `е`, so `принтер`
finds `принтера не печатают`. snowballstemmer is imported on first use, not at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from supportctl.errors import InvalidValue

# What one ticket contributes to the index (subject, text, journal entries together): more is cut off.
MAX_INDEXED_CHARS = 1_000_000
MAX_QUERY_CHARS = 1000
SNIPPET_CHARS = 80
MARK_OPEN, MARK_CLOSE = "[", "]"

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def normalise(text: str) -> str:
    return text.casefold().replace("ё", "е")


@lru_cache(maxsize=1)
def _stemmers():
    import snowballstemmer

    return snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")


MAX_STEMMED_WORD = 64  # a longer "word" (a hash, a base64 line) is indexed as it is: stemming costs, finds nothing


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one normalised word."""
    if len(word) > MAX_STEMMED_WORD or not word.isalpha():  # numbers, codes (0x80070005), snake_case
        return word
    russian, english = _stemmers()
    return (russian if _CYRILLIC.search(word) else english).stemWord(word) or word


def stems(text: str) -> list[str]:
    """`stem` of every word, each stemmer called once on all its words (the C one is then ~10x faster)."""
    words = _WORD.findall(normalise(text))
    if len(words) < 50:
        return [stem(w) for w in words]
    russian, english = _stemmers()
    groups: tuple[list[int], list[int]] = ([], [])
    for n, w in enumerate(words):
        if len(w) <= MAX_STEMMED_WORD and w.isalpha():
            groups[0 if _CYRILLIC.search(w) else 1].append(n)
    for stemmer, where in zip((russian, english), groups):
        for n, s in zip(where, stemmer.stemWords([words[n] for n in where])):
            if s:
                words[n] = s
    return words


def indexed_text(text: str) -> str:
    """What the index stores for a text: its stems, space-separated."""
    return " ".join(stems(text))


@dataclass
class Query:
    """A parsed query: words and quoted phrases that must match, and `-word`/`-"phrase"` that must not."""

    required: list[list[str]] = field(default_factory=list)  # each a phrase of stems (one stem for a word)
    excluded: list[list[str]] = field(default_factory=list)

    def fts(self) -> str:
        """The FTS5 MATCH expression (every stem quoted, so nothing in it is FTS5 syntax)."""
        def phrase(stems_: list[str]) -> str:
            return '"' + " ".join(stems_).replace('"', '""') + '"'

        expression = " AND ".join(phrase(p) for p in self.required)
        for p in self.excluded:
            expression += " NOT " + phrase(p)
        return expression

    @property
    def stems(self) -> set[str]:
        return {s for p in self.required for s in p}


_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


def parse_query(text: str) -> Query:
    """`принтер "не печатает" -сканер`; a query with nothing to find is an error."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidValue(f"the search query is longer than {MAX_QUERY_CHARS} characters", "shorten it")
    query = Query()
    for m in _TERM.finditer(text):
        words = stems(m.group(2) if m.group(2) is not None else m.group(3))
        if words:
            (query.excluded if m.group(1) else query.required).append(words)
    if not query.required:
        raise InvalidValue(f"nothing to search for in {text!r}",
                           "give at least one word that is not excluded with '-'")
    return query


def snippet(text: str, wanted: set[str], width: int = SNIPPET_CHARS) -> str | None:
    """A piece of `text` around the first word whose stem is wanted, with every wanted word in it
    marked (all the words of a phrase, not its first alone); None if no word is wanted."""
    folded = normalise(text)
    if len(folded) != len(text):  # a letter whose casefold is longer: positions would not line up
        folded = text.lower().replace("ё", "е")
        if len(folded) != len(text):
            folded = text
    words = _WORD.finditer(folded)
    first = next((m for m in words if stem(m.group()) in wanted), None)
    if first is None:
        return None
    start, end = first.span()
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    while 0 < left < start and not text[left - 1].isspace():  # the piece starts and ends on whole words
        left += 1
    while end < right < len(text) and not text[right].isspace():
        right -= 1
    marked = [first.span()]
    for m in words:
        if m.end() > right:  # a word the piece cuts is not marked
            break
        if stem(m.group()) in wanted:
            marked.append(m.span())
    parts = ["…" if left else ""]
    at = left
    for a, b in marked:
        parts += [text[at:a], MARK_OPEN, text[a:b], MARK_CLOSE]
        at = b
    parts += [text[at:right], "…" if right < len(text) else ""]
    return " ".join("".join(parts).split())
