"""ONTAP's error envelope and the error codes the fake answers with.

Codes come from NetApp's sources (netapp-ontap docstrings, Trident's ONTAP error tables, the Ansible
collection); where ONTAP's code is unknown the fake answers a code that is clearly its own
(`fake-...`, never a number ONTAP uses for something else). See the fidelity table in
docs/fake-ontap.md.
"""

from __future__ import annotations

from typing import Any

ENTRY_DOES_NOT_EXIST = "4"
DUPLICATE_ENTRY = "1"
INVALID_VALUE = "2"
NOT_AUTHORIZED = "6"
UNEXPECTED_ARGUMENT = "262179"
MISSING_REQUIRED_FIELD = "2"  # '"node.uuid" is a required field' (NetApp/ontap-rest-python#43)
FIELD_CANNOT_BE_SET = "262196"
INVALID_FIELDS_VALUE = "262197"
SVM_NAME_IN_USE = "13434908"
SVM_NAME_INVALID = "2621519"
SVM_NAME_TOO_LONG = "13434911"
SVM_MISSING = "2621462"
MAX_SVM_JOBS = "13434894"
SVM_BEING_CREATED = "13434916"
# fake-specific: ONTAP's answer to deleting an SVM that still holds volumes is undocumented
SVM_NOT_EMPTY = "fake-svm-not-empty"
DUPLICATE_IP = "1376963"
DUPLICATE_LIF_NAME = "1966140"
BAD_IPV4_PREFIX = "1966269"
HOME_NODE_MISSING = "393271"
LIF_ADDRESS_INCOMPLETE = "1967398"
VIP_HOME_PORT = "1967383"
VIP_NETMASK = "1967385"
SERVICE_POLICY_MISSING = "53281065"
ROLE_MISSING = "5636129"
ACCOUNT_NAME_BAD_CHARACTER = "7077897"
ACCOUNT_NAME_LENGTH = "7077899"
ACCOUNT_NAME_RESERVED = "5636121"
ACCOUNT_NAME_AUTOSUPPORT = "5636126"
PASSWORD_CONTAINS_USER = "7077918"
PASSWORD_TOO_SHORT = "7077919"
PASSWORD_IN_HISTORY = "7077924"
PASSWORD_SAME_AS_OLD = "7077925"
PASSWORD_TOO_LONG = "7077940"
NVME_SERVICE_EXISTS = "72089650"
NVME_SERVICE_MISSING = "72089651"
NVME_SERVICE_HAS_SUBSYSTEMS = "72089653"
NVME_SERVICE_HAS_LIFS = "72089654"
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
    """ONTAP's 400 for a POST without a required field (code "2", as ONTAP words it)."""
    return FakeApiError(400, MISSING_REQUIRED_FIELD, f'"{field}" is a required field', field)


def cannot_set(field: str) -> FakeApiError:
    """ONTAP's 400 for a field the operation may not set (e.g. PATCH of a POST-only field)."""
    return FakeApiError(400, FIELD_CANNOT_BE_SET, f'Field "{field}" cannot be set in this operation.', field)


def invalid_fields(name: str) -> FakeApiError:
    """ONTAP's 400 for a `fields=` entry the resource does not have."""
    return FakeApiError(
        400, INVALID_FIELDS_VALUE, f'The value "{name}" is invalid for field "fields" (<field,...>)', "fields"
    )


def unexpected(field: str) -> FakeApiError:
    """ONTAP's 400 for a body field the operation does not take."""
    return FakeApiError(400, UNEXPECTED_ARGUMENT, f'Unexpected argument "{field}".', field)


def forbidden() -> FakeApiError:
    """ONTAP's 403 for a user whose role does not allow the call."""
    return FakeApiError(403, NOT_AUTHORIZED, "not authorized for that command")
