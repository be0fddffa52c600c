"""`ontap-fake`: serve the fake ONTAP API until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from aiohttp import web

from ontap.fake.app import build_app
from ontap.fake.jobs import JobTiming
from ontap.fake.listeners import LISTENERS_KEY, LifListeners, management_lifs
from ontap.fake.simulator import DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_USER, FakeOntap, FakeSettings
from ontap.fake.store import FakeState
from ontap.fake.tls import SERVER_NAMES, FakeCertificateAuthority


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="ontap-fake", description="A fake NetApp ONTAP REST API for tests.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on (default 8443)")
    parser.add_argument("--http", action="store_true", help="serve plain HTTP instead of HTTPS")
    parser.add_argument(
        "--ca-out", type=Path, help="where to write the CA certificate (PEM) for HTTPS clients"
    )
    parser.add_argument("--admin-user", default=DEFAULT_ADMIN_USER, help="cluster admin user (default admin)")
    parser.add_argument(
        "--admin-password",
        default=DEFAULT_ADMIN_PASSWORD,
        help="cluster admin password (default fake-admin-password)",
    )
    parser.add_argument(
        "--state", type=Path, help="JSON file: state is loaded from it at start, saved at shutdown"
    )
    parser.add_argument("--seed", default="default", choices=["default", "empty"], help="initial cluster")
    parser.add_argument(
        "--job-seconds", type=float, default=0.2, help="how long async jobs take (default 0.2)"
    )
    parser.add_argument(
        "--job-retention-seconds",
        type=float,
        default=300.0,
        help="how long finished jobs are kept before they are purged (default 300)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT/SIGTERM, then save the state if `--state` was given."""
    settings = FakeSettings(
        args.admin_user,
        args.admin_password,
        args.seed,
        JobTiming(seconds=args.job_seconds, retention_seconds=args.job_retention_seconds),
    )
    state = FakeState.load(args.state) if args.state is not None and args.state.exists() else None
    fake = FakeOntap(settings, state)
    ssl_context = None
    ca = None
    if not args.http:
        if args.ca_out is None:
            raise SystemExit("ontap-fake: HTTPS needs --ca-out PATH (or use --http)")
        ca = FakeCertificateAuthority(args.ca_out)
        ssl_context = ca.server_context((*SERVER_NAMES, args.host))
    app = build_app(fake)
    runner = web.AppRunner(app, shutdown_timeout=5.0, access_log=None)
    listeners = LifListeners(runner, args.port, ca, args.host)
    app[LISTENERS_KEY] = listeners
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, ssl_context=ssl_context)
    await site.start()
    await listeners.sync(management_lifs(fake.state))
    scheme = "http" if args.http else "https"
    print(f"ontap-fake listening on {scheme}://{args.host}:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if args.state is not None:
            fake.save(args.state)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ontap-fake` console script."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
