"""Typed ONTAP errors and their classification.

Every failure that leaves `ontap/` is an `OntapError` naming the cluster, the REST operation, the
object it was about, the HTTP status and ONTAP's own error code and message, so that a caller can
say exactly what failed without digging in a library exception. Messages are built from those
fields only, never from request bodies, so that a password cannot leak through an error.
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests
from netapp_ontap.error import NetAppRestError

# ONTAP error codes (see docs/ontap-errors.md for their sources).
ENTRY_DOES_NOT_EXIST = "4"
NOT_AUTHORIZED = "6"
DUPLICATE_ENTRY = "1"
SVM_NAME_IN_USE = "13434908"
DUPLICATE_IP = "1376963"
DUPLICATE_LIF_NAME = "1966140"
DUPLICATE_ROUTE = "1966345"
NVME_SERVICE_EXISTS = "72089650"
MAX_SVM_JOBS = "13434894"
SVM_CREATE_DELETE_IN_PROGRESS = "13434915"
SVM_BEING_CREATED = "13434916"
VOLUME_BUSY = "524486"
OBJECT_LOCKED = "2"  # not used alone: "2" is also "failed to set field"; see BUSY_MESSAGES
SVM_NOT_FOUND_CODES = frozenset({"2621462", "1967146", "1967147"})

DUPLICATE_CODES = frozenset(
    {DUPLICATE_ENTRY, SVM_NAME_IN_USE, DUPLICATE_IP, DUPLICATE_LIF_NAME, DUPLICATE_ROUTE, NVME_SERVICE_EXISTS}
)
BUSY_CODES = frozenset({MAX_SVM_JOBS, SVM_CREATE_DELETE_IN_PROGRESS, SVM_BEING_CREATED, VOLUME_BUSY})
TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})


class OntapError(Exception):
    """An ONTAP call failed. Subclasses say how; `retryable` says whether repeating can help."""

    kind: ClassVar[str] = "unexpected"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        description: str,
        *,
        cluster: str = "",
        endpoint: str = "",
        operation: str = "",
        target: str = "",
        http_status: int | None = None,
        ontap_code: str | None = None,
        ontap_message: str | None = None,
    ) -> None:
        self.description = description
        self.cluster = cluster
        self.endpoint = endpoint
        self.operation = operation
        self.target = target
        self.http_status = http_status
        self.ontap_code = ontap_code
        self.ontap_message = ontap_message
        super().__init__(self._render())

    def _render(self) -> str:
        where = " ".join(p for p in (self.operation, f"on {self.target}" if self.target else "") if p)
        at = f" ({self.endpoint})" if self.endpoint else ""
        cluster = f"ONTAP cluster {self.cluster!r}{at}: " if self.cluster else ""
        details = []
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.ontap_code:
            details.append(f"ONTAP error {self.ontap_code}")
        detail = f" ({', '.join(details)})" if details else ""
        head = f"{cluster}{where}: " if where else cluster
        return f"{head}{self.description}{detail}"

    def as_dict(self) -> dict[str, Any]:
        """Structured fields for logs and status."""
        return {
            "kind": self.kind,
            "cluster": self.cluster,
            "endpoint": self.endpoint,
            "operation": self.operation,
            "target": self.target,
            "http_status": self.http_status,
            "ontap_code": self.ontap_code,
            "ontap_message": self.ontap_message,
        }


class OntapNotFound(OntapError):
    kind = "not-found"


class OntapAlreadyExists(OntapError):
    kind = "already-exists"


class OntapBusy(OntapError):
    """The object is locked or another job works on it; waiting can help."""

    kind = "busy"
    retryable = True


class OntapUnauthenticated(OntapError):
    kind = "unauthenticated"


class OntapForbidden(OntapError):
    kind = "forbidden"


class OntapInvalidInput(OntapError):
    kind = "invalid-input"


class OntapTransient(OntapError):
    """5xx, timeouts, connection resets: the request may or may not have been applied."""

    kind = "transient"
    retryable = True


class OntapDeadlineExceeded(OntapTransient):
    """The whole answer did not arrive within `requestTimeout` (e.g. it trickled in).

    Not repeated within the call (each attempt could take as long again); the pass fails and is
    backed off like after any transient error.
    """

    kind = "deadline-exceeded"
    retryable = False


class OntapJobFailed(OntapError):
    kind = "job-failed"


class OntapTlsError(OntapError):
    """The cluster's certificate could not be verified (or TLS failed): fix the CA bundle, not retry."""

    kind = "tls"


class OntapOwnershipConflict(OntapError):
    """An object of the wanted name exists but is not ours (no ownership marker): never touched."""

    kind = "ownership-conflict"


class OntapPlacementConflict(OntapError):
    """The SVM exists on more than one cluster; which one is meant cannot be decided automatically."""

    kind = "placement-conflict"


class OntapNotEmpty(OntapError):
    """The SVM still holds volumes; deleting it would destroy data, so it is refused."""

    kind = "not-empty"


class OntapUnexpectedAnswer(OntapError):
    """ONTAP answered with something the layer cannot interpret (bad JSON, missing fields)."""

    kind = "unexpected-answer"


_TRANSIENT_CAUSES: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ConnectionError,
    TimeoutError,
)


def _error_body(exc: NetAppRestError) -> tuple[str | None, str | None]:
    body = None
    try:
        body = exc.response_body
    except Exception:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code")
            message = err.get("message")
            return (str(code) if code is not None else None, str(message) if message is not None else None)
    return None, None


def _class_for(status: int | None, code: str | None) -> type[OntapError]:
    """The HTTP status decides first; ONTAP's code only refines a 4xx.

    A 5xx is transient whatever code it carries (a 500 with code "1" is not "already exists": the
    request may or may not have been applied, so the caller re-observes).
    """
    if status is None:
        return OntapError
    if status >= 500 or status in TRANSIENT_HTTP:
        return OntapTransient
    if status == 401:
        return OntapUnauthenticated
    if status == 403 or (400 <= status < 500 and code == NOT_AUTHORIZED):
        return OntapForbidden
    if status == 423:
        return OntapBusy
    if not 400 <= status < 500:
        return OntapError
    if code in DUPLICATE_CODES:
        return OntapAlreadyExists
    if code in BUSY_CODES:
        return OntapBusy
    if code == ENTRY_DOES_NOT_EXIST or code in SVM_NOT_FOUND_CODES or status == 404:
        return OntapNotFound
    if status == 409:
        return OntapBusy
    return OntapInvalidInput


def _named(error: OntapError, where: dict[str, Any]) -> OntapError:
    """`error` with the call's cluster, endpoint, operation and target filled in where it lacks them."""
    for field, value in where.items():
        if value and not getattr(error, field):
            setattr(error, field, value)
    error.args = (error._render(),)
    return error


def _non_json_note(exc: NetAppRestError, status: int) -> str:
    """`; the body is not JSON (text/html, 1.2 KB)` for an HTML error page, else ``."""
    if status == 401:
        return ""  # ONTAP's own 401 is an HTML page
    response = getattr(exc.http_err_response, "http_response", None)
    if response is None or exc.response_body is not None:
        return ""
    media = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()[:60]
    size = len(response.content or b"")
    text = f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB"
    return f"; the body is not JSON ({media or 'no content type'}, {text})"


def classify(
    exc: BaseException, *, cluster: str = "", endpoint: str = "", operation: str = "", target: str = ""
) -> OntapError:
    """Turn whatever netapp-ontap or requests raised into a typed `OntapError`."""
    where: dict[str, Any] = {
        "cluster": cluster,
        "endpoint": endpoint,
        "operation": operation,
        "target": target,
    }
    if isinstance(exc, OntapError):
        return _named(exc, where)
    if isinstance(exc, NetAppRestError):
        status = exc.status_code
        code, message = _error_body(exc)
        cause = getattr(exc, "cause", None)
        if status is None and isinstance(cause, requests.exceptions.SSLError):
            return OntapTlsError(_describe_tls(cause), **where)
        if status is None and cause is not None and isinstance(cause, _TRANSIENT_CAUSES):
            return OntapTransient(_describe_transport(cause), **where)
        if status is None:
            # Raised by the library itself (client-side validation, job polling): no HTTP answer.
            return OntapError(_first_line(str(exc)), **where)
        cls = _class_for(status, code)
        description = message or _reason(status) + _non_json_note(exc, status)
        return cls(description, http_status=status, ontap_code=code, ontap_message=message, **where)
    if isinstance(exc, requests.exceptions.SSLError):
        return OntapTlsError(_describe_tls(exc), **where)
    if isinstance(exc, _TRANSIENT_CAUSES):
        return OntapTransient(_describe_transport(exc), **where)
    return OntapError(f"{type(exc).__name__}: {_first_line(str(exc))}", **where)


def _describe_transport(cause: BaseException) -> str:
    if isinstance(cause, requests.Timeout | TimeoutError):
        return "no answer before the timeout"
    return f"connection failed ({type(cause).__name__})"


def _describe_tls(cause: BaseException) -> str:
    text = str(cause)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS certificate verification failed (configure caBundleFile with the cluster's CA)"
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "TLS handshake failed (is the endpoint plain HTTP?)"
    return "TLS handshake failed"


def _reason(status: int) -> str:
    reasons = {401: "authentication failed", 403: "not authorized", 404: "not found", 409: "conflict"}
    return reasons.get(status, f"HTTP error {status}")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:500] if text.strip() else "no details"
