"""A throwaway CA and a certificate for the controller's shoot webhook on loopback (tests, `make run`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class WebhookTls:
    """The files `shootWebhook.certFile`, `keyFile` and `caFile` name."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def webhook_tls(directory: Path, names: tuple[str, ...] = ("127.0.0.1", "localhost")) -> WebhookTls:
    """Write a new CA and a server certificate for `names` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    leaf = ca.issue_cert(*names)
    tls = WebhookTls(directory / "tls.crt", directory / "tls.key", directory / "ca.crt")
    tls.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    tls.key_file.write_bytes(leaf.private_key_pem.bytes())
    tls.ca_file.write_bytes(ca.cert_pem.bytes())
    return tls
