"""Secrets Kassa must read back (webhook signing secrets), sealed at rest under the operator key.

API keys, passwords and portal tokens are only ever compared, so they are hashed; a webhook
signing secret has to be used to sign, so it is encrypted instead:

    kassa1:<key id>:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>

The AES key is derived by HKDF-SHA256 from the operator key (``KASSA_SECRET_KEY``, or the key
Kassa generated into ``KASSA_SECRET_KEY_FILE`` when none is set); the key id (8 hex digits, also
derived from the operator key, never the key itself) says which operator key sealed a value, so
a rotation can read old values under ``KASSA_SECRET_KEY_PREVIOUS`` while ``kassa secrets
rotate`` reseals them. The associated data binds a value to where it is stored (table, row,
column): a sealed secret copied to another endpoint does not open there.

A value that does not open (another key, tampered, plaintext) raises ``SealedSecretError``
saying why: Kassa never signs with anything but the secret it generated.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from kassa.config import Settings

log = logging.getLogger("kassa.sealing")

PREFIX = "kassa1"
NONCE_BYTES = 12
MIN_KEY_LENGTH = 32


class SealedSecretError(Exception):
    """A sealed secret could not be opened."""


def _derive(operator_key: str, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"kassa operator key",
                info=info).derive(operator_key.encode())


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM


def _key(operator_key: str) -> _Key:
    key_id = _derive(operator_key, b"kassa key id v1", 4).hex()
    return _Key(key_id, AESGCM(_derive(operator_key, b"kassa sealed secrets v1", 32)))


class OperatorKeys:
    """The current operator key (seals) and any previous ones (still open what they sealed)."""

    def __init__(self, current: str, previous: Iterable[str] = ()) -> None:
        for value in (current, *previous):
            if len(value) < MIN_KEY_LENGTH:
                raise ValueError(f"an operator key has at least {MIN_KEY_LENGTH} characters")
        self._current = _key(current)
        self._keys = {self._current.key_id: self._current}
        for value in previous:
            key = _key(value)
            self._keys.setdefault(key.key_id, key)

    @property
    def key_id(self) -> str:
        """The id of the key that seals (shown by ``kassa secrets status``; not secret)."""
        return self._current.key_id

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def seal(self, plaintext: str, *, where: str) -> str:
        """``plaintext`` sealed under the current key, bound to ``where`` (table:row:column)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = f"{PREFIX}:{self._current.key_id}:{where}".encode()
        sealed = self._current.aead.encrypt(nonce, plaintext.encode(), aad)
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{self._current.key_id}:{token}"

    def open(self, value: str, *, where: str) -> str:
        """The plaintext of ``value`` sealed at ``where``; SealedSecretError when it won't open."""
        key_id = sealed_key_id(value)
        if key_id is None:
            raise SealedSecretError(
                f"{where} is not sealed (stored in plaintext?); run 'kassa db upgrade'")
        key = self._keys.get(key_id)
        if key is None:
            raise SealedSecretError(
                f"{where} was sealed under operator key {key_id}, which is not configured "
                f"(KASSA_SECRET_KEY is key {self.key_id}; set the old key in "
                "KASSA_SECRET_KEY_PREVIOUS)")
        token = value.split(":", 2)[2]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            aad = f"{PREFIX}:{key_id}:{where}".encode()
            return key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise SealedSecretError(
                f"{where} does not open under operator key {key_id}: it was altered or "
                "belongs to another place") from None

    def needs_resealing(self, value: str) -> bool:
        """True when ``value`` is not sealed under the current key (plaintext or an old key)."""
        return sealed_key_id(value) != self.key_id


def sealed_key_id(value: str) -> str | None:
    """The operator key id a sealed value names (None: not a sealed value)."""
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 8:
        return None
    return parts[1]


def _key_file_value(path: Path) -> str:
    """The key kept in ``path``; generated there (owner-only) when the file does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if len(value) < MIN_KEY_LENGTH:
            raise SealedSecretError(
                f"{path} (KASSA_SECRET_KEY_FILE) holds no operator key of at least "
                f"{MIN_KEY_LENGTH} characters") from None
        return value
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.warning("generated an operator key in %s: keep it (and back it up) with the database; "
                "without it the webhook signing secrets cannot be read", path)
    return value


@lru_cache(maxsize=16)
def operator_keys(settings: Settings) -> OperatorKeys:
    """The operator keys ``settings`` name: ``KASSA_SECRET_KEY`` (else the key file, generated
    on first need), plus ``KASSA_SECRET_KEY_PREVIOUS`` (comma-separated) for reading only."""
    if settings.secret_key is not None:
        current = settings.secret_key.get_secret_value()
    else:
        current = _key_file_value(Path(settings.secret_key_file))
    previous = []
    if settings.secret_key_previous is not None:
        previous = [v.strip() for v in settings.secret_key_previous.get_secret_value().split(",")
                    if v.strip()]
    return OperatorKeys(current, previous)

