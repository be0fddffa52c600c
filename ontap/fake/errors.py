"""ONTAP's error envelope and the error codes the fake answers with.

Codes come from ONTAP's API reference and client libraries; the few marked as fake-specific are
documented in docs/fake-ontap.md.
"""

from __future__ import annotations

from typing import Any

ENTRY_DOES_NOT_EXIST = "4"
DUPLICATE_ENTRY = "1"
INVALID_VALUE = "2"
NOT_AUTHORIZED = "6"
UNEXPECTED_ARGUMENT = "262179"
MISSING_REQUIRED_FIELD = "262186"
SVM_NAME_IN_USE = "13434908"
SVM_NAME_INVALID = "2621519"
SVM_NAME_TOO_LONG = "13434911"
SVM_MISSING = "2621462"
MAX_SVM_JOBS = "13434894"
SVM_BEING_CREATED = "13434916"
SVM_HAS_VOLUMES = "13434920"
DUPLICATE_IP = "1376963"
DUPLICATE_LIF_NAME = "1966140"
BAD_IPV4_PREFIX = "1966269"
HOME_NODE_MISSING = "393271"
ROLE_MISSING = "5636129"
ACCOUNT_NAME_BAD_CHARACTER = "7077897"
ACCOUNT_NAME_LENGTH = "7077899"
ACCOUNT_NAME_RESERVED = "5636121"
PASSWORD_LENGTH = "7077918"
PASSWORD_REUSED = "7077940"
NVME_SERVICE_EXISTS = "72089650"
NVME_SERVICE_MISSING = "72089651"
NVME_SERVICE_ENABLED = "72090028"


class FakeApiError(Exception):
    """An ONTAP REST error: HTTP status plus ONTAP's numeric code, message and target."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target

    def body(self) -> dict[str, Any]:
        """The `{"error": {...}}` envelope ONTAP sends."""
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.target:
            error["target"] = self.target
        return {"error": error}


def not_found(what: str, target: str = "uuid") -> FakeApiError:
    """ONTAP's 404 for a key that names nothing."""
    return FakeApiError(404, ENTRY_DOES_NOT_EXIST, f'entry doesn\'t exist: "{what}"', target)


def bad_field(field: str, value: object) -> FakeApiError:
    """ONTAP's 400 for a value it cannot set."""
    return FakeApiError(400, INVALID_VALUE, f'Failed to set field "{field}" to "{value}".', field)


def required(field: str) -> FakeApiError:
    """ONTAP's 400 for a POST without a required field."""
    return FakeApiError(400, MISSING_REQUIRED_FIELD, f'The value for field "{field}" is required.', field)


def unexpected(field: str) -> FakeApiError:
    """ONTAP's 400 for a body field the operation does not take."""
    return FakeApiError(400, UNEXPECTED_ARGUMENT, f'Unexpected argument "{field}".', field)


def forbidden() -> FakeApiError:
    """ONTAP's 403 for a user whose role does not allow the call."""
    return FakeApiError(403, NOT_AUTHORIZED, "not authorized for that command")
