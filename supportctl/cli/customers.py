"""Customer commands (R-1.1, R-7.7): customer list|show|add, customer contact add."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import JsonOption, command, desk, echo, print_json, print_table

app = typer.Typer(help="Customers and their contacts (customers.yaml).", no_args_is_help=True)
contact_app = typer.Typer(help="Contacts of a customer.", no_args_is_help=True)
app.add_typer(contact_app, name="contact")


@command(app, "list")
def list_customers(as_json: bool = JsonOption) -> None:
    """List the customers with their contracts and plans."""
    customers = desk().customers()
    if as_json:
        print_json([c.to_dict() for c in customers])
        return
    print_table([{"org": c.org, "contract": c.contract or "", "from": c.valid_from or "", "to": c.valid_to or "",
                  "plan": c.plan or "", "contacts": len(c.contacts)} for c in customers])


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
