"""One example per command, shown at the end of its --help (issue 14), and usage lines that read ``ID``.

A command whose own help holds an ``Example:`` paragraph keeps it, moved after the options; every
other command gets its example from ``EXAMPLES`` below, as the help's epilog. tests/test_docs.py fails for a command
with neither, so a new command comes with its example. docs/commands.md is generated from these
help texts (``python tools/gen_commands.py``).
"""

from __future__ import annotations

from typing import Any, Iterator

EXAMPLES: dict[str, str] = {
    "init": "supportctl init helpdesk && cd helpdesk",
    "check": "supportctl check --json",
    "import": "supportctl import register.jsonl",
    "station": "supportctl station RA",
    "new": 'supportctl new --org "АКБ «Барьер»" --contact "Смирнова Ольга Петровна" '
           '--subject "Не работает АБС" --text "АБС не запускается" --attach screen.png',
    "register": 'supportctl register T-0001 --priority 1 --assignee "Рудаков А."',
    "assign": 'supportctl assign T-0001 "Петров П."',
    "priority": 'supportctl priority T-0001 2 --reason "работает частично"',
    "note": 'supportctl note T-0001 "Сняли дамп, разбираем"',
    "reply": 'supportctl reply T-0001 "Перезапустите службу" --via phone --spent 20m',
    "hold": 'supportctl hold T-0001 --reason need-info --until 2026-12-04 "Ждём журналы"',
    "resume": "supportctl resume T-0001",
    "complete": 'supportctl complete T-0001 "Причина сбоя устранена" --spent 1h',
    "close": "supportctl close T-0001 --rating 5",
    "reopen": 'supportctl reopen T-0001 --reason "Ошибка повторилась"',
    "edit": 'supportctl edit T-0001 --subject "Не работает АБС" --phone "+7 495 123-45-67"',
    "verify": 'supportctl verify T-0006 --org "ИП Сёмин"',
    "link": "supportctl link T-0001 T-0002",
    "split": 'supportctl split T-0002 --subject "Не печатается отчёт" --text "Печать зависает"',
    "replies": "supportctl replies --json",
    "show": "supportctl show T-0001 --json",
    "journal": "supportctl journal T-0001",
    "list": 'supportctl list --status active --assignee "Рудаков А." --priority 1 --format csv',
    "search": "supportctl search '\"не печатает\" -сканер' --all --limit 5",
    "sla": "supportctl sla T-0001 --json",
    "overdue": "supportctl overdue --within 2h",
    "eta": 'supportctl eta T-0001 2026-12-04 --text "Нужна доработка продукта"',
    "autoclose": "supportctl autoclose --dry-run",
    "history": "supportctl history T-0001 --patch",
    "sync": "supportctl sync --json",
    "merge-ticket": "git config merge.supportctl-ticket.driver \"supportctl merge-ticket %O %A %B %P\"",
    "escalate": "supportctl escalate --dry-run",
    "cron": "supportctl --as cron cron --dry-run",
    "attachments": "supportctl attachments T-0001 --all -o /tmp/T-0001",
    "customer list": "supportctl customer list --json",
    "customer show": 'supportctl customer show "АКБ «Барьер»"',
    "customer add": 'supportctl customer add "АКБ «Барьер»" --contract 0373100000116000042 '
                    '--from 2016-01-01 --to 2030-12-31 --plan regulation --domain barrier.ru',
    "customer edit": 'supportctl customer edit "АКБ «Барьер»" --contract 0373100000126000007 --to 2031-12-31',
    "customer remove": 'supportctl customer remove "ИП Сёмин"',
    "customer contact add": 'supportctl customer contact add "АКБ «Барьер»" --name "Смирнова Ольга Петровна" '
                            '--email smirnova@barrier.ru --position "Начальник отдела ИТ"',
    "customer contact edit": 'supportctl customer contact edit "АКБ «Барьер»" smirnova@barrier.ru '
                             '--phone "+7 495 123-45-67"',
    "customer contact remove": 'supportctl customer contact remove "АКБ «Барьер»" smirnova@barrier.ru',
    "report journal": "supportctl report journal --month 2026-11 --format html -o journal.html",
    "report sla": "supportctl report sla --last-week --format markdown",
    "report workload": "supportctl report workload --week",
    "report time": 'supportctl report time --from 2026-11-01 --to 2026-11-30 --org "АКБ «Барьер»" --format csv',
    "report csat": "supportctl report csat --all --lang en",
    "report customer": 'supportctl report customer "АКБ «Барьер»" --month 2026-11 --format html -o barrier.html',
    "mail ingest": "supportctl mail ingest --maildir ~/Maildir",
    "mail send": "supportctl mail send --json",
    "mail outbox": "supportctl mail outbox",
}

# The groups' --help (and `supportctl --help`, under ""): one of their commands at work.
GROUP_EXAMPLES: dict[str, str] = {
    "": 'supportctl --as "Петров П." list --status active',
    "customer": 'supportctl customer show "АКБ «Барьер»" --json',
    "customer contact": 'supportctl customer contact add "АКБ «Барьер»" --name "Смирнова Ольга Петровна" '
                        '--email smirnova@barrier.ru',
    "report": "supportctl report sla --month 2026-11 --format html -o sla.html",
    "mail": "supportctl mail ingest --maildir ~/Maildir",
}


def commands(app: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(``"customer contact add"``, its CommandInfo) for every command of a Typer app, hidden ones too."""
    from typer.main import get_command_name

    for info in app.registered_commands:
        name = info.name or get_command_name(info.callback.__name__)
        yield " ".join(path + (name,)), info
    for group in app.registered_groups:
        yield from commands(group.typer_instance, path + (group.name,))


def groups(app: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(``"customer contact"``, the TyperInfo that adds it) for every group of a Typer app."""
    for group in app.registered_groups:
        name = path + (group.name,)
        yield " ".join(name), group
        yield from groups(group.typer_instance, name)


def _epilog(lines: list[str]) -> str:
    # \b keeps the example's lines as written instead of rewrapping them
    return "Example:\n\n\b\n" + "\n".join("  " + line for line in lines)


def _own_example(info: Any) -> list[str]:
    """The lines of an ``Example:`` paragraph in the command's own help, taken out of it so that the
    example ends the help (after the options) like every other command's."""
    import inspect

    text = inspect.cleandoc(info.help or info.callback.__doc__ or "")
    head, found, example = text.partition("Example:")
    if not found:
        return []
    info.help = head.rstrip()
    return [line.strip() for line in example.strip().splitlines() if line.strip() and line.strip() != "\b"]


def install(app: Any) -> None:
    """Give each command without an example its one from EXAMPLES; usage lines name arguments ``ID``, ``[TEXT]``."""
    for name, info in commands(app):
        if (info.epilog or "").count("Example:"):
            continue
        own = _own_example(info)
        if own:
            info.epilog = _epilog(own)
        elif name in EXAMPLES:
            info.epilog = _epilog([EXAMPLES[name]])
    for name, info in [("", app.info), *groups(app)]:
        if name in GROUP_EXAMPLES and not isinstance(info.epilog, str):
            info.epilog = _epilog([GROUP_EXAMPLES[name]])
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:
        return
    _plain_metavars(TyperArgument, TyperOption)
    plain = getattr(TyperArgument, "_usage_display_name", None)
    if plain is None or getattr(plain, "supportctl", False):
        return

    def usage_name(self: Any) -> str:
        # Typer 0.29 writes a required argument as {ID}; the usage convention (and git's) is ID
        # and [[CODE]] for an optional one whose metavar has its brackets already
        name = plain(self)
        if name.startswith("{"):
            name = name[1:].replace("}", "", 1)
        elif name.startswith("[["):
            name = name[1:].replace("]", "", 1)
        return name if self.metavar else name.upper()

    usage_name.supportctl = True  # type: ignore[attr-defined]
    TyperArgument._usage_display_name = usage_name


def _plain_metavars(argument: Any, option: Any) -> None:
    """``--org ORG`` instead of Typer's ``--org <str>``, and ``ID`` instead of ``ID <str>``: the help
    reads as a man page, and the type is said by the help text anyway."""
    option_type = option.display_type_rich
    if getattr(option_type, "supportctl", False):
        return

    def option_metavar(self: Any, ctx: Any) -> Any:
        shown = option_type(self, ctx)
        if self.metavar is None and shown in ("<str>", "<list[str]>", "<path>"):
            longest = max(self.opts, key=len).lstrip("-")
            return longest.upper().replace("-", "_")
        return shown

    def argument_metavar(self: Any, ctx: Any) -> None:
        return None

    argument_name = argument._rich_display_name

    def argument_label(self: Any) -> str:
        return argument_name(self) if self.metavar else argument_name(self).upper()

    option_metavar.supportctl = True  # type: ignore[attr-defined]
    option.display_type_rich = option_metavar
    argument.display_type_rich = argument_metavar
    argument._rich_display_name = argument_label
