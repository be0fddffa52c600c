"""A throwaway CA and server certificates (trustme) so clients can verify the fake over HTTPS.

One CA signs the cluster address's certificate and, later, one certificate per management LIF the
fake serves (see `ontap.fake.listeners`), as a real cluster's SVM certificates come from one CA.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


class FakeCertificateAuthority:
    """The fake's CA: written once to `ca_out`, then issues server contexts for any address."""

    def __init__(self, ca_out: Path) -> None:
        self._ca = trustme.CA()
        ca_out.parent.mkdir(parents=True, exist_ok=True)
        self._ca.cert_pem.write_to_path(str(ca_out))
        self.path = ca_out

    def server_context(self, names: tuple[str, ...]) -> ssl.SSLContext:
        """A server SSL context whose certificate names `names`."""
        certificate = self._ca.issue_cert(*dict.fromkeys(names))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        return context


def server_context(ca_out: Path, extra_names: tuple[str, ...] = ()) -> ssl.SSLContext:
    """An SSL context for the cluster address; the CA that signed its certificate is written to `ca_out`."""
    return FakeCertificateAuthority(ca_out).server_context((*SERVER_NAMES, *extra_names))
