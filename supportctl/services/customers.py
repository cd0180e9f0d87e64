"""Maintaining customers.yaml (R-1.1, R-7.7)."""

from __future__ import annotations

from datetime import date, timedelta

from supportctl.desk import customers_file
from supportctl.desk.desk import Desk
from supportctl.domain.customers import Customer, ContractPeriod, find_customer
from supportctl.domain.ticket import Contact
from supportctl.errors import InvalidValue, NotFound, Refused


def get(desk: Desk, org: str) -> Customer:
    found = find_customer(desk.customers(), org=org)
    if found is None:
        raise NotFound(f"no customer {org!r} in customers.yaml", "see them with: supportctl customer list")
    return found


def add(desk: Desk, org: str, contract: str, valid_from: date, valid_to: date, plan: str | None,
        domains: list[str], products: list[str]) -> Customer:
    if valid_to < valid_from:
        raise InvalidValue(f"the contract ends ({valid_to}) before it starts ({valid_from})")
    with desk.lock():
        customers = desk.customers()
        if find_customer(customers, org=org):
            raise Refused(f"customer {org!r} already exists", "edit customers.yaml to change it")
        customer = Customer(org=org, contract=contract, valid_from=valid_from, valid_to=valid_to, plan=plan,
                            domains=[d.lower().lstrip("@") for d in domains], products=products)
        customers_file.append_customer(desk, customer)
    return customer


def add_contact(desk: Desk, org: str, contact: Contact) -> Customer:
    if not contact.email or "@" not in contact.email:
        raise InvalidValue(f"invalid e-mail {contact.email!r}", "give --email name@example.ru")
    with desk.lock():
        customers = desk.customers()
        customer = find_customer(customers, org=org)
        if customer is None:
            raise NotFound(f"no customer {org!r} in customers.yaml", "add it with: supportctl customer add")
        if customer.find_contact(email=contact.email):
            raise Refused(f"{contact.email} is already a contact of {customer.org}")
        customer.contacts.append(contact)
        customers_file.append_contact(desk, customer.org, contact)
    return customer


def edit(desk: Desk, org: str, *, contract: str | None = None, valid_from: date | None = None,
         valid_to: date | None = None, plan: str | None = None, domains: list[str] | None = None,
         products: list[str] | None = None) -> tuple[Customer, ContractPeriod | None]:
    """Change a customer's contract, plan, domains or products; the customer and, when this was a
    renewal, the period it ended. A renewal is a new contract number or a later end (``valid_to``):
    the old period goes to ``contracts:`` so tickets received in it stay matched to it, and the new
    one starts the day after the old ended unless ``valid_from`` says otherwise. An earlier end, a
    first end of an open-ended contract, or a new start alone corrects the current period."""
    with desk.lock():
        customer = get(desk, org)
        old = customer.current_period()
        renewal = (contract is not None and contract != old.contract) or (
            valid_to is not None and old.valid_to is not None and valid_to > old.valid_to)
        ended = None
        if renewal and (old.contract or old.valid_from or old.valid_to):
            ended = old
            if valid_from is None and old.valid_to is not None:
                valid_from = old.valid_to + timedelta(days=1)
        fields: dict = {}
        if contract is not None:
            fields["contract"] = customer.contract = contract or None
        if valid_from is not None:
            fields["valid_from"] = customer.valid_from = valid_from
        if valid_to is not None:
            fields["valid_to"] = customer.valid_to = valid_to
        if plan is not None:
            fields["plan"] = customer.plan = plan or None
        if domains is not None:
            fields["domains"] = customer.domains = [d.lower().lstrip("@") for d in domains if d.strip()]
        if products is not None:
            fields["products"] = customer.products = [p for p in products if p.strip()]
        if not fields:
            raise InvalidValue("nothing to edit", "give one or more of --contract, --from, --to, --plan, "
                               "--domain, --product")
        if customer.valid_from and customer.valid_to and customer.valid_to < customer.valid_from:
            raise InvalidValue(f"the contract ends ({customer.valid_to}) before it starts ({customer.valid_from})")
        if ended is not None:
            customer.contracts.append(ended)
        customers_file.update_customer(desk, customer.org, fields, ended)
    return customer, ended


def edit_contact(desk: Desk, org: str, key: str, changes: dict[str, str | None]) -> Contact:
    """Change fields of the contact named ``key`` (full name or e-mail); "" clears an optional one."""
    if not changes:
        raise InvalidValue("nothing to edit", "give one or more of --name, --email, --position, --phone, --role")
    with desk.lock():
        customer = get(desk, org)
        contact = customer.find_contact(name=key, email=key)
        if contact is None:
            raise NotFound(f"no contact {key!r} of {customer.org}", f"see them with: supportctl customer show "
                           f"{customer.org!r}")
        lookup = contact.email or contact.name or key
        fields: dict[str, str | None] = {}
        for name, value in changes.items():
            value = value.strip() or None
            if name in ("name", "email") and value is None:
                raise InvalidValue(f"the contact's {name} cannot be empty")
            if name == "email":
                if "@" not in value:
                    raise InvalidValue(f"invalid e-mail {value!r}", "give --email name@example.ru")
                other = customer.find_contact(email=value)
                if other is not None and other is not contact:
                    raise Refused(f"{value} is already a contact of {customer.org}")
            fields[name] = value
            setattr(contact, name, value)
        customers_file.update_contact(desk, customer.org, lookup, fields)
    return contact


def remove_contact(desk: Desk, org: str, key: str) -> Contact:
    with desk.lock():
        customer = get(desk, org)
        contact = customer.find_contact(name=key, email=key)
        if contact is None:
            raise NotFound(f"no contact {key!r} of {customer.org}")
        customers_file.remove_contact(desk, customer.org, contact.email or contact.name or key)
    return contact


def remove(desk: Desk, org: str, force: bool = False) -> Customer:
    """Remove a customer; refused while it has tickets that are not closed, unless ``force``
    (its tickets keep their organisation and contract as recorded)."""
    from supportctl.services.query import Filters, find

    with desk.lock():
        customer = get(desk, org)
        if not force:
            statuses = ["new", "open", "waiting", "completed"]
            pending, _ = find(desk, Filters(status=statuses, org=customer.org))
            if pending:
                shown = ", ".join(t.id for t in pending[:10]) + (" …" if len(pending) > 10 else "")
                raise Refused(f"{customer.org} has {len(pending)} ticket(s) not closed: {shown}",
                              "close them first, or give --force to remove the customer anyway")
        customers_file.remove_customer(desk, customer.org)
    return customer
