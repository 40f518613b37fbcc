"""user add, token create."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from agent.cli.core import CommandError, context
from inventory.accounts import AccountError, create_token, create_user
from inventory.choices import Role
from inventory.models import User


@click.group()
def user() -> None:
    """Dashboard and API users."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user; the password comes from a prompt or from stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    ctx = context()
    try:
        with ctx.begin() as s:
            create_user(s, name, password, Role(role))
    except AccountError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(f"user {name} added with role {role}")


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--user", "user_name", required=True)
def token_create(user_name: str) -> None:
    """Create an API bearer token for a user; it is printed once and stored only as a hash."""
    ctx = context()
    with ctx.begin() as s:
        u = s.scalar(select(User).where(User.name == user_name))
        if u is None:
            raise CommandError(f"no user named {user_name!r}")
        value = create_token(s, u)
    click.echo(value)


COMMANDS = [user, token]
