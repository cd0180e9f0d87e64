"""Reading a customer's answer to a completed ticket (R-4.8, R-4.9): pure functions, no mail, no files.

Closing is the one irreversible reading, so only a clear confirmation (or a rating, A-2) closes:
a confirmation phrase ("спасибо", "подтверждаю", "works now") and nothing that doubts it. A
negation ("не", "нет", "not", "don't"), a contrast ("но", "однако", "а", "but"), a lasting
problem ("всё ещё", "по-прежнему", "still"), a question or a deferral ("проверим завтра",
"will check later") vetoes it: "Не закрывайте заявку, проверим завтра" and "Thanks, but it's
not working" are never confirmations. A disagreement phrase wins over everything (the ticket
reopens); what is neither is ``unclear`` and a person decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

CONFIRM = "confirm"
DISAGREE = "disagree"
UNCLEAR = "unclear"
EMPTY = "empty"

# Only the start of a long reply is read: a confirmation is short, and the cost stays bounded.
READ_LIMIT = 4000

# Words that deny ("не", "no", "don't", "cant").
_NEGATIONS = frozenset({
    "не", "нет", "ни", "нету", "нельзя", "никак", "ничего", "никто", "нигде",
    "no", "not", "nope", "never", "nor", "neither", "cannot", "nothing", "none", "nobody",
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "wont", "havent", "hasnt",
    "hadnt", "couldnt", "wouldnt", "shouldnt", "aint",
})
_NEGATED_STEMS = ("неправильн", "неверн", "некорректн", "невозможн", "неудач", "incorrect", "wrong")
# Words that take back what came before ("спасибо, но…", "works, except…").
_CONTRASTS = frozenset({"но", "однако", "а", "зато", "хотя", "кроме", "правда",
                        "but", "however", "though", "although", "except", "unless", "yet"})
# A problem that lasts or returns.
_PERSISTENCE_WORDS = frozenset({"still", "again", "снова", "опять", "вновь", "повторно"})
_PERSISTENCE_PHRASES = ("все еще", "по прежнему", "до сих пор", "так же не", "так и не")
# The customer has not checked yet or will answer later: future forms only ("проверим", not "проверили").
_DEFERRAL_WORDS = frozenset({
    "проверим", "проверю", "проверят", "проверяем", "проверяю", "посмотрим", "посмотрю", "протестируем",
    "протестирую", "потестим", "потестирую", "тестируем", "тестирую", "попробуем", "попробую", "уточним",
    "уточню", "отпишусь", "отпишемся", "сообщу", "сообщим", "напишу", "напишем", "отвечу", "ответим",
    "завтра", "позже", "позднее", "потом", "пока", "вечером", "понедельник",
    "later", "tomorrow", "soon", "tonight", "monday", "meanwhile",
})
_DEFERRAL_PHRASES = ("на следующей неделе", "will check", "will test", "will try", "will see", "will confirm",
                     "will let", "will get back", "will verify", "will look", "will report", "let you know",
                     "get back", "for now", "so far", "next week", "not yet")
# Set phrases that carry a negation or "again" yet never doubt the solution; removed before the vetoes
# are looked for (they do not confirm by themselves).
_NEUTRAL_PHRASES = (
    "еще раз спасибо", "спасибо еще раз", "thanks again", "thank you again", "no problem",
    "вопросов нет", "вопросов больше нет", "нет вопросов", "замечаний нет", "нет замечаний", "претензий нет",
    "нет претензий", "ошибок нет", "ошибок больше нет", "больше ошибок нет",
    "no further questions", "no more questions", "no more issues", "no more errors",
)
# Where the customer's own words end: a signature or a client's footer.
_SIGN_OFF = re.compile(r"^(?:--\s*$|с уважением|с наилучшими|best regards|kind regards|regards\b|best wishes|"
                       r"sent from my|отправлено с|отправлено из|get outlook for)", re.I)
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# one optional separator with its spaces: "\s*[:-]?\s*" would try every split of a long run of spaces
_RATING = re.compile(r"(?:оценк[аиу]|rating|rate)\s*(?:[:\-–—]\s*)?([1-5])(?:\s*/\s*5)?\b", re.I)


@dataclass(frozen=True)
class Reading:
    """What the answer says, and the word or phrase that decided it (for the journal and tests)."""

    verdict: str  # confirm | disagree | unclear | empty
    because: str = ""


def customer_words(text: str) -> str:
    """The customer's own new lines: no quoted lines (``>``), nothing from the signature on."""
    kept: list[str] = []
    for line in text[:READ_LIMIT].split("\n"):
        stripped = line.strip()
        if _SIGN_OFF.match(stripped):
            break
        if stripped and not stripped.startswith(">"):
            kept.append(stripped)
    return "\n".join(kept)


def normalise(text: str) -> str:
    """Lower case, ``ё`` as ``е``, typographic apostrophes as ``'``, one space between words."""
    text = text.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'").replace("`", "'")
    return " ".join(text.split())


def rating(text: str) -> int | None:
    """A-2: "оценка 5", "Оценка: 4/5", "rating: 5" in the reply."""
    m = _RATING.search(customer_words(text))
    return int(m.group(1)) if m else None


def read_reply(text: str, confirm_phrases: Iterable[str], disagree_phrases: Iterable[str]) -> Reading:
    """Read the customer's answer to a completed ticket (R-4.8).

    ``disagree`` when a disagreement phrase is there (it wins over thanks); ``confirm`` only for a
    confirmation phrase or a rating with no veto anywhere in the customer's words; ``empty`` for no
    words; else ``unclear``. Phrases match at the start of a word ("не решен" finds "не решена"),
    a phrase of up to three letters only as a whole word ("ок" is not "около").
    """
    words = customer_words(text)
    plain = normalise(_URL.sub(" ", words))
    if not plain:
        return Reading(EMPTY)
    found = _first_phrase(plain, disagree_phrases)
    if found:
        return Reading(DISAGREE, found)
    found = _first_phrase(plain, confirm_phrases) or (f"оценка {rating(words)}" if rating(words) else "")
    if not found:
        return Reading(UNCLEAR)
    veto = _veto(plain)
    return Reading(UNCLEAR, veto) if veto else Reading(CONFIRM, found)


def _veto(plain: str) -> str:
    """The first thing in the text that doubts a confirmation, or ''."""
    if "?" in plain:
        return "?"
    tokens: list[str] = []
    for word in _WORD.findall(plain):
        if word.endswith("n't"):  # don't → dont, as people also type it
            tokens.append(word.replace("'", ""))
        elif word.endswith("'ll"):  # we'll → we will
            tokens += [word[:-3], "will"]
        else:
            tokens.append(word)
    joined = f" {' '.join(tokens)} "
    for phrase in _NEUTRAL_PHRASES:
        joined = joined.replace(f" {phrase} ", " ")
    for phrase in _PERSISTENCE_PHRASES + _DEFERRAL_PHRASES:
        if f" {phrase} " in joined:
            return phrase
    for token in joined.split():
        if (token in _NEGATIONS or token in _CONTRASTS or token in _PERSISTENCE_WORDS
                or token in _DEFERRAL_WORDS or token.startswith(_NEGATED_STEMS)):
            return token
    return ""


def _first_phrase(plain: str, phrases: Iterable[str]) -> str:
    for phrase in phrases:
        phrase = normalise(phrase)
        if not phrase:
            continue
        end = r"(?!\w)" if len(phrase) <= 3 else ""
        if re.search(r"(?<!\w)" + re.escape(phrase) + end, plain):
            return phrase
    return ""
