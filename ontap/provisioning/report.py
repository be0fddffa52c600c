"""What a provisioning primitive saw, did, and found but left alone."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StepReport:
    """The outcome of one primitive: `actions` are the writes it made, `drift` what it left alone."""

    step: str
    target: str
    observed: str = ""
    actions: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the primitive wrote something."""
        return bool(self.actions)

    def summary(self) -> str:
        """One line for logs and events."""
        parts = [f"{self.step} {self.target}: {self.observed or 'observed'}"]
        if self.actions:
            parts.append("did: " + "; ".join(self.actions))
        if self.drift:
            parts.append("left alone: " + "; ".join(self.drift))
        return " | ".join(parts)
