"""The chaos matrix's two axes: the mutating steps (which request a fault hits) and the fault kinds.

A `Target` names one mutating request of the controller: on ONTAP (a rule of the fake) or on the
Kubernetes API (a rule of the fault proxy), and the phase of a shoot's life in which it happens
(create, credential rotation, delete). A `FaultKind` says what happens to that request and how
often; `kill` kinds also kill the controller process while the request is in flight, and
`apiserver_outage` kinds take the Kubernetes API away for that long as soon as the request is seen
(the ONTAP change lands, what the pass then writes to Kubernetes does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Side = Literal["ontap", "kube"]
Phase = Literal["create", "rotate", "delete"]

SEED_SECRET = "ontap-svm-credentials"
LIF_COUNT = 3  # two data LIFs and the management LIF (see bed.provider_config)


@dataclass(frozen=True)
class Target:
    """One mutating request of the controller."""

    name: str
    side: Side
    method: str
    path: str  # a regex; `{ns}` is the shoot's seed namespace
    phase: Phase = "create"
    nth: int = 1  # the n-th matching request (LIFs are created one POST each)

    def path_for(self, namespace: str) -> str:
        return self.path.replace("{ns}", namespace)


ONTAP_TARGETS: tuple[Target, ...] = (
    Target("svm-create", "ontap", "POST", r"^/api/svm/svms$"),
    *(
        Target(f"lif-{n}-create", "ontap", "POST", r"^/api/network/ip/interfaces$", nth=n)
        for n in range(1, LIF_COUNT + 1)
    ),
    Target("account-create", "ontap", "POST", r"^/api/security/accounts$"),
    Target("password-set", "ontap", "PATCH", r"^/api/security/accounts/", phase="rotate"),
    Target("account-delete", "ontap", "DELETE", r"^/api/security/accounts/", phase="delete"),
    Target("lif-delete", "ontap", "DELETE", r"^/api/network/ip/interfaces/", phase="delete"),
    Target("svm-delete", "ontap", "DELETE", r"^/api/svm/svms/", phase="delete"),
)

KUBE_TARGETS: tuple[Target, ...] = (
    Target(
        "seed-secret-write",
        "kube",
        "POST|PUT|PATCH",
        rf"^/api/v1/namespaces/{{ns}}/secrets(/{SEED_SECRET})?$",
    ),
    Target(
        "managed-resource-write",
        "kube",
        "POST|PUT|PATCH",
        r"^/apis/resources\.gardener\.cloud/v1alpha1/namespaces/{ns}/managedresources",
    ),
    Target(
        "seed-secret-delete",
        "kube",
        "DELETE",
        rf"^/api/v1/namespaces/{{ns}}/secrets/{SEED_SECRET}$",
        phase="delete",
    ),
    Target(
        "managed-resource-delete",
        "kube",
        "DELETE",
        r"^/apis/resources\.gardener\.cloud/v1alpha1/namespaces/{ns}/managedresources/",
        phase="delete",
    ),
)

TARGETS: dict[str, Target] = {t.name: t for t in (*ONTAP_TARGETS, *KUBE_TARGETS)}


@dataclass(frozen=True)
class FaultKind:
    """What happens to the target request: a rule action, how many times, and whether to kill."""

    name: str
    side: Side
    action: dict[str, Any]
    times: int = 1
    kill: bool = False
    apiserver_outage: float = 0.0

    @property
    def reacts(self) -> bool:
        """Whether the run must act when the rule fires (kill the controller, take the apiserver away)."""
        return self.kill or self.apiserver_outage > 0

    def describe(self) -> str:
        return f"{self.name} x{self.times}" + (" +kill" if self.kill else "")


# The fake's hang outlives the controller's read timeout (bed.ONTAP_READ_TIMEOUT) by a margin.
ONTAP_HANG = 3.0
KUBE_HANG = 3.0

ONTAP_KINDS: tuple[FaultKind, ...] = (
    FaultKind("http-5xx", "ontap", {"type": "error", "status": 500, "code": "1", "message": "injected"}, 2),
    FaultKind("timeout", "ontap", {"type": "hang", "seconds": ONTAP_HANG}),
    FaultKind("connection-reset", "ontap", {"type": "reset"}, 2),
    FaultKind("apply-then-fail", "ontap", {"type": "apply_then_fail"}),
    FaultKind("answer-lost", "ontap", {"type": "apply_then_reset"}),
    FaultKind("job-failure", "ontap", {"type": "job_failure"}),
    FaultKind("locked", "ontap", {"type": "locked"}, 3),
    FaultKind("permission-denied", "ontap", {"type": "forbidden"}, 2),
    FaultKind("killed-in-flight", "ontap", {"type": "hang", "seconds": ONTAP_HANG}, kill=True),
    FaultKind("killed-after-apply", "ontap", {"type": "latency", "seconds": 0.3}, kill=True),
    FaultKind("apiserver-unavailable", "ontap", {"type": "latency", "seconds": 0.05}, apiserver_outage=1.5),
)

KUBE_KINDS: tuple[FaultKind, ...] = (
    FaultKind("conflict-409", "kube", {"type": "conflict"}, 2),
    FaultKind("http-503", "kube", {"type": "error", "status": 503}, 2),
    FaultKind("connection-reset", "kube", {"type": "reset"}),
    FaultKind("timeout", "kube", {"type": "hang", "seconds": KUBE_HANG}),
    FaultKind("apiserver-unavailable", "kube", {"type": "outage", "seconds": 1.5}),
    FaultKind("apiserver-unreachable", "kube", {"type": "outage", "seconds": 1.5, "mode": "reset"}),
    FaultKind("killed-in-flight", "kube", {"type": "hang", "seconds": KUBE_HANG}, kill=True),
    FaultKind("killed-after-apply", "kube", {"type": "latency", "seconds": 0.3}, kill=True),
)

KINDS: dict[tuple[Side, str], FaultKind] = {(k.side, k.name): k for k in (*ONTAP_KINDS, *KUBE_KINDS)}


@dataclass(frozen=True)
class Scenario:
    """One cell of the matrix."""

    target: Target
    kind: FaultKind

    @property
    def id(self) -> str:
        return f"{self.target.name}:{self.kind.name}"


def matrix() -> list[Scenario]:
    """Every mutating step x every fault kind of its side."""
    cells = [Scenario(t, k) for t in ONTAP_TARGETS for k in ONTAP_KINDS]
    cells += [Scenario(t, k) for t in KUBE_TARGETS for k in KUBE_KINDS]
    return cells


# The cells that also run in the default suite: one per fault family, spread over the steps.
DEFAULT_SLICE = frozenset(
    {
        "svm-create:answer-lost",
        "lif-2-create:locked",
        "account-create:killed-after-apply",
        "password-set:apply-then-fail",
        "seed-secret-write:conflict-409",
        "managed-resource-write:apiserver-unavailable",
        "svm-delete:job-failure",
        "seed-secret-write:killed-in-flight",
        "account-create:apiserver-unavailable",
    }
)
