"""Issue 10, items 1, 2 and 4: hostile mail never stops intake and never slows it to a crawl.

Item 1: whatever the bytes, a mail ends as a ticket, a follow-up, an ignored machine mail or a quarantined
file with its reason, and the run goes on. Item 2: every step is linear in the mail's size, with the caps
of supportctl/mail/limits.py. Item 4: attachment names are cut at a byte length every file system takes.
Times are asserted generously (a loaded 2-core machine): the cases of the issue took 16 to 55 seconds.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

import pytest
from conftest import NOW, add_barrier
from mailkit import configure_mail, make_maildir

from supportctl.desk.desk import Desk
from supportctl.domain.attachments import NAME_BYTES, safe_name
from supportctl.domain import attachments
from supportctl.mail import limits
from supportctl.mail.htmltext import html_to_text
from supportctl.mail.parse import parse
from supportctl.services import mail_intake, tickets
from supportctl.services.context import Ctx

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# what a mail may end as (README, "E-mail"): a ticket, a follow-up, ignored, or kept aside with the reason
TICKET = {"created", "duplicate"}
FOLLOW_UP = {"added", "resumed", "closed", "reopened"}
ASIDE = {"quarantined", "rejected"}
OUTCOMES = TICKET | FOLLOW_UP | ASIDE | {"ignored", "repeat"}


@pytest.fixture
def mdesk(desk, cli):
    configure_mail(desk.root)
    add_barrier(cli)
    return desk


def ctx(desk) -> Ctx:
    return Ctx(Desk(desk.root), datetime.fromisoformat(NOW), "robot")


def ingest(desk, raw: bytes) -> mail_intake.Outcome:
    return mail_intake.ingest_bytes(ctx(desk), raw, "test")


def journal(desk, ticket_id: str) -> list[dict]:
    return [json.loads(line[2:]) for line in (desk.root / "journal" / f"{ticket_id}.yaml").read_text().splitlines()]


def plain(subject: str = "Вопрос", body: str = "Текст письма.", *, mid: str, sender: str = "smirnova@barrier.ru",
          headers: str = "", ctype: str = "text/plain; charset=utf-8", cte: str = "8bit") -> bytes:
    return (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n{headers}MIME-Version: 1.0\r\n"
            f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n").encode("utf-8",
                                                                                                "surrogateescape")


def multipart(*parts: str, mid: str, subject: str = "Вложения", sender: str = "smirnova@barrier.ru",
              boundary: str = "B") -> bytes:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts)
    return (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            f"{body}--{boundary}--\r\n").encode("utf-8", "surrogateescape")


def text_part(text: str = "см. вложение") -> str:
    return f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"


def file_part(name: str, data: bytes = PNG, ctype: str = "image/png") -> str:
    quoted = urllib.parse.quote(name, safe="")
    return (f"Content-Type: {ctype}\r\nContent-Disposition: attachment; filename*=utf-8''{quoted}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(data).decode()}")


def nested(depth: int, mid: str) -> bytes:
    head = "".join(f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n" for i in range(1, depth))
    tail = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (f"From: a@example.com\r\nSubject: nested\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=b0\r\n\r\n{head}--b{depth - 1}\r\n"
            f"Content-Type: text/plain\r\n\r\nглубоко\r\n{tail}").encode()


# -- item 1: charsets and headers that used to stop the run -------------------------------------------

BYTES_CODECS = ["zlib", "rot13", "hex", "base64", "bz2", "uu", "quopri", "undefined", "punycode", "idna",
                "unicode_escape", "x-no-such-charset"]


@pytest.mark.parametrize("charset", BYTES_CODECS)
def test_a_body_in_a_codec_that_is_no_charset_makes_a_ticket_issue10_item1(mdesk, charset):
    out = ingest(mdesk, plain(body="Не формируется отчёт", mid=f"<{charset}@barrier.ru>",
                              ctype=f"text/plain; charset={charset}"))
    assert out.action == "created"
    assert Desk(mdesk.root).load_ticket(out.ticket_id).text == "Не формируется отчёт"


@pytest.mark.parametrize("charset", ["zlib", "undefined", "hex"])
def test_encoded_words_and_file_names_in_such_codecs_are_read_issue10_item1(mdesk, charset):
    raw = multipart(text_part(), f"Content-Type: image/png\r\nContent-Disposition: attachment; "
                                 f"filename*={charset}''shot.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                 f"{base64.b64encode(PNG).decode()}",
                    mid=f"<w-{charset}@barrier.ru>", subject=f"=?{charset}?q?abc?= =?utf-8?q?_=D0=BE=D1=82?=")
    out = ingest(mdesk, raw)
    assert out.action == "created"
    ticket = Desk(mdesk.root).load_ticket(out.ticket_id)
    assert ticket.subject.endswith("от") and ticket.attachments == ["shot.png"]


def test_a_forwarded_mail_with_a_hostile_sender_group_is_attached_issue10_item1(mdesk):
    inner = f"Sender: {'x' * 70}:;B\r\nFrom: boss@barrier.ru\r\nSubject: fw\r\n\r\nисходное письмо"
    raw = multipart(text_part("пересылаю"), f"Content-Type: message/rfc822\r\n\r\n{inner}", mid="<fw@barrier.ru>")
    out = ingest(mdesk, raw)
    assert out.action == "created"
    [name] = Desk(mdesk.root).load_ticket(out.ticket_id).attachments
    stored = mdesk.root / "attachments" / out.ticket_id / name
    assert f"Sender: {'x' * 70}:;B".encode() in stored.read_bytes()


def test_bad_mails_leave_new_and_later_mails_are_read_issue10_item1(mdesk, cli, tmp_path):
    """The run of the issue: a zlib mail first in new/ stopped every later run with exit 3."""
    box = make_maildir(tmp_path / "Maildir")
    _deliver(box, [plain(mid="<z@barrier.ru>", ctype="text/plain; charset=zlib"),
                   b"\x00\x01 garbage",
                   plain(subject="Хороший", mid="<good@barrier.ru>")])
    result = cli("mail", "ingest", "--maildir", str(box), "--json")
    assert result.exit_code == 0, result.output
    assert [o["action"] for o in json.loads(result.stdout)] == ["created", "rejected", "created"]
    assert not list((box / "new").iterdir()) and len(list((box / "cur").iterdir())) == 3


def test_any_failure_inside_one_mail_is_that_mails_quarantine_reason_issue10_item1(mdesk, tmp_path, monkeypatch):
    """A bug nobody foresaw (here: the machine check raising) quarantines the mail, not the run."""
    from supportctl.mail import classify

    real = classify.machine_reason

    def flaky(mail, settings):
        if "boom" in mail.subject:
            raise KeyError("boom")
        return real(mail, settings)

    monkeypatch.setattr(classify, "machine_reason", flaky)
    box = make_maildir(tmp_path / "Maildir")
    _deliver(box, [plain(subject="boom", mid="<boom@barrier.ru>"), plain(subject="после", mid="<after@barrier.ru>")])
    outcomes = mail_intake.ingest_maildir(ctx(mdesk), box)
    assert [o.action for o in outcomes] == ["rejected", "created"]
    reason = next((mdesk.root / "quarantine").glob("*.txt")).read_text()
    assert "unexpected KeyError" in reason and "boom@barrier.ru" in reason
    assert not list((box / "new").iterdir())


def test_an_mbox_of_hostile_mails_is_read_to_the_end_issue10_item1(mdesk, tmp_path):
    box = tmp_path / "hostile.mbox"
    mails = [plain(mid="<u1@barrier.ru>", ctype="text/plain; charset=undefined"),
             multipart(text_part(), f"Content-Type: message/rfc822\r\n\r\nSender: {'x' * 70}:;B\r\n\r\nx",
                       mid="<u2@barrier.ru>"),
             plain(subject="Последнее", mid="<u3@barrier.ru>")]
    box.write_bytes(b"".join(b"From a@b Mon Dec  1 10:00:00 2025\n" + m.replace(b"\r\n", b"\n") + b"\n"
                             for m in mails))
    outcomes = mail_intake.ingest_mbox(ctx(mdesk), box)
    assert [o.action for o in outcomes] == ["created", "created", "created"]


# -- the corpus ---------------------------------------------------------------------------------------

def _corpus() -> list[tuple[str, bytes]]:
    """Mails as attackers and broken clients write them; each must end in one of the four outcomes."""
    c: list[tuple[str, bytes]] = [("first", plain(subject="Отчёт", mid="<c-first@barrier.ru>"))]
    for cs in BYTES_CODECS:
        c.append((f"charset-{cs}", plain(mid=f"<c-{cs}@barrier.ru>", ctype=f"text/plain; charset={cs}")))
        c.append((f"header-{cs}", plain(subject=f"=?{cs}?b?0J/RgA==?=", mid=f"<h-{cs}@barrier.ru>")))
    c += [
        ("sender-group", multipart(text_part(), f"Content-Type: message/rfc822\r\n\r\nSender: {'x' * 70}:;B\r\n"
                                               f"\r\nbody", mid="<c-sg@barrier.ru>")),
        ("to-group", multipart(text_part(), f"Content-Type: message/rfc822\r\n\r\nTo: {'y' * 90}:;\r\n"
                                           f"From: ;;;@@@\r\n\r\nbody", mid="<c-tg@barrier.ru>")),
        ("rfc822-empty", multipart(text_part(), "Content-Type: message/rfc822\r\n\r\n", mid="<c-re@barrier.ru>")),
        ("bad-date-1", plain(mid="<c-d1@barrier.ru>", headers="Date: 99 Foo 2025\r\n")),
        ("bad-date-2", plain(mid="<c-d2@barrier.ru>", headers="Date: Mon, 32 Dec 99999 25:61:61 +9999\r\n")),
        ("bad-date-3", plain(mid="<c-d3@barrier.ru>", headers="Date: , , ,\r\n")),
        ("bad-from-1", plain(mid="<c-f1@barrier.ru>", sender="<<<@>>>")),
        ("bad-from-2", plain(mid="<c-f2@barrier.ru>", sender="a@b@c, , <")),
        ("bad-from-3", plain(mid="<c-f3@barrier.ru>", sender="undisclosed-recipients:;")),
        ("bad-from-4", plain(mid="<c-f4@barrier.ru>", sender="=?utf-8?q?=3C=3E=2C=22?= <smirnova@barrier.ru>")),
        ("many-from", plain(mid="<c-mf@barrier.ru>", sender=", ".join(f"u{i}@x.ru" for i in range(5000)))),
        ("no-boundary", (b"From: a@example.com\r\nSubject: nb\r\nMessage-ID: <c-nb@x>\r\n"
                         b"Content-Type: multipart/mixed\r\n\r\n--X\r\n\r\ntext\r\n")),
        ("unclosed-boundary", (b"From: a@example.com\r\nSubject: ub\r\nMessage-ID: <c-ub@x>\r\n"
                               b"Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\n"
                               b"Content-Type: text/plain\r\n\r\nnever closed\r\n")),
        ("raw-8bit-headers", b"From: \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd <a@example.com>\r\nSubject: \xcf\xf0\xe8"
                             b"\xe2\xe5\xf2 \xff\xfe\r\nMessage-ID: <c-8b@x>\r\n\r\n\xff\xfe body\r\n"),
        ("nul-bytes", b"From: a@example.com\r\nSubject: nul\x00here\r\nMessage-ID: <c-nul@x>\r\n\r\n\x00\x00text\r\n"),
        ("broken-base64", plain(body="!!!not base64@@@\r\n====", mid="<c-b64@barrier.ru>", cte="base64")),
        ("broken-qp", plain(body="=ZZ=\r\n=", mid="<c-qp@barrier.ru>", cte="quoted-printable")),
        ("uuencode-junk", plain(body="begin 644 x\r\n!!!!\r\nend", mid="<c-uu@barrier.ru>", cte="x-uuencode")),
        ("bad-ctype", plain(mid="<c-ct@barrier.ru>", ctype="/;;; charset=\"")),
        ("two-charsets", plain(mid="<c-2c@barrier.ru>", ctype="text/plain; charset=utf-8; charset=zlib")),
        ("path-name", multipart(text_part(), file_part("../../../etc/passwd.png"), mid="<c-pn@barrier.ru>")),
        ("raw-name", multipart(text_part(), "Content-Type: image/png\r\nContent-Disposition: attachment; "
                                            "filename=\"\udcff\udcfe.png\"\r\n\r\nx", mid="<c-rn@barrier.ru>")),
        ("emoji-name", multipart(text_part(), file_part("😀" * 130 + ".png"), mid="<c-em@barrier.ru>")),
        ("cjk-name", multipart(text_part(), file_part("中" * 100 + ".png"), mid="<c-cjk@barrier.ru>")),
        ("deep-nesting", nested(limits.MAX_DEPTH + 5, "<c-deep@x>")),
        ("very-deep-nesting", nested(3000, "<c-vdeep@x>")),
        ("huge-header", plain(mid="<c-hh@barrier.ru>", headers=f"X-Big: {'a' * (limits.MAX_HEADER_BYTES + 10)}\r\n")),
        ("long-references", plain(subject="Re: Отчёт", mid="<c-lr@barrier.ru>",
                                  headers="References: " + " ".join(f"<r{i}@x.ru>" for i in range(15000)) + "\r\n")),
        ("many-x-loop", plain(mid="<c-xl@barrier.ru>", headers="X-Loop: someone\r\n" * 5000)),
        ("html-a", plain(body="<a " * 30000, mid="<c-html@barrier.ru>", ctype="text/html; charset=utf-8")),
        ("html-comment", plain(body="<!--" * 30000, mid="<c-hc@barrier.ru>", ctype="text/html")),
        ("html-quotes", plain(body="<blockquote>" * 20000 + "x<br>" * 1000, mid="<c-hq@barrier.ru>",
                              ctype="text/html")),
        ("subject-words", plain(subject=" ".join(["=?utf-8?q?ab?="] * 15000), mid="<c-sw@barrier.ru>")),
        ("quote-line", plain(subject="Re: [Заявка#T-0001] Отчёт", body="ответ\r\n<" + "@" * 100000,
                             mid="<c-ql@barrier.ru>")),
        ("many-parts", multipart(text_part(), *[file_part("x.png")] * 3000, mid="<c-mp@barrier.ru>")),
        ("many-bare-parts", multipart(text_part(), *["Content-Type: image/png\r\n\r\nx"] * 1100,
                                      mid="<c-mbp@barrier.ru>")),
        ("many-attachments", multipart(text_part(), *[file_part("x.png")] * 150, mid="<c-ma@barrier.ru>")),
        ("report", (b"From: MAILER-DAEMON@x.ru\r\nSubject: Undelivered\r\nMessage-ID: <c-rp@x>\r\n"
                    b"Content-Type: multipart/report; boundary=R\r\n\r\n--R\r\nContent-Type: message/delivery-status"
                    b"\r\n\r\n\r\n\r\n--R--\r\n")),
        ("only-body", b"just some text without any header\r\n"),
        ("empty", b""),
    ]
    return c


def _deliver(box: Path, mails: list[bytes]) -> None:
    """Into new/, in this order (the intake reads new/ oldest first)."""
    start = time.time() - len(mails) - 10
    for n, raw in enumerate(mails):
        path = box / "new" / f"{n:05d}.corpus.host"
        path.write_bytes(raw)
        os.utime(path, (start + n, start + n))


def test_a_corpus_of_hostile_mails_never_stops_the_run_issue10_items_1_2_4(mdesk, cli, tmp_path):
    corpus = _corpus()
    box = make_maildir(tmp_path / "Maildir")
    _deliver(box, [raw for _, raw in corpus] + [plain(subject="Последнее письмо", mid="<c-last@barrier.ru>")])
    started = time.perf_counter()
    result = cli("mail", "ingest", "--maildir", str(box), "--json")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout)
    names = [name for name, _ in corpus] + ["last"]
    got = dict(zip(names, outcomes))
    assert len(outcomes) == len(names)
    for name, outcome in got.items():
        assert outcome["action"] in OUTCOMES, (name, outcome)
    # each mail set aside is kept with its reason
    quarantined = [o for o in outcomes if o["action"] in ASIDE]
    kept = {p.read_text().split("message-id: ")[1].split("\n")[0] for p in (mdesk.root / "quarantine").glob("*.txt")}
    assert {o["message_id"] for o in quarantined} <= kept and len(kept) == len(quarantined)
    assert not list((box / "new").iterdir())
    assert got["last"]["action"] == "created"
    # the caps named as the reasons
    for name, words in (("deep-nesting", "nested deeper"), ("very-deep-nesting", "multipart containers"),
                        ("huge-header", "header block"), ("many-parts", "parameters"),
                        ("many-bare-parts", "MIME parts")):
        assert got[name]["action"] == "quarantined" and words in got[name]["detail"], (name, got[name])
    for name in ("sender-group", "emoji-name", "cjk-name", "html-a", "subject-words", "many-attachments",
                 "long-references", "path-name", "raw-name", *(f"charset-{cs}" for cs in BYTES_CODECS)):
        assert got[name]["action"] in TICKET, (name, got[name])
    assert got["quote-line"]["action"] == "added"
    assert got["report"]["action"] == "ignored"
    assert elapsed < 60, f"the corpus took {elapsed:.1f}s"
    check = cli("check")
    assert check.exit_code == 0, check.output


# -- item 2: the four slow cases of the issue, and the caps --------------------------------------------

def _timed(fn, *args):
    started = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - started, value


def test_html_of_unclosed_tags_is_converted_in_linear_time_issue10_item2():
    """"<a " × 30000 took 55 s in html.parser; the issue's other unclosed forms are its siblings."""
    for pattern in ("<a ", "<a href='", "<!--", "<![", "<a b=\"", "<blockquote>"):
        seconds, _ = _timed(html_to_text, pattern * 30000)
        assert seconds < 3, (pattern, seconds)


def test_html_conversion_keeps_what_a_reader_sees():
    html = ('<html><head><title>T</title><style>p{}</style></head><body><p>Добрый день &amp; <b>привет</b></p>'
            '<blockquote><p>цитата</p></blockquote><a href="http://x.ru/?a=1&amp;b=2">ссылка</a><br>'
            '<img alt="рис"><script>if (a<b) {}</script><ul><li>раз<li>два</ul>a < b &lt; c<!-- c -->'
            '<p title="a>b">конец</p><unclosed')
    assert html_to_text(html) == ("Добрый день & привет\n\n> цитата\n>\nссылка (http://x.ru/?a=1&b=2)\n[рис]\n"
                                  "- раз\n- два\na < b < c\nконец")


def test_a_quote_header_lookalike_line_is_linear_issue10_item2(mdesk):
    assert ingest(mdesk, plain(subject="Отчёт", mid="<q0@barrier.ru>")).action == "created"
    raw = plain(subject="Re: [Заявка#T-0001] Отчёт", body="новое\r\n<" + "@" * 100000, mid="<q1@barrier.ru>")
    seconds, out = _timed(ingest, mdesk, raw)
    assert out.action == "added" and seconds < 5, seconds


def test_a_subject_of_40000_encoded_words_is_quick_issue10_item2(mdesk):
    words = " ".join(["=?utf-8?q?ab?="] * 40000)  # 560 KB: beyond the header cap, quarantined
    seconds, out = _timed(ingest, mdesk, plain(subject=words, mid="<s40@barrier.ru>"))
    assert out.action == "quarantined" and "header block" in out.detail and seconds < 5, seconds
    words = " ".join(["=?utf-8?q?ab?="] * 15000)  # 210 KB: read in linear time, cut to the cap
    seconds, out = _timed(ingest, mdesk, plain(subject=words, mid="<s15@barrier.ru>"))
    assert out.action == "created" and seconds < 5, seconds
    subject = Desk(mdesk.root).load_ticket(out.ticket_id).subject
    assert len(subject) == limits.MAX_SUBJECT_CHARS and subject.endswith("…")
    cut = [e for e in journal(mdesk, out.ticket_id) if (e.get("data") or {}).get("cut") == "cut_subject"]
    assert cut and "30000" in cut[0]["text"]


def test_3000_attachments_of_one_name_are_quick_issue10_item2(mdesk, tmp_path):
    raw = multipart(text_part(), *[file_part("x.png")] * 3000, mid="<x3000@barrier.ru>")
    seconds, out = _timed(ingest, mdesk, raw)
    assert out.action == "quarantined" and "parameters" in out.detail and seconds < 10, seconds
    # the de-duplication of names itself is linear (new --attach, follow-ups adding to a folder):
    # counted in look-ups, not seconds, so a loaded machine cannot fail it
    class Counting(set):
        lookups = 0

        def __contains__(self, name):
            Counting.lookups += 1
            return super().__contains__(name)

    taken = Counting({"x.png"})
    names = attachments.unique_names(["x.png"] * 3000, taken)
    assert names[:3] == ["x-2.png", "x-3.png", "x-4.png"] and len(set(names)) == 3000
    assert Counting.lookups <= 2 * 3000 + 1, Counting.lookups  # quadratic would be about 4.5 million
    folder = tmp_path / "files"
    paths = []
    for n in range(300):
        (folder / str(n)).mkdir(parents=True)
        (folder / str(n) / "x.png").write_bytes(PNG)
        paths.append(folder / str(n) / "x.png")
    names = tickets.store_attachments(Desk(mdesk.root), "T-0042", paths)
    assert len(set(names)) == 300 and names[:3] == ["x.png", "x-2.png", "x-3.png"]
    # the command that stored them saved its ticket: the placement is no longer a killed command's
    shutil.rmtree(Desk(mdesk.root).state_dir / tickets.STAGING)
    more = tickets.store_attachments(Desk(mdesk.root), "T-0042", paths[:2])
    assert more == ["x-301.png", "x-302.png"]


def test_beyond_the_attachment_cap_the_excess_is_refused_with_a_notice_issue10_item2(mdesk):
    raw = multipart(text_part(), *[file_part("x.png")] * (limits.MAX_ATTACHMENTS + 7), mid="<many@barrier.ru>")
    out = ingest(mdesk, raw)
    assert out.action == "created"
    assert len(Desk(mdesk.root).load_ticket(out.ticket_id).attachments) == limits.MAX_ATTACHMENTS
    refused = [e for e in journal(mdesk, out.ticket_id) if e["kind"] == "attachment"]
    assert refused and f"(ещё 7)" in refused[0]["text"]


def test_beyond_the_html_cap_the_rest_is_left_out_with_a_journal_line_issue10_item2(mdesk):
    body = "<p>строка</p>" * (limits.MAX_HTML_CHARS // 13 + 100)
    out = ingest(mdesk, plain(body=body, mid="<bightml@barrier.ru>", ctype="text/html; charset=utf-8"))
    assert out.action == "created"
    assert any((e.get("data") or {}).get("cut") == "cut_html" for e in journal(mdesk, out.ticket_id))


@pytest.mark.parametrize("depth, quarantined", [(limits.MAX_DEPTH, False), (limits.MAX_DEPTH + 2, True)])
def test_nesting_beyond_the_cap_is_quarantined_issue10_item2(mdesk, depth, quarantined):
    out = ingest(mdesk, nested(depth, f"<n{depth}@x>"))
    assert (out.action == "quarantined") is quarantined, out


MB = 1024 * 1024


def _big_mails() -> list[tuple[str, bytes]]:
    """Mails of about 1 MB, each aimed at one step of intake."""
    lines = "Строка обычного письма о неполадке в отчёте.\r\n" * (MB // 80)
    return [
        ("plain text", plain(body=lines, mid="<b-plain@x>")),
        ("html tags", plain(body="<p>a</p><br>" * (MB // 12), mid="<b-html@x>", ctype="text/html")),
        ("html unclosed", plain(body="<a " * (MB // 3), mid="<b-a@x>", ctype="text/html")),
        ("empty lines", plain(body="\r\n" * (MB // 2), mid="<b-nl@x>")),
        ("dash lines nested", nested(8, "<b-dash@x>").replace(b"\xd0\xb3\xd0\xbb\xd1\x83\xd0\xb1\xd0\xbe\xd0\xba\xd0\xbe",
                                                              b"--\r\n" * 20000)),
        ("quote lookalikes", plain(body=("<" + "@" * 1000 + ">:\r\n") * (MB // 1004), mid="<b-q@x>")),
        ("attachment", multipart(text_part(), file_part("big.png", PNG + b"\x00" * (MB * 3 // 4)), mid="<b-att@x>")),
        ("header words", plain(subject=" ".join(["=?utf-8?q?ab?="] * 17000), mid="<b-sw@x>",
                               body="x" * (MB - 240000))),
    ]


def test_a_mail_of_1_mb_takes_a_small_multiple_of_an_ordinary_mail_issue10_item2(mdesk):
    seconds, _ = _timed(ingest, mdesk, plain(mid="<ordinary0@x>"))  # the desk's caches warm up
    ordinary = min(_timed(ingest, mdesk, plain(subject=f"Обычное {n}", mid=f"<ordinary{n}@x>"))[0]
                   for n in range(1, 4))
    for name, raw in _big_mails():
        seconds, out = _timed(ingest, mdesk, raw)
        print(f"{name}: {len(raw)} bytes, {seconds:.2f}s (ordinary mail {ordinary:.3f}s)")
        assert out.action in OUTCOMES - ASIDE, (name, out)
        # a quadratic step took minutes at this size; linear ones take well under a few seconds
        assert seconds < max(8.0, 60 * ordinary), (name, seconds, ordinary)


def test_parse_time_grows_linearly_with_the_size_issue10_item2():
    """Parse + HTML conversion of 4× the bytes takes about 4× the time (quadratic would be 16×)."""
    def best(raw: bytes) -> float:
        return min(_timed(parse, raw)[0] for _ in range(3))

    for unit in ("<a ", "<p>x</p>"):
        small = plain(body=unit * 10000, mid="<lin@x>", ctype="text/html")
        large = plain(body=unit * 40000, mid="<lin@x>", ctype="text/html")
        ratio = best(large) / max(best(small), 1e-3)
        assert ratio < 10, (unit, ratio)


# -- item 4: long attachment names ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["😀" * 130 + ".png", "中" * 100 + ".png", "я" * 200 + ".png"])
def test_a_long_attachment_name_does_not_quarantine_the_mail_issue10_item4(mdesk, name):
    out = ingest(mdesk, multipart(text_part(), file_part(name), mid=f"<long-{len(name)}@barrier.ru>"))
    assert out.action == "created", out
    [stored] = Desk(mdesk.root).load_ticket(out.ticket_id).attachments
    assert stored.endswith(".png") and len(stored.encode()) <= NAME_BYTES and stored[0] == name[0]
    assert (mdesk.root / "attachments" / out.ticket_id / stored).read_bytes() == PNG


def test_safe_name_cuts_at_bytes_between_characters_and_keeps_the_extension_issue10_item4():
    for name in ("😀" * 130 + ".png", "中" * 100 + ".jpeg", "a" * 300, "x." + "y" * 300, "é" * 200 + ".PNG"):
        cut = safe_name(name)
        assert len(cut.encode("utf-8")) <= NAME_BYTES and cut[0] == name[0]
        assert len((cut + "-12345").encode("utf-8")) <= 255  # room for the de-duplication suffix
    assert safe_name("中" * 100 + ".jpeg").endswith(".jpeg")
    assert safe_name("é" * 200 + ".PNG").endswith(".PNG")
    assert safe_name("отчёт.png") == "отчёт.png"
    assert safe_name("a\udcff\ud800b.png") == "a__b.png"  # lone surrogates never reach the file system


# -- siblings found on the way -----------------------------------------------------------------------

def test_a_rating_followed_by_a_long_run_of_spaces_is_read_quickly_issue10_item2():
    from supportctl.mail.classify import rating

    seconds, found = _timed(rating, "спасибо, оценка" + " " * 100000 + "x")
    assert found is None and seconds < 2, seconds  # the old pattern backtracked: 21 s for 20,000 spaces
    assert [rating(t) for t in ("Оценка: 5", "оценка 4/5", "rating - 3", "оценку—5")] == [5, 4, 3, 5]


def test_the_faster_mime_parser_builds_the_same_tree_as_the_stdlib():
    """The parser skips the boundary checks only for lines no boundary can match."""
    from email import policy
    from email.parser import BytesParser
    from mailkit import bounce

    mails = [nested(6, "<t1@x>"), bounce("a@b.ru"),
             multipart(text_part("--\r\n-- \r\n--B-not\r\n"), file_part("a.png"), file_part("b.png"), mid="<t2@x>"),
             plain(body="--\r\n\r\n\r\n", mid="<t3@x>")]
    for raw in mails:
        ours, theirs = parse(raw).message, BytesParser(policy=policy.default).parsebytes(raw)
        assert [(p.get_content_type(), p.get_payload() if not p.is_multipart() else None) for p in ours.walk()] == \
               [(p.get_content_type(), p.get_payload() if not p.is_multipart() else None) for p in theirs.walk()]


@pytest.mark.parametrize("field", [
    "Content-Disposition: attachment; " + "; ".join(f"filename*{i}*=%D0%B0" for i in range(8000)),  # RFC 2231
    "Content-Disposition: attachment; filename=\"" + " ".join(["=?utf-8?q?ab?="] * 8000) + "\"",   # RFC 2047
    "Content-Type: image/png; " + "; ".join(f"name*{i}=a" for i in range(8000)),
])
def test_a_long_structured_header_of_a_part_is_quarantined_quickly_issue10_item2(mdesk, field):
    """The stdlib parses these in quadratic time (23 s for 8,000 continuations); a field over 16 KiB is refused."""
    raw = multipart(text_part(), f"{field}\r\n\r\nx", mid="<field@barrier.ru>")
    seconds, out = _timed(ingest, mdesk, raw)
    assert out.action == "quarantined" and "header longer than" in out.detail and seconds < 5, (seconds, out)


def test_a_long_header_the_classifier_parses_is_quarantined_quickly_issue10_item2(mdesk):
    raw = plain(mid="<xloop@barrier.ru>", headers="X-Loop: " + " ".join(["=?utf-8?q?ab?="] * 15000) + "\r\n")
    seconds, out = _timed(ingest, mdesk, raw)
    assert out.action == "quarantined" and seconds < 5, (seconds, out)


def test_a_mail_of_many_mime_parameters_is_quarantined_quickly_issue10_item2(mdesk):
    """202 parts with 4 KiB of RFC 2231 sections each (1 MB) took 20 s in the stdlib's header parser."""
    params = "; ".join(f"filename*{i}*=%D0%B0%D0%B0" for i in range(180))
    raw = multipart(text_part(), *[f"Content-Type: image/png\r\nContent-Disposition: attachment; {params}\r\n\r\nx"]
                    * 200, mid="<params@barrier.ru>")
    seconds, out = _timed(ingest, mdesk, raw)
    assert out.action == "quarantined" and "parameters" in out.detail and seconds < 5, (seconds, out)
