"""Short texts of the mail channel: notes inside notifications and its journal lines (ru/en)."""

from __future__ import annotations

from supportctl.domain.messages import pick, unverified_reason

_TEXTS = {
    # inside notifications (the customer reads them)
    "dear": {"ru": "уважаемый Заказчик", "en": "dear customer"},
    "greeting": {"ru": "Здравствуйте, {name}!", "en": "Hello {name},"},
    "greeting_plain": {"ru": "Здравствуйте!", "en": "Hello,"},
    "refused_attachments": {"ru": "Не приняты вложения:", "en": "Attachments not accepted:"},
    "bmp": {"ru": "{name}: изображения BMP принимаются только упакованными в архив ZIP или RAR",
            "en": "{name}: BMP images are accepted only packed in a ZIP or RAR archive"},
    "mismatch": {"ru": "{name}: по имени это файл {claimed}, а по содержимому — {kind}",
                 "en": "{name}: the name says {claimed} but the content is {kind}"},
    "unverified": {"ru": "{reason}, поэтому заявка принята с уровнем обслуживания по умолчанию.",
                   "en": "{reason}, so the ticket gets the default level of service."},
    "followup_of_closed": {"ru": "Ваше письмо относилось к закрытой заявке {other}, поэтому открыта новая "
                                 "заявка, связанная с ней.",
                           "en": "Your mail referred to the closed ticket {other}, so a new ticket linked "
                                 "to it has been opened."},
    # "приоритет" is masculine: "Приоритет: 1 (аварийный: продукт не работает)"
    "priority_1": {"ru": "аварийный: продукт не работает", "en": "emergency: the product does not work"},
    "priority_2": {"ru": "аварийный: продукт работает частично", "en": "emergency: the product works partly"},
    "priority_3": {"ru": "консультация", "en": "technical consultation"},
    "priority_4": {"ru": "доработка", "en": "improvement request"},
    "oversize": {"ru": "{name}: больше допустимого размера {limit}", "en": "{name}: larger than the limit of {limit}"},
    "too_many_attachments": {"ru": "не приняты вложения сверх {limit} (ещё {count}): одно письмо может нести не более {limit} вложений",
                             "en": "{count} more attachment(s) not accepted: at most {limit} per mail"},
    "size_units": {"ru": "ГБ МБ КБ Б", "en": "GB MB KB B"},
    # journal lines (the specialists read them)
    "mail_sent": {"ru": "Письмо Заказчику ({to}): {subject}", "en": "Mail to the customer ({to}): {subject}"},
    "mail_queued": {"ru": "Письмо Заказчику поставлено в очередь ({to}): {subject}",
                    "en": "Mail to the customer queued ({to}): {subject}"},
    "mail_failed": {"ru": "Письмо Заказчику не отправлено: {error}", "en": "Mail to the customer not sent: {error}"},
    "mail_delivered": {"ru": "Письмо Заказчику принято почтовым сервером ({to}): {subject}",
                       "en": "Mail to the customer accepted by the mail server ({to}): {subject}"},
    "mail_refused": {"ru": "Письмо Заказчику не доставлено ({to}): {error}",
                     "en": "Mail to the customer not delivered ({to}): {error}"},
    "mail_limited": {"ru": "Автоответ {to} не отправлен: превышен лимит автоответов.",
                     "en": "No auto-reply to {to}: the auto-reply limit is reached."},
    # escalations: the assignee and the desk's leads read them
    "escalation_subject": {"ru": "[{id}] {timer}: {state} (срок {deadline})",
                           "en": "[{id}] {timer}: {state} (deadline {deadline})"},
    "escalation_body": {"ru": "Заявка {id}: {subject}\nЗаказчик: {org}\nПриоритет: {priority}\n"
                              "Ответственный: {assignee}\n{timer}: {state}, срок {deadline}, осталось {remaining}.",
                        "en": "Ticket {id}: {subject}\nCustomer: {org}\nPriority: {priority}\n"
                              "Assignee: {assignee}\n{timer}: {state}, deadline {deadline}, remaining {remaining}."},
    "escalation_no_eta": {"ru": "Заказчику не сообщён ожидаемый срок решения (п. 6.7 Регламента): "
                                "supportctl eta {id} ДАТА --text \"…\"",
                          "en": "The customer has not been told an expected resolution date (R-6.7): "
                                "supportctl eta {id} DATE --text \"…\""},
    "attachments_refused": {"ru": "Вложения не приняты: {list}", "en": "Attachments refused: {list}"},
    "cut_subject": {"ru": "Тема письма сокращена: {length} знаков, сохранены первые {limit}.",
                    "en": "The mail's subject was cut: {length} characters, the first {limit} kept."},
    "cut_html": {"ru": "Письмо в HTML сокращено: {length} знаков разметки, в текст переведены первые {limit}.",
                 "en": "The HTML mail was cut: {length} characters of markup, the first {limit} made text."},
    "duplicate": {"ru": "Повторное письмо от {sender} с той же темой и текстом (IS-1), новая заявка не создана.",
                  "en": "Repeated mail from {sender} with the same subject and text (IS-1); no new ticket."},
    "cc_no_verdict": {"ru": "{sender} в копии заявки, но не представляет Заказчика: письмо не считается "
                            "подтверждением или несогласием Заказчика (R-4.8).",
                      "en": "{sender} is copied on the ticket but does not speak for the customer: the mail is no "
                            "confirmation or dispute by the customer (R-4.8)."},
    "foreign": {"ru": "Письмо от {sender} по этой заявке отложено: {where}.",
                "en": "Mail from {sender} about this ticket set aside: {where}."},
    "foreign_not_contact": {"ru": "отправителя нет среди контактных лиц {org}",
                            "en": "the sender is not a contact of {org}"},
    "foreign_other_contact": {"ru": "контактное лицо заявки — {email}", "en": "the ticket's contact is {email}"},
    "foreign_no_contact": {"ru": "у заявки нет контактного адреса", "en": "the ticket has no contact address"},
    "foreign_new": {"ru": "Письмо ссылалось на заявку {other}, но отправитель {sender} не относится к её "
                          "Заказчику; открыта отдельная заявка.",
                    "en": "The mail referred to ticket {other}, but the sender {sender} does not belong to its "
                          "customer; a separate ticket was opened."},
    "closed_followup_reopen": {"ru": "Письмо по закрытой заявке: по правилам стола заявка возвращена в работу.",
                               "en": "Mail about a closed ticket: by the desk's rules the ticket is reopened."},
    "closed_followup_refuse": {"ru": "Письмо по закрытой заявке: по правилам стола заявка не возобновляется, "
                                     "Заказчику предложено написать новое письмо.",
                               "en": "Mail about a closed ticket: by the desk's rules it stays closed; the "
                                     "customer is asked to write a new mail."},
    "continued_in": {"ru": "Продолжение в новой заявке {other}.", "en": "Continued in the new ticket {other}."},
    "confirmed": {"ru": "Заказчик подтвердил решение по почте.", "en": "The customer confirmed by mail."},
    "unclear": {"ru": "Ответ Заказчика не распознан как подтверждение; решение за специалистом.",
                "en": "The customer's answer is not a clear confirmation; a specialist decides."},
}


# the customer's words for the reasons of customers.match: no file names, no one else's data
CUSTOMER_REASONS = {
    "unknown_customer": {"ru": "ваш адрес не найден среди контактных лиц Заказчиков",
                         "en": "your address is not a registered contact of a customer"},
    "contract_expired": {"ru": "срок действия договора{contract} истёк {date}",
                         "en": "the contract{contract} expired on {date}"},
    "contract_not_started": {"ru": "договор{contract} вступает в силу {date}",
                             "en": "the contract{contract} takes effect on {date}"},
}
for _code in ("unknown_org", "unknown_address", "unknown_contact"):
    CUSTOMER_REASONS[_code] = CUSTOMER_REASONS["unknown_customer"]


def customer_reason(code: str, values: dict, lang: str = "ru") -> str:
    """Why the sender did not get its customer's level of service, in the customer's words."""
    return unverified_reason(code, lang, CUSTOMER_REASONS, **values)


def unverified_note(code: str, values: dict, lang: str = "ru") -> str:
    """The sentence of the acknowledgement for an unverified sender, one per reason."""
    reason = customer_reason(code, values, lang)
    return text("unverified", lang, reason=reason[:1].upper() + reason[1:])


def attachment_refusal(name: str, head: bytes, lang: str = "ru") -> str | None:
    """R-7.6 in the customer's words (no rule IDs), or None when the file is accepted."""
    from supportctl.domain.attachments import refusal_kind

    found = refusal_kind(name, head)
    if found is None:
        return None
    why, claimed, kind = found
    return text(why, lang, name=name, claimed=claimed.upper(), kind=kind.upper())


def text(key: str, lang: str = "ru", **values: object) -> str:
    return pick(_TEXTS, key, lang, **values)


def greeting(full_name: str | None, lang: str = "ru") -> str:
    """«Здравствуйте, Иван Иванович!» from «Иванов Иван Иванович»; «Здравствуйте!» for any other
    shape of name (initials, a name alone), where a guess could go wrong. English: the name as given."""
    words = (full_name or "").split()
    if lang == "en":
        return text("greeting", lang, name=" ".join(words)) if words else text("greeting_plain", lang)
    from supportctl.domain.reply_templates import addressed_name

    name = addressed_name(full_name)
    return text("greeting", lang, name=name) if name else text("greeting_plain", lang)


_ZONE_NAMES = {"Europe/Moscow": {"ru": "МСК", "en": "MSK"}}


def zone_label(local, lang: str = "ru") -> str:
    """The zone of a local time as people name it: МСК; else the zone's abbreviation (CET), else UTC+05:00."""
    names = _ZONE_NAMES.get(str(getattr(local.tzinfo, "key", "")))
    if names:
        return names.get(lang) or names["ru"]
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"
