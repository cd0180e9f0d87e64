"""`supportctl site` (issue 15): the static site of the desk — what it holds, escaping of strangers' texts,
links that stay inside the site, the customer's cabinet (IS-4) holding nothing of other customers,
incremental runs, `cron --site`."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

import browserkit
from supportctl.cli.app import app
from supportctl.desk import yamlio
from supportctl.domain.customers import org_key
from supportctl.services.site import MANIFEST, slug

SAMPLE_NOW = browserkit.NOW
OWN = "ГБУ «Городская поликлиника № 3»"

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def run(desk_root: Path, *args: str, now: str = SAMPLE_NOW, user: str = "Рудаков А."):
    env = {"SUPPORTCTL_DESK": str(desk_root), "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": user}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def sample(tmp_path) -> Path:
    return browserkit.copy_sample_desk(tmp_path / "desk")


def files_of(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


HREF = re.compile(rb'(?:href|src)="([^"]*)"')


def assert_links_inside(out: Path) -> None:
    """Every link of every page is relative and names a file of the site (no scheme, no //host, no ..
    leaving the folder); --base-url's canonical links are the only absolute ones."""
    for name, content in files_of(out).items():
        if not name.endswith(".html"):
            continue
        page = out / name
        for link in HREF.findall(content):
            target = html.unescape(link.decode("utf-8"))
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and not target.startswith("/"), \
                f"{name}: link {target!r} leaves the site"
            resolved = (page.parent / unquote(target.split("#")[0])).resolve()
            assert resolved.is_relative_to(out.resolve()), f"{name}: {target!r} points outside the site"
            assert resolved.is_file(), f"{name}: {target!r} names no file of the site"


def test_the_sample_desk_as_a_site_holds_queue_tickets_customers_and_reports(sample, tmp_path):
    """Issue 15: index.html (the queue as `list` shows it, with counts and the time it was made), one page
    per ticket with its timers and journal (A-1), one per customer, the five reports of this month and last,
    one CSS file and no script; every link inside the site."""
    out = tmp_path / "site"
    result = run(sample, "site", str(out))
    assert result.exit_code == 0, result.output
    assert "6 tickets" in result.output
    files = files_of(out)
    assert {f"tickets/T-000{n}.html" for n in range(1, 7)} <= set(files)
    assert {"index.html", "style.css", "reports/index.html", "customers/index.html", MANIFEST} <= set(files)
    for name in ("sla", "workload", "time", "csat", "journal"):
        assert f"reports/{name}-2026-11.html" in files and f"reports/{name}-2026-10.html" in files
    assert f"customers/{slug(OWN)}.html" in files
    assert [n for n in files if n.endswith(".css")] == ["style.css"]
    assert not any(b"<script" in content for content in files.values())

    index = files["index.html"].decode("utf-8")
    listed = run(sample, "list", "--json")
    queue = [t["id"] for t in json.loads(listed.output)]
    assert [m for m in re.findall(r'href="tickets/(T-\d+)\.html"', index)] == queue  # IS-2 order, as `list`
    assert "T-0001" not in queue  # closed: not in the queue, yet it has its page
    assert "Сформировано: 30.11.2026 10:00" in index
    assert '<li><b>2</b>Просрочены</li>' in index and '<li><b>2</b>Новые</li>' in index
    assert 'class="breached"' in index  # rows coloured by their SLA state
    assert 'href="queue/state-breached.html"' in index and "queue/state-breached.html" in files

    ticket = files["tickets/T-0001.html"].decode("utf-8")
    journal = run(sample, "journal", "T-0001").output.splitlines()
    for line in journal:  # the journal in the form of Appendix 1: "21.11.16 16:30 \ Заявка получена …"
        stamp, text = line.split(" \\ ", 1)
        text = re.sub(r" \[\d+ min\]$", "", text.rsplit("  (", 1)[0])
        assert f"<time>{stamp}</time> \\ {html.escape(text)}" in ticket
    assert "срок регистрации" in ticket and "срок решения" in ticket and "22.11.2016 11:30" in ticket
    assert f'href="../customers/{slug("АКБ «Барьер»")}.html"' in ticket
    assert_links_inside(out)


def test_a_customer_page_shows_its_contract_tickets_and_sla_of_two_months(sample, tmp_path):
    out = tmp_path / "site"
    assert run(sample, "site", str(out)).exit_code == 0
    page = (out / "customers" / f"{slug(OWN)}.html").read_text(encoding="utf-8")
    assert html.escape(OWN) in page
    assert "Соблюдение сроков: ноябрь 2026" in page and "Соблюдение сроков: октябрь 2026" in page
    assert 'href="../tickets/T-0002.html"' in page and 'href="../tickets/T-0003.html"' in page
    assert "T-0004" not in page  # another customer's ticket


def hostile_desk(cli, desk) -> None:
    """Tickets whose subject, text and journal are markup and script, and a hand-edited attachment name
    that climbs out of the folder."""
    cli("new", "--org", '"><img src=x onerror=alert(1)>', "--contact", "<b>Мэллори</b>",
        "--subject", "<script>alert('subject')</script>", "--text",
        "Ссылка: javascript:alert(1)\n<a href=\"javascript:alert(2)\">жми</a> <iframe src=//evil.example>")
    cli("note", "T-0001", '"><img src=x onerror=alert(3)> <script>alert(4)</script>')
    cli("register", "T-0001", "--priority", "2", "--assignee", "<svg onload=alert(5)>")
    shot = desk.root.parent / "screen.png"
    shot.write_bytes(PNG)
    cli("new", "--org", "ООО «Вектор»", "--contact", "Козлов", "--subject", "Скриншот", "--text", "см. вложение",
        "--attach", str(shot))
    path = desk.ticket_path("T-0002")
    data = yamlio.load(path)
    data["attachments"] = list(data["attachments"]) + ["../../x.html"]
    path.write_text(yamlio.dumps(data), encoding="utf-8")


def test_every_text_of_strangers_is_escaped_and_links_stay_inside(cli, desk, tmp_path):
    """Issue 15, safe: subjects, texts, notes, org and assignee names with <script>, "><img onerror>,
    javascript: URLs come out as text; a hostile attachment name (../../x.html) is shown, not used: it
    is not copied, nothing is written outside the site, the real attachment is copied under a generated
    name with its own name as escaped text."""
    hostile_desk(cli, desk)
    out = tmp_path / "site"
    result = cli("site", str(out))
    assert result.exit_code == 0, result.output
    files = files_of(out)
    for name, content in files.items():
        if name.endswith(".html"):
            lowered = content.lower()
            for bad in (b"<script", b"<img", b"<iframe", b"<svg onload", "<b>мэллори".encode(), b'href="javascript',
                        b"<a href=\"javascript"):
                assert bad not in lowered, f"{name} holds {bad!r}"
    ticket = files["tickets/T-0001.html"].decode("utf-8")
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;" in ticket
    assert "&quot;&gt;&lt;img src=x onerror=alert(3)&gt;" in ticket
    assert "javascript:alert(1)" in ticket  # the text, as text
    assert not (tmp_path / "x.html").exists() and not (out.parent / "x.html").exists()
    assert [n for n in files if n.startswith("files/")] == ["files/T-0002/1.png"]
    assert files["files/T-0002/1.png"] == PNG
    shown = files["tickets/T-0002.html"].decode("utf-8")
    assert 'href="../files/T-0002/1.png" download="screen.png"' in shown
    assert "../../x.html <span" in shown  # named, not linked
    assert_links_inside(out)


def test_file_names_come_from_ids_and_slugs_only():
    assert slug("АКБ «Барьер»") == slug("акб  \"барьер\"")  # one organisation, one page (org key)
    assert slug("АКБ «Барьер»").startswith("akb-barer-")
    for name in ("../../etc/passwd", "<script>", "..", "", "/", "a/b\\c", "\x00"):
        assert re.fullmatch(r"[a-z0-9-]+", slug(name)), name
    assert slug("../../x") != slug("x")
    assert org_key("АКБ «Барьер»") == org_key("акб \"барьер\"")


def all_texts_of_others(desk_root: Path, own: str) -> list[str]:
    """Names, IDs, subjects, texts, contacts and journal texts of every organisation but ``own``, and the
    internal notes of its own tickets: none may appear in its cabinet."""
    texts: list[str] = []
    own_texts: set[str] = set()  # the tool's own words ("Заявка получена по электронной почте.") are everyone's
    customers = yamlio.load(desk_root / "customers.yaml")["customers"]
    for c in customers:
        if org_key(c["org"]) != org_key(own):
            texts += [c["org"], slug(c["org"])] + [str(c.get("contract") or "")]
            for contact in c.get("contacts") or []:
                texts += [v for v in (contact.get("name"), contact.get("email"), contact.get("phone")) if v]
    for path in sorted((desk_root / "tickets").glob("*.yaml")):
        t = yamlio.load(path)
        journal = desk_root / "journal" / path.name
        entries = []
        if journal.exists():
            entries = [json.loads(line[2:]) for line in journal.read_text(encoding="utf-8").splitlines()
                       if line.startswith("- ")]
        if org_key(t.get("org") or "") != org_key(own):
            texts += [t["id"], t["subject"], t["org"] or ""]
            texts += [line for line in (t.get("text") or "").splitlines() if len(line) > 8]
            texts += [v for v in (t["contact"].get("name"), t["contact"].get("email")) if v]
            texts += [" ".join(e["text"].split())[:60] for e in entries if len(e.get("text", "")) > 12]
        else:
            texts += [" ".join(e["text"].split())[:60] for e in entries if e["kind"] == "note"]
            own_texts.update(" ".join(e["text"].split())[:60] for e in entries if e["kind"] != "note")
    return [t for t in dict.fromkeys(texts) if t and t not in own_texts]


def test_a_customer_cabinet_holds_nothing_of_other_customers_nor_internal_notes(sample, tmp_path):
    """Issue 15 / IS-4: `site --customer ORG` writes that customer's tickets only, their journals as
    `report customer` shows them (no notes, no assignments, no links); no other organisation's name, ID
    or text appears in any byte of any file written."""
    # an internal note on one of its own tickets, naming another customer's ticket
    assert run(sample, "note", "T-0003", "Внутреннее: сравнить с T-0004 у АКБ «Барьер», не писать клиенту").exit_code == 0
    out = tmp_path / "cabinet"
    result = run(sample, "site", "--customer", "гбу «городская поликлиника № 3»", str(out))
    assert result.exit_code == 0, result.output
    files = files_of(out)
    assert "tickets/T-0002.html" in files and "tickets/T-0003.html" in files
    assert not any(n.startswith("tickets/") and n not in ("tickets/T-0002.html", "tickets/T-0003.html")
                   for n in files)
    assert set(n for n in files if n.startswith("reports/")) == {
        "reports/index.html", "reports/customer-2026-11.html", "reports/customer-2026-10.html",
        "reports/sla-2026-11.html", "reports/sla-2026-10.html"}
    forbidden = all_texts_of_others(sample, OWN)
    assert "T-0004" in forbidden and "АКБ «Барьер»" in forbidden and "ИП Сёмин" in forbidden
    blob = b"\n".join(files.values())
    for text in forbidden:
        for form in {text, html.escape(text), html.escape(text, quote=False)}:
            assert form.encode("utf-8") not in blob, f"the cabinet shows {form!r}"
    # what the customer was told is there, as `report customer` shows it
    report = run(sample, "report", "customer", OWN, "--all", "--json")
    told = [m["text"] for m in json.loads(report.output)["sections"]["correspondence"]]
    ticket_pages = (files["tickets/T-0002.html"] + files["tickets/T-0003.html"]).decode("utf-8")
    for text in told:
        assert html.escape(" ".join(text.split())) in ticket_pages
    assert_links_inside(out)


def test_the_cabinet_of_an_unknown_organisation_is_refused(sample, tmp_path):
    result = run(sample, "site", "--customer", "ООО «Никто»", str(tmp_path / "x"))
    assert result.exit_code == 2 and "no customer or ticket" in result.output
    assert not (tmp_path / "x").exists()


def stamps(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file()}


def test_a_second_run_rewrites_only_the_pages_whose_content_changed(sample, tmp_path):
    """Issue 15, incremental: after one ticket changed, only its page (and what lists it) is written
    again — every other file keeps its inode and mtime; a ticket gone takes its page with it."""
    out = tmp_path / "site"
    first = run(sample, "site", "--json", str(out))
    assert json.loads(first.output)["written"] == len(files_of(out)) - 1  # all but the manifest
    before = stamps(out)
    again = json.loads(run(sample, "site", "--json", str(out)).output)
    assert again["written"] == 0 and again["removed"] == 0
    assert stamps(out) == {**before, MANIFEST: stamps(out)[MANIFEST]}

    assert run(sample, "note", "T-0005", "Проверили вёрстку ещё раз").exit_code == 0
    third = json.loads(run(sample, "site", "--json", str(out)).output)
    after = stamps(out)
    changed = {name for name in before if before[name] != after.get(name)} - {MANIFEST}
    assert "tickets/T-0005.html" in changed
    assert not {n for n in changed if n.startswith("tickets/")} - {"tickets/T-0005.html"}
    assert not {n for n in changed if n.startswith(("customers/", "queue/", "index.html"))}
    assert third["written"] == len(changed)

    (sample / "tickets" / "T-0006.yaml").unlink()
    fourth = json.loads(run(sample, "site", "--json", str(out)).output)
    # ИП Сёмин, not in the register, had that one ticket: its customer page and its filter go too
    gone = {"tickets/T-0006.html", f"customers/{slug('ИП Сёмин')}.html", f"queue/org-{slug('ИП Сёмин')}.html"}
    assert fourth["removed"] == len(gone) and not any((out / name).exists() for name in gone)
    assert "tickets/T-0006.html" not in json.loads((out / MANIFEST).read_text())["pages"]


def test_a_folder_of_other_files_is_refused_and_left_alone(sample, tmp_path):
    out = tmp_path / "home"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run(sample, "site", str(out))
    assert result.exit_code == 2 and "holds no site" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert run(sample, "site", str(a_file)).exit_code == 2


def test_files_the_site_did_not_write_survive_its_runs(sample, tmp_path):
    out = tmp_path / "site"
    run(sample, "site", str(out))
    (out / "robots.txt").write_text("User-agent: *\n")
    (sample / "tickets" / "T-0006.yaml").unlink()
    assert run(sample, "site", str(out)).exit_code == 0
    assert (out / "robots.txt").read_text() == "User-agent: *\n"


def test_english_desk_pages_and_base_url(sample, tmp_path):
    config = sample / "supportctl.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: ru", "language: en"), encoding="utf-8")
    out = tmp_path / "site"
    result = run(sample, "site", "--base-url", "https://support.example.ru/desk", str(out))
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h1>Ticket queue</h1>" in index and "Generated: 30.11.2026 10:00" in index and '<html lang="en">' in index
    assert '<link rel="canonical" href="https://support.example.ru/desk/index.html">' in index
    ticket = (out / "tickets" / "T-0003.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://support.example.ru/desk/tickets/T-0003.html">' in ticket
    assert "Deadlines (SLA)" in ticket
    for bad in ("javascript:alert(1)", "ftp://x", "https://x/\"><script>", "//host/"):
        refused = run(sample, "site", "--base-url", bad, str(tmp_path / "other"))
        assert refused.exit_code == 2 and "--base-url" in refused.output


def test_a_page_that_cannot_be_written_fails_the_run_and_leaves_the_manifest(sample, tmp_path):
    """The pages are written by a thread of their own: a failure there is the command's one line and
    exit 2, and the manifest of the last run stays, so the next run writes again what is missing."""
    out = tmp_path / "site"
    assert run(sample, "site", str(out)).exit_code == 0
    manifest = (out / MANIFEST).read_bytes()
    page = out / "tickets" / "T-0003.html"
    page.unlink()
    page.mkdir()  # a folder where the page goes: replacing it fails, for any user
    failed = run(sample, "site", str(out))
    assert failed.exit_code == 2 and "T-0003.html" in failed.output
    assert "Traceback" not in failed.output and len(failed.output.strip().splitlines()) == 1
    assert (out / MANIFEST).read_bytes() == manifest
    page.rmdir()
    again = json.loads(run(sample, "site", "--json", str(out)).output)
    assert again["written"] == 1 and (out / "tickets" / "T-0003.html").is_file()


def test_cron_regenerates_the_site_at_the_end_of_its_run(sample, tmp_path):
    out = tmp_path / "site"
    dry = run(sample, "cron", "--dry-run", "--site", str(out))
    assert dry.exit_code == 0 and f"would write the site {out}" in dry.output and not out.exists()
    result = run(sample, "cron", "--site", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "tickets" / "T-0001.html").is_file()
    assert "site " in result.output
    shutil.rmtree(out)
    out.mkdir()
    (out / "foreign.txt").write_text("x")
    failed = run(sample, "cron", "--site", str(out))
    assert failed.exit_code == 1 and "site failed" in failed.output


def test_a_ticket_page_links_its_related_tickets_and_a_cabinet_only_its_own(sample, tmp_path):
    """Issue 15: related tickets are linked (a link, a merged duplicate and the ticket it went into); in a
    customer's cabinet a relation to another customer's ticket is left out, as `report customer` leaves
    links out."""
    assert run(sample, "link", "T-0003", "T-0004").exit_code == 0  # ГБУ's ticket and АКБ «Барьер»'s
    merged = run(sample, "merge", "T-0002", "--into", "T-0003")
    assert merged.exit_code == 0, merged.output
    out = tmp_path / "site"
    assert run(sample, "site", str(out)).exit_code == 0
    page = (out / "tickets" / "T-0003.html").read_text(encoding="utf-8")
    assert 'связана <a href="../tickets/T-0004.html">T-0004</a>' in page
    assert 'объединена в эту <a href="../tickets/T-0002.html">T-0002</a>' in page
    duplicate = (out / "tickets" / "T-0002.html").read_text(encoding="utf-8")
    assert 'объединена с <a href="../tickets/T-0003.html">T-0003</a>' in duplicate
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "tickets/T-0002.html" not in index  # a merged duplicate is not in the queue (as `list`)
    cabinet = tmp_path / "cabinet"
    assert run(sample, "site", "--customer", OWN, str(cabinet)).exit_code == 0
    own = (cabinet / "tickets" / "T-0003.html").read_text(encoding="utf-8")
    assert "T-0004" not in own and "Связанные заявки" not in own


def test_a_link_planted_in_the_site_leads_no_write_nor_removal_outside(sample, tmp_path):
    """The site's folder may be reached by others (a pages checkout): a symbolic link in it that leads out
    is neither written through nor used to remove a file outside the site."""
    out = tmp_path / "site"
    assert run(sample, "site", str(out)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.html").write_text("not the site's")
    (out / "gone").symlink_to(elsewhere)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["pages"]["gone/x.html"] = "0" * 64  # a page of the last run, to be removed
    (out / MANIFEST).write_text(json.dumps(manifest))
    result = run(sample, "site", "--json", str(out))
    assert result.exit_code == 0 and json.loads(result.output)["removed"] == 0
    assert (elsewhere / "x.html").read_text() == "not the site's"

    shutil.copytree(out / "queue", elsewhere / "queue")
    shutil.rmtree(out / "queue")
    (out / "queue").symlink_to(elsewhere / "queue")
    (sample / "tickets" / "T-0006.yaml").unlink()  # the queue's pages change
    before = {p.name: p.read_bytes() for p in (elsewhere / "queue").iterdir()}
    refused = run(sample, "site", str(out))
    assert refused.exit_code == 2 and "symbolic link" in refused.output
    assert {p.name: p.read_bytes() for p in (elsewhere / "queue").iterdir()} == before


def test_a_second_run_makes_again_only_the_pages_of_tickets_that_changed(sample, tmp_path, monkeypatch):
    """Incremental without reading: a ticket whose files, timers and related tickets are as in the last run
    keeps its page without its journal being read or its page made; a note, or time passing a deadline
    (R-6.6: the registration timer of a new ticket), makes that ticket's page again."""
    from supportctl.services import site as site_service

    made: list[str] = []
    complete = site_service.complete
    monkeypatch.setattr(site_service, "complete", lambda site, d: (made.append(d.ticket.id), complete(site, d)))
    out = tmp_path / "site"
    assert run(sample, "site", str(out)).exit_code == 0
    assert len(made) == 6
    made.clear()
    assert run(sample, "site", str(out)).exit_code == 0
    assert made == []
    assert run(sample, "note", "T-0004", "Уточнили формат выгрузки").exit_code == 0
    assert run(sample, "site", str(out)).exit_code == 0
    assert made == ["T-0004"]
    made.clear()
    page = (out / "tickets" / "T-0002.html").read_text(encoding="utf-8")
    assert run(sample, "site", str(out), now="2026-12-01T10:00:00+03:00").exit_code == 0
    assert "T-0002" in made  # its registration deadline (30.11 11:20) has passed since
    assert (out / "tickets" / "T-0002.html").read_text(encoding="utf-8") != page
