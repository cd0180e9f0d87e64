"""Customers (R-1.1) and how a ticket is matched to one (R-7.7 / R-4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from supportctl.domain.messages import unverified_reason
from supportctl.domain.ticket import Contact


@dataclass
class ContractPeriod:
    """A contract period the customer had before a renewal (``contracts:``): tickets received in it
    stay matched to it, with its plan."""

    contract: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    plan: str | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to)

    def to_dict(self) -> dict[str, Any]:
        return {"contract": self.contract, "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None, "plan": self.plan}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ContractPeriod":
        return cls(contract=_str_or_none(d.get("contract")), valid_from=_date(d.get("valid_from")),
                   valid_to=_date(d.get("valid_to")), plan=_str_or_none(d.get("plan")))


@dataclass
class Customer:
    org: str
    contract: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    plan: str | None = None
    products: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    contracts: list[ContractPeriod] = field(default_factory=list)  # earlier periods, kept by renewals

    def contract_valid_on(self, day: date) -> bool:
        return self.current_period().valid_on(day)

    def current_period(self) -> ContractPeriod:
        return ContractPeriod(self.contract, self.valid_from, self.valid_to, self.plan)

    def period_on(self, day: date) -> ContractPeriod | None:
        """The contract in force on ``day``: the current one, else an earlier one of ``contracts:``."""
        for period in [self.current_period(), *reversed(self.contracts)]:
            if period.valid_on(day):
                return period
        return None

    def find_contact(self, name: str | None = None, email: str | None = None) -> Contact | None:
        for c in self.contacts:
            if email and c.email and c.email.lower() == email.lower():
                return c
        for c in self.contacts:
            if name and c.name and org_key(c.name) == org_key(name):
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "contract": self.contract,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "plan": self.plan,
            "products": list(self.products),
            "domains": list(self.domains),
            "contacts": [c.to_dict() for c in self.contacts],
            **({"contracts": [p.to_dict() for p in self.contracts]} if self.contracts else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Customer":
        return cls(
            org=str(d["org"]),
            contract=_str_or_none(d.get("contract")),
            valid_from=_date(d.get("valid_from")),
            valid_to=_date(d.get("valid_to")),
            plan=_str_or_none(d.get("plan")),
            products=[str(p) for p in d.get("products") or []],
            domains=[str(x).lower() for x in d.get("domains") or []],
            contacts=[Contact.from_dict(c) for c in d.get("contacts") or []],
            contracts=[ContractPeriod.from_dict(p) for p in d.get("contracts") or []],
        )


@dataclass
class Match:
    """What the customer register says of a ticket's sender; when unverified, why, as a code
    (unknown_customer, unknown_contact, contract_expired, contract_not_started) and its values."""

    customer: Customer | None
    contact: Contact | None
    verified: bool
    code: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    period: ContractPeriod | None = None  # the contract in force on the day (verified ones)

    def reason(self, lang: str = "ru") -> str | None:
        """The reason in words, for the specialists (None when verified)."""
        return unverified_reason(self.code, lang, **self.values) if self.code else None


def match(customers: list[Customer], *, org: str | None, name: str | None, email: str | None,
          on: date) -> Match:
    """R-7.7: a ticket gets its customer's level of service only from a registered contact
    of a customer whose contract is valid on the day it was received."""
    customer = find_customer(customers, org=org, email=email)
    if customer is None:
        return Match(None, None, False, "unknown_customer", {"org": org, "email": email})
    contact = customer.find_contact(name=name, email=email)
    if contact is None:
        return Match(customer, None, False, "unknown_contact",
                     {"org": customer.org, "name": name, "email": email})
    period = customer.period_on(on)
    if period is None:
        expired = customer.valid_to is not None and customer.valid_to < on
        return Match(customer, contact, False, "contract_expired" if expired else "contract_not_started",
                     {"org": customer.org, "contract": customer.contract,
                      "date": customer.valid_to if expired else customer.valid_from})
    return Match(customer, contact, True, period=period)


def find_customer(customers: list[Customer], *, org: str | None = None,
                  email: str | None = None) -> Customer | None:
    """By organisation name, else by the contact's address, else by the mail domain."""
    if org:
        for c in customers:
            if org_key(c.org) == org_key(org):
                return c
        return None
    if email:
        address = email.lower()
        for c in customers:
            if any(k.email and k.email.lower() == address for k in c.contacts):
                return c
        domain = address.rpartition("@")[2]
        for c in customers:
            if domain and domain in c.domains:
                return c
    return None


def org_key(name: str) -> str:
    """How two spellings of an organisation are found the same: case, «» and "" quotes, spaces."""
    return " ".join(name.replace("«", '"').replace("»", '"').casefold().split())


def _date(v: Any) -> date | None:
    if v in (None, ""):
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _str_or_none(v: Any) -> str | None:
    return None if v in (None, "") else str(v)
