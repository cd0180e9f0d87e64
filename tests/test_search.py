"""Issue 12 "Find anything": `search` and `list --grep` over subjects, texts and journals (FTS5 in the index)."""

from __future__ import annotations

import json

import pytest

from supportctl.domain.search import parse_query, snippet, stems
from supportctl.errors import InvalidValue


def _new(cli, subject: str, text: str, org: str = "ООО Ромашка") -> str:
    r = cli("new", "--subject", subject, "--text", text, "--org", org, "--force")
    assert r.exit_code == 0, r.output
    return r.stdout.strip()


def _found(cli, *args: str) -> list[str]:
    r = cli("search", "--json", *args)
    assert r.exit_code == 0, r.output
    return [hit["id"] for hit in json.loads(r.stdout)]


def test_issue12_search_matches_russian_word_forms_only_through_stemming(cli):
    printer = _new(cli, "Принтера не печатают", "С утра в бухгалтерии")
    _new(cli, "Не запускается АРМ", "После обновления")
    # neither "принтер" nor "печатать" occurs as such: only their stems do
    assert _found(cli, "принтер") == [printer]
    assert _found(cli, "ПЕЧАТАТЬ") == [printer]


def test_issue12_yo_is_e_and_case_is_ignored(cli):
    hedgehog = _new(cli, "Ёжик в тумане", "Зелёный экран")
    assert _found(cli, "ежик") == [hedgehog]
    assert _found(cli, "ЗЕЛЕНЫЙ") == [hedgehog]


def test_issue12_quoted_phrase_and_exclusion(cli):
    both = _new(cli, "Сбой", "принтер не печатает, сканер тоже")
    apart = _new(cli, "Сбой", "не работает сканер, принтер печатает")
    assert _found(cli, '"не печатает"') == [both]
    assert sorted(_found(cli, "принтер")) == sorted([both, apart])
    assert _found(cli, "принтер -работает") == [both]
    assert _found(cli, "--", "принтер", "-работает") == [both]  # words after -- are the query's
    assert _found(cli, 'принтер -"не печатает"') == [apart]


def test_issue12_org_filter_and_closed_left_out_unless_all(cli):
    mine = _new(cli, "Ошибка сертификата", "x", org="ООО Ромашка")
    other = _new(cli, "Ошибка сертификата", "x", org="АО Лютик")
    assert _found(cli, "сертификат", "--org", "ооо ромашка") == [mine]
    cli("register", other, "-p", "3")
    cli("complete", other, "готово")
    assert cli("close", other).exit_code == 0
    assert _found(cli, "сертификат") == [mine]
    assert sorted(_found(cli, "сертификат", "--all")) == sorted([mine, other])


def test_issue12_json_fields_and_marked_snippet(cli):
    tid = _new(cli, "Принтер", "Лазерный принтер в кабинете 12 не печатает с понедельника")
    r = cli("search", "печатать", "--json")
    [hit] = json.loads(r.stdout)
    assert set(hit) == {"id", "status", "priority", "org", "subject", "snippet"}
    assert (hit["id"], hit["status"], hit["subject"], hit["org"]) == (tid, "new", "Принтер", "ООО Ромашка")
    assert "не [печатает] с" in hit["snippet"]
    table = cli("search", "печатать")
    assert tid in table.stdout and "[печатает]" in table.stdout


def test_issue12_a_subject_hit_ranks_before_a_journal_only_hit(cli):
    journal_only = _new(cli, "Сбой АРМ", "Не стартует")
    assert cli("note", journal_only, "проверили настройки прокси").exit_code == 0
    in_subject = _new(cli, "Настройки прокси сбились", "Не открываются сайты")
    assert _found(cli, "прокси") == [in_subject, journal_only]
    assert _found(cli, "прокси", "--limit", "1") == [in_subject]


def test_issue12_the_index_picks_up_a_word_a_note_adds(cli):
    tid = _new(cli, "Сбой", "Не стартует")
    assert _found(cli, "антивирус") == []  # the index is built now, without the word
    assert cli("note", tid, "антивирус блокировал запуск").exit_code == 0
    assert _found(cli, "антивирусом") == [tid]


def test_issue12_a_journal_line_appended_alone_is_indexed(cli, desk):
    """A journal changed without its ticket file (a git pull, a notification) re-indexes that ticket."""
    tid = _new(cli, "Сбой", "Не стартует")
    assert _found(cli, "карантин") == []
    line = ('- {"at": "2025-12-01T10:05:00+03:00", "by": "Рудаков А.", "kind": "note", '
            '"text": "файл в карантине", "spent_minutes": 0}\n')
    with open(desk.journal_dir / f"{tid}.yaml", "a", encoding="utf-8") as f:
        f.write(line)
    assert _found(cli, "карантин") == [tid]


def test_issue12_a_word_only_in_a_customers_mail_is_found(cli, desk):
    """Mail bodies are searched: the first mail is the ticket's text, a follow-up a journal entry."""
    from conftest import add_barrier
    from mailkit import configure_mail, outlook_mail

    configure_mail(desk.root)
    add_barrier(cli)
    first = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна", subject="Сбой отчёта",
                         message_id="<s1@barrier.ru>", body="Не формируется квартальный отчёт.\n")
    assert cli("mail", "ingest", "-", input=first).exit_code == 0
    [tid] = desk.ticket_ids()
    assert _found(cli, "квартального") == [tid]
    assert _found(cli, "бухгалтерии") == []
    follow = outlook_mail(sender="smirnova@barrier.ru", name="Смирнова Ольга Петровна",
                          subject=f"RE: [Заявка#{tid}] Сбой отчёта", message_id="<s2@barrier.ru>",
                          body="Ошибка видна только в бухгалтерию переданных формах.\n")
    assert f"added {tid}" in cli("mail", "ingest", "-", input=follow, now="2025-12-01T11:00:00+03:00").stdout
    [hit] = json.loads(cli("search", "бухгалтерии", "--json").stdout)
    assert hit["id"] == tid and "[бухгалтерию]" in hit["snippet"]


def test_issue12_list_grep_filters_the_list(cli):
    printer = _new(cli, "Принтера не печатают", "x")
    _new(cli, "Не запускается АРМ", "y")
    r = cli("list", "--grep", "принтер", "--json")
    assert r.exit_code == 0, r.output
    assert [t["id"] for t in json.loads(r.stdout)] == [printer]
    assert cli("list", "--grep", "-принтер").exit_code == 2


def test_issue12_a_query_with_nothing_to_find_is_bad_input(cli):
    r = cli("search", "--", "-принтер")
    assert r.exit_code == 2 and "nothing to search for" in r.stderr
    assert cli("search", "--limit", "0", "x").exit_code == 2


def test_issue12_query_syntax_is_never_fts5_syntax():
    query = parse_query('NEAR(a b) OR "x AND" -"y*"')
    assert query.fts().count('"') % 2 == 0
    with pytest.raises(InvalidValue):
        parse_query("-a -b")


def test_issue12_stems_and_snippet_pure():
    assert stems("Принтера НЕ печатают, ёлки") == ["принтер", "не", "печата", "елк"]
    assert snippet("Ёлка зелёная", {"зелен"}) == "Ёлка [зелёная]"
    assert snippet("ничего", {"принтер"}) is None


def test_issue12_every_word_of_a_phrase_is_marked_in_the_snippet(cli):
    assert snippet("Талоны не печатаются: принтер, талоны", {"печата", "талон"}) == \
        "[Талоны] не [печатаются]: принтер, [талоны]"
    assert snippet("а " * 60 + "принтер б", {"принтер", "б"}, width=20) == "…а а а а а [принтер] [б]"
    assert snippet("принтер " + "а " * 30 + "принтера", {"принтер"}, width=20) == "[принтер] а а а а а…"
    tid = _new(cli, "Не печатаются талоны", "С утра пятницы в регистратуре не печатаются талоны.")
    [hit] = json.loads(cli("search", '"не печатаются талоны"', "--json").stdout)
    assert hit["id"] == tid and hit["snippet"].startswith("[Не] [печатаются] [талоны] С утра пятницы")


def test_issue12_at_most_max_indexed_chars_of_a_ticket_are_searchable(cli, desk):
    from supportctl.domain.search import MAX_INDEXED_CHARS

    tid = _new(cli, "Сбой", "Не стартует")
    filler = "лог " * (MAX_INDEXED_CHARS // 4)
    with open(desk.journal_dir / f"{tid}.yaml", "a", encoding="utf-8") as f:
        for text in (filler, "уникальноеслово"):
            f.write('- {"at": "2025-12-01T10:05:00+03:00", "by": "Рудаков А.", "kind": "note", '
                    f'"text": "{text}", "spent_minutes": 0}}\n')
    assert _found(cli, "лог") == [tid]
    assert _found(cli, "уникальноеслово") == []


def test_issue12_a_damaged_ticket_file_is_not_searched_and_does_not_stop_the_search(cli, desk):
    good = _new(cli, "Принтер сломан", "x")
    bad = _new(cli, "Принтер тоже", "y")
    (desk.tickets_dir / f"{bad}.yaml").write_text("{ not: [yaml", encoding="utf-8")
    assert _found(cli, "принтер") == [good]


def test_issue12_list_grep_sees_a_journal_line_appended_after_a_plain_list(cli, desk):
    """`list` alone does not read journals; `list --grep` must, in its one pass over the index."""
    tid = _new(cli, "Сбой", "текст")
    assert cli("list").exit_code == 0  # indexes the ticket; journals left as they were
    line = ('- {"at": "2025-12-01T10:05:00+03:00", "by": "Рудаков А.", "kind": "note", '
            '"text": "файл в карантине", "spent_minutes": 0}\n')
    with open(desk.journal_dir / f"{tid}.yaml", "a", encoding="utf-8") as f:
        f.write(line)
    r = cli("list", "--grep", "карантин", "--json")
    assert r.exit_code == 0, r.output
    assert [t["id"] for t in json.loads(r.stdout)] == [tid]


def test_issue12_list_grep_keeps_the_lists_other_filters(cli):
    first = _new(cli, "Принтера не печатают", "x", org="ООО Ромашка")
    _new(cli, "Принтер сломан", "y", org="ООО Лютик")
    r = cli("list", "--grep", "принтер", "--org", "ООО Ромашка", "--json")
    assert r.exit_code == 0, r.output
    assert [t["id"] for t in json.loads(r.stdout)] == [first]


def test_issue12_a_snippet_starts_and_ends_on_whole_words():
    from supportctl.domain.search import MARK_CLOSE, MARK_OPEN, snippet, stem

    words = [f"слово{i:03d}" for i in range(200)]
    text = " ".join(words[:100] + ["принтера"] + words[100:])
    piece = snippet(text, {stem("принтер")})
    assert piece.startswith("…") and piece.endswith("…")
    inner = piece[1:-1].replace(MARK_OPEN, "").replace(MARK_CLOSE, "").split()
    assert "принтера" in inner
    assert all(word in words or word == "принтера" for word in inner), inner
