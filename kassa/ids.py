"""Identifiers: plain 8-character base62 ids and prefixed 22-character ones (``prod_...``)."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase

PLAIN_LENGTH = 8
PREFIXED_LENGTH = 22

# Objects whose ids are plain (customers, subscriptions, subscription versions).
PLAIN = "plain"

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters (one big random number, not one draw per
    character: ids are made on hot paths, e.g. one per webhook attempt)."""
    limit = 62**length
    bits = limit.bit_length()
    while True:  # rejection sampling keeps every string equally likely
        number = secrets.randbits(bits)
        if number < limit:
            break
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def new_id(prefix: str = PLAIN) -> str:
    """A fresh id: ``new_id()`` → ``wcqYrqfE``, ``new_id("prod")`` → ``prod_032wMej8...``."""
    if prefix == PLAIN:
        return random_base62(PLAIN_LENGTH)
    return f"{prefix}_{random_base62(PREFIXED_LENGTH)}"


def client_id_problem(value: str, prefix: str = PLAIN) -> str | None:
    """Why a client-chosen id (imports, migrations) is unacceptable, or None when it is fine."""
    body = value
    if prefix != PLAIN:
        if not value.startswith(prefix + "_"):
            return f"must start with '{prefix}_'"
        body = value[len(prefix) + 1 :]
    if not _CLIENT_ID.match(body):
        return "must be 1-64 letters, digits, '_' or '-', starting with a letter or digit"
    return None
