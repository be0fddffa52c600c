"""Classification of real netapp-ontap / requests failures into the typed ONTAP errors."""

from __future__ import annotations

import json

import pytest
import requests
from netapp_ontap.error import NetAppRestError

from ontap import errors
from ontap.errors import classify


def http_error(
    status: int, code: str | None = None, message: str = "", body: str | None = None
) -> NetAppRestError:
    response = requests.Response()
    response.status_code = status
    response.url = "https://cluster.example/api/svm/svms"
    if body is None:
        payload = {"error": {"message": message, **({"code": code} if code is not None else {})}}
        body = json.dumps(payload)
    response._content = body.encode()
    response.headers["Content-Type"] = "application/json"
    return NetAppRestError(cause=requests.HTTPError(f"{status} Error", response=response))


WHERE = {"cluster": "c1", "operation": "POST /api/svm/svms", "target": "svm p1"}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, errors.SVM_NAME_IN_USE, errors.OntapAlreadyExists),
        (400, errors.DUPLICATE_IP, errors.OntapAlreadyExists),
        (409, errors.DUPLICATE_LIF_NAME, errors.OntapAlreadyExists),
        (409, errors.DUPLICATE_ENTRY, errors.OntapAlreadyExists),
        (400, errors.NVME_SERVICE_EXISTS, errors.OntapAlreadyExists),
        (400, errors.MAX_SVM_JOBS, errors.OntapBusy),
        (409, errors.SVM_BEING_CREATED, errors.OntapBusy),
        (409, errors.SVM_CREATE_DELETE_IN_PROGRESS, errors.OntapBusy),
        (409, errors.VOLUME_BUSY, errors.OntapBusy),
        (423, None, errors.OntapBusy),
        (409, None, errors.OntapBusy),
        (403, errors.NOT_AUTHORIZED, errors.OntapForbidden),
        (403, None, errors.OntapForbidden),
        (401, None, errors.OntapUnauthenticated),
        (404, errors.ENTRY_DOES_NOT_EXIST, errors.OntapNotFound),
        (400, "2621462", errors.OntapNotFound),
        (500, "999", errors.OntapTransient),
        (502, None, errors.OntapTransient),
        (503, None, errors.OntapTransient),
        (504, None, errors.OntapTransient),
        (429, None, errors.OntapTransient),
        (400, "2621519", errors.OntapInvalidInput),
        (422, None, errors.OntapInvalidInput),
    ],
)
def test_http_errors_are_classified_by_status_and_ontap_code(
    status: int, code: str | None, expected: type[errors.OntapError]
) -> None:
    error = classify(http_error(status, code, "it failed"), **WHERE)
    assert type(error) is expected
    assert error.http_status == status
    assert error.ontap_code == code
    assert error.cluster == "c1" and error.operation == "POST /api/svm/svms" and error.target == "svm p1"
    assert error.retryable is (expected in (errors.OntapTransient, errors.OntapBusy))
    assert "ONTAP cluster 'c1'" in str(error) and f"HTTP {status}" in str(error)


def test_non_json_401_body_still_classifies() -> None:
    error = classify(http_error(401, body="<html>Unauthorized</html>"), **WHERE)
    assert isinstance(error, errors.OntapUnauthenticated)
    assert error.description == "authentication failed"


@pytest.mark.parametrize(
    "cause",
    [
        requests.ConnectionError("reset by peer"),
        requests.ReadTimeout("read timed out"),
        requests.ConnectTimeout("connect timed out"),
        requests.exceptions.ChunkedEncodingError("truncated"),
    ],
)
def test_transport_failures_are_transient(cause: Exception) -> None:
    for raised in (NetAppRestError(cause=cause), cause):
        error = classify(raised, **WHERE)
        assert isinstance(error, errors.OntapTransient)
        assert error.retryable


def test_tls_failure_is_not_transient_and_says_what_to_fix() -> None:
    cause = requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error = classify(NetAppRestError(cause=cause), **WHERE)
    assert isinstance(error, errors.OntapTlsError)
    assert not error.retryable
    assert "caBundleFile" in str(error)


def test_library_errors_without_http_answer_are_generic() -> None:
    error = classify(NetAppRestError("Job failed: boom"), **WHERE)
    assert type(error) is errors.OntapError
    assert "Job failed: boom" in str(error)


def test_classify_keeps_an_ontap_error_as_is() -> None:
    original = errors.OntapBusy("locked", cluster="c1")
    assert classify(original) is original


def test_message_never_contains_the_request_body() -> None:
    response = requests.Response()
    response.status_code = 400
    response._content = json.dumps({"error": {"message": "invalid value", "code": "7077918"}}).encode()
    request = requests.Request(
        "POST", "https://c/api/security/accounts", json={"password": "s3cret-Passw0rd"}
    )
    response.request = request.prepare()
    exc = NetAppRestError(cause=requests.HTTPError("400", response=response))
    error = classify(exc, **WHERE)
    assert "s3cret" not in str(error)
    assert "s3cret" not in json.dumps(error.as_dict())


@pytest.mark.parametrize("code", ["1", errors.SVM_NAME_IN_USE, errors.NOT_AUTHORIZED, "4", None])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 507])
def test_a_5xx_is_transient_whatever_ontap_code_it_carries(status: int, code: str | None) -> None:
    error = classify(http_error(status, code, "it failed"), **WHERE)
    assert type(error) is errors.OntapTransient
    assert error.retryable


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "1", errors.OntapAlreadyExists),
        (409, errors.SVM_BEING_CREATED, errors.OntapBusy),
        (400, errors.NOT_AUTHORIZED, errors.OntapForbidden),
        (403, errors.SVM_NAME_IN_USE, errors.OntapForbidden),
        (401, "1", errors.OntapUnauthenticated),
        (404, None, errors.OntapNotFound),
        (400, "4", errors.OntapNotFound),
    ],
)
def test_ontap_codes_refine_4xx_only(
    status: int, code: str | None, expected: type[errors.OntapError]
) -> None:
    assert type(classify(http_error(status, code, "x"), **WHERE)) is expected


def test_an_html_error_page_is_named_as_such() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 1200 + "</body></html>"
    exc = http_error(502, body=page)
    exc.http_err_response.http_response.headers["Content-Type"] = "text/html; charset=utf-8"
    error = classify(exc, **WHERE)
    assert isinstance(error, errors.OntapTransient)
    assert "HTTP error 502; the body is not JSON (text/html, 1.2 KB)" in str(error)
    assert "Bad Gateway" not in str(error)


def test_an_ontap_error_without_its_call_is_named_by_classify() -> None:
    bare = errors.OntapUnexpectedAnswer("record 0 of the answer to GET /api/svm/svms has no 'uuid'")
    named = classify(
        bare, cluster="c1", endpoint="https://c1", operation="GET /api/svm/svms", target="svm p1"
    )
    assert named is bare
    assert named.cluster == "c1" and named.operation == "GET /api/svm/svms" and named.target == "svm p1"
    assert str(named).startswith("ONTAP cluster 'c1' (https://c1): GET /api/svm/svms on svm p1: record 0")
    assert named.kind == "unexpected-answer" and not named.retryable


def test_a_named_error_keeps_its_own_call() -> None:
    original = errors.OntapBusy("locked", cluster="c1", operation="PATCH /x")
    assert classify(original, cluster="c2", operation="GET /y").operation == "PATCH /x"
    assert original.cluster == "c1"
