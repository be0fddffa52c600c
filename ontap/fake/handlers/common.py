"""What every handler needs: the fake, the caller, bodies, links, references to other objects."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from ontap.fake import query, schema
from ontap.fake.auth import Principal
from ontap.fake.errors import SVM_MISSING, FakeApiError, bad_field, unexpected
from ontap.fake.faults import JobFailureAction
from ontap.fake.simulator import FakeOntap
from ontap.fake.store import Record, public

FAKE_KEY = web.AppKey("fake_ontap", FakeOntap)
PRINCIPAL_KEY = web.RequestKey("fake_ontap_principal", Principal)
JOB_FAILURE_KEY = web.RequestKey("fake_ontap_job_failure", JobFailureAction)
FAULT_KEY = web.RequestKey("fake_ontap_fault", str)


def fake_of(request: web.Request) -> FakeOntap:
    """The fake cluster serving this request."""
    return request.app[FAKE_KEY]


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller (set by the auth step of the middleware)."""
    return request[PRINCIPAL_KEY]


def job_failure_of(request: web.Request) -> JobFailureAction | None:
    """An injected job failure for this request's operation, if any."""
    return request.get(JOB_FAILURE_KEY)


def query_of(request: web.Request) -> dict[str, str]:
    """The query as a dict (last value wins, as netapp-ontap sends it)."""
    return dict(request.query.items())


def respond(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer."""
    return web.json_response(dict(body), status=status, headers=dict(headers or {}))


def with_links(record: Record, href: str) -> Record:
    """The public record with `_links.self.href`."""
    rendered = public(record)
    rendered["_links"] = {"self": {"href": href}}
    return rendered


def _known_fields(request: web.Request) -> query.KnownField | None:
    """The field-name check for the route's records (netapp-ontap's schema), if the fake has one."""
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    record_schema = schema.schema_for(template)
    if record_schema is None:
        return None
    return lambda dotted: schema.has_field(record_schema, dotted)


def collection_answer(
    request: web.Request,
    records: Iterable[Record],
    key_fields: list[str],
    sort_key: Callable[[Record], str],
) -> web.Response:
    """The collection envelope for already-rendered records under the request's query."""
    path = request.path.rstrip("/")
    answer = query.collection(
        path, query_of(request), records, key_fields, sort_key, known=_known_fields(request)
    )
    return respond(answer)


def instance_answer(request: web.Request, record: Record, key_fields: list[str]) -> web.Response:
    """One rendered record under the request's `fields=`."""
    return respond(query.instance(record, query_of(request), key_fields, known=_known_fields(request)))


async def read_body(request: web.Request) -> dict[str, Any]:
    """The JSON body (empty for none); a body that is not a JSON object is ONTAP's 400."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise FakeApiError(400, "2", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise FakeApiError(400, "2", "The request body must be a JSON object.")
    return body


def only_fields(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a body with fields the operation does not take (links and keys are ignored)."""
    accepted = {*allowed, "_links", "uuid"}
    for key in body:
        if key not in accepted:
            raise unexpected(key)


def svm_from_ref(fake: FakeOntap, ref: Any, field: str = "svm") -> Record:
    """The SVM an `{uuid}` / `{name}` reference names, else ONTAP's "SVM does not exist"."""
    if not isinstance(ref, dict) or not ({"uuid", "name"} & ref.keys()):
        raise bad_field(field, ref)
    state = fake.state
    svm = state.svms.get(str(ref["uuid"])) if "uuid" in ref else state.svm_by_name(str(ref["name"]))
    if svm is None:
        shown = ref.get("name", ref.get("uuid"))
        raise FakeApiError(400, SVM_MISSING, f'SVM "{shown}" does not exist.', field)
    return svm


def by_uuid(record: Record) -> str:
    """Sort key of uuid-keyed families."""
    return str(record["uuid"])
