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
    "received": {"ru": "Заявка получена {channel}.", "en": "Ticket received {channel}."},
    "imported": {"ru": "Заявка импортирована.", "en": "Imported."},
    "verified": {"ru": "Заявка сопоставлена с Заказчиком {org} (контактное лицо {name}, договор {contract})",
                 "en": "Matched to the customer {org} (contact {name}, contract {contract})"},
    "still_unverified": {"ru": "Заказчик не подтверждён: {reason}", "en": "Customer not verified: {reason}"},
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
    "resume_until": {"ru": "Срок ожидания ({until}) истёк: работа по заявке возобновлена.",
                     "en": "The hold ended ({until}): work resumed."},
    "written_override": {"ru": "Принято в обход ограничения: {reason}", "en": "Accepted despite the rule: {reason}"},
    "escalated": {"ru": "Эскалация: {timer} — {state}, срок {deadline}; уведомлены: {to}",
                  "en": "Escalated: {timer} is {state}, deadline {deadline}; told: {to}"},
    "completed": {"ru": "Заявка завершена.", "en": "Ticket completed."},
    "closed": {"ru": "Заявка закрыта.", "en": "Ticket closed."},
    "closed_rated": {"ru": "Заявка закрыта. Оценка: {rating}.", "en": "Ticket closed. Rating: {rating}."},
    "autoclosed": {"ru": "Заказчик не ответил в течение {after} после завершения: заявка считается закрытой",
                   "en": "No answer from the customer within {after} of completion: the ticket is considered closed"},
    "reopened": {"ru": "Заявка возвращена в работу: {reason}", "en": "Ticket reopened: {reason}"},
    "linked": {"ru": "Связана с заявкой {other}.", "en": "Linked to ticket {other}."},
    "split": {"ru": "Новая проблема выделена в заявку {other}.", "en": "New problem split into ticket {other}."},
    "split_from": {"ru": "Выделена из заявки {other}.", "en": "Split from ticket {other}."},
    # `merge DUP --into ID`: the line of each side; a copied entry of DUP is marked with merged_mark
    "merged_into": {"ru": "Заявка закрыта как дубликат заявки {target}.",
                    "en": "Closed as a duplicate of ticket {target}."},
    "merged_in": {"ru": "Присоединена заявка-дубликат {dup} «{subject}»: её текст, журнал, вложения и переписка.",
                  "en": "Duplicate ticket {dup} \"{subject}\" merged in: its text, journal, attachments and mail."},
    "merged_mark": {"ru": "[из {dup}]", "en": "[from {dup}]"},
    "eta": {"ru": "Ожидаемый срок решения {date}: {text}", "en": "Expected resolution {date}: {text}"},
    "edited": {"ru": "{field} {verb}: «{old}» → «{new}»", "en": "{field} changed: “{old}” → “{new}”"},
}

# `supportctl edit`: the fields it changes, as the journal names them, with the Russian verb's gender
EDITED_FIELDS = {
    "subject": {"ru": ("Тема", "изменена"), "en": "Subject"},
    "text": {"ru": ("Текст заявки", "изменён"), "en": "Text"},
    "category": {"ru": ("Категория", "изменена"), "en": "Category"},
    "product": {"ru": ("Продукт", "изменён"), "en": "Product"},
    "contact.name": {"ru": ("Контактное лицо", "изменено"), "en": "Contact"},
    "contact.position": {"ru": ("Должность контактного лица", "изменена"), "en": "Contact's position"},
    "contact.phone": {"ru": ("Телефон контактного лица", "изменён"), "en": "Contact's phone"},
    "contact.email": {"ru": ("E-mail контактного лица", "изменён"), "en": "Contact's e-mail"},
    "cc": {"ru": ("Копия (Cc)", "изменена"), "en": "Cc"},
}

# the SLA timers and their states as the journal and the escalation mails name them
TIMER_NAMES = {
    "registration": {"ru": "срок регистрации", "en": "registration"},
    "first_response": {"ru": "срок первого ответа", "en": "first response"},
    "resolution": {"ru": "срок решения", "en": "resolution"},
}
TIMER_STATES = {
    "at_risk": {"ru": "под угрозой нарушения", "en": "at risk"},
    "breached": {"ru": "нарушен", "en": "breached"},
}

CHANNELS = {
    # "Заявка получена по электронной почте."; another official channel is named as it is
    "email": {"ru": "по электронной почте", "en": "by e-mail"},
    "portal": {"ru": "через портал", "en": "through the portal"},
    "phone": {"ru": "по телефону", "en": "by phone"},
}

# Why a ticket did not get its customer's level of service; customers.match gives the code.
UNVERIFIED_REASONS = {
    "unknown_customer": {"ru": "отправитель не найден среди Заказчиков",
                         "en": "the sender is not a customer"},
    "unknown_org": {"ru": "организации {org} нет среди Заказчиков", "en": "{org} is not a customer"},
    "unknown_address": {"ru": "адрес {email} не относится ни к одному Заказчику",
                        "en": "{email} does not belong to any customer"},
    "unknown_contact": {"ru": "{who} нет среди контактных лиц Заказчика {org}",
                        "en": "{who} is not a registered contact of {org}"},
    "contract_expired": {"ru": "срок действия договора{contract} с {org} истёк {date}",
                         "en": "the contract{contract} of {org} expired on {date}"},
    "contract_not_started": {"ru": "договор{contract} с {org} действует только с {date}",
                             "en": "the contract{contract} of {org} is valid only from {date}"},
    "imported_unverified": {"ru": "не подтверждён в импортированном реестре",
                            "en": "marked unverified in the imported register"},
}

_UNITS = {
    # a duration as people write it: "24 ч", "30 мин", "5 дн." (the abbreviations need no plural)
    "m": {"ru": ("{n} мин", "{n} мин"), "en": ("{n} minute", "{n} minutes")},
    "h": {"ru": ("{n} ч", "{n} ч"), "en": ("{n} hour", "{n} hours")},
    "d": {"ru": ("{n} дн.", "{n} дн."), "en": ("{n} day", "{n} days")},
}


def pick(catalog: dict[str, dict[str, str]], key: str, lang: str = "ru", **values: object) -> str:
    """One text of a catalog in ``lang`` (Russian when it has none), filled in."""
    template = catalog[key].get(lang) or catalog[key]["ru"]
    return template.format(**values)


def text(key: str, lang: str = "ru", **values: object) -> str:
    line = pick(_TEXTS, key, lang, **values)
    # a name may end with its own full stop ("Рудаков А."): one stop, not two
    return line if line.endswith((".", "!", "?", ":")) else line + "."


def edited_text(name: str, old: object, new: object, lang: str = "ru") -> str:
    """'Тема изменена: «Не работет АБС» → «Не работает АБС»': one field changed by `supportctl edit`."""
    names = EDITED_FIELDS[name]
    if lang == "en":
        field, verb = names["en"], ""
    else:
        field, verb = names["ru"]
    shown = [v if v not in (None, "") else "—" for v in (old, new)]
    return pick(_TEXTS, "edited", lang, field=field, verb=verb, old=shown[0], new=shown[1])


def hold_reason_text(reason: str, lang: str = "ru") -> str:
    return HOLD_REASONS.get(reason, {}).get(lang, reason)


def status_name(status: str, lang: str = "ru") -> str:
    return STATUS_NAMES.get(lang, STATUS_NAMES["ru"]).get(status, status)


def channel_text(channel: str, lang: str = "ru") -> str:
    """How a ticket arrived, to follow "Заявка получена": a channel without a name of its own in brackets."""
    names = CHANNELS.get(channel)
    return (names.get(lang) or names["ru"]) if names else f"({channel})"


def duration_text(amount: int, unit: str, lang: str = "ru") -> str:
    """``amount`` of ``unit`` ("m", "h", "d", as in 24h) for people: "24 ч" / "24 hours"."""
    forms = _UNITS[unit].get(lang) or _UNITS[unit]["ru"]
    return (forms[0] if amount == 1 else forms[1]).format(n=amount)


def unverified_reason(code: str, lang: str = "ru", catalog: dict | None = None, **values: object) -> str:
    """The text of a customers.match reason: by default the specialists' one (stored on the ticket, in the
    desk's language); the mail channel passes its catalog of the same codes for the customer's words."""
    catalog = UNVERIFIED_REASONS if catalog is None else catalog
    values = dict(values)
    if code == "unknown_customer" and values.get("org"):
        code = "unknown_org"
    elif code == "unknown_customer" and values.get("email"):
        code = "unknown_address"
    if "contract" in values:
        values["contract"] = f" № {values['contract']}" if values["contract"] else ""
    if "date" in values:
        values["date"] = date_text(values["date"], lang)
    values.setdefault("who", values.get("name") or values.get("email") or "—")
    return pick(catalog, code, lang, **values)


def date_text(day, lang: str = "ru") -> str:
    """A calendar date as the language writes it: 30.06.2026 / 2026-06-30."""
    return day.isoformat() if lang == "en" else day.strftime("%d.%m.%Y")


def timer_name(name: str, lang: str = "ru") -> str:
    return TIMER_NAMES.get(name, {}).get(lang, name)


def timer_state(state: str, lang: str = "ru") -> str:
    return TIMER_STATES.get(state, {}).get(lang, state)
