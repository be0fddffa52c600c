"""The shoot's ONTAP account credentials: passwords, the decision over secret and login, and the one
executor of that decision (see `plan`, `engine` and `shoot_io`)."""

from controller.credentials.passwords import (
    ALPHABET,
    MAX_LENGTH,
    MIN_LENGTH,
    SYMBOLS,
    SeedCredentials,
    generate_password,
    is_acceptable,
    register_secret,
)

__all__ = [
    "ALPHABET",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "SYMBOLS",
    "SeedCredentials",
    "generate_password",
    "is_acceptable",
    "register_secret",
]
