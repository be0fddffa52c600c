"""Which ONTAP cluster hosts a project's SVM."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

import structlog

from ontap import naming
from ontap.client import OntapClient
from ontap.errors import OntapError, OntapPlacementConflict
from ontap.models import SvmInfo
from ontap.provisioning.reads import find_svm, list_aggregates

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Placement:
    """The cluster for the SVM; `svm` is set when the SVM already exists there."""

    cluster: str
    svm: SvmInfo | None = None

    @property
    def svm_exists(self) -> bool:
        """True when the SVM was found (on `cluster`)."""
        return self.svm is not None


def decide_existing(
    svm_name: str,
    found: Mapping[str, SvmInfo | None],
    partners: Mapping[str, SvmInfo | None] | None = None,
) -> Placement | None:
    """The cluster holding the SVM, None when it is on none; more than one is a conflict (pure).

    Without the SVM anywhere, its MetroCluster partner `<name>-mc` (in `partners`) counts as the
    project's SVM: a new SVM beside it would be a second copy of the project's storage.
    """
    for name, candidates in ((svm_name, found), (naming.metrocluster_partner(svm_name), partners or {})):
        holders = sorted(cluster for cluster, svm in candidates.items() if svm is not None)
        if len(holders) > 1:
            raise OntapPlacementConflict(
                f"SVM {name} exists on several clusters ({', '.join(holders)}); "
                "remove the stray copy or pin the cluster",
                target=f"svm {name}",
            )
        if holders:
            return Placement(cluster=holders[0], svm=candidates[holders[0]])
    return None


def decide_new(volume_counts: Mapping[str, int]) -> str:
    """The cluster with the fewest volumes; ties go to the first name (pure, deterministic)."""
    if not volume_counts:
        raise OntapError("no ONTAP cluster is configured")
    return min(sorted(volume_counts), key=lambda name: volume_counts[name])


async def choose_cluster(clients: Mapping[str, OntapClient], svm_name: str, hint: str | None) -> Placement:
    """Find the cluster that hosts `svm_name`, else pick the least loaded one for a new SVM.

    With a `hint` (where the SVM was last seen) that cluster is asked first: one request when the
    SVM is there. Otherwise every cluster is searched; if any cannot be asked, its error is raised:
    placing the SVM elsewhere while one cluster is down could create a second copy.
    """
    searched: dict[str, SvmInfo | None] = {}
    if hint is not None and hint in clients:
        svm = await find_svm(clients[hint], svm_name)
        if svm is not None:
            return Placement(cluster=hint, svm=svm)
        searched[hint] = None
    others = [name for name in sorted(clients) if name not in searched]
    answers = await asyncio.gather(
        *(find_svm(clients[name], svm_name) for name in others), return_exceptions=True
    )
    for name, answer in zip(others, answers, strict=True):
        if isinstance(answer, BaseException):
            _raise_unreachable(answer, name, svm_name)
        searched[name] = answer
    existing = decide_existing(svm_name, searched)
    if existing is not None:
        return existing
    partners = await _search(clients, naming.metrocluster_partner(svm_name))
    existing = decide_existing(svm_name, searched, partners)
    if existing is not None:
        log.info("using the metrocluster partner", svm=svm_name, cluster=existing.cluster)
        return existing
    counts = await asyncio.gather(
        *(_volume_count(clients[name]) for name in sorted(clients)), return_exceptions=True
    )
    volume_counts: dict[str, int] = {}
    for name, count in zip(sorted(clients), counts, strict=True):
        if isinstance(count, BaseException):
            _raise_unreachable(count, name, svm_name)
        volume_counts[name] = count
    chosen = decide_new(volume_counts)
    log.info("placing new svm", svm=svm_name, cluster=chosen, volume_counts=volume_counts)
    return Placement(cluster=chosen, svm=None)


async def _search(clients: Mapping[str, OntapClient], svm_name: str) -> dict[str, SvmInfo | None]:
    """`svm_name` on every cluster; a cluster that cannot be asked stops the search."""
    names = sorted(clients)
    answers = await asyncio.gather(*(find_svm(clients[n], svm_name) for n in names), return_exceptions=True)
    found: dict[str, SvmInfo | None] = {}
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, BaseException):
            _raise_unreachable(answer, name, svm_name)
        found[name] = answer
    return found


async def _volume_count(client: OntapClient) -> int:
    return sum(aggregate.volume_count for aggregate in await list_aggregates(client))


def _raise_unreachable(error: BaseException, cluster: str, svm_name: str) -> NoReturn:
    if isinstance(error, OntapError):
        raise error
    raise OntapError(
        f"cannot search for SVM {svm_name}: {type(error).__name__}", cluster=cluster, target=f"svm {svm_name}"
    ) from error
