"""Bounded retries with exponential backoff and jitter, for transient store errors."""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")
log = logging.getLogger("kubetune.store")


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; before try n+1 sleep d/2 + uniform(0, d/2) with
    d = min(max_delay, base_delay * 2**(n-1)) ("equal jitter": a real backoff that still spreads
    clients that failed together). Worst-case sleeping with the defaults: 0.5+1+2+4 = 7.5 s."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be >= 1, got {self.attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must be >= 0")

    def delay(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Sleep before retry `retry_number` (1-based)."""
        d = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return d / 2 + (rng or random).uniform(0, d / 2)

    def max_total_sleep(self) -> float:
        return sum(min(self.max_delay, self.base_delay * 2 ** (n - 1)) for n in range(1, self.attempts))


@dataclass
class RetryOutcome:
    attempts: int
    elapsed: float


def call_with_retries(op: Callable[[], T], *, policy: RetryPolicy, is_transient: Callable[[BaseException], bool],
                      what: str, outcome: RetryOutcome | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `op`; on a transient error sleep and try again, up to policy.attempts in all.
    The last error propagates unchanged; `outcome` (if given) records tries and elapsed time."""
    started = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return op()
        except Exception as e:  # noqa: BLE001 - classified right below
            if outcome is not None:
                outcome.attempts, outcome.elapsed = attempt, time.monotonic() - started
            if not is_transient(e) or attempt == policy.attempts:
                raise
            pause = policy.delay(attempt)
            log.warning("%s failed (%s: %s); retry %d/%d in %.2fs", what, type(e).__name__,
                        str(e).splitlines()[0][:200] if str(e) else "", attempt, policy.attempts - 1, pause)
            sleep(pause)
    raise AssertionError("unreachable")  # the loop either returns or raises
