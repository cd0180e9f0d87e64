"""Customer commands (R-1.1, R-7.7): customer list|show|add|edit|remove, customer contact add|edit|remove."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, desk, echo, print_json, print_table
from supportctl.cli.terminal import WideOption

app = typer.Typer(help="Customers and their contacts (customers.yaml).", no_args_is_help=True)
contact_app = typer.Typer(help="Contacts of a customer.", no_args_is_help=True)
app.add_typer(contact_app, name="contact")


@command(app, "list")
def list_customers(as_json: bool = JsonOption, wide: bool = WideOption) -> None:
    """List the customers with their contracts and plans."""
    customers = desk().customers()
    if as_json:
        print_json([c.to_dict() for c in customers])
        return
    print_table([{"org": c.org, "contract": c.contract or "", "from": c.valid_from or "", "to": c.valid_to or "",
                  "plan": c.plan or "", "contacts": len(c.contacts)} for c in customers], shrink=("org",))


@command(app, "show")
def show(org: str = typer.Argument(..., metavar="ORG"), as_json: bool = JsonOption) -> None:
    """Show one customer with its contacts."""
    from supportctl.services import customers

    c = customers.get(desk(), org)
    if as_json:
        print_json(c.to_dict())
        return
    echo(f"{c.org}\ncontract: {c.contract or '—'} ({c.valid_from or '…'} – {c.valid_to or '…'})"
               f"\nplan:     {c.plan or 'default'}\nproducts: {', '.join(c.products) or '—'}"
               f"\ndomains:  {', '.join(c.domains) or '—'}\ncontacts:")
    for k in c.contacts:
        echo("  " + ", ".join(x for x in (k.name, k.position, k.phone, k.email) if x)
             + (f" (role: {k.role})" if k.role else ""))
    if c.contracts:
        echo("earlier contracts:")
        for p in c.contracts:
            echo(f"  {p.contract or '—'} ({p.valid_from or '…'} – {p.valid_to or '…'}), plan {p.plan or 'default'}")


@command(app, "add")
def add(
    org: str = typer.Argument(..., metavar="ORG"),
    contract: str = typer.Option(..., "--contract", help="Contract number, e.g. a state contract number."),
    valid_from: str = typer.Option(..., "--from", help="Contract valid from (YYYY-MM-DD)."),
    valid_to: str = typer.Option(..., "--to", help="Contract valid to (YYYY-MM-DD)."),
    plan: Optional[str] = typer.Option(None, "--plan", help="Service plan: names the SLA policy."),
    domain: list[str] = typer.Option([], "--domain", metavar="DOMAIN", help="Mail domain of the customer; repeatable."),
    product: list[str] = typer.Option([], "--product", metavar="PRODUCT", help="Product covered; repeatable."),
) -> None:
    """Add a customer with its contract (R-1.1)."""
    from supportctl.domain.values import parse_date
    from supportctl.services import customers

    c = customers.add(desk(), org, contract, parse_date(valid_from), parse_date(valid_to), plan, domain, product)
    typer.echo(f"added customer {c.org}")


@command(contact_app, "add")
def add_contact(
    org: str = typer.Argument(..., metavar="ORG"),
    name: str = typer.Option(..., "--name", help="Full name (ФИО)."),
    email: str = typer.Option(..., "--email", help="E-mail address."),
    position: Optional[str] = typer.Option(None, "--position", help="Position."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone."),
    role: Optional[str] = typer.Option(None, "--role", help="Role, e.g. owner: who may ask for what "
                                       "written_only reserves (IS-3)."),
) -> None:
    """Add a registered contact person to a customer (R-7.7)."""
    from supportctl.domain.ticket import Contact
    from supportctl.services import customers

    c = customers.add_contact(desk(), org, Contact(name=name, position=position, phone=phone, email=email,
                                                   role=role or None))
    typer.echo(f"added {name} <{email}> to {c.org}")


@command(app, "edit")
def edit(
    org: str = typer.Argument(..., metavar="ORG"),
    contract: Optional[str] = typer.Option(None, "--contract", help="A new contract number (a renewal)."),
    valid_from: Optional[str] = typer.Option(None, "--from", help="Contract valid from (YYYY-MM-DD)."),
    valid_to: Optional[str] = typer.Option(None, "--to", help="Contract valid to (YYYY-MM-DD); a later end "
                                           "is a renewal."),
    plan: Optional[str] = typer.Option(None, "--plan", help="Service plan ('' for the default one)."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", metavar="DOMAIN",
                                               help="Mail domain; repeatable; replaces the list."),
    product: Optional[list[str]] = typer.Option(None, "--product", metavar="PRODUCT",
                                                help="Product covered; repeatable; replaces the list."),
) -> None:
    """Change a customer's contract, plan, domains or products (R-1.1).

    A renewal (a new --contract, or a later --to) keeps the old period under `contracts:`, so tickets
    received in it stay matched to the contract of their day; the new period starts the day after the
    old one ended unless --from is given. Comments and other keys of customers.yaml are kept."""
    from supportctl.domain.values import parse_date
    from supportctl.services import customers

    c, ended = customers.edit(desk(), org, contract=contract,
                              valid_from=parse_date(valid_from) if valid_from else None,
                              valid_to=parse_date(valid_to) if valid_to else None, plan=plan,
                              domains=domain or None, products=product or None)
    renewed = (f", renewed: {ended.contract or '—'} ({ended.valid_from or '…'} – {ended.valid_to or '…'}) kept "
               "in its history") if ended else ""
    typer.echo(f"edited customer {c.org}: contract {c.contract or '—'} ({c.valid_from or '…'} – "
               f"{c.valid_to or '…'}), plan {c.plan or 'default'}{renewed}")


@command(app, "remove")
def remove(org: str = typer.Argument(..., metavar="ORG"),
           force: bool = typer.Option(False, "--force", help="Remove it even with tickets not closed.")) -> None:
    """Remove a customer; refused while it has tickets that are not closed (unless --force)."""
    from supportctl.services import customers

    c = customers.remove(desk(), org, force)
    typer.echo(f"removed customer {c.org}")


@command(contact_app, "edit")
def edit_contact(
    org: str = typer.Argument(..., metavar="ORG"),
    key: str = typer.Argument(..., metavar="NAME", help="The contact's full name or e-mail."),
    name: Optional[str] = typer.Option(None, "--name", help="Full name (ФИО)."),
    email: Optional[str] = typer.Option(None, "--email", help="E-mail address."),
    position: Optional[str] = typer.Option(None, "--position", help="Position ('' clears it)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone ('' clears it)."),
    role: Optional[str] = typer.Option(None, "--role", help="Role, e.g. owner ('' clears it)."),
) -> None:
    """Change a contact of a customer. Tickets already received keep their contact and their match;
    `supportctl verify ID` matches one again."""
    from supportctl.services import customers

    given = {"name": name, "email": email, "position": position, "phone": phone, "role": role}
    k = customers.edit_contact(desk(), org, key, {f: v for f, v in given.items() if v is not None})
    typer.echo(f"edited contact {k.name} <{k.email}> of {org}")


@command(contact_app, "remove")
def remove_contact(org: str = typer.Argument(..., metavar="ORG"),
                   key: str = typer.Argument(..., metavar="NAME", help="The contact's full name or e-mail.")) -> None:
    """Remove a contact of a customer; its later mails are no longer matched to the customer (R-7.7)."""
    from supportctl.services import customers

    k = customers.remove_contact(desk(), org, key)
    typer.echo(f"removed {k.name} <{k.email}> from {org}")
