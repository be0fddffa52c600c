"""Kubernetes Event conventions: type Normal or Warning, reason a short UpperCamelCase word.

`check_event` enforces them where every Event is recorded; this test also reads every Event the
controller's code records (`events.normal/warning(...)`, `recorder.normal/warning(...)`) and checks
its reason, with f-string parts filled in by every operation type.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from controller.extension.loop_guard import BLOCKED_REASON
from controller.extension.operation import OperationType
from controller.kube.events import check_event

CONTROLLER = Path(__file__).resolve().parents[2] / "controller"


def _reasons() -> dict[str, str]:
    """reason -> where it is recorded, for every Event call with a literal or f-string reason."""
    found: dict[str, str] = {}
    for path in sorted(CONTROLLER.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("normal", "warning")
                and node.args
            ):
                continue
            receiver = ast.unparse(node.func.value)
            if "events" not in receiver and "recorder" not in receiver:
                continue
            where = f"{path.relative_to(CONTROLLER.parent)}:{node.lineno}"
            reason = node.args[0]
            if isinstance(reason, ast.Constant) and isinstance(reason.value, str):
                found[reason.value] = where
            elif isinstance(reason, ast.JoinedStr):
                for operation in OperationType:
                    text = "".join(
                        part.value if isinstance(part, ast.Constant) else str(operation)
                        for part in reason.values
                    )
                    found[text] = where
    return found


def test_every_recorded_reason_is_upper_camel_case() -> None:
    reasons = _reasons()
    assert {"SeedSecretRepaired", "SvmKept", "ReconcileSucceeded", "DeleteSucceeded"} <= set(reasons)
    for reason, where in reasons.items():
        check_event("Normal", reason)  # raises with the reason named
        assert len(reason) <= 40, f"{where}: reason {reason!r} is not short"
    check_event("Warning", BLOCKED_REASON)


@pytest.mark.parametrize(
    ("event_type", "reason", "problem"),
    [
        ("Error", "SvmKept", "event type 'Error'"),
        ("normal", "SvmKept", "event type 'normal'"),
        ("Normal", "svm-kept", "event reason 'svm-kept'"),
        ("Warning", "Svm Kept", "event reason 'Svm Kept'"),
        ("Warning", "", "event reason ''"),
        ("Warning", "A" * 129, "event reason"),
    ],
)
def test_bad_types_and_reasons_are_refused(event_type: str, reason: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_event(event_type, reason)
