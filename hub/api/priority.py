"""An invocation's priority asked by header: one digit, 0 (lowest) to 9."""

from __future__ import annotations

import re

from multidict import CIMultiDictProxy

from hub.api.errors import ApiError
from hub.config.flow_lease import PRIORITY_MAX, LeaseFlow

PRIORITY_HEADER = "X-Triggerhub-Priority"
PRIORITY_PATTERN = f"^[0-{PRIORITY_MAX}]$"
_PRIORITY = re.compile(PRIORITY_PATTERN)


def parse_priority(headers: CIMultiDictProxy[str]) -> LeaseFlow | None:
    """The request's override of the function's flow-control settings, None without one."""
    text = headers.get(PRIORITY_HEADER)
    if text is None:
        return None
    if not _PRIORITY.fullmatch(text):
        raise ApiError(
            400, f"{PRIORITY_HEADER} must be one digit from 0 (lowest) to {PRIORITY_MAX} (highest)"
        )
    return LeaseFlow(priority=int(text))
