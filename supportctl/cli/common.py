"""What every command shares: the invocation's state, error handling, and output.

Kept light: imported at start-up, so the services, YAML and the calendar are
imported inside the commands that need them.
"""

from __future__ import annotations

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
    return Ctx(desk=d, now=clock.now(), actor=acting_user(STATE.actor, dict(os.environ), d.root))


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    typer.echo(f"supportctl: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(fn: Callable) -> Callable:
    """The one place that turns a user's mistake into one line on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
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


JsonOption = typer.Option(False, "--json", help="Print JSON (fields documented in the README).")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_table(rows: list[dict[str, Any]], headers: list[str] | None = None) -> None:
    from supportctl.texttable import simple_table

    if not rows:
        return
    keys = list(rows[0])
    typer.echo(simple_table([[r[k] for k in keys] for r in rows], headers or keys))


def print_csv(rows: list[dict[str, Any]]) -> None:
    import csv

    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def read_text(text: str | None, text_file: Path | None = None, what: str = "text", required: bool = True) -> str:
    """TEXT from the argument, a file, or stdin when neither is given and stdin is not a terminal;
    without its trailing whitespace (the newline that ends a file or a pipe). Not ``required``:
    "" when nothing is given."""
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
