"""Retry timing: one pure backoff function, exponential, capped and jittered."""

import random

from hub.config.functions import Backoff


def compute_backoff(attempt: int, policy: Backoff, rand: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Full jitter (a uniform draw up to the exponential delay) spreads the retries of a burst of
    failures instead of stampeding the function again all at once.
    """
    delay = min(policy.max, policy.initial * policy.multiplier ** max(0, attempt - 1))
    if policy.jitter:
        delay = (rand or random).uniform(policy.initial / 2, delay) if delay > 0 else 0.0
    return delay
