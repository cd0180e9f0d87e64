"""Journal texts the tool writes itself, in the desk's language (Russian by default)."""

from __future__ import annotations

STATUS_NAMES = {
    "ru": {"new": "Новая", "open": "Открыта", "waiting": "Ожидание", "completed": "Завершена",
           "closed": "Закрыта"},
    "en": {"new": "New", "open": "Open", "waiting": "Waiting", "completed": "Completed",
           "closed": "Closed"},
}

HOLD_REASONS = {
    # why work on a ticket may be delayed or impossible
    "cannot-reproduce": {"ru": "не удаётся воспроизвести, нет доступа к площадке Заказчика",
                         "en": "cannot reproduce, no access to the customer's site"},
    "need-info": {"ru": "Заказчик не предоставил достаточной информации",
                  "en": "the customer has not given enough information"},
    "needs-development": {"ru": "требуется глубокая диагностика, доработка или обновление продукта",
                          "en": "needs deep diagnosis, development or a product update"},
    "requirements-violated": {"ru": "нарушены требования к установке или эксплуатации",
                              "en": "installation or use requirements violated"},
    "unlicensed": {"ru": "нелицензионная копия", "en": "unlicensed copy"},
    "out-of-scope": {"ru": "вопрос вне рамок технической поддержки", "en": "question out of scope"},
    "customer-delay": {"ru": "Заказчик задерживает предоставление информации",
                       "en": "the customer is late with information"},
}

_TEXTS = {
    "received": {"ru": "Заявка получена ({channel}).", "en": "Ticket received ({channel})."},
    "registered": {"ru": "Передано в ТП. Приоритет {priority}.",
                   "en": "Registered. Priority {priority}."},
    # the wording of the regulation's journal form (Appendix 1); the priority has its own column
    "registered_assigned": {"ru": "Передано в ТП. Назначен ответственный {assignee}",
                            "en": "Registered. Assignee: {assignee}"},
    "assigned": {"ru": "Назначен ответственный {assignee}", "en": "Assignee: {assignee}"},
    "priority": {"ru": "Приоритет изменён с {old} на {new}: {reason}",
                 "en": "Priority changed from {old} to {new}: {reason}"},
    "hold": {"ru": "Ожидание: {reason}.", "en": "On hold: {reason}."},
    "resume": {"ru": "Работа по заявке возобновлена.", "en": "Work resumed."},
    "completed": {"ru": "Заявка завершена.", "en": "Ticket completed."},
    "closed": {"ru": "Заявка закрыта.", "en": "Ticket closed."},
    "closed_rated": {"ru": "Заявка закрыта. Оценка: {rating}.", "en": "Ticket closed. Rating: {rating}."},
    "autoclosed": {"ru": "Заказчик не ответил в течение {after} после завершения: заявка считается закрытой",
                   "en": "No answer from the customer within {after} of completion: the ticket is considered closed"},
    "reopened": {"ru": "Заявка возвращена в работу: {reason}", "en": "Ticket reopened: {reason}"},
    "linked": {"ru": "Связана с заявкой {other}.", "en": "Linked to ticket {other}."},
    "split": {"ru": "Новая проблема выделена в заявку {other}.", "en": "New problem split into ticket {other}."},
    "split_from": {"ru": "Выделена из заявки {other}.", "en": "Split from ticket {other}."},
    "eta": {"ru": "Ожидаемый срок решения {date}: {text}", "en": "Expected resolution {date}: {text}"},
}


def pick(catalog: dict[str, dict[str, str]], key: str, lang: str = "ru", **values: object) -> str:
    """One text of a catalog in ``lang`` (Russian when it has none), filled in."""
    template = catalog[key].get(lang) or catalog[key]["ru"]
    return template.format(**values)


def text(key: str, lang: str = "ru", **values: object) -> str:
    line = pick(_TEXTS, key, lang, **values)
    # a name may end with its own full stop ("Рудаков А."): one stop, not two
    return line if line.endswith((".", "!", "?", ":")) else line + "."


def hold_reason_text(reason: str, lang: str = "ru") -> str:
    return HOLD_REASONS.get(reason, {}).get(lang, reason)


def status_name(status: str, lang: str = "ru") -> str:
    return STATUS_NAMES.get(lang, STATUS_NAMES["ru"]).get(status, status)
