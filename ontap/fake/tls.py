"""A throwaway CA and server certificate (trustme) so clients can verify the fake over HTTPS."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


def server_context(ca_out: Path, extra_names: tuple[str, ...] = ()) -> ssl.SSLContext:
    """An SSL context for the server; the CA that signed its certificate is written to `ca_out`."""
    ca = trustme.CA()
    names = tuple(dict.fromkeys((*SERVER_NAMES, *extra_names)))
    certificate = ca.issue_cert(*names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_out.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(ca_out))
    return context
