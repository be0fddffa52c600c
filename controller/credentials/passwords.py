"""Passwords for the per-shoot ONTAP accounts, and the credentials the seed secret holds."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from pydantic import SecretStr

MIN_LENGTH = 8
MAX_LENGTH = 128
# Letters, digits and symbols that need no quoting in YAML, shell or URLs.
SYMBOLS = "-_.+"
ALPHABET = string.ascii_letters + string.digits + SYMBOLS


def register_secret(value: str) -> None:
    """Tell the log redactor about a secret value, so a mistake cannot leak it into a log line."""
    try:
        from controller.runtime.logging import register_secret as register
    except ImportError:  # the redactor is optional for library use
        return
    register(value)


def generate_password(length: int, *, username: str = "") -> SecretStr:
    """A random password ONTAP accepts: letters and digits (and safe symbols), not containing the username."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"password length must be between {MIN_LENGTH} and {MAX_LENGTH}, got {length}")
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if is_acceptable(candidate, username=username):
            register_secret(candidate)
            return SecretStr(candidate)


def is_acceptable(password: str, *, username: str = "") -> bool:
    """ONTAP's default password rules: 8..128 characters, a letter and a digit, no username inside."""
    return (
        MIN_LENGTH <= len(password) <= MAX_LENGTH
        and any(c in string.ascii_letters for c in password)
        and any(c in string.digits for c in password)
        and (not username or username.lower() not in password.lower())
    )


@dataclass(frozen=True)
class SeedCredentials:
    """Credentials of the shoot's ONTAP account as stored in the seed secret, confirmed to work on ONTAP."""

    username: str
    password: SecretStr
    secret_name: str
    secret_namespace: str

    def __repr__(self) -> str:
        return (
            f"SeedCredentials(username={self.username!r}, password=**********, "
            f"secret={self.secret_namespace}/{self.secret_name})"
        )
