"""The doctor's verdict and its exit code (pure)."""

from __future__ import annotations

from controller.doctor.model import Change, Condition, Health, ShootReport, overall


def report(**fields: object) -> ShootReport:
    base = ShootReport(namespace="shoot--p--s", extension="shoot--p--s/ontap")
    base.conditions = [Condition("SvmReady", "True", "SvmReady", "running")]
    for key, value in fields.items():
        setattr(base, key, value)
    return base


def test_the_verdict_follows_what_was_found() -> None:
    assert report().health is Health.HEALTHY
    assert report(password_works=True).health is Health.HEALTHY
    assert report(password_works=False).health is Health.NEEDS_ACTION
    assert report(problems=["LIF data1 drifted"]).health is Health.NEEDS_ACTION
    change = Change("lifs", "ontap", "POST", "POST /api/network/ip/interfaces", "LIF data1")
    assert report(changes=[change]).health is Health.NEEDS_ACTION
    assert report(last_error={"description": "x"}).health is Health.NEEDS_ACTION
    assert report(stops_at="SvmReady: stopped").health is Health.NEEDS_ACTION
    assert report(unobserved=["ONTAP: connection refused"]).health is Health.CANNOT_TELL
    unknown = [Condition("SystemComponentsHealthy", "Unknown", "ConditionCheckError", "cannot read")]
    assert report(conditions=unknown).health is Health.CANNOT_TELL
    failed = [Condition("LifsReady", "False", "LifDrift", "drift")]
    assert report(conditions=failed, unobserved=["x"]).health is Health.NEEDS_ACTION


def test_several_shoots_give_the_worst_exit_code_and_json_names_it() -> None:
    assert overall([report(), report(unobserved=["x"])]) is Health.CANNOT_TELL
    assert overall([report(unobserved=["x"]), report(problems=["y"])]) is Health.NEEDS_ACTION
    assert overall([]) is Health.HEALTHY
    data = report(problems=["y"]).to_json()
    assert data["exitCode"] == 1 and data["health"] == "needs-action" and data["problems"] == ["y"]
