"""`edit ID` in the editor (issue 12): the ticket's editable fields as YAML, and what changed in them.

The form holds the fields of lifecycle.EDITABLE (``contact.name`` as ``name:`` under ``contact:``);
status, priority, timestamps and the journal are not in it, their own commands keep their rules.
A value is read as written (``phone: 84951234567`` stays text); an empty value clears the field;
a field left out of the form stays as it is. Only the fields whose values differ from the ticket's
are applied, so a change made to the ticket while the editor was open is not undone.

Like git with an unedited commit message, a form saved unchanged (or emptied) does nothing and
exits 1. A form that cannot be used (not YAML, an unknown key) exits 2 naming its line, and the
file is kept so nothing typed is lost: `edit ID -e --yaml-file PATH` goes on from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supportctl.cli.common import fail
from supportctl.cli.editor import comment_lines, run_editor
from supportctl.errors import EXIT_CONDITION, InvalidValue, SupportError

MAX_FORM_BYTES = 16 * 1024 ** 2


class FormError(InvalidValue):
    """The edited form cannot be used; ``line`` is 1-based (0: the line is not known)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def values_of(ticket) -> dict[str, Any]:
    """The editable fields of ``ticket``, by their lifecycle.EDITABLE names."""
    from supportctl.domain.lifecycle import EDITABLE

    out = {}
    for name in EDITABLE:
        owner, attr = (ticket.contact, name.partition(".")[2]) if "." in name else (ticket, name)
        out[name] = getattr(owner, attr)
    return out


def form_text(values: dict[str, Any]) -> str:
    """The YAML form: dotted names nested (contact.name → contact: name:), texts of several lines as
    literal blocks, each value on one line otherwise."""
    import yaml

    nested: dict[str, Any] = {}
    for name, value in values.items():
        group, _, attr = name.rpartition(".")
        (nested.setdefault(group, {}) if group else nested)[attr or name] = value

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        pass

    def text(dumper, value: str):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    Dumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", ""))
    return yaml.dump(nested, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1_000_000)


def parse_form(text: str, editable: tuple[str, ...]) -> dict[str, Any]:
    """The fields given in the form, by dotted name: str, None (cleared) or a list of str.
    Raises FormError naming the line of what is wrong. Lines starting with '#' are comments."""
    import yaml

    lines = ["" if line.startswith("#") else line for line in text.lstrip("\ufeff").split("\n")]
    try:
        root = yaml.compose("\n".join(lines), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FormError(mark.line + 1 if mark else 0, f"not YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise FormError(0, f"not YAML: {exc}") from None
    if root is None:
        return {}
    groups = {name.partition(".")[0] for name in editable if "." in name}
    out: dict[str, Any] = {}
    _read_mapping(root, "", editable, groups, out)
    return out


def _read_mapping(node, prefix: str, editable: tuple[str, ...], groups: set[str], out: dict[str, Any]) -> None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        where = f"{prefix.rstrip('.')}: " if prefix else ""
        raise FormError(node.start_mark.line + 1, f"{where}expected 'key: value' lines")
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        line = key_node.start_mark.line + 1
        name = f"{prefix}{key}"
        if not prefix and key in groups:
            _read_mapping(value_node, f"{key}.", editable, groups, out)
            continue
        if key is None or name not in editable:
            shown = ", ".join(n for n in editable)
            raise FormError(line, f"unknown key {name!r}; editable here: {shown}")
        if name in out:
            raise FormError(line, f"{name!r} is given twice; keep one")
        out[name] = _value(value_node, name)


def _value(node, name: str) -> Any:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" and not node.style:  # plain null, ~ or nothing
            return None
        return node.value  # as written: a phone of digits is not a number
    if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
        return [n.value for n in node.value]
    raise FormError(node.start_mark.line + 1, f"{name}: expected one value")


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value or None


def changed(base: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``edited`` whose value differs from ``base`` (whitespace around a value and an
    empty value against none are no difference)."""
    return {k: v for k, v in edited.items() if _normal(v) != _normal(base.get(k))}


def edit_in_editor(ctx, ticket_id: str, given: dict[str, Any], start: str | None,
                   apply) -> Any:
    """Open the form of ``ticket_id`` (``given`` field options already in it; ``start``: a form to
    begin from instead, e.g. a kept one) and ``apply(changes)``; what apply returned."""
    from supportctl.cli.editor import about_ticket
    from supportctl.domain import lifecycle

    seen = []

    def check(ticket) -> None:
        lifecycle.check_action(ticket, "edit")
        seen.append(ticket)

    about = about_ticket(ctx, ticket_id, check)
    ticket = seen[0]
    base = values_of(ticket)
    if start is None:
        start = form_text({**base, **given})
    else:  # a kept form: its comments are written anew
        start = "\n".join(line for line in start.split("\n") if not line.startswith("#")).strip("\n")
    head = [f"# Correct the fields of {ticket.id} and save; lines starting with '#' are dropped.",
            "# An empty value clears a field; status, priority, timestamps and the journal have their own",
            "# commands. Saving it unchanged or empty does nothing.", "#"]
    content = start.rstrip("\n") + "\n\n" + "\n".join(head + comment_lines(about)) + "\n"
    edited, path = run_editor(content, ".yaml")
    keep = False
    try:
        if not "\n".join(line for line in edited.split("\n") if not line.startswith("#")).strip():
            fail("nothing written, nothing done", EXIT_CONDITION)
        try:
            changes = changed(base, parse_form(edited, lifecycle.EDITABLE))
            if not changes:
                fail("nothing changed, nothing done", EXIT_CONDITION)
            return apply(changes)
        except SupportError as exc:
            keep = True
            raise _kept(exc, path, ticket.id) from None
    finally:
        if not keep:
            path.unlink(missing_ok=True)


def _kept(exc: SupportError, path: Path, ticket_id: str) -> SupportError:
    where = f"line {exc.line} of the edited form: " if isinstance(exc, FormError) and exc.line else ""
    kept = SupportError(f"{where}{exc}; nothing done, the form is kept in {path}",
                        f"go on from it: supportctl edit {ticket_id} -e --yaml-file {path}")
    kept.exit_code = exc.exit_code
    return kept


def read_form_file(path: Path) -> str:
    from supportctl.desk.yamlio import read_regular

    try:
        return read_regular(path, MAX_FORM_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidValue(f"{path} is not UTF-8 text", "convert it to UTF-8") from None


def from_file(ctx, ticket_id: str, path: Path, given: dict[str, Any]) -> dict[str, Any]:
    """The changes a form file (--yaml-file without the editor) asks for; field options given with it win."""
    from supportctl.domain import lifecycle

    ticket = ctx.desk.load_ticket(ticket_id)
    try:
        edited = parse_form(read_form_file(path), lifecycle.EDITABLE)
    except FormError as exc:
        where = f" line {exc.line}" if exc.line else ""
        raise InvalidValue(f"{path}{where}: {exc}") from None
    return changed(values_of(ticket), {**edited, **given})
