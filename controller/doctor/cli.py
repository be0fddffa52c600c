"""`ontap-extension doctor --config PATH [NAMESPACE | --all] [--output text|json]`.

Exit code: 0 healthy, 1 needs action, 2 cannot tell (also for a bad configuration or an unreachable
apiserver). Reads only: the Kubernetes client and the ONTAP clients refuse writes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from controller.config import ConfigError, ControllerConfig, load_config
from controller.doctor.examine import examine
from controller.doctor.model import Health, ShootReport, overall
from controller.doctor.readonly import forbid_kube_writes, forbid_ontap_writes
from controller.doctor.render import render
from controller.kube.extensions import get_extension, list_extensions
from ontap.client import OntapClients


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ontap-extension doctor",
        description="What is wrong with a shoot and what the next pass would change (read-only).",
    )
    parser.add_argument("--config", required=True, help="the controller configuration (YAML)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("namespace", nargs="?", help="the shoot's seed namespace (shoot--<project>--<name>)")
    target.add_argument("--all", action="store_true", help="every Extension of the extension's type")
    parser.add_argument("--output", choices=["text", "json"], default="text")
    parser.add_argument("--name", default="ontap", help="the Extension's name in the namespace (ontap)")
    return parser


async def diagnose(
    config: ControllerConfig, namespace: str | None, name: str, *, api_client: Any, ontap: OntapClients
) -> list[ShootReport]:
    """Reports for one shoot or all; `api_client` and `ontap` must already refuse writes."""
    if namespace is not None:
        ext = await get_extension(api_client, namespace, name)
        if ext is None:
            report = ShootReport(namespace=namespace, extension=f"{namespace}/{name}")
            report.unobserved.append(f"Extension {namespace}/{name} does not exist")
            return [report]
        extensions = [ext]
    else:
        extensions = [
            e
            for e in await list_extensions(api_client)
            if (e.get("spec") or {}).get("type") == config.extension_type
        ]
    return [await examine(ext, api_client=api_client, ontap=ontap, config=config) for ext in extensions]


async def _run(args: argparse.Namespace, config: ControllerConfig) -> tuple[list[ShootReport], str]:
    from controller.kube.client import make_api_client

    api_client = forbid_kube_writes(await make_api_client(config.kubeconfig))
    ontap = forbid_ontap_writes(OntapClients.from_configs(config.ontap_clusters))
    try:
        reports = await diagnose(config, args.namespace, args.name, api_client=api_client, ontap=ontap)
        return reports, ""
    except (ApiException, OSError) as exc:
        return [], f"cannot read from the Kubernetes API: {exc}"
    finally:
        await ontap.close()
        await api_client.close()


def main(argv: Sequence[str]) -> int:
    from controller.runtime.logging import configure_logging

    args = build_parser().parse_args(list(argv))
    configure_logging("error", json=False)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"ontap-extension doctor: {exc}", file=sys.stderr)
        return int(Health.CANNOT_TELL)
    reports, failure = asyncio.run(_run(args, config))
    if failure:
        print(f"ontap-extension doctor: {failure}", file=sys.stderr)
        return int(Health.CANNOT_TELL)
    health = overall(reports)
    if args.output == "json":
        print(
            json.dumps(
                {"health": int(health), "shoots": [r.to_json() for r in reports]}, indent=2, default=str
            )
        )
    else:
        print("\n\n".join(render(r) for r in reports) if reports else "no Extensions of this type")
    return int(health)
