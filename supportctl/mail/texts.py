"""Short texts of the mail channel: notes inside notifications and its journal lines (ru/en)."""

from __future__ import annotations

from supportctl.domain.messages import pick

_TEXTS = {
    # inside notifications (the customer reads them)
    "dear": {"ru": "уважаемый Заказчик", "en": "dear customer"},
    "refused_attachments": {"ru": "Не приняты вложения:", "en": "Attachments not accepted:"},
    "unverified": {"ru": "Ваш адрес не найден среди контактных лиц Заказчиков, поэтому заявка принята "
                         "с уровнем обслуживания по умолчанию.",
                   "en": "Your address is not a registered contact of a customer, so the ticket gets "
                         "the default level of service."},
    "followup_of_closed": {"ru": "Ваше письмо относилось к закрытой заявке {other}, поэтому открыта новая "
                                 "заявка, связанная с ней.",
                           "en": "Your mail referred to the closed ticket {other}, so a new ticket linked "
                                 "to it has been opened."},
    "priority_1": {"ru": "аварийная: продукт не работает", "en": "emergency: the product does not work"},
    "priority_2": {"ru": "аварийная: продукт работает частично", "en": "emergency: the product works partly"},
    "priority_3": {"ru": "консультация", "en": "technical consultation"},
    "priority_4": {"ru": "доработка", "en": "improvement request"},
    "unit_m": {"ru": "{n} мин", "en": "{n} minutes"},
    "unit_h": {"ru": "{n} ч", "en": "{n} hours"},
    "unit_d": {"ru": "{n} дн.", "en": "{n} days"},
    "oversize": {"ru": "{name}: больше допустимого размера {limit}", "en": "{name}: larger than the limit of {limit}"},
    "unknown_sender": {"ru": "адрес {sender} не зарегистрирован как контактное лицо Заказчика",
                       "en": "{sender} is not a registered contact of a customer"},
    # journal lines (the specialists read them)
    "mail_sent": {"ru": "Письмо Заказчику ({to}): {subject}", "en": "Mail to the customer ({to}): {subject}"},
    "mail_queued": {"ru": "Письмо Заказчику поставлено в очередь ({to}): {subject}",
                    "en": "Mail to the customer queued ({to}): {subject}"},
    "mail_limited": {"ru": "Автоответ {to} не отправлен: превышен лимит автоответов.",
                     "en": "No auto-reply to {to}: the auto-reply limit is reached."},
    "attachments_refused": {"ru": "Вложения не приняты (R-7.6): {list}", "en": "Attachments refused (R-7.6): {list}"},
    "duplicate": {"ru": "Повторное письмо от {sender} с той же темой и текстом (IS-1), новая заявка не создана.",
                  "en": "Repeated mail from {sender} with the same subject and text (IS-1); no new ticket."},
    "foreign": {"ru": "Письмо от {sender} по этой заявке отложено: отправитель не относится к Заказчику "
                      "заявки ({where}).",
                "en": "Mail from {sender} about this ticket set aside: the sender does not belong to the "
                      "ticket's customer ({where})."},
    "foreign_new": {"ru": "Письмо ссылалось на заявку {other}, но отправитель {sender} не относится к её "
                          "Заказчику; открыта отдельная заявка.",
                    "en": "The mail referred to ticket {other}, but the sender {sender} does not belong to its "
                          "customer; a separate ticket was opened."},
    "closed_followup": {"ru": "Письмо по закрытой заявке; по правилам стола ({policy}).",
                        "en": "Mail about a closed ticket; desk policy: {policy}."},
    "continued_in": {"ru": "Продолжение в новой заявке {other}.", "en": "Continued in the new ticket {other}."},
    "confirmed": {"ru": "Заказчик подтвердил решение по почте.", "en": "The customer confirmed by mail."},
    "unclear": {"ru": "Ответ Заказчика не распознан как подтверждение; решение за специалистом.",
                "en": "The customer's answer is not a clear confirmation; a specialist decides."},
}


def text(key: str, lang: str = "ru", **values: object) -> str:
    return pick(_TEXTS, key, lang, **values)
