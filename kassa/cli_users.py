"""``kassa users``: the dashboard's users (create, list, disable)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassa.cli_common import engine, err, settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

users_app = typer.Typer(help="Dashboard users (passwords hashed with Argon2id).",
                        no_args_is_help=True)


class Role(str, Enum):
    admin = "admin"
    member = "member"
    viewer = "viewer"


@contextmanager
def _database(exit_code: int) -> Iterator[Engine]:
    """The migrated database, disposed of afterwards; a service's refusal ends the command
    with ``exit_code``, saying why."""
    from kassa.domain.errors import KassaError
    from kassa.store.migrate import upgrade

    db = engine(settings())
    try:
        upgrade(db)
        yield db
    except KassaError as exc:
        err.print(f"[red]{exc.detail}[/red]", highlight=False)
        raise typer.Exit(exit_code) from None
    finally:
        db.dispose()


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The user's email address; they sign in with it.")],
    role: Annotated[
        Role,
        typer.Option(help="What they may do: viewer reads only, member also works with "
                          "billing data, admin also manages API keys, users and settings."),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard user. Without --password-stdin a password is generated and printed,
    alone on stdout (so PASSWORD=$(kassa users create ...) works): it is shown only once."""
    from kassa.clock import utcnow
    from kassa.services import users

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _database(exit_code=2) as db:
        user, generated = users.create_user(db, email, role.value, utcnow(), password)
    err.print(f"Created {user['email']} ({user['role']}).", highlight=False)
    if generated is not None:
        sys.stdout.write(generated + "\n")


@users_app.command("list")
def users_list() -> None:
    """List the dashboard users with their roles, and whether each is disabled."""
    from kassa.services import users

    table = Table("id", "email", "role", "status", "last sign-in", "created")
    with _database(exit_code=1) as db:
        listed = users.list_users(db)
    for user in listed:
        status = f"disabled {user['disabled_at']}" if user["disabled_at"] else "active"
        table.add_row(user["id"], user["email"], user["role"], status,
                      user["last_sign_in_at"] or "never", user["created_at"])
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@users_app.command("disable")
def users_disable(
    email: Annotated[
        str, typer.Argument(help="The user's email, or id as kassa users list shows.")
    ],
) -> None:
    """Disable user EMAIL: they cannot sign in any more, and their sessions end now."""
    from kassa.clock import utcnow
    from kassa.services import users

    with _database(exit_code=1) as db:
        user = users.disable_user(db, email, utcnow())
    err.print(f"Disabled {user['email']}.", highlight=False)
