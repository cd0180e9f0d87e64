"""Issue 13, the first build of the index: the strict reader of the desk's own ticket files
(desk/ownyaml.py) gives exactly libyaml's result, or says it is unsure and libyaml reads the file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from supportctl.desk import ownyaml, yamlio
from supportctl.domain.codec import ticket_to_file
from supportctl.domain.ticket import Contact, Eta, Pause, PriorityPeriod, Ticket
from supportctl.errors import DeskDamaged

MSK = timezone(timedelta(hours=3))


def canon(value):
    """The value with every type and key order spelled out (True == 1 and {a, b} == {b, a} in Python)."""
    if isinstance(value, dict):
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [canon(v) for v in value])
    return (type(value).__name__, value)


def same_as_libyaml(text: str) -> bool:
    """ownyaml's result is libyaml's (True), or it is unsure (False); fails on any other result."""
    try:
        own = ownyaml.loads(text)
    except ownyaml.Unsure:
        return False
    assert canon(own) == canon(yamlio.loads(text, "t.yaml")), text
    return True


# -- hostile text -----------------------------------------------------------

YAMLISH = ["yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~", "", "1e3", "1.5", ".inf",
           "-.5", "0x1F", "0o17", "012", "0", "-3", "+3", "1_000", "1:30", "2026-01-01", "2026-11-24 10:00",
           "2026-01-01T10:00:00+03:00", "<<", "=", "-", "--", "---", "...", "- x", "? x", ": x", "a: b", "a:b",
           "a #b", "a#b", "#x", "@x", "`x", "%x", "!x", "&a", "*a", "[]", "{}", "[a]", "{a: 1}", "|", ">", "'q'",
           '"q"', "it's", "\\", "\\n", "a  b", " lead", "trail ", "tab\there", "cr\r\n", "nel\x85", "ls\u2028",
           "bom\ufeff", "nul\x00", "bell\x07", "😀 тест", "Ошибка 0x80070005: служба", "ёлка"]
ALPHABET = st.sampled_from(list(" \n'\":#-?,[]{}&*!|>%@`\\\tабв😀") + ["\x85", "\u2028", "\xa0", "\ufeff", "\x01"]) \
    | st.characters(codec="utf-8")
words = st.sampled_from(YAMLISH)
texts = st.one_of(
    words,
    st.text(ALPHABET, max_size=40),
    st.lists(st.one_of(words, st.text(ALPHABET, max_size=12)), max_size=40).map(" ".join),  # long: folded
    st.lists(st.one_of(words, st.text(ALPHABET, max_size=12)), max_size=12).map("\n".join),
    # long, mostly ordinary text (folded by the writer), with the odd quote, colon, break or date
    st.lists(st.sampled_from(["слово", "a", "it's", "'", "x:y", "-", "#", "2026-01-01", "", " ", "\n", "\n\n",
                              "yes", "ёлка"]), max_size=80).map(" ".join),
)
optional_texts = st.none() | texts
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.replace(tzinfo=MSK, microsecond=0))
scalars = st.one_of(texts, st.none(), st.booleans(), st.integers(-10 ** 20, 10 ** 20), instants,
                    st.floats(allow_nan=False))
keys = st.one_of(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True), words, st.text(ALPHABET, max_size=6))
nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=12)


@st.composite
def tickets(draw) -> Ticket:
    t = Ticket(id=draw(st.from_regex(r"T-[0-9]{4}", fullmatch=True)),
               status=draw(st.sampled_from(["new", "open", "waiting", "done", "closed"])),
               priority=draw(st.none() | st.integers(1, 4)), subject=draw(texts), text=draw(texts),
               org=draw(optional_texts),
               contact=Contact(draw(texts), draw(texts), draw(texts), draw(texts)),
               contract=draw(optional_texts), plan=draw(optional_texts), verified=draw(st.booleans()),
               unverified_reason=draw(optional_texts), channel=draw(texts), category=draw(optional_texts),
               product=draw(optional_texts), assignee=draw(optional_texts),
               received_at=draw(instants), registered_at=draw(st.none() | instants), due=draw(st.none() | instants),
               hold_reason=draw(optional_texts), rating=draw(st.none() | st.integers(1, 5)),
               spent_minutes=draw(st.integers(0, 10 ** 6)),
               eta=draw(st.none() | st.builds(Eta, instants, texts)),
               pauses=draw(st.lists(st.builds(Pause, instants, st.none() | instants, texts, st.none() | instants,
                                              st.booleans()), max_size=3)),
               related=draw(st.lists(texts, max_size=3)), attachments=draw(st.lists(texts, max_size=3)),
               message_ids=draw(st.lists(texts, max_size=3)),
               priority_history=draw(st.lists(st.builds(PriorityPeriod, st.integers(1, 4), instants), max_size=3)),
               merged_into=draw(st.none() | st.just("T-0001")), cc=draw(st.lists(texts, max_size=2)),
               extra=draw(st.dictionaries(keys, nested, max_size=3)))
    return t


def dumped(mapping, spaced: bool) -> str:
    return yamlio.dumps_spaced(mapping) if spaced else yamlio.dumps(mapping)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets(), st.booleans())
def test_ticket_files_read_as_libyaml_reads_them(ticket, spaced):
    """Issue 13: any ticket the writer stores, hostile text included, reads back identically."""
    same_as_libyaml(dumped(ticket_to_file(ticket, MSK), spaced))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, nested, min_size=1, max_size=6), st.booleans())
def test_any_mapping_reads_as_libyaml_reads_it(mapping, spaced):
    same_as_libyaml(dumped(mapping, spaced))


EDITS = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]),
                           st.sampled_from([" ", "  ", "\n", "\n\n", "'", "''", '"', ":", ": ", "#", " #", "-", "- ",
                                            "\\", "\\n", "x", "yes", "\t", "\r", "&a ", "*a", "[", "{", "|", "---\n",
                                            "\n  ", "\n- ", "\nkey: v", "\n  k: v"])),
                 min_size=1, max_size=4)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets(), st.booleans(), EDITS)
def test_hand_edited_files_read_as_libyaml_reads_them_or_go_to_it(ticket, spaced, edits):
    """A hand edit or a merge can leave anything: whatever the strict reader accepts, libyaml reads
    the same; whatever libyaml refuses (a broken file), the strict reader is unsure of."""
    text = dumped(ticket_to_file(ticket, MSK), spaced)
    for where, op, piece in edits:
        at = int(where * len(text))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + len(piece):]
        else:
            text = text[:at] + piece + text[at + len(piece):]
    same_as_libyaml(text)


def ticket() -> Ticket:
    at = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
    return Ticket(id="T-0001", status="open", priority=2, subject="Не запускается АРМ: ошибка #5",
                  text="Строка 1\nit's 'quoted'\n\n  отступ\tи табуляция \n" + "длинная строка " * 20,
                  org="ООО «Ромашка»", contact=Contact("Иванов И.", "инженер", "+7 495 123-45-67", "i@x.ru"),
                  received_at=at, registered_at=at, due=at + timedelta(days=1),
                  pauses=[Pause(at, at + timedelta(hours=1), "ждём логи")],
                  priority_history=[PriorityPeriod(2, at)], related=["T-0002"], extra={"custom": {"a": [1, "yes"]}})


@pytest.mark.parametrize("spaced", [True, False])
def test_the_writers_layout_is_read_by_the_strict_reader(spaced):
    """The fast path is really taken for what the desk writes (folded lines, quotes, escapes included)."""
    assert same_as_libyaml(dumped(ticket_to_file(ticket(), MSK), spaced))


@pytest.mark.parametrize("edit", [
    ("status: open", "status: open  # comment"),  # a comment
    ("priority: 2", "priority: 2.0"),  # a float
    ("priority: 2", "priority: 0x2"),  # an int libyaml builds differently
    ("related:\n- T-0002", "related: [T-0002]"),  # a flow collection
    ("contact:\n", "contact: &c\n"),  # an anchor
    ("org: ", "org: !!str "),  # a tag
    ("spent_minutes: 0", "spent_minutes:\t0"),  # a tab
    ("schema: 1", "schema: 1\r"),  # a CR
    ("schema: 1\n", "---\nschema: 1\n"),  # a document marker
    ("subject: ", "subject: |\n  "),  # a block scalar
    ("contact:\n  name", "contact:\n   name"),  # an odd indentation
])
def test_a_file_the_strict_reader_is_unsure_of_goes_to_libyaml(desk, edit):
    """Issue 13: anything outside the writer's layout is read by libyaml, with libyaml's result."""
    text = desk.ticket_text(ticket())
    old, new = edit
    assert old in text
    edited = text.replace(old, new, 1)
    with pytest.raises(ownyaml.Unsure):
        ownyaml.loads(edited)
    try:
        expected = canon(yamlio.loads(edited, "T-0001.yaml"))
    except DeskDamaged as exc:
        with pytest.raises(DeskDamaged, match=str(exc.message)[:20]):
            yamlio.loads_own(edited, "T-0001.yaml")
    else:
        assert canon(yamlio.loads_own(edited, "T-0001.yaml")) == expected


def test_a_duplicate_key_is_still_refused(desk):
    """yamlio's rule (an appended `status: closed` must not silently win) holds on the fast path too."""
    text = desk.ticket_text(ticket()) + "status: closed\n"
    with pytest.raises(ownyaml.Unsure):
        ownyaml.loads(text)
    with pytest.raises(DeskDamaged, match="given twice"):
        desk.parse_ticket_text(text, desk.tickets_dir / "T-0001.yaml")


def test_a_ticket_reads_the_same_by_either_path(desk):
    text = desk.ticket_text(ticket())
    path = desk.tickets_dir / "T-0001.yaml"
    fast = desk.parse_ticket_text(text, path)
    slow = desk.parse_ticket_text(text + "# a comment sends the file to libyaml\n", path)
    assert fast == slow


@given(st.text(ALPHABET, max_size=60))
@settings(max_examples=150, deadline=None)
def test_arbitrary_text_never_reads_differently(text):
    assume(text.strip())
    same_as_libyaml(text + "\n")


# -- the search rows are filled by the first search, not by the first list (issue 13) ----------------

def _index_desk(desk, count: int = 3):
    import os
    import time

    from supportctl.services import tickets as ticket_service
    from supportctl.services.context import Ctx

    ctx = Ctx(desk=desk, now=datetime.fromisoformat("2025-12-01T10:00:00+03:00"), actor="Рудаков А.")
    for n in range(count):
        ticket_service.create(ctx, ticket_service.NewTicket(subject=f"Сбой {n}", text="Не запускается", org="Org"))
    ticket_service.note(ctx, "T-0002", "Заменили блок питания")
    past = time.time() - 60  # older than the racy window
    for folder in (desk.tickets_dir, desk.journal_dir):
        for name in os.listdir(folder):
            os.utime(folder / name, (past, past))
    return ctx


def _watch(monkeypatch, desk):
    """The tickets parsed and the journals stated or read from now on (os.stat patched: the index then
    states each file by its full path)."""
    import os

    from supportctl.desk import index as index_mod

    parsed, journals = [], []
    real_parse, real_stat = index_mod._parse_one, os.stat
    folder = f"{desk.journal_dir}/"

    def stat(path, *args, **kwargs):
        if str(path).startswith(folder) and str(path).endswith(".yaml"):
            journals.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(index_mod, "_parse_one", lambda d, i, *a: parsed.append(i) or real_parse(d, i, *a))
    monkeypatch.setattr(os, "stat", stat)
    return parsed, journals


def _search_ids(desk, words):
    from supportctl.desk.index import TicketIndex
    from supportctl.domain.search import parse_query

    return sorted(t.id for t, _ in TicketIndex(desk).search(parse_query(words)))  # the order is bm25's


def _search_rows(desk) -> int:
    import sqlite3

    from supportctl.desk.index import INDEX_FILE

    db = sqlite3.connect(desk.state_dir / INDEX_FILE)
    try:
        return db.execute("SELECT count(*) FROM search").fetchone()[0]
    finally:
        db.close()


def test_the_first_list_reads_no_journal_and_the_first_search_parses_no_ticket(desk, monkeypatch):
    """Issue 13: a `list` on a desk without an index parses the ticket files and never opens a journal;
    the following `search` fills the search rows from the stored rows and the journals alone."""
    _index_desk(desk)
    parsed, journals = _watch(monkeypatch, desk)
    assert [t.id for t in desk.iter_tickets()] == ["T-0001", "T-0002", "T-0003"]
    assert sorted(parsed) == ["T-0001", "T-0002", "T-0003"] and journals == []
    assert _search_rows(desk) == 0
    parsed.clear()
    assert _search_ids(desk, "блок питания") == ["T-0002"]  # a word of the journal only
    assert _search_ids(desk, "сбой") == ["T-0001", "T-0002", "T-0003"]
    assert parsed == [] and _search_rows(desk) == 3
    journals.clear()
    assert _search_ids(desk, "сбой 1") == ["T-0002"]
    assert parsed == [] and len(journals) == 3  # settled: stated, nothing read


def test_an_appended_journal_line_reindexes_the_search_row_alone(desk, monkeypatch):
    """A journal changed alone (a pull of a teammate's note, an append by hand): its ticket's search
    row is rebuilt from the stored row and the journal; the ticket file is not parsed again."""
    from supportctl.domain.journal import Entry

    ctx = _index_desk(desk)
    assert _search_ids(desk, "сбой") == ["T-0001", "T-0002", "T-0003"]
    parsed, _ = _watch(monkeypatch, desk)
    desk.append_journal("T-0003", [Entry(ctx.now, "Иванова Е.", "note", "Переустановили драйвер принтера")])
    assert _search_ids(desk, "драйвер") == ["T-0003"]
    assert _search_ids(desk, "сбой 2") == ["T-0003"]
    assert parsed == []  # its ticket file was not parsed again


def test_a_ticket_changed_behind_a_list_is_searched_as_it_is_now(desk):
    """The list re-reads the changed file without its search row; the search after it fills that row
    from the new subject, and the old words no longer find it."""
    _index_desk(desk)
    assert _search_ids(desk, "сбой") == ["T-0001", "T-0002", "T-0003"]
    path = desk.ticket_path("T-0001")
    path.write_text(path.read_text(encoding="utf-8").replace("Сбой 0", "Авария 0"), encoding="utf-8")
    assert {t.subject for t in desk.iter_tickets()} == {"Авария 0", "Сбой 1", "Сбой 2"}
    assert _search_ids(desk, "авария") == ["T-0001"]
    assert _search_ids(desk, "сбой") == ["T-0002", "T-0003"]


def test_a_damaged_file_indexed_by_a_list_is_no_search_result(desk):
    _index_desk(desk)
    desk.ticket_path("T-0003").write_text("subject: [broken\n", encoding="utf-8")
    assert len([t for t in desk.iter_tickets() if not isinstance(t, Ticket)]) == 1
    assert _search_ids(desk, "сбой") == ["T-0001", "T-0002"]


# -- the writer: the same text as PyYAML's representer gives (issue 13, import) ---------------------

def _generic_dumps(data) -> str:
    import yaml

    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
                     sort_keys=False, default_flow_style=False, width=100)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets())
def test_ticket_files_are_written_as_the_generic_dumper_writes_them(ticket):
    data = ticket_to_file(ticket, MSK)
    assert yamlio.dumps(data) == _generic_dumps(data)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, nested, min_size=1, max_size=6))
def test_any_mapping_is_written_as_the_generic_dumper_writes_it(mapping):
    assert yamlio.dumps(mapping) == _generic_dumps(mapping)


def test_an_object_given_twice_is_written_as_an_alias_as_before():
    shared = ["a"]
    assert yamlio.dumps({"x": shared, "y": shared}) == _generic_dumps({"x": shared, "y": shared})


@pytest.mark.parametrize("length", range(88, 112))
@pytest.mark.parametrize("shape", ["plain", "quoted", "lines", "apostrophes", "nested"])
def test_folding_at_the_width_is_libyamls(length, shape):
    """Strings about the width (100), written here, not by libyaml, to the same bytes."""
    words = ("слово a " * 40)[:length].strip()
    value = {"plain": words, "quoted": "2026-01-01 " + words, "lines": words + "\n\n" + words + "\nконец",
             "apostrophes": "it's " + words.replace("a", "'"), "nested": words}[shape]
    data = {"subject": value, "contact": {"name": value, "email": None},
            "related": [value, "T-0001"], "priority_history": [{"priority": 2, "since": value}]}
    if shape == "nested":
        data = {"contact": {"name": value}}
    assert all(yamlio._entry(k, v) is not None for k, v in data.items())  # the fast path is taken
    assert yamlio.dumps(data) == _generic_dumps(data)


def _spaced_by_lines(mapping) -> str:
    """dumps_spaced as it was first written: a blank line before each line at column 0 that starts a key."""
    lines = yamlio.dumps(mapping).split("\n")
    out = lines[:1]
    for line in lines[1:]:
        if line and not line[0].isspace() and not line.startswith("-"):
            out.append("")
        out.append(line)
    return "\n".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets())
def test_a_ticket_file_is_spaced_as_its_lines_say(ticket):
    """Issue 13: the spaced file joins its entries' texts; the same bytes as spacing the lines of the whole."""
    data = ticket_to_file(ticket, MSK)
    assert yamlio.dumps_spaced(data) == _spaced_by_lines(data)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, nested, min_size=1, max_size=6))
def test_any_mapping_is_spaced_as_its_lines_say(mapping):
    assert yamlio.dumps_spaced(mapping) == _spaced_by_lines(mapping)


@pytest.mark.parametrize("value", ["2026-02-10T22:19:54+03:00", "1999-12-31T23:59:59-11:30", "2026-02-10T22:19:54+03:00x",
                                   "2026-02-10 22:19:54+03:00", "2026-02-10", "٢٠٢٦-02-10T22:19:54+03:00"])
def test_an_instant_is_quoted_as_the_resolver_says(value):
    """The writer knows an instant's text reads back as a date without asking the resolver: the same answer."""
    yamlio._STYLES.clear()
    assert yamlio._scalar(value, 0, 2) == _generic_dumps({"k": value})[3:-1]
