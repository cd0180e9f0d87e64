"""Writing customers.yaml without losing what people wrote in it by hand.

docs/desk.md invites editing customers.yaml by hand: comments, key order and keys supportctl does not
know (a customer's ``manager:``, a contact's ``telegram:``) must survive every `customer` command.
So those commands edit the file's round-trip form (ruamel.yaml) instead of re-dumping the customers:
they append, change or remove one customer or contact, or keys of one, and touch nothing else.
Reading stays on the fast libyaml safe loader (desk.customers()); ruamel is imported only here.
"""

from __future__ import annotations

import io
from typing import Any, Callable

from supportctl.desk.files import write_atomic
from supportctl.desk.yamlio import read_regular
from supportctl.domain.customers import Customer, org_key
from supportctl.domain.ticket import Contact
from supportctl.errors import DeskDamaged, NotFound

HEADER = "# Customers of the desk (R-1.1, R-7.7). Edit by hand or with `supportctl customer`.\n"


def append_customer(desk, customer: Customer) -> None:
    """Add ``customer`` at the end of the customers list; call under the desk lock."""
    def change(doc) -> None:
        _block_list(doc, "customers").append(_mapping(_customer_fields(customer)))

    _edit(desk, change)


def append_contact(desk, org: str, contact: Contact) -> None:
    """Add ``contact`` to the contacts of the customer named ``org``; call under the desk lock."""
    def change(doc) -> None:
        for item in doc["customers"]:
            if hasattr(item, "get") and org_key(str(item.get("org", ""))) == org_key(org):
                _block_list(item, "contacts").append(_mapping(contact.to_dict()))
                return
        raise NotFound(f"no customer {org!r} in customers.yaml", "add it with: supportctl customer add")

    _edit(desk, change)


def update_customer(desk, org: str, fields: dict[str, Any], old_period=None) -> None:
    """Set ``fields`` (known keys) of the customer named ``org``, other keys untouched; with ``old_period``
    (a renewal) append it to the customer's ``contracts:`` history. Call under the desk lock."""
    def change(doc) -> None:
        item = _customer_node(doc, org)
        for key, value in fields.items():
            item[key] = _mapping(value) if isinstance(value, (list, dict)) else value
        if old_period is not None:
            period = old_period.to_dict()
            period["valid_from"], period["valid_to"] = old_period.valid_from, old_period.valid_to
            _block_list(item, "contracts").append(_mapping(period))

    _edit(desk, change)


def update_contact(desk, org: str, key: str, fields: dict[str, Any]) -> None:
    """Set ``fields`` of the contact whose e-mail is ``key`` (or, with none, whose name is ``key``)."""
    def change(doc) -> None:
        node = _contact_node(_customer_node(doc, org), key)
        for name, value in fields.items():
            if value is None and name == "role":
                node.pop("role", None)
            else:
                node[name] = value

    _edit(desk, change)


def remove_contact(desk, org: str, key: str) -> None:
    def change(doc) -> None:
        customer = _customer_node(doc, org)
        _remove(customer["contacts"], _contact_node(customer, key))

    _edit(desk, change)


def remove_customer(desk, org: str) -> None:
    def change(doc) -> None:
        _remove(doc["customers"], _customer_node(doc, org))

    _edit(desk, change)


def _remove(items, node) -> None:
    del items[next(n for n, item in enumerate(items) if item is node)]  # that one, not an equal one


def _customer_node(doc, org: str):
    for item in doc.get("customers") or []:
        if hasattr(item, "get") and org_key(str(item.get("org", ""))) == org_key(org):
            return item
    raise NotFound(f"no customer {org!r} in customers.yaml", "see them with: supportctl customer list")


def _contact_node(customer, key: str):
    contacts = [c for c in customer.get("contacts") or [] if hasattr(c, "get")]
    for c in contacts:
        if str(c.get("email") or "").lower() == key.lower():
            return c
    for c in contacts:
        if org_key(str(c.get("name") or "")) == org_key(key):
            return c
    raise NotFound(f"no contact {key!r} of {customer.get('org')!r} in customers.yaml")


def _edit(desk, change: Callable[[Any], None]) -> None:
    yaml = _yaml()
    path = desk.customers_path
    try:
        text = read_regular(path).decode("utf-8")  # never a link, a pipe or an oversized file
    except FileNotFoundError:
        text = HEADER + "customers: []\n"
    except UnicodeDecodeError:
        raise DeskDamaged(f"{path}: not UTF-8 text", "restore the file with git") from None
    if "\n  - " in text or text.startswith("  - "):  # the hand edit indents its lists: so do we
        yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        doc = yaml.load(text)
    except Exception as exc:  # ruamel's errors (duplicate keys, syntax) have no common public base
        raise DeskDamaged(f"{path}: cannot be edited: {' '.join(str(exc).split())[:300]}",
                          "fix the file by hand or restore it with git") from None
    if doc is None:
        doc = _mapping({})
    if not hasattr(doc, "get") or not isinstance(doc.get("customers", []), list):
        raise DeskDamaged(f"{path}: expected a 'customers:' list")
    change(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    write_atomic(path, out.getvalue())


def _block_list(parent, key: str):
    """``parent[key]`` as a list written one item per line (a missing or ``[]`` one made so)."""
    from ruamel.yaml.comments import CommentedSeq

    items = parent.get(key)
    if not isinstance(items, CommentedSeq):
        if items:  # a non-list value where a list belongs: the hand edit must be fixed first
            raise DeskDamaged(f"customers.yaml: {key}: expected a list, not {items!r}")
        items = parent[key] = CommentedSeq()
    items.fa.set_block_style()
    return items


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.width = 100
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _customer_fields(c: Customer) -> dict[str, Any]:
    fields = c.to_dict()
    fields["valid_from"], fields["valid_to"] = c.valid_from, c.valid_to  # dates, written unquoted
    return fields


def _mapping(fields: dict[str, Any]):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def node(value: Any) -> Any:
        if isinstance(value, dict):
            return CommentedMap((k, node(v)) for k, v in value.items())
        if isinstance(value, list):
            return CommentedSeq(node(v) for v in value)
        return value

    return node(fields)

