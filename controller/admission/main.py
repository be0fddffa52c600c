"""Console script `ontap-admission`: the validating webhook for Shoots with an `ontap` extension."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

import structlog

from controller.admission.rules import DEFAULT_PROJECT_ANNOTATION
from controller.admission.server import AdmissionSettings, start, tls_context


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ontap-admission",
        description="Validating webhook (garden): refuses Shoots whose ontap providerConfig is invalid "
        "or changes what the extension cannot carry out.",
    )
    parser.add_argument("--tls-cert-file", required=True, help="the server certificate (PEM)")
    parser.add_argument("--tls-key-file", required=True, help="its private key (PEM)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (0.0.0.0)")
    parser.add_argument("--port", type=int, default=9443, help="port (9443)")
    parser.add_argument("--extension-type", default="ontap", help="the extension type to validate (ontap)")
    parser.add_argument(
        "--project-annotation",
        default=DEFAULT_PROJECT_ANNOTATION,
        help=f"the Shoot annotation naming the project ({DEFAULT_PROJECT_ANNOTATION})",
    )
    parser.add_argument("--log-format", default="json", choices=["json", "console"])
    return parser


async def serve(args: argparse.Namespace) -> int:
    settings = AdmissionSettings(
        extension_type=args.extension_type, project_annotation=args.project_annotation
    )
    context = tls_context(args.tls_cert_file, args.tls_key_file)
    runner, port = await start(settings, host=args.host, port=args.port, context=context)
    structlog.get_logger("controller.admission").info("serving", host=args.host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from controller.runtime.logging import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging("info", json=args.log_format == "json")
    try:
        return asyncio.run(serve(args))
    except (OSError, ValueError) as exc:
        print(f"ontap-admission: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
