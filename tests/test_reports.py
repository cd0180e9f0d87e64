"""Reports (`supportctl report …`): the register of A-1, SLA compliance (R-6), workload, time (R-5.2),
ratings (A-2) and one customer's view (IS-4), through services and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.domain.customers import Customer
from supportctl.domain.journal import Entry
from supportctl.domain.ticket import Contact
from supportctl.reports.sla_compliance import median, nearest_rank
from supportctl.services import tickets
from supportctl.services.context import Ctx
from supportctl.services.setup import init_desk

NOW = "2026-11-25T12:00:00+03:00"  # a Wednesday in November 2026
GOLDEN = Path(__file__).parent / "golden"

ROMASHKA, LUTIK = "ООО «Ромашка»", "АО Лютик"
MAIL_QUEUED = "Письмо Заказчику поставлено в очередь (ivanov@romashka.ru): Re: Не запускается АРМ"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ctx(desk, when: str, actor: str = "Рудаков А.") -> Ctx:
    return Ctx(desk, at(when), actor)


def new(desk, when: str, subject: str, text: str, org: str, contact: Contact) -> str:
    fields = tickets.NewTicket(subject=subject, text=text, org=org, contact=contact, received_at=at(when))
    return tickets.create(ctx(desk, when), fields).ticket.id


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Two customers, five tickets around November 2026 (times in Moscow)."""
    desk = init_desk(tmp_path_factory.mktemp("reports") / "desk")
    ivanov = Contact("Иванов Иван Иванович", "Инженер", "+7 495 111-11-11", "ivanov@romashka.ru")
    petrova = Contact("Петрова Анна", "Бухгалтер", "+7 495 222-22-22", "petrova@lutik.ru")
    desk.save_customers([
        Customer(ROMASHKA, "ГК-0373-001", date(2026, 1, 1), date(2027, 12, 31), contacts=[ivanov]),
        Customer(LUTIK, "ГК-0373-002", date(2026, 1, 1), date(2027, 12, 31), contacts=[petrova]),
    ])
    ids = {}
    # A: registered in time, answered, completed in time, closed with 5
    a = ids["A"] = new(desk, "2026-11-23T10:00:00+03:00", "Не запускается АРМ",
                       "После обновления АРМ не запускается.", ROMASHKA, ivanov)
    tickets.register(ctx(desk, "2026-11-23T11:00:00+03:00"), a, 2, "Рудаков А.")
    tickets.note(ctx(desk, "2026-11-23T11:30:00+03:00"), a, "Внутреннее: заказчик сложный")
    tickets.reply(ctx(desk, "2026-11-23T15:00:00+03:00"), a, "Проверьте журнал | события", 45, "email")
    desk.append_journal(a, [Entry(at("2026-11-23T15:00:00+03:00"), "Рудаков А.", "mail", MAIL_QUEUED)])
    tickets.complete(ctx(desk, "2026-11-23T16:00:00+03:00"), a, "Провел необходимые работы, нашел и устранил "
                                                                "причину сбоя. Заявку можно закрывать.", None)
    tickets.close(ctx(desk, "2026-11-24T10:00:00+03:00"), a, 5)
    # B: received Friday evening, registered late, waits on the customer past its deadline
    b = ids["B"] = new(desk, "2026-11-20T17:00:00+03:00", "Медленно <работает>", "Отчёты <script>x</script>",
                       LUTIK, petrova)
    tickets.register(ctx(desk, "2026-11-23T12:00:00+03:00", "Петров С."), b, 1, "Петров С.")
    tickets.hold(ctx(desk, "2026-11-23T13:00:00+03:00", "Петров С."), b, "need-info", "Пришлите логи")
    # C: answered briefly (30 min at least, R-5.2) by another specialist, completed, closed with 3
    c = ids["C"] = new(desk, "2026-11-24T09:30:00+03:00", "Вопрос по настройке", "Как настроить права?",
                       ROMASHKA, ivanov)
    tickets.register(ctx(desk, "2026-11-24T10:00:00+03:00"), c, 3, "Петров С.")
    tickets.reply(ctx(desk, "2026-11-24T11:00:00+03:00", "Петров С."), c, "См. раздел 4.2", 10, "email")
    tickets.complete(ctx(desk, "2026-11-24T12:00:00+03:00", "Петров С."), c, "", None)
    tickets.close(ctx(desk, "2026-11-25T11:00:00+03:00"), c, 3)
    # D: received in October, worked on in November
    d = ids["D"] = new(desk, "2026-10-30T10:00:00+03:00", "Доработка выгрузки", "Нужен XLSX.", LUTIK, petrova)
    tickets.register(ctx(desk, "2026-10-30T10:30:00+03:00"), d, 4, "Рудаков А.")
    tickets.reply(ctx(desk, "2026-11-02T10:00:00+03:00"), d, "Доработка запланирована", 90, "email")
    # E: not registered yet
    ids["E"] = new(desk, "2026-11-25T09:00:00+03:00", "Ошибка печати", "Поля съезжают.", ROMASHKA, ivanov)
    return desk, ids


def run(desk, *args: str, now: str = NOW):
    result = CliRunner().invoke(app, ["report", *args], env={"SUPPORTCTL_DESK": str(desk.root),
                                                             "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": "test"})
    return result


def report_json(desk, *args: str, now: str = NOW) -> dict:
    result = run(desk, *args, "--format", "json", now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------- journal

A1_HEADINGS = ["Приоритет", "Организация", "Текст обращения", "Статус заявки (Открыта/Закрыта)",
               "Контакты (1. ФИО 2. Должность 3. Контактный телефон 4. Адрес электронной почты 5. № Гос. Контракта)",
               "Дата\\Ход решения"]


def test_journal_has_the_columns_of_appendix_1_in_order(sample):
    """A-1: Priority | Organisation | Request text | Status | Contacts | Date \\ progress, in Russian."""
    desk, _ = sample
    result = run(desk, "journal", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert rows[0] == A1_HEADINGS


def test_journal_lists_the_period_in_arrival_order_with_progress_lines(sample):
    """A-1: progress as `DD.MM.YY HH:MM \\ text` in the desk's zone, in time order; status per the form."""
    desk, ids = sample
    rows = report_json(desk, "journal")["sections"]["tickets"]
    assert [r["id"] for r in rows] == [ids["B"], ids["A"], ids["C"], ids["E"]]  # D came in October
    a = rows[1]
    assert a["status"] == "Закрыта" and a["priority"] == 2 and a["org"] == ROMASHKA
    assert a["request"].startswith(f"Заявка#{ids['A']}. Не запускается АРМ\n")
    assert a["contacts"] == ("1. Иванов Иван Иванович\n2. Инженер\n3. +7 495 111-11-11\n"
                             "4. ivanov@romashka.ru\n5. ГК-0373-001")
    lines = a["progress"].split("\n")
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d\d \d\d:\d\d \\ .+", line) for line in lines)
    assert lines[1].startswith("23.11.26 11:00 \\ Передано в ТП.") and "Рудаков А." in lines[1]
    assert lines[-1].startswith("24.11.26 10:00 \\ Заявка закрыта")
    assert [line[:14] for line in lines] == sorted(line[:14] for line in lines)
    assert rows[3]["status"] == "Новая" and rows[3]["priority"] is None


def test_journal_and_customer_reports_leave_out_the_mail_channels_entries(sample):
    """A-1 progress and IS-4 correspondence: the mail channel's own entries (kind "mail") stay in
    the ticket's journal but are neither progress nor correspondence."""
    desk, ids = sample
    assert any(e.kind == "mail" for e in desk.read_journal(ids["A"])[0])
    register = report_json(desk, "journal")["sections"]["tickets"]
    a = next(r for r in register if r["id"] == ids["A"])
    assert "Проверьте журнал" in a["progress"] and "поставлено в очередь" not in a["progress"]
    for fmt in ("json", "table"):
        text = run(desk, "customer", ROMASHKA, "--format", fmt).stdout
        assert "Проверьте журнал" in text and "поставлено в очередь" not in text


def test_journal_in_english_and_filtered_by_org(sample):
    desk, ids = sample
    data = report_json(desk, "journal", "--lang", "en", "--org", LUTIK)
    assert [r["id"] for r in data["sections"]["tickets"]] == [ids["B"]]
    assert data["sections"]["tickets"][0]["status"] == "Waiting"
    table = run(desk, "journal", "--lang", "en").stdout
    assert "Date\\Progress" in table and "Приоритет" not in table


def test_journal_markdown_golden(sample):
    """The A-1 form as markdown; tests/golden/journal.md is reviewed by hand (UPDATE_GOLDEN=1 rewrites it)."""
    desk, ids = sample
    text = run(desk, "journal", "--format", "markdown").stdout
    text = _normalise_ids(text, ids)
    golden = GOLDEN / "journal.md"
    if not golden.exists() or __import__("os").environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def _normalise_ids(text: str, ids: dict[str, str]) -> str:
    for name, ticket_id in ids.items():
        text = text.replace(ticket_id, f"<{name}>")
    return text


# ---------------------------------------------------------------- SLA

def test_sla_report_agrees_with_sla_command_ticket_by_ticket(sample):
    """The report's per-ticket states and times are those of `sla ID` (same ticket_sla)."""
    desk, ids = sample
    data = report_json(desk, "sla")
    per_ticket = {t["id"]: t for t in data["tickets"]}
    assert set(per_ticket) == {ids[k] for k in "ABCE"}
    for ticket_id, row in per_ticket.items():
        result = CliRunner().invoke(app, ["sla", ticket_id, "--json"],
                                    env={"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": NOW})
        assert result.exit_code == 0, result.output
        sla = json.loads(result.stdout)
        for timer in ("registration", "resolution"):
            expected = sla[timer]
            assert row[f"{timer}_state"] == (expected["state"] if expected else None), (ticket_id, timer)
            assert row[f"{timer}_minutes"] == (expected["elapsed_minutes"] if expected else None)


def test_sla_report_counts_and_percentages(sample):
    """R-6.6 registration in 3 working hours; R-6.2-6.5 resolution; % = in time / (in time + late)."""
    desk, ids = sample
    data = report_json(desk, "sla")
    total = data["sections"]["total"][0]
    states = [(t["registration_state"], t["resolution_state"]) for t in data["tickets"]]
    assert total["received"] == 4
    assert total["registered_in_time"] == sum(r == "met" for r, _ in states) == 2
    assert total["registered_late"] == 1  # B: Friday 17:00 -> Monday 12:00 is 4 working hours
    assert total["registered_pct"] == pytest.approx(66.7)
    assert total["resolved_in_time"] == 2 and total["resolved_late"] == 1  # B breached while waiting
    assert total["resolved_pct"] == pytest.approx(66.7)
    # registration times: A 60, C 30, B 240 working minutes
    assert total["registration_median_minutes"] == 60 and total["registration_p90_minutes"] == 240
    # B paused since Monday 13:00: Mon 5h + Tue 9h + Wed 3h of working time
    assert total["paused_minutes"] == 17 * 60
    by_priority = {r["priority"]: r for r in data["sections"]["by_priority"]}
    assert by_priority[1]["resolved_late"] == 1 and by_priority[None]["received"] == 1
    breaches = data["sections"]["breaches"]
    assert [(b["id"], b["timer_code"], b["state_code"]) for b in breaches] == [
        (ids["B"], "registration", "missed"), (ids["B"], "resolution", "breached")]
    assert breaches[0]["over_minutes"] == 60


def test_sla_report_by_week_and_customer(sample):
    desk, _ = sample
    data = report_json(desk, "sla")
    weeks = {r["week"]: r for r in data["sections"]["by_week"]}
    assert weeks["2026-W47"]["received"] == 1 and weeks["2026-W48"]["received"] == 3
    assert weeks["2026-W45"]["received"] == 0 and weeks["2026-W45"]["registered_pct"] is None
    by_org = {r["org"]: r for r in data["sections"]["by_customer"]}
    assert by_org[ROMASHKA]["received"] == 3 and by_org[LUTIK]["registered_late"] == 1


def test_percentiles():
    assert nearest_rank([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90) == 90
    assert nearest_rank([5], 90) == 5 and nearest_rank([], 90) is None
    assert median([1, 2, 3, 10]) == 2 and median([30, 60, 240]) == 60


def test_sla_html_is_one_self_contained_escaped_file_with_a_weekly_chart(sample):
    desk, _ = sample
    page = run(desk, "sla", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<svg" in page
    assert "src=" not in page and "href=" not in page and "<link" not in page
    assert page.count("<rect") >= 4  # legend + bars of the weeks with tickets
    journal = run(desk, "journal", "--format", "html").stdout
    assert "<script>" not in journal and "&lt;script&gt;" in journal


# ---------------------------------------------------------------- workload, time, csat

def test_workload_per_assignee(sample):
    desk, _ = sample
    rows = {r["assignee"]: r for r in report_json(desk, "workload")["sections"]["by_assignee"]}
    assert rows["Петров С."] == {**rows["Петров С."], "open": 0, "waiting": 1, "breached": 1,
                                  "received": 2, "completed": 1}
    assert rows["Рудаков А."]["open"] == 1 and rows["Рудаков А."]["completed"] == 1  # D open, A done
    assert rows[None]["open"] == 1 and rows[None]["assignee_label"] == "— не назначен —"  # E


def test_time_per_customer_contract_and_specialist(sample):
    """R-5.2: each answer accounts for at least 30 minutes; entries in the period only."""
    desk, ids = sample
    data = report_json(desk, "time")
    by_org = {r["org"]: r for r in data["sections"]["by_customer"]}
    # A: reply 45 + completion 30; C: reply 10 -> 30, completion without text 0
    assert by_org[ROMASHKA] == {"org": ROMASHKA, "contract": "ГК-0373-001", "tickets": 2, "entries": 3,
                                "minutes": 105, "hours": 1.75}
    assert by_org[LUTIK]["minutes"] == 90  # D's November reply, though D came in October
    by_person = {r["assignee"]: r["minutes"] for r in data["sections"]["by_assignee"]}
    assert by_person == {"Рудаков А.": 165, "Петров С.": 30}
    assert data["sections"]["total"] == [{"tickets": 3, "entries": 4, "minutes": 195, "hours": 3.25}]
    october = report_json(desk, "time", "--from", "2026-10-01", "--to", "2026-10-31")
    assert october["sections"]["total"][0]["minutes"] == 0
    only = report_json(desk, "time", "--assignee", "петров с.")
    assert only["sections"]["total"][0]["minutes"] == 30


def test_csat_distribution_average_and_share(sample):
    """A-2: ratings 1-5 of the tickets closed in the period."""
    desk, _ = sample
    data = report_json(desk, "csat")
    assert data["sections"]["total"] == [{"closed": 2, "rated": 2, "r1": 0, "r2": 0, "r3": 1, "r4": 0, "r5": 1,
                                          "average": 4.0, "good_pct": 50.0}]
    by_assignee = {r["assignee"]: r for r in data["sections"]["by_assignee"]}
    assert by_assignee["Петров С."]["r3"] == 1 and by_assignee["Рудаков А."]["good_pct"] == 100.0


# ---------------------------------------------------------------- customer (IS-4)

@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json", "html"])
def test_customer_report_holds_nothing_of_other_customers_nor_internal_notes(sample, fmt):
    """IS-4: all of one customer's tickets and correspondence, fit to send to it."""
    desk, ids = sample
    result = run(desk, "customer", ROMASHKA, "--format", fmt, "--all")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for name in "ACE":
        assert ids[name] in text
    for foreign in (ids["B"], ids["D"], LUTIK, "Петрова", "petrova@lutik.ru", "ГК-0373-002", "Медленно",
                    "Внутреннее", "Пришлите логи"):
        assert foreign not in text, foreign
    if fmt == "json":
        data = json.loads(text)
        kinds = {m["kind"] for m in data["sections"]["correspondence"]}
        assert kinds <= {"received", "registered", "reply", "completed", "closed"} and "reply" in kinds
        assert data["customer"] == {"org": ROMASHKA, "contract": "ГК-0373-001"}


@pytest.mark.parametrize("report", ["journal", "sla", "workload", "time", "csat", "customer"])
def test_an_org_of_no_customer_and_no_ticket_is_refused_by_every_report(sample, report):
    """--org Ромашка (not «ООО «Ромашка»») matches nothing: exit 2 with one message, not a report of zeros."""
    desk, _ = sample
    args = [report, "Ромашка"] if report == "customer" else [report, "--org", "Ромашка"]
    result = run(desk, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("supportctl: no customer or ticket of 'Ромашка'") and "Traceback" not in result.output


@pytest.mark.parametrize("report", ["journal", "sla", "workload", "time", "csat", "customer"])
def test_every_report_matches_the_org_as_the_customer_register_does(sample, report):
    """Case, «»/"" quotes and spaces do not matter (domain.customers.org_key); the report names the
    organisation as the register spells it."""
    desk, _ = sample
    spelling = 'ооо  "ромашка"'
    args = [report, spelling] if report == "customer" else [report, "--org", spelling]
    data = report_json(desk, *args)
    assert data["org"] == ROMASHKA
    assert json.dumps(data, ensure_ascii=False).count(LUTIK) == 0
    reference = report_json(desk, *([report, ROMASHKA] if report == "customer" else [report, "--org", ROMASHKA]))
    assert data == reference


def test_one_label_for_a_missing_organisation_or_assignee_in_every_report(tmp_path):
    """«— не указана —» for the organisation, «— не назначен —» for the assignee; JSON keeps null."""
    desk = init_desk(tmp_path / "desk")
    t = new(desk, "2026-11-24T10:00:00+03:00", "Без организации", "Текст", None, Contact("Иванов"))
    tickets.register(ctx(desk, "2026-11-24T10:30:00+03:00"), t, 3, None)
    tickets.reply(ctx(desk, "2026-11-24T11:00:00+03:00"), t, "Ответ", 30, "email")
    tickets.complete(ctx(desk, "2026-11-24T12:00:00+03:00"), t, "", None)
    tickets.close(ctx(desk, "2026-11-24T13:00:00+03:00"), t, 4)
    for report in ("journal", "sla", "workload", "time", "csat"):
        for fmt in ("table", "csv", "html"):
            text = run(desk, report, "--format", fmt).stdout
            if report != "workload":
                assert "— не указана —" in text, (report, fmt)
            if report in ("workload", "csat"):
                assert "— не назначен —" in text, (report, fmt)
        english = run(desk, report, "--lang", "en").stdout
        assert ("— unassigned —" if report == "workload" else "— not given —") in english
    assert report_json(desk, "journal")["sections"]["tickets"][0]["org"] is None
    assert report_json(desk, "csat")["sections"]["by_assignee"][0]["assignee"] is None


# ---------------------------------------------------------------- formats, period, read-only

@pytest.mark.parametrize("report", ["journal", "sla", "workload", "time", "csat"])
@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json", "html"])
def test_every_report_renders_in_every_format(sample, report, fmt):
    desk, _ = sample
    result = run(desk, report, "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "csv":
        assert out.startswith("\ufeff")  # UTF-8 with BOM: Excel reads the Cyrillic
        assert list(csv.reader(io.StringIO(out[1:])))
    elif fmt == "json":
        data = json.loads(out)
        assert data["report"] == report and data["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    elif fmt == "html":
        assert out.rstrip().endswith("</html>") and '<meta charset="utf-8">' in out
    elif fmt == "markdown":
        assert out.startswith("# ")
    else:
        assert "Период: 01.11.2026 – 30.11.2026" in out


def test_dates_in_cells_and_header_in_the_one_local_style(sample):
    """values.format_local: DD.MM.YYYY HH:MM in cells and the header; DD.MM.YY only on A-1 journal lines."""
    desk, ids = sample
    table = run(desk, "customer", ROMASHKA, "--format", "csv").stdout
    assert "23.11.2026 10:00" in table and "23.11.26 10:00" not in table
    assert "Сформирован: 25.11.2026 12:00" in run(desk, "sla").stdout
    progress = report_json(desk, "journal")["sections"]["tickets"][1]["progress"]
    assert progress.startswith("23.11.26 10:00 \\ ")


def test_units_and_numbers_in_the_reports_language_and_bare_in_csv(sample):
    """People read «1 ч 30 мин» and «50,0 %» (en: 1 h 30 min, 50.0%); CSV keeps numbers a spreadsheet
    computes with: dot decimals, no units or signs, minutes as integers under a heading that names them."""
    desk, _ = sample
    time_ru = run(desk, "time").stdout
    assert "1 ч 30 мин" in time_ru and "45 мин" in time_ru and "1h30m" not in time_ru
    assert "1 h 30 min" in run(desk, "time", "--lang", "en").stdout
    for fmt in ("table", "markdown", "html"):
        csat = run(desk, "csat", "--format", fmt).stdout
        assert "50,0\u00a0%" in csat and "4,00" in csat and "50.0" not in csat, fmt
    assert "50.0%" in run(desk, "csat", "--lang", "en").stdout
    rows = list(csv.reader(io.StringIO(run(desk, "csat", "--format", "csv").stdout[1:])))
    total = rows[rows.index(["Итого за период"]) + 2]
    assert total[-2:] == ["4.00", "50.0"]
    rows = list(csv.reader(io.StringIO(run(desk, "time", "--format", "csv").stdout[1:])))
    entries = rows[rows.index(["Записи"]) + 1:]
    assert "Учтено, мин" in entries[0] and ["90"] == [r[5] for r in entries[1:] if r[1].endswith("4")]
    sla_rows = list(csv.reader(io.StringIO(run(desk, "sla", "--format", "csv").stdout[1:])))
    assert "" in sla_rows[sla_rows.index(["По неделям"]) + 2] and "—" not in sla_rows[2]


def test_markdown_escapes_pipes_in_cells(sample):
    desk, _ = sample
    text = run(desk, "journal", "--format", "markdown").stdout
    assert "Проверьте журнал \\| события" in text
    assert "<script>" not in text and "&lt;script&gt;" in text  # cells are HTML: text is escaped


def test_period_defaults_and_errors(sample):
    desk, _ = sample
    assert report_json(desk, "csat", now="2026-02-14T10:00:00+03:00")["period"] == {
        "from": "2026-02-01", "to": "2026-02-28"}
    assert report_json(desk, "csat", "--from", "2026-11-10")["period"] == {"from": "2026-11-10", "to": "2026-11-25"}
    assert report_json(desk, "csat", "--to", "2026-10-15")["period"] == {"from": "2026-10-01", "to": "2026-10-15"}
    assert report_json(desk, "csat", "--all")["period"] == {"from": None, "to": None}
    for args in (["--from", "2026-11-10", "--to", "2026-11-01"], ["--from", "10.11.2026"],
                 ["--format", "pdf"], ["--lang", "de"], ["--all", "--from", "2026-01-01"]):
        result = run(desk, "sla", *args)
        assert result.exit_code == 2 and result.stderr.startswith("supportctl: "), args
        assert "Traceback" not in result.output


def test_week_last_week_and_month_periods(sample):
    """--week: the current ISO week Monday..Sunday in the desk's zone; --last-week; --month YYYY-MM."""
    desk, ids = sample
    sunday_night = "2026-11-29T23:30:00+03:00"  # Sunday 20:30 UTC: still week 48 in Moscow
    assert report_json(desk, "csat", "--week", now=sunday_night)["period"] == {"from": "2026-11-23", "to": "2026-11-29"}
    assert report_json(desk, "csat", "--last-week")["period"] == {"from": "2026-11-16", "to": "2026-11-22"}
    assert report_json(desk, "csat", "--month", "2026-10")["period"] == {"from": "2026-10-01", "to": "2026-10-31"}
    assert [r["id"] for r in report_json(desk, "journal", "--last-week")["sections"]["tickets"]] == [ids["B"]]
    weeks = [r["week"] for r in report_json(desk, "sla", "--week")["sections"]["by_week"]]
    assert weeks == ["2026-W48"]
    for args in (["--week", "--from", "2026-11-01"], ["--week", "--all"], ["--week", "--to", "2026-11-30"],
                 ["--week", "--last-week"], ["--month", "2026-13"], ["--month", "11.2026"],
                 ["--month", "2026-11", "--all"]):
        result = run(desk, "sla", *args)
        assert result.exit_code == 2 and result.stderr.startswith("supportctl: "), args


def test_sla_weeks_stop_at_today(sample):
    """Weeks of the period that have not begun hold nothing: early in December, W50-W53 are not listed."""
    desk, _ = sample
    weeks = [r["week"] for r in report_json(desk, "sla", now="2026-12-02T10:00:00+03:00")["sections"]["by_week"]]
    assert weeks == ["2026-W49"]
    november = [r["week"] for r in report_json(desk, "sla", "--month", "2026-11")["sections"]["by_week"]]
    assert november == [f"2026-W{n}" for n in range(44, 49)]  # as of Wed 25.11: W49 (from 30.11) not yet


def test_period_boundaries_are_days_in_the_desk_zone(sample):
    """--to is inclusive to 23:59:59 Moscow time; a ticket at 00:00 of the next day is outside."""
    desk, ids = sample
    rows = report_json(desk, "journal", "--from", "2026-11-20", "--to", "2026-11-20")["sections"]["tickets"]
    assert [r["id"] for r in rows] == [ids["B"]]
    assert report_json(desk, "journal", "--from", "2026-11-21", "--to", "2026-11-22")["sections"]["tickets"] == []


def test_output_file(sample, tmp_path):
    desk, _ = sample
    target = tmp_path / "sla.html"
    assert run(desk, "sla", "--format", "html", "--output", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_reports_do_not_change_the_desk(sample):
    desk, _ = sample
    before = {p: p.read_bytes() for p in desk.root.rglob("*") if p.is_file() and ".supportctl" not in p.parts}
    for report in ("journal", "sla", "workload", "time", "csat"):
        assert run(desk, report, "--all").exit_code == 0
    assert run(desk, "customer", ROMASHKA).exit_code == 0
    after = {p: p.read_bytes() for p in desk.root.rglob("*") if p.is_file() and ".supportctl" not in p.parts}
    assert after == before


def test_weeks_of_a_period_and_of_the_whole_history():
    from zoneinfo import ZoneInfo

    from supportctl.reports.period import Period, weeks_of

    tz = ZoneInfo("Europe/Moscow")
    november = weeks_of(Period(date(2026, 11, 1), date(2026, 11, 30), tz), [])
    assert november[0] == (date(2026, 10, 26), date(2026, 11, 1)) and len(november) == 6
    assert weeks_of(Period(None, None, tz), [date(2016, 11, 21), date(2026, 11, 25), date(2026, 11, 26)]) == [
        (date(2016, 11, 21), date(2016, 11, 27)), (date(2026, 11, 23), date(2026, 11, 29))]


def test_a_damaged_ticket_file_is_a_warning_not_a_failure(tmp_path):
    desk = init_desk(tmp_path / "desk")
    new(desk, "2026-11-24T10:00:00+03:00", "Тема", "Текст", ROMASHKA, Contact("Иванов"))
    (desk.tickets_dir / "T-0099.yaml").write_text("id: [broken", encoding="utf-8")
    result = run(desk, "sla", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sections"]["total"][0]["received"] == 1
    assert "warning: skipped" in result.stderr and "T-0099" in result.stderr


def test_the_sla_report_explains_its_percentile_column_in_both_languages(sample):
    desk, _ = sample
    assert "90\u00a0% — 90-й процентиль" in run(desk, "sla").stdout
    assert "p90 — the 90th percentile" in run(desk, "sla", "--lang", "en").stdout
