"""What the doctor found for one shoot, as plain data: shown as a screen or written as JSON.

Nothing here holds a password: the seed secret is described by its condition and by whether ONTAP
accepts its password, never by its content.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any


class Health(IntEnum):
    """The exit code: 0 healthy, 1 needs action, 2 cannot tell (something could not be observed)."""

    HEALTHY = 0
    NEEDS_ACTION = 1
    CANNOT_TELL = 2


@dataclass(frozen=True)
class Change:
    """One write the next pass would make (besides the Extension's own status and Events)."""

    step: str
    system: str  # "ontap" or "kubernetes"
    method: str  # POST, PUT, PATCH, DELETE
    api: str  # e.g. "POST /api/network/ip/interfaces"
    object: str  # e.g. "LIF data1 127.130.0.11 of SVM p1234"
    why: str = ""

    @classmethod
    def write(cls, step: str, system: str, api: str, obj: str, why: str = "") -> Change:
        """A change whose method is the one its `api` ("METHOD /path") names."""
        return cls(step, system, api.split(" ", 1)[0], api, obj, why)


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class ManagedResourceView:
    name: str
    deleting: bool
    finalizers: tuple[str, ...]
    conditions: tuple[Condition, ...]


@dataclass
class OntapView:
    """What exists on ONTAP now, as the pass's observation sees it."""

    cluster: str | None = None
    endpoint: str | None = None
    placement: str = ""
    svm: dict[str, Any] | None = None
    lifs: list[dict[str, Any]] = field(default_factory=list)
    account: dict[str, Any] | None = None
    contents: str = ""  # deletion: what the SVM still holds


@dataclass
class ShootReport:
    """Everything the doctor says about one shoot."""

    namespace: str
    extension: str
    operation: str = "reconcile"  # "reconcile" or "delete"
    last_operation: dict[str, Any] = field(default_factory=dict)
    last_error: dict[str, Any] | None = None
    conditions: list[Condition] = field(default_factory=list)
    ontap: OntapView = field(default_factory=OntapView)
    secret: str = ""  # e.g. "valid; its password works at the management LIF 127.130.0.10"
    password_works: bool | None = None  # None: not checked (why in `secret`)
    managed_resources: list[ManagedResourceView] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    stops_at: str = ""  # the step where the next pass would stop, and why
    problems: list[str] = field(default_factory=list)  # what needs an operator or the next pass
    unobserved: list[str] = field(default_factory=list)  # what could not be looked at, and why

    @property
    def health(self) -> Health:
        """Needs action when anything is wrong; cannot tell when nothing is wrong but not all was seen."""
        failing = [c for c in self.conditions if c.status == "False"]
        if self.problems or self.changes or self.last_error or failing or self.stops_at:
            return Health.NEEDS_ACTION
        if self.password_works is False:
            return Health.NEEDS_ACTION
        # A condition in Unknown (e.g. a health check that could not run) is not known to be wrong.
        if self.unobserved or any(c.status != "True" for c in self.conditions):
            return Health.CANNOT_TELL
        return Health.HEALTHY

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["health"] = self.health.name.lower().replace("_", "-")
        data["exitCode"] = int(self.health)
        return data


def overall(reports: list[ShootReport]) -> Health:
    """One exit code for several shoots: any that needs action, else any that cannot tell, else healthy."""
    healths = {report.health for report in reports}
    for health in (Health.NEEDS_ACTION, Health.CANNOT_TELL):
        if health in healths:
            return health
    return Health.HEALTHY
