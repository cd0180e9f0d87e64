"""The pages of the static site (issue 15): HTML with one CSS file, readable without JavaScript.

``render(site)`` turns what ``services.site.collect`` gathered into ``{path in the site: bytes}``.
Every text is escaped (subjects and journals come from strangers' mail), every link is relative and
stays inside the site, every file name comes from a ticket ID or an organisation's slug; attachments
are linked under generated names with their own names shown as text. Only the queue pages and the
reports carry the time of the run: a ticket's or a customer's page changes only when what it shows
does, so a second run rewrites only those (services.site.publish). The reports are the HTML reports
of `report X --format html` (reports/render.py), with the site's navigation added.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace
from typing import Callable, Iterator

from supportctl.domain.messages import TIMER_NAMES, status_name
from supportctl.domain.values import format_local
from supportctl.reports.journal import progress_line
from supportctl.reports.model import pick
from supportctl.reports.period import Period
from supportctl.reports.render import duration, html_table, to_html
from supportctl.services.site import CustomerData, Site, TicketData, slug

_SPECIAL = re.compile(r"[&<>\"']")


def e(text: str) -> str:
    """html.escape, quotes included; most texts have nothing to escape and are returned as they are."""
    return html.escape(text) if _SPECIAL.search(text) else text


T = {  # (Russian, English): the words of the pages
    "queue": ("Очередь заявок", "Ticket queue"),
    "customers": ("Заказчики", "Customers"),
    "reports": ("Отчёты", "Reports"),
    "generated": ("Сформировано", "Generated"),
    "filters": ("Отбор", "Filter"),
    "by_assignee": ("По ответственному", "By assignee"),
    "by_org": ("По организации", "By organisation"),
    "by_state": ("По состоянию", "By state"),
    "all": ("Вся очередь", "The whole queue"),
    "empty_queue": ("Нет заявок в работе.", "No tickets in progress."),
    "ticket": ("Заявка", "Ticket"),
    "p": ("П", "P"),
    "status": ("Статус", "Status"),
    "sla": ("SLA", "SLA"),
    "due": ("Срок", "Due"),
    "org": ("Организация", "Organisation"),
    "subject": ("Тема", "Subject"),
    "assignee": ("Ответственный", "Assignee"),
    "new": ("Новые", "New"),
    "open": ("Открытые", "Open"),
    "waiting": ("Ожидание", "Waiting"),
    "at_risk": ("Под угрозой", "At risk"),
    "breached": ("Просрочены", "Breached"),
    "priority": ("Приоритет", "Priority"),
    "contact": ("Контактное лицо", "Contact"),
    "contract": ("Контракт", "Contract"),
    "plan": ("Уровень обслуживания", "Service plan"),
    "valid": ("Срок действия", "Valid"),
    "products": ("Продукты", "Products"),
    "channel": ("Канал", "Channel"),
    "category": ("Категория", "Category"),
    "product": ("Продукт", "Product"),
    "received": ("Поступила", "Received"),
    "registered": ("Зарегистрирована", "Registered"),
    "completed": ("Завершена", "Completed"),
    "closed": ("Закрыта", "Closed"),
    "rating": ("Оценка", "Rating"),
    "eta": ("Ожидаемый срок решения", "Expected resolution"),
    "spent": ("Затрачено", "Time spent"),
    "hold": ("Причина ожидания", "Hold reason"),
    "unverified": ("Не проверена", "Unverified"),
    "timers": ("Сроки (SLA)", "Deadlines (SLA)"),
    "timer": ("Срок", "Timer"),
    "target": ("Норматив", "Target"),
    "deadline": ("Крайний срок", "Deadline"),
    "state": ("Состояние", "State"),
    "stopped": ("Остановлен", "Stopped"),
    "no_timers": ("Сроки не считаются: нет времени поступления.", "No deadlines: no time of receipt."),
    "text": ("Текст обращения", "Request"),
    "journal": ("Ход решения", "Progress"),
    "empty_journal": ("Записей нет.", "No entries."),
    "attachments": ("Вложения", "Attachments"),
    "not_copied": ("не скопировано", "not copied"),
    "related": ("Связанные заявки", "Related tickets"),
    "merged_into": ("объединена с", "merged into"),
    "merged_here": ("объединена в эту", "merged into this one"),
    "linked": ("связана", "linked"),
    "thread": ("та же переписка", "same mail thread"),
    "open_tickets": ("Заявки в работе", "Tickets in progress"),
    "recent": ("Недавно решённые", "Recently finished"),
    "none": ("Нет.", "None."),
    "sla_month": ("Соблюдение сроков", "SLA compliance"),
    "customer_page": ("Организация", "Organisation"),
    "no_customers": ("Заказчиков нет.", "No customers."),
    "tickets_count": ("Заявок", "Tickets"),
}
STATE_NAMES = {
    "on_track": ("в срок", "on track"), "at_risk": ("под угрозой", "at risk"), "breached": ("просрочен", "breached"),
    "met": ("выполнен", "met"), "missed": ("нарушен", "missed"), "paused": ("пауза", "paused"),
}
MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")

CSS = """
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#222;font-size:15px;line-height:1.4}
header{background:#2b3a4a;padding:.6em 1em}header a{color:#fff;margin-right:1.2em;text-decoration:none}
header a:hover{text-decoration:underline}
main{padding:1em;max-width:1400px}
h1{font-size:1.4em;margin:.2em 0 .4em;overflow-wrap:anywhere}h2{font-size:1.15em;margin-top:1.5em}
a{color:#1d5fa5}
.meta{color:#555;margin:.2em 0 1em}
.counts{display:flex;flex-wrap:wrap;gap:.5em;margin:0 0 1em;padding:0;list-style:none}
.counts li{border:1px solid #ccd;border-radius:4px;padding:.3em .7em;background:#f6f7f9}
.counts b{font-size:1.2em;margin-right:.3em}
details{margin:0 0 1em}details ul{margin:.3em 0;padding-left:1.2em}
.filters{display:flex;flex-wrap:wrap;gap:0 2em}.filters div{min-width:14em}
table{border-collapse:collapse;margin:.5em 0;max-width:100%}
th,td{border:1px solid #c5c9d0;padding:4px 8px;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{background:#eef1f5}
td.num,th.num{text-align:right}td.nowrap,td.num{white-space:nowrap}
.wide{overflow-x:auto;max-width:100%}.wide th,.wide td{overflow-wrap:normal}
tr.breached td{background:#fbe0e0}tr.at_risk td{background:#fff1cc}tr.paused td{background:#eceff3}
tr.missed td{background:#fdeeee}
.state{font-weight:bold}.state.breached,.state.missed{color:#a31515}.state.at_risk{color:#8a5a00}
.state.met,.state.on_track{color:#246b2d}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0 0 1em}
dl.fields dt{color:#555}dl.fields dd{margin:0;overflow-wrap:anywhere}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f7f9;border:1px solid #dde;padding:.6em;margin:0}
ol.journal{list-style:none;padding:0;margin:0}
ol.journal li{border-bottom:1px solid #e3e6ea;padding:.3em 0;white-space:pre-wrap;overflow-wrap:anywhere}
ol.journal time{color:#555;font-variant-numeric:tabular-nums}.by{color:#777;font-size:.9em}
.empty{color:#777;font-style:italic}
@media (max-width:700px){
main{padding:.6em}
table.queue,table.queue tbody,table.queue tr,table.queue td{display:block;width:100%}
table.queue thead{display:none}
table.queue tr{border:1px solid #c5c9d0;margin:0 0 .6em}
table.queue td{border:0;padding:2px 8px;text-align:left}
table.queue td::before{content:attr(data-label) ": ";color:#555}
dl.fields{grid-template-columns:1fr}dl.fields dd{margin:0 0 .4em}
}
""".strip() + "\n"


# the HTML reports are made for A4; on a screen narrower than a table the table scrolls in its own box
REPORT_SCREEN_CSS = ("<style>@media screen{table{display:block;overflow-x:auto;max-width:100%}}"
                     "@media screen and (max-width:700px){body{margin:.6em}}</style>")


def render(site: Site) -> Iterator[tuple[str, bytes]]:
    """The site's pages but those of the tickets (``ticket_files``): (path in the site, content)."""
    r = _Renderer(site)
    yield "style.css", CSS.encode("utf-8")
    yield from r.queues().items()
    yield from r.reports().items()  # before the customers: their pages show rows of the SLA reports
    for customer in site.customers:
        yield f"customers/{customer.slug}.html", r.customer_page(customer)
    if site.cabinet is None:
        yield "customers/index.html", r.customer_index()


def ticket_files(site: Site) -> Callable[[TicketData], list[tuple[str, bytes]]]:
    """What to write for one ticket: its page and the copies of its attachments."""
    r = _Renderer(site)

    def files(data: TicketData) -> list[tuple[str, bytes]]:
        found = [(f"tickets/{data.ticket.id}.html", r.ticket_page(data))]
        found += [(a.path, a.data) for a in data.attachments if a.path is not None and a.data is not None]
        return found

    return files


def render_all(site: Site) -> dict[str, bytes]:
    """Every file of the site at once (tests, pictures)."""
    from supportctl.services.site import complete

    pages = dict(render(site))
    files = ticket_files(site)
    for data in site.tickets.values():
        complete(site, data)
        pages.update(files(data))
    return pages


def month_name(period: Period, lang: str) -> str:
    return f"{(MONTHS_EN if lang == 'en' else MONTHS)[period.first.month - 1]} {period.first.year}"


def month_key(period: Period) -> str:
    return f"{period.first.year:04d}-{period.first.month:02d}"


class _Renderer:
    def __init__(self, site: Site):
        self.site = site
        self.lang = site.lang
        self._rows: dict[tuple[str, str], str] = {}
        self.labels = {key: e(pick(pair, self.lang)) for key, pair in T.items()}  # escaped once
        self.L = SimpleNamespace(**self.labels)
        self._states = {state: f'<span class="state {e(state)}">{e(pick(name, self.lang))}</span>'
                        for state, name in STATE_NAMES.items()}

    def t(self, key: str) -> str:
        return pick(T[key], self.lang)

    def when(self, at: datetime | None) -> str:
        return format_local(at, self.site.tz) or "—"

    def page(self, path: str, title: str, body: list[str]) -> bytes:
        depth = path.count("/")
        up = "../" * depth
        site = self.site
        nav = [f'<a href="{up}index.html">{self.L.queue}</a>']
        if site.cabinet is not None:
            nav.append(f'<a href="{up}customers/{site.cabinet.slug}.html">{self.L.customer_page}</a>')
        else:
            nav.append(f'<a href="{up}customers/index.html">{self.L.customers}</a>')
        nav.append(f'<a href="{up}reports/index.html">{self.L.reports}</a>')
        canonical = f'<link rel="canonical" href="{e(site.base_url + path)}">' if site.base_url else ""
        head = (f'<!DOCTYPE html>\n<html lang="{e(self.lang)}">\n<head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="referrer" content="no-referrer">'
                f"<title>{e(title)}</title>"
                f'<link rel="stylesheet" href="{up}style.css">{canonical}</head>\n<body>\n'
                f'<header><nav>{"".join(nav)}</nav></header>\n<main>\n')
        return (head + "\n".join(body) + "\n</main>\n</body>\n</html>\n").encode("utf-8")

    def ticket_link(self, ticket_id: str, up: str) -> str:
        return f'<a href="{up}tickets/{e(ticket_id)}.html">{e(ticket_id)}</a>'

    def state(self, state: str | None) -> str:
        if not state:
            return "—"
        return self._states.get(state) or f'<span class="state">{e(state)}</span>'

    # ------------------------------------------------------------ queue

    def queues(self) -> dict[str, bytes]:
        """index.html, and the same queue filtered by assignee, organisation and state (queue/…)."""
        site = self.site
        queue = site.queue
        groups: dict[str, tuple[str, str, list[TicketData]]] = {}
        by_assignee: dict[str, list[TicketData]] = defaultdict(list)
        by_org: dict[str, list[TicketData]] = defaultdict(list)
        names: dict[str, str] = {}
        for d in queue:
            if d.ticket.assignee:
                key = "assignee-" + slug(d.ticket.assignee)
                by_assignee[key].append(d)
                names.setdefault(key, d.ticket.assignee)
            if d.ticket.org:
                key = "org-" + slug(d.ticket.org)
                by_org[key].append(d)
                names.setdefault(key, d.ticket.org)
        filters: list[tuple[str, list[tuple[str, str, int]]]] = []
        # a customer's cabinet is filtered by state only: its queue names no specialist
        lists = [("by_assignee", by_assignee), ("by_org", by_org)] if site.cabinet is None else []
        for heading, grouped in lists:
            links = []
            for key in sorted(grouped, key=lambda k: names[k].casefold()):
                groups[key] = (self.t(heading), names[key], grouped[key])
                links.append((f"queue/{key}.html", names[key], len(grouped[key])))
            filters.append((heading, links))
        state_links = []
        for state in ("new", "open", "waiting", "at_risk", "breached"):
            chosen = self.in_state(queue, state)
            groups[f"state-{state}"] = (self.t("by_state"), self.t(state), chosen)
            state_links.append((f"queue/state-{state}.html", self.t(state), len(chosen)))
        filters.append(("by_state", state_links))
        pages = {"index.html": self.queue_page("index.html", self.t("queue"), queue, filters)}
        for key, (heading, name, chosen) in groups.items():
            path = f"queue/{key}.html"
            pages[path] = self.queue_page(path, f"{self.t('queue')}: {heading} — {name}", chosen, filters)
        return pages

    @staticmethod
    def in_state(queue: list[TicketData], state: str) -> list[TicketData]:
        if state in ("new", "open", "waiting"):
            return [d for d in queue if d.ticket.status == state]
        return [d for d in queue if state in d.running]

    def queue_page(self, path: str, title: str, queue: list[TicketData], filters) -> bytes:
        up = "../" * path.count("/")
        counts = "".join(f"<li><b>{len(self.in_state(queue, s))}</b>{self.labels[s]}</li>"
                         for s in ("new", "open", "waiting", "at_risk", "breached"))
        body = [f"<h1>{e(title)}</h1>",
                f'<p class="meta">{self.L.generated}: {e(self.when(self.site.now))}</p>',
                f'<ul class="counts">{counts}</ul>',
                f'<details><summary>{self.L.filters}</summary><div class="filters">'
                f'<div><ul><li><a href="{up}index.html">{self.L.all}</a></li></ul></div>']
        for heading, links in filters:
            body.append(f"<div><b>{self.labels[heading]}</b><ul>" + "".join(
                f'<li><a href="{up}{e(link)}">{e(name)}</a> ({n})</li>' for link, name, n in links) + "</ul></div>")
        body.append("</div></details>")
        body.append(self.ticket_table(queue, up, self.t("empty_queue")))
        return self.page(path, title, body)

    def ticket_table(self, tickets: list[TicketData], up: str, empty: str) -> str:
        if not tickets:
            return f'<p class="empty">{e(empty)}</p>'
        columns = ["ticket", "p", "status", "sla", "due", "subject"]
        if self.site.cabinet is None:
            columns[5:5] = ["org"]
            columns.append("assignee")
        heads = "".join(f"<th>{self.labels[c]}</th>" for c in columns)
        rows = []
        for d in tickets:
            row = self._rows.get((d.ticket.id, up))
            if row is None:
                row = self._rows[d.ticket.id, up] = self.ticket_row(d, up, columns)
            rows.append(row)
        return (f'<table class="queue"><thead><tr>{heads}</tr></thead><tbody>\n' + "\n".join(rows)
                + "\n</tbody></table>")

    def ticket_row(self, d: TicketData, up: str, columns: list[str]) -> str:
        """One ticket's row of the queue tables (made once per page depth: a ticket is in several lists)."""
        t = d.ticket
        cells = {
            "ticket": f'<td class="nowrap">{self.ticket_link(t.id, up)}</td>',
            "p": f'<td class="num">{t.priority or "—"}</td>',
            "status": f"<td>{e(status_name(t.status, self.lang))}</td>",
            "sla": f"<td>{self.state(d.state)}</td>",
            "due": f'<td class="nowrap">{e(self.when(d.due))}</td>',
            "org": f"<td>{e(t.org or '—')}</td>",
            "subject": f"<td>{e(t.subject)}</td>",
            "assignee": f"<td>{e(t.assignee or '—')}</td>",
        }
        labelled = [cells[c].replace("<td", f'<td data-label="{self.labels[c]}"', 1) for c in columns]
        return f'<tr class="{e(d.state or "none")}">' + "".join(labelled) + "</tr>"

    # ------------------------------------------------------------ a ticket

    def ticket_page(self, d: TicketData) -> bytes:
        t, lang, cabinet = d.ticket, self.lang, self.site.cabinet is not None
        path = f"tickets/{t.id}.html"
        up = "../"
        fields: list[tuple[str, str]] = [
            ("status", e(status_name(t.status, lang)) + (f" ({e(t.hold_reason)})" if t.hold_reason and not cabinet
                                                         else "")),
            ("priority", str(t.priority) if t.priority else "—"),
            ("org", e(t.org or "—") if cabinet or not t.org else
             f'<a href="{up}customers/{slug(t.org)}.html">{e(t.org)}</a>'),
            ("contact", e(", ".join(x for x in (t.contact.name, t.contact.position, t.contact.phone,
                                               t.contact.email) if x) or "—")),
        ]
        if not cabinet:
            fields += [("contract", e(t.contract or "—") + (f" ({e(t.plan)})" if t.plan else "")),
                       ("channel", e(t.channel)), ("category", e(t.category or "—")),
                       ("product", e(t.product or "—")), ("assignee", e(t.assignee or "—"))]
            if not t.verified:
                fields.append(("unverified", e(t.unverified_reason or "—")))
        fields += [("received", e(self.when(t.received_at))), ("registered", e(self.when(t.registered_at)))]
        if t.eta:
            fields.append(("eta", e(f"{self.when(t.eta.date)} {t.eta.text}")))
        if t.completed_at:
            fields.append(("completed", e(self.when(t.completed_at))))
        if t.closed_at:
            fields.append(("closed", e(self.when(t.closed_at))))
        if t.rating:
            fields.append(("rating", str(t.rating)))
        if not cabinet and t.spent_minutes:
            fields.append(("spent", e(duration(t.spent_minutes, lang))))
        title = f"{self.t('ticket')} {t.id}: {t.subject}" if t.subject else f"{self.t('ticket')} {t.id}"
        body = [f"<h1>{e(title)}</h1>", '<dl class="fields">'
                + "".join(f"<dt>{self.labels[k]}</dt><dd>{v}</dd>" for k, v in fields) + "</dl>"]
        body += [f"<h2>{self.L.timers}</h2>", self.timers(d)]
        if t.text.strip():
            body += [f"<h2>{self.L.text}</h2>", f'<p class="text">{e(t.text.strip())}</p>']
        if d.attachments:
            items = []
            for a in d.attachments:
                if a.path is not None:
                    items.append(f'<li><a href="{up}{e(a.path)}" download="{e(a.name)}">{e(a.name)}</a></li>')
                else:
                    items.append(f"<li>{e(a.name)} <span class=\"empty\">({self.L.not_copied})</span></li>")
            body += [f"<h2>{self.L.attachments}</h2>", "<ul>" + "".join(items) + "</ul>"]
        if d.related:
            site = self.site
            items = [f"<li>{self.labels[how]} {self.ticket_link(other, up)}: {e(site.tickets[other].ticket.subject)}</li>"
                     for how, other in d.related]
            body += [f"<h2>{self.L.related}</h2>", "<ul>" + "".join(items) + "</ul>"]
        body.append(f"<h2>{self.L.journal}</h2>")
        if d.entries:
            lines = []
            for entry in d.entries:
                stamp, _, text = progress_line(entry, self.site.tz).partition(" \\ ")
                by = "" if cabinet else f' <span class="by">({e(entry.by)}, {e(entry.kind)})</span>'
                lines.append(f"<li><time>{e(stamp)}</time> \\ {e(text)}{by}</li>")
            body.append('<ol class="journal">' + "".join(lines) + "</ol>")
        else:
            body.append(f'<p class="empty">{self.L.empty_journal}</p>')
        return self.page(path, title, body)

    def timers(self, d: TicketData) -> str:
        timers = d.sla.timers
        if not timers:
            return f'<p class="empty">{self.L.no_timers}</p>'
        rows = []
        for name, timer in timers:
            rows.append(f'<tr class="{e(timer.state)}"><td>{e(TIMER_NAMES[name]["en" if self.lang == "en" else "ru"])}'
                        f"</td><td>{e(duration(int(timer.target_duration.total_seconds() // 60), self.lang))}</td>"
                        f'<td class="nowrap">{e(self.when(timer.deadline))}</td><td>{self.state(timer.state)}</td>'
                        f'<td class="nowrap">{e(self.when(timer.stopped_at)) if timer.stopped_at else "—"}</td></tr>')
        heads = "".join(f"<th>{self.labels[k]}</th>" for k in ("timer", "target", "deadline", "state", "stopped"))
        return f'<div class="wide"><table><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'

    # ------------------------------------------------------------ customers

    def customer_page(self, c: CustomerData) -> bytes:
        path = f"customers/{c.slug}.html"
        up = "../"
        fields = []
        known = c.customer
        if known is not None:
            valid = " – ".join(x.strftime("%d.%m.%Y") if x else "…" for x in (known.valid_from, known.valid_to))
            fields += [("contract", e(known.contract or "—")), ("plan", e(known.plan or "—")), ("valid", e(valid))]
            if known.products:
                fields.append(("products", e(", ".join(known.products))))
        body = [f"<h1>{e(c.org)}</h1>"]
        if fields:
            body.append('<dl class="fields">' + "".join(f"<dt>{self.labels[k]}</dt><dd>{v}</dd>" for k, v in fields)
                        + "</dl>")
        for report, section in c.sla:
            body += [f"<h2>{self.L.sla_month}: {e(month_name(report.scope.period, self.lang))}</h2>",
                     f'<div class="wide">{html_table(report, section)}</div>']
        body += [f"<h2>{self.L.open_tickets}</h2>", self.ticket_table(c.open, up, self.t("none")),
                 f"<h2>{self.L.recent}</h2>", self.ticket_table(c.recent, up, self.t("none"))]
        return self.page(path, c.org, body)

    def customer_index(self) -> bytes:
        path = "customers/index.html"
        customers = self.site.customers
        if not customers:
            body = [f'<p class="empty">{self.L.no_customers}</p>']
        else:
            items = "".join(f'<li><a href="{c.slug}.html">{e(c.org)}</a> ({len(c.open)})</li>' for c in customers)
            body = [f"<ul>{items}</ul>"]
        return self.page(path, self.t("customers"), [f"<h1>{self.L.customers}</h1>", *body])

    # ------------------------------------------------------------ reports

    def reports(self) -> dict[str, bytes]:
        """The HTML reports of `report NAME --format html`, with a line of navigation back into the site."""
        pages: dict[str, bytes] = {}
        items = []
        for name, period, report in self.site.reports:
            path = f"reports/{name}-{month_key(period)}.html"
            nav = (f'<p><a href="../index.html">{self.L.queue}</a> · '
                   f'<a href="index.html">{self.L.reports}</a></p>')
            pages[path] = (to_html(report).replace("</head>", REPORT_SCREEN_CSS + "</head>", 1)
                           .replace("<body>\n", "<body>\n" + nav + "\n", 1).encode("utf-8"))
            items.append(f'<li><a href="{e(path.split("/")[1])}">{e(report.text(report.title))}, '
                         f'{e(month_name(period, self.lang))}</a></li>')
        pages["reports/index.html"] = self.page("reports/index.html", self.t("reports"),
                                                [f"<h1>{self.L.reports}</h1>", "<ul>" + "".join(items) + "</ul>"])
        return pages
