"""The doctor's screen: one block per shoot, the same facts as `--output json`."""

from __future__ import annotations

from controller.doctor.model import ShootReport

HEALTH_WORDS = {0: "HEALTHY", 1: "NEEDS ACTION", 2: "CANNOT TELL"}


def _line(label: str, text: str) -> str:
    return f"  {label:<18} {text}"


def render(report: ShootReport) -> str:
    """Text for a terminal; never holds a password (the report has none)."""
    lines = [f"{report.extension}  [{report.operation}]  {HEALTH_WORDS[int(report.health)]}"]
    last = report.last_operation
    if last:
        lines.append(
            _line("last operation", f"{last.get('type')} {last.get('state')}: {last.get('description', '')}")
        )
    if report.last_error:
        codes = ", ".join(report.last_error.get("codes") or [])
        lines.append(_line("last error", str(report.last_error.get("description", ""))))
        if codes:
            lines.append(_line("", f"codes: {codes}"))
    lines.append("  conditions")
    for c in report.conditions:
        lines.append(f"    {c.type:<24} {c.status:<8} {c.reason}: {c.message}")
    o = report.ontap
    lines.append("  ONTAP now")
    if o.cluster:
        lines.append(f"    cluster   {o.cluster} ({o.endpoint})")
    if o.placement:
        lines.append(f"    placement {o.placement}")
    if o.svm:
        svm = o.svm
        lines.append(
            f"    SVM       {svm['name']} {svm['state']} uuid {svm['uuid']} "
            f"nvme allowed={svm['nvmeAllowed']} enabled={svm['nvmeEnabled']}"
        )
    elif o.cluster:
        lines.append("    SVM       does not exist")
    for lif in o.lifs:
        lines.append(
            f"    LIF       {lif['name']:<6} {lif['ip']}  {lif['servicePolicy']}  "
            f"{'enabled' if lif['enabled'] else 'disabled'}  on {lif['homeNode']}"
        )
    if o.account:
        lines.append(
            f"    account   {o.account['name']} role {o.account.get('role')} "
            f"{'locked' if o.account.get('locked') else 'unlocked'}"
        )
    elif o.svm:
        lines.append("    account   does not exist")
    if o.contents:
        lines.append(f"    contents  {o.contents}")
    if report.secret:
        lines.append(_line("seed secret", report.secret))
    if report.managed_resources:
        lines.append("  ManagedResources")
        for mr in report.managed_resources:
            state = " deleting" if mr.deleting else ""
            conditions = ", ".join(
                f"{c.type}={c.status}" + (f" ({c.reason})" if c.reason else "") for c in mr.conditions
            )
            lines.append(f"    {mr.name}{state}: {conditions or 'no resource-manager conditions yet'}")
    for title, items in (("problems", report.problems), ("not observed", report.unobserved)):
        if items:
            lines.append(f"  {title}")
            lines.extend(f"    - {item}" for item in items)
    lines.append("  next pass would")
    if not report.changes:
        lines.append("    change nothing")
    for change in report.changes:
        lines.append(
            f"    {change.step:<16} {change.api}  {change.object}"
            + (f"  ({change.why})" if change.why else "")
        )
    if report.stops_at:
        lines.append(f"    then stop at {report.stops_at}")
    return "\n".join(lines)
