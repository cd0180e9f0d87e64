"""Maintaining customers.yaml (R-1.1, R-7.7)."""

from __future__ import annotations

from datetime import date

from supportctl.desk import customers_file
from supportctl.desk.desk import Desk
from supportctl.domain.customers import Customer, find_customer
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
