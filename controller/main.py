"""Console script `ontap-extension`: read the configuration, configure logging, run the controller."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import structlog

from controller.config import ConfigError, load_config

EXIT_CONFIG_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface."""
    parser = argparse.ArgumentParser(
        prog="ontap-extension",
        description="Gardener extension: one NetApp ONTAP SVM per project, wired into its shoots. "
        "`ontap-extension doctor --help`: what is wrong with a shoot and what the next pass would change.",
    )
    parser.add_argument("--config", required=True, help="path of the controller configuration (YAML)")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"], help="log level (info)"
    )
    parser.add_argument(
        "--log-format",
        default="json",
        choices=["json", "console"],
        help="JSON lines (default, for the cluster) or a human-readable console format",
    )
    return parser


def _extension_reconciler_factory() -> Any:
    # Imported late so that a bad configuration is reported before the domain code is loaded.
    return importlib.import_module("controller.reconciler").ExtensionReconciler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the controller; returns the process exit code (2 = bad configuration, 1 = leadership lost)."""
    from controller.runtime.logging import configure_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["doctor"]:
        from controller.doctor.cli import main as doctor_main

        return doctor_main(argv[1:])
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, json=args.log_format == "json")
    log = structlog.get_logger("controller.main")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"ontap-extension: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    from controller.app import ControllerApp

    app = ControllerApp(config, reconciler_factory=_extension_reconciler_factory())
    log.info("starting", config=args.config, extension_type=config.extension_type)
    return asyncio.run(app.run())


if __name__ == "__main__":
    sys.exit(main())
