"""Compose a text in the user's editor, as git does (issue 12): `new`, `note`, `reply`, `complete`, `hold`.

The editor is $VISUAL, else $EDITOR, else vi; a command with arguments (`code --wait`) is split as
the shell would split it and the file name appended. The file shows what the text is about as
``#`` comment lines, which are dropped; an empty result aborts the command (exit 1).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from supportctl.cli.common import fail, visible
from supportctl.errors import EXIT_CONDITION, SupportError

MAX_EDITED_BYTES = 16 * 1024 ** 2
JOURNAL_SHOWN = 3
ENTRY_LINES_SHOWN = 10  # of each of those entries (a mail may be long)


def text_for(ctx, ticket_id: str | None, text: str | None, text_file: Path | None, edit: bool, *,
             what: str, purpose: str, optional: bool = False, initial: str | None = None,
             about: list[str] | None = None, check: Callable[[Any], None] | None = None) -> str:
    """The one way `new`, `note`, `reply`, `complete` and `hold` get their text: the argument,
    --text-file or stdin as before; the editor with --edit (starting from what was given, or from
    ``initial``, e.g. a filled template) or when nothing was given and stdin is a terminal.
    ``check(ticket)`` refuses before the editor opens what the command would refuse after it
    (a move the ticket's status does not allow), so nobody writes a text for nothing."""
    from supportctl.cli.common import read_text

    given = initial is not None or (text is not None and text != "-") or text_file is not None
    if not wanted(edit, given):
        if initial is not None:
            return initial
        return read_text(text, text_file, what, required=not optional)
    if initial is None:
        initial = read_text(text, text_file, what, required=False) if (given or text == "-") else ""
    return compose(initial, about if about is not None else about_ticket(ctx, ticket_id, check), purpose)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def wanted(edit: bool, given: bool) -> bool:
    """Open the editor: asked with --edit, or nothing given and a person at the terminal."""
    return edit or (not given and stdin_is_terminal())


def editor_command(environ: dict[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    for var in ("VISUAL", "EDITOR"):
        value = (env.get(var) or "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise SupportError(f"${var} cannot be split into a command: {exc}",
                                   "fix its quoting, e.g. EDITOR='code --wait'") from None
            if words:
                return words
    return ["vi"]


def compose(initial: str, about: list[str], purpose: str) -> str:
    """The text the user wrote, starting from ``initial``; ``about``: lines shown as comments.
    Exits 1 (nothing done) when the result is empty or the editor failed."""
    lines = [f"# {purpose}. Lines starting with '#' are dropped; an empty text aborts.", "#"]
    lines += comment_lines(about)
    content = (initial.rstrip() + "\n" if initial.strip() else "\n") + "\n" + "\n".join(lines) + "\n"
    edited, path = run_editor(content, ".md")
    path.unlink(missing_ok=True)
    text = strip_comments(edited)
    if not text:
        fail("nothing written, nothing done", EXIT_CONDITION)
    return text


def comment_lines(about: list[str]) -> list[str]:
    return [f"# {line}" if line else "#" for text in about for line in visible(text).split("\n")]


def run_editor(content: str, suffix: str) -> tuple[str, Path]:
    """Open the editor on a temp file holding ``content``; what was saved, and the file, which the
    caller removes (or keeps, to name it when what was saved cannot be used). Exits 1 (nothing
    done, the file removed) when the editor fails."""
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix="supportctl-", suffix=suffix, text=False)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8"))
        try:
            code = subprocess.run([*command, str(path)]).returncode
        except OSError as exc:
            raise SupportError(f"cannot start the editor {shlex.join(command)!r}: {exc.strerror or exc}",
                               "set VISUAL or EDITOR to an editor command") from None
        if code != 0:
            fail(f"the editor {shlex.join(command)!r} exited with status {code}; nothing done", EXIT_CONDITION)
        from supportctl.desk.yamlio import read_regular

        raw = read_regular(path, MAX_EDITED_BYTES)
        try:
            return raw.decode("utf-8"), path
        except UnicodeDecodeError:
            raise SupportError("the edited text is not UTF-8", "save it as UTF-8") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def strip_comments(edited: str) -> str:
    """The text without its comment lines, blank lines at either end and trailing whitespace."""
    kept = [line.rstrip() for line in edited.lstrip("\ufeff").splitlines() if not line.startswith("#")]
    return "\n".join(kept).strip("\n")


def about_ticket(ctx, ticket_id: str, check: Callable[[Any], None] | None = None) -> list[str]:
    """Subject, contact, status, deadline and the last journal entries of a ticket, for the comments."""
    from supportctl.domain.journal import in_time_order
    from supportctl.domain.values import format_local

    t = ctx.desk.load_ticket(ticket_id)
    if check is not None:
        check(t)
    tz = ctx.desk.tz
    contact = ", ".join(v for v in (t.contact.name, t.contact.email, t.org) if v) or "—"
    status = t.status + (f" ({t.hold_reason})" if t.status == "waiting" and t.hold_reason else "")
    lines = [f"{t.id}: {t.subject}", f"Contact: {contact}", f"Status: {status}",
             f"Deadline: {format_local(t.due, tz) or '—'}"]
    entries, _ = ctx.desk.read_journal(t.id)
    last = in_time_order(entries)[-JOURNAL_SHOWN:]
    if last:
        lines += ["", "Last journal entries:"]
        for e in last:
            head = f"  {format_local(e.at, tz, 'journal')} \\ "
            text_lines = (e.text or "").split("\n")
            if len(text_lines) > ENTRY_LINES_SHOWN:
                text_lines = [*text_lines[:ENTRY_LINES_SHOWN], "…"]
            lines.append(f"{head}{text_lines[0]}  ({e.by}, {e.kind})")
            lines += [f"    {line}" for line in text_lines[1:]]
    return lines
