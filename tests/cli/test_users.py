"""kassa users create|list|disable, as an operator runs them; the passwords they set sign in.

One test runs the real ``kassa`` executable; the others invoke the same typer app in-process
(a subprocess per command costs seconds, mostly Python starting up)."""

from __future__ import annotations

import re
import subprocess
from types import SimpleNamespace

from sqlalchemy import select
from typer.testing import CliRunner

from kassa.cli import app
from kassa.clock import utcnow
from kassa.domain.errors import Unauthorized
from kassa.services import sign_in, users
from kassa.store.tables import users as user_rows
from tests.cli.test_cli import run as run_process


def run(args: list[str], database_url: str, input: str | None = None) -> SimpleNamespace:
    """``kassa ARGS`` in this process: its exit code, stdout and stderr."""
    done = CliRunner().invoke(app, args, input=input, env={"KASSA_DATABASE_URL": database_url},
                              catch_exceptions=False)
    return SimpleNamespace(returncode=done.exit_code, stdout=done.stdout, stderr=done.stderr)


def _signs_in(kassa, email: str, password: str) -> bool:
    try:
        sign_in.sign_in(kassa.engine, email, password, "127.0.0.1", utcnow())
    except Unauthorized:
        return False
    return True


def test_create_prints_a_generated_password_once(kassa, database_url: str) -> None:
    done = run_process(["users", "create", "--email", "Ops@Example.com", "--role", "admin"],
                       database_url)
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"[A-Za-z0-9]{20}\n", done.stdout)
    assert done.stderr.strip() == "Created ops@example.com (admin)."
    with kassa.engine.connect() as conn:  # Argon2id with argon2-cffi's RFC 9106 defaults
        stored_hash = conn.execute(select(user_rows.c.password_hash)).scalar_one()
    assert stored_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert _signs_in(kassa, "ops@example.com", done.stdout.strip())
    assert not _signs_in(kassa, "ops@example.com", "something else")
    stored = users.list_users(kassa.engine)
    assert [(u["email"], u["role"]) for u in stored] == [("ops@example.com", "admin")]
    listed = run_process(["users", "list"], database_url)
    assert "ops@example.com" in listed.stdout and "admin" in listed.stdout
    assert done.stdout.strip() not in listed.stdout


def test_create_reads_the_password_from_stdin(kassa, database_url: str) -> None:
    done = run(["users", "create", "--email", "viewer@example.com", "--role", "viewer",
                "--password-stdin"], database_url, input="a long passphrase here\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # nothing to show: the password was the operator's
    assert _signs_in(kassa, "viewer@example.com", "a long passphrase here")
    short = run(["users", "create", "--email", "m@example.com", "--role", "member",
                 "--password-stdin"], database_url, input="short\n")
    assert short.returncode == 2
    assert "The password must have at least 12 characters." in short.stderr


def test_bad_input_exits_2_saying_why(kassa, database_url: str) -> None:
    run(["users", "create", "--email", "taken@example.com", "--role", "member"], database_url)
    taken = run(["users", "create", "--email", "TAKEN@example.com", "--role", "admin"],
                database_url)
    assert taken.returncode == 2
    assert "A user with the email 'taken@example.com' already exists." in taken.stderr
    bad = run(["users", "create", "--email", "nobody", "--role", "admin"], database_url)
    assert bad.returncode == 2 and "'nobody' is not an email address." in bad.stderr
    role = run(["users", "create", "--email", "x@example.com", "--role", "owner"], database_url)
    assert role.returncode == 2 and "owner" in role.stderr
    assert [u["email"] for u in users.list_users(kassa.engine)] == ["taken@example.com"]


def test_disable(kassa, database_url: str) -> None:
    run(["users", "create", "--email", "first@example.com", "--role", "admin"], database_url)
    password = run(["users", "create", "--email", "second@example.com", "--role", "admin"],
                   database_url).stdout.strip()
    done = run(["users", "disable", "second@example.com"], database_url)
    assert done.returncode == 0 and done.stderr.strip() == "Disabled second@example.com."
    assert not _signs_in(kassa, "second@example.com", password)
    assert "disabled" in run(["users", "list"], database_url).stdout
    last = run(["users", "disable", "first@example.com"], database_url)
    assert last.returncode == 1
    assert ("first@example.com is the only active admin; make another user an admin first."
            in last.stderr)
    missing = run(["users", "disable", "nobody@example.com"], database_url)
    assert missing.returncode == 1 and "User 'nobody@example.com' was not found." in missing.stderr
