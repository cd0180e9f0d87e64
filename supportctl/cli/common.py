"""What every command shares: the invocation's state, error handling, and output.

Kept light: imported at start-up, so the services, YAML and the calendar are
imported inside the commands that need them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import typer

from supportctl.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, SupportError

ENV_DEBUG = "SUPPORTCTL_DEBUG"


@dataclass
class Invocation:
    """Set by the app's callback: the global options of this run."""

    desk_path: str | None = None
    actor: str | None = None
    commit: bool | None = None  # --commit/--no-commit; None: git.autocommit of supportctl.yaml
    desk: Any = None            # the desk the command used (context()), for the outbox warnings after it
    outbox_quiet: bool = False  # the mail commands report the outbox themselves
    color: str | None = None    # --color auto|always|never (cli/terminal.py)
    wide: bool = False          # --wide: tables not cut to the terminal's width


STATE = Invocation()


def desk():
    from supportctl.desk.desk import Desk, locate

    return Desk(locate(STATE.desk_path, Path.cwd(), dict(os.environ)))


def context(the_desk=None):
    """The service context: desk, now (SUPPORTCTL_NOW honoured), acting user."""
    from supportctl import clock
    from supportctl.desk.desk import acting_user
    from supportctl.services.context import Ctx

    d = the_desk or desk()
    STATE.desk = d
    return Ctx(desk=d, now=clock.now(), actor=acting_user(STATE.actor, dict(os.environ), d.root))


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    typer.echo(visible(f"supportctl: {message}"), err=True)
    raise typer.Exit(code)


class OneLineUsageErrors(typer.core.TyperGroup):
    """The app's group: a usage error (an unknown option, a missing argument, a value Typer cannot
    convert) is one line on stderr like every other error, exit 2, instead of click's usage block."""

    def make_context(self, *args: Any, **kwargs: Any):
        with _one_line_usage():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _one_line_usage():
            return super().invoke(ctx)


@contextlib.contextmanager
def _one_line_usage():
    from typer._click.exceptions import NoArgsIsHelpError, UsageError  # Typer's own click

    try:
        yield
    except NoArgsIsHelpError:  # a group given no command: its help, as before
        raise
    except UsageError as error:
        error.show = functools.partial(_show_usage_error, error)  # type: ignore[method-assign]
        raise


def _show_usage_error(error: Any, file: Any = None) -> None:
    ctx = error.ctx
    where = ctx.command_path if ctx is not None else "supportctl"
    hint = f"; see '{where} --help'" if ctx is not None else ""
    message = " ".join(error.format_message().split()).rstrip(".")
    typer.echo(visible(f"{where}: {message}{hint}"), err=True)


def handle_errors(fn: Callable) -> Callable:
    """The one place that turns a user's mistake into one line on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        STATE.desk, STATE.outbox_quiet = None, False
        try:
            return _run(*args, **kwargs)
        finally:
            _after_command()

    def _run(*args, **kwargs):
        try:
            from supportctl.gitops.autocommit import Watch

            kwargs = checked_arguments(fn, kwargs)
            watch = Watch(STATE.commit, STATE.actor)
            with watch:
                result = fn(*args, **kwargs)
            watch.commit()
            return result
        except SupportError as exc:
            fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(EXIT_OK)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            fail(f"cannot access{where}: {exc.strerror or exc}")
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own exits and usage errors
            raise
        except Exception as exc:  # the last resort: a bug, still one line (exit 3, README "Exit codes")
            if os.environ.get(ENV_DEBUG):
                raise
            fail(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                 f"(this is a bug; set {ENV_DEBUG}=1 for the traceback)", EXIT_INTERNAL)

    return wrapper


def _after_command() -> None:
    """Mail is delivered outside the command: start the background sender for what it queued, and
    say what has not gone out (issue 10 #18). Never fails the command."""
    lines: list[str] = []
    notify = sys.modules.get("supportctl.services.notify")
    try:
        if notify is not None:
            lines += notify.start_background_senders()
        the_desk = STATE.desk
        if the_desk is not None and not STATE.outbox_quiet and _has_mail(the_desk.outbox_dir):
            from supportctl import clock
            from supportctl.services import notify

            lines += notify.outbox_warnings(the_desk, clock.now())
    except Exception:  # a broken mail section is for `check` and the mail commands to name
        pass
    try:
        for line in lines:
            typer.echo(f"supportctl: {line}", err=True)
    except (OSError, ValueError):  # stderr closed (a broken pipe)
        pass


def _has_mail(folder: Path) -> bool:
    for sub in (folder, folder / "failed"):
        try:
            if any(name.endswith(".eml") for name in os.listdir(sub)):
                return True
        except OSError:
            pass
    return False


# Parameters that are not one line of text: free texts (several lines; trailing whitespace dropped),
# file paths (taken as given), ticket IDs (resolved against the desk).
FREE_TEXTS = frozenset({"text", "reason"})
PATHS = frozenset({"path", "file", "base", "ours", "theirs", "text_file", "desk_path"})
TICKET_IDS = frozenset({"ticket_id", "other", "related"})


def checked_arguments(fn: Callable, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every command's string arguments, checked in one place before it runs (issue 10).

    A name, e-mail, phone, organisation, assignee… is one line without control characters, and
    not empty when the command requires it; a free text loses its trailing whitespace; a ticket
    ID may be given unpadded ("T-3", "3") when it names exactly one ticket of the desk.
    """
    from supportctl.domain.values import single_line

    if STATE.actor is not None:
        single_line(STATE.actor, "--as", required=True)
    checked = dict(kwargs)
    for name, value in kwargs.items():
        if name in PATHS or not (isinstance(value, str) or isinstance(value, list)
                                 and all(isinstance(v, str) for v in value)):
            continue
        if name in FREE_TEXTS:
            checked[name] = value.rstrip() if isinstance(value, str) else value
            continue
        what, required = _described(fn, name)
        for item in value if isinstance(value, list) else [value]:
            single_line(item, what, required=required or isinstance(value, list))
        if name in TICKET_IDS:
            d = desk()
            checked[name] = [d.resolve_id(v) for v in value] if isinstance(value, list) else d.resolve_id(value)
    return checked


def _described(fn: Callable, name: str) -> tuple[str, bool]:
    """How the user calls parameter ``name`` of ``fn`` (``--email``, ``NAME``), and whether it is required."""
    import inspect

    info = inspect.signature(fn).parameters[name].default
    decls = [d for d in getattr(info, "param_decls", None) or () if d.startswith("--")]
    what = decls[0] if decls else getattr(info, "metavar", None) or name.upper()
    return what, getattr(info, "default", None) is ...


def command(app: typer.Typer, name: str | None = None, *, bulk: bool = False, **kwargs) -> Callable:
    """Register ``fn`` as a command. ``bulk``: it reads every ticket, so the cyclic garbage collector
    is paused while it runs (it would re-scan the thousands of tickets being built, which hold no cycles)."""
    def register(fn: Callable) -> Callable:
        app.command(name, **kwargs)(handle_errors(_collector_paused(fn) if bulk else fn))
        return fn

    return register


def _collector_paused(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import gc

        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


def _visible_table() -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20) if chr(c) not in "\n\t"}  # ESC → ␛, CR → ␍
    table[0x7F] = "\u2421"  # ␡
    table.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})  # C1 controls: \x9b (CSI) and the like
    # bidirectional overrides and isolates reorder what the reader sees
    table.update({c: f"<U+{c:04X}>" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
    return table


_VISIBLE = _visible_table()


@functools.lru_cache(maxsize=1)
def _escaped_characters():
    import re

    return re.compile("[" + "".join(re.escape(chr(c)) for c in _VISIBLE) + "]")


def _needs_escaping(text: str) -> bool:
    """``visible(text) != text``, found by a regular expression (str.translate is slow on Cyrillic)."""
    return _escaped_characters().search(text) is not None


def visible(text: str) -> str:
    """Text for a person's terminal: control characters from stored text (an import, a hand edit, a
    mail, --as) shown as symbols (ESC as ␛, CR as ␍), never obeyed as escape sequences. Line breaks
    and tabs stay; a CRLF line end is a line end. JSON and CSV output is exact: it does not pass here."""
    if not _needs_escaping(text):  # the usual case, found quicker than translate finds it (issue 13)
        return text
    return text.replace("\r\n", "\n").translate(_VISIBLE)


def echo(text: str = "", *, nl: bool = True) -> None:
    """The one way human-readable output of stored text reaches stdout (see ``visible``)."""
    typer.echo(visible(text), nl=nl)


JsonOption = typer.Option(False, "--json", help="Print JSON (fields: docs/json.md).")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_table(rows: list[dict[str, Any]], headers: list[str] | None = None, *,
                shrink: tuple[str, ...] = (), optional: tuple[str, ...] = (),
                styles: list[str | None] | None = None) -> None:
    """Rows as a table. On a terminal it is fitted to the terminal's width (not with --wide): the
    columns named in ``shrink`` are truncated, those in ``optional`` left out when that is not
    enough; ``styles`` colours the rows (cli/terminal.py). Stored text is escaped (``visible``)
    before it is measured and before the colour codes are added."""
    if not rows:
        return
    keys = list(rows[0])
    print_rows(keys, [[r[k] for k in keys] for r in rows], headers, shrink=shrink, optional=optional,
               styles=styles)


TABLE_CHUNK = 2000  # lines written at once


def print_rows(keys: list[str], cells: list[list[Any]], headers: list[str] | None = None, *,
               shrink: tuple[str, ...] = (), optional: tuple[str, ...] = (),
               styles: list[str | None] | None = None) -> None:
    """``print_table`` of rows given as lists of cells under ``keys``, written as they are formatted."""
    from supportctl.cli import terminal
    from supportctl.texttable import simple_table_lines

    if not cells:
        return
    colour = terminal.colour()
    # stored text is escaped by the table, in the columns that hold anything to escape (usually none)
    lines = simple_table_lines(cells, [visible(h) for h in headers or keys], max_width=terminal.width(),
                               shrink=[keys.index(k) for k in shrink if k in keys],
                               optional=[keys.index(k) for k in optional if k in keys],
                               styles=styles if styles is not None and colour else None, escape=visible)
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == TABLE_CHUNK:
            terminal.print_fitted("\n".join(chunk), colour)
            chunk = []
    if chunk:
        terminal.print_fitted("\n".join(chunk), colour)


def print_csv(rows: list[dict[str, Any]]) -> None:
    from supportctl.cli.csvout import print_csv as write

    write(rows)


def read_text(text: str | None, text_file: Path | None = None, what: str = "text", required: bool = True) -> str:
    """TEXT from the argument, a file, or stdin when neither is given and stdin is not a terminal;
    without its trailing whitespace (the newline that ends a file or a pipe). Not ``required``:
    "" when nothing is given. The text given twice (TEXT or --text, and --text-file) is refused:
    one of them would be dropped unseen."""
    if text is not None and text_file is not None:
        from supportctl.errors import InvalidValue

        raise InvalidValue(f"the {what} is given twice", "give it as an argument or with --text-file, not both")
    if text is not None and text != "-":
        return text.rstrip()
    if text_file is not None:
        try:
            return text_file.read_text(encoding="utf-8").rstrip()  # a file's last newline is no part of the text
        except UnicodeDecodeError:
            raise SupportError(f"{text_file} is not UTF-8 text", "convert it to UTF-8") from None
    if text == "-" or not sys.stdin.isatty():
        stdin = getattr(sys.stdin, "buffer", None)
        raw = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        try:
            data = raw.decode("utf-8")  # strictly: the locale's decoder would smuggle surrogates into the files
        except UnicodeDecodeError:
            raise SupportError("stdin is not UTF-8 text", "convert it to UTF-8, e.g. with iconv -t UTF-8") from None
        if data.strip() or not required:
            return data.rstrip()
    if not required:
        return ""
    raise SupportError(f"no {what} given", "give it as an argument, with --text-file, or on stdin")
