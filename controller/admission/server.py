"""The webhook's HTTPS server: AdmissionReview (admission.k8s.io/v1) in, AdmissionReview out.

As Gardener's handler does (extensions/pkg/webhook/handler.go): a request it cannot decode is answered
with an error (HTTP status 400 in the review's `status.code`), a refused Shoot with `allowed: false` and
the reasons in `status.message` (controller-runtime's `admission.Denied`: code 403, reason `Forbidden`).
The answer keeps the request's `uid`, as the API server requires.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from controller.admission.rules import DEFAULT_PROJECT_ANNOTATION, validate_shoot

REVIEW_API_VERSION = "admission.k8s.io/v1"
VALIDATE_PATH = "/webhooks/validate-shoot-ontap"
SHOOT_KIND = {"group": "core.gardener.cloud", "kind": "Shoot"}

log = structlog.get_logger("controller.admission")


@dataclass(frozen=True)
class AdmissionSettings:
    extension_type: str = "ontap"
    project_annotation: str = DEFAULT_PROJECT_ANNOTATION


def review_response(
    uid: str, *, allowed: bool, code: int = 200, reason: str = "", message: str = ""
) -> dict[str, Any]:
    """An AdmissionReview answer."""
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed or message:
        response["status"] = {"code": code, "reason": reason, "message": message}
    return {"apiVersion": REVIEW_API_VERSION, "kind": "AdmissionReview", "response": response}


def decide(review: Any, settings: AdmissionSettings) -> dict[str, Any]:
    """The answer to one AdmissionReview (pure)."""
    request = review.get("request") if isinstance(review, dict) else None
    if not isinstance(request, dict) or not request.get("uid"):
        return review_response("", allowed=False, code=400, reason="BadRequest", message="no request.uid")
    uid = str(request["uid"])
    kind = request.get("kind") or {}
    if {k: kind.get(k) for k in SHOOT_KIND} != SHOOT_KIND:
        message = (
            f"unexpected request kind {kind.get('group')}/{kind.get('version')}, Kind={kind.get('kind')}"
        )
        return review_response(uid, allowed=False, code=400, reason="BadRequest", message=message)
    if request.get("operation") not in ("CREATE", "UPDATE"):
        return review_response(uid, allowed=True)
    shoot = request.get("object")
    old = request.get("oldObject") if request.get("operation") == "UPDATE" else None
    if not isinstance(shoot, dict) or (old is not None and not isinstance(old, dict)):
        return review_response(
            uid, allowed=False, code=400, reason="BadRequest", message="could not decode the Shoot"
        )
    problems = validate_shoot(
        shoot, old, extension_type=settings.extension_type, project_annotation=settings.project_annotation
    )
    meta = shoot.get("metadata") or {}
    if problems:
        log.info("admission denied", shoot=f"{meta.get('namespace')}/{meta.get('name')}", problems=problems)
        return review_response(uid, allowed=False, code=403, reason="Forbidden", message="; ".join(problems))
    return review_response(uid, allowed=True)


def make_app(settings: AdmissionSettings) -> web.Application:
    async def validate(request: web.Request) -> web.Response:
        try:
            review = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            review = None
        return web.json_response(decide(review, settings))

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(VALIDATE_PATH, validate)
    app.router.add_get("/healthz", healthz)
    return app


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def start(
    settings: AdmissionSettings, *, host: str, port: int, context: ssl.SSLContext
) -> tuple[web.AppRunner, int]:
    """Serve the webhook; returns the runner (to stop it) and the bound port (for `port=0`)."""
    runner = web.AppRunner(make_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=context)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)
