"""How the ONTAP layer repeats a call that failed for a reason that waiting can fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ontap.errors import OntapError


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter; only `OntapTransient` and `OntapBusy` are retried."""

    attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be >= 1")
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError("RetryPolicy delays must satisfy 0 <= initial_delay <= max_delay")


NO_RETRY = RetryPolicy(attempts=1)


def is_retryable(exc: BaseException) -> bool:
    """True for the error classes where repeating the same request can succeed."""
    return isinstance(exc, OntapError) and exc.retryable


def retrying(
    policy: RetryPolicy, *, on_retry: Callable[[RetryCallState], None] | None = None
) -> AsyncRetrying:
    """A tenacity controller for one call under `policy`; re-raises the last error when it gives up."""
    return AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential_jitter(
            multiplier=policy.initial_delay, max=policy.max_delay, jitter=policy.jitter
        ),
        before_sleep=on_retry,
        reraise=True,
    )
