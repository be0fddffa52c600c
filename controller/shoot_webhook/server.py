"""The HTTPS listener of the shoot webhook: the shoots' kube-apiservers POST AdmissionReviews here.

Separate from the probe/metrics server (controller/runtime/server.py): its own port, TLS with the
certificate and key from `shootWebhook.certFile`/`keyFile`, and one route,
`POST /webhooks/trident-node/{shoot}`. It runs on every replica (not only the leader), because the
Service in front of it may pick any of them. Port 0 binds a random free port (tests read `port`).
"""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import structlog
from aiohttp import web

from controller.config import NVME_TCP_INIT_IMAGE, ControllerConfig
from controller.shoot_resources.webhook_configuration import PATH_PREFIX
from controller.shoot_webhook.admission import AdmissionReviewError, review_trident_node

log = structlog.get_logger(__name__)

STEP = "shoot-webhook"
# An AdmissionReview carries the object and the old object; Kubernetes objects are at most ~1.5 MiB.
MAX_BODY_BYTES = 4 * 1024 * 1024


def server_ssl_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context with the webhook's certificate chain."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(cert_file), keyfile=str(key_file))
    return context


class ShootWebhookServer:
    """Serves the Trident node-plugin mutation over HTTPS (see module docstring)."""

    def __init__(
        self, *, host: str, port: int, cert_file: Path, key_file: Path, image: str, trident_namespace: str
    ) -> None:
        self.host = host
        self.trident_namespace = trident_namespace
        self._wanted_port = port
        self._cert_file = cert_file
        self._key_file = key_file
        self.image = image
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        """Load the certificate, bind the port and start serving."""
        context = server_ssl_context(self._cert_file, self._key_file)
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.add_routes([web.post(PATH_PREFIX + "/{shoot}", self._review)])
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._wanted_port))
        sock.listen(128)
        sock.setblocking(False)
        await web.SockSite(runner, sock, ssl_context=context).start()
        self._runner = runner
        self.port = int(sock.getsockname()[1])
        log.info("shoot webhook serving", step=STEP, port=self.port, path=PATH_PREFIX + "/{shoot}")

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _review(self, request: web.Request) -> web.Response:
        shoot = request.match_info["shoot"]
        try:
            body = json.loads(await request.read())
            decision = review_trident_node(body, self.image, self.trident_namespace)
        except (ValueError, AdmissionReviewError) as exc:
            message = str(exc) if isinstance(exc, AdmissionReviewError) else "the body is not JSON"
            log.warning("admission review rejected", step=STEP, shoot=shoot, object="", error=message)
            return web.json_response({"error": message}, status=400)
        log.info(
            "admission review answered",
            step=STEP,
            shoot=shoot,
            object=f"DaemonSet {decision.namespace}/{decision.name}",
            operation=decision.operation,
            mutated=decision.mutated,
            operations=len(decision.patch),
        )
        return web.json_response(decision.review)


def shoot_webhook_server(config: ControllerConfig) -> ShootWebhookServer | None:
    """The listener `shootWebhook` asks for, serving the `nvme-tcp-init` image; None if not configured."""
    webhook = config.shoot_webhook
    if webhook is None:
        return None
    image = config.image(NVME_TCP_INIT_IMAGE)
    if image is None:  # the configuration's validation already refuses this
        raise ValueError(f"images: no entry named {NVME_TCP_INIT_IMAGE!r}, needed by shootWebhook")
    return ShootWebhookServer(
        host=config.bind_address,
        port=webhook.port,
        cert_file=webhook.cert_file,
        key_file=webhook.key_file,
        image=image.reference,
        trident_namespace=config.trident.namespace,
    )
