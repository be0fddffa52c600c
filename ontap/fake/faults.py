"""Fault injection: rules that pick requests (method, path, call numbers or probability) and
what to do to them instead of, or around, the normal answer."""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

DEFAULT_BUSY_CODE = "13434916"
DEFAULT_BUSY_MESSAGE = (
    "The SVM is being created or modified by another job. Wait a few minutes, and try again."
)
DEFAULT_JOB_FAILURE_CODE = "460770"
MAX_HANG_SECONDS = 120.0


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorAction(_Action):
    """Answer with an ONTAP error instead of handling the request."""

    type: Literal["error"] = "error"
    status: int = 500
    code: str = "1"
    message: str = "injected error"


class LatencyAction(_Action):
    """Wait, then handle the request normally."""

    type: Literal["latency"] = "latency"
    seconds: float = Field(ge=0)


class ResetAction(_Action):
    """Drop the connection without an answer."""

    type: Literal["reset"] = "reset"


class HangAction(_Action):
    """Never answer (until `seconds`, at most 120, or server shutdown), then drop the connection."""

    type: Literal["hang"] = "hang"
    seconds: float = Field(default=MAX_HANG_SECONDS, gt=0, le=MAX_HANG_SECONDS)


class ApplyThenFailAction(_Action):
    """Handle the request (the change happens), then answer with an error."""

    type: Literal["apply_then_fail"] = "apply_then_fail"
    status: int = 500
    code: str = "1"
    message: str = "injected error after the change was applied"


class ApplyThenResetAction(_Action):
    """Handle the request (the change happens), then drop the connection."""

    type: Literal["apply_then_reset"] = "apply_then_reset"


class JobFailureAction(_Action):
    """The operation's job ends in failure and nothing is applied (sync operations: error 500)."""

    type: Literal["job_failure"] = "job_failure"
    code: str = DEFAULT_JOB_FAILURE_CODE
    message: str = "injected job failure"


class LockedAction(_Action):
    """Answer as ONTAP does for an object another job is busy with."""

    type: Literal["locked"] = "locked"
    status: int = 409
    code: str = DEFAULT_BUSY_CODE
    message: str = DEFAULT_BUSY_MESSAGE


class ForbiddenAction(_Action):
    """Answer 403 code "6", as for a role that lacks the command."""

    type: Literal["forbidden"] = "forbidden"


# Hostile answers: well-formed HTTP that proves nothing (see docs/fake-ontap.md, "Hostile answers").


class EnvelopeWithoutRecordsAction(_Action):
    """Handle the request, then drop `records` from the collection envelope (200, `num_records` kept)."""

    type: Literal["envelope-without-records"] = "envelope-without-records"


class WrongNumRecordsAction(_Action):
    """Handle the request, then add `delta` to `num_records` (so it disagrees with `records`)."""

    type: Literal["wrong-num-records"] = "wrong-num-records"
    delta: int = 1


class RecordMissingKeyAction(_Action):
    """Handle the request, then remove `key` (e.g. `uuid`, `name`) from every record."""

    type: Literal["record-missing-key"] = "record-missing-key"
    key: str = "uuid"


class SvmStateAction(_Action):
    """Handle the request, then report every SVM record's `state` as `state` (None: no state at all)."""

    type: Literal["svm-state"] = "svm-state"
    state: str | None = "stopped"


class TruncatedJsonAction(_Action):
    """Handle the request, then send only the first half of its JSON body (a complete HTTP answer)."""

    type: Literal["truncated-json"] = "truncated-json"


class HtmlAction(_Action):
    """Answer `status` with an HTML page instead of JSON (`html-200`: a proxy's login page; `html-502`)."""

    type: Literal["html-200", "html-502"] = "html-200"
    status: int | None = None

    @property
    def http_status(self) -> int:
        return self.status if self.status is not None else (502 if self.type == "html-502" else 200)


class HugeBodyAction(_Action):
    """Answer 200 with a valid, empty collection padded to `megabytes` (streamed, never held whole).

    `announce` sends a Content-Length; without it the body is chunked, so only counting can stop it.
    """

    type: Literal["huge-body"] = "huge-body"
    megabytes: float = Field(default=64.0, gt=0, le=1024)
    announce: bool = False


class TrickleAction(_Action):
    """Handle the request, then send its answer at `bytes_per_second` (at most `seconds`, then drop)."""

    type: Literal["trickle"] = "trickle"
    bytes_per_second: float = Field(default=1.0, gt=0)
    seconds: float = Field(default=MAX_HANG_SECONDS, gt=0, le=MAX_HANG_SECONDS)


HostileAction = (
    EnvelopeWithoutRecordsAction
    | WrongNumRecordsAction
    | RecordMissingKeyAction
    | SvmStateAction
    | TruncatedJsonAction
    | HtmlAction
    | HugeBodyAction
    | TrickleAction
)
REWRITING_ACTIONS = (
    EnvelopeWithoutRecordsAction,
    WrongNumRecordsAction,
    RecordMissingKeyAction,
    SvmStateAction,
)


def rewrite_answer(action: Any, data: Any) -> Any:
    """The answer `data` as a rewriting hostile action makes it (pure; `data` is not changed)."""
    if not isinstance(data, dict):
        return data
    result = dict(data)
    records = [dict(r) if isinstance(r, dict) else r for r in result.get("records") or []]
    if isinstance(action, EnvelopeWithoutRecordsAction):
        result.pop("records", None)
        result.setdefault("num_records", 0)
        return result
    if isinstance(action, WrongNumRecordsAction):
        result["num_records"] = int(result.get("num_records", len(records))) + action.delta
        return result
    targets = records if "records" in result else [result]
    for record in targets:
        if not isinstance(record, dict):
            continue
        if isinstance(action, RecordMissingKeyAction):
            record.pop(action.key, None)
        elif isinstance(action, SvmStateAction):
            if action.state is None:
                record.pop("state", None)
            else:
                record["state"] = action.state
    if "records" in result:
        result["records"] = targets
        return result
    return targets[0]


FaultAction = Annotated[
    ErrorAction
    | LatencyAction
    | ResetAction
    | HangAction
    | ApplyThenFailAction
    | ApplyThenResetAction
    | JobFailureAction
    | LockedAction
    | ForbiddenAction
    | EnvelopeWithoutRecordsAction
    | WrongNumRecordsAction
    | RecordMissingKeyAction
    | SvmStateAction
    | TruncatedJsonAction
    | HtmlAction
    | HugeBodyAction
    | TrickleAction,
    Field(discriminator="type"),
]


class FaultRule(BaseModel):
    """Which requests a fault hits. `path` is a glob, or a regex when it starts with `^`."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    method: str | None = None
    path: str = "*"
    calls: list[int] | None = None
    probability: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None
    times: int | None = Field(default=None, ge=0)
    action: FaultAction
    matched: int = 0
    injected: int = 0
    _random: random.Random = PrivateAttr(default_factory=random.Random)

    @model_validator(mode="after")
    def _one_selector(self) -> FaultRule:
        if self.calls is not None and self.probability is not None:
            raise ValueError("give either calls or probability, not both")
        if self.calls is not None and any(c < 1 for c in self.calls):
            raise ValueError("calls are 1-based")
        self._random = random.Random(self.seed)
        return self

    def selects(self, method: str, path: str) -> bool:
        """Whether the rule is about this request (regardless of calls, probability, times)."""
        if self.method not in (None, "*") and method.upper() not in self.method.upper().split("|"):
            return False
        if self.path.startswith("^"):
            return re.search(self.path, path) is not None
        trimmed = path.rstrip("/") or "/"
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(trimmed, self.path)

    def fires(self) -> bool:
        """Count one selected request and decide whether this one is hit."""
        self.matched += 1
        if self.times is not None and self.injected >= self.times:
            return False
        if self.calls is not None:
            hit = self.matched in self.calls
        elif self.probability is not None:
            hit = self._random.random() < self.probability
        else:
            hit = True
        if hit:
            self.injected += 1
        return hit


class FaultBook:
    """The active fault rules, in the order they were added."""

    def __init__(self) -> None:
        self._rules: dict[int, FaultRule] = {}
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any] | FaultRule) -> int:
        """Add a rule (a dict in the control API's shape, or a FaultRule); returns its id."""
        rule = FaultRule.model_validate(spec if isinstance(spec, dict) else spec.model_dump())
        rule.id = next(self._ids)
        rule.matched = rule.injected = 0
        self._rules[rule.id] = rule
        return rule.id

    def remove(self, rule_id: int) -> bool:
        """Remove a rule; False when there was none with that id."""
        return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its counters, as JSON."""
        return [rule.model_dump() for rule in self._rules.values()]

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule that hits this request (every selecting rule counts the request)."""
        chosen: FaultRule | None = None
        for rule in self._rules.values():
            if not rule.selects(method, path):
                continue
            if chosen is None:
                chosen = rule if rule.fires() else None
            else:
                rule.matched += 1
        return chosen
