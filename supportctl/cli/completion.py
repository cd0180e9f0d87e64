"""Shell completion for bash, zsh and fish (issue 12).

`supportctl completion SHELL` prints the script; the shell then runs supportctl with
_SUPPORTCTL_COMPLETE set and the words typed so far, and `answer` prints the candidates:
ticket IDs, statuses, hold reasons, reply templates, customers and the team's names.

A completion runs at every Tab, so it only looks: ticket IDs are the file names of tickets/
(their status from the ticket index when it is there, read-only, never rebuilt), no lock is
taken, nothing is written. Whatever goes wrong (no desk, a damaged file) means no candidates,
never an error on the user's command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from supportctl.cli.common import command
from supportctl.errors import InvalidValue

COMPLETE_VAR = "_SUPPORTCTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
DESCRIBED_UP_TO = 200  # candidates; more are listed without their status (an index query each)
BASH_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,+/@%^:=")

app = typer.Typer()


@command(app, "completion")
def completion(shell: Optional[str] = typer.Argument(None, metavar="SHELL",
                                                     help="bash, zsh or fish; default: the name of $SHELL.")) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Completes commands, options, ticket IDs (also from an unpadded number: 3 → T-0003, in bash
    and fish), --status values, hold reasons, reply templates (--template), customers (ORG,
    --org) and the team's names (--assignee). zsh and fish show each ID's status as the ticket
    index last saw it. Load the script from the shell's start-up file:

    \b
    bash, in ~/.bashrc:               eval "$(supportctl completion bash)"
    zsh, in ~/.zshrc after compinit:  eval "$(supportctl completion zsh)"
    fish:  supportctl completion fish > ~/.config/fish/completions/supportctl.fish

    Example: supportctl completion bash > ~/.local/share/bash-completion/completions/supportctl
    """
    from typer.completion import get_completion_script

    name = (shell or Path(os.environ.get("SHELL", "")).name).lower()
    if name not in SHELLS:
        raise InvalidValue(f"no completion for the shell {name or '(none: $SHELL is not set)'!r}",
                           "give one of: " + ", ".join(SHELLS))
    typer.echo(get_completion_script(prog_name="supportctl", complete_var=COMPLETE_VAR, shell=name))


def requested() -> bool:
    return bool(os.environ.get(COMPLETE_VAR))


def answer(typer_app: typer.Typer) -> None:
    """Print the candidates the shell asked for (COMPLETE_VAR and its words in the environment); exits."""
    try:
        import typer.main
        from typer.completion import completion_init

        completion_init()  # typer's bash/zsh/fish formats
        cli = typer.main.get_command(typer_app)
        _install(cli)
        cli.main(prog_name="supportctl")
    except SystemExit:
        raise
    except Exception:  # no candidates rather than a traceback under the user's prompt
        pass
    sys.exit(0)


def _install(group) -> None:
    """Attach the completers to every command's parameters, by parameter name (as cli/common.py checks them)."""
    from supportctl.cli.common import TICKET_IDS

    def walk(cmd, path: str) -> None:
        for param in cmd.params:
            key = (path, param.name)
            found = _COMPLETERS[key] if key in _COMPLETERS else _COMPLETERS.get(("*", param.name))
            if found is None and param.name in TICKET_IDS:
                found = ticket_ids
            if found is not None:
                param._custom_shell_complete = _safe(found)
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {sub_name}".strip())

    walk(group, "")


Item = tuple[str, Optional[str]]  # value, help shown by zsh and fish


def _safe(fn: Callable[[Any, str], list[Item]]) -> Callable:
    def complete(ctx, param, incomplete: str):
        from typer._click.shell_completion import CompletionItem

        try:
            items = fn(ctx, incomplete or "")
        except Exception:
            return []
        bash = os.environ.get(COMPLETE_VAR, "").endswith("_bash")
        return [CompletionItem(_bash_word(v) if bash else v, help=h) for v, h in items]

    return complete


def _bash_word(value: str) -> str:
    """bash inserts a candidate as it is: escape what the shell would split or expand (as printf %q)."""
    return "".join(c if c in BASH_SAFE or ord(c) > 127 and not c.isspace() else "\\" + c for c in value)


def _root(ctx) -> Path:
    from supportctl.desk.desk import locate

    given = ctx.find_root().params.get("desk_path")
    return locate(given, Path.cwd(), dict(os.environ))


def _prefixed(values: list[Item], incomplete: str) -> list[Item]:
    want = incomplete.casefold()
    return [(v, h) for v, h in values if v.casefold().startswith(want)]


def ticket_ids(ctx, incomplete: str) -> list[Item]:
    """IDs starting with what was typed (any case, Cyrillic look-alikes as Latin), and the one ticket
    an unpadded number names (3, T-3, #3 → T-0003), first."""
    from supportctl.domain import ids

    root = _root(ctx)
    names = sorted(n[:-5] for n in os.listdir(root / "tickets")
                   if n.endswith(".yaml") and ids.ID_RE.match(n[:-5]))
    want = incomplete.strip().upper().translate(ids.LOOKALIKE)
    matched = [n for n in names if n.startswith(want)]
    if want and not matched:
        try:
            named = ids.resolve_id(incomplete, names)
        except Exception:
            named = None
        if named in names:
            matched = [named]
    described = _statuses_from_index(root, matched) if len(matched) <= DESCRIBED_UP_TO else {}
    return [(n, described.get(n)) for n in matched]


def _statuses_from_index(root: Path, wanted: list[str]) -> dict[str, str]:
    """The status of each of ``wanted`` as the index last saw it; {} without a readable index. Read-only."""
    import sqlite3

    from supportctl.desk.desk import STATE_DIR
    from supportctl.desk.index import INDEX_FILE

    path = root / STATE_DIR / INDEX_FILE
    if not wanted or not path.is_file():
        return {}
    try:
        # immutable: no lock, no -wal/-shm files left behind; a torn read while another command writes
        # the index is an error below, and costs only the descriptions
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = db.execute(f"SELECT id, status FROM tickets WHERE id IN ({','.join('?' * len(wanted))})", wanted)
            return {i: s for i, s in rows if isinstance(i, str) and isinstance(s, str)}
        finally:
            db.close()
    except sqlite3.Error:  # damaged, of another version, busy: the IDs without their status
        return {}


def statuses(ctx, incomplete: str) -> list[Item]:
    from supportctl.domain.lifecycle import STATUSES

    return _prefixed([*((s, None) for s in STATUSES), ("active", "new, open and waiting")], incomplete)


def hold_reasons(ctx, incomplete: str) -> list[Item]:
    from supportctl.domain.messages import HOLD_REASONS

    return _prefixed([(r, texts.get("en")) for r, texts in HOLD_REASONS.items()], incomplete)


def templates(ctx, incomplete: str) -> list[Item]:
    from supportctl.domain import reply_templates as rt
    from supportctl.services.reply_templates import FOLDER, MAX_LISTED

    with os.scandir(_root(ctx) / FOLDER) as entries:
        names = sorted(e.name[: -len(rt.SUFFIX)] for e in entries
                       if e.name.endswith(rt.SUFFIX) and not e.name.startswith("."))[:MAX_LISTED]
    return _prefixed([(n, None) for n in names], incomplete)


def customers(ctx, incomplete: str) -> list[Item]:
    from supportctl.desk.desk import Desk

    orgs = [(c.org, None) for c in Desk(_root(ctx)).customers()]
    return _prefixed(orgs, incomplete)


def team(ctx, incomplete: str) -> list[Item]:
    from supportctl.desk.desk import Desk

    members = Desk(_root(ctx)).config.get("team", {}) or {}
    return _prefixed([(name, None) for name in members if isinstance(name, str)], incomplete)


def shells(ctx, incomplete: str) -> list[Item]:
    return _prefixed([(s, None) for s in SHELLS], incomplete)


# (command path or "*", parameter name) → completer (None: none); ticket IDs go by common.TICKET_IDS
_COMPLETERS: dict[tuple[str, str], Callable[[Any, str], list[Item]] | None] = {
    ("completion", "shell"): shells,
    ("customer add", "org"): None,  # a new customer
    ("*", "status"): statuses,
    ("hold", "reason"): hold_reasons,
    ("*", "template"): templates,
    ("*", "org"): customers,
    ("*", "customer_org"): customers,
    ("*", "assignee"): team,
}
