"""triggerhub: durable asynchronous invocations of functions from event sources."""

from hub.engine import Hub, Submitted
from hub.errors import NonRetryableError, RetryAfter
from hub.events import Event
from hub.invocation import Invocation
from hub.status import Condition, Status

__all__ = [
    "Condition",
    "Event",
    "Hub",
    "Invocation",
    "NonRetryableError",
    "RetryAfter",
    "Status",
    "Submitted",
]
